/* Report as one self-contained HTML page: inline CSS, inline SVG charts
 * (findings per rule and per workload by severity, credential ages), no
 * script, no external fonts, images or links, so it opens offline and can
 * be mailed or archived as one file. @media print gives a clean paper copy
 * (colours kept, navigation dropped, rows not split). Every string from
 * events goes through rep_html(). */
#include "report.h"

#include "grantline/tstamp.h"

#include <stdlib.h>
#include <string.h>

static const char *const sev_color[SEV__COUNT] = {"#90a4ae", "#1e88e5", "#f9a825", "#ef6c00",
                                                  "#c62828"};

static const char css[] =
    ":root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa}"
    "*{box-sizing:border-box}"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,"
    "sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1100px;"
    "padding:24px}"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 8px;padding-bottom:4px;"
    "border-bottom:1px solid var(--line)}h3{font-size:16px;margin:22px 0 6px}"
    ".meta{color:var(--muted);margin:0 0 16px}"
    "nav{margin:8px 0 16px}nav a{margin-right:14px}"
    "a{color:#0969da;text-decoration:none}a:hover{text-decoration:underline}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:10px}"
    ".card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--soft)}"
    ".card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}"
    ".card .v{font-size:24px;font-weight:600}.card .s{font-size:12px;color:var(--muted)}"
    "table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:13px}"
    "th,td{border:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}"
    "th{background:var(--soft);font-weight:600}td.n,th.n{text-align:right;"
    "font-variant-numeric:tabular-nums}"
    "code,.id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}"
    ".ctl{white-space:nowrap}"
    ".b{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;color:#fff;"
    "white-space:nowrap}"
    ".st-findings{background:#c62828}.st-no-findings{background:#2e7d32}"
    ".st-not-assessed{background:#78909c}"
    ".st-accepted{background:#b08900}"
    ".sev-critical{background:#c62828}.sev-high{background:#ef6c00}.sev-medium{background:#f9a825;"
    "color:#1f2328}.sev-low{background:#1e88e5}.sev-info{background:#90a4ae}"
    ".bar{background:#e6eaef;border-radius:3px;height:10px;min-width:80px;position:relative}"
    ".bar i{display:block;height:10px;border-radius:3px;background:#2e7d32}"
    ".note{color:var(--muted);font-size:13px}"
    "svg{max-width:100%;height:auto}svg text{font:12px system-ui,-apple-system,'Segoe UI',"
    "Roboto,Arial,sans-serif;fill:#1f2328}"
    "dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0}"
    "dl.kv dt{color:var(--muted)}dl.kv dd{margin:0}"
    "@media print{body{max-width:none;padding:0;font-size:11px}nav{display:none}"
    "a{color:inherit}h2{break-after:avoid;page-break-after:avoid}"
    "h3{break-after:avoid;page-break-after:avoid}tr,svg,.card{break-inside:avoid;"
    "page-break-inside:avoid}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "@page{margin:14mm}}";

static void anchor(FILE *f, const char *id)
{
    fputs("c-", f);
    for (const char *p = id; *p; p++) {
        char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
            fputc(c, f);
        else if (c >= 'A' && c <= 'Z')
            fputc(c - 'A' + 'a', f);
        else
            fputc('_', f);
    }
}

/* Up to 'max' bytes of s, cut at a UTF-8 character boundary, with an
 * ellipsis when cut. */
static void html_short(FILE *f, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max) {
        rep_html(f, s);
        return;
    }
    while (max && ((unsigned char)s[max] & 0xc0) == 0x80)
        max--;
    char *cut = strndup(s, max);
    rep_html(f, cut ? cut : "");
    fputs("\xe2\x80\xa6", f);
    free(cut);
}

static void sev_badges(FILE *f, const uint64_t sev[SEV__COUNT])
{
    bool any = false;
    for (int s = SEV__COUNT - 1; s >= 0; s--) {
        if (!sev[s])
            continue;
        fprintf(f, "<span class=\"b sev-%s\">%llu %s</span> ", severity_name((enum severity)s),
                (unsigned long long)sev[s], severity_name((enum severity)s));
        any = true;
    }
    if (!any)
        fputs("&ndash;", f);
}

