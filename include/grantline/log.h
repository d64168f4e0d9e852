/* Process-wide logger: leveled lines on stderr, as text or JSON. The only
 * mutable global in libgrantline; configure it once from main(). */
#ifndef GL_LOG_H
#define GL_LOG_H

enum gl_log_level { GL_LOG_ERROR = 0, GL_LOG_WARN, GL_LOG_INFO, GL_LOG_DEBUG };

void gl_log_setup(enum gl_log_level max_level, int json);
int gl_log_enabled(enum gl_log_level level);
void gl_log_write(enum gl_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Checks the level before formatting so disabled debug lines cost nothing. */
#define gl_log(level, component, ...)                                                             \
    do {                                                                                           \
        if (gl_log_enabled(level))                                                                 \
            gl_log_write(level, component, __VA_ARGS__);                                           \
    } while (0)

#endif
