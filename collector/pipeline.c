/* Ingest pipeline: the caller's thread decodes, redacts and fills one batch
 * while a writer thread commits the previous one (LMDB commit and fsync then
 * overlap with parsing). At most one batch is in flight; results, counters
 * and the durable callback are handled in the caller's thread.
 * Accounting identity: read = stored + duplicates + quarantined (derived
 * exposure events, and the events a mapped record gives beside its first,
 * are counted apart). */
#define _GNU_SOURCE /* pthread_setname_np */
#include "pipeline.h"

#include "grantline/event.h"
#include "grantline/log.h"
#include "grantline/tstamp.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a queued event is, for the counters. */
enum kind { K_INPUT, K_EXPOSURE, K_MORE };

/* A batch and what the pipeline must remember about its events. */
struct slot {
    struct gl_store_batch *batch;
    unsigned char *kinds; /* per queued event: its enum kind */
    bool *dups;    /* per queued event: set by the commit */
    size_t flags_cap;
    size_t n_events;
};

struct gl_pipeline {
    struct gl_store *st;
    struct gl_redactor *rd;
    struct gl_pipeline_opts opts;
    struct gl_decoder *dec;
    struct gl_decoder *dec_stored; /* re-reads a record whose names were redacted */
    struct slot slots[2];
    struct slot *cur; /* being filled by the caller */
    struct gl_buf rec;     /* encoded record */
    struct gl_buf scratch; /* quarantine text */
    struct gl_redact_hits hits, derived_hits, quarantine_hits;
    int64_t oldest;
    /* writer thread; everything below is guarded by mu */
    pthread_t writer;
    bool writer_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct slot *inflight; /* handed to the writer, NULL when idle */
    bool done;             /* inflight has been committed (or failed) */
    bool merging;          /* the writer merges the store's index after a commit */
    bool quit;
    int result;
    struct gl_error result_err;
    uint64_t result_quarantined, result_repeats; /* of the batch in flight */
    int64_t commit_us, commit_cpu_us;
    void (*durable)(void *arg);
    void *durable_arg;
    struct gl_pipeline_counters c;
    int64_t started, last_report, first_msg;
    int64_t done_at;   /* when the writer finished the batch in flight (under mu) */
    int64_t stored_at; /* when the last batch with events became durable */
    uint64_t read_at_report;
};

static void *writer_main(void *arg)
{
    struct gl_pipeline *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && (!p->inflight || p->done))
            pthread_cond_wait(&p->cv, &p->mu);
        if (!p->inflight || p->done)
            break; /* quit with nothing to write */
        struct slot *s = p->inflight;
        pthread_mutex_unlock(&p->mu);
        struct gl_error err = {0};
        struct gl_store_commit_result res;
        /* wall and CPU: with the cores shared, wall time alone cannot tell
         * the writer's work from its waiting for a core (or an fsync) */
        int64_t t0 = gl_tstamp_now(), c0 = gl_tstamp_thread_cpu();
        int rc = gl_store_commit(p->st, s->batch, &res, s->dups, &err);
        int64_t took = gl_tstamp_now() - t0, cpu = gl_tstamp_thread_cpu() - c0;
        pthread_mutex_lock(&p->mu);
        p->commit_us += took;
        p->done_at = t0 + took;
        p->commit_cpu_us += cpu;
        p->result = rc;
        p->result_err = err;
        p->result_quarantined = rc ? 0 : res.quarantined;
        p->result_repeats = rc ? 0 : res.repeats;
        p->done = true;
        /* The batch is durable: the caller learns it now and fills the
         * next one while the merge every 16 batches (~0.5 s for 700,000
         * events) runs, which it used to wait through. */
        p->merging = rc == GL_OK && gl_store_merge_due(p->st);
        pthread_cond_broadcast(&p->cv);
        if (!p->merging)
            continue;
        pthread_mutex_unlock(&p->mu);
        t0 = gl_tstamp_now();
        c0 = gl_tstamp_thread_cpu();
        struct gl_error merr = {0};
        if (gl_store_merge_index(p->st, &merr)) /* the batches are stored all the same */
            gl_log(GL_LOG_WARN, "store", "%s (tried again after the next commit)", merr.msg);
        took = gl_tstamp_now() - t0;
        cpu = gl_tstamp_thread_cpu() - c0;
        pthread_mutex_lock(&p->mu);
        p->commit_us += took;
        p->commit_cpu_us += cpu;
        p->merging = false;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int gl_pipeline_new(struct gl_store *st, struct gl_redactor *rd,
                    const struct gl_pipeline_opts *opts, struct gl_pipeline **out,
                    struct gl_error *err)
{
    struct gl_pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    p->st = st;
    p->rd = rd;
    p->started = p->last_report = gl_tstamp_now();
    p->opts = *opts;
    p->dec = gl_decoder_new();
    p->dec_stored = gl_decoder_new();
    if (p->dec)
        gl_decoder_set_mappings(p->dec, opts->maps);
    if (p->dec_stored) /* the quarantine's redaction knows their secrets too */
        gl_decoder_set_mappings(p->dec_stored, opts->maps);
    p->slots[0].batch = gl_store_batch_new();
    p->slots[1].batch = gl_store_batch_new();
    p->cur = &p->slots[0];
    gl_store_set_auto_merge(st, false); /* the writer thread merges: see writer_main */
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (!p->dec || !p->dec_stored || !p->slots[0].batch || !p->slots[1].batch) {
        gl_pipeline_free(p);
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    }
    if (pthread_create(&p->writer, NULL, writer_main, p) != 0) {
        gl_pipeline_free(p);
        return gl_error_set(err, GL_ERR_NOMEM, 0, "cannot start the writer thread");
    }
    pthread_setname_np(p->writer, "gl-writer"); /* for top -H, perf; a failure changes nothing */
    p->writer_started = true;
    *out = p;
    return GL_OK;
}

