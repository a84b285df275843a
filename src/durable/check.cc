#include "durable/check.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "durable/codec.h"
#include "durable/durable_store.h"
#include "durable/rocks_journal.h"
#include "rocksdb/env.h"
#include "store/store_impl.h"
#include "store/validate.h"
#include "userstore/attributes.h"
#include "userstore/error.h"

namespace userstore::internal::durable {
namespace {

// `text` quoted, with C escapes for bytes that are not printable ASCII.
std::string Printable(std::string_view text) {
  return "\"" + absl::CEscape(absl::string_view(text.data(), text.size())) + "\"";
}

// Limits wide enough that only the shape of a value is checked.
Limits ShapeOnly() {
  Limits l;
  l.max_identity_chars = std::numeric_limits<size_t>::max();
  l.max_friendly_name_chars = std::numeric_limits<size_t>::max();
  l.max_attributes_bytes = std::numeric_limits<size_t>::max();
  l.max_attributes_depth = std::numeric_limits<size_t>::max();
  return l;
}

class Problems {
 public:
  explicit Problems(CheckReport* report) : report_(report) {}
  void Add(std::string text) {
    if (report_->problems.size() < kMaxProblems) {
      report_->problems.push_back(std::move(text));
    } else {
      ++report_->more_problems;
    }
  }

