/* Ingest pipeline: one decoder, one redactor and one store batch, used by a
 * single thread. Accounting identity: read = stored + duplicates + quarantined
 * (derived exposure events are counted apart). */
#include "pipeline.h"

#include "grantline/event.h"
#include "grantline/log.h"
#include "grantline/tstamp.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gl_pipeline {
    struct gl_store *st;
    struct gl_redactor *rd;
    struct gl_pipeline_opts opts;
    struct gl_decoder *dec;
    struct gl_store_batch *batch;
    struct gl_buf rec;     /* encoded record */
    struct gl_buf scratch; /* quarantine text */
    struct gl_redact_hits hits, derived_hits;
    bool *derived; /* per queued event: added by redaction */
    bool *dups;
    size_t flags_cap;
    size_t n_events;
    int64_t oldest;
    struct gl_pipeline_counters c;
    int64_t started, last_report;
    uint64_t read_at_report;
};

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
    p->batch = gl_store_batch_new();
    if (!p->dec || !p->batch) {
        gl_pipeline_free(p);
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    }
    *out = p;
    return GL_OK;
}

void gl_pipeline_free(struct gl_pipeline *p)
{
    if (!p)
        return;
    gl_decoder_free(p->dec);
    gl_store_batch_free(p->batch);
    gl_buf_free(&p->rec);
    gl_buf_free(&p->scratch);
    gl_redact_hits_free(&p->hits);
    gl_redact_hits_free(&p->derived_hits);
    free(p->derived);
    free(p->dups);
    free(p);
}

static int grow_flags(struct gl_pipeline *p)
{
    if (p->n_events < p->flags_cap)
        return GL_OK;
    size_t nc = p->flags_cap ? p->flags_cap * 2 : 1024;
    bool *d = realloc(p->derived, nc * sizeof *d);
    if (!d)
        return GL_ERR_NOMEM;
    p->derived = d;
    d = realloc(p->dups, nc * sizeof *d);
    if (!d)
        return GL_ERR_NOMEM;
    p->dups = d;
    p->flags_cap = nc;
    return GL_OK;
}

static int queue_event(struct gl_pipeline *p, const struct gl_event *ev, bool derived)
{
    int rc = grow_flags(p);
    if (!rc)
        rc = gl_store_batch_add(p->batch, ev, p->rec.data, p->rec.len);
    if (rc)
        return rc;
    p->derived[p->n_events++] = derived;
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

static int quarantine(struct gl_pipeline *p, const void *buf, size_t len, const char *origin,
                      const char *reason, struct gl_error *err)
{
    size_t keep = len < p->opts.quarantine_cap ? len : p->opts.quarantine_cap;
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
    /* The raw bytes are redacted too: a refused event may still carry a secret. */
    struct gl_buf red = {0};
    int n = gl_redactor_scan(p->rd, src, srclen, &red, NULL, err);
    if (n < 0) {
        gl_buf_free(&red);
        return n;
    }
    if (n > 0) {
        src = red.data;
        srclen = red.len;
        p->c.secrets += (uint64_t)n;
    }
    int rc = gl_store_batch_quarantine(p->batch, src, srclen, len, escaped, origin, reason);
    gl_buf_free(&red);
    if (rc)
        return gl_error_set(err, rc, 0, "out of memory");
    p->c.quarantined++;
    gl_log(GL_LOG_DEBUG, "ingest", "quarantined %s: %s", origin, reason);
    return GL_OK;
}

/* One credential.exposed per distinct secret, with an id derived from the
 * source event id and the fingerprint, so replays deduplicate it. */
static int add_derived(struct gl_pipeline *p, const struct gl_event *src, struct gl_error *err)
{
    for (size_t i = 0; i < p->hits.n; i++) {
        const struct gl_redact_hit *h = &p->hits.v[i];
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(p->hits.v[j].fp, h->fp) == 0 && strcmp(p->hits.v[j].rule, h->rule) == 0;
        if (seen)
            continue;
        unsigned char md[32];
        unsigned int mdlen = 0;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
                 EVP_DigestUpdate(ctx, src->id.ptr, src->id.len) &&
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
        char src_id[GL_EVENT_ID_MAX + 1];
        snprintf(src_id, sizeof src_id, "%.*s", (int)src->id.len, src->id.ptr);
        struct gl_kv attrs[] = {
            {"rule", h->rule}, {"field", h->field}, {"source_event", src_id}};
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
            rc = queue_event(p, &ev, true);
        if (rc)
            return rc;
    }
    return GL_OK;
}

int gl_pipeline_ingest(struct gl_pipeline *p, const void *buf, size_t len, const char *origin,
                       const char *pos_source, int64_t pos_next, struct gl_error *err)
{
    if (!gl_pipeline_pending(p))
        p->oldest = gl_tstamp_now();
    p->c.read++;
    p->c.bytes += len;
    int rc = GL_OK;
    if (pos_source) {
        rc = gl_store_batch_position(p->batch, pos_source, pos_next);
        if (rc)
            return gl_error_set(err, rc, 0, "out of memory");
    }
    if (len > p->opts.max_message) {
        char reason[128];
        snprintf(reason, sizeof reason, "oversize message: %zu bytes (limit %zu)", len,
                 p->opts.max_message);
        return quarantine(p, buf, len, origin, reason, err);
    }
    struct gl_event ev;
    struct gl_error why = {0};
    rc = gl_decoder_decode(p->dec, buf, len, &ev, &why);
    if (rc == GL_ERR_INVALID)
        return quarantine(p, buf, len, origin, why.msg, err);
    if (rc)
        return gl_error_set(err, rc, 0, "%s", why.msg);
    ev.origin.ptr = origin;
    ev.origin.len = strlen(origin);
    gl_buf_reset(&p->rec);
    p->hits.n = 0;
    rc = gl_event_encode(&ev, p->rd, &p->rec, &p->hits, err);
    if (rc)
        return rc;
    rc = queue_event(p, &ev, false);
    if (rc)
        return gl_error_set(err, rc, 0, "out of memory");
    if (p->hits.n) {
        p->c.secrets += p->hits.n;
        rc = add_derived(p, &ev, err);
    }
    return rc;
}

bool gl_pipeline_pending(const struct gl_pipeline *p)
{
    return gl_store_batch_count(p->batch) > 0;
}

int64_t gl_pipeline_due_in(const struct gl_pipeline *p)
{
    if (gl_store_batch_count(p->batch) == 0)
        return -1;
    if (p->n_events >= p->opts.batch_max)
        return 0;
    int64_t left = p->oldest + p->opts.batch_us - gl_tstamp_now();
    return left > 0 ? left : 0;
}

bool gl_pipeline_due(const struct gl_pipeline *p)
{
    return gl_pipeline_due_in(p) == 0;
}

int gl_pipeline_flush(struct gl_pipeline *p, struct gl_error *err)
{
    struct gl_store_commit_result res;
    int rc = gl_store_commit(p->st, p->batch, &res, p->dups, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < p->n_events; i++) {
        if (p->derived[i])
            p->c.derived += !p->dups[i];
        else if (p->dups[i])
            p->c.duplicates++;
        else
            p->c.stored++;
    }
    p->n_events = 0;
    p->c.batches++;
    return GL_OK;
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
