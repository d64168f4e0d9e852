/* The rule engine (see engine.h). */
#include "engine.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *keep(struct gl_arena *a, const char *s)
{
    return s ? gl_arena_strndup(a, s, strlen(s)) : NULL;
}

/* The key that identifies a finding (DESIGN.md §3.1, end). */
static const char *finding_key(const struct finding *f)
{
    if (f->grant)
        return f->grant;
    const char *id = gl_rules[f->rule]->id;
    bool action_rule = !strcmp(id, "GL-009") || !strcmp(id, "GL-011") || !strcmp(id, "GL-012") ||
                       !strcmp(id, "GL-013") || !strcmp(id, "GL-014") || !strcmp(id, "GL-015");
    if (!action_rule && f->credential)
        return f->credential;
    return f->n_evidence ? f->evidence[0] : "";
}

static int collect(struct rule_ctx *c, const struct finding *f)
{
    struct sink *s = c->sink;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 256;
        struct out_finding *v = realloc(s->v, nc * sizeof *v);
        if (!v)
            return gl_error_set(c->err, GL_ERR_NOMEM, 0, "out of memory");
        s->v = v;
        s->cap = nc;
    }
    struct out_finding *o = &s->v[s->n];
    o->f = *f;
    o->f.workload = keep(s->a, f->workload);
    o->f.task = keep(s->a, f->task);
    o->f.credential = keep(s->a, f->credential);
    o->f.grant = keep(s->a, f->grant);
    for (int i = 0; i < f->n_evidence; i++)
        o->f.evidence[i] = keep(s->a, f->evidence[i]);
    o->key = finding_key(&o->f);
    /* stable across runs: a hash of the rule and its key; the digest is
     * fetched once (OpenSSL 3 takes a lock per implicit fetch) */
    unsigned char md[32];
    if (!s->sha256)
        s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!s->ctx)
        s->ctx = EVP_MD_CTX_new();
    const char *rid = gl_rules[f->rule]->id;
    int ok = s->sha256 && s->ctx && EVP_DigestInit_ex(s->ctx, s->sha256, NULL) &&
             EVP_DigestUpdate(s->ctx, rid, strlen(rid)) && EVP_DigestUpdate(s->ctx, "|", 1) &&
             EVP_DigestUpdate(s->ctx, o->key, strlen(o->key)) &&
             EVP_DigestFinal_ex(s->ctx, md, NULL);
    if (!ok)
        return gl_error_set(c->err, GL_ERR_NOMEM, 0, "sha256 failed");
    for (int i = 0; i < 16; i++)
        snprintf(o->id + 2 * i, 3, "%02x", md[i]);
    s->n++;
    return GL_OK;
}

static int cmp_findings(const void *x, const void *y)
{
    const struct out_finding *a = x, *b = y;
    int64_t ta = a->f.has_first ? a->f.first_seen : INT64_MIN;
    int64_t tb = b->f.has_first ? b->f.first_seen : INT64_MIN;
    if (ta != tb)
        return ta < tb ? -1 : 1;
    if (a->f.rule != b->f.rule)
        return a->f.rule - b->f.rule;
    return strcmp(a->key, b->key);
}

int engine_init(struct engine *e, struct model *m, const struct policy *pol, const bool *enabled,
                struct gl_error *err)
{
    memset(e, 0, sizeof *e);
    e->m = m;
    e->enabled = enabled;
    e->err = err;
    e->a = gl_arena_new();
    e->sink.a = gl_arena_new();
    e->c = (struct rule_ctx){.m = m, .pol = pol, .emit = collect, .sink = &e->sink, .err = err};
    if (!e->a || !e->sink.a)
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    return GL_OK;
}

void engine_free(struct engine *e)
{
    if (e->checks) { /* an error path left them running: wait, drop their findings */
        e->flush = NULL;
        engine_stores_finish(e);
    }
    timeline_free(&e->w);
    gl_arena_free(e->a);
    gl_arena_free(e->sink.a);
    free(e->sink.v);
    EVP_MD_CTX_free(e->sink.ctx);
    EVP_MD_free(e->sink.sha256);
    memset(e, 0, sizeof *e);
}

/* The store rules (GL-015) with 'c' (the engine's context, or the checks
 * thread's own). */
