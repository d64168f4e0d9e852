/* Report as Markdown (CommonMark with pipe tables): summary, scope, controls
 * per framework, evidence per control, workloads, rules and metrics. Every
 * string that comes from events goes through rep_md(), so a workload name
 * cannot open a link, inject HTML or break a table row. */
#include "report.h"

#include "grantline/tstamp.h"

#include <string.h>

static void sev_list(FILE *f, const uint64_t sev[SEV__COUNT])
{
    bool any = false;
    for (int s = SEV__COUNT - 1; s >= 0; s--) {
        if (!sev[s])
            continue;
        fprintf(f, "%s%llu %s", any ? ", " : "", (unsigned long long)sev[s],
                severity_name((enum severity)s));
        any = true;
    }
    if (!any)
        fputs("-", f);
}

static void rule_list(FILE *f, uint32_t rules)
{
    bool any = false;
    for (size_t k = 0; gl_rules[k]; k++)
        if (rules & (1u << k)) {
            fprintf(f, "%s%s", any ? ", " : "", gl_rules[k]->id);
            any = true;
        }
    if (!any)
        fputs("-", f);
}

/* A GitHub-style anchor for a control heading. */
static void anchor(FILE *f, const char *id)
{
    for (const char *p = id; *p; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            fputc(c - 'A' + 'a', f);
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
            fputc(c, f);
        else if (c == ' ')
            fputc('-', f);
    }
}

static void summary(FILE *f, const struct report *r)
{
    char a[16], b[16], d[32];
    const struct rep_metrics *m = &r->met;
    uint64_t st[REP__STATUS_COUNT];
    rep_status_counts(r, -1, st);
    fprintf(f, "## Summary\n\n");
    fprintf(f, "- **Findings:** %llu (", (unsigned long long)r->findings);
    sev_list(f, r->sev);
    fprintf(f, ")%s", r->suppressed ? "" : "\n");
    if (r->suppressed)
        fprintf(f, "; %llu more suppressed by reviewed exceptions\n",
                (unsigned long long)r->suppressed);
    fprintf(f,
            "- **Controls:** %zu: %llu with findings, %llu risk accepted, %llu with no "
            "findings, %llu not assessed\n",
            r->n_controls, (unsigned long long)st[REP_FINDINGS],
            (unsigned long long)st[REP_ACCEPTED], (unsigned long long)st[REP_NO_FINDINGS],
            (unsigned long long)st[REP_NOT_ASSESSED]);
    if (!r->events)
        fprintf(f, "- **No event was analysed** (an empty store, or only quarantined input): "
                   "no control is assessed\n");
    fprintf(f, "- **Privilege utilisation:** %s of granted permissions were used (%llu of %llu)\n",
            rep_pct(m->perms_used, m->perms, a), (unsigned long long)m->perms_used,
            (unsigned long long)m->perms);
    fprintf(f, "- **Actions bound to a verified credential:** %s (%llu of %llu)\n",
            rep_pct(m->actions_bound, m->actions, a), (unsigned long long)m->actions_bound,
            (unsigned long long)m->actions);
    fprintf(f, "- **Task-scoped access that ended with its task:** %s (%llu of %llu)\n",
            rep_pct(m->task_grants_ended + m->task_creds_ended, m->task_grants + m->task_creds, b),
            (unsigned long long)(m->task_grants_ended + m->task_creds_ended),
            (unsigned long long)(m->task_grants + m->task_creds));
    fprintf(f, "- **Exposed credentials:** %llu (%llu open, %llu over the %s SLA)",
            (unsigned long long)m->exposed, (unsigned long long)m->open,
            (unsigned long long)m->over_sla, rep_dur(r->pol->remediation_sla, d));
    if (m->exposed_untracked)
        fprintf(f, "; %llu exposed secrets match no issued credential",
                (unsigned long long)m->exposed_untracked);
    fputs("\n\n", f);
}

