/* Canonical events: JSON (simdjson, walked straight into a msgpack_object tree)
 * and msgpack input share one validator that works on that tree, so both
 * encodings accept exactly the same contract. Stored records are msgpack maps
 * with times as integer microseconds (schemas/store-format.md).
 * Checklist: a new key needs key_table, decode_map, gl_event_encode, the JSON
 * schema in schemas/ and tests/unit/check_event.c. */
#include "grantline/event.h"
#include "grantline/mapping.h"

#include "grantline/tstamp.h"

#include "json_parse.h"

#include <msgpack.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- names --- */

static const char *const type_names[GL_EV__COUNT] = {
    "identity.issued",    "identity.authenticated", "credential.rotated", "credential.revoked",
    "credential.exposed", "access.granted",         "access.revoked",     "task.started",
    "task.completed",     "action.performed",       "agent.delegated",
};

const char *gl_event_type_name(enum gl_event_type t)
{
    return (unsigned)t < GL_EV__COUNT ? type_names[t] : "unknown";
}

int gl_event_type_parse(const char *s, size_t len)
{
    for (int i = 0; i < GL_EV__COUNT; i++)
        if (strlen(type_names[i]) == len && memcmp(type_names[i], s, len) == 0)
            return i;
    return -1;
}

const char *gl_decision_name(enum gl_decision d)
{
    return d == GL_DECISION_ALLOW ? "allow" : d == GL_DECISION_DENY ? "deny" : "";
}

const char *gl_status_name(enum gl_status s)
{
    static const char *const names[] = {"", "succeeded", "failed", "cancelled"};
    return (unsigned)s <= GL_STATUS_CANCELLED ? names[s] : "";
}

static const char *const cred_kinds[] = {"token",    "api_key", "certificate",  "svid",
                                         "password", "ssh_key", "oauth_client", "secret"};

/* --- UTF-8 --- */

/* Where the first invalid UTF-8 sequence starts; len when there is none. */
static size_t utf8_scan(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        /* ASCII, the common case, eight bytes at a time */
        while (len - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned min;
        unsigned cp;
        if ((c & 0xe0) == 0xc0) {
            n = 1, min = 0x80, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, min = 0x800, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return i;
        }
        if (len - i <= n)
            return i;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += n + 1;
    }
    return len;
}

bool gl_utf8_valid(const char *str, size_t len)
{
    return utf8_scan(str, len) == len;
}

/* --- decoder state --- */

#define GL_DECODER_SECRETS 32

struct gl_decoder {
    msgpack_zone zone;     /* the decoded tree */
    struct gl_perm *perms; /* permission(s) then scope */
    size_t perms_cap;
    /* JSON -> tree: the open containers' elements so far, innermost last
     * (a map's as key, value, key, value: the layout of msgpack_object_kv) */
    msgpack_object *elems;
    size_t n_elems, cap_elems;
    size_t open_at[GL_EVENT_MAX_DEPTH + 1]; /* where each open container's elements start */
    bool open_map[GL_EVENT_MAX_DEPTH + 1];
    int depth;
    bool started;
    msgpack_object root;
    const char *sax_error; /* our own reason when a callback aborts */
    bool sax_nomem;        /* ... because memory ran out */
    struct gl_json *json;  /* the JSON parser, made at the first JSON message */
    const struct gl_mappings *maps; /* borrowed: records of other formats */
    const struct gl_mapping_rule *mapped; /* the rule that mapped the last message, or NULL */
    const msgpack_object *secrets[GL_DECODER_SECRETS]; /* its values that are secrets */
    size_t n_secrets;
    /* The events a mapped record gives beside the first (rules marked
     * "continue"), validated, in the zone; with the rule of each. */
    msgpack_object *more[GL_DECODER_MORE];
    const struct gl_mapping_rule *more_rule[GL_DECODER_MORE];
    size_t n_more;
    bool more_utf8;        /* the record was msgpack: strings are checked */
    struct gl_str record_id; /* the id of the event its first rule gave */
};

struct gl_decoder *gl_decoder_new(void)
{
    struct gl_decoder *dec = calloc(1, sizeof *dec);
    if (!dec)
        return NULL;
    if (!msgpack_zone_init(&dec->zone, 8192)) {
        free(dec);
        return NULL;
    }
    return dec;
}

void gl_decoder_free(struct gl_decoder *dec)
{
    if (!dec)
        return;
    msgpack_zone_destroy(&dec->zone);
    gl_json_free(dec->json);
    free(dec->elems);
    free(dec->perms);
    free(dec);
}

static int mp_write(void *data, const char *buf, size_t len)
{
    return gl_buf_append(data, buf, len) ? -1 : 0;
}

/* --- JSON to a msgpack_object tree ---
 * The tree is what msgpack-c's unpacker would build from the same value, so
 * JSON and msgpack input meet in one validator; building it directly saves
 * writing msgpack bytes and unpacking them again. */

static int sax_push(struct gl_decoder *d, msgpack_object o)
{
    if (d->depth == 0) {
        d->sax_error = "not a JSON object";
        return 0;
    }
    if (d->n_elems == d->cap_elems) {
        size_t nc = d->cap_elems ? d->cap_elems * 2 : 256;
        msgpack_object *e = realloc(d->elems, nc * sizeof *e);
        if (!e) {
            d->sax_error = "out of memory";
            d->sax_nomem = true;
            return 0;
        }
        d->elems = e;
        d->cap_elems = nc;
    }
    d->elems[d->n_elems++] = o;
    return 1;
}

static int sax_null(void *ctx)
{
    return sax_push(ctx, (msgpack_object){.type = MSGPACK_OBJECT_NIL});
}

static int sax_bool(void *ctx, int b)
{
    return sax_push(ctx, (msgpack_object){.type = MSGPACK_OBJECT_BOOLEAN, .via.boolean = b != 0});
}

static int sax_int(void *ctx, int64_t v)
{
    msgpack_object o = {.type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = (uint64_t)v};
    if (v < 0)
        o = (msgpack_object){.type = MSGPACK_OBJECT_NEGATIVE_INTEGER, .via.i64 = v};
    return sax_push(ctx, o);
}

static int sax_uint(void *ctx, uint64_t v)
{
    return sax_push(ctx, (msgpack_object){.type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = v});
}

static int sax_double(void *ctx, double v)
{
    return sax_push(ctx, (msgpack_object){.type = MSGPACK_OBJECT_FLOAT64, .via.f64 = v});
}

/* The parser checked the UTF-8 and unescaped the string into its own
 * buffer, which lives until the decoder's next message: a view, no copy. */
static int sax_string(void *ctx, const char *s, size_t len)
{
    msgpack_object o = {.type = MSGPACK_OBJECT_STR};
    o.via.str.size = (uint32_t)len;
    o.via.str.ptr = s;
    return sax_push(ctx, o);
}

static int sax_open(struct gl_decoder *d, bool is_map)
{
    if (d->depth == 0 && (d->started || !is_map)) {
        d->sax_error = "not a JSON object";
        return 0;
    }
    if (d->depth >= GL_EVENT_MAX_DEPTH) {
        d->sax_error = "attrs: nesting deeper than 32 levels";
        return 0;
    }
    d->started = true;
    d->open_at[d->depth] = d->n_elems;
    d->open_map[d->depth] = is_map;
    d->depth++;
    return 1;
}

/* Moves the container's elements into the zone and leaves the container as
 * one element of its parent (or as the root). */
static int sax_close(struct gl_decoder *d)
{
    d->depth--;
    size_t at = d->open_at[d->depth], n = d->n_elems - at;
    msgpack_object o = {.type = d->open_map[d->depth] ? MSGPACK_OBJECT_MAP : MSGPACK_OBJECT_ARRAY};
    void *mem = NULL;
    if (n) {
        mem = msgpack_zone_malloc(&d->zone, n * sizeof(msgpack_object));
        if (!mem) {
            d->sax_error = "out of memory";
            d->sax_nomem = true;
            return 0;
        }
        memcpy(mem, d->elems + at, n * sizeof(msgpack_object));
    }
    d->n_elems = at;
    if (o.type == MSGPACK_OBJECT_MAP) {
        o.via.map.size = (uint32_t)(n / 2);
        o.via.map.ptr = mem;
    } else {
        o.via.array.size = (uint32_t)n;
        o.via.array.ptr = mem;
    }
    if (d->depth == 0) {
        d->root = o;
        return 1;
    }
    return sax_push(d, o);
}

static int sax_start_map(void *ctx)
{
    return sax_open(ctx, true);
}

static int sax_start_array(void *ctx)
{
    return sax_open(ctx, false);
}

static int sax_end(void *ctx)
{
    return sax_close(ctx);
}

static const struct gl_json_sink sax_sink = {
    .null = sax_null,
    .boolean = sax_bool,
    .int64 = sax_int,
    .uint64 = sax_uint,
    .dbl = sax_double,
    .string = sax_string,
    .start_map = sax_start_map,
    .start_array = sax_start_array,
    .end = sax_end,
};

/* Parses a JSON object into d->root (in d->zone, cleared first). */
static int json_to_tree(struct gl_decoder *d, const unsigned char *buf, size_t len,
                        struct gl_error *err)
{
    msgpack_zone_clear(&d->zone);
    d->n_elems = 0;
    d->depth = 0;
    d->started = false;
    d->sax_error = NULL;
    d->sax_nomem = false;
    /* one more than the limit: at its own limit simdjson refuses N levels
     * only if the innermost container is not empty; sax_open enforces the
     * exact limit, the parser's keeps much deeper input cheap */
    if (!d->json && !(d->json = gl_json_new(GL_EVENT_MAX_DEPTH + 1)))
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    const char *why = NULL;
    switch (gl_json_walk(d->json, buf, len, &sax_sink, d, &why)) {
    case GL_JSON_OK:
        return GL_OK;
    case GL_JSON_STOPPED:
        return gl_error_set(err, d->sax_nomem ? GL_ERR_NOMEM : GL_ERR_INVALID, 0, "%s",
                            d->sax_error ? d->sax_error : "invalid JSON");
    case GL_JSON_EMPTY:
        return gl_error_set(err, GL_ERR_INVALID, 0, "empty message");
    case GL_JSON_UTF8:
        return gl_error_set(err, GL_ERR_INVALID, 0, "invalid UTF-8 at byte %zu",
                            utf8_scan((const char *)buf, len));
    case GL_JSON_DEPTH:
        /* only attrs may nest (the other fields are flat) */
        return gl_error_set(err, GL_ERR_INVALID, 0, "attrs: nesting deeper than %d levels",
                            GL_EVENT_MAX_DEPTH);
    case GL_JSON_NOMEM:
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    case GL_JSON_INVALID:
        break;
    }
    return gl_error_set(err, GL_ERR_INVALID, 0, "invalid JSON: %s", why ? why : "parse error");
}

/* --- validation of the unpacked map --- */

enum key_id {
    K_UNKNOWN = 0,
    K_ID,
    K_TS,
    K_TYPE,
    K_WORKLOAD,
    K_TASK,
    K_ACTOR,
    K_SOURCE,
    K_CREDENTIAL,
    K_PREVIOUS,
    K_GRANT_ID,
    K_PERMISSION,
    K_PERMISSIONS,
    K_SCOPE,
    K_EXPIRES_AT,
    K_DECISION,
    K_DELEGATE,
    K_STATUS,
    K_AUTHORITY,
    K_ATTRS,
    K_V,      /* stored form only */
    K_ORIGIN, /* stored form only */
    K__COUNT
};

