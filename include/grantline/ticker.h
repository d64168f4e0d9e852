/* A helper thread that calls a function every few milliseconds while it is
 * switched on (the collector's fetch nudge, the store's early writeback). */
#ifndef GL_TICKER_H
#define GL_TICKER_H

#include "grantline/error.h"

struct gl_ticker;

/* Starts the thread, named 'name' (at most 15 bytes), switched off. 'fn'
 * runs on it with 'arg' (borrowed: it must outlive the ticker). */
int gl_ticker_new(void (*fn)(void *arg), void *arg, int period_ms, const char *name,
                  struct gl_ticker **out, struct gl_error *err);

/* Switches the calls on (the first at once) or off. Off returns once no
 * call is running, so what 'fn' reads may change after it. */
void gl_ticker_on(struct gl_ticker *t);
void gl_ticker_off(struct gl_ticker *t);

/* Stops the thread (after a call that is running) and frees 't'; NULL is
 * ignored. */
void gl_ticker_free(struct gl_ticker *t);

#endif
