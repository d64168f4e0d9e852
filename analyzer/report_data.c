/* Compliance report data (see report.h): the catalog view, the tallies fed
 * by the engine's flush, and the metrics taken from each workload's
 * timeline and each credential's history. docs/report.md says what every
 * figure means; keep it in step with the code here. */
#include "report.h"

#include "grantline/jtree.h"
#include "grantline/textout.h"

#include "grantline/schemas.h"
#include "grantline/tstamp.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const int64_t rep_bucket_max[REP_BUCKETS - 1] = {
    3600LL * 1000000,       24 * 3600LL * 1000000,  7 * 86400LL * 1000000,
    30 * 86400LL * 1000000, 90 * 86400LL * 1000000, 365 * 86400LL * 1000000,
};
const char *const rep_bucket_label[REP_BUCKETS] = {"<= 1h",  "<= 24h",  "<= 7d", "<= 30d",
                                                   "<= 90d", "<= 365d", "> 365d"};

static int bucket(int64_t us)
{
    for (int i = 0; i < REP_BUCKETS - 1; i++)
        if (us <= rep_bucket_max[i])
            return i;
    return REP_BUCKETS - 1;
}

/* --- catalog --- */

static char *read_file(const char *path, struct gl_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        gl_error_set(err, GL_ERR_IO, errno, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len - 1, f);
        if (len < cap - 1)
            break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    bool bad = ferror(f);
    fclose(f);
    if (!buf) {
        gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
        return NULL;
    }
    if (bad) {
        free(buf);
        gl_error_set(err, GL_ERR_IO, 0, "%s: read error", path);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

static const struct gl_jval *member(const struct gl_jval *obj, const char *key)
{
    if (!gl_jval_is(obj, GL_JT_OBJECT))
        return NULL;
    for (size_t i = 0; i < obj->len; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return obj->vals[i];
    return NULL;
}

/* A title given as a string, or as an object with "title" or "name". */
static const char *title_of(const struct gl_jval *v)
{
    if (gl_jval_is(v, GL_JT_STRING))
        return v->s;
    const struct gl_jval *t = member(v, "title");
    if (!t)
        t = member(v, "name");
    return gl_jval_is(t, GL_JT_STRING) ? t->s : NULL;
}

static int fw_find(const struct report *r, const char *id, size_t len)
{
    for (size_t i = 0; i < r->n_fw; i++)
        if (strlen(r->fw[i].id) == len && strncmp(r->fw[i].id, id, len) == 0)
            return (int)i;
    return -1;
}

static int fw_add(struct report *r, const char *id, size_t len, const char *title)
{
    int i = fw_find(r, id, len);
    if (i >= 0) {
        if (title && strcmp(r->fw[i].title, r->fw[i].id) == 0) {
            char *t = strdup(title);
            if (!t)
                return GL_ERR_NOMEM;
            free(r->fw[i].title);
            r->fw[i].title = t;
        }
        return i;
    }
    if (r->n_fw == sizeof r->fw / sizeof r->fw[0])
        return GL_ERR_INVALID;
    struct rep_framework *f = &r->fw[r->n_fw];
    f->id = strndup(id, len);
    f->title = title ? strdup(title) : strndup(id, len);
    f->selected = r->select_all;
    if (!f->id || !f->title) {
        free(f->id);
        free(f->title);
        return GL_ERR_NOMEM;
    }
    return (int)r->n_fw++;
}

/* Finds or adds control 'id' ("FW:CTL") when its framework is selected.
 * Returns the index, -1 when not selected, or a negative error below -1. */
static int control_add(struct report *r, const char *id, const char *title, size_t *cap)
{
    const char *colon = strchr(id, ':');
    if (!colon || colon == id || !colon[1])
        return -1;
    int fw = fw_add(r, id, (size_t)(colon - id), NULL);
    if (fw == GL_ERR_NOMEM)
        return -2;
    if (fw < 0 || !r->fw[fw].selected)
        return -1;
    for (size_t i = 0; i < r->n_controls; i++) {
        if (strcmp(r->controls[i].id, id) == 0) {
            if (title && !r->controls[i].title) {
                r->controls[i].title = strdup(title);
                if (!r->controls[i].title)
                    return -2;
            }
            return (int)i;
        }
    }
    if (r->n_controls == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct rep_control *v = realloc(r->controls, nc * sizeof *v);
        if (!v)
            return -2;
        r->controls = v;
        *cap = nc;
    }
    struct rep_control *c = &r->controls[r->n_controls];
    memset(c, 0, sizeof *c);
    c->id = strdup(id);
    c->title = title ? strdup(title) : NULL;
    if (!c->id || (title && !c->title)) {
        free(c->id);
        free(c->title);
        return -2;
    }
    c->control = c->id + (colon - id) + 1;
    c->fw = fw;
    return (int)r->n_controls++;
}

/* Natural order: "AC-2" < "AC-2(3)" < "AC-6" < "AC-6(10)" < "AC-24". */
static int natcmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            char *ea, *eb;
            unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
            if (x != y)
                return x < y ? -1 : 1;
            a = ea;
            b = eb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int cmp_controls(const void *x, const void *y)
{
    const struct rep_control *a = x, *b = y;
    if (a->fw != b->fw)
        return a->fw - b->fw;
    int c = natcmp(a->control, b->control);
    return c ? c : strcmp(a->id, b->id);
}

/* Adds a catalog entry ('v' is its title string or object). */
static int catalog_entry(struct report *r, const char *id, const struct gl_jval *v, size_t *cap)
{
    int c = control_add(r, id, title_of(v), cap);
    if (c < -1)
        return GL_ERR_NOMEM;
    const struct gl_jval *o = member(v, "oscal_id");
    const char *os = gl_jval_is(o, GL_JT_STRING) ? o->s : NULL;
    if (c >= 0 && os && !r->controls[c].oscal_id) {
        r->controls[c].oscal_id = strdup(os);
        if (!r->controls[c].oscal_id)
            return GL_ERR_NOMEM;
    }
    return GL_OK;
}

/* The catalog's list of controls, if it has one: {"ID": "title"},
 * {"ID": {"title": ..., "oscal_id"?: ...}}, {"FW": {"CTL": "title"}} or
 * [{"id", "title"}]. */
static int catalog_controls(struct report *r, const struct gl_jval *list, size_t *cap)
{
    if (!list)
        return GL_OK;
    r->catalog_titles = true;
    if (gl_jval_is(list, GL_JT_ARRAY)) {
        for (size_t i = 0; i < list->len; i++) {
            const struct gl_jval *v = list->vals[i];
            const struct gl_jval *id = member(v, "id");
            if (gl_jval_is(id, GL_JT_STRING) && catalog_entry(r, id->s, v, cap))
                return GL_ERR_NOMEM;
        }
        return GL_OK;
    }
    if (!gl_jval_is(list, GL_JT_OBJECT))
        return GL_OK;
    for (size_t i = 0; i < list->len; i++) {
        const char *k = list->keys[i];
        const struct gl_jval *v = list->vals[i];
        if (!strchr(k, ':') && gl_jval_is(v, GL_JT_OBJECT) && !member(v, "title")) {
            /* nested per framework */
            for (size_t j = 0; j < v->len; j++) {
                char id[512];
                snprintf(id, sizeof id, "%s:%s", k, v->keys[j]);
                if (catalog_entry(r, id, v->vals[j], cap))
                    return GL_ERR_NOMEM;
            }
        } else if (catalog_entry(r, k, v, cap)) {
            return GL_ERR_NOMEM;
        }
    }
    return GL_OK;
}

int report_init(struct report *r, const struct controls *ctl, const char *const *fw, size_t n_fw,
                struct gl_error *err)
{
    memset(r, 0, sizeof *r);
    r->ctl = ctl;
    r->err = err;
    r->horizon = INT64_MIN;
    r->select_all = !fw;
    r->tmp = gl_arena_new();
    if (!r->tmp)
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    char path[4096];
    gl_schema_path("controls.json", path, sizeof path);
    char *text = read_file(path, err);
    if (!text)
        return err ? err->code : GL_ERR_IO;
    struct gl_error perr = {0};
    struct gl_jval *root = gl_jtree_parse(text, strlen(text), &perr);
    free(text);
    if (!root)
        return gl_error_set(err, perr.code, 0, "%s: %s", path, perr.msg);
    int rc = GL_OK;
    /* frameworks in catalog order: the report lists them in that order */
    const struct gl_jval *fws = member(root, "frameworks");
    for (size_t i = 0; gl_jval_is(fws, GL_JT_OBJECT) && i < fws->len; i++) {
        const char *k = fws->keys[i];
        if (fw_add(r, k, strlen(k), title_of(fws->vals[i])) == GL_ERR_NOMEM)
            rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    }
    /* rules may name frameworks the frameworks section forgot */
    for (size_t ri = 0; !rc && ri < 32; ri++)
        for (size_t k = 0; !rc && ctl->ids[ri] && ctl->ids[ri][k]; k++) {
            const char *colon = strchr(ctl->ids[ri][k], ':');
            if (colon &&
                fw_add(r, ctl->ids[ri][k], (size_t)(colon - ctl->ids[ri][k]), NULL) == GL_ERR_NOMEM)
                rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
        }
    for (size_t i = 0; !rc && i < n_fw; i++) {
        int f = fw_find(r, fw[i], strlen(fw[i]));
        if (f < 0) {
            char known[512] = "";
            for (size_t k = 0; k < r->n_fw; k++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", k ? ", " : "",
                         r->fw[k].id);
            rc = gl_error_set(err, GL_ERR_INVALID, 0, "framework %s is not in %s (it has: %s)",
                              fw[i], path, known);
        } else {
            r->fw[f].selected = true;
        }
    }

    size_t cap = 0;
    for (size_t ri = 0; !rc && gl_rules[ri]; ri++)
        for (size_t k = 0; !rc && ctl->ids[ri] && ctl->ids[ri][k]; k++) {
            int c = control_add(r, ctl->ids[ri][k], NULL, &cap);
            if (c < -1)
                rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
            else if (c >= 0)
                r->controls[c].rules |= 1u << ri;
        }
    if (!rc && catalog_controls(r, member(root, "controls"), &cap))
        rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    gl_jtree_free(root);
    if (rc)
        return rc;
    if (r->n_controls)
        qsort(r->controls, r->n_controls, sizeof *r->controls, cmp_controls);
    for (size_t ri = 0; gl_rules[ri]; ri++) {
        r->rule_ctl[ri] = malloc((r->n_controls + 1) * sizeof(int));
        if (!r->rule_ctl[ri])
            return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
        size_t n = 0;
        for (size_t c = 0; c < r->n_controls; c++)
            if (r->controls[c].rules & (1u << ri))
                r->rule_ctl[ri][n++] = (int)c;
        r->rule_ctl[ri][n] = -1;
    }
    return GL_OK;
}

static void finding_unref(struct rep_finding *f)
{
    if (!f || --f->refs > 0)
        return;
    free(f->workload);
    free(f->task);
    free(f->credential);
    free(f->grant);
    free(f->detail);
    for (int i = 0; i < f->n_evidence; i++)
        free(f->evidence[i]);
    free(f);
}

void report_free(struct report *r)
{
    for (size_t i = 0; i < r->n_controls; i++) {
        struct rep_control *c = &r->controls[i];
        for (size_t k = 0; k < c->n_ev; k++)
            finding_unref(c->ev[k]);
        free(c->ev);
        free(c->id);
        free(c->title);
        free(c->oscal_id);
    }
    free(r->controls);
    for (size_t i = 0; i < r->n_fw; i++) {
        free(r->fw[i].id);
        free(r->fw[i].title);
    }
    for (size_t i = 0; i < 32; i++)
        free(r->rule_ctl[i]);
    for (size_t i = 0; i < r->n_wls; i++)
        free(r->wls[i].name);
    free(r->wls);
    free(r->met.lags);
    free(r->stores);
    gl_arena_free(r->tmp);
    memset(r, 0, sizeof *r);
}

/* --- findings --- */

/* Evidence order: most severe first, then earliest, then by id (a total
 * order, so the kept set does not depend on the order findings arrive). */
static int rank_cmp(int sev_a, bool has_a, int64_t first_a, const char *id_a, int sev_b, bool has_b,
                    int64_t first_b, const char *id_b)
{
    if (sev_a != sev_b)
        return sev_a > sev_b ? -1 : 1;
    int64_t ta = has_a ? first_a : INT64_MAX, tb = has_b ? first_b : INT64_MAX;
    if (ta != tb)
        return ta < tb ? -1 : 1;
    return strcmp(id_a, id_b);
}

int rep_finding_cmp(const void *x, const void *y)
{
    const struct rep_finding *a = *(const struct rep_finding *const *)x;
    const struct rep_finding *b = *(const struct rep_finding *const *)y;
    return rank_cmp((int)a->severity, a->has_first, a->first_seen, a->id, (int)b->severity,
                    b->has_first, b->first_seen, b->id);
}

static char *dup_or_null(const char *s, bool *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = true;
    return d;
}

static struct rep_finding *finding_keep(const struct out_finding *o)
{
    struct rep_finding *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    const struct finding *f = &o->f;
    bool oom = false;
    memcpy(k->id, o->id, sizeof k->id);
    k->rule = f->rule;
    k->severity = f->severity;
    k->workload = dup_or_null(f->workload, &oom);
    k->task = dup_or_null(f->task, &oom);
    k->credential = dup_or_null(f->credential, &oom);
    k->grant = dup_or_null(f->grant, &oom);
    k->detail = dup_or_null(f->detail, &oom);
    k->first_seen = f->first_seen;
    k->last_seen = f->last_seen;
    k->has_first = f->has_first;
    k->has_last = f->has_last;
    for (int i = 0; i < f->n_evidence && k->n_evidence < 8; i++)
        k->evidence[k->n_evidence++] = dup_or_null(f->evidence[i], &oom);
    if (oom) {
        k->refs = 1;
        finding_unref(k);
        return NULL;
    }
    return k;
}

/* Keeps 'o' as evidence of 'c' if it ranks among the control's best.
 * '*kept' is the shared copy, made on first need. */
static int control_offer(struct report *r, struct rep_control *c, const struct out_finding *o,
                         struct rep_finding **kept)
{
    const struct finding *f = &o->f;
    size_t slot = c->n_ev;
    if (r->max_evidence && c->n_ev >= r->max_evidence) {
        size_t worst = 0;
        for (size_t i = 1; i < c->n_ev; i++)
            if (rep_finding_cmp(&c->ev[i], &c->ev[worst]) > 0)
                worst = i;
        const struct rep_finding *w = c->ev[worst];
        if (rank_cmp((int)f->severity, f->has_first, f->first_seen, o->id, (int)w->severity,
                     w->has_first, w->first_seen, w->id) >= 0)
            return GL_OK;
        slot = worst;
    } else if (c->n_ev == c->cap_ev) {
        size_t nc = c->cap_ev ? c->cap_ev * 2 : 8;
        struct rep_finding **v = realloc(c->ev, nc * sizeof *v);
        if (!v)
            return GL_ERR_NOMEM;
        c->ev = v;
        c->cap_ev = nc;
    }
    if (!*kept) {
        *kept = finding_keep(o);
        if (!*kept)
            return GL_ERR_NOMEM;
    }
    (*kept)->refs++;
    if (slot < c->n_ev)
        finding_unref(c->ev[slot]);
    else
        c->n_ev++;
    c->ev[slot] = *kept;
    return GL_OK;
}

static int cmp_wl_name(const char *name, const struct rep_workload *w)
{
    return strcmp(name, w->name);
}

/* The workload's entry, added in name order when new; NULL on OOM. */
static struct rep_workload *wl_get(struct report *r, const char *name)
{
    size_t lo = 0, hi = r->n_wls;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_wl_name(name, &r->wls[mid]);
        if (c == 0)
            return &r->wls[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (r->n_wls == r->cap_wls) {
        size_t nc = r->cap_wls ? r->cap_wls * 2 : 64;
        struct rep_workload *v = realloc(r->wls, nc * sizeof *v);
        if (!v)
            return NULL;
        r->wls = v;
        r->cap_wls = nc;
    }
    char *copy = strdup(name);
    if (!copy)
        return NULL;
    memmove(&r->wls[lo + 1], &r->wls[lo], (r->n_wls - lo) * sizeof *r->wls);
    struct rep_workload *w = &r->wls[lo];
    memset(w, 0, sizeof *w);
    w->name = copy;
    memset(w->rule_max, -1, sizeof w->rule_max);
    r->n_wls++;
    return w;
}

static int tally(struct report *r, const struct out_finding *o, int64_t now)
{
    const struct finding *f = &o->f;
    struct rep_workload *w = NULL;
    if (f->workload) {
        w = wl_get(r, f->workload);
        if (!w)
            return GL_ERR_NOMEM;
    }
    const int *ctl = r->rule_ctl[f->rule];
    if (suppressions_match(r->supp, f, now)) {
        r->suppressed++;
        r->rule_supp[f->rule]++;
        if (w)
            w->suppressed++;
        for (size_t i = 0; ctl[i] >= 0; i++)
            r->controls[ctl[i]].suppressed++;
        return GL_OK;
    }
    int s = (int)f->severity;
    r->findings++;
    r->sev[s]++;
    r->rule_sev[f->rule][s]++;
    if (w) {
        w->findings++;
        w->sev[s]++;
        w->rule_n[f->rule]++;
        if (w->rule_max[f->rule] < s)
            w->rule_max[f->rule] = (int8_t)s;
    } else {
        r->store_findings++;
    }
    struct rep_finding *kept = NULL;
    int rc = GL_OK;
    for (size_t i = 0; !rc && ctl[i] >= 0; i++) {
        struct rep_control *c = &r->controls[ctl[i]];
        c->findings++;
        c->sev[s]++;
        rc = control_offer(r, c, o, &kept);
    }
    return rc;
}

struct flush_ctx {
    struct report *r;
    int64_t now;
};

static int on_flush(struct engine *e, void *arg)
{
    struct flush_ctx *fc = arg;
    for (size_t i = 0; i < e->sink.n; i++) {
        int rc = tally(fc->r, &e->sink.v[i], fc->now);
        if (rc)
            return gl_error_set(e->err, rc, 0, "out of memory");
    }
    return GL_OK;
}

/* --- metrics --- */

static int perms_used(const struct wl *w, const struct grant *g, uint64_t *out)
{
    if (!g->used) {
        *out = 0;
        return GL_OK;
    }
    if (g->n_perms == 1) {
        *out = 1;
        return GL_OK;
    }
    bool *used = calloc((size_t)g->n_perms, sizeof *used);
    if (!used)
        return GL_ERR_NOMEM;
    uint64_t n = 0;
    for (size_t i = 0; i < w->evs.n && n < (uint64_t)g->n_perms; i++) {
        const struct ev *e = &w->evs.v[i];
        if (e->type != GL_EV_ACTION_PERFORMED || e->decision != GL_DECISION_ALLOW ||
            e->n_perms < 1 || strcmp(e->workload, w->workload) != 0 || !grant_active(g, e->ts))
            continue;
        for (int k = 0; k < g->n_perms; k++)
            if (!used[k] && perm_covers(&g->perms[k], &e->perms[0])) {
                used[k] = true;
                n++;
            }
    }
    free(used);
    *out = n;
    return GL_OK;
}

/* Task-scoped: 1 ended with its task, 0 outlived it, -1 not decided yet
 * (task running, or completed less than linger_grace before H). */
static int ended_with_task(const struct task_info *t, int64_t grace, int64_t H, int64_t start,
                           int64_t end)
{
    if (!t->completed || t->end + grace > H)
        return -1;
    int64_t at = t->end + grace;
    return start <= at && at < end ? 0 : 1;
}

static int workload_metrics(struct report *r, const struct wl *w)
{
    struct model *m = r->e->m;
    struct rep_metrics *mt = &r->met;
    struct rep_workload *rw = wl_get(r, w->workload);
    if (!rw)
        return gl_error_set(r->err, GL_ERR_NOMEM, 0, "out of memory");
    for (size_t i = 0; i < w->evs.n; i++) {
        const struct ev *e = &w->evs.v[i];
        if (strcmp(e->workload, w->workload) != 0)
            continue; /* a delegation to it: counted with its sender */
        r->events++;
        r->per_type[e->type]++;
        rw->events++;
        if (e->type != GL_EV_ACTION_PERFORMED)
            continue;
        rw->actions++;
        mt->actions++;
        const struct cred_info *ci = NULL;
        if (e->cred && !(ci = model_cred(m, e->cred, r->err)))
            return r->err->code ? r->err->code : GL_ERR_NOMEM;
        if (authority_binds(ci, e)) {
            /* bound by the system that authenticated it, as GL-011 reads it */
            rw->actions_bound++;
            mt->actions_bound++;
            mt->actions_authority++;
        } else if (!ci) {
            mt->actions_no_cred++;
        } else if (!ci->known) {
            mt->actions_unknown_cred++;
        } else if (strcmp(cred_life_at(ci, e)->owner, w->workload) != 0) {
            mt->actions_foreign_cred++;
        } else {
            rw->actions_bound++;
            mt->actions_bound++;
        }
    }
    int64_t H = m->horizon, grace = r->pol->linger_grace;
    for (size_t i = 0; i < w->n_grants; i++) {
        const struct grant *g = &w->grants[i];
        uint64_t pu;
        if (perms_used(w, g, &pu))
            return gl_error_set(r->err, GL_ERR_NOMEM, 0, "out of memory");
        rw->grants++;
        rw->grants_used += g->used;
        rw->perms += (uint64_t)g->n_perms;
        rw->perms_used += pu;
        if (!g->task)
            continue;
        const struct task_info *t = model_task(m, g->task, r->err);
        if (!t)
            return r->err->code ? r->err->code : GL_ERR_NOMEM;
        int ended = ended_with_task(t, grace, H, g->start, g->end);
        if (ended < 0) {
            mt->task_grants_pending++;
        } else {
            mt->task_grants++;
            mt->task_grants_ended += (uint64_t)ended;
        }
    }
    mt->grants += rw->grants;
    mt->grants_used += rw->grants_used;
    mt->perms += rw->perms;
    mt->perms_used += rw->perms_used;
    return GL_OK;
}

static int push_lag(struct rep_metrics *mt, int64_t lag)
{
    if (mt->n_lags == mt->cap_lags) {
        size_t nc = mt->cap_lags ? mt->cap_lags * 2 : 64;
        int64_t *v = realloc(mt->lags, nc * sizeof *v);
        if (!v)
            return GL_ERR_NOMEM;
        mt->lags = v;
        mt->cap_lags = nc;
    }
    mt->lags[mt->n_lags++] = lag;
    return GL_OK;
}

static int credential_metrics(struct report *r, const char *id)
{
    struct model *m = r->e->m;
    struct rep_metrics *mt = &r->met;
    int64_t H = m->horizon;
    gl_arena_reset(r->tmp);
    struct evlist evs = {0};
    int rc = model_load(m, GL_IDX_CREDENTIAL, id, r->tmp, &evs, r->err);
    if (rc) {
        free(evs.v);
        return rc;
    }
    struct cred_info ci;
    rc = model_cred_from_events(&ci, id, &evs, r->tmp, r->err);
    if (rc) {
        free(evs.v);
        return rc;
    }
    const struct ev *exposed = NULL;
    for (size_t i = 0; i < evs.n && !exposed; i++)
        if (evs.v[i].type == GL_EV_CREDENTIAL_EXPOSED && evs.v[i].cred &&
            strcmp(evs.v[i].cred, id) == 0)
            exposed = &evs.v[i];
    mt->creds++;
    if (exposed && !ci.known)
        mt->exposed_untracked++;
    if (!ci.known)
        goto out;
    mt->creds_known++;
    /* its life at the horizon; an exposure is judged on the life it hit */
    const struct cred_life *l = ci.cur;
    if (l->retired > H) {
        mt->creds_active++;
        mt->age_active[bucket(H - l->issued)]++;
    } else {
        mt->lifetime_retired[bucket(l->retired - l->issued)]++;
    }
    if (l->has_expires)
        mt->ttl[bucket(l->longest - l->issued)]++;
    else
        mt->creds_no_expiry++;
    if (l->task) {
        const struct task_info *t = model_task(m, l->task, r->err);
        if (!t) {
            rc = r->err->code ? r->err->code : GL_ERR_NOMEM;
            goto out;
        }
        int ended = ended_with_task(t, r->pol->linger_grace, H, l->issued, l->retired);
        if (ended < 0) {
            mt->task_creds_pending++;
        } else {
            mt->task_creds++;
            mt->task_creds_ended += (uint64_t)ended;
        }
    }
    /* the remediation clock of GL-010, on the exposure GL-010 judges: from
     * the first exposure of a life to its retirement; an exposure after
     * retirement needed no remediation */
    const struct cred_life *x = NULL;
    const struct ev *judged =
        exposed ? cred_exposure(&ci, &evs, r->pol->remediation_sla, H, &x) : NULL;
    if (exposed && !judged) { /* exposed only after it retired: nothing to remediate */
        mt->exposed++;
        mt->remediated++;
        if (push_lag(mt, 0))
            rc = gl_error_set(r->err, GL_ERR_NOMEM, 0, "out of memory");
    } else if (judged) {
        exposed = judged;
        mt->exposed++;
        if (x->retired <= H) {
            int64_t lag = x->retired > exposed->ts ? x->retired - exposed->ts : 0;
            mt->remediated++;
            if (lag > r->pol->remediation_sla)
                mt->over_sla++;
            if (push_lag(mt, lag))
                rc = gl_error_set(r->err, GL_ERR_NOMEM, 0, "out of memory");
        } else {
            int64_t age = H - exposed->ts;
            mt->open++;
            if (age > r->pol->remediation_sla)
                mt->over_sla++;
            if (age > mt->oldest_open)
                mt->oldest_open = age;
        }
    }
out:
    free(evs.v);
    return rc;
}

/* A report reads the whole store: every so many workloads or credentials
 * the store's pages are unmapped again, so the resident set stays small. */
static void release_now_and_then(struct report *r)
{
    static const unsigned every = 1024;
    if (++r->visited % every)
        return;
    for (size_t i = 0; i < r->e->m->n_stores; i++)
        gl_store_release_pages(r->e->m->stores[i]);
}

/* Whether the stores know 'key' as of the horizon: a workload, credential or
 * task whose first event comes after it does not exist yet in a report
 * "as of T" (nor in its inventory counts). */
static int known_at_horizon(struct report *r, enum gl_store_index idx, const char *key,
                            bool *known)
{
    struct key_head h;
    int rc = model_key_head(r->e->m, idx, key, &h, r->err);
    *known = !rc && h.count && h.first_ts <= r->e->m->horizon;
    return rc;
}

static int on_workload(const char *key, size_t len, void *arg)
{
    (void)len;
    struct report *r = arg;
    bool known;
    int krc = known_at_horizon(r, GL_IDX_WORKLOAD, key, &known);
    if (krc || !known)
        return krc;
    r->workloads++;
    release_now_and_then(r);
    /* the engine's timeline of this workload stays valid until its next
     * call, so the metrics reuse it instead of rebuilding it */
    int rc = engine_workload(r->e, key);
    return rc ? rc : workload_metrics(r, &r->e->w);
}

static int on_credential(const char *key, size_t len, void *arg)
{
    (void)len;
    struct report *r = arg;
    bool known;
    int krc = known_at_horizon(r, GL_IDX_CREDENTIAL, key, &known);
    if (krc || !known)
        return krc;
    release_now_and_then(r);
    int rc = engine_credential(r->e, key);
    return rc ? rc : credential_metrics(r, key);
}

static int count_task(const char *key, size_t len, void *arg)
{
    (void)len;
    struct report *r = arg;
    bool known;
    int rc = known_at_horizon(r, GL_IDX_TASK, key, &known);
    r->tasks += known;
    return rc;
}

int report_run(struct report *r, struct engine *e, struct gl_store **stores,
               const char *const *names, size_t n)
{
    r->e = e;
    r->horizon = e->m->horizon;
    r->stores = calloc(n ? n : 1, sizeof *r->stores);
    if (!r->stores)
        return gl_error_set(r->err, GL_ERR_NOMEM, 0, "out of memory");
    r->n_stores = n;
    for (size_t i = 0; i < n; i++) {
        r->stores[i].path = names[i];
        int rc = gl_store_stats(stores[i], &r->stores[i].st, r->err);
        if (rc)
            return rc;
    }
    struct flush_ctx fc = {.r = r, .now = gl_tstamp_now()};
    e->flush = on_flush;
    e->flush_arg = &fc;
    int rc = engine_stores(e, stores, names, n);
    if (!rc)
        rc = model_keys(e->m, GL_IDX_WORKLOAD, on_workload, r, r->err);
    if (!rc)
        rc = model_keys(e->m, GL_IDX_CREDENTIAL, on_credential, r, r->err);
    if (!rc)
        rc = model_keys(e->m, GL_IDX_TASK, count_task, r, r->err);
    e->flush = NULL;
    e->flush_arg = NULL;
    return rc;
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

void report_finish(struct report *r)
{
    for (size_t i = 0; i < r->n_controls; i++)
        if (r->controls[i].n_ev > 1)
            qsort(r->controls[i].ev, r->controls[i].n_ev, sizeof *r->controls[i].ev,
                  rep_finding_cmp);
    if (r->met.n_lags > 1)
        qsort(r->met.lags, r->met.n_lags, sizeof *r->met.lags, cmp_i64);
}

/* --- helpers for the writers --- */

enum rep_status rep_control_status(const struct report *r, const struct rep_control *c)
{
    if (!c->rules)
        return REP_NOT_ASSESSED;
    if (c->findings) /* GL-015 judges the store, whatever was analysed */
        return REP_FINDINGS;
    if (!r->events)
        return REP_NOT_ASSESSED;
    return c->suppressed ? REP_ACCEPTED : REP_NO_FINDINGS;
}

const char *rep_status_name(enum rep_status s)
{
    static const char *const names[] = {"findings", "no findings", "not assessed",
                                        "risk accepted"};
    return names[s];
}

bool rep_time_range(const struct report *r, int64_t *first, int64_t *last)
{
    bool any = false;
    for (size_t i = 0; i < r->n_stores; i++) {
        const struct gl_store_stats *s = &r->stores[i].st;
        if (!s->events)
            continue;
        if (!any || s->first_ts < *first)
            *first = s->first_ts;
        if (!any || s->last_ts > *last)
            *last = s->last_ts;
        any = true;
    }
    return any;
}

void rep_status_counts(const struct report *r, int fw, uint64_t out[REP__STATUS_COUNT])
{
    for (int s = 0; s < REP__STATUS_COUNT; s++)
        out[s] = 0;
    for (size_t i = 0; i < r->n_controls; i++)
        if (fw < 0 || r->controls[i].fw == fw)
            out[rep_control_status(r, &r->controls[i])]++;
}

uint64_t rep_stored_events(const struct report *r)
{
    uint64_t n = 0;
    for (size_t i = 0; i < r->n_stores; i++)
        n += r->stores[i].st.events;
    return n;
}

int rep_worst(const uint64_t sev[SEV__COUNT])
{
    for (int s = SEV__COUNT - 1; s >= 0; s--)
        if (sev[s])
            return s;
    return -1;
}

int rep_worst_rule(const struct rep_workload *w)
{
    int best = -1;
    for (int i = 0; gl_rules[i] && i < 32; i++) {
        if (w->rule_max[i] < 0)
            continue;
        if (best < 0 || w->rule_max[i] > w->rule_max[best] ||
            (w->rule_max[i] == w->rule_max[best] && w->rule_n[i] > w->rule_n[best]))
            best = i;
    }
    return best;
}

int64_t rep_lag_percentile(const struct report *r, int p)
{
    size_t n = r->met.n_lags;
    if (!n)
        return 0;
    size_t rank = (n * (size_t)p + 99) / 100; /* ceil(p/100 * n), 1-based */
    if (rank < 1)
        rank = 1;
    return r->met.lags[rank - 1];
}

const char *rep_dur(int64_t us, char out[32])
{
    if (us < 0)
        us = 0;
    int64_t s = us / 1000000;
    if (s >= 86400)
        snprintf(out, 32, "%lldd %lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
    else if (s >= 3600)
        snprintf(out, 32, "%lldh %lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else if (s >= 60)
        snprintf(out, 32, "%lldm %llds", (long long)(s / 60), (long long)(s % 60));
    else
        snprintf(out, 32, "%llds", (long long)s);
    return out;
}

const char *rep_ts(int64_t us, char out[32])
{
    if (us == INT64_MIN) {
        snprintf(out, 32, "-");
        return out;
    }
    return gl_tstamp_format(us, out);
}

const char *rep_pct(uint64_t a, uint64_t b, char out[16])
{
    if (!b)
        snprintf(out, 16, "-");
    else
        snprintf(out, 16, "%.1f%%", 100.0 * (double)a / (double)b);
    return out;
}

/* An NCName-like token as OSCAL's TokenDatatype wants (ASCII subset). */
static bool is_token(const char *s)
{
    if (!isalpha((unsigned char)*s) && *s != '_')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
            return false;
    return true;
}

bool rep_oscal_id(const struct rep_control *c, char *out, size_t n)
{
    if (strncmp(c->id, "NIST-800-53:", 12) != 0 || n < 2)
        return false;
    if (c->oscal_id && is_token(c->oscal_id) && strlen(c->oscal_id) < n) {
        strcpy(out, c->oscal_id);
        return true;
    }
    size_t o = 0;
    bool paren = false;
    for (const char *p = c->control; *p && o + 1 < n; p++) {
        if (paren && isalpha((unsigned char)*p))
            return false; /* "AC-2 (j)" names a statement, not a control */
        if (*p == '(' || *p == ')')
            paren = *p == '(';
        if (*p == '(')
            out[o++] = '.';
        else if (*p == ')' || *p == ' ')
            continue;
        else if (isalnum((unsigned char)*p) || *p == '-' || *p == '.')
            out[o++] = (char)tolower((unsigned char)*p);
        else
            return false;
    }
    out[o] = '\0';
    return o > 0 && is_token(out);
}

void rep_uuid(char out[37], const char *const *parts, size_t n)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (size_t i = 0; ok && i < n; i++)
        ok = (!i || EVP_DigestUpdate(ctx, "|", 1)) &&
             EVP_DigestUpdate(ctx, parts[i] ? parts[i] : "", parts[i] ? strlen(parts[i]) : 0);
    ok = ok && EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    if (!ok || len < 16)
        memset(md, 0, 16); /* still a well-formed UUID; never expected */
    /* version 5 layout (name-based), variant RFC 4122, from SHA-256 instead
     * of SHA-1: stable for the same inputs, as OSCAL wants per subject */
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
    static const char hexd[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hexd[md[i] >> 4];
        out[o++] = hexd[md[i] & 15];
    }
    out[o] = '\0';
}

const char *rep_policy_text(const struct report *r, char *out, size_t n)
{
    char d[6][32];
    snprintf(out, n,
             "unused_window %s, linger_grace %s, max_ttl %s, max_age %s, remediation_sla %s, "
             "deny burst %d in %s",
             rep_dur(r->pol->unused_window, d[0]), rep_dur(r->pol->linger_grace, d[1]),
             rep_dur(r->pol->max_ttl, d[2]), rep_dur(r->pol->max_age, d[3]),
             rep_dur(r->pol->remediation_sla, d[4]), r->pol->deny_burst_count,
             rep_dur(r->pol->deny_burst_window, d[5]));
    return out;
}

void rep_json_str(FILE *f, const char *s)
{
    gl_json_write_str(f, s, GL_NUL_TERMINATED);
}

void rep_html(FILE *f, const char *s)
{
    gl_html_write(f, s);
}

void rep_md(FILE *f, const char *s)
{
    /* names and details come from events (attacker-influenced): they must
     * not open links (also GFM's bare-URL autolinks), HTML, entities or
     * emphasis, nor break a table row */
    const char *start = s;
    for (; s && *s; s++) {
        bool esc = strchr("\\`*_[]<>|~#&", *s) != NULL;
        esc |= *s == ':' && s[1] == '/' && s[2] == '/';
        esc |= *s == '.' && s - start >= 3 && strncasecmp(s - 3, "www", 3) == 0;
        if (esc)
            fputc('\\', f);
        fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
    }
}
