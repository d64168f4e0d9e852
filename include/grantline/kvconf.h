/* Client settings from a file of key=value lines (librdkafka properties for
 * the collector's source and the analyzer's sink), so SASL passwords and
 * key locations need not sit on a command line that ps(1) shows. */
#ifndef GL_KVCONF_H
#define GL_KVCONF_H

#include "grantline/error.h"

#include <stdbool.h>
#include <stddef.h>

/* The settings of one file, in file order, as "key=value" strings. */
struct gl_kvconf {
    char **items; /* owned: "key=value", key and value trimmed */
    size_t n;
    bool others_can_read; /* the file is readable by its group or by others */
};

/* Reads 'path': one key=value per line; blank lines and lines starting with
 * '#' are skipped, spaces around the key and the value are dropped. A line
 * without '=' or with an empty key is refused with "PATH:LINE: ...", and so
 * is a file over 1 MiB. On success *out is owned by the caller
 * (gl_kvconf_free). */
int gl_kvconf_load(const char *path, struct gl_kvconf **out, struct gl_error *err);

/* gl_kvconf_load, then copies of 'extra' ("key=value" from -X) after the
 * file's settings, so they override them: items is what the client is
 * given, in order. */
int gl_kvconf_load_with(const char *path, const char *const *extra, size_t n_extra,
                        struct gl_kvconf **out, struct gl_error *err);
void gl_kvconf_free(struct gl_kvconf *c);

/* Whether the value of setting 'key' may be a secret (sasl.password,
 * ssl.key.password, sasl.oauthbearer.config, ...): such values stay out of
 * error messages and logs. A caller also hides the value of a key the
 * client does not know, which may be a mistyped password setting. */
bool gl_kvconf_secret_key(const char *key);

/* Whether [key, key+len) is made of the characters setting names use
 * (letters, digits, '.', '_', '-'); a key with others is not echoed in a
 * message (it may be a password typed with ':' instead of '='). */
bool gl_kvconf_key_ok(const char *key, size_t len);

/* Copies 'text' (a client's log or error line) into out[outlen] with every
 * word of 4 bytes or more that occurs in the value of a secret setting of
 * 'props' ("key=value" strings) replaced by "(hidden)": librdkafka quotes
 * parts of a setting it cannot parse. */
void gl_kvconf_mask(const char *const *props, size_t n_props, const char *text, char *out,
                    size_t outlen);

#endif
