/* The HTML timeline ('timeline --format html'): one self-contained page for a
 * responder, drawn in the browser from data the analyzer embeds.
 *
 * Design: the C side computes everything that needs the model (lanes,
 * intervals, which grant covered which action, findings) and writes it as one
 * JSON blob in a <script type="application/json"> element; a small vanilla
 * script draws it into SVG and owns the interaction (zoom, pan, tooltips).
 * Keeping the drawing in the browser means zooming needs no round trip and
 * the page works offline from file://: no external resource, no network (a
 * Content-Security-Policy forbids any). The page is deterministic for a given
 * store and horizon (no generation time), so it can be diffed.
 *
 * Lanes, in this order: one per credential the shown events name (bar from
 * issue to retirement, or to the horizon; exposures and retirement marked),
 * one per grant (its active interval; permissions in the label), one per task
 * (start to completion), and one actions lane (ticks coloured by decision,
 * marked when no grant covered them). Events no lane shows (a delegation the
 * workload made, a revoke that ended nothing) are drawn on the actions lane
 * too, so every shown event appears somewhere. Findings carry their evidence
 * event ids; the script rings those events and outlines the lanes of the
 * grant or credential a finding is about.
 *
 * Invariants: every string from the store reaches the page either JSON-escaped
 * inside the data element (with '<', '>' and '&' as \u escapes, so no "</"
 * can end the element) or HTML-escaped (the title); the script only ever sets
 * textContent, never markup. Memory is bounded by one workload's timeline,
 * plus one credential's history at a time. */
#include "html_timeline.h"

#include "grantline/textout.h"

#include <stdlib.h>
#include <string.h>

#include "grantline/tstamp.h"

/* --- output helpers --- */

/* JSON string (or null). '<', '>' and '&' are escaped so the text can never
 * close the <script> element or open a comment in it; U+2028/2029 so the blob
 * is also valid JavaScript source. */
static void jstr(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    putc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            fprintf(f, "\\%c", *p);
        } else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&' || *p == 0x7f) {
            fprintf(f, "\\u%04x", *p);
        } else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
            fprintf(f, "\\u%04x", p[2] == 0xa8 ? 0x2028 : 0x2029);
            p += 2;
        } else {
            putc(*p, f);
        }
    }
    putc('"', f);
}

/* ,"name":value with a string value */
static void jkv(FILE *f, const char *name, const char *s)
{
    fprintf(f, ",\"%s\":", name);
    jstr(f, s);
}

/* ,"name":us,"name_ts":"RFC 3339" or both null when t is INT64_MAX/MIN */
static void jtime(FILE *f, const char *name, int64_t t)
{
    char ts[32];
    if (t == INT64_MAX || t == INT64_MIN)
        fprintf(f, ",\"%s\":null,\"%s_ts\":null", name, name);
    else
        fprintf(f, ",\"%s\":%lld,\"%s_ts\":\"%s\"", name, (long long)t, name,
                gl_tstamp_format(t, ts));
}

static void jperms(FILE *f, const char *name, const struct perm *p, int n)
{
    fprintf(f, ",\"%s\":[", name);
    for (int i = 0; i < n; i++) {
        fputs(i ? ",[" : "[", f);
        jstr(f, p[i].action);
        putc(',', f);
        jstr(f, p[i].resource ? p[i].resource : "*");
        putc(']', f);
    }
    putc(']', f);
}

static void html_esc(FILE *f, const char *s)
{
    gl_html_write(f, s);
}

/* --- what the page shows --- */

/* An id with an index: an event index, a first-appearance order or a lane
 * number, depending on the array. Arrays of them sorted by id make every
 * lookup O(log n), so a page for a workload with thousands of credentials,
 * grants and tasks is written in O(n log n). */
struct idref {
    const char *id;
    size_t i;
};

static int cmp_idref(const void *x, const void *y)
{
    return strcmp(((const struct idref *)x)->id, ((const struct idref *)y)->id);
}

static int cmp_idref_then_i(const void *x, const void *y)
{
    const struct idref *a = x, *b = y;
    int c = strcmp(a->id, b->id);
    return c ? c : a->i < b->i ? -1 : a->i > b->i;
}

static int cmp_i(const void *x, const void *y)
{
    const struct idref *a = x, *b = y;
    return a->i < b->i ? -1 : a->i > b->i;
}

static long find_id(const struct idref *v, size_t n, const char *id)
{
    if (!id || !n)
        return -1;
    struct idref key = {.id = id};
    const struct idref *r = bsearch(&key, v, n, sizeof *v, cmp_idref);
    return r ? (long)r->i : -1;
}

/* v[0..n) holds ids with their order of appearance (repeats allowed). Leaves
 * v sorted by id, one entry per distinct id with i = its lane number (lanes
 * in order of first appearance), and 'lanes' (room for n) the ids in lane
 * order. Returns the number of distinct ids; 'tmp' has room for n. */
static size_t number_lanes(struct idref *v, size_t n, struct idref *tmp, const char **lanes)
{
    qsort(v, n, sizeof *v, cmp_idref_then_i);
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        if (m == 0 || strcmp(v[m - 1].id, v[k].id) != 0)
            v[m++] = v[k];
    for (size_t k = 0; k < m; k++)
        tmp[k] = (struct idref){.id = v[k].id, .i = v[k].i};
    qsort(tmp, m, sizeof *tmp, cmp_i);
    for (size_t r = 0; r < m; r++)
        lanes[r] = tmp[r].id;
    /* v is still sorted by id: give each its rank */
    for (size_t r = 0; r < m; r++) {
        struct idref key = {.id = lanes[r]};
        struct idref *e = bsearch(&key, v, m, sizeof *v, cmp_idref);
        e->i = r;
    }
    return m;
}

/* Groups event indices by lane (key[i] < 0: none), in time order: lane k's
 * events are idx[off[k]] .. idx[off[k + 1] - 1]. 'off' has room for
 * n_lanes + 1, 'idx' for n_ev. */
static void group(const long *key, size_t n_ev, size_t n_lanes, size_t *off, size_t *idx)
{
    memset(off, 0, (n_lanes + 1) * sizeof *off);
    for (size_t i = 0; i < n_ev; i++)
        if (key[i] >= 0)
            off[key[i] + 1]++;
    for (size_t k = 0; k < n_lanes; k++)
        off[k + 1] += off[k];
    for (size_t i = 0; i < n_ev; i++)
        if (key[i] >= 0)
            idx[off[key[i]]++] = i;
    /* filling advanced each off[k] to the start of lane k + 1 */
    for (size_t k = n_lanes; k > 0; k--)
        off[k] = off[k - 1];
    off[0] = 0;
}

struct page {
    FILE *f;
    struct model *m;
    const struct wl *w;
    const struct sink *sink;
    const struct html_view *v;
    struct gl_error *err;
    bool *show;   /* per event of w: selected by the view */
    bool *placed; /* per event: drawn on a credential, grant or task lane */
    size_t n_shown;
    struct idref *ids; /* shown events by id (i: event index) */
    /* credential and task lanes: ids sorted (i: lane number), and copies of
     * the model's records in lane order (its cache array moves when it
     * grows; their strings stay in its arena) */
    struct idref *cred_ids, *task_ids;
    struct cred_info *creds;
    struct task_info *tasks;
    const char **task_status;
    size_t n_creds, n_tasks;
    size_t *task_off, *task_idx; /* task.started/completed events by task lane */
    bool *grant_on;              /* per grant of w: has a lane */
    size_t *use_off, *use_idx;   /* shown actions by covering grant */
    struct gl_arena *scratch;       /* one credential history at a time */
    struct evlist hist;
};

static long shown_index(const struct page *p, const char *id)
{
    return find_id(p->ids, p->n_shown, id);
}

static bool selected(const struct html_view *v, const struct ev *e)
{
    return e->ts >= v->from && e->ts <= v->to &&
           (!v->task || (e->task && strcmp(e->task, v->task) == 0));
}

static const struct cred_info *cred_lane(const struct page *p, const char *id)
{
    long k = find_id(p->cred_ids, p->n_creds, id);
    return k >= 0 ? &p->creds[k] : NULL;
}

/* model_cred/model_task return NULL on a store error or out of memory, with
 * the detail in err (which may be NULL). */
static int lookup_failed(const struct page *p)
{
    return p->err && p->err->code ? p->err->code : GL_ERR_NOMEM;
}

/* Chooses the events, lanes and findings; allocates what the writers use. */
static int select_all(struct page *p)
{
    const struct wl *w = p->w;
    size_t n = w->evs.n ? w->evs.n : 1, ng = w->n_grants ? w->n_grants : 1;
    /* each event names at most two credentials (credential, previous) */
    struct idref *tmp = calloc(2 * n, sizeof *tmp);
    const char **lanes = calloc(2 * n, sizeof *lanes);
    long *key = calloc(n, sizeof *key);
    p->show = calloc(n, sizeof *p->show);
    p->placed = calloc(n, sizeof *p->placed);
    p->ids = calloc(n, sizeof *p->ids);
    p->cred_ids = calloc(2 * n, sizeof *p->cred_ids);
    p->task_ids = calloc(n, sizeof *p->task_ids);
    p->creds = calloc(2 * n, sizeof *p->creds);
    p->tasks = calloc(n, sizeof *p->tasks);
    p->task_status = calloc(n, sizeof *p->task_status);
    p->task_off = calloc(n + 1, sizeof *p->task_off);
    p->task_idx = calloc(n, sizeof *p->task_idx);
    p->grant_on = calloc(ng, sizeof *p->grant_on);
    p->use_off = calloc(ng + 1, sizeof *p->use_off);
    p->use_idx = calloc(n, sizeof *p->use_idx);
    p->scratch = gl_arena_new();
    int rc = GL_OK;
    if (!tmp || !lanes || !key || !p->show || !p->placed || !p->ids || !p->cred_ids ||
        !p->task_ids || !p->creds || !p->tasks || !p->task_status || !p->task_off || !p->task_idx ||
        !p->grant_on || !p->use_off || !p->use_idx || !p->scratch) {
        rc = gl_error_set(p->err, GL_ERR_NOMEM, 0, "out of memory");
        goto out;
    }
    size_t nc = 0, nt = 0;
    for (size_t i = 0; i < w->evs.n; i++) {
        const struct ev *e = &w->evs.v[i];
        if (!selected(p->v, e))
            continue;
        p->show[i] = true;
        p->ids[p->n_shown++] = (struct idref){.id = e->id, .i = i};
        if (e->cred)
            p->cred_ids[nc++] = (struct idref){.id = e->cred, .i = 2 * i};
        if (e->previous)
            p->cred_ids[nc++] = (struct idref){.id = e->previous, .i = 2 * i + 1};
        if (e->task)
            p->task_ids[nt++] = (struct idref){.id = e->task, .i = i};
    }
    qsort(p->ids, p->n_shown, sizeof *p->ids, cmp_idref);

    /* credential and task lanes in order of first appearance */
    p->n_creds = number_lanes(p->cred_ids, nc, tmp, lanes);
    for (size_t k = 0; k < p->n_creds; k++) {
        const struct cred_info *ci = model_cred(p->m, lanes[k], p->err);
        if (!ci) {
            rc = lookup_failed(p);
            goto out;
        }
        p->creds[k] = *ci;
    }
    p->n_tasks = number_lanes(p->task_ids, nt, tmp, lanes);
    for (size_t k = 0; k < p->n_tasks; k++) {
        const struct task_info *ti = model_task(p->m, lanes[k], p->err);
        if (!ti) {
            rc = lookup_failed(p);
            goto out;
        }
        p->tasks[k] = *ti;
    }
    for (size_t i = 0; i < w->evs.n; i++) {
        const struct ev *e = &w->evs.v[i];
        bool task_ev = e->type == GL_EV_TASK_STARTED || e->type == GL_EV_TASK_COMPLETED;
        key[i] = p->show[i] && task_ev ? find_id(p->task_ids, p->n_tasks, e->task) : -1;
        if (key[i] >= 0 && e->type == GL_EV_TASK_COMPLETED && !p->task_status[key[i]])
            p->task_status[key[i]] = gl_status_name(e->status);
    }
    group(key, w->evs.n, p->n_tasks, p->task_off, p->task_idx);
    /* a task completed by another workload's event (or outside the view):
     * its status is in the task's own history */
    for (size_t k = 0; k < p->n_tasks && !rc; k++) {
        if (!p->tasks[k].completed || p->task_status[k])
            continue;
        gl_arena_reset(p->scratch);
        rc = model_load(p->m, GL_IDX_TASK, p->tasks[k].id, p->scratch, &p->hist, p->err);
        for (size_t i = 0; !rc && i < p->hist.n; i++)
            if (strcmp(p->hist.v[i].id, p->tasks[k].end_event) == 0)
                p->task_status[k] = gl_status_name(p->hist.v[i].status);
    }
    if (rc)
        goto out;

    /* a grant is shown when its grant event is, or when it covered a shown
     * action (the baseline grant behind a task's actions) */
    for (size_t i = 0; i < w->evs.n; i++) {
        key[i] = p->show[i] && w->cover[i] >= 0 ? w->cover[i] : -1;
        if (key[i] >= 0)
            p->grant_on[key[i]] = true;
    }
    group(key, w->evs.n, w->n_grants, p->use_off, p->use_idx);
    for (size_t g = 0; g < w->n_grants; g++)
        if (shown_index(p, w->grants[g].event) >= 0)
            p->grant_on[g] = true;
out:
    free(tmp);
    free(lanes);
    free(key);
    return rc;
}

