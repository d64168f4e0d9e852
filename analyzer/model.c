/* Loading events from one or several stores into per-workload (or
 * per-credential) lists; cross-workload lookups; glob matching. */
#include "model.h"

#include "grantline/glob.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- loading --- */

struct load_ctx {
    struct model *m;
    struct gl_arena *a;
    struct evlist *out;
    size_t store;
    struct gl_error *err;
};

static const char *dupv(struct gl_arena *a, struct gl_str s)
{
    return s.ptr ? gl_arena_strndup(a, s.ptr, s.len) : NULL;
}

static struct perm *dup_perms(struct gl_arena *a, const struct gl_perm *p, size_t n)
{
    if (!n)
        return NULL;
    struct perm *out = gl_arena_alloc(a, n * sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        out[i].action = dupv(a, p[i].action);
        out[i].resource = dupv(a, p[i].resource);
    }
    return out;
}

static int push(struct evlist *l, const struct ev *e)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        struct ev *v = realloc(l->v, nc * sizeof *v);
        if (!v)
            return GL_ERR_NOMEM;
        l->v = v;
        l->cap = nc;
    }
    l->v[l->n++] = *e;
    return GL_OK;
}

static int on_event(uint64_t seq, const void *rec, size_t len, void *arg)
{
    struct load_ctx *c = arg;
    struct gl_event ev;
    int rc = gl_decoder_view_stored(c->m->dec, rec, len, &ev, c->err);
    if (rc)
        return gl_error_prefix(c->err, "stored event %llu", (unsigned long long)seq);
    if (ev.ts > c->m->horizon)
        return 0;
    struct gl_arena *a = c->a;
    struct ev e = {
        .id = dupv(a, ev.id),
        .ts = ev.ts,
        .order = (uint64_t)c->store << 48 | seq,
        .type = ev.type,
        .workload = dupv(a, ev.workload),
        .task = dupv(a, ev.task),
        .actor = dupv(a, ev.actor),
        .source = dupv(a, ev.source),
        .cred = dupv(a, ev.cred_id),
        .previous = dupv(a, ev.previous),
        .grant_id = dupv(a, ev.grant_id),
        .delegate = dupv(a, ev.delegate),
        .authority = dupv(a, ev.authority),
        .has_cred_expires = ev.has_cred_expires,
        .cred_expires = ev.cred_expires,
        .has_expires = ev.has_expires,
        .expires = ev.expires,
        .perms = dup_perms(a, ev.perms, ev.n_perms),
        .n_perms = (int)ev.n_perms,
        .scope = dup_perms(a, ev.scope, ev.n_scope),
        .n_scope = (int)ev.n_scope,
        .has_scope = ev.has_scope,
        .decision = ev.decision,
        .status = ev.status,
    };
    if (!e.id || !e.workload)
        return gl_error_set(c->err, GL_ERR_NOMEM, 0, "out of memory");
    return push(c->out, &e) ? gl_error_set(c->err, GL_ERR_NOMEM, 0, "out of memory") : 0;
}

