/* JSON parsing for the event decoder (lib/event.c) and for JSON trees
 * (lib/jtree.c): simdjson's DOM parser behind a C interface, implemented in
 * json_parse.cpp. Internal to libgrantline. */
#ifndef GL_JSON_PARSE_H
#define GL_JSON_PARSE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the walk reports, in document order. Each callback returns nonzero
 * to go on, 0 to stop the walk. Strings (keys too) are views into the
 * parser, valid until its next gl_json_walk; they are valid UTF-8 and
 * unescaped. */
struct gl_json_sink {
    int (*null)(void *ctx);
    int (*boolean)(void *ctx, int b);
    int (*int64)(void *ctx, int64_t v);
    int (*uint64)(void *ctx, uint64_t v); /* only above INT64_MAX */
    int (*dbl)(void *ctx, double v);
    int (*string)(void *ctx, const char *s, size_t len);
    int (*start_map)(void *ctx);
    int (*start_array)(void *ctx);
    int (*end)(void *ctx); /* of a map or an array */
};

enum gl_json_status {
    GL_JSON_OK = 0,
    GL_JSON_STOPPED, /* a callback returned 0 */
    GL_JSON_EMPTY,   /* nothing but white space */
    GL_JSON_UTF8,    /* not valid UTF-8 */
    GL_JSON_DEPTH,   /* containers nested deeper than the parser's limit */
    GL_JSON_NOMEM,
    GL_JSON_INVALID, /* any other syntax error; see *why */
};

/* A parser and its buffers; the event decoder keeps one per decoder (one
 * per thread) and reuses it for every message. */
struct gl_json;

/* max_depth: simdjson's nesting limit (a text nested max_depth levels deep
 * is refused unless its innermost container is empty, so callers pass one
 * more than the limit they enforce in their callbacks). NULL when out of
 * memory. */
struct gl_json *gl_json_new(unsigned max_depth);
void gl_json_free(struct gl_json *j);

/* Parses one JSON text (strict RFC 8259, the whole text validated before
 * any callback runs) and walks its value. On GL_JSON_INVALID, *why is a
 * static description of the error. */
enum gl_json_status gl_json_walk(struct gl_json *j, const void *buf, size_t len,
                                 const struct gl_json_sink *sink, void *ctx, const char **why);

#ifdef __cplusplus
}
#endif

#endif
