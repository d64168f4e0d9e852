/* Sources feed the ingest pipeline. Each registers one ops struct in
 * sources.c; adding a source is one new file and one table line. */
#ifndef GL_COLLECTOR_SOURCE_H
#define GL_COLLECTOR_SOURCE_H

#include "pipeline.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gl_source_cfg {
    const char *brokers;
    const char *topics; /* comma-separated */
    const char *group;
    const char **kafka_props; /* "key=value" from -X, borrowed */
    size_t n_kafka_props;
    const char *input; /* file path or "-" */
    bool exit_at_end;
    bool from_start; /* file: ignore the stored position */
};

struct gl_source_ops {
    const char *name;
    const char *description;
    /* Whether the options select this source. */
    bool (*selected)(const struct gl_source_cfg *cfg);
    /* Optional: whether the source can start (an input that exists), asked
     * before the store is opened, so a wrong path creates no store. */
    int (*check)(const struct gl_source_cfg *cfg, struct gl_error *err);
    /* Runs until drained (exit_at_end), *stop is set, or a fatal error.
     * Every message goes through 'p'; the source flushes when due and
     * before it returns. */
    int (*run)(const struct gl_source_cfg *cfg, struct gl_pipeline *p, struct gl_store *st,
               volatile sig_atomic_t *stop, struct gl_error *err);
};

extern const struct gl_source_ops gl_src_kafka;
extern const struct gl_source_ops gl_src_file;

/* Writes "<kind><name><sep><a>@<b>" into out (n bytes, NUL-terminated,
 * cut to fit): "kafka:topic/partition@offset", "path:line@byte"; without
 * "<sep><a>" when a is negative (unknown). */
void gl_source_origin(char *out, size_t n, const char *kind, const char *name, char sep,
                      int64_t a, int64_t b);

/* NULL-terminated registry. */
extern const struct gl_source_ops *const gl_sources[];

#endif