void gl_pipeline_free(struct gl_pipeline *p)
{
    if (!p)
        return;
    if (p->writer_started) {
        pthread_mutex_lock(&p->mu);
        p->quit = true;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->writer, NULL);
    }
    if (p->st)
        gl_store_set_auto_merge(p->st, true);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    gl_decoder_free(p->dec);
    gl_decoder_free(p->dec_stored);
    for (int i = 0; i < 2; i++) {
        gl_store_batch_free(p->slots[i].batch);
        free(p->slots[i].kinds);
        free(p->slots[i].dups);
    }
    gl_buf_free(&p->rec);
    gl_buf_free(&p->scratch);
    gl_redact_hits_free(&p->hits);
    gl_redact_hits_free(&p->derived_hits);
    gl_redact_hits_free(&p->quarantine_hits);
    free(p);
}

static int grow_flags(struct slot *s)
{
    if (s->n_events < s->flags_cap)
        return GL_OK;
    size_t nc = s->flags_cap ? s->flags_cap * 2 : 1024;
    unsigned char *d = realloc(s->kinds, nc * sizeof *d);
    if (!d)
        return GL_ERR_NOMEM;
    s->kinds = d;
    bool *dups = realloc(s->dups, nc * sizeof *dups);
    if (!dups)
        return GL_ERR_NOMEM;
    s->dups = dups;
    s->flags_cap = nc;
    return GL_OK;
}

/* Index keys (workload, task, credential, previous, delegate) must be the
 * redacted names, never the input's: when redaction touched the record, the
 * names are read back from the record itself. */
static int queue_event(struct gl_pipeline *p, const struct gl_event *ev, enum kind kind,
                       bool redacted)
{
    struct gl_event stored;
    if (redacted) {
        struct gl_error err;
        if (gl_decoder_decode_stored(p->dec_stored, p->rec.data, p->rec.len, &stored, &err))
            return GL_ERR_CORRUPT; /* our own encoding: cannot happen */
        ev = &stored;
    }
    struct slot *s = p->cur;
    int rc = grow_flags(s);
    if (!rc)
        rc = gl_store_batch_add(s->batch, ev, p->rec.data, p->rec.len);
    if (rc)
        return rc;
    s->kinds[s->n_events++] = (unsigned char)kind;
    return GL_OK;
}

/* Invalid UTF-8 cannot be scanned by the (UTF mode) rules, so such input is
 * kept as text with each bad byte written \xHH and '\' written '\\'. */