/* A finding belongs on the page when the page is unfiltered (the engine ran
 * for this workload and the credentials it used), or when its evidence is
 * shown, or when it is about a grant or credential that has a lane. */
static bool finding_shown(const struct page *p, const struct finding *f)
{
    const struct html_view *v = p->v;
    if (!v->task && v->from == INT64_MIN && v->to == INT64_MAX)
        return true;
    for (int k = 0; k < f->n_evidence; k++)
        if (shown_index(p, f->evidence[k]) >= 0)
            return true;
    if (f->credential && cred_lane(p, f->credential))
        return true;
    for (size_t g = 0; f->grant && g < p->w->n_grants; g++)
        if (p->grant_on[g] && strcmp(p->w->grants[g].key, f->grant) == 0)
            return true;
    return false;
}

/* --- marks --- */

/* {"k":kind,"t":..,"ts":..,"ev":id,"shown":b  (the caller closes the object) */
static void mark_open(struct page *p, bool *first, const char *kind, int64_t t, const char *ev)
{
    FILE *f = p->f;
    char ts[32];
    long i = shown_index(p, ev);
    fprintf(f, "%s{\"k\":\"%s\",\"t\":%lld,\"ts\":\"%s\",\"ev\":", *first ? "" : ",", kind,
            (long long)t, gl_tstamp_format(t, ts));
    jstr(f, ev);
    fprintf(f, ",\"shown\":%s", i >= 0 ? "true" : "false");
    if (i >= 0)
        p->placed[i] = true;
    *first = false;
}

/* A one-line description of an event no lane shows. */
static void summary(const struct ev *e, char *out, size_t n)
{
    size_t at = 0;
    out[0] = '\0';
    if (e->type == GL_EV_AGENT_DELEGATED && e->delegate)
        at = (size_t)snprintf(out, n, "to %s:", e->delegate);
    else if (e->grant_id)
        at = (size_t)snprintf(out, n, "%s", e->grant_id);
    else if (e->cred)
        at = (size_t)snprintf(out, n, "%s", e->cred);
    for (int k = 0; k < e->n_perms && at < n; k++)
        at +=
            (size_t)snprintf(out + at, n - at, "%s%s %s", at ? (k ? "; " : " ") : "",
                             e->perms[k].action, e->perms[k].resource ? e->perms[k].resource : "*");
}

static int write_cred_lane(struct page *p, const struct cred_info *ci)
{
    FILE *f = p->f;
    int64_t H = p->m->horizon;
    fputs("{\"kind\":\"credential\",\"id\":", f);
    jstr(f, ci->id);
    fprintf(f, ",\"known\":%s", ci->known ? "true" : "false");
    /* the lane's own fields are the life at the horizon; "lives" has every
     * life (a credential issued again after it retired), each a bar */
    const struct cred_life *l = ci->cur;
    jkv(f, "owner", ci->known ? l->owner : NULL);
    jkv(f, "task", ci->known ? l->task : NULL);
    jtime(f, "start", ci->known ? l->issued : INT64_MIN);
    /* a retirement after the horizon has not happened yet as of H */
    bool ended = ci->known && l->retired <= H;
    jtime(f, "end", ended ? l->retired : INT64_MAX);
    jkv(f, "end_how", ended ? l->retired_how : NULL);
    jtime(f, "expires", ci->known && l->has_expires ? l->expires : INT64_MAX);
    fputs(",\"lives\":[", f);
    for (size_t k = 0; k < ci->n_lives; k++) {
        const struct cred_life *lk = &ci->lives[k];
        bool lk_ended = lk->retired <= H;
        fputs(k ? ",{" : "{", f);
        fputs("\"owner\":", f);
        jstr(f, lk->owner);
        jkv(f, "task", lk->task);
        jtime(f, "start", lk->issued);
        jtime(f, "end", lk_ended ? lk->retired : INT64_MAX);
        jkv(f, "end_how", lk_ended ? lk->retired_how : NULL);
        jtime(f, "expires", lk->has_expires ? lk->expires : INT64_MAX);
        putc('}', f);
    }
    fputs("],\"marks\":[", f);
    /* lifecycle from the credential's own history (exposures may come from
     * other workloads' events); uses and authentications of this workload
     * only where they are shown */
    gl_arena_reset(p->scratch);
    int rc = model_load(p->m, GL_IDX_CREDENTIAL, ci->id, p->scratch, &p->hist, p->err);
    if (rc)
        return rc;
    bool first = true;
    for (size_t i = 0; i < p->hist.n; i++) {
        const struct ev *e = &p->hist.v[i];
        bool names = e->cred && strcmp(e->cred, ci->id) == 0;
        bool own = strcmp(e->workload, p->w->workload) == 0;
        const char *k = NULL;
        if (names && e->type == GL_EV_IDENTITY_ISSUED)
            k = "issued";
        else if (names && e->type == GL_EV_CREDENTIAL_ROTATED)
            k = "rotated_in";
        else if (e->type == GL_EV_CREDENTIAL_ROTATED && e->previous &&
                 strcmp(e->previous, ci->id) == 0)
            k = "rotated_out";
        else if (names && e->type == GL_EV_CREDENTIAL_REVOKED)
            k = "revoked";
        else if (names && e->type == GL_EV_CREDENTIAL_EXPOSED)
            k = "exposed";
        else if (names &&
                 (e->type == GL_EV_IDENTITY_AUTHENTICATED || e->type == GL_EV_ACTION_PERFORMED) &&
                 (!own || shown_index(p, e->id) >= 0))
            k = e->type == GL_EV_ACTION_PERFORMED ? "use" : "authenticated";
        if (!k)
            continue;
        mark_open(p, &first, k, e->ts, e->id);
        jkv(f, "by", e->workload);
        if (e->type == GL_EV_ACTION_PERFORMED)
            fprintf(f, ",\"d\":\"%s\"", gl_decision_name(e->decision));
        if (e->type == GL_EV_CREDENTIAL_EXPOSED)
            jkv(f, "s", e->source ? e->source : "");
        putc('}', f);
    }
    for (size_t k = 0; k < ci->n_lives; k++) {
        const struct cred_life *lk = &ci->lives[k];
        if (lk->retired <= H && lk->retired_how && strcmp(lk->retired_how, "expired") == 0) {
            mark_open(p, &first, "expired", lk->retired, NULL);
            putc('}', f);
        }
    }
    fputs("]}", f);
    return GL_OK;
}

static void write_grant_lane(struct page *p, size_t gi)
{
    FILE *f = p->f;
    const struct wl *w = p->w;
    const struct grant *g = &w->grants[gi];
    int64_t H = p->m->horizon;
    bool ended = g->end <= H;
    fputs("{\"kind\":\"grant\",\"id\":", f);
    jstr(f, g->key);
    jkv(f, "task", g->task);
    jkv(f, "delegator", g->delegator);
    fprintf(f, ",\"used\":%s", g->used ? "true" : "false");
    jtime(f, "start", g->start);
    jtime(f, "end", ended ? g->end : INT64_MAX);
    jkv(f, "end_how", ended ? g->end_how : NULL);
    jtime(f, "expires", g->end != INT64_MAX && !ended ? g->end : INT64_MAX);
    jperms(f, "perms", g->perms, g->n_perms);
    fputs(",\"marks\":[", f);
    bool first = true;
    mark_open(p, &first, "granted", g->start, g->event);
    jkv(f, "by", g->delegator ? g->delegator : w->workload);
    putc('}', f);
    for (size_t u = p->use_off[gi]; u < p->use_off[gi + 1]; u++) {
        const struct ev *e = &w->evs.v[p->use_idx[u]];
        mark_open(p, &first, "use", e->ts, e->id);
        fprintf(f, ",\"d\":\"%s\"}", gl_decision_name(e->decision));
    }
    if (ended && g->end_event) {
        mark_open(p, &first, "revoked", g->end, g->end_event);
        putc('}', f);
    } else if (ended) {
        mark_open(p, &first, "expired", g->end, NULL);
        putc('}', f);
    }
    fputs("]}", f);
}

static void write_task_lane(struct page *p, size_t k)
{
    FILE *f = p->f;
    const struct wl *w = p->w;
    const struct task_info *t = &p->tasks[k];
    fputs("{\"kind\":\"task\",\"id\":", f);
    jstr(f, t->id);
    fprintf(f, ",\"started\":%s", t->started ? "true" : "false");
    jkv(f, "owner", t->started ? t->workload : NULL);
    jtime(f, "start", t->started ? t->start : INT64_MIN);
    jtime(f, "end", t->completed ? t->end : INT64_MAX);
    jkv(f, "status", p->task_status[k]);
    fprintf(f, ",\"has_scope\":%s", t->has_scope ? "true" : "false");
    jperms(f, "scope", t->scope, t->n_scope);
    fputs(",\"marks\":[", f);
    bool first = true, end_marked = false;
    for (size_t u = p->task_off[k]; u < p->task_off[k + 1]; u++) {
        const struct ev *e = &w->evs.v[p->task_idx[u]];
        bool done = e->type == GL_EV_TASK_COMPLETED;
        mark_open(p, &first, done ? "completed" : "started", e->ts, e->id);
        jkv(f, "by", e->workload);
        if (done)
            jkv(f, "s", gl_status_name(e->status));
        putc('}', f);
        end_marked |= done && t->end_event && strcmp(t->end_event, e->id) == 0;
    }
    /* completed by another workload's event */
    if (t->completed && !end_marked) {
        mark_open(p, &first, "completed", t->end, t->end_event);
        jkv(f, "s", p->task_status[k]);
        putc('}', f);
    }
    fputs("]}", f);
}

static const char *action_note(const struct page *p, const struct ev *e)
{
    const struct cred_info *ci = cred_lane(p, e->cred);
    if (!ci)
        return NULL;
    if (!ci->known)
        return "never issued";
    const struct cred_life *l = cred_life_at(ci, e);
    if (strcmp(l->owner, p->w->workload) != 0)
        return "issued to another workload";
    if (cred_retired_at(ci, e))
        return l->retired_how && strcmp(l->retired_how, "revoked") == 0 ? "used after revocation"
               : l->retired_how && strcmp(l->retired_how, "rotated") == 0 ? "used after rotation"
                                                                          : "used after expiry";
    return NULL;
}

