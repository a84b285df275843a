#include "store/filter_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "json/json_dom.h"

namespace userstore::internal {
namespace {

// 'n' + the IEEE bits of `d` (finite; -0 as 0).
std::optional<std::string> CanonicalNumber(double d) {
  if (!std::isfinite(d)) return std::nullopt;
  if (d == 0) d = 0;  // -0 and 0 are one value
  std::string out(1 + sizeof(double), 'n');
  std::memcpy(out.data() + 1, &d, sizeof(double));
  return out;
}

std::optional<std::string> CanonicalElement(simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::STRING: {
      std::string_view s;
      if (e.get(s) != simdjson::SUCCESS) return std::nullopt;
      std::string out("s");
      out.append(s.data(), s.size());
      return out;
    }
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: {
      double d = 0;
      if (e.get_double().get(d) != simdjson::SUCCESS) return std::nullopt;
      return CanonicalNumber(d);
    }
    default:
      return std::nullopt;  // object, array, bool, null: never indexed
  }
}

}  // namespace

std::optional<std::string> CanonicalAttribute(std::string_view attributes, std::string_view key) {
  if (attributes.empty() || key.empty()) return std::nullopt;
  JsonDocument doc;
  if (doc.Parse(attributes, attributes.size() + 1) != JsonError::kOk) return std::nullopt;
  simdjson::dom::object object;
  if (doc.root().get(object) != simdjson::SUCCESS) return std::nullopt;
  std::optional<std::string> value;
  // The last member of that name wins (as JSON.parse).
  for (simdjson::dom::key_value_pair field : object) {
    if (field.key == key) value = CanonicalElement(field.value);
  }
  return value;
}

std::optional<std::string> CanonicalFilterValue(std::string_view json) {
  if (json.empty()) return std::nullopt;
  JsonDocument doc;
  if (doc.Parse(json, 1) != JsonError::kOk) return std::nullopt;
  return CanonicalElement(doc.root());
}

std::optional<std::string> FilterIndex::Value(const UserRecord& record) const {
  if (key_.empty()) return std::nullopt;
  return CanonicalAttribute(record.attributes(), key_);
}

void FilterIndex::Add(const UserRecord& record, const std::optional<std::string>& value) {
  MutationLock lock(this);
  by_role_[record.role_sid].insert(record.sequence);
  by_identity_.insert(&record);
  InsertDate(record.date_created, record.sequence);
  if (value) {
    by_value_[*value].insert(record.sequence);
    value_epoch_.fetch_add(1, std::memory_order_acq_rel);
  }
}

void FilterIndex::Remove(const UserRecord& record, const std::optional<std::string>& value) {
  MutationLock lock(this);
  if (auto it = by_role_.find(record.role_sid); it != by_role_.end()) {
    it->second.erase(record.sequence);
    if (it->second.empty()) by_role_.erase(it);
  }
  by_identity_.erase(&record);
  EraseDate(record.date_created, record.sequence);
  if (value) {
    if (auto it = by_value_.find(*value); it != by_value_.end()) {
      it->second.erase(record.sequence);
      if (it->second.empty()) by_value_.erase(it);
    }
    value_epoch_.fetch_add(1, std::memory_order_acq_rel);
  }
}

void FilterIndex::Move(uint64_t sequence, const Keys& before, const Keys& after) {
  const bool same_view = before.record == after.record;
  if (before.role == after.role && before.value == after.value && same_view &&
      before.date_created == after.date_created) {
    return;
  }
  MutationLock lock(this);
  if (before.role != after.role) {
    if (auto it = by_role_.find(before.role); it != by_role_.end()) {
      it->second.erase(sequence);
      if (it->second.empty()) by_role_.erase(it);
    }
    by_role_[after.role].insert(sequence);
  }
  if (before.value != after.value) {
    if (before.value) {
      if (auto it = by_value_.find(*before.value); it != by_value_.end()) {
        it->second.erase(sequence);
        if (it->second.empty()) by_value_.erase(it);
      }
    }
    if (after.value) by_value_[*after.value].insert(sequence);
    value_epoch_.fetch_add(1, std::memory_order_acq_rel);
  }
  if (!same_view) {
    // The entry is the old record (still alive): erase, then the new.
    by_identity_.erase(before.record);
    by_identity_.insert(after.record);
  }
  if (before.date_created != after.date_created) {
    EraseDate(before.date_created, sequence);
    InsertDate(after.date_created, sequence);
  }
}

