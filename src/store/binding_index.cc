#include "store/binding_index.h"

#include <algorithm>
#include <utility>

namespace userstore::internal {

bool BindingFilter::Matches(const BindingRecord& r) const {
  if (user && *user != r.user) return false;
  if (types != 0 && (types & (1u << static_cast<unsigned>(r.type))) == 0) return false;
  if (!identities.empty() &&
      std::find(identities.begin(), identities.end(), r.identity) == identities.end()) {
    return false;
  }
  return true;
}

const BindingRecord& BindingIndex::At(uint64_t sequence) const { return order_.at(sequence); }

std::optional<BindingRecord> BindingIndex::Find(const SidBytes& sid) const {
  ReaderLock lock(&mu_);
  auto it = by_sid_.find(sid);
  if (it == by_sid_.end()) return std::nullopt;
  return At(it->second);
}

std::optional<BindingRecord> BindingIndex::FindByKey(const SidBytes& user, BindingType type,
                                                     std::string_view endpoint) const {
  ReaderLock lock(&mu_);
  auto it = by_user_.find(user);
  if (it == by_user_.end()) return std::nullopt;
  for (uint64_t sequence : it->second) {
    const BindingRecord& r = At(sequence);
    if (r.type == type && r.endpoint == endpoint) return r;
  }
  return std::nullopt;
}

std::vector<BindingRecord> BindingIndex::OfUser(const SidBytes& user) const {
  ReaderLock lock(&mu_);
  std::vector<BindingRecord> out;
  auto it = by_user_.find(user);
  if (it == by_user_.end()) return out;
  out.reserve(it->second.size());
  for (uint64_t sequence : it->second) out.push_back(At(sequence));
  return out;
}

size_t BindingIndex::CountOf(const SidBytes& user) const {
  ReaderLock lock(&mu_);
  auto it = by_user_.find(user);
  return it == by_user_.end() ? 0 : it->second.size();
}

bool BindingIndex::InUse(const SidBytes& sid) const {
  ReaderLock lock(&mu_);
  return by_sid_.contains(sid) || deleted_.contains(sid);
}

void BindingIndex::Put(BindingRecord record) {
  WriterLock lock(&mu_);
  const uint64_t sequence = record.sequence;
  if (auto it = by_sid_.find(record.sid); it != by_sid_.end()) {
    order_.at(it->second) = std::move(record);  // same sequence and user
    return;
  }
  by_sid_.emplace(record.sid, sequence);
  by_user_[record.user].insert(sequence);
  order_.emplace(sequence, std::move(record));
}

bool BindingIndex::EraseLocked(const SidBytes& sid) {
  auto it = by_sid_.find(sid);
  if (it == by_sid_.end()) return false;
  const uint64_t sequence = it->second;
  by_sid_.erase(it);
  auto record = order_.find(sequence);
  auto user = by_user_.find(record->second.user);
  user->second.erase(sequence);
  if (user->second.empty()) by_user_.erase(user);
  order_.erase(record);
  deleted_.insert(sid);
  return true;
}

bool BindingIndex::Erase(const SidBytes& sid) {
  WriterLock lock(&mu_);
  return EraseLocked(sid);
}

size_t BindingIndex::EraseUser(const SidBytes& user) {
  WriterLock lock(&mu_);
  auto it = by_user_.find(user);
  if (it == by_user_.end()) return 0;
  std::vector<SidBytes> sids;
  for (uint64_t sequence : it->second) sids.push_back(At(sequence).sid);
  for (const SidBytes& sid : sids) EraseLocked(sid);
  return sids.size();
}

void BindingIndex::RestoreDeleted(const SidBytes& sid) {
  WriterLock lock(&mu_);
  deleted_.insert(sid);
}

void BindingIndex::Rename(const SidBytes& user, std::string_view identity) {
  WriterLock lock(&mu_);
  auto it = by_user_.find(user);
  if (it == by_user_.end()) return;
  for (uint64_t sequence : it->second) order_.at(sequence).identity.assign(identity);
}

namespace {

// Walks the sequences of `keys` (ascending; `key_of` gives an element's
// sequence) after or before `sequence`, nearest first, calling `step` on
// each until it returns false.
template <typename Keys, typename KeyOf, typename Step>
void Walk(const Keys& keys, KeyOf key_of, BindingIndex::Direction direction, uint64_t sequence,
          Step step) {
  if (direction == BindingIndex::Direction::kForward) {
    for (auto it = keys.upper_bound(sequence); it != keys.end(); ++it) {
      if (!step(key_of(*it))) return;
    }
    return;
  }
  for (auto it = keys.lower_bound(sequence); it != keys.begin();) {
    --it;
    if (!step(key_of(*it))) return;
  }
}

}  // namespace

std::vector<uint64_t> BindingIndex::Scan(Direction direction, uint64_t sequence, size_t limit,
                                         const BindingFilter& filter, Visit visit) const {
  ReaderLock lock(&mu_);
  std::vector<uint64_t> out;
  if (limit == 0) return out;
  auto step = [&](uint64_t s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    const BindingRecord& r = At(s);
    if (!filter.Matches(r)) return true;
    visit(r);
    out.push_back(s);
    return out.size() < limit;
  };
  if (filter.user) {
    auto it = by_user_.find(*filter.user);
    if (it != by_user_.end()) {
      Walk(
          it->second, [](uint64_t s) { return s; }, direction, sequence, step);
    }
  } else {
    Walk(
        order_, [](const auto& entry) { return entry.first; }, direction, sequence, step);
  }
  return out;
}

bool BindingIndex::Any(Direction direction, uint64_t sequence, const BindingFilter& filter) const {
  bool found = false;
  Scan(direction, sequence, 1, filter, [&](const BindingRecord&) { found = true; });
  return found;
}

void BindingIndex::ForEach(Visit visit) const {
  ReaderLock lock(&mu_);
  for (const auto& [sequence, record] : order_) visit(record);
}

size_t BindingIndex::size() const {
  ReaderLock lock(&mu_);
  return order_.size();
}

}  // namespace userstore::internal
