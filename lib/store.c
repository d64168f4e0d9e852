/* LMDB-backed event store. Named databases:
 *   meta        string keys -> format, created, next_seq, chain head, counters, redact key
 *   events      u64be seq -> stored msgpack record (MDB_APPEND: seqs only grow;
 *               within a batch they follow workload, time, arrival)
 *   chain       u64be seq -> SHA-256(link[seq-1] || u64be seq || SHA-256(record))
 *   by_workload workload -> ts|seq (DUPSORT|DUPFIXED, 16 bytes, sorts by time)
 *   by_task, by_credential: the same shape
 *   recent_index gen | index | name -> ts|seq ts|seq ... (the index entries of
 *               the latest batches, not yet merged into the three above;
 *               gen is a batch's first sequence number), and
 *               gen | 3 | event id -> u64be seq (their dedup entries)
 *   by_time     ts|seq -> empty (global replay order: time, then sequence)
 *   dedup       event id -> u64be seq
 *   positions   source name -> i64be next offset
 *   quarantine  u64be qseq -> msgpack {t, origin, reason, len, raw, esc}
 *   quarantine_seen  16 bytes of SHA-256(stream, offset, length, stamp, stored raw)
 *               -> u64be qseq: a refused input read again is not kept twice
 *               (added to format 3 stores when a writer opens them; entries
 *               from before have no key, so one repeat of those can enter)
 * Times in keys are int64 with the sign bit flipped, big-endian, so byte
 * order is numeric order. The write path keeps a whole batch in memory so a
 * MDB_MAP_FULL can be answered by growing the map and replaying the batch. */
#define _DEFAULT_SOURCE /* madvise(MADV_DONTNEED); glibc's posix_madvise ignores it */
#include "grantline/store.h"

#include "grantline/sort.h"
#include "grantline/tstamp.h"
#include "grantline/writeback.h"

#include <errno.h>
#include <lmdb.h>
#include <msgpack.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <xxhash.h>

#define FORMAT_NAME      "grantline-store/4"
/* Format 3 differs only in writing by_time directly (no IDX_TIME entries in
 * recent_index): read as it is, and marked 4 by the first writer, since a
 * format 3 reader would not see the by_time entries that wait. */
#define FORMAT_PREV "grantline-store/3"
#define DEFAULT_MAP_SIZE (256ULL << 20)
#define READER_MAP_SIZE  (1ULL << 40)
#define MAX_DBS          16
#define GL_STORE_READ_THREADS 8
/* events per batch: sort keys hold a rank and a position in 64 bits */
#define GL_STORE_BATCH_MAX (1u << 26)
/* write_batch: ids of earlier batches found, marked: replay the batch */
#define RETRY_DUPS (-1)
/* Batches whose index entries wait in recent_index before a merge moves them
 * into the by-name indexes: each merge dirties an active name's pages once
 * instead of once per batch; a query looks a name up once per waiting batch. */
#define MERGE_GENS 16
/* Ids the dedup tree holds before a batch's ids wait in recent_index: below
 * this (~50 MB of tree) a batch's inserts land on cached pages and cost less
 * than a lookup now, an append and an insert at the merge (the Kafka
 * benchmark's order replayed from a file into a new store, alternating
 * runs: writer 3.1-3.5 CPU s per million against 3.7-3.8 with every id
 * waiting); above it, random ids dirty a page each. */
#define DEDUP_DIRECT_MAX 1000000

enum dbi_id {
    DB_META,
    DB_EVENTS,
    DB_CHAIN,
    DB_WORKLOAD,
    DB_TASK,
    DB_CRED,
    DB_TIME,
    DB_DEDUP,
    DB_POS,
    DB_QUAR,
    DB_RECENT,
    DB_QSEEN,
    DB__COUNT
};

static const struct {
    const char *name;
    unsigned flags;
} db_defs[DB__COUNT] = {
    [DB_META] = {"meta", 0},
    [DB_EVENTS] = {"events", MDB_INTEGERKEY * 0},
    [DB_CHAIN] = {"chain", 0},
    [DB_WORKLOAD] = {"by_workload", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_TASK] = {"by_task", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_CRED] = {"by_credential", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_TIME] = {"by_time", 0},
    [DB_DEDUP] = {"dedup", 0},
    [DB_POS] = {"positions", 0},
    [DB_QUAR] = {"quarantine", 0},
    [DB_RECENT] = {"recent_index", 0},
    [DB_QSEEN] = {"quarantine_seen", 0},
};

/* Ingest counters kept in meta so stats need no full scan. */
enum { CNT_DUPLICATES = GL_EV__COUNT, CNT_QUARANTINED, CNT__COUNT };

struct gl_store {
    MDB_env *env;
    MDB_dbi dbi[DB__COUNT];
    bool rdonly;
    bool unlocked; /* read without lock.mdb (MDB_NOLOCK): no protection from a writer */
    uint64_t map_size;
    unsigned char redact_key[32];
    unsigned char key_id[GL_STORE_KEY_ID_LEN]; /* the key in use, see below */
    bool has_key_id;
    unsigned char id[GL_STORE_ID_LEN]; /* meta "store_id" */
    bool has_id;
    EVP_MD *sha256; /* the chain's digest, fetched once */
    uint64_t recent_gens; /* writer: batches waiting in recent_index (meta "recent_gens") */
    struct idset *waiting; /* writer: the event ids in recent_index (see idset) */
    uint64_t dedup_direct_max; /* see DEDUP_DIRECT_MAX */
    bool manual_merge; /* see gl_store_set_auto_merge */
    /* writer: starts writing a commit's pages before its fdatasync (made
     * by the first commit; NULL if its thread could not start) */
    struct gl_writeback *wb;
    bool wb_tried;
    /* read-only stores: per reading thread, one reset read transaction,
     * renewed per query (LMDB ties a read transaction to its thread) */
    char data_path[4096 + 16]; /* read-only stores: the data file's real path */
    pthread_mutex_t rlock;
    struct rslot {
        pthread_t tid;
        MDB_txn *txn; /* NULL: slot free */
        bool busy;
    } rslots[GL_STORE_READ_THREADS];
    char dir[4096];
};

/* --- keys --- */

static void put_u64be(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)v;
        v >>= 8;
    }
}

static uint64_t get_u64be(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static void put_ts(unsigned char *p, int64_t ts)
{
    put_u64be(p, (uint64_t)ts ^ (1ULL << 63));
}

static int64_t get_ts(const unsigned char *p)
{
    return (int64_t)(get_u64be(p) ^ (1ULL << 63));
}

static int mdb_fail(struct gl_error *err, int rc, const char *what)
{
    if (rc == MDB_MAP_FULL)
        return gl_error_set(err, GL_ERR_MAPFULL, rc, "store: %s: map full", what);
    /* LMDB reports a short write (a full disk) as EIO */
    if (rc == EIO || rc == ENOSPC || rc == EDQUOT)
        return gl_error_set(err, GL_ERR_STORE, rc,
                            "store: %s: %s (is the store's file system full? free space and "
                            "run again: nothing of the failed transaction was kept)",
                            what, mdb_strerror(rc));
    /* pages that are not what they must be: the file was changed under
     * LMDB (a failing disk, an interrupted copy, tampering) */
    if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND)
        return gl_error_set(err, GL_ERR_CORRUPT, rc,
                            "store: %s: %s: its file is damaged (restore the store from a "
                            "copy, or collect its sources again into a new one)",
                            what, mdb_strerror(rc));
    return gl_error_set(err, GL_ERR_STORE, rc, "store: %s: %s", what, mdb_strerror(rc));
}

/* --- open / close --- */

static int meta_get(MDB_txn *txn, MDB_dbi dbi, const char *key, MDB_val *val)
{
    MDB_val k = {strlen(key), (void *)key};
    return mdb_get(txn, dbi, &k, val);
}

static int meta_put(MDB_txn *txn, MDB_dbi dbi, const char *key, const void *data, size_t len)
{
    MDB_val k = {strlen(key), (void *)key};
    MDB_val v = {len, (void *)data};
    return mdb_put(txn, dbi, &k, &v, 0);
}

static bool meta_is(const MDB_val *v, const char *s)
{
    return v->mv_size == strlen(s) && memcmp(v->mv_data, s, v->mv_size) == 0;
}

/* Runs before the other databases are opened: another format's databases
 * may have other flags, which LMDB would report as MDB_INCOMPATIBLE. */
static int check_format(struct gl_store *st, MDB_txn *txn, struct gl_error *err)
{
    MDB_val v;
    if (meta_get(txn, st->dbi[DB_META], "format", &v) != MDB_SUCCESS)
        return GL_OK;
    if (!meta_is(&v, FORMAT_NAME) && !meta_is(&v, FORMAT_PREV))
        return gl_error_set(err, GL_ERR_STORE, 0,
                            "store %s: unsupported format '%.*s' (expected %s); collect its "
                            "sources again into a new store",
                            st->dir, (int)v.mv_size, (char *)v.mv_data, FORMAT_NAME);
    return GL_OK;
}

/* A store's identity: random, so a copy of the directory (a backup put
 * back) keeps it and any other store has another. */
static int new_id(struct gl_store *st, MDB_txn *txn, struct gl_error *err)
{
    if (RAND_bytes(st->id, sizeof st->id) != 1)
        return gl_error_set(err, GL_ERR_STORE, 0, "store: no randomness for the store id");
    int rc = meta_put(txn, st->dbi[DB_META], "store_id", st->id, sizeof st->id);
    if (rc)
        return mdb_fail(err, rc, "record the store id");
    st->has_id = true;
    return GL_OK;
}

static int init_meta(struct gl_store *st, MDB_txn *txn, struct gl_error *err)
{
    MDB_val v;
    int rc = meta_get(txn, st->dbi[DB_META], "format", &v);
    if (rc == MDB_SUCCESS) { /* its format was checked when meta opened */
        if (!st->rdonly && !meta_is(&v, FORMAT_NAME) &&
            (rc = meta_put(txn, st->dbi[DB_META], "format", FORMAT_NAME, strlen(FORMAT_NAME))))
            return mdb_fail(err, rc, "mark the store format");
        rc = meta_get(txn, st->dbi[DB_META], "redact_key", &v);
        if (rc == MDB_SUCCESS && v.mv_size == sizeof st->redact_key)
            memcpy(st->redact_key, v.mv_data, sizeof st->redact_key);
        rc = meta_get(txn, st->dbi[DB_META], "redact_key_id", &v);
        if (rc == MDB_SUCCESS && v.mv_size == sizeof st->key_id) {
            memcpy(st->key_id, v.mv_data, sizeof st->key_id);
            st->has_key_id = true;
        }
        /* batches left waiting by an earlier run count towards the next merge */
        if (meta_get(txn, st->dbi[DB_META], "recent_gens", &v) == MDB_SUCCESS)
            st->recent_gens = v.mv_size / 8;
        rc = meta_get(txn, st->dbi[DB_META], "store_id", &v);
        if (rc == MDB_SUCCESS && v.mv_size == sizeof st->id) {
            memcpy(st->id, v.mv_data, sizeof st->id);
            st->has_id = true;
        } else if (!st->rdonly) { /* a store from before ids: its first writer gives one */
            return new_id(st, txn, err);
        }
        return GL_OK;
    }
    if (rc != MDB_NOTFOUND)
        return mdb_fail(err, rc, "read meta");
    if (st->rdonly)
        return gl_error_set(err, GL_ERR_STORE, 0, "store %s: not initialised", st->dir);
    unsigned char created[8];
    put_ts(created, gl_tstamp_now());
    if (RAND_bytes(st->redact_key, sizeof st->redact_key) != 1)
        return gl_error_set(err, GL_ERR_STORE, 0, "store: no randomness for the redaction key");
    unsigned char zero[GL_STORE_HASH_LEN] = {0};
    unsigned char seq[8];
    put_u64be(seq, 0);
    rc = meta_put(txn, st->dbi[DB_META], "format", FORMAT_NAME, strlen(FORMAT_NAME));
    if (!rc)
        rc = meta_put(txn, st->dbi[DB_META], "created", created, 8);
    if (!rc)
        rc = meta_put(txn, st->dbi[DB_META], "last_seq", seq, 8);
    if (!rc)
        rc = meta_put(txn, st->dbi[DB_META], "chain_head", zero, sizeof zero);
    if (!rc)
        rc = meta_put(txn, st->dbi[DB_META], "redact_key", st->redact_key,
                      sizeof st->redact_key);
    return rc ? mdb_fail(err, rc, "init meta") : new_id(st, txn, err);
}

/* Fixed-size big-endian keys and duplicates compared as integers: the
 * same order as LMDB's default memcmp (so any LMDB tool still reads the
 * store), without a memcmp call per comparison. */
static int cmp_be(const MDB_val *a, const MDB_val *b)
{
    if (a->mv_size == b->mv_size && (a->mv_size == 8 || a->mv_size == 16)) {
        uint64_t x = get_u64be(a->mv_data), y = get_u64be(b->mv_data);
        if (x == y && a->mv_size == 16) {
            x = get_u64be((const unsigned char *)a->mv_data + 8);
            y = get_u64be((const unsigned char *)b->mv_data + 8);
        }
        return x < y ? -1 : x > y;
    }
    size_t n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;
    int c = memcmp(a->mv_data, b->mv_data, n);
    return c ? c : a->mv_size < b->mv_size ? -1 : a->mv_size > b->mv_size;
}

static void set_comparators(MDB_txn *txn, MDB_dbi dbi, int which)
{
    switch (which) {
    case DB_EVENTS:
    case DB_CHAIN:
    case DB_TIME:
    case DB_QUAR:
        mdb_set_compare(txn, dbi, cmp_be);
        break;
    case DB_WORKLOAD:
    case DB_TASK:
    case DB_CRED:
        mdb_set_dupsort(txn, dbi, cmp_be);
        break;
    default:
        break;
    }
}

/* --- the ids waiting in recent_index ---
 * A batch's dedup entries wait in recent_index with its index entries, so a
 * batch of random ids (UUIDs) no longer dirties a dedup leaf page per event
 * once the store has grown. The writer checks a new id against the dedup
 * tree and against this set of the waiting ids, rebuilt from recent_index
 * whenever another transaction than this handle's last one committed since
 * (a new handle, another writer process): a stale set could miss an id
 * that waits, and store its event twice. */
#define IDX_ID 3 /* recent_index: the dedup entries' "index" byte */
#define IDX_TIME 4 /* recent_index: the by_time entries' "index" byte */
/* by_time entries per recent_index value: a value of 120 x 16 bytes and its
 * 25-byte key fit in a 4 KiB page's node limit (2038 bytes), so none takes
 * an overflow page of its own */
#define TIME_CHUNK   120
#define TIME_KEY_LEN 25 /* gen | IDX_TIME | last ts|seq of the chunk */

/* A seed for the in-memory hash tables keyed by ids and names, which come
 * from the input: unseeded, crafted colliding names or ids could make the
 * linear probing quadratic and stall the collector. */
static uint64_t hash_seed(void)
{
    uint64_t seed;
    if (RAND_bytes((unsigned char *)&seed, sizeof seed) != 1)
        seed = (uint64_t)gl_tstamp_now() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)&seed;
    return seed;
}

struct idset {
    uint64_t seed;
    uint64_t *slot; /* 0: empty, else 1 + offset of [u16 len][id] in 'ids' */
    size_t cap, n;  /* cap a power of two, at most half full */
    struct gl_buf ids;
    size_t at_txn;  /* the write transaction the set reflects; SIZE_MAX: unknown */
    size_t pending; /* this handle's write transaction in progress */
};

static struct idset *idset_new(void)
{
    struct idset *s = calloc(1, sizeof *s);
    if (s) {
        s->at_txn = SIZE_MAX;
        s->seed = hash_seed();
    }
    return s;
}

static void idset_free(struct idset *s)
{
    if (!s)
        return;
    free(s->slot);
    gl_buf_free(&s->ids);
    free(s);
}

static void idset_clear(struct idset *s)
{
    if (s->slot)
        memset(s->slot, 0, s->cap * sizeof *s->slot);
    s->n = 0;
    gl_buf_reset(&s->ids);
}

