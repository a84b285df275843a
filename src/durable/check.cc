#include "durable/check.h"

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "durable/binding_codec.h"
#include "durable/codec.h"
#include "durable/meta.h"
#include "durable/recovery.h"
#include "durable/rocks_journal.h"
#include "rocksdb/env.h"
#include "store/configuration_check.h"
#include "store/store_impl.h"
#include "store/validate.h"
#include "userstore/attributes.h"
#include "userstore/error.h"

namespace userstore::internal::durable {
namespace {

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
         a.joined_channels_count == b.joined_channels_count && a.date_created == b.date_created &&
         a.date_updated == b.date_updated && a.account_sid == b.account_sid &&
         a.service_sid == b.service_sid;
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
    Page page;  // reused: the walk copies each user once, allocating little
    User by_sid;
    User by_identity;
    for (;;) {
      if (absl::Status s = impl.ListUsers(sid, request, &page); !s.ok()) {
        problems->Add("paging " + sid + " failed: " + std::string(s.message()));
        break;
      }
      for (const User& u : page.users) {
        if (!seen.insert(u.sid).second)
          problems->Add("paging " + sid + " returned " + u.sid + " twice");
        if (!impl.FetchUser(sid, u.sid, &by_sid).ok() ||
            !impl.FetchUser(sid, u.identity, &by_identity).ok() || !SameUser(by_sid, u) ||
            !SameUser(by_identity, u)) {
          problems->Add("user " + u.sid + " of " + sid +
                        ": SID index, identity index and paging disagree");
        }
      }
      if (page.next_page_token.empty()) break;
      request.page_token = page.next_page_token;
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

// One run of CheckStore: the report it fills, and what the scan of the
// keys learnt for the checks that need every key first.
class Checker {
 public:
  explicit Checker(std::string_view path) : problems_(&report_) {
    report_.path = std::string(path);
  }

  absl::StatusOr<CheckReport> Run() {
    // Asked, never taken: a check must not keep a Store from opening.
    report_.in_use = DirectoryClaim::InUse(report_.path);
    RocksOpen how;
    how.read_only = true;
    absl::StatusOr<StoreDb> db = OpenRocks(report_.path, how);
    // A damaged store is what check is for: a report, not an error.
    if (!db.ok()) return Report(db.status());
    absl::StatusOr<std::optional<Meta>> meta = ReadMeta(db->get());
    if (!meta.ok()) return Report(meta.status());
    if (!meta->has_value()) {
      problems_.Add("the store is empty: no metadata (m/format) at all");
      return report_;
    }
    meta_ = **meta;
    // A corrupt block found while reading is damage too.
    if (absl::Status s = ScanKeys(db->get()); !s.ok()) return Report(s);
    CheckServices();
    if (report_.ok()) {
      RebuildAndVerify(db->get());
    } else {
      problems_.Add("index rebuild skipped: fix the problems above first");
    }
    CheckMode();
    return report_;
  }

 private:
  struct ServiceInfo {
    std::optional<Service> service;
    std::vector<Role> roles;  // in key (index) order
    absl::flat_hash_map<SidBytes, RoleScope> role_scope;
    absl::flat_hash_set<SidBytes> sids;
  };

  // kDataLoss becomes a problem of the report; anything else stays an error.
  absl::StatusOr<CheckReport> Report(const absl::Status& status) {
    if (status.code() != absl::StatusCode::kDataLoss) return status;
    problems_.Add(std::string(status.message()));
    return report_;
  }

  absl::Status ScanKeys(rocksdb::DB* db) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ScanOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++report_.keys;
      CheckKey(it->key().ToStringView(), it->value().ToStringView());
    }
    return FromRocks(it->status(), "reading " + report_.path);
  }

