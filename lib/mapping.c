/* Source mappings: records of other audit formats made canonical events by
 * rules loaded from schemas/mappings/ (the format is in that folder's
 * README.md). The rules are data; this file only reads and applies them. */
#include "grantline/mapping.h"

#include "grantline/glob.h"
#include "grantline/jtree.h"
#include "grantline/tstamp.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

enum filter {
    FL_NONE, FL_SERVICE, FL_LOWER, FL_AWSTIME, FL_PARTITION, FL_ACCOUNT, FL_DIGEST, FL_STRIP,
    FL_AFTER_LAST, FL_BEFORE_LAST
};

static const char *const filter_names[] = {"", "service", "lower", "awstime", "partition", "account",
                                           "digest", "strip", "after-last", "before-last"};
#define FILTER_LIST                                                                            \
    "service, lower, awstime, partition, account, digest, strip=PREFIX, after-last=SEP, "  \
    "before-last=SEP"

/* A dotted path into the record; a segment of digits also indexes an array. */
struct path {
    char **seg;
    size_t n; /* 0: the whole record */
};

/* {a|b|c:filter}: the first of the paths present, then the filter. */
struct hole {
    struct path *alts;
    size_t n_alts;
    enum filter filter;
    char *arg; /* strip=PREFIX: the prefix */
};

struct piece {
    char *lit; /* literal text, or NULL for a hole */
    size_t lit_len;
    struct hole hole;
};

struct tpl {
    struct piece *pieces;
    size_t n;
    bool whole; /* exactly one hole, no filter: the value keeps its type */
    bool holes; /* has at least one hole */
};

enum fkind { F_TPL, F_OBJ, F_SWITCH, F_FIRST, F_TIME };

struct field {
    char *key;
    enum fkind kind;
    struct tpl tpl; /* F_TPL, F_SWITCH's subject, F_TIME's time */
    struct alt *alts; /* F_FIRST: the templates, the first complete one wins */
    size_t n_alts;
    struct tpl plus; /* F_TIME: seconds (or a duration) after the time */
    struct field *sub; /* F_OBJ */
    size_t n_sub;
    char **case_from, **case_to; /* F_SWITCH */
    size_t n_cases;
    char *absent, *dflt; /* F_SWITCH: when the subject is absent, when no case matches */
};

enum ckind { C_IN, C_ABSENT, C_PRESENT, C_LIKE, C_UNLIKE };

struct cond {
    struct path path;
    enum ckind kind;
    char **vals; /* C_IN: values; C_LIKE, C_UNLIKE: glob patterns */
    size_t n_vals;
    char **not_vals; /* C_LIKE with "unlike" too: patterns it must also miss */
    size_t n_not_vals;
};

/* One template of a "first" field, with the conditions under which it may
 * be taken. */
struct alt {
    struct tpl tpl;
    struct cond *conds;
    size_t n_conds;
};

/* "secrets": when the conditions hold, the values at these paths are
 * secrets whatever they look like. */
struct secrets {
    struct cond *conds;
    size_t n_conds;
    struct path *paths;
    size_t n_paths;
};

struct mapping;

struct rule {
    const struct mapping *owner;
    char *name;
    struct cond *conds;
    size_t n_conds;
    struct tpl refuse; /* a refusing rule's reason (no fields) */
    bool refuses;
    bool continues; /* "continue": the record also gives the next rule's event */
    char *suffix;   /* "continue": ":call": appended to that event's id */
    size_t index;   /* its place among its mapping's rules */
    struct field *fields;
    size_t n_fields;
    char *label; /* "mapping/rule" */
    /* "unwrap": the record is an envelope and the object at this path the
     * record to map, with every mapping (an EventBridge event's detail) */
    bool unwraps;
    struct path unwrap;
    char *unwrap_text;
};

struct mapping {
    char *name;
    char **detect;
    size_t n_detect;
    char **ids; /* "identifiers": event paths that name credentials... */
    char **id_rules; /* ...and the secret rule that may match there */
    size_t n_ids;
    struct secrets *secrets; /* "secrets": values that are secrets by their place */
    size_t n_secrets;
    struct rule *rules;
    size_t n_rules;
};

struct gl_mappings {
    struct mapping *v;
    size_t n;
    unsigned char key[64]; /* keys :digest, so a digest tests no guess of a secret */
    size_t keylen;
};

/* --- freeing --- */

static void free_path(struct path *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->seg[i]);
    free(p->seg);
}

static void free_tpl(struct tpl *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->pieces[i].lit);
        for (size_t a = 0; a < t->pieces[i].hole.n_alts; a++)
            free_path(&t->pieces[i].hole.alts[a]);
        free(t->pieces[i].hole.alts);
        free(t->pieces[i].hole.arg);
    }
    free(t->pieces);
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_conds(struct cond *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free_path(&c[i].path);
        free_strs(c[i].vals, c[i].n_vals);
        free_strs(c[i].not_vals, c[i].n_not_vals);
    }
    free(c);
}

static void free_fields(struct field *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(f[i].key);
        free_tpl(&f[i].tpl);
        for (size_t a = 0; a < f[i].n_alts; a++) {
            free_tpl(&f[i].alts[a].tpl);
            free_conds(f[i].alts[a].conds, f[i].alts[a].n_conds);
        }
        free(f[i].alts);
        free_tpl(&f[i].plus);
        free_fields(f[i].sub, f[i].n_sub);
        free_strs(f[i].case_from, f[i].n_cases);
        free_strs(f[i].case_to, f[i].n_cases);
        free(f[i].absent);
        free(f[i].dflt);
    }
    free(f);
}

static void free_mapping(struct mapping *m)
{
    free(m->name);
    free_strs(m->detect, m->n_detect);
    free_strs(m->ids, m->n_ids);
    free_strs(m->id_rules, m->n_ids);
    for (size_t i = 0; i < m->n_secrets; i++) {
        free_conds(m->secrets[i].conds, m->secrets[i].n_conds);
        for (size_t k = 0; k < m->secrets[i].n_paths; k++)
            free_path(&m->secrets[i].paths[k]);
        free(m->secrets[i].paths);
    }
    free(m->secrets);
    for (size_t r = 0; r < m->n_rules; r++) {
        struct rule *ru = &m->rules[r];
        free(ru->name);
        free(ru->label);
        free(ru->suffix);
        free_conds(ru->conds, ru->n_conds);
        free_tpl(&ru->refuse);
        free_fields(ru->fields, ru->n_fields);
        free_path(&ru->unwrap);
        free(ru->unwrap_text);
    }
    free(m->rules);
}

void gl_mappings_free(struct gl_mappings *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        free_mapping(&set->v[i]);
    free(set->v);
    free(set);
}

size_t gl_mappings_count(const struct gl_mappings *set)
{
    return set ? set->n : 0;
}

const char *gl_mappings_name(const struct gl_mappings *set, size_t i)
{
    return set && i < set->n ? set->v[i].name : NULL;
}

/* --- loading --- */

/* Loading context: where we are, for messages. */
struct lctx {
    const char *origin;
    const char *where; /* "rule 3 (assume-role)" */
    struct gl_error *err;
};

static int bad(struct lctx *c, const char *fmt, const char *arg)
{
    char what[256];
    snprintf(what, sizeof what, fmt, arg);
    return gl_error_set(c->err, GL_ERR_INVALID, 0, "mapping %s: %s%s%s", c->origin,
                        c->where ? c->where : "", c->where ? ": " : "", what);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* "a.b\.c.0" -> {"a", "b.c", "0"}; "." -> the whole record. */
static int parse_path(struct lctx *c, const char *s, size_t len, struct path *out)
{
    memset(out, 0, sizeof *out);
    if (len == 1 && s[0] == '.')
        return GL_OK;
    if (len == 0)
        return bad(c, "empty path in a template%s", "");
    char *buf = malloc(len + 1);
    if (!buf)
        return GL_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (k == 0) {
                free(buf);
                free_path(out);
                memset(out, 0, sizeof *out);
                char shown[80];
                snprintf(shown, sizeof shown, "%.*s", (int)(len < 60 ? len : 60), s);
                return bad(c, "empty segment in path '%s'", shown);
            }
            char **seg = realloc(out->seg, (out->n + 1) * sizeof *seg);
            if (seg)
                out->seg = seg;
            if (!seg || !(seg[out->n] = dup_n(buf, k))) {
                free(buf);
                free_path(out);
                memset(out, 0, sizeof *out);
                return GL_ERR_NOMEM;
            }
            out->seg = seg;
            out->n++;
            k = 0;
        } else if (s[i] == '\\' && i + 1 < len) {
            buf[k++] = s[++i];
        } else {
            buf[k++] = s[i];
        }
    }
    free(buf);
    return GL_OK;
}

