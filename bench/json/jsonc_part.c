/*
 * jsonc_part.c - the json-c part of the JSON parser benchmark.
 *
 * json-c and jansson both define json_object_get() and
 * json_object_iter_next() (with different meanings), so their headers cannot
 * share a translation unit. This file includes only json-c's header and calls
 * neither clashing function; json_parsers.c includes only jansson's. Both
 * libraries version their symbols (JSONC_0.14 vs libjansson.so.4) and run.sh
 * links -ljansson first, so jansson's references bind to jansson; main()
 * checks that at start-up. A real program must pick one of the two.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "bench_common.h"
#include "jsonc_part.h"

static struct json_tokener *g_tok[2];

const char *jc_version(void)
{
    return json_c_version();
}

int jc_init(void)
{
    g_tok[0] = json_tokener_new();
    g_tok[1] = json_tokener_new();
    if (!g_tok[0] || !g_tok[1])
        return -1;
    json_tokener_set_flags(g_tok[1], JSON_TOKENER_VALIDATE_UTF8);
    return 0;
}

static void jc_walk(struct json_object *v, struct bench_acc *a)
{
    a->nodes++;
    switch (json_object_get_type(v)) {
    case json_type_object: {
        json_object_object_foreach(v, k, c)
        {
            a->attrs += bench_hstr(k, strlen(k));
            jc_walk(c, a);
        }
        break;
    }
    case json_type_array: {
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++)
            jc_walk(json_object_array_get_idx(v, i), a);
        break;
    }
    case json_type_string:
        a->attrs += bench_hstr(json_object_get_string(v), (size_t)json_object_get_string_len(v));
        break;
    case json_type_int:
        a->attrs += bench_hint(json_object_get_int64(v));
        break;
    case json_type_double:
        a->attrs += bench_hdbl(json_object_get_double(v));
        break;
    case json_type_boolean:
        a->attrs += json_object_get_boolean(v) ? BENCH_H_TRUE : BENCH_H_FALSE;
        break;
    case json_type_null: /* JSON null is a NULL pointer in json-c */
        a->attrs += BENCH_H_NULL;
        break;
    }
}

static void jc_sub(struct json_object *v, int tag, struct bench_acc *a)
{
    if (!json_object_is_type(v, json_type_object))
        return;
    json_object_object_foreach(v, k, c)
    {
        int sub = bench_sub_tag(k, strlen(k));
        if (sub != S_UNKNOWN && json_object_is_type(c, json_type_string))
            bench_field(a, tag, sub,
                        bench_hstr(json_object_get_string(c),
                                   (size_t)json_object_get_string_len(c)));
    }
}

int jc_event(int which, const char *buf, size_t len, uint64_t *out, char *err, size_t errlen)
{
    struct json_tokener *tok = g_tok[which];
    json_tokener_reset(tok);
    struct json_object *root = json_tokener_parse_ex(tok, buf, (int)len);
    if (!root) {
        enum json_tokener_error e = json_tokener_get_error(tok);
        snprintf(err, errlen, "%s at offset %zu", json_tokener_error_desc(e),
                 json_tokener_get_parse_end(tok));
        return -1;
    }
    /* without this check trailing bytes are silently ignored */
    if (json_tokener_get_parse_end(tok) != len) {
        json_object_put(root);
        snprintf(err, errlen, "trailing bytes at offset %zu", json_tokener_get_parse_end(tok));
        return -1;
    }
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        snprintf(err, errlen, "root is not an object");
        return -1;
    }
    struct bench_acc a = {0, 0, 0};
    json_object_object_foreach(root, k, v)
    {
        size_t kn = strlen(k);
        int tag = bench_top_tag(k, kn);
        switch (bench_kind(tag)) {
        case K_SCALAR:
            if (json_object_is_type(v, json_type_string))
                bench_field(&a, tag, 0,
                            bench_hstr(json_object_get_string(v),
                                       (size_t)json_object_get_string_len(v)));
            else if (tag == T_TS && json_object_is_type(v, json_type_int))
                bench_field(&a, tag, 0, bench_hint(json_object_get_int64(v)));
            break;
        case K_OBJECT:
            jc_sub(v, tag, &a);
            break;
        case K_PERMLIST:
            if (json_object_is_type(v, json_type_array)) {
                size_t n = json_object_array_length(v);
                for (size_t i = 0; i < n; i++)
                    jc_sub(json_object_array_get_idx(v, i), tag, &a);
            }
            break;
        default:
            if (tag == T_UNKNOWN)
                a.attrs += bench_hstr(k, kn);
            jc_walk(v, &a);
            break;
        }
    }
    json_object_put(root);
    *out = bench_finish(&a);
    return 0;
}

