// Registration of the userstore benchmark suite (userstore_bench.cc).
#ifndef USERSTORE_BENCH_USERSTORE_BENCH_H_
#define USERSTORE_BENCH_USERSTORE_BENCH_H_

#include <cstddef>
#include <vector>

namespace userstore::bench {

// Registers every benchmark once per store size in `user_counts`, in run
// order: for each N, the memory benchmarks (which build the fixtures), then
// each operation on every system. REQUIRES: every count >= 1.
void RegisterBenchmarks(const std::vector<size_t>& user_counts);

// Registers the durable-mode benchmarks (durable_bench.cc): durable creates
// and updates with sync on and off against SQLite WAL, recovery time, and
// durable vs memory reads, once per store size.
void RegisterDurableBenchmarks(const std::vector<size_t>& user_counts);

// Registers the import benchmarks (import_bench.cc): Store::ImportUsers of N
// users, memory-only and durable (sync, one write per batch), against SQLite
// loading the same rows in one transaction (:memory: and a WAL file).
void RegisterImportBenchmarks(const std::vector<size_t>& user_counts);

// Registers the export benchmarks (export_bench.cc): N users written as
// export's NDJSON from a StoreReader and from a memory Store's paging walk,
// against SQLite selecting the same rows into the same JSON (file, memory).
void RegisterExportBenchmarks(const std::vector<size_t>& user_counts);

// Registers the change-feed benchmarks (events_bench.cc): creates and
// updates with the feed on against off (memory and durable, paired), and
// reading the feed.
void RegisterEventBenchmarks(const std::vector<size_t>& user_counts);

// Registers issue 18's benchmarks (filter_bench.cc): filtered pages and
// counts, the same filtered pages on SQLite, memory with an indexed
// attribute, batch upsert against single calls (durable, sync).
void RegisterFilterBenchmarks(const std::vector<size_t>& user_counts);

// Registers the paired benchmarks of store size `n` (paired_bench.cc).
void RegisterPairedBenchmarks(size_t n);

// Builds every system's fixture for each N, in a fixed order, before any
// benchmark runs: each preload's memory delta is then measured on a heap no
// benchmark has churned yet, whatever the filter or run order (e.g.
// --benchmark_enable_random_interleaving). O(N) per system.
void PrebuildFixtures(const std::vector<size_t>& user_counts);

}  // namespace userstore::bench

#endif  // USERSTORE_BENCH_USERSTORE_BENCH_H_
