#include "session.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
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
  if (!options.postgres.empty()) {
    const absl::Time start = absl::Now();
    absl::StatusOr<std::unique_ptr<Store>> store =
        OpenSharedStore(options, std::move(store_options));
    if (store.ok() && progress != nullptr) {
      uint64_t users = 0;
      for (const Service& service : (*store)->ListServices()) {
        users += (*store)->CountUsers(service.sid).value_or(0);
      }
      progress->Update(users, users);
      progress->Finish(StoreName(options), absl::Now() - start);
    }
    return store;
  }
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

// The end of a key=value connection string's value that starts at `i`
// (quoted: '...' with backslash escapes; else up to white space).
size_t ValueEnd(std::string_view text, size_t i) {
  if (i < text.size() && text[i] == '\'') {
    for (++i; i < text.size(); ++i) {
      if (text[i] == '\\') {
        ++i;
      } else if (text[i] == '\'') {
        return i + 1;
      }
    }
    return text.size();
  }
  while (i < text.size() && !absl::ascii_isspace(static_cast<unsigned char>(text[i]))) ++i;
  return i;
}

std::string RedactUri(std::string_view uri, size_t scheme_end) {
  std::string out(uri);
  // Authority: up to the first '/', '?' or '#' after "://".
  const size_t start = scheme_end + 3;
  size_t end = out.find_first_of("/?#", start);
  if (end == std::string::npos) end = out.size();
  const size_t at = out.rfind('@', end);
  if (at != std::string::npos && at >= start) {
    const size_t colon = out.find(':', start);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  // password=... in the query.
  for (size_t pos = out.find('?'); pos != std::string::npos; pos = out.find('&', pos + 1)) {
    if (out.compare(pos + 1, 9, "password=") == 0) {
      const size_t value = pos + 10;
      size_t value_end = out.find_first_of("&#", value);
      if (value_end == std::string::npos) value_end = out.size();
      out.replace(value, value_end - value, "***");
    }
  }
  return out;
}

}  // namespace

std::string RedactConninfo(std::string_view conninfo) {
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (conninfo.starts_with(scheme)) return RedactUri(conninfo, scheme.size() - 3);
  }
  std::string out;
  size_t i = 0;
  while (i < conninfo.size()) {
    if (absl::ascii_isspace(static_cast<unsigned char>(conninfo[i]))) {
      out.push_back(conninfo[i++]);
      continue;
    }
    // A keyword, optional spaces, '=', optional spaces, a value.
    size_t key_end = i;
    while (key_end < conninfo.size() && conninfo[key_end] != '=' &&
           !absl::ascii_isspace(static_cast<unsigned char>(conninfo[key_end]))) {
      ++key_end;
    }
    size_t eq = key_end;
    while (eq < conninfo.size() && absl::ascii_isspace(static_cast<unsigned char>(conninfo[eq]))) {
      ++eq;
    }
    if (eq >= conninfo.size() || conninfo[eq] != '=') {  // not key=value: keep as it is
      out.append(conninfo.substr(i, eq - i));
      i = eq;
      continue;
    }
    size_t value = eq + 1;
    while (value < conninfo.size() &&
           absl::ascii_isspace(static_cast<unsigned char>(conninfo[value]))) {
      ++value;
    }
    const size_t value_end = ValueEnd(conninfo, value);
    out.append(conninfo.substr(i, value - i));
    if (conninfo.substr(i, key_end - i) == "password") {
      out.append("***");
    } else {
      out.append(conninfo.substr(value, value_end - value));
    }
    i = value_end;
  }
  return out;
}

std::string StoreName(const CliOptions& options) {
  if (options.postgres.empty()) return options.data_dir;
  return absl::StrCat("PostgreSQL \"", RedactConninfo(options.postgres), "\"");
}

absl::StatusOr<std::unique_ptr<Store>> OpenSharedStore(const CliOptions& options,
                                                       StoreOptions store_options) {
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::OpenShared(options.postgres, std::move(store_options));
  if (!store.ok()) return Prefixed(store.status(), "--postgres");
  return store;
}

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

  // A reopened durable store, or a shared one, may hold the Services and
  // roles already.
  const bool keep_existing = !options.data_dir.empty() || !options.postgres.empty();
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
