/* The rule engine: runs the registered rules over the stores, workload by
 * workload and credential by credential, and keeps the findings (with their
 * stable ids) for the commands that print them. */
#ifndef GL_ANALYZER_ENGINE_H
#define GL_ANALYZER_ENGINE_H

#include "rules.h"

#include <openssl/evp.h>

struct out_finding {
    struct finding f;
    char id[33]; /* hex of SHA-256(rule "|" key), first 16 bytes */
    const char *key;
};

struct sink {
    struct out_finding *v;
    size_t n, cap;
    size_t mark; /* hold mode: findings before it are sorted groups */
    struct gl_arena *a;
    EVP_MD *sha256; /* finding ids: fetched once */
    EVP_MD_CTX *ctx;
};

struct engine {
    struct model *m;
    struct rule_ctx c;
    struct gl_arena *a; /* per workload or credential, reset between them */
    const bool *enabled;
    struct wl w;
    struct sink sink;
    struct gl_error *err;
    /* When set, called after each workload, credential and the store pass
     * with the findings found there (sorted); they are dropped afterwards,
     * so memory stays bounded however many findings there are. */
    int (*flush)(struct engine *e, void *arg);
    void *flush_arg;
    /* Run the credential rules inside the workload pass: each credential
     * with the workload of its first event (see engine_workload), so a
     * separate credential pass is not needed. Only for a pass over every
     * workload. */
    bool merge_creds;
    /* With merge_creds: every credential the workload names, owned or not
     * (a one-workload run: findings about it need no other workload) */
    bool creds_named;
    struct store_checks *checks; /* engine_stores_start .. _finish */
    bool hold; /* engine_flush sorts each group of findings and keeps them */
};

/* 'm', 'pol' and 'enabled' (per rule index) are borrowed. */
int engine_init(struct engine *e, struct model *m, const struct policy *pol, const bool *enabled,
                struct gl_error *err);
void engine_free(struct engine *e);
int engine_stores(struct engine *e, struct gl_store **stores, const char *const *names, size_t n);
/* The same store checks (GL-015: rehashing every event) on a second thread,
 * beside the workload pass: _finish waits for them and flushes their
 * findings. 'stores' and 'names' must outlive _finish. */
int engine_stores_start(struct engine *e, struct gl_store **stores, const char *const *names,
                        size_t n);
int engine_stores_finish(struct engine *e);
/* Runs the workload rules on one workload. Its timeline stays in e->w (and
 * its strings in e->a) until the next engine_workload or engine_credential
 * call, so a caller may read it right after. */
int engine_workload(struct engine *e, const char *workload);
int engine_credential(struct engine *e, const char *credential);
/* engine_workload for each of keys[0..n) on 'jobs' threads, each with a
 * model and engine of its own made like e's; findings reach e->flush in key
 * order, exactly as a loop over engine_workload would give them. */
int engine_workloads(struct engine *e, char *const *keys, size_t n, int jobs);
/* model_keys callbacks ('arg' is the engine) */
int engine_workload_cb(const char *key, size_t len, void *arg);
int engine_credential_cb(const char *key, size_t len, void *arg);
/* Orders the findings by first_seen, rule, key. */
void engine_sort(struct engine *e);
/* Sorts, hands the findings to e->flush and drops them (no-op without flush). */
int engine_flush(struct engine *e);

#endif