/* The slot holding 'id', or the empty slot where it would go. */
static uint64_t *idset_find(const struct idset *s, const void *id, size_t len)
{
    const unsigned char *base = (const unsigned char *)s->ids.data;
    size_t at = XXH3_64bits_withSeed(id, len, s->seed) & (s->cap - 1);
    for (;; at = (at + 1) & (s->cap - 1)) {
        uint64_t v = s->slot[at];
        if (!v)
            return &s->slot[at];
        const unsigned char *e = base + v - 1;
        if ((size_t)(e[0] << 8 | e[1]) == len && memcmp(e + 2, id, len) == 0)
            return &s->slot[at];
    }
}

static bool idset_has(const struct idset *s, const void *id, size_t len)
{
    return s->n && *idset_find(s, id, len) != 0;
}

/* Ids are 1..128 bytes (the event contract), 1..400 in a batch. */
static int idset_add(struct idset *s, const void *id, size_t len)
{
    if (len == 0 || len > 0xffff)
        return EINVAL;
    if (2 * (s->n + 1) > s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 4096, oc = s->cap;
        uint64_t *ns = calloc(nc, sizeof *ns), *old = s->slot;
        if (!ns)
            return ENOMEM;
        s->slot = ns;
        s->cap = nc;
        for (size_t i = 0; i < oc; i++)
            if (old[i]) {
                const unsigned char *e = (const unsigned char *)s->ids.data + old[i] - 1;
                *idset_find(s, e + 2, (size_t)(e[0] << 8 | e[1])) = old[i];
            }
        free(old);
    }
    uint64_t *at = idset_find(s, id, len);
    if (*at)
        return 0;
    size_t off = s->ids.len;
    unsigned char l[2] = {(unsigned char)(len >> 8), (unsigned char)len};
    if (gl_buf_append(&s->ids, l, 2) || gl_buf_append(&s->ids, id, len))
        return ENOMEM;
    *at = off + 1;
    s->n++;
    return 0;
}

/* Refills the set from recent_index's dedup entries. */
static int idset_load(struct idset *s, MDB_txn *txn, MDB_dbi recent)
{
    idset_clear(s);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, recent, &cur);
    if (rc)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const unsigned char *kp = k.mv_data;
        if (k.mv_size > 9 && kp[8] == IDX_ID && (rc = idset_add(s, kp + 9, k.mv_size - 9)))
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

int gl_store_open(const char *dir, int flags, uint64_t map_size, struct gl_store **out,
                  struct gl_error *err)
{
    struct gl_store *st = calloc(1, sizeof *st);
    if (!st)
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    snprintf(st->dir, sizeof st->dir, "%s", dir);
    st->rdonly = flags & GL_STORE_RDONLY;
    st->dedup_direct_max = DEDUP_DIRECT_MAX;
    st->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!st->sha256 || pthread_mutex_init(&st->rlock, NULL) != 0) {
        EVP_MD_free(st->sha256);
        free(st);
        return gl_error_set(err, GL_ERR_NOMEM, 0, "store: SHA-256 unavailable in OpenSSL");
    }
    int rc;
    int ret = GL_OK;
    MDB_txn *txn = NULL;
    if (!st->rdonly && (flags & GL_STORE_CREATE)) {
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            ret = gl_error_set(err, GL_ERR_IO, errno, "store %s: mkdir: %s", dir,
                               strerror(errno));
            goto fail;
        }
    }
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        bool missing = errno == ENOENT;
        ret = gl_error_set(err, GL_ERR_IO, errno, "store %s: %s%s", dir,
                           missing ? "directory does not exist" : "not a directory",
                           missing && st->rdonly ? " (run grantline-collector first?)" : "");
        goto fail;
    }
    rc = mdb_env_create(&st->env);
    if (rc) {
        ret = mdb_fail(err, rc, "mdb_env_create");
        goto fail;
    }
    st->map_size = map_size ? map_size : DEFAULT_MAP_SIZE;
    /* A reader maps far more than the file holds (address space only): the
     * collector can then grow the store without the reader ever having to
     * remap, which it could not do safely while its other threads read. */
    if (st->rdonly && sizeof(size_t) >= 8 && st->map_size < READER_MAP_SIZE)
        st->map_size = READER_MAP_SIZE;
    mdb_env_set_maxdbs(st->env, MAX_DBS);
    mdb_env_set_mapsize(st->env, st->map_size);
    /* NOMETASYNC: data pages are synced at commit, the meta page lazily: a
     * power loss can roll back the last batch (with its offsets) but never
     * corrupt the store; a process crash loses nothing committed. */
    unsigned envflags = st->rdonly ? MDB_RDONLY : MDB_NOMETASYNC;
    rc = mdb_env_open(st->env, dir, envflags, 0600);
    if (rc == EACCES && st->rdonly) {
        /* A reader without write access to lock.mdb (a copy, an auditor's
         * read-only mount) can still read: without the lock table it must
         * not run beside a writer that reuses pages, which such copies
         * don't have. */
        mdb_env_close(st->env);
        st->env = NULL;
        rc = mdb_env_create(&st->env);
        if (!rc) {
            mdb_env_set_maxdbs(st->env, MAX_DBS);
            mdb_env_set_mapsize(st->env, st->map_size);
            rc = mdb_env_open(st->env, dir, MDB_RDONLY | MDB_NOLOCK, 0600);
            st->unlocked = rc == 0;
        }
    }
    if (rc) {
        if (rc == ENOENT && st->rdonly)
            ret = gl_error_set(err, GL_ERR_STORE, rc, "store %s: no store here (no data.mdb)",
                               dir);
        else
            ret = gl_error_set(err, GL_ERR_STORE, rc, "store %s: open: %s", dir,
                               mdb_strerror(rc));
        goto fail;
    }
    MDB_envinfo info;
    mdb_env_info(st->env, &info);
    st->map_size = info.me_mapsize;
    /* A data file cut short (a copy interrupted, a full disk while copying)
     * keeps valid meta pages that point past its end: reading such a page
     * through the map is a SIGBUS, not an error code, so refuse it here. */
    MDB_stat ms;
    char data_file[4200];
    struct stat db;
    snprintf(data_file, sizeof data_file, "%s/data.mdb", dir);
    if (mdb_env_stat(st->env, &ms) == 0 && stat(data_file, &db) == 0 &&
        (uint64_t)db.st_size < ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize) {
        ret = gl_error_set(err, GL_ERR_CORRUPT, 0,
                           "store %s: data.mdb is truncated (%lld bytes; its pages reach %llu): "
                           "restore the store from a copy",
                           dir, (long long)db.st_size,
                           (unsigned long long)(info.me_last_pgno + 1) * ms.ms_psize);
        goto fail;
    }
    char real[4096];
    if (st->rdonly && realpath(dir, real))
        snprintf(st->data_path, sizeof st->data_path, "%s/data.mdb", real);

    rc = mdb_txn_begin(st->env, NULL, st->rdonly ? MDB_RDONLY : 0, &txn);
    if (rc) {
        ret = mdb_fail(err, rc, "begin");
        goto fail;
    }
    for (int i = 0; i < DB__COUNT; i++) {
        rc = mdb_dbi_open(txn, db_defs[i].name, db_defs[i].flags | (st->rdonly ? 0 : MDB_CREATE),
                          &st->dbi[i]);
        if (!rc)
            set_comparators(txn, st->dbi[i], i);
        if (rc == MDB_NOTFOUND && i == DB_QSEEN && st->rdonly) {
            /* a store no writer of this version opened yet: readers do not
             * need it */
            st->dbi[i] = 0;
            continue;
        }
        if (rc) {
            if (rc == MDB_NOTFOUND)
                ret = gl_error_set(err, GL_ERR_STORE, rc, "store %s: not a grantline store", dir);
            else
                ret = mdb_fail(err, rc, db_defs[i].name);
            goto fail;
        }
        if (i == DB_META && (ret = check_format(st, txn, err)) != GL_OK)
            goto fail;
    }
    ret = init_meta(st, txn, err);
    if (ret)
        goto fail;
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc) {
        ret = mdb_fail(err, rc, "commit");
        goto fail;
    }
    *out = st;
    return GL_OK;
fail:
    if (txn)
        mdb_txn_abort(txn);
    if (st->env)
        mdb_env_close(st->env);
    EVP_MD_free(st->sha256);
    pthread_mutex_destroy(&st->rlock);
    free(st);
    return ret;
}

void gl_store_close(struct gl_store *st)
{
    if (!st)
        return;
    for (int i = 0; i < GL_STORE_READ_THREADS; i++)
        if (st->rslots[i].txn)
            mdb_txn_abort(st->rslots[i].txn);
    gl_writeback_free(st->wb); /* before the data file closes */
    pthread_mutex_destroy(&st->rlock);
    EVP_MD_free(st->sha256);
    idset_free(st->waiting);
    mdb_env_close(st->env);
    free(st);
}

static void key_id_of(const unsigned char *key, size_t len, unsigned char id[GL_STORE_KEY_ID_LEN])
{
    /* domain-separated, so the id is no fingerprint of any secret */
    static const char tag[] = "grantline redaction key id";
    unsigned char md[32];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
        EVP_DigestUpdate(ctx, tag, sizeof tag) && EVP_DigestUpdate(ctx, key, len) &&
        EVP_DigestFinal_ex(ctx, md, NULL))
        memcpy(id, md, GL_STORE_KEY_ID_LEN);
    else
        memset(id, 0, GL_STORE_KEY_ID_LEN);
    EVP_MD_CTX_free(ctx);
}

bool gl_store_redact_key_id(const struct gl_store *st, unsigned char id[GL_STORE_KEY_ID_LEN])
{
    if (!st->has_key_id)
        return false;
    memcpy(id, st->key_id, GL_STORE_KEY_ID_LEN);
    return true;
}

int gl_store_bind_redact_key(struct gl_store *st, const unsigned char *key, size_t len,
                             struct gl_error *err)
{
    unsigned char id[GL_STORE_KEY_ID_LEN];
    key_id_of(key, len, id);
    if (st->has_key_id) {
        if (memcmp(id, st->key_id, sizeof id) == 0)
            return GL_OK;
        return gl_error_set(err, GL_ERR_INVALID, 0,
                            "store %s: its events were redacted under another key: run with "
                            "the --redact-key-file it was filled with (a new key would give "
                            "the same secret another marker), or use a new store",
                            st->dir);
    }
    if (st->rdonly)
        return gl_error_set(err, GL_ERR_STORE, 0, "store %s: read-only", st->dir);
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    /* Only an empty store can take an id on trust: one filled before ids
     * were recorded may have been redacted under any key, and binding
     * whichever key comes first would refuse the right one later. */
    MDB_val v;
    if (!rc && meta_get(txn, st->dbi[DB_META], "last_seq", &v) == MDB_SUCCESS &&
        v.mv_size == 8 && get_u64be(v.mv_data) > 0) {
        mdb_txn_abort(txn);
        return GL_OK;
    }
    if (!rc)
        rc = meta_put(txn, st->dbi[DB_META], "redact_key_id", id, sizeof id);
    if (!rc)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    if (rc)
        return mdb_fail(err, rc, "record the redaction key id");
    memcpy(st->key_id, id, sizeof id);
    st->has_key_id = true;
    return GL_OK;
}

bool gl_store_unlocked(const struct gl_store *st)
{
    return st->unlocked;
}

int gl_store_sync(struct gl_store *st, struct gl_error *err)
{
    /* without MDB_WRITEMAP an fdatasync of the data file: safe beside the
     * writer thread, and it covers every transaction committed before */
    int rc = mdb_env_sync(st->env, 1);
    return rc ? mdb_fail(err, rc, "sync") : GL_OK;
}

bool gl_store_id(const struct gl_store *st, char out[2 * GL_STORE_ID_LEN + 1])
{
    out[0] = 0;
    if (!st->has_id)
        return false;
    for (size_t i = 0; i < GL_STORE_ID_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", st->id[i]);
    return true;
}

const unsigned char *gl_store_redact_key(const struct gl_store *st)
{
    return st->redact_key;
}

/* --- batches --- */

/* LMDB keys are at most 511 bytes. Names are at most 256 bytes on input,
 * but redaction can lengthen them (a short secret becomes a longer marker),
 * so a long name is indexed as its first bytes plus a hash of the whole:
 * still unique, and applying this to an already shortened name is a no-op
 * (scan_index and scan_keys round-trip). */

size_t gl_store_index_name(const char *name, size_t len, char *out)
{
    if (len <= GL_STORE_INDEX_NAME_MAX) {
        memcpy(out, name, len);
        return len;
    }
    unsigned char md[32];
    EVP_Digest(name, len, md, NULL, EVP_sha256(), NULL);
    size_t keep = GL_STORE_INDEX_NAME_MAX - 33;
    memcpy(out, name, keep);
    out[keep] = '#';
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) { /* exactly 400 bytes: no room for a NUL */
        out[keep + 1 + 2 * i] = hex[md[i] >> 4];
        out[keep + 2 + 2 * i] = hex[md[i] & 15];
    }
    return GL_STORE_INDEX_NAME_MAX;
}

/* The index names of an event, in ranking order of their index. */
enum { NM_WL, NM_DLG, NM_TASK, NM_CRED, NM_PREV, NM__COUNT };

struct pending {
    unsigned char digest[GL_STORE_HASH_LEN]; /* SHA-256 of the record */
    size_t rec, rec_len, id, id_len;
    int64_t ts;
    int type;
    /* for order_batch, taken when the event is added, while its id is in
     * that core's cache: the writer, which mostly sorts the batch, would
     * fetch it from memory again */
    uint64_t idh;    /* XXH3 of the id */
    uint64_t idw[2]; /* the id's first 16 bytes, big-endian words */
};

static const int name_db[NM__COUNT] = {DB_WORKLOAD, DB_WORKLOAD, DB_TASK, DB_CRED, DB_CRED};

/* Bytes off..off+8 of s (len bytes), big-endian, zero past its end. */
static uint64_t be_word(const unsigned char *s, size_t len, size_t off)
{
    uint64_t w = 0;
    for (size_t k = off; k < off + 8; k++)
        w = w << 8 | (k < len ? s[k] : 0);
    return w;
}

/* A name's hash, told apart by its index (one table holds all of them). */
static uint64_t name_hash(uint64_t seed, const char *name, size_t len, int db)
{
    return XXH3_64bits_withSeed(name, len, seed) ^ (uint64_t)db * 0x9e3779b97f4a7c15ULL;
}

/* A name in a batch's dict: this header, its bytes, zeros up to a multiple
 * of 8. A lookup reads the header and the bytes from one or two cache lines
 * (16 bytes for a name's particulars elsewhere was one fetch more). */
struct dname {
    uint32_t k;   /* the name's index among the batch's names, by first appearance */
    uint16_t len; /* at most GL_STORE_INDEX_NAME_MAX */
    uint8_t db;
    uint8_t pad;
};

static size_t dname_size(size_t len)
{
    return (sizeof(struct dname) + len + 7) & ~(size_t)7;
}

struct position {
    char *source;
    int64_t next;
};

/* A queued quarantine record: its encoding in the arena, and the key that
 * tells a repeat (see gl_store_refusal). */
struct qentry {
    size_t off, len;
    bool keyed;
    unsigned char key[16];
};

/* A distinct (index, name) of the batch, when the batch is ranked. */
struct uniq {
    const char *name; /* in the batch's dict */
    size_t len;
    int db;
};