static int parse_hole(struct lctx *c, const char *s, size_t len, struct hole *h)
{
    memset(h, 0, sizeof *h);
    /* a filter follows the last unescaped ':' */
    size_t end = len;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == ':')
            end = i;
    }
    if (end < len) {
        size_t fl = len - end - 1;
        const char *eq = memchr(s + end + 1, '=', fl);
        if (eq) { /* a filter with an argument; "\:" is a colon in it */
            size_t al = (size_t)(s + len - eq - 1), k = 0;
            if (!(h->arg = malloc(al + 1)))
                return GL_ERR_NOMEM;
            for (size_t i = 0; i < al; i++)
                h->arg[k++] = eq[1 + i] == '\\' && i + 1 < al ? eq[1 + ++i] : eq[1 + i];
            h->arg[k] = '\0';
            fl = (size_t)(eq - s) - end - 1;
        }
        for (int f = 1; f < (int)(sizeof filter_names / sizeof *filter_names); f++)
            if (strlen(filter_names[f]) == fl && memcmp(filter_names[f], s + end + 1, fl) == 0)
                h->filter = (enum filter)f;
        bool takes =
            h->filter == FL_STRIP || h->filter == FL_AFTER_LAST || h->filter == FL_BEFORE_LAST;
        if (h->filter != FL_NONE && takes != (h->arg != NULL && h->arg[0])) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(fl < 40 ? fl : 40), s + end + 1);
            return bad(c, takes ? "filter '%s' needs a non-empty argument (=TEXT)"
                                : "filter '%s' takes no argument",
                       name);
        }
        if (h->filter == FL_NONE) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(fl < 40 ? fl : 40), s + end + 1);
            return bad(c, "unknown filter '%s' (known: " FILTER_LIST ")", name);
        }
    }
    size_t at = 0;
    while (at <= end) {
        size_t stop = at;
        while (stop < end && s[stop] != '|') {
            if (s[stop] == '\\')
                stop++;
            stop++;
        }
        if (stop > end)
            stop = end;
        struct path *alts = realloc(h->alts, (h->n_alts + 1) * sizeof *alts);
        if (!alts)
            return GL_ERR_NOMEM;
        h->alts = alts;
        int rc = parse_path(c, s + at, stop - at, &h->alts[h->n_alts]);
        if (rc)
            return rc;
        h->n_alts++;
        at = stop + 1;
    }
    return GL_OK;
}

static int add_piece(struct tpl *t, struct piece **out)
{
    struct piece *p = realloc(t->pieces, (t->n + 1) * sizeof *p);
    if (!p)
        return GL_ERR_NOMEM;
    t->pieces = p;
    *out = &p[t->n++];
    memset(*out, 0, sizeof **out);
    return GL_OK;
}

/* "text {a.b|c:filter} text": '{{' and '}}' are literal braces. */
static int parse_tpl(struct lctx *c, const char *s, size_t len, struct tpl *t)
{
    memset(t, 0, sizeof *t);
    char *lit = malloc(len + 1);
    if (!lit)
        return GL_ERR_NOMEM;
    size_t k = 0;
    int rc = GL_OK;
    for (size_t i = 0; i <= len && !rc; i++) {
        bool open = i < len && s[i] == '{' && !(i + 1 < len && s[i + 1] == '{');
        if (i == len || open) {
            if (k) {
                struct piece *p;
                rc = add_piece(t, &p);
                if (!rc && !(p->lit = dup_n(lit, k)))
                    rc = GL_ERR_NOMEM;
                if (!rc)
                    p->lit_len = k;
                k = 0;
            }
            if (i == len || rc)
                break;
            const char *close = memchr(s + i + 1, '}', len - i - 1);
            if (!close) {
                char shown[80];
                snprintf(shown, sizeof shown, "%.*s", (int)(len < 60 ? len : 60), s);
                rc = bad(c, "a '{' without its '}' in \"%s\"", shown);
                break;
            }
            struct piece *p;
            rc = add_piece(t, &p);
            if (!rc)
                rc = parse_hole(c, s + i + 1, (size_t)(close - s) - i - 1, &p->hole);
            t->holes = true;
            i = (size_t)(close - s);
        } else if ((s[i] == '{' || s[i] == '}') && i + 1 < len && s[i + 1] == s[i]) {
            lit[k++] = s[i++];
        } else if (s[i] == '}') {
            char shown[80];
            snprintf(shown, sizeof shown, "%.*s", (int)(len < 60 ? len : 60), s);
            rc = bad(c, "a '}' without its '{' in \"%s\" (write '}}' for a brace)", shown);
        } else {
            lit[k++] = s[i];
        }
    }
    free(lit);
    if (!rc)
        t->whole = t->n == 1 && !t->pieces[0].lit && t->pieces[0].hole.filter == FL_NONE;
    return rc;
}

static int str_list(struct lctx *c, const struct gl_jval *v, const char *what, char ***out,
                    size_t *n)
{
    if (gl_jval_is(v, GL_JT_STRING)) {
        if (!(*out = calloc(1, sizeof **out)) || !((*out)[0] = dup_n(v->s, v->len)))
            return GL_ERR_NOMEM;
        *n = 1;
        return GL_OK;
    }
    if (!gl_jval_is(v, GL_JT_ARRAY) || v->len == 0)
        return bad(c, "%s: expected a string or a non-empty array of strings", what);
    if (!(*out = calloc(v->len, sizeof **out)))
        return GL_ERR_NOMEM;
    for (size_t i = 0; i < v->len; i++) {
        if (!gl_jval_is(v->vals[i], GL_JT_STRING))
            return bad(c, "%s: expected strings only", what);
        if (!((*out)[i] = dup_n(v->vals[i]->s, v->vals[i]->len)))
            return GL_ERR_NOMEM;
        *n = i + 1;
    }
    return GL_OK;
}

static int parse_fields(struct lctx *c, const struct gl_jval *obj, struct field **out, size_t *n);

static int parse_switch(struct lctx *c, const struct gl_jval *v, struct field *f)
{
    const struct gl_jval *subj = gl_jval_get(v, "switch", GL_JT_STRING);
    const struct gl_jval *cases = gl_jval_get(v, "cases", GL_JT_OBJECT);
    if (!subj || !cases)
        return bad(c, "field %s: a switch needs \"switch\" (a template) and \"cases\" (an object)",
                   f->key);
    f->kind = F_SWITCH;
    int rc = parse_tpl(c, subj->s, subj->len, &f->tpl);
    if (rc)
        return rc;
    if (!(f->case_from = calloc(cases->len + 1, sizeof *f->case_from)) ||
        !(f->case_to = calloc(cases->len + 1, sizeof *f->case_to)))
        return GL_ERR_NOMEM;
    f->n_cases = cases->len; /* NULL until filled: freeing is safe at any point */
    for (size_t i = 0; i < cases->len; i++) {
        if (!gl_jval_is(cases->vals[i], GL_JT_STRING))
            return bad(c, "field %s: each case maps a string to a string", f->key);
        if (!(f->case_from[i] = strdup(cases->keys[i])) ||
            !(f->case_to[i] = dup_n(cases->vals[i]->s, cases->vals[i]->len)))
            return GL_ERR_NOMEM;
    }
    for (size_t i = 0; i < v->len; i++) {
        const char *k = v->keys[i];
        const struct gl_jval *x = v->vals[i];
        char **slot = strcmp(k, "absent") == 0 ? &f->absent : strcmp(k, "default") == 0 ? &f->dflt : NULL;
        if (slot) {
            if (!gl_jval_is(x, GL_JT_STRING))
                return bad(c, "field %s: \"absent\" and \"default\" are strings", f->key);
            if (!(*slot = dup_n(x->s, x->len)))
                return GL_ERR_NOMEM;
        } else if (strcmp(k, "switch") && strcmp(k, "cases")) {
            return bad(c, "unknown key '%s' in a switch (switch, cases, absent, default)", k);
        }
    }
    return GL_OK;
}