/* --- probes --- */

static size_t put(char *out, size_t cap, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t put(char *out, size_t cap, size_t at, const char *fmt, ...)
{
    if (at >= cap)
        return at;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + at, cap - at, fmt, ap);
    va_end(ap);
    return n < 0 ? at : at + (size_t)n;
}

static size_t put_bytes(char *out, size_t cap, size_t at, const char *s, size_t n)
{
    at = put(out, cap, at, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            at = put(out, cap, at, "%c", c);
        else
            at = put(out, cap, at, "\\x%02x", c);
    }
    return put(out, cap, at, "\"");
}

void jc_probe(const char *buf, size_t len, int strict, char *out, size_t cap)
{
    size_t at = 0;
    struct json_tokener *tok = json_tokener_new();
    if (strict)
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *root = json_tokener_parse_ex(tok, buf, (int)len);
    if (!root) {
        enum json_tokener_error e = json_tokener_get_error(tok);
        if (e == json_tokener_success)
            put(out, cap, at, "ok: root is JSON null");
        else if (e == json_tokener_continue)
            put(out, cap, at, "incomplete: json_tokener_continue (needs more bytes; the caller must "
                              "treat end-of-buffer as an error) at offset %zu",
                json_tokener_get_parse_end(tok));
        else
            put(out, cap, at, "error: %s (json_tokener_get_parse_end = offset %zu)",
                json_tokener_error_desc(e), json_tokener_get_parse_end(tok));
        json_tokener_free(tok);
        return;
    }
    at = put(out, cap, at, "ok: ");
    struct json_object *a = NULL;
    if (json_object_is_type(root, json_type_object) && json_object_object_get_ex(root, "a", &a)) {
        at = put(out, cap, at, "a=");
        switch (json_object_get_type(a)) {
        case json_type_string:
            at = put(out, cap, at, "string(len %d) ", json_object_get_string_len(a));
            at = put_bytes(out, cap, at, json_object_get_string(a),
                           (size_t)json_object_get_string_len(a));
            break;
        case json_type_int:
            at = put(out, cap, at, "int get_int64=%" PRId64 " get_uint64=%" PRIu64,
                     json_object_get_int64(a), json_object_get_uint64(a));
            break;
        case json_type_double:
            at = put(out, cap, at, "double %.17g", json_object_get_double(a));
            break;
        default:
            at = put(out, cap, at, "type %s", json_type_to_name(json_object_get_type(a)));
            break;
        }
        at = put(out, cap, at, "; ");
    }
    if (json_object_is_type(root, json_type_object))
        at = put(out, cap, at, "members=%d", json_object_object_length(root));
    if (json_tokener_get_parse_end(tok) != len)
        put(out, cap, at,
            "; NOTE: parse stopped at offset %zu of %zu (rest ignored unless the caller "
            "checks json_tokener_get_parse_end)",
            json_tokener_get_parse_end(tok), len);
    json_object_put(root);
    json_tokener_free(tok);
}

const char *jc_depth(const char *buf, size_t len)
{
    static char msg[256];
    struct json_tokener *tok = json_tokener_new();
    struct json_object *r = json_tokener_parse_ex(tok, buf, (int)len);
    const char *ret = NULL;
    if (!r) {
        snprintf(msg, sizeof msg, "%s (offset %zu)",
                 json_tokener_error_desc(json_tokener_get_error(tok)),
                 json_tokener_get_parse_end(tok));
        ret = msg;
    }
    json_object_put(r);
    json_tokener_free(tok);
    return ret;
}
