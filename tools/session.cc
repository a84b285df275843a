#include "session.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "userstore/service.h"
#include "userstore/sid.h"

namespace userstore::cli {
namespace {

// The status of `status` with its message prefixed by `what`.
absl::Status Prefixed(const absl::Status& status, absl::string_view what) {
  return absl::Status(status.code(), absl::StrCat(what, ": ", status.message()));
}

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const CliOptions& options,
                                                 StoreOptions store_options,
                                                 RecoveryProgress* progress) {
  if (options.data_dir.empty()) return Store::Create(std::move(store_options));
  DurableOptions durable;
  durable.sync = options.sync;
  if (progress != nullptr) {
    durable.progress = [progress](uint64_t loaded, uint64_t total) {
      progress->Update(loaded, total);
    };
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open(options.data_dir, std::move(store_options), std::move(durable));
  if (progress != nullptr) {
    if (store.ok()) {
      progress->Finish(options.data_dir, absl::Now() - start);
    } else {
      progress->Abandon();
    }
  }
  if (!store.ok()) return Prefixed(store.status(), "--data-dir " + options.data_dir);
  return store;
}

}  // namespace

absl::Status NoRepeatedSids(const std::vector<std::string>& values, absl::string_view flag,
                            std::string_view prefix) {
  // canonical SID -> the value as first given
  absl::flat_hash_map<std::string, absl::string_view> seen;
  for (const std::string& value : values) {
    std::string canonical = CanonicalSid(value, prefix).value_or(value);
    auto [it, inserted] = seen.try_emplace(std::move(canonical), value);
    if (inserted) continue;
    if (it->second == value) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " ", value, ": given twice"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", value, ": given twice (as ", it->second,
                     "; a SID's hex digits are compared in either case)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Session> MakeSession(const CliOptions& options, RecoveryProgress* progress) {
  if (absl::Status s = NoRepeatedSids(options.services, "--service", "IS"); !s.ok()) {
    return s;
  }
  if (absl::Status s = NoRepeatedSids(options.roles, "--role", "RL"); !s.ok()) {
    return s;
  }
  StoreOptions store_options;
  store_options.account_sid = options.account_sid;
  if (options.base_url.has_value()) store_options.base_url = *options.base_url;
  absl::StatusOr<std::unique_ptr<Store>> store =
      OpenStore(options, std::move(store_options), progress);
  if (!store.ok()) return store.status();

  // A reopened durable store may hold the Services and roles already.
  const bool keep_existing = !options.data_dir.empty();
  auto tolerated = [keep_existing](const absl::Status& status) {
    return status.ok() || (keep_existing && status.code() == absl::StatusCode::kAlreadyExists);
  };
  Session session;
  session.store = *std::move(store);
  for (const std::string& service_sid : options.services) {
    ServiceCreate service;
    service.sid = service_sid;
    absl::StatusOr<Service> created = session.store->CreateService(service);
    if (!tolerated(created.status())) {
      return Prefixed(created.status(), "--service " + service_sid);
    }
    for (const std::string& role_sid : options.roles) {
      RoleCreate role;
      role.sid = role_sid;
      role.friendly_name = role_sid;
      role.type = RoleScope::kDeployment;
      absl::StatusOr<Role> added = session.store->AddRole(service_sid, role);
      if (!tolerated(added.status())) {
        return Prefixed(added.status(), "--role " + role_sid);
      }
    }
  }
  FacadeOptions facade_options;
  // Only on request: a mistyped Service SID in a write must not become a
  // Service (a durable one cannot be deleted).
  facade_options.auto_create_services = options.create_services;
  session.facade = std::make_unique<RestFacade>(session.store.get(), facade_options);
  return session;
}

}  // namespace userstore::cli
