/* librdkafka settings applied with care for secrets (include/grantline/kafka_conf.h). */
#include "grantline/kafka_conf.h"

#include "grantline/kvconf.h"
#include "grantline/log.h"

#include <stdlib.h>
#include <string.h>

int gl_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *val,
                      const char *const *props, size_t n_props, struct gl_error *err)
{
    char errstr[512], masked[512];
    rd_kafka_conf_res_t res = rd_kafka_conf_set(conf, key, val, errstr, sizeof errstr);
    if (res == RD_KAFKA_CONF_OK)
        return GL_OK;
    gl_kvconf_mask(props, n_props, errstr, masked, sizeof masked);
    return gl_error_set(
        err, GL_ERR_INVALID, 0, "kafka: %s=%.200s: %s", key,
        res == RD_KAFKA_CONF_UNKNOWN || gl_kvconf_secret_key(key) ? "(hidden)" : val, masked);
}

int gl_kafka_conf_apply(rd_kafka_conf_t *conf, const char *const *props, size_t n_props,
                        struct gl_error *err)
{
    int rc = GL_OK;
    for (size_t i = 0; !rc && i < n_props; i++) {
        const char *kv = props[i], *eq = strchr(kv, '=');
        /* "sasl.password:s3cret" is a mistake that holds a password */
        if (!eq || !gl_kvconf_key_ok(kv, (size_t)(eq - kv)))
            return gl_error_set(err, GL_ERR_INVALID, 0,
                                "kafka setting %zu: expected key=value with a setting name as "
                                "the key (not shown: it may hold a secret)",
                                i + 1);
        char *key = strndup(kv, (size_t)(eq - kv));
        if (!key)
            return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
        rc = gl_kafka_conf_set(conf, key, eq + 1, props, n_props, err);
        free(key);
    }
    return rc;
}

long long gl_kafka_conf_num(const rd_kafka_conf_t *conf, const char *key)
{
    char v[32];
    size_t n = sizeof v;
    return rd_kafka_conf_get(conf, key, v, &n) == RD_KAFKA_CONF_OK ? strtoll(v, NULL, 10) : -1;
}

void gl_kafka_log_error(const char *who, rd_kafka_resp_err_t kerr, const char *reason,
                        const char *const *props, size_t n_props)
{
    if (kerr == RD_KAFKA_RESP_ERR__TRANSPORT || kerr == RD_KAFKA_RESP_ERR__RESOLVE)
        return;
    char masked[1024];
    gl_kvconf_mask(props, n_props, reason, masked, sizeof masked);
    gl_log(kerr == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ? GL_LOG_WARN : GL_LOG_ERROR, who, "%s",
           masked);
}