 private:
  CheckReport* const report_;
};

StoreOptions OptionsFor(const Meta& meta) {
  StoreOptions options;
  options.account_sid = meta.account_sid;
  options.page_token_key = meta.page_token_key;
  return options;
}

bool SameUser(const User& a, const User& b) {
  return a.sid == b.sid && a.identity == b.identity && a.role_sid == b.role_sid &&
         a.attributes == b.attributes && a.friendly_name == b.friendly_name &&
         a.joined_channels_count == b.joined_channels_count &&
         a.date_created == b.date_created && a.date_updated == b.date_updated &&
         a.account_sid == b.account_sid && a.service_sid == b.service_sid;
}

// The rebuilt index agrees with itself and with the scan's counts.
void VerifyIndex(const StoreImpl& impl,
                 const absl::flat_hash_map<SidBytes, uint64_t>& users_per_service,
                 Problems* problems) {
  for (const ServiceState* service : impl.Services()) {
    const std::string& sid = service->sid();
    absl::flat_hash_set<std::string> seen;
    PageRequest request;
    request.page_size = 100;
    for (;;) {
      absl::StatusOr<Page> page = impl.ListUsers(sid, request);
      if (!page.ok()) {
        problems->Add("paging " + sid + " failed: " + std::string(page.status().message()));
        break;
      }
      for (const User& u : page->users) {
        if (!seen.insert(u.sid).second) problems->Add("paging " + sid + " returned " + u.sid + " twice");
        absl::StatusOr<User> by_sid = impl.FetchUser(sid, u.sid);
        absl::StatusOr<User> by_identity = impl.FetchUser(sid, u.identity);
        if (!by_sid.ok() || !by_identity.ok() || !SameUser(*by_sid, u) ||
            !SameUser(*by_identity, u)) {
          problems->Add("user " + u.sid + " of " + sid +
                        ": SID index, identity index and paging disagree");
        }
      }
      if (page->next_page_token.empty()) break;
      request.page_token = page->next_page_token;
      ++request.page;
    }
    auto it = users_per_service.find(*ParseSid(sid, "IS"));
    const uint64_t stored = it == users_per_service.end() ? 0 : it->second;
    if (seen.size() != stored || service->users().size() != stored) {
      problems->Add(absl::StrCat("Service ", sid, ": ", stored, " users stored, ",
                                 service->users().size(), " indexed, ", seen.size(),
                                 " returned by paging"));
    }
  }
}

}  // namespace

absl::StatusOr<CheckReport> CheckStore(std::string_view path) {
  CheckReport report;
  report.path = std::string(path);
  Problems problems(&report);
  RocksOpen how;
  how.read_only = true;
  // Asked, never taken: a check must not keep a Store from opening.
  report.in_use =
      DirectoryClaim::Held(report.path) || LockedByAnotherProcess(report.path);
  absl::StatusOr<StoreDb> db = OpenRocks(path, how);
  if (!db.ok()) {
    // A damaged store is what check is for: a report, not an error.
    if (db.status().code() != absl::StatusCode::kDataLoss) return db.status();
    problems.Add(std::string(db.status().message()));
    return report;
  }
  absl::StatusOr<std::optional<Meta>> meta_or = ReadMeta(db->get());
  if (!meta_or.ok()) {
    if (meta_or.status().code() != absl::StatusCode::kDataLoss) return meta_or.status();
    problems.Add(std::string(meta_or.status().message()));
    return report;
  }
  if (!meta_or->has_value()) {
    problems.Add("the store is empty: no metadata (m/format) at all");
    return report;
  }
  const Meta& meta = **meta_or;

  struct ServiceInfo {
    std::optional<Service> service;
    std::vector<Role> roles;  // in key (index) order
    absl::flat_hash_map<SidBytes, RoleScope> role_scope;
    absl::flat_hash_set<SidBytes> sids;
  };
  std::map<SidBytes, ServiceInfo> services;
  absl::flat_hash_map<SidBytes, uint64_t> users_per_service;
  std::vector<SidBytes> high_waters;
  const Limits shape = ShapeOnly();

  rocksdb::ReadOptions read;
  read.fill_cache = false;
  read.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it((*db)->NewIterator(read));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++report.keys;
    const std::string_view key = it->key().ToStringView();
    const std::string_view value = it->value().ToStringView();
    SidBytes service;
    uint64_t index;
    if (key.starts_with(kMetaPrefix)) {
      if (key != kMetaFormat && key != kMetaAccountSid && key != kMetaPageTokenKey) {
        problems.Add("unknown metadata key " + Printable(key));
      }
    } else if (key.starts_with(kHighWaterPrefix)) {
      uint64_t sequence;
      if (!ParseHighWaterKey(key, &service) || !DecodeSequence(value, &sequence)) {
        problems.Add("malformed sequence high water " + Printable(key));
      } else {
        high_waters.push_back(service);
      }
    } else if (key.starts_with(kRolePrefix)) {
      if (!ParseRoleKey(key, &service, &index)) {
        problems.Add("malformed role key " + Printable(key));
        continue;
      }
      ServiceInfo& info = services[service];
      absl::StatusOr<Role> role = DecodeRole(value, FormatSid("IS", service), meta.account_sid);
      if (!role.ok()) {
        problems.Add(std::string(role.status().message()));
        continue;
      }
      if (index != info.roles.size()) {
        problems.Add(absl::StrCat("role ", role->sid, " of ", FormatSid("IS", service),
                                  " has index ", index, ", expected ", info.roles.size()));
      }
      const SidBytes role_sid = *ParseSid(role->sid, "RL");
      if (!info.role_scope.emplace(role_sid, role->type).second) {
        problems.Add("role " + role->sid + " stored twice in " + FormatSid("IS", service));
      }
      info.roles.push_back(*std::move(role));
    } else if (key.starts_with(kServicePrefix)) {
      if (!ParseServiceKey(key, &service)) {
        problems.Add("malformed Service key " + Printable(key));
        continue;
      }
      absl::StatusOr<Service> s = DecodeService(value, service, meta.account_sid);
      if (!s.ok()) {
        problems.Add(std::string(s.status().message()));
        continue;
      }
      if (s->date_updated < s->date_created) {
        problems.Add("Service " + s->sid + " was updated before it was created");
      }
      services[service].service = *std::move(s);
    } else if (key.starts_with(kUserPrefix)) {
      uint64_t sequence;
      if (!ParseUserRecordKey(key, &service, &sequence)) {
        problems.Add("malformed user key " + Printable(key));
        continue;
      }
      ++report.users;
      ++users_per_service[service];
      absl::StatusOr<UserRecord::Ptr> record = DecodeUser(value, sequence);
      if (!record.ok()) {
        problems.Add(std::string(record.status().message()) + " of " + FormatSid("IS", service));
        continue;
      }
      const UserRecord& r = **record;
      const std::string name = FormatSid("US", r.sid) + " of " + FormatSid("IS", service);
      auto info = services.find(service);
      if (info == services.end() || !info->second.service) {
        problems.Add("user " + name + ": unknown Service");
        continue;
      }
      if (absl::Status s = ValidateIdentity(r.identity(), shape); !s.ok()) {
        problems.Add("user " + name + ": bad identity " + Printable(r.identity()) + ": " +
                     std::string(s.message()));
      }
      if (r.friendly_name()) {
        absl::Status s = ValidateFriendlyName(*r.friendly_name(), shape);
        if (!s.ok() || r.friendly_name()->empty()) {
          problems.Add("user " + name + ": bad friendly_name " + Printable(*r.friendly_name()));
        }
      }
      if (!r.attributes().empty()) {
        if (absl::Status s = ValidateAttributes(r.attributes(), shape); !s.ok()) {
          problems.Add("user " + name + ": attributes are not a JSON object");
        }
      }
      auto role = info->second.role_scope.find(r.role_sid);
      if (role == info->second.role_scope.end()) {
        problems.Add("user " + name + ": unknown role " + FormatSid("RL", r.role_sid));
      } else if (role->second != RoleScope::kDeployment) {
        problems.Add("user " + name + ": channel-scope role " + FormatSid("RL", r.role_sid));
      }
      if (r.date_updated < r.date_created) problems.Add("user " + name + ": updated before created");
      if (r.joined_channels_count < 0) problems.Add("user " + name + ": negative joined_channels_count");
      if (r.sequence == 0) problems.Add("user " + name + ": sequence 0");
      if (!info->second.sids.insert(r.sid).second) {
        problems.Add("user " + name + ": SID stored twice");
      }
    } else {
      problems.Add("unknown key " + Printable(key));
    }
  }
  USERSTORE_RETURN_IF_ERROR(FromRocks(it->status(), "reading " + report.path));
  it.reset();

