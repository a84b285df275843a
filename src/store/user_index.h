// UserIndex: one Service's concurrent index of user records.
//
// Three structures, each split so that readers of different users rarely
// touch the same lock:
//   - identity shards (kShards, chosen by absl::Hash of the identity): map
//     identity -> SID. Keys are string_views into the owning record.
//   - SID shards (kShards, chosen by the SID's first byte, which is random):
//     map SID -> the record (owned here).
//   - the order index: creation sequence -> SID (a btree), for keyset paging.
//
// Thread safety and invariants:
//   - Thread-safe. Lock order: identity shard -> SID shard -> order index;
//     at most one shard of each kind is held at a time.
//   - A user exists iff it is in all three structures. Insert and erase hold
//     the identity shard exclusively while changing all three, so two inserts
//     of one identity serialize there and exactly one wins.
//   - A record is read and written only under its SID shard's lock; writers
//     change it in place, so a reader copies either the old or the new state,
//     never a mix. Lookups by identity hold the identity shard (shared) while
//     taking the SID shard, so they are linearizable too.
//   - The identity view in an identity shard is erased before its record is
//     destroyed.
//   - Paging copies up to a page of (sequence, SID) pairs under the order
//     lock, releases it, then resolves each SID through its shard; users
//     deleted in between are skipped and the walk continues, so a page never
//     holds a user twice and never misses one that existed throughout.
#ifndef USERSTORE_SRC_STORE_USER_INDEX_H_
#define USERSTORE_SRC_STORE_USER_INDEX_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "common/mutex.h"
#include "sid/sid.h"
#include "store/user_record.h"

namespace userstore::internal {

// How an index operation addresses a user: by SID or by identity.
struct UserKey {
  std::optional<SidBytes> sid;  // set: by SID
  std::string_view identity;    // used when !sid
};

class UserIndex {
 public:
  static constexpr size_t kShards = 16;

  UserIndex() = default;
  UserIndex(const UserIndex&) = delete;
  UserIndex& operator=(const UserIndex&) = delete;

  // Inserts `*record` (taking ownership) unless its identity is taken. On
  // success returns true after calling `on_inserted` (if given) with the new
  // record under its shard lock. When the identity is taken returns false,
  // leaves `*record` with the caller and calls `on_existing` (if given) with
  // the existing record under its shard lock. A SID collision (never seen:
  // 128 random bits) also returns false, with *sid_collision set.
  // O(|identity|) + O(log n).
  bool Insert(std::unique_ptr<UserRecord>* record,
              const std::function<void(const UserRecord&)>& on_inserted,
              const std::function<void(const UserRecord&)>& on_existing,
              bool* sid_collision);

  // Calls `read` with the record under a shared lock. False if absent.
  bool Read(const UserKey& key,
            const std::function<void(const UserRecord&)>& read) const;

  // Calls `write` with the record under an exclusive lock. `write` returns
  // false to signal it changed nothing (e.g. a validation failure); it must
  // either change nothing or finish its change. False if absent.
  bool Write(const UserKey& key, const std::function<void(UserRecord&)>& write);

  // Erases the user. False if absent.
  bool Erase(const UserKey& key);

  // Up to `limit` records after (forward) or before (backward) `sequence` in
  // creation order, resolved through their shards, nearest first (ascending
  // when forward, descending when backward). `read` is called for each under
  // its shard's lock. Returns the sequences of the records read, in the same
  // order. O(log n + limit) absent concurrent deletes.
  std::vector<uint64_t> Scan(bool forward, uint64_t sequence, size_t limit,
                             const std::function<void(const UserRecord&)>& read) const;

  // True if some user has a sequence greater than `sequence`.
  bool AnyAfter(uint64_t sequence) const;

  // Number of users. O(1) per shard.
  size_t size() const;

 private:
  struct IdentityShard {
    mutable SharedMutex mu;
    absl::flat_hash_map<std::string_view, SidBytes> by_identity ABSL_GUARDED_BY(mu);
  };
  struct SidShard {
    mutable SharedMutex mu;
    absl::flat_hash_map<SidBytes, std::unique_ptr<UserRecord>> by_sid
        ABSL_GUARDED_BY(mu);
  };

  IdentityShard& identity_shard(std::string_view identity) const;
  SidShard& sid_shard(const SidBytes& sid) const;
  // Resolves `key` to a SID (identity shard, shared). nullopt if absent.
  std::optional<SidBytes> ResolveIdentity(std::string_view identity) const;

  mutable std::array<IdentityShard, kShards> identity_shards_;
  mutable std::array<SidShard, kShards> sid_shards_;
  mutable SharedMutex order_mu_;
  absl::btree_map<uint64_t, SidBytes> order_ ABSL_GUARDED_BY(order_mu_);
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_USER_INDEX_H_
