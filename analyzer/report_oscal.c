/* Report as an OSCAL assessment-results document, version 1.0.6 (validated
 * against NIST's oscal_assessment-results_schema.json 1.0.6 by
 * tests/oscal_check.py). One result: the reviewed NIST SP 800-53 controls
 * (those a grantline rule maps to), one observation per kept finding, and
 * one OSCAL finding per reviewed control targeting its objective
 * ("ac-2.3_obj") as satisfied or not-satisfied. Other frameworks have no
 * OSCAL catalog ids here; their mapping travels in observation props.
 *
 * UUIDs are derived from stable inputs (report_data.c rep_uuid): the
 * document and result from the store chain heads and the horizon, an
 * observation from its finding id, so a re-run on the same data gives the
 * same document apart from metadata.last-modified. */
#include "report.h"

#include "grantline/tstamp.h"

#include <stdlib.h>
#include <string.h>

#define NS "urn:grantline:oscal"

/* OSCAL strings with a pattern (prop values) must not be empty nor start
 * or end with white space, and '.' in the pattern stops at a newline. */
static void prop(FILE *f, bool *first, const char *name, const char *value)
{
    if (!value)
        return;
    while (*value == ' ' || (unsigned char)*value < 0x20)
        value++;
    size_t n = strlen(value);
    while (n && (value[n - 1] == ' ' || (unsigned char)value[n - 1] < 0x20))
        n--;
    if (!n || n > 4096)
        return;
    char buf[4097];
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)value[i] < 0x20 ? ' ' : value[i];
    buf[n] = '\0';
    fprintf(f, "%s{\"name\":\"%s\",\"ns\":\"" NS "\",\"value\":", *first ? "" : ",", name);
    rep_json_str(f, buf);
    fputc('}', f);
    *first = false;
}

static void ts(FILE *f, const char *k, int64_t us)
{
    char t[32];
    fprintf(f, "\"%s\":\"%s\"", k, gl_tstamp_format(us, t));
}

static void sev_text(char *out, size_t n, const uint64_t sev[SEV__COUNT])
{
    size_t o = 0;
    out[0] = '\0';
    for (int s = SEV__COUNT - 1; s >= 0 && o < n; s--)
        if (sev[s]) {
            int w = snprintf(out + o, n - o, "%s%llu %s", o ? ", " : "", (unsigned long long)sev[s],
                             severity_name((enum severity)s));
            if (w < 0)
                break;
            o += (size_t)w;
        }
}

static void observation(FILE *f, const struct report *r, const struct rep_finding *e,
                        int64_t collected, bool first_obs)
{
    const struct gl_rule *rule = gl_rules[e->rule];
    char uuid[37], title[96], t[32];
    const char *parts[] = {"grantline-observation", e->id};
    rep_uuid(uuid, parts, 2);
    snprintf(title, sizeof title, "%s %s (%s)", rule->id, rule->name, severity_name(e->severity));
    fprintf(f, "%s{\"uuid\":\"%s\",\"title\":\"%s\",\"description\":", first_obs ? "" : ",", uuid,
            title);
    rep_json_str(f, e->detail);
    fputs(",\"props\":[", f);
    bool first = true;
    prop(f, &first, "finding-id", e->id);
    prop(f, &first, "rule", rule->id);
    prop(f, &first, "severity", severity_name(e->severity));
    prop(f, &first, "workload", e->workload);
    prop(f, &first, "task", e->task);
    prop(f, &first, "credential", e->credential);
    prop(f, &first, "grant", e->grant);
    if (e->has_first)
        prop(f, &first, "first-seen", gl_tstamp_format(e->first_seen, t));
    if (e->has_last)
        prop(f, &first, "last-seen", gl_tstamp_format(e->last_seen, t));
    for (size_t k = 0; r->ctl->ids[e->rule] && r->ctl->ids[e->rule][k]; k++)
        prop(f, &first, "control", r->ctl->ids[e->rule][k]);
    fputs("],\"methods\":[\"TEST\"],\"types\":[\"finding\"]", f);
    if (e->n_evidence) {
        fputs(",\"relevant-evidence\":[{\"description\":", f);
        char d[1024];
        size_t o = (size_t)snprintf(d, sizeof d, "grantline events (stored, hash-chained):");
        for (int i = 0; i < e->n_evidence && o < sizeof d; i++)
            o += (size_t)snprintf(d + o, sizeof d - o, "%s %s", i ? "," : "", e->evidence[i]);
        rep_json_str(f, d);
        fputs("}]", f);
    }
    fputc(',', f);
    ts(f, "collected", collected);
    fputc('}', f);
}

