/* Logger: one line per message on stderr, text or JSON lines. */
#include "grantline/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static enum gl_log_level max_level = GL_LOG_INFO;
static int as_json;

void gl_log_setup(enum gl_log_level level, int json)
{
    max_level = level;
    as_json = json;
}

int gl_log_enabled(enum gl_log_level level)
{
    return level <= max_level;
}

static void json_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
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

    if (as_json) {
        fprintf(stderr, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"component\":\"", ts,
                now.tv_nsec / 1000000, names[level]);
        json_escape(stderr, component);
        fputs("\",\"msg\":\"", stderr);
        json_escape(stderr, msg);
        fputs("\"}\n", stderr);
    } else {
        fprintf(stderr, "%s.%03ldZ %-5s %s: %s\n", ts, now.tv_nsec / 1000000, names[level],
                component, msg);
    }
}
