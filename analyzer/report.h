/* Compliance report (the 'report' subcommand, docs/report.md): what one run
 * of the rule engine tells a compliance or IAM team, per control of the
 * catalog (schemas/controls.json), per workload, and as metrics, plus the
 * writers that print it as Markdown, HTML, JSON or OSCAL assessment results.
 *
 * Memory is bounded by the number of controls, workloads and exposed
 * credentials, not by the number of findings: each finding is tallied and
 * dropped unless it is among the 'max_evidence' most severe of one of its
 * controls (kept findings are shared between controls by reference count).
 * The metrics are taken from the engine's own per-workload timeline right
 * after the rules ran on it, and from one extra read of each credential's
 * history, so the report costs about one 'findings' run. */
#ifndef GL_ANALYZER_REPORT_H
#define GL_ANALYZER_REPORT_H

#include "engine.h"

#include <stdio.h>

/* A finding kept as evidence of a control; owned by the controls that keep
 * it (refs), freed when the last one drops it. */
struct rep_finding {
    int refs;
    char id[33];
    int rule;
    enum severity severity;
    char *workload, *task, *credential, *grant, *detail;
    int64_t first_seen, last_seen;
    bool has_first, has_last;
    char *evidence[8]; /* event ids (the first ones of the finding) */
    int n_evidence;
};

enum rep_status {
    REP_FINDINGS = 0,
    REP_NO_FINDINGS,
    REP_NOT_ASSESSED,
    REP_ACCEPTED, /* every finding suppressed by a reviewed exception */
    REP__STATUS_COUNT
};

struct rep_control {
    char *id;            /* "NIST-800-53:AC-2(3)", as in the catalog */
    const char *control; /* after the framework prefix: "AC-2(3)" */
    int fw;              /* index in report.fw */
    char *title;         /* from the catalog when it has one, else NULL */
    char *oscal_id;      /* the catalog's "oscal_id" ("ac-2.3"), else NULL */
    uint32_t rules;      /* bit i: gl_rules[i] maps to it */
    uint64_t findings, suppressed;
    uint64_t sev[SEV__COUNT];
    struct rep_finding **ev; /* kept evidence; most severe first after report_finish */
    size_t n_ev, cap_ev;
};

struct rep_workload {
    char *name;
    uint64_t findings, suppressed;
    uint64_t sev[SEV__COUNT];
    uint32_t rule_n[32];
    int8_t rule_max[32]; /* worst severity per rule, -1 none */
    uint64_t events;
    uint64_t grants, grants_used, perms, perms_used;
    uint64_t actions, actions_bound;
};

/* Upper bounds (inclusive) of the duration histograms; the last bucket is
 * everything longer. */
#define REP_BUCKETS 7
extern const int64_t rep_bucket_max[REP_BUCKETS - 1];
extern const char *const rep_bucket_label[REP_BUCKETS];

struct rep_metrics {
    /* privilege utilisation: sums over the workloads */
    uint64_t grants, grants_used, perms, perms_used;
    /* actions bound to a credential issued to the acting workload */
    uint64_t actions, actions_bound, actions_no_cred, actions_unknown_cred, actions_foreign_cred;
    uint64_t actions_authority; /* of actions_bound: bound by their authority, not a credential */
    /* task-scoped grants and credentials: decided = the task completed at
     * least linger_grace before H; ended = not active at completed + grace */
    uint64_t task_grants, task_grants_ended, task_grants_pending;
    uint64_t task_creds, task_creds_ended, task_creds_pending;
    /* credential exposures */
    uint64_t exposed, exposed_untracked, remediated, open, over_sla;
    int64_t *lags; /* remediated: retired - first exposure (>= 0), sorted by report_finish */
    size_t n_lags, cap_lags;
    int64_t oldest_open;
    /* credentials (index keys, known = issued at or before H) */
    uint64_t creds, creds_known, creds_active, creds_no_expiry;
    uint64_t age_active[REP_BUCKETS];       /* H - issued, active at H */
    uint64_t lifetime_retired[REP_BUCKETS]; /* retired - issued, retired by H */
    uint64_t ttl[REP_BUCKETS];              /* expires_at - issued, where set */
};

struct rep_store {
    const char *path;
    struct gl_store_stats st;
};

struct rep_framework {
    char *id;    /* "NIST-800-53" */
    char *title; /* "NIST SP 800-53 Rev. 5" or the id */
    bool selected;
};

struct report {
    /* inputs (borrowed) */
    const struct policy *pol;
    const struct controls *ctl;
    const struct suppressions *supp;
    const char *policy_path, *supp_path;
    const char *title; /* --title, or NULL for the default */
    struct rep_store *stores;
    size_t n_stores;
    int64_t horizon; /* INT64_MIN when the stores are empty and no --at */
    bool has_at;
    int64_t generated;   /* report time (SOURCE_DATE_EPOCH when set) */
    size_t max_evidence; /* per control; 0: all */
    bool catalog_titles; /* the catalog had a list of controls */

