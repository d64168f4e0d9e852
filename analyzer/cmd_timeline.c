/* 'timeline' and 'state': one workload's story for a responder. timeline is a
 * chronological listing (each action with the grant that covered it and the
 * credential it used, findings marked inline); state is what the workload
 * could do at one instant and what it did that day. */
#include "cmd.h"
#include "engine.h"
#include "html_timeline.h"

#include "grantline/textout.h"
#include "grantline/tstamp.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct opts {
    const char *dirs[64];
    size_t n_dirs;
    const char *workload, *task;
    int64_t from, to, at;
    bool has_at, json, html;
};


/* A name or line from the data, made safe for a terminal (gl_text_safe):
 * a ring of buffers, so one printf can take several. Text output runs on
 * one thread. */
static const char *tsafe(const char *s)
{
    static char ring[8][2048];
    static unsigned next;
    return gl_text_safe(s, ring[next++ % 8], sizeof ring[0]);
}

static int parse(int argc, char **argv, const char *name, bool state, struct opts *o)
{
    enum { OPT_FROM = 256, OPT_TO, OPT_AT };
    static const struct option opts[] = {
        {"store", required_argument, 0, 's'},   {"workload", required_argument, 0, 'w'},
        {"task", required_argument, 0, 't'},    {"from", required_argument, 0, OPT_FROM},
        {"to", required_argument, 0, OPT_TO},   {"at", required_argument, 0, OPT_AT},
        {"format", required_argument, 0, 'f'},  {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->from = INT64_MIN;
    o->to = INT64_MAX;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "s:w:t:f:h", opts, NULL)) != -1) {
        const char *why;
        switch (ch) {
        case 's':
            if (o->n_dirs < 64)
                o->dirs[o->n_dirs++] = optarg;
            break;
        case 'w':
            o->workload = optarg;
            break;
        case 't':
            o->task = optarg;
            break;
        case OPT_FROM:
        case OPT_TO:
        case OPT_AT: {
            int64_t *dst = ch == OPT_FROM ? &o->from : ch == OPT_TO ? &o->to : &o->at;
            if (gl_tstamp_parse(optarg, strlen(optarg), dst, &why)) {
                fprintf(stderr, "grantline-analyzer %s: %s: %s\n", name, optarg, why);
                return GL_EXIT_USAGE;
            }
            o->has_at |= ch == OPT_AT;
            break;
        }
        case 'f':
            /* html is a page for a browser: only the timeline has one */
            if (strcmp(optarg, "json") && strcmp(optarg, "text") &&
                (state || strcmp(optarg, "html"))) {
                fprintf(stderr, "grantline-analyzer %s: --format must be text%s or json\n", name,
                        state ? "" : ", html");
                return GL_EXIT_USAGE;
            }
            o->json = strcmp(optarg, "json") == 0;
            o->html = strcmp(optarg, "html") == 0;
            break;
        case 'h':
            if (state)
                printf("usage: grantline-analyzer state --store DIR --workload W --at TIME "
                       "[--format text|json]\n"
                       "What W could do at TIME (active grants, active credentials, open tasks)\n"
                       "and what it did that day (UTC).\n"
                       "\nExample:\n  grantline-analyzer state --store ./store --workload "
                       "agent:support-bot --at 2026-03-04T14:03:00Z\n");
            else
                printf("usage: grantline-analyzer timeline --store DIR [--store DIR...] "
                       "--workload W [--task T]\n"
                       "                                   [--from T0] [--to T1] [--at T] "
                       "[--format text|json|html]\n"
                       "W's events in time order: each action with the grant that covered it\n"
                       "(none, or \"by aws-iam\" when the authority that decided it keeps its\n"
                       "policies outside the stream) and the credential it used, grant and\n"
                       "credential lifetimes, and findings marked where their evidence is.\n"
                       "--from/--to show a stretch of it; --at T analyses as of T (later events\n"
                       "are not known yet: the timeline an alert at T would have shown).\n"
                       "--format html writes one self-contained page (no network) with a lane\n"
                       "per credential, grant and task, the actions, and the findings; zoomable.\n"
                       "\nExample:\n  grantline-analyzer timeline --store ./store --workload "
                       "agent:sql-runner\n"
                       "  grantline-analyzer timeline --store ./store --workload agent:sql-runner "
                       "--format html > sql-runner.html\n");
            return GL_EXIT_OK;
        default:
            fprintf(stderr, "Try 'grantline-analyzer %s --help'.\n", name);
            return GL_EXIT_USAGE;
        }
    }
    if (o->from > o->to) {
        fprintf(stderr, "grantline-analyzer %s: --from is after --to\n", name);
        return GL_EXIT_USAGE;
    }
    if (state && (o->from != INT64_MIN || o->to != INT64_MAX || o->task)) {
        fprintf(stderr,
                "grantline-analyzer state: --from, --to and --task are timeline options "
                "(state is one instant: --at)\n");
        return GL_EXIT_USAGE;
    }
    if (!o->n_dirs || !o->workload || optind < argc || (state && !o->has_at)) {
        fprintf(stderr, "grantline-analyzer %s: %s\nTry 'grantline-analyzer %s --help'.\n", name,
                !o->n_dirs     ? "--store DIR is required"
                : !o->workload ? "--workload W is required"
                : optind < argc ? "unexpected argument"
                                : "--at TIME is required",
                name);
        return GL_EXIT_USAGE;
    }
    return -1;
}