static void write_actions_lane(struct page *p)
{
    FILE *f = p->f;
    const struct wl *w = p->w;
    char s[1024];
    fputs("{\"kind\":\"actions\",\"id\":\"actions\",\"marks\":[", f);
    bool first = true;
    for (size_t i = 0; i < w->evs.n; i++) {
        const struct ev *e = &w->evs.v[i];
        if (!p->show[i])
            continue;
        bool action = e->type == GL_EV_ACTION_PERFORMED && strcmp(e->workload, w->workload) == 0;
        if (!action && p->placed[i])
            continue;
        mark_open(p, &first, action ? "action" : "event", e->ts, e->id);
        if (action) {
            fprintf(f, ",\"d\":\"%s\"", gl_decision_name(e->decision));
            jkv(f, "a", e->n_perms ? e->perms[0].action : "");
            jkv(f, "r", e->n_perms && e->perms[0].resource ? e->perms[0].resource : "");
            jkv(f, "grant", w->cover[i] >= 0 ? w->grants[w->cover[i]].key : NULL);
            jkv(f, "auth", e->authority);
            jkv(f, "cred", e->cred);
            jkv(f, "note", action_note(p, e));
        } else {
            summary(e, s, sizeof s);
            jkv(f, "type", gl_event_type_name(e->type));
            jkv(f, "s", s);
        }
        jkv(f, "task", e->task);
        jkv(f, "by", e->workload);
        putc('}', f);
    }
    fputs("]}", f);
}

static void write_findings(struct page *p)
{
    FILE *f = p->f;
    bool first = true;
    for (size_t i = 0; i < p->sink->n; i++) {
        const struct out_finding *o = &p->sink->v[i];
        const struct finding *x = &o->f;
        if (!finding_shown(p, x))
            continue;
        fprintf(f, "%s{\"id\":\"%s\"", first ? "" : ",\n", o->id);
        first = false;
        jkv(f, "rule", gl_rules[x->rule]->id);
        jkv(f, "name", gl_rules[x->rule]->name);
        jkv(f, "severity", severity_name(x->severity));
        jkv(f, "detail", x->detail);
        jkv(f, "workload", x->workload);
        jkv(f, "task", x->task);
        jkv(f, "credential", x->credential);
        jkv(f, "grant", x->grant);
        /* what the finding is about, from its key (DESIGN.md 3.1): the
         * page outlines that lane, or rings the evidence events */
        jkv(f, "about",
            x->grant && strcmp(o->key, x->grant) == 0             ? "grant"
            : x->credential && strcmp(o->key, x->credential) == 0 ? "credential"
                                                                  : "event");
        jtime(f, "first", x->has_first ? x->first_seen : INT64_MAX);
        jtime(f, "last", x->has_last ? x->last_seen : INT64_MAX);
        fputs(",\"evidence\":[", f);
        for (int k = 0; k < x->n_evidence; k++) {
            if (k)
                putc(',', f);
            jstr(f, x->evidence[k]);
        }
        fputs("]}", f);
    }
}

static int write_data(struct page *p)
{
    FILE *f = p->f;
    const struct html_view *v = p->v;
    fputs("{\"v\":1", f);
    jkv(f, "version", GL_VERSION);
    jkv(f, "workload", v->workload);
    jkv(f, "task", v->task);
    jtime(f, "from", v->from);
    jtime(f, "to", v->to);
    jtime(f, "horizon", p->m->horizon);
    fprintf(f, ",\"events\":%zu,\n\"lanes\":[", p->n_shown);
    /* credentials, grants and tasks first: they mark what they draw, and
     * the actions lane shows whatever is left */
    bool first = true;
    for (size_t k = 0; k < p->n_creds; k++) {
        fputs(first ? "" : ",\n", f);
        first = false;
        int rc = write_cred_lane(p, &p->creds[k]);
        if (rc)
            return rc;
    }
    for (size_t g = 0; g < p->w->n_grants; g++) {
        if (!p->grant_on[g])
            continue;
        fputs(first ? "" : ",\n", f);
        first = false;
        write_grant_lane(p, g);
    }
    for (size_t k = 0; k < p->n_tasks; k++) {
        fputs(first ? "" : ",\n", f);
        first = false;
        write_task_lane(p, k);
    }
    fputs(first ? "" : ",\n", f);
    write_actions_lane(p);
    fputs("],\n\"findings\":[", f);
    write_findings(p);
    fputs("]}", f);
    return GL_OK;
}

/* --- the page --- */

/* Style: screen and print (landscape, colours kept, controls hidden). */
static const char page_css[] =
    ":root { --cred: #4c6ef5; --grant: #12b886; --task: #868e96; --allow: #2f9e44; --deny: "
    "#f76707;\n"
    "  --finding: #e03131; --expose: #ae3ec9; --ink: #212529; --muted: #6c757d; --rule: #dee2e6; "
    "}\n"
    "* { box-sizing: border-box; }\n"
    "body { margin: 0; padding: 16px 20px 32px; font: 14px/1.4 system-ui, -apple-system, 'Segoe "
    "UI', Roboto, 'DejaVu Sans', sans-serif;\n"
    "  color: var(--ink); background: #fff; }\n"
    "h1 { font-size: 20px; margin: 0 0 2px; font-weight: 600; }\n"
    "h1 .wl, h1 .tk { font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-weight: 600; "
    "}\n"
    "h2 { font-size: 16px; margin: 24px 0 8px; }\n"
    ".sub { color: var(--muted); margin: 0 0 10px; }\n"
    "#gl-status[data-state=error] { display: block !important; background: #fff5f5; color: "
    "#c92a2a;\n"
    "  border: 1px solid #ffa8a8; padding: 8px 12px; margin: 8px 0; border-radius: 4px; }\n"
    "#gl-legend { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 6px 0 10px; font-size: "
    "12px; color: #495057; }\n"
    "#gl-legend span { display: inline-flex; align-items: center; gap: 5px; white-space: nowrap; "
    "}\n"
    "#gl-legend svg { flex: none; }\n"
    "#gl-top { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid "
    "var(--rule); }\n"
    "#gl-controls { display: flex; align-items: center; gap: 6px; padding: 6px 0; flex-wrap: wrap; "
    "}\n"
    "#gl-controls button { font: inherit; font-size: 13px; padding: 2px 10px; border: 1px solid "
    "#ced4da;\n"
    "  background: #f8f9fa; border-radius: 4px; cursor: pointer; min-width: 32px; }\n"
    "#gl-controls button:hover { background: #e9ecef; }\n"
    "#gl-range { margin-left: 10px; font-family: ui-monospace, 'DejaVu Sans Mono', monospace; "
    "font-size: 12px; }\n"
    "#gl-hint { margin-left: auto; color: var(--muted); font-size: 12px; }\n"
    "#gl-chart svg { display: block; user-select: none; -webkit-user-select: none; }\n"
    "#gl-lanes { cursor: grab; }\n"
    "#gl-lanes.dragging, #gl-axis.dragging { cursor: grabbing; }\n"
    "#gl-axis { cursor: ew-resize; }\n"
    "svg text { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', "
    "sans-serif; }\n"
    ".lbl { font-size: 12px; fill: var(--ink); font-family: ui-monospace, 'DejaVu Sans Mono', "
    "monospace; }\n"
    ".lbl2 { font-size: 10.5px; fill: var(--muted); }\n"
    ".sec { font-size: 12px; font-weight: 700; fill: #343a40; letter-spacing: .02em; }\n"
    ".tick { font-size: 11px; fill: #495057; }\n"
    ".tick2 { font-size: 11px; fill: #212529; font-weight: 600; }\n"
    ".grid { stroke: #e9ecef; stroke-width: 1; }\n"
    ".grid.major { stroke: #ced4da; }\n"
    ".horizon { stroke: #495057; stroke-width: 1.2; stroke-dasharray: 5 3; }\n"
    ".inbar { font-size: 10.5px; fill: #fff; pointer-events: none; }\n"
    ".badge { font-size: 10px; font-weight: 700; fill: #fff; }\n"
    ".ring { fill: none; stroke: var(--finding); stroke-width: 2.2; }\n"
    ".hit-bar { stroke: var(--finding) !important; stroke-width: 2.5 !important; }\n"
    ".gl-focus .ring, .ring.gl-focus { stroke-width: 4; }\n"
    ".gl-focus.lane-bg { fill: #fff0f0 !important; }\n"
    ".flash { animation: flash 0.5s ease-in-out 4 alternate; }\n"
    "@keyframes flash { from { opacity: 1; } to { opacity: 0.15; } }\n"
    "#gl-tip { position: fixed; z-index: 10; max-width: 560px; background: #212529; color: "
    "#f8f9fa; font-size: 12px;\n"
    "  line-height: 1.45; padding: 7px 10px; border-radius: 4px; box-shadow: 0 2px 8px "
    "rgba(0,0,0,.25);\n"
    "  pointer-events: none; white-space: pre-wrap; word-break: break-word; }\n"
    "#gl-tip b { color: #fff; }\n"
    "#gl-tip .f { color: #ffa8a8; }\n"
    "table { border-collapse: collapse; width: 100%; font-size: 13px; }\n"
    "th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--rule); "
    "vertical-align: top;\n"
    "  overflow-wrap: anywhere; }\n"
    "th { font-size: 12px; color: #495057; background: #f8f9fa; }\n"
    "td.mono { font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-size: 12px; "
    "white-space: nowrap;\n"
    "  overflow-wrap: normal; }\n"
    "td.act { white-space: nowrap; overflow-wrap: normal; width: 1%; }\n"
    "tr.finding:hover { background: #fff5f5; }\n"
    "tr.finding button { font: inherit; font-size: 12px; padding: 1px 8px; border: 1px solid "
    "#ced4da; background: #fff;\n"
    "  border-radius: 3px; cursor: pointer; }\n"
    ".sev { display: inline-block; min-width: 62px; text-align: center; padding: 0 6px; "
    "border-radius: 3px; color: #fff;\n"
    "  font-size: 11px; font-weight: 700; text-transform: uppercase; }\n"
    ".sev-critical { background: #c92a2a; } .sev-high { background: #e8590c; } .sev-medium { "
    "background: #f59f00; }\n"
    ".sev-low { background: #1c7ed6; } .sev-info { background: #868e96; }\n"
    ".none { color: var(--muted); }\n"
    "footer { margin-top: 20px; color: var(--muted); font-size: 12px; }\n"
    "@media print {\n"
    "  @page { size: landscape; margin: 10mm; }\n"
    "  body { padding: 0; -webkit-print-color-adjust: exact; print-color-adjust: exact; }\n"
    "  #gl-controls, #gl-tip, tr.finding button, #gl-hint { display: none !important; }\n"
    "  #gl-top { position: static; }\n"
    "  #gl-chart svg { width: 100% !important; height: auto !important; }\n"
    "  tr { break-inside: avoid; }\n"
    "  td.mono { white-space: normal; }\n"
    "}\n";

/* The renderer: reads #gl-data, draws the lanes into SVG, then records on
 * #gl-status how many lanes it drew (data-lanes) for the browser test. */
