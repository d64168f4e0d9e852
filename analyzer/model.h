/* The analyzer's view of the stores: events of one workload or one
 * credential, decoded into an arena, merged across stores, deduplicated by
 * id, cut at the horizon and ordered by (ts, arrival). Plus the lookups the
 * rules need across workloads (credential owner, task start and end), and
 * glob matching. Memory is bounded by one workload's (or credential's)
 * history: the analyzer streams workload by workload. */
#ifndef GL_ANALYZER_MODEL_H
#define GL_ANALYZER_MODEL_H

#include "grantline/arena.h"
#include "grantline/error.h"
#include "grantline/event.h"
#include "grantline/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- events --- */
struct perm {
    const char *action;
    const char *resource; /* NULL: absent */
};

struct ev {
    const char *id;
    int64_t ts;
    uint64_t order; /* arrival: store index << 48 | seq */
    enum gl_event_type type;
    const char *workload, *task, *actor, *source;
    const char *cred, *previous, *grant_id, *delegate;
    const char *authority; /* NULL: the stream holds its credentials and grants */
    bool has_cred_expires, has_expires;
    int64_t cred_expires, expires;
    const struct perm *perms;
    int n_perms;
    const struct perm *scope;
    int n_scope;
    bool has_scope;
    enum gl_decision decision;
    enum gl_status status;
};

struct evlist {
    struct ev *v;
    size_t n, cap;
};

/* The stores analyzed as one, and the horizon. Borrowed store handles. */
struct model {
    struct gl_store **stores;
    size_t n_stores;
    int64_t horizon;
    struct gl_decoder *dec;
    struct gl_arena *lookup; /* caches below live here */
    struct cred_info *creds;
    size_t n_creds, cap_creds;
    struct task_info *tasks;
    size_t n_tasks, cap_tasks;
    /* The workload being analyzed (set by the engine, may be NULL): a task
     * or credential whose events are all among these is read from here
     * instead of through its index. */
    const struct evlist *local;
    uint32_t *local_hash; /* per local event: hashes of task, credential, previous */
    size_t local_hashed, local_hash_cap;
    /* a large workload: (hash, event) pairs sorted, for tasks and for
     * credential/previous, so a lookup is a binary search, not a scan */
    struct local_ref *local_idx[2];
    size_t local_idx_n[2], local_idx_cap[2];
    bool local_indexed;
};

/* Sets (or clears, NULL) the workload whose events model_key_events may use. */
void model_set_local(struct model *m, const struct evlist *evs);

int model_init(struct model *m, struct gl_store **stores, size_t n, int64_t at, bool has_at,
               struct gl_error *err);
void model_free(struct model *m);
/* Drops the lookup caches: called between workloads so memory stays bounded
 * by one workload's neighbourhood, not by the store. */
void model_reset_cache(struct model *m);

/* Loads the events of one index key (workload, task or credential) from
 * every store into 'out' (reset first), copies in 'a'. Events after the
 * horizon are left out; the first event with an id wins. */
int model_load(struct model *m, enum gl_store_index idx, const char *key, struct gl_arena *a,
               struct evlist *out, struct gl_error *err);

/* The full name behind an index key: names longer than
 * GL_STORE_INDEX_NAME_MAX are keyed by a shortened form, so the rules take
 * the real name from the events themselves. Returns 'key' when it is the name. */
const char *model_full_name(const struct evlist *evs, enum gl_store_index idx, const char *key);

/* Calls fn for every distinct key of an index across all stores, each once,
 * in byte order. */
typedef int (*model_key_fn)(const char *key, size_t len, void *arg);
/* The same keys as a list (*keys owned by the caller: model_key_list_free). */
int model_key_list(struct model *m, enum gl_store_index idx, char ***keys, size_t *n,
                   struct gl_error *err);
void model_key_list_free(char **keys, size_t n);
int model_keys(struct model *m, enum gl_store_index idx, model_key_fn fn, void *arg,
               struct gl_error *err);

/* What the indexes say about one key, summed over the stores: how many
 * events name it and which is first (store<<48|seq in (ts, store, seq)
 * order; first_order 0 when the key is unknown). One descent per store. */
struct key_head {
    uint64_t count, first_order;
    int64_t first_ts;
};
int model_key_head(struct model *m, enum gl_store_index idx, const char *key,
                   struct key_head *h, struct gl_error *err);

/* The events of 'key' (full name) in index 'idx' (task or credential),
 * taken from m->local when the head says those are all of them, else
 * loaded like model_load. 'out' is reset first; its array is the caller's
 * to free, the events are borrowed from m->local or copied in 'a'. */
int model_key_events(struct model *m, enum gl_store_index idx, const char *key,
                     const struct key_head *h, struct gl_arena *a, struct evlist *out,
                     struct gl_error *err);

/* The event of 'evs' (in time order) with this ts and order, or NULL:
 * a binary search. */
const struct ev *model_find_event(const struct evlist *evs, int64_t ts, uint64_t order);

/* One life of a credential: from an issue to its retirement. A credential
 * issued again after it retired (a Kubernetes Secret deleted and created
 * again under its name, a console password removed and set again) starts a
 * new life; DESIGN.md §3.1 ignores every repeated issue (docs/rules.md, "a
 * credential issued again after it retired"). */
