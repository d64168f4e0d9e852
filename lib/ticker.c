/* The ticker (include/grantline/ticker.h): one thread, a mutex and a
 * condition variable on the monotonic clock, so switching off or freeing
 * never waits out a period. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "grantline/ticker.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

struct gl_ticker {
    void (*fn)(void *arg);
    void *arg;
    long period_ns;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool on, running, quit; /* under mu */
};

static void *ticker_main(void *arg)
{
    struct gl_ticker *t = arg;
    pthread_mutex_lock(&t->mu);
    while (!t->quit) {
        if (!t->on) {
            pthread_cond_wait(&t->cv, &t->mu);
            continue;
        }
        t->running = true;
        pthread_mutex_unlock(&t->mu);
        t->fn(t->arg);
        struct timespec at;
        clock_gettime(CLOCK_MONOTONIC, &at);
        at.tv_nsec += t->period_ns;
        at.tv_sec += at.tv_nsec / 1000000000L;
        at.tv_nsec %= 1000000000L;
        pthread_mutex_lock(&t->mu);
        t->running = false;
        pthread_cond_broadcast(&t->cv); /* gl_ticker_off may wait for this call */
        while (!t->quit && t->on && pthread_cond_timedwait(&t->cv, &t->mu, &at) == 0)
            ;
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

int gl_ticker_new(void (*fn)(void *arg), void *arg, int period_ms, const char *name,
                  struct gl_ticker **out, struct gl_error *err)
{
    struct gl_ticker *t = calloc(1, sizeof *t);
    if (!t)
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    t->fn = fn;
    t->arg = arg;
    t->period_ns = (long)period_ms * 1000000L;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&t->mu, NULL);
    if (pthread_create(&t->thread, NULL, ticker_main, t) != 0) {
        pthread_cond_destroy(&t->cv);
        pthread_mutex_destroy(&t->mu);
        free(t);
        return gl_error_set(err, GL_ERR_NOMEM, 0, "cannot start the %s thread", name);
    }
    pthread_setname_np(t->thread, name); /* for top -H and perf; a failure changes nothing */
    *out = t;
    return GL_OK;
}

void gl_ticker_on(struct gl_ticker *t)
{
    pthread_mutex_lock(&t->mu);
    t->on = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

void gl_ticker_off(struct gl_ticker *t)
{
    pthread_mutex_lock(&t->mu);
    t->on = false;
    pthread_cond_broadcast(&t->cv);
    while (t->running)
        pthread_cond_wait(&t->cv, &t->mu);
    pthread_mutex_unlock(&t->mu);
}

void gl_ticker_free(struct gl_ticker *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    t->quit = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t);
}
