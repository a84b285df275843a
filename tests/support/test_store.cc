#include "tests/support/test_store.h"

#include <utility>

#include "userstore/service.h"

namespace userstore::testing {

TestStore::TestStore(StoreOptions options) {
  if (options.account_sid.empty()) options.account_sid = kAccountSid;
  options.clock = [c = clock] { return c->Now(); };
  // A constructor cannot ASSERT: on failure `store` stays null and the
  // failure, with its status, is recorded.
  absl::StatusOr<std::unique_ptr<Store>> created = Store::Create(std::move(options));
  EXPECT_TRUE(created.ok()) << created.status();
  if (!created.ok()) return;
  store = *std::move(created);
  ServiceCreate service;
  service.sid = kServiceSid;
  absl::StatusOr<Service> created_service = store->CreateService(service);
  EXPECT_TRUE(created_service.ok()) << created_service.status();
  RoleCreate role;
  role.sid = kRoleSid;
  role.friendly_name = "test role";
  absl::StatusOr<Role> added_role = store->AddRole(kServiceSid, role);
  EXPECT_TRUE(added_role.ok()) << added_role.status();
}

}  // namespace userstore::testing