static void escape_bytes(struct gl_buf *out, const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i + 1;
        if (s[i] >= 0x80) {
            size_t n = (s[i] & 0xe0) == 0xc0 ? 2 : (s[i] & 0xf0) == 0xe0 ? 3
                                                : (s[i] & 0xf8) == 0xf0 ? 4
                                                                        : 1;
            if (n > 1 && i + n <= len && gl_utf8_valid((const char *)s + i, n))
                j = i + n;
            else {
                gl_buf_printf(out, "\\x%02x", s[i]);
                i++;
                continue;
            }
        } else if (s[i] == '\\') {
            gl_buf_append(out, "\\\\", 2);
            i++;
            continue;
        }
        gl_buf_append(out, s + i, j - i);
        i = j;
    }
}

/* Bytes past the quarantine's cap that are redacted before the cut. */
#define REDACT_PAST_CAP 16384

/* 'buf' holds the first 'len' bytes of an input 'total' bytes long. */
static int quarantine(struct gl_pipeline *p, const void *buf, size_t len, size_t total,
                      const struct gl_pipeline_at *at, const char *reason,
                      struct gl_error *err)
{
    /* Redact a little past the cap before cutting, so a secret that
     * straddles the cap is still recognised whole and never kept in part. */
    size_t cap = p->opts.quarantine_cap;
    size_t keep = len < cap + REDACT_PAST_CAP ? len : cap + REDACT_PAST_CAP;
    bool escaped = !gl_utf8_valid(buf, keep);
    struct gl_buf *text = &p->scratch;
    gl_buf_reset(text);
    const char *src = buf;
    size_t srclen = keep;
    if (escaped) {
        escape_bytes(text, buf, keep);
        src = text->data ? text->data : "";
        srclen = text->len;
    }
    /* The raw bytes are redacted too: a refused event may still carry a
     * secret. Input that parses (most refusals are contract violations) is
     * kept as its redacted JSON form, so secrets under sensitive keys and
     * behind JSON escapes are caught as in stored events; the rest is
     * redacted as text. */
    struct gl_buf red = {0};
    int n;
    bool parsed = false;
    struct gl_error ignore;
    p->quarantine_hits.n = 0;
    if (len <= p->opts.max_message &&
        gl_event_redact_raw(p->dec_stored, buf, len, p->rd, &red, &p->quarantine_hits,
                            &ignore) == GL_OK) {
        parsed = true;
        n = (int)p->quarantine_hits.n;
        escaped = false;
    } else {
        gl_buf_reset(&red);
        n = gl_redactor_scan_raw(p->rd, src, srclen, &red, NULL, err);
    }
    if (n < 0) {
        gl_buf_free(&red);
        return n;
    }
    if (parsed || n > 0) {
        src = red.data;
        srclen = red.len;
        p->c.secrets += (uint64_t)n;
    }
    if (srclen > cap)
        srclen = cap;
    /* a reason can quote the input ("type: unknown value '...'"): redact it too */
    struct gl_buf red_reason = {0};
    int rn = gl_redactor_scan(p->rd, reason, strlen(reason), &red_reason, NULL, err);
    if (rn > 0 && gl_buf_append(&red_reason, "", 1) == GL_OK)
        reason = red_reason.data;
    struct gl_store_refusal r = {
        .raw = src,
        .raw_len = srclen,
        .orig_len = total,
        .escaped = escaped,
        .origin = at->origin,
        .reason = reason,
        .stream = at->stream,
        .at = at->offset,
        .stamp = at->stamp,
    };
    int rc = gl_store_batch_quarantine(p->cur->batch, &r);
    gl_buf_free(&red_reason);
    gl_buf_free(&red);
    if (rc)
        return gl_error_set(err, rc, 0, "out of memory");
    /* counted when committed: a repeat of an entry kept before is a duplicate */
    gl_log(GL_LOG_DEBUG, "ingest", "quarantined %s: %s", at->origin, reason);
    return GL_OK;
}

/* One credential.exposed per distinct secret of 'src', with an id derived
 * from 'src_id' (the id of its record's first event) and the fingerprint, so
 * replays, and the other events of the same record, deduplicate it. */
