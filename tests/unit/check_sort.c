/* Unit tests for lib/sort.c: the radix sorts agree with qsort on random,
 * narrow, wide and repeated keys, and the key-value sort is stable. */
#include "grantline/sort.h"

#include "check_helpers.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_rand(void)
{
    rng ^= rng << 13; /* xorshift64: a fixed sequence, so failures repeat */
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* key masks: full width, narrow (one pass), middle bytes only, all equal */
static const uint64_t masks[] = {UINT64_MAX, 0xffULL, 0x00ffff0000ff0000ULL, 0,
                                 0xf000000000000001ULL};
static const size_t sizes[] = {0, 1, 2, 3, 255, 256, 257, 10000};

START_TEST(test_sort_u64_matches_qsort)
{
    uint64_t mask = masks[_i % 5];
    size_t n = sizes[_i / 5];
    uint64_t *a = malloc((n + 1) * sizeof *a), *tmp = malloc((n + 1) * sizeof *a),
             *want = malloc((n + 1) * sizeof *a);
    for (size_t i = 0; i < n; i++)
        a[i] = want[i] = next_rand() & mask;
    qsort(want, n, sizeof *want, cmp_u64);
    const uint64_t *got = gl_sort_u64(a, tmp, n);
    ck_assert(got == a || got == tmp);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(got[i], want[i]);
    free(a);
    free(tmp);
    free(want);
}
END_TEST

START_TEST(test_sort_kv_is_stable)
{
    enum { N = 5000 };
    struct gl_sort_kv *a = malloc(N * sizeof *a), *tmp = malloc(N * sizeof *a);
    for (size_t i = 0; i < N; i++) /* few distinct keys, many ties; val = arrival */
        a[i] = (struct gl_sort_kv){(next_rand() % 37) << 40 | (next_rand() % 3), i};
    const struct gl_sort_kv *got = gl_sort_kv(a, tmp, N);
    for (size_t i = 1; i < N; i++) {
        ck_assert_uint_le(got[i - 1].key, got[i].key);
        if (got[i - 1].key == got[i].key)
            ck_assert_uint_lt(got[i - 1].val, got[i].val);
    }
    size_t seen = 0; /* a permutation: every arrival once */
    for (size_t i = 0; i < N; i++)
        seen += got[i].val;
    ck_assert_uint_eq(seen, (size_t)N * (N - 1) / 2);
    free(a);
    free(tmp);
}
END_TEST

static Suite *sort_suite(void)
{
    Suite *s = suite_create("sort");
    TCase *tc = tcase_create("radix");
    tcase_add_loop_test(tc, test_sort_u64_matches_qsort, 0, 5 * 8);
    tcase_add_test(tc, test_sort_kv_is_stable);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return gl_test_run(sort_suite());
}