  void CheckKey(std::string_view key, std::string_view value) {
    if (key.starts_with(kMetaPrefix)) {
      if (key != kMetaFormat && key != kMetaAccountSid && key != kMetaPageTokenKey) {
        problems_.Add("unknown metadata key " + Quoted(key));
      }
    } else if (key.starts_with(kHighWaterPrefix)) {
      CheckHighWater(key, value);
    } else if (key.starts_with(kDeletedPrefix)) {
      CheckDeleted(key, value);
    } else if (key.starts_with(kRolePrefix)) {
      CheckRole(key, value);
    } else if (key.starts_with(kServicePrefix)) {
      CheckService(key, value);
    } else if (key.starts_with(kUserPrefix)) {
      CheckUser(key, value);
    } else if (key.starts_with(kEventPrefix)) {
      CheckEvent(key, value);
    } else if (key.starts_with(kConfigurationPrefix)) {
      CheckConfiguration(key, value);
    } else if (key.starts_with(kIndexedAttributePrefix)) {
      SidBytes service;
      std::string attribute;
      if (!ParseIndexedAttributeKey(key, &service) || !DecodeIndexedAttribute(value, &attribute)) {
        problems_.Add("malformed indexed attribute " + Quoted(key));
      }
    } else if (key.starts_with(kBindingPrefix) || key.starts_with(kDeletedBindingPrefix) ||
               key.starts_with(kNotifiedPrefix)) {
      CheckBindingKey(key, value);
    } else if (key.starts_with(kFeedPrefix)) {
      SidBytes service;
      FeedMark mark;
      if (!ParseFeedKey(key, &service) || !DecodeFeedMark(value, &mark)) {
        problems_.Add("malformed feed marks " + Quoted(key));
      } else {
        feed_services_.insert(service);
      }
    } else {
      problems_.Add("unknown key " + Quoted(key));
    }
  }

  // c/configuration: decodes, and holds what UpdateConfiguration accepts
  // (its chat Service is looked up in CheckServices, once every key is read).
  void CheckConfiguration(std::string_view key, std::string_view value) {
    Configuration configuration;
    uint64_t revision = 0;
    if (key != kConfigurationKey) {
      problems_.Add("unknown key " + Quoted(key));
    } else if (absl::Status s = DecodeConfiguration(value, &configuration, &revision); !s.ok()) {
      problems_.Add(std::string(s.message()));
    } else if (absl::Status v = ValidateConfiguration(configuration); !v.ok()) {
      problems_.Add("Configuration: " + std::string(v.message()));
    } else if (std::optional<SidBytes> chat =
                   ParseSid(configuration.default_chat_service_sid, "IS")) {
      configuration_service_ = *chat;
    }
  }

  // b/, g/ and n/ (durable/binding_codec.h): their shape now; their users
  // once every key is read (CheckBindings).
  void CheckBindingKey(std::string_view key, std::string_view value) {
    SidBytes service;
    SidBytes sid;
    uint64_t sequence;
    if (ParseBindingKey(key, &service, &sequence) && sequence > 0) {
      absl::StatusOr<BindingRecord> binding = DecodeBinding(value, sequence);
      if (!binding.ok()) {
        problems_.Add(FormatSid("IS", service) + ": " + std::string(binding.status().message()));
      } else {
        if (binding->date_updated < binding->date_created) {
          problems_.Add("Binding " + FormatSid("BS", binding->sid) +
                        " was updated before it was created");
        }
        bindings_.emplace_back(service, *std::move(binding));
      }
    } else if (ParseDeletedBindingKey(key, &service, &sid) && DecodeDeleted(value)) {
      deleted_bindings_.emplace_back(service, sid);
    } else if (ParseNotifiedKey(key, &service, &sid) && DecodeDeleted(value)) {
      notified_.emplace_back(service, sid);
    } else {
      problems_.Add("malformed push Binding key " + Quoted(key));
    }
  }

