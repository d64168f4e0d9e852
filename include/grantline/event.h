/* Canonical events (DESIGN.md §2): decoding from JSON or msgpack with
 * validation, and encoding to the stored msgpack form (schemas/store-format.md).
 * Checklist: a new field needs event.c (decode, encode), schemas/event.schema.json,
 * schemas/store-format.md and tests/unit/check_event.c. */
#ifndef GL_EVENT_H
#define GL_EVENT_H

#include "grantline/buf.h"
#include "grantline/error.h"
#include "grantline/redact.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A view into memory owned by someone else; ptr == NULL means absent. */
struct gl_str {
    const char *ptr;
    size_t len;
};

enum gl_event_type {
    GL_EV_IDENTITY_ISSUED = 0,
    GL_EV_IDENTITY_AUTHENTICATED,
    GL_EV_CREDENTIAL_ROTATED,
    GL_EV_CREDENTIAL_REVOKED,
    GL_EV_CREDENTIAL_EXPOSED,
    GL_EV_ACCESS_GRANTED,
    GL_EV_ACCESS_REVOKED,
    GL_EV_TASK_STARTED,
    GL_EV_TASK_COMPLETED,
    GL_EV_ACTION_PERFORMED,
    GL_EV_AGENT_DELEGATED,
    GL_EV__COUNT
};

enum gl_decision { GL_DECISION_NONE = 0, GL_DECISION_ALLOW, GL_DECISION_DENY };
enum gl_status { GL_STATUS_NONE = 0, GL_STATUS_SUCCEEDED, GL_STATUS_FAILED, GL_STATUS_CANCELLED };

struct gl_perm {
    struct gl_str action;
    struct gl_str resource; /* absent: '*' in grants and scopes, "" in actions */
};

/* Free-form string pair, used for attributes the collector adds itself. */
struct gl_kv {
    const char *key;
    const char *value;
};

#define GL_EVENT_ID_MAX       128
#define GL_EVENT_WORKLOAD_MAX 256
#define GL_EVENT_NAME_MAX     256 /* task, actor, source, credential.id, ... */
#define GL_EVENT_RESOURCE_MAX 1024
#define GL_EVENT_MAX_DEPTH    32 /* nesting of attrs */

/* All strings are views into the decoded input or the decoder: valid while
 * the input is and until the next decode on the same decoder (or for
 * hand-built events, as long as the caller keeps them). */
struct gl_event {
    struct gl_str id;
    int64_t ts; /* microseconds since the epoch, UTC */
    enum gl_event_type type;
    struct gl_str workload, task, actor, source;
    struct gl_str cred_id, cred_kind;
    bool has_cred_expires;
    int64_t cred_expires;
    struct gl_str previous, grant_id, delegate;
    /* The system that authenticated the workload and decided the action
     * itself (aws-iam, kubernetes, vault), against credentials and policies
     * the stream may show only in part (docs/rules.md, "authority"). */
    struct gl_str authority;
    const struct gl_perm *perms; /* permission and permissions, in that order */
    size_t n_perms;
    const struct gl_perm *scope;
    size_t n_scope;
    bool has_scope;
    bool has_expires;
    int64_t expires;
    enum gl_decision decision;
    enum gl_status status;
    struct gl_str origin;        /* stored events: where the collector read it */
    const void *src_map;         /* decoder-internal: the decoded map (for attrs) */
    const void *src_attrs;       /* decoder-internal: its non-nil "attrs" value */
    uint32_t n_src_unknown;      /* decoder-internal: its non-nil keys of no field */
    const void *const *secret_vals; /* decoder-internal: values in src_map a mapping says */
    size_t n_secret_vals;           /* are secrets whatever they look like */
    bool from_store;             /* decoded from the stored form */
    const struct gl_kv *add_attrs; /* extra attributes set by the collector */
    size_t n_add_attrs;
};

const char *gl_event_type_name(enum gl_event_type t);
/* Returns the type or -1 for an unknown name. */
int gl_event_type_parse(const char *s, size_t len);
const char *gl_decision_name(enum gl_decision d);
const char *gl_status_name(enum gl_status s);