static void status_badge(FILE *f, enum rep_status s)
{
    static const char *const cls[] = {"st-findings", "st-no-findings", "st-not-assessed",
                                      "st-accepted"};
    fprintf(f, "<span class=\"b %s\">%s</span>", cls[s], rep_status_name(s));
}

/* --- SVG charts --- */

struct bar_row {
    const char *label;
    const uint64_t *sev;
};

static void legend(FILE *f, int y)
{
    int x = 0;
    for (int s = SEV__COUNT - 1; s >= 0; s--) {
        fprintf(f,
                "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                "<text x=\"%d\" y=\"%d\">%s</text>",
                x, y, sev_color[s], x + 16, y + 10, severity_name((enum severity)s));
        x += 90;
    }
}

/* Horizontal bars, one per row, stacked by severity (worst on the left). */
static void svg_stacked(FILE *f, const char *label, const struct bar_row *rows, size_t n)
{
    const int lw = 230, bw = 420, rh = 22, top = 26, width = lw + bw + 60;
    uint64_t max = 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t t = 0;
        for (int s = 0; s < SEV__COUNT; s++)
            t += rows[i].sev[s];
        if (t > max)
            max = t;
    }
    int height = top + (int)n * rh + 6;
    fprintf(f,
            "<svg viewBox=\"0 0 %d %d\" width=\"%d\" "
            "height=\"%d\" role=\"img\" aria-label=\"",
            width, height, width, height);
    rep_html(f, label);
    fputs("\">", f);
    legend(f, 0);
    for (size_t i = 0; i < n; i++) {
        int y = top + (int)i * rh;
        uint64_t t = 0;
        for (int s = 0; s < SEV__COUNT; s++)
            t += rows[i].sev[s];
        fprintf(f, "<g><title>");
        rep_html(f, rows[i].label);
        fputs(":", f);
        for (int s = SEV__COUNT - 1; s >= 0; s--)
            if (rows[i].sev[s])
                fprintf(f, " %llu %s", (unsigned long long)rows[i].sev[s],
                        severity_name((enum severity)s));
        if (!t)
            fputs(" none", f);
        fprintf(f, "</title><text x=\"%d\" y=\"%d\" text-anchor=\"end\">", lw - 8, y + 15);
        html_short(f, rows[i].label, 34);
        fputs("</text>", f);
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\" fill=\"#eef1f4\"/>", lw,
                y + 3, bw);
        double x = lw;
        for (int s = SEV__COUNT - 1; s >= 0; s--) {
            if (!rows[i].sev[s])
                continue;
            double w = (double)bw * (double)rows[i].sev[s] / (double)max;
            fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>", x,
                    y + 3, w, sev_color[s]);
            x += w;
        }
        fprintf(f, "<text x=\"%.1f\" y=\"%d\">%llu</text></g>", x + 6, y + 15,
                (unsigned long long)t);
    }
    fputs("</svg>\n", f);
}

