/* Builds without tcmalloc: the heap stays as glibc (or a sanitizer) makes it. */
#include "heap.h"

int gl_heap_use_huge_pages(void)
{
    return 0;
}