static void scope(FILE *f, const struct report *r)
{
    char t1[32], t2[32];
    fprintf(f, "## Scope\n\n| store | events | first event | last event | duplicates | "
               "quarantined | hash chain head |\n|---|---:|---|---|---:|---:|---|\n");
    for (size_t i = 0; i < r->n_stores; i++) {
        const struct gl_store_stats *s = &r->stores[i].st;
        fputs("| ", f);
        rep_md(f, r->stores[i].path);
        fprintf(f, " | %llu | %s | %s | %llu | %llu | `", (unsigned long long)s->events,
                s->events ? rep_ts(s->first_ts, t1) : "-", s->events ? rep_ts(s->last_ts, t2) : "-",
                (unsigned long long)s->duplicates, (unsigned long long)s->quarantined);
        for (int k = 0; k < GL_STORE_HASH_LEN; k++)
            fprintf(f, "%02x", s->chain_head[k]);
        fputs("` |\n", f);
    }
    int64_t first = 0, last = 0;
    bool any = rep_time_range(r, &first, &last);
    fprintf(f, "\n- **Time range:** %s to %s\n", any ? rep_ts(first, t1) : "-",
            any ? rep_ts(last, t2) : "-");
    fprintf(f, "- **Horizon:** %s (%s); events after it are not analysed\n", rep_ts(r->horizon, t1),
            r->has_at ? "--at" : "the latest event");
    fprintf(f,
            "- **Events:** %llu stored, %llu analysed (deduplicated across stores, up to the "
            "horizon):",
            (unsigned long long)rep_stored_events(r), (unsigned long long)r->events);
    bool firstt = true;
    for (int i = 0; i < GL_EV__COUNT; i++) {
        if (!r->per_type[i])
            continue;
        fprintf(f, "%s %llu %s", firstt ? "" : ",", (unsigned long long)r->per_type[i],
                gl_event_type_name((enum gl_event_type)i));
        firstt = false;
    }
    fprintf(f, "\n- **Workloads:** %llu; **credentials:** %llu; **tasks:** %llu\n",
            (unsigned long long)r->workloads, (unsigned long long)r->met.creds,
            (unsigned long long)r->tasks);
    fputs("- **Frameworks:** ", f);
    firstt = true;
    for (size_t i = 0; i < r->n_fw; i++) {
        if (!r->fw[i].selected)
            continue;
        fputs(firstt ? "" : "; ", f);
        rep_md(f, r->fw[i].title);
        firstt = false;
    }
    char pol[256];
    fprintf(f, "\n- **Rules:** all %zu (GL-001..GL-016); policy %s: %s\n", gl_rule_count(),
            r->policy_path ? "from --policy" : "defaults", rep_policy_text(r, pol, sizeof pol));
    if (r->policy_path) {
        fputs("  (policy file ", f);
        rep_md(f, r->policy_path);
        fputs(")\n", f);
    }
    if (r->supp_path) {
        fputs("- **Suppressions:** ", f);
        rep_md(f, r->supp_path);
        fprintf(f, " (%llu findings suppressed)\n", (unsigned long long)r->suppressed);
    }
    fputc('\n', f);
}

static void controls(FILE *f, const struct report *r)
{
    fprintf(f, "## Controls\n\nStatus: **findings** (a mapped rule found something: the "
               "findings are the evidence below), **risk accepted** (a mapped rule found "
               "something, and every such finding is suppressed by a reviewed exception), "
               "**no findings** (the mapped rules ran over the analysed events and found "
               "nothing), **not assessed** (no grantline rule maps to the control, or no event "
               "was analysed).\n\n");
    for (size_t k = 0; k < r->n_fw; k++) {
        if (!r->fw[k].selected)
            continue;
        uint64_t st[REP__STATUS_COUNT];
        rep_status_counts(r, (int)k, st);
        if (!st[0] && !st[1] && !st[2] && !st[3])
            continue;
        fputs("### ", f);
        rep_md(f, r->fw[k].title);
        fprintf(f,
                "\n\n%llu with findings, %llu risk accepted, %llu with no findings, %llu not "
                "assessed.\n\n",
                (unsigned long long)st[REP_FINDINGS], (unsigned long long)st[REP_ACCEPTED],
                (unsigned long long)st[REP_NO_FINDINGS], (unsigned long long)st[REP_NOT_ASSESSED]);
        fprintf(f,
                "| control | %sstatus | findings | severities | rules |\n|---|%s---|---:|---|"
                "---|\n",
                r->catalog_titles ? "title | " : "", r->catalog_titles ? "---|" : "");
        for (size_t i = 0; i < r->n_controls; i++) {
            const struct rep_control *c = &r->controls[i];
            if (c->fw != (int)k)
                continue;
            enum rep_status s = rep_control_status(r, c);
            fputs("| ", f);
            if (s == REP_FINDINGS) {
                fputs("[", f);
                rep_md(f, c->control);
                fputs("](#", f);
                anchor(f, c->id);
                fputs(")", f);
            } else {
                rep_md(f, c->control);
            }
            if (r->catalog_titles) {
                fputs(" | ", f);
                rep_md(f, c->title ? c->title : "");
            }
            fprintf(f, " | %s%s%s | %llu", s == REP_FINDINGS ? "**" : "", rep_status_name(s),
                    s == REP_FINDINGS ? "**" : "", (unsigned long long)c->findings);
            if (c->suppressed)
                fprintf(f, " (+%llu suppressed)", (unsigned long long)c->suppressed);
            fputs(" | ", f);
            sev_list(f, c->sev);
            fputs(" | ", f);
            rule_list(f, c->rules);
            fputs(" |\n", f);
        }
        fputc('\n', f);
    }
}