static const char page_js[] =
    "(function () {\n"
    "'use strict';\n"
    "var NS = 'http://www.w3.org/2000/svg';\n"
    "var D = JSON.parse(document.getElementById('gl-data').textContent);\n"
    "var status = document.getElementById('gl-status');\n"
    "var lanesSvg = document.getElementById('gl-lanes');\n"
    "var axisSvg = document.getElementById('gl-axis');\n"
    "var tip = document.getElementById('gl-tip');\n"
    "\n"
    "/* Layout in CSS pixels; times are microseconds since the epoch (exact as\n"
    " * doubles until 2255). */\n"
    "var LABEL_W = 310, LANE_H = 30, SEC_H = 24, AXIS_H = 40, PAD_R = 18, BAR_H = 12;\n"
    "var MIN_SPAN = 10 * 1000; /* 10 ms */\n"
    "\n"
    "var SECTIONS = [['credential', 'Credentials'], ['grant', 'Grants'], ['task', 'Tasks'], "
    "['actions', 'Actions']];\n"
    "\n"
    "function el(name, attrs, parent) {\n"
    "    var e = document.createElementNS(NS, name);\n"
    "    for (var k in attrs)\n"
    "        if (attrs[k] !== undefined && attrs[k] !== null)\n"
    "            e.setAttribute(k, attrs[k]);\n"
    "    if (parent)\n"
    "        parent.appendChild(e);\n"
    "    return e;\n"
    "}\n"
    "\n"
    "function text(parent, x, y, s, cls) {\n"
    "    var t = el('text', { x: x, y: y, 'class': cls }, parent);\n"
    "    t.textContent = s;\n"
    "    return t;\n"
    "}\n"
    "\n"
    "function pad2(n) {\n"
    "    return (n < 10 ? '0' : '') + n;\n"
    "}\n"
    "\n"
    "/* UTC, to the millisecond where there is one. */\n"
    "function fmt(us, withMs) {\n"
    "    var d = new Date(Math.floor(us / 1000));\n"
    "    var s = d.getUTCFullYear() + '-' + pad2(d.getUTCMonth() + 1) + '-' + pad2(d.getUTCDate()) "
    "+ ' ' +\n"
    "        pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()) + ':' + "
    "pad2(d.getUTCSeconds());\n"
    "    if (withMs)\n"
    "        s += '.' + String(d.getUTCMilliseconds() + 1000).slice(1);\n"
    "    return s;\n"
    "}\n"
    "\n"
    "function dur(us) {\n"
    "    var s = Math.abs(us) / 1e6;\n"
    "    if (s < 1)\n"
    "        return Math.round(s * 1000) + ' ms';\n"
    "    if (s < 120)\n"
    "        return (Math.round(s * 10) / 10) + ' s';\n"
    "    if (s < 7200)\n"
    "        return Math.round(s / 60) + ' min';\n"
    "    if (s < 172800)\n"
    "        return (Math.round(s / 360) / 10) + ' h';\n"
    "    return (Math.round(s / 8640) / 10) + ' d';\n"
    "}\n"
    "\n"
    "function perms(ps) {\n"
    "    return ps.map(function (p) { return p[0] + ' ' + p[1]; });\n"
    "}\n"
    "\n"
    "/* --- data: findings by event, by lane --- */\n"
    "var lanes = D.lanes;\n"
    "var findings = D.findings;\n"
    "var byEv = {};\n"
    "findings.forEach(function (f, i) {\n"
    "    f.evidence.forEach(function (id) {\n"
    "        (byEv[id] = byEv[id] || []).push(i);\n"
    "    });\n"
    "});\n"
    "/* A lane is outlined for the findings whose subject it is (DESIGN.md 3.1:\n"
    " * grant rules are about a grant, credential rules about a credential);\n"
    " * findings about an action are shown on their evidence events instead. */\n"
    "lanes.forEach(function (ln) {\n"
    "    ln.findings = [];\n"
    "    findings.forEach(function (f, i) {\n"
    "        if (f.about === ln.kind && f[ln.kind] === ln.id)\n"
    "            ln.findings.push(i);\n"
    "    });\n"
    "});\n"
    "\n"
    "function findingLines(ids) {\n"
    "    return (ids || []).map(function (i) {\n"
    "        var f = findings[i];\n"
    "        return { f: true, s: f.rule + ' ' + f.name + ' (' + f.severity + '): ' + f.detail };\n"
    "    });\n"
    "}\n"
    "\n"
    "/* Time extent: everything drawn (bar starts, marks, the horizon); the\n"
    " * initial view is the shown events (what the filter selected). */\n"
    "var ext0 = Infinity, ext1 = -Infinity, ev0 = Infinity, ev1 = -Infinity;\n"
    "function grow(t) {\n"
    "    if (t === null || t === undefined)\n"
    "        return;\n"
    "    ext0 = Math.min(ext0, t);\n"
    "    ext1 = Math.max(ext1, t);\n"
    "}\n"
    "lanes.forEach(function (ln) {\n"
    "    grow(ln.start);\n"
    "    grow(ln.end);\n"
    "    ln.marks.forEach(function (m) {\n"
    "        grow(m.t);\n"
    "        if (m.shown) {\n"
    "            ev0 = Math.min(ev0, m.t);\n"
    "            ev1 = Math.max(ev1, m.t);\n"
    "        }\n"
    "    });\n"
    "});\n"
    "grow(D.horizon);\n"
    "if (ev0 === Infinity) {\n"
    "    ev0 = ext0;\n"
    "    ev1 = ext1;\n"
    "} else {\n"
    "    /* and how the lanes end, when that comes soon after (a grant expiring,\n"
    "     * a credential revoked after the last action) */\n"
    "    var reach = ev1 + Math.max(ev1 - ev0, 3600e6);\n"
    "    lanes.forEach(function (ln) {\n"
    "        if (ln.end !== null && ln.end !== undefined && ln.end > ev1 && ln.end <= reach)\n"
    "            ev1 = ln.end;\n"
    "    });\n"
    "}\n"
    "if (ext0 === Infinity) {\n"
    "    ext0 = ext1 = Date.now() * 1000;\n"
    "    ev0 = ev1 = ext0;\n"
    "}\n"
    "function padded(a, b) {\n"
    "    var span = Math.max(b - a, 60e6);\n"
    "    var mid = (a + b) / 2, p = span * 0.04;\n"
    "    return { t0: mid - span / 2 - p, t1: mid + span / 2 + p };\n"
    "}\n"
    "var home = padded(ev0, ev1);\n"
    "var full = padded(Math.min(ext0, home.t0), Math.max(ext1, home.t1));\n"
    "var view = { t0: home.t0, t1: home.t1 };\n"
    "var W = 0, plotL = LABEL_W, plotR = 0;\n"
    "\n"
    "function x(t) {\n"
    "    return plotL + (t - view.t0) / (view.t1 - view.t0) * (plotR - plotL);\n"
    "}\n"
    "function tAt(px) {\n"
    "    return view.t0 + (px - plotL) / (plotR - plotL) * (view.t1 - view.t0);\n"
    "}\n"
    "\n"
    "/* --- rows: sections and lanes, laid out once per width --- */\n"
    "var rows = [];\n"
    "(function () {\n"
    "    var y = 0;\n"
    "    SECTIONS.forEach(function (s) {\n"
    "        var ls = lanes.filter(function (ln) { return ln.kind === s[0]; });\n"
    "        rows.push({ sec: s, n: ls.length, y: y });\n"
    "        y += SEC_H;\n"
    "        ls.forEach(function (ln) {\n"
    "            ln.y = y;\n"
    "            rows.push({ lane: ln, y: y });\n"
    "            y += LANE_H;\n"
    "        });\n"
    "    });\n"
    "    rows.height = y + 6;\n"
    "})();\n"
    "\n"
    "/* Text is measured on a canvas with the font the CSS gives that class:\n"
    " * asking the SVG (getComputedTextLength) forces a layout of the whole chart\n"
    " * after every change, which is quadratic in the number of lanes. */\n"
    "var measure = document.createElement('canvas').getContext('2d');\n"
    "var SANS = \"system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif\";\n"
    "var FONTS = { lbl: \"12px ui-monospace, 'DejaVu Sans Mono', monospace\", lbl2: '10.5px ' + "
    "SANS,\n"
    "    inbar: '10.5px ' + SANS };\n"
    "function width(s, cls) {\n"
    "    measure.font = FONTS[cls];\n"
    "    return measure.measureText(s).width;\n"
    "}\n"
    "function fit(t, maxW) {\n"
    "    var s = t.textContent, cls = t.getAttribute('class');\n"
    "    if (width(s, cls) <= maxW)\n"
    "        return;\n"
    "    var lo = 0, hi = s.length;\n"
    "    while (lo < hi) {\n"
    "        var mid = (lo + hi + 1) >> 1;\n"
    "        if (width(s.slice(0, mid) + '\\u2026', cls) <= maxW)\n"
    "            lo = mid;\n"
    "        else\n"
    "            hi = mid - 1;\n"
    "    }\n"
    "    t.textContent = s.slice(0, lo) + '\\u2026';\n"
    "}\n"
    "\n"
    "function laneSub(ln) {\n"
    "    if (ln.kind === 'credential') {\n"
    "        if (!ln.known)\n"
    "            return ln.id.indexOf('redacted:') === 0 ? 'secret found in an event, redacted' : "
    "'never issued in these stores';\n"
    "        var s = ln.owner !== D.workload ? 'issued to ' + ln.owner : 'issued ' + "
    "fmt(ln.start).slice(5, 16);\n"
    "        return s + ' \\u00b7 ' + (ln.end === null ? 'active at horizon' : ln.end_how + ' "
    "after ' + dur(ln.end - ln.start));\n"
    "    }\n"
    "    if (ln.kind === 'grant') {\n"
    "        var p = perms(ln.perms);\n"
    "        var s2 = (ln.delegator ? 'from ' + ln.delegator + ': ' : '') + p[0] + (p.length > 1 ? "
    "' +' + (p.length - 1) : '');\n"
    "        return s2;\n"
    "    }\n"
    "    if (ln.kind === 'task') {\n"
    "        if (!ln.started)\n"
    "            return 'no task.started seen';\n"
    "        var o = ln.owner !== D.workload ? ln.owner + ' \\u00b7 ' : '';\n"
    "        return o + (ln.end === null ? 'open at horizon' : (ln.status || 'completed') + ' "
    "after ' + dur(ln.end - ln.start));\n"
    "    }\n"
    "    var a = 0, dn = 0, ng = 0, n = 0;\n"
    "    ln.marks.forEach(function (m) {\n"
    "        if (m.k !== 'action')\n"
    "            return;\n"
    "        n++;\n"
    "        if (m.d === 'allow')\n"
    "            a++;\n"
    "        else\n"
    "            dn++;\n"
    "        if (m.grant === null && m.auth === null)\n"
    "            ng++;\n"
    "    });\n"
    "    return n + ' actions: ' + a + ' allowed, ' + dn + ' denied, ' + ng + ' without a grant';\n"
    "}\n"
    "\n"
    "function laneTip(ln) {\n"
    "    var L = [{ b: true, s: ln.kind + ' ' + ln.id }];\n"
    "    if (ln.kind === 'credential') {\n"
    "        if (ln.known) {\n"
    "            L.push({ s: 'issued ' + ln.start_ts + (ln.owner !== D.workload ? ' to ' + "
    "ln.owner : '') });\n"
    "            L.push({ s: ln.end === null ? 'active at the horizon' : ln.end_how + ' ' + "
    "ln.end_ts });\n"
    "            if (ln.task)\n"
    "                L.push({ s: 'task ' + ln.task });\n"
    "        } else {\n"
    "            L.push({ s: laneSub(ln) });\n"
    "        }\n"
    "    } else if (ln.kind === 'grant') {\n"
    "        L.push({ s: (ln.delegator ? 'delegated by ' + ln.delegator + ' ' : 'granted ') + "
    "ln.start_ts });\n"
    "        L.push({ s: ln.end === null ? 'active at the horizon' : ln.end_how + ' ' + ln.end_ts "
    "});\n"
    "        if (ln.task)\n"
    "            L.push({ s: 'task ' + ln.task });\n"
    "        L.push({ s: ln.used ? 'used' : 'never used by an allowed action' });\n"
    "        perms(ln.perms).forEach(function (p) { L.push({ s: '  ' + p }); });\n"
    "    } else if (ln.kind === 'task') {\n"
    "        if (ln.started)\n"
    "            L.push({ s: 'started ' + ln.start_ts + ' by ' + ln.owner });\n"
    "        L.push({ s: ln.end === null ? 'open at the horizon' : (ln.status || 'completed') + ' "
    "' + ln.end_ts });\n"
    "        if (ln.started)\n"
    "            L.push({ s: ln.has_scope ? 'scope: ' + (perms(ln.scope).join('; ') || '(empty)') "
    ": 'no scope declared' });\n"
    "    } else {\n"
    "        L.push({ s: laneSub(ln) });\n"
    "    }\n"
    "    return L.concat(findingLines(ln.findings));\n"
    "}\n"
    "\n"
    "function markTip(ln, m) {\n"
    "    var L = [];\n"
    "    if (m.k === 'action') {\n"
    "        L.push({ b: true, s: m.d.toUpperCase() + ' ' + m.a + ' ' + m.r });\n"
    "        L.push({ s: m.ts + '  ' + m.ev });\n"
    "        L.push({ s: 'grant: ' + (m.grant !== null ? m.grant : m.auth !== null ? 'none seen, "
    "decided by ' + m.auth : 'NONE covered it') });\n"
    "        L.push({ s: 'credential: ' + (m.cred === null ? 'none' : m.cred + (m.note ? ' (' + "
    "m.note + ')' : '')) });\n"
    "        if (m.task)\n"
    "            L.push({ s: 'task: ' + m.task });\n"
    "    } else {\n"
    "        var what = { issued: 'issued', rotated_in: 'issued by rotation', rotated_out: "
    "'rotated out',\n"
    "            revoked: 'revoked', expired: 'expired', exposed: 'EXPOSED', authenticated: "
    "'authenticated',\n"
    "            use: (m.d || '') + ' use', granted: 'granted', started: 'task started', "
    "completed: 'task completed',\n"
    "            event: m.type }[m.k] || m.k;\n"
    "        L.push({ b: true, s: what + (m.by && m.by !== D.workload ? ' by ' + m.by : '') });\n"
    "        L.push({ s: (m.ts || fmt(m.t, true)) + (m.ev ? '  ' + m.ev : '') });\n"
    "        if (m.s)\n"
    "            L.push({ s: m.s });\n"
    "    }\n"
    "    return L.concat(findingLines(markFindings(ln, m)));\n"
    "}\n"
    "\n"
    "/* --- static layer: lane backgrounds, labels, sections --- */\n"
    "var findingEls = [];\n"
    "function regFinding(ids, e) {\n"
    "    (ids || []).forEach(function (i) {\n"
    "        (findingEls[i] = findingEls[i] || []).push(e);\n"
    "    });\n"
    "}\n"
    "\n"
    "var plotLayer, gridLayer;\n"
    "function drawStatic() {\n"
    "    W = Math.max(document.getElementById('gl-chart').clientWidth, 760);\n"
    "    plotR = W - PAD_R;\n"
    "    while (lanesSvg.firstChild)\n"
    "        lanesSvg.removeChild(lanesSvg.firstChild);\n"
    "    lanesSvg.setAttribute('width', W);\n"
    "    lanesSvg.setAttribute('height', rows.height);\n"
    "    lanesSvg.setAttribute('viewBox', '0 0 ' + W + ' ' + rows.height);\n"
    "    var defs = el('defs', {}, lanesSvg);\n"
    "    var cp = el('clipPath', { id: 'gl-clip' }, defs);\n"
    "    el('rect', { x: plotL, y: 0, width: plotR - plotL, height: rows.height }, cp);\n"
    "    var pat = el('pattern', { id: 'gl-hatch', width: 6, height: 6, patternUnits: "
    "'userSpaceOnUse',\n"
    "        patternTransform: 'rotate(45)' }, defs);\n"
    "    el('rect', { width: 6, height: 6, fill: '#12b886' }, pat);\n"
    "    el('rect', { width: 2.5, height: 6, fill: '#0b7285' }, pat);\n"
    "    var pat2 = el('pattern', { id: 'gl-hatch-cred', width: 6, height: 6, patternUnits: "
    "'userSpaceOnUse',\n"
    "        patternTransform: 'rotate(45)' }, defs);\n"
    "    el('rect', { width: 6, height: 6, fill: '#bac8ff' }, pat2);\n"
    "    el('rect', { width: 2.5, height: 6, fill: '#748ffc' }, pat2);\n"
    "    var bgLayer = el('g', {}, lanesSvg);\n"
    "    gridLayer = el('g', { 'clip-path': 'url(#gl-clip)' }, lanesSvg);\n"
    "    var labelLayer = el('g', {}, lanesSvg);\n"
    "    plotLayer = el('g', { 'clip-path': 'url(#gl-clip)' }, lanesSvg);\n"
    "    var zebra = 0;\n"
    "    rows.forEach(function (r) {\n"
    "        if (r.sec) {\n"
    "            el('rect', { x: 0, y: r.y, width: W, height: SEC_H, fill: '#f1f3f5' }, bgLayer);\n"
    "            var t = text(labelLayer, 8, r.y + 16, r.sec[1] + ' (' + r.n + ')', 'sec');\n"
    "            t.setAttribute('data-section', r.sec[0]);\n"
    "            zebra = 0;\n"
    "            return;\n"
    "        }\n"
    "        var ln = r.lane;\n"
    "        var g = el('g', { 'data-lane': ln.kind, 'data-id': ln.id }, labelLayer);\n"
    "        var bg = el('rect', { x: 0, y: r.y, width: W, height: LANE_H, fill: zebra++ % 2 ? "
    "'#fafbfc' : '#fff',\n"
    "            'class': 'lane-bg' }, bgLayer);\n"
    "        el('line', { x1: 0, x2: W, y1: r.y + LANE_H - 0.5, y2: r.y + LANE_H - 0.5, stroke: "
    "'#f1f3f5' }, bgLayer);\n"
    "        var hit = el('rect', { x: 0, y: r.y, width: LABEL_W - 6, height: LANE_H, fill: "
    "'transparent' }, g);\n"
    "        hit._tip = laneTip(ln);\n"
    "        var maxW = LABEL_W - 22 - (ln.findings.length ? 24 : 0);\n"
    "        var t1 = text(g, 10, r.y + 13, ln.kind === 'actions' ? 'actions of ' + D.workload : "
    "ln.id, 'lbl');\n"
    "        fit(t1, maxW);\n"
    "        var t2 = text(g, 10, r.y + 25, laneSub(ln), 'lbl2');\n"
    "        fit(t2, LABEL_W - 22);\n"
    "        if (ln.findings.length) {\n"
    "            var bx = LABEL_W - 30;\n"
    "            el('rect', { x: bx, y: r.y + 3, width: 20, height: 13, rx: 3, fill: "
    "'var(--finding)' }, g);\n"
    "            text(g, bx + 10, r.y + 13, '!' + ln.findings.length, "
    "'badge').setAttribute('text-anchor', 'middle');\n"
    "        }\n"
    "        ln.bg = bg;\n"
    "    });\n"
    "    el('line', { x1: LABEL_W - 0.5, x2: LABEL_W - 0.5, y1: 0, y2: rows.height, stroke: "
    "'#ced4da' }, bgLayer);\n"
    "    axisSvg.setAttribute('width', W);\n"
    "    axisSvg.setAttribute('height', AXIS_H);\n"
    "    axisSvg.setAttribute('viewBox', '0 0 ' + W + ' ' + AXIS_H);\n"
    "}\n"
    "\n"
    "/* --- axis ticks: a step from a fixed ladder, aligned in UTC --- */\n"
    "var S = 1e6, M = 60 * S, H = 60 * M, DY = 24 * H;\n"
    "var STEPS = [1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, S, 2 * S, 5 * S, 10 * S, 15 * S, 30 "
    "* S, M, 2 * M,\n"
    "    5 * M, 10 * M, 15 * M, 30 * M, H, 2 * H, 3 * H, 6 * H, 12 * H, DY, 2 * DY, 7 * DY, 14 * "
    "DY, 28 * DY,\n"
    "    56 * DY, 91 * DY, 182 * DY, 364 * DY];\n"
    "function ticks() {\n"
    "    var span = view.t1 - view.t0, px = plotR - plotL, step = STEPS[STEPS.length - 1];\n"
    "    for (var i = 0; i < STEPS.length; i++)\n"
    "        if (px / (span / STEPS[i]) >= 92) {\n"
    "            step = STEPS[i];\n"
    "            break;\n"
    "        }\n"
    "    var out = [], t = Math.ceil(view.t0 / step) * step;\n"
    "    for (; t <= view.t1 && out.length < 200; t += step)\n"
    "        out.push(t);\n"
    "    return { step: step, v: out };\n"
    "}\n"
    "function tickLabel(t, step, prev) {\n"
    "    var s = fmt(t, step < S);\n"
    "    var day = s.slice(0, 10), time = s.slice(11);\n"
    "    if (step >= DY)\n"
    "        return [day, ''];\n"
    "    if (step >= M)\n"
    "        time = time.slice(0, 5);\n"
    "    else if (step >= S)\n"
    "        time = time.slice(0, 8);\n"
    "    var newDay = prev === null || fmt(prev).slice(0, 10) !== day;\n"
    "    return [time, newDay ? day : ''];\n"
    "}\n"
    "\n"
    "function drawAxis(tk) {\n"
    "    while (axisSvg.firstChild)\n"
    "        axisSvg.removeChild(axisSvg.firstChild);\n"
    "    el('rect', { x: 0, y: 0, width: W, height: AXIS_H, fill: '#fff' }, axisSvg);\n"
    "    text(axisSvg, 10, 16, 'time (UTC)', 'tick2');\n"
    "    text(axisSvg, 10, 31, 'view ' + dur(view.t1 - view.t0), 'tick');\n"
    "    var prev = null;\n"
    "    tk.v.forEach(function (t) {\n"
    "        var px = x(t);\n"
    "        if (px < plotL - 1 || px > plotR + 1)\n"
    "            return;\n"
    "        var lb = tickLabel(t, tk.step, prev);\n"
    "        prev = t;\n"
    "        el('line', { x1: px, x2: px, y1: AXIS_H - 8, y2: AXIS_H, stroke: '#868e96' }, "
    "axisSvg);\n"
    "        var a = text(axisSvg, px, AXIS_H - 12, lb[0], 'tick');\n"
    "        a.setAttribute('text-anchor', 'middle');\n"
    "        if (lb[1]) {\n"
    "            var b = text(axisSvg, px, AXIS_H - 26, lb[1], 'tick2');\n"
    "            b.setAttribute('text-anchor', 'middle');\n"
    "        }\n"
    "    });\n"
    "    el('line', { x1: plotL, x2: plotR, y1: AXIS_H - 0.5, y2: AXIS_H - 0.5, stroke: '#adb5bd' "
    "}, axisSvg);\n"
    "    var hx = D.horizon === null ? -1 : x(D.horizon);\n"
    "    if (hx >= plotL && hx <= plotR) {\n"
    "        el('path', { d: 'M' + hx + ' ' + (AXIS_H - 1) + 'l-5 -7h10z', fill: '#495057' }, "
    "axisSvg);\n"
    "    }\n"
    "}\n"
    "\n"
    "/* --- dynamic layer: bars and marks in the current view --- */\n"
    "function ring(parent, cx, cy, r, ids) {\n"
    "    var c = el('circle', { cx: cx, cy: cy, r: r, 'class': 'ring' }, parent);\n"
    "    regFinding(ids, c);\n"
    "    return c;\n"
    "}\n"
    "\n"
    "function endCap(g, how, px, cy, color) {\n"
    "    if (how === 'revoked') {\n"
    "        el('path', { d: 'M' + (px - 4) + ' ' + (cy - 4) + 'l8 8m0 -8l-8 8', stroke: "
    "'#212529', 'stroke-width': 2 }, g);\n"
    "    } else if (how === 'rotated') {\n"
    "        el('circle', { cx: px, cy: cy, r: 4, fill: '#fff', stroke: '#212529', 'stroke-width': "
    "1.6 }, g);\n"
    "    } else if (how === 'expired') {\n"
    "        el('line', { x1: px, x2: px, y1: cy - 8, y2: cy + 8, stroke: '#212529', "
    "'stroke-width': 2,\n"
    "            'stroke-dasharray': '2 2' }, g);\n"
    "    } else if (how === 'open') {\n"
    "        el('path', { d: 'M' + px + ' ' + (cy - 6) + 'l7 6l-7 6z', fill: color }, g);\n"
    "    }\n"
    "}\n"
    "\n"
    "function bar(g, ln, fill, stroke, dash) {\n"
    "    var cy = ln.y + LANE_H / 2;\n"
    "    var end = ln.end === null ? D.horizon : ln.end;\n"
    "    var x0 = x(ln.start), x1 = x(end);\n"
    "    if (x1 < plotL - 10 || x0 > plotR + 10)\n"
    "        return null;\n"
    "    var w = Math.max(x1 - x0, 2);\n"
    "    var b = el('rect', { x: x0, y: cy - BAR_H / 2, width: w, height: BAR_H, rx: 2, fill: "
    "fill,\n"
    "        stroke: stroke, 'stroke-width': stroke ? 1.2 : null, 'stroke-dasharray': dash }, g);\n"
    "    b._tip = laneTip(ln);\n"
    "    if (ln.findings.length) {\n"
    "        b.setAttribute('class', 'hit-bar');\n"
    "        regFinding(ln.findings, b);\n"
    "    }\n"
    "    endCap(g, ln.end === null ? 'open' : ln.end_how, ln.end === null ? x1 + 1 : x1, cy, "
    "fill);\n"
    "    var label = ln.kind === 'grant' ? perms(ln.perms).join('; ') : ln.kind === 'task' ? "
    "(ln.status || '') : '';\n"
    "    var lx = Math.max(x0, plotL) + 6, room = Math.min(x1, plotR) - lx - 6;\n"
    "    if (label && room > 40) {\n"
    "        var t = text(g, lx, cy + 3.8, label, 'inbar');\n"
    "        if (ln.kind === 'grant' && !ln.used && !ln.delegator)\n"
    "            t.setAttribute('style', 'fill: #087f5b');\n"
    "        fit(t, room);\n"
    "    }\n"
    "    return b;\n"
    "}\n"
    "\n"
    "/* Findings to ring on a mark: those whose evidence is its event, except\n"
    " * that on a grant or credential lane a finding about another grant or\n"
    " * credential is left to that lane (one delegation event creates several\n"
    " * grants), and a use echoes an action only for findings about this very\n"
    " * credential or grant (the action itself is ringed on the actions lane). */\n"
    "function markFindings(ln, m) {\n"
    "    var key = ln.kind === 'grant' ? 'grant' : ln.kind === 'credential' ? 'credential' : "
    "null;\n"
    "    return (m.ev && byEv[m.ev] || []).filter(function (i) {\n"
    "        var f = findings[i];\n"
    "        if (!key)\n"
    "            return true;\n"
    "        if (m.k === 'use')\n"
    "            return f[key] === ln.id;\n"
    "        return !f[key] || f[key] === ln.id;\n"
    "    });\n"
    "}\n"
    "function drawMark(g, ln, m) {\n"
    "    var px = x(m.t);\n"
    "    if (px < plotL - 12 || px > plotR + 12)\n"
    "        return 0;\n"
    "    var cy = ln.y + LANE_H / 2, e, ids = markFindings(ln, m);\n"
    "    var y0 = ln.y + 4, y1 = ln.y + LANE_H - 4;\n"
    "    switch (m.k) {\n"
    "    case 'action':\n"
    "        e = el('g', { 'data-tick': m.d }, g);\n"
    "        el('rect', { x: px - 1.5, y: y0, width: 3, height: y1 - y0, fill: m.d === 'allow' ? "
    "'var(--allow)' : 'var(--deny)' }, e);\n"
    "        if (m.grant === null && m.auth === null)\n"
    "            el('path', { d: 'M' + (px - 4.5) + ' ' + (y0 - 3) + 'h9l-4.5 7z', fill: '#212529' "
    "}, e);\n"
    "        el('rect', { x: px - 5, y: y0 - 3, width: 10, height: y1 - y0 + 6, fill: "
    "'transparent' }, e);\n"
    "        break;\n"
    "    case 'exposed':\n"
    "        e = el('path', { d: 'M' + px + ' ' + (cy - 13) + 'l6 10h-12z', fill: 'var(--expose)', "
    "stroke: '#fff',\n"
    "            'stroke-width': 1 }, g);\n"
    "        break;\n"
    "    case 'authenticated':\n"
    "        e = el('circle', { cx: px, cy: cy, r: 2.4, fill: '#fff', stroke: '#364fc7', "
    "'stroke-width': 1.2 }, g);\n"
    "        break;\n"
    "    case 'use':\n"
    "        e = el('rect', { x: px - 0.75, y: cy + BAR_H / 2 + 1, width: 1.5, height: 5,\n"
    "            fill: m.by && m.by !== D.workload ? '#868e96' : m.d === 'allow' ? 'var(--allow)' "
    ": 'var(--deny)' }, g);\n"
    "        break;\n"
    "    case 'issued':\n"
    "    case 'rotated_in':\n"
    "    case 'granted':\n"
    "    case 'started':\n"
    "        e = el('rect', { x: px - 1, y: cy - BAR_H / 2 - 2, width: 2, height: BAR_H + 4, fill: "
    "'#212529' }, g);\n"
    "        break;\n"
    "    case 'revoked':\n"
    "    case 'rotated_out':\n"
    "    case 'expired':\n"
    "    case 'completed':\n"
    "        /* the end cap is drawn with the bar (a completion also gets its\n"
    "         * status colour); the transparent rect is the hover target */\n"
    "        if (m.k === 'completed')\n"
    "            el('circle', { cx: px, cy: cy, r: 4, fill: m.s === 'succeeded' ? 'var(--allow)' "
    ":\n"
    "                m.s === 'failed' ? 'var(--finding)' : '#fff', stroke: '#212529', "
    "'stroke-width': 1.2 }, g);\n"
    "        e = el('rect', { x: px - 5, y: cy - 8, width: 10, height: 16, fill: 'transparent' }, "
    "g);\n"
    "        break;\n"
    "    default:\n"
    "        e = el('path', { d: 'M' + px + ' ' + (cy - 5) + 'l5 5l-5 5l-5 -5z', fill: '#adb5bd', "
    "stroke: '#495057' }, g);\n"
    "    }\n"
    "    e._tip = markTip(ln, m);\n"
    "    if (m.ev)\n"
    "        e.setAttribute('data-ev', m.ev);\n"
    "    if (ids.length) {\n"
    "        var ry = m.k === 'exposed' ? cy - 7 : m.k === 'use' ? cy + BAR_H / 2 + 3.5 : cy;\n"
    "        ring(g, px, ry, m.k === 'use' ? 5 : 8, ids)._tip = e._tip;\n"
    "    }\n"
    "    return 1;\n"
    "}\n"
    "\n"
    "var counts = { ticks: 0, rings: 0, marks: 0 };\n"
    "function drawPlot() {\n"
    "    findingEls = [];\n"
    "    rows.forEach(function (r) {\n"
    "        if (r.lane && r.lane.findings.length)\n"
    "            regFinding(r.lane.findings, r.lane.bg);\n"
    "    });\n"
    "    while (plotLayer.firstChild)\n"
    "        plotLayer.removeChild(plotLayer.firstChild);\n"
    "    while (gridLayer.firstChild)\n"
    "        gridLayer.removeChild(gridLayer.firstChild);\n"
    "    var tk = ticks();\n"
    "    tk.v.forEach(function (t) {\n"
    "        var major = tk.step < DY && fmt(t).slice(11, 19) === '00:00:00';\n"
    "        el('line', { x1: x(t), x2: x(t), y1: 0, y2: rows.height, 'class': major ? 'grid "
    "major' : 'grid' }, gridLayer);\n"
    "    });\n"
    "    if (D.horizon !== null) {\n"
    "        var hx = x(D.horizon);\n"
    "        var hl = el('line', { x1: hx, x2: hx, y1: 0, y2: rows.height, 'class': 'horizon' }, "
    "gridLayer);\n"
    "        hl._tip = [{ b: true, s: 'horizon ' + D.horizon_ts }, { s: 'the analysis is the state "
    "as of this instant' }];\n"
    "    }\n"
    "    counts = { ticks: 0, rings: 0, marks: 0 };\n"
    "    lanes.forEach(function (ln) {\n"
    "        var g = el('g', { 'data-plot': ln.kind }, plotLayer);\n"
    "        if (ln.kind === 'credential' && ln.known)\n"
    "            ln.lives.forEach(function (lf) {\n"
    "                var b = Object.assign({}, ln, lf);\n"
    "                bar(g, b, lf.owner === D.workload ? 'var(--cred)' : 'url(#gl-hatch-cred)', "
    "lf.owner === D.workload ? null : '#4c6ef5');\n"
    "            });\n"
    "        else if (ln.kind === 'grant')\n"
    "            bar(g, ln, ln.delegator ? 'url(#gl-hatch)' : ln.used ? 'var(--grant)' : "
    "'#96f2d7', ln.used ? null : '#0ca678',\n"
    "                ln.used ? null : '4 2');\n"
    "        else if (ln.kind === 'task' && ln.started)\n"
    "            bar(g, ln, ln.status === 'failed' ? '#e599a0' : 'var(--task)', null);\n"
    "        ln.marks.forEach(function (m) {\n"
    "            var n = drawMark(g, ln, m);\n"
    "            counts.marks += n;\n"
    "            if (m.k === 'action')\n"
    "                counts.ticks += n;\n"
    "        });\n"
    "    });\n"
    "    counts.rings = plotLayer.querySelectorAll('.ring').length;\n"
    "    drawAxis(tk);\n"
    "    document.getElementById('gl-range').textContent = fmt(view.t0) + '  \\u2192  ' + "
    "fmt(view.t1) + ' UTC';\n"
    "}\n"
    "\n"
    "/* --- view changes --- */\n"
    "var pending = false;\n"
    "function redraw() {\n"
    "    if (pending)\n"
    "        return;\n"
    "    pending = true;\n"
    "    requestAnimationFrame(function () {\n"
    "        pending = false;\n"
    "        drawPlot();\n"
    "        saveHash();\n"
    "    });\n"
    "}\n"
    "function clampView() {\n"
    "    var span = view.t1 - view.t0, maxSpan = (full.t1 - full.t0) * 1.5;\n"
    "    span = Math.min(Math.max(span, MIN_SPAN), maxSpan);\n"
    "    var lo = full.t0 - span * 0.5, hi = full.t1 + span * 0.5;\n"
    "    if (view.t0 < lo)\n"
    "        view.t0 = lo;\n"
    "    if (view.t0 + span > hi)\n"
    "        view.t0 = hi - span;\n"
    "    view.t1 = view.t0 + span;\n"
    "}\n"
    "function zoom(factor, tc) {\n"
    "    var span = view.t1 - view.t0;\n"
    "    if (tc === undefined)\n"
    "        tc = view.t0 + span / 2;\n"
    "    var ns = Math.min(Math.max(span * factor, MIN_SPAN), (full.t1 - full.t0) * 1.5);\n"
    "    var r = (tc - view.t0) / span;\n"
    "    view.t0 = tc - r * ns;\n"
    "    view.t1 = view.t0 + ns;\n"
    "    clampView();\n"
    "    redraw();\n"
    "}\n"
    "function pan(frac) {\n"
    "    var d = (view.t1 - view.t0) * frac;\n"
    "    view.t0 += d;\n"
    "    view.t1 += d;\n"
    "    clampView();\n"
    "    redraw();\n"
    "}\n"
    "function setView(t0, t1) {\n"
    "    view.t0 = t0;\n"
    "    view.t1 = t1;\n"
    "    clampView();\n"
    "    redraw();\n"
    "}\n"
    "\n"
    "function saveHash() {\n"
    "    try {\n"
    "        var h = '#t0=' + new Date(view.t0 / 1000).toISOString() + '&t1=' + new Date(view.t1 / "
    "1000).toISOString();\n"
    "        history.replaceState(null, '', h);\n"
    "    } catch (e) {\n"
    "        /* file:// pages may refuse history updates; the view still works */\n"
    "    }\n"
    "}\n"
    "function loadHash() {\n"
    "    var m = /t0=([^&]+)&t1=([^&]+)/.exec(location.hash);\n"
    "    if (!m)\n"
    "        return;\n"
    "    var a = Date.parse(decodeURIComponent(m[1])) * 1000, b = "
    "Date.parse(decodeURIComponent(m[2])) * 1000;\n"
    "    if (a < b) {\n"
    "        view.t0 = a;\n"
    "        view.t1 = b;\n"
    "        clampView();\n"
    "    }\n"
    "}\n"
    "\n"
    "function svgX(ev) {\n"
    "    var r = lanesSvg.getBoundingClientRect();\n"
    "    return (ev.clientX - r.left) * (W / r.width);\n"
    "}\n"
    "\n"
    "function onWheel(ev, always) {\n"
    "    if (!always && !ev.ctrlKey && !ev.metaKey && Math.abs(ev.deltaX) <= Math.abs(ev.deltaY))\n"
    "        return; /* plain vertical wheel over the lanes scrolls the page */\n"
    "    ev.preventDefault();\n"
    "    var unit = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? 400 : 1;\n"
    "    if (Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {\n"
    "        pan(ev.deltaX * unit / (plotR - plotL));\n"
    "        return;\n"
    "    }\n"
    "    var px = svgX(ev);\n"
    "    zoom(Math.pow(1.0018, ev.deltaY * unit), px >= plotL ? tAt(px) : undefined);\n"
    "}\n"
    "\n"
    "function dragger(svg) {\n"
    "    var start = null;\n"
    "    svg.addEventListener('pointerdown', function (ev) {\n"
    "        if (ev.button !== 0 || svgX(ev) < plotL)\n"
    "            return;\n"
    "        start = { x: ev.clientX, t0: view.t0, t1: view.t1, moved: false };\n"
    "        svg.setPointerCapture(ev.pointerId);\n"
    "    });\n"
    "    svg.addEventListener('pointermove', function (ev) {\n"
    "        if (!start)\n"
    "            return;\n"
    "        var r = lanesSvg.getBoundingClientRect();\n"
    "        var dx = (ev.clientX - start.x) * (W / r.width);\n"
    "        if (Math.abs(dx) > 2) {\n"
    "            start.moved = true;\n"
    "            svg.classList.add('dragging');\n"
    "            hideTip();\n"
    "        }\n"
    "        var dt = -dx / (plotR - plotL) * (start.t1 - start.t0);\n"
    "        view.t0 = start.t0 + dt;\n"
    "        view.t1 = start.t1 + dt;\n"
    "        clampView();\n"
    "        redraw();\n"
    "    });\n"
    "    function end() {\n"
    "        start = null;\n"
    "        svg.classList.remove('dragging');\n"
    "    }\n"
    "    svg.addEventListener('pointerup', end);\n"
    "    svg.addEventListener('pointercancel', end);\n"
    "    svg.addEventListener('dblclick', function (ev) {\n"
    "        var px = svgX(ev);\n"
    "        if (px >= plotL)\n"
    "            zoom(ev.shiftKey ? 2 : 0.5, tAt(px));\n"
    "    });\n"
    "}\n"
    "\n"
    "/* --- tooltip --- */\n"
    "function showTip(lines, ev) {\n"
    "    while (tip.firstChild)\n"
    "        tip.removeChild(tip.firstChild);\n"
    "    lines.forEach(function (l, i) {\n"
    "        var s = document.createElement(l.b ? 'b' : 'span');\n"
    "        if (l.f)\n"
    "            s.className = 'f';\n"
    "        s.textContent = (i ? '\\n' : '') + l.s;\n"
    "        tip.appendChild(s);\n"
    "    });\n"
    "    tip.hidden = false;\n"
    "    var w = tip.offsetWidth, h = tip.offsetHeight;\n"
    "    var left = ev.clientX + 14, top = ev.clientY + 16;\n"
    "    if (left + w > window.innerWidth - 8)\n"
    "        left = Math.max(8, ev.clientX - w - 14);\n"
    "    if (top + h > window.innerHeight - 8)\n"
    "        top = Math.max(8, ev.clientY - h - 12);\n"
    "    tip.style.left = left + 'px';\n"
    "    tip.style.top = top + 'px';\n"
    "}\n"
    "function hideTip() {\n"
    "    tip.hidden = true;\n"
    "}\n"
    "function tipMove(ev) {\n"
    "    var t = ev.target;\n"
    "    while (t && t !== document && !t._tip)\n"
    "        t = t.parentNode;\n"
    "    if (t && t._tip)\n"
    "        showTip(t._tip, ev);\n"
    "    else\n"
    "        hideTip();\n"
    "}\n"
    "\n"
    "/* --- findings table --- */\n"
    "function focusFinding(i, on, flash) {\n"
    "    (findingEls[i] || []).forEach(function (e) {\n"
    "        e.classList.toggle('gl-focus', on);\n"
    "        if (flash) {\n"
    "            e.classList.remove('flash');\n"
    "            void e.getBoundingClientRect();\n"
    "            e.classList.add('flash');\n"
    "        }\n"
    "    });\n"
    "}\n"
    "function showFinding(i) {\n"
    "    var f = findings[i];\n"
    "    var ts = [];\n"
    "    f.evidence.forEach(function (id) {\n"
    "        lanes.forEach(function (ln) {\n"
    "            ln.marks.forEach(function (m) {\n"
    "                if (m.ev === id)\n"
    "                    ts.push(m.t);\n"
    "            });\n"
    "        });\n"
    "    });\n"
    "    if (f.first !== null)\n"
    "        ts.push(f.first);\n"
    "    if (f.last !== null)\n"
    "        ts.push(f.last);\n"
    "    if (ts.length) {\n"
    "        var a = Math.min.apply(null, ts), b = Math.max.apply(null, ts);\n"
    "        var p = Math.max((b - a) * 0.3, 5 * M);\n"
    "        setView(a - p, b + p);\n"
    "    }\n"
    "    requestAnimationFrame(function () {\n"
    "        requestAnimationFrame(function () {\n"
    "            focusFinding(i, false, true);\n"
    "            var els = findingEls[i] || [];\n"
    "            if (els.length)\n"
    "                els[0].scrollIntoView({ block: 'center', behavior: 'smooth' });\n"
    "        });\n"
    "    });\n"
    "}\n"
    "function drawFindings() {\n"
    "    var body = document.getElementById('gl-findings-body');\n"
    "    document.getElementById('gl-findings-n').textContent = '(' + findings.length + ')';\n"
    "    if (!findings.length) {\n"
    "        var tr0 = document.createElement('tr');\n"
    "        var td0 = document.createElement('td');\n"
    "        td0.colSpan = 6;\n"
    "        td0.className = 'none';\n"
    "        td0.textContent = 'No findings touch this timeline.';\n"
    "        tr0.appendChild(td0);\n"
    "        body.appendChild(tr0);\n"
    "        return;\n"
    "    }\n"
    "    findings.forEach(function (f, i) {\n"
    "        var tr = document.createElement('tr');\n"
    "        tr.className = 'finding';\n"
    "        tr.setAttribute('data-finding', f.id);\n"
    "        function td(s, cls) {\n"
    "            var c = document.createElement('td');\n"
    "            if (cls)\n"
    "                c.className = cls;\n"
    "            c.textContent = s;\n"
    "            tr.appendChild(c);\n"
    "            return c;\n"
    "        }\n"
    "        var sev = document.createElement('span');\n"
    "        sev.className = 'sev sev-' + f.severity;\n"
    "        sev.textContent = f.severity;\n"
    "        td('').appendChild(sev);\n"
    "        td(f.rule + ' ' + f.name, 'mono');\n"
    "        td(f.first_ts ? fmt(f.first, true) : '', 'mono');\n"
    "        td(f.about === 'grant' ? 'grant ' + f.grant : f.about === 'credential' ? 'credential "
    "' + f.credential :\n"
    "            'event ' + (f.evidence[0] || '') + (f.credential ? ', credential ' + f.credential "
    ": ''));\n"
    "        td(f.detail);\n"
    "        var b = document.createElement('button');\n"
    "        b.type = 'button';\n"
    "        b.textContent = 'Show';\n"
    "        b.addEventListener('click', function () { showFinding(i); });\n"
    "        td('', 'act').appendChild(b);\n"
    "        tr.addEventListener('mouseenter', function () { focusFinding(i, true); });\n"
    "        tr.addEventListener('mouseleave', function () { focusFinding(i, false); });\n"
    "        body.appendChild(tr);\n"
    "    });\n"
    "}\n"
    "\n"
    "function header() {\n"
    "    var nAct = 0, nDeny = 0, nNo = 0;\n"
    "    lanes.forEach(function (ln) {\n"
    "        ln.marks.forEach(function (m) {\n"
    "            if (m.k !== 'action')\n"
    "                return;\n"
    "            nAct++;\n"
    "            nDeny += m.d === 'deny' ? 1 : 0;\n"
    "            nNo += m.grant === null && m.auth === null ? 1 : 0;\n"
    "        });\n"
    "    });\n"
    "    var n = function (k, word) {\n"
    "        var c = lanes.filter(function (l) { return l.kind === k; }).length;\n"
    "        return c + ' ' + word + (c === 1 ? '' : 's');\n"
    "    };\n"
    "    document.getElementById('gl-sub').textContent = D.events + ' events' + (D.task ? ' of "
    "task ' + D.task : '') +\n"
    "        (D.from_ts || D.to_ts ? ' between ' + (D.from_ts || 'the start') + ' and ' + (D.to_ts "
    "|| 'the end') : '') +\n"
    "        ' \\u00b7 ' + nAct + ' action' + (nAct === 1 ? '' : 's') + ' (' + nDeny + ' denied, ' "
    "+ nNo +\n"
    "        ' without a grant) \\u00b7 ' + n('credential', 'credential') + ' \\u00b7 ' + "
    "n('grant', 'grant') + ' \\u00b7 ' +\n"
    "        n('task', 'task') + ' \\u00b7 ' + findings.length + ' finding' + (findings.length === "
    "1 ? '' : 's') +\n"
    "        ' \\u00b7 horizon ' + D.horizon_ts;\n"
    "}\n"
    "\n"
    "function render() {\n"
    "    drawStatic();\n"
    "    drawPlot();\n"
    "}\n"
    "\n"
    "function main() {\n"
    "    header();\n"
    "    loadHash();\n"
    "    drawFindings();\n"
    "    render();\n"
    "    var chart = document.getElementById('gl-chart');\n"
    "    lanesSvg.addEventListener('wheel', function (ev) { onWheel(ev, false); }, { passive: "
    "false });\n"
    "    axisSvg.addEventListener('wheel', function (ev) { onWheel(ev, true); }, { passive: false "
    "});\n"
    "    dragger(lanesSvg);\n"
    "    dragger(axisSvg);\n"
    "    chart.addEventListener('mousemove', tipMove);\n"
    "    chart.addEventListener('mouseleave', hideTip);\n"
    "    document.getElementById('gl-in').addEventListener('click', function () { zoom(0.5); });\n"
    "    document.getElementById('gl-out').addEventListener('click', function () { zoom(2); });\n"
    "    document.getElementById('gl-left').addEventListener('click', function () { pan(-0.25); "
    "});\n"
    "    document.getElementById('gl-right').addEventListener('click', function () { pan(0.25); "
    "});\n"
    "    document.getElementById('gl-reset').addEventListener('click', function () { "
    "setView(home.t0, home.t1); });\n"
    "    document.getElementById('gl-all').addEventListener('click', function () { "
    "setView(full.t0, full.t1); });\n"
    "    document.addEventListener('keydown', function (ev) {\n"
    "        if (ev.target && /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(ev.target.tagName))\n"
    "            return;\n"
    "        var k = { '+': [zoom, 0.5], '=': [zoom, 0.5], '-': [zoom, 2], ArrowLeft: [pan, -0.1], "
    "ArrowRight: [pan, 0.1] }[ev.key];\n"
    "        if (k)\n"
    "            k[0](k[1]);\n"
    "        else if (ev.key === '0')\n"
    "            setView(home.t0, home.t1);\n"
    "    });\n"
    "    var rt = null;\n"
    "    window.addEventListener('resize', function () {\n"
    "        clearTimeout(rt);\n"
    "        rt = setTimeout(render, 120);\n"
    "    });\n"
    "}\n"
    "\n"
    "main();\n"
    "status.setAttribute('data-lanes', lanesSvg.querySelectorAll('[data-lane]').length);\n"
    "status.setAttribute('data-ticks', counts.ticks);\n"
    "status.setAttribute('data-rings', counts.rings);\n"
    "status.setAttribute('data-findings', findings.length);\n"
    "if (status.getAttribute('data-state') === 'loading')\n"
    "    status.setAttribute('data-state', 'ok');\n"
    "})();\n";

