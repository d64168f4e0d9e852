/* tcmalloc's system allocator replaced by one that maps 2 MiB-aligned
 * regions marked MADV_HUGEPAGE. Why: the first fill of librdkafka's prefetch
 * queue, LMDB's dirty pages and the batch arenas touch ~400 MB of new heap,
 * and each 4 KiB page fault costs microseconds (12 us each on the
 * virtualized 2-core benchmark machine: ~1 s of a 1M-event run). A huge
 * page is one fault per 512 pages. Kernels with THP off ignore the advice. */
#include "heap.h"

#include <gperftools/malloc_extension.h>

#include <new>
#include <stdint.h>
#include <sys/mman.h>

namespace
{

const size_t kHuge = size_t(2) << 20;
/* Regions of at least this size: fewer mappings, and tcmalloc grows its
 * heap 1 MiB at a time otherwise. */
const size_t kChunk = size_t(32) << 20;

class HugePageAllocator : public SysAllocator
{
  public:
    explicit HugePageAllocator(SysAllocator *fallback) : fallback_(fallback)
    {
    }

    void *Alloc(size_t size, size_t *actual_size, size_t alignment) override
    {
        if (alignment > kHuge || size > (SIZE_MAX >> 2))
            return fallback_ ? fallback_->Alloc(size, actual_size, alignment) : nullptr;
        size_t n = size < kChunk ? kChunk : (size + kHuge - 1) & ~(kHuge - 1);
        /* over-map by one huge page, then cut to a 2 MiB boundary */
        char *raw = static_cast<char *>(
            mmap(nullptr, n + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (raw == MAP_FAILED)
            return fallback_ ? fallback_->Alloc(size, actual_size, alignment) : nullptr;
        uintptr_t start = (reinterpret_cast<uintptr_t>(raw) + kHuge - 1) & ~(uintptr_t)(kHuge - 1);
        char *p = reinterpret_cast<char *>(start);
        if (p > raw)
            munmap(raw, size_t(p - raw));
        if (p + n < raw + n + kHuge)
            munmap(p + n, size_t(raw + n + kHuge - (p + n)));
        madvise(p, n, MADV_HUGEPAGE); /* advice: failure only means small pages */
        if (actual_size)
            *actual_size = n;
        return p;
    }

  private:
    SysAllocator *fallback_;
};

/* Never destroyed: tcmalloc may grow its heap during exit. */
alignas(HugePageAllocator) unsigned char storage[sizeof(HugePageAllocator)];

} // namespace

extern "C" int gl_heap_use_huge_pages(void)
{
    MallocExtension *m = MallocExtension::instance();
    SysAllocator *fallback = m->GetSystemAllocator();
    if (!fallback) /* not tcmalloc, or tcmalloc before its first allocation */
        return 0;
    if (fallback == reinterpret_cast<SysAllocator *>(storage))
        return 1; /* installed already: its fallback must not be itself */
    m->SetSystemAllocator(new (storage) HugePageAllocator(fallback));
    return 1;
}