void FilterIndex::Rebuild(std::string key, std::vector<std::pair<uint64_t, std::string>> values) {
  MutationLock lock(this);
  key_ = std::move(key);
  by_value_.clear();
  for (auto& [sequence, value] : values) by_value_[std::move(value)].insert(sequence);
  value_epoch_.fetch_add(1, std::memory_order_acq_rel);
}

void FilterIndex::Candidates(const FilterQuery& query, bool forward, const FilterPos& pos,
                             size_t want, std::vector<FilterPos>* out,
                             uint64_t* value_epoch) const {
  ReaderLock lock(&mu_);
  if (value_epoch != nullptr) *value_epoch = value_epoch_.load(std::memory_order_acquire);
  const size_t stop = out->size() + want;
  auto walk_sequences = [&](const Sequences& set) {
    if (forward) {
      for (auto it = set.upper_bound(pos.sequence); it != set.end() && out->size() < stop; ++it) {
        out->push_back(FilterPos{*it, 0, {}});
      }
    } else {
      auto it = set.lower_bound(pos.sequence);
      while (it != set.begin() && out->size() < stop) {
        --it;
        out->push_back(FilterPos{*it, 0, {}});
      }
    }
  };
  switch (query.kind) {
    case FilterQuery::Kind::kRole: {
      auto it = by_role_.find(query.role);
      if (it != by_role_.end()) walk_sequences(it->second);
      return;
    }
    case FilterQuery::Kind::kAttribute: {
      if (key_ != query.key) return;  // another key declared meanwhile
      auto it = by_value_.find(query.value);
      if (it != by_value_.end()) walk_sequences(it->second);
      return;
    }
    case FilterQuery::Kind::kIdentity: {
      const std::string_view prefix = query.prefix;
      if (forward) {
        const std::string_view at = pos.identity;
        auto it = at < prefix ? by_identity_.lower_bound(prefix) : by_identity_.upper_bound(at);
        for (; it != by_identity_.end() && out->size() < stop &&
               (*it)->identity().starts_with(prefix);
             ++it) {
          out->push_back(FilterPos{0, 0, std::string((*it)->identity())});
        }
      } else {
        // Positions of backward walks come from matching identities (or
        // one byte past one), so what precedes them in the set is the
        // prefix's range until the first identity without it.
        auto it = by_identity_.lower_bound(std::string_view(pos.identity));
        while (it != by_identity_.begin() && out->size() < stop) {
          --it;
          if (!(*it)->identity().starts_with(prefix)) break;
          out->push_back(FilterPos{0, 0, std::string((*it)->identity())});
        }
      }
      return;
    }
    case FilterQuery::Kind::kDate:
      DateCandidates(query, forward, pos, want, out);
      return;
  }
}

std::optional<uint64_t> FilterIndex::Pack(int64_t date, uint64_t sequence) {
  if (date < 0 || date > int64_t{0xffffffff} || sequence > 0xffffffffu) return std::nullopt;
  return static_cast<uint64_t>(date) << 32 | sequence;
}

FilterIndex::Dates::const_iterator FilterIndex::PackedLowerBound(const Dates& dates, DatePair at) {
  if (at.first < 0) return dates.begin();
  if (at.first > int64_t{0xffffffff}) return dates.end();
  if (at.second > 0xffffffffu) {  // past every sequence of that date
    if (at.first == int64_t{0xffffffff}) return dates.end();
    return dates.lower_bound(static_cast<uint64_t>(at.first + 1) << 32);
  }
  return dates.lower_bound(static_cast<uint64_t>(at.first) << 32 | at.second);
}

void FilterIndex::InsertDate(int64_t date, uint64_t sequence) {
  if (std::optional<uint64_t> packed = Pack(date, sequence)) {
    by_date_.insert(*packed);
  } else {
    by_date_wide_.emplace(date, sequence);
  }
}

