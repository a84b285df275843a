// IdealStore: the "ideal" baseline, a single-threaded store with no locks.
//
// absl::flat_hash_map SID -> BaselineRecord, absl::flat_hash_map identity ->
// SID, absl::btree_set of (sequence, SID) for keyset paging; records are plain
// structs of std::string. It is the lower bound a lock-free, single-threaded
// hand-written map reaches on the same operations and output (a User value).
//
// Thread-safety: thread-compatible. Concurrent const calls (Fetch, List) are
// safe with no writer, which the read benchmarks at 2 threads rely on.
#ifndef USERSTORE_BENCH_BASELINE_IDEAL_H_
#define USERSTORE_BENCH_BASELINE_IDEAL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bench/baseline_common.h"
#include "userstore/user.h"

namespace userstore::bench {

class IdealStore {
 public:
  using Cursor = uint64_t;  // the sequence of the last user shown; 0: start
  static constexpr char kName[] = "ideal";
  static constexpr bool kThreadSafe = false;

  IdealStore() : ids_(MintServiceIds()) {}

  // Checks, mints a SID, inserts. Errors: InvalidArgument; AlreadyExists
  // (identity taken). Amortized O(1) + O(log n).
  absl::StatusOr<User> Create(const UserCreate& params);
  // By SID or identity. Errors: NotFound. O(|key|).
  absl::StatusOr<User> Fetch(std::string_view key) const;
  // Replaces attributes / friendly_name. Errors: InvalidArgument, NotFound.
  absl::StatusOr<User> Update(std::string_view key, const UserUpdate& params);
  // Errors: NotFound. O(log n).
  absl::Status Delete(std::string_view key);
  // Up to `limit` users after `after` in creation order. O(log n + limit).
  PageResult<Cursor> List(Cursor after, size_t limit) const;

  // The copy-out floor: the same operations writing into caller storage
  // whose capacity is reused (CopyToUser), as the anchors of
  // ../shared/anchors do. UpdateInto copies nothing when `out` is null;
  // ListInto overwrites out->users' elements in place and returns the count.
  using PageBuffer = PageResult<Cursor>;
  absl::Status FetchInto(std::string_view key, User* out) const;
  absl::Status UpdateInto(std::string_view key, const UserUpdate& params, User* out);
  size_t ListInto(Cursor after, size_t limit, PageBuffer* out) const;
  // Calls `read` with the record in place (no copy): the floor of a visit.
  template <typename F>
  absl::Status Read(std::string_view key, F read) const {
    auto it = by_sid_.find(Av(SidOf(key)));
    if (it == by_sid_.end()) return absl::NotFoundError("no such user");
    read(it->second);
    return absl::OkStatus();
  }

 private:
  using Map = absl::flat_hash_map<std::string, BaselineRecord>;
  // Debian's Abseil has its own absl::string_view (not std::string_view);
  // its string maps look up by that type without building a std::string.
  static absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }
  // The SID `key` names: `key` itself when SID-shaped, else the SID of that
  // identity (empty when there is none).
  std::string_view SidOf(std::string_view key) const;

  ServiceIds ids_;
  uint64_t next_sequence_ = 0;
  Map by_sid_;
  absl::flat_hash_map<std::string, std::string> by_identity_;
  absl::btree_set<std::pair<uint64_t, std::string>> order_;
};

}  // namespace userstore::bench

#endif  // USERSTORE_BENCH_BASELINE_IDEAL_H_
