#include "store/user_index.h"

#include <utility>

#include "absl/hash/hash.h"

namespace userstore::internal {

UserIndex::IdentityShard& UserIndex::identity_shard(std::string_view identity) const {
  return identity_shards_[absl::Hash<std::string_view>{}(identity) % kShards];
}

UserIndex::SidShard& UserIndex::sid_shard(const SidBytes& sid) const {
  // SID bytes are uniformly random: the first byte picks the shard.
  return sid_shards_[sid.bytes[0] % kShards];
}

std::optional<SidBytes> UserIndex::ResolveIdentity(std::string_view identity) const {
  IdentityShard& ids = identity_shard(identity);
  ReaderLock lock(&ids.mu);
  auto it = ids.by_identity.find(identity);
  if (it == ids.by_identity.end()) return std::nullopt;
  return it->second;
}

bool UserIndex::Insert(std::unique_ptr<UserRecord>* record_ptr,
                       const std::function<void(const UserRecord&)>& on_inserted,
                       const std::function<void(const UserRecord&)>& on_existing,
                       bool* sid_collision) {
  *sid_collision = false;
  std::unique_ptr<UserRecord>& record = *record_ptr;
  IdentityShard& ids = identity_shard(record->identity);
  WriterLock identity_lock(&ids.mu);
  if (auto it = ids.by_identity.find(record->identity); it != ids.by_identity.end()) {
    if (on_existing) {
      SidShard& shard = sid_shard(it->second);
      ReaderLock sid_lock(&shard.mu);
      auto rec = shard.by_sid.find(it->second);
      // Invariant: an identity in the index has its record.
      if (rec != shard.by_sid.end()) on_existing(*rec->second);
    }
    return false;
  }
  const SidBytes sid = record->sid;
  const uint64_t sequence = record->sequence;
  UserRecord* raw = record.get();
  {
    SidShard& shard = sid_shard(sid);
    WriterLock sid_lock(&shard.mu);
    auto [it, inserted] = shard.by_sid.try_emplace(sid, std::move(record));
    if (!inserted) {
      *sid_collision = true;
      return false;
    }
    ids.by_identity.emplace(std::string_view(raw->identity), sid);
    if (on_inserted) on_inserted(*raw);
  }
  WriterLock order_lock(&order_mu_);
  order_.emplace(sequence, sid);
  return true;
}

bool UserIndex::Read(const UserKey& key,
                     const std::function<void(const UserRecord&)>& read) const {
  auto read_sid = [&](const SidBytes& sid) {
    SidShard& shard = sid_shard(sid);
    ReaderLock lock(&shard.mu);
    auto it = shard.by_sid.find(sid);
    if (it == shard.by_sid.end()) return false;
    read(*it->second);
    return true;
  };
  if (key.sid) return read_sid(*key.sid);
  IdentityShard& ids = identity_shard(key.identity);
  ReaderLock identity_lock(&ids.mu);
  auto it = ids.by_identity.find(key.identity);
  if (it == ids.by_identity.end()) return false;
  return read_sid(it->second);
}

bool UserIndex::Write(const UserKey& key, const std::function<void(UserRecord&)>& write) {
  auto write_sid = [&](const SidBytes& sid) {
    SidShard& shard = sid_shard(sid);
    WriterLock lock(&shard.mu);
    auto it = shard.by_sid.find(sid);
    if (it == shard.by_sid.end()) return false;
    write(*it->second);
    return true;
  };
  if (key.sid) return write_sid(*key.sid);
  IdentityShard& ids = identity_shard(key.identity);
  ReaderLock identity_lock(&ids.mu);
  auto it = ids.by_identity.find(key.identity);
  if (it == ids.by_identity.end()) return false;
  return write_sid(it->second);
}

bool UserIndex::Erase(const UserKey& key) {
  // Find the identity first: the identity shard is locked before the SID
  // shard, and a SID is never reused, so a later check finds any change.
  std::string identity;
  if (key.sid) {
    bool found = Read(key, [&](const UserRecord& r) { identity = r.identity; });
    if (!found) return false;
  } else {
    identity.assign(key.identity);
  }
  std::unique_ptr<UserRecord> doomed;
  IdentityShard& ids = identity_shard(identity);
  {
    WriterLock identity_lock(&ids.mu);
    auto id_it = ids.by_identity.find(identity);
    if (id_it == ids.by_identity.end()) return false;
    const SidBytes sid = id_it->second;
    if (key.sid && sid != *key.sid) return false;  // deleted and re-created
    SidShard& shard = sid_shard(sid);
    WriterLock sid_lock(&shard.mu);
    auto rec_it = shard.by_sid.find(sid);
    if (rec_it == shard.by_sid.end()) return false;  // unreachable (invariant)
    doomed = std::move(rec_it->second);
    ids.by_identity.erase(id_it);  // its key views `doomed`, still alive
    shard.by_sid.erase(rec_it);
    WriterLock order_lock(&order_mu_);
    order_.erase(doomed->sequence);
  }
  return true;  // `doomed` is freed here, with no lock held
}

std::vector<uint64_t> UserIndex::Scan(
    bool forward, uint64_t sequence, size_t limit,
    const std::function<void(const UserRecord&)>& read) const {
  std::vector<std::pair<uint64_t, SidBytes>> batch;
  std::vector<uint64_t> result;
  uint64_t cursor = sequence;
  bool exhausted = false;
  while (result.size() < limit && !exhausted) {
    const size_t want = limit - result.size();
    batch.clear();
    {
      ReaderLock lock(&order_mu_);
      if (forward) {
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
      SidShard& shard = sid_shard(sid);
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

size_t UserIndex::size() const {
  ReaderLock lock(&order_mu_);
  return order_.size();
}

}  // namespace userstore::internal
