/* Credential rules: GL-004 lingering-access (credentials), GL-005
 * long-lived-credential, GL-006 stale-credential, GL-007 unused-credential,
 * GL-008 shared-credential, GL-009 use-after-retire, GL-010 remediation-lag.
 * Each runs on one credential's history from the credential index. */
#include "common.h"

static bool active_at(const struct cred_life *l, int64_t t)
{
    return l->issued <= t && t < l->retired;
}

static bool is_use(const struct ev *e, const char *id)
{
    return e->type == GL_EV_ACTION_PERFORMED && e->cred && strcmp(e->cred, id) == 0;
}

int lingering_credential(struct rule_ctx *c, const struct cred *cr)
{
    const struct cred_info *ci = &cr->info;
    int64_t H = c->m->horizon;
    /* the first life that carried a task and outlived it (one finding per
     * credential) */
    for (size_t k = 0; k < ci->n_lives; k++) {
        const struct cred_life *l = &ci->lives[k];
        if (!l->task)
            continue;
        const struct task_info *t = model_task(c->m, l->task, c->err);
        if (!t)
            return c->err->code ? c->err->code : GL_ERR_NOMEM;
        int64_t at = t->end + c->pol->linger_grace;
        if (!t->completed || at > H || !active_at(l, at))
            continue;
        struct finding f = {.workload = l->owner, .task = l->task, .credential = ci->id};
        set_span(&f, t->end, l->retired < H ? l->retired : H);
        add_evidence(&f, l->issue_event);
        add_evidence(&f, t->end_event);
        add_evidence(&f, l->retire_event);
        char d[32];
        if (l->retired > H)
            detail_fmt(f.detail, sizeof f.detail,
                       "credential %s is still active %s after its task %s completed", ci->id,
                       fmt_dur(H - t->end, d), l->task);
        else
            detail_fmt(f.detail, sizeof f.detail,
                       "credential %s stayed active %s after its task %s completed (then %s)",
                       ci->id, fmt_dur(l->retired - t->end, d), l->task,
                       l->retired_how ? l->retired_how : "retired");
        return rule_emit(c, &f);
    }
    return GL_OK;
}

static int long_lived(struct rule_ctx *c, const struct cred *cr)
{
    const struct cred_info *ci = &cr->info;
    const struct cred_life *l = NULL;
    for (size_t k = 0; k < ci->n_lives && !l; k++) /* the first life issued so */
        if (!ci->lives[k].has_expires ||
            ci->lives[k].longest - ci->lives[k].issued > c->pol->max_ttl)
            l = &ci->lives[k];
    if (!l)
        return GL_OK;
    struct finding f = {.workload = l->owner, .task = l->task, .credential = ci->id};
    set_span(&f, l->issued, l->issued);
    add_evidence(&f, l->issue_event);
    char d[32], m[32];
    if (l->has_expires)
        snprintf(f.detail, sizeof f.detail, "credential %s was issued for %s (max_ttl %s)",
                 ci->id, fmt_dur(l->longest - l->issued, d), fmt_dur(c->pol->max_ttl, m));
    else
        snprintf(f.detail, sizeof f.detail, "credential %s was issued without an expiry",
                 ci->id);
    return rule_emit(c, &f);
}

static int stale(struct rule_ctx *c, const struct cred *cr)
{
    const struct cred_info *ci = &cr->info;
    const struct cred_life *l = ci->cur; /* the life at the horizon */
    int64_t H = c->m->horizon;
    if (!ci->known || !active_at(l, H) || H - l->issued <= c->pol->max_age)
        return GL_OK;
    struct finding f = {.workload = l->owner, .task = l->task, .credential = ci->id};
    set_span(&f, l->issued, H);
    add_evidence(&f, l->issue_event);
    char d[32], m[32];
    snprintf(f.detail, sizeof f.detail, "credential %s is %s old and still active (max_age %s)",
             ci->id, fmt_dur(H - l->issued, d), fmt_dur(c->pol->max_age, m));
    return rule_emit(c, &f);
}

