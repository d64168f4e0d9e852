/* librdkafka settings applied with care for secrets: the collector's
 * consumer and the analyzer's sink take "key=value" settings from
 * --kafka-config and -X, and a refused one is reported without any value
 * that may be a password (a mistyped key's value included). */
#ifndef GL_KAFKA_CONF_H
#define GL_KAFKA_CONF_H

#include "grantline/error.h"

#include <librdkafka/rdkafka.h>
#include <stddef.h>

/* Sets one setting; on refusal returns GL_ERR_INVALID with "kafka: KEY=VALUE:
 * why", VALUE "(hidden)" when it may be secret or the key is unknown, and
 * librdkafka's reason masked against 'props' (gl_kvconf_mask). */
int gl_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *val,
                      const char *const *props, size_t n_props, struct gl_error *err);

/* Sets every "key=value" of 'props' in order. A setting without '=' or
 * whose key is no setting name is refused without being shown. */
int gl_kafka_conf_apply(rd_kafka_conf_t *conf, const char *const *props, size_t n_props,
                        struct gl_error *err);

/* A numeric setting's value as the configuration holds it (set or
 * librdkafka's default); -1 for an unknown key. */
long long gl_kafka_conf_num(const rd_kafka_conf_t *conf, const char *key);

/* Logs an error librdkafka gives a client's error callback, under 'who',
 * masked against 'props', unless its log told it already (a broker
 * connection or a name lookup that failed: the log line names the broker).
 * Clients set an error callback that calls this, so each error is logged
 * once; without one librdkafka logs every error a second time. */
void gl_kafka_log_error(const char *who, rd_kafka_resp_err_t kerr, const char *reason,
                        const char *const *props, size_t n_props);

#endif