static const char *const key_names[K__COUNT] = {
    "",          "id",     "ts",    "type",       "workload", "task",   "actor",
    "source",    "credential", "previous", "grant_id", "permission", "permissions",
    "scope",     "expires_at", "decision", "delegate", "status",     "authority",
    "attrs",     "v",          "origin",
};

/* Runs for every key of every event: a handful of compares at most. */
/* A key name's first 8 bytes as a little-endian word (zero padded). */
static uint64_t key_word(const char *s, size_t len)
{
    uint64_t w = 0;
    for (size_t i = 0; i < len && i < 8; i++)
        w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    return w;
}

static uint64_t words[K__COUNT];
static unsigned char by_len[12][6]; /* key ids of each length, 0-terminated */
static pthread_once_t key_words_once = PTHREAD_ONCE_INIT;

static void key_words_init(void)
{
    for (int k = 1; k < K__COUNT; k++) {
        size_t len = strlen(key_names[k]);
        words[k] = key_word(key_names[k], len);
        unsigned char *slot = by_len[len];
        while (*slot)
            slot++;
        *slot = (unsigned char)k;
    }
}

static enum key_id key_lookup(const char *s, size_t len, bool stored)
{
    /* Runs for every key of every event: one word compare per candidate of
     * that length (a memcmp call per key was 4% of 'findings'). */
    pthread_once(&key_words_once, key_words_init);
    if (len > 11 || len == 0)
        return K_UNKNOWN;
    uint64_t w = key_word(s, len);
    int last = stored ? K_ORIGIN : K_ATTRS;
    for (const unsigned char *k = by_len[len]; *k; k++)
        if (words[*k] == w && *k <= last &&
            (len <= 8 || memcmp(key_names[*k] + 8, s + 8, len - 8) == 0))
            return (enum key_id)*k;
    return K_UNKNOWN;
}

struct vctx {
    bool stored;     /* stored form: integer times are microseconds */
    bool check_utf8; /* msgpack input: strings not yet checked */
    struct gl_error *err;
};

static int invalid(struct vctx *v, const char *path, const char *fmt, const char *arg)
{
    char why[256];
    snprintf(why, sizeof why, fmt, arg);
    return gl_error_set(v->err, GL_ERR_INVALID, 0, "%s: %s", path, why);
}

static int get_str(struct vctx *v, const msgpack_object *o, const char *path, size_t max,
                   struct gl_str *out)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return invalid(v, path, "must be a string%s", "");
    if (o->via.str.size == 0)
        return invalid(v, path, "must not be empty%s", "");
    /* Limits are the input contract; a stored string may have grown past
     * them when redaction replaced a short secret with a longer marker. */
    if (o->via.str.size > max && !v->stored) {
        char lim[32];
        snprintf(lim, sizeof lim, "%zu", max);
        return invalid(v, path, "longer than %s bytes", lim);
    }
    if (v->check_utf8 && !gl_utf8_valid(o->via.str.ptr, o->via.str.size))
        return invalid(v, path, "invalid UTF-8%s", "");
    /* names are index keys, where NUL separates the name from the time; the
     * stored form was checked on the way in (and the chain guards it) */
    if (!v->stored && memchr(o->via.str.ptr, 0, o->via.str.size))
        return invalid(v, path, "must not contain NUL characters%s", "");
    out->ptr = o->via.str.ptr;
    out->len = o->via.str.size;
    return GL_OK;
}

static int get_time(struct vctx *v, const msgpack_object *o, const char *path, int64_t *out)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER || o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        int64_t n = o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int64_t)o->via.u64 : o->via.i64;
        if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 > INT64_MAX)
            return invalid(v, path, "integer time out of range%s", "");
        if (v->stored) {
            *out = n;
            return GL_OK;
        }
        /* epoch milliseconds, 1970-01-01 up to 9999-12-31 like the JSON schema */
        if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER || n > 253402300799999LL)
            return invalid(v, path, "epoch milliseconds out of range (0..253402300799999)%s",
                           "");
        *out = n * 1000;
        return GL_OK;
    }
    if (o->type != MSGPACK_OBJECT_STR)
        return invalid(v, path, "must be an RFC 3339 string or integer epoch milliseconds%s", "");
    const char *why = NULL;
    if (gl_tstamp_parse(o->via.str.ptr, o->via.str.size, out, &why))
        return invalid(v, path, "%s", why);
    return GL_OK;
}

static int get_enum(struct vctx *v, const msgpack_object *o, const char *path,
                    const char *const *names, int n, int *out)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return invalid(v, path, "must be a string%s", "");
    for (int i = 0; i < n; i++) {
        if (strlen(names[i]) == o->via.str.size &&
            memcmp(names[i], o->via.str.ptr, o->via.str.size) == 0) {
            *out = i;
            return GL_OK;
        }
    }
    /* Quote short values to help; a long one is no enum value and may be a
     * token pasted into the wrong field, so it is never echoed, even cut. */
    char val[64];
    if (o->via.str.size > 24) {
        snprintf(val, sizeof val, "(%zu bytes, not shown)", (size_t)o->via.str.size);
        return invalid(v, path, "unknown value %s", val);
    }
    size_t cut = o->via.str.size;
    snprintf(val, sizeof val, "'%.*s'", (int)cut, o->via.str.ptr);
    for (size_t i = 1; i < cut + 1; i++)
        if ((unsigned char)val[i] < 0x20 || (unsigned char)val[i] >= 0x7f)
            val[i] = '?';
    return invalid(v, path, "unknown value %s", val);
}

static bool is_nil(const msgpack_object *o)
{
    return o->type == MSGPACK_OBJECT_NIL;
}

/* A field's path, only needed for a reason: not formatted when validating
 * quietly (v->err NULL), which is how every permission is checked first. */
static void sub_path(const struct vctx *v, char *out, size_t n, const char *path,
                     const char *suffix)
{
    if (v->err)
        snprintf(out, n, "%s%s", path, suffix);
    else
        out[0] = '\0';
}

/* get_str for the field path+suffix, the path formatted only for a reason
 * (a printf per permission field was 2% of the collector's reader). */
static int get_str_at(struct vctx *v, const msgpack_object *o, const char *path, const char *suffix,
                      size_t max, struct gl_str *out)
{
    struct vctx quiet = *v;
    quiet.err = NULL;
    int rc = get_str(&quiet, o, "", max, out);
    if (rc == GL_OK || !v->err)
        return rc;
    char sub[96];
    sub_path(v, sub, sizeof sub, path, suffix);
    return get_str(v, o, sub, max, out);
}

static int get_perm(struct vctx *v, const msgpack_object *o, const char *path, struct gl_perm *p)
{
    char sub[96];
    if (o->type != MSGPACK_OBJECT_MAP)
        return invalid(v, path, "must be an object {action, resource?}%s", "");
    memset(p, 0, sizeof *p);
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key;
        const msgpack_object *val = &o->via.map.ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR)
            return invalid(v, path, "non-string key%s", "");
        if (is_nil(val))
            continue;
        if (k->via.str.size == 6 && memcmp(k->via.str.ptr, "action", 6) == 0) {
            if (p->action.ptr) {
                sub_path(v, sub, sizeof sub, path, ".action");
                return invalid(v, sub, "duplicate key%s", "");
            }
            int rc = get_str_at(v, val, path, ".action", GL_EVENT_NAME_MAX, &p->action);
            if (rc)
                return rc;
        } else if (k->via.str.size == 8 && memcmp(k->via.str.ptr, "resource", 8) == 0) {
            if (p->resource.ptr) {
                sub_path(v, sub, sizeof sub, path, ".resource");
                return invalid(v, sub, "duplicate key%s", "");
            }
            if (val->type == MSGPACK_OBJECT_STR && val->via.str.size == 0) {
                p->resource.ptr = val->via.str.ptr; /* "" is a valid resource */
                p->resource.len = 0;
                continue;
            }
            int rc = get_str_at(v, val, path, ".resource", GL_EVENT_RESOURCE_MAX, &p->resource);
            if (rc)
                return rc;
        } else {
            /* a long unknown key is never echoed, not even cut: it may be a token */
            if (k->via.str.size > 24)
                return invalid(v, path, "unknown key of %s bytes (expected action, resource)",
                               "more than 24");
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)k->via.str.size, k->via.str.ptr);
            snprintf(sub, sizeof sub, "%s.%s", path, key);
            return invalid(v, sub, "unknown key (expected action, resource)%s", "");
        }
    }
    if (!p->action.ptr) {
        snprintf(sub, sizeof sub, "%s.action", path);
        return invalid(v, sub, "missing%s", "");
    }
    return GL_OK;
}

static int get_credential(struct vctx *v, const msgpack_object *o, struct gl_event *ev)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return invalid(v, "credential", "must be an object {id, kind?, expires_at?}%s", "");
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key;
        const msgpack_object *val = &o->via.map.ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR)
            return invalid(v, "credential", "non-string key%s", "");
        if (is_nil(val))
            continue;
        int rc;
        const char *ks = k->via.str.ptr;
        size_t kl = k->via.str.size;
        if (kl == 2 && memcmp(ks, "id", 2) == 0) {
            if (ev->cred_id.ptr)
                return invalid(v, "credential.id", "duplicate key%s", "");
            rc = get_str(v, val, "credential.id", GL_EVENT_NAME_MAX, &ev->cred_id);
        } else if (kl == 4 && memcmp(ks, "kind", 4) == 0) {
            if (ev->cred_kind.ptr)
                return invalid(v, "credential.kind", "duplicate key%s", "");
            int kind;
            rc = get_enum(v, val, "credential.kind", cred_kinds, 8, &kind);
            if (!rc) {
                ev->cred_kind.ptr = val->via.str.ptr;
                ev->cred_kind.len = val->via.str.size;
            }
        } else if (kl == 10 && memcmp(ks, "expires_at", 10) == 0) {
            if (ev->has_cred_expires)
                return invalid(v, "credential.expires_at", "duplicate key%s", "");
            rc = get_time(v, val, "credential.expires_at", &ev->cred_expires);
            ev->has_cred_expires = rc == GL_OK;
        } else {
            if (kl > 24)
                return invalid(v, "credential",
                               "unknown key of %s bytes (expected id, kind, expires_at)",
                               "more than 24");
            char path[64];
            snprintf(path, sizeof path, "credential.%.*s", (int)kl, ks);
            return invalid(v, path, "unknown key (expected id, kind, expires_at)%s", "");
        }
        if (rc)
            return rc;
    }
    if (!ev->cred_id.ptr)
        return invalid(v, "credential.id", "missing%s", "");
    return GL_OK;
}

/* msgpack input: attrs and unknown keys must be JSON-representable. */
static int check_free_form(struct vctx *v, const msgpack_object *o, const char *path, int depth)
{
    if (depth > GL_EVENT_MAX_DEPTH)
        return invalid(v, path, "nesting deeper than 32 levels%s", "");
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        if (!gl_utf8_valid(o->via.str.ptr, o->via.str.size))
            return invalid(v, path, "invalid UTF-8%s", "");
        return GL_OK;
    case MSGPACK_OBJECT_ARRAY:
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            int rc = check_free_form(v, &o->via.array.ptr[i], path, depth + 1);
            if (rc)
                return rc;
        }
        return GL_OK;
    case MSGPACK_OBJECT_MAP:
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            if (k->type != MSGPACK_OBJECT_STR)
                return invalid(v, path, "map keys must be strings%s", "");
            int rc = check_free_form(v, k, path, depth + 1);
            if (!rc)
                rc = check_free_form(v, &o->via.map.ptr[i].val, path, depth + 1);
            if (rc)
                return rc;
        }
        return GL_OK;
    case MSGPACK_OBJECT_BIN:
    case MSGPACK_OBJECT_EXT:
        return invalid(v, path, "binary and ext values are not allowed%s", "");
    default:
        return GL_OK;
    }
}

