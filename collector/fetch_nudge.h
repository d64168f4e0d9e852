/* Wakes librdkafka's fetchers when the consumer's queue has drained. Up to
 * 2.3.0 (Debian 12 has 2.0.2) a broker thread stops fetching once the queue
 * holds queued.min.messages, and looks again only when something else wakes
 * it, at the latest after 1 s: a queue small enough to be cheap left the
 * reader idle for most of that second, and one large enough to cover it
 * held ~300 MB more per 1M-event backlog. A ListOffsets request to each
 * partition leader wakes its broker thread, which fetches again at once. */
#ifndef GL_COLLECTOR_FETCH_NUDGE_H
#define GL_COLLECTOR_FETCH_NUDGE_H

#include "grantline/error.h"

#include <librdkafka/rdkafka.h>
#include <stdint.h>

struct gl_fetch_nudge;

/* Starts a thread watching the consumer queue of 'rk' (borrowed: stop the
 * nudge before the consumer is closed). */
int gl_fetch_nudge_start(rd_kafka_t *rk, struct gl_fetch_nudge **out, struct gl_error *err);

/* Stops the thread (waiting for a request in flight, at most
 * GL_FETCH_NUDGE_TIMEOUT_MS), frees 'n' and returns how many requests it
 * sent (its only effect); NULL is ignored. */
uint64_t gl_fetch_nudge_stop(struct gl_fetch_nudge *n);

#define GL_FETCH_NUDGE_TIMEOUT_MS 500

/* The average size of the messages read so far, from the reader now and
 * then: with it the nudge knows when queued.max.messages.kbytes, not the
 * message count, stopped the fetcher. */
void gl_fetch_nudge_hint(struct gl_fetch_nudge *n, uint64_t avg_bytes);

#endif