  // Every Binding and mark belongs to a stored user of a known Service; a
  // Binding SID is live once and never also deleted; a user holds one
  // Binding per type and endpoint, and no mark while it holds one.
  void CheckBindings() {
    absl::flat_hash_set<std::pair<SidBytes, SidBytes>> live;     // Service, BS
    absl::flat_hash_set<std::pair<SidBytes, SidBytes>> holders;  // Service, US
    absl::flat_hash_set<std::string> keys;                       // Service, user, type, endpoint
    for (const auto& [service, b] : bindings_) {
      const std::string name = FormatSid("BS", b.sid) + " of " + FormatSid("IS", service);
      auto info = services_.find(service);
      if (info == services_.end() || !info->second.service) {
        problems_.Add("Binding " + name + ": unknown Service");
        continue;
      }
      if (!info->second.sids.contains(b.user)) {
        problems_.Add("Binding " + name + ": its user " + FormatSid("US", b.user) +
                      " does not exist (the next writable open drops it)");
      }
      if (!live.emplace(service, b.sid).second) problems_.Add("Binding " + name + " stored twice");
      holders.emplace(service, b.user);
      std::string key(reinterpret_cast<const char*>(service.bytes.data()), 16);
      key.append(reinterpret_cast<const char*>(b.user.bytes.data()), 16);
      key.push_back(static_cast<char>(b.type));
      key.append(b.endpoint);
      if (!keys.insert(std::move(key)).second) {
        problems_.Add("Binding " + name + ": its user holds another of that type and endpoint");
      }
    }
    for (const auto& [service, sid] : deleted_bindings_) {
      if (!services_.contains(service)) {
        problems_.Add("deleted Binding SID " + FormatSid("BS", sid) + " of unknown Service " +
                      FormatSid("IS", service));
      } else if (live.contains(std::make_pair(service, sid))) {
        problems_.Add("Binding " + FormatSid("BS", sid) + " of " + FormatSid("IS", service) +
                      " holds the SID of a deleted Binding");
      }
    }
    for (const auto& [service, user] : notified_) {
      auto info = services_.find(service);
      const std::string name = FormatSid("US", user) + " of " + FormatSid("IS", service);
      if (info == services_.end() || !info->second.sids.contains(user)) {
        problems_.Add("notifiable mark of " + name +
                      ": no such user (the next writable open drops it)");
      } else if (holders.contains(std::make_pair(service, user))) {
        problems_.Add("notifiable mark of " + name + ", which holds Bindings");
      }
    }
  }

  void CheckHighWater(std::string_view key, std::string_view value) {
    SidBytes service;
    uint64_t sequence;
    if (!ParseHighWaterKey(key, &service) || !DecodeSequence(value, &sequence)) {
      problems_.Add("malformed sequence high water " + Quoted(key));
    } else {
      high_waters_.push_back(service);
    }
  }

  void CheckDeleted(std::string_view key, std::string_view value) {
    SidBytes service;
    SidBytes user;
    if (!ParseDeletedKey(key, &service, &user) || !DecodeDeleted(value)) {
      problems_.Add("malformed deleted user SID " + Quoted(key));
    } else {
      ++report_.deleted_sids;
      deleted_.emplace_back(service, user);
    }
  }

  void CheckEvent(std::string_view key, std::string_view value) {
    SidBytes service;
    uint64_t sequence;
    FeedEvent event;
    if (!ParseEventKey(key, &service, &sequence) || sequence == 0) {
      problems_.Add("malformed event key " + Quoted(key));
    } else if (absl::Status s = DecodeEvent(value, sequence, &event); !s.ok()) {
      problems_.Add(FormatSid("IS", service) + ": " + std::string(s.message()));
    } else {
      feed_services_.insert(service);
    }
  }

  void CheckRole(std::string_view key, std::string_view value) {
    SidBytes service;
    uint64_t index;
    if (!ParseRoleKey(key, &service, &index)) {
      problems_.Add("malformed role key " + Quoted(key));
      return;
    }
    ServiceInfo& info = services_[service];
    absl::StatusOr<Role> role = DecodeRole(value, FormatSid("IS", service), meta_.account_sid);
    if (!role.ok()) {
      problems_.Add(std::string(role.status().message()));
      return;
    }
    if (index != info.roles.size()) {
      problems_.Add(absl::StrCat("role ", role->sid, " of ", FormatSid("IS", service),
                                 " has index ", index, ", expected ", info.roles.size()));
    }
    if (!info.role_scope.emplace(*ParseSid(role->sid, "RL"), role->type).second) {
      problems_.Add("role " + role->sid + " stored twice in " + FormatSid("IS", service));
    }
    info.roles.push_back(*std::move(role));
  }

