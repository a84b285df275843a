#include "store/user_index.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/hash/hash.h"

namespace userstore::internal {

size_t UserIndex::IdentityShardOf(std::string_view identity) {
  return absl::Hash<std::string_view>{}(identity) % kShards;
}

size_t UserIndex::SidShardOf(const SidBytes& sid) {
  // SID bytes are uniformly random: the first byte picks the shard.
  return size_t{sid.bytes[0]} % kShards;
}

bool UserIndex::IdentityOf(const UserKey& key, std::string* identity) const {
  if (!key.sid) {
    identity->assign(key.identity);
    return true;
  }
  return Read(key, [&](const UserRecord& r) { identity->assign(r.identity()); });
}

absl::StatusOr<UserIndex::InsertOutcome> UserIndex::Insert(UserRecord::Ptr* record,
                                                           const Persist& persist,
                                                           Visit on_inserted, Mutate on_existing) {
  UserRecord* raw = record->get();
  const std::string_view identity = raw->identity();
  IdentityShard& ids = identity_shard(identity);
  WriterLock identity_lock(&ids.mu);
  if (auto it = ids.by_identity.find(identity); it != ids.by_identity.end()) {
    SidShard& shard = sid_shard(it->second);
    WriterLock sid_lock(&shard.mu);
    auto rec = shard.by_sid.find(it->second);
    if (rec != shard.by_sid.end()) on_existing(*rec->second);
    return InsertOutcome::kTaken;
  }
  const SidBytes sid = raw->sid;
  SidShard& shard = sid_shard(sid);
  {
    WriterLock sid_lock(&shard.mu);
    if (shard.by_sid.contains(sid) || shard.deleted.contains(sid)) {
      return InsertOutcome::kSidCollision;
    }
    // Into the order index before `persist` (which may publish the write's
    // feed event): a Scan that finds the sequence then waits for this SID
    // lock and sees the user, so a lister that read the feed's position
    // after the event lists the user (docs/events.md, snapshots).
    {
      WriterLock order_lock(&order_mu_);
      order_.emplace(raw->sequence, sid);
    }
    if (persist) {
      if (absl::Status s = persist(*raw); !s.ok()) {
        WriterLock order_lock(&order_mu_);
        order_.erase(raw->sequence);
        return s;
      }
    }
    shard.by_sid.emplace(sid, std::move(*record));
    ids.by_identity.emplace(identity, sid);
    filter_.Add(*raw, filter_.Value(*raw));
    on_inserted(*raw);
  }
  return InsertOutcome::kInserted;
}

bool UserIndex::Read(const UserKey& key, Visit read) const {
  auto read_sid = [&](const SidBytes& sid) {
    const SidShard& shard = sid_shard(sid);
    ReaderLock lock(&shard.mu);
    auto it = shard.by_sid.find(sid);
    if (it == shard.by_sid.end()) return false;
    read(*it->second);
    return true;
  };
  if (key.sid) return read_sid(*key.sid);
  const IdentityShard& ids = identity_shard(key.identity);
  ReaderLock identity_lock(&ids.mu);
  auto it = ids.by_identity.find(key.identity);
  if (it == ids.by_identity.end()) return false;
  return read_sid(it->second);
}

bool UserIndex::Modify(const UserKey& key, Mutate modify) {
  auto modify_sid = [&](const SidBytes& sid) {
    SidShard& shard = sid_shard(sid);
    WriterLock lock(&shard.mu);
    auto it = shard.by_sid.find(sid);
    if (it == shard.by_sid.end()) return false;
    UserRecord& r = *it->second;
    const bool indexed = !filter_.indexed_key().empty();
    FilterIndex::Keys before = KeysOf(r, false);
    // The text may change in place: keep the old attributes to compare (in
    // a buffer whose capacity stays: presence changes come here too).
    thread_local std::string old_attributes;
    if (indexed) old_attributes.assign(r.attributes());
    modify(r);
    FilterIndex::Keys after = KeysOf(r, false);
    if (indexed && old_attributes != r.attributes()) {
      before.value = CanonicalAttribute(old_attributes, filter_.indexed_key());
      after.value = filter_.Value(r);
    }
    filter_.Move(r.sequence, before, after);
    return true;
  };
  if (key.sid) return modify_sid(*key.sid);
  IdentityShard& ids = identity_shard(key.identity);
  ReaderLock identity_lock(&ids.mu);
  auto it = ids.by_identity.find(key.identity);
  if (it == ids.by_identity.end()) return false;
  return modify_sid(it->second);
}

absl::StatusOr<UserIndex::ChangeOutcome> UserIndex::Replace(const UserKey& key, Build build,
                                                            const Persist& persist,
                                                            Visit on_replaced) {
  // The identity shard comes first in the lock order; a SID is never
  // reused, so checking the identity still maps to key.sid detects a delete
  // (and re-create) in between.
  std::string identity;
  if (!IdentityOf(key, &identity)) return ChangeOutcome::kAbsent;
  if (resolved_hook_) resolved_hook_();
  UserRecord::Ptr old;
  {
    IdentityShard& ids = identity_shard(identity);
    WriterLock identity_lock(&ids.mu);
    auto id_it = ids.by_identity.find(identity);
    if (id_it == ids.by_identity.end()) return ChangeOutcome::kAbsent;
    const SidBytes sid = id_it->second;
    if (key.sid && sid != *key.sid) return ChangeOutcome::kAbsent;
    SidShard& shard = sid_shard(sid);
    WriterLock sid_lock(&shard.mu);
    auto rec_it = shard.by_sid.find(sid);
    if (rec_it == shard.by_sid.end()) return ChangeOutcome::kAbsent;  // unreachable
    absl::StatusOr<UserRecord::Ptr> next = build(*rec_it->second);
    if (!next.ok()) return next.status();
    if (persist) {
      if (absl::Status s = persist(**next); !s.ok()) return s;
    }
    UserRecord* raw = next->get();
    old = std::exchange(rec_it->second, *std::move(next));
    ids.by_identity.erase(id_it);  // its key views `old`, still alive
    ids.by_identity.emplace(raw->identity(), sid);
    Refilter(*old, *raw);
    on_replaced(*raw);
  }
  return ChangeOutcome::kDone;  // `old` is freed here, with no lock held
}

absl::StatusOr<UserIndex::ChangeOutcome> UserIndex::Erase(const UserKey& key,
                                                          const Persist& persist) {
  std::string identity;
  if (!IdentityOf(key, &identity)) return ChangeOutcome::kAbsent;
  if (resolved_hook_) resolved_hook_();
  UserRecord::Ptr doomed;
  {
    IdentityShard& ids = identity_shard(identity);
    WriterLock identity_lock(&ids.mu);
    auto id_it = ids.by_identity.find(identity);
    if (id_it == ids.by_identity.end()) return ChangeOutcome::kAbsent;
    const SidBytes sid = id_it->second;
    if (key.sid && sid != *key.sid) return ChangeOutcome::kAbsent;  // deleted and re-created
    SidShard& shard = sid_shard(sid);
    WriterLock sid_lock(&shard.mu);
    auto rec_it = shard.by_sid.find(sid);
    if (rec_it == shard.by_sid.end()) return ChangeOutcome::kAbsent;  // unreachable
    if (persist) {
      if (absl::Status s = persist(*rec_it->second); !s.ok()) return s;
    }
    doomed = std::move(rec_it->second);
    ids.by_identity.erase(id_it);  // its key views `doomed`, still alive
    shard.by_sid.erase(rec_it);
    shard.deleted.insert(sid);
    {
      WriterLock order_lock(&order_mu_);
      order_.erase(doomed->sequence);
    }
    filter_.Remove(*doomed, filter_.Value(*doomed));
  }
  return ChangeOutcome::kDone;  // `doomed` is freed here, with no lock held
}

UserIndex::Sequences UserIndex::Scan(Direction direction, uint64_t sequence, size_t limit,
                                     Visit read) const {
  boost::container::small_vector<std::pair<uint64_t, SidBytes>, 128> batch;
  Sequences result;
  uint64_t cursor = sequence;
  bool exhausted = false;
  while (result.size() < limit && !exhausted) {
    const size_t want = limit - result.size();
    batch.clear();
    {
      ReaderLock lock(&order_mu_);
      // At most `limit` and never more than the users there are (a host may
      // allow large pages).
      const size_t most = std::min(limit, order_.size());
      if (result.capacity() < most) result.reserve(most);
      if (batch.capacity() < std::min(want, most)) batch.reserve(std::min(want, most));
      if (direction == Direction::kForward) {
        for (auto it = order_.upper_bound(cursor); it != order_.end() && batch.size() < want;
             ++it) {
          batch.emplace_back(it->first, it->second);
        }
      } else {
        auto it = order_.lower_bound(cursor);
        while (it != order_.begin() && batch.size() < want) {
          --it;
          batch.emplace_back(it->first, it->second);
        }
      }
    }
    exhausted = batch.size() < want;
    for (const auto& [seq, sid] : batch) {
      cursor = seq;
      const SidShard& shard = sid_shard(sid);
      ReaderLock lock(&shard.mu);
      auto it = shard.by_sid.find(sid);
      if (it == shard.by_sid.end()) continue;  // deleted since: skip
      read(*it->second);
      result.push_back(seq);
    }
  }
  return result;
}

bool UserIndex::AnyAfter(uint64_t sequence) const {
  ReaderLock lock(&order_mu_);
  return order_.upper_bound(sequence) != order_.end();
}

bool UserIndex::AnyBefore(uint64_t sequence) const {
  ReaderLock lock(&order_mu_);
  return order_.lower_bound(sequence) != order_.begin();
}

bool UserIndex::WasDeleted(const SidBytes& sid) const {
  const SidShard& shard = sid_shard(sid);
  ReaderLock lock(&shard.mu);
  return shard.deleted.contains(sid);
}

void UserIndex::RestoreDeleted(const SidBytes& sid) {
  SidShard& shard = sid_shard(sid);
  WriterLock lock(&shard.mu);
  shard.deleted.insert(sid);
}

size_t UserIndex::deleted_count() const {
  size_t n = 0;
  for (const SidShard& shard : sid_shards_) {
    ReaderLock lock(&shard.mu);
    n += shard.deleted.size();
  }
  return n;
}

namespace {

// Holds every lock of a UserIndex for a scope, in the lock order (see
// user_index.h). Clang's analysis cannot follow locks taken in a loop over an
// array: the accesses under them are unchecked (ABSL_NO_THREAD_SAFETY_ANALYSIS).
template <typename IdentityShards, typename SidShards>
class HoldAll {
 public:
  HoldAll(IdentityShards& ids, SidShards& sids, SharedMutex& order,
          FilterIndex& filter) ABSL_NO_THREAD_SAFETY_ANALYSIS : ids_(ids),
                                                                sids_(sids),
                                                                order_(order),
                                                                filter_(filter) {
    for (auto& s : ids_) s.mu.Lock();
    for (auto& s : sids_) s.mu.Lock();
    order_.Lock();
    filter_.LockForBulk();
  }
  ~HoldAll() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    filter_.UnlockBulk();
    order_.Unlock();
    for (auto it = sids_.rbegin(); it != sids_.rend(); ++it) it->mu.Unlock();
    for (auto it = ids_.rbegin(); it != ids_.rend(); ++it) it->mu.Unlock();
  }
  HoldAll(const HoldAll&) = delete;
  HoldAll& operator=(const HoldAll&) = delete;

