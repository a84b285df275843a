// FilterIndex: one Service's ordered indexes for filtered lists and counts
// (UserFilter, filter.h; docs/design.md, "Filtered lists").
//
// Owned by the Service's UserIndex, which keeps it up to date inside every
// mutation while the changed record's SID shard is held exclusively. Four
// lean structures, keyed by what is immutable for a user (creation sequence,
// date_created, identity) or by what moves it between sets with the same
// sequence (role, indexed attribute value):
//   - role -> btree_set<sequence> (creation order inside a role);
//   - btree_set<record pointer> ordered by the records' identity bytes
//     (immutable in a record object; the UserIndex re-keys it before a
//     replaced record is freed);
//   - btree_set<date_created << 32 | sequence> (both fit 32 bits: Unix
//     seconds to 2106, four billion users), with a btree_set of (date,
//     sequence) pairs beside it for the users that do not fit;
//   - canonical value of the Service's indexed attribute -> btree_set<
//     sequence> (empty, at no cost, while no attribute is declared).
// Memory: about 30 bytes per user, plus ~9 per user holding an indexed
// value (docs/design.md, "Filtered lists").
//
// Thread safety: one SharedMutex, taken LAST in the UserIndex lock order
// (identity shard -> SID shard -> order index -> filter index). The indexed
// key is changed only under UserIndex::Exclusive (every SID shard held) and
// this lock, so a holder of any SID shard may read it (indexed_key()).
#ifndef USERSTORE_SRC_STORE_FILTER_INDEX_H_
#define USERSTORE_SRC_STORE_FILTER_INDEX_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "common/mutex.h"
#include "sid/sid.h"
#include "store/user_record.h"

namespace userstore::internal {

// Which index a filtered walk or count uses, and its bounds.
struct FilterQuery {
  enum class Kind : uint8_t { kRole, kIdentity, kDate, kAttribute };
  Kind kind = Kind::kRole;
  SidBytes role{};                                       // kRole
  std::string prefix;                                    // kIdentity: non-empty
  int64_t from = std::numeric_limits<int64_t>::min();    // kDate: >= from
  int64_t before = std::numeric_limits<int64_t>::max();  // kDate: < before
  std::string value;                                     // kAttribute: the canonical value
  // kAttribute: the indexed key the query was checked against. A query of
  // a key no longer declared (SetIndexedAttribute ran meanwhile) finds no
  // user and counts 0, never another key's users.
  std::string key;
};

// A position in a query's order: (identity) for kIdentity, (date, sequence)
// for kDate, (sequence) otherwise. The default: before every user.
struct FilterPos {
  uint64_t sequence = 0;
  int64_t date = std::numeric_limits<int64_t>::min();
  std::string identity;
};

// The canonical value of the top-level member `key` of the JSON object
// `attributes`: 's' + the decoded UTF-8 bytes of a string, 'n' + the 8
// bytes of a finite number's IEEE double (-0 as 0); nullopt when the text
// is not an object, the member is absent or another type, or the number is
// not finite. Parsed with the project's JSON DOM. O(|attributes|).
std::optional<std::string> CanonicalAttribute(std::string_view attributes, std::string_view key);

// The canonical value of a filter's attribute_value (the JSON text of a
// string or a number), or nullopt when it is another JSON value or no JSON.
std::optional<std::string> CanonicalFilterValue(std::string_view json);

class FilterIndex {
 public:
  FilterIndex() = default;
  FilterIndex(const FilterIndex&) = delete;
  FilterIndex& operator=(const FilterIndex&) = delete;

  // ---- Mutations: the caller holds `record`'s SID shard exclusively. ----
  // (Each locks mu_ unless a bulk change holds it: MutationLock, which
  // clang's analysis cannot follow, so they are exempt from it.)
  // A user enters the index. `value`: its canonical indexed value (Value()).
  void Add(const UserRecord& record,
           const std::optional<std::string>& value) ABSL_NO_THREAD_SAFETY_ANALYSIS;
  // A user leaves it; `value` as it was added.
  void Remove(const UserRecord& record,
              const std::optional<std::string>& value) ABSL_NO_THREAD_SAFETY_ANALYSIS;
  // What the index keys of one user are (Move's before and after).
  struct Keys {
    SidBytes role{};
    std::optional<std::string> value;
    const UserRecord* record = nullptr;  // the record object (identity order)
    int64_t date_created = 0;
  };
  // The user of `sequence` changed (in place, or replaced by a new record
  // object, whose identity and date may differ on import): moves it between
  // sets and re-keys the identity view when the record object changed.
  // Takes the lock only when something indexed changed.
  void Move(uint64_t sequence, const Keys& before,
            const Keys& after) ABSL_NO_THREAD_SAFETY_ANALYSIS;
  // The canonical indexed value of `record` (nullopt: none, or no key
  // declared). REQUIRES: the record's SID shard held (either mode).
  std::optional<std::string> Value(const UserRecord& record) const;

  // The declared key ("" none). REQUIRES: any SID shard of the owning
  // UserIndex held, or this index's lock.
  const std::string& indexed_key() const ABSL_NO_THREAD_SAFETY_ANALYSIS { return key_; }
  // Declares `key` and rebuilds the value index from `values` (sequence,
  // canonical value). REQUIRES: every SID shard of the owning index held.
  void Rebuild(std::string key,
               std::vector<std::pair<uint64_t, std::string>> values) ABSL_NO_THREAD_SAFETY_ANALYSIS;

