/* Timeline builder: replays one workload's events in time order and derives
 * its grants (with their active intervals) and which grant covered each
 * action (DESIGN.md §3, §3.1). */
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool grant_active(const struct grant *g, int64_t t)
{
    return g->start <= t && t < g->end;
}

static struct grant *new_grant(struct wl *w)
{
    if (w->n_grants == w->cap_grants) {
        size_t nc = w->cap_grants ? w->cap_grants * 2 : 16;
        struct grant *g = realloc(w->grants, nc * sizeof *g);
        if (!g)
            return NULL;
        w->grants = g;
        w->cap_grants = nc;
    }
    struct grant *g = &w->grants[w->n_grants++];
    memset(g, 0, sizeof *g);
    return g;
}

static const char *res_or_star(const char *r)
{
    return r ? r : "*";
}

/* A re-grant of a key that is still active changes nothing (like a repeated
 * issue of a credential). */
static bool key_active(const struct wl *w, const char *key, int64_t t)
{
    for (size_t i = 0; i < w->n_grants; i++)
        if (strcmp(w->grants[i].key, key) == 0 && grant_active(&w->grants[i], t))
            return true;
    return false;
}

static int add_grants(struct wl *w, struct gl_arena *a, const struct ev *e, const char *delegator)
{
    int64_t end = e->has_expires ? e->expires : INT64_MAX;
    if (e->grant_id) {
        if (key_active(w, e->grant_id, e->ts))
            return GL_OK;
        struct grant *g = new_grant(w);
        if (!g)
            return GL_ERR_NOMEM;
        *g = (struct grant){.key = e->grant_id, .task = e->task, .perms = e->perms,
                            .n_perms = e->n_perms, .start = e->ts, .end = end,
                            .end_how = e->has_expires ? "expired" : NULL, .event = e->id,
                            .delegator = delegator};
        return GL_OK;
    }
    const char *holder = delegator ? e->delegate : e->workload;
    for (int i = 0; i < e->n_perms; i++) {
        const struct perm *p = &e->perms[i];
        size_t n = strlen(holder) + strlen(p->action) + strlen(res_or_star(p->resource)) + 3;
        char *key = gl_arena_alloc(a, n);
        if (!key)
            return GL_ERR_NOMEM;
        snprintf(key, n, "%s|%s|%s", holder, p->action, res_or_star(p->resource));
        if (key_active(w, key, e->ts))
            continue;
        struct grant *g = new_grant(w);
        if (!g)
            return GL_ERR_NOMEM;
        *g = (struct grant){.key = key, .task = e->task, .perms = p, .n_perms = 1,
                            .start = e->ts, .end = end,
                            .end_how = e->has_expires ? "expired" : NULL, .event = e->id,
                            .delegator = delegator};
    }
    return GL_OK;
}

static bool same_perm_text(const struct perm *a, const struct perm *b)
{
    return strcmp(a->action, b->action) == 0 &&
           strcmp(res_or_star(a->resource), res_or_star(b->resource)) == 0;
}

/* access.revoked ends the active grants that match by grant_id, or by exact
 * action and resource text of one of their permissions. */
static void revoke(struct wl *w, const struct ev *e)
{
    for (size_t i = 0; i < w->n_grants; i++) {
        struct grant *g = &w->grants[i];
        if (!grant_active(g, e->ts))
            continue;
        bool match = e->grant_id && strcmp(e->grant_id, g->key) == 0;
        for (int k = 0; !match && k < e->n_perms; k++)
            for (int j = 0; !match && j < g->n_perms; j++)
                match = same_perm_text(&e->perms[k], &g->perms[j]);
        if (match) {
            g->end = e->ts;
            g->end_how = "revoked";
            g->end_event = e->id;
        }
    }
}

int timeline_covering(const struct wl *w, const struct perm *p, int64_t t)
{
    for (size_t i = 0; i < w->n_grants; i++) {
        const struct grant *g = &w->grants[i];
        if (!grant_active(g, t))
            continue;
        for (int k = 0; k < g->n_perms; k++)
            if (perm_covers(&g->perms[k], p))
                return (int)i;
    }
    return -1;
}

int timeline_build(struct model *m, const char *workload, struct gl_arena *a, struct wl *w,
                   struct gl_error *err)
{
    w->n_grants = 0;
    int rc = model_load(m, GL_IDX_WORKLOAD, workload, a, &w->evs, err);
    if (rc)
        return rc;
    workload = model_full_name(&w->evs, GL_IDX_WORKLOAD, workload);
    w->workload = workload;
    for (size_t i = 0; i < w->evs.n; i++) {
        const struct ev *e = &w->evs.v[i];
        bool own = strcmp(e->workload, workload) == 0;
        rc = GL_OK;
        if (e->type == GL_EV_ACCESS_GRANTED && own)
            rc = add_grants(w, a, e, NULL);
        else if (e->type == GL_EV_AGENT_DELEGATED && e->delegate &&
                 strcmp(e->delegate, workload) == 0)
            rc = add_grants(w, a, e, e->workload);
        else if (e->type == GL_EV_ACCESS_REVOKED && own)
            revoke(w, e);
        if (rc)
            return gl_error_set(err, rc, 0, "out of memory");
    }
    free(w->cover);
    w->cover = malloc((w->evs.n ? w->evs.n : 1) * sizeof *w->cover);
    if (!w->cover)
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    for (size_t i = 0; i < w->evs.n; i++) {
        const struct ev *e = &w->evs.v[i];
        w->cover[i] = -1;
        if (e->type != GL_EV_ACTION_PERFORMED || strcmp(e->workload, workload) != 0 ||
            e->n_perms < 1)
            continue;
        int g = timeline_covering(w, &e->perms[0], e->ts);
        w->cover[i] = g;
        if (g >= 0 && e->decision == GL_DECISION_ALLOW)
            w->grants[g].used = true;
        /* a covering grant is one that covers; others covering too are used as well */
        if (e->decision == GL_DECISION_ALLOW)
            for (size_t k = (size_t)g + 1; g >= 0 && k < w->n_grants; k++)
                if (grant_active(&w->grants[k], e->ts))
                    for (int j = 0; j < w->grants[k].n_perms; j++)
                        if (perm_covers(&w->grants[k].perms[j], &e->perms[0]))
                            w->grants[k].used = true;
    }
    return GL_OK;
}

void timeline_free(struct wl *w)
{
    free(w->evs.v);
    free(w->grants);
    free(w->cover);
    memset(w, 0, sizeof *w);
}
