/* Read-only JSON trees for small documents: the catalogs and policies in
 * schemas/, user policy and suppression files, the analyzer's notification
 * state. Parsed by the same simdjson shim as events (one JSON library in the
 * project): strict RFC 8259 (no comments), a key repeated within one object
 * is an error. */
#ifndef GRANTLINE_JTREE_H
#define GRANTLINE_JTREE_H

#include "grantline/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gl_jtype {
    GL_JT_ANY = 0, /* for gl_jval_get: any type */
    GL_JT_NULL,
    GL_JT_BOOL,
    GL_JT_INT,    /* fits int64; 'd' holds it too */
    GL_JT_DOUBLE, /* any other number */
    GL_JT_STRING,
    GL_JT_OBJECT,
    GL_JT_ARRAY,
};

/* A value of a tree; every pointer in it is owned by the tree. */
struct gl_jval {
    enum gl_jtype type;
    bool b;
    int64_t i;
    double d;
    const char *s;         /* GL_JT_STRING: 'len' bytes and a NUL; NULL for other types */
    size_t len;            /* bytes of a string, members of an object, elements of an array */
    const char **keys;     /* GL_JT_OBJECT: NUL-terminated, in document order */
    struct gl_jval **vals; /* GL_JT_OBJECT (parallel to keys) and GL_JT_ARRAY */
};

/* v is not NULL and has type t. */
static inline bool gl_jval_is(const struct gl_jval *v, enum gl_jtype t)
{
    return v && v->type == t;
}

/* Parses a JSON text into a tree whose root the caller frees with
 * gl_jtree_free. NULL on failure: GL_ERR_INVALID with the reason (syntax,
 * UTF-8, a repeated key, nesting deeper than 64 levels), or GL_ERR_NOMEM. */
struct gl_jval *gl_jtree_parse(const char *text, size_t len, struct gl_error *err);
void gl_jtree_free(struct gl_jval *root);

/* The value of an object's member 'key' if it has that type (or any type
 * with GL_JT_ANY); NULL when obj is NULL or not an object, or the member is
 * missing or of another type. */
const struct gl_jval *gl_jval_get(const struct gl_jval *obj, const char *key, enum gl_jtype type);

#endif