/* Runs before the renderer so that a syntax or runtime error there is
 * counted on #gl-status (what the browser test reads) and shown to the user. */
static const char page_guard[] =
    "(function () {\n"
    "var s = document.getElementById('gl-status');\n"
    "window.onerror = function (msg, src, line, col) {\n"
    "    s.setAttribute('data-errors', +s.getAttribute('data-errors') + 1);\n"
    "    s.setAttribute('data-state', 'error');\n"
    "    s.hidden = false;\n"
    "    s.textContent = 'The timeline could not be drawn: ' + msg + ' (line ' + line + ':' + col "
    "+ ')';\n"
    "};\n"
    "})();\n";

/* Static legend: one swatch per symbol the renderer draws. */
static const char page_legend[] =
    "<section id=\"gl-legend\" aria-label=\"legend\">\n"
    "<span><svg width=\"26\" height=\"14\"><rect x=\"1\" y=\"2\" width=\"24\" height=\"10\" "
    "rx=\"2\" "
    "fill=\"#4c6ef5\"/></svg>credential (issue to retirement)</span>\n"
    "<span><svg width=\"26\" height=\"14\"><rect x=\"1\" y=\"2\" width=\"24\" height=\"10\" "
    "rx=\"2\" "
    "fill=\"#bac8ff\" stroke=\"#4c6ef5\"/><path d=\"M5 12l8 -10M12 12l8 -10M19 12l5 -6\" "
    "stroke=\"#748ffc\" stroke-width=\"2\"/></svg>credential of another workload</span>\n"
    "<span><svg width=\"26\" height=\"14\"><rect x=\"1\" y=\"2\" width=\"24\" height=\"10\" "
    "rx=\"2\" "
    "fill=\"#12b886\"/></svg>grant (active interval)</span>\n"
    "<span><svg width=\"26\" height=\"14\"><rect x=\"1\" y=\"2\" width=\"24\" height=\"10\" "
    "rx=\"2\" "
    "fill=\"#96f2d7\" stroke=\"#0ca678\" stroke-dasharray=\"4 2\"/></svg>grant never used</span>\n"
    "<span><svg width=\"26\" height=\"14\"><rect x=\"1\" y=\"2\" width=\"24\" height=\"10\" "
    "rx=\"2\" "
    "fill=\"#12b886\"/><path d=\"M5 12l8 -10M12 12l8 -10M19 12l5 -6\" stroke=\"#0b7285\" "
    "stroke-width=\"2.5\"/></svg>delegated grant</span>\n"
    "<span><svg width=\"34\" height=\"14\"><rect x=\"1\" y=\"2\" width=\"24\" height=\"10\" "
    "rx=\"2\" "
    "fill=\"#868e96\"/><circle cx=\"27\" cy=\"7\" r=\"4\" fill=\"#2f9e44\" stroke=\"#212529\"/>"
    "</svg>task (start to completion; end dot: succeeded green, failed red, other white)"
    "</span>\n"
    "<span><svg width=\"14\" height=\"18\"><rect x=\"5\" y=\"2\" width=\"3\" height=\"15\" "
    "fill=\"#2f9e44\"/></svg>allowed action</span>\n"
    "<span><svg width=\"14\" height=\"18\"><rect x=\"5\" y=\"2\" width=\"3\" height=\"15\" "
    "fill=\"#f76707\"/></svg>denied action</span>\n"
    "<span><svg width=\"14\" height=\"18\"><rect x=\"5\" y=\"4\" width=\"3\" height=\"13\" "
    "fill=\"#f76707\"/><path d=\"M2 1h9l-4.5 7z\" fill=\"#212529\"/></svg>no grant covered "
    "it</span>\n"
    "<span><svg width=\"14\" height=\"14\"><path d=\"M7 1l6 11h-12z\" fill=\"#ae3ec9\"/></svg>"
    "exposure</span>\n"
    "<span><svg width=\"14\" height=\"14\"><path d=\"M3 3l8 8m0 -8l-8 8\" stroke=\"#212529\" "
    "stroke-width=\"2\"/></svg>revoked</span>\n"
    "<span><svg width=\"14\" height=\"14\"><circle cx=\"7\" cy=\"7\" r=\"4\" fill=\"#fff\" "
    "stroke=\"#212529\" stroke-width=\"1.6\"/></svg>rotated</span>\n"
    "<span><svg width=\"14\" height=\"16\"><line x1=\"7\" x2=\"7\" y1=\"0\" y2=\"16\" "
    "stroke=\"#212529\" stroke-width=\"2\" stroke-dasharray=\"2 2\"/></svg>expired</span>\n"
    "<span><svg width=\"14\" height=\"14\"><path d=\"M3 1l8 6l-8 6z\" fill=\"#4c6ef5\"/></svg>"
    "still active at the horizon</span>\n"
    "<span><svg width=\"18\" height=\"14\"><rect x=\"2\" y=\"2\" width=\"1.5\" height=\"6\" "
    "fill=\"#2f9e44\"/><rect x=\"7\" y=\"2\" width=\"1.5\" height=\"6\" fill=\"#f76707\"/>"
    "<rect x=\"12\" y=\"2\" width=\"1.5\" height=\"6\" fill=\"#868e96\"/></svg>use of a credential "
    "or grant (grey: by another workload)</span>\n"
    "<span><svg width=\"18\" height=\"18\"><circle cx=\"9\" cy=\"9\" r=\"7\" fill=\"none\" "
    "stroke=\"#e03131\" stroke-width=\"2.2\"/></svg>finding evidence (hover for the "
    "detail)</span>\n"
    "<span><svg width=\"22\" height=\"14\"><rect x=\"1\" y=\"1\" width=\"20\" height=\"12\" "
    "rx=\"3\" "
    "fill=\"#e03131\"/><text x=\"11\" y=\"10.5\" text-anchor=\"middle\" font-size=\"9\" "
    "font-weight=\"700\" fill=\"#fff\">!2</text></svg>lane with findings (red outline)</span>\n"
    "<span><svg width=\"14\" height=\"16\"><line x1=\"7\" x2=\"7\" y1=\"0\" y2=\"16\" "
    "stroke=\"#495057\" stroke-width=\"1.2\" stroke-dasharray=\"5 3\"/></svg>horizon</span>\n"
    "</section>\n";