static void jstr(const char *s)
{
    gl_json_write_str(stdout, s, GL_NUL_TERMINATED);
}

static const char *perm_str(const struct perm *p, char *out, size_t n)
{
    snprintf(out, n, "%s %s", p->action, p->resource ? p->resource : "*");
    return out;
}

/* an action's: without a resource it names none ("" is not "*") */
static const char *act_str(const struct perm *p, char *out, size_t n)
{
    if (!p->resource || !*p->resource)
        snprintf(out, n, "%s", p->action);
    else
        snprintf(out, n, "%s %s", p->action, p->resource);
    return out;
}

/* How a lifetime ends, as known at the horizon H: an expiry after H has
 * not happened yet (a revocation after H is not loaded at all). */
static const char *until_str(int64_t end, const char *how, int64_t H, char *out, size_t n)
{
    char t[32];
    if (end == INT64_MAX)
        snprintf(out, n, "active");
    else if (end > H)
        snprintf(out, n, "active, expires %s", gl_tstamp_format(end, t));
    else
        snprintf(out, n, "%s %s", how ? how : "ended", gl_tstamp_format(end, t));
    return out;
}

/* Context of the run: model, engine (its timeline and findings). */
struct ctx {
    struct gl_store *stores[64];
    struct model m;
    struct engine eng;
    struct policy pol;
    bool enabled[32];
    struct gl_error err;
};

static int setup(struct ctx *c, const struct opts *o, int64_t horizon, bool has_h)
{
    if (policy_load(&c->pol, NULL, &c->err))
        return GL_EXIT_USAGE;
    for (size_t i = 0; i < o->n_dirs; i++)
        if (gl_store_open(o->dirs[i], GL_STORE_RDONLY, 0, &c->stores[i], &c->err))
            return GL_EXIT_STORE;
    model_warn_mixed_keys(c->stores, (const char *const *)o->dirs, o->n_dirs);
    for (size_t i = 0; gl_rules[i]; i++)
        c->enabled[i] = !gl_rules[i]->on_store;
    if (model_init(&c->m, c->stores, o->n_dirs, horizon, has_h, &c->err) ||
        engine_init(&c->eng, &c->m, &c->pol, c->enabled, &c->err))
        return GL_EXIT_STORE;
    /* credential findings first (they reset the engine's arena), then the
     * workload, whose timeline stays in the engine for printing */
    struct evlist evs = {0};
    struct gl_arena *a = gl_arena_new();
    int rc = a ? model_load(&c->m, GL_IDX_WORKLOAD, o->workload, a, &evs, &c->err)
               : GL_ERR_NOMEM;
    char **creds = calloc(evs.n + 1, sizeof *creds);
    size_t n = 0;
    for (size_t i = 0; !rc && creds && i < evs.n; i++) {
        const char *id = evs.v[i].cred;
        bool seen = !id;
        for (size_t k = 0; k < n && !seen; k++)
            seen = strcmp(creds[k], id) == 0;
        if (!seen)
            creds[n++] = strdup(id);
    }
    free(evs.v);
    gl_arena_free(a);
    for (size_t k = 0; k < n; k++) {
        if (!rc)
            rc = engine_credential(&c->eng, creds[k]);
        free(creds[k]);
    }
    free(creds);
    if (!rc)
        rc = engine_workload(&c->eng, o->workload);
    if (rc)
        return GL_EXIT_STORE;
    engine_sort(&c->eng);
    if (!c->eng.w.evs.n) /* an empty answer would look like a quiet workload */
        fprintf(stderr,
                "grantline-analyzer: no event names workload %s in these stores%s (names are "
                "exact; 'grantline-analyzer events --store DIR' lists the events)\n",
                tsafe(o->workload), has_h ? " up to the horizon" : "");
    return -1;
}

