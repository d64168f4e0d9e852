/* The event store: one LMDB environment per directory holding events (by
 * sequence number), indexes by workload, task, credential and time, dedup by
 * event id, source positions, quarantine, and a SHA-256 hash chain. A batch
 * is written in one transaction, so events, indexes, dedup entries, positions
 * and chain links are committed together or not at all.
 * Layout: schemas/store-format.md. */
#ifndef GL_STORE_H
#define GL_STORE_H

#include "grantline/error.h"
#include "grantline/event.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gl_store;

enum gl_store_flags {
    GL_STORE_RDONLY = 1 << 0, /* analyzer: read-only transactions only */
    GL_STORE_CREATE = 1 << 1, /* create the directory and store if missing */
};

#define GL_STORE_HASH_LEN 32

/* Opens (or creates) the store in 'dir'. Files are created 0600, the
 * directory 0700. 'map_size' is the initial map in bytes (0: default); it
 * doubles by itself when full. On success *out is owned by the caller. */
int gl_store_open(const char *dir, int flags, uint64_t map_size, struct gl_store **out,
                  struct gl_error *err);
void gl_store_close(struct gl_store *st);

/* Whether the store was opened without its lock file (a reader that cannot
 * write lock.mdb): a collector writing meanwhile may reuse pages under the
 * read, which can then look damaged. */
bool gl_store_unlocked(const struct gl_store *st);

/* Makes every committed transaction durable against a power loss (a
 * commit syncs the data pages but not the meta page, MDB_NOMETASYNC, so
 * the last one could still be rolled back). Callable from any thread while
 * another writes. For a collector about to tell Kafka its offsets. */
int gl_store_sync(struct gl_store *st, struct gl_error *err);

#define GL_STORE_ID_LEN 16
/* The store's id in hex: random bytes given when it was created (or first
 * opened for writing, for a store from before ids), kept by a copy of the
 * directory. A collector names its store by it in the offsets it commits
 * to Kafka. False (out "") for an older store opened read-only. */
bool gl_store_id(const struct gl_store *st, char out[2 * GL_STORE_ID_LEN + 1]);

/* The per-store key for redaction fingerprints (32 bytes, created with the
 * store). Borrowed; valid while the store is open. */
const unsigned char *gl_store_redact_key(const struct gl_store *st);

#define GL_STORE_KEY_ID_LEN 16
/* Records the redaction key a collector uses (the store's own, or one from
 * --redact-key-file) by its id, a digest that does not reveal it, when the
 * store is new. A store whose events were redacted under another key
 * refuses (GL_ERR_INVALID): its markers would not match, within the store
 * or across a group's stores. A store filled before key ids existed stays
 * without one (its key cannot be told). */
int gl_store_bind_redact_key(struct gl_store *st, const unsigned char *key, size_t len,
                             struct gl_error *err);
/* The id of the key the store's events were redacted under, as recorded
 * by the collector; false for a store filled before ids were recorded. */
bool gl_store_redact_key_id(const struct gl_store *st, unsigned char id[GL_STORE_KEY_ID_LEN]);

/* --- writing --- */

/* A batch collects records in memory; commit writes all of it in one
 * transaction, retrying after growing the map when LMDB reports it full. */
struct gl_store_batch;

struct gl_store_batch *gl_store_batch_new(void);
void gl_store_batch_free(struct gl_store_batch *b);
void gl_store_batch_clear(struct gl_store_batch *b);
size_t gl_store_batch_count(const struct gl_store_batch *b);

/* Orders the batch's events and index entries for the commit (sorting,
 * duplicate ids within the batch). Optional: the commit does it when the
 * batch changed since; calling it on another thread takes that work off the
 * thread that commits. */
int gl_store_batch_prepare(struct gl_store_batch *b, struct gl_error *err);

/* Queues an event. 'ev' supplies the index fields, 'rec' is its stored form;
 * both are copied. */
int gl_store_batch_add(struct gl_store_batch *b, const struct gl_event *ev, const void *rec,
                       size_t len);

