/* Finding outputs ("sinks"): one ops struct per format, registered in one
 * table in output.c. Adding a format is one function set and one line. */
#ifndef GL_ANALYZER_OUTPUT_H
#define GL_ANALYZER_OUTPUT_H

#include "engine.h"

#include <stdio.h>

struct out_ctx {
    FILE *f;
    const struct controls *ctl;
    bool syslog;   /* cef: RFC 5424 framing */
    bool resolved; /* the finding was reported before and is gone now */
    char host[256];
    struct gl_buf line; /* json: the line being built (out_ctx_free) */
};

void out_ctx_free(struct out_ctx *c);

struct gl_output {
    const char *name;
    const char *description;
    /* 'x' is the suppression hiding the finding when --show-suppressed
     * lists it, else NULL */
    void (*write)(struct out_ctx *c, const struct out_finding *o, const struct suppression *x);
};

extern const struct gl_output *const gl_outputs[]; /* NULL-terminated */
const struct gl_output *gl_output_find(const char *name);

/* CEF escaping (exposed for tests): header fields escape '\' and '|';
 * extension values escape '\' and '=', and write CR/LF as \r and \n. Append
 * to 'out' (NUL-terminated, truncated to n). */
void cef_escape_header(const char *s, char *out, size_t n);
void cef_escape_value(const char *s, char *out, size_t n);

/* OCSF severity_id (1..5) and CEF severity (0..10) of a grantline severity. */
int ocsf_severity_id(enum severity s);
int cef_severity(enum severity s);

#endif