 private:
  IdentityShards& ids_;
  SidShards& sids_;
  SharedMutex& order_;
  FilterIndex& filter_;
};

}  // namespace

absl::Status UserIndex::Exclusive(absl::FunctionRef<absl::Status(Locked&)> change) {
  HoldAll hold(identity_shards_, sid_shards_, order_mu_, filter_);
  Locked locked(this);
  return change(locked);
}

const UserRecord* UserIndex::Locked::FindSid(const SidBytes& sid) const {
  const SidShard& shard = index_->sid_shard(sid);
  auto it = shard.by_sid.find(sid);
  return it == shard.by_sid.end() ? nullptr : it->second.get();
}

const SidBytes* UserIndex::Locked::FindIdentity(std::string_view identity) const {
  const IdentityShard& ids = index_->identity_shard(identity);
  auto it = ids.by_identity.find(identity);
  return it == ids.by_identity.end() ? nullptr : &it->second;
}

bool UserIndex::Locked::WasDeleted(const SidBytes& sid) const {
  return index_->sid_shard(sid).deleted.contains(sid);
}

void UserIndex::Locked::Insert(UserRecord::Ptr record) {
  UserRecord* raw = record.get();
  const SidBytes sid = raw->sid;
  index_->order_.emplace(raw->sequence, sid);
  index_->sid_shard(sid).by_sid.emplace(sid, std::move(record));
  index_->identity_shard(raw->identity()).by_identity.emplace(raw->identity(), sid);
  index_->filter_.Add(*raw, index_->filter_.Value(*raw));
}

