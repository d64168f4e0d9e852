/* The collector's heap: on tcmalloc builds, memory comes from the kernel in
 * transparent huge pages. */
#ifndef GL_COLLECTOR_HEAP_H
#define GL_COLLECTOR_HEAP_H

#ifdef __cplusplus
extern "C" {
#endif

/* Asks the allocator to take its memory in 2 MiB huge pages from now on.
 * Returns 1 when it will, 0 when this build's allocator cannot (glibc
 * malloc, sanitizers). Call once, early, before other threads start. */
int gl_heap_use_huge_pages(void);

#ifdef __cplusplus
}
#endif

#endif
