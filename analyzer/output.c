/* Finding outputs: aligned text for people, NDJSON (DESIGN.md §4 fields),
 * OCSF 1.8.0 Detection Finding (class 2004) objects, and CEF:0 lines with
 * optional RFC 5424 syslog framing, for SIEM pipelines. */
#include "output.h"

#include "grantline/textout.h"
#include "grantline/tstamp.h"

#include <string.h>
#include <time.h>

static void json_str(FILE *f, const char *s)
{
    gl_json_write_str(f, s, GL_NUL_TERMINATED);
}

/* --- text --- */

static void write_text(struct out_ctx *c, const struct out_finding *o, const struct suppression *x)
{
    const struct finding *f = &o->f;
    const struct gl_rule *r = gl_rules[f->rule];
    char t[32] = "-";
    if (f->has_first)
        gl_tstamp_format(f->first_seen, t);
    /* names and details come from the data: no control character reaches
     * the terminal, and none starts a line of its own */
    char wb[1024], db[2048], ob[256], rb[1024];
    fprintf(c->f, "%-8s %-8s %-24s %-27s %s\n         %s\n", r->id, severity_name(f->severity),
            r->name, t, f->workload ? gl_text_safe(f->workload, wb, sizeof wb) : "",
            gl_text_safe(f->detail, db, sizeof db));
    if (x)
        fprintf(c->f, "         SUPPRESSED until %s by %s: %s\n", x->expires,
                gl_text_safe(x->owner, ob, sizeof ob), gl_text_safe(x->reason, rb, sizeof rb));
    if (c->resolved)
        fprintf(c->f, "         RESOLVED: reported before, no longer found\n");
}

/* --- json (NDJSON, DESIGN.md §4) --- */

void out_ctx_free(struct out_ctx *c)
{
    gl_buf_free(&c->line);
}

static void ln_str(struct gl_buf *l, const char *s)
{
    gl_buf_append(l, s, strlen(s));
}

/* A finding's JSON line is built in memory and written with one fwrite:
 * NDJSON of a large store is a hundred megabytes of short strings, and a
 * stdio call per string (or per byte) was a tenth of 'findings'. A failed
 * append (out of memory) shows as a short write of the buffer. */
static void write_json(struct out_ctx *c, const struct out_finding *o, const struct suppression *x)
{
    const struct finding *f = &o->f;
    const struct gl_rule *r = gl_rules[f->rule];
    struct gl_buf *l = &c->line;
    char t[32];
    gl_buf_reset(l);
    ln_str(l, "{\"finding_id\":\"");
    ln_str(l, o->id);
    ln_str(l, "\",\"rule\":\"");
    ln_str(l, r->id);
    ln_str(l, "\",\"name\":\"");
    ln_str(l, r->name);
    ln_str(l, "\",\"severity\":\"");
    ln_str(l, severity_name(f->severity));
    ln_str(l, "\",\"workload\":");
    gl_json_append_str(l, f->workload, GL_NUL_TERMINATED);
    const char *opt[][2] = {{",\"task\":", f->task},
                            {",\"credential\":", f->credential},
                            {",\"grant\":", f->grant}};
    for (int i = 0; i < 3; i++) {
        if (!opt[i][1])
            continue;
        ln_str(l, opt[i][0]);
        gl_json_append_str(l, opt[i][1], GL_NUL_TERMINATED);
    }
    if (f->has_first) {
        ln_str(l, ",\"first_seen\":\"");
        ln_str(l, gl_tstamp_format(f->first_seen, t));
        ln_str(l, "\"");
    }
    if (f->has_last) {
        ln_str(l, ",\"last_seen\":\"");
        ln_str(l, gl_tstamp_format(f->last_seen, t));
        ln_str(l, "\"");
    }
    ln_str(l, ",\"evidence\":[");
    for (int i = 0; i < f->n_evidence; i++) {
        if (i)
            ln_str(l, ",");
        gl_json_append_str(l, f->evidence[i], GL_NUL_TERMINATED);
    }
    ln_str(l, "],\"detail\":");
    gl_json_append_str(l, f->detail, GL_NUL_TERMINATED);
    ln_str(l, ",\"controls\":");
    ln_str(l, c->ctl->json[f->rule] ? c->ctl->json[f->rule] : "[]");
    if (x) {
        ln_str(l, ",\"suppressed\":{\"reason\":");
        gl_json_append_str(l, x->reason, GL_NUL_TERMINATED);
        ln_str(l, ",\"owner\":");
        gl_json_append_str(l, x->owner, GL_NUL_TERMINATED);
        ln_str(l, ",\"expires\":\"");
        ln_str(l, x->expires);
        ln_str(l, "\"}");
    }
    if (c->resolved)
        ln_str(l, ",\"status\":\"resolved\"");
    ln_str(l, "}\n");
    fwrite(l->data, 1, l->len, c->f);
}

