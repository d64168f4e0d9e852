/* --new-only state file: NDJSON of the findings emitted so far, read with
 * a JSON tree (grantline/jtree.h; our own output, one small object per line). */
#include "notify_state.h"

#include "grantline/jtree.h"
#include "grantline/tstamp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct notify_entry *)a)->id, ((const struct notify_entry *)b)->id);
}

int notify_state_load(struct notify_state *s, const char *path, struct gl_error *err)
{
    memset(s, 0, sizeof *s);
    s->a = gl_arena_new();
    if (!s->a)
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return GL_OK;
        return gl_error_set(err, GL_ERR_IO, errno, "state %s: %s", path, strerror(errno));
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = GL_OK, lineno = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        /* the id is the first field of our own json output */
        static const char tag[] = "\"finding_id\":\"";
        const size_t off = sizeof tag - 1;
        const char *p = strstr(line, tag);
        if (!p || strlen(p) < off + 32 || p[off + 32] != '"') {
            rc = gl_error_set(err, GL_ERR_INVALID, 0, "state %s:%d: no finding_id", path, lineno);
            break;
        }
        if (s->n == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 256;
            struct notify_entry *v = realloc(s->v, nc * sizeof *v);
            if (!v) {
                rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
                break;
            }
            s->v = v;
            s->cap = nc;
        }
        struct notify_entry *e = &s->v[s->n];
        memcpy(e->id, p + off, 32);
        e->id[32] = '\0';
        e->line = strdup(line);
        e->seen = false;
        if (!e->line) {
            rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
            break;
        }
        s->n++;
    }
    free(line);
    fclose(f);
    if (s->n)
        qsort(s->v, s->n, sizeof *s->v, cmp_entry);
    return rc;
}

void notify_state_free(struct notify_state *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].line);
    free(s->v);
    gl_arena_free(s->a);
    memset(s, 0, sizeof *s);
}

struct notify_entry *notify_state_find(struct notify_state *s, const char *id)
{
    struct notify_entry key;
    snprintf(key.id, sizeof key.id, "%s", id);
    return s->n ? bsearch(&key, s->v, s->n, sizeof *s->v, cmp_entry) : NULL;
}

static const char *get(struct gl_arena *a, const struct gl_jval *root, const char *key)
{
    const struct gl_jval *v = gl_jval_get(root, key, GL_JT_STRING);
    const char *str = v ? v->s : NULL;
    return str ? gl_arena_strndup(a, str, strlen(str)) : NULL;
}

int notify_state_finding(struct notify_state *s, const struct notify_entry *e,
                         struct out_finding *o, struct gl_error *err)
{
    struct gl_error perr = {0};
    struct gl_jval *root = gl_jtree_parse(e->line, strlen(e->line), &perr);
    if (!root)
        return gl_error_set(err, perr.code, 0, "state: finding %s unreadable: %s", e->id,
                            perr.msg);
    memset(o, 0, sizeof *o);
    snprintf(o->id, sizeof o->id, "%s", e->id);
    const char *rule = get(s->a, root, "rule");
    const char *sev = get(s->a, root, "severity");
    int r = rule ? gl_rule_find(rule) : -1;
    int sv = sev ? severity_parse(sev) : -1;
    int rc = GL_OK;
    if (r < 0 || sv < 0) {
        rc = gl_error_set(err, GL_ERR_INVALID, 0, "state: finding %s has no rule or severity",
                          e->id);
        goto done;
    }
    o->f.rule = r;
    o->f.severity = (enum severity)sv;
    o->f.workload = get(s->a, root, "workload");
    o->f.task = get(s->a, root, "task");
    o->f.credential = get(s->a, root, "credential");
    o->f.grant = get(s->a, root, "grant");
    const char *detail = get(s->a, root, "detail");
    snprintf(o->f.detail, sizeof o->f.detail, "%s", detail ? detail : "");
    const char *t = get(s->a, root, "first_seen");
    const char *why2;
    o->f.has_first = t && gl_tstamp_parse(t, strlen(t), &o->f.first_seen, &why2) == GL_OK;
    t = get(s->a, root, "last_seen");
    o->f.has_last = t && gl_tstamp_parse(t, strlen(t), &o->f.last_seen, &why2) == GL_OK;
    const struct gl_jval *ev = gl_jval_get(root, "evidence", GL_JT_ARRAY);
    for (size_t i = 0; ev && i < ev->len && o->f.n_evidence < 64; i++) {
        const char *str = gl_jval_is(ev->vals[i], GL_JT_STRING) ? ev->vals[i]->s : NULL;
        if (str)
            o->f.evidence[o->f.n_evidence++] = gl_arena_strndup(s->a, str, strlen(str));
    }
    o->key = o->f.grant ? o->f.grant : o->f.credential ? o->f.credential : "";
done:
    gl_jtree_free(root);
    return rc;
}
