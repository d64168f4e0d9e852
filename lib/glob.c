/* Glob matching (DESIGN.md §3) for grants, scopes and mapping conditions. */
#include "grantline/glob.h"

static size_t utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4
                                                                                              : 1;
}

bool gl_glob_match(const char *p, const char *t, size_t len)
{
    /* iterative matcher: remember the last '*' and retry from one character
     * further on a mismatch; linear in practice, never exponential */
    const char *end = t + len, *star = NULL, *resume = NULL;
    while (t < end) {
        if (*p == '*') {
            star = p++;
            resume = t;
        } else if (*p == '?') {
            p++;
            size_t n = utf8_len((unsigned char)*t);
            t += n < (size_t)(end - t) ? n : (size_t)(end - t);
        } else if (*p && *p == *t) {
            p++;
            t++;
        } else if (star) {
            p = star + 1;
            size_t n = utf8_len((unsigned char)*resume);
            resume += n < (size_t)(end - resume) ? n : (size_t)(end - resume);
            t = resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}