UserRecord::Ptr UserIndex::Locked::Replace(UserRecord::Ptr record) {
  UserRecord* raw = record.get();
  const SidBytes sid = raw->sid;
  UserRecord::Ptr& slot = index_->sid_shard(sid).by_sid.find(sid)->second;
  const UserRecord& old = *slot;
  raw->sequence = old.sequence;
  raw->online = old.online;
  raw->notifiable = old.notifiable;
  raw->connections = old.connections;
  // The old identity's key views the old record: erased before it goes.
  index_->identity_shard(old.identity()).by_identity.erase(old.identity());
  index_->identity_shard(raw->identity()).by_identity.emplace(raw->identity(), sid);
  index_->Refilter(old, *raw);  // before the old record (its identity view) goes
  return std::exchange(slot, std::move(record));
}

void UserIndex::Locked::SetIndexedKey(std::string key) {
  std::vector<std::pair<uint64_t, std::string>> values;
  if (!key.empty()) {
    for (const SidShard& shard : index_->sid_shards_) {
      for (const auto& [sid, record] : shard.by_sid) {
        if (auto value = CanonicalAttribute(record->attributes(), key)) {
          values.emplace_back(record->sequence, *std::move(value));
        }
      }
    }
  }
  index_->filter_.Rebuild(std::move(key), std::move(values));
}

