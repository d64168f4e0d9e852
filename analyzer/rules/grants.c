/* Grant rules: GL-001 unused-grant, GL-016 unobservable-grant, GL-002
 * wildcard-grant, GL-003 grant-beyond-task-scope, GL-004 lingering-access
 * (grants; credentials are in credentials.c). */
#include "common.h"

/* GL-001/GL-016 share the test; they differ in whether the workload showed
 * any activity while the grant was active. Returns 1 for "unused with
 * telemetry", 2 for "no telemetry", 0 when neither applies. */
static int unused_kind(struct rule_ctx *c, const struct wl *w, const struct grant *g,
                       const struct task_info **task_out)
{
    *task_out = NULL;
    if (g->used)
        return 0;
    int64_t H = c->m->horizon;
    int64_t until = g->end < H ? g->end : H;
    bool window = until - g->start >= c->pol->unused_window;
    if (!window && g->task) {
        const struct task_info *t = model_task(c->m, g->task, c->err);
        if (t && t->completed && t->end <= H) {
            window = true;
            *task_out = t;
        }
    }
    if (!window)
        return 0;
    for (size_t i = 0; i < w->evs.n; i++) {
        const struct ev *e = &w->evs.v[i];
        if (e->type == GL_EV_ACTION_PERFORMED && strcmp(e->workload, w->workload) == 0 &&
            e->ts >= g->start && e->ts < until)
            return 1;
    }
    return 2;
}

static int emit_unused(struct rule_ctx *c, const struct wl *w, int want)
{
    for (size_t i = 0; i < w->n_grants; i++) {
        const struct grant *g = &w->grants[i];
        const struct task_info *t;
        if (unused_kind(c, w, g, &t) != want)
            continue;
        struct finding f = {.workload = w->workload, .task = g->task, .grant = g->key};
        int64_t until = g->end < c->m->horizon ? g->end : c->m->horizon;
        set_span(&f, g->start, until);
        add_evidence(&f, g->event);
        char d[32], p[300];
        const char *why = t ? "its task completed" : "";
        char wbuf[64];
        if (!t)
            snprintf(wbuf, sizeof wbuf, "active %s", fmt_dur(until - g->start, d));
        snprintf(f.detail, sizeof f.detail,
                 want == 1 ? "grant %s (%s%s) covered no allowed action of %s while active (%s)"
                           : "grant %s (%s%s) saw no action at all of %s while active (%s): no "
                             "telemetry, so it cannot be called unused",
                 g->key, perm_text(&g->perms[0], p, sizeof p), g->n_perms > 1 ? ", ..." : "",
                 w->workload, t ? why : wbuf);
        int rc = rule_emit(c, &f);
        if (rc)
            return rc;
    }
    return GL_OK;
}

static int unused_grant(struct rule_ctx *c, const struct wl *w)
{
    return emit_unused(c, w, 1);
}

static int unobservable_grant(struct rule_ctx *c, const struct wl *w)
{
    return emit_unused(c, w, 2);
}

static bool is_wildcard(const struct perm *p)
{
    size_t n = strlen(p->action);
    return strcmp(p->action, "*") == 0 || (n >= 2 && strcmp(p->action + n - 2, ":*") == 0) ||
           !p->resource || strcmp(p->resource, "*") == 0;
}

static int wildcard_grant(struct rule_ctx *c, const struct wl *w)
{
    for (size_t i = 0; i < w->n_grants; i++) {
        const struct grant *g = &w->grants[i];
        for (int k = 0; k < g->n_perms; k++) {
            if (!is_wildcard(&g->perms[k]))
                continue;
            struct finding f = {.workload = w->workload, .task = g->task, .grant = g->key};
            set_span(&f, g->start, g->start);
            add_evidence(&f, g->event);
            /* a grant to anyone (the unauthenticated group, an anonymous
             * caller) is no overgrant of one agent: it is open to all */
            bool public = policy_is_public(c->pol, w->workload);
            if (public) {
                f.severity = c->pol->severity_public_002;
                f.severity_set = true;
            }
            char p[300];
            snprintf(f.detail, sizeof f.detail, "grant %s gives %s%s%s", g->key,
                     perm_text(&g->perms[k], p, sizeof p),
                     g->delegator ? " (received by delegation)" : "",
                     public ? " to anyone: this workload stands for every caller" : "");
            int rc = rule_emit(c, &f);
            if (rc)
                return rc;
            break;
        }
    }
    return GL_OK;
}

