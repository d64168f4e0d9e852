/* Read-only JSON trees (grantline/jtree.h): the JSON shim's walk (simdjson)
 * builds nodes in an arena that the root's document owns and frees at once. */
#include "grantline/jtree.h"

#include "grantline/arena.h"

#include "json_parse.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define JTREE_MAX_DEPTH 64
/* The root is the document's first member, so gl_jtree_free finds the
 * document from the root it handed out. */
struct doc {
    struct gl_jval root;
    struct gl_arena *arena;
};

/* An open object or array: its node and its children so far (for an
 * object: key, value, key, value as gl_jval pointers, keys as strings). */
struct frame {
    struct gl_jval *node;
    bool map;
    size_t n, cap;
    void **items;
};

struct builder {
    struct doc *doc;
    struct frame stack[JTREE_MAX_DEPTH];
    int depth;
    bool nomem, too_deep;
    const char *dup_key; /* a key repeated in one object (in the arena) */
};

static bool push_item(struct builder *bd, void *item)
{
    struct frame *f = &bd->stack[bd->depth - 1];
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 8;
        void **ni = realloc(f->items, nc * sizeof *ni);
        if (!ni)
            return false;
        f->items = ni;
        f->cap = nc;
    }
    f->items[f->n++] = item;
    return true;
}