static int add_derived(struct gl_pipeline *p, const struct gl_event *src, struct gl_str src_id,
                       struct gl_error *err)
{
    for (size_t i = 0; i < p->hits.n; i++) {
        const struct gl_redact_hit *h = &p->hits.v[i];
        /* a key id where the format names credentials (CloudTrail's
         * accessKeyId) is redacted like any other, but exposes nothing; the
         * same value elsewhere still does */
        const struct gl_mapping_rule *mr = gl_decoder_mapped(p->dec);
        if (gl_mapping_rule_identifier(mr, h->field, h->rule))
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(p->hits.v[j].fp, h->fp) == 0 &&
                   strcmp(p->hits.v[j].rule, h->rule) == 0 &&
                   !gl_mapping_rule_identifier(mr, p->hits.v[j].field, p->hits.v[j].rule);
        if (seen)
            continue;
        unsigned char md[32];
        unsigned int mdlen = 0;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
                 EVP_DigestUpdate(ctx, src_id.ptr, src_id.len) &&
                 EVP_DigestUpdate(ctx, "|", 1) && EVP_DigestUpdate(ctx, h->fp, strlen(h->fp)) &&
                 EVP_DigestFinal_ex(ctx, md, &mdlen);
        EVP_MD_CTX_free(ctx);
        if (!ok)
            return gl_error_set(err, GL_ERR_NOMEM, 0, "sha256 failed");
        char id[64], cred[96];
        int at = snprintf(id, sizeof id, "gl-exposed-");
        for (int k = 0; k < 12; k++)
            at += snprintf(id + at, sizeof id - (size_t)at, "%02x", md[k]);
        snprintf(cred, sizeof cred, "redacted:%s:%s", h->rule, h->fp);
        char src_text[GL_EVENT_ID_MAX + 1];
        snprintf(src_text, sizeof src_text, "%.*s", (int)src_id.len, src_id.ptr);
        struct gl_kv attrs[] = {
            {"rule", h->rule}, {"field", h->field}, {"source_event", src_text}};
        struct gl_event ev = {
            .id = {id, strlen(id)},
            .ts = src->ts,
            .type = GL_EV_CREDENTIAL_EXPOSED,
            .workload = src->workload,
            .task = src->task,
            .source = {"grantline-redactor", 18},
            .cred_id = {cred, strlen(cred)},
            .cred_kind = {"secret", 6},
            .origin = src->origin,
            .add_attrs = attrs,
            .n_add_attrs = 3,
        };
        gl_buf_reset(&p->rec);
        p->derived_hits.n = 0;
        int rc = gl_event_encode(&ev, p->rd, &p->rec, &p->derived_hits, err);
        if (!rc)
            rc = queue_event(p, &ev, K_EXPOSURE, p->derived_hits.n > 0);
        if (rc)
            return rc;
    }
    return GL_OK;
}

/* Encodes a decoded event (redacted) into the batch, with the exposures of
 * its secrets named after 'record'. A record's secrets are counted with its
 * first event only. */
static int store_event(struct gl_pipeline *p, struct gl_event *ev, const struct gl_pipeline_at *at,
                       enum kind kind, struct gl_str record, struct gl_error *err)
{
    ev->origin.ptr = at->origin;
    ev->origin.len = strlen(at->origin);
    gl_buf_reset(&p->rec);
    p->hits.n = 0;
    int rc = gl_event_encode(ev, p->rd, &p->rec, &p->hits, err);
    if (rc)
        return rc;
    rc = queue_event(p, ev, kind, p->hits.n > 0);
    if (rc)
        return gl_error_set(err, rc, 0, "out of memory");
    if (!p->hits.n)
        return GL_OK;
    if (kind == K_INPUT)
        p->c.secrets += p->hits.n;
    return add_derived(p, ev, record, err);
}

int gl_pipeline_ingest(struct gl_pipeline *p, const void *buf, size_t len,
                       const struct gl_pipeline_at *at, struct gl_error *err)
{
    return gl_pipeline_ingest_cut(p, buf, len, len, at, err);
}

/* Counts one input of 'bytes' as read, starting the batch's clock. */
static void count_read(struct gl_pipeline *p, size_t bytes)
{
    if (!gl_pipeline_pending(p))
        p->oldest = gl_tstamp_now();
    if (p->c.read == 0)
        p->first_msg = gl_tstamp_now();
    p->c.read++;
    p->c.bytes += bytes;
}

