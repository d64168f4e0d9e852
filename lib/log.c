/* Logger: one line per message on stderr, text or JSON lines. Each line is
 * formatted whole and written with one write(2) under a lock: librdkafka
 * logs from its own threads, and pieces of two lines must never mix (a
 * JSON log shipper would drop both). */
#include "grantline/log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum gl_log_level max_level = GL_LOG_INFO;
static int as_json;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

void gl_log_setup(enum gl_log_level level, int json)
{
    max_level = level;
    as_json = json;
}

int gl_log_enabled(enum gl_log_level level)
{
    return level <= max_level;
}

/* Appends s, JSON-escaped, to line[*at..cap); stops before a cut escape
 * (the line stays valid JSON, only shorter). */
static void json_escape(char *line, size_t *at, size_t cap, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        size_t n;
        if (c == '"' || c == '\\')
            n = (size_t)snprintf(esc, sizeof esc, "\\%c", c);
        else if (c < 0x20)
            n = (size_t)snprintf(esc, sizeof esc, "\\u%04x", c);
        else
            esc[0] = (char)c, n = 1;
        if (*at + n >= cap)
            return;
        memcpy(line + *at, esc, n);
        *at += n;
    }
}

static void write_all(const char *p, size_t n)
{
    pthread_mutex_lock(&write_lock);
    while (n) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* stderr gone: nothing to tell anyone */
        p += w;
        n -= (size_t)w;
    }
    pthread_mutex_unlock(&write_lock);
}

void gl_log_write(enum gl_log_level level, const char *component, const char *fmt, ...)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);

    char line[4096 + 512];
    size_t at;
    if (as_json) {
        at = (size_t)snprintf(line, sizeof line,
                              "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"component\":\"", ts,
                              now.tv_nsec / 1000000, names[level]);
        json_escape(line, &at, sizeof line - 16, component); /* room for the rest */
        memcpy(line + at, "\",\"msg\":\"", 9);
        at += 9;
        json_escape(line, &at, sizeof line - 4, msg);
        memcpy(line + at, "\"}\n", 3);
        at += 3;
    } else {
        int n = snprintf(line, sizeof line, "%s.%03ldZ %-5s %s: %s\n", ts,
                         now.tv_nsec / 1000000, names[level], component, msg);
        at = n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
        if (at && line[at - 1] != '\n')
            line[at - 1] = '\n'; /* cut short: still one line */
    }
    write_all(line, at);
}

#if !defined(__SANITIZE_ADDRESS__)
static const char *crash_prog = "grantline";

static void crash_handler(int sig)
{
    /* async-signal-safe: write(2) of fixed text, then die of the signal */
    static const char tail[] =
        ": crashed reading memory it may not (SIGSEGV/SIGBUS). A store damaged on disk (a "
        "failing disk, an interrupted copy) crashes LMDB this way ('grantline-analyzer verify' "
        "tells): restore the store from a backup, or collect its sources again into a new "
        "one; if the store is intact, this is a bug: please report it with the command line.\n";
    ssize_t rc = write(STDERR_FILENO, crash_prog, strlen(crash_prog));
    rc = write(STDERR_FILENO, tail, sizeof tail - 1);
    (void)rc;
    raise(sig); /* SA_RESETHAND: the default action now, a core if enabled */
}
#endif

void gl_log_crash_hint(const char *prog)
{
#if defined(__SANITIZE_ADDRESS__)
    (void)prog;
#else
    crash_prog = prog;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = crash_handler;
    sa.sa_flags = (int)SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
#endif
}