  for (const SidBytes& sid : high_waters) {
    if (!services.contains(sid)) {
      problems.Add("sequence high water of unknown Service " + FormatSid("IS", sid));
    }
  }
  for (auto& entry : services) {
    ServiceInfo& info = entry.second;  // (not a structured binding: a lambda uses it)
    const std::string name = FormatSid("IS", entry.first);
    if (!info.service) {
      problems.Add(absl::StrCat(info.roles.size(), " roles of unknown Service ", name));
      continue;
    }
    ++report.services;
    report.roles += info.roles.size();
    auto expect_scope = [&](const std::string& role, RoleScope scope, const char* what) {
      std::optional<SidBytes> bytes = ParseSid(role, "RL");
      auto found = bytes ? info.role_scope.find(*bytes) : info.role_scope.end();
      if (found == info.role_scope.end()) {
        problems.Add("Service " + name + ": " + what + " " + role + " is not one of its roles");
      } else if (found->second != scope) {
        problems.Add("Service " + name + ": " + what + " " + role + " has the wrong scope");
      }
    };
    expect_scope(info.service->default_service_role_sid, RoleScope::kDeployment,
                 "default_service_role_sid");
    expect_scope(info.service->default_channel_role_sid, RoleScope::kChannel,
                 "default_channel_role_sid");
    expect_scope(info.service->default_channel_creator_role_sid, RoleScope::kChannel,
                 "default_channel_creator_role_sid");
  }

  if (!report.ok()) {
    problems.Add("index rebuild skipped: fix the problems above first");
    return report;
  }
  StoreImpl impl(OptionsFor(meta));
  absl::StatusOr<LoadResult> loaded = Load(db->get(), meta, &impl, nullptr);
  if (!loaded.ok()) {
    problems.Add("rebuilding the index failed: " + std::string(loaded.status().message()));
    return report;
  }
  VerifyIndex(impl, users_per_service, &problems);
  // Not damage to the data: reported after the data's own checks.
  if (std::string open = OpenToOthers(report.path); !open.empty()) {
    problems.Add(open + ": readable by other users (the next Store::Open makes it private)");
  }
  return report;
}