static void evidence(FILE *f, const struct report *r)
{
    fprintf(f, "## Evidence\n\nFindings per control, most severe first. `finding_id` is "
               "stable across runs (`grantline-analyzer findings --format json` has the "
               "full records).\n\n");
    char t[32];
    bool any = false;
    for (size_t i = 0; i < r->n_controls; i++) {
        const struct rep_control *c = &r->controls[i];
        if (rep_control_status(r, c) != REP_FINDINGS)
            continue;
        any = true;
        fputs("<a id=\"", f);
        anchor(f, c->id);
        fputs("\"></a>\n### ", f);
        rep_md(f, c->id);
        if (c->title) {
            fputs(": ", f);
            rep_md(f, c->title);
        }
        fprintf(f, "\n\n%llu finding%s (", (unsigned long long)c->findings,
                c->findings == 1 ? "" : "s");
        sev_list(f, c->sev);
        fputs(")\n\n| finding_id | rule | severity | workload | first seen | detail |\n"
              "|---|---|---|---|---|---|\n",
              f);
        for (size_t k = 0; k < c->n_ev; k++) {
            const struct rep_finding *e = c->ev[k];
            fprintf(f, "| `%s` | %s %s | %s | ", e->id, gl_rules[e->rule]->id,
                    gl_rules[e->rule]->name, severity_name(e->severity));
            rep_md(f, e->workload ? e->workload : "(store)");
            fprintf(f, " | %s | ", e->has_first ? rep_ts(e->first_seen, t) : "-");
            rep_md(f, e->detail);
            fputs(" |\n", f);
        }
        if (c->findings > c->n_ev)
            fprintf(f, "\n%llu more not listed (`--evidence 0` lists all).\n",
                    (unsigned long long)(c->findings - c->n_ev));
        fputc('\n', f);
    }
    if (!any)
        fputs("No control has findings.\n\n", f);
}

static void workloads(FILE *f, const struct report *r)
{
    char a[16], b[16];
    fprintf(f, "## Workloads\n\n| workload | findings | critical | high | medium | low | info | "
               "worst rule | permissions used / granted | utilisation | bound actions |\n"
               "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|\n");
    for (size_t i = 0; i < r->n_wls; i++) {
        const struct rep_workload *w = &r->wls[i];
        fputs("| ", f);
        rep_md(f, w->name);
        fprintf(f, " | %llu", (unsigned long long)w->findings);
        for (int s = SEV__COUNT - 1; s >= 0; s--)
            fprintf(f, " | %llu", (unsigned long long)w->sev[s]);
        int wr = rep_worst_rule(w);
        if (wr >= 0)
            fprintf(f, " | %s %s (%u)", gl_rules[wr]->id, gl_rules[wr]->name, w->rule_n[wr]);
        else
            fputs(" | -", f);
        fprintf(f, " | %llu / %llu | %s | %s |\n", (unsigned long long)w->perms_used,
                (unsigned long long)w->perms, rep_pct(w->perms_used, w->perms, a),
                rep_pct(w->actions_bound, w->actions, b));
    }
    if (r->store_findings)
        fprintf(f, "\n%llu findings concern the stores themselves (GL-015), not a workload.\n",
                (unsigned long long)r->store_findings);
    fputs("\n## Findings by rule\n\n| rule | name | findings | severities | suppressed |\n"
          "|---|---|---:|---|---:|\n",
          f);
    for (size_t i = 0; gl_rules[i]; i++) {
        uint64_t n = 0;
        for (int s = 0; s < SEV__COUNT; s++)
            n += r->rule_sev[i][s];
        fprintf(f, "| %s | %s | %llu | ", gl_rules[i]->id, gl_rules[i]->name,
                (unsigned long long)n);
        sev_list(f, r->rule_sev[i]);
        fprintf(f, " | %llu |\n", (unsigned long long)r->rule_supp[i]);
    }
    fputc('\n', f);
}

