/* Kafka sink: a librdkafka producer with idempotence on, delivery reports
 * counted, and a final flush that says how many findings did not arrive. */
#include "sink_kafka.h"

#include "grantline/kafka_conf.h"
#include "grantline/kvconf.h"
#include "grantline/log.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kafka_sink {
    rd_kafka_t *rk;
    char topic[256];
    uint64_t delivered, failed;
    char last_error[256];
    const char *const *props; /* borrowed until kafka_sink_close (masks its log) */
    size_t n_props;
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct kafka_sink *s = opaque;
    if (m->err) {
        s->failed++;
        snprintf(s->last_error, sizeof s->last_error, "%s", rd_kafka_err2str(m->err));
    } else {
        s->delivered++;
    }
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    /* librdkafka quotes a setting it cannot parse, a secret one too */
    const struct kafka_sink *s = rd_kafka_opaque(rk);
    char masked[1024];
    gl_kvconf_mask(s ? s->props : NULL, s ? s->n_props : 0, buf, masked, sizeof masked);
    gl_log(level <= 3 ? GL_LOG_ERROR : level <= 4 ? GL_LOG_WARN : GL_LOG_DEBUG, "kafka-sink",
           "%s: %s", fac, masked);
}

/* Errors of the producer as a whole, once (see gl_kafka_error_logged);
 * undelivered findings are counted by the delivery reports. */
static void on_error(rd_kafka_t *rk, int kerr, const char *reason, void *opaque)
{
    (void)rk;
    const struct kafka_sink *s = opaque;
    gl_kafka_log_error("kafka-sink", (rd_kafka_resp_err_t)kerr, reason, s ? s->props : NULL,
                       s ? s->n_props : 0);
}

int kafka_sink_open(const char *url, const char **props, size_t n_props, struct kafka_sink **out,
                    struct gl_error *err)
{
    if (strncmp(url, "kafka://", 8) != 0)
        return gl_error_set(err, GL_ERR_INVALID, 0,
                            "sink %s: expected kafka://HOST:PORT[,HOST:PORT]/TOPIC", url);
    const char *hosts = url + 8;
    const char *slash = strchr(hosts, '/');
    if (!slash || slash == hosts || !slash[1])
        return gl_error_set(err, GL_ERR_INVALID, 0,
                            "sink %s: expected kafka://HOST:PORT[,HOST:PORT]/TOPIC", url);
    struct kafka_sink *s = calloc(1, sizeof *s);
    if (!s)
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    snprintf(s->topic, sizeof s->topic, "%s", slash + 1);
    char brokers[1024], errstr[512];
    snprintf(brokers, sizeof brokers, "%.*s", (int)(slash - hosts), hosts);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = GL_OK;
    /* idempotence: a retried send never duplicates a finding in the topic */
    const char *defaults[][2] = {{"enable.idempotence", "true"}, {"linger.ms", "20"}};
    for (size_t i = 0; !rc && i < 2; i++)
        if (rd_kafka_conf_set(conf, defaults[i][0], defaults[i][1], errstr, sizeof errstr))
            rc = gl_error_set(err, GL_ERR_INVALID, 0, "kafka: %s", errstr);
    if (!rc)
        rc = gl_kafka_conf_apply(conf, props, n_props, err);
    /* the --sink URL names the brokers, whatever a settings file says */
    if (!rc && rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof errstr))
        rc = gl_error_set(err, GL_ERR_INVALID, 0, "kafka: %s", errstr);
    if (rc) {
        rd_kafka_conf_destroy(conf);
        free(s);
        return rc;
    }
    rd_kafka_conf_set_opaque(conf, s);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_error_cb(conf, on_error);
    s->props = props;
    s->n_props = n_props;
    s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!s->rk) {
        char masked[512];
        gl_kvconf_mask(props, n_props, errstr, masked, sizeof masked);
        rd_kafka_conf_destroy(conf);
        free(s);
        return gl_error_set(err, GL_ERR_INVALID, 0, "kafka: %s", masked);
    }
    *out = s;
    return GL_OK;
}

int kafka_sink_send(struct kafka_sink *s, const char *key, const void *buf, size_t len,
                    struct gl_error *err)
{
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            s->rk, RD_KAFKA_V_TOPIC(s->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE((void *)buf, len),
            RD_KAFKA_V_KEY((void *)key, key ? strlen(key) : 0), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_poll(s->rk, 0);
            return GL_OK;
        }
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return gl_error_set(err, GL_ERR_KAFKA, e, "kafka: produce to %s: %s", s->topic,
                                rd_kafka_err2str(e));
        rd_kafka_poll(s->rk, 100); /* let deliveries drain the queue */
    }
}

int kafka_sink_close(struct kafka_sink *s, int timeout_ms, uint64_t *delivered, uint64_t *failed,
                     struct gl_error *err)
{
    if (!s)
        return GL_OK;
    rd_kafka_resp_err_t e = rd_kafka_flush(s->rk, timeout_ms);
    int rc = GL_OK;
    uint64_t pending = (uint64_t)rd_kafka_outq_len(s->rk);
    if (e || pending || s->failed)
        rc = gl_error_set(err, GL_ERR_KAFKA, e,
                          "kafka: %llu findings not delivered to %s (%llu still queued after %d "
                          "ms)%s%s",
                          (unsigned long long)(s->failed + pending), s->topic,
                          (unsigned long long)pending, timeout_ms, s->failed ? ": " : "",
                          s->last_error);
    if (delivered)
        *delivered = s->delivered;
    if (failed)
        *failed = s->failed + pending;
    rd_kafka_destroy(s->rk);
    free(s);
    return rc;
}
