/* The ingest pipeline shared by every source: decode -> validate -> redact ->
 * batch -> one store transaction per batch. Sources hand it raw messages
 * with their origin and position and flush when it says a batch is due. */
#ifndef GL_COLLECTOR_PIPELINE_H
#define GL_COLLECTOR_PIPELINE_H

#include "grantline/error.h"
#include "grantline/mapping.h"
#include "grantline/redact.h"
#include "grantline/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gl_pipeline;

struct gl_pipeline_opts {
    size_t batch_max;      /* events per transaction */
    int64_t batch_us;      /* oldest pending message waits at most this long */
    size_t max_message;    /* larger messages are quarantined */
    size_t quarantine_cap; /* raw bytes kept per quarantined message */
    int64_t progress_us;   /* progress line interval, 0: none */
    const struct gl_mappings *maps; /* borrowed: other formats' records (NULL: none) */
};

struct gl_pipeline_counters {
    uint64_t read;        /* messages handed to the pipeline */
    uint64_t stored;      /* input events stored */
    uint64_t duplicates;  /* input events already stored, refused input already kept */
    uint64_t quarantined; /* refused input kept */
    uint64_t derived;     /* credential.exposed events added by redaction */
    uint64_t more;        /* events a mapped record gave beside its first, stored */
    uint64_t secrets;     /* secrets redacted */
    uint64_t bytes;
    uint64_t batches;
    int64_t commit_us;     /* writer thread time in store commits */
    int64_t commit_cpu_us; /* the CPU time of those */
    int64_t wait_us;   /* caller time spent waiting for the writer */
    int64_t idle_us;   /* caller time waiting for input, after the first message */
};

/* 'st' and 'rd' are borrowed and must outlive the pipeline. */
int gl_pipeline_new(struct gl_store *st, struct gl_redactor *rd,
                    const struct gl_pipeline_opts *opts, struct gl_pipeline **out,
                    struct gl_error *err);
void gl_pipeline_free(struct gl_pipeline *p);

/* Where a message was read. */
struct gl_pipeline_at {
    const char *origin; /* for people: "kafka:t/0@42", "in.ndjson:12@345" */
    /* The message's place in a stream that can be read again (a file's
     * path, a Kafka partition) and its offset there; NULL for a pipe. A
     * refused message read again from the same place is a repeat, not a
     * second quarantine entry (see gl_store_refusal). */
    const char *stream;
    int64_t offset;
    int64_t stamp; /* tells inputs at one place apart (a Kafka message's time) */
    /* a position to store with the batch that holds the message, or NULL */
    const char *pos_source;
    int64_t pos_next;
};

/* Takes one message. Bad input is quarantined, not an error: errors are
 * only NOMEM. */
int gl_pipeline_ingest(struct gl_pipeline *p, const void *buf, size_t len,
                       const struct gl_pipeline_at *at, struct gl_error *err);

/* gl_pipeline_ingest for input of which only the first 'len' bytes were kept
 * ('total' in all, total > len): quarantined as oversize, with its length. */
int gl_pipeline_ingest_cut(struct gl_pipeline *p, const void *buf, size_t len, size_t total,
                           const struct gl_pipeline_at *at, struct gl_error *err);

/* Whether 'buf' would be stored (decodes as a valid event), without taking
 * it. */
bool gl_pipeline_valid(struct gl_pipeline *p, const void *buf, size_t len);

/* Messages longer than this are quarantined (--max-message). */
size_t gl_pipeline_max_message(const struct gl_pipeline *p);

/* How much of an input is worth keeping: of a longer one, what is past this
 * changes neither whether it is refused nor what the quarantine keeps, so
 * a source may count those bytes without holding them (and an input cut
 * there is quarantined the same, wherever the source's buffers cut it). */
size_t gl_pipeline_keep(const struct gl_pipeline *p);

/* Counts an input of 'total' bytes as read and quarantines it with 'reason'
 * without decoding it: input the source itself cannot pass on, such as a
 * line cut off when the collector stops. 'buf' holds its first 'len'. */
int gl_pipeline_refuse(struct gl_pipeline *p, const void *buf, size_t len, size_t total,
                       const struct gl_pipeline_at *at, const char *reason,
                       struct gl_error *err);

/* Records a source position with the filling batch (instead of passing it
 * with every message): the batch commits it with its events. */
int gl_pipeline_position(struct gl_pipeline *p, const char *source, int64_t next,
                         struct gl_error *err);

/* True when the batch is full or its oldest message has waited batch_us. */
bool gl_pipeline_due(const struct gl_pipeline *p);
/* True when the batch is full (no clock read). */
bool gl_pipeline_full(const struct gl_pipeline *p);
/* Microseconds until the pending batch is due (0 if due, -1 if empty). The
 * batch of the current flush window, not the one in flight. */
int64_t gl_pipeline_due_in(const struct gl_pipeline *p);
bool gl_pipeline_pending(const struct gl_pipeline *p);
/* True while a batch handed over by gl_pipeline_flush has not been taken
 * back (by wait or reap): a flush now would wait for it. */
bool gl_pipeline_writing(struct gl_pipeline *p);

/* Hands the pending batch to the writer thread, which commits it in one
 * transaction, and returns; it first waits for the previous batch (at most
 * one is in flight). Returns 0, or the error of the previous batch, after
 * which the pipeline is failed: nothing more commits. */
int gl_pipeline_flush(struct gl_pipeline *p, struct gl_error *err);

/* The source waited 'us' for input (counted after the first message only). */
void gl_pipeline_idle(struct gl_pipeline *p, int64_t us);

/* Waits until the batch in flight has committed. */
int gl_pipeline_wait(struct gl_pipeline *p, struct gl_error *err);
/* Takes the result of the batch in flight if it has committed, without
 * waiting: a source with no input calls it, so the last batch before a
 * pause is acknowledged (offsets to Kafka, counters) without waiting for
 * the next one. Returns as gl_pipeline_wait. */
int gl_pipeline_reap(struct gl_pipeline *p, struct gl_error *err);

/* 'fn(arg)' runs in the caller's thread (inside flush or wait) each time a
 * batch handed over by an earlier flush has committed: the moment a source
 * may acknowledge the messages of that batch. */
void gl_pipeline_on_durable(struct gl_pipeline *p, void (*fn)(void *arg), void *arg);

const struct gl_pipeline_counters *gl_pipeline_counters(const struct gl_pipeline *p);

/* Logs a progress line when the interval has passed (or 'force'). 'lag' is
 * the consumer lag in messages, -1 when unknown. */
void gl_pipeline_progress(struct gl_pipeline *p, int64_t lag, bool force);

/* Seconds since the pipeline was created. */
double gl_pipeline_elapsed(const struct gl_pipeline *p);

/* Seconds from the first message to the last batch of events made durable
 * (0 before any message): excludes start-up such as joining the consumer
 * group and, with --exit-at-end, waiting to learn that the input ended. */
double gl_pipeline_busy(const struct gl_pipeline *p);

#endif