/* Vertical grouped bars: one group per duration bucket, one bar per series. */
static void svg_hist(FILE *f, const char *label, const char *const *series, const char *const *col,
                     const uint64_t *const *vals, int n_series)
{
    const int left = 40, top = 30, ph = 170, gw = 92, width = left + REP_BUCKETS * gw + 10;
    const int height = top + ph + 40;
    uint64_t max = 1;
    for (int k = 0; k < n_series; k++)
        for (int i = 0; i < REP_BUCKETS; i++)
            if (vals[k][i] > max)
                max = vals[k][i];
    fprintf(f,
            "<svg viewBox=\"0 0 %d %d\" width=\"%d\" "
            "height=\"%d\" role=\"img\" aria-label=\"",
            width, height, width, height);
    rep_html(f, label);
    fputs("\">", f);
    for (int k = 0, x = 0; k < n_series; k++) {
        fprintf(f,
                "<rect x=\"%d\" y=\"0\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                "<text x=\"%d\" y=\"10\">%s</text>",
                x, col[k], x + 16, series[k]);
        x += 16 + 8 * (int)strlen(series[k]) + 20;
    }
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#8c959f\"/>", left, top + ph,
            width - 10, top + ph);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%llu</text>", left - 6, top + 8,
            (unsigned long long)max);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>", left - 6, top + ph);
    int bw = (gw - 16) / (n_series ? n_series : 1);
    for (int i = 0; i < REP_BUCKETS; i++) {
        int gx = left + i * gw + 8;
        for (int k = 0; k < n_series; k++) {
            int h = (int)((double)ph * (double)vals[k][i] / (double)max + 0.5);
            int x = gx + k * bw, y = top + ph - h;
            fputs("<g><title>", f);
            rep_html(f, series[k]);
            fputs(", ", f);
            rep_html(f, rep_bucket_label[i]);
            fprintf(f, ": %llu</title>", (unsigned long long)vals[k][i]);
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>", x, y,
                    bw - 2, h, col[k]);
            if (vals[k][i])
                fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%llu</text>",
                        x + (bw - 2) / 2, y - 3, (unsigned long long)vals[k][i]);
            fputs("</g>", f);
        }
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", gx + (gw - 16) / 2,
                top + ph + 16);
        rep_html(f, rep_bucket_label[i]);
        fputs("</text>", f);
    }
    fputs("</svg>\n", f);
}

/* --- sections --- */

static void card(FILE *f, const char *k, const char *v, const char *s)
{
    fprintf(f,
            "<div class=\"card\"><div class=\"k\">%s</div><div class=\"v\">%s</div>"
            "<div class=\"s\">%s</div></div>\n",
            k, v, s);
}

static void summary(FILE *f, const struct report *r)
{
    const struct rep_metrics *m = &r->met;
    char v[64], s[256], p[16], d[32];
    uint64_t st[REP__STATUS_COUNT];
    rep_status_counts(r, -1, st);
    fputs("<section class=\"cards\">\n", f);
    snprintf(v, sizeof v, "%llu", (unsigned long long)r->findings);
    snprintf(s, sizeof s, "%llu critical, %llu high, %llu medium, %llu low, %llu info%s",
             (unsigned long long)r->sev[SEV_CRITICAL], (unsigned long long)r->sev[SEV_HIGH],
             (unsigned long long)r->sev[SEV_MEDIUM], (unsigned long long)r->sev[SEV_LOW],
             (unsigned long long)r->sev[SEV_INFO], r->suppressed ? "; some suppressed" : "");
    card(f, "Findings", v, s);
    snprintf(v, sizeof v, "%llu / %zu", (unsigned long long)st[REP_FINDINGS], r->n_controls);
    snprintf(s, sizeof s, "controls with findings; %llu risk accepted, %llu no findings, %llu not "
             "assessed%s",
             (unsigned long long)st[REP_ACCEPTED], (unsigned long long)st[REP_NO_FINDINGS],
             (unsigned long long)st[REP_NOT_ASSESSED], r->events ? "" : " (no event analysed)");
    card(f, "Controls", v, s);
    snprintf(s, sizeof s, "%llu of %llu granted permissions used",
             (unsigned long long)m->perms_used, (unsigned long long)m->perms);
    card(f, "Privilege utilisation", rep_pct(m->perms_used, m->perms, p), s);
    snprintf(s, sizeof s, "%llu of %llu actions used the workload's own credential",
             (unsigned long long)m->actions_bound, (unsigned long long)m->actions);
    card(f, "Bound actions", rep_pct(m->actions_bound, m->actions, p), s);
    snprintf(s, sizeof s, "%llu of %llu task-scoped grants and credentials",
             (unsigned long long)(m->task_grants_ended + m->task_creds_ended),
             (unsigned long long)(m->task_grants + m->task_creds));
    card(f, "Ended with task",
         rep_pct(m->task_grants_ended + m->task_creds_ended, m->task_grants + m->task_creds, p), s);
    snprintf(v, sizeof v, "%llu", (unsigned long long)m->exposed);
    snprintf(s, sizeof s, "%llu open, %llu over the %s SLA", (unsigned long long)m->open,
             (unsigned long long)m->over_sla, rep_dur(r->pol->remediation_sla, d));
    card(f, "Exposed credentials", v, s);
    fputs("</section>\n", f);
}