static int reserve_perms(struct gl_decoder *d, size_t n)
{
    if (n <= d->perms_cap)
        return GL_OK;
    size_t cap = n < 16 ? 16 : n * 2;
    struct gl_perm *p = realloc(d->perms, cap * sizeof *p);
    if (!p)
        return GL_ERR_NOMEM;
    d->perms = p;
    d->perms_cap = cap;
    return GL_OK;
}

static int get_perm_array(struct vctx *v, const msgpack_object *o, const char *name,
                          struct gl_perm *out)
{
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        /* the indexed path is only needed for a reason: validate quietly first */
        struct vctx quiet = *v;
        quiet.err = NULL;
        if (get_perm(&quiet, &o->via.array.ptr[i], name, &out[i]) == GL_OK)
            continue;
        char path[64];
        snprintf(path, sizeof path, "%s[%u]", name, i);
        return get_perm(v, &o->via.array.ptr[i], path, &out[i]);
    }
    return GL_OK;
}

/* Required fields, common then per type (shared by both decoders). */
static int check_required(struct vctx *v, struct gl_event *ev, int type, bool has_ts,
                          bool has_po, bool has_pso)
{
    if (!ev->id.ptr)
        return invalid(v, "id", "missing%s", "");
    if (!has_ts)
        return invalid(v, "ts", "missing%s", "");
    if (type < 0)
        return invalid(v, "type", "missing%s", "");
    ev->type = (enum gl_event_type)type;
    if (!ev->workload.ptr)
        return invalid(v, "workload", "missing%s", "");
    const char *tn = type_names[type];
    switch (ev->type) {
    case GL_EV_IDENTITY_ISSUED:
    case GL_EV_IDENTITY_AUTHENTICATED:
    case GL_EV_CREDENTIAL_REVOKED:
    case GL_EV_CREDENTIAL_EXPOSED:
        if (!ev->cred_id.ptr)
            return invalid(v, "credential", "required for %s", tn);
        break;
    case GL_EV_CREDENTIAL_ROTATED:
        if (!ev->cred_id.ptr)
            return invalid(v, "credential", "required for %s", tn);
        if (!ev->previous.ptr)
            return invalid(v, "previous", "required for %s", tn);
        break;
    case GL_EV_ACCESS_GRANTED:
        if (ev->n_perms == 0)
            return invalid(v, "permission", "permission or permissions required for %s", tn);
        break;
    case GL_EV_ACCESS_REVOKED:
        if (ev->n_perms == 0 && !ev->grant_id.ptr)
            return invalid(v, "grant_id", "grant_id, permission or permissions required for %s",
                           tn);
        break;
    case GL_EV_TASK_STARTED:
    case GL_EV_TASK_COMPLETED:
        if (!ev->task.ptr)
            return invalid(v, "task", "required for %s", tn);
        break;
    case GL_EV_ACTION_PERFORMED:
        if (!has_po)
            return invalid(v, "permission", "required for %s", tn);
        if (has_pso)
            return invalid(v, "permissions", "not allowed on %s (one action, one permission)", tn);
        if (ev->decision == GL_DECISION_NONE)
            return invalid(v, "decision", "required for %s", tn);
        break;
    case GL_EV_AGENT_DELEGATED:
        if (!ev->delegate.ptr)
            return invalid(v, "delegate", "required for %s", tn);
        if (!has_pso)
            return invalid(v, "permissions", "required for %s", tn);
        break;
    default:
        break;
    }
    return GL_OK;
}

static int decode_map(struct gl_decoder *d, const msgpack_object *root, struct vctx *v,
                      struct gl_event *ev)
{
    memset(ev, 0, sizeof *ev);
    if (root->type != MSGPACK_OBJECT_MAP)
        return gl_error_set(v->err, GL_ERR_INVALID, 0, "not a map/object");
    ev->src_map = root;
    ev->from_store = v->stored;
    const msgpack_object *seen[K__COUNT] = {0};
    int type = -1;
    int rc = GL_OK;
    for (uint32_t i = 0; i < root->via.map.size; i++) {
        const msgpack_object *k = &root->via.map.ptr[i].key;
        const msgpack_object *val = &root->via.map.ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR)
            return gl_error_set(v->err, GL_ERR_INVALID, 0, "top-level keys must be strings");
        if (v->check_utf8 && !gl_utf8_valid(k->via.str.ptr, k->via.str.size))
            return gl_error_set(v->err, GL_ERR_INVALID, 0, "key: invalid UTF-8");
        enum key_id kid = key_lookup(k->via.str.ptr, k->via.str.size, v->stored);
        if (kid == K_UNKNOWN) {
            ev->n_src_unknown += !is_nil(val);
            if (v->check_utf8) {
                rc = check_free_form(v, val, "attrs", 1);
                if (rc)
                    return rc;
            }
            continue;
        }
        if (seen[kid])
            return invalid(v, key_names[kid], "duplicate key%s", "");
        seen[kid] = val;
        if (is_nil(val))
            continue;
        switch (kid) {
        case K_ID:
            rc = get_str(v, val, "id", GL_EVENT_ID_MAX, &ev->id);
            break;
        case K_TS:
            rc = get_time(v, val, "ts", &ev->ts);
            break;
        case K_TYPE:
            rc = get_enum(v, val, "type", type_names, GL_EV__COUNT, &type);
            break;
        case K_WORKLOAD:
            rc = get_str(v, val, "workload", GL_EVENT_WORKLOAD_MAX, &ev->workload);
            break;
        case K_TASK:
            rc = get_str(v, val, "task", GL_EVENT_NAME_MAX, &ev->task);
            break;
        case K_ACTOR:
            rc = get_str(v, val, "actor", GL_EVENT_NAME_MAX, &ev->actor);
            break;
        case K_SOURCE:
            rc = get_str(v, val, "source", GL_EVENT_NAME_MAX, &ev->source);
            break;
        case K_AUTHORITY:
            rc = get_str(v, val, "authority", GL_EVENT_NAME_MAX, &ev->authority);
            break;
        case K_CREDENTIAL:
            rc = get_credential(v, val, ev);
            break;
        case K_PREVIOUS:
            rc = get_str(v, val, "previous", GL_EVENT_NAME_MAX, &ev->previous);
            break;
        case K_GRANT_ID:
            rc = get_str(v, val, "grant_id", GL_EVENT_NAME_MAX, &ev->grant_id);
            break;
        case K_DELEGATE:
            rc = get_str(v, val, "delegate", GL_EVENT_WORKLOAD_MAX, &ev->delegate);
            break;
        case K_EXPIRES_AT:
            rc = get_time(v, val, "expires_at", &ev->expires);
            ev->has_expires = rc == GL_OK;
            break;
        case K_DECISION: {
            static const char *const names[] = {"allow", "deny"};
            int dv = 0;
            rc = get_enum(v, val, "decision", names, 2, &dv);
            if (rc == GL_OK)
                ev->decision = dv == 0 ? GL_DECISION_ALLOW : GL_DECISION_DENY;
            break;
        }
        case K_STATUS: {
            static const char *const names[] = {"succeeded", "failed", "cancelled"};
            int sv = 0;
            rc = get_enum(v, val, "status", names, 3, &sv);
            if (rc == GL_OK)
                ev->status = (enum gl_status)(sv + 1);
            break;
        }
        case K_PERMISSIONS:
        case K_SCOPE:
            if (val->type != MSGPACK_OBJECT_ARRAY)
                rc = invalid(v, key_names[kid], "must be an array of {action, resource?}%s", "");
            else if (kid == K_PERMISSIONS && val->via.array.size == 0)
                rc = invalid(v, key_names[kid], "must not be empty%s", "");
            break;
        case K_ATTRS:
            ev->src_attrs = val;
            if (v->check_utf8)
                rc = check_free_form(v, val, "attrs", 1);
            break;
        case K_V:
            if (val->type != MSGPACK_OBJECT_POSITIVE_INTEGER || val->via.u64 != 1)
                rc = invalid(v, "v", "unsupported stored format version%s", "");
            break;
        case K_ORIGIN:
            rc = get_str(v, val, "origin", 4096, &ev->origin);
            break;
        default:
            break;
        }
        if (rc)
            return rc;
    }

    /* permission(s) and scope, now that the counts are known */
    const msgpack_object *po = seen[K_PERMISSION], *pso = seen[K_PERMISSIONS],
                         *so = seen[K_SCOPE];
    size_t np = (po && !is_nil(po)) + (pso && !is_nil(pso) ? pso->via.array.size : 0);
    size_t ns = so && !is_nil(so) ? so->via.array.size : 0;
    /* at least one slot: &d->perms[at] of a decoder that never held a
     * permission would offset a null pointer ("scope": [] alone) */
    if (reserve_perms(d, np + ns ? np + ns : 1))
        return gl_error_set(v->err, GL_ERR_NOMEM, 0, "out of memory");
    size_t at = 0;
    if (po && !is_nil(po)) {
        rc = get_perm(v, po, "permission", &d->perms[at++]);
        if (rc)
            return rc;
    }
    if (pso && !is_nil(pso)) {
        rc = get_perm_array(v, pso, "permissions", &d->perms[at]);
        if (rc)
            return rc;
        at += pso->via.array.size;
    }
    ev->perms = d->perms;
    ev->n_perms = np;
    if (so && !is_nil(so)) {
        rc = get_perm_array(v, so, "scope", &d->perms[at]);
        if (rc)
            return rc;
        ev->scope = &d->perms[at];
        ev->n_scope = ns;
        ev->has_scope = true;
    }

    return check_required(v, ev, type, seen[K_TS] && !is_nil(seen[K_TS]), po && !is_nil(po),
                          pso && !is_nil(pso));
}

static uint64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Walks a msgpack value without building it, before msgpack-c does: its
 * unpacker allocates a container's element array from the declared count,
 * so a 10-byte message claiming 2^32 elements would ask for 100 GB. Every
 * element takes at least one byte, so a count beyond the bytes left is a
 * lie. Also bounds the nesting. Returns 0 or a static reason. */