    struct rep_framework fw[16];
    size_t n_fw;
    bool select_all;              /* no --framework: every framework, also ones found late */
    struct rep_control *controls; /* sorted: framework order, then natural id order */
    size_t n_controls;
    int *rule_ctl[32]; /* per rule: indices of its selected controls, -1 terminated */

    uint64_t findings, suppressed, sev[SEV__COUNT];
    uint64_t rule_sev[32][SEV__COUNT], rule_supp[32];
    uint64_t store_findings;  /* findings without a workload (GL-015) */
    struct rep_workload *wls; /* sorted by name */
    size_t n_wls, cap_wls;
    uint64_t events, per_type[GL_EV__COUNT]; /* analysed: deduplicated, up to H */
    uint64_t workloads, tasks;               /* distinct index keys */
    uint64_t visited; /* workloads and credentials read: pages released every 1024 */
    struct rep_metrics met;

    struct engine *e;
    struct gl_arena *tmp;
    struct gl_error *err;
};

/* Loads the catalog view (frameworks, titles, controls) for the selected
 * frameworks: 'fw' lists catalog prefixes ("NIST-800-53"), NULL for all.
 * Controls mapped by a rule are always listed; catalog controls no rule maps
 * are listed as not assessed. */
int report_init(struct report *r, const struct controls *ctl, const char *const *fw, size_t n_fw,
                struct gl_error *err);
void report_free(struct report *r);

/* Runs every rule over the model through 'e' (whose flush the report takes
 * over) and gathers findings and metrics. */
int report_run(struct report *r, struct engine *e, struct gl_store **stores,
               const char *const *names, size_t n);

/* Sorts evidence and lags; call once after report_run. */
void report_finish(struct report *r);

/* --- helpers for the writers --- */
/* A control's status in this report: not assessed when no rule maps to it,
 * or when nothing was found and no event was analysed at all (rules that
 * ran over nothing say nothing; GL-015 still judges the store), risk
 * accepted when its only findings are suppressed. */
enum rep_status rep_control_status(const struct report *r, const struct rep_control *c);
const char *rep_status_name(enum rep_status s);
/* Earliest first and latest last event over the stores; false if all are
 * empty. */
bool rep_time_range(const struct report *r, int64_t *first, int64_t *last);
/* "unused_window 30d 0h, linger_grace 5m 0s, ..., deny burst 10 in 5m 0s":
 * the thresholds in force, as plain text (no markup needed) for every format. */
const char *rep_policy_text(const struct report *r, char *out, size_t n);
/* Controls per status (indexed by enum rep_status), of framework 'fw' or of
 * all when fw < 0. */
void rep_status_counts(const struct report *r, int fw, uint64_t out[REP__STATUS_COUNT]);
/* Total events in the stores (before deduplication across stores). */
uint64_t rep_stored_events(const struct report *r);
/* The worst severity with findings, or -1. */
int rep_worst(const uint64_t sev[SEV__COUNT]);
/* Index of the rule with the worst finding of a workload (ties: more
 * findings, then table order), or -1. */
int rep_worst_rule(const struct rep_workload *w);
/* qsort order of 'struct rep_finding *' elements: most severe first, then
 * earliest, then by finding id. */
int rep_finding_cmp(const void *a, const void *b);
/* Nearest-rank percentile of the sorted remediation lags (0 < p <= 100). */
int64_t rep_lag_percentile(const struct report *r, int p);
/* "3d 4h", "12m 5s" */
const char *rep_dur(int64_t us, char out[32]);
/* RFC 3339, or "-" for INT64_MIN */
const char *rep_ts(int64_t us, char out[32]);
/* 100 * a / b with one decimal, "-" when b is 0 */
const char *rep_pct(uint64_t a, uint64_t b, char out[16]);
/* OSCAL control id: the catalog's oscal_id, else derived ("AC-2(3)" ->
 * "ac-2.3"); false if the control is not a NIST SP 800-53 one */
bool rep_oscal_id(const struct rep_control *c, char *out, size_t n);
/* RFC 4122 version-5-style UUID from SHA-256 of the parts joined by '|'. */
void rep_uuid(char out[37], const char *const *parts, size_t n);

void rep_json_str(FILE *f, const char *s);
void rep_html(FILE *f, const char *s);
void rep_md(FILE *f, const char *s);

/* --- writers --- */
struct rep_format {
    const char *name;
    const char *description;
    void (*write)(FILE *f, const struct report *r);
};
extern const struct rep_format rep_format_md, rep_format_html, rep_format_json, rep_format_oscal;

#endif