/* --- OCSF 1.8.0 Detection Finding --- */

int ocsf_severity_id(enum severity s)
{
    return (int)s + 1; /* 1 Informational .. 5 Critical */
}

static const char *ocsf_severity_caption(enum severity s)
{
    static const char *const names[] = {"Informational", "Low", "Medium", "High", "Critical"};
    return (unsigned)s < 5 ? names[s] : "Unknown";
}

static void write_ocsf(struct out_ctx *c, const struct out_finding *o, const struct suppression *x)
{
    FILE *out = c->f;
    const struct finding *f = &o->f;
    const struct gl_rule *r = gl_rules[f->rule];
    long long first = f->has_first ? (long long)(f->first_seen / 1000) : 0;
    long long last = f->has_last ? (long long)(f->last_seen / 1000) : first;
    long long now = (long long)(gl_tstamp_now() / 1000);
    /* a suppressed finding listed anyway is Suppressed; one that went away
     * is closed (activity 3 Close, status 4 Resolved) */
    int status_id = c->resolved ? 4 : x ? 3 : 1;
    const char *status = c->resolved ? "Resolved" : x ? "Suppressed" : "New";
    int activity = c->resolved ? 3 : 1;
    fprintf(out,
            "{\"activity_id\":%d,\"activity_name\":\"%s\",\"category_uid\":2,"
            "\"category_name\":\"Findings\",\"class_uid\":2004,\"class_name\":\"Detection "
            "Finding\",\"type_uid\":%d,\"type_name\":\"Detection Finding: %s\","
            "\"severity_id\":%d,\"severity\":\"%s\",\"status_id\":%d,\"status\":\"%s\","
            "\"confidence_id\":3,\"confidence\":\"High\",\"is_alert\":%s,\"time\":%lld,",
            activity, c->resolved ? "Close" : "Create", 200400 + activity,
            c->resolved ? "Close" : "Create", ocsf_severity_id(f->severity),
            ocsf_severity_caption(f->severity), status_id, status,
            f->severity >= SEV_HIGH && !c->resolved ? "true" : "false",
            c->resolved ? now : f->has_first ? last : now);
    if (f->has_first)
        fprintf(out, "\"start_time\":%lld,\"end_time\":%lld,", first, last);
    fputs("\"message\":", out);
    json_str(out, f->detail);
    fprintf(out,
            ",\"metadata\":{\"version\":\"1.8.0\",\"product\":{\"name\":\"grantline\","
            "\"vendor_name\":\"grantline\",\"version\":\"%s\"},\"log_name\":\"findings\","
            "\"uid\":\"%s\"}",
            GL_VERSION, o->id);
    fprintf(out, ",\"finding_info\":{\"uid\":\"%s\",\"title\":", o->id);
    json_str(out, r->name);
    fputs(",\"desc\":", out);
    json_str(out, r->summary);
    fprintf(out, ",\"analytic\":{\"type_id\":1,\"type\":\"Rule\",\"name\":\"%s\",\"uid\":\"%s\"}",
            r->name, r->id);
    fprintf(out, ",\"types\":[\"%s\"]", r->name);
    if (f->has_first)
        fprintf(out, ",\"first_seen_time\":%lld,\"last_seen_time\":%lld", first, last);
    if (f->n_evidence) {
        fputs(",\"related_events\":[", out);
        for (int i = 0; i < f->n_evidence; i++) {
            fputs(i ? ",{\"uid\":" : "{\"uid\":", out);
            json_str(out, f->evidence[i]);
            fputc('}', out);
        }
        fprintf(out, "],\"related_events_count\":%d", f->n_evidence);
    }
    fputs(",\"tags\":[", out);
    size_t k = 0;
    for (; c->ctl->ids[f->rule] && c->ctl->ids[f->rule][k]; k++) {
        const char *id = c->ctl->ids[f->rule][k];
        const char *colon = strchr(id, ':');
        fputs(k ? ",{\"name\":" : "{\"name\":", out);
        if (colon) {
            fprintf(out, "\"%.*s\",\"value\":", (int)(colon - id), id);
            json_str(out, colon + 1);
        } else {
            fputs("\"control\",\"value\":", out);
            json_str(out, id);
        }
        fputc('}', out);
    }
    fputs("]}", out);
    /* the workload is the actor; its credential, when the finding has one */
    fputs(",\"evidences\":[{\"actor\":{\"user\":{\"uid\":", out);
    json_str(out, f->workload ? f->workload : "");
    fputs(",\"name\":", out);
    json_str(out, f->workload ? f->workload : "");
    fputs(",\"type_id\":99,\"type\":\"Non-human identity\"", out);
    if (f->credential) {
        /* user.credential_uid is deprecated since OCSF 1.6.0 */
        fputs(",\"programmatic_credentials\":[{\"uid\":", out);
        json_str(out, f->credential);
        fputs(",\"type\":\"workload credential\"}]", out);
    }
    fputs("}}}]", out);
    if (f->grant || f->credential) {
        fputs(",\"resources\":[{\"name\":", out);
        json_str(out, f->grant ? f->grant : f->credential);
        fprintf(out, ",\"type\":\"%s\",\"role_id\":3,\"role\":\"Affected\"}]",
                f->grant ? "grant" : "credential");
    }
    fputs(",\"unmapped\":{\"grantline\":{\"rule\":", out);
    json_str(out, r->id);
    if (f->task) {
        fputs(",\"task\":", out);
        json_str(out, f->task);
    }
    if (x) {
        fputs(",\"suppressed_by\":", out);
        json_str(out, x->owner);
        fputs(",\"suppression_reason\":", out);
        json_str(out, x->reason);
    }
    fputs("}}}\n", out);
}