/* An input the collector refused, as the quarantine keeps it. */
struct gl_store_refusal {
    const void *raw; /* the input, already redacted and capped by the caller */
    size_t raw_len;
    size_t orig_len; /* the input's length before the cap */
    bool escaped;    /* raw holds invalid UTF-8 written as \xHH */
    const char *origin; /* where it came from, for people ("in.ndjson:12@345") */
    const char *reason; /* why it was refused */
    /* The input's place in a stream that can be read again (a file's path,
     * a Kafka partition), NULL for one that cannot (a pipe): an entry whose
     * stream, offset 'at', stamp, length and stored bytes match an earlier entry's
     * is a repeat (a file read again) and is not stored twice. */
    const char *stream;
    int64_t at;
    int64_t stamp; /* part of the key too: what else tells an input at one
                      place from another (a Kafka message's timestamp, for
                      a topic created again) */
};

/* Queues a quarantine entry; 'r' and what it points to are copied. */
int gl_store_batch_quarantine(struct gl_store_batch *b, const struct gl_store_refusal *r);

/* Records that a source has been consumed up to 'next' (exclusive). The key
 * names the source, e.g. "kafka/<topic>/<partition>" or "file/<path>". */
int gl_store_batch_position(struct gl_store_batch *b, const char *source, int64_t next);

struct gl_store_commit_result {
    uint64_t stored;      /* events written */
    uint64_t duplicates;  /* events whose id was already stored */
    uint64_t quarantined; /* quarantine entries written */
    uint64_t repeats;     /* quarantine entries already stored (not written) */
    uint64_t first_seq, last_seq;
    int index_merge; /* GL_OK, or why the index merge after the batch failed
                        (its message in 'err'); the batch is committed all the
                        same, and the next commit tries the merge again */
};

/* Writes the batch and clears it. 'dup_flags' (may be NULL, one per queued
 * event) is set to true for duplicates. A batch's index and dedup entries
 * are written with the batch's other entries, in the same transaction, and
 * every 16 batches moved to the by-name indexes and the dedup tree in a
 * transaction of their own (see gl_store_merge_index); a failure of that
 * move does not fail the commit: see res->index_merge. */
int gl_store_commit(struct gl_store *st, struct gl_store_batch *b,
                    struct gl_store_commit_result *res, bool *dup_flags, struct gl_error *err);

/* Moves the index entries of the latest batches into the by-name indexes
 * now (the commit does it every few batches). Queries read both, so this
 * changes only how fast a query is, never its answer. */
int gl_store_merge_index(struct gl_store *st, struct gl_error *err);

/* With 'on' false, gl_store_commit leaves the merge every 16 batches to the
 * caller, who asks gl_store_merge_due after a commit: a writer thread can
 * then report the batch durable before it merges (default: on). */
void gl_store_set_auto_merge(struct gl_store *st, bool on);
bool gl_store_merge_due(const struct gl_store *st);

/* While the dedup tree holds fewer than 'max_ids' ids (default 1,000,000),
 * a batch inserts its ids into it directly; from then on they wait in
 * recent_index like the index entries. Either way a repeated id is found.
 * For tests (0: always wait) and tuning. */
void gl_store_set_dedup_direct(struct gl_store *st, uint64_t max_ids);

/* Position of 'source' or -1 when the store has none. */
int gl_store_position(struct gl_store *st, const char *source, int64_t *next,
                      struct gl_error *err);

/* --- reading (read-only transactions, never block the writer) --- */

/* Several threads may read one read-only handle at once, each through a read
 * transaction of its own that the handle keeps between queries; a thread
 * other than the one closing the store calls this before it ends. */
void gl_store_thread_done(struct gl_store *st);

/* Read-only stores: unmaps the store pages this process has touched, so a
 * pass over a large store keeps its resident set small (the kernel's page
 * cache still holds them; the next read maps them again). Any thread, any
 * time: records handed out earlier stay readable. */
void gl_store_release_pages(struct gl_store *st);