int gl_pipeline_ingest_cut(struct gl_pipeline *p, const void *buf, size_t len, size_t total,
                           const struct gl_pipeline_at *at, struct gl_error *err)
{
    count_read(p, total);
    int rc = GL_OK;
    if (at->pos_source) {
        rc = gl_store_batch_position(p->cur->batch, at->pos_source, at->pos_next);
        if (rc)
            return gl_error_set(err, rc, 0, "out of memory");
    }
    if (total > p->opts.max_message || total > len) {
        char reason[128];
        snprintf(reason, sizeof reason, "oversize message: %zu bytes (limit %zu)", total,
                 p->opts.max_message);
        return quarantine(p, buf, len, total, at, reason, err);
    }
    struct gl_event ev;
    struct gl_error why = {0};
    rc = gl_decoder_decode(p->dec, buf, len, &ev, &why);
    if (rc == GL_ERR_INVALID)
        return quarantine(p, buf, len, len, at, why.msg, err);
    if (rc)
        return gl_error_set(err, rc, 0, "%s", why.msg);
    /* A secret of a record that is several events is one exposure, named
     * after the event of its mapping's first rule (the id such records had
     * when they were one event: replays from older stores deduplicate). The
     * view stays valid until the next message is decoded. */
    struct gl_str record = gl_decoder_record_id(p->dec);
    if (!record.ptr)
        record = ev.id;
    rc = store_event(p, &ev, at, K_INPUT, record, err);
    /* the record's other events, validated with the first (each decode
     * replaces the views of the one before) */
    for (size_t i = 0; !rc && i < gl_decoder_more(p->dec); i++) {
        rc = gl_decoder_decode_more(p->dec, i, &ev, &why);
        if (rc)
            return gl_error_set(err, rc, 0, "%s", why.msg);
        rc = store_event(p, &ev, at, K_MORE, record, err);
    }
    return rc;
}

int gl_pipeline_refuse(struct gl_pipeline *p, const void *buf, size_t len, size_t total,
                       const struct gl_pipeline_at *at, const char *reason,
                       struct gl_error *err)
{
    count_read(p, total);
    return quarantine(p, buf, len, total, at, reason, err);
}

int gl_pipeline_position(struct gl_pipeline *p, const char *source, int64_t next,
                         struct gl_error *err)
{
    int rc = gl_store_batch_position(p->cur->batch, source, next);
    return rc ? gl_error_set(err, rc, 0, "out of memory") : GL_OK;
}

bool gl_pipeline_valid(struct gl_pipeline *p, const void *buf, size_t len)
{
    struct gl_event ev;
    struct gl_error why;
    return len <= p->opts.max_message && gl_decoder_decode(p->dec, buf, len, &ev, &why) == GL_OK;
}

size_t gl_pipeline_max_message(const struct gl_pipeline *p)
{
    return p->opts.max_message;
}

size_t gl_pipeline_keep(const struct gl_pipeline *p)
{
    size_t a = p->opts.max_message + 1, b = p->opts.quarantine_cap + REDACT_PAST_CAP;
    return a > b ? a : b;
}

bool gl_pipeline_pending(const struct gl_pipeline *p)
{
    return gl_store_batch_count(p->cur->batch) > 0;
}

bool gl_pipeline_writing(struct gl_pipeline *p)
{
    pthread_mutex_lock(&p->mu);
    bool busy = p->inflight != NULL || p->merging;
    pthread_mutex_unlock(&p->mu);
    return busy;
}

int64_t gl_pipeline_due_in(const struct gl_pipeline *p)
{
    if (gl_store_batch_count(p->cur->batch) == 0)
        return -1;
    if (p->cur->n_events >= p->opts.batch_max)
        return 0;
    int64_t left = p->oldest + p->opts.batch_us - gl_tstamp_now();
    return left > 0 ? left : 0;
}

bool gl_pipeline_full(const struct gl_pipeline *p)
{
    return p->cur->n_events >= p->opts.batch_max;
}

bool gl_pipeline_due(const struct gl_pipeline *p)
{
    return gl_pipeline_due_in(p) == 0;
}

void gl_pipeline_on_durable(struct gl_pipeline *p, void (*fn)(void *arg), void *arg)
{
    p->durable = fn;
    p->durable_arg = arg;
}

/* Takes the result of the batch in flight, waiting for it or ('block'
 * false) only if it has already committed. */
