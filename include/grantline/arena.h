/* Arenas: many small allocations freed at once (the analyzer's loaded
 * events, JSON trees). Allocations are 16-byte aligned. */
#ifndef GRANTLINE_ARENA_H
#define GRANTLINE_ARENA_H

#include <stddef.h>

struct gl_arena;

struct gl_arena *gl_arena_new(void); /* NULL on OOM */
void gl_arena_free(struct gl_arena *a);
/* Forgets every allocation, keeping one chunk for reuse. */
void gl_arena_reset(struct gl_arena *a);
void *gl_arena_alloc(struct gl_arena *a, size_t n); /* NULL on OOM */
/* A NUL-terminated copy of n bytes of s; NULL on OOM. */
char *gl_arena_strndup(struct gl_arena *a, const char *s, size_t n);

#endif