FilterIndex::Keys UserIndex::KeysOf(const UserRecord& record, bool with_value) const {
  FilterIndex::Keys keys{record.role_sid, std::nullopt, &record, record.date_created};
  if (with_value) keys.value = filter_.Value(record);
  return keys;
}

void UserIndex::Refilter(const UserRecord& old, const UserRecord& next) {
  // Parse only when a key is declared and the attributes text changed.
  const bool reparse = !filter_.indexed_key().empty() && old.attributes() != next.attributes();
  filter_.Move(next.sequence, KeysOf(old, reparse), KeysOf(next, reparse));
}

std::string UserIndex::IndexedKey() const {
  // Any SID shard guards the key (filter_index.h).
  ReaderLock lock(&sid_shards_[0].mu);
  return filter_.indexed_key();
}

bool UserIndex::ReadCandidate(const FilterQuery& query, FilterPos* pos, const SidBytes* sid,
                              uint64_t value_epoch, Visit read) const {
  if (query.kind == FilterQuery::Kind::kIdentity) {
    // Identity shard -> SID shard: the identity still names this user.
    return Read(UserKey{std::nullopt, pos->identity}, [&](const UserRecord& r) {
      pos->sequence = r.sequence;
      pos->date = r.date_created;
      read(r);
    });
  }
  if (sid == nullptr) return false;  // deleted since
  const SidShard& shard = sid_shard(*sid);
  ReaderLock lock(&shard.mu);
  auto it = shard.by_sid.find(*sid);
  if (it == shard.by_sid.end()) return false;
  const UserRecord& r = *it->second;
  switch (query.kind) {
    case FilterQuery::Kind::kRole:
      if (r.role_sid != query.role) return false;
      break;
    case FilterQuery::Kind::kDate:
      if (r.date_created < query.from || r.date_created >= query.before) return false;
      break;
    case FilterQuery::Kind::kAttribute:
      // No value changed since the candidates were read: this one still
      // holds the value. Else ask the index (SID shard -> filter index:
      // the legal order).
      if (!filter_.ValuesUnchangedSince(value_epoch) && !filter_.HoldsValue(query, r.sequence)) {
        return false;
      }
      break;
    case FilterQuery::Kind::kIdentity:
      break;
  }
  read(r);
  return true;
}

std::vector<FilterPos> UserIndex::FilterScan(const FilterQuery& query, Direction direction,
                                             const FilterPos& start, size_t limit,
                                             Visit read) const {
  const bool forward = direction == Direction::kForward;
  const bool by_sequence = query.kind != FilterQuery::Kind::kIdentity;
  std::vector<FilterPos> batch;
  std::vector<FilterPos> result;
  // The SIDs of a batch's sequences, resolved under one order-index lock
  // (nullopt: deleted since).
  boost::container::small_vector<std::optional<SidBytes>, 128> sids;
  FilterPos cursor = start;
  bool exhausted = false;
  while (result.size() < limit && !exhausted) {
    const size_t want = std::min(limit - result.size(), size());
    batch.clear();
    uint64_t value_epoch = 0;
    if (want > 0) filter_.Candidates(query, forward, cursor, want, &batch, &value_epoch);
    exhausted = batch.size() < want || want == 0;
    sids.assign(by_sequence ? batch.size() : 0, std::nullopt);
    if (by_sequence && !batch.empty()) {
      ReaderLock lock(&order_mu_);
      for (size_t i = 0; i < batch.size(); ++i) {
        if (auto it = order_.find(batch[i].sequence); it != order_.end()) sids[i] = it->second;
      }
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      FilterPos& pos = batch[i];
      cursor = pos;
      const SidBytes* sid = by_sequence && sids[i] ? &*sids[i] : nullptr;
      if (ReadCandidate(query, &pos, sid, value_epoch, read)) result.push_back(std::move(pos));
    }
  }
  return result;
}

bool UserIndex::FilterAny(const FilterQuery& query, Direction direction,
                          const FilterPos& pos) const {
  std::vector<FilterPos> one;
  filter_.Candidates(query, direction == Direction::kForward, pos, 1, &one);
  return !one.empty();
}

size_t UserIndex::size() const {
  ReaderLock lock(&order_mu_);
  return order_.size();
}

}  // namespace userstore::internal