  // A bulk change (UserIndex::Exclusive) holds this index's lock across all
  // its rows, taken last (after every SID shard and the order index), so a
  // filtered read or count sees none or all of the change. Between
  // LockForBulk and UnlockBulk the mutations above run under that hold
  // instead of locking: only the bulk's thread can call them then, since
  // every other writer waits for its SID shard.
  // REQUIRES: the owning index's every SID shard held exclusively.
  void LockForBulk() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    mu_.Lock();
    bulk_ = true;
  }
  void UnlockBulk() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    bulk_ = false;
    mu_.Unlock();
  }

  // ---- Reads: take the lock shared. ----
  // Up to `want` positions strictly after (forward) or before `pos` in the
  // query's order, nearest first, appended to `out`. O(log n + want) but
  // kIdentity/kDate read only matching keys.
  // `value_epoch` (when given) gets the value epoch the candidates were
  // read at (ValuesUnchangedSince).
  void Candidates(const FilterQuery& query, bool forward, const FilterPos& pos, size_t want,
                  std::vector<FilterPos>* out, uint64_t* value_epoch = nullptr) const;
  // True when no user's indexed value changed since `epoch` (a value read
  // by Candidates): every value set is as the candidates saw it, so a
  // candidate of an attribute query still matches without HoldsValue. Every
  // change of a value set moves the epoch under the lock, while the user's
  // SID shard is held exclusively: a reader holding that user's SID shard
  // sees every change of that user made before it took the shard. O(1).
  bool ValuesUnchangedSince(uint64_t epoch) const {
    return value_epoch_.load(std::memory_order_acquire) == epoch;
  }
  // Whether the user of `sequence` holds the attribute query's canonical
  // value now (under its key: false once another key is declared).
  // Called under that user's SID shard (legal: SID shard -> filter).
  bool HoldsValue(const FilterQuery& query, uint64_t sequence) const;
  // The number of users the query matches: O(1) for kRole and kAttribute,
  // O(log n + matches) for kIdentity and kDate.
  uint64_t Count(const FilterQuery& query) const;

 private:
  using Sequences = absl::btree_set<uint64_t>;

  mutable SharedMutex mu_;
  absl::flat_hash_map<SidBytes, Sequences> by_role_ ABSL_GUARDED_BY(mu_);
  // Orders records by identity; also compares with identity bytes.
  struct IdentityLess {
    using is_transparent = void;
    bool operator()(const UserRecord* a, const UserRecord* b) const {
      return a->identity() < b->identity();
    }
    bool operator()(const UserRecord* a, std::string_view b) const { return a->identity() < b; }
    bool operator()(std::string_view a, const UserRecord* b) const { return a < b->identity(); }
  };
  using DatePair = std::pair<int64_t, uint64_t>;
  using Dates = absl::btree_set<uint64_t>;
  // The packed date key, or nullopt when date or sequence exceeds 32 bits.
  static std::optional<uint64_t> Pack(int64_t date, uint64_t sequence);
  static DatePair Unpack(uint64_t packed) {
    return {static_cast<int64_t>(packed >> 32), packed & 0xffffffffu};
  }
  // The first packed entry whose pair is >= `at`.
  static Dates::const_iterator PackedLowerBound(const Dates& dates, DatePair at);
  void InsertDate(int64_t date, uint64_t sequence) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseDate(int64_t date, uint64_t sequence) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Candidates of a date query (both date sets merged).
  void DateCandidates(const FilterQuery& query, bool forward, const FilterPos& pos, size_t want,
                      std::vector<FilterPos>* out) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  absl::btree_set<const UserRecord*, IdentityLess> by_identity_ ABSL_GUARDED_BY(mu_);
  Dates by_date_ ABSL_GUARDED_BY(mu_);                           // packed
  absl::btree_set<DatePair> by_date_wide_ ABSL_GUARDED_BY(mu_);  // the rest
  absl::flat_hash_map<std::string, Sequences> by_value_ ABSL_GUARDED_BY(mu_);
  std::string key_;  // see indexed_key()
  // Locks mu_ for a mutation unless a bulk change holds it (LockForBulk).
  class MutationLock {
   public:
    explicit MutationLock(const FilterIndex* index) ABSL_NO_THREAD_SAFETY_ANALYSIS
        : mu_(index->bulk_ ? nullptr : &index->mu_) {
      if (mu_ != nullptr) mu_->Lock();
    }
    ~MutationLock() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      if (mu_ != nullptr) mu_->Unlock();
    }
    MutationLock(const MutationLock&) = delete;
    MutationLock& operator=(const MutationLock&) = delete;

   private:
    SharedMutex* const mu_;
  };
  // True while a bulk change holds mu_ (written under every SID shard of the
  // owning index, read by writers holding one: see LockForBulk).
  bool bulk_ = false;
  // Moved (under mu_, exclusively) by every change of by_value_.
  std::atomic<uint64_t> value_epoch_{0};
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_FILTER_INDEX_H_
