/* Kafka sink for findings: one message per finding, keyed by workload, to a
 * topic given as kafka://HOST:PORT[,HOST:PORT...]/TOPIC. */
#ifndef GL_ANALYZER_SINK_KAFKA_H
#define GL_ANALYZER_SINK_KAFKA_H

#include "grantline/error.h"

#include <stddef.h>
#include <stdint.h>

struct kafka_sink;

/* 'props' are "key=value" librdkafka settings (--kafka-config, -X), borrowed
 * until kafka_sink_close. */
int kafka_sink_open(const char *url, const char **props, size_t n_props, struct kafka_sink **out,
                    struct gl_error *err);
/* Queues one message (copied). */
int kafka_sink_send(struct kafka_sink *s, const char *key, const void *buf, size_t len,
                    struct gl_error *err);
/* Waits up to timeout_ms for every delivery report, then frees the sink.
 * Returns GL_ERR_KAFKA when any message was not delivered. */
int kafka_sink_close(struct kafka_sink *s, int timeout_ms, uint64_t *delivered, uint64_t *failed,
                     struct gl_error *err);

#endif