struct gl_store_stats {
    uint64_t events;
    uint64_t per_type[GL_EV__COUNT];
    uint64_t duplicates; /* counted at ingest: events and refused inputs read again */
    uint64_t quarantined;
    uint64_t workloads, tasks, credentials;
    int64_t first_ts, last_ts; /* 0 when empty */
    int64_t created;
    uint64_t size_bytes;     /* pages in use */
    uint64_t map_bytes;      /* current map size */
    uint64_t last_seq;
    unsigned char chain_head[GL_STORE_HASH_LEN];
};

int gl_store_stats(struct gl_store *st, struct gl_store_stats *out, struct gl_error *err);

/* 'rec' is borrowed from LMDB and valid only until the callback returns.
 * A non-zero return from the callback stops the scan and is returned. */
typedef int (*gl_store_event_fn)(uint64_t seq, const void *rec, size_t len, void *arg);

/* Every event in sequence (arrival) order. */
int gl_store_scan_events(struct gl_store *st, gl_store_event_fn fn, void *arg,
                         struct gl_error *err);

enum gl_store_index { GL_IDX_WORKLOAD = 0, GL_IDX_TASK, GL_IDX_CREDENTIAL, GL_IDX__COUNT };

/* The form a name takes as an index key: itself up to GL_STORE_INDEX_NAME_MAX
 * bytes, else its first bytes, '#' and a hash (redaction can lengthen names
 * past LMDB's key size). gl_store_scan_keys lists names in this form;
 * gl_store_scan_index accepts either form. 'out' holds
 * GL_STORE_INDEX_NAME_MAX bytes; returns the length. */
#define GL_STORE_INDEX_NAME_MAX 400
size_t gl_store_index_name(const char *name, size_t len, char *out);

/* Events of one key of an index with from <= ts <= to, in (ts, seq) order. */
int gl_store_scan_index(struct gl_store *st, enum gl_store_index idx, const char *key,
                        size_t klen, int64_t from, int64_t to, gl_store_event_fn fn, void *arg,
                        struct gl_error *err);

/* How many events one key of an index names, and the (ts, seq) of its first
 * (*count 0 when the key is absent). One B-tree descent, no record read:
 * the analyzer uses it to tell whether the events it already holds are all
 * of a key's events. */
int gl_store_index_head(struct gl_store *st, enum gl_store_index idx, const char *key,
                        size_t klen, uint64_t *count, int64_t *first_ts, uint64_t *first_seq,
                        struct gl_error *err);

/* Every event in (ts, seq) order, i.e. the global timeline. */
int gl_store_scan_time(struct gl_store *st, int64_t from, int64_t to, gl_store_event_fn fn,
                       void *arg, struct gl_error *err);

/* Each distinct key of an index, in byte order. 'key' is borrowed. */
typedef int (*gl_store_key_fn)(const char *key, size_t klen, uint64_t count, void *arg);
int gl_store_scan_keys(struct gl_store *st, enum gl_store_index idx, gl_store_key_fn fn, void *arg,
                       struct gl_error *err);

struct gl_quarantine_rec {
    uint64_t qseq;
    int64_t received;
    const char *origin, *reason; /* NUL-terminated copies valid during the callback */
    const void *raw;
    size_t raw_len, orig_len;
    bool escaped;
};
typedef int (*gl_store_quarantine_fn)(const struct gl_quarantine_rec *q, void *arg);
int gl_store_scan_quarantine(struct gl_store *st, gl_store_quarantine_fn fn, void *arg,
                             struct gl_error *err);

/* Recomputes the hash chain over every event and checks sequence continuity
 * and the head recorded in the metadata. On the first problem returns
 * GL_ERR_CORRUPT with the sequence number in *bad_seq and a description.
 * Unlike the other reading functions (one thread at a time per handle), it
 * may run on its own thread beside them: it uses a transaction of its own. */
int gl_store_verify(struct gl_store *st, uint64_t *checked, uint64_t *bad_seq,
                    struct gl_error *err);

#endif
