// TypicalStore: the "typical" baseline, what a host hand-writes when it needs
// a thread-safe user table: std::unordered_map SID -> BaselineRecord,
// std::unordered_map identity -> SID and std::set of (sequence, SID), all
// behind one std::shared_mutex (readers share it, writers hold it alone).
//
// Thread-safety: thread-safe.
#ifndef USERSTORE_BENCH_BASELINE_TYPICAL_H_
#define USERSTORE_BENCH_BASELINE_TYPICAL_H_

#include <cstdint>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bench/baseline_common.h"
#include "userstore/user.h"

namespace userstore::bench {

class TypicalStore {
 public:
  using Cursor = uint64_t;  // the sequence of the last user shown; 0: start
  static constexpr char kName[] = "typical";
  static constexpr bool kThreadSafe = true;

  TypicalStore() : ids_(MintServiceIds()) {}

  // As IdealStore's, under the lock (shared for Fetch and List).
  absl::StatusOr<User> Create(const UserCreate& params);
  absl::StatusOr<User> Fetch(std::string_view key) const;
  absl::StatusOr<User> Update(std::string_view key, const UserUpdate& params);
  absl::Status Delete(std::string_view key);
  PageResult<Cursor> List(Cursor after, size_t limit) const;

 private:
  using Map = std::unordered_map<std::string, BaselineRecord>;
  // The SID `key` names (itself when SID-shaped), or "" when unknown.
  // REQUIRES: mu_ held (either way).
  std::string SidOf(std::string_view key) const;

  const ServiceIds ids_;
  mutable std::shared_mutex mu_;
  uint64_t next_sequence_ = 0;
  Map by_sid_;
  std::unordered_map<std::string, std::string> by_identity_;
  std::set<std::pair<uint64_t, std::string>> order_;
};

}  // namespace userstore::bench

#endif  // USERSTORE_BENCH_BASELINE_TYPICAL_H_