/* --- CEF:0, optionally in an RFC 5424 syslog line --- */

void cef_escape_header(const char *s, char *out, size_t n)
{
    size_t at = 0;
    for (; s && *s && at + 3 < n; s++) {
        if (*s == '\\' || *s == '|')
            out[at++] = '\\';
        out[at++] = (*s == '\n' || *s == '\r') ? ' ' : *s;
    }
    out[at] = '\0';
}

void cef_escape_value(const char *s, char *out, size_t n)
{
    size_t at = 0;
    for (; s && *s && at + 3 < n; s++) {
        if (*s == '\\' || *s == '=') {
            out[at++] = '\\';
            out[at++] = *s;
        } else if (*s == '\n') {
            out[at++] = '\\';
            out[at++] = 'n';
        } else if (*s == '\r') {
            out[at++] = '\\';
            out[at++] = 'r';
        } else {
            out[at++] = *s;
        }
    }
    out[at] = '\0';
}

int cef_severity(enum severity s)
{
    static const int map[] = {1, 3, 5, 8, 10};
    return (unsigned)s < 5 ? map[s] : 0;
}

static void ext(FILE *out, const char *key, const char *value)
{
    if (!value)
        return;
    char esc[2048];
    cef_escape_value(value, esc, sizeof esc);
    fprintf(out, " %s=%s", key, esc);
}

