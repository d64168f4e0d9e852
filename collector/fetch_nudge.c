/* The fetch nudge (fetch_nudge.h): a ticker that looks at the consumer
 * queue's length every few milliseconds and, when the queue has drained to
 * half of a length at which a prefetch limit stopped the fetcher, asks
 * every partition leader for its latest offsets. The answer is not used:
 * the request is what wakes the broker thread. A queue that never nears a
 * limit (a topic streaming slower than it is read, a quiet one) sends no
 * request. */
#include "fetch_nudge.h"

#include "grantline/kafka_conf.h"
#include "grantline/ticker.h"

#include <stdatomic.h>
#include <stdlib.h>

/* How often the queue is looked at: the reader takes ~1,000 messages in
 * this time, a small share of the queue a paused fetcher left. */
#define POLL_MS 4

struct gl_fetch_nudge {
    rd_kafka_t *rk;      /* borrowed */
    rd_kafka_queue_t *q; /* the consumer queue, owned */
    struct gl_ticker *ticker;
    long long min_msgs, max_bytes; /* the prefetch limits (queued.min.messages, ...kbytes) */
    _Atomic uint64_t avg; /* the average message's bytes, from the reader; 0: unknown */
    /* the ticker thread's, read once it is joined */
    size_t peak;  /* the queue's length since the last nudge, at most */
    uint64_t sent;
};

/* One ListOffsets request per leader of the assigned partitions (librdkafka
 * groups them). A timestamp of RD_KAFKA_OFFSET_END asks for the latest. */
static void nudge(struct gl_fetch_nudge *n)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(n->rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || !parts)
        return;
    if (parts->cnt > 0) {
        for (int i = 0; i < parts->cnt; i++)
            parts->elems[i].offset = RD_KAFKA_OFFSET_END;
        /* a failure (leader unknown, brokers down) woke nothing worth
         * reporting: the fetcher wakes by itself within a second */
        (void)rd_kafka_offsets_for_times(n->rk, parts, GL_FETCH_NUDGE_TIMEOUT_MS);
        n->sent++;
    }
    rd_kafka_topic_partition_list_destroy(parts);
}

static void look(void *arg)
{
    struct gl_fetch_nudge *n = arg;
    size_t len = rd_kafka_queue_length(n->q);
    if (len > n->peak) {
        n->peak = len;
        return;
    }
    /* the length at which a limit stops the fetcher: the byte limit's
     * counts at the average size (events of a few KB reach it first) */
    long long limit = n->min_msgs;
    uint64_t avg = atomic_load_explicit(&n->avg, memory_order_relaxed);
    if (avg > 0 && n->max_bytes > 0 && n->max_bytes / (long long)avg < limit)
        limit = n->max_bytes / (long long)avg;
    /* seen near it (a poll may come a few thousand messages late), then
     * half drained */
    if (n->peak > 0 && 4 * (long long)n->peak >= 3 * limit && len <= n->peak / 2) {
        nudge(n);
        n->peak = len;
    }
}

int gl_fetch_nudge_start(rd_kafka_t *rk, struct gl_fetch_nudge **out, struct gl_error *err)
{
    struct gl_fetch_nudge *n = calloc(1, sizeof *n);
    if (!n)
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    n->rk = rk;
    const rd_kafka_conf_t *conf = rd_kafka_conf(rk);
    n->min_msgs = gl_kafka_conf_num(conf, "queued.min.messages");
    n->max_bytes = gl_kafka_conf_num(conf, "queued.max.messages.kbytes") * 1024;
    n->q = rd_kafka_queue_get_consumer(rk);
    if (!n->q) {
        free(n);
        return gl_error_set(err, GL_ERR_KAFKA, 0, "kafka: no consumer queue");
    }
    int rc = gl_ticker_new(look, n, POLL_MS, "gl-fetch-nudge", &n->ticker, err);
    if (rc) {
        rd_kafka_queue_destroy(n->q);
        free(n);
        return rc;
    }
    gl_ticker_on(n->ticker);
    *out = n;
    return GL_OK;
}

uint64_t gl_fetch_nudge_stop(struct gl_fetch_nudge *n)
{
    if (!n)
        return 0;
    gl_ticker_free(n->ticker);
    uint64_t sent = n->sent;
    rd_kafka_queue_destroy(n->q);
    free(n);
    return sent;
}

void gl_fetch_nudge_hint(struct gl_fetch_nudge *n, uint64_t avg_bytes)
{
    atomic_store_explicit(&n->avg, avg_bytes, memory_order_relaxed);
}