std::string FormatCheckReport(const CheckReport& report) {
  std::string out = absl::StrFormat(
      "%s: %s (%d services, %d roles, %d users, %d keys)%s\n", report.path,
      report.ok() ? "OK" : absl::StrCat(report.problems.size() + report.more_problems,
                                        " problem(s)"),
      report.services, report.roles, report.users, report.keys,
      report.in_use ? "; in use by a Store: checked the state at the moment of opening" : "");
  for (const std::string& p : report.problems) absl::StrAppend(&out, "  ", p, "\n");
  if (report.more_problems > 0) {
    absl::StrAppend(&out, "  ... and ", report.more_problems, " more\n");
  }
  return out;
}

absl::StatusOr<StoreStats> ComputeStats(std::string_view path) {
  StoreStats stats;
  stats.path = std::string(path);
  RocksOpen how;
  how.read_only = true;
  USERSTORE_ASSIGN_OR_RETURN(StoreDb db, OpenRocks(path, how));
  USERSTORE_ASSIGN_OR_RETURN(std::optional<Meta> meta, ReadMeta(db.get()));
  if (meta) {
    stats.account_sid = meta->account_sid;
    stats.format_version = kFormatVersion;
  }
  std::map<SidBytes, ServiceStats> services;
  auto corrupt = [](std::string_view key) {
    return TwilioError(absl::StatusCode::kDataLoss, 500, twilio_code::kInternal,
                       "userstore data is corrupt: bad key or value " + Printable(key) +
                           " (run check)");
  };
  rocksdb::ReadOptions read;
  read.fill_cache = false;
  read.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    const std::string_view value = it->value().ToStringView();
    stats.live_bytes += key.size() + value.size();
    SidBytes service;
    uint64_t index;
    uint64_t sequence;
    if (ParseUserRecordKey(key, &service, &sequence)) {
      if (value.empty() || static_cast<uint8_t>(value[0]) != kValueVersion) return corrupt(key);
      ServiceStats& s = services[service];
      ++s.users;
      s.user_bytes += key.size() + value.size();
      s.max_sequence = std::max(s.max_sequence, sequence);
      ++stats.users;
    } else if (ParseRoleKey(key, &service, &index)) {
      ++services[service].roles;
    } else if (ParseHighWaterKey(key, &service)) {
      if (!DecodeSequence(value, &sequence)) return corrupt(key);
      ServiceStats& s = services[service];
      s.max_sequence = std::max(s.max_sequence, sequence);
    } else if (ParseServiceKey(key, &service)) {
      absl::StatusOr<Service> decoded = DecodeService(value, service, stats.account_sid);
      if (!decoded.ok()) return decoded.status();
      ServiceStats& s = services[service];
      s.sid = decoded->sid;
      s.friendly_name = decoded->friendly_name;
      s.reachability_enabled = decoded->reachability_enabled;
    }
  }
  USERSTORE_RETURN_IF_ERROR(FromRocks(it->status(), "reading " + stats.path));
  for (auto& [sid, s] : services) {
    if (s.sid.empty()) s.sid = FormatSid("IS", sid);  // (check reports the orphan)
    stats.services.push_back(std::move(s));
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(stats.path, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    const uint64_t size = entry.file_size(ec);
    stats.disk_bytes += size;
    const std::string ext = entry.path().extension().string();
    if (ext == ".sst") stats.sst_bytes += size;
    if (ext == ".log") stats.wal_bytes += size;
  }
  return stats;
}

std::string FormatStats(const StoreStats& stats) {
  std::string out = absl::StrFormat(
      "%s: format %d, account %s\n"
      "  %d services, %d users; %d bytes of keys and values\n"
      "  on disk: %d bytes (%d in sorted tables, %d in write-ahead logs)\n",
      stats.path, stats.format_version, stats.account_sid, stats.services.size(), stats.users,
      stats.live_bytes, stats.disk_bytes, stats.sst_bytes, stats.wal_bytes);
  for (const ServiceStats& s : stats.services) {
    absl::StrAppendFormat(&out,
                          "  %s %s: %d users (%d bytes), %d roles, reachability %s, "
                          "last sequence %d\n",
                          s.sid, Printable(s.friendly_name), s.users, s.user_bytes,
                          s.roles, s.reachability_enabled ? "on" : "off", s.max_sequence);
  }
  return out;
}

}  // namespace userstore::internal::durable