static void metrics(FILE *f, const struct report *r)
{
    const struct rep_metrics *m = &r->met;
    char a[16], d1[32], d2[32], d3[32], d4[32];
    fprintf(f, "## Metrics\n\n### Privilege utilisation\n\n");
    fprintf(f,
            "%s of granted permissions covered at least one allowed action while their grant "
            "was active (%llu of %llu permissions, in %llu of %llu grants). Per workload: see "
            "Workloads.\n\n",
            rep_pct(m->perms_used, m->perms, a), (unsigned long long)m->perms_used,
            (unsigned long long)m->perms, (unsigned long long)m->grants_used,
            (unsigned long long)m->grants);
    fprintf(f, "### Remediation lag for exposed credentials\n\n");
    fprintf(f,
            "| exposed | remediated | open | over SLA (%s) | median | p90 | max | oldest open "
            "|\n|---:|---:|---:|---:|---:|---:|---:|---:|\n",
            rep_dur(r->pol->remediation_sla, d1));
    fprintf(f, "| %llu | %llu | %llu | %llu | %s | %s | %s | %s |\n\n",
            (unsigned long long)m->exposed, (unsigned long long)m->remediated,
            (unsigned long long)m->open, (unsigned long long)m->over_sla,
            m->n_lags ? rep_dur(rep_lag_percentile(r, 50), d1) : "-",
            m->n_lags ? rep_dur(rep_lag_percentile(r, 90), d2) : "-",
            m->n_lags ? rep_dur(m->lags[m->n_lags - 1], d3) : "-",
            m->open ? rep_dur(m->oldest_open, d4) : "-");
    if (m->exposed_untracked)
        fprintf(f,
                "%llu more exposures name a secret that no `identity.issued` in these stores "
                "issued (for example secrets the collector redacted from event text): their "
                "lifecycle is not observable here, so they have no lag.\n\n",
                (unsigned long long)m->exposed_untracked);
    fprintf(f,
            "### Credential age and lifetime\n\n%llu credentials seen, %llu issued, %llu "
            "active at the horizon, %llu issued without an expiry.\n\n",
            (unsigned long long)m->creds, (unsigned long long)m->creds_known,
            (unsigned long long)m->creds_active, (unsigned long long)m->creds_no_expiry);
    fputs("| bucket | age of active credentials | lifetime of retired credentials | "
          "declared lifetime (expires_at) |\n|---|---:|---:|---:|\n",
          f);
    for (int i = 0; i < REP_BUCKETS; i++)
        fprintf(f, "| %s | %llu | %llu | %llu |\n", rep_bucket_label[i],
                (unsigned long long)m->age_active[i], (unsigned long long)m->lifetime_retired[i],
                (unsigned long long)m->ttl[i]);
    fprintf(f, "| no expiry | | | %llu |\n\n", (unsigned long long)m->creds_no_expiry);
    fprintf(f,
            "### Actions bound to a verified credential\n\n%s of %llu actions were bound: "
            "%llu used a credential issued to the acting workload, %llu were authenticated by "
            "their authority (AWS IAM, Kubernetes, Vault) without a credential the stream saw "
            "issued (most log none). Not bound: %llu without a credential, %llu with a credential "
            "never "
            "issued, %llu with another workload's credential.\n\n",
            rep_pct(m->actions_bound, m->actions, a), (unsigned long long)m->actions,
            (unsigned long long)(m->actions_bound - m->actions_authority),
            (unsigned long long)m->actions_authority, (unsigned long long)m->actions_no_cred,
            (unsigned long long)m->actions_unknown_cred,
            (unsigned long long)m->actions_foreign_cred);
    fprintf(f, "### Task-scoped access that ended with its task\n\n");
    fprintf(f, "| | decided | ended with task | share | task still open |\n"
               "|---|---:|---:|---:|---:|\n");
    fprintf(f, "| grants | %llu | %llu | %s | %llu |\n", (unsigned long long)m->task_grants,
            (unsigned long long)m->task_grants_ended,
            rep_pct(m->task_grants_ended, m->task_grants, a),
            (unsigned long long)m->task_grants_pending);
    fprintf(f, "| credentials | %llu | %llu | %s | %llu |\n\n", (unsigned long long)m->task_creds,
            (unsigned long long)m->task_creds_ended, rep_pct(m->task_creds_ended, m->task_creds, a),
            (unsigned long long)m->task_creds_pending);
    fprintf(f,
            "A grant or credential carrying a task ended with it when it was no longer "
            "active %s (linger_grace) after the task completed.\n",
            rep_dur(r->pol->linger_grace, d1));
}

static void write_md(FILE *f, const struct report *r)
{
    char t1[32], t2[32];
    fputs("# ", f);
    rep_md(f, r->title ? r->title : "NHI access compliance report");
    fprintf(f, "\n\nGenerated %s by grantline %s. State as of **%s** (horizon).\n\n",
            rep_ts(r->generated, t1), GL_VERSION, rep_ts(r->horizon, t2));
    summary(f, r);
    scope(f, r);
    controls(f, r);
    evidence(f, r);
    workloads(f, r);
    metrics(f, r);
}

const struct rep_format rep_format_md = {"md", "Markdown", write_md};