static void scope(FILE *f, const struct report *r)
{
    char t1[32], t2[32];
    fputs("<h2 id=\"scope\">Scope</h2>\n<table><tr><th>store</th><th class=\"n\">events</th>"
          "<th>first event</th><th>last event</th><th class=\"n\">duplicates</th>"
          "<th class=\"n\">quarantined</th><th>hash chain head</th></tr>\n",
          f);
    for (size_t i = 0; i < r->n_stores; i++) {
        const struct gl_store_stats *s = &r->stores[i].st;
        fputs("<tr><td><code>", f);
        rep_html(f, r->stores[i].path);
        fprintf(f,
                "</code></td><td class=\"n\">%llu</td><td>%s</td><td>%s</td>"
                "<td class=\"n\">%llu</td><td class=\"n\">%llu</td><td class=\"id\">",
                (unsigned long long)s->events, s->events ? rep_ts(s->first_ts, t1) : "-",
                s->events ? rep_ts(s->last_ts, t2) : "-", (unsigned long long)s->duplicates,
                (unsigned long long)s->quarantined);
        for (int k = 0; k < 8; k++)
            fprintf(f, "%02x", s->chain_head[k]);
        fprintf(f, "&hellip; (seq %llu)</td></tr>\n", (unsigned long long)s->last_seq);
    }
    fputs("</table>\n<dl class=\"kv\">", f);
    int64_t first = 0, last = 0;
    bool any = rep_time_range(r, &first, &last);
    fprintf(f, "<dt>Time range</dt><dd>%s &ndash; %s</dd>", any ? rep_ts(first, t1) : "-",
            any ? rep_ts(last, t2) : "-");
    fprintf(f, "<dt>Horizon</dt><dd><b>%s</b> (%s); events after it are not analysed</dd>",
            rep_ts(r->horizon, t1), r->has_at ? "--at" : "the latest event");
    fprintf(f,
            "<dt>Events</dt><dd>%llu stored, %llu analysed (deduplicated across stores, up "
            "to the horizon):",
            (unsigned long long)rep_stored_events(r), (unsigned long long)r->events);
    bool firstt = true;
    for (int i = 0; i < GL_EV__COUNT; i++) {
        if (!r->per_type[i])
            continue;
        fprintf(f, "%s %llu <code>%s</code>", firstt ? "" : ",", (unsigned long long)r->per_type[i],
                gl_event_type_name((enum gl_event_type)i));
        firstt = false;
    }
    fprintf(f, "</dd><dt>Inventory</dt><dd>%llu workloads, %llu credentials, %llu tasks</dd>",
            (unsigned long long)r->workloads, (unsigned long long)r->met.creds,
            (unsigned long long)r->tasks);
    fputs("<dt>Frameworks</dt><dd>", f);
    firstt = true;
    for (size_t i = 0; i < r->n_fw; i++) {
        if (!r->fw[i].selected)
            continue;
        fputs(firstt ? "" : "; ", f);
        rep_html(f, r->fw[i].title);
        firstt = false;
    }
    char pol[256];
    fprintf(f, "</dd><dt>Rules and policy</dt><dd>all %zu rules (GL-001..GL-016); %s",
            gl_rule_count(), rep_policy_text(r, pol, sizeof pol));
    if (r->policy_path) {
        fputs(" (policy <code>", f);
        rep_html(f, r->policy_path);
        fputs("</code>)", f);
    }
    fputs("</dd>", f);
    if (r->supp_path) {
        fputs("<dt>Suppressions</dt><dd><code>", f);
        rep_html(f, r->supp_path);
        fprintf(f, "</code>: %llu findings suppressed</dd>", (unsigned long long)r->suppressed);
    }
    fputs("</dl>\n", f);
}