  void CheckService(std::string_view key, std::string_view value) {
    SidBytes service;
    if (!ParseServiceKey(key, &service)) {
      problems_.Add("malformed Service key " + Quoted(key));
      return;
    }
    absl::StatusOr<Service> decoded = DecodeService(value, service, meta_.account_sid);
    if (!decoded.ok()) {
      problems_.Add(std::string(decoded.status().message()));
      return;
    }
    if (decoded->date_updated < decoded->date_created) {
      problems_.Add("Service " + decoded->sid + " was updated before it was created");
    }
    services_[service].service = *std::move(decoded);
  }

  void CheckUser(std::string_view key, std::string_view value) {
    SidBytes service;
    uint64_t sequence;
    if (!ParseUserRecordKey(key, &service, &sequence)) {
      problems_.Add("malformed user key " + Quoted(key));
      return;
    }
    ++report_.users;
    ++users_per_service_[service];
    absl::StatusOr<UserRecord::Ptr> record = DecodeUser(value, sequence);
    if (!record.ok()) {
      problems_.Add(std::string(record.status().message()) + " of " + FormatSid("IS", service));
      return;
    }
    auto info = services_.find(service);
    const std::string name = FormatSid("US", (*record)->sid) + " of " + FormatSid("IS", service);
    if (info == services_.end() || !info->second.service) {
      problems_.Add("user " + name + ": unknown Service");
      return;
    }
    CheckUserFields(**record, name, &info->second);
  }

  void CheckUserFields(const UserRecord& r, const std::string& name, ServiceInfo* info) {
    if (absl::Status s = ValidateIdentity(r.identity(), shape_); !s.ok()) {
      problems_.Add("user " + name + ": bad identity " + Quoted(r.identity()) + ": " +
                    std::string(s.message()));
    }
    if (r.friendly_name() &&
        (r.friendly_name()->empty() || !ValidateFriendlyName(*r.friendly_name(), shape_).ok())) {
      problems_.Add("user " + name + ": bad friendly_name " + Quoted(*r.friendly_name()));
    }
    if (!r.attributes().empty() && !ValidateAttributes(r.attributes(), shape_).ok()) {
      problems_.Add("user " + name + ": attributes are not a JSON object");
    }
    auto role = info->role_scope.find(r.role_sid);
    if (role == info->role_scope.end()) {
      problems_.Add("user " + name + ": unknown role " + FormatSid("RL", r.role_sid));
    } else if (role->second != RoleScope::kDeployment) {
      problems_.Add("user " + name + ": channel-scope role " + FormatSid("RL", r.role_sid));
    }
    if (r.date_updated < r.date_created) problems_.Add("user " + name + ": updated before created");
    if (r.joined_channels_count < 0) {
      problems_.Add("user " + name + ": negative joined_channels_count");
    }
    if (r.sequence == 0) problems_.Add("user " + name + ": sequence 0");
    // A revision starts at the creation sequence and only grows (a version-1
    // value reads with revision = sequence).
    if (r.revision < r.sequence) problems_.Add("user " + name + ": revision below its sequence");
    if (!info->sids.insert(r.sid).second) problems_.Add("user " + name + ": SID stored twice");
  }

  // What needs every key: high waters and roles of known Services, and each
  // Service's default roles among its roles with the right scope.
  void CheckServices() {
    if (configuration_service_) {
      auto it = services_.find(*configuration_service_);
      if (it == services_.end() || !it->second.service) {
        problems_.Add("Configuration: default_chat_service_sid names unknown Service " +
                      FormatSid("IS", *configuration_service_));
      }
    }
    for (const SidBytes& sid : high_waters_) {
      if (!services_.contains(sid)) {
        problems_.Add("sequence high water of unknown Service " + FormatSid("IS", sid));
      }
    }
    for (const SidBytes& sid : feed_services_) {
      if (!services_.contains(sid)) {
        problems_.Add("change-feed events of unknown Service " + FormatSid("IS", sid));
      }
    }
    for (const auto& [service, user] : deleted_) {
      auto info = services_.find(service);
      if (info == services_.end()) {
        problems_.Add("deleted user SID " + FormatSid("US", user) + " of unknown Service " +
                      FormatSid("IS", service));
      } else if (info->second.sids.contains(user)) {
        problems_.Add("user " + FormatSid("US", user) + " of " + FormatSid("IS", service) +
                      " holds the SID of a deleted user");
      }
    }
    CheckBindings();
    for (const auto& [sid, info] : services_) {
      const std::string name = FormatSid("IS", sid);
      if (!info.service) {
        problems_.Add(absl::StrCat(info.roles.size(), " roles of unknown Service ", name));
        continue;
      }
      ++report_.services;
      report_.roles += info.roles.size();
      CheckDefaultRole(info, name, info.service->default_service_role_sid, RoleScope::kDeployment,
                       "default_service_role_sid");
      CheckDefaultRole(info, name, info.service->default_channel_role_sid, RoleScope::kChannel,
                       "default_channel_role_sid");
      CheckDefaultRole(info, name, info.service->default_channel_creator_role_sid,
                       RoleScope::kChannel, "default_channel_creator_role_sid");
    }
  }

