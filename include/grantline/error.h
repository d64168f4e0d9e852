/* Error values shared by every grantline module: a negative code, the
 * underlying library cause kept apart, and a message a user can act on. */
#ifndef GL_ERROR_H
#define GL_ERROR_H

enum gl_err {
    GL_OK = 0,
    GL_ERR_NOMEM = -1,   /* allocation failed */
    GL_ERR_INVALID = -2, /* bad input (event, argument, file content) */
    GL_ERR_IO = -3,      /* file system or network */
    GL_ERR_STORE = -4,   /* LMDB reported a failure */
    GL_ERR_MAPFULL = -5, /* LMDB map full and could not grow */
    GL_ERR_KAFKA = -6,   /* librdkafka reported a failure */
    GL_ERR_REGEX = -7,   /* PCRE2 compile or match failure */
    GL_ERR_CORRUPT = -8, /* store content does not verify */
    GL_ERR_NOTFOUND = -9,
    GL_ERR_DUPLICATE = -10,
};

/* Caller-owned error detail. Every function taking one accepts NULL. 'cause'
 * holds the library's own code (errno, MDB_*, PCRE2, rd_kafka_resp_err_t),
 * never mixed into enum gl_err. */
struct gl_error {
    int code;
    int cause;
    char msg[512];
};

/* Fills 'err' (if not NULL) and returns 'code' so callers can write
 * 'return gl_error_set(err, GL_ERR_IO, errno, "open %s: %s", ...)'. */
int gl_error_set(struct gl_error *err, int code, int cause, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prepends "prefix: " to an already set message (adds context on the way up). */
int gl_error_prefix(struct gl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Static name of a code, e.g. "store". */
const char *gl_error_name(int code);

#endif
