/* LSD radix sorts over 8-bit digits: one counting pass for all eight bytes,
 * then one scatter pass per byte that is not the same in every key. */
#include "grantline/sort.h"

#include <string.h>

#define RADIX_SORT(T, KEY)                                                                         \
    size_t count[8][256];                                                                          \
    memset(count, 0, sizeof count);                                                                \
    for (size_t i = 0; i < n; i++) {                                                               \
        uint64_t k = KEY(a[i]);                                                                    \
        for (int d = 0; d < 8; d++)                                                                \
            count[d][(k >> (8 * d)) & 0xff]++;                                                     \
    }                                                                                              \
    T *src = a, *dst = tmp;                                                                        \
    for (int d = 0; d < 8; d++) {                                                                  \
        if (n == 0 || count[d][(KEY(a[0]) >> (8 * d)) & 0xff] == n)                                \
            continue; /* every key has this byte: the order stays */                               \
        size_t at = 0;                                                                             \
        for (int v = 0; v < 256; v++) {                                                            \
            size_t c = count[d][v];                                                                \
            count[d][v] = at;                                                                      \
            at += c;                                                                               \
        }                                                                                          \
        for (size_t i = 0; i < n; i++)                                                             \
            dst[count[d][(KEY(src[i]) >> (8 * d)) & 0xff]++] = src[i];                             \
        T *t = src;                                                                                \
        src = dst;                                                                                 \
        dst = t;                                                                                   \
    }                                                                                              \
    return src;

#define KEY_SELF(x) (x)
#define KEY_FIELD(x) ((x).key)

uint64_t *gl_sort_u64(uint64_t *a, uint64_t *tmp, size_t n)
{
    RADIX_SORT(uint64_t, KEY_SELF)
}

struct gl_sort_kv *gl_sort_kv(struct gl_sort_kv *a, struct gl_sort_kv *tmp, size_t n)
{
    RADIX_SORT(struct gl_sort_kv, KEY_FIELD)
}