static int cmp_wl_risk(const void *x, const void *y)
{
    const struct rep_workload *a = *(const struct rep_workload *const *)x;
    const struct rep_workload *b = *(const struct rep_workload *const *)y;
    for (int s = SEV__COUNT - 1; s >= 0; s--)
        if (a->sev[s] != b->sev[s])
            return a->sev[s] > b->sev[s] ? -1 : 1;
    return strcmp(a->name, b->name);
}

static void charts(FILE *f, const struct report *r)
{
    fputs("<h2 id=\"charts\">Findings at a glance</h2>\n<h3>Findings per rule, by "
          "severity</h3>\n",
          f);
    struct bar_row rows[32];
    char labels[32][64];
    size_t n = 0;
    for (size_t i = 0; gl_rules[i] && n < 32; i++, n++) {
        snprintf(labels[n], sizeof labels[n], "%s %s", gl_rules[i]->id, gl_rules[i]->name);
        rows[n].label = labels[n];
        rows[n].sev = r->rule_sev[i];
    }
    svg_stacked(f, "Findings per rule by severity", rows, n);

    fputs("<h3>Findings per workload, by severity</h3>\n", f);
    const size_t top = 25;
    const struct rep_workload **ws = malloc((r->n_wls ? r->n_wls : 1) * sizeof *ws);
    struct bar_row *wr = malloc((r->n_wls ? r->n_wls : 1) * sizeof *wr);
    size_t nw = 0;
    for (size_t i = 0; ws && i < r->n_wls; i++)
        if (r->wls[i].findings)
            ws[nw++] = &r->wls[i];
    if (!ws || !wr) {
        fputs("<p class=\"note\">(chart left out: out of memory)</p>\n", f);
    } else if (!nw) {
        fputs("<p class=\"note\">No workload has findings.</p>\n", f);
    } else {
        qsort(ws, nw, sizeof *ws, cmp_wl_risk);
        size_t shown = nw < top ? nw : top;
        for (size_t i = 0; i < shown; i++) {
            wr[i].label = ws[i]->name;
            wr[i].sev = ws[i]->sev;
        }
        svg_stacked(f, "Findings per workload by severity", wr, shown);
        if (nw > shown)
            fprintf(f,
                    "<p class=\"note\">The %zu workloads with the most severe findings; %zu "
                    "more have findings (see Workloads).</p>\n",
                    shown, nw - shown);
    }
    free(ws);
    free(wr);
}

