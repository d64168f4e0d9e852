/* Process-wide logger: leveled lines on stderr, as text or JSON. The only
 * mutable global in libgrantline; configure it once from main(). */
#ifndef GL_LOG_H
#define GL_LOG_H

enum gl_log_level { GL_LOG_ERROR = 0, GL_LOG_WARN, GL_LOG_INFO, GL_LOG_DEBUG };

void gl_log_setup(enum gl_log_level max_level, int json);
int gl_log_enabled(enum gl_log_level level);
void gl_log_write(enum gl_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* On SIGSEGV or SIGBUS, writes one line naming the likely cause before the
 * process dies as it would have (the signal is raised again): a store
 * damaged on disk crashes LMDB inside a read, which no return code can
 * report. 'prog' must outlive the process (a string literal). Not
 * installed under AddressSanitizer, which reports such faults itself. */
void gl_log_crash_hint(const char *prog);

/* Checks the level before formatting so disabled debug lines cost nothing. */
#define gl_log(level, component, ...)                                                             \
    do {                                                                                           \
        if (gl_log_enabled(level))                                                                 \
            gl_log_write(level, component, __VA_ARGS__);                                           \
    } while (0)

#endif