static int parse_when(struct lctx *c, const struct gl_jval *when, struct cond **out, size_t *n);

/* {"first": ["template", {"when": {...}, "value": "template"}, ...]}: the
 * first template whose conditions hold and whose holes are all found (a
 * name built from two paths, else from another). */
static int parse_first(struct lctx *c, const struct gl_jval *v, struct field *f)
{
    const struct gl_jval *list = gl_jval_get(v, "first", GL_JT_ARRAY);
    if (!list || list->len == 0 || v->len != 1)
        return bad(c, "field %s: \"first\" is a non-empty array of templates, alone", f->key);
    f->kind = F_FIRST;
    if (!(f->alts = calloc(list->len, sizeof *f->alts)))
        return GL_ERR_NOMEM;
    for (size_t i = 0; i < list->len; i++) {
        const struct gl_jval *x = list->vals[i], *tv = x;
        f->n_alts = i + 1;
        if (gl_jval_is(x, GL_JT_OBJECT)) {
            tv = gl_jval_get(x, "value", GL_JT_STRING);
            const struct gl_jval *when = gl_jval_get(x, "when", GL_JT_OBJECT);
            if (!tv || !when || x->len != 2)
                return bad(c, "field %s: an entry of \"first\" is a template or "
                              "{\"when\": {...}, \"value\": template}", f->key);
            int rc = parse_when(c, when, &f->alts[i].conds, &f->alts[i].n_conds);
            if (rc)
                return rc;
        } else if (!gl_jval_is(x, GL_JT_STRING)) {
            return bad(c, "field %s: \"first\" holds templates or {\"when\", \"value\"}",
                       f->key);
        }
        int rc = parse_tpl(c, tv->s, tv->len, &f->alts[i].tpl);
        if (rc)
            return rc;
    }
    return GL_OK;
}

/* {"time": "template", "plus": "template"}: a time some seconds (or a
 * duration, "768h") later, as RFC 3339: an expiry from an issue time and a
 * time to live. */
static int parse_time(struct lctx *c, const struct gl_jval *v, struct field *f)
{
    const struct gl_jval *t = gl_jval_get(v, "time", GL_JT_STRING);
    const struct gl_jval *plus = gl_jval_get(v, "plus", GL_JT_STRING);
    if (!t || !plus || v->len != 2)
        return bad(c, "field %s: a time field has \"time\" and \"plus\" (templates) only",
                   f->key);
    f->kind = F_TIME;
    int rc = parse_tpl(c, t->s, t->len, &f->tpl);
    return rc ? rc : parse_tpl(c, plus->s, plus->len, &f->plus);
}

static int parse_fields(struct lctx *c, const struct gl_jval *obj, struct field **out, size_t *n)
{
    if (!(*out = calloc(obj->len + 1, sizeof **out)))
        return GL_ERR_NOMEM;
    for (size_t i = 0; i < obj->len; i++) {
        struct field *f = &(*out)[i];
        *n = i + 1;
        if (!(f->key = strdup(obj->keys[i])))
            return GL_ERR_NOMEM;
        const struct gl_jval *v = obj->vals[i];
        int rc;
        if (gl_jval_is(v, GL_JT_STRING)) {
            f->kind = F_TPL;
            rc = parse_tpl(c, v->s, v->len, &f->tpl);
        } else if (gl_jval_is(v, GL_JT_OBJECT) && gl_jval_get(v, "switch", GL_JT_ANY)) {
            rc = parse_switch(c, v, f);
        } else if (gl_jval_is(v, GL_JT_OBJECT) && gl_jval_get(v, "first", GL_JT_ANY)) {
            rc = parse_first(c, v, f);
        } else if (gl_jval_is(v, GL_JT_OBJECT) &&
                   (gl_jval_get(v, "plus", GL_JT_ANY) || gl_jval_get(v, "time", GL_JT_ANY))) {
            rc = parse_time(c, v, f);
        } else if (gl_jval_is(v, GL_JT_OBJECT)) {
            f->kind = F_OBJ;
            rc = parse_fields(c, v, &f->sub, &f->n_sub);
        } else {
            rc = bad(c, "field %s: expected a template string, an object, a switch, a first or "
                        "a time", f->key);
        }
        if (rc)
            return rc;
    }
    return GL_OK;
}

/* "when": {path: condition}; NULL is no condition. */
static int parse_when(struct lctx *c, const struct gl_jval *when, struct cond **out, size_t *n)
{
    if (!when)
        return GL_OK;
    if (!gl_jval_is(when, GL_JT_OBJECT))
        return bad(c, "\"when\" is an object of path: condition%s", "");
    if (!(*out = calloc(when->len + 1, sizeof **out)))
        return GL_ERR_NOMEM;
    for (size_t i = 0; i < when->len; i++) {
        struct cond *cd = &(*out)[i];
        *n = i + 1;
        if (!when->keys[i][0])
            return bad(c, "\"when\" has an empty path%s", "");
        int rc = parse_path(c, when->keys[i], strlen(when->keys[i]), &cd->path);
        if (rc)
            return rc;
        const struct gl_jval *x = when->vals[i];
        if (gl_jval_is(x, GL_JT_NULL)) {
            cd->kind = C_ABSENT;
        } else if (gl_jval_is(x, GL_JT_BOOL)) {
            if (!x->b)
                return bad(c, "when %s: false is no condition (null: absent, true: present)",
                           when->keys[i]);
            cd->kind = C_PRESENT;
        } else if (gl_jval_is(x, GL_JT_OBJECT)) {
            const struct gl_jval *like = gl_jval_get(x, "like", GL_JT_ANY);
            const struct gl_jval *unlike = gl_jval_get(x, "unlike", GL_JT_ANY);
            if ((!like && !unlike) || x->len != (size_t)(!!like + !!unlike))
                return bad(c, "when %s: an object condition is {\"like\": glob or [globs]}, "
                              "{\"unlike\": ...} or both",
                           when->keys[i]);
            cd->kind = like ? C_LIKE : C_UNLIKE;
            rc = str_list(c, like ? like : unlike, when->keys[i], &cd->vals, &cd->n_vals);
            if (!rc && like && unlike) /* both: matches one of like and none of unlike */
                rc = str_list(c, unlike, when->keys[i], &cd->not_vals, &cd->n_not_vals);
            if (rc)
                return rc;
        } else {
            cd->kind = C_IN;
            rc = str_list(c, x, when->keys[i], &cd->vals, &cd->n_vals);
            if (rc)
                return rc;
        }
    }
    return GL_OK;
}

static int parse_secrets(struct lctx *c, const struct gl_jval *v, struct mapping *m)
{
    if (!gl_jval_is(v, GL_JT_ARRAY))
        return bad(c, "\"secrets\" is an array of {\"when\", \"paths\"}%s", "");
    if (!(m->secrets = calloc(v->len + 1, sizeof *m->secrets)))
        return GL_ERR_NOMEM;
    for (size_t i = 0; i < v->len; i++) {
        struct secrets *sc = &m->secrets[i];
        m->n_secrets = i + 1;
        const struct gl_jval *paths = gl_jval_get(v->vals[i], "paths", GL_JT_ARRAY);
        if (!paths || paths->len == 0)
            return bad(c, "secrets: each entry has \"paths\", a non-empty array%s", "");
        int rc = parse_when(c, gl_jval_get(v->vals[i], "when", GL_JT_ANY), &sc->conds, &sc->n_conds);
        if (rc)
            return rc;
        if (!(sc->paths = calloc(paths->len, sizeof *sc->paths)))
            return GL_ERR_NOMEM;
        for (size_t k = 0; k < paths->len; k++) {
            if (!gl_jval_is(paths->vals[k], GL_JT_STRING))
                return bad(c, "secrets: paths are strings%s", "");
            sc->n_paths = k + 1;
            rc = parse_path(c, paths->vals[k]->s, paths->vals[k]->len, &sc->paths[k]);
            if (rc)
                return rc;
        }
    }
    return GL_OK;
}

