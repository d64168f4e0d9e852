/* Action rules: GL-011 unbound-action, GL-012 ungranted-action, GL-014
 * denied-burst. */
#include "common.h"

static bool own_action(const struct wl *w, const struct ev *e)
{
    return e->type == GL_EV_ACTION_PERFORMED && strcmp(e->workload, w->workload) == 0;
}

static int unbound(struct rule_ctx *c, const struct wl *w)
{
    for (size_t i = 0; i < w->evs.n; i++) {
        const struct ev *e = &w->evs.v[i];
        if (!own_action(w, e))
            continue;
        const struct cred_info *ci = NULL;
        if (e->cred) {
            ci = model_cred(c->m, e->cred, c->err);
            if (!ci)
                return c->err->code ? c->err->code : GL_ERR_NOMEM;
            /* the owner of the credential's life at the action */
            if (ci->known && strcmp(cred_life_at(ci, e)->owner, w->workload) == 0)
                continue;
        }
        /* An authority (AWS IAM, the API server, Vault) verified the caller
         * itself: a key issued before the log began, or no credential in
         * its record, is not an unbound action. A credential the stream saw
         * issued to another workload, or retired, still is. */
        if (authority_binds(ci, e))
            continue;
        struct finding f = {.workload = w->workload, .task = e->task, .credential = e->cred};
        set_span(&f, e->ts, e->ts);
        add_evidence(&f, e->id);
        char p[300];
        act_text(&e->perms[0], p, sizeof p);
        const char *dec = e->decision == GL_DECISION_ALLOW ? "allowed" : "denied";
        if (!e->cred)
            snprintf(f.detail, sizeof f.detail, "%s %s with no credential", dec, p);
        else if (!ci->known && e->authority)
            snprintf(f.detail, sizeof f.detail,
                     "%s %s with credential %s, never issued and retired by %s before, accepted "
                     "by %s",
                     dec, p, e->cred, ci->unissued_retire_event, e->authority);
        else if (!ci->known)
            snprintf(f.detail, sizeof f.detail, "%s %s with credential %s, never issued", dec, p,
                     e->cred);
        else
            snprintf(f.detail, sizeof f.detail, "%s %s with credential %s, issued to %s", dec, p,
                     e->cred, cred_life_at(ci, e)->owner);
        int rc = rule_emit(c, &f);
        if (rc)
            return rc;
    }
    return GL_OK;
}

static int ungranted(struct rule_ctx *c, const struct wl *w)
{
    for (size_t i = 0; i < w->evs.n; i++) {
        const struct ev *e = &w->evs.v[i];
        /* An authority decided with policies the stream shows only in part
         * (a CloudTrail log has no IAM policies): no grant seen is not no
         * grant held. */
        if (!own_action(w, e) || e->decision != GL_DECISION_ALLOW || w->cover[i] >= 0 ||
            e->authority)
            continue;
        struct finding f = {.workload = w->workload, .task = e->task, .credential = e->cred};
        set_span(&f, e->ts, e->ts);
        add_evidence(&f, e->id);
        char p[300];
        snprintf(f.detail, sizeof f.detail, "allowed %s, but no active grant of %s covers it",
                 act_text(&e->perms[0], p, sizeof p), w->workload);
        int rc = rule_emit(c, &f);
        if (rc)
            return rc;
    }
    return GL_OK;
}

/* A burst starts at the first denial with at least deny_burst_count
 * denials in [t, t + window]; it takes every denial up to t + window and the
 * search resumes after it (DESIGN.md §3.1). */
static int denied_burst(struct rule_ctx *c, const struct wl *w)
{
    size_t n = 0;
    for (size_t i = 0; i < w->evs.n; i++)
        n += own_action(w, &w->evs.v[i]) && w->evs.v[i].decision == GL_DECISION_DENY;
    if (n < (size_t)c->pol->deny_burst_count || n == 0)
        return GL_OK;
    const struct ev **d = malloc(n * sizeof *d);
    if (!d)
        return gl_error_set(c->err, GL_ERR_NOMEM, 0, "out of memory");
    n = 0;
    for (size_t i = 0; i < w->evs.n; i++)
        if (own_action(w, &w->evs.v[i]) && w->evs.v[i].decision == GL_DECISION_DENY)
            d[n++] = &w->evs.v[i];
    int rc = GL_OK;
    size_t i = 0;
    while (i < n && !rc) {
        int64_t end = d[i]->ts + c->pol->deny_burst_window;
        size_t j = i;
        while (j < n && d[j]->ts <= end)
            j++;
        if (j - i < (size_t)c->pol->deny_burst_count) {
            i++;
            continue;
        }
        struct finding f = {.workload = w->workload, .task = d[i]->task};
        set_span(&f, d[i]->ts, d[j - 1]->ts);
        for (size_t k = i; k < j; k++)
            add_evidence(&f, d[k]->id);
        char dur[32];
        snprintf(f.detail, sizeof f.detail, "%zu denied actions of %s within %s", j - i,
                 w->workload, fmt_dur(d[j - 1]->ts - d[i]->ts, dur));
        rc = rule_emit(c, &f);
        i = j;
    }
    free(d);
    return rc;
}

const struct gl_rule gl_rule_unbound_action = {
    .id = "GL-011",
    .name = "unbound-action",
    .default_severity = SEV_HIGH,
    .summary = "an action with no credential, an unknown one, or one issued to another workload "
               "(with an authority: only the last)",
    .on_workload = unbound,
};

const struct gl_rule gl_rule_ungranted_action = {
    .id = "GL-012",
    .name = "ungranted-action",
    .default_severity = SEV_HIGH,
    .summary = "an allowed action that no active grant of its workload covers (not judged "
               "for an action decided by an authority)",
    .on_workload = ungranted,
};

const struct gl_rule gl_rule_denied_burst = {
    .id = "GL-014",
    .name = "denied-burst",
    .default_severity = SEV_MEDIUM,
    .summary = "at least deny_burst_count denied actions within deny_burst_window",
    .on_workload = denied_burst,
};