static int cmp_time(const void *x, const void *y)
{
    const struct ev *a = x, *b = y;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int cmp_id_then_time(const void *x, const void *y)
{
    const struct ev *a = x, *b = y;
    int c = strcmp(a->id, b->id);
    return c ? c : cmp_time(x, y);
}

int model_load(struct model *m, enum gl_store_index idx, const char *key, struct gl_arena *a,
               struct evlist *out, struct gl_error *err)
{
    out->n = 0;
    for (size_t i = 0; i < m->n_stores; i++) {
        struct load_ctx c = {m, a, out, i, err};
        int rc = gl_store_scan_index(m->stores[i], idx, key, strlen(key), INT64_MIN, m->horizon,
                                     on_event, &c, err);
        if (rc)
            return rc;
    }
    if (m->n_stores > 1 && out->n > 1) {
        /* the same event may sit in two stores (a partition that moved) */
        qsort(out->v, out->n, sizeof *out->v, cmp_id_then_time);
        size_t w = 0;
        for (size_t r = 0; r < out->n; r++)
            if (w == 0 || strcmp(out->v[w - 1].id, out->v[r].id) != 0)
                out->v[w++] = out->v[r];
        out->n = w;
    }
    /* one store's index already yields (ts, seq) order: check, don't sort */
    bool sorted = true;
    for (size_t i = 1; i < out->n && sorted; i++)
        sorted = cmp_time(&out->v[i - 1], &out->v[i]) < 0;
    if (!sorted)
        qsort(out->v, out->n, sizeof *out->v, cmp_time);
    return GL_OK;
}

/* FNV-1a, never 0 (0 stands for an absent name) */
static uint32_t name_hash(const char *s)
{
    if (!s)
        return 0;
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h | 1;
}

void model_set_local(struct model *m, const struct evlist *evs)
{
    m->local = evs;
    m->local_hashed = 0;
    m->local_indexed = false;
}

/* Hashes of the local events' names, made on first use for a workload: a
 * workload asks for each of its tasks and credentials, and comparing
 * hashes first spares a string comparison per event and question. */
static int local_hashes(struct model *m)
{
    const struct evlist *l = m->local;
    if (m->local_hashed == l->n)
        return GL_OK;
    if (m->local_hash_cap < 3 * l->n) {
        uint32_t *h = realloc(m->local_hash, 3 * l->n * sizeof *h);
        if (!h)
            return GL_ERR_NOMEM;
        m->local_hash = h;
        m->local_hash_cap = 3 * l->n;
    }
    for (size_t i = 0; i < l->n; i++) {
        m->local_hash[3 * i] = name_hash(l->v[i].task);
        m->local_hash[3 * i + 1] = name_hash(l->v[i].cred);
        m->local_hash[3 * i + 2] = name_hash(l->v[i].previous);
    }
    m->local_hashed = l->n;
    return GL_OK;
}

struct local_ref {
    uint32_t h, i;
};

static int cmp_ref(const void *x, const void *y)
{
    const struct local_ref *a = x, *b = y;
    if (a->h != b->h)
        return a->h < b->h ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* Above this many events a workload's names are indexed (sorted hashes):
 * scanning every event for every task and credential grows with their
 * product, sorting once does not. */
#define LOCAL_INDEX_MIN 512

static int local_index(struct model *m)
{
    if (m->local_indexed)
        return GL_OK;
    const struct evlist *l = m->local;
    for (int k = 0; k < 2; k++) {
        size_t need = k ? 2 * l->n : l->n;
        if (m->local_idx_cap[k] < need) {
            struct local_ref *r = realloc(m->local_idx[k], need * sizeof *r);
            if (!r)
                return GL_ERR_NOMEM;
            m->local_idx[k] = r;
            m->local_idx_cap[k] = need;
        }
        size_t n = 0;
        for (size_t i = 0; i < l->n; i++) {
            const uint32_t *h = &m->local_hash[3 * i];
            if (k == 0 && h[0])
                m->local_idx[0][n++] = (struct local_ref){h[0], (uint32_t)i};
            if (k == 1 && h[1])
                m->local_idx[1][n++] = (struct local_ref){h[1], (uint32_t)i};
            if (k == 1 && h[2] && h[2] != h[1])
                m->local_idx[1][n++] = (struct local_ref){h[2], (uint32_t)i};
        }
        qsort(m->local_idx[k], n, sizeof *m->local_idx[k], cmp_ref);
        m->local_idx_n[k] = n;
    }
    m->local_indexed = true;
    return GL_OK;
}

static bool names_key(const struct model *m, size_t i, enum gl_store_index idx, const char *key,
                      uint32_t kh)
{
    const struct ev *e = &m->local->v[i];
    const uint32_t *h = &m->local_hash[3 * i];
    if (idx == GL_IDX_TASK)
        return h[0] == kh && strcmp(e->task, key) == 0;
    return (h[1] == kh && strcmp(e->cred, key) == 0) ||
           (h[2] == kh && strcmp(e->previous, key) == 0);
}

int model_key_head(struct model *m, enum gl_store_index idx, const char *key,
                   struct key_head *h, struct gl_error *err)
{
    *h = (struct key_head){0, 0, INT64_MAX};
    for (size_t i = 0; i < m->n_stores; i++) {
        uint64_t n = 0, seq = 0;
        int64_t ts = 0;
        int rc = gl_store_index_head(m->stores[i], idx, key, strlen(key), &n, &ts, &seq, err);
        if (rc)
            return rc;
        h->count += n;
        /* ties go to the lower store, whose copy model_load keeps */
        if (n && (h->first_order == 0 || ts < h->first_ts)) {
            h->first_ts = ts;
            h->first_order = (uint64_t)i << 48 | seq;
        }
    }
    return GL_OK;
}

/* Pushes the local events naming 'key' until more than 'limit' are found;
 * returns false then (not all of the key's events can be local). */
static int local_matches(struct model *m, enum gl_store_index idx, const char *key,
                         uint64_t limit, struct evlist *out, bool *all)
{
    uint32_t kh = name_hash(key);
    *all = true;
    const struct evlist *l = m->local;
    if (l->n < LOCAL_INDEX_MIN) {
        for (size_t i = 0; i < l->n; i++) {
            if (!names_key(m, i, idx, key, kh))
                continue;
            if (out->n == limit) {
                *all = false;
                return GL_OK;
            }
            if (push(out, &l->v[i]))
                return GL_ERR_NOMEM;
        }
        return GL_OK;
    }
    if (local_index(m))
        return GL_ERR_NOMEM;
    int k = idx == GL_IDX_TASK ? 0 : 1;
    const struct local_ref *r = m->local_idx[k];
    size_t lo = 0, hi = m->local_idx_n[k];
    while (lo < hi) { /* first entry with this hash */
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid].h < kh)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint32_t last = UINT32_MAX;
    for (size_t j = lo; j < m->local_idx_n[k] && r[j].h == kh; j++) {
        if (r[j].i == last || !names_key(m, r[j].i, idx, key, kh))
            continue;
        last = r[j].i;
        if (out->n == limit) {
            *all = false;
            return GL_OK;
        }
        if (push(out, &l->v[r[j].i]))
            return GL_ERR_NOMEM;
    }
    return GL_OK;
}

int model_key_events(struct model *m, enum gl_store_index idx, const char *key,
                     const struct key_head *h, struct gl_arena *a, struct evlist *out,
                     struct gl_error *err)
{
    out->n = 0;
    if (m->local) {
        bool all;
        if (local_hashes(m) || local_matches(m, idx, key, h->count, out, &all))
            return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
        if (all && out->n == h->count)
            return GL_OK;
        out->n = 0;
    }
    return model_load(m, idx, key, a, out, err);
}

const struct ev *model_find_event(const struct evlist *evs, int64_t ts, uint64_t order)
{
    size_t lo = 0, hi = evs->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (evs->v[mid].ts < ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < evs->n && evs->v[i].ts == ts; i++)
        if (evs->v[i].order == order)
            return &evs->v[i];
    return NULL;
}

const char *model_full_name(const struct evlist *evs, enum gl_store_index idx, const char *key)
{
    if (strlen(key) < GL_STORE_INDEX_NAME_MAX)
        return key;
    char form[GL_STORE_INDEX_NAME_MAX];
    for (size_t i = 0; i < evs->n; i++) {
        const struct ev *e = &evs->v[i];
        const char *cands[2] = {idx == GL_IDX_WORKLOAD ? e->workload : idx == GL_IDX_TASK ? e->task
                                                                                       : e->cred,
                                idx == GL_IDX_WORKLOAD ? e->delegate
                                : idx == GL_IDX_CREDENTIAL ? e->previous
                                                           : NULL};
        for (int k = 0; k < 2; k++) {
            if (!cands[k])
                continue;
            size_t n = gl_store_index_name(cands[k], strlen(cands[k]), form);
            if (n == strlen(key) && memcmp(form, key, n) == 0)
                return cands[k];
        }
    }
    return key;
}

/* --- keys across stores --- */

struct keys_ctx {
    char **v;
    size_t n, cap;
};

static int collect_key(const char *key, size_t len, uint64_t count, void *arg)
{
    (void)count;
    struct keys_ctx *k = arg;
    if (k->n == k->cap) {
        size_t nc = k->cap ? k->cap * 2 : 256;
        char **v = realloc(k->v, nc * sizeof *v);
        if (!v)
            return GL_ERR_NOMEM;
        k->v = v;
        k->cap = nc;
    }
    k->v[k->n] = strndup(key, len);
    if (!k->v[k->n])
        return GL_ERR_NOMEM;
    k->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int model_key_list(struct model *m, enum gl_store_index idx, char ***keys, size_t *n,
                   struct gl_error *err)
{
    struct keys_ctx k = {0};
    int rc = GL_OK;
    for (size_t i = 0; i < m->n_stores && !rc; i++)
        rc = gl_store_scan_keys(m->stores[i], idx, collect_key, &k, err);
    if (rc == GL_ERR_NOMEM)
        gl_error_set(err, rc, 0, "out of memory");
    if (!rc && m->n_stores > 1 && k.n) {
        /* one store lists keys in order already; several need a merge */
        qsort(k.v, k.n, sizeof *k.v, cmp_str);
        size_t w = 0;
        for (size_t i = 0; i < k.n; i++) {
            if (w && strcmp(k.v[w - 1], k.v[i]) == 0)
                free(k.v[i]);
            else
                k.v[w++] = k.v[i];
        }
        k.n = w;
    }
    if (rc) {
        model_key_list_free(k.v, k.n);
        k.v = NULL;
        k.n = 0;
    }
    *keys = k.v;
    *n = k.n;
    return rc;
}

void model_key_list_free(char **keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
}

int model_keys(struct model *m, enum gl_store_index idx, model_key_fn fn, void *arg,
               struct gl_error *err)
{
    char **keys;
    size_t n;
    int rc = model_key_list(m, idx, &keys, &n, err);
    for (size_t i = 0; i < n && !rc; i++)
        rc = fn(keys[i], strlen(keys[i]), arg);
    model_key_list_free(keys, n);
    return rc;
}

/* --- model --- */

int model_init(struct model *m, struct gl_store **stores, size_t n, int64_t at, bool has_at,
               struct gl_error *err)
{
    memset(m, 0, sizeof *m);
    m->stores = stores;
    m->n_stores = n;
    m->dec = gl_decoder_new();
    m->lookup = gl_arena_new();
    if (!m->dec || !m->lookup)
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    if (has_at) {
        m->horizon = at;
        return GL_OK;
    }
    m->horizon = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        struct gl_store_stats s;
        int rc = gl_store_stats(stores[i], &s, err);
        if (rc)
            return rc;
        if (s.events && s.last_ts > m->horizon)
            m->horizon = s.last_ts;
    }
    return GL_OK;
}

void model_reset_cache(struct model *m)
{
    m->n_creds = 0;
    m->n_tasks = 0;
    gl_arena_reset(m->lookup);
}

void model_free(struct model *m)
{
    gl_decoder_free(m->dec);
    gl_arena_free(m->lookup);
    free(m->creds);
    free(m->tasks);
    free(m->local_hash);
    free(m->local_idx[0]);
    free(m->local_idx[1]);
}

static const struct cred_life never_issued = {.retired = INT64_MAX};

static bool issues_cred(const struct ev *e, const char *id)
{
    return (e->type == GL_EV_IDENTITY_ISSUED || e->type == GL_EV_CREDENTIAL_ROTATED) && e->cred &&
           strcmp(e->cred, id) == 0;
}

int model_cred_from_events(struct cred_info *c, const char *id, const struct evlist *evs,
                           struct gl_arena *a, struct gl_error *err)
{
    memset(c, 0, sizeof *c);
    c->id = id;
    c->cur = &never_issued;
    c->unissued_retired = INT64_MAX;
    size_t n_issues = 0;
    for (size_t i = 0; i < evs->n; i++)
        n_issues += issues_cred(&evs->v[i], id);
    struct cred_life *lives = NULL, *l = NULL;
    if (n_issues) {
        lives = gl_arena_alloc(a, n_issues * sizeof *lives);
        if (!lives)
            return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    }
    for (size_t i = 0; i < evs->n; i++) {
        const struct ev *e = &evs->v[i];
        bool issues = issues_cred(e, id);
        /* the first issue, or an issue after the life before retired (at the
         * same instant: after the retiring event by arrival, or at the expiry) */
        if (issues && (!l || e->ts > l->retired ||
                       (e->ts == l->retired && (l->retire_order == 0 || e->order >= l->retire_order)))) {
            l = &lives[c->n_lives++];
            memset(l, 0, sizeof *l);
            l->owner = e->workload;
            l->task = e->task;
            l->issued = e->ts;
            l->issue_order = e->order;
            l->issue_event = e->id;
            l->issue_authority = e->authority;
            l->has_expires = e->has_cred_expires;
            l->expires = e->cred_expires;
            l->longest = e->cred_expires;
            l->retired = INT64_MAX;
            if (l->has_expires) {
                l->retired = e->cred_expires;
                l->retired_how = "expired";
            }
            continue;
        }
        if (!l) {
            bool out = (e->type == GL_EV_CREDENTIAL_REVOKED && e->cred && strcmp(e->cred, id) == 0) ||
                       (e->type == GL_EV_CREDENTIAL_ROTATED && e->previous &&
                        strcmp(e->previous, id) == 0);
            if (out && c->unissued_retired == INT64_MAX) {
                c->unissued_retired = e->ts;
                c->unissued_retire_order = e->order + 1;
                c->unissued_retire_event = e->id;
            }
            continue;
        }
        if (e->ts >= l->retired)
            continue;
        /* a renewal: its owner issuing it again while it is active, with an
         * expiry still ahead (Vault's renew-self, which may also shorten
         * it), moves the expiry there; any other repeated issue changes
         * nothing */
        if (issues) {
            if (l->has_expires && e->has_cred_expires && e->cred_expires > e->ts &&
                e->workload && l->owner && strcmp(e->workload, l->owner) == 0) {
                l->expires = e->cred_expires;
                l->retired = e->cred_expires;
                if (e->cred_expires > l->longest) /* a shorter renewal hides no lifetime */
                    l->longest = e->cred_expires;
            }
            continue;
        }
        /* a retirement counts from the issue on (a revoke before it is noise) */
        bool revoked = e->type == GL_EV_CREDENTIAL_REVOKED && e->cred && strcmp(e->cred, id) == 0;
        bool rotated_out = e->type == GL_EV_CREDENTIAL_ROTATED && e->previous &&
                           strcmp(e->previous, id) == 0;
        if (revoked || rotated_out) {
            l->retired = e->ts;
            l->retire_order = e->order + 1;
            l->retired_how = revoked ? "revoked" : "rotated";
            l->retire_event = e->id;
        }
    }
    for (size_t k = 0; k < c->n_lives; k++)
        if (lives[k].has_expires && lives[k].retired == lives[k].expires)
            lives[k].retire_event = NULL;
    if (c->n_lives) {
        c->known = true;
        c->lives = lives;
        c->cur = &lives[c->n_lives - 1];
    }
    return GL_OK;
}

const struct cred_life *cred_life_at(const struct cred_info *ci, const struct ev *e)
{
    /* lives are few: a scan from the last */
    for (size_t k = ci->n_lives; k-- > 1;) {
        const struct cred_life *l = &ci->lives[k];
        if (l->issued < e->ts || (l->issued == e->ts && l->issue_order <= e->order))
            return l;
    }
    return ci->n_lives ? &ci->lives[0] : ci->cur;
}

struct unattributed_ctx {
    struct model *m;
    const char *workload, *authority;
    bool found;
    struct gl_error *err;
};

static int on_unattributed(uint64_t seq, const void *rec, size_t len, void *arg)
{
    struct unattributed_ctx *c = arg;
    struct gl_event ev;
    if (gl_decoder_view_stored(c->m->dec, rec, len, &ev, c->err))
        return gl_error_prefix(c->err, "stored event %llu", (unsigned long long)seq);
    if (ev.type != GL_EV_ACTION_PERFORMED || !ev.authority.ptr || ev.cred_id.ptr ||
        ev.authority.len != strlen(c->authority) ||
        memcmp(ev.authority.ptr, c->authority, ev.authority.len) != 0 ||
        ev.workload.len != strlen(c->workload) ||
        memcmp(ev.workload.ptr, c->workload, ev.workload.len) != 0)
        return GL_OK;
    c->found = true;
    return 1; /* enough: stops the scan */
}

int model_unattributed_use(struct model *m, const char *workload, const char *authority,
                           int64_t from, int64_t to, bool *found, struct gl_error *err)
{
    struct unattributed_ctx c = {m, workload, authority, false, err};
    if (to > m->horizon)
        to = m->horizon;
    for (size_t i = 0; i < m->n_stores && !c.found; i++) {
        int rc = gl_store_scan_index(m->stores[i], GL_IDX_WORKLOAD, workload, strlen(workload),
                                     from, to, on_unattributed, &c, err);
        if (rc < 0)
            return rc;
    }
    *found = c.found;
    return GL_OK;
}

bool authority_binds(const struct cred_info *ci, const struct ev *e)
{
    if (!e->authority)
        return false;
    if (!ci)
        return true;
    return !ci->known && !(e->ts > ci->unissued_retired ||
                           (e->ts == ci->unissued_retired && e->order >= ci->unissued_retire_order));
}

const struct ev *cred_exposure(const struct cred_info *ci, const struct evlist *evs, int64_t sla,
                               int64_t H, const struct cred_life **life)
{
    const struct ev *first = NULL;
    const struct cred_life *first_life = NULL, *judged = NULL;
    for (size_t i = 0; i < evs->n; i++) {
        const struct ev *e = &evs->v[i];
        if (e->type != GL_EV_CREDENTIAL_EXPOSED || !e->cred || strcmp(e->cred, ci->id) != 0)
            continue;
        const struct cred_life *l = cred_life_at(ci, e);
        if (l == judged || cred_retired_at(ci, e))
            continue; /* a later exposure of a life already judged, or of none */
        judged = l;
        if (!first) {
            first = e;
            first_life = l;
        }
        int64_t until = l->retired < H ? l->retired : H;
        if (until - e->ts > sla) {
            *life = l;
            return e;
        }
    }
    *life = first_life;
    return first;
}

bool cred_retired_at(const struct cred_info *ci, const struct ev *e)
{
    const struct cred_life *l = cred_life_at(ci, e);
    return e->ts > l->retired ||
           (e->ts == l->retired && (l->retire_order == 0 || e->order >= l->retire_order));
}

const struct cred_info *model_cred(struct model *m, const char *id, struct gl_error *err)
{
    for (size_t i = 0; i < m->n_creds; i++)
        if (strcmp(m->creds[i].id, id) == 0)
            return &m->creds[i];
    if (m->n_creds == m->cap_creds) {
        size_t nc = m->cap_creds ? m->cap_creds * 2 : 64;
        struct cred_info *v = realloc(m->creds, nc * sizeof *v);
        if (!v) {
            gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
            return NULL;
        }
        m->creds = v;
        m->cap_creds = nc;
    }
    struct evlist evs = {0};
    struct key_head head;
    const char *kid = gl_arena_strndup(m->lookup, id, strlen(id));
    if (!kid || model_key_head(m, GL_IDX_CREDENTIAL, id, &head, err) ||
        model_key_events(m, GL_IDX_CREDENTIAL, id, &head, m->lookup, &evs, err)) {
        free(evs.v);
        return NULL;
    }
    struct cred_info *c = &m->creds[m->n_creds];
    int rc = model_cred_from_events(c, kid, &evs, m->lookup, err);
    free(evs.v);
    if (rc)
        return NULL;
    m->n_creds++;
    return c;
}

const struct task_info *model_task(struct model *m, const char *id, struct gl_error *err)
{
    for (size_t i = 0; i < m->n_tasks; i++)
        if (strcmp(m->tasks[i].id, id) == 0)
            return &m->tasks[i];
    if (m->n_tasks == m->cap_tasks) {
        size_t nc = m->cap_tasks ? m->cap_tasks * 2 : 64;
        struct task_info *v = realloc(m->tasks, nc * sizeof *v);
        if (!v) {
            gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
            return NULL;
        }
        m->tasks = v;
        m->cap_tasks = nc;
    }
    struct evlist evs = {0};
    struct key_head head;
    const char *kid = gl_arena_strndup(m->lookup, id, strlen(id));
    if (!kid || model_key_head(m, GL_IDX_TASK, id, &head, err) ||
        model_key_events(m, GL_IDX_TASK, id, &head, m->lookup, &evs, err)) {
        free(evs.v);
        return NULL;
    }
    struct task_info *t = &m->tasks[m->n_tasks++];
    memset(t, 0, sizeof *t);
    t->id = kid;
    for (size_t i = 0; i < evs.n; i++) {
        const struct ev *e = &evs.v[i];
        if (e->type == GL_EV_TASK_STARTED && !t->started) {
            t->started = true;
            t->start = e->ts;
            t->workload = e->workload;
            t->scope = e->scope;
            t->n_scope = e->n_scope;
            t->has_scope = e->has_scope;
        } else if (e->type == GL_EV_TASK_COMPLETED && !t->completed) {
            t->completed = true;
            t->end = e->ts;
            t->end_event = e->id;
        }
    }
    free(evs.v);
    return t;
}

/* --- patterns --- */

bool glob_match(const char *p, const char *t)
{
    return gl_glob_match(p, t, strlen(t));
}

bool perm_within(const struct perm *p, const struct perm *q)
{
    return glob_match(q->action, p->action) &&
           glob_match(q->resource ? q->resource : "*", p->resource ? p->resource : "*");
}

bool perm_covers(const struct perm *grant, const struct perm *action)
{
    return glob_match(grant->action, action->action) &&
           glob_match(grant->resource ? grant->resource : "*",
                      action->resource ? action->resource : "");
}

size_t model_warn_mixed_keys(struct gl_store *const *stores, const char *const *dirs, size_t n)
{
    size_t differ = 0, ref = n;
    unsigned char a[GL_STORE_KEY_ID_LEN], b[GL_STORE_KEY_ID_LEN];
    /* stores filled before key ids were recorded cannot be told apart: the
     * first store with an id is the reference */
    for (size_t i = 0; i < n && ref == n; i++)
        if (gl_store_redact_key_id(stores[i], a))
            ref = i;
    for (size_t i = ref + 1; i < n; i++) {
        if (!gl_store_redact_key_id(stores[i], b) || memcmp(a, b, sizeof a) == 0)
            continue;
        differ++;
        fprintf(stderr,
                "grantline-analyzer: warning: stores %s and %s were filled under different "
                "redaction keys: a redacted key id does not match across them, so a credential "
                "issued in one does not link to its uses in the other; collect every store of "
                "one analysis with the same --redact-key-file\n",
                dirs[ref], dirs[i]);
    }
    return differ;
}