static int parse_rule(struct lctx *c, const struct gl_jval *v, struct rule *r, const char *mname)
{
    r->owner = NULL; /* set once the set stops moving (gl_mappings_add) */
    if (!gl_jval_is(v, GL_JT_OBJECT))
        return bad(c, "expected an object%s", "");
    const struct gl_jval *name = gl_jval_get(v, "rule", GL_JT_STRING);
    if (!name)
        return bad(c, "\"rule\" (its name) is missing%s", "");
    if (!(r->name = dup_n(name->s, name->len)))
        return GL_ERR_NOMEM;
    size_t ll = strlen(mname) + name->len + 2;
    if (!(r->label = malloc(ll)))
        return GL_ERR_NOMEM;
    snprintf(r->label, ll, "%s/%s", mname, r->name);
    for (size_t i = 0; i < v->len; i++) {
        const char *k = v->keys[i];
        if (strcmp(k, "rule") && strcmp(k, "when") && strcmp(k, "event") && strcmp(k, "refuse") &&
            strcmp(k, "about") && strcmp(k, "continue") && strcmp(k, "unwrap"))
            return bad(c, "unknown key '%s' (rule, about, when, event, refuse, unwrap, continue)",
                       k);
    }
    const struct gl_jval *cont = gl_jval_get(v, "continue", GL_JT_ANY);
    if (cont && gl_jval_is(cont, GL_JT_STRING)) {
        if (cont->len == 0)
            return bad(c, "\"continue\": an empty suffix; true keeps the next event's id%s", "");
        if (!(r->suffix = dup_n(cont->s, cont->len)))
            return GL_ERR_NOMEM;
        r->continues = true;
    } else if (cont && !gl_jval_is(cont, GL_JT_BOOL)) {
        return bad(c, "\"continue\" is true, false or a suffix for the next event's id%s", "");
    } else {
        r->continues = cont && cont->b;
    }
    int wrc = parse_when(c, gl_jval_get(v, "when", GL_JT_ANY), &r->conds, &r->n_conds);
    if (wrc)
        return wrc;
    const struct gl_jval *ev = gl_jval_get(v, "event", GL_JT_ANY);
    const struct gl_jval *refuse = gl_jval_get(v, "refuse", GL_JT_ANY);
    const struct gl_jval *unwrap = gl_jval_get(v, "unwrap", GL_JT_ANY);
    if (!!ev + !!refuse + !!unwrap != 1)
        return bad(c, "a rule has one of \"event\", \"refuse\" or \"unwrap\"%s", "");
    if (unwrap) {
        if (r->continues)
            return bad(c, "an unwrapping rule cannot continue%s", "");
        if (!gl_jval_is(unwrap, GL_JT_STRING) || unwrap->len == 0 ||
            (unwrap->len == 1 && unwrap->s[0] == '.'))
            return bad(c, "\"unwrap\" is the path of the record inside this one (\"detail\")%s",
                       "");
        if (!(r->unwrap_text = dup_n(unwrap->s, unwrap->len)))
            return GL_ERR_NOMEM;
        r->unwraps = true;
        return parse_path(c, unwrap->s, unwrap->len, &r->unwrap);
    }
    if (refuse) {
        if (r->continues)
            return bad(c, "a refusing rule cannot continue%s", "");
        if (!gl_jval_is(refuse, GL_JT_STRING))
            return bad(c, "\"refuse\" is a reason (a template string)%s", "");
        r->refuses = true;
        return parse_tpl(c, refuse->s, refuse->len, &r->refuse);
    }
    if (!gl_jval_is(ev, GL_JT_OBJECT))
        return bad(c, "\"event\" is an object of canonical fields%s", "");
    return parse_fields(c, ev, &r->fields, &r->n_fields);
}

static int parse_mapping(struct lctx *c, const struct gl_jval *root, struct mapping *m)
{
    if (!gl_jval_is(root, GL_JT_OBJECT))
        return bad(c, "expected a JSON object%s", "");
    const struct gl_jval *name = gl_jval_get(root, "mapping", GL_JT_STRING);
    const struct gl_jval *detect = gl_jval_get(root, "detect", GL_JT_ANY);
    const struct gl_jval *rules = gl_jval_get(root, "rules", GL_JT_ARRAY);
    if (!name || !detect || !rules || rules->len == 0)
        return bad(c, "needs \"mapping\" (its name), \"detect\" (keys) and \"rules\"%s", "");
    for (size_t i = 0; i < root->len; i++) {
        const char *k = root->keys[i];
        if (strcmp(k, "mapping") && strcmp(k, "detect") && strcmp(k, "rules") &&
            strcmp(k, "about") && strcmp(k, "identifiers") && strcmp(k, "secrets"))
            return bad(c, "unknown key '%s' (mapping, about, detect, identifiers, secrets, rules)",
                       k);
    }
    if (!(m->name = dup_n(name->s, name->len)))
        return GL_ERR_NOMEM;
    int rc = str_list(c, detect, "detect", &m->detect, &m->n_detect);
    const struct gl_jval *ids = gl_jval_get(root, "identifiers", GL_JT_ANY);
    if (!rc && ids && !gl_jval_is(ids, GL_JT_OBJECT))
        rc = bad(c, "\"identifiers\" is an object of event path: secret rule name%s", "");
    if (!rc && ids) {
        if (!(m->ids = calloc(ids->len + 1, sizeof *m->ids)) ||
            !(m->id_rules = calloc(ids->len + 1, sizeof *m->id_rules)))
            return GL_ERR_NOMEM;
        m->n_ids = ids->len;
        for (size_t i = 0; i < ids->len && !rc; i++) {
            if (!gl_jval_is(ids->vals[i], GL_JT_STRING))
                rc = bad(c, "identifiers: %s: the value is the name of a secret rule", ids->keys[i]);
            else if (!(m->ids[i] = strdup(ids->keys[i])) ||
                     !(m->id_rules[i] = dup_n(ids->vals[i]->s, ids->vals[i]->len)))
                return GL_ERR_NOMEM;
        }
    }
    const struct gl_jval *secrets = gl_jval_get(root, "secrets", GL_JT_ANY);
    if (!rc && secrets)
        rc = parse_secrets(c, secrets, m);
    if (rc)
        return rc;
    if (!(m->rules = calloc(rules->len, sizeof *m->rules)))
        return GL_ERR_NOMEM;
    for (size_t i = 0; i < rules->len; i++) {
        char where[96];
        const struct gl_jval *rn = gl_jval_get(rules->vals[i], "rule", GL_JT_STRING);
        snprintf(where, sizeof where, "rule %zu%s%.40s%s", i + 1, rn ? " (" : "", rn ? rn->s : "",
                 rn ? ")" : "");
        c->where = where;
        m->n_rules = i + 1;
        m->rules[i].index = i;
        rc = parse_rule(c, rules->vals[i], &m->rules[i], m->name);
        if (rc)
            return rc;
    }
    if (m->n_rules && m->rules[m->n_rules - 1].continues) {
        c->where = NULL;
        return bad(c, "the last rule cannot continue: no rule follows it%s", "");
    }
    c->where = NULL;
    return GL_OK;
}

