/* Origins ("where did this input come from") formatted once per message
 * without printf, which was a few percent of the reader. */
#include "source.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static size_t put_dec(char *out, int64_t v)
{
    char tmp[24];
    size_t k = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        tmp[k++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        tmp[k++] = '-';
    for (size_t j = 0; j < k; j++)
        out[j] = tmp[k - 1 - j];
    return k;
}

void gl_source_origin(char *out, size_t n, const char *kind, const char *name, char sep,
                      int64_t a, int64_t b)
{
    char da[24], db[24];
    size_t la = a < 0 ? 0 : put_dec(da, a), lb = put_dec(db, b);
    size_t kl = strlen(kind), nl = strlen(name);
    if (kl + nl + 1 + la + 1 + lb + 1 > n) { /* a name near the limit: cut it */
        if (a < 0)
            snprintf(out, n, "%s%s@%lld", kind, name, (long long)b);
        else
            snprintf(out, n, "%s%s%c%lld@%lld", kind, name, sep, (long long)a, (long long)b);
        return;
    }
    char *o = out;
    memcpy(o, kind, kl), o += kl;
    memcpy(o, name, nl), o += nl;
    if (a >= 0)
        *o++ = sep;
    memcpy(o, da, la), o += la;
    *o++ = '@';
    memcpy(o, db, lb), o += lb;
    *o = '\0';
}