struct gl_store_batch {
    uint64_t seed;       /* hash_seed(): of the id and name hashes */
    struct gl_buf arena; /* copies of records and ids */
    /* Index names are interned as events are added (intern_name): each
     * distinct name once, in a dict small enough to stay in cache. Ranking
     * them later confirmed each occurrence against its first one, a fetch
     * from anywhere in the arena (tens of MB) that missed the cache. */
    struct gl_buf dict; /* struct dname entries, 8-byte aligned */
    uint64_t *ntab;     /* the names' hash table: TAG | dict offset / 8 */
    size_t n_slots;
    uint32_t n_uniq;    /* names in dict */
    struct uniq *uniq;  /* the names in order of first appearance, when ranked */
    uint32_t *nid;      /* per event and name: its uniq index, UINT32_MAX: none */
    struct pending *ev;
    size_t n_ev, cap_ev;
    struct qentry *quar; /* quarantine records */
    size_t n_quar, cap_quar;
    struct position *pos;
    size_t n_pos, cap_pos;
    /* commit scratch, kept between commits (see order_batch) */
    EVP_MD_CTX *mdctx;  /* chain hashing */
    EVP_MD *sha256;     /* record digests, taken by the thread that adds */
    EVP_MD_CTX *addctx;
    bool *dup;          /* per event: an earlier event of the batch has its id */
    bool *xdup;         /* per event: an event of an earlier batch has its id */
    uint32_t *idord;    /* events to deduplicate, by id (its first 16 bytes) */
    size_t n_idord;
    uint64_t *seq;      /* by time position: sequence number, 0 for a duplicate */
    int64_t *tts;       /* by time position: the event's time */
    uint32_t *tord;     /* events by (time, arrival) */
    uint32_t *tpos;     /* per event: its place in tord */
    uint32_t *rank;     /* per event and name: 1 + rank of the name, 0: none */
    uint64_t *table;    /* hash table of ids (see table_prepare) */
    struct uniq *byrank; /* the distinct names by rank */
    uint32_t *rank_of;  /* per name in order of first appearance: 1 + its rank */
    struct gl_sort_kv *kv; /* time sort (2 x events) */
    uint64_t *keys;     /* sort keys and the radix sort's scratch (2 x entries) */
    uint64_t *order;    /* events in sequence order (workload rank << shift | time position) */
    unsigned char *post; /* one name's recent_index entries (16 bytes each) */
    bool ids_wait;       /* this commit: dedup entries go to recent_index */
    const uint64_t *ikeys; /* index entries in insertion order (rank << shift | time position) */
    size_t n_ikeys;
    bool prepared; /* the arrays above are up to date with the events */
    size_t cap_dup, cap_xdup, cap_idord, cap_seq, cap_tts, cap_tord, cap_tpos, cap_rank;
    size_t cap_table, cap_uniq, cap_byrank, cap_rank_of, cap_kv, cap_keys, cap_order, cap_post;
    unsigned shift; /* bits of a time position in a sort key */
};

struct gl_store_batch *gl_store_batch_new(void)
{
    struct gl_store_batch *b = calloc(1, sizeof *b);
    if (b)
        b->seed = hash_seed();
    return b;
}

void gl_store_batch_clear(struct gl_store_batch *b)
{
    gl_buf_reset(&b->arena);
    gl_buf_reset(&b->dict);
    if (b->n_uniq)
        memset(b->ntab, 0xff, b->n_slots * sizeof *b->ntab);
    b->n_uniq = 0;
    b->n_ev = 0;
    b->prepared = false;
    b->n_idord = 0; /* the sorted views of the events are empty too */
    b->n_ikeys = 0;
    b->n_quar = 0;
    for (size_t i = 0; i < b->n_pos; i++)
        free(b->pos[i].source);
    b->n_pos = 0;
}

void gl_store_batch_free(struct gl_store_batch *b)
{
    if (!b)
        return;
    gl_store_batch_clear(b);
    gl_buf_free(&b->arena);
    gl_buf_free(&b->dict);
    free(b->ntab);
    free(b->nid);
    free(b->ev);
    free(b->quar);
    free(b->pos);
    EVP_MD_CTX_free(b->mdctx);
    EVP_MD_CTX_free(b->addctx);
    EVP_MD_free(b->sha256);
    free(b->dup);
    free(b->xdup);
    free(b->idord);
    free(b->seq);
    free(b->tts);
    free(b->tord);
    free(b->tpos);
    free(b->rank);
    free(b->table);
    free(b->uniq);
    free(b->byrank);
    free(b->rank_of);
    free(b->kv);
    free(b->keys);
    free(b->order);
    free(b->post);
    free(b);
}

size_t gl_store_batch_count(const struct gl_store_batch *b)
{
    return b->n_ev + b->n_quar;
}

static int arena_add(struct gl_store_batch *b, const void *p, size_t len, size_t *off,
                     size_t *outlen)
{
    *off = b->arena.len;
    *outlen = p ? len : 0;
    if (!p) {
        *off = SIZE_MAX;
        return GL_OK;
    }
    return gl_buf_append(&b->arena, p, len);
}

static bool grow(void **p, size_t *cap, size_t want, size_t size)
{
    if (*cap >= want)
        return true;
    void *q = realloc(*p, want * size);
    if (!q)
        return false;
    *p = q;
    *cap = want;
    return true;
}

/* Hash tables over u64 slots: the upper half of a slot is the upper half
 * of its item's hash, the lower half the item's index, so most probes are
 * settled without fetching the item. UINT64_MAX marks an empty slot. */
#define TAG(h) ((h) & 0xffffffff00000000ULL)

/* Doubles the names' table, keeping it at most two-thirds full; the
 * hashes are taken again from the dict (this happens log(names) times). */
static int grow_names(struct gl_store_batch *b)
{
    size_t slots = b->n_slots ? 2 * b->n_slots : 4096;
    uint64_t *t = realloc(b->ntab, slots * sizeof *t);
    if (!t)
        return GL_ERR_NOMEM;
    memset(t, 0xff, slots * sizeof *t);
    for (size_t off = 0; off < b->dict.len;) {
        struct dname d;
        memcpy(&d, b->dict.data + off, sizeof d);
        uint64_t h = name_hash(b->seed, b->dict.data + off + sizeof d, d.len, d.db);
        size_t at = h & (slots - 1);
        while (t[at] != UINT64_MAX)
            at = (at + 1) & (slots - 1);
        t[at] = TAG(h) | off / 8;
        off += dname_size(d.len);
    }
    b->ntab = t;
    b->n_slots = slots;
    return GL_OK;
}

/* Sets *id to the batch's index of the name (in key form) for name kind
 * nm, adding it to the dict on its first appearance; UINT32_MAX for an
 * absent or empty name. */
static int intern_name(struct gl_store_batch *b, struct gl_str name, int nm, uint32_t *id)
{
    *id = UINT32_MAX;
    if (!name.ptr || name.len == 0)
        return GL_OK;
    char key[GL_STORE_INDEX_NAME_MAX];
    const char *s = name.ptr;
    size_t len = name.len;
    if (len > GL_STORE_INDEX_NAME_MAX) {
        len = gl_store_index_name(name.ptr, name.len, key);
        s = key;
    }
    if (((size_t)b->n_uniq + 1) * 3 > b->n_slots * 2 && grow_names(b))
        return GL_ERR_NOMEM;
    int db = name_db[nm];
    uint64_t h = name_hash(b->seed, s, len, db);
    size_t mask = b->n_slots - 1, at = h & mask;
    for (;; at = (at + 1) & mask) {
        uint64_t e = b->ntab[at];
        if (e == UINT64_MAX)
            break;
        if (TAG(e) != TAG(h))
            continue;
        const char *f = b->dict.data + (size_t)(uint32_t)e * 8;
        struct dname d;
        memcpy(&d, f, sizeof d);
        if (d.db == db && d.len == len && memcmp(f + sizeof d, s, len) == 0) {
            *id = d.k;
            return GL_OK;
        }
    }
    /* a slot holds the offset / 8 in 32 bits; names beyond are refused */
    size_t off = b->dict.len, size = dname_size(len);
    if (b->n_uniq == UINT32_MAX - 1 || (off + size) / 8 > UINT32_MAX ||
        gl_buf_reserve(&b->dict, size))
        return GL_ERR_NOMEM;
    struct dname d = {.k = b->n_uniq, .len = (uint16_t)len, .db = (uint8_t)db};
    char *f = b->dict.data + off;
    memcpy(f, &d, sizeof d);
    memcpy(f + sizeof d, s, len);
    memset(f + sizeof d + len, 0, size - sizeof d - len);
    b->dict.len += size;
    b->ntab[at] = TAG(h) | off / 8;
    *id = b->n_uniq++;
    return GL_OK;
}

static int record_digest(EVP_MD_CTX *ctx, const EVP_MD *md, const void *rec, size_t len,
                         unsigned char *out);

int gl_store_batch_add(struct gl_store_batch *b, const struct gl_event *ev, const void *rec,
                       size_t len)
{
    if (b->n_ev == b->cap_ev) {
        size_t nc = b->cap_ev ? b->cap_ev * 2 : 1024;
        struct pending *p = realloc(b->ev, nc * sizeof *p);
        if (!p)
            return GL_ERR_NOMEM;
        b->ev = p;
        uint32_t *nid = realloc(b->nid, nc * NM__COUNT * sizeof *nid);
        if (!nid)
            return GL_ERR_NOMEM;
        b->nid = nid;
        b->cap_ev = nc;
    }
    b->prepared = false;
    struct pending *p = &b->ev[b->n_ev];
    p->ts = ev->ts;
    p->type = (int)ev->type;
    if (!b->sha256 && !(b->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)))
        return GL_ERR_NOMEM;
    if (!b->addctx && !(b->addctx = EVP_MD_CTX_new()))
        return GL_ERR_NOMEM;
    int rc = record_digest(b->addctx, b->sha256, rec, len, p->digest);
    if (!rc)
        rc = arena_add(b, rec, len, &p->rec, &p->rec_len);
    if (!rc)
        rc = arena_add(b, ev->id.ptr, ev->id.len, &p->id, &p->id_len);
    uint32_t *nid = &b->nid[b->n_ev * NM__COUNT];
    if (!rc)
        rc = intern_name(b, ev->workload, NM_WL, &nid[NM_WL]);
    if (!rc)
        rc = intern_name(b, ev->task, NM_TASK, &nid[NM_TASK]);
    if (!rc)
        rc = intern_name(b, ev->cred_id, NM_CRED, &nid[NM_CRED]);
    if (!rc)
        rc = intern_name(b, ev->previous, NM_PREV, &nid[NM_PREV]);
    if (!rc && ev->type == GL_EV_AGENT_DELEGATED)
        rc = intern_name(b, ev->delegate, NM_DLG, &nid[NM_DLG]);
    else
        nid[NM_DLG] = UINT32_MAX;
    if (rc)
        return rc;
    p->idh = p->idw[0] = p->idw[1] = 0;
    if (p->id != SIZE_MAX) {
        const unsigned char *id = (const unsigned char *)b->arena.data + p->id;
        p->idh = XXH3_64bits_withSeed(id, p->id_len, b->seed);
        p->idw[0] = be_word(id, p->id_len, 0);
        p->idw[1] = be_word(id, p->id_len, 8);
    }
    b->n_ev++;
    return GL_OK;
}

static int arena_write(void *data, const char *buf, size_t len)
{
    return gl_buf_append(data, buf, len) ? -1 : 0;
}

/* The key of a refused input: where in its stream, and what (the stored,
 * redacted bytes, so the key holds nothing a reader of the store could not
 * see). */
static int refusal_key(struct gl_store_batch *b, const struct gl_store_refusal *r,
                       unsigned char key[16])
{
    if (!b->sha256 && !(b->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)))
        return GL_ERR_NOMEM;
    if (!b->addctx && !(b->addctx = EVP_MD_CTX_new()))
        return GL_ERR_NOMEM;
    unsigned char nums[24], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    put_u64be(nums, (uint64_t)r->at);
    put_u64be(nums + 8, (uint64_t)r->orig_len);
    put_u64be(nums + 16, (uint64_t)r->stamp);
    if (!EVP_DigestInit_ex(b->addctx, b->sha256, NULL) ||
        !EVP_DigestUpdate(b->addctx, r->stream, strlen(r->stream) + 1) ||
        !EVP_DigestUpdate(b->addctx, nums, sizeof nums) ||
        !EVP_DigestUpdate(b->addctx, r->raw, r->raw_len) ||
        !EVP_DigestFinal_ex(b->addctx, md, &mdlen))
        return GL_ERR_NOMEM;
    memcpy(key, md, 16);
    return GL_OK;
}

int gl_store_batch_quarantine(struct gl_store_batch *b, const struct gl_store_refusal *r)
{
    if (b->n_quar == b->cap_quar) {
        size_t nc = b->cap_quar ? b->cap_quar * 2 : 64;
        struct qentry *q = realloc(b->quar, nc * sizeof *q);
        if (!q)
            return GL_ERR_NOMEM;
        b->quar = q;
        b->cap_quar = nc;
    }
    struct qentry *q = &b->quar[b->n_quar];
    q->keyed = r->stream != NULL;
    if (q->keyed && refusal_key(b, r, q->key))
        return GL_ERR_NOMEM;
    size_t start = b->arena.len;
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b->arena, arena_write);
    int rc = msgpack_pack_map(&pk, 6);
    rc |= msgpack_pack_str_with_body(&pk, "t", 1);
    rc |= msgpack_pack_int64(&pk, gl_tstamp_now());
    rc |= msgpack_pack_str_with_body(&pk, "origin", 6);
    rc |= msgpack_pack_str_with_body(&pk, r->origin, strlen(r->origin));
    rc |= msgpack_pack_str_with_body(&pk, "reason", 6);
    rc |= msgpack_pack_str_with_body(&pk, r->reason, strlen(r->reason));
    rc |= msgpack_pack_str_with_body(&pk, "len", 3);
    rc |= msgpack_pack_uint64(&pk, r->orig_len);
    rc |= msgpack_pack_str_with_body(&pk, "esc", 3);
    rc |= r->escaped ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
    rc |= msgpack_pack_str_with_body(&pk, "raw", 3);
    rc |= msgpack_pack_bin_with_body(&pk, r->raw, r->raw_len);
    if (rc)
        return GL_ERR_NOMEM;
    q->off = start;
    q->len = b->arena.len - start;
    b->n_quar++;
    return GL_OK;
}

/* Source names are LMDB keys too; a long file path is shortened like an
 * index name. 'out' holds GL_STORE_INDEX_NAME_MAX + 1 bytes. */
static const char *position_key(const char *source, char *out)
{
    size_t n = gl_store_index_name(source, strlen(source), out);
    out[n] = '\0';
    return out;
}

int gl_store_batch_position(struct gl_store_batch *b, const char *source, int64_t next)
{
    char shortened[GL_STORE_INDEX_NAME_MAX + 1];
    source = position_key(source, shortened);
    for (size_t i = 0; i < b->n_pos; i++) {
        if (strcmp(b->pos[i].source, source) == 0) {
            b->pos[i].next = next;
            return GL_OK;
        }
    }
    if (b->n_pos == b->cap_pos) {
        size_t nc = b->cap_pos ? b->cap_pos * 2 : 16;
        struct position *p = realloc(b->pos, nc * sizeof *p);
        if (!p)
            return GL_ERR_NOMEM;
        b->pos = p;
        b->cap_pos = nc;
    }
    b->pos[b->n_pos].source = strdup(source);
    if (!b->pos[b->n_pos].source)
        return GL_ERR_NOMEM;
    b->pos[b->n_pos].next = next;
    b->n_pos++;
    return GL_OK;
}

/* --- commit --- */

/* A commit orders its batch with integer sorts only:
 *  - time order: events by (time, arrival), a radix sort on the time;
 *  - names: interned as events are added (intern_name), and only the
 *    distinct ones sorted by their bytes, giving each a rank (names share long
 *    prefixes, "agent:worker-", and memcmp in whole-batch sorts was a sixth
 *    of the writer);
 *  - sequence order (workload, time, arrival) and the index entries (index,
 *    name, time) are then u64 keys rank << shift | time position.
 * Sorted index entries walk each B-tree in order, so every leaf page is found
 * once in the cache instead of once per event. */

static int uniq_cmp(const void *a, const void *b)
{
    const struct uniq *x = a, *y = b;
    if (x->db != y->db)
        return x->db < y->db ? -1 : 1;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, n);
    return c ? c : x->len < y->len ? -1 : x->len > y->len;
}

/* A hash table for 'items' (slots as TAG's) in b->table, empty; returns its
 * size, 0 when out of memory. */
static size_t table_prepare(struct gl_store_batch *b, size_t items)
{
    size_t slots = 16;
    while (slots < items + items / 2)
        slots *= 2;
    if (!grow((void **)&b->table, &b->cap_table, slots, sizeof *b->table))
        return 0;
    memset(b->table, 0xff, slots * sizeof *b->table);
    return slots;
}

/* Orders the distinct (index, name) pairs of a[0..n) (values: uniq
 * indexes) by their bytes from 'off' on, all of one index and equal
 * before that: a radix sort per 8-byte chunk, going on to the next chunk
 * only within runs still tied. Names mostly share a long prefix
 * ("agent:worker-"), which made qsort's memcmp calls the costliest part of
 * ranking. */
