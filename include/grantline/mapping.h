/* Source mappings: turn a record of another audit format (CloudTrail,
 * Kubernetes audit, ...) into a canonical event, following rules loaded from
 * the JSON files of schemas/mappings/ (format: schemas/mappings/README.md). */
#ifndef GRANTLINE_MAPPING_H
#define GRANTLINE_MAPPING_H

#include "grantline/error.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

struct gl_mappings;

/* Loads every *.json of 'dir', in name order (the first mapping whose
 * detect keys a record has is the one applied). An empty directory gives an
 * empty set. The caller frees the set with gl_mappings_free. */
int gl_mappings_load(const char *dir, struct gl_mappings **out, struct gl_error *err);

/* Loads one mapping from JSON text; 'origin' names it in error messages.
 * Adds to *set, creating it when NULL. */
int gl_mappings_add(struct gl_mappings **set, const char *json, size_t len, const char *origin,
                    struct gl_error *err);
void gl_mappings_free(struct gl_mappings *set);

/* The key of the :digest filter (the store's redaction key: a digest of a
 * record that held a secret must not let a reader test guesses of it).
 * Collectors of one group need the same key for the same record to get the
 * same id in every store, as for redaction markers. */
void gl_mappings_set_key(struct gl_mappings *set, const void *key, size_t len);

/* How many mappings the set holds, and the name of the i-th. */
size_t gl_mappings_count(const struct gl_mappings *set);
const char *gl_mappings_name(const struct gl_mappings *set, size_t i);

/* The outcome of gl_mappings_apply. */
enum gl_mapping_result {
    GL_MAPPING_NONE = 0, /* no mapping detects the record: left as it is */
    GL_MAPPING_DONE,     /* *out is the canonical event */
    GL_MAPPING_REFUSED,  /* a rule refuses the record: err says why */
};

/* The rule that mapped a record (owned by its set). */
struct gl_mapping_rule;

/* Maps 'in' (a map) when a mapping detects it. The canonical event is built
 * in 'zone' and may point into 'in', which must live as long as *out.
 * 'rule' (may be NULL) receives the rule applied, for messages about *out
 * and gl_mapping_rule_identifier. When 'in' is an envelope (a rule with
 * "unwrap": an EventBridge event), the record inside it is mapped instead;
 * 'record' (may be NULL) receives the record mapped, 'in' or an object
 * inside it, which gl_mappings_apply_next is then to be given. Running out
 * of memory is GL_MAPPING_REFUSED with err->code GL_ERR_NOMEM. */
enum gl_mapping_result gl_mappings_apply(const struct gl_mappings *set, const msgpack_object *in,
                                         msgpack_zone *zone, msgpack_object *out,
                                         const struct gl_mapping_rule **rule,
                                         const msgpack_object **record, struct gl_error *err);

/* After a rule marked "continue" gave an event, the event of the next rule
 * of the same mapping whose conditions hold: a record that is two events
 * (a CloudTrail AssumeRole: the role's new key, and the caller's call).
 * GL_MAPPING_NONE when 'after' does not continue or no later rule holds;
 * GL_MAPPING_REFUSED when a refusing rule takes the record (err says why:
 * the whole record is refused). */
enum gl_mapping_result gl_mappings_apply_next(const struct gl_mappings *set,
                                              const struct gl_mapping_rule *after,
                                              const msgpack_object *in, msgpack_zone *zone,
                                              msgpack_object *out,
                                              const struct gl_mapping_rule **rule,
                                              struct gl_error *err);

/* Whether the rule is marked "continue", and the suffix ("continue":
 * ":call") the next event's id takes, or NULL ("continue": true). */
bool gl_mapping_rule_continues(const struct gl_mapping_rule *r);
const char *gl_mapping_rule_continue_suffix(const struct gl_mapping_rule *r);

/* "mapping/rule", for messages. */
const char *gl_mapping_rule_label(const struct gl_mapping_rule *r);

/* Whether a hit of the secret rule 'rule' at the mapped event's field
 * 'path' ("credential.id", "attrs.cloudtrail.userIdentity.accessKeyId") is a
 * credential this format names by design (the mapping's "identifiers", each
 * path with the one rule that may match there): redacted, but no exposure. */
bool gl_mapping_rule_identifier(const struct gl_mapping_rule *r, const char *path,
                                const char *rule);

/* The values of 'in' (or of the record inside it, for an envelope) that
 * its mapping's "secrets" say are secrets whatever they look like (a
 * Kubernetes Secret's data): pointers into 'in', to be
 * redacted whole, at most 'max' of them kept. Returns how many there are,
 * which may exceed 'max' (a record repeating a key): then 'in' is to be
 * hidden whole. 0 when no mapping detects 'in'. */
size_t gl_mappings_secrets(const struct gl_mappings *set, const msgpack_object *in,
                           const msgpack_object **out, size_t max);

#endif
