/* The fetch nudge (fetch_nudge.h): a ticker that looks at the consumer
 * queue's length every few milliseconds and, when the queue has drained to
 * half of what it last held, asks every partition leader for its latest
 * offsets. The answer is not used: the request is what wakes the broker
 * thread. */
#include "fetch_nudge.h"

#include "grantline/ticker.h"

#include <stdlib.h>

/* How often the queue is looked at: the reader takes ~1,000 messages in
 * this time, a small share of the queue a paused fetcher left. */
#define POLL_MS 4
/* A queue that never held more did not stop a fetcher (queued.min.messages
 * is far above it) and needs no nudge; a quiet topic sends none. */
#define MIN_PEAK 1000

struct gl_fetch_nudge {
    rd_kafka_t *rk;      /* borrowed */
    rd_kafka_queue_t *q; /* the consumer queue, owned */
    struct gl_ticker *ticker;
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
    } else if (n->peak >= MIN_PEAK && len <= n->peak / 2) {
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