/* A decoder holds the scratch memory decoding needs; reuse it for every
 * message. Not thread-safe. */
struct gl_decoder;
struct gl_decoder *gl_decoder_new(void);
void gl_decoder_free(struct gl_decoder *dec);

/* A record that is no valid event, whose "type" is absent or none of ours,
 * and that a mapping of 'maps' detects (CloudTrail, Kubernetes audit, ...)
 * is mapped to a canonical event and validated as one; 'maps' is borrowed
 * (NULL: none). */
struct gl_mappings;
struct gl_mapping_rule;
void gl_decoder_set_mappings(struct gl_decoder *dec, const struct gl_mappings *maps);
/* The rule that mapped the last event decoded, or NULL (a canonical one). */
const struct gl_mapping_rule *gl_decoder_mapped(const struct gl_decoder *dec);

/* A mapped record can be several events (its rules "continue"): the first
 * is what gl_decoder_decode gives, the others, validated with it, are
 * decoded one at a time by gl_decoder_decode_more (i from 0 to
 * gl_decoder_more() - 1), each replacing the views of the one before. */
#define GL_DECODER_MORE 3
size_t gl_decoder_more(const struct gl_decoder *dec);
/* The id of the event a mapped record's first rule gave (its revocation,
 * stored after its call, comes first here): what names the record, for
 * the exposures of its secrets. Empty for a canonical event. A view valid
 * until the next gl_decoder_decode (gl_decoder_decode_more keeps it). */
struct gl_str gl_decoder_record_id(const struct gl_decoder *dec);
int gl_decoder_decode_more(struct gl_decoder *dec, size_t i, struct gl_event *ev,
                           struct gl_error *err);

/* Decodes one input message: a JSON object or a msgpack map (detected from
 * the first byte), validated against the v1 contract. On success fills 'ev'
 * with views into the decoder. On bad input returns GL_ERR_INVALID with a
 * reason "<field>: <problem>" (or "invalid JSON: ...") in err->msg. */
int gl_decoder_decode(struct gl_decoder *dec, const void *buf, size_t len, struct gl_event *ev,
                      struct gl_error *err);

/* Decodes a stored record (the msgpack form gl_event_encode writes). */
int gl_decoder_decode_stored(struct gl_decoder *dec, const void *buf, size_t len,
                             struct gl_event *ev, struct gl_error *err);

/* Reads a stored record's fields in place, without building a msgpack tree:
 * the analyzer's hot path. Checks what decode_stored checks for the fields
 * it fills; attrs and unknown keys are only skipped, so the result cannot be
 * re-encoded (src_map stays NULL). Views point into 'buf' and the decoder. */
int gl_decoder_view_stored(struct gl_decoder *dec, const void *buf, size_t len,
                           struct gl_event *ev, struct gl_error *err);

/* Encodes 'ev' in stored form, appended to 'out'. When 'rd' is not NULL every
 * string except the id, times and enums is passed through it; each secret
 * found is appended to 'hits' with the field path it came from. Returns 0 or a
 * negative gl_err. */
int gl_event_encode(const struct gl_event *ev, struct gl_redactor *rd, struct gl_buf *out,
                    struct gl_redact_hits *hits, struct gl_error *err);

/* Writes the stored record 'buf' as one line of canonical JSON (times as RFC
 * 3339 strings) appended to 'out'. */
int gl_event_stored_to_json(const void *buf, size_t len, struct gl_buf *out, struct gl_error *err);

/* For the quarantine: when 'buf' parses as JSON or msgpack (but failed
 * validation), appends its JSON form with every string, key and value under
 * a sensitive key redacted, as for attrs (and the values the decoder's
 * mappings say are secrets, whole), and each secret to 'hits' (may be
 * NULL). Returns GL_ERR_INVALID when it does not parse (the caller keeps
 * the bytes and redacts them as text). */
int gl_event_redact_raw(struct gl_decoder *d, const void *buf, size_t len, struct gl_redactor *rd,
                        struct gl_buf *out, struct gl_redact_hits *hits, struct gl_error *err);

/* Checks that s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool gl_utf8_valid(const char *s, size_t len);

#endif
