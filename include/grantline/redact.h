/* Secret redaction: PCRE2 rules loaded from schemas/secrets.rules replace
 * secrets in strings by "[REDACTED:<rule>:<fp>]", where fp is a keyed
 * fingerprint (HMAC-SHA256) so equal secrets stay linkable without being
 * recoverable. */
#ifndef GL_REDACT_H
#define GL_REDACT_H

#include "grantline/buf.h"
#include "grantline/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gl_redactor;

#define GL_REDACT_FP_HEX 12 /* hex digits of the fingerprint kept in hits */
#define GL_REDACT_MARK_FP 6 /* hex digits shown in the marker */

/* One secret found: which rule, its fingerprint (hex, NUL-terminated). */
struct gl_redact_hit {
    char rule[48];
    char fp[GL_REDACT_FP_HEX + 1];
    char field[96]; /* where it was found, e.g. "attrs.prompt"; set by the caller */
};

struct gl_redact_hits {
    struct gl_redact_hit *v;
    size_t n, cap;
};

/* Loads and compiles every rule of 'path' (format documented in the file
 * itself). 'key' (borrowed, copied) keys the fingerprints. On success *out
 * is owned by the caller, free with gl_redactor_free(). */
int gl_redactor_load(const char *path, const void *key, size_t keylen, struct gl_redactor **out,
                     struct gl_error *err);
void gl_redactor_free(struct gl_redactor *rd);

size_t gl_redactor_rule_count(const struct gl_redactor *rd);
const char *gl_redactor_rule_name(const struct gl_redactor *rd, size_t i);

/* Scans s[0..len). Returns 0 when nothing matched ('out' untouched), the
 * number of secrets replaced (>0) with the redacted text appended to 'out'
 * and one hit per secret appended to 'hits' (may be NULL), or a negative
 * gl_err (NOMEM). When PCRE2 gives up (match limit), the whole string is
 * replaced by one "[REDACTED:unscannable:fp]" and 1 is returned: text that
 * could not be checked is never stored. Not thread-safe: one per thread. */
int gl_redactor_scan(struct gl_redactor *rd, const char *s, size_t len, struct gl_buf *out,
                     struct gl_redact_hits *hits, struct gl_error *err);

/* gl_redactor_scan for refused input that did not parse (the quarantine):
 * the rules named "raw-*" run too. They redact what follows a word naming a
 * secret whatever its form, since no structure tells keys from values. */
int gl_redactor_scan_raw(struct gl_redactor *rd, const char *s, size_t len, struct gl_buf *out,
                         struct gl_redact_hits *hits, struct gl_error *err);

/* Index of the rule that matches first in s (earliest start), or -1. For tests. */
int gl_redactor_first_rule(struct gl_redactor *rd, const char *s, size_t len);

/* Rules named "key-*" match map key names instead of text: a string stored
 * under a matching key (e.g. "password") is a secret as a whole. Returns the
 * rule index or -1. */
int gl_redactor_match_key(struct gl_redactor *rd, const char *key, size_t len);

/* Rules named "keep-*" name values that are no secret though a key-* rule
 * would hide them (Vault's audit log writes a password as "hmac-sha256:…"),
 * and a key-* rule's own unless= pattern those under its keys (the shell's
 * PWD, a path): whether one of them matches all of s, for a value under a
 * key 'rule' (a key-* rule, or -1: the keep-* rules only) matched. Such a
 * value is scanned as text instead. */
bool gl_redactor_keeps(struct gl_redactor *rd, int rule, const char *s, size_t len);

/* Replaces all of s by the marker of rule 'rule' (appended to 'out') and
 * records one hit. Returns 1 or a negative gl_err. */
int gl_redactor_redact_all(struct gl_redactor *rd, int rule, const char *s, size_t len,
                           struct gl_buf *out, struct gl_redact_hits *hits);

void gl_redact_hits_free(struct gl_redact_hits *h);

#endif
