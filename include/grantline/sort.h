/* Radix sorts for the store's batch ordering (a batch is sorted several times
 * per commit; qsort's comparator calls were a sixth of the writer). */
#ifndef GL_SORT_H
#define GL_SORT_H

#include <stddef.h>
#include <stdint.h>

/* A key and what it carries; sorted by key, stable. */
struct gl_sort_kv {
    uint64_t key;
    uint64_t val;
};

/* Sorts a[0..n) ascending using tmp[0..n) as scratch and returns whichever of
 * the two holds the result. Passes over a byte that all keys share are
 * skipped, so narrow keys cost few passes. */
uint64_t *gl_sort_u64(uint64_t *a, uint64_t *tmp, size_t n);
struct gl_sort_kv *gl_sort_kv(struct gl_sort_kv *a, struct gl_sort_kv *tmp, size_t n);

#endif
