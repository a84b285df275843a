// The machine's own ceiling for the read benchmarks: random loads from a
// buffer as large as a store's records, with no store code at all. If these
// do not scale from 1 to 2 threads, no engine's memory-bound reads can.
// Thread-safety: the buffer is built once (thread-safe) and only read after.
#ifndef USERSTORE_BENCH_MACHINE_H_
#define USERSTORE_BENCH_MACHINE_H_

#include <cstddef>
#include <cstdint>

namespace userstore::bench {

// A buffer of `bytes` (rounded to 64-byte lines, at least 1 MiB) whose lines
// form one random cycle: line i's first word is the index of the next line.
// Built on first use for each size and kept for the process's lifetime.
const uint64_t* RandomCycle(size_t bytes, size_t* lines);

}  // namespace userstore::bench

#endif  // USERSTORE_BENCH_MACHINE_H_