static void insertion_sort_names(const struct uniq *u, struct gl_sort_kv *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct gl_sort_kv x = a[i];
        size_t j = i;
        for (; j > 0 && uniq_cmp(&u[a[j - 1].val], &u[x.val]) > 0; j--)
            a[j] = a[j - 1];
        a[j] = x;
    }
}

static void sort_names(const struct uniq *u, struct gl_sort_kv *a, struct gl_sort_kv *tmp, size_t n,
                       size_t off)
{
    if (n < 16) {
        insertion_sort_names(u, a, n);
        return;
    }
    /* Bytes every name of the run shares are skipped: one index's names
     * mostly share a prefix ("agent:worker-0", "task-0"), and sorting 8 of
     * them at a time cost a radix pass per shared chunk and per run. */
    const struct uniq *f = &u[a[0].val];
    size_t common = f->len;
    for (size_t i = 1; i < n && common > off; i++) {
        const struct uniq *x = &u[a[i].val];
        size_t k = off, end = x->len < common ? x->len : common;
        while (k < end && x->name[k] == f->name[k])
            k++;
        common = k;
    }
    if (common > off)
        off = common;
    bool more = false; /* some name goes on past this chunk */
    for (size_t i = 0; i < n; i++) {
        const struct uniq *x = &u[a[i].val];
        a[i].key = be_word((const unsigned char *)x->name, x->len, off);
        more |= x->len > off + 8;
    }
    const struct gl_sort_kv *s = gl_sort_kv(a, tmp, n);
    if (s != a)
        memcpy(a, s, n * sizeof *a);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && a[j].key == a[i].key; j++)
            ;
        if (j - i > 1 && more)
            sort_names(u, a + i, tmp + i, j - i, off + 8);
        else if (j - i > 1) /* past every name's end: only lengths (NULs) differ */
            insertion_sort_names(u, a + i, j - i);
    }
}

/* Fills b->rank[i * NM__COUNT + nm] with 1 + the rank of event i's name nm
 * among the batch's distinct (index, name) pairs (0: no such name), and
 * b->byrank[rank] with the pair. The interned ids are left as they are, so
 * ranking again after more events are added starts afresh. */
static int rank_names(struct gl_store_batch *b)
{
    size_t n = b->n_ev;
    uint32_t n_uniq = b->n_uniq;
    if (!grow((void **)&b->rank, &b->cap_rank, n * NM__COUNT, sizeof *b->rank) ||
        !grow((void **)&b->uniq, &b->cap_uniq, n_uniq, sizeof *b->uniq) ||
        !grow((void **)&b->kv, &b->cap_kv, 2 * (size_t)n_uniq, sizeof *b->kv) ||
        !grow((void **)&b->rank_of, &b->cap_rank_of, n_uniq, sizeof *b->rank_of) ||
        !grow((void **)&b->byrank, &b->cap_byrank, n_uniq, sizeof *b->byrank))
        return ENOMEM;
    for (size_t off = 0, k = 0; k < n_uniq; k++) {
        struct dname d;
        memcpy(&d, b->dict.data + off, sizeof d);
        b->uniq[k] = (struct uniq){b->dict.data + off + sizeof d, d.len, d.db};
        off += dname_size(d.len);
    }
    /* by index first (a stable pass), then by name within each */
    struct gl_sort_kv *a = b->kv, *tmp = b->kv + n_uniq;
    size_t m = 0;
    for (int db = DB_WORKLOAD; db <= DB_CRED; db++) {
        size_t start = m;
        for (uint32_t k = 0; k < n_uniq; k++)
            if (b->uniq[k].db == db)
                a[m++] = (struct gl_sort_kv){0, k};
        sort_names(b->uniq, a + start, tmp + start, m - start, 0);
    }
    for (uint32_t r = 0; r < n_uniq; r++) {
        b->rank_of[a[r].val] = r + 1;
        b->byrank[r] = b->uniq[a[r].val];
    }
    for (size_t i = 0; i < n * NM__COUNT; i++)
        b->rank[i] = b->nid[i] == UINT32_MAX ? 0 : b->rank_of[b->nid[i]];
    return 0;
}

/* Marks in-batch duplicates in arrival order, so the first arrival of an id
 * is the one kept whatever its place in the sequence order. */
static int mark_dups(struct gl_store_batch *b)
{
    size_t n = b->n_ev, slots = table_prepare(b, n);
    if (!slots || !grow((void **)&b->dup, &b->cap_dup, n, sizeof *b->dup))
        return ENOMEM;
    const char *arena = b->arena.data;
    for (size_t i = 0; i < n; i++) {
        const struct pending *p = &b->ev[i];
        b->dup[i] = false;
        for (size_t at = p->idh & (slots - 1);; at = (at + 1) & (slots - 1)) {
            uint64_t e = b->table[at];
            if (e == UINT64_MAX) {
                b->table[at] = TAG(p->idh) | i;
                break;
            }
            if (TAG(e) != TAG(p->idh))
                continue;
            const struct pending *q = &b->ev[(uint32_t)e];
            if (q->id_len == p->id_len && memcmp(arena + q->id, arena + p->id, p->id_len) == 0) {
                b->dup[i] = true;
                break;
            }
        }
    }
    return 0;
}

/* Sets b->idord: the events that are not in-batch duplicates, in the order
 * of their ids' first 16 bytes (two stable passes, low word first), and
 * clears b->xdup. */
static int order_by_id(struct gl_store_batch *b)
{
    size_t n = b->n_ev, m = 0;
    if (!grow((void **)&b->kv, &b->cap_kv, 2 * n, sizeof *b->kv) ||
        !grow((void **)&b->idord, &b->cap_idord, n, sizeof *b->idord) ||
        !grow((void **)&b->xdup, &b->cap_xdup, n, sizeof *b->xdup))
        return ENOMEM;
    memset(b->xdup, 0, n * sizeof *b->xdup);
    for (size_t i = 0; i < n; i++)
        if (!b->dup[i])
            b->kv[m++] = (struct gl_sort_kv){b->ev[i].idw[1], i};
    struct gl_sort_kv *s = gl_sort_kv(b->kv, b->kv + n, m);
    for (size_t j = 0; j < m; j++)
        s[j].key = b->ev[s[j].val].idw[0];
    s = gl_sort_kv(s, s == b->kv ? b->kv + n : b->kv, m);
    for (size_t j = 0; j < m; j++)
        b->idord[j] = (uint32_t)s[j].val;
    b->n_idord = m;
    return 0;
}

static unsigned bits_for(uint64_t v)
{
    unsigned n = 0;
    while (v >> n)
        n++;
    return n;
}

/* Sets b->tord (events by time, then arrival), b->tpos (each event's place
 * in it) and b->shift (bits a time position takes in a sort key). */
static int order_by_time(struct gl_store_batch *b)
{
    size_t n = b->n_ev;
    if (!grow((void **)&b->kv, &b->cap_kv, 2 * n, sizeof *b->kv) ||
        !grow((void **)&b->tord, &b->cap_tord, n, sizeof *b->tord) ||
        !grow((void **)&b->tpos, &b->cap_tpos, n, sizeof *b->tpos) ||
        !grow((void **)&b->tts, &b->cap_tts, n, sizeof *b->tts))
        return ENOMEM;
    int64_t lo = b->ev[0].ts;
    for (size_t i = 1; i < n; i++)
        if (b->ev[i].ts < lo)
            lo = b->ev[i].ts;
    for (size_t i = 0; i < n; i++)
        b->kv[i] = (struct gl_sort_kv){(uint64_t)b->ev[i].ts - (uint64_t)lo, i};
    const struct gl_sort_kv *s = gl_sort_kv(b->kv, b->kv + n, n);
    for (size_t j = 0; j < n; j++) {
        b->tord[j] = (uint32_t)s[j].val;
        b->tpos[s[j].val] = (uint32_t)j;
        b->tts[j] = (int64_t)((uint64_t)lo + s[j].key);
    }
    b->shift = bits_for(n);
    return 0;
}

/* Sorts b->keys[0..n) (rank << shift | time position); returns the result. */
static const uint64_t *sort_keys(struct gl_store_batch *b, size_t n)
{
    return gl_sort_u64(b->keys, b->keys + b->cap_keys / 2, n);
}

/* Puts (ts, seq) at post[m] (16 bytes each) keeping post[0..m] in order.
 * The entries come in time order, but those of one time may need their
 * sequence numbers sorted: insertion, which rarely moves anything. */
static void post_add(unsigned char *post, size_t m, int64_t ts, uint64_t seq)
{
    unsigned char *e = post + 16 * m;
    put_ts(e, ts);
    put_u64be(e + 8, seq);
    for (unsigned char *f = e; f > post && memcmp(f - 16, f, 16) > 0; f -= 16) {
        unsigned char t[16];
        memcpy(t, f, 16);
        memcpy(f, f - 16, 16);
        memcpy(f - 16, t, 16);
    }
}

/* The batch's by_time entries go to recent_index too, in chunks of up to
 * TIME_CHUNK (ts|seq) entries in order, each keyed gen | 4 | its last
 * entry: a seek to a time lands on the chunk holding the first entry at or
 * after it.
 * Inserted one by one, a batch's entries landed among those of earlier
 * batches (a backlog's partitions drift apart in time): most failed to
 * append, needed a search and dirtied a page spread over the drift, the
 * largest single cost of the writer (docs/PERFORMANCE.md, session 17); the
 * merge inserts many batches' entries in one ordered pass, mostly appends. */
static int time_write(struct gl_store *st, MDB_txn *txn, struct gl_store_batch *b, uint64_t gen,
                      bool *wrote)
{
    if (!grow((void **)&b->post, &b->cap_post, b->n_ev * 16, 1))
        return ENOMEM;
    size_t m = 0;
    for (size_t j = 0; j < b->n_ev; j++) {
        if (!b->seq[j])
            continue;
        post_add(b->post, m++, b->tts[j], b->seq[j]); /* sequence follows workload first */
    }
    if (m == 0)
        return MDB_SUCCESS;
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(txn, st->dbi[DB_RECENT], &cur);
    unsigned char key[TIME_KEY_LEN];
    put_u64be(key, gen);
    key[8] = IDX_TIME;
    for (size_t j = 0; j < m && rc == MDB_SUCCESS; j += TIME_CHUNK) {
        size_t c = m - j < TIME_CHUNK ? m - j : TIME_CHUNK;
        memcpy(key + 9, b->post + 16 * (j + c - 1), 16);
        MDB_val k = {sizeof key, key}, v = {16 * c, b->post + 16 * j};
        rc = mdb_cursor_put(cur, &k, &v, MDB_APPEND);
        if (rc == MDB_KEYEXIST) /* the same gen twice: never overwrite entries */
            rc = MDB_CORRUPTED;
        *wrote = true;
    }
    if (cur)
        mdb_cursor_close(cur);
    return rc;
}

/* The batch's name index entries go to recent_index, one value per (index,
 * name) listing its (time, seq) entries in order, under a key that starts
 * with the batch's first sequence number: the batch appends to the end of
 * that tree. Inserted by name into the DUPSORT indexes, every batch dirtied
 * a leaf page (with a name's own sub-tree, up to four pages) per active name,
 * and those pages, not the entries, were most of what the writer wrote once
 * a store held a few million events (merge_recent moves them later, many
 * batches at once). */
static int index_write(struct gl_store *st, MDB_txn *txn, struct gl_store_batch *b, uint64_t gen,
                       bool *wrote)
{
    size_t n = b->n_ikeys, mask = ((size_t)1 << b->shift) - 1;
    const uint64_t *keys = b->ikeys;
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(txn, st->dbi[DB_RECENT], &cur);
    unsigned char key[9 + GL_STORE_INDEX_NAME_MAX];
    put_u64be(key, gen);
    for (size_t j = 0, end; j < n && rc == MDB_SUCCESS; j = end) {
        uint64_t r = keys[j] >> b->shift;
        for (end = j; end < n && keys[end] >> b->shift == r; end++)
            ;
        if (!grow((void **)&b->post, &b->cap_post, (end - j) * 16, 1)) {
            rc = ENOMEM;
            break;
        }
        size_t m = 0;
        for (size_t x = j; x < end; x++) {
            if (x + 8 < end) { /* entries of one name jump around the batch's times */
                __builtin_prefetch(&b->seq[keys[x + 8] & mask]);
                __builtin_prefetch(&b->tts[keys[x + 8] & mask]);
            }
            size_t tp = keys[x] & mask;
            if (!b->seq[tp] || (x > j && keys[x] == keys[x - 1]))
                continue; /* a duplicate, or the same name twice in one event */
            post_add(b->post, m++, b->tts[tp], b->seq[tp]); /* a name shared by workloads */
        }
        if (m == 0)
            continue;
        const struct uniq *u = &b->byrank[r - 1];
        key[8] = (unsigned char)(u->db - DB_WORKLOAD);
        memcpy(key + 9, u->name, u->len);
        MDB_val k = {9 + u->len, key}, v = {16 * m, b->post};
        rc = mdb_cursor_put(cur, &k, &v, MDB_APPEND);
        if (rc == MDB_KEYEXIST) /* not after the last key: a defence, gens only grow */
            rc = mdb_cursor_put(cur, &k, &v, MDB_NOOVERWRITE);
        if (rc == MDB_KEYEXIST) /* the same gen twice: never overwrite entries */
            rc = MDB_CORRUPTED;
        *wrote = true;
    }
    /* the batch's dedup entries, by id, after its names (index byte 3) */
    key[8] = IDX_ID;
    const char *arena = b->arena.data;
    for (size_t j = 0; b->ids_wait && j < b->n_idord && rc == MDB_SUCCESS; j++) {
        size_t i = b->idord[j];
        uint64_t sq = b->seq[b->tpos[i]];
        if (!sq)
            continue;
        const struct pending *p = &b->ev[i];
        if (p->id_len == 0 || p->id_len > GL_STORE_INDEX_NAME_MAX) {
            rc = EINVAL;
            break;
        }
        memcpy(key + 9, arena + p->id, p->id_len);
        unsigned char seqbe[8];
        put_u64be(seqbe, sq);
        MDB_val k = {9 + p->id_len, key}, v = {8, seqbe};
        rc = mdb_cursor_put(cur, &k, &v, MDB_APPEND);
        if (rc == MDB_KEYEXIST) /* ids sharing their first 16 bytes: not sorted */
            rc = mdb_cursor_put(cur, &k, &v, MDB_NOOVERWRITE);
        if (rc == MDB_KEYEXIST) /* cannot be: the batch's repeats are marked */
            rc = MDB_SUCCESS;
        *wrote = true;
    }
    if (cur)
        mdb_cursor_close(cur);
    /* by_time's entries last: their index byte sorts after the others */
    return rc ? rc : time_write(st, txn, b, gen, wrote);
}

/* 'ctx' is reused for every link of a batch or a verify: a context and an
 * explicitly fetched digest avoid OpenSSL 3's lookup (and lock) per event.
 * A link hashes the record's own SHA-256, so the record is hashed by the
 * thread that adds it (while it is in that core's cache) and the writer
 * hashes 72 bytes per event. */
static int record_digest(EVP_MD_CTX *ctx, const EVP_MD *md, const void *rec, size_t len,
                         unsigned char *out)
{
    int ok = ctx && md && EVP_DigestInit_ex(ctx, md, NULL) && EVP_DigestUpdate(ctx, rec, len) &&
             EVP_DigestFinal_ex(ctx, out, NULL);
    return ok ? GL_OK : GL_ERR_NOMEM;
}

static int chain_link(EVP_MD_CTX *ctx, const EVP_MD *md, const unsigned char *prev, uint64_t seq,
                      const unsigned char *digest, unsigned char *out)
{
    unsigned char in[GL_STORE_HASH_LEN + 8 + GL_STORE_HASH_LEN];
    memcpy(in, prev, GL_STORE_HASH_LEN);
    put_u64be(in + GL_STORE_HASH_LEN, seq);
    memcpy(in + GL_STORE_HASH_LEN + 8, digest, GL_STORE_HASH_LEN);
    int ok = ctx && md && EVP_DigestInit_ex(ctx, md, NULL) &&
             EVP_DigestUpdate(ctx, in, sizeof in) && EVP_DigestFinal_ex(ctx, out, NULL);
    return ok ? GL_OK : GL_ERR_NOMEM;
}

