/* The source registry: one line per source. */
#include "source.h"

const struct gl_source_ops *const gl_sources[] = {
    &gl_src_kafka,
    &gl_src_file,
    NULL,
};