/* A new node: the root, or the next item of the open container. */
static struct gl_jval *add_node(struct builder *bd, enum gl_jtype type)
{
    struct gl_jval *v = bd->depth == 0 ? &bd->doc->root : gl_arena_alloc(bd->doc->arena, sizeof *v);
    if (!v || (bd->depth > 0 && !push_item(bd, v))) {
        bd->nomem = true;
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->type = type;
    return v;
}

static char *copy_str(struct builder *bd, const char *s, size_t len)
{
    char *c = gl_arena_strndup(bd->doc->arena, s, len);
    if (!c)
        bd->nomem = true;
    return c;
}

static int on_null(void *ctx)
{
    return add_node(ctx, GL_JT_NULL) != NULL;
}

static int on_bool(void *ctx, int b)
{
    struct gl_jval *v = add_node(ctx, GL_JT_BOOL);
    if (v)
        v->b = b != 0;
    return v != NULL;
}

static int on_int64(void *ctx, int64_t i)
{
    struct gl_jval *v = add_node(ctx, GL_JT_INT);
    if (v) {
        v->i = i;
        v->d = (double)i;
    }
    return v != NULL;
}

static int on_dbl(void *ctx, double d)
{
    struct gl_jval *v = add_node(ctx, GL_JT_DOUBLE);
    if (v)
        v->d = d;
    return v != NULL;
}

static int on_uint64(void *ctx, uint64_t u)
{
    return on_dbl(ctx, (double)u);
}

static int on_string(void *ctx, const char *s, size_t len)
{
    struct builder *bd = ctx;
    struct frame *f = bd->depth ? &bd->stack[bd->depth - 1] : NULL;
    if (f && f->map && f->n % 2 == 0) { /* a member's key */
        char *k = copy_str(bd, s, len);
        if (!k || !push_item(bd, k)) {
            bd->nomem = true;
            return 0;
        }
        return 1;
    }
    struct gl_jval *v = add_node(bd, GL_JT_STRING);
    if (!v || !(v->s = copy_str(bd, s, len)))
        return 0;
    v->len = len;
    return 1;
}

static int open_container(struct builder *bd, bool map)
{
    if (bd->depth >= JTREE_MAX_DEPTH) {
        bd->too_deep = true;
        return 0;
    }
    struct gl_jval *v = add_node(bd, map ? GL_JT_OBJECT : GL_JT_ARRAY);
    if (!v)
        return 0;
    bd->stack[bd->depth++] = (struct frame){.node = v, .map = map};
    return 1;
}

static int on_start_map(void *ctx)
{
    return open_container(ctx, true);
}

static int on_start_array(void *ctx)
{
    return open_container(ctx, false);
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A repeated key in a reviewed file is a mistake to report, not a choice
 * between its values to make silently. Returns false when out of memory. */
static bool find_dup_key(struct builder *bd, const char **keys, size_t n)
{
    if (n < 2)
        return true;
    const char **sorted = malloc(n * sizeof *sorted);
    if (!sorted)
        return false;
    memcpy(sorted, keys, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_key);
    for (size_t i = 1; i < n && !bd->dup_key; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0)
            bd->dup_key = sorted[i];
    free(sorted);
    return true;
}

static int on_end(void *ctx)
{
    struct builder *bd = ctx;
    struct frame *f = &bd->stack[--bd->depth];
    struct gl_jval *v = f->node;
    size_t n = f->map ? f->n / 2 : f->n;
    v->len = n;
    v->vals = gl_arena_alloc(bd->doc->arena, (n ? n : 1) * sizeof *v->vals);
    if (f->map)
        v->keys = gl_arena_alloc(bd->doc->arena, (n ? n : 1) * sizeof *v->keys);
    if (!v->vals || (f->map && !v->keys)) {
        bd->nomem = true;
        free(f->items);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (f->map) {
            v->keys[i] = f->items[2 * i];
            v->vals[i] = f->items[2 * i + 1];
        } else {
            v->vals[i] = f->items[i];
        }
    }
    free(f->items);
    if (f->map && !find_dup_key(bd, v->keys, n)) {
        bd->nomem = true;
        return 0;
    }
    return bd->dup_key == NULL;
}

static const struct gl_json_sink tree_sink = {
    .null = on_null,
    .boolean = on_bool,
    .int64 = on_int64,
    .uint64 = on_uint64,
    .dbl = on_dbl,
    .string = on_string,
    .start_map = on_start_map,
    .start_array = on_start_array,
    .end = on_end,
};

static void free_doc(struct doc *d)
{
    gl_arena_free(d->arena);
    free(d);
}

struct gl_jval *gl_jtree_parse(const char *text, size_t len, struct gl_error *err)
{
    struct doc *d = calloc(1, sizeof *d);
    if (d && !(d->arena = gl_arena_new())) {
        free(d);
        d = NULL;
    }
    /* one more than the limit: at its own limit simdjson refuses N levels
     * only if the innermost container is not empty; open_container
     * enforces the exact limit */
    struct gl_json *j = gl_json_new(JTREE_MAX_DEPTH + 1);
    if (!d || !j) {
        if (d)
            free_doc(d);
        gl_json_free(j);
        gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
        return NULL;
    }
    struct builder bd = {.doc = d};
    const char *why = NULL;
    enum gl_json_status st = gl_json_walk(j, text, len, &tree_sink, &bd, &why);
    gl_json_free(j);
    for (int i = 0; i < bd.depth; i++) /* a stopped walk leaves containers open */
        free(bd.stack[i].items);
    if (st == GL_JSON_OK)
        return &d->root;
    /* the reason first: a repeated key's name lives in the arena */
    if (st == GL_JSON_NOMEM || (st == GL_JSON_STOPPED && bd.nomem))
        gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    else if (st == GL_JSON_EMPTY)
        gl_error_set(err, GL_ERR_INVALID, 0, "empty document");
    else if (st == GL_JSON_UTF8)
        gl_error_set(err, GL_ERR_INVALID, 0, "invalid UTF-8");
    else if (st == GL_JSON_STOPPED && bd.dup_key)
        gl_error_set(err, GL_ERR_INVALID, 0, "duplicate key \"%.100s\"", bd.dup_key);
    else if (st == GL_JSON_DEPTH || (st == GL_JSON_STOPPED && bd.too_deep))
        gl_error_set(err, GL_ERR_INVALID, 0, "nested deeper than %d levels", JTREE_MAX_DEPTH);
    else if (st == GL_JSON_STOPPED)
        gl_error_set(err, GL_ERR_INVALID, 0, "invalid JSON");
    else
        gl_error_set(err, GL_ERR_INVALID, 0, "invalid JSON: %s", why ? why : "parse error");
    free_doc(d);
    return NULL;
}

void gl_jtree_free(struct gl_jval *root)
{
    if (root) /* root is the first member of its doc */
        free_doc((struct doc *)root);
}

const struct gl_jval *gl_jval_get(const struct gl_jval *obj, const char *key, enum gl_jtype type)
{
    if (!obj || obj->type != GL_JT_OBJECT)
        return NULL;
    for (size_t i = obj->len; i-- > 0;)
        if (strcmp(obj->keys[i], key) == 0)
            return type == GL_JT_ANY || obj->vals[i]->type == type ? obj->vals[i] : NULL;
    return NULL;
}