static const char page_controls[] =
    "<div id=\"gl-chart\">\n<div id=\"gl-top\">\n<div id=\"gl-controls\">\n"
    "<button type=\"button\" id=\"gl-out\" title=\"Zoom out (-)\">&minus;</button>"
    "<button type=\"button\" id=\"gl-in\" title=\"Zoom in (+)\">+</button>"
    "<button type=\"button\" id=\"gl-left\" title=\"Pan left (left arrow)\">&#9664;</button>"
    "<button type=\"button\" id=\"gl-right\" title=\"Pan right (right arrow)\">&#9654;</button>"
    "<button type=\"button\" id=\"gl-reset\" title=\"Back to the shown events (0)\">Reset</button>"
    "<button type=\"button\" id=\"gl-all\" title=\"Everything drawn, back to the first "
    "issue\">All</button>\n"
    "<span id=\"gl-range\"></span>\n"
    "<span id=\"gl-hint\">wheel over the time axis (or Ctrl+wheel): zoom &middot; drag: pan "
    "&middot; double-click: zoom in &middot; hover: details</span>\n"
    "</div>\n<svg id=\"gl-axis\" role=\"img\" aria-label=\"time axis\"></svg>\n</div>\n"
    "<svg id=\"gl-lanes\" role=\"img\" aria-label=\"swimlanes\"></svg>\n</div>\n";