int gl_mappings_add(struct gl_mappings **set, const char *json, size_t len, const char *origin,
                    struct gl_error *err)
{
    if (!*set && !(*set = calloc(1, sizeof **set)))
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    struct gl_error perr;
    struct gl_jval *root = gl_jtree_parse(json, len, &perr);
    if (!root)
        return gl_error_set(err, perr.code, 0, "mapping %s: %s", origin, perr.msg);
    struct mapping *v = realloc((*set)->v, ((*set)->n + 1) * sizeof *v);
    if (!v) {
        gl_jtree_free(root);
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    }
    (*set)->v = v;
    struct mapping *m = &v[(*set)->n];
    memset(m, 0, sizeof *m);
    struct lctx c = {.origin = origin, .err = err};
    int rc = parse_mapping(&c, root, m);
    gl_jtree_free(root);
    if (rc) {
        free_mapping(m);
        return rc == GL_ERR_NOMEM ? gl_error_set(err, rc, 0, "out of memory") : rc;
    }
    for (size_t i = 0; i < (*set)->n; i++)
        if (strcmp((*set)->v[i].name, m->name) == 0) {
            int r = gl_error_set(err, GL_ERR_INVALID, 0, "mapping %s: a mapping named %s is "
                                 "already loaded", origin, m->name);
            free_mapping(m);
            return r;
        }
    (*set)->n++;
    /* the array may have moved: point every rule at its mapping again */
    for (size_t i = 0; i < (*set)->n; i++)
        for (size_t r = 0; r < (*set)->v[i].n_rules; r++)
            (*set)->v[i].rules[r].owner = &(*set)->v[i];
    return GL_OK;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int gl_mappings_load(const char *dir, struct gl_mappings **out, struct gl_error *err)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return gl_error_set(err, GL_ERR_IO, errno, "mappings: %s: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0;
    int rc = GL_OK;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") || e->d_name[0] == '.')
            continue;
        char **nn = realloc(names, (n + 1) * sizeof *nn);
        if (!nn || !(nn[n] = strdup(e->d_name))) {
            names = nn ? nn : names;
            rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
            break;
        }
        names = nn;
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    if (!rc && !(*out = calloc(1, sizeof **out)))
        rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    for (size_t i = 0; i < n && !rc; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        if (!f) {
            rc = gl_error_set(err, GL_ERR_IO, errno, "mappings: %s: %s", path, strerror(errno));
            break;
        }
        char *text = NULL;
        size_t len = 0, cap = 0;
        for (;;) {
            if (len == cap) {
                char *t = realloc(text, cap = cap ? cap * 2 : 16384);
                if (!t) {
                    rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
                    break;
                }
                text = t;
            }
            size_t got = fread(text + len, 1, cap - len, f);
            len += got;
            if (got == 0)
                break;
        }
        if (!rc && ferror(f))
            rc = gl_error_set(err, GL_ERR_IO, errno, "mappings: read %s: %s", path, strerror(errno));
        fclose(f);
        if (!rc)
            rc = gl_mappings_add(out, text, len, path, err);
        free(text);
    }
    free_strs(names, n);
    if (rc) {
        gl_mappings_free(*out);
        *out = NULL;
    }
    return rc;
}

/* --- applying --- */

/* A key equal to s: a string, or bin as a msgpack writer may send it. */
static bool str_is(const msgpack_object *o, const char *s, size_t len)
{
    return (o->type == MSGPACK_OBJECT_STR && o->via.str.size == len &&
            memcmp(o->via.str.ptr, s, len) == 0) ||
           (o->type == MSGPACK_OBJECT_BIN && o->via.bin.size == len &&
            memcmp(o->via.bin.ptr, s, len) == 0);
}

static const msgpack_object *map_get(const msgpack_object *m, const char *key, size_t len)
{
    if (m->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < m->via.map.size; i++)
        if (str_is(&m->via.map.ptr[i].key, key, len))
            return &m->via.map.ptr[i].val;
    return NULL;
}

/* The value at 'p', or NULL when absent or null. */
static const msgpack_object *resolve(const msgpack_object *in, const struct path *p)
{
    const msgpack_object *o = in;
    for (size_t i = 0; o && i < p->n; i++) {
        if (o->type == MSGPACK_OBJECT_MAP) {
            o = map_get(o, p->seg[i], strlen(p->seg[i]));
        } else if (o->type == MSGPACK_OBJECT_ARRAY) {
            char *end;
            unsigned long k = strtoul(p->seg[i], &end, 10);
            o = *end || p->seg[i][0] < '0' || p->seg[i][0] > '9' || k >= o->via.array.size
                    ? NULL
                    : &o->via.array.ptr[k];
        } else {
            o = NULL;
        }
    }
    return o && o->type != MSGPACK_OBJECT_NIL ? o : NULL;
}

/* A scalar as text in 'tmp' (or pointing into the record); false for
 * containers. */
static bool scalar_text(const msgpack_object *o, char *tmp, size_t n, const char **s, size_t *len)
{
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        *s = o->via.str.ptr;
        *len = o->via.str.size;
        return true;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        *len = (size_t)snprintf(tmp, n, "%llu", (unsigned long long)o->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        *len = (size_t)snprintf(tmp, n, "%lld", (long long)o->via.i64);
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        *len = (size_t)snprintf(tmp, n, "%s", o->via.boolean ? "true" : "false");
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        *len = (size_t)snprintf(tmp, n, "%.17g", o->via.f64);
        break;
    default:
        return false;
    }
    *s = tmp;
    return true;
}

/* CloudTrail writes some times as "Jul 30, 2024, 9:46:15 PM" (UTC), in
 * some records "Sept", "pm" or a narrow no-break space before the AM/PM, and
 * some as epoch milliseconds: made RFC 3339 in 'out'. Text that already
 * looks like an RFC 3339 date is passed on (*as_is, 'out' unused);
 * anything else is unreadable (0): the field is left out, not the event. */
static size_t aws_time(const char *s, size_t len, char out[40], bool *as_is)
{
    static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    int64_t us;
    *as_is = len >= 10 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[3]) &&
             s[4] == '-';
    if (*as_is) /* RFC 3339 already, if it reads as one */
        return gl_tstamp_parse(s, len, &us, NULL) == GL_OK ? len : 0;
    size_t digits = 0;
    while (digits < len && isdigit((unsigned char)s[digits]))
        digits++;
    if (digits == len && len >= 1 && len <= 15) { /* epoch seconds, or milliseconds */
        long long ms = strtoll(s, NULL, 10) * (len <= 10 ? 1000 : 1);
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        if (!gmtime_r(&t, &tm))
            return 0;
        size_t n_out = (size_t)snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                        tm.tm_min, tm.tm_sec, (int)(ms % 1000));
        return n_out < 40 && gl_tstamp_parse(out, n_out, &us, NULL) == GL_OK ? n_out : 0;
    }
    /* a copy with the narrow no-break space (U+202F) made a plain space */
    char buf[64];
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < sizeof buf; i++) {
        if (i + 2 < len && (unsigned char)s[i] == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
            (unsigned char)s[i + 2] == 0xaf) {
            buf[n++] = ' ';
            i += 2;
        } else {
            buf[n++] = s[i];
        }
    }
    if (n + 1 >= sizeof buf)
        return 0;
    buf[n] = '\0';
    char mon[8] = {0}, ampm[3] = {0};
    int day, year, h, mi, sec, used = 0;
    if (sscanf(buf, "%7[A-Za-z] %d, %d%*[, ]%d:%d:%d %2[APMapm]%n", mon, &day, &year, &h, &mi,
               &sec, ampm, &used) != 7 ||
        (size_t)used != n || strlen(mon) < 3)
        return 0;
    for (char *c = mon; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    for (char *c = ampm; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    const char *m = NULL;
    for (int k = 0; k < 12 && !m; k++)
        if (strncmp(mon, months + 3 * k, 3) == 0)
            m = months + 3 * k;
    bool pm = strcmp(ampm, "pm") == 0;
    if (!m || (!pm && strcmp(ampm, "am")) || h < 1 || h > 12 || day < 1 || day > 31 || mi > 59 ||
        mi < 0 || sec < 0 || sec > 60 || year < 1970 || year > 9999)
        return 0;
    h = h % 12 + (pm ? 12 : 0);
    size_t n_out = (size_t)snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02dZ", year,
                                    (int)((m - months) / 3) + 1, day, h, mi, sec);
    return gl_tstamp_parse(out, n_out, &us, NULL) == GL_OK ? n_out : 0; /* no Feb 31 */
}