static int read_counters(MDB_txn *txn, MDB_dbi meta, uint64_t *cnt)
{
    memset(cnt, 0, CNT__COUNT * sizeof *cnt);
    MDB_val v;
    int rc = meta_get(txn, meta, "counters", &v);
    if (rc == MDB_NOTFOUND)
        return MDB_SUCCESS;
    if (rc)
        return rc;
    size_t n = v.mv_size / 8;
    for (size_t i = 0; i < n && i < CNT__COUNT; i++)
        cnt[i] = get_u64be((const unsigned char *)v.mv_data + 8 * i);
    return MDB_SUCCESS;
}

/* Sequence numbers within a batch follow (workload, time, arrival): the
 * events tree then holds each workload's events of a batch side by side, so
 * a timeline reads a few neighbouring leaf pages per batch instead of one
 * random page per event (timeline 2x faster on 1M events, docs/PERFORMANCE.md),
 * while records are still appended. Across batches, sequence is commit order.
 * Leaves that order in b->order, the index entries sorted in b->ikeys (all
 * but in-batch duplicates; duplicates of earlier batches are only known in
 * the write transaction) and every scratch array write_batch needs. */
static int order_batch(struct gl_store_batch *b)
{
    size_t n = b->n_ev;
    if (!grow((void **)&b->seq, &b->cap_seq, n, sizeof *b->seq) ||
        !grow((void **)&b->order, &b->cap_order, n, sizeof *b->order) ||
        !grow((void **)&b->keys, &b->cap_keys, 2 * n * NM__COUNT, sizeof *b->keys))
        return ENOMEM;
    int rc = mark_dups(b);
    if (!rc)
        rc = order_by_id(b);
    if (!rc)
        rc = order_by_time(b);
    if (!rc)
        rc = rank_names(b);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        b->keys[i] = (uint64_t)b->rank[i * NM__COUNT + NM_WL] << b->shift | b->tpos[i];
    memcpy(b->order, sort_keys(b, n), n * sizeof *b->order);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (b->dup[i])
            continue;
        for (int nm = 0; nm < NM__COUNT; nm++)
            if (b->rank[i * NM__COUNT + nm])
                b->keys[k++] = (uint64_t)b->rank[i * NM__COUNT + nm] << b->shift | b->tpos[i];
    }
    b->ikeys = sort_keys(b, k);
    b->n_ikeys = k;
    b->prepared = true;
    return 0;
}

int gl_store_batch_prepare(struct gl_store_batch *b, struct gl_error *err)
{
    if (b->prepared || b->n_ev == 0)
        return GL_OK;
    if (b->n_ev > GL_STORE_BATCH_MAX)
        return GL_OK; /* the commit reports it */
    return order_batch(b) ? gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory") : GL_OK;
}

/* The gens (first sequence numbers) of the batches waiting in recent_index,
 * in order: meta "recent_gens", 8 bytes each, borrowed from the transaction.
 * Kept there so a query finds them with one lookup. */
static int recent_list(MDB_txn *txn, struct gl_store *st, const unsigned char **gens, size_t *n)
{
    MDB_val v;
    int rc = meta_get(txn, st->dbi[DB_META], "recent_gens", &v);
    *gens = NULL;
    *n = 0;
    if (rc == MDB_NOTFOUND)
        return MDB_SUCCESS;
    if (rc == MDB_SUCCESS && v.mv_size % 8)
        rc = MDB_CORRUPTED;
    if (rc == MDB_SUCCESS) {
        *gens = v.mv_data;
        *n = v.mv_size / 8;
    }
    return rc;
}

/* One waiting batch's by_time entries in order, chunk by chunk (see
 * time_write); the chunks are mapped until the transaction ends. */
struct tchunk {
    MDB_cursor *cur;
    unsigned char pre[9]; /* gen | IDX_TIME */
    const unsigned char *ents; /* NULL: past the batch's last entry */
    size_t n, at;
    size_t chunks; /* chunks visited: the merge counts what it moves */
};

/* Takes the chunk under the cursor, if it is one of the batch's. */
static int tchunk_load(struct tchunk *t, int rc, const MDB_val *k, const MDB_val *v)
{
    t->ents = NULL;
    t->n = t->at = 0;
    if (rc)
        return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
    if (k->mv_size < 9 || memcmp(k->mv_data, t->pre, 9) != 0)
        return MDB_SUCCESS;
    if (k->mv_size != TIME_KEY_LEN || v->mv_size == 0 || v->mv_size % 16 ||
        v->mv_size > 16 * TIME_CHUNK ||
        memcmp((const unsigned char *)k->mv_data + 9,
               (const unsigned char *)v->mv_data + v->mv_size - 16, 16) != 0)
        return MDB_CORRUPTED;
    t->ents = v->mv_data;
    t->n = v->mv_size / 16;
    t->chunks++;
    return MDB_SUCCESS;
}

/* Opens 't' on the batch 'gen8' (8 bytes) at its first entry at or after
 * 'lo' (ts|seq; NULL: its first entry). tchunk_close even when it fails. */
static int tchunk_seek(struct tchunk *t, MDB_txn *txn, MDB_dbi recent, const unsigned char *gen8,
                       const unsigned char *lo)
{
    memset(t, 0, sizeof *t);
    memcpy(t->pre, gen8, 8);
    t->pre[8] = IDX_TIME;
    int rc = mdb_cursor_open(txn, recent, &t->cur);
    if (rc) {
        t->cur = NULL;
        return rc;
    }
    unsigned char kb[TIME_KEY_LEN];
    memcpy(kb, t->pre, 9);
    if (lo)
        memcpy(kb + 9, lo, 16);
    MDB_val k = {lo ? sizeof kb : 9, kb}, v;
    rc = tchunk_load(t, mdb_cursor_get(t->cur, &k, &v, MDB_SET_RANGE), &k, &v);
    if (rc || !lo || !t->ents)
        return rc;
    size_t a = 0, b = t->n - 1; /* the chunk's last entry is at or after 'lo' */
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (memcmp(t->ents + 16 * mid, lo, 16) < 0)
            a = mid + 1;
        else
            b = mid;
    }
    t->at = a;
    return MDB_SUCCESS;
}

/* The current entry (16 bytes), NULL after the last. */
static const unsigned char *tchunk_head(const struct tchunk *t)
{
    return t->ents ? t->ents + 16 * t->at : NULL;
}

static int tchunk_next(struct tchunk *t)
{
    if (!t->ents || ++t->at < t->n)
        return MDB_SUCCESS;
    MDB_val k, v;
    return tchunk_load(t, mdb_cursor_get(t->cur, &k, &v, MDB_NEXT), &k, &v);
}

static void tchunk_close(struct tchunk *t)
{
    if (t->cur)
        mdb_cursor_close(t->cur);
    t->cur = NULL;
}

/* Of several entry streams, the one whose entry comes first (NULL: all
 * ended); 'head' gets its entry. */
static struct tchunk *tchunk_min(struct tchunk *t, size_t n, const unsigned char **head)
{
    struct tchunk *min = NULL;
    *head = NULL;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *h = tchunk_head(&t[i]);
        if (h && (!*head || memcmp(h, *head, 16) < 0)) {
            min = &t[i];
            *head = h;
        }
    }
    return min;
}

static int write_batch(struct gl_store *st, MDB_txn *txn, struct gl_store_batch *b,
                       struct gl_store_commit_result *res, bool *dup_flags)
{
    const char *arena = b->arena.data;
    MDB_val v;
    uint64_t seq = 0;
    unsigned char head[GL_STORE_HASH_LEN] = {0};
    uint64_t cnt[CNT__COUNT];
    int rc = meta_get(txn, st->dbi[DB_META], "last_seq", &v);
    if (rc)
        return rc;
    seq = get_u64be(v.mv_data);
    rc = meta_get(txn, st->dbi[DB_META], "chain_head", &v);
    if (rc)
        return rc;
    memcpy(head, v.mv_data, sizeof head);
    rc = read_counters(txn, st->dbi[DB_META], cnt);
    if (rc)
        return rc;
    memset(res, 0, sizeof *res);
    res->first_seq = seq + 1;
    if (!st->waiting && !(st->waiting = idset_new()))
        return ENOMEM;
    st->waiting->pending = mdb_txn_id(txn);
    if (st->waiting->at_txn != st->waiting->pending - 1) {
        st->waiting->at_txn = SIZE_MAX;
        rc = idset_load(st->waiting, txn, st->dbi[DB_RECENT]);
        if (rc)
            return rc;
        st->waiting->at_txn = st->waiting->pending - 1;
    }
    size_t n = b->n_ev;
    if (n > GL_STORE_BATCH_MAX)
        return EOVERFLOW;
    if (n && !b->prepared) {
        rc = order_batch(b);
        if (rc)
            return rc;
    }
    MDB_cursor *dcur = NULL, *ecur = NULL, *ccur = NULL;
    rc = mdb_cursor_open(txn, st->dbi[DB_DEDUP], &dcur);
    if (!rc)
        rc = mdb_cursor_open(txn, st->dbi[DB_EVENTS], &ecur);
    if (!rc)
        rc = mdb_cursor_open(txn, st->dbi[DB_CHAIN], &ccur);
    if (!rc && n && !b->mdctx && !(b->mdctx = EVP_MD_CTX_new()))
        rc = ENOMEM;
    size_t mask = ((size_t)1 << b->shift) - 1;
    /* Sequence numbers first, assuming no event repeats one of an earlier
     * batch; the ids are then looked up in id order (neighbours in the
     * dedup tree) and among the waiting ones. A repeat found is marked and
     * the batch replayed (RETRY_DUPS). */
    uint64_t next = seq;
    for (size_t j = 0; j < n; j++) {
        size_t tp = b->order[j] & mask, i = b->tord[tp];
        b->seq[tp] = b->dup[i] || b->xdup[i] ? 0 : ++next;
    }
    MDB_stat ds;
    if (!rc)
        rc = mdb_stat(txn, st->dbi[DB_DEDUP], &ds);
    b->ids_wait = !rc && ds.ms_entries >= st->dedup_direct_max;
    bool again = false;
    for (size_t j = 0; n && j < b->n_idord && !rc; j++) {
        if (j + 8 < b->n_idord) /* ids are scattered over the batch: fetch ahead */
            __builtin_prefetch(&b->ev[b->idord[j + 8]]);
        if (j + 4 < b->n_idord) {
            const struct pending *ahead = &b->ev[b->idord[j + 4]];
            __builtin_prefetch(arena + ahead->id);
            __builtin_prefetch(&b->seq[b->tpos[b->idord[j + 4]]]);
        }
        size_t i = b->idord[j];
        uint64_t sq = b->seq[b->tpos[i]];
        if (!sq)
            continue;
        const struct pending *p = &b->ev[i];
        MDB_val dk = {p->id_len, (void *)(arena + p->id)}, dv;
        if (idset_has(st->waiting, dk.mv_data, dk.mv_size)) {
            rc = MDB_KEYEXIST;
        } else if (b->ids_wait) {
            rc = mdb_cursor_get(dcur, &dk, &dv, MDB_SET);
            rc = rc == MDB_SUCCESS ? MDB_KEYEXIST : rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
        } else { /* straight into the tree: found and inserted in one search */
            unsigned char seqbe[8];
            put_u64be(seqbe, sq);
            dv = (MDB_val){8, seqbe};
            rc = mdb_cursor_put(dcur, &dk, &dv, MDB_NOOVERWRITE);
        }
        if (rc == MDB_KEYEXIST) {
            b->xdup[i] = true;
            again = true;
            rc = MDB_SUCCESS;
        }
    }
    if (!rc && again)
        rc = RETRY_DUPS;
    for (size_t j = 0; j < n && !rc; j++) {
        if (j + 8 < n) /* the order jumps around the batch: fetch ahead */
            __builtin_prefetch(&b->ev[b->tord[b->order[j + 8] & mask]]);
        if (j + 4 < n) {
            const struct pending *ahead = &b->ev[b->tord[b->order[j + 4] & mask]];
            for (size_t at = 0; at < ahead->rec_len; at += 64)
                __builtin_prefetch(arena + ahead->rec + at);
        }
        size_t tp = b->order[j] & mask, i = b->tord[tp];
        const struct pending *p = &b->ev[i];
        if (dup_flags)
            dup_flags[i] = b->seq[tp] == 0;
        if (!b->seq[tp]) {
            res->duplicates++;
            cnt[CNT_DUPLICATES]++;
            continue;
        }
        seq = b->seq[tp];
        unsigned char seqbe[8], link[GL_STORE_HASH_LEN];
        put_u64be(seqbe, seq);
        if (chain_link(b->mdctx, st->sha256, head, seq, p->digest, link)) {
            rc = ENOMEM;
            break;
        }
        memcpy(head, link, sizeof head);
        MDB_val k = {8, seqbe};
        MDB_val rv = {p->rec_len, (void *)(arena + p->rec)};
        MDB_val lv = {sizeof link, link};
        rc = mdb_cursor_put(ecur, &k, &rv, MDB_APPEND);
        if (!rc)
            rc = mdb_cursor_put(ccur, &k, &lv, MDB_APPEND);
        cnt[p->type]++;
        res->stored++;
    }
    mdb_cursor_close(dcur);
    mdb_cursor_close(ecur);
    mdb_cursor_close(ccur);
    if (rc)
        return rc;
    res->last_seq = seq;
    bool wrote = false;
    if (n) {
        rc = index_write(st, txn, b, res->first_seq, &wrote);
        if (rc)
            return rc;
    }
    const unsigned char *gens;
    size_t ng;
    rc = recent_list(txn, st, &gens, &ng);
    if (rc)
        return rc;
    if (wrote) {
        unsigned char *list = malloc(8 * (ng + 1));
        if (!list)
            return ENOMEM;
        if (ng) /* 'gens' is in meta's page, which the put rewrites */
            memcpy(list, gens, 8 * ng);
        put_u64be(list + 8 * ng++, res->first_seq);
        rc = meta_put(txn, st->dbi[DB_META], "recent_gens", list, 8 * ng);
        free(list);
        if (rc)
            return rc;
    }
    st->recent_gens = ng; /* valid once the transaction commits */

    if (b->n_quar) {
        MDB_cursor *cur;
        rc = mdb_cursor_open(txn, st->dbi[DB_QUAR], &cur);
        if (rc)
            return rc;
        MDB_val k, qv;
        uint64_t qseq = 0;
        rc = mdb_cursor_get(cur, &k, &qv, MDB_LAST);
        if (rc == MDB_SUCCESS)
            qseq = get_u64be(k.mv_data);
        else if (rc != MDB_NOTFOUND) {
            mdb_cursor_close(cur);
            return rc;
        }
        mdb_cursor_close(cur);
        for (size_t i = 0; i < b->n_quar; i++) {
            const struct qentry *q = &b->quar[i];
            unsigned char qk[8];
            put_u64be(qk, qseq + 1);
            MDB_val kk = {8, qk};
            if (q->keyed) { /* the same input, read again: a repeat */
                MDB_val sk = {sizeof q->key, (void *)q->key}, sv = kk;
                rc = mdb_put(txn, st->dbi[DB_QSEEN], &sk, &sv, MDB_NOOVERWRITE);
                if (rc == MDB_KEYEXIST) {
                    res->repeats++;
                    cnt[CNT_DUPLICATES]++;
                    continue;
                }
                if (rc)
                    return rc;
            }
            MDB_val vv = {q->len, (void *)(arena + q->off)};
            rc = mdb_put(txn, st->dbi[DB_QUAR], &kk, &vv, MDB_APPEND);
            if (rc)
                return rc;
            qseq++;
            res->quarantined++;
            cnt[CNT_QUARANTINED]++;
        }
    }
    for (size_t i = 0; i < b->n_pos; i++) {
        unsigned char nb[8];
        put_u64be(nb, (uint64_t)b->pos[i].next);
        MDB_val k = {strlen(b->pos[i].source), b->pos[i].source};
        MDB_val pv = {8, nb};
        rc = mdb_put(txn, st->dbi[DB_POS], &k, &pv, 0);
        if (rc)
            return rc;
    }
    unsigned char seqbe[8], cbuf[CNT__COUNT * 8];
    put_u64be(seqbe, seq);
    for (int i = 0; i < CNT__COUNT; i++)
        put_u64be(cbuf + 8 * i, cnt[i]);
    rc = meta_put(txn, st->dbi[DB_META], "last_seq", seqbe, 8);
    if (!rc)
        rc = meta_put(txn, st->dbi[DB_META], "chain_head", head, sizeof head);
    if (!rc)
        rc = meta_put(txn, st->dbi[DB_META], "counters", cbuf, sizeof cbuf);
    return rc;
}

