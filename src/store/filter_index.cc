#include "store/filter_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>

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

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
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
  WriterLock lock(&mu_);
  by_role_[record.role_sid].insert(record.sequence);
  by_identity_.insert(record.identity());
  by_date_.emplace(record.date_created, record.sequence);
  if (value) by_value_[*value].insert(record.sequence);
}

void FilterIndex::Remove(const UserRecord& record, const std::optional<std::string>& value) {
  WriterLock lock(&mu_);
  if (auto it = by_role_.find(record.role_sid); it != by_role_.end()) {
    it->second.erase(record.sequence);
    if (it->second.empty()) by_role_.erase(it);
  }
  by_identity_.erase(record.identity());
  by_date_.erase({record.date_created, record.sequence});
  if (value) {
    if (auto it = by_value_.find(*value); it != by_value_.end()) {
      it->second.erase(record.sequence);
      if (it->second.empty()) by_value_.erase(it);
    }
  }
}

void FilterIndex::Move(uint64_t sequence, const Keys& before, const Keys& after) {
  const bool same_view = before.identity.data() == after.identity.data() &&
                         before.identity.size() == after.identity.size();
  if (before.role == after.role && before.value == after.value && same_view &&
      before.date_created == after.date_created) {
    return;
  }
  WriterLock lock(&mu_);
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
  }
  if (!same_view) {
    // The key views the old record (still alive): erase, then view the new.
    by_identity_.erase(before.identity);
    by_identity_.insert(after.identity);
  }
  if (before.date_created != after.date_created) {
    by_date_.erase({before.date_created, sequence});
    by_date_.emplace(after.date_created, sequence);
  }
}

void FilterIndex::Rebuild(std::string key, std::vector<std::pair<uint64_t, std::string>> values) {
  WriterLock lock(&mu_);
  key_ = std::move(key);
  by_value_.clear();
  for (auto& [sequence, value] : values) by_value_[std::move(value)].insert(sequence);
}

void FilterIndex::Candidates(const FilterQuery& query, bool forward, const FilterPos& pos,
                             size_t want, std::vector<FilterPos>* out) const {
  ReaderLock lock(&mu_);
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
      auto it = by_value_.find(query.value);
      if (it != by_value_.end()) walk_sequences(it->second);
      return;
    }
    case FilterQuery::Kind::kIdentity: {
      const std::string_view prefix = query.prefix;
      if (forward) {
        auto it = std::string_view(pos.identity) < prefix ? by_identity_.lower_bound(prefix)
                                                          : by_identity_.upper_bound(pos.identity);
        for (; it != by_identity_.end() && out->size() < stop && StartsWith(*it, prefix); ++it) {
          out->push_back(FilterPos{0, 0, std::string(*it)});
        }
      } else {
        // Positions of backward walks come from matching identities (or
        // one byte past one), so what precedes them in the set is the
        // prefix's range until the first identity without it.
        auto it = by_identity_.lower_bound(pos.identity);
        while (it != by_identity_.begin() && out->size() < stop) {
          --it;
          if (!StartsWith(*it, prefix)) break;
          out->push_back(FilterPos{0, 0, std::string(*it)});
        }
      }
      return;
    }
    case FilterQuery::Kind::kDate: {
      const std::pair<int64_t, uint64_t> at{pos.date, pos.sequence};
      if (forward) {
        auto it = by_date_.upper_bound(std::max(at, std::pair<int64_t, uint64_t>{query.from, 0}));
        for (; it != by_date_.end() && out->size() < stop && it->first < query.before; ++it) {
          out->push_back(FilterPos{it->second, it->first, {}});
        }
      } else {
        auto it = by_date_.lower_bound(std::min(at, std::pair<int64_t, uint64_t>{query.before, 0}));
        while (it != by_date_.begin() && out->size() < stop) {
          --it;
          if (it->first < query.from) break;
          out->push_back(FilterPos{it->second, it->first, {}});
        }
      }
      return;
    }
  }
}

bool FilterIndex::HoldsValue(const std::string& value, uint64_t sequence) const {
  ReaderLock lock(&mu_);
  auto it = by_value_.find(value);
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
      auto it = by_value_.find(query.value);
      return it == by_value_.end() ? 0 : it->second.size();
    }
    case FilterQuery::Kind::kIdentity: {
      uint64_t n = 0;
      for (auto it = by_identity_.lower_bound(query.prefix);
           it != by_identity_.end() && StartsWith(*it, query.prefix); ++it) {
        ++n;
      }
      return n;
    }
    case FilterQuery::Kind::kDate: {
      if (query.from >= query.before) return 0;
      auto first = by_date_.lower_bound({query.from, 0});
      auto last = by_date_.lower_bound({query.before, 0});
      return static_cast<uint64_t>(std::distance(first, last));
    }
  }
  return 0;
}

}  // namespace userstore::internal