static void write_oscal(FILE *f, const struct report *r)
{
    char t[32];
    int64_t first = 0, last = 0;
    bool any = rep_time_range(r, &first, &last);
    int64_t end = r->horizon != INT64_MIN ? r->horizon : r->generated;
    int64_t start = any && first <= end ? first : end;

    /* stable basis for the document's own uuids: what was analysed */
    char basis[64 * (2 * GL_STORE_HASH_LEN + 1) + 64];
    size_t o = (size_t)snprintf(basis, sizeof basis, "%s", gl_tstamp_format(end, t));
    for (size_t i = 0; i < r->n_stores && o < sizeof basis; i++) {
        o += (size_t)snprintf(basis + o, sizeof basis - o, "|");
        for (int k = 0; k < GL_STORE_HASH_LEN && o < sizeof basis; k++)
            o += (size_t)snprintf(basis + o, sizeof basis - o, "%02x",
                                  r->stores[i].st.chain_head[k]);
    }
    char doc_uuid[37], res_uuid[37], ap_uuid[37];
    const char *p_doc[] = {"grantline-assessment-results", basis};
    const char *p_res[] = {"grantline-result", basis};
    const char *p_ap[] = {"grantline-no-assessment-plan", basis};
    rep_uuid(doc_uuid, p_doc, 2);
    rep_uuid(res_uuid, p_res, 2);
    rep_uuid(ap_uuid, p_ap, 2);

    fprintf(f, "{\"assessment-results\":{\"uuid\":\"%s\",\"metadata\":{\"title\":", doc_uuid);
    rep_json_str(f, r->title ? r->title : "grantline NHI access assessment results");
    fputc(',', f);
    ts(f, "last-modified", r->generated);
    fprintf(f, ",\"version\":\"%s\",\"oscal-version\":\"1.0.6\",\"remarks\":", GL_VERSION);
    rep_json_str(f, "Automated assessment by grantline: rules GL-001..GL-016 run over the "
                    "identity and action events of non-human identities (AI agents, services, "
                    "pipelines). Each observation is one grantline finding; each finding "
                    "states whether the rules mapped to a NIST SP 800-53 Rev. 5 control found "
                    "violations of it.");
    fprintf(f, "},\"import-ap\":{\"href\":\"#%s\",\"remarks\":", ap_uuid);
    rep_json_str(f, "No assessment plan document: the plan is the grantline rule set and "
                    "schemas/controls.json (see back-matter).");
    fprintf(f, "},\"results\":[{\"uuid\":\"%s\",\"title\":", res_uuid);
    char title[128];
    snprintf(title, sizeof title, "grantline analysis as of %s", gl_tstamp_format(end, t));
    rep_json_str(f, title);
    char desc[1024];
    snprintf(desc, sizeof desc,
             "Rules GL-001..GL-016 over %llu events of %llu workloads from %zu store(s), "
             "deduplicated by event id, state as of the horizon: %llu findings. Findings "
             "suppressed by reviewed exceptions are not evidence: %llu.",
             (unsigned long long)r->events, (unsigned long long)r->workloads, r->n_stores,
             (unsigned long long)r->findings, (unsigned long long)r->suppressed);
    if (!r->events)
        snprintf(desc + strlen(desc), sizeof desc - strlen(desc),
                 " No event was analysed (an empty store, or only quarantined input): no "
                 "control objective is assessed.");
    fputs(",\"description\":", f);
    rep_json_str(f, desc);
    fputc(',', f);
    ts(f, "start", start);
    fputc(',', f);
    ts(f, "end", end);
    /* each store's hash chain head: what an auditor checks the stores
     * against later (grantline-analyzer verify, or the published head) */
    fputs(",\"props\":[", f);
    bool first_p = true;
    for (size_t i = 0; i < r->n_stores; i++) {
        char head[2 * GL_STORE_HASH_LEN + 1];
        for (int k = 0; k < GL_STORE_HASH_LEN; k++)
            snprintf(head + 2 * k, 3, "%02x", r->stores[i].st.chain_head[k]);
        prop(f, &first_p, "chain-head", head);
    }
    if (first_p) /* no store: props may not be empty */
        prop(f, &first_p, "chain-head", "none");
    fputc(']', f);

    /* reviewed controls: the NIST SP 800-53 ones a rule maps to */
    fputs(",\"reviewed-controls\":{\"description\":", f);
    rep_json_str(f, "NIST SP 800-53 Rev. 5 controls that grantline rules test "
                    "(schemas/controls.json).");
    fputs(",\"control-selections\":[{\"include-controls\":[", f);
    size_t n_reviewed = 0;
    for (size_t i = 0; i < r->n_controls; i++) {
        char id[64];
        const struct rep_control *c = &r->controls[i];
        if (!c->rules || !rep_oscal_id(c, id, sizeof id))
            continue;
        fprintf(f, "%s{\"control-id\":\"%s\"}", n_reviewed ? "," : "", id);
        n_reviewed++;
    }
    fputs("]}]}", f);

    /* observations: every finding kept as evidence of a reviewed control */
    size_t n_obs = 0, cap = 0;
    const struct rep_finding **obs = NULL;
    for (size_t i = 0; i < r->n_controls; i++) {
        char id[64];
        const struct rep_control *c = &r->controls[i];
        if (!c->rules || !rep_oscal_id(c, id, sizeof id))
            continue;
        for (size_t k = 0; k < c->n_ev; k++) {
            if (n_obs == cap) {
                size_t nc = cap ? cap * 2 : 64;
                const struct rep_finding **v = realloc(obs, nc * sizeof *v);
                if (!v)
                    break; /* fewer observations; the findings still say why */
                obs = v;
                cap = nc;
            }
            obs[n_obs++] = c->ev[k];
        }
    }
    if (n_obs > 1)
        qsort(obs, n_obs, sizeof *obs, rep_finding_cmp);
    size_t u = 0;
    for (size_t i = 0; i < n_obs; i++)
        if (!u || strcmp(obs[u - 1]->id, obs[i]->id) != 0)
            obs[u++] = obs[i];
    n_obs = u;
    if (n_obs) {
        fputs(",\"observations\":[", f);
        for (size_t i = 0; i < n_obs; i++)
            observation(f, r, obs[i], end, i == 0);
        fputc(']', f);
    }
    free(obs);

    /* one finding per reviewed control objective; with no event analysed
     * the rules ran over nothing: only objectives with findings (GL-015 on
     * the store itself) are judged */
    size_t n_judged = 0;
    for (size_t i = 0; i < r->n_controls; i++) {
        char id[64];
        const struct rep_control *c = &r->controls[i];
        n_judged += c->rules && rep_oscal_id(c, id, sizeof id) &&
                    rep_control_status(r, c) != REP_NOT_ASSESSED;
    }
    if (n_judged)
        fputs(",\"findings\":[", f);
    bool first_f = true;
    for (size_t i = 0; i < r->n_controls; i++) {
        char id[64], fid[37], sev[128], text[1024], rules[160] = "";
        const struct rep_control *c = &r->controls[i];
        if (!c->rules || !rep_oscal_id(c, id, sizeof id) ||
            rep_control_status(r, c) == REP_NOT_ASSESSED)
            continue;
        const char *p_f[] = {"grantline-finding", basis, id};
        rep_uuid(fid, p_f, 3);
        size_t ro = 0;
        for (size_t k = 0; gl_rules[k] && ro < sizeof rules; k++)
            if (c->rules & (1u << k))
                ro += (size_t)snprintf(rules + ro, sizeof rules - ro, "%s%s", ro ? ", " : "",
                                       gl_rules[k]->id);
        sev_text(sev, sizeof sev, c->sev);
        /* findings only suppressed: a risk accepted by a reviewed exception
         * is no evidence that the control holds */
        bool accepted = !c->findings && c->suppressed;
        bool bad = c->findings > 0 || accepted;
        snprintf(title, sizeof title, "%s%s%s: %s", c->control, c->title ? " " : "",
                 c->title ? c->title : "",
                 rep_status_name(rep_control_status(r, c)));
        if (accepted)
            snprintf(text, sizeof text,
                     "Rules %s, mapped to %s, found %llu finding%s, each suppressed by a "
                     "reviewed exception (risk accepted, not remediated).",
                     rules, c->control, (unsigned long long)c->suppressed,
                     c->suppressed == 1 ? "" : "s");
        else if (bad)
            snprintf(text, sizeof text,
                     "Rules %s, mapped to %s, found %llu finding%s (%s) in the analysed events.",
                     rules, c->control, (unsigned long long)c->findings,
                     c->findings == 1 ? "" : "s", sev);
        else
            snprintf(text, sizeof text,
                     "Rules %s, mapped to %s, ran over the analysed events and found nothing.",
                     rules, c->control);
        fprintf(f, "%s{\"uuid\":\"%s\",\"title\":", first_f ? "" : ",", fid);
        rep_json_str(f, title);
        fputs(",\"description\":", f);
        rep_json_str(f, text);
        fputs(",\"props\":[", f);
        bool fp = true;
        prop(f, &fp, "control", c->id);
        char num[32];
        snprintf(num, sizeof num, "%llu", (unsigned long long)c->findings);
        prop(f, &fp, "finding-count", num);
        fprintf(f,
                "],\"target\":{\"type\":\"objective-id\",\"target-id\":\"%s_obj\","
                "\"status\":{\"state\":\"%s\",\"reason\":\"%s\"}}",
                id, bad ? "not-satisfied" : "satisfied",
                accepted ? "other" : bad ? "fail" : "pass");
        if (c->n_ev) {
            fputs(",\"related-observations\":[", f);
            for (size_t k = 0; k < c->n_ev; k++) {
                char ou[37];
                const char *p_o[] = {"grantline-observation", c->ev[k]->id};
                rep_uuid(ou, p_o, 2);
                fprintf(f, "%s{\"observation-uuid\":\"%s\"}", k ? "," : "", ou);
            }
            fputc(']', f);
        }
        if (c->findings > c->n_ev || c->suppressed) {
            snprintf(text, sizeof text,
                     "%llu findings are not listed as observations (--evidence); %llu more are "
                     "suppressed by reviewed exceptions.",
                     (unsigned long long)(c->findings - c->n_ev),
                     (unsigned long long)c->suppressed);
            fputs(",\"remarks\":", f);
            rep_json_str(f, text);
        }
        fputc('}', f);
        first_f = false;
    }
    if (n_judged)
        fputc(']', f);
    fprintf(f, "}],\"back-matter\":{\"resources\":[{\"uuid\":\"%s\",\"title\":", ap_uuid);
    rep_json_str(f, "grantline rule set as assessment plan");
    fputs(",\"description\":", f);
    rep_json_str(f, "The assessment method is automated: grantline-analyzer runs rules "
                    "GL-001..GL-016 (docs/rules.md) with the policy thresholds of "
                    "schemas/policy.default.json or --policy, and maps each rule to controls "
                    "with schemas/controls.json.");
    fputs("}]}}}\n", f);
}

const struct rep_format rep_format_oscal = {"oscal", "OSCAL 1.0.6 assessment results", write_oscal};
