/* Report as one JSON document (docs/report.md lists the fields). Times are
 * RFC 3339 UTC strings, durations are seconds (numbers), ratios are numbers
 * in [0, 1] or null when there is nothing to divide. Field names are a
 * contract for scripts: add fields, never rename them. */
#include "report.h"

#include "grantline/tstamp.h"

#include <string.h>

static void key(FILE *f, const char *k)
{
    fprintf(f, "\"%s\":", k);
}

static void str_or_null(FILE *f, const char *s)
{
    if (s)
        rep_json_str(f, s);
    else
        fputs("null", f);
}

static void ts_or_null(FILE *f, bool has, int64_t us)
{
    char t[32];
    if (has && us != INT64_MIN)
        fprintf(f, "\"%s\"", gl_tstamp_format(us, t));
    else
        fputs("null", f);
}

static void secs(FILE *f, int64_t us)
{
    if (us % 1000000 == 0)
        fprintf(f, "%lld", (long long)(us / 1000000));
    else
        fprintf(f, "%s%lld.%06lld", us < 0 ? "-" : "", (long long)(us < 0 ? -us : us) / 1000000,
                (long long)(us < 0 ? -us : us) % 1000000);
}

static void ratio(FILE *f, uint64_t a, uint64_t b)
{
    if (b)
        fprintf(f, "%.4f", (double)a / (double)b);
    else
        fputs("null", f);
}

static void by_severity(FILE *f, const uint64_t sev[SEV__COUNT])
{
    fputc('{', f);
    for (int s = SEV__COUNT - 1; s >= 0; s--)
        fprintf(f, "%s\"%s\":%llu", s == SEV__COUNT - 1 ? "" : ",", severity_name((enum severity)s),
                (unsigned long long)sev[s]);
    fputc('}', f);
}

static void hist(FILE *f, const uint64_t *h)
{
    fputc('[', f);
    for (int i = 0; i < REP_BUCKETS; i++)
        fprintf(f, "%s%llu", i ? "," : "", (unsigned long long)h[i]);
    fputc(']', f);
}

static void scope(FILE *f, const struct report *r)
{
    char t[32];
    key(f, "scope");
    fputs("{\"stores\":[", f);
    for (size_t i = 0; i < r->n_stores; i++) {
        const struct gl_store_stats *s = &r->stores[i].st;
        char head[2 * GL_STORE_HASH_LEN + 1];
        for (int k = 0; k < GL_STORE_HASH_LEN; k++)
            snprintf(head + 2 * k, 3, "%02x", s->chain_head[k]);
        fprintf(f, "%s{\"path\":", i ? "," : "");
        rep_json_str(f, r->stores[i].path);
        fprintf(f, ",\"events\":%llu,\"first_event\":", (unsigned long long)s->events);
        ts_or_null(f, s->events, s->first_ts);
        fputs(",\"last_event\":", f);
        ts_or_null(f, s->events, s->last_ts);
        fprintf(f,
                ",\"workloads\":%llu,\"credentials\":%llu,\"tasks\":%llu,\"duplicates\":%llu,"
                "\"quarantined\":%llu,\"last_seq\":%llu,\"chain_head\":\"%s\"}",
                (unsigned long long)s->workloads, (unsigned long long)s->credentials,
                (unsigned long long)s->tasks, (unsigned long long)s->duplicates,
                (unsigned long long)s->quarantined, (unsigned long long)s->last_seq, head);
    }
    int64_t first = 0, last = 0;
    bool any = rep_time_range(r, &first, &last);
    fputs("],\"first_event\":", f);
    ts_or_null(f, any, first);
    fputs(",\"last_event\":", f);
    ts_or_null(f, any, last);
    fputs(",\"horizon\":", f);
    ts_or_null(f, true, r->horizon);
    fprintf(f, ",\"horizon_source\":\"%s\"", r->has_at ? "--at" : "latest event");
    fprintf(f, ",\"events_stored\":%llu,\"events_analysed\":%llu,\"events_by_type\":{",
            (unsigned long long)rep_stored_events(r), (unsigned long long)r->events);
    for (int i = 0; i < GL_EV__COUNT; i++)
        fprintf(f, "%s\"%s\":%llu", i ? "," : "", gl_event_type_name((enum gl_event_type)i),
                (unsigned long long)r->per_type[i]);
    fprintf(f, "},\"workloads\":%llu,\"credentials\":%llu,\"tasks\":%llu,\"frameworks\":[",
            (unsigned long long)r->workloads, (unsigned long long)r->met.creds,
            (unsigned long long)r->tasks);
    bool first_fw = true;
    for (size_t i = 0; i < r->n_fw; i++) {
        if (!r->fw[i].selected)
            continue;
        fprintf(f, "%s{\"id\":", first_fw ? "" : ",");
        rep_json_str(f, r->fw[i].id);
        fputs(",\"title\":", f);
        rep_json_str(f, r->fw[i].title);
        fputc('}', f);
        first_fw = false;
    }
    fprintf(f, "],\"rules_run\":%zu,\"policy\":", gl_rule_count());
    str_or_null(f, r->policy_path);
    fputs(",\"thresholds\":{\"unused_window\":", f);
    secs(f, r->pol->unused_window);
    fputs(",\"linger_grace\":", f);
    secs(f, r->pol->linger_grace);
    fputs(",\"max_ttl\":", f);
    secs(f, r->pol->max_ttl);
    fputs(",\"max_age\":", f);
    secs(f, r->pol->max_age);
    fputs(",\"remediation_sla\":", f);
    secs(f, r->pol->remediation_sla);
    fprintf(f, ",\"deny_burst_count\":%d,\"deny_burst_window\":", r->pol->deny_burst_count);
    secs(f, r->pol->deny_burst_window);
    fputs("},\"suppressions\":", f);
    str_or_null(f, r->supp_path);
    fprintf(f, ",\"generated\":\"%s\"}", gl_tstamp_format(r->generated, t));
}