static const char *mp_precheck(const unsigned char *p, size_t len)
{
    uint64_t stack[GL_EVENT_MAX_DEPTH + 2];
    int depth = 0;
    uint64_t todo = 1;
    size_t at = 0;
    for (;;) {
        if (todo == 0) {
            if (depth == 0)
                return NULL;
            todo = stack[--depth];
            continue;
        }
        if (at >= len)
            return "truncated";
        todo--;
        unsigned c = p[at];
        size_t hdr = 1, payload = 0;
        uint64_t elems = 0;
        bool container = false;
        if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
        } else if (c >= 0x80 && c <= 0x8f) {
            container = true, elems = 2 * (uint64_t)(c & 0x0f);
        } else if (c >= 0x90 && c <= 0x9f) {
            container = true, elems = c & 0x0f;
        } else if (c >= 0xa0 && c <= 0xbf) {
            payload = c & 0x1f;
        } else {
            static const unsigned char fixed[] = {
                [0xca - 0xc4] = 4, [0xcb - 0xc4] = 8, [0xcc - 0xc4] = 1, [0xcd - 0xc4] = 2,
                [0xce - 0xc4] = 4, [0xcf - 0xc4] = 8, [0xd0 - 0xc4] = 1, [0xd1 - 0xc4] = 2,
                [0xd2 - 0xc4] = 4, [0xd3 - 0xc4] = 8, [0xd4 - 0xc4] = 2, [0xd5 - 0xc4] = 3,
                [0xd6 - 0xc4] = 5, [0xd7 - 0xc4] = 9, [0xd8 - 0xc4] = 17};
            int lenbytes = 0, extra = 0;
            switch (c) {
            case 0xc4: case 0xd9: lenbytes = 1; break;
            case 0xc5: case 0xda: lenbytes = 2; break;
            case 0xc6: case 0xdb: lenbytes = 4; break;
            case 0xc7: lenbytes = 1, extra = 1; break;
            case 0xc8: lenbytes = 2, extra = 1; break;
            case 0xc9: lenbytes = 4, extra = 1; break;
            case 0xdc: case 0xde: lenbytes = 2, container = true; break;
            case 0xdd: case 0xdf: lenbytes = 4, container = true; break;
            case 0xc1: return "invalid type byte 0xc1";
            default: payload = fixed[c - 0xc4]; break;
            }
            if (lenbytes) {
                if (len - at < 1 + (size_t)lenbytes)
                    return "truncated";
                uint64_t n = be(p + at + 1, lenbytes);
                hdr = 1 + (size_t)lenbytes + (size_t)extra;
                if (container)
                    elems = (c == 0xde || c == 0xdf) ? 2 * n : n;
                else
                    payload = n;
            }
        }
        if (len - at < hdr || len - at - hdr < payload)
            return "truncated";
        at += hdr + payload;
        if (container) {
            if (elems > len - at)
                return "a container declares more elements than the message has bytes";
            if (depth > GL_EVENT_MAX_DEPTH)
                return "nested deeper than 32 levels";
            stack[depth++] = todo;
            todo = elems;
        }
    }
}

static int unpack(struct gl_decoder *d, const char *buf, size_t len, msgpack_object *root,
                  struct gl_error *err)
{
    const char *why = mp_precheck((const unsigned char *)buf, len);
    if (why)
        return gl_error_set(err, GL_ERR_INVALID, 0, "invalid msgpack: %s", why);
    msgpack_zone_clear(&d->zone);
    size_t off = 0;
    msgpack_unpack_return ur = msgpack_unpack(buf, len, &off, &d->zone, root);
    if (ur == MSGPACK_UNPACK_NOMEM_ERROR) /* also what msgpack-c says when its stack overflows */
        return gl_error_set(err, GL_ERR_INVALID, 0,
                            "invalid msgpack: nested deeper than 32 levels (or out of memory)");
    if (ur == MSGPACK_UNPACK_CONTINUE)
        return gl_error_set(err, GL_ERR_INVALID, 0, "invalid msgpack: truncated");
    if (ur != MSGPACK_UNPACK_SUCCESS && ur != MSGPACK_UNPACK_EXTRA_BYTES)
        return gl_error_set(err, GL_ERR_INVALID, 0,
                            "invalid msgpack: malformed or nested deeper than 32 levels");
    if (off != len)
        return gl_error_set(err, GL_ERR_INVALID, 0, "invalid msgpack: %zu trailing bytes",
                            len - off);
    return GL_OK;
}

/* Whether the map's "type" names one of our event types. */
static bool has_canonical_type(const msgpack_object *m)
{
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        const msgpack_object *k = &m->via.map.ptr[i].key, *v = &m->via.map.ptr[i].val;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 4 &&
            memcmp(k->via.str.ptr, "type", 4) == 0)
            return v->type == MSGPACK_OBJECT_STR &&
                   gl_event_type_parse(v->via.str.ptr, v->via.str.size) >= 0;
    }
    return false;
}

static bool is_msgpack_map_byte(unsigned char c)
{
    return (c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf;
}

/* Appends 'suffix' to the "id" of a mapped event (a map built in the zone):
 * the id of a record's further event ("continue": ":call"). */
static int add_id_suffix(msgpack_zone *zone, msgpack_object *o, const char *suffix)
{
    for (uint32_t i = 0; o->type == MSGPACK_OBJECT_MAP && i < o->via.map.size; i++) {
        msgpack_object_kv *kv = &o->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR || kv->key.via.str.size != 2 ||
            memcmp(kv->key.via.str.ptr, "id", 2) || kv->val.type != MSGPACK_OBJECT_STR)
            continue;
        size_t a = kv->val.via.str.size, b = strlen(suffix);
        char *t = msgpack_zone_malloc(zone, a + b + 1);
        if (!t)
            return GL_ERR_NOMEM;
        memcpy(t, kv->val.via.str.ptr, a);
        memcpy(t + a, suffix, b + 1);
        kv->val.via.str.ptr = t;
        kv->val.via.str.size = (uint32_t)(a + b);
    }
    return GL_OK;
}

/* The events of a mapped record: 'first' (from gl_mappings_apply, its rule
 * in d->mapped), then those of the rules that continue. All are validated
 * now, so a record is taken whole or refused whole; a revocation goes after
 * the record's other events (a key deleted with itself is used, then
 * retired); two events of one id are a mapping's fault. Decoding reuses
 * the decoder's arrays: the first event is decoded last into 'ev', the
 * others again on demand (gl_decoder_decode_more). */
static int map_record(struct gl_decoder *d, const msgpack_object *keep, msgpack_object *first,
                      struct vctx *v, struct gl_event *ev, struct gl_error *err)
{
    msgpack_object *objs[GL_DECODER_MORE + 1];
    const struct gl_mapping_rule *rules[GL_DECODER_MORE + 1];
    bool last[GL_DECODER_MORE + 1];
    struct gl_str ids[GL_DECODER_MORE + 1];
    size_t n = 0;
    objs[n] = first;
    rules[n++] = d->mapped;
    for (const struct gl_mapping_rule *r = d->mapped; gl_mapping_rule_continues(r);) {
        msgpack_object *o = msgpack_zone_malloc(&d->zone, sizeof *o);
        if (!o)
            return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
        const struct gl_mapping_rule *next = NULL;
        struct gl_error merr = {0};
        enum gl_mapping_result res =
            gl_mappings_apply_next(d->maps, r, keep, &d->zone, o, &next, &merr);
        if (res == GL_MAPPING_NONE)
            break;
        if (res == GL_MAPPING_REFUSED) {
            if (err)
                *err = merr;
            return merr.code ? merr.code : GL_ERR_INVALID;
        }
        if (n == GL_DECODER_MORE + 1)
            return gl_error_set(err, GL_ERR_INVALID, 0,
                                "%s: a record gives at most %d events (its rules continue "
                                "further)",
                                gl_mapping_rule_label(next), GL_DECODER_MORE + 1);
        const char *suffix = gl_mapping_rule_continue_suffix(r);
        if (suffix && add_id_suffix(&d->zone, o, suffix))
            return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
        objs[n] = o;
        rules[n++] = next;
        r = next;
    }
    for (size_t i = 0; i < n; i++) {
        struct gl_event e;
        d->mapped = rules[i];
        int rc = decode_map(d, objs[i], v, &e);
        if (rc) {
            gl_error_prefix(err, "%s", gl_mapping_rule_label(rules[i]));
            return rc;
        }
        last[i] = e.type == GL_EV_CREDENTIAL_REVOKED || e.type == GL_EV_ACCESS_REVOKED;
        ids[i] = e.id; /* a view into the record's map, in the zone */
        for (size_t j = 0; j < i; j++)
            if (ids[j].len == e.id.len && memcmp(ids[j].ptr, e.id.ptr, e.id.len) == 0)
                return gl_error_set(err, GL_ERR_INVALID, 0,
                                    "%s: gives the id %.*s of an event of the same record "
                                    "(each needs its own)",
                                    gl_mapping_rule_label(rules[i]),
                                    (int)(e.id.len < 80 ? e.id.len : 80), e.id.ptr);
    }
    d->n_more = 0;
    d->record_id = ids[0];
    size_t at = 0;
    msgpack_object *order[GL_DECODER_MORE + 1];
    const struct gl_mapping_rule *order_rules[GL_DECODER_MORE + 1];
    for (int pass = 0; pass < 2; pass++) /* revocations last, else in rule order */
        for (size_t i = 0; i < n; i++)
            if (last[i] == (pass == 1)) {
                order[at] = objs[i];
                order_rules[at++] = rules[i];
            }
    for (size_t i = 1; i < n; i++) {
        d->more[d->n_more] = order[i];
        d->more_rule[d->n_more++] = order_rules[i];
    }
    d->more_utf8 = v->check_utf8;
    d->mapped = order_rules[0];
    int rc = decode_map(d, order[0], v, ev);
    if (rc) { /* validated above: cannot happen */
        gl_error_prefix(err, "%s", gl_mapping_rule_label(d->mapped));
        return rc;
    }
    size_t ns = gl_mappings_secrets(d->maps, keep, d->secrets, GL_DECODER_SECRETS);
    if (ns > GL_DECODER_SECRETS) /* the quarantine hides it whole */
        return gl_error_set(err, GL_ERR_INVALID, 0,
                            "%s: more than %d values to redact whole (a record that repeats "
                            "keys)",
                            gl_mapping_rule_label(d->mapped), GL_DECODER_SECRETS);
    d->n_secrets = ns;
    ev->n_secret_vals = ns;
    ev->secret_vals = (const void *const *)d->secrets;
    return GL_OK;
}

int gl_decoder_decode(struct gl_decoder *d, const void *buf, size_t len, struct gl_event *ev,
                      struct gl_error *err)
{
    const unsigned char *p = buf;
    d->n_more = 0; /* the views of a record before are gone with this one */
    d->mapped = NULL;
    d->record_id = (struct gl_str){NULL, 0};
    size_t ws = 0;
    while (ws < len && (p[ws] == ' ' || p[ws] == '\t' || p[ws] == '\r' || p[ws] == '\n'))
        ws++;
    if (ws == len)
        return gl_error_set(err, GL_ERR_INVALID, 0, "empty message");
    struct vctx v = {.stored = false, .check_utf8 = false, .err = err};
    msgpack_object root;
    int rc;
    if (is_msgpack_map_byte(p[0])) {
        v.check_utf8 = true;
        rc = unpack(d, buf, len, &root, err);
    } else {
        rc = json_to_tree(d, p, len, err);
        root = d->root;
    }
    if (rc)
        return rc;
    /* the unpacked tree lives in the zone; keep it reachable from ev */
    msgpack_object *keep = msgpack_zone_malloc(&d->zone, sizeof *keep);
    if (!keep)
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    *keep = root;
    d->mapped = NULL;
    d->n_more = 0;
    rc = decode_map(d, keep, &v, ev);
    /* A refused record whose type is none of ours (or absent) may be
     * another format's: tried only then, so canonical events pay nothing,
     * and a canonical event keeps its own reason. The mapped event points
     * into the record, which stays in the zone. */
    if (rc != GL_ERR_INVALID || !d->maps || root.type != MSGPACK_OBJECT_MAP ||
        has_canonical_type(&root))
        return rc;
    msgpack_object *mapped = msgpack_zone_malloc(&d->zone, sizeof *mapped);
    if (!mapped)
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    struct gl_error merr = {0};
    const msgpack_object *record = keep; /* the record inside an envelope */
    switch (gl_mappings_apply(d->maps, keep, &d->zone, mapped, &d->mapped, &record, &merr)) {
    case GL_MAPPING_NONE:
        return rc; /* the canonical reason stands */
    case GL_MAPPING_REFUSED:
        if (err)
            *err = merr;
        return merr.code ? merr.code : GL_ERR_INVALID;
    case GL_MAPPING_DONE:
        break;
    }
    rc = map_record(d, record, mapped, &v, ev, err);
    if (rc) {
        d->n_more = 0;
        d->mapped = NULL;
    }
    return rc;
}

