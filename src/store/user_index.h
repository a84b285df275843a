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
//   - A record is read only under its SID shard's lock. A write builds a
//     replacement or changes the record in place (header fields, or text
//     that fits its block, identity unchanged), under the
//     SID shard's exclusive lock, so a reader copies either the old or the
//     new state, never a mix. Lookups by identity hold the identity shard
//     (shared) while taking the SID shard, so they are linearizable too.
//   - An identity shard's key views the identity inside the current record:
//     Replace and Erase hold the identity shard exclusively and re-key or
//     erase the entry before the old record is freed.
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
#include "absl/status/status.h"
#include "absl/status/statusor.h"
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

  // What a write did. kFailed: `*error` holds why (a Persist or Build error).
  enum class Outcome { kDone, kAbsent, kTaken, kSidCollision, kFailed };
  // Called with a record under its shard lock.
  using Visit = std::function<void(const UserRecord&)>;
  // Records a change durably before it is applied (see journal.h); null in
  // memory-only mode. An error cancels the change.
  using Persist = std::function<absl::Status(const UserRecord&)>;
  // Builds the replacement of a record; an error cancels the change.
  using Build = std::function<absl::StatusOr<UserRecord::Ptr>(const UserRecord&)>;

  UserIndex() = default;
  UserIndex(const UserIndex&) = delete;
  UserIndex& operator=(const UserIndex&) = delete;

  // Inserts `*record` (taking ownership on kDone) unless its identity is
  // taken (kTaken: `on_existing`, if given, sees the holder) or its SID
  // exists (kSidCollision; 128 random bits: never seen). `persist` runs after
  // those checks, before anything changes. `on_inserted` sees the new record.
  // O(|identity|) + O(log n).
  Outcome Insert(UserRecord::Ptr* record, const Persist& persist, const Visit& on_inserted,
                 const Visit& on_existing, absl::Status* error);

  // Calls `read` with the record under a shared lock. False if absent.
  bool Read(const UserKey& key, const Visit& read) const;

  // Replaces the record with `build(current)`, after `persist(replacement)`;
  // `on_replaced` sees the replacement. The replacement must keep the
  // identity, SID and sequence. Holds the identity shard and the SID shard
  // exclusively. O(|identity| + record size).
  Outcome Replace(const UserKey& key, const Build& build, const Persist& persist,
                  const Visit& on_replaced, absl::Status* error);

  // Changes the record in place under its SID shard's exclusive lock (no
  // persistence): header fields, or the text through AssignTextInPlace;
  // never the identity, SID or sequence. False if absent.
  bool Modify(const UserKey& key, const std::function<void(UserRecord&)>& modify);

  // Erases the user after `persist(record)`. kDone, kAbsent or kFailed.
  Outcome Erase(const UserKey& key, const Persist& persist, absl::Status* error);

  // Up to `limit` records after (forward) or before (backward) `sequence` in
  // creation order, resolved through their shards, nearest first (ascending
  // when forward, descending when backward). `read` is called for each under
  // its shard's lock. Returns the sequences of the records read, in the same
  // order. O(log n + limit) absent concurrent deletes.
  std::vector<uint64_t> Scan(bool forward, uint64_t sequence, size_t limit,
                             const Visit& read) const;

  // True if some user has a sequence greater than `sequence`.
  bool AnyAfter(uint64_t sequence) const;

  // True if some user has a sequence less than `sequence`.
  bool AnyBefore(uint64_t sequence) const;

  // Number of users.
  size_t size() const;

 private:
  struct IdentityShard {
    mutable SharedMutex mu;
    absl::flat_hash_map<std::string_view, SidBytes> by_identity ABSL_GUARDED_BY(mu);
  };
  struct SidShard {
    mutable SharedMutex mu;
    absl::flat_hash_map<SidBytes, UserRecord::Ptr> by_sid ABSL_GUARDED_BY(mu);
  };

  IdentityShard& identity_shard(std::string_view identity) const;
  SidShard& sid_shard(const SidBytes& sid) const;
  // The identity of `key`: itself, or read through the SID shard. False if
  // the SID is absent.
  bool IdentityOf(const UserKey& key, std::string* identity) const;

  mutable std::array<IdentityShard, kShards> identity_shards_;
  mutable std::array<SidShard, kShards> sid_shards_;
  mutable SharedMutex order_mu_;
  absl::btree_map<uint64_t, SidBytes> order_ ABSL_GUARDED_BY(order_mu_);
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_USER_INDEX_H_