static void write_page(struct page *p, int *rc)
{
    FILE *f = p->f;
    const struct html_view *v = p->v;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          /* no network, ever: only the inline style and scripts may run */
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
          "<meta name=\"generator\" content=\"grantline-analyzer " GL_VERSION "\">\n<title>",
          f);
    html_esc(f, v->workload);
    if (v->task) {
        fputs(" task ", f);
        html_esc(f, v->task);
    }
    fputs(" - grantline timeline</title>\n<style>\n", f);
    fputs(page_css, f);
    fputs("</style>\n</head>\n<body>\n<header>\n<h1>Timeline of <span class=\"wl\">", f);
    html_esc(f, v->workload);
    fputs("</span>", f);
    if (v->task) {
        fputs(", task <span class=\"tk\">", f);
        html_esc(f, v->task);
        fputs("</span>", f);
    }
    fputs("</h1>\n<p class=\"sub\" id=\"gl-sub\"></p>\n</header>\n"
          "<div id=\"gl-status\" data-state=\"loading\" data-errors=\"0\" data-lanes=\"0\" "
          "hidden></div>\n"
          "<noscript><p>This page draws the timeline with JavaScript; the data is in the "
          "gl-data element of its source.</p></noscript>\n",
          f);
    fputs(page_legend, f);
    fputs(page_controls, f);
    fputs("<section id=\"gl-findings\">\n<h2>Findings <span id=\"gl-findings-n\"></span></h2>\n"
          "<table>\n<thead><tr><th>Severity</th><th>Rule</th><th>First seen (UTC)</th>"
          "<th>About</th><th>Detail</th><th></th></tr></thead>\n"
          "<tbody id=\"gl-findings-body\"></tbody>\n</table>\n</section>\n"
          "<footer>grantline-analyzer " GL_VERSION
          " &middot; self-contained page: no network, works offline</footer>\n"
          "<div id=\"gl-tip\" role=\"tooltip\" hidden></div>\n"
          "<script type=\"application/json\" id=\"gl-data\">\n",
          f);
    *rc = write_data(p);
    if (*rc)
        return; /* the caller reports it; a half page is no page */
    fputs("\n</script>\n<script>\n", f);
    fputs(page_guard, f);
    fputs("</script>\n<script>\n", f);
    fputs(page_js, f);
    fputs("</script>\n</body>\n</html>\n", f);
}

int html_timeline_write(FILE *f, struct model *m, struct engine *eng, const struct html_view *v,
                        struct gl_error *err)
{
    struct page p = {.f = f, .m = m, .w = &eng->w, .sink = &eng->sink, .v = v, .err = err};
    int rc = select_all(&p);
    if (!rc)
        write_page(&p, &rc);
    if (!rc && (fflush(f) != 0 || ferror(f)))
        rc = gl_error_set(err, GL_ERR_IO, 0, "writing the page failed");
    free(p.show);
    free(p.placed);
    free(p.ids);
    free(p.cred_ids);
    free(p.task_ids);
    free(p.creds);
    free(p.tasks);
    free(p.task_status);
    free(p.task_off);
    free(p.task_idx);
    free(p.grant_on);
    free(p.use_off);
    free(p.use_idx);
    free(p.hist.v);
    gl_arena_free(p.scratch);
    return rc;
}
