#include "bench/baseline_ideal.h"

namespace userstore::bench {

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
  User user;
  if (absl::Status s = FetchInto(key, &user); !s.ok()) return s;
  return user;
}

absl::Status IdealStore::FetchInto(std::string_view key, User* out) const {
  auto it = by_sid_.find(Av(SidOf(key)));
  if (it == by_sid_.end()) return absl::NotFoundError("no such user");
  CopyToUser(it->first, it->second, ids_, out);
  return absl::OkStatus();
}

absl::StatusOr<User> IdealStore::Update(std::string_view key, const UserUpdate& params) {
  User user;
  if (absl::Status s = UpdateInto(key, params, &user); !s.ok()) return s;
  return user;
}

absl::Status IdealStore::UpdateInto(std::string_view key, const UserUpdate& params, User* out) {
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
  if (out != nullptr) CopyToUser(it->first, r, ids_, out);
  return absl::OkStatus();
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

size_t IdealStore::ListInto(Cursor after, size_t limit, PageBuffer* out) const {
  out->next = after;
  out->has_next = false;
  size_t k = 0;
  for (auto it = order_.lower_bound({after + 1, std::string()}); it != order_.end(); ++it) {
    if (k == limit) {
      out->has_next = true;
      break;
    }
    auto rec = by_sid_.find(it->second);
    if (k == out->users.size()) out->users.emplace_back();
    CopyToUser(rec->first, rec->second, ids_, &out->users[k++]);
    out->next = it->first;
  }
  out->users.resize(k);
  return k;
}

}  // namespace userstore::bench