/* Moves every entry of recent_index into the by-name indexes, the dedup
 * tree and by_time and empties it, in one transaction: a query sees an entry in one
 * place or the other, never both or neither. The batches are walked side by
 * side in key order (one cursor each), so all of a name's new entries go in
 * together and its pages are found once per merge. */
struct merge_cur {
    MDB_cursor *c;
    uint64_t gen;
    MDB_val k, v;
    bool live;
};

/* -1, 0, 1: how a's (index, name) compares with b's. */
static int merge_cmp(const struct merge_cur *a, const struct merge_cur *b)
{
    size_t la = a->k.mv_size - 8, lb = b->k.mv_size - 8;
    int c = memcmp((const char *)a->k.mv_data + 8, (const char *)b->k.mv_data + 8,
                   la < lb ? la : lb);
    return c ? c : la < lb ? -1 : la > lb;
}

/* Whether the cursor is on one of its batch's name or dedup entries (its
 * by_time entries, last, are merged by merge_time). */
static bool merge_live(const struct merge_cur *g, int rc)
{
    const unsigned char *kp = g->k.mv_data;
    return rc == MDB_SUCCESS && g->k.mv_size >= 10 && get_u64be(kp) == g->gen &&
           kp[8] != IDX_TIME;
}

static int merge_step(struct merge_cur *g)
{
    int rc = mdb_cursor_get(g->c, &g->k, &g->v, MDB_NEXT);
    g->live = merge_live(g, rc);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

/* Moves the waiting batches' by_time entries into by_time in one ordered
 * pass over all of them: those after by_time's last entry (most, as the
 * batches' times move on) are appended, without a search. */
static int merge_time(struct gl_store *st, MDB_txn *txn, const unsigned char *gens, size_t n_gens,
                      size_t *moved)
{
    struct tchunk *t = calloc(n_gens ? n_gens : 1, sizeof *t);
    if (!t)
        return ENOMEM;
    MDB_cursor *tc = NULL;
    int rc = mdb_cursor_open(txn, st->dbi[DB_TIME], &tc);
    size_t opened = 0;
    for (; opened < n_gens && !rc; opened++)
        rc = tchunk_seek(&t[opened], txn, st->dbi[DB_RECENT], gens + 8 * opened, NULL);
    unsigned char last[16];
    bool has_last = false;
    if (!rc) {
        MDB_val k, v;
        rc = mdb_cursor_get(tc, &k, &v, MDB_LAST);
        if (rc == MDB_SUCCESS && k.mv_size != 16)
            rc = MDB_CORRUPTED;
        if (rc == MDB_SUCCESS) {
            memcpy(last, k.mv_data, 16);
            has_last = true;
        } else if (rc == MDB_NOTFOUND) {
            rc = MDB_SUCCESS;
        }
    }
    const unsigned char *h;
    struct tchunk *min;
    while (!rc && (min = tchunk_min(t, n_gens, &h)) != NULL) {
        MDB_val k = {16, (void *)h}, v = {0, NULL};
        if (!has_last || memcmp(h, last, 16) > 0) {
            rc = mdb_cursor_put(tc, &k, &v, MDB_APPEND);
            memcpy(last, h, 16);
            has_last = true;
        } else {
            rc = mdb_cursor_put(tc, &k, &v, 0);
        }
        if (!rc)
            rc = tchunk_next(min);
    }
    for (size_t i = 0; i < opened; i++) {
        *moved += t[i].chunks;
        tchunk_close(&t[i]);
    }
    if (tc)
        mdb_cursor_close(tc);
    free(t);
    return rc;
}

static int merge_recent(struct gl_store *st, MDB_txn *txn)
{
    struct merge_cur *g = NULL;
    size_t ng = 0, cap = 0;
    MDB_cursor *icur[4] = {NULL, NULL, NULL, NULL};
    const unsigned char *gens;
    size_t n_gens;
    int rc = recent_list(txn, st, &gens, &n_gens);
    if (!rc && n_gens == 0)
        return MDB_NOTFOUND; /* nothing waits: nothing to write */
    for (size_t gi = 0; gi < n_gens && !rc; gi++) {
        uint64_t gen = get_u64be(gens + 8 * gi);
        if (ng == cap) {
            cap = cap ? 2 * cap : MERGE_GENS;
            struct merge_cur *n = realloc(g, cap * sizeof *n);
            if (!n) {
                rc = ENOMEM;
                break;
            }
            g = n;
        }
        struct merge_cur *m = &g[ng];
        rc = mdb_cursor_open(txn, st->dbi[DB_RECENT], &m->c);
        if (rc)
            break;
        ng++;
        unsigned char kb[8];
        put_u64be(kb, gen);
        m->gen = gen;
        m->k = (MDB_val){8, kb};
        rc = mdb_cursor_get(m->c, &m->k, &m->v, MDB_SET_RANGE);
        m->live = merge_live(m, rc);
        if (rc == MDB_NOTFOUND)
            rc = MDB_SUCCESS;
    }
    for (int i = 0; i < 4 && !rc; i++)
        rc = mdb_cursor_open(txn, st->dbi[i == IDX_ID ? DB_DEDUP : DB_WORKLOAD + i], &icur[i]);
    size_t moved = 0; /* recent_index entries merged: all of them, or corrupt */
    while (!rc) {
        struct merge_cur *min = NULL;
        for (size_t i = 0; i < ng; i++)
            if (g[i].live && (!min || merge_cmp(&g[i], min) < 0))
                min = &g[i];
        if (!min)
            break;
        const unsigned char *kp = min->k.mv_data;
        unsigned idx = kp[8];
        unsigned char name[GL_STORE_INDEX_NAME_MAX];
        size_t nlen = min->k.mv_size - 9;
        if (idx > IDX_ID || nlen > sizeof name) {
            rc = MDB_CORRUPTED;
            break;
        }
        /* min's key moves on below: compare the others with a copy */
        unsigned char kcopy[9 + GL_STORE_INDEX_NAME_MAX];
        memcpy(kcopy, kp, min->k.mv_size);
        memcpy(name, kp + 9, nlen);
        struct merge_cur key = {.k = {min->k.mv_size, kcopy}};
        for (size_t i = 0; i < ng && !rc; i++) {
            if (!g[i].live || merge_cmp(&g[i], &key) != 0)
                continue;
            if (idx == IDX_ID) { /* an id: its dedup entry */
                MDB_val nk = {nlen, name};
                rc = g[i].v.mv_size == 8 ? mdb_cursor_put(icur[idx], &nk, &g[i].v, MDB_NOOVERWRITE)
                                         : MDB_CORRUPTED;
                if (rc == MDB_KEYEXIST) /* cannot be: a repeat is not stored */
                    rc = MDB_SUCCESS;
                if (!rc)
                    rc = merge_step(&g[i]);
                moved++;
                continue;
            }
            if (g[i].v.mv_size % 16) {
                rc = MDB_CORRUPTED;
                break;
            }
            /* all of the gen's entries for the name in one call: the name
             * is found once, not once per entry (an entry already there,
             * which cannot be, is written over with itself) */
            MDB_val nk = {nlen, name};
            MDB_val e[2] = {{16, g[i].v.mv_data}, {g[i].v.mv_size / 16, NULL}};
            size_t want = e[1].mv_size;
            rc = want ? mdb_cursor_put(icur[idx], &nk, e, MDB_MULTIPLE) : MDB_SUCCESS;
            if (!rc && e[1].mv_size != want)
                rc = MDB_CORRUPTED;
            if (!rc)
                rc = merge_step(&g[i]);
            moved++;
        }
    }
    for (int i = 0; i < 4; i++)
        if (icur[i])
            mdb_cursor_close(icur[i]);
    for (size_t i = 0; i < ng; i++)
        mdb_cursor_close(g[i].c);
    free(g);
    if (!rc)
        rc = merge_time(st, txn, gens, n_gens, &moved);
    /* an entry under a gen missing from the list would be dropped unmerged */
    MDB_stat ms;
    if (!rc && (rc = mdb_stat(txn, st->dbi[DB_RECENT], &ms)) == MDB_SUCCESS &&
        ms.ms_entries != moved)
        rc = MDB_CORRUPTED;
    if (!rc)
        rc = mdb_drop(txn, st->dbi[DB_RECENT], 0);
    if (!rc)
        rc = meta_put(txn, st->dbi[DB_META], "recent_gens", "", 0);
    if (!rc && st->waiting)
        st->waiting->pending = mdb_txn_id(txn);
    return rc;
}

/* A write transaction. When another writer process grew the map, its size
 * is adopted first (no transaction of this handle is open between
 * commits), where LMDB would refuse with MDB_MAP_RESIZED. */
static int begin_write(struct gl_store *st, MDB_txn **txn)
{
    int rc = mdb_txn_begin(st->env, NULL, 0, txn);
    if (rc == MDB_MAP_RESIZED && (rc = mdb_env_set_mapsize(st->env, 0)) == MDB_SUCCESS) {
        MDB_envinfo info;
        mdb_env_info(st->env, &info);
        st->map_size = info.me_mapsize;
        rc = mdb_txn_begin(st->env, NULL, 0, txn);
    }
    return rc;
}

/* Doubles the map after MDB_MAP_FULL, with no transaction of this handle
 * open, so the transaction can be replayed. */
static int grow_map(struct gl_store *st, struct gl_error *err)
{
    uint64_t grown = st->map_size * 2;
    int rc = mdb_env_set_mapsize(st->env, grown);
    if (rc)
        return gl_error_set(err, GL_ERR_MAPFULL, rc,
                            "store: map full at %.1f GiB and cannot grow: %s",
                            (double)st->map_size / (1 << 30), mdb_strerror(rc));
    st->map_size = grown;
    return GL_OK;
}

/* mdb_txn_commit with the data file's pages sent to disk as LMDB writes
 * them, so its fdatasync waits for less (include/grantline/writeback.h). */
static int commit_txn(struct gl_store *st, MDB_txn *txn)
{
    int fd;
    if (!st->wb_tried) {
        st->wb_tried = true;
        struct gl_error ignore; /* without it commits only take longer */
        if (gl_writeback_new(&st->wb, &ignore))
            st->wb = NULL;
    }
    if (!st->wb || mdb_env_get_fd(st->env, &fd) != MDB_SUCCESS)
        return mdb_txn_commit(txn);
    gl_writeback_begin(st->wb, fd);
    int rc = mdb_txn_commit(txn);
    gl_writeback_end(st->wb);
    return rc;
}

/* Commits 'fn' in a write transaction, growing the map and trying again
 * while the map is full. MDB_NOTFOUND from 'fn': nothing to write, the
 * transaction is dropped. */
static int with_write_txn(struct gl_store *st, int (*fn)(struct gl_store *, MDB_txn *),
                          const char *what, struct gl_error *err)
{
    for (;;) {
        MDB_txn *txn;
        int rc = begin_write(st, &txn);
        if (rc)
            return mdb_fail(err, rc, "begin write");
        rc = fn(st, txn);
        if (rc == MDB_SUCCESS)
            rc = commit_txn(st, txn);
        else
            mdb_txn_abort(txn);
        if (rc == MDB_SUCCESS || rc == MDB_NOTFOUND)
            return GL_OK;
        if (rc != MDB_MAP_FULL)
            return mdb_fail(err, rc, what);
        if ((rc = grow_map(st, err)) != GL_OK)
            return rc;
    }
}

/* After a batch commits: its stored ids are waiting ones now. */
static void waiting_add(struct gl_store *st, const struct gl_store_batch *b)
{
    struct idset *w = st->waiting;
    if (!w || w->at_txn != w->pending - 1)
        return; /* unknown already: reloaded before the next batch */
    for (size_t i = 0; b->ids_wait && i < b->n_ev; i++) {
        if (b->dup[i] || b->xdup[i])
            continue;
        const struct pending *p = &b->ev[i];
        if (idset_add(w, (const char *)b->arena.data + p->id, p->id_len)) {
            w->at_txn = SIZE_MAX;
            return;
        }
    }
    w->at_txn = w->pending;
}

void gl_store_set_auto_merge(struct gl_store *st, bool on)
{
    st->manual_merge = !on;
}

bool gl_store_merge_due(const struct gl_store *st)
{
    return !st->rdonly && st->recent_gens >= MERGE_GENS;
}

void gl_store_set_dedup_direct(struct gl_store *st, uint64_t max_ids)
{
    st->dedup_direct_max = max_ids;
}

int gl_store_merge_index(struct gl_store *st, struct gl_error *err)
{
    if (st->rdonly)
        return gl_error_set(err, GL_ERR_STORE, 0, "store %s: opened read-only", st->dir);
    size_t before = st->waiting ? st->waiting->pending : 0;
    int rc = with_write_txn(st, merge_recent, "merge index", err);
    if (rc == GL_OK)
        st->recent_gens = 0;
    struct idset *w = st->waiting;
    if (rc == GL_OK && w && w->pending != before) {
        /* committed (not "nothing waits"): recent_index is empty now */
        idset_clear(w);
        w->at_txn = w->at_txn == w->pending - 1 ? w->pending : SIZE_MAX;
    } else if (rc != GL_OK && w) {
        w->at_txn = SIZE_MAX;
    }
    return rc;
}

int gl_store_commit(struct gl_store *st, struct gl_store_batch *b,
                    struct gl_store_commit_result *res, bool *dup_flags, struct gl_error *err)
{
    struct gl_store_commit_result local;
    if (!res)
        res = &local;
    if (st->rdonly)
        return gl_error_set(err, GL_ERR_STORE, 0, "store %s: opened read-only", st->dir);
    int replays = 0;
    for (;;) {
        MDB_txn *txn;
        int rc = begin_write(st, &txn);
        if (rc)
            return mdb_fail(err, rc, "begin write");
        rc = write_batch(st, txn, b, res, dup_flags);
        if (rc == MDB_SUCCESS) {
            rc = commit_txn(st, txn);
            if (rc == MDB_SUCCESS) {
                waiting_add(st, b);
                gl_store_batch_clear(b);
                if (!st->manual_merge && gl_store_merge_due(st))
                    res->index_merge = gl_store_merge_index(st, err);
                return GL_OK;
            }
        } else {
            mdb_txn_abort(txn);
        }
        /* The repeated ids are marked now, so one replay settles it (more
         * only if another process commits the same ids meanwhile); beyond
         * that the marks are not taking (a bug): fail rather than loop,
         * since a looping writer never lets the collector handle SIGTERM. */
        if (rc == RETRY_DUPS && ++replays <= 8) /* another writer process may add ids */
            continue;
        if (rc == RETRY_DUPS)
            return gl_error_set(err, GL_ERR_CORRUPT, 0,
                                "store: duplicate ids still found after marking them "
                                "(batch of %zu events not written)",
                                b->n_ev);
        if (rc == EOVERFLOW)
            return gl_error_set(err, GL_ERR_STORE, rc,
                                "store: a batch of %zu events is over the limit of %u, "
                                "lower --batch",
                                b->n_ev, GL_STORE_BATCH_MAX);
        if (rc != MDB_MAP_FULL)
            return rc == ENOMEM ? gl_error_set(err, GL_ERR_NOMEM, rc, "out of memory")
                                : mdb_fail(err, rc, "commit");
        if ((rc = grow_map(st, err)) != GL_OK)
            return rc;
    }
}

/* --- reading --- */

/* A read transaction of its own, for a query that may run on another thread
 * than the store's other readers (verify runs beside the analysis). */
static int begin_own_read(struct gl_store *st, MDB_txn **txn, struct gl_error *err)
{
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
    if (rc == MDB_MAP_RESIZED) {
        /* the writer grew the map; adopting its size is safe only with no
         * other transaction of ours open, which a second thread cannot know */
        return gl_error_set(err, GL_ERR_STORE, rc,
                            "store %s: the map grew while reading: run again", st->dir);
    }
    return rc ? mdb_fail(err, rc, "begin read") : GL_OK;
}

/* This thread's cached read transaction of a read-only store, or NULL
 * (none yet, or every slot taken: the query then uses one of its own). */
static struct rslot *read_slot(struct gl_store *st)
{
    pthread_t self = pthread_self();
    struct rslot *mine = NULL;
    pthread_mutex_lock(&st->rlock);
    for (int i = 0; i < GL_STORE_READ_THREADS && !mine; i++)
        if (st->rslots[i].txn && pthread_equal(st->rslots[i].tid, self))
            mine = &st->rslots[i];
    pthread_mutex_unlock(&st->rlock);
    return mine;
}

static int begin_read(struct gl_store *st, MDB_txn **txn, struct gl_error *err)
{
    /* The analyzer asks many small queries; renewing a reset transaction
     * skips the allocation and reader-slot search of a new one. */
    struct rslot *slot = st->rdonly ? read_slot(st) : NULL;
    if (slot && !slot->busy) {
        int rc = mdb_txn_renew(slot->txn);
        if (rc == MDB_SUCCESS) {
            slot->busy = true;
            *txn = slot->txn;
            return GL_OK;
        }
        pthread_mutex_lock(&st->rlock);
        mdb_txn_abort(slot->txn);
        slot->txn = NULL;
        pthread_mutex_unlock(&st->rlock);
        slot = NULL;
    }
    bool cache = st->rdonly && !slot;
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
    if (rc == MDB_MAP_RESIZED && !st->rdonly) { /* our own writer grew it: adopt */
        mdb_env_set_mapsize(st->env, 0);
        rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
    } else if (rc == MDB_MAP_RESIZED) {
        /* past the reader's 1 TiB map: remapping under other reading
         * threads would pull memory from under them */
        return gl_error_set(err, GL_ERR_STORE, rc,
                            "store %s: grew past the reader's map while reading: run again",
                            st->dir);
    }
    if (rc)
        return mdb_fail(err, rc, "begin read");
    if (cache) {
        pthread_mutex_lock(&st->rlock);
        for (int i = 0; i < GL_STORE_READ_THREADS; i++) {
            if (!st->rslots[i].txn) {
                st->rslots[i] = (struct rslot){pthread_self(), *txn, true};
                break;
            }
        }
        pthread_mutex_unlock(&st->rlock);
    }
    return GL_OK;
}

static void end_read(struct gl_store *st, MDB_txn *txn)
{
    struct rslot *slot = st->rdonly ? read_slot(st) : NULL;
    if (slot && slot->txn == txn) {
        mdb_txn_reset(txn);
        slot->busy = false;
    } else {
        mdb_txn_abort(txn);
    }
}

void gl_store_release_pages(struct gl_store *st)
{
    if (!st->rdonly || !st->data_path[0])
        return;
    /* LMDB does not say where its map is (unless MDB_FIXEDMAP) and moves it
     * when the map grows: find it by file name in /proc/self/maps */
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return;
    char line[4096 + 128];
    size_t plen = strlen(st->data_path);
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char *path = strchr(line, '/');
        if (!path || sscanf(line, "%lx-%lx", &lo, &hi) != 2)
            continue;
        path[strcspn(path, "\n")] = '\0';
        if (strlen(path) != plen || memcmp(path, st->data_path, plen) != 0)
            continue;
        /* a read-only shared file mapping: dropping our page table entries
         * loses nothing, a later read maps the page again from the kernel's
         * page cache */
        madvise((void *)lo, hi - lo, MADV_DONTNEED);
    }
    fclose(f);
}