static void evidence(FILE *f, const struct rep_finding *e)
{
    const struct gl_rule *rule = gl_rules[e->rule];
    fprintf(f, "{\"finding_id\":\"%s\",\"rule\":\"%s\",\"name\":\"%s\",\"severity\":\"%s\"", e->id,
            rule->id, rule->name, severity_name(e->severity));
    const char *opt[][2] = {{"workload", e->workload},
                            {"task", e->task},
                            {"credential", e->credential},
                            {"grant", e->grant}};
    for (int i = 0; i < 4; i++) {
        if (!opt[i][1])
            continue;
        fprintf(f, ",\"%s\":", opt[i][0]);
        rep_json_str(f, opt[i][1]);
    }
    fputs(",\"first_seen\":", f);
    ts_or_null(f, e->has_first, e->first_seen);
    fputs(",\"last_seen\":", f);
    ts_or_null(f, e->has_last, e->last_seen);
    fputs(",\"events\":[", f);
    for (int i = 0; i < e->n_evidence; i++) {
        if (i)
            fputc(',', f);
        rep_json_str(f, e->evidence[i]);
    }
    fputs("],\"detail\":", f);
    rep_json_str(f, e->detail);
    fputc('}', f);
}

static void controls(FILE *f, const struct report *r)
{
    key(f, "controls");
    fputc('[', f);
    for (size_t i = 0; i < r->n_controls; i++) {
        const struct rep_control *c = &r->controls[i];
        fprintf(f, "%s{\"id\":", i ? "," : "");
        rep_json_str(f, c->id);
        fputs(",\"framework\":", f);
        rep_json_str(f, r->fw[c->fw].id);
        fputs(",\"control\":", f);
        rep_json_str(f, c->control);
        fputs(",\"title\":", f);
        str_or_null(f, c->title);
        fprintf(f, ",\"status\":\"%s\",\"rules\":[", rep_status_name(rep_control_status(r, c)));
        bool first = true;
        for (size_t k = 0; gl_rules[k]; k++)
            if (c->rules & (1u << k)) {
                fprintf(f, "%s\"%s\"", first ? "" : ",", gl_rules[k]->id);
                first = false;
            }
        fprintf(f, "],\"findings\":%llu,\"suppressed\":%llu,\"by_severity\":",
                (unsigned long long)c->findings, (unsigned long long)c->suppressed);
        by_severity(f, c->sev);
        fputs(",\"evidence\":[", f);
        for (size_t k = 0; k < c->n_ev; k++) {
            if (k)
                fputc(',', f);
            evidence(f, c->ev[k]);
        }
        fprintf(f, "],\"evidence_omitted\":%llu}", (unsigned long long)(c->findings - c->n_ev));
    }
    fputc(']', f);
}

