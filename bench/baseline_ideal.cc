#include "bench/baseline_ideal.h"

namespace userstore::bench {
namespace {

// Debian's Abseil has its own absl::string_view (not std::string_view); its
// string maps look up by that type without building a std::string.
absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

absl::StatusOr<User> IdealStore::Create(const UserCreate& params) {
  if (absl::Status s = CheckIdentity(params.identity); !s.ok()) return s;
  if (params.attributes) {
    if (absl::Status s = CheckAttributes(*params.attributes); !s.ok()) return s;
  }
  std::string sid = MintSid("US");
  auto [id_it, inserted] = by_identity_.try_emplace(params.identity, sid);
  if (!inserted) return absl::AlreadyExistsError("User already exists");
  BaselineRecord record;
  record.sequence = ++next_sequence_;
  record.identity = params.identity;
  record.role_sid = ids_.default_role_sid;
  if (params.attributes) record.attributes = *params.attributes;
  if (params.friendly_name && !params.friendly_name->empty()) {
    record.friendly_name = params.friendly_name;
  }
  record.date_created = record.date_updated = NowSeconds();
  order_.emplace(record.sequence, sid);
  auto it = by_sid_.emplace(std::move(sid), std::move(record)).first;
  return ToUser(it->first, it->second, ids_);
}

std::string_view IdealStore::SidOf(std::string_view key) const {
  if (IsUserSid(key)) return key;
  auto id_it = by_identity_.find(Av(key));
  if (id_it == by_identity_.end()) return {};
  return id_it->second;
}

absl::StatusOr<User> IdealStore::Fetch(std::string_view key) const {
  auto it = by_sid_.find(Av(SidOf(key)));
  if (it == by_sid_.end()) return absl::NotFoundError("no such user");
  return ToUser(it->first, it->second, ids_);
}

absl::StatusOr<User> IdealStore::Update(std::string_view key, const UserUpdate& params) {
  if (params.attributes) {
    if (absl::Status s = CheckAttributes(*params.attributes); !s.ok()) return s;
  }
  auto it = by_sid_.find(Av(SidOf(key)));
  if (it == by_sid_.end()) return absl::NotFoundError("no such user");
  BaselineRecord& r = it->second;
  if (params.attributes) r.attributes = *params.attributes;
  if (params.friendly_name) {
    if (params.friendly_name->empty()) {
      r.friendly_name.reset();
    } else {
      r.friendly_name = params.friendly_name;
    }
  }
  r.date_updated = NowSeconds();
  return ToUser(it->first, r, ids_);
}

absl::Status IdealStore::Delete(std::string_view key) {
  auto it = by_sid_.find(Av(SidOf(key)));
  if (it == by_sid_.end()) return absl::NotFoundError("no such user");
  order_.erase({it->second.sequence, it->first});
  by_identity_.erase(it->second.identity);
  by_sid_.erase(it);
  return absl::OkStatus();
}

PageResult<IdealStore::Cursor> IdealStore::List(Cursor after, size_t limit) const {
  PageResult<Cursor> page;
  page.next = after;
  page.users.reserve(limit);
  for (auto it = order_.lower_bound({after + 1, std::string()}); it != order_.end(); ++it) {
    if (page.users.size() == limit) {
      page.has_next = true;
      break;
    }
    auto rec = by_sid_.find(it->second);
    page.users.push_back(ToUser(rec->first, rec->second, ids_));
    page.next = it->first;
  }
  return page;
}

}  // namespace userstore::bench