static int complete(struct gl_pipeline *p, bool block, struct gl_error *err)
{
    int64_t t0 = gl_tstamp_now();
    pthread_mutex_lock(&p->mu);
    if (!block && p->inflight && !p->done) {
        pthread_mutex_unlock(&p->mu);
        return GL_OK;
    }
    while (p->inflight && !p->done)
        pthread_cond_wait(&p->cv, &p->mu);
    p->c.wait_us += gl_tstamp_now() - t0;
    p->c.commit_us = p->commit_us;
    p->c.commit_cpu_us = p->commit_cpu_us;
    struct slot *s = p->inflight;
    int rc = p->result;
    uint64_t quarantined = p->result_quarantined, repeats = p->result_repeats;
    if (rc && err)
        *err = p->result_err;
    if (s && !rc)
        p->inflight = NULL;
    if (s && !rc && s->n_events)
        p->stored_at = p->done_at;
    pthread_mutex_unlock(&p->mu);
    if (!s || rc)
        return rc; /* a failed batch stays in flight: nothing after it may commit */
    for (size_t i = 0; i < s->n_events; i++) {
        if (s->kinds[i] == K_EXPOSURE)
            p->c.derived += !s->dups[i];
        else if (s->kinds[i] == K_MORE)
            p->c.more += !s->dups[i];
        else if (s->dups[i])
            p->c.duplicates++;
        else
            p->c.stored++;
    }
    p->c.quarantined += quarantined;
    p->c.duplicates += repeats;
    s->n_events = 0;
    p->c.batches++;
    if (p->durable)
        p->durable(p->durable_arg);
    return GL_OK;
}

int gl_pipeline_wait(struct gl_pipeline *p, struct gl_error *err)
{
    return complete(p, true, err);
}

int gl_pipeline_reap(struct gl_pipeline *p, struct gl_error *err)
{
    return complete(p, false, err);
}

int gl_pipeline_flush(struct gl_pipeline *p, struct gl_error *err)
{
    /* The batch is sorted by whichever thread would otherwise wait: here,
     * while the writer still commits the previous one; else by the writer
     * (the commit sorts a batch that was not). */
    pthread_mutex_lock(&p->mu);
    bool writer_busy = (p->inflight && !p->done) || p->merging;
    pthread_mutex_unlock(&p->mu);
    int rc = writer_busy ? gl_store_batch_prepare(p->cur->batch, err) : GL_OK;
    if (!rc)
        rc = complete(p, true, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&p->mu);
    p->inflight = p->cur;
    p->done = false;
    p->result = GL_OK;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    p->cur = p->cur == &p->slots[0] ? &p->slots[1] : &p->slots[0];
    return GL_OK;
}

void gl_pipeline_idle(struct gl_pipeline *p, int64_t us)
{
    if (p->c.read)
        p->c.idle_us += us;
}

const struct gl_pipeline_counters *gl_pipeline_counters(const struct gl_pipeline *p)
{
    return &p->c;
}

void gl_pipeline_progress(struct gl_pipeline *p, int64_t lag, bool force)
{
    int64_t now = gl_tstamp_now();
    if (!force && (p->opts.progress_us <= 0 || now - p->last_report < p->opts.progress_us))
        return;
    double secs = (double)(now - p->last_report) / 1e6;
    double rate = secs > 0 ? (double)(p->c.read - p->read_at_report) / secs : 0;
    char lagbuf[32] = "n/a";
    if (lag >= 0)
        snprintf(lagbuf, sizeof lagbuf, "%lld", (long long)lag);
    gl_log(GL_LOG_INFO, "ingest",
           "%.0f ev/s, read %llu, stored %llu, duplicates %llu, quarantined %llu, "
           "exposures %llu, lag %s",
           rate, (unsigned long long)p->c.read, (unsigned long long)p->c.stored,
           (unsigned long long)p->c.duplicates, (unsigned long long)p->c.quarantined,
           (unsigned long long)p->c.derived, lagbuf);
    p->last_report = now;
    p->read_at_report = p->c.read;
}

double gl_pipeline_elapsed(const struct gl_pipeline *p)
{
    return (double)(gl_tstamp_now() - p->started) / 1e6;
}

double gl_pipeline_busy(const struct gl_pipeline *p)
{
    if (!p->c.read)
        return 0;
    int64_t end = p->stored_at > p->first_msg ? p->stored_at : gl_tstamp_now();
    return (double)(end - p->first_msg) / 1e6;
}
