/* Arenas (grantline/arena.h): chunks of 64 KiB or more, bump allocation,
 * everything freed at once. */
#include "grantline/arena.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t data[]; /* chunk headers keep allocations 16-byte aligned */
};

struct gl_arena {
    struct chunk *head;
};

struct gl_arena *gl_arena_new(void)
{
    return calloc(1, sizeof(struct gl_arena));
}

void gl_arena_reset(struct gl_arena *a)
{
    struct chunk *c = a->head;
    while (c) {
        struct chunk *next = c->next;
        if (!next) { /* keep the first chunk for reuse */
            c->used = 0;
            a->head = c;
            return;
        }
        free(c);
        c = next;
    }
}

void gl_arena_free(struct gl_arena *a)
{
    if (!a)
        return;
    struct chunk *c = a->head;
    while (c) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

void *gl_arena_alloc(struct gl_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        struct chunk *c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = (char *)a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

char *gl_arena_strndup(struct gl_arena *a, const char *s, size_t n)
{
    char *p = gl_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}
