// Process memory snapshots, to charge each benchmarked system its bytes per
// user: the RSS delta (/proc/self/statm) and the malloc heap delta
// (mallinfo2: bytes in use, all arenas, mmapped chunks included) around the
// preload of N users. Thread-safe (reads process-wide counters); a delta is
// only meaningful when no other thread allocates meanwhile.
#ifndef USERSTORE_BENCH_MEMORY_H_
#define USERSTORE_BENCH_MEMORY_H_

#include <cstdint>

namespace userstore::bench {

struct MemorySnapshot {
  int64_t rss_bytes = 0;   // resident set size
  int64_t heap_bytes = 0;  // malloc'd bytes in use (mallinfo2 uordblks + hblkhd)
};

// The process's memory now. O(1) (one small /proc read).
MemorySnapshot TakeMemorySnapshot();

// Whether transparent huge pages back the malloc heap in this run: "always",
// "madvise" or "never" from /sys/kernel/mm/transparent_hugepage/enabled, plus
// the glibc.malloc.hugetlb tunable when set (GLIBC_TUNABLES).
const char* HugePageMode();

}  // namespace userstore::bench

#endif  // USERSTORE_BENCH_MEMORY_H_