/* The first 16 bytes of the HMAC-SHA256 of a value's msgpack form under the
 * set's key, in hex: a name for a whole record that no client can choose,
 * and, keyed, no test of a guess at a secret the record held. */
static size_t digest_text(const struct gl_mappings *set, const msgpack_object *o, char out[40])
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    bool ok = msgpack_pack_object(&pk, *o) == 0 &&
              HMAC(EVP_sha256(), set->key, (int)set->keylen,
                   (const unsigned char *)(sb.data ? sb.data : ""), sb.size, md, &mdlen) != NULL;
    msgpack_sbuffer_destroy(&sb);
    if (!ok)
        return 0;
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 32;
}

/* A hole's text: 's' points into the record or into 'buf'. */
struct text {
    const char *s;
    size_t len;
    char buf[40];
};

/* Fills 't' with a hole's text. False when every path of the hole is
 * absent, empty or not a scalar (a container is text only through :digest),
 * or its filter cannot read it. */
static bool hole_text(const struct gl_mappings *set, const struct hole *h,
                      const msgpack_object *in, struct text *t)
{
    char tmp[40];
    const char *s = NULL;
    size_t len = 0;
    for (size_t a = 0; a < h->n_alts && !s; a++) {
        const msgpack_object *o = resolve(in, &h->alts[a]);
        if (o && h->filter == FL_DIGEST) {
            len = digest_text(set, o, t->buf);
            s = len ? t->buf : NULL;
        } else if (o && (!scalar_text(o, tmp, sizeof tmp, &s, &len) || len == 0)) {
            s = NULL; /* a container or "": try the next */
        }
    }
    if (!s)
        return false;
    if (s == tmp) { /* a number's text: keep it past this call */
        memcpy(t->buf, tmp, len);
        s = t->buf;
    }
    if (h->filter == FL_SERVICE) {
        const char *dot = memchr(s, '.', len);
        if (dot)
            len = (size_t)(dot - s);
    } else if (h->filter == FL_PARTITION || h->filter == FL_ACCOUNT) {
        /* arn:PARTITION:service:region:ACCOUNT:resource */
        if (len <= 4 || memcmp(s, "arn:", 4) != 0)
            return false;
        const char *f = s + 4, *end = s + len;
        for (int skip = h->filter == FL_PARTITION ? 0 : 3; skip > 0; skip--) {
            const char *c = memchr(f, ':', (size_t)(end - f));
            if (!c)
                return false;
            f = c + 1;
        }
        const char *colon = memchr(f, ':', (size_t)(end - f));
        if (!colon || colon == f)
            return false;
        s = f;
        len = (size_t)(colon - f);
    } else if (h->filter == FL_STRIP) { /* absent unless the text starts with the prefix */
        size_t pl = strlen(h->arg);
        if (len <= pl || memcmp(s, h->arg, pl) != 0)
            return false;
        s += pl;
        len -= pl;
    } else if (h->filter == FL_AFTER_LAST || h->filter == FL_BEFORE_LAST) {
        /* absent unless the separator is in it with text on that side */
        size_t sl = strlen(h->arg);
        const char *hit = NULL;
        for (size_t i = 0; sl <= len && i + sl <= len; i++)
            if (memcmp(s + i, h->arg, sl) == 0)
                hit = s + i;
        if (!hit)
            return false;
        if (h->filter == FL_BEFORE_LAST) {
            if (hit == s)
                return false;
            len = (size_t)(hit - s);
        } else {
            if (hit + sl == s + len)
                return false;
            len -= (size_t)(hit + sl - s);
            s = hit + sl;
        }
    } else if (h->filter == FL_AWSTIME) {
        bool as_is = false;
        char conv[40];
        size_t tl = aws_time(s, len, conv, &as_is);
        if (!tl)
            return false;
        if (!as_is) {
            memcpy(t->buf, conv, tl);
            s = t->buf;
            len = tl;
        }
    }
    t->s = s;
    t->len = len;
    return true;
}

/* Renders a template into the zone. A template that is one hole and
 * nothing else gives the value as it is (a number stays a number); a
 * container only where 'containers' (under attrs), elsewhere it counts as
 * absent. False when a hole is absent (the field is left out) or memory ran
 * out (*nomem). Each hole is read once (a :digest hashes the record). */
static bool render(const struct gl_mappings *set, const struct tpl *t, const msgpack_object *in,
                   msgpack_zone *zone, bool containers, msgpack_object *out, bool *nomem)
{
    if (t->whole) {
        const struct hole *h = &t->pieces[0].hole;
        const msgpack_object *o = NULL;
        for (size_t a = 0; a < h->n_alts && !o; a++) {
            o = resolve(in, &h->alts[a]);
            if (o && !containers && (o->type == MSGPACK_OBJECT_MAP || o->type == MSGPACK_OBJECT_ARRAY))
                o = NULL; /* not for a canonical field: try the next */
            if (o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == 0)
                o = NULL; /* "" names nothing */
        }
        if (o)
            *out = *o;
        return o != NULL;
    }
    struct text *txt = msgpack_zone_malloc(zone, t->n * sizeof *txt);
    if (!txt) {
        *nomem = true;
        return false;
    }
    size_t total = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct piece *p = &t->pieces[i];
        if (p->lit) {
            txt[i].s = p->lit;
            txt[i].len = p->lit_len;
        } else if (!hole_text(set, &p->hole, in, &txt[i])) {
            return false;
        }
        total += txt[i].len;
    }
    char *buf = msgpack_zone_malloc(zone, total ? total : 1);
    if (!buf) {
        *nomem = true;
        return false;
    }
    size_t at = 0;
    for (size_t i = 0; i < t->n; i++) {
        memcpy(buf + at, txt[i].s, txt[i].len);
        if (!t->pieces[i].lit && t->pieces[i].hole.filter == FL_LOWER)
            for (size_t k = at; k < at + txt[i].len; k++)
                if (buf[k] >= 'A' && buf[k] <= 'Z')
                    buf[k] = (char)(buf[k] - 'A' + 'a');
        at += txt[i].len;
    }
    *out = (msgpack_object){.type = MSGPACK_OBJECT_STR};
    out->via.str.ptr = buf;
    out->via.str.size = (uint32_t)at;
    return true;
}

static void set_str(msgpack_object *o, const char *s)
{
    *o = (msgpack_object){.type = MSGPACK_OBJECT_STR};
    o->via.str.ptr = s;
    o->via.str.size = (uint32_t)strlen(s);
}

/* A scalar's text, NUL-terminated in 'buf' (false: absent, a container or
 * too long). */
static bool render_cstr(const struct gl_mappings *set, const struct tpl *t,
                        const msgpack_object *in, msgpack_zone *zone, char *buf, size_t n,
                        bool *nomem)
{
    msgpack_object v;
    char tmp[40];
    const char *s;
    size_t len;
    if (!render(set, t, in, zone, false, &v, nomem) || !scalar_text(&v, tmp, sizeof tmp, &s, &len) ||
        len >= n)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return true;
}

/* F_TIME: the time plus the seconds (a number, or a duration such as
 * "768h"), as RFC 3339 text in the zone. Absent when either is, when either
 * cannot be read, or when the seconds are 0 or less (Vault's "no expiry"). */
static bool time_plus(const struct gl_mappings *set, const struct field *f,
                      const msgpack_object *in, msgpack_zone *zone, msgpack_object *out,
                      bool *nomem)
{
    char when[64], plus[32];
    int64_t us, add;
    if (!render_cstr(set, &f->tpl, in, zone, when, sizeof when, nomem) ||
        !render_cstr(set, &f->plus, in, zone, plus, sizeof plus, nomem) ||
        gl_tstamp_parse(when, strlen(when), &us, NULL) != GL_OK ||
        gl_duration_parse(plus, &add) != GL_OK || add <= 0 ||
        add > INT64_C(100) * 366 * 86400 * 1000000) /* past a century: no expiry */
        return false;
    char *text = msgpack_zone_malloc(zone, 32);
    if (!text) {
        *nomem = true;
        return false;
    }
    /* past year 9999 is no RFC 3339 time: no expiry, not a refused record */
    if (us + add >= INT64_C(253402300800000000))
        return false;
    gl_tstamp_format(us + add, text);
    set_str(out, text);
    return true;
}