static void teardown(struct ctx *c, size_t n_dirs)
{
    engine_free(&c->eng);
    model_free(&c->m);
    for (size_t i = 0; i < n_dirs; i++)
        gl_store_close(c->stores[i]);
}

/* Findings whose evidence names this event. */
static int marks(const struct ctx *c, const char *id, const struct out_finding **out, int max)
{
    int n = 0;
    for (size_t i = 0; i < c->eng.sink.n && n < max; i++) {
        const struct finding *f = &c->eng.sink.v[i].f;
        for (int k = 0; k < f->n_evidence; k++)
            if (strcmp(f->evidence[k], id) == 0) {
                out[n++] = &c->eng.sink.v[i];
                break;
            }
    }
    return n;
}

static const char *cred_note(struct ctx *c, const struct ev *e, char *out, size_t n)
{
    if (!e->cred) {
        snprintf(out, n, "no credential");
        return out;
    }
    const struct cred_info *ci = model_cred(&c->m, e->cred, &c->err);
    const struct cred_life *l = ci ? cred_life_at(ci, e) : NULL; /* its life at e */
    if (!ci)
        snprintf(out, n, "%s", e->cred);
    else if (!ci->known)
        snprintf(out, n, "%s (never issued)", e->cred);
    else if (strcmp(l->owner, c->eng.w.workload) != 0)
        snprintf(out, n, "%s (issued to %s)", e->cred, l->owner);
    else if (cred_retired_at(ci, e))
        snprintf(out, n, "%s (%s before)", e->cred, l->retired_how ? l->retired_how : "retired");
    else
        snprintf(out, n, "%s", e->cred);
    return out;
}