void gl_store_thread_done(struct gl_store *st)
{
    struct rslot *slot = st->rdonly ? read_slot(st) : NULL;
    if (!slot)
        return;
    pthread_mutex_lock(&st->rlock);
    mdb_txn_abort(slot->txn);
    slot->txn = NULL;
    slot->busy = false;
    pthread_mutex_unlock(&st->rlock);
}

int gl_store_position(struct gl_store *st, const char *source, int64_t *next,
                      struct gl_error *err)
{
    char shortened[GL_STORE_INDEX_NAME_MAX + 1];
    source = position_key(source, shortened);
    MDB_txn *txn;
    int rc = begin_read(st, &txn, err);
    if (rc)
        return rc;
    MDB_val k = {strlen(source), (void *)source}, v;
    rc = mdb_get(txn, st->dbi[DB_POS], &k, &v);
    if (rc == MDB_SUCCESS && v.mv_size == 8)
        *next = (int64_t)get_u64be(v.mv_data);
    else
        *next = -1;
    end_read(st, txn);
    return rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? GL_OK : mdb_fail(err, rc, "position");
}

/* --- recent_index: the latest batches' index entries (see index_write) --- */

/* A name's entries in recent_index, batch by batch: 'ents' points to 'n'
 * (ts|seq) entries in order, mapped until the transaction ends. */
struct recent_iter {
    MDB_cursor *cur;
    const unsigned char *gens; /* see recent_list */
    size_t n_gens, at;
    unsigned char key[9 + GL_STORE_INDEX_NAME_MAX];
    size_t klen;
    const unsigned char *ents;
    size_t n;
};

static int recent_open(MDB_txn *txn, struct gl_store *st, int idx, const char *name, size_t len,
                       struct recent_iter *it)
{
    it->at = 0;
    it->key[8] = (unsigned char)idx;
    memcpy(it->key + 9, name, len);
    it->klen = 9 + len;
    int rc = recent_list(txn, st, &it->gens, &it->n_gens);
    return rc ? rc : mdb_cursor_open(txn, st->dbi[DB_RECENT], &it->cur);
}

/* MDB_SUCCESS with the next batch's entries; MDB_NOTFOUND after the last. */
static int recent_next(struct recent_iter *it)
{
    int rc = MDB_NOTFOUND;
    while (it->at < it->n_gens) {
        memcpy(it->key, it->gens + 8 * it->at++, 8);
        MDB_val k = {it->klen, it->key}, v;
        rc = mdb_cursor_get(it->cur, &k, &v, MDB_SET_KEY);
        if (rc == MDB_NOTFOUND)
            continue; /* the name has no entry in that batch */
        if (rc == MDB_SUCCESS && (v.mv_size % 16 || v.mv_size == 0))
            rc = MDB_CORRUPTED;
        if (rc == MDB_SUCCESS) {
            it->ents = v.mv_data;
            it->n = v.mv_size / 16;
        }
        return rc;
    }
    return rc;
}

/* The distinct names of one index of recent_index with their entry counts,
 * sorted by name bytes (the by-name indexes' order). Borrowed from the
 * transaction; the array is the caller's to free. */
struct rname {
    const unsigned char *name;
    size_t len;
    uint64_t count;
};

static int rname_cmp(const void *a, const void *b)
{
    const struct rname *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, n);
    return c ? c : x->len < y->len ? -1 : x->len > y->len;
}

static int recent_names(MDB_txn *txn, struct gl_store *st, int idx, struct rname **out,
                        size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    const unsigned char *gens;
    size_t n_gens;
    int rc = recent_list(txn, st, &gens, &n_gens);
    if (rc || n_gens == 0)
        return rc;
    MDB_cursor *cur;
    rc = mdb_cursor_open(txn, st->dbi[DB_RECENT], &cur);
    if (rc)
        return rc;
    struct rname *names = NULL;
    size_t n = 0, cap = 0;
    for (size_t gi = 0; gi < n_gens; gi++) {
        unsigned char kb[9];
        memcpy(kb, gens + 8 * gi, 8);
        kb[8] = (unsigned char)idx;
        MDB_val k = {9, kb}, v;
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == MDB_SUCCESS;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if (k.mv_size < 10 || memcmp(k.mv_data, kb, 9) != 0)
                break;
            if (n == cap) {
                cap = cap ? cap * 2 : 1024;
                struct rname *g = realloc(names, cap * sizeof *g);
                if (!g) {
                    rc = ENOMEM;
                    break;
                }
                names = g;
            }
            names[n++] = (struct rname){(const unsigned char *)k.mv_data + 9, k.mv_size - 9,
                                        v.mv_size / 16};
        }
        if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
            break;
        rc = MDB_SUCCESS;
    }
    mdb_cursor_close(cur);
    if (rc) {
        free(names);
        return rc;
    }
    if (n) {
        qsort(names, n, sizeof *names, rname_cmp);
        size_t w = 0;
        for (size_t i = 0; i < n; i++) {
            if (w && rname_cmp(&names[w - 1], &names[i]) == 0)
                names[w - 1].count += names[i].count;
            else
                names[w++] = names[i];
        }
        n = w;
    }
    *out = names;
    *n_out = n;
    return MDB_SUCCESS;
}

/* Each distinct name of an index with its count, in byte order: the
 * by-name index and recent_index walked side by side. */
static int walk_keys(MDB_txn *txn, struct gl_store *st, int idx, gl_store_key_fn fn, void *arg,
                     int *ret)
{
    struct rname *rn;
    size_t nr, r = 0;
    *ret = GL_OK;
    int rc = recent_names(txn, st, idx, &rn, &nr);
    if (rc)
        return rc;
    MDB_cursor *cur;
    rc = mdb_cursor_open(txn, st->dbi[DB_WORKLOAD + idx], &cur);
    if (rc) {
        free(rn);
        return rc;
    }
    MDB_val k, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (!*ret && (rc == MDB_SUCCESS || (rc == MDB_NOTFOUND && r < nr))) {
        int c = rc != MDB_SUCCESS ? 1 : r == nr ? -1
                : rname_cmp(&(struct rname){k.mv_data, k.mv_size, 0}, &rn[r]);
        if (c <= 0) {
            size_t count = 0;
            rc = mdb_cursor_count(cur, &count);
            if (rc)
                break;
            uint64_t total = count + (c == 0 ? rn[r++].count : 0);
            *ret = fn(k.mv_data, k.mv_size, total, arg);
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP);
        } else {
            *ret = fn((const char *)rn[r].name, rn[r].len, rn[r].count, arg);
            r++;
        }
    }
    if (rc == MDB_NOTFOUND)
        rc = MDB_SUCCESS;
    mdb_cursor_close(cur);
    free(rn);
    return rc;
}

static int count_cb(const char *key, size_t klen, uint64_t count, void *arg)
{
    (void)key, (void)klen, (void)count;
    ++*(uint64_t *)arg;
    return 0;
}

static uint64_t count_keys(MDB_txn *txn, struct gl_store *st, int idx, int *rc)
{
    uint64_t n = 0;
    int ret;
    if (!*rc)
        *rc = walk_keys(txn, st, idx, count_cb, &n, &ret);
    return n;
}

/* The first and last event time, in by_time or waiting in recent_index;
 * both left alone when the store holds no event. */
static int time_bounds(MDB_txn *txn, struct gl_store *st, int64_t *first, int64_t *last)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, st->dbi[DB_TIME], &cur);
    if (rc)
        return rc;
    bool any = false;
    MDB_val k, v;
    if ((rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) == MDB_SUCCESS) {
        *first = get_ts(k.mv_data);
        if ((rc = mdb_cursor_get(cur, &k, &v, MDB_LAST)) == MDB_SUCCESS)
            *last = get_ts(k.mv_data);
        any = true;
    }
    mdb_cursor_close(cur);
    const unsigned char *gens;
    size_t ng = 0;
    if (rc == MDB_NOTFOUND || rc == MDB_SUCCESS)
        rc = recent_list(txn, st, &gens, &ng);
    for (size_t i = 0; i < ng && !rc; i++) {
        struct tchunk t;
        rc = tchunk_seek(&t, txn, st->dbi[DB_RECENT], gens + 8 * i, NULL);
        const unsigned char *h = rc ? NULL : tchunk_head(&t);
        if (h) {
            /* the batch's last chunk is keyed by its last entry: the key
             * before the next index byte's first */
            unsigned char kb[9];
            memcpy(kb, t.pre, 8);
            kb[8] = IDX_TIME + 1;
            k = (MDB_val){sizeof kb, kb};
            rc = mdb_cursor_get(t.cur, &k, &v, MDB_SET_RANGE);
            rc = mdb_cursor_get(t.cur, &k, &v, rc == MDB_NOTFOUND ? MDB_LAST : MDB_PREV);
            if (rc == MDB_NOTFOUND) /* the batch has a chunk: one is there */
                rc = MDB_CORRUPTED;
            if (!rc && (k.mv_size != TIME_KEY_LEN || memcmp(k.mv_data, t.pre, 9) != 0))
                rc = MDB_CORRUPTED;
        }
        if (h && !rc) {
            int64_t lo = get_ts(h), hi = get_ts((const unsigned char *)k.mv_data + 9);
            *first = any && *first < lo ? *first : lo;
            *last = any && *last > hi ? *last : hi;
            any = true;
        }
        tchunk_close(&t);
    }
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

int gl_store_stats(struct gl_store *st, struct gl_store_stats *out, struct gl_error *err)
{
    MDB_txn *txn;
    int rc = begin_read(st, &txn, err);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    uint64_t cnt[CNT__COUNT];
    rc = read_counters(txn, st->dbi[DB_META], cnt);
    MDB_val v;
    if (!rc && meta_get(txn, st->dbi[DB_META], "created", &v) == MDB_SUCCESS)
        out->created = get_ts(v.mv_data);
    if (!rc && meta_get(txn, st->dbi[DB_META], "last_seq", &v) == MDB_SUCCESS)
        out->last_seq = get_u64be(v.mv_data);
    if (!rc && meta_get(txn, st->dbi[DB_META], "chain_head", &v) == MDB_SUCCESS)
        memcpy(out->chain_head, v.mv_data, GL_STORE_HASH_LEN);
    MDB_stat ms;
    if (!rc && mdb_stat(txn, st->dbi[DB_EVENTS], &ms) == MDB_SUCCESS)
        out->events = ms.ms_entries;
    for (int i = 0; i < GL_EV__COUNT; i++)
        out->per_type[i] = cnt[i];
    out->duplicates = cnt[CNT_DUPLICATES];
    out->quarantined = cnt[CNT_QUARANTINED];
    out->workloads = count_keys(txn, st, 0, &rc);
    out->tasks = count_keys(txn, st, 1, &rc);
    out->credentials = count_keys(txn, st, 2, &rc);
    if (!rc)
        rc = time_bounds(txn, st, &out->first_ts, &out->last_ts);
    MDB_envinfo info;
    MDB_stat es;
    mdb_env_info(st->env, &info);
    mdb_env_stat(st->env, &es);
    out->size_bytes = (uint64_t)(info.me_last_pgno + 1) * es.ms_psize;
    out->map_bytes = info.me_mapsize;
    end_read(st, txn);
    return rc ? mdb_fail(err, rc, "stats") : GL_OK;
}

static int fetch_event(MDB_txn *txn, struct gl_store *st, const unsigned char *seqbe,
                       gl_store_event_fn fn, void *arg, struct gl_error *err)
{
    MDB_val k = {8, (void *)seqbe}, v;
    int rc = mdb_get(txn, st->dbi[DB_EVENTS], &k, &v);
    if (rc)
        return gl_error_set(err, GL_ERR_CORRUPT, rc, "store: index names event %llu: %s",
                            (unsigned long long)get_u64be(seqbe), mdb_strerror(rc));
    return fn(get_u64be(seqbe), v.mv_data, v.mv_size, arg);
}

/* One index entry of a query: the event's sequence number, its place in the
 * answer, and once fetched its record. */
struct hit {
    uint64_t seq;
    size_t pos;
    int64_t ts;
    MDB_val rec;
};

/* Appends the hit of one index entry; false when out of memory. */
static bool hit_push(struct hit **hits, size_t *n, size_t *cap, const unsigned char *tsseq)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        struct hit *h = realloc(*hits, nc * sizeof *h);
        if (!h)
            return false;
        *hits = h;
        *cap = nc;
    }
    (*hits)[*n] = (struct hit){.seq = get_u64be(tsseq + 8), .pos = *n, .ts = get_ts(tsseq)};
    ++*n;
    return true;
}