  void CheckDefaultRole(const ServiceInfo& info, const std::string& name, const std::string& role,
                        RoleScope scope, const char* what) {
    std::optional<SidBytes> bytes = ParseSid(role, "RL");
    auto found = bytes ? info.role_scope.find(*bytes) : info.role_scope.end();
    if (found == info.role_scope.end()) {
      problems_.Add("Service " + name + ": " + what + " " + role + " is not one of its roles");
    } else if (found->second != scope) {
      problems_.Add("Service " + name + ": " + what + " " + role + " has the wrong scope");
    }
  }

  // Rebuilds the index as Store::Open does and checks it against the scan.
  void RebuildAndVerify(rocksdb::DB* db) {
    absl::StatusOr<StoreOptions> options = CheckStoreOptions(OptionsFor(meta_));
    if (!options.ok()) {
      problems_.Add("the store's metadata is not valid: " +
                    std::string(options.status().message()));
      return;
    }
    StoreImpl impl(*std::move(options));
    absl::StatusOr<LoadResult> loaded = Load(db, meta_, &impl, nullptr, /*writable=*/false);
    if (!loaded.ok()) {
      problems_.Add("rebuilding the index failed: " + std::string(loaded.status().message()));
      return;
    }
    VerifyIndex(impl, users_per_service_, &problems_);
  }

  // Not damage to the data: reported after the data's own checks.
  void CheckMode() {
    if (std::string open = OpenToOthers(report_.path); !open.empty()) {
      problems_.Add(open + ": readable by other users (the next Store::Open makes it private)");
    }
  }

  const Limits shape_ = ShapeOnly();  // the same for every user
  CheckReport report_;
  Problems problems_;
  Meta meta_;
  std::map<SidBytes, ServiceInfo> services_;
  absl::flat_hash_map<SidBytes, uint64_t> users_per_service_;
  std::vector<SidBytes> high_waters_;
  std::vector<std::pair<SidBytes, SidBytes>> deleted_;           // d/ keys: Service, user SID
  absl::flat_hash_set<SidBytes> feed_services_;                  // Services of e/ and f/ keys
  std::vector<std::pair<SidBytes, BindingRecord>> bindings_;     // b/ keys: Service, Binding
  std::vector<std::pair<SidBytes, SidBytes>> deleted_bindings_;  // g/ keys: Service, BS
  std::vector<std::pair<SidBytes, SidBytes>> notified_;          // n/ keys: Service, US
  std::optional<SidBytes> configuration_service_;                // c/configuration's chat Service
};

}  // namespace

}  // namespace userstore::internal::durable

namespace userstore {

absl::StatusOr<CheckReport> CheckStore(std::string_view path) {
  return internal::durable::Checker(path).Run();
}

std::string FormatCheckReport(const CheckReport& report) {
  std::string out = absl::StrFormat(
      "%s: %s (%d services, %d roles, %d users, %d keys)%s\n", report.path,
      report.ok() ? "OK"
                  : absl::StrCat(report.problems.size() + report.more_problems, " problem(s)"),
      report.services, report.roles, report.users, report.keys,
      report.in_use ? "; in use by a Store: checked the state at the moment of opening" : "");
  for (const std::string& p : report.problems) absl::StrAppend(&out, "  ", p, "\n");
  if (report.more_problems > 0) {
    absl::StrAppend(&out, "  ... and ", report.more_problems, " more\n");
  }
  return out;
}

}  // namespace userstore
