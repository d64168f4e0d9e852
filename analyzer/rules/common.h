/* Helpers shared by the rule families. */
#ifndef GL_ANALYZER_RULES_COMMON_H
#define GL_ANALYZER_RULES_COMMON_H

#include "../rules.h"

#include "grantline/tstamp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "3d 4h", "12m 5s": for details people read. */
static inline const char *fmt_dur(int64_t us, char out[32])
{
    int64_t s = us / 1000000;
    if (s >= 86400)
        snprintf(out, 32, "%lldd %lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
    else if (s >= 3600)
        snprintf(out, 32, "%lldh %lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else if (s >= 60)
        snprintf(out, 32, "%lldm %llds", (long long)(s / 60), (long long)(s % 60));
    else
        snprintf(out, 32, "%lld.%03llds", (long long)s, (long long)(us / 1000 % 1000));
    return out;
}

static inline void add_evidence(struct finding *f, const char *id)
{
    if (id && f->n_evidence < (int)(sizeof f->evidence / sizeof f->evidence[0]))
        f->evidence[f->n_evidence++] = id;
}

static inline void set_span(struct finding *f, int64_t first, int64_t last)
{
    f->first_seen = first;
    f->last_seen = last;
    f->has_first = f->has_last = true;
}

/* snprintf for the details of the rules that fire most (one line per
 * finding, hundreds of thousands on a large store): "%s" and "%d" only,
 * anything else goes to vsnprintf. Truncates like snprintf. */
static inline void detail_fmt(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    for (const char *q = fmt; *q; q++) {
        if (q[0] == '%' && q[1] != 's' && q[1] != 'd') {
            va_start(ap, fmt);
            vsnprintf(out, n, fmt, ap);
            va_end(ap);
            return;
        }
        if (q[0] == '%')
            q++;
    }
    size_t at = 0;
    va_start(ap, fmt);
    for (const char *q = fmt; *q && at + 1 < n; q++) {
        const char *piece = q;
        size_t len = 1;
        char num[16];
        if (q[0] == '%' && q[1] == 's') {
            piece = va_arg(ap, const char *);
            piece = piece ? piece : "(null)";
            len = strlen(piece);
            q++;
        } else if (q[0] == '%' && q[1] == 'd') {
            len = (size_t)snprintf(num, sizeof num, "%d", va_arg(ap, int));
            piece = num;
            q++;
        }
        if (len > n - 1 - at)
            len = n - 1 - at;
        memcpy(out + at, piece, len);
        at += len;
    }
    va_end(ap);
    out[at] = '\0';
}

static inline const char *perm_text(const struct perm *p, char *out, size_t n)
{
    detail_fmt(out, n, "%s on %s", p->action, p->resource ? p->resource : "*");
    return out;
}

/* An action's permission: without a resource it names none (DESIGN.md
 * §3.1: its resource is "", which is not "*") */
static inline const char *act_text(const struct perm *p, char *out, size_t n)
{
    if (!p->resource || !*p->resource)
        detail_fmt(out, n, "%s", p->action);
    else
        detail_fmt(out, n, "%s on %s", p->action, p->resource);
    return out;
}

#endif
