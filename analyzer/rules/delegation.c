/* Delegation rule: GL-013 delegation-escalation. */
#include "common.h"

static int escalation(struct rule_ctx *c, const struct wl *w)
{
    for (size_t i = 0; i < w->evs.n; i++) {
        const struct ev *e = &w->evs.v[i];
        if (e->type != GL_EV_AGENT_DELEGATED || strcmp(e->workload, w->workload) != 0)
            continue;
        const struct perm *beyond = NULL;
        for (int k = 0; k < e->n_perms && !beyond; k++) {
            bool within = false;
            for (size_t g = 0; g < w->n_grants && !within; g++) {
                const struct grant *gr = &w->grants[g];
                if (!grant_active(gr, e->ts))
                    continue;
                for (int j = 0; j < gr->n_perms && !within; j++)
                    within = perm_within(&e->perms[k], &gr->perms[j]);
            }
            if (!within)
                beyond = &e->perms[k];
        }
        if (!beyond)
            continue;
        struct finding f = {.workload = w->workload, .task = e->task};
        set_span(&f, e->ts, e->ts);
        add_evidence(&f, e->id);
        char p[300];
        snprintf(f.detail, sizeof f.detail,
                 "%s delegated %s to %s, which no grant it held at that time covers",
                 w->workload, perm_text(beyond, p, sizeof p), e->delegate);
        int rc = rule_emit(c, &f);
        if (rc)
            return rc;
    }
    return GL_OK;
}

const struct gl_rule gl_rule_delegation_escalation = {
    .id = "GL-013",
    .name = "delegation-escalation",
    .default_severity = SEV_CRITICAL,
    .summary = "a delegated permission not within any active grant of the delegating workload",
    .on_workload = escalation,
};