size_t gl_decoder_more(const struct gl_decoder *d)
{
    return d->n_more;
}

struct gl_str gl_decoder_record_id(const struct gl_decoder *d)
{
    return d->record_id;
}

int gl_decoder_decode_more(struct gl_decoder *d, size_t i, struct gl_event *ev,
                           struct gl_error *err)
{
    if (i >= d->n_more)
        return gl_error_set(err, GL_ERR_INVALID, 0, "no event %zu beside the first", i + 1);
    struct vctx v = {.stored = false, .check_utf8 = d->more_utf8, .err = err};
    d->mapped = d->more_rule[i];
    int rc = decode_map(d, d->more[i], &v, ev);
    if (rc)
        return rc;
    ev->n_secret_vals = d->n_secrets;
    ev->secret_vals = (const void *const *)d->secrets;
    return GL_OK;
}

void gl_decoder_set_mappings(struct gl_decoder *d, const struct gl_mappings *maps)
{
    d->maps = maps;
}

const struct gl_mapping_rule *gl_decoder_mapped(const struct gl_decoder *d)
{
    return d->mapped;
}

int gl_decoder_decode_stored(struct gl_decoder *d, const void *buf, size_t len,
                             struct gl_event *ev, struct gl_error *err)
{
    struct vctx v = {.stored = true, .check_utf8 = false, .err = err};
    msgpack_object root;
    int rc = unpack(d, buf, len, &root, err);
    if (rc)
        return rc;
    msgpack_object *keep = msgpack_zone_malloc(&d->zone, sizeof *keep);
    if (!keep)
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    *keep = root;
    return decode_map(d, keep, &v, ev);
}

/* --- reading a stored record in place (the analyzer's hot path) --- */

/* A cursor over msgpack bytes: each value's header becomes a msgpack_object
 * (strings and scalars complete, containers with their count only), so the
 * field checks above apply unchanged and nothing is allocated per record. */
struct mpc {
    const unsigned char *p;
    size_t len, at;
};

static const char *mpc_next(struct mpc *c, msgpack_object *o)
{
    if (c->at >= c->len)
        return "truncated";
    const unsigned char *p = c->p + c->at;
    size_t left = c->len - c->at;
    unsigned b = p[0];
    size_t hdr = 1, payload = 0;
    if (b >= 0xa0 && b <= 0xbf) { /* fixstr: most of a record */
        payload = b & 0x1f;
        if (left - 1 < payload)
            return "truncated";
        o->type = MSGPACK_OBJECT_STR;
        o->via.str.ptr = (const char *)p + 1;
        o->via.str.size = (uint32_t)payload;
        c->at += 1 + payload;
        return NULL;
    }
    memset(o, 0, sizeof *o);
    if (b <= 0x7f) {
        o->type = MSGPACK_OBJECT_POSITIVE_INTEGER, o->via.u64 = b;
    } else if (b >= 0xe0) {
        o->type = MSGPACK_OBJECT_NEGATIVE_INTEGER, o->via.i64 = (int8_t)b;
    } else if (b <= 0x8f) {
        o->type = MSGPACK_OBJECT_MAP, o->via.map.size = b & 0x0f;
    } else if (b <= 0x9f) {
        o->type = MSGPACK_OBJECT_ARRAY, o->via.array.size = b & 0x0f;
    } else if (b <= 0xbf) {
        o->type = MSGPACK_OBJECT_STR, payload = b & 0x1f;
    } else {
        int n = 0; /* big-endian length or value bytes after the type byte */
        switch (b) {
        case 0xc0: o->type = MSGPACK_OBJECT_NIL; break;
        case 0xc2: case 0xc3: o->type = MSGPACK_OBJECT_BOOLEAN, o->via.boolean = b == 0xc3; break;
        case 0xcc: case 0xcd: case 0xce: case 0xcf:
            n = 1 << (b - 0xcc), o->type = MSGPACK_OBJECT_POSITIVE_INTEGER; break;
        case 0xd0: case 0xd1: case 0xd2: case 0xd3:
            n = 1 << (b - 0xd0), o->type = MSGPACK_OBJECT_NEGATIVE_INTEGER; break;
        case 0xd9: case 0xda: case 0xdb: n = 1 << (b - 0xd9), o->type = MSGPACK_OBJECT_STR; break;
        case 0xc4: case 0xc5: case 0xc6: n = 1 << (b - 0xc4), o->type = MSGPACK_OBJECT_BIN; break;
        case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: /* fixext: type byte + 2^k */
            payload = 1 + ((size_t)1 << (b - 0xd4)), o->type = MSGPACK_OBJECT_EXT;
            break;
        case 0xc7: case 0xc8: case 0xc9: /* ext 8/16/32: length, then a type byte */
            n = 1 << (b - 0xc7), o->type = MSGPACK_OBJECT_EXT;
            break;
        case 0xdc: case 0xdd: n = 2 << (b - 0xdc), o->type = MSGPACK_OBJECT_ARRAY; break;
        case 0xde: case 0xdf: n = 2 << (b - 0xde), o->type = MSGPACK_OBJECT_MAP; break;
        case 0xca: payload = 4, o->type = MSGPACK_OBJECT_FLOAT32; break;
        case 0xcb: payload = 8, o->type = MSGPACK_OBJECT_FLOAT64; break;
        default: return "invalid type byte 0xc1";
        }
        if (left < 1 + (size_t)n)
            return "truncated";
        uint64_t v = be(p + 1, n);
        hdr = 1 + (size_t)n;
        switch (o->type) {
        case MSGPACK_OBJECT_POSITIVE_INTEGER: o->via.u64 = v; break;
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            /* sign-extend the n-byte value */
            o->via.i64 = n == 8 ? (int64_t)v : (int64_t)(v ^ (1ULL << (8 * n - 1))) -
                                                   (int64_t)(1ULL << (8 * n - 1));
            if (o->via.i64 >= 0)
                o->type = MSGPACK_OBJECT_POSITIVE_INTEGER, o->via.u64 = (uint64_t)o->via.i64;
            break;
        case MSGPACK_OBJECT_STR: case MSGPACK_OBJECT_BIN: payload = v; break;
        case MSGPACK_OBJECT_EXT: payload = n ? v + 1 : payload; break; /* opaque: skipped */
        case MSGPACK_OBJECT_ARRAY: o->via.array.size = (uint32_t)v; break;
        case MSGPACK_OBJECT_MAP: o->via.map.size = (uint32_t)v; break;
        default: break;
        }
    }
    if (left < hdr || left - hdr < payload)
        return "truncated";
    if (o->type == MSGPACK_OBJECT_STR || o->type == MSGPACK_OBJECT_BIN) {
        o->via.str.ptr = (const char *)p + hdr;
        o->via.str.size = (uint32_t)payload;
    }
    c->at += hdr + payload;
    /* every element takes at least a byte: a larger count is a lie */
    uint64_t elems = o->type == MSGPACK_OBJECT_MAP     ? 2 * (uint64_t)o->via.map.size
                     : o->type == MSGPACK_OBJECT_ARRAY ? o->via.array.size
                                                       : 0;
    return elems > c->len - c->at ? "a container declares more elements than the record has bytes"
                                  : NULL;
}

/* Skips the rest of a value whose header mpc_next just read. */
/* 'open' counts the containers around o; like mp_precheck, a container
 * inside more than 32 is refused, even an empty one. */
/* A map entry: its key, then its value. */
static const char *mpc_next_entry(struct mpc *c, msgpack_object *k, msgpack_object *v)
{
    const char *why = mpc_next(c, k);
    return why ? why : mpc_next(c, v);
}

static const char *mpc_skip(struct mpc *c, const msgpack_object *o, int open)
{
    bool container = o->type == MSGPACK_OBJECT_MAP || o->type == MSGPACK_OBJECT_ARRAY;
    if (container && open > GL_EVENT_MAX_DEPTH)
        return "nested deeper than 32 levels";
    uint64_t n = o->type == MSGPACK_OBJECT_MAP     ? 2 * (uint64_t)o->via.map.size
                 : o->type == MSGPACK_OBJECT_ARRAY ? o->via.array.size
                                                   : 0;
    for (uint64_t i = 0; i < n; i++) {
        msgpack_object e;
        const char *why = mpc_next(c, &e);
        if (!why)
            why = mpc_skip(c, &e, open + 1);
        if (why)
            return why;
    }
    return NULL;
}

static int view_perm(struct vctx *v, struct mpc *c, const msgpack_object *m, const char *path,
                     struct gl_perm *p)
{
    if (m->type != MSGPACK_OBJECT_MAP)
        return invalid(v, path, "must be an object {action, resource?}%s", "");
    memset(p, 0, sizeof *p);
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        msgpack_object k, val;
        const char *why = mpc_next(c, &k);
        if (!why)
            why = mpc_next(c, &val);
        if (why)
            return gl_error_set(v->err, GL_ERR_INVALID, 0, "invalid msgpack: %s", why);
        if (k.type == MSGPACK_OBJECT_STR && val.type == MSGPACK_OBJECT_NIL)
            continue; /* like an absent key, as decode_stored reads it */
        if (k.type != MSGPACK_OBJECT_STR || val.type != MSGPACK_OBJECT_STR)
            return invalid(v, path, "must be an object {action, resource?} of strings%s", "");
        bool is_action = k.via.str.size == 6 && memcmp(k.via.str.ptr, "action", 6) == 0;
        bool is_res = k.via.str.size == 8 && memcmp(k.via.str.ptr, "resource", 8) == 0;
        struct gl_str *dst = is_action ? &p->action : is_res ? &p->resource : NULL;
        if (!dst)
            return invalid(v, path, "unknown key (expected action, resource)%s", "");
        if (dst->ptr)
            return invalid(v, path, "duplicate key%s", "");
        if (is_res && val.via.str.size == 0) {
            p->resource.ptr = val.via.str.ptr; /* "" is a valid resource */
            continue;
        }
        int rc = get_str(v, &val, path, GL_EVENT_RESOURCE_MAX, dst);
        if (rc)
            return rc;
    }
    return p->action.ptr ? GL_OK : invalid(v, path, "action missing%s", "");
}

/* Reads one permission or an array of them into d->perms at 'pos', moving
 * the 'total' entries already there from 'pos' on: whatever order the keys
 * come in, the result is permission, permissions, scope (as decode_stored
 * gives them). Returns how many were read in *n. */