static void describe(struct ctx *c, size_t i, char *out, size_t n)
{
    const struct wl *w = &c->eng.w;
    const struct ev *e = &w->evs.v[i];
    char p[512], cn[300], u[64];
    switch (e->type) {
    case GL_EV_ACTION_PERFORMED:
        if (w->cover[i] >= 0)
            snprintf(out, n, "%s %s  grant %s  cred %s",
                     e->decision == GL_DECISION_ALLOW ? "ALLOW" : "DENY ",
                     act_str(&e->perms[0], p, sizeof p), w->grants[w->cover[i]].key,
                     cred_note(c, e, cn, sizeof cn));
        else if (e->authority) /* its policies are not in the stream: GL-012 does not judge */
            snprintf(out, n, "%s %s  by %s  cred %s",
                     e->decision == GL_DECISION_ALLOW ? "ALLOW" : "DENY ",
                     act_str(&e->perms[0], p, sizeof p), e->authority,
                     cred_note(c, e, cn, sizeof cn));
        else
            snprintf(out, n, "%s %s  NO GRANT  cred %s",
                     e->decision == GL_DECISION_ALLOW ? "ALLOW" : "DENY ",
                     act_str(&e->perms[0], p, sizeof p), cred_note(c, e, cn, sizeof cn));
        break;
    case GL_EV_ACCESS_GRANTED:
    case GL_EV_AGENT_DELEGATED: {
        int at = 0;
        if (e->type == GL_EV_AGENT_DELEGATED)
            at = snprintf(out, n, "%s %s: ",
                          strcmp(e->workload, w->workload) == 0 ? "delegated to" : "received from",
                          strcmp(e->workload, w->workload) == 0 ? e->delegate : e->workload);
        /* every permission of each grant: a finding under the line may be
         * about any of them */
        for (size_t g = 0; g < w->n_grants && at >= 0 && (size_t)at < n; g++) {
            const struct grant *gr = &w->grants[g];
            if (gr->event != e->id)
                continue;
            at += snprintf(out + at, n - (size_t)at, "%s[%s: ", at ? " " : "", gr->key);
            for (int k = 0; k < gr->n_perms && at >= 0 && (size_t)at < n; k++)
                at += snprintf(out + at, n - (size_t)at, "%s%s", k ? "; " : "",
                               perm_str(&gr->perms[k], p, sizeof p));
            if (at >= 0 && (size_t)at < n)
                at += snprintf(out + at, n - (size_t)at, ", %s]",
                               until_str(gr->end, gr->end_how, c->m.horizon, u, sizeof u));
        }
        if (at == 0 || (e->type == GL_EV_AGENT_DELEGATED &&
                        strcmp(e->workload, w->workload) == 0))
            for (int k = 0; k < e->n_perms && at >= 0 && (size_t)at < n; k++)
                at += snprintf(out + at, n - (size_t)at, "%s%s", k ? "; " : "",
                               perm_str(&e->perms[k], p, sizeof p));
        break;
    }
    case GL_EV_ACCESS_REVOKED:
        snprintf(out, n, "%s%s", e->grant_id ? e->grant_id : "",
                 e->n_perms ? perm_str(&e->perms[0], p, sizeof p) : "");
        break;
    case GL_EV_IDENTITY_ISSUED:
    case GL_EV_CREDENTIAL_ROTATED: {
        const struct cred_info *ci = model_cred(&c->m, e->cred, &c->err);
        const struct cred_life *l = ci ? cred_life_at(ci, e) : NULL; /* the life it issues */
        snprintf(out, n, "%s%s%s  %s", e->cred, e->previous ? " replaces " : "",
                 e->previous ? e->previous : "",
                 l ? until_str(l->retired, l->retired_how, c->m.horizon, u, sizeof u) : "");
        break;
    }
    case GL_EV_TASK_STARTED:
        snprintf(out, n, "%s (%d scope entries%s)", e->task, e->n_scope,
                 e->has_scope ? "" : ", none declared");
        break;
    case GL_EV_TASK_COMPLETED:
        snprintf(out, n, "%s %s", e->task, gl_status_name(e->status));
        break;
    default:
        snprintf(out, n, "%s", e->cred ? e->cred : "");
        break;
    }
}

int gl_cmd_timeline(int argc, char **argv)
{
    struct opts o;
    int rc = parse(argc, argv, "timeline", false, &o);
    if (rc >= 0)
        return rc;
    struct ctx *c = calloc(1, sizeof *c);
    if (!c)
        return GL_EXIT_STORE;
    /* --at: the timeline as known at that instant (later events ignored,
     * findings as of then), like findings --at */
    rc = setup(c, &o, o.at, o.has_at);
    if (rc >= 0) {
        fprintf(stderr, "grantline-analyzer: %s\n", c->err.msg);
        teardown(c, o.n_dirs);
        free(c);
        return rc;
    }
    if (o.html) {
        struct html_view v = {.workload = o.workload, .task = o.task, .from = o.from, .to = o.to};
        rc = html_timeline_write(stdout, &c->m, &c->eng, &v, &c->err);
        if (rc)
            fprintf(stderr, "grantline-analyzer: %s\n", c->err.msg);
        teardown(c, o.n_dirs);
        free(c);
        return rc ? GL_EXIT_STORE : GL_EXIT_OK;
    }
    const struct wl *w = &c->eng.w;
    char t[32], d[1200];
    size_t shown = 0;
    for (size_t i = 0; i < w->evs.n; i++) {
        const struct ev *e = &w->evs.v[i];
        if (e->ts < o.from || e->ts > o.to || (o.task && (!e->task || strcmp(e->task, o.task))))
            continue;
        shown++;
        describe(c, i, d, sizeof d);
        const struct out_finding *fs[16];
        int nf = marks(c, e->id, fs, 16);
        if (o.json) {
            printf("{\"ts\":\"%s\",\"id\":", gl_tstamp_format(e->ts, t));
            jstr(e->id);
            printf(",\"type\":\"%s\",\"workload\":", gl_event_type_name(e->type));
            jstr(e->workload);
            if (e->task) {
                printf(",\"task\":");
                jstr(e->task);
            }
            if (e->cred) {
                printf(",\"credential\":");
                jstr(e->cred);
            }
            if (e->type == GL_EV_ACTION_PERFORMED) {
                printf(",\"decision\":\"%s\",\"covered_by\":", gl_decision_name(e->decision));
                if (w->cover[i] >= 0)
                    jstr(w->grants[w->cover[i]].key);
                else
                    printf("null");
                if (e->authority) {
                    printf(",\"authority\":");
                    jstr(e->authority);
                }
            }
            if (e->n_perms) {
                /* as the event carries them: an action's absent resource
                 * is null (it means ""), a grant's means "*" */
                printf(",\"permissions\":[");
                for (int k = 0; k < e->n_perms; k++) {
                    printf("%s{\"action\":", k ? "," : "");
                    jstr(e->perms[k].action);
                    printf(",\"resource\":");
                    if (e->perms[k].resource)
                        jstr(e->perms[k].resource);
                    else
                        printf("null");
                    printf("}");
                }
                printf("]");
            }
            printf(",\"summary\":");
            jstr(d);
            printf(",\"findings\":[");
            for (int k = 0; k < nf; k++) {
                printf("%s{\"finding_id\":\"%s\",\"rule\":\"%s\",\"name\":\"%s\"}", k ? "," : "",
                       fs[k]->id, gl_rules[fs[k]->f.rule]->id, gl_rules[fs[k]->f.rule]->name);
            }
            printf("]}\n");
        } else {
            printf("%-27s %-22s %s\n", gl_tstamp_format(e->ts, t), gl_event_type_name(e->type),
                   tsafe(d));
            for (int k = 0; k < nf; k++)
                printf("%-27s %-22s   !! %s %s: %s\n", "", "", gl_rules[fs[k]->f.rule]->id,
                       gl_rules[fs[k]->f.rule]->name, tsafe(fs[k]->f.detail));
        }
    }
    if (!o.json)
        fprintf(stderr, "%zu events, %zu grants, %zu findings touching %s%s\n", shown,
                w->n_grants, c->eng.sink.n, tsafe(o.workload),
                shown < w->evs.n ? " (in all: each is marked under the shown events it cites)"
                                 : "");
    teardown(c, o.n_dirs);
    free(c);
    return GL_EXIT_OK;
}

