#include "session.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "userstore/service.h"

namespace userstore::cli {

absl::StatusOr<Session> MakeSession(const CliOptions& options) {
  StoreOptions store_options;
  store_options.account_sid = options.account_sid;
  if (options.base_url.has_value()) store_options.base_url = *options.base_url;
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Create(std::move(store_options));
  if (!store.ok()) return store.status();

  Session session;
  session.store = *std::move(store);
  for (const std::string& service_sid : options.services) {
    ServiceCreate service;
    service.sid = service_sid;
    absl::StatusOr<Service> created = session.store->CreateService(service);
    if (!created.ok()) {
      return absl::Status(created.status().code(),
                          absl::StrCat("--service ", service_sid, ": ",
                                       created.status().message()));
    }
    for (const std::string& role_sid : options.roles) {
      RoleCreate role;
      role.sid = role_sid;
      role.friendly_name = role_sid;
      role.type = RoleScope::kDeployment;
      absl::StatusOr<Role> added = session.store->AddRole(service_sid, role);
      if (!added.ok()) {
        return absl::Status(
            added.status().code(),
            absl::StrCat("--role ", role_sid, ": ", added.status().message()));
      }
    }
  }
  FacadeOptions facade_options;
  facade_options.auto_create_services = options.services.empty();
  session.facade =
      std::make_unique<RestFacade>(session.store.get(), facade_options);
  return session;
}

}  // namespace userstore::cli