static int view_perms(struct gl_decoder *d, struct vctx *v, struct mpc *c,
                      const msgpack_object *o, const char *name, size_t pos, size_t *total,
                      bool single, size_t *n_read)
{
    if (!single && o->type != MSGPACK_OBJECT_ARRAY)
        return invalid(v, name, "must be an array of {action, resource?}%s", "");
    size_t n = single ? 1 : o->via.array.size;
    *n_read = 0;
    if (n == 0) /* an empty scope: nothing to place (and maybe no array yet) */
        return GL_OK;
    if (reserve_perms(d, *total + n))
        return gl_error_set(v->err, GL_ERR_NOMEM, 0, "out of memory");
    memmove(d->perms + pos + n, d->perms + pos, (*total - pos) * sizeof *d->perms);
    for (size_t i = 0; i < n; i++) {
        msgpack_object m = *o;
        if (!single) {
            const char *why = mpc_next(c, &m);
            if (why)
                return gl_error_set(v->err, GL_ERR_INVALID, 0, "invalid msgpack: %s", why);
        }
        int rc = view_perm(v, c, &m, name, &d->perms[pos + i]);
        if (rc)
            return rc;
    }
    *total += n;
    *n_read = n;
    return GL_OK;
}

int gl_decoder_view_stored(struct gl_decoder *d, const void *buf, size_t len,
                           struct gl_event *ev, struct gl_error *err)
{
    struct vctx v = {.stored = true, .check_utf8 = false, .err = err};
    struct mpc c = {buf, len, 0};
    memset(ev, 0, sizeof *ev);
    ev->from_store = true;
    msgpack_object root;
    const char *why = mpc_next(&c, &root);
    if (why)
        return gl_error_set(err, GL_ERR_INVALID, 0, "invalid msgpack: %s", why);
    if (root.type != MSGPACK_OBJECT_MAP)
        return gl_error_set(err, GL_ERR_INVALID, 0, "not a map/object");
    uint32_t seen = 0;
    int type = -1, rc = GL_OK;
    bool has_ts = false, has_po = false, has_pso = false;
    size_t n_perms = 0, n_scope = 0;
    /* permission(s) come before scope in d->perms; the stored form writes
     * them in that order, anything else is refused below */
    for (uint32_t i = 0; i < root.via.map.size && !rc; i++) {
        msgpack_object k, val;
        why = mpc_next_entry(&c, &k, &val);
        if (why)
            return gl_error_set(err, GL_ERR_INVALID, 0, "invalid msgpack: %s", why);
        if (k.type != MSGPACK_OBJECT_STR)
            return gl_error_set(err, GL_ERR_INVALID, 0, "top-level keys must be strings");
        enum key_id kid = key_lookup(k.via.str.ptr, k.via.str.size, true);
        if (kid != K_UNKNOWN) {
            if (seen & 1u << kid)
                return invalid(&v, key_names[kid], "duplicate key%s", "");
            seen |= 1u << kid;
        }
        if (val.type == MSGPACK_OBJECT_NIL)
            continue;
        switch (kid) {
        case K_ID: rc = get_str(&v, &val, "id", GL_EVENT_ID_MAX, &ev->id); break;
        case K_TS: rc = get_time(&v, &val, "ts", &ev->ts), has_ts = !rc; break;
        case K_TYPE: rc = get_enum(&v, &val, "type", type_names, GL_EV__COUNT, &type); break;
        case K_WORKLOAD:
            rc = get_str(&v, &val, "workload", GL_EVENT_WORKLOAD_MAX, &ev->workload);
            break;
        case K_TASK: rc = get_str(&v, &val, "task", GL_EVENT_NAME_MAX, &ev->task); break;
        case K_ACTOR: rc = get_str(&v, &val, "actor", GL_EVENT_NAME_MAX, &ev->actor); break;
        case K_SOURCE: rc = get_str(&v, &val, "source", GL_EVENT_NAME_MAX, &ev->source); break;
        case K_AUTHORITY:
            rc = get_str(&v, &val, "authority", GL_EVENT_NAME_MAX, &ev->authority);
            break;
        case K_PREVIOUS:
            rc = get_str(&v, &val, "previous", GL_EVENT_NAME_MAX, &ev->previous);
            break;
        case K_GRANT_ID:
            rc = get_str(&v, &val, "grant_id", GL_EVENT_NAME_MAX, &ev->grant_id);
            break;
        case K_DELEGATE:
            rc = get_str(&v, &val, "delegate", GL_EVENT_WORKLOAD_MAX, &ev->delegate);
            break;
        case K_ORIGIN: rc = get_str(&v, &val, "origin", 4096, &ev->origin); break;
        case K_EXPIRES_AT:
            rc = get_time(&v, &val, "expires_at", &ev->expires);
            ev->has_expires = !rc;
            break;
        case K_DECISION: {
            static const char *const names[] = {"allow", "deny"};
            int dv = 0;
            rc = get_enum(&v, &val, "decision", names, 2, &dv);
            if (!rc)
                ev->decision = dv == 0 ? GL_DECISION_ALLOW : GL_DECISION_DENY;
            break;
        }
        case K_STATUS: {
            static const char *const names[] = {"succeeded", "failed", "cancelled"};
            int sv = 0;
            rc = get_enum(&v, &val, "status", names, 3, &sv);
            if (!rc)
                ev->status = (enum gl_status)(sv + 1);
            break;
        }
        case K_V:
            if (val.type != MSGPACK_OBJECT_POSITIVE_INTEGER || val.via.u64 != 1)
                rc = invalid(&v, "v", "unsupported stored format version%s", "");
            break;
        case K_CREDENTIAL:
            if (val.type != MSGPACK_OBJECT_MAP)
                return invalid(&v, "credential", "must be an object {id, kind?, expires_at?}%s",
                               "");
            for (uint32_t j = 0; j < val.via.map.size && !rc; j++) {
                msgpack_object ck, cv;
                why = mpc_next_entry(&c, &ck, &cv);
                if (why)
                    return gl_error_set(err, GL_ERR_INVALID, 0, "invalid msgpack: %s", why);
                if (ck.type != MSGPACK_OBJECT_STR)
                    return invalid(&v, "credential", "non-string key%s", "");
                if (cv.type == MSGPACK_OBJECT_NIL)
                    continue; /* like an absent key */
                const char *ks = ck.via.str.ptr;
                size_t kl = ck.via.str.size;
                if (kl == 2 && memcmp(ks, "id", 2) == 0 && !ev->cred_id.ptr) {
                    rc = get_str(&v, &cv, "credential.id", GL_EVENT_NAME_MAX, &ev->cred_id);
                } else if (kl == 4 && memcmp(ks, "kind", 4) == 0 && !ev->cred_kind.ptr) {
                    int kind;
                    rc = get_enum(&v, &cv, "credential.kind", cred_kinds, 8, &kind);
                    if (!rc)
                        ev->cred_kind = (struct gl_str){cv.via.str.ptr, cv.via.str.size};
                } else if (kl == 10 && memcmp(ks, "expires_at", 10) == 0 &&
                           !ev->has_cred_expires) {
                    rc = get_time(&v, &cv, "credential.expires_at", &ev->cred_expires);
                    ev->has_cred_expires = !rc;
                } else {
                    rc = invalid(&v, "credential", "unknown or duplicate key%s", "");
                }
            }
            if (!rc && !ev->cred_id.ptr)
                rc = invalid(&v, "credential.id", "missing%s", "");
            break;
        case K_PERMISSION: { /* first, before permissions and scope */
            size_t total = n_perms + n_scope, got = 0;
            rc = view_perms(d, &v, &c, &val, "permission", 0, &total, true, &got);
            n_perms += got;
            has_po = !rc;
            break;
        }
        case K_PERMISSIONS: {
            if (val.type == MSGPACK_OBJECT_ARRAY && val.via.array.size == 0)
                return invalid(&v, "permissions", "must not be empty%s", "");
            size_t total = n_perms + n_scope, got = 0;
            rc = view_perms(d, &v, &c, &val, "permissions", n_perms, &total, false, &got);
            n_perms += got;
            has_pso = !rc;
            break;
        }
        case K_SCOPE: {
            size_t total = n_perms + n_scope, got = 0;
            rc = view_perms(d, &v, &c, &val, "scope", n_perms, &total, false, &got);
            n_scope = got;
            ev->has_scope = !rc;
            break;
        }
        default: /* attrs and unknown keys: not needed by the analysis */
            why = mpc_skip(&c, &val, 1);
            if (why)
                return gl_error_set(err, GL_ERR_INVALID, 0, "invalid msgpack: %s", why);
            break;
        }
    }
    if (rc)
        return rc;
    if (c.at != c.len)
        return gl_error_set(err, GL_ERR_INVALID, 0, "invalid msgpack: %zu trailing bytes",
                            c.len - c.at);
    ev->perms = n_perms ? d->perms : NULL;
    ev->n_perms = n_perms;
    ev->scope = ev->has_scope ? d->perms + n_perms : NULL;
    ev->n_scope = n_scope;
    return check_required(&v, ev, type, has_ts, has_po, has_pso);
}

/* --- encoding to the stored form --- */

struct enc {
    msgpack_packer pk;
    struct gl_redactor *rd;
    struct gl_redact_hits *hits;
    struct gl_buf scratch;
    struct gl_error *err;
    int rc;
    const void *const *secrets; /* values to redact whole wherever they are met */
    size_t n_secrets;
};

/* Whether 'o' is one of the values a mapping said are secrets (the same
 * object of the same tree: pointers compare). */
static bool forced_secret(const struct enc *e, const msgpack_object *o)
{
    for (size_t i = 0; i < e->n_secrets; i++)
        if (e->secrets[i] == (const void *)o)
            return true;
    return false;
}

/* The rule whose marker a forced secret gets: "key-sensitive" (a value that
 * is a secret by where it sits), else whatever rule takes a password key. */
static int forced_rule(struct gl_redactor *rd)
{
    for (size_t i = 0; i < gl_redactor_rule_count(rd); i++)
        if (strcmp(gl_redactor_rule_name(rd, i), "key-sensitive") == 0)
            return (int)i;
    return gl_redactor_match_key(rd, "password", 8);
}

/* Redaction skips strings shorter than this: no rule can match them. */
#define MIN_SECRET_LEN 8

static void put_raw_str(struct enc *e, const char *s, size_t len)
{
    if (msgpack_pack_str(&e->pk, len) || msgpack_pack_str_body(&e->pk, s, len))
        e->rc = GL_ERR_NOMEM;
}

/* The field path is 'field' followed by 'suffix' (formatted only for a hit). */
static void put_str_in(struct enc *e, const char *field, const char *suffix, const char *s,
                       size_t len)
{
    if (e->rd && len >= MIN_SECRET_LEN && e->rc == GL_OK) {
        size_t before = e->hits ? e->hits->n : 0;
        gl_buf_reset(&e->scratch);
        int n = gl_redactor_scan(e->rd, s, len, &e->scratch, e->hits, e->err);
        if (n < 0) {
            e->rc = n;
            return;
        }
        if (n > 0) {
            for (size_t i = before; e->hits && i < e->hits->n; i++)
                snprintf(e->hits->v[i].field, sizeof e->hits->v[i].field, "%s%s", field,
                         suffix);
            put_raw_str(e, e->scratch.data, e->scratch.len);
            return;
        }
    }
    put_raw_str(e, s, len);
}

static void put_str(struct enc *e, const char *field, const char *s, size_t len)
{
    put_str_in(e, field, "", s, len);
}

static void put_cstr(struct enc *e, const char *s)
{
    put_raw_str(e, s, strlen(s));
}

static void put_gstr(struct enc *e, const char *field, struct gl_str s)
{
    put_str(e, field, s.ptr, s.len);
}

static void put_perms(struct enc *e, const char *name, const struct gl_perm *p, size_t n)
{
    msgpack_pack_array(&e->pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_map(&e->pk, p[i].resource.ptr ? 2 : 1);
        put_cstr(e, "action");
        put_str_in(e, name, "[].action", p[i].action.ptr, p[i].action.len);
        if (p[i].resource.ptr) {
            put_cstr(e, "resource");
            put_str_in(e, name, "[].resource", p[i].resource.ptr, p[i].resource.len);
        }
    }
}