static void controls(FILE *f, const struct report *r)
{
    fputs("<h2 id=\"controls\">Controls</h2>\n<p class=\"note\"><b>findings</b>: a mapped rule "
          "found something (the findings are the evidence below); <b>no findings</b>: the "
          "mapped rules ran and found nothing; <b>not assessed</b>: no grantline rule maps to "
          "the control.</p>\n",
          f);
    for (size_t k = 0; k < r->n_fw; k++) {
        if (!r->fw[k].selected)
            continue;
        uint64_t st[REP__STATUS_COUNT];
        rep_status_counts(r, (int)k, st);
        if (!st[0] && !st[1] && !st[2] && !st[3])
            continue;
        fputs("<h3>", f);
        rep_html(f, r->fw[k].title);
        fprintf(f,
                "</h3>\n<p class=\"note\">%llu with findings, %llu risk accepted, %llu with no "
                "findings, %llu not assessed</p>\n<table><tr><th>control</th>%s<th>status</th>"
                "<th class=\"n\">findings</th><th>severities</th><th>rules</th></tr>\n",
                (unsigned long long)st[REP_FINDINGS], (unsigned long long)st[REP_ACCEPTED],
                (unsigned long long)st[REP_NO_FINDINGS], (unsigned long long)st[REP_NOT_ASSESSED],
                r->catalog_titles ? "<th>title</th>" : "");
        for (size_t i = 0; i < r->n_controls; i++) {
            const struct rep_control *c = &r->controls[i];
            if (c->fw != (int)k)
                continue;
            enum rep_status s = rep_control_status(r, c);
            fputs("<tr><td class=\"id ctl\">", f);
            if (s == REP_FINDINGS) {
                fputs("<a href=\"#", f);
                anchor(f, c->id);
                fputs("\">", f);
                rep_html(f, c->control);
                fputs("</a>", f);
            } else {
                rep_html(f, c->control);
            }
            fputs("</td>", f);
            if (r->catalog_titles) {
                fputs("<td>", f);
                rep_html(f, c->title ? c->title : "");
                fputs("</td>", f);
            }
            fputs("<td>", f);
            status_badge(f, s);
            fprintf(f, "</td><td class=\"n\">%llu", (unsigned long long)c->findings);
            if (c->suppressed)
                fprintf(f, " <span class=\"note\">(+%llu suppressed)</span>",
                        (unsigned long long)c->suppressed);
            fputs("</td><td>", f);
            sev_badges(f, c->sev);
            fputs("</td><td>", f);
            bool any = false;
            for (size_t q = 0; gl_rules[q]; q++)
                if (c->rules & (1u << q)) {
                    fprintf(f, "%s%s", any ? ", " : "", gl_rules[q]->id);
                    any = true;
                }
            fputs(any ? "</td></tr>\n" : "&ndash;</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }
}

static void evidence(FILE *f, const struct report *r)
{
    char t[32];
    fputs("<h2 id=\"evidence\">Evidence</h2>\n<p class=\"note\">Findings per control, most "
          "severe first. Finding ids are stable across runs; <code>grantline-analyzer findings "
          "--format json</code> has the full records.</p>\n",
          f);
    bool any = false;
    for (size_t i = 0; i < r->n_controls; i++) {
        const struct rep_control *c = &r->controls[i];
        if (rep_control_status(r, c) != REP_FINDINGS)
            continue;
        any = true;
        fputs("<h3 id=\"", f);
        anchor(f, c->id);
        fputs("\">", f);
        rep_html(f, c->id);
        if (c->title) {
            fputs(" &ndash; ", f);
            rep_html(f, c->title);
        }
        fprintf(f, " <span class=\"note\">(%llu)</span></h3>\n", (unsigned long long)c->findings);
        fputs("<table><tr><th>finding_id</th><th>rule</th><th>severity</th><th>workload</th>"
              "<th>first seen</th><th>detail</th></tr>\n",
              f);
        for (size_t k = 0; k < c->n_ev; k++) {
            const struct rep_finding *e = c->ev[k];
            fprintf(f,
                    "<tr><td class=\"id\">%s</td><td>%s&nbsp;%s</td><td><span class=\"b "
                    "sev-%s\">%s</span></td><td>",
                    e->id, gl_rules[e->rule]->id, gl_rules[e->rule]->name,
                    severity_name(e->severity), severity_name(e->severity));
            rep_html(f, e->workload ? e->workload : "(store)");
            fprintf(f, "</td><td>%s</td><td>", e->has_first ? rep_ts(e->first_seen, t) : "-");
            rep_html(f, e->detail);
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
        if (c->findings > c->n_ev)
            fprintf(f,
                    "<p class=\"note\">%llu more not listed (<code>--evidence 0</code> lists "
                    "all).</p>\n",
                    (unsigned long long)(c->findings - c->n_ev));
    }
    if (!any)
        fputs("<p>No control has findings.</p>\n", f);
}

static void util_bar(FILE *f, uint64_t a, uint64_t b)
{
    char p[16];
    if (!b) {
        fputs("&ndash;", f);
        return;
    }
    fprintf(f, "%s<div class=\"bar\"><i style=\"width:%.1f%%\"></i></div>", rep_pct(a, b, p),
            100.0 * (double)a / (double)b);
}

static void workloads(FILE *f, const struct report *r)
{
    fputs("<h2 id=\"workloads\">Workloads</h2>\n<table><tr><th>workload</th>"
          "<th class=\"n\">findings</th><th>severities</th><th>worst rule</th>"
          "<th class=\"n\">permissions used / granted</th><th>utilisation</th>"
          "<th>bound actions</th></tr>\n",
          f);
    for (size_t i = 0; i < r->n_wls; i++) {
        const struct rep_workload *w = &r->wls[i];
        fputs("<tr><td class=\"id\">", f);
        rep_html(f, w->name);
        fprintf(f, "</td><td class=\"n\">%llu</td><td>", (unsigned long long)w->findings);
        sev_badges(f, w->sev);
        int wr = rep_worst_rule(w);
        if (wr >= 0)
            fprintf(f, "</td><td>%s %s (%u)</td>", gl_rules[wr]->id, gl_rules[wr]->name,
                    w->rule_n[wr]);
        else
            fputs("</td><td>&ndash;</td>", f);
        fprintf(f, "<td class=\"n\">%llu / %llu</td><td>", (unsigned long long)w->perms_used,
                (unsigned long long)w->perms);
        util_bar(f, w->perms_used, w->perms);
        fputs("</td><td>", f);
        util_bar(f, w->actions_bound, w->actions);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    if (r->store_findings)
        fprintf(f,
                "<p class=\"note\">%llu findings concern the stores themselves (GL-015), not "
                "a workload.</p>\n",
                (unsigned long long)r->store_findings);
}

static void metrics(FILE *f, const struct report *r)
{
    const struct rep_metrics *m = &r->met;
    char p[16], d1[32], d2[32], d3[32], d4[32];
    fputs("<h2 id=\"metrics\">Metrics</h2>\n<h3>Privilege utilisation</h3>\n", f);
    fprintf(f,
            "<p><b>%s</b> of granted permissions covered at least one allowed action while "
            "their grant was active: %llu of %llu permissions, in %llu of %llu grants. Per "
            "workload: see Workloads.</p>\n",
            rep_pct(m->perms_used, m->perms, p), (unsigned long long)m->perms_used,
            (unsigned long long)m->perms, (unsigned long long)m->grants_used,
            (unsigned long long)m->grants);

    fputs("<h3>Remediation lag for exposed credentials</h3>\n", f);
    fprintf(f,
            "<table><tr><th class=\"n\">exposed</th><th class=\"n\">remediated</th>"
            "<th class=\"n\">open</th><th class=\"n\">over SLA (%s)</th><th class=\"n\">"
            "median</th><th class=\"n\">p90</th><th class=\"n\">max</th><th class=\"n\">"
            "oldest open</th></tr>\n",
            rep_dur(r->pol->remediation_sla, d1));
    fprintf(f,
            "<tr><td class=\"n\">%llu</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>"
            "<td class=\"n\">%llu</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
            "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr></table>\n",
            (unsigned long long)m->exposed, (unsigned long long)m->remediated,
            (unsigned long long)m->open, (unsigned long long)m->over_sla,
            m->n_lags ? rep_dur(rep_lag_percentile(r, 50), d1) : "-",
            m->n_lags ? rep_dur(rep_lag_percentile(r, 90), d2) : "-",
            m->n_lags ? rep_dur(m->lags[m->n_lags - 1], d3) : "-",
            m->open ? rep_dur(m->oldest_open, d4) : "-");
    if (m->exposed_untracked)
        fprintf(f,
                "<p class=\"note\">%llu more exposures name a secret that no "
                "<code>identity.issued</code> in these stores issued (for example secrets the "
                "collector redacted from event text): their lifecycle is not observable here, "
                "so they have no lag.</p>\n",
                (unsigned long long)m->exposed_untracked);

    fputs("<h3>Credential age and lifetime</h3>\n", f);
    fprintf(f,
            "<p>%llu credentials seen, %llu issued, %llu active at the horizon, <b>%llu "
            "issued without an expiry</b>.</p>\n",
            (unsigned long long)m->creds, (unsigned long long)m->creds_known,
            (unsigned long long)m->creds_active, (unsigned long long)m->creds_no_expiry);
    const char *const series[] = {"age of active credentials", "lifetime of retired ones",
                                  "declared lifetime"};
    const char *const col[] = {"#ef6c00", "#1e88e5", "#8e24aa"};
    const uint64_t *const vals[] = {m->age_active, m->lifetime_retired, m->ttl};
    svg_hist(f, "Credential age and lifetime distribution", series, col, vals, 3);
    fputs("<table><tr><th>bucket</th><th class=\"n\">age of active credentials</th>"
          "<th class=\"n\">lifetime of retired credentials</th><th class=\"n\">declared "
          "lifetime (expires_at)</th></tr>\n",
          f);
    for (int i = 0; i < REP_BUCKETS; i++)
        fprintf(f,
                "<tr><td>%s</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>"
                "<td class=\"n\">%llu</td></tr>\n",
                rep_bucket_label[i], (unsigned long long)m->age_active[i],
                (unsigned long long)m->lifetime_retired[i], (unsigned long long)m->ttl[i]);
    fprintf(f, "<tr><td>no expiry</td><td></td><td></td><td class=\"n\">%llu</td></tr></table>\n",
            (unsigned long long)m->creds_no_expiry);

    fputs("<h3>Actions bound to a verified credential</h3>\n", f);
    fprintf(f,
            "<p><b>%s</b> of %llu actions were bound: %llu used a credential issued to the "
            "acting workload, %llu were authenticated by their authority (AWS IAM, Kubernetes, "
            "Vault) without a credential the stream saw issued (most log none). Not bound: %llu "
            "without a "
            "credential, %llu with a credential never issued, %llu with another workload's "
            "credential.</p>\n",
            rep_pct(m->actions_bound, m->actions, p), (unsigned long long)m->actions,
            (unsigned long long)(m->actions_bound - m->actions_authority),
            (unsigned long long)m->actions_authority, (unsigned long long)m->actions_no_cred,
            (unsigned long long)m->actions_unknown_cred,
            (unsigned long long)m->actions_foreign_cred);

    fputs("<h3>Task-scoped access that ended with its task</h3>\n", f);
    fputs("<table><tr><th></th><th class=\"n\">decided</th><th class=\"n\">ended with task</th>"
          "<th>share</th><th class=\"n\">task still open</th></tr>\n",
          f);
    fprintf(f, "<tr><td>grants</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td><td>",
            (unsigned long long)m->task_grants, (unsigned long long)m->task_grants_ended);
    util_bar(f, m->task_grants_ended, m->task_grants);
    fprintf(f, "</td><td class=\"n\">%llu</td></tr>\n", (unsigned long long)m->task_grants_pending);
    fprintf(f, "<tr><td>credentials</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td><td>",
            (unsigned long long)m->task_creds, (unsigned long long)m->task_creds_ended);
    util_bar(f, m->task_creds_ended, m->task_creds);
    fprintf(f, "</td><td class=\"n\">%llu</td></tr></table>\n",
            (unsigned long long)m->task_creds_pending);
    fprintf(f,
            "<p class=\"note\">A grant or credential carrying a task ended with it when it was "
            "no longer active %s (linger_grace) after the task completed.</p>\n",
            rep_dur(r->pol->linger_grace, d1));
}

static void write_html(FILE *f, const struct report *r)
{
    char t1[32], t2[32];
    const char *title = r->title ? r->title : "NHI access compliance report";
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
          "<meta name=\"generator\" content=\"grantline\"><title>",
          f);
    rep_html(f, title);
    fprintf(f, "</title><style>%s</style></head><body>\n<header><h1>", css);
    rep_html(f, title);
    fprintf(f,
            "</h1><p class=\"meta\">State as of <b>%s</b> (horizon) &middot; generated %s by "
            "grantline %s</p></header>\n",
            rep_ts(r->horizon, t1), rep_ts(r->generated, t2), GL_VERSION);
    fputs("<nav><a href=\"#scope\">Scope</a><a href=\"#charts\">Charts</a>"
          "<a href=\"#controls\">Controls</a><a href=\"#evidence\">Evidence</a>"
          "<a href=\"#workloads\">Workloads</a><a href=\"#metrics\">Metrics</a></nav>\n",
          f);
    summary(f, r);
    scope(f, r);
    charts(f, r);
    controls(f, r);
    evidence(f, r);
    workloads(f, r);
    metrics(f, r);
    fputs("<footer><p class=\"note\">grantline compliance report. Control mappings: "
          "schemas/controls.json; rules: docs/rules.md; figures: docs/report.md.</p></footer>\n"
          "</body></html>\n",
          f);
}

const struct rep_format rep_format_html = {"html", "one self-contained HTML page", write_html};