static int store_rules(const bool *enabled, struct rule_ctx *c, struct gl_store **stores,
                       const char *const *names, size_t n)
{
    int rc = GL_OK;
    for (size_t i = 0; !rc && gl_rules[i]; i++) {
        if (!enabled[i] || !gl_rules[i]->on_store)
            continue;
        c->rule = (int)i;
        for (size_t s = 0; !rc && s < n; s++)
            rc = gl_rules[i]->on_store(c, stores[s], names[s]);
    }
    return rc;
}

int engine_stores(struct engine *e, struct gl_store **stores, const char *const *names, size_t n)
{
    int rc = store_rules(e->enabled, &e->c, stores, names, n);
    return rc ? rc : engine_flush(e);
}

static int credential_rules(struct engine *e, struct cred *cr)
{
    int rc = GL_OK;
    for (size_t i = 0; !rc && gl_rules[i]; i++) {
        if (!e->enabled[i] || !gl_rules[i]->on_credential)
            continue;
        e->c.rule = (int)i;
        rc = gl_rules[i]->on_credential(&e->c, cr);
    }
    return rc;
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The credential rules for the credentials this workload owns: those whose
 * first event (in time, store, sequence order) is one of its own events.
 * Exactly one workload owns each credential that has an event before the
 * horizon, which is every credential the separate pass would report on. A
 * credential whose events all lie in this workload (the usual per-task
 * token) needs no index read at all. */
static int owned_credentials(struct engine *e, const struct wl *w)
{
    const struct evlist *evs = &w->evs;
    const char **names = malloc(2 * evs->n * sizeof *names + 1);
    if (!names)
        return gl_error_set(e->err, GL_ERR_NOMEM, 0, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < evs->n; i++) {
        if (evs->v[i].cred)
            names[n++] = evs->v[i].cred;
        if (evs->v[i].previous)
            names[n++] = evs->v[i].previous;
    }
    qsort(names, n, sizeof *names, cmp_cstr);
    int rc = GL_OK;
    struct cred cr = {0};
    for (size_t k = 0; k < n && !rc; k++) {
        if (k > 0 && strcmp(names[k - 1], names[k]) == 0)
            continue;
        struct key_head head;
        rc = model_key_head(e->m, GL_IDX_CREDENTIAL, names[k], &head, e->err);
        if (rc)
            break;
        const struct ev *owner =
            head.count ? model_find_event(evs, head.first_ts, head.first_order) : NULL;
        if (!e->creds_named && (!owner || strcmp(owner->workload, w->workload) != 0))
            continue;
        rc = model_key_events(e->m, GL_IDX_CREDENTIAL, names[k], &head, e->a, &cr.evs, e->err);
        if (rc)
            break;
        rc = model_cred_from_events(&cr.info, names[k], &cr.evs, e->a, e->err);
        if (!rc)
            rc = credential_rules(e, &cr);
    }
    free(cr.evs.v);
    free(names);
    return rc;
}

struct store_checks {
    pthread_t thread;
    struct engine *e;
    struct gl_store **stores;
    const char *const *names;
    size_t n;
    struct rule_ctx c; /* its own sink and error: nothing shared while it runs */
    struct sink sink;
    struct gl_error err;
    int rc;
};

static void *store_checks_run(void *arg)
{
    struct store_checks *sc = arg;
    sc->rc = store_rules(sc->e->enabled, &sc->c, sc->stores, sc->names, sc->n);
    for (size_t s = 0; s < sc->n; s++)
        gl_store_thread_done(sc->stores[s]);
    return NULL;
}

int engine_stores_start(struct engine *e, struct gl_store **stores, const char *const *names,
                        size_t n)
{
    struct store_checks *sc = calloc(1, sizeof *sc);
    if (!sc || !(sc->sink.a = gl_arena_new())) {
        free(sc);
        return gl_error_set(e->err, GL_ERR_NOMEM, 0, "out of memory");
    }
    sc->e = e;
    sc->stores = stores;
    sc->names = names;
    sc->n = n;
    sc->c = e->c;
    sc->c.sink = &sc->sink;
    sc->c.err = &sc->err;
    if (pthread_create(&sc->thread, NULL, store_checks_run, sc) != 0) {
        gl_arena_free(sc->sink.a);
        free(sc);
        return engine_stores(e, stores, names, n); /* no thread: run them here */
    }
    e->checks = sc;
    return GL_OK;
}

int engine_stores_finish(struct engine *e)
{
    struct store_checks *sc = e->checks;
    if (!sc)
        return GL_OK;
    pthread_join(sc->thread, NULL);
    e->checks = NULL;
    int rc = sc->rc;
    if (rc) {
        *e->err = sc->err;
    } else {
        /* flush the checks' findings through the engine's usual path */
        struct sink mine = e->sink;
        e->sink = sc->sink;
        rc = engine_flush(e);
        sc->sink = e->sink;
        e->sink = mine;
    }
    gl_arena_free(sc->sink.a);
    free(sc->sink.v);
    EVP_MD_CTX_free(sc->sink.ctx);
    EVP_MD_free(sc->sink.sha256);
    free(sc);
    return rc;
}

int engine_workload(struct engine *e, const char *workload)
{
    gl_arena_reset(e->a);
    model_reset_cache(e->m);
    int rc = timeline_build(e->m, workload, e->a, &e->w, e->err);
    model_set_local(e->m, rc ? NULL : &e->w.evs);
    for (size_t i = 0; !rc && gl_rules[i]; i++) {
        if (!e->enabled[i] || !gl_rules[i]->on_workload)
            continue;
        e->c.rule = (int)i;
        rc = gl_rules[i]->on_workload(&e->c, &e->w);
    }
    if (!rc && e->merge_creds)
        rc = owned_credentials(e, &e->w);
    model_set_local(e->m, NULL);
    return rc ? rc : engine_flush(e);
}

int engine_credential(struct engine *e, const char *credential)
{
    gl_arena_reset(e->a);
    model_reset_cache(e->m);
    struct cred cr = {0};
    int rc = model_load(e->m, GL_IDX_CREDENTIAL, credential, e->a, &cr.evs, e->err);
    if (!rc) {
        rc = model_cred_from_events(&cr.info,
                                    model_full_name(&cr.evs, GL_IDX_CREDENTIAL, credential),
                                    &cr.evs, e->a, e->err);
        if (!rc)
            rc = credential_rules(e, &cr);
    }
    free(cr.evs.v);
    return rc ? rc : engine_flush(e);
}

int engine_workload_cb(const char *key, size_t len, void *arg)
{
    (void)len;
    return engine_workload(arg, key);
}

int engine_credential_cb(const char *key, size_t len, void *arg)
{
    (void)len;
    return engine_credential(arg, key);
}

void engine_sort(struct engine *e)
{
    if (e->sink.n)
        qsort(e->sink.v, e->sink.n, sizeof *e->sink.v, cmp_findings);
}

int engine_flush(struct engine *e)
{
    if ((!e->flush && !e->hold) || e->sink.n == e->sink.mark)
        return GL_OK;
    qsort(e->sink.v + e->sink.mark, e->sink.n - e->sink.mark, sizeof *e->sink.v, cmp_findings);
    if (e->hold) {
        e->sink.mark = e->sink.n;
        return GL_OK;
    }
    int rc = e->flush(e, e->flush_arg);
    e->sink.n = e->sink.mark = 0;
    gl_arena_reset(e->sink.a);
    return rc;
}

/* --- workloads on several threads --- */

/* Workers take chunks of consecutive workloads and keep each chunk's
 * findings (sorted per workload, as engine_flush would hand them out) in a
 * ring slot; whichever worker finds the next chunk in order ready prints it
 * through the caller's flush. Nobody waits for a slow chunk unless it is a
 * whole ring ahead, so memory stays bounded by RING chunks of findings. */
#define CHUNK 16
#define RING 8
/* every so many chunks (~50,000 events here) the store's pages are
 * unmapped, so the resident set does not grow with the store */
#define RELEASE_CHUNKS 32

struct slot {
    struct out_finding *v;
    size_t n, cap;
    struct gl_arena *a;
    bool ready;
};

struct pool {
    struct engine *e; /* the caller's: flush, policy, model to copy */
    char *const *keys;
    size_t n, next_chunk, turn;
    bool failed, printing;
    struct slot ring[RING];
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static void pool_fail(struct pool *p, const struct gl_error *err)
{
    pthread_mutex_lock(&p->mu);
    if (!p->failed) {
        p->failed = true;
        *p->e->err = *err;
        if (!p->e->err->code)
            p->e->err->code = GL_ERR_STORE;
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* Moves a worker's findings into slot c (an empty slot's array and arena go
 * back to the worker), then prints every chunk ready in order. Called and
 * returns with p->mu held. */
static int pool_deliver(struct pool *p, struct engine *w, size_t c)
{
    struct slot *sl = &p->ring[c % RING];
    struct slot give = {w->sink.v, w->sink.n, w->sink.cap, w->sink.a, true};
    w->sink.v = sl->v;
    w->sink.cap = sl->cap;
    w->sink.a = sl->a;
    w->sink.n = w->sink.mark = 0;
    *sl = give;
    int rc = GL_OK;
    while (!rc && !p->printing && !p->failed && p->ring[p->turn % RING].ready) {
        struct slot *out = &p->ring[p->turn % RING];
        p->printing = true;
        pthread_mutex_unlock(&p->mu);
        if (out->n && p->e->flush) {
            /* the flush reads e->sink only: hand it the slot in a shell */
            struct engine shell = *p->e;
            shell.sink.v = out->v;
            shell.sink.n = out->n;
            rc = p->e->flush(&shell, p->e->flush_arg);
        }
        out->n = 0;
        gl_arena_reset(out->a);
        if (p->turn % RELEASE_CHUNKS == RELEASE_CHUNKS - 1)
            for (size_t i = 0; i < p->e->m->n_stores; i++)
                gl_store_release_pages(p->e->m->stores[i]);
        pthread_mutex_lock(&p->mu);
        out->ready = false;
        p->turn++;
        p->printing = false;
        pthread_cond_broadcast(&p->cv);
    }
    return rc;
}

static void *pool_worker(void *arg)
{
    struct pool *p = arg;
    struct gl_error err = {0};
    struct model m = {0};
    struct engine w = {0};
    const struct model *pm = p->e->m;
    int rc = model_init(&m, pm->stores, pm->n_stores, pm->horizon, true, &err);
    if (!rc)
        rc = engine_init(&w, &m, p->e->c.pol, p->e->enabled, &err);
    w.hold = true;
    w.merge_creds = p->e->merge_creds;
    while (!rc) {
        pthread_mutex_lock(&p->mu);
        /* past the last chunk nobody waits: the turn will not move again */
        while (p->next_chunk * CHUNK < p->n && p->next_chunk >= p->turn + RING && !p->failed)
            pthread_cond_wait(&p->cv, &p->mu);
        size_t c = p->next_chunk++;
        bool stop = p->failed;
        pthread_mutex_unlock(&p->mu);
        if (stop || c * CHUNK >= p->n)
            break;
        for (size_t k = c * CHUNK; k < p->n && k < (c + 1) * CHUNK && !rc; k++)
            rc = engine_workload(&w, p->keys[k]);
        if (rc)
            break;
        pthread_mutex_lock(&p->mu);
        rc = pool_deliver(p, &w, c);
        pthread_mutex_unlock(&p->mu);
        if (rc)
            err = *p->e->err;
    }
    if (rc)
        pool_fail(p, &err);
    engine_free(&w);
    model_free(&m);
    for (size_t i = 0; i < pm->n_stores; i++)
        gl_store_thread_done(pm->stores[i]);
    return NULL;
}

int engine_workloads(struct engine *e, char *const *keys, size_t n, int jobs)
{
    if (jobs <= 1 || n <= CHUNK) {
        int rc = GL_OK;
        for (size_t i = 0; i < n && !rc; i++)
            rc = engine_workload(e, keys[i]);
        return rc;
    }
    struct pool p = {.e = e, .keys = keys, .n = n};
    for (int i = 0; i < RING; i++)
        if (!(p.ring[i].a = gl_arena_new()))
            p.failed = true;
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    pthread_t t[RING];
    int started = 0;
    if (jobs > RING) /* more workers than slots would only wait */
        jobs = RING;
    for (; started < jobs && !p.failed; started++)
        if (pthread_create(&t[started], NULL, pool_worker, &p) != 0)
            break;
    if (started == 0 && !p.failed)
        pool_worker(&p); /* no thread to be had: work here */
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < RING; i++) {
        gl_arena_free(p.ring[i].a);
        free(p.ring[i].v);
    }
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    if (p.failed && !e->err->code)
        gl_error_set(e->err, GL_ERR_NOMEM, 0, "out of memory");
    return p.failed ? e->err->code : GL_OK;
}