static void write_cef(struct out_ctx *c, const struct out_finding *o, const struct suppression *x)
{
    FILE *out = c->f;
    const struct finding *f = &o->f;
    const struct gl_rule *r = gl_rules[f->rule];
    if (c->syslog) {
        /* RFC 5424: facility 13 (log audit); severity crit..info by ours */
        static const int sev[] = {6, 5, 4, 3, 2};
        char t[32];
        gl_tstamp_format(gl_tstamp_now(), t);
        fprintf(out, "<%d>1 %s %s grantline - %s - ", 13 * 8 + sev[f->severity], t,
                c->host[0] ? c->host : "-", r->id);
    }
    char name[128], detail_ms[32];
    cef_escape_header(r->name, name, sizeof name);
    fprintf(out, "CEF:0|grantline|grantline|%s|%s|%s|%d|", GL_VERSION, r->id, name,
            cef_severity(f->severity));
    fprintf(out, "externalId=%s", o->id);
    if (f->has_first) {
        snprintf(detail_ms, sizeof detail_ms, "%lld", (long long)(f->first_seen / 1000));
        ext(out, "start", detail_ms);
        snprintf(detail_ms, sizeof detail_ms, "%lld",
                 (long long)((f->has_last ? f->last_seen : f->first_seen) / 1000));
        ext(out, "end", detail_ms);
    }
    ext(out, "suser", f->workload);
    ext(out, "cat", severity_name(f->severity));
    if (f->task) {
        ext(out, "cs1Label", "task");
        ext(out, "cs1", f->task);
    }
    if (f->credential) {
        ext(out, "cs2Label", "credential");
        ext(out, "cs2", f->credential);
    }
    if (f->grant) {
        ext(out, "cs3Label", "grant");
        ext(out, "cs3", f->grant);
    }
    char controls[1024] = "";
    size_t at = 0;
    for (size_t k = 0; c->ctl->ids[f->rule] && c->ctl->ids[f->rule][k] && at < sizeof controls;
         k++)
        at += (size_t)snprintf(controls + at, sizeof controls - at, "%s%s", k ? "," : "",
                               c->ctl->ids[f->rule][k]);
    ext(out, "cs4Label", "controls");
    ext(out, "cs4", controls);
    if (f->n_evidence) {
        char ev[1024] = "";
        at = 0;
        for (int i = 0; i < f->n_evidence && at < sizeof ev; i++)
            at += (size_t)snprintf(ev + at, sizeof ev - at, "%s%s", i ? "," : "", f->evidence[i]);
        ext(out, "cs5Label", "evidence");
        ext(out, "cs5", ev);
    }
    if (x) {
        ext(out, "cs6Label", "suppressed");
        ext(out, "cs6", x->reason);
    }
    if (c->resolved)
        ext(out, "outcome", "resolved");
    ext(out, "msg", f->detail);
    fputc('\n', out);
}

static const struct gl_output out_text = {"text", "aligned text for people", write_text};
static const struct gl_output out_json = {"json", "NDJSON, the fields of DESIGN.md section 4",
                                          write_json};
static const struct gl_output out_ocsf = {"ocsf", "OCSF 1.8.0 Detection Finding (2004), NDJSON",
                                          write_ocsf};
static const struct gl_output out_cef = {"cef", "CEF:0 lines (--syslog: RFC 5424 framing)",
                                         write_cef};

const struct gl_output *const gl_outputs[] = {&out_text, &out_json, &out_ocsf, &out_cef, NULL};

const struct gl_output *gl_output_find(const char *name)
{
    for (size_t i = 0; gl_outputs[i]; i++)
        if (strcmp(gl_outputs[i]->name, name) == 0)
            return gl_outputs[i];
    return NULL;
}
