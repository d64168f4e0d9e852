/* Timestamps: RFC 3339 parsing and formatting, int64 microseconds UTC. */
#ifndef GL_TSTAMP_H
#define GL_TSTAMP_H

#include <stddef.h>
#include <stdint.h>

/* Parses an RFC 3339 date-time with a mandatory zone ('Z' or +hh:mm) and 0-9
 * fraction digits ('T', 't' or ' ' as separator, 'z' allowed). Digits finer
 * than a microsecond are truncated. Second 60 (leap second) is read as 59.999999.
 * Returns 0 and sets *us, or GL_ERR_INVALID with a reason in 'why' (static text). */
int gl_tstamp_parse(const char *s, size_t len, int64_t *us, const char **why);

/* Formats as "YYYY-MM-DDTHH:MM:SS.ffffffZ" (fraction omitted when zero).
 * 'out' must hold 32 bytes. Returns 'out'. */
char *gl_tstamp_format(int64_t us, char out[32]);

/* Microseconds since the epoch from the realtime clock. */
int64_t gl_tstamp_now(void);

/* CPU microseconds the calling thread has used. */
int64_t gl_tstamp_thread_cpu(void);

/* Parses a duration such as "30d", "24h", "5m", "90s", "1500ms", "2w" or a
 * plain number of seconds. Returns 0 or GL_ERR_INVALID. */
int gl_duration_parse(const char *s, int64_t *us);

#endif
