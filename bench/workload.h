// Workload: the data every benchmarked system is loaded with and probed by.
//
// N preloaded users (identities of 5-40 bytes, unique, never SID-shaped;
// attributes: JSON objects of 180-230 bytes from a pool), identities for the
// create benchmarks (disjoint from the preloaded ones), and a stream of user
// indices in random order for the probes. The data is deterministic (fixed
// seed): every system and every run sees the same users.
//
// Thread-safety: GetWorkload is thread-safe; a Workload is immutable once
// built except its probe counter, which is atomic.
#ifndef USERSTORE_BENCH_WORKLOAD_H_
#define USERSTORE_BENCH_WORKLOAD_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace userstore::bench {

// Most threads any benchmark runs with.
inline constexpr int kMaxThreads = 2;
// Users per page of the list benchmarks, and the stride of the cursors
// recorded during setup.
inline constexpr size_t kPageSize = 50;
inline constexpr size_t kCursorStride = 100;

struct Workload {
  size_t users = 0;                          // N
  std::vector<std::string> identities;       // [N], user i's identity
  std::vector<std::string> attributes_pool;  // user i has pool[i % size]
  // Creates per run of a create / delete benchmark (fixed iteration count,
  // undone before the next run so N stays N): clamp(N / 10, 1, 20000).
  size_t batch = 0;
  // [kMaxThreads * batch] identities no preloaded user has; thread t of a
  // create benchmark uses [t * batch, (t + 1) * batch).
  std::vector<std::string> fresh_identities;
  // The identity all threads of the contended create use (not preloaded).
  std::string contended_identity;
  // Random user indices in [0, N); size is a power of two.
  std::vector<uint32_t> probes;
  // Payload of an average user: what the API exposes per user, as text SIDs
  // (sid, role_sid: 34 bytes each) plus identity and attributes bytes plus
  // three 64-bit numbers (date_created, date_updated, joined_channels_count).
  double payload_bytes_per_user = 0;

  mutable std::atomic<uint64_t> next_probe{0};

  const std::string& AttributesOf(size_t i) const {
    return attributes_pool[i % attributes_pool.size()];
  }
  // A starting point in `probes` for one thread's run: consecutive runs and
  // threads read different parts of the stream, so no run starts warm.
  uint64_t ProbeStart() const { return next_probe.fetch_add(1 << 16); }
  uint32_t Probe(uint64_t i) const { return probes[i & (probes.size() - 1)]; }
};

// The workload of `users` users, built on first use (O(N)) and kept for the
// process's lifetime. REQUIRES: 1 <= users < 2^32.
const Workload& GetWorkload(size_t users);

}  // namespace userstore::bench

#endif  // USERSTORE_BENCH_WORKLOAD_H_
