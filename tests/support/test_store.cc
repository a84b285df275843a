#include "tests/support/test_store.h"

#include <utility>

#include "userstore/service.h"

namespace userstore::testing {

TestStore::TestStore(StoreOptions options) {
  if (options.account_sid.empty()) options.account_sid = kAccountSid;
  options.clock = [c = clock] { return c->Now(); };
  auto created = Store::Create(std::move(options));
  EXPECT_TRUE(created.ok()) << created.status();
  store = *std::move(created);
  ServiceCreate service;
  service.sid = kServiceSid;
  EXPECT_TRUE(store->CreateService(service).ok());
  RoleCreate role;
  role.sid = kRoleSid;
  role.friendly_name = "test role";
  EXPECT_TRUE(store->AddRole(kServiceSid, role).ok());
}

}  // namespace userstore::testing
