#include "bench/baseline_typical.h"

#include <mutex>

namespace userstore::bench {

absl::StatusOr<User> TypicalStore::Create(const UserCreate& params) {
  if (absl::Status s = CheckIdentity(params.identity); !s.ok()) return s;
  if (params.attributes) {
    if (absl::Status s = CheckAttributes(*params.attributes); !s.ok()) return s;
  }
  std::string sid = MintSid("US");
  BaselineRecord record;
  record.identity = params.identity;
  record.role_sid = ids_.default_role_sid;
  if (params.attributes) record.attributes = *params.attributes;
  if (params.friendly_name && !params.friendly_name->empty()) {
    record.friendly_name = params.friendly_name;
  }
  record.date_created = record.date_updated = NowSeconds();
  std::unique_lock lock(mu_);
  if (!by_identity_.try_emplace(params.identity, sid).second) {
    return absl::AlreadyExistsError("User already exists");
  }
  record.sequence = ++next_sequence_;
  order_.emplace(record.sequence, sid);
  auto it = by_sid_.emplace(std::move(sid), std::move(record)).first;
  return ToUser(it->first, it->second, ids_);
}

std::string TypicalStore::SidOf(std::string_view key) const {
  if (IsUserSid(key)) return std::string(key);
  auto it = by_identity_.find(std::string(key));
  return it == by_identity_.end() ? std::string() : it->second;
}

absl::StatusOr<User> TypicalStore::Fetch(std::string_view key) const {
  std::shared_lock lock(mu_);
  auto it = by_sid_.find(SidOf(key));
  if (it == by_sid_.end()) return absl::NotFoundError("no such user");
  return ToUser(it->first, it->second, ids_);
}

absl::StatusOr<User> TypicalStore::Update(std::string_view key, const UserUpdate& params) {
  if (params.attributes) {
    if (absl::Status s = CheckAttributes(*params.attributes); !s.ok()) return s;
  }
  const int64_t now = NowSeconds();
  std::unique_lock lock(mu_);
  auto it = by_sid_.find(SidOf(key));
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
  r.date_updated = now;
  return ToUser(it->first, r, ids_);
}

absl::Status TypicalStore::Delete(std::string_view key) {
  std::unique_lock lock(mu_);
  auto it = by_sid_.find(SidOf(key));
  if (it == by_sid_.end()) return absl::NotFoundError("no such user");
  order_.erase({it->second.sequence, it->first});
  by_identity_.erase(it->second.identity);
  by_sid_.erase(it);
  return absl::OkStatus();
}

PageResult<TypicalStore::Cursor> TypicalStore::List(Cursor after, size_t limit) const {
  PageResult<Cursor> page;
  page.next = after;
  page.users.reserve(limit);
  std::shared_lock lock(mu_);
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