static void put_entry(struct enc *e, const char *key, size_t klen, const msgpack_object *val,
                      char *path, size_t plen, int pair_rule);

/* path[base..] = sep + text, truncated to fit: field paths only label hits. */
static void path_set(char *path, size_t plen, size_t base, char sep, const char *text, size_t n)
{
    if (base + 2 >= plen)
        return;
    size_t at = base;
    if (sep)
        path[at++] = sep;
    if (n > plen - at - 1)
        n = plen - at - 1;
    if (n) /* an empty key may come with no bytes at all */
        memcpy(path + at, text, n);
    path[at + n] = '\0';
}

/* Free-form values: every string (keys too) goes through the redactor. */
/* An argument list's element that names the secret following it: a flag
 * ("--db-password", then the value) or an environment variable name in
 * capitals ("DB_PASSWORD", then the value). Returns the key rule, or -1.
 * Lower-case words ("token" in a list of scopes) do not count. */
static int arg_names_secret(struct enc *e, const char *s, size_t n)
{
    if (!e->rd || n < 3 || n > 128)
        return -1;
    size_t dashes = 0;
    while (dashes < n && dashes < 2 && s[dashes] == '-')
        dashes++;
    if (!dashes) {
        for (size_t i = 0; i < n; i++)
            if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
                return -1;
    }
    return gl_redactor_match_key(e->rd, s + dashes, n - dashes);
}

static void put_whole(struct enc *e, int rule, const msgpack_object *val, const char *path);

/* A string map key equal to 'name', ignoring ASCII case. */
static bool key_is_ci(const msgpack_object *k, const char *name)
{
    size_t n = strlen(name);
    return k->via.str.size == n && strncasecmp(k->via.str.ptr, name, n) == 0;
}

static void put_free_body(struct enc *e, const msgpack_object *o, char *path, size_t plen);

static void put_free(struct enc *e, const msgpack_object *o, char *path, size_t plen)
{
    /* an empty value hides nothing (Vault logs "client_token": "" for a
     * request without a token): no marker, no exposure */
    if (e->n_secrets && e->rd && forced_secret(e, o) &&
        !((o->type == MSGPACK_OBJECT_STR || o->type == MSGPACK_OBJECT_BIN) &&
          o->via.str.size == 0)) {
        int rule = forced_rule(e->rd);
        if (rule >= 0) {
            put_whole(e, rule, o, path);
            return;
        }
    }
    put_free_body(e, o, path, plen);
}

/* put_free without the mapping's forced secrets check for 'o' itself. */
static void put_free_body(struct enc *e, const msgpack_object *o, char *path, size_t plen)
{
    size_t base = strlen(path);
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        put_str(e, path, o->via.str.ptr, o->via.str.size);
        break;
    case MSGPACK_OBJECT_ARRAY: {
        msgpack_pack_array(&e->pk, o->via.array.size);
        path_set(path, plen, base, 0, "[]", 2);
        int flag_rule = -1; /* the previous element names a secret: this one is it */
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            const msgpack_object *v = &o->via.array.ptr[i];
            bool is_str = v->type == MSGPACK_OBJECT_STR;
            if (flag_rule >= 0 && is_str && v->via.str.size && v->via.str.ptr[0] != '-')
                put_whole(e, flag_rule, v, path);
            else
                put_free(e, v, path, plen);
            flag_rule = is_str ? arg_names_secret(e, v->via.str.ptr, v->via.str.size) : -1;
        }
        path[base] = '\0';
        break;
    }
    case MSGPACK_OBJECT_MAP: {
        /* A name/value pair ({"name": "DB_PASSWORD", "value": "..."}, as in a
         * Kubernetes env list or a header list): the value is a secret when
         * the name would be as a key. */
        int pair_rule = -1;
        for (uint32_t i = 0; e->rd && i < o->via.map.size && pair_rule < 0; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key, *v = &o->via.map.ptr[i].val;
            if (k->type == MSGPACK_OBJECT_STR && v->type == MSGPACK_OBJECT_STR &&
                (key_is_ci(k, "name") || key_is_ci(k, "key")))
                pair_rule = gl_redactor_match_key(e->rd, v->via.str.ptr, v->via.str.size);
        }
        msgpack_pack_map(&e->pk, o->via.map.size);
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            if (k->type == MSGPACK_OBJECT_STR) {
                path_set(path, plen, base, '.', k->via.str.ptr, k->via.str.size);
                put_entry(e, k->via.str.ptr, k->via.str.size, &o->via.map.ptr[i].val, path, plen,
                          pair_rule >= 0 && key_is_ci(k, "value") ? pair_rule : -1);
            } else {
                /* a key sent as msgpack bin names a secret as a string would */
                const msgpack_object *v = &o->via.map.ptr[i].val;
                int rule = e->rd && k->type == MSGPACK_OBJECT_BIN && v->type != MSGPACK_OBJECT_NIL
                               ? gl_redactor_match_key(e->rd, k->via.bin.ptr, k->via.bin.size)
                               : -1;
                if (msgpack_pack_object(&e->pk, *k))
                    e->rc = GL_ERR_NOMEM;
                if (rule >= 0)
                    put_whole(e, rule, v, path);
                else
                    put_free(e, v, path, plen);
            }
            path[base] = '\0';
        }
        break;
    }
    default:
        if (msgpack_pack_object(&e->pk, *o))
            e->rc = GL_ERR_NOMEM;
        break;
    }
}

/* One map entry; a string under a key that names a secret ("password") is
 * redacted as a whole, whatever it looks like. */
static void put_entry(struct enc *e, const char *key, size_t klen, const msgpack_object *val,
                      char *path, size_t plen, int pair_rule)
{
    put_str(e, path, key, klen);
    int rule = e->rd && e->rc == GL_OK && val->type != MSGPACK_OBJECT_NIL
                   ? gl_redactor_match_key(e->rd, key, klen)
                   : -1;
    if (rule < 0 && e->rc == GL_OK && val->type != MSGPACK_OBJECT_NIL)
        rule = pair_rule;
    if (rule < 0 || (val->type == MSGPACK_OBJECT_STR && val->via.str.size == 0)) {
        put_free(e, val, path, plen);
        return;
    }
    put_whole(e, rule, val, path);
}

/* Whatever sits under a key naming a secret (a string, a list of header
 * values, a number, an object) is the secret as a whole: one marker of
 * 'rule' replaces it, fingerprinted over its msgpack bytes when it is not a
 * string. */
/* Whether every leaf of 'o' is a string a keep-* rule keeps (or null): a
 * value made only of digests (Vault HMACs each string of a list or map it
 * logs) hides no secret. Numbers and booleans are not digests. */
static bool all_kept(struct gl_redactor *rd, int rule, const msgpack_object *o, int depth)
{
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        return gl_redactor_keeps(rd, rule, o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_NIL:
        return true;
    case MSGPACK_OBJECT_ARRAY:
        for (uint32_t i = 0; i < o->via.array.size; i++)
            if (depth > GL_EVENT_MAX_DEPTH || !all_kept(rd, rule, &o->via.array.ptr[i], depth + 1))
                return false;
        return o->via.array.size > 0;
    case MSGPACK_OBJECT_MAP:
        for (uint32_t i = 0; i < o->via.map.size; i++)
            if (depth > GL_EVENT_MAX_DEPTH || o->via.map.ptr[i].key.type != MSGPACK_OBJECT_STR ||
                !all_kept(rd, rule, &o->via.map.ptr[i].val, depth + 1))
                return false;
        return o->via.map.size > 0;
    default:
        return false;
    }
}

static void put_whole(struct enc *e, int rule, const msgpack_object *val, const char *path)
{
    if (all_kept(e->rd, rule, val, 0)) { /* digests or paths, not the secret: scanned as text */
        char scratch[128];
        snprintf(scratch, sizeof scratch, "%s", path);
        put_free_body(e, val, scratch, sizeof scratch);
        return;
    }
    const char *bytes = val->via.str.ptr;
    size_t n = val->via.str.size;
    struct gl_buf packed = {0};
    if (val->type != MSGPACK_OBJECT_STR) {
        msgpack_packer pk;
        msgpack_packer_init(&pk, &packed, mp_write);
        if (msgpack_pack_object(&pk, *val)) {
            gl_buf_free(&packed);
            e->rc = GL_ERR_NOMEM;
            return;
        }
        bytes = packed.data;
        n = packed.len;
    }
    size_t before = e->hits ? e->hits->n : 0;
    gl_buf_reset(&e->scratch);
    int rc = gl_redactor_redact_all(e->rd, rule, bytes, n, &e->scratch, e->hits);
    gl_buf_free(&packed);
    if (rc < 0) {
        e->rc = rc;
        return;
    }
    for (size_t i = before; e->hits && i < e->hits->n; i++)
        snprintf(e->hits->v[i].field, sizeof e->hits->v[i].field, "%s", path);
    put_raw_str(e, e->scratch.data, e->scratch.len);
}

static bool attrs_has_key(const msgpack_object *attrs, const char *s, size_t len)
{
    for (uint32_t i = 0; i < attrs->via.map.size; i++) {
        const msgpack_object *k = &attrs->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == len &&
            memcmp(k->via.str.ptr, s, len) == 0)
            return true;
    }
    return false;
}

/* attrs = the event's attrs, plus unknown top-level keys, plus collector
 * attributes. A non-map attrs that must be merged is kept under "value"; an
 * unknown top-level key that collides with an attrs key is kept as "^key". */
static void put_attrs(struct enc *e, const struct gl_event *ev, bool stored)
{
    /* what the decoder saw of the top-level keys: no second lookup of each */
    const msgpack_object *root = ev->src_map, *attrs = ev->src_attrs;
    uint32_t n_unknown = ev->n_src_unknown;
    char path[128] = "attrs";
    if (n_unknown == 0 && ev->n_add_attrs == 0) {
        put_free(e, attrs, path, sizeof path);
        return;
    }
    bool attrs_is_map = attrs && attrs->type == MSGPACK_OBJECT_MAP;
    uint32_t n = n_unknown + (uint32_t)ev->n_add_attrs;
    n += attrs_is_map ? attrs->via.map.size : attrs ? 1 : 0;
    msgpack_pack_map(&e->pk, n);
    if (attrs_is_map) {
        for (uint32_t i = 0; i < attrs->via.map.size; i++) {
            const msgpack_object *k = &attrs->via.map.ptr[i].key;
            path_set(path, sizeof path, 5, '.', k->via.str.ptr, k->via.str.size);
            put_entry(e, k->via.str.ptr, k->via.str.size, &attrs->via.map.ptr[i].val, path,
                      sizeof path, -1);
        }
    } else if (attrs) {
        put_cstr(e, "value");
        snprintf(path, sizeof path, "attrs.value");
        put_free(e, attrs, path, sizeof path);
    }
    for (uint32_t i = 0; root && n_unknown && i < root->via.map.size; i++) {
        const msgpack_object *k = &root->via.map.ptr[i].key;
        const msgpack_object *v = &root->via.map.ptr[i].val;
        if (is_nil(v) || key_lookup(k->via.str.ptr, k->via.str.size, stored) != K_UNKNOWN)
            continue;
        bool clash = attrs_is_map && attrs_has_key(attrs, k->via.str.ptr, k->via.str.size);
        path_set(path, sizeof path, 0, 0, k->via.str.ptr, k->via.str.size);
        if (!clash) {
            put_entry(e, k->via.str.ptr, k->via.str.size, v, path, sizeof path, -1);
            continue;
        }
        char *key = malloc(k->via.str.size + 1);
        if (!key) {
            e->rc = GL_ERR_NOMEM;
            return;
        }
        key[0] = '^';
        memcpy(key + 1, k->via.str.ptr, k->via.str.size);
        put_entry(e, key, k->via.str.size + 1, v, path, sizeof path, -1);
        free(key);
    }
    for (size_t i = 0; i < ev->n_add_attrs; i++) {
        put_cstr(e, ev->add_attrs[i].key);
        /* values can quote input (a hit's field path names the key it was
         * under, which may itself have been a secret): redact them too */
        put_str(e, ev->add_attrs[i].key, ev->add_attrs[i].value, strlen(ev->add_attrs[i].value));
    }
}