void FilterIndex::EraseDate(int64_t date, uint64_t sequence) {
  if (std::optional<uint64_t> packed = Pack(date, sequence)) {
    by_date_.erase(*packed);
  } else {
    by_date_wide_.erase({date, sequence});
  }
}

void FilterIndex::DateCandidates(const FilterQuery& query, bool forward, const FilterPos& pos,
                                 size_t want, std::vector<FilterPos>* out) const {
  // Up to `want` from each set, nearest first, merged; the nearest `want` kept.
  std::vector<DatePair> found;
  const DatePair at{pos.date, pos.sequence};
  if (forward) {
    // Strictly after max(at, (from, 0)): sequences start at 1, so (from, 0)
    // excludes no user of date `from`.
    DatePair start = std::max(at, DatePair{query.from, 0});
    // The least pair above `start`.
    if (start.second < UINT64_MAX) {
      ++start.second;
    } else if (start.first < INT64_MAX) {
      start = {start.first + 1, 0};
    } else {
      return;
    }
    size_t n = 0;
    for (auto it = PackedLowerBound(by_date_, start); it != by_date_.end() && n < want; ++it, ++n) {
      const DatePair p = Unpack(*it);
      if (p.first >= query.before) break;
      found.push_back(p);
    }
    n = 0;
    for (auto it = by_date_wide_.lower_bound(start); it != by_date_wide_.end() && n < want;
         ++it, ++n) {
      if (it->first >= query.before) break;
      found.push_back(*it);
    }
    std::sort(found.begin(), found.end());
  } else {
    const DatePair end = std::min(at, DatePair{query.before, 0});
    size_t n = 0;
    for (auto it = PackedLowerBound(by_date_, end); it != by_date_.begin() && n < want; ++n) {
      --it;
      const DatePair p = Unpack(*it);
      if (p.first < query.from) break;
      found.push_back(p);
    }
    n = 0;
    for (auto it = by_date_wide_.lower_bound(end); it != by_date_wide_.begin() && n < want; ++n) {
      --it;
      if (it->first < query.from) break;
      found.push_back(*it);
    }
    std::sort(found.begin(), found.end(), std::greater<>());
  }
  if (found.size() > want) found.resize(want);
  for (const DatePair& p : found) out->push_back(FilterPos{p.second, p.first, {}});
}

bool FilterIndex::HoldsValue(const FilterQuery& query, uint64_t sequence) const {
  ReaderLock lock(&mu_);
  if (key_ != query.key) return false;
  auto it = by_value_.find(query.value);
  return it != by_value_.end() && it->second.contains(sequence);
}

uint64_t FilterIndex::Count(const FilterQuery& query) const {
  ReaderLock lock(&mu_);
  switch (query.kind) {
    case FilterQuery::Kind::kRole: {
      auto it = by_role_.find(query.role);
      return it == by_role_.end() ? 0 : it->second.size();
    }
    case FilterQuery::Kind::kAttribute: {
      if (key_ != query.key) return 0;  // another key declared meanwhile
      auto it = by_value_.find(query.value);
      return it == by_value_.end() ? 0 : it->second.size();
    }
    case FilterQuery::Kind::kIdentity: {
      uint64_t n = 0;
      for (auto it = by_identity_.lower_bound(std::string_view(query.prefix));
           it != by_identity_.end() && (*it)->identity().starts_with(query.prefix); ++it) {
        ++n;
      }
      return n;
    }
    case FilterQuery::Kind::kDate: {
      if (query.from >= query.before) return 0;
      const auto first = PackedLowerBound(by_date_, {query.from, 0});
      const auto last = PackedLowerBound(by_date_, {query.before, 0});
      const auto wide_first = by_date_wide_.lower_bound({query.from, 0});
      const auto wide_last = by_date_wide_.lower_bound({query.before, 0});
      return static_cast<uint64_t>(std::distance(first, last)) +
             static_cast<uint64_t>(std::distance(wide_first, wide_last));
    }
  }
  return 0;
}

}  // namespace userstore::internal