int gl_cmd_state(int argc, char **argv)
{
    struct opts o;
    int rc = parse(argc, argv, "state", true, &o);
    if (rc >= 0)
        return rc;
    struct ctx *c = calloc(1, sizeof *c);
    if (!c)
        return GL_EXIT_STORE;
    /* the horizon is the instant asked about: nothing after it is known */
    rc = setup(c, &o, o.at, true);
    if (rc >= 0) {
        fprintf(stderr, "grantline-analyzer: %s\n", c->err.msg);
        teardown(c, o.n_dirs);
        free(c);
        return rc;
    }
    const struct wl *w = &c->eng.w;
    char t[32], p[512], u[64];
    int64_t T = o.at;
    if (!o.json)
        printf("%s at %s\n\nactive grants:\n", tsafe(o.workload), gl_tstamp_format(T, t));
    else
        printf("{\"workload\":"), jstr(o.workload),
            printf(",\"at\":\"%s\",\"grants\":[", gl_tstamp_format(T, t));
    int n = 0;
    for (size_t g = 0; g < w->n_grants; g++) {
        const struct grant *gr = &w->grants[g];
        if (!grant_active(gr, T))
            continue;
        for (int k = 0; k < gr->n_perms; k++) {
            if (o.json) {
                printf("%s{\"grant\":", n++ ? "," : "");
                jstr(gr->key);
                printf(",\"action\":");
                jstr(gr->perms[k].action);
                printf(",\"resource\":");
                jstr(gr->perms[k].resource ? gr->perms[k].resource : "*");
                printf(",\"since\":\"%s\"", gl_tstamp_format(gr->start, t));
                if (gr->task)
                    printf(",\"task\":"), jstr(gr->task);
                printf("}");
            } else {
                printf("  %-40s %-50s since %s%s%s\n", tsafe(gr->key),
                       tsafe(perm_str(&gr->perms[k], p, sizeof p)), gl_tstamp_format(gr->start, t),
                       gr->task ? "  task " : "", gr->task ? tsafe(gr->task) : "");
                n++;
            }
        }
    }
    if (!o.json && !n)
        printf("  (none)\n");
    /* credentials owned by the workload and active at T */
    if (o.json)
        printf("],\"credentials\":[");
    else
        printf("\nactive credentials:\n");
    n = 0;
    for (size_t i = 0; i < w->evs.n; i++) {
        const struct ev *e = &w->evs.v[i];
        if ((e->type != GL_EV_IDENTITY_ISSUED && e->type != GL_EV_CREDENTIAL_ROTATED) || !e->cred ||
            strcmp(e->workload, o.workload) != 0)
            continue;
        const struct cred_info *ci = model_cred(&c->m, e->cred, &c->err);
        /* the issuing event of a life, not a repeated issue */
        const struct cred_life *l = ci && ci->known ? cred_life_at(ci, e) : NULL;
        if (!l || strcmp(l->issue_event, e->id) != 0)
            continue;
        if (!(l->issued <= T && T < l->retired))
            continue;
        if (o.json) {
            printf("%s{\"credential\":", n++ ? "," : "");
            jstr(ci->id);
            printf(",\"issued\":\"%s\"", gl_tstamp_format(l->issued, t));
            if (l->has_expires)
                printf(",\"expires_at\":\"%s\"", gl_tstamp_format(l->expires, t));
            printf("}");
        } else {
            printf("  %-40s issued %s, %s\n", tsafe(ci->id), gl_tstamp_format(l->issued, t),
                   l->has_expires ? until_str(l->expires, "expires", INT64_MAX, u, sizeof u)
                                   : "no expiry");
            n++;
        }
    }
    if (!o.json && !n)
        printf("  (none)\n");
    if (o.json)
        printf("],\"open_tasks\":[");
    else
        printf("\nopen tasks:\n");
    n = 0;
    for (size_t i = 0; i < w->evs.n; i++) {
        const struct ev *e = &w->evs.v[i];
        if (e->type != GL_EV_TASK_STARTED || !e->task)
            continue;
        const struct task_info *ti = model_task(&c->m, e->task, &c->err);
        if (!ti || ti->start != e->ts || (ti->completed && ti->end <= T))
            continue;
        if (o.json)
            printf("%s", n++ ? "," : ""), jstr(e->task);
        else
            printf("  %-40s started %s\n", tsafe(e->task), gl_tstamp_format(ti->start, t)), n++;
    }
    if (!o.json && !n)
        printf("  (none)\n");
    int64_t day = T - ((T % 86400000000LL) + 86400000000LL) % 86400000000LL;
    if (o.json)
        printf("],\"actions_that_day\":[");
    else
        printf("\nactions on %.10s (UTC) up to %s:\n", gl_tstamp_format(day, u),
               gl_tstamp_format(T, t));
    n = 0;
    for (size_t i = 0; i < w->evs.n; i++) {
        const struct ev *e = &w->evs.v[i];
        if (e->type != GL_EV_ACTION_PERFORMED || strcmp(e->workload, o.workload) != 0 ||
            e->ts < day || e->ts > T)
            continue;
        if (o.json) {
            printf("%s{\"ts\":\"%s\",\"id\":", n++ ? "," : "", gl_tstamp_format(e->ts, t));
            jstr(e->id);
            printf(",\"decision\":\"%s\",\"action\":", gl_decision_name(e->decision));
            jstr(e->perms[0].action);
            printf(",\"resource\":");
            jstr(e->perms[0].resource ? e->perms[0].resource : "");
            printf(",\"covered_by\":");
            if (w->cover[i] >= 0)
                jstr(w->grants[w->cover[i]].key);
            else
                printf("null");
            if (e->authority) {
                printf(",\"authority\":");
                jstr(e->authority);
            }
            printf("}");
        } else {
            bool by = w->cover[i] < 0 && e->authority;
            printf("  %s %-5s %-50s %s%s\n", gl_tstamp_format(e->ts, t),
                   e->decision == GL_DECISION_ALLOW ? "allow" : "deny",
                   tsafe(act_str(&e->perms[0], p, sizeof p)), by ? "by " : "",
                   tsafe(w->cover[i] >= 0 ? w->grants[w->cover[i]].key
                         : by            ? e->authority
                                         : "NO GRANT"));
            n++;
        }
    }
    if (o.json)
        printf("]}\n");
    else if (!n)
        printf("  (none)\n");
    teardown(c, o.n_dirs);
    free(c);
    return GL_EXIT_OK;
}