static int unused(struct rule_ctx *c, const struct cred *cr)
{
    const struct cred_info *ci = &cr->info;
    const struct cred_life *l = ci->cur; /* the life at the horizon */
    int64_t H = c->m->horizon, win = c->pol->unused_window;
    if (!ci->known || !active_at(l, H) || H - l->issued < win)
        return GL_OK;
    const struct ev *last = NULL;
    for (size_t i = 0; i < cr->evs.n; i++) {
        const struct ev *e = &cr->evs.v[i];
        if (!is_use(e, ci->id) || cred_life_at(ci, e) != l) /* uses of this life */
            continue;
        if (e->ts > H - win)
            return GL_OK;
        last = e;
    }
    /* Its owner acted in the window through the authority that verifies
     * this credential, and that authority's log named no credential (a
     * Kubernetes service account before 1.29, an AWS console sign-in): a
     * use of this one cannot be told from none, so "unused" is not claimed. */
    if (l->issue_authority) {
        bool unattributed = false;
        int rc = model_unattributed_use(c->m, l->owner, l->issue_authority, H - win + 1, H,
                                        &unattributed, c->err);
        if (rc)
            return rc;
        if (unattributed)
            return GL_OK;
    }
    struct finding f = {.workload = l->owner, .task = l->task, .credential = ci->id};
    set_span(&f, l->issued, H);
    add_evidence(&f, l->issue_event);
    add_evidence(&f, last ? last->id : NULL);
    char d[32], ts[32];
    if (last)
        snprintf(f.detail, sizeof f.detail,
                 "credential %s is active but unused for %s (last used %s)", ci->id,
                 fmt_dur(H - last->ts, d), gl_tstamp_format(last->ts, ts));
    else
        snprintf(f.detail, sizeof f.detail,
                 "credential %s is active and was never used in %s since it was issued", ci->id,
                 fmt_dur(H - l->issued, d));
    return rule_emit(c, &f);
}

static int shared(struct rule_ctx *c, const struct cred *cr)
{
    const struct cred_info *ci = &cr->info;
    /* uses count by the life they fall in: the same id issued again to
     * another workload is that workload's credential, not a shared one */
    size_t groups = ci->n_lives ? ci->n_lives : 1;
    for (size_t g = 0; g < groups; g++) {
        const struct cred_life *l = ci->n_lives ? &ci->lives[g] : NULL;
        const char *users[64];
        const char *first_use[64];
        int n = 0;
        int64_t first = 0, last = 0;
        for (size_t i = 0; i < cr->evs.n; i++) {
            const struct ev *e = &cr->evs.v[i];
            if (!is_use(e, ci->id) || (l && cred_life_at(ci, e) != l))
                continue;
            if (n == 0 && first == 0)
                first = e->ts;
            last = e->ts;
            bool seen = false;
            for (int k = 0; k < n && !seen; k++)
                seen = strcmp(users[k], e->workload) == 0;
            if (!seen && n < 64) {
                users[n] = e->workload;
                first_use[n++] = e->id;
            }
        }
        if (n < 2)
            continue;
        struct finding f = {.workload = l ? l->owner : users[0], .task = l ? l->task : NULL,
                            .credential = ci->id};
        set_span(&f, first, last);
        for (int k = 0; k < n; k++)
            add_evidence(&f, first_use[k]);
        int at = l ? snprintf(f.detail, sizeof f.detail,
                              "credential %s (issued to %s) was used by %d workloads:", ci->id,
                              l->owner, n)
                   : snprintf(f.detail, sizeof f.detail,
                              "credential %s (never issued) was used by %d workloads:", ci->id, n);
        for (int k = 0; k < n && at > 0 && (size_t)at < sizeof f.detail; k++)
            at += snprintf(f.detail + at, sizeof f.detail - (size_t)at, "%s %s", k ? "," : "",
                           users[k]);
        return rule_emit(c, &f); /* one finding per credential */
    }
    return GL_OK;
}