static bool has_attrs(const struct gl_event *ev)
{
    return ev->n_add_attrs || ev->src_attrs || ev->n_src_unknown;
}

int gl_event_encode(const struct gl_event *ev, struct gl_redactor *rd, struct gl_buf *out,
                    struct gl_redact_hits *hits, struct gl_error *err)
{
    struct enc e = {.rd = rd, .hits = hits, .err = err, .rc = GL_OK,
                    .secrets = ev->secret_vals, .n_secrets = ev->n_secret_vals};
    msgpack_packer_init(&e.pk, out, mp_write);
    bool stored_src = ev->from_store;
    bool attrs = has_attrs(ev);
    uint32_t n = 5 + !!ev->task.ptr + !!ev->actor.ptr + !!ev->source.ptr + !!ev->cred_id.ptr +
                 !!ev->previous.ptr + !!ev->grant_id.ptr + !!ev->n_perms + ev->has_scope +
                 ev->has_expires + (ev->decision != GL_DECISION_NONE) + !!ev->delegate.ptr +
                 (ev->status != GL_STATUS_NONE) + !!ev->authority.ptr + !!ev->origin.ptr + attrs;
    msgpack_pack_map(&e.pk, n);
    put_cstr(&e, "v");
    msgpack_pack_uint8(&e.pk, 1);
    put_cstr(&e, "id");
    put_raw_str(&e, ev->id.ptr, ev->id.len);
    put_cstr(&e, "ts");
    msgpack_pack_int64(&e.pk, ev->ts);
    put_cstr(&e, "type");
    put_cstr(&e, gl_event_type_name(ev->type));
    put_cstr(&e, "workload");
    put_gstr(&e, "workload", ev->workload);
    if (ev->task.ptr) {
        put_cstr(&e, "task");
        put_gstr(&e, "task", ev->task);
    }
    if (ev->actor.ptr) {
        put_cstr(&e, "actor");
        put_gstr(&e, "actor", ev->actor);
    }
    if (ev->source.ptr) {
        put_cstr(&e, "source");
        put_gstr(&e, "source", ev->source);
    }
    if (ev->cred_id.ptr) {
        put_cstr(&e, "credential");
        msgpack_pack_map(&e.pk, 1 + !!ev->cred_kind.ptr + ev->has_cred_expires);
        put_cstr(&e, "id");
        put_gstr(&e, "credential.id", ev->cred_id);
        if (ev->cred_kind.ptr) {
            put_cstr(&e, "kind");
            put_raw_str(&e, ev->cred_kind.ptr, ev->cred_kind.len);
        }
        if (ev->has_cred_expires) {
            put_cstr(&e, "expires_at");
            msgpack_pack_int64(&e.pk, ev->cred_expires);
        }
    }
    if (ev->previous.ptr) {
        put_cstr(&e, "previous");
        put_gstr(&e, "previous", ev->previous);
    }
    if (ev->grant_id.ptr) {
        put_cstr(&e, "grant_id");
        put_gstr(&e, "grant_id", ev->grant_id);
    }
    if (ev->n_perms) {
        /* an action keeps its single 'permission'; grants store a list */
        if (ev->type == GL_EV_ACTION_PERFORMED && ev->n_perms == 1) {
            put_cstr(&e, "permission");
            const struct gl_perm *p = &ev->perms[0];
            msgpack_pack_map(&e.pk, p->resource.ptr ? 2 : 1);
            put_cstr(&e, "action");
            put_gstr(&e, "permission.action", p->action);
            if (p->resource.ptr) {
                put_cstr(&e, "resource");
                put_gstr(&e, "permission.resource", p->resource);
            }
        } else {
            put_cstr(&e, "permissions");
            put_perms(&e, "permissions", ev->perms, ev->n_perms);
        }
    }
    if (ev->has_scope) {
        put_cstr(&e, "scope");
        put_perms(&e, "scope", ev->scope, ev->n_scope);
    }
    if (ev->has_expires) {
        put_cstr(&e, "expires_at");
        msgpack_pack_int64(&e.pk, ev->expires);
    }
    if (ev->decision != GL_DECISION_NONE) {
        put_cstr(&e, "decision");
        put_cstr(&e, gl_decision_name(ev->decision));
    }
    if (ev->delegate.ptr) {
        put_cstr(&e, "delegate");
        put_gstr(&e, "delegate", ev->delegate);
    }
    if (ev->status != GL_STATUS_NONE) {
        put_cstr(&e, "status");
        put_cstr(&e, gl_status_name(ev->status));
    }
    if (ev->authority.ptr) {
        put_cstr(&e, "authority");
        put_gstr(&e, "authority", ev->authority);
    }
    if (ev->origin.ptr) {
        put_cstr(&e, "origin");
        put_raw_str(&e, ev->origin.ptr, ev->origin.len);
    }
    if (attrs) {
        put_cstr(&e, "attrs");
        put_attrs(&e, ev, stored_src);
    }
    gl_buf_free(&e.scratch);
    if (e.rc == GL_ERR_NOMEM)
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory encoding event");
    return e.rc;
}

/* --- stored record to JSON --- */

static void json_str(struct gl_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    gl_buf_append(out, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
            continue;
        gl_buf_append(out, s + run, i - run);
        run = i + 1;
        char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
        if (c == '"' || c == '\\') {
            esc[1] = (char)c;
            gl_buf_append(out, esc, 2);
        } else if (c == '\n') {
            gl_buf_append(out, "\\n", 2);
        } else if (c == '\t') {
            gl_buf_append(out, "\\t", 2);
        } else {
            gl_buf_append(out, esc, 6);
        }
    }
    if (len > run) /* "" may come as a NULL pointer */
        gl_buf_append(out, s + run, len - run);
    gl_buf_append(out, "\"", 1);
}

static bool key_is(const msgpack_object *k, const char *name)
{
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(name) &&
           memcmp(k->via.str.ptr, name, k->via.str.size) == 0;
}

/* time_keys: at this level, integer values of "ts"/"expires_at" are times. */
static void json_value(struct gl_buf *out, const msgpack_object *o, bool time_keys, int depth)
{
    char num[64];
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        gl_buf_append(out, "null", 4);
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        gl_buf_printf(out, "%s", o->via.boolean ? "true" : "false");
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        gl_buf_printf(out, "%llu", (unsigned long long)o->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        gl_buf_printf(out, "%lld", (long long)o->via.i64);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        snprintf(num, sizeof num, "%.17g", o->via.f64);
        gl_buf_printf(out, "%s", strchr(num, 'n') || strchr(num, 'i') ? "null" : num);
        break;
    case MSGPACK_OBJECT_STR:
        json_str(out, o->via.str.ptr, o->via.str.size);
        break;
    case MSGPACK_OBJECT_ARRAY:
        gl_buf_append(out, "[", 1);
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if (i)
                gl_buf_append(out, ",", 1);
            json_value(out, &o->via.array.ptr[i], false, depth + 1);
        }
        gl_buf_append(out, "]", 1);
        break;
    case MSGPACK_OBJECT_MAP:
        gl_buf_append(out, "{", 1);
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            const msgpack_object *v = &o->via.map.ptr[i].val;
            if (i)
                gl_buf_append(out, ",", 1);
            if (k->type == MSGPACK_OBJECT_STR)
                json_str(out, k->via.str.ptr, k->via.str.size);
            else
                json_str(out, "?", 1);
            gl_buf_append(out, ":", 1);
            bool is_time = time_keys && (key_is(k, "ts") || key_is(k, "expires_at")) &&
                           (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
                            v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER);
            if (is_time) {
                char ts[32];
                gl_tstamp_format(v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int64_t)v->via.u64
                                                                            : v->via.i64,
                                 ts);
                json_str(out, ts, strlen(ts));
            } else {
                json_value(out, v, depth == 0 && key_is(k, "credential"), depth + 1);
            }
        }
        gl_buf_append(out, "}", 1);
        break;
    default:
        gl_buf_append(out, "null", 4);
        break;
    }
}

int gl_event_stored_to_json(const void *buf, size_t len, struct gl_buf *out, struct gl_error *err)
{
    msgpack_zone zone;
    if (!msgpack_zone_init(&zone, 4096))
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    msgpack_object root;
    size_t off = 0;
    msgpack_unpack_return ur = msgpack_unpack(buf, len, &off, &zone, &root);
    int rc = GL_OK;
    if (ur != MSGPACK_UNPACK_SUCCESS)
        rc = gl_error_set(err, GL_ERR_CORRUPT, 0, "stored record is not valid msgpack");
    else
        json_value(out, &root, true, 0);
    msgpack_zone_destroy(&zone);
    return rc;
}

/* --- refused input, redacted --- */

int gl_event_redact_raw(struct gl_decoder *d, const void *buf, size_t len, struct gl_redactor *rd,
                        struct gl_buf *out, struct gl_redact_hits *hits, struct gl_error *err)
{
    const unsigned char *p = buf;
    if (len == 0)
        return gl_error_set(err, GL_ERR_INVALID, 0, "empty");
    msgpack_object root;
    struct gl_error ignore;
    if (!is_msgpack_map_byte(p[0])) {
        if (json_to_tree(d, p, len, &ignore))
            return gl_error_set(err, GL_ERR_INVALID, 0, "not JSON");
        root = d->root;
    } else if (unpack(d, buf, len, &root, &ignore)) {
        return gl_error_set(err, GL_ERR_INVALID, 0, "not msgpack");
    }
    /* the same walk as attrs: string values, keys, and whole values under
     * sensitive keys are redacted, and so are the values the mappings say
     * are secrets (a refused record of theirs keeps none of them) */
    const msgpack_object *secrets[GL_DECODER_SECRETS];
    size_t n_secrets = gl_mappings_secrets(d->maps, &root, secrets, GL_DECODER_SECRETS);
    if (n_secrets > GL_DECODER_SECRETS) { /* too many to tell: all of it is one */
        secrets[0] = &root;
        n_secrets = 1;
    }
    struct gl_buf packed = {0};
    struct enc e = {.rd = rd, .hits = hits, .err = err, .rc = GL_OK,
                    .secrets = (const void *const *)secrets, .n_secrets = n_secrets};
    msgpack_packer_init(&e.pk, &packed, mp_write);
    char path[128] = "";
    put_free(&e, &root, path, sizeof path);
    gl_buf_free(&e.scratch);
    int rc = e.rc;
    if (!rc)
        rc = gl_event_stored_to_json(packed.data, packed.len, out, err);
    gl_buf_free(&packed);
    return rc;
}