struct cred_life {
    const char *owner;      /* workload of the issuing event */
    const char *task;       /* task of the issuing event */
    const char *issue_event;
    /* the authority named by the issuing event: the system that verifies
     * this credential, whose log may not name it where it is used */
    const char *issue_authority;
    int64_t issued;
    uint64_t issue_order;  /* arrival of the issuing event */
    bool has_expires;
    int64_t expires;      /* now (a renewal moves it) */
    int64_t longest;      /* the latest expiry it ever had: its lifetime for GL-005 */
    int64_t retired;      /* INT64_MAX while active */
    uint64_t retire_order; /* arrival of the retiring event, plus 1; 0: its expiry */
    const char *retired_how; /* "revoked", "rotated", "expired" or NULL */
    const char *retire_event;
};

/* A credential as DESIGN.md §3.1 defines it. */
struct cred_info {
    const char *id;
    bool known;             /* issued at or before the horizon */
    /* its lives in time order (in the arena given to model_cred_from_events);
     * 'cur' is the last one, the state at the horizon; with no life (never
     * issued) it points to a life that never retires and has no owner */
    const struct cred_life *lives;
    size_t n_lives;
    const struct cred_life *cur;
    /* Never issued, but revoked or rotated out (a key made before the log
     * began, deactivated in it): the first such event. INT64_MAX: none. */
    int64_t unissued_retired;
    uint64_t unissued_retire_order;
    const char *unissued_retire_event;
};

/* The life of 'ci' in effect at event 'e': the last one issued at or before
 * it (ties by arrival), else the first. 'ci' must be known. */
const struct cred_life *cred_life_at(const struct cred_info *ci, const struct ev *e);

/* The exposure GL-010 judges among 'evs' (the credential's own events):
 * the first exposure of each life (an exposure after its life retired hit
 * nothing), the first whose remediation took longer than 'sla' as of the
 * horizon 'H', else the first; NULL when none hit a life. '*life' is the
 * life it hit. 'ci' must be known. */
const struct ev *cred_exposure(const struct cred_info *ci, const struct evlist *evs, int64_t sla,
                               int64_t H, const struct cred_life **life);

/* Whether 'e' comes at or after the retirement of the credential's life in
 * effect at 'e': later, or at the same instant and after the retiring event
 * by arrival (DESIGN.md §3.1, ties by arrival order: a key deleted with
 * itself was used, then retired), and before any later issue. */
bool cred_retired_at(const struct cred_info *ci, const struct ev *e);

/* Whether an authority bound action 'e' (its 'authority' verified the caller,
 * docs/rules.md): it names one, and its credential is absent, or never
 * issued and not retired before it in the stream. 'ci' is e's credential
 * (NULL: none). GL-011 and the report's bound actions read it alike. */
bool authority_binds(const struct cred_info *ci, const struct ev *e);

/* Whether 'workload' performed in [from, to] an action that 'authority'
 * bound without naming any credential (a Kubernetes service account's
 * request before 1.29, an AWS console sign-in): a use of a credential that
 * authority verifies, which its log does not attribute. Reads only that
 * stretch of the workload's index. */
int model_unattributed_use(struct model *m, const char *workload, const char *authority,
                           int64_t from, int64_t to, bool *found, struct gl_error *err);

/* Warns on stderr, once per pair, when stores were filled under different
 * redaction keys: a secret's marker (an AWS key id, redacted) then differs
 * between them, so a credential issued in one does not link to its uses in
 * the other (a GL-009 or GL-011 can vanish, "never issued" appears).
 * Stores filled before key ids were recorded are not compared. Returns the
 * number of stores whose key differs from the first one with an id. */
size_t model_warn_mixed_keys(struct gl_store *const *stores, const char *const *dirs, size_t n);

/* Looks a credential up (cached). Never NULL unless out of memory. */
const struct cred_info *model_cred(struct model *m, const char *id, struct gl_error *err);

/* Derives a credential from its own events (as loaded by model_load); its
 * lives are allocated in 'a'. GL_ERR_NOMEM when 'a' is out of memory. */
int model_cred_from_events(struct cred_info *c, const char *id, const struct evlist *evs,
                           struct gl_arena *a, struct gl_error *err);

struct task_info {
    const char *id;
    bool started, completed;
    int64_t start, end;
    const char *workload;
    const struct perm *scope; /* of the first task.started */
    int n_scope;
    bool has_scope;
    const char *end_event;
};

const struct task_info *model_task(struct model *m, const char *id, struct gl_error *err);

/* --- patterns --- */

/* DESIGN.md §3: '*' any run (also '/' and ':'), '?' one character. */
bool glob_match(const char *pattern, const char *text);

/* P within Q: Q, as a glob, matches P's text. NULL resources are '*'. */
bool perm_within(const struct perm *p, const struct perm *q);

/* A grant's permission covers an action's permission (grant resource NULL
 * is '*', action resource NULL is ""). */
bool perm_covers(const struct perm *grant, const struct perm *action);

#endif