static int hit_by_time(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int hit_by_seq(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int hit_by_pos(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Fetches the records in sequence order with one cursor, then hands them out
 * in the index's order. A batch gives a workload's events neighbouring
 * sequence numbers (see write_batch), so the cursor mostly stays on the leaf
 * page it is on instead of descending the tree once per event; the records
 * stay valid (mapped) until the read transaction ends. */
static int fetch_hits(struct gl_store *st, MDB_txn *txn, struct hit *hits, size_t n,
                      gl_store_event_fn fn, void *arg, struct gl_error *err)
{
    if (n == 0)
        return GL_OK;
    /* index order (ts, seq) mostly is sequence order already */
    bool sorted = true;
    for (size_t i = 1; i < n && sorted; i++)
        sorted = hits[i - 1].seq < hits[i].seq;
    if (!sorted)
        qsort(hits, n, sizeof *hits, hit_by_seq);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, st->dbi[DB_EVENTS], &cur);
    if (rc)
        return mdb_fail(err, rc, "cursor");
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char seqbe[8];
        put_u64be(seqbe, hits[i].seq);
        MDB_val k = {8, seqbe};
        /* the next sequence number is the next record: step, don't search */
        if (i > 0 && hits[i].seq == hits[i - 1].seq + 1) {
            rc = mdb_cursor_get(cur, &k, &hits[i].rec, MDB_NEXT);
            if (!rc && (k.mv_size != 8 || get_u64be(k.mv_data) != hits[i].seq))
                rc = MDB_NOTFOUND;
        } else {
            rc = mdb_cursor_get(cur, &k, &hits[i].rec, MDB_SET_KEY);
        }
        if (rc)
            rc = gl_error_set(err, GL_ERR_CORRUPT, rc, "store: index names event %llu: %s",
                              (unsigned long long)hits[i].seq, mdb_strerror(rc));
    }
    mdb_cursor_close(cur);
    if (rc)
        return rc;
    if (!sorted)
        qsort(hits, n, sizeof *hits, hit_by_pos);
    for (size_t i = 0; i < n && !rc; i++)
        rc = fn(hits[i].seq, hits[i].rec.mv_data, hits[i].rec.mv_size, arg);
    return rc;
}

int gl_store_scan_events(struct gl_store *st, gl_store_event_fn fn, void *arg,
                         struct gl_error *err)
{
    MDB_txn *txn;
    int rc = begin_read(st, &txn, err);
    if (rc)
        return rc;
    MDB_cursor *cur;
    rc = mdb_cursor_open(txn, st->dbi[DB_EVENTS], &cur);
    if (rc) {
        end_read(st, txn);
        return mdb_fail(err, rc, "cursor");
    }
    MDB_val k, v;
    int ret = GL_OK;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        ret = fn(get_u64be(k.mv_data), v.mv_data, v.mv_size, arg);
        if (ret)
            break;
    }
    if (!ret && rc != MDB_NOTFOUND)
        ret = mdb_fail(err, rc, "scan events");
    mdb_cursor_close(cur);
    end_read(st, txn);
    return ret;
}

static const enum dbi_id index_db[GL_IDX__COUNT] = {DB_WORKLOAD, DB_TASK, DB_CRED};

/* A read transaction and a cursor on one index, for a query on one key. */
static int open_index(struct gl_store *st, enum gl_store_index idx, size_t klen, MDB_txn **txn,
                      MDB_cursor **cur, struct gl_error *err)
{
    if ((unsigned)idx >= GL_IDX__COUNT || klen == 0)
        return gl_error_set(err, GL_ERR_INVALID, 0, "store: bad index query");
    int rc = begin_read(st, txn, err);
    if (rc)
        return rc;
    rc = mdb_cursor_open(*txn, st->dbi[index_db[idx]], cur);
    if (rc) {
        end_read(st, *txn);
        return mdb_fail(err, rc, "cursor");
    }
    return GL_OK;
}

int gl_store_index_head(struct gl_store *st, enum gl_store_index idx, const char *key,
                        size_t klen, uint64_t *count, int64_t *first_ts, uint64_t *first_seq,
                        struct gl_error *err)
{
    *count = 0;
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = open_index(st, idx, klen, &txn, &cur, err);
    if (rc)
        return rc;
    char name[GL_STORE_INDEX_NAME_MAX];
    klen = gl_store_index_name(key, klen, name);
    MDB_val k = {klen, name}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
    unsigned char first[16];
    bool found = false;
    if (rc == MDB_SUCCESS && v.mv_size == 16) {
        size_t n = 0;
        rc = mdb_cursor_count(cur, &n);
        *count = n;
        memcpy(first, v.mv_data, 16);
        found = true;
    }
    mdb_cursor_close(cur);
    struct recent_iter it;
    if (rc == MDB_SUCCESS || rc == MDB_NOTFOUND)
        rc = recent_open(txn, st, (int)idx, name, klen, &it);
    if (rc == MDB_SUCCESS) {
        while ((rc = recent_next(&it)) == MDB_SUCCESS) {
            *count += it.n;
            if (!found || memcmp(it.ents, first, 16) < 0)
                memcpy(first, it.ents, 16);
            found = true;
        }
        mdb_cursor_close(it.cur);
    }
    if (found) {
        *first_ts = get_ts(first);
        *first_seq = get_u64be(first + 8);
    }
    int ret = GL_OK;
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
        ret = mdb_fail(err, rc, "index head");
    end_read(st, txn);
    return ret;
}

int gl_store_scan_index(struct gl_store *st, enum gl_store_index idx, const char *key,
                        size_t klen, int64_t from, int64_t to, gl_store_event_fn fn, void *arg,
                        struct gl_error *err)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = open_index(st, idx, klen, &txn, &cur, err);
    if (rc)
        return rc;
    unsigned char lo[16];
    put_ts(lo, from);
    memset(lo + 8, 0, 8);
    char name[GL_STORE_INDEX_NAME_MAX];
    klen = gl_store_index_name(key, klen, name);
    MDB_val k = {klen, name}, v = {16, lo};
    int ret = GL_OK;
    struct hit *hits = NULL;
    size_t n = 0, cap = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH_RANGE); rc == MDB_SUCCESS;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
        const unsigned char *tsseq = v.mv_data;
        if (get_ts(tsseq) > to)
            break;
        if (!hit_push(&hits, &n, &cap, tsseq)) {
            ret = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
            break;
        }
    }
    mdb_cursor_close(cur);
    /* the latest batches' entries, not merged yet: at most one per batch */
    size_t merged = n;
    struct recent_iter it;
    if (!ret && (rc == MDB_SUCCESS || rc == MDB_NOTFOUND))
        rc = recent_open(txn, st, (int)idx, name, klen, &it);
    if (!ret && rc == MDB_SUCCESS) {
        while (!ret && (rc = recent_next(&it)) == MDB_SUCCESS) {
            for (size_t i = 0; i < it.n; i++) {
                const unsigned char *tsseq = it.ents + 16 * i;
                int64_t ts = get_ts(tsseq);
                if (ts < from || ts > to)
                    continue;
                if (!hit_push(&hits, &n, &cap, tsseq)) {
                    ret = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
                    break;
                }
            }
        }
        mdb_cursor_close(it.cur);
    }
    if (!ret && rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
        ret = mdb_fail(err, rc, "scan index");
    if (!ret && n > merged) {
        qsort(hits, n, sizeof *hits, hit_by_time);
        for (size_t i = 0; i < n; i++)
            hits[i].pos = i;
    }
    if (!ret)
        ret = fetch_hits(st, txn, hits, n, fn, arg, err);
    free(hits);
    end_read(st, txn);
    return ret;
}

/* Events in (time, sequence) order: by_time and the batches waiting in
 * recent_index, walked side by side. */
int gl_store_scan_time(struct gl_store *st, int64_t from, int64_t to, gl_store_event_fn fn,
                       void *arg, struct gl_error *err)
{
    MDB_txn *txn;
    int rc = begin_read(st, &txn, err);
    if (rc)
        return rc;
    unsigned char lo[16];
    put_ts(lo, from);
    memset(lo + 8, 0, 8);
    const unsigned char *gens;
    size_t ng = 0, opened = 0;
    struct tchunk *t = NULL;
    MDB_cursor *cur = NULL;
    rc = recent_list(txn, st, &gens, &ng);
    if (!rc && ng && !(t = calloc(ng, sizeof *t)))
        rc = ENOMEM;
    for (; !rc && opened < ng; opened++)
        rc = tchunk_seek(&t[opened], txn, st->dbi[DB_RECENT], gens + 8 * opened, lo);
    if (!rc)
        rc = mdb_cursor_open(txn, st->dbi[DB_TIME], &cur);
    MDB_val k = {16, lo}, v;
    int trc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); /* by_time's place */
    if (!rc && trc != MDB_SUCCESS && trc != MDB_NOTFOUND)
        rc = trc;
    int ret = GL_OK;
    while (!rc) {
        const unsigned char *h;
        struct tchunk *min = tchunk_min(t, ng, &h);
        bool tree = trc == MDB_SUCCESS && (!h || memcmp(k.mv_data, h, 16) < 0);
        if (tree && k.mv_size != 16) {
            rc = MDB_CORRUPTED;
            break;
        }
        if (tree)
            h = k.mv_data;
        if (!h || get_ts(h) > to)
            break;
        ret = fetch_event(txn, st, h + 8, fn, arg, err);
        if (ret)
            break;
        if (!tree) {
            rc = tchunk_next(min);
        } else if ((trc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) != MDB_SUCCESS &&
                   trc != MDB_NOTFOUND) {
            rc = trc;
        }
    }
    if (!ret && rc)
        ret = mdb_fail(err, rc, "scan time");
    for (size_t i = 0; i < opened; i++)
        tchunk_close(&t[i]);
    free(t);
    if (cur)
        mdb_cursor_close(cur);
    end_read(st, txn);
    return ret;
}

int gl_store_scan_keys(struct gl_store *st, enum gl_store_index idx, gl_store_key_fn fn, void *arg,
                       struct gl_error *err)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = open_index(st, idx, 1, &txn, &cur, err); /* no key: any length passes */
    if (rc)
        return rc;
    mdb_cursor_close(cur);
    int ret = GL_OK;
    rc = walk_keys(txn, st, (int)idx, fn, arg, &ret);
    end_read(st, txn);
    if (!ret && rc)
        ret = mdb_fail(err, rc, "scan keys");
    return ret;
}

static bool mp_key(const msgpack_object *k, const char *name)
{
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(name) &&
           memcmp(k->via.str.ptr, name, k->via.str.size) == 0;
}

int gl_store_scan_quarantine(struct gl_store *st, gl_store_quarantine_fn fn, void *arg,
                             struct gl_error *err)
{
    MDB_txn *txn;
    int rc = begin_read(st, &txn, err);
    if (rc)
        return rc;
    MDB_cursor *cur;
    rc = mdb_cursor_open(txn, st->dbi[DB_QUAR], &cur);
    if (rc) {
        end_read(st, txn);
        return mdb_fail(err, rc, "cursor");
    }
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    MDB_val k, v;
    int ret = GL_OK;
    char origin[4096], reason[1024];
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        msgpack_zone_clear(&zone);
        msgpack_object o;
        size_t off = 0;
        if (msgpack_unpack(v.mv_data, v.mv_size, &off, &zone, &o) != MSGPACK_UNPACK_SUCCESS ||
            o.type != MSGPACK_OBJECT_MAP) {
            ret = gl_error_set(err, GL_ERR_CORRUPT, 0, "store: quarantine record %llu unreadable",
                               (unsigned long long)get_u64be(k.mv_data));
            break;
        }
        struct gl_quarantine_rec q = {.qseq = get_u64be(k.mv_data), .origin = "", .reason = ""};
        for (uint32_t i = 0; i < o.via.map.size; i++) {
            const msgpack_object *key = &o.via.map.ptr[i].key, *val = &o.via.map.ptr[i].val;
            if (mp_key(key, "t") && val->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                q.received = (int64_t)val->via.u64;
            else if (mp_key(key, "origin") && val->type == MSGPACK_OBJECT_STR) {
                snprintf(origin, sizeof origin, "%.*s", (int)val->via.str.size, val->via.str.ptr);
                q.origin = origin;
            } else if (mp_key(key, "reason") && val->type == MSGPACK_OBJECT_STR) {
                snprintf(reason, sizeof reason, "%.*s", (int)val->via.str.size, val->via.str.ptr);
                q.reason = reason;
            } else if (mp_key(key, "len") && val->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                q.orig_len = val->via.u64;
            else if (mp_key(key, "esc") && val->type == MSGPACK_OBJECT_BOOLEAN)
                q.escaped = val->via.boolean;
            else if (mp_key(key, "raw") && val->type == MSGPACK_OBJECT_BIN) {
                q.raw = val->via.bin.ptr;
                q.raw_len = val->via.bin.size;
            }
        }
        ret = fn(&q, arg);
        if (ret)
            break;
    }
    msgpack_zone_destroy(&zone);
    mdb_cursor_close(cur);
    end_read(st, txn);
    return ret;
}

int gl_store_verify(struct gl_store *st, uint64_t *checked, uint64_t *bad_seq,
                    struct gl_error *err)
{
    MDB_txn *txn;
    int rc = begin_own_read(st, &txn, err);
    if (rc)
        return rc;
    MDB_cursor *cur = NULL, *ccur = NULL;
    int ret = GL_OK;
    unsigned char head[GL_STORE_HASH_LEN] = {0};
    uint64_t expect = 1, n = 0;
    *bad_seq = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    rc = mdb_cursor_open(txn, st->dbi[DB_EVENTS], &cur);
    if (!rc)
        rc = mdb_cursor_open(txn, st->dbi[DB_CHAIN], &ccur);
    if (rc) {
        ret = mdb_fail(err, rc, "cursor");
        goto done;
    }
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint64_t seq = k.mv_size == 8 ? get_u64be(k.mv_data) : 0;
        if (seq != expect) {
            *bad_seq = expect;
            ret = gl_error_set(err, GL_ERR_CORRUPT, 0,
                               "sequence gap: event %llu is missing (next stored is %llu)",
                               (unsigned long long)expect, (unsigned long long)seq);
            goto done;
        }
        unsigned char digest[GL_STORE_HASH_LEN], link[GL_STORE_HASH_LEN];
        if (record_digest(ctx, st->sha256, v.mv_data, v.mv_size, digest) ||
            chain_link(ctx, st->sha256, head, seq, digest, link)) {
            ret = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
            goto done;
        }
        /* the chain is walked beside the events: same keys, same order */
        MDB_val ck = k, lv;
        int lrc = mdb_cursor_get(ccur, &ck, &lv, n == 0 ? MDB_SET_KEY : MDB_NEXT);
        if (!lrc && (ck.mv_size != 8 || get_u64be(ck.mv_data) != seq))
            lrc = MDB_NOTFOUND;
        if (lrc || lv.mv_size != GL_STORE_HASH_LEN || memcmp(lv.mv_data, link, sizeof link)) {
            *bad_seq = seq;
            ret = gl_error_set(err, GL_ERR_CORRUPT, 0,
                               "hash chain broken at event %llu: record or link changed, "
                               "removed or reordered",
                               (unsigned long long)seq);
            goto done;
        }
        memcpy(head, link, sizeof head);
        expect++;
        n++;
        if ((n & 0xffff) == 0)
            gl_store_release_pages(st); /* a full pass must not pin the store */
    }
    if (rc != MDB_NOTFOUND) {
        ret = mdb_fail(err, rc, "verify");
        goto done;
    }
    uint64_t last = 0;
    if (meta_get(txn, st->dbi[DB_META], "last_seq", &v) == MDB_SUCCESS)
        last = get_u64be(v.mv_data);
    if (last != n) {
        *bad_seq = n + 1;
        ret = gl_error_set(err, GL_ERR_CORRUPT, 0,
                           "metadata says %llu events but %llu are stored: events after %llu "
                           "were removed",
                           (unsigned long long)last, (unsigned long long)n,
                           (unsigned long long)n);
        goto done;
    }
    if (meta_get(txn, st->dbi[DB_META], "chain_head", &v) != MDB_SUCCESS ||
        v.mv_size != GL_STORE_HASH_LEN || memcmp(v.mv_data, head, sizeof head)) {
        *bad_seq = n;
        ret = gl_error_set(err, GL_ERR_CORRUPT, 0,
                           "chain head in metadata does not match the recomputed chain");
        goto done;
    }
done:
    *checked = n;
    EVP_MD_CTX_free(ctx);
    if (ccur)
        mdb_cursor_close(ccur);
    if (cur)
        mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return ret;
}