static int beyond_scope(struct rule_ctx *c, const struct wl *w)
{
    for (size_t i = 0; i < w->n_grants; i++) {
        const struct grant *g = &w->grants[i];
        if (!g->task)
            continue;
        const struct task_info *t = model_task(c->m, g->task, c->err);
        if (!t)
            return c->err->code ? c->err->code : GL_ERR_NOMEM;
        if (!t->started || !t->has_scope)
            continue;
        for (int k = 0; k < g->n_perms; k++) {
            bool inside = false;
            for (int s = 0; s < t->n_scope && !inside; s++)
                inside = perm_within(&g->perms[k], &t->scope[s]);
            if (inside)
                continue;
            struct finding f = {.workload = w->workload, .task = g->task, .grant = g->key};
            set_span(&f, g->start, g->start);
            add_evidence(&f, g->event);
            char p[300];
            detail_fmt(f.detail, sizeof f.detail,
                       "grant %s gives %s, outside the declared scope of task %s (%d entries)",
                       g->key, perm_text(&g->perms[k], p, sizeof p), g->task, t->n_scope);
            int rc = rule_emit(c, &f);
            if (rc)
                return rc;
            break;
        }
    }
    return GL_OK;
}

/* GL-004 for grants; credentials.c has the credential half. */
int lingering_grants(struct rule_ctx *c, const struct wl *w)
{
    int64_t H = c->m->horizon, grace = c->pol->linger_grace;
    for (size_t i = 0; i < w->n_grants; i++) {
        const struct grant *g = &w->grants[i];
        if (!g->task)
            continue;
        const struct task_info *t = model_task(c->m, g->task, c->err);
        if (!t)
            return c->err->code ? c->err->code : GL_ERR_NOMEM;
        if (!t->completed || t->end + grace > H || !grant_active(g, t->end + grace))
            continue;
        struct finding f = {.workload = w->workload, .task = g->task, .grant = g->key};
        int64_t until = g->end < H ? g->end : H;
        set_span(&f, t->end, until);
        add_evidence(&f, g->event);
        add_evidence(&f, t->end_event);
        add_evidence(&f, g->end_event);
        char d[32], ts[32];
        gl_tstamp_format(t->end, ts);
        if (g->end == INT64_MAX)
            detail_fmt(f.detail, sizeof f.detail,
                       "grant %s is still active %s after its task %s completed (%s)", g->key,
                       fmt_dur(H - t->end, d), g->task, ts);
        else
            detail_fmt(f.detail, sizeof f.detail,
                       "grant %s stayed active %s after its task %s completed (%s), until %s",
                       g->key, fmt_dur(g->end - t->end, d), g->task, ts,
                       g->end_how ? g->end_how : "ended");
        int rc = rule_emit(c, &f);
        if (rc)
            return rc;
    }
    return GL_OK;
}

int lingering_credential(struct rule_ctx *c, const struct cred *cr);

const struct gl_rule gl_rule_unused_grant = {
    .id = "GL-001",
    .name = "unused-grant",
    .default_severity = SEV_MEDIUM,
    .summary = "a grant covered no allowed action while active, though the workload was active",
    .on_workload = unused_grant,
};

const struct gl_rule gl_rule_wildcard_grant = {
    .id = "GL-002",
    .name = "wildcard-grant",
    .default_severity = SEV_MEDIUM,
    .summary = "a grant's action is * or ends with :*, or its resource is *",
    .on_workload = wildcard_grant,
};

const struct gl_rule gl_rule_beyond_scope = {
    .id = "GL-003",
    .name = "grant-beyond-task-scope",
    .default_severity = SEV_HIGH,
    .summary = "a grant of a task with a declared scope gives more than the scope",
    .on_workload = beyond_scope,
};

const struct gl_rule gl_rule_lingering = {
    .id = "GL-004",
    .name = "lingering-access",
    .default_severity = SEV_MEDIUM,
    .summary = "a grant or credential of a task is still active linger_grace after it completed",
    .on_workload = lingering_grants,
    .on_credential = lingering_credential,
};

const struct gl_rule gl_rule_unobservable_grant = {
    .id = "GL-016",
    .name = "unobservable-grant",
    .default_severity = SEV_INFO,
    .summary = "as GL-001, but the workload did nothing while the grant was active",
    .on_workload = unobservable_grant,
};