static void workloads(FILE *f, const struct report *r)
{
    key(f, "workloads");
    fputc('[', f);
    for (size_t i = 0; i < r->n_wls; i++) {
        const struct rep_workload *w = &r->wls[i];
        int wr = rep_worst_rule(w);
        fprintf(f, "%s{\"workload\":", i ? "," : "");
        rep_json_str(f, w->name);
        fprintf(f, ",\"findings\":%llu,\"suppressed\":%llu,\"by_severity\":",
                (unsigned long long)w->findings, (unsigned long long)w->suppressed);
        by_severity(f, w->sev);
        if (wr >= 0)
            fprintf(f,
                    ",\"worst_rule\":{\"rule\":\"%s\",\"name\":\"%s\",\"severity\":\"%s\","
                    "\"findings\":%u}",
                    gl_rules[wr]->id, gl_rules[wr]->name,
                    severity_name((enum severity)w->rule_max[wr]), w->rule_n[wr]);
        else
            fputs(",\"worst_rule\":null", f);
        fprintf(f,
                ",\"events\":%llu,\"grants\":%llu,\"grants_used\":%llu,\"permissions\":%llu,"
                "\"permissions_used\":%llu,\"utilisation\":",
                (unsigned long long)w->events, (unsigned long long)w->grants,
                (unsigned long long)w->grants_used, (unsigned long long)w->perms,
                (unsigned long long)w->perms_used);
        ratio(f, w->perms_used, w->perms);
        fprintf(f, ",\"actions\":%llu,\"actions_bound\":%llu,\"bound_share\":",
                (unsigned long long)w->actions, (unsigned long long)w->actions_bound);
        ratio(f, w->actions_bound, w->actions);
        fputc('}', f);
    }
    fputc(']', f);
}

static void metrics(FILE *f, const struct report *r)
{
    const struct rep_metrics *m = &r->met;
    key(f, "metrics");
    fprintf(f,
            "{\"privilege_utilisation\":{\"grants\":%llu,\"grants_used\":%llu,"
            "\"permissions\":%llu,\"permissions_used\":%llu,\"ratio\":",
            (unsigned long long)m->grants, (unsigned long long)m->grants_used,
            (unsigned long long)m->perms, (unsigned long long)m->perms_used);
    ratio(f, m->perms_used, m->perms);
    fputs(",\"grant_ratio\":", f);
    ratio(f, m->grants_used, m->grants);
    fprintf(f,
            "},\"remediation_lag\":{\"exposed_credentials\":%llu,\"remediated\":%llu,"
            "\"open\":%llu,\"over_sla\":%llu,\"exposed_untracked\":%llu,\"sla\":",
            (unsigned long long)m->exposed, (unsigned long long)m->remediated,
            (unsigned long long)m->open, (unsigned long long)m->over_sla,
            (unsigned long long)m->exposed_untracked);
    secs(f, r->pol->remediation_sla);
    if (m->n_lags) {
        fputs(",\"median\":", f);
        secs(f, rep_lag_percentile(r, 50));
        fputs(",\"p90\":", f);
        secs(f, rep_lag_percentile(r, 90));
        fputs(",\"max\":", f);
        secs(f, m->lags[m->n_lags - 1]);
    } else {
        fputs(",\"median\":null,\"p90\":null,\"max\":null", f);
    }
    fputs(",\"oldest_open\":", f);
    if (m->open)
        secs(f, m->oldest_open);
    else
        fputs("null", f);
    fprintf(f,
            "},\"credentials\":{\"seen\":%llu,\"issued\":%llu,\"active\":%llu,"
            "\"no_expiry\":%llu,\"buckets\":[",
            (unsigned long long)m->creds, (unsigned long long)m->creds_known,
            (unsigned long long)m->creds_active, (unsigned long long)m->creds_no_expiry);
    for (int i = 0; i < REP_BUCKETS; i++)
        fprintf(f, "%s\"%s\"", i ? "," : "", rep_bucket_label[i]);
    fputs("],\"bucket_max\":[", f);
    for (int i = 0; i < REP_BUCKETS - 1; i++) {
        if (i)
            fputc(',', f);
        secs(f, rep_bucket_max[i]);
    }
    fputs(",null],\"age_active\":", f);
    hist(f, m->age_active);
    fputs(",\"lifetime_retired\":", f);
    hist(f, m->lifetime_retired);
    fputs(",\"ttl\":", f);
    hist(f, m->ttl);
    fprintf(f,
            "},\"bound_actions\":{\"actions\":%llu,\"bound\":%llu,\"by_authority\":%llu,"
            "\"no_credential\":%llu,\"unknown_credential\":%llu,"
            "\"other_workload_credential\":%llu,\"ratio\":",
            (unsigned long long)m->actions, (unsigned long long)m->actions_bound,
            (unsigned long long)m->actions_authority,
            (unsigned long long)m->actions_no_cred, (unsigned long long)m->actions_unknown_cred,
            (unsigned long long)m->actions_foreign_cred);
    ratio(f, m->actions_bound, m->actions);
    fputs("},\"task_scoped\":{\"linger_grace\":", f);
    secs(f, r->pol->linger_grace);
    fprintf(f, ",\"grants\":{\"decided\":%llu,\"ended_with_task\":%llu,\"pending\":%llu,\"ratio\":",
            (unsigned long long)m->task_grants, (unsigned long long)m->task_grants_ended,
            (unsigned long long)m->task_grants_pending);
    ratio(f, m->task_grants_ended, m->task_grants);
    fprintf(f,
            "},\"credentials\":{\"decided\":%llu,\"ended_with_task\":%llu,\"pending\":%llu,"
            "\"ratio\":",
            (unsigned long long)m->task_creds, (unsigned long long)m->task_creds_ended,
            (unsigned long long)m->task_creds_pending);
    ratio(f, m->task_creds_ended, m->task_creds);
    fputs("},\"ratio\":", f);
    ratio(f, m->task_grants_ended + m->task_creds_ended, m->task_grants + m->task_creds);
    fputs("}}", f);
}