static int use_after_retire(struct rule_ctx *c, const struct cred *cr)
{
    const struct cred_info *ci = &cr->info;
    if (!ci->known)
        return GL_OK;
    for (size_t i = 0; i < cr->evs.n; i++) {
        const struct ev *e = &cr->evs.v[i];
        if (!is_use(e, ci->id) || !cred_retired_at(ci, e))
            continue;
        const struct cred_life *l = cred_life_at(ci, e);
        struct finding f = {.workload = e->workload, .task = e->task, .credential = ci->id};
        set_span(&f, e->ts, e->ts);
        add_evidence(&f, e->id);
        add_evidence(&f, l->retire_event);
        if (e->decision == GL_DECISION_DENY) {
            f.severity = c->pol->severity_deny_009;
            f.severity_set = true;
        }
        char d[32], p[300];
        snprintf(f.detail, sizeof f.detail, "%s %s with credential %s %s after it was %s",
                 e->decision == GL_DECISION_ALLOW ? "allowed" : "denied",
                 act_text(&e->perms[0], p, sizeof p), ci->id, fmt_dur(e->ts - l->retired, d),
                 l->retired_how ? l->retired_how : "retired");
        int rc = rule_emit(c, &f);
        if (rc)
            return rc;
    }
    return GL_OK;
}

static int remediation_lag(struct rule_ctx *c, const struct cred *cr)
{
    const struct cred_info *ci = &cr->info;
    if (!ci->known)
        return GL_OK;
    int64_t H = c->m->horizon;
    /* the first exposure of each life counts: a secret exposed again after
     * it was revoked and issued again is another clock */
    const struct cred_life *l;
    const struct ev *exp = cred_exposure(ci, &cr->evs, c->pol->remediation_sla, H, &l);
    if (!exp)
        return GL_OK;
    int64_t until = l->retired < H ? l->retired : H;
    if (until - exp->ts <= c->pol->remediation_sla)
        return GL_OK;
    struct finding f = {.workload = l->owner, .task = l->task, .credential = ci->id};
    set_span(&f, exp->ts, until);
    add_evidence(&f, exp->id);
    add_evidence(&f, l->retire_event);
    char d[32], s[32];
    if (l->retired <= H)
        snprintf(f.detail, sizeof f.detail,
                 "credential %s was %s %s after it was exposed (remediation_sla %s)", ci->id,
                 l->retired_how ? l->retired_how : "retired", fmt_dur(until - exp->ts, d),
                 fmt_dur(c->pol->remediation_sla, s));
    else
        snprintf(f.detail, sizeof f.detail,
                 "credential %s is still active %s after it was exposed (remediation_sla %s)",
                 ci->id, fmt_dur(until - exp->ts, d), fmt_dur(c->pol->remediation_sla, s));
    return rule_emit(c, &f);
}

const struct gl_rule gl_rule_long_lived = {
    .id = "GL-005",
    .name = "long-lived-credential",
    .default_severity = SEV_MEDIUM,
    .summary = "a credential issued without expires_at or with a lifetime over max_ttl",
    .on_credential = long_lived,
};

const struct gl_rule gl_rule_stale = {
    .id = "GL-006",
    .name = "stale-credential",
    .default_severity = SEV_MEDIUM,
    .summary = "a credential still active at the horizon and older than max_age",
    .on_credential = stale,
};

const struct gl_rule gl_rule_unused_credential = {
    .id = "GL-007",
    .name = "unused-credential",
    .default_severity = SEV_LOW,
    .summary = "an active credential not used by any action in the last unused_window",
    .on_credential = unused,
};

const struct gl_rule gl_rule_shared = {
    .id = "GL-008",
    .name = "shared-credential",
    .default_severity = SEV_HIGH,
    .summary = "one credential used in actions by two or more workloads",
    .on_credential = shared,
};

const struct gl_rule gl_rule_use_after_retire = {
    .id = "GL-009",
    .name = "use-after-retire",
    .default_severity = SEV_CRITICAL,
    .summary = "an action used a credential at or after its retirement (deny: low)",
    .on_credential = use_after_retire,
};

const struct gl_rule gl_rule_remediation_lag = {
    .id = "GL-010",
    .name = "remediation-lag",
    .default_severity = SEV_HIGH,
    .summary = "an exposed credential retired more than remediation_sla after exposure",
    .on_credential = remediation_lag,
};