static bool cond_holds(const struct cond *c, const msgpack_object *in);

/* Builds the map of 'fields'. False only when memory ran out; a field
 * whose holes are absent is left out, and so is an object that has holes
 * none of which was found (a credential without an id is no credential).
 * *found and *holes tell the caller which. */
static bool build(const struct gl_mappings *set, const struct field *f, size_t n,
                  const msgpack_object *in, msgpack_zone *zone,
                  bool in_attrs, msgpack_object *out, bool *found, bool *holes)
{
    msgpack_object_kv *kv = msgpack_zone_malloc(zone, (n ? n : 1) * sizeof *kv);
    if (!kv)
        return false;
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        msgpack_object v;
        bool have = false, nomem = false;
        if (f[i].kind == F_TPL) {
            have = render(set, &f[i].tpl, in, zone, in_attrs, &v, &nomem);
            *holes = *holes || f[i].tpl.holes;
            *found = *found || (have && f[i].tpl.holes);
        } else if (f[i].kind == F_OBJ) {
            bool sub = false, sub_holes = false;
            if (!build(set, f[i].sub, f[i].n_sub, in, zone, in_attrs || strcmp(f[i].key, "attrs") == 0,
                       &v, &sub, &sub_holes))
                return false;
            have = sub || !sub_holes;
            *holes = *holes || sub_holes;
            *found = *found || sub;
        } else if (f[i].kind == F_FIRST) {
            *holes = true;
            for (size_t a = 0; a < f[i].n_alts && !have && !nomem; a++) {
                bool ok = true;
                for (size_t c = 0; c < f[i].alts[a].n_conds && ok; c++)
                    ok = cond_holds(&f[i].alts[a].conds[c], in);
                have = ok && render(set, &f[i].alts[a].tpl, in, zone, in_attrs, &v, &nomem);
            }
            *found = *found || have;
        } else if (f[i].kind == F_TIME) {
            *holes = true;
            have = time_plus(set, &f[i], in, zone, &v, &nomem);
            *found = *found || have;
        } else {
            *holes = true;
            msgpack_object subj;
            const char *to = NULL, *s;
            char tmp[40];
            size_t len;
            if (render(set, &f[i].tpl, in, zone, false, &subj, &nomem) &&
                scalar_text(&subj, tmp, sizeof tmp, &s, &len)) {
                for (size_t c = 0; c < f[i].n_cases && !to; c++)
                    if (strlen(f[i].case_from[c]) == len && memcmp(f[i].case_from[c], s, len) == 0)
                        to = f[i].case_to[c];
                if (!to)
                    to = f[i].dflt;
            } else if (!nomem) {
                to = f[i].absent;
            }
            if (to) {
                set_str(&v, to);
                have = true;
                *found = true;
            }
        }
        if (nomem)
            return false;
        if (!have)
            continue;
        set_str(&kv[k].key, f[i].key);
        kv[k].val = v;
        k++;
    }
    *out = (msgpack_object){.type = MSGPACK_OBJECT_MAP};
    out->via.map.size = k;
    out->via.map.ptr = kv;
    return true;
}

/* Whether the scalar 'o', as text, is one of a C_IN condition's values or
 * matches one of a C_LIKE condition's patterns (and none of its "unlike"
 * ones). */
static bool value_in(const struct cond *c, const msgpack_object *o)
{
    char tmp[40];
    const char *s;
    size_t len;
    if (!scalar_text(o, tmp, sizeof tmp, &s, &len))
        return false;
    for (size_t i = 0; i < c->n_not_vals; i++)
        if (gl_glob_match(c->not_vals[i], s, len))
            return false;
    for (size_t i = 0; i < c->n_vals; i++)
        if (c->kind != C_IN ? gl_glob_match(c->vals[i], s, len)
                              : strlen(c->vals[i]) == len && memcmp(c->vals[i], s, len) == 0)
            return true;
    return false;
}

static bool cond_holds(const struct cond *c, const msgpack_object *in)
{
    const msgpack_object *o = resolve(in, &c->path);
    if (c->kind == C_ABSENT)
        return !o;
    if (c->kind == C_PRESENT)
        return o != NULL;
    if (c->kind == C_UNLIKE) /* absent, or a value none of the patterns matches */
        return !o || !value_in(c, o);
    return o && value_in(c, o);
}

/* The first mapping whose detect keys 'in' has, or NULL. */
static const struct mapping *detect(const struct gl_mappings *set, const msgpack_object *in)
{
    for (size_t i = 0; set && in->type == MSGPACK_OBJECT_MAP && i < set->n; i++) {
        bool all = true;
        for (size_t d = 0; d < set->v[i].n_detect && all; d++)
            all = map_get(in, set->v[i].detect[d], strlen(set->v[i].detect[d])) != NULL;
        if (all)
            return &set->v[i];
    }
    return NULL;
}

static enum gl_mapping_result apply_from(const struct gl_mappings *set, const struct mapping *m,
                                         size_t start, const msgpack_object *in,
                                         msgpack_zone *zone, msgpack_object *out,
                                         const struct gl_mapping_rule **used,
                                         struct gl_error *err);
static const struct rule *first_rule(const struct mapping *m, size_t start,
                                     const msgpack_object *in);

/* Envelopes inside envelopes are followed this deep, no deeper: a record
 * crafted to nest without end must not cost more. */
#define UNWRAP_MAX 4

enum gl_mapping_result gl_mappings_apply(const struct gl_mappings *set, const msgpack_object *in,
                                         msgpack_zone *zone, msgpack_object *out,
                                         const struct gl_mapping_rule **used,
                                         const msgpack_object **record, struct gl_error *err)
{
    if (used)
        *used = NULL;
    if (record)
        *record = in;
    if (!set || in->type != MSGPACK_OBJECT_MAP)
        return GL_MAPPING_NONE;
    const struct mapping *m = detect(set, in);
    if (!m)
        return GL_MAPPING_NONE;
    const struct rule *envelope = NULL; /* the rule that unwrapped 'in', if any */
    for (int depth = 0;; depth++) {
        const struct gl_mapping_rule *ru = NULL;
        enum gl_mapping_result res = apply_from(set, m, 0, in, zone, out, &ru, err);
        if (used)
            *used = ru;
        if (res == GL_MAPPING_NONE)
            gl_error_set(err, GL_ERR_INVALID, 0, "%s: no rule matches this record", m->name);
        if (res != GL_MAPPING_DONE && envelope) /* the reason names the envelope too */
            gl_error_prefix(err, "%s", envelope->label);
        if (res != GL_MAPPING_DONE)
            return GL_MAPPING_REFUSED;
        envelope = (const struct rule *)ru;
        if (!envelope->unwraps)
            return GL_MAPPING_DONE;
        /* *out is the record inside, mapped by whichever mapping detects it */
        if (depth + 1 == UNWRAP_MAX) {
            gl_error_set(err, GL_ERR_INVALID, 0, "%s: envelopes nested more than %d deep",
                         envelope->label, UNWRAP_MAX);
            return GL_MAPPING_REFUSED;
        }
        if (!(m = detect(set, out))) {
            gl_error_set(err, GL_ERR_INVALID, 0,
                         "%s: its %s is a record of no format a mapping knows",
                         envelope->label, envelope->unwrap_text);
            return GL_MAPPING_REFUSED;
        }
        in = resolve(in, &envelope->unwrap); /* *out's object, where it lives in the record */
        if (record)
            *record = in;
    }
}

