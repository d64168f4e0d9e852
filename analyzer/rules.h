/* Rules: each registers one const struct gl_rule in rules/registry.c. A
 * rule looks at one workload's timeline (grants, actions, delegations) or at
 * one credential's history, and emits findings (DESIGN.md §4). Thresholds and
 * severities come from the policy (schemas/policy.default.json). */
#ifndef GL_ANALYZER_RULES_H
#define GL_ANALYZER_RULES_H

#include "model.h"

enum severity { SEV_INFO = 0, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL, SEV__COUNT };
const char *severity_name(enum severity s);
int severity_parse(const char *s); /* -1 if unknown */

struct policy {
    int64_t unused_window, linger_grace, max_ttl, max_age, remediation_sla, deny_burst_window;
    int deny_burst_count;
    enum severity severity[32];     /* by rule table index */
    enum severity severity_deny_009; /* GL-009 on a denied action */
    /* workloads that stand for anyone (globs: Kubernetes' unauthenticated
     * group, anonymous callers): a wildcard grant to one is GL-002 at this
     * severity */
    char public_workloads[32][160];
    int n_public_workloads;
    enum severity severity_public_002;
};

/* Whether 'workload' stands for anyone under the policy. */
bool policy_is_public(const struct policy *pol, const char *workload);

/* One grant of the workload under analysis. */
struct grant {
    const char *key;
    const char *task;
    const struct perm *perms;
    int n_perms;
    int64_t start, end; /* active on [start, end); end INT64_MAX while active */
    const char *end_how; /* "revoked", "expired" or NULL */
    const char *event, *end_event;
    const char *delegator; /* non-NULL for a grant received by delegation */
    bool used;             /* covered an allowed action while active */
};

/* The timeline of one workload, built by timeline_build(). */
struct wl {
    const char *workload;
    struct evlist evs; /* its events, time order (delegations to it included) */
    struct grant *grants;
    size_t n_grants, cap_grants;
    int *cover; /* per event: index of the grant covering the action, -1 */
};

int timeline_build(struct model *m, const char *workload, struct gl_arena *a, struct wl *w,
                   struct gl_error *err);
void timeline_free(struct wl *w);
/* Index of a grant active at t that covers p, or -1. */
int timeline_covering(const struct wl *w, const struct perm *p, int64_t t);
bool grant_active(const struct grant *g, int64_t t);

/* One credential's history for the credential rules. */
struct cred {
    struct cred_info info;
    struct evlist evs; /* events naming it (as credential or as 'previous') */
};

struct finding {
    int rule; /* index in gl_rules */
    enum severity severity;
    bool severity_set; /* the rule chose it; otherwise the policy's */
    const char *workload, *task, *credential, *grant;
    int64_t first_seen, last_seen;
    bool has_first, has_last;
    const char *evidence[64];
    int n_evidence;
    char detail[512];
};

struct rule_ctx {
    struct model *m;
    const struct policy *pol;
    int rule; /* set by the engine before each call */
    /* sink for findings; copies what it keeps */
    int (*emit)(struct rule_ctx *c, const struct finding *f);
    void *sink;
    struct gl_error *err;
};

/* Policy: defaults from schemas/policy.default.json, then 'path' (may be
 * NULL) overriding any of them. */
int policy_load(struct policy *pol, const char *path, struct gl_error *err);

/* Suppressions (archive rules with an audit trail): a finding matching
 * rule and the given globs is hidden until 'expires' (a date, inclusive). */
struct suppression {
    char *rule; /* "GL-005" or "*" */
    char *workload, *credential, *grant; /* globs; NULL: any */
    char *reason, *owner;
    char expires[11]; /* YYYY-MM-DD */
    int64_t expires_us; /* end of that day, UTC */
};
struct suppressions {
    struct suppression *v;
    size_t n;
};
/* Loads a suppression file ({"suppressions": [...]}); every entry needs
 * rule, reason, owner and expires. */
int suppressions_load(struct suppressions *s, const char *path, struct gl_error *err);
void suppressions_free(struct suppressions *s);
/* The entry hiding 'f' at time 'now', or NULL. Expired entries never hide. */
const struct suppression *suppressions_match(const struct suppressions *s,
                                             const struct finding *f, int64_t now);

/* Control ids mapped to each rule, from schemas/controls.json. */
struct controls {
    char **ids[32]; /* by rule index, NULL-terminated lists */
    char *json[32]; /* the same as a JSON array, made once for the outputs */
};
int controls_load(struct controls *ctl, struct gl_error *err);
void controls_free(struct controls *ctl);

/* Fills the rule index and the policy severity, then emits. */
int rule_emit(struct rule_ctx *c, struct finding *f);

struct gl_rule {
    const char *id;   /* "GL-001" */
    const char *name; /* "unused-grant" */
    enum severity default_severity;
    const char *summary;
    /* at least one of the three */
    int (*on_workload)(struct rule_ctx *c, const struct wl *w);
    int (*on_credential)(struct rule_ctx *c, const struct cred *cr);
    int (*on_store)(struct rule_ctx *c, struct gl_store *st, const char *name);
};

extern const struct gl_rule *const gl_rules[]; /* NULL-terminated */
size_t gl_rule_count(void);
int gl_rule_find(const char *id); /* index or -1 */

#endif
