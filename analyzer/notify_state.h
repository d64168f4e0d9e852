/* The --new-only state: which findings were emitted before (one JSON line
 * per finding, the 'json' output format), so a periodic run emits only new
 * findings and, once, the ones that went away (resolved). */
#ifndef GL_ANALYZER_NOTIFY_STATE_H
#define GL_ANALYZER_NOTIFY_STATE_H

#include "engine.h"

struct notify_entry {
    char id[33];
    char *line; /* the finding as last emitted (json format, no newline); owned */
    bool seen;  /* found again in this run */
};

struct notify_state {
    struct notify_entry *v; /* sorted by id */
    size_t n, cap;
    struct gl_arena *a; /* findings rebuilt from lines */
};

/* A missing file is an empty state. */
int notify_state_load(struct notify_state *s, const char *path, struct gl_error *err);
void notify_state_free(struct notify_state *s);

/* The entry of a finding id, or NULL. */
struct notify_entry *notify_state_find(struct notify_state *s, const char *id);

/* Rebuilds a finding from its stored line (for the resolved re-emission).
 * Strings live in s->a. */
int notify_state_finding(struct notify_state *s, const struct notify_entry *e,
                         struct out_finding *o, struct gl_error *err);

#endif
