// UserIndex: one Service's concurrent index of user records.
//
// Three structures, each split so that readers of different users rarely
// touch the same lock:
//   - identity shards (kShards, chosen by absl::Hash of the identity): map
//     identity -> SID. Keys are string_views into the owning record.
//   - SID shards (kShards, chosen by the SID's first byte, which is random):
//     map SID -> the record (owned here).
//   - the order index: creation sequence -> SID (a btree), for keyset paging.
//   - the filter index (filter_index.h): role, identity, date and indexed
//     attribute orders for filtered lists and counts, kept up to date by
//     every mutation below while the record's SID shard is held.
//   - deleted SIDs: per SID shard, the SIDs ever erased from the index (a
//     hash set beside the shard's map, under its lock), so that a SID never
//     comes back into use: Insert treats one as taken (kSidCollision) and
//     Store::ImportUsers refuses it.
//
// Thread safety and invariants:
//   - Thread-safe. Lock order: identity shard -> SID shard -> order index
//     -> filter index;
//     at most one shard of each kind is held at a time, except by Exclusive
//     (bulk changes: Store::ImportUsers, Store::UpsertUsers), which takes
//     every identity shard in ascending order, then every SID shard in
//     ascending order, then the order index, then the filter index
//     (FilterIndex::LockForBulk). No other holder of a lock waits for a lock earlier in
//     that order, so no cycle can form.
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
#include <boost/container/small_vector.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "sid/sid.h"
#include "store/filter_index.h"
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

  // What Insert did. A `persist` error comes back as the status instead.
  enum class InsertOutcome {
    kInserted,      // the index owns the record now
    kTaken,         // another user holds the identity; nothing changed
    kSidCollision,  // another user has the SID (2^-128 odds); nothing changed
  };
  // What Replace and Erase did. A `build` or `persist` error comes back as
  // the status instead.
  enum class ChangeOutcome {
    kDone,    // the user at the key was replaced or erased
    kAbsent,  // no user at the key (perhaps deleted meanwhile); nothing changed
  };
  // Which way Scan walks the creation order from its start.
  enum class Direction {
    kForward,   // ascending sequences after the start
    kBackward,  // descending sequences before the start
  };

  // Called with a record under its shard lock. The callables below are
  // borrowed for the call (absl::FunctionRef: no allocation); Ignore is the
  // visitor that does nothing.
  using Visit = absl::FunctionRef<void(const UserRecord&)>;
  // Called with a record under its SID shard's exclusive lock (Modify).
  using Mutate = absl::FunctionRef<void(UserRecord&)>;
  // Records a change durably before it is applied (see journal.h); null in
  // memory-only mode. An error cancels the change.
  using Persist = std::function<absl::Status(const UserRecord&)>;
  // Builds the replacement of a record; an error cancels the change.
  using Build = absl::FunctionRef<absl::StatusOr<UserRecord::Ptr>(const UserRecord&)>;
  // The sequences Scan read: a page's worth inline, no allocation.
  using Sequences = boost::container::small_vector<uint64_t, 128>;

  static void Ignore(const UserRecord&) {}

  UserIndex() = default;
  UserIndex(const UserIndex&) = delete;
  UserIndex& operator=(const UserIndex&) = delete;

  // Inserts `*record` (taking ownership on kInserted) unless its identity is
  // taken (kTaken: `on_existing` gets the holder under its SID shard's
  // exclusive lock, so it may change it as Modify's callable may; the
  // identity shard is held throughout, so no delete comes in between) or its SID
  // exists or was erased before (kSidCollision; 128 random bits: never seen). `persist` runs after
  // those checks, before anything changes; its error is returned and
  // `*record` stays with the caller. `on_inserted` sees the new record.
  // O(|identity|) + O(log n).
  absl::StatusOr<InsertOutcome> Insert(UserRecord::Ptr* record, const Persist& persist,
                                       Visit on_inserted, Mutate on_existing);

  // Calls `read` with the record under a shared lock. False if absent.
  bool Read(const UserKey& key, Visit read) const;

  // Replaces the record with `build(current)`, after `persist(replacement)`;
  // `on_replaced` sees the replacement. The replacement must keep the
  // identity, SID and sequence. Errors: `build`'s or `persist`'s, with
  // nothing changed. Holds the identity shard and the SID shard
  // exclusively. O(|identity| + record size).
  absl::StatusOr<ChangeOutcome> Replace(const UserKey& key, Build build, const Persist& persist,
                                        Visit on_replaced);

  // Changes the record in place under its SID shard's exclusive lock (no
  // persistence): header fields, or the text through AssignTextInPlace;
  // never the identity, SID or sequence. False if absent.
  bool Modify(const UserKey& key, Mutate modify);

  // Erases the user after `persist(record)` and remembers its SID as
  // deleted (WasDeleted). Errors: `persist`'s, with nothing changed.
  absl::StatusOr<ChangeOutcome> Erase(const UserKey& key, const Persist& persist);

  // Whether a user with `sid` was ever erased from this index (or restored
  // as deleted). O(1), one SID shard shared.
  bool WasDeleted(const SidBytes& sid) const;
  // Records `sid` as deleted (recovery: the journaled deleted SIDs).
  void RestoreDeleted(const SidBytes& sid);
  // The number of deleted SIDs remembered. O(kShards).
  size_t deleted_count() const;

  // Every lock of the index held exclusively: what a bulk change
  // (Exclusive) sees and changes. Lookups return views into records, valid
  // while the Locked lives. Readers and writers of the index wait meanwhile.
  class Locked {
   public:
    Locked(const Locked&) = delete;
    Locked& operator=(const Locked&) = delete;
    // (These run under every lock, taken in a loop that clang's analysis
    // cannot follow: they are exempt from it.)
    // The record with `sid`, or null. O(1).
    const UserRecord* FindSid(const SidBytes& sid) const ABSL_NO_THREAD_SAFETY_ANALYSIS;
    // The SID that holds `identity`, or null. O(|identity|).
    const SidBytes* FindIdentity(std::string_view identity) const ABSL_NO_THREAD_SAFETY_ANALYSIS;
    // As UserIndex::WasDeleted. O(1).
    bool WasDeleted(const SidBytes& sid) const ABSL_NO_THREAD_SAFETY_ANALYSIS;
    // Inserts `record`. REQUIRES: its SID and identity are free, its SID was
    // never deleted, its sequence is unused. O(|identity|) + O(log n).
    void Insert(UserRecord::Ptr record) ABSL_NO_THREAD_SAFETY_ANALYSIS;
    // Puts `record` in place of the record with the same SID, which keeps
    // its runtime state (presence, connections) and gives its sequence: the
    // record's sequence is set to the old one. The identity may change.
    // REQUIRES: a record with that SID exists; the new identity is free or
    // that record's own. Returns the old record (free it after Exclusive
    // returns: no need to hold the locks for that). O(|identity|).
    UserRecord::Ptr Replace(UserRecord::Ptr record) ABSL_NO_THREAD_SAFETY_ANALYSIS;
    // Declares `key` as the indexed attribute ("" none) and rebuilds the
    // filter index's value sets over every user. O(n x attributes size).
    void SetIndexedKey(std::string key) ABSL_NO_THREAD_SAFETY_ANALYSIS;
    // The declared indexed attribute key ("" none).
    const std::string& indexed_key() const { return index_->filter_.indexed_key(); }

   private:
    friend class UserIndex;
    explicit Locked(UserIndex* index) : index_(index) {}
    UserIndex* const index_;
  };
  // Runs `change` with every lock of the index held exclusively (in the
  // order above) and returns its status. A bulk change thereby checks,
  // journals and applies many users as one step no reader sees halfway.
  // Holds every other call on this index off for its duration.
  absl::Status Exclusive(absl::FunctionRef<absl::Status(Locked&)> change);

  // Up to `limit` records after (kForward) or before (kBackward) `sequence`
  // in creation order, resolved through their shards, nearest first
  // (ascending when forward, descending when backward). `read` is called for
  // each under its shard's lock. Returns the sequences of the records read,
  // in the same order. O(log n + limit) absent concurrent deletes.
  Sequences Scan(Direction direction, uint64_t sequence, size_t limit, Visit read) const;

  // As Scan, in the order of `query` (FilterQuery, filter_index.h): up to
  // `limit` users strictly after (kForward) or before `start`, nearest
  // first, each re-checked against the query under its SID shard before
  // `read` sees it (a user that no longer matches, or is gone, is skipped
  // and the walk goes on). Returns the positions of the users read.
  // O(log n + limit) absent concurrent changes.
  std::vector<FilterPos> FilterScan(const FilterQuery& query, Direction direction,
                                    const FilterPos& start, size_t limit, Visit read) const;
  // True if the query's index holds a position beyond `pos` that way.
  bool FilterAny(const FilterQuery& query, Direction direction, const FilterPos& pos) const;
  // The users the query matches now (FilterIndex::Count).
  uint64_t FilterCount(const FilterQuery& query) const { return filter_.Count(query); }
  // The declared indexed attribute key ("" none). O(|key|).
  std::string IndexedKey() const;

  // True if some user has a sequence greater than `sequence`.
  bool AnyAfter(uint64_t sequence) const;

  // True if some user has a sequence less than `sequence`.
  bool AnyBefore(uint64_t sequence) const;

  // Number of users.
  size_t size() const;

  // For tests: `hook` runs inside Replace and Erase after the key has been
  // resolved to an identity and before that identity's shard is locked, with
  // no lock held: the window in which another thread may delete and
  // re-create the user. Null (the default) turns it off.
  // REQUIRES: no other call on this index is running.
  void SetResolvedHookForTesting(std::function<void()> hook) { resolved_hook_ = std::move(hook); }

 private:
  struct IdentityShard {
    mutable SharedMutex mu;
    absl::flat_hash_map<std::string_view, SidBytes> by_identity ABSL_GUARDED_BY(mu);
  };
  struct SidShard {
    mutable SharedMutex mu;
    absl::flat_hash_map<SidBytes, UserRecord::Ptr> by_sid ABSL_GUARDED_BY(mu);
    // SIDs of this shard ever erased: never inserted again.
    absl::flat_hash_set<SidBytes> deleted ABSL_GUARDED_BY(mu);
  };

  static size_t IdentityShardOf(std::string_view identity);
  static size_t SidShardOf(const SidBytes& sid);
  IdentityShard& identity_shard(std::string_view identity) {
    return identity_shards_[IdentityShardOf(identity)];
  }
  const IdentityShard& identity_shard(std::string_view identity) const {
    return identity_shards_[IdentityShardOf(identity)];
  }
  SidShard& sid_shard(const SidBytes& sid) { return sid_shards_[SidShardOf(sid)]; }
  const SidShard& sid_shard(const SidBytes& sid) const { return sid_shards_[SidShardOf(sid)]; }
  // The identity of `key`: itself, or read through the SID shard. False if
  // the SID is absent.
  bool IdentityOf(const UserKey& key, std::string* identity) const;
  // The filter keys of `record` (its indexed value only when `with_value`).
  FilterIndex::Keys KeysOf(const UserRecord& record, bool with_value) const;
  // Moves a user in the filter index from `old`'s keys to `next`'s (both
  // alive; `next` holds the user's sequence). REQUIRES: the SID shard held
  // exclusively.
  void Refilter(const UserRecord& old, const UserRecord& next);
  // Resolves one filter candidate and calls `read` if it still matches;
  // fills pos's sequence (kIdentity). `sid`: the candidate's SID, resolved
  // from its sequence (null: deleted since; unused for kIdentity).
  // `value_epoch`: FilterIndex's value epoch when the candidate was read.
  // False if gone or no longer matching.
  bool ReadCandidate(const FilterQuery& query, FilterPos* pos, const SidBytes* sid,
                     uint64_t value_epoch, Visit read) const;

  std::array<IdentityShard, kShards> identity_shards_;
  std::array<SidShard, kShards> sid_shards_;
  mutable SharedMutex order_mu_;
  absl::btree_map<uint64_t, SidBytes> order_ ABSL_GUARDED_BY(order_mu_);
  FilterIndex filter_;  // its own lock, last in the order
  // Set only while no call runs (SetResolvedHookForTesting); read unlocked.
  std::function<void()> resolved_hook_;
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_USER_INDEX_H_