static void write_json(FILE *f, const struct report *r)
{
    fputs("{\"report\":\"grantline compliance report\",\"format_version\":1,", f);
    fprintf(f, "\"grantline_version\":\"%s\",\"title\":", GL_VERSION);
    rep_json_str(f, r->title ? r->title : "NHI access compliance report");
    fputc(',', f);
    scope(f, r);
    uint64_t st[REP__STATUS_COUNT];
    rep_status_counts(r, -1, st);
    fprintf(f,
            ",\"summary\":{\"findings\":%llu,\"suppressed\":%llu,\"store_findings\":%llu,"
            "\"by_severity\":",
            (unsigned long long)r->findings, (unsigned long long)r->suppressed,
            (unsigned long long)r->store_findings);
    by_severity(f, r->sev);
    fprintf(f,
            ",\"controls\":{\"total\":%zu,\"findings\":%llu,\"risk_accepted\":%llu,"
            "\"no_findings\":%llu,\"not_assessed\":%llu}},",
            r->n_controls, (unsigned long long)st[REP_FINDINGS],
            (unsigned long long)st[REP_ACCEPTED], (unsigned long long)st[REP_NO_FINDINGS],
            (unsigned long long)st[REP_NOT_ASSESSED]);
    controls(f, r);
    fputs(",\"rules\":[", f);
    for (size_t i = 0; gl_rules[i]; i++) {
        uint64_t n = 0;
        for (int s = 0; s < SEV__COUNT; s++)
            n += r->rule_sev[i][s];
        fprintf(f,
                "%s{\"id\":\"%s\",\"name\":\"%s\",\"findings\":%llu,\"suppressed\":%llu,"
                "\"by_severity\":",
                i ? "," : "", gl_rules[i]->id, gl_rules[i]->name, (unsigned long long)n,
                (unsigned long long)r->rule_supp[i]);
        by_severity(f, r->rule_sev[i]);
        fputc('}', f);
    }
    fputs("],", f);
    workloads(f, r);
    fputc(',', f);
    metrics(f, r);
    fputs("}\n", f);
}

const struct rep_format rep_format_json = {"json", "one JSON document", write_json};
