/* The HTML timeline ('timeline --format html'): one self-contained page
 * (inline CSS, JS and SVG, no network) with swimlanes for one workload's
 * credentials, grants and tasks, an actions lane, and the findings. */
#ifndef GL_ANALYZER_HTML_TIMELINE_H
#define GL_ANALYZER_HTML_TIMELINE_H

#include "engine.h"

#include <stdint.h>
#include <stdio.h>

/* Which of the workload's events the page shows: those in [from, to] and,
 * when 'task' is set, those of that task (the same filter as the text and
 * JSON timeline). */
struct html_view {
    const char *workload;
    const char *task; /* NULL: every task */
    int64_t from, to; /* INT64_MIN / INT64_MAX: unbounded */
};

/* Writes the page for the timeline the engine holds (eng->w, after
 * engine_workload) and its findings (eng->sink) to 'f'. 'm' is the model the
 * engine runs on; its lookup caches are used (and grow). Returns 0, or a
 * negative GL_ERR_* with err->msg set (out of memory, a store read failed,
 * or writing to 'f' failed). */
int html_timeline_write(FILE *f, struct model *m, struct engine *eng, const struct html_view *v,
                        struct gl_error *err);

#endif