enum gl_mapping_result gl_mappings_apply_next(const struct gl_mappings *set,
                                              const struct gl_mapping_rule *after,
                                              const msgpack_object *in, msgpack_zone *zone,
                                              msgpack_object *out,
                                              const struct gl_mapping_rule **used,
                                              struct gl_error *err)
{
    const struct rule *prev = (const struct rule *)after;
    if (used)
        *used = NULL;
    if (!set || !prev || !prev->continues)
        return GL_MAPPING_NONE;
    /* NONE: no later rule holds, the record gave what it gives (an
     * unwrapping rule is for envelopes, not for a record's further event) */
    const struct rule *ru = first_rule(prev->owner, prev->index + 1, in);
    if (ru && ru->unwraps)
        return GL_MAPPING_NONE;
    return apply_from(set, prev->owner, prev->index + 1, in, zone, out, used, err);
}

bool gl_mapping_rule_continues(const struct gl_mapping_rule *r)
{
    return r && ((const struct rule *)r)->continues;
}

const char *gl_mapping_rule_continue_suffix(const struct gl_mapping_rule *r)
{
    return r ? ((const struct rule *)r)->suffix : NULL;
}

/* The first rule from 'start' on whose conditions hold, or NULL. */
static const struct rule *first_rule(const struct mapping *m, size_t start,
                                     const msgpack_object *in)
{
    for (size_t r = start; r < m->n_rules; r++) {
        const struct rule *ru = &m->rules[r];
        bool ok = true;
        for (size_t c = 0; c < ru->n_conds && ok; c++)
            ok = cond_holds(&ru->conds[c], in);
        if (ok)
            return ru;
    }
    return NULL;
}

/* The event of the first rule from 'start' on whose conditions hold; for
 * an unwrapping rule, DONE with *out the record inside (see apply). */
static enum gl_mapping_result apply_from(const struct gl_mappings *set, const struct mapping *m,
                                         size_t start, const msgpack_object *in,
                                         msgpack_zone *zone, msgpack_object *out,
                                         const struct gl_mapping_rule **used,
                                         struct gl_error *err)
{
    const struct rule *ru = first_rule(m, start, in);
    if (!ru)
        return GL_MAPPING_NONE;
    if (used)
        *used = (const struct gl_mapping_rule *)ru;
    if (ru->unwraps) {
        const msgpack_object *inner = resolve(in, &ru->unwrap);
        if (!inner || inner->type != MSGPACK_OBJECT_MAP) {
            gl_error_set(err, GL_ERR_INVALID, 0, "%s: %s is not an object", ru->label,
                         ru->unwrap_text);
            return GL_MAPPING_REFUSED;
        }
        *out = *inner;
        return GL_MAPPING_DONE;
    }
    bool nomem = false, found = false, holes = false;
    if (ru->refuses) {
        msgpack_object why;
        bool have = render(set, &ru->refuse, in, zone, false, &why, &nomem);
        if (nomem)
            gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
        else
            gl_error_set(err, GL_ERR_INVALID, 0, "%s: %.*s", ru->label,
                         have && why.type == MSGPACK_OBJECT_STR ? (int)why.via.str.size : 0,
                         have && why.type == MSGPACK_OBJECT_STR ? why.via.str.ptr : "");
        return GL_MAPPING_REFUSED;
    }
    if (!build(set, ru->fields, ru->n_fields, in, zone, false, out, &found, &holes)) {
        gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
        return GL_MAPPING_REFUSED;
    }
    return GL_MAPPING_DONE;
}

const char *gl_mapping_rule_label(const struct gl_mapping_rule *r)
{
    return r ? ((const struct rule *)r)->label : NULL;
}

bool gl_mapping_rule_identifier(const struct gl_mapping_rule *r, const char *path,
                                const char *rule)
{
    const struct mapping *m = r ? ((const struct rule *)r)->owner : NULL;
    for (size_t i = 0; m && i < m->n_ids; i++)
        if (strcmp(m->ids[i], path) == 0 && strcmp(m->id_rules[i], rule) == 0)
            return true;
    return false;
}


/* Every value at 'p' from segment 'at' on, following each key that matches
 * (a record may repeat a key, or carry a key as bin in msgpack: where a
 * secret could be, every reading counts). Appends to out[n..max). */
static size_t resolve_all(const msgpack_object *o, const struct path *p, size_t at,
                          const msgpack_object **out, size_t n, size_t max)
{
    if (o->type == MSGPACK_OBJECT_NIL)
        return n;
    if (at == p->n) { /* counted past max, kept up to it */
        if (n < max)
            out[n] = o;
        return n + 1;
    }
    const char *seg = p->seg[at];
    size_t sl = strlen(seg);
    if (o->type == MSGPACK_OBJECT_MAP) {
        for (uint32_t i = 0; i < o->via.map.size; i++)
            if (str_is(&o->via.map.ptr[i].key, seg, sl))
                n = resolve_all(&o->via.map.ptr[i].val, p, at + 1, out, n, max);
    } else if (o->type == MSGPACK_OBJECT_ARRAY && seg[0] >= '0' && seg[0] <= '9') {
        char *end;
        unsigned long k = strtoul(seg, &end, 10);
        if (!*end && k < o->via.array.size)
            n = resolve_all(&o->via.array.ptr[k], p, at + 1, out, n, max);
    }
    return n;
}

/* Whether a value of 'in' at 'p' from segment 'at' on, under any reading
 * (every matching key), is present (C_PRESENT) or one of c's values. */
static bool any_at(const msgpack_object *o, const struct cond *c, size_t at)
{
    if (o->type == MSGPACK_OBJECT_NIL)
        return false;
    if (at == c->path.n)
        return c->kind == C_PRESENT || c->kind == C_ABSENT || value_in(c, o);
    const char *seg = c->path.seg[at];
    size_t sl = strlen(seg);
    if (o->type == MSGPACK_OBJECT_MAP) {
        for (uint32_t i = 0; i < o->via.map.size; i++)
            if (str_is(&o->via.map.ptr[i].key, seg, sl) && any_at(&o->via.map.ptr[i].val, c, at + 1))
                return true;
    } else if (o->type == MSGPACK_OBJECT_ARRAY && seg[0] >= '0' && seg[0] <= '9') {
        char *end;
        unsigned long k = strtoul(seg, &end, 10);
        if (!*end && k < o->via.array.size)
            return any_at(&o->via.array.ptr[k], c, at + 1);
    }
    return false;
}

/* Whether some reading of the record meets the condition (for secrets:
 * a Secret that also says it is something else is still a Secret). */
static bool cond_any(const struct cond *c, const msgpack_object *in)
{
    /* C_ABSENT: no reading is present; C_UNLIKE: no reading matches */
    bool found = any_at(in, c, 0);
    return c->kind == C_ABSENT || c->kind == C_UNLIKE ? !found : found;
}

size_t gl_mappings_secrets(const struct gl_mappings *set, const msgpack_object *in,
                           const msgpack_object **out, size_t max)
{
    const struct mapping *m = detect(set, in);
    /* an envelope's secrets are those of the record inside */
    for (int depth = 1; m && depth < UNWRAP_MAX; depth++) {
        const struct rule *ru = first_rule(m, 0, in);
        const msgpack_object *inner = ru && ru->unwraps ? resolve(in, &ru->unwrap) : NULL;
        if (!inner || inner->type != MSGPACK_OBJECT_MAP)
            break;
        in = inner;
        m = detect(set, in);
    }
    size_t n = 0;
    for (size_t i = 0; m && i < m->n_secrets; i++) {
        const struct secrets *sc = &m->secrets[i];
        bool ok = true;
        for (size_t c = 0; c < sc->n_conds && ok; c++)
            ok = cond_any(&sc->conds[c], in);
        for (size_t k = 0; ok && k < sc->n_paths; k++)
            n = resolve_all(in, &sc->paths[k], 0, out, n, max);
    }
    return n;
}

void gl_mappings_set_key(struct gl_mappings *set, const void *key, size_t len)
{
    if (!set)
        return;
    set->keylen = len < sizeof set->key ? len : sizeof set->key;
    memcpy(set->key, key, set->keylen);
}
