// BindingIndex: one Service's push Bindings (include/userstore/binding.h).
//
// Structures, all under one reader/writer lock (Bindings are low traffic:
// registered when an app installs or refreshes its push token):
//   - the creation order: creation sequence -> the record (a btree, owning
//     the records), for the Service-level list's keyset paging;
//   - by SID: BS SID -> creation sequence;
//   - per user: user SID -> that user's creation sequences (a btree set),
//     for the user's list, its count and the (user, binding_type, endpoint)
//     key of a re-registration (a scan of the user's few Bindings);
//   - the SIDs of deleted Bindings, never used again (InUse).
//
// Thread safety and invariants:
//   - Thread-safe; every member function takes `mu_` itself and calls
//     nothing outside this class while holding it (visitors only copy).
//   - Lock order (docs/design.md): a Service's UserIndex locks (identity
//     shard -> SID shard) -> this index's `mu_` -> the Service's feed. Every
//     change of a user's Bindings (register, delete, the cascade of a user
//     delete, an import) is made while the caller holds that user's SID
//     shard exclusively (UserIndex::Modify / Erase / Exclusive), so the
//     user's Bindings cannot change between the caller's read of them
//     (FindByKey, OfUser, CountOf) and its write (Put, Erase, EraseUser).
//     Readers (fetch, list) take `mu_` shared and never a user lock while
//     holding it.
//   - A record is in the order map iff its SID is in by_sid_ and its
//     sequence in its user's set.
#ifndef USERSTORE_SRC_STORE_BINDING_INDEX_H_
#define USERSTORE_SRC_STORE_BINDING_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "common/mutex.h"
#include "sid/sid.h"
#include "userstore/binding.h"

namespace userstore::internal {

// One Binding as a Service holds it.
struct BindingRecord {
  uint64_t sequence = 0;  // creation order, from the Service's counter
  SidBytes sid;           // BS
  SidBytes user;          // US
  std::string identity;   // the user's (kept in step with it: Rename)
  BindingType type = BindingType::kApn;
  std::string endpoint;
  std::optional<SidBytes> credential;  // CR; none when not given
  std::vector<std::string> message_types;
  int64_t date_created = 0;  // Unix seconds
  int64_t date_updated = 0;  // Unix seconds
};

// Which Bindings a scan keeps: each non-empty set must hold the record's
// value (its user, its type, its identity).
struct BindingFilter {
  std::optional<SidBytes> user;         // one user's Bindings
  uint8_t types = 0;                    // bit (1 << type); 0: any type
  std::vector<std::string> identities;  // any of them; empty: any identity

  bool Matches(const BindingRecord& r) const;
};

class BindingIndex {
 public:
  enum class Direction { kForward, kBackward };
  using Visit = absl::FunctionRef<void(const BindingRecord&)>;

  BindingIndex() = default;
  BindingIndex(const BindingIndex&) = delete;
  BindingIndex& operator=(const BindingIndex&) = delete;

  // The Binding with `sid`, copied. O(log B).
  std::optional<BindingRecord> Find(const SidBytes& sid) const;
  // The user's Binding of `type` at `endpoint` (byte-exact), copied.
  // O(log B + the user's Bindings).
  std::optional<BindingRecord> FindByKey(const SidBytes& user, BindingType type,
                                         std::string_view endpoint) const;
  // The user's Bindings, in creation order. O(log B + theirs).
  std::vector<BindingRecord> OfUser(const SidBytes& user) const;
  // How many Bindings the user holds. O(1).
  size_t CountOf(const SidBytes& user) const;
  // Whether `sid` names a Binding, now or before (deleted). O(1).
  bool InUse(const SidBytes& sid) const;

  // Inserts `record`, or replaces the Binding with its SID (which must keep
  // its sequence and user). REQUIRES: a new record's SID and sequence are
  // not in use. O(log B).
  void Put(BindingRecord record);
  // Removes the Binding `sid` and remembers its SID as deleted. False when
  // absent. O(log B).
  bool Erase(const SidBytes& sid);
  // Removes every Binding of `user` (remembering their SIDs); returns how
  // many. O(theirs * log B).
  size_t EraseUser(const SidBytes& user);
  // Remembers `sid` as a deleted Binding's (recovery, import). O(1).
  void RestoreDeleted(const SidBytes& sid);
  // Sets the identity shown by the user's Bindings (an import renamed the
  // user). O(theirs * log B).
  void Rename(const SidBytes& user, std::string_view identity);

  // Up to `limit` records matching `filter` after (kForward: ascending) or
  // before (kBackward: descending) `sequence`, nearest first, each passed
  // to `visit` under the lock. Returns the sequences visited, in that
  // order. O(log B + scanned): a selective filter scans past what it skips
  // (a user's filter scans only that user's Bindings).
  std::vector<uint64_t> Scan(Direction direction, uint64_t sequence, size_t limit,
                             const BindingFilter& filter, Visit visit) const;
  // Whether a record matching `filter` lies after / before `sequence`.
  bool Any(Direction direction, uint64_t sequence, const BindingFilter& filter) const;

  // Every Binding, in creation order (export, checks). O(B).
  void ForEach(Visit visit) const;
  size_t size() const;

 private:
  // The record at `sequence` (which must be in order_). Under mu_.
  const BindingRecord& At(uint64_t sequence) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  bool EraseLocked(const SidBytes& sid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable SharedMutex mu_;
  absl::btree_map<uint64_t, BindingRecord> order_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<SidBytes, uint64_t> by_sid_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<SidBytes, absl::btree_set<uint64_t>> by_user_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<SidBytes> deleted_ ABSL_GUARDED_BY(mu_);
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_BINDING_INDEX_H_
