// Services and roles of the C++ API, and Store options.
#include <atomic>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tests/support/test_store.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::kServiceSid;
using testing::TestStore;

TEST(StoreServices, NewServiceHasFourDefaultRoles) {
  TestStore t;
  ServiceCreate params;
  absl::StatusOr<Service> s = t->CreateService(params);
  ASSERT_OK(s);
  EXPECT_TRUE(std::regex_match(s->sid, std::regex("IS[0-9a-f]{32}")));
  EXPECT_FALSE(s->reachability_enabled);
  absl::StatusOr<std::vector<Role>> roles = t->ListRoles(s->sid);
  ASSERT_OK(roles);
  ASSERT_EQ(roles->size(), 4u);
  EXPECT_EQ((*roles)[0].friendly_name, "service admin");
  EXPECT_EQ((*roles)[0].type, RoleScope::kDeployment);
  EXPECT_EQ((*roles)[1].friendly_name, "service user");
  EXPECT_EQ((*roles)[1].sid, s->default_service_role_sid);
  EXPECT_EQ((*roles)[2].type, RoleScope::kChannel);
  EXPECT_EQ((*roles)[2].sid, s->default_channel_creator_role_sid);
  EXPECT_EQ((*roles)[3].sid, s->default_channel_role_sid);
}

TEST(StoreServices, GivenSidsAreCheckedAndCanonical) {
  TestStore t;
  ServiceCreate params;
  params.sid = "ISAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB";
  absl::StatusOr<Service> s = t->CreateService(params);
  ASSERT_OK(s);
  EXPECT_EQ(s->sid, "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab");
  EXPECT_TWILIO_ERROR(t->CreateService(params), 409, 20001);
  params.sid = "IS123";
  EXPECT_TWILIO_ERROR(t->CreateService(params), 400, 20001);
  RoleCreate role;
  role.sid = "RLxyz";
  EXPECT_TWILIO_ERROR(t->AddRole(kServiceSid, role), 400, 20001);
  role.sid = testing::kRoleSid;
  EXPECT_TWILIO_ERROR(t->AddRole(kServiceSid, role), 409, 20001);
  EXPECT_TWILIO_ERROR(t->FetchService("ISffffffffffffffffffffffffffffffff"), 404, 20404);
}

// Roles of a Service that does not exist: 404/20404, and nothing is created.
TEST(StoreServices, RolesOfAnUnknownServiceAreNotFound) {
  TestStore t;
  absl::StatusOr<std::vector<Role>> before = t->ListRoles(kServiceSid);
  ASSERT_OK(before);
  const std::string unknown = "ISffffffffffffffffffffffffffffffff";
  RoleCreate role;
  role.friendly_name = "moderator";
  EXPECT_TWILIO_ERROR(t->AddRole(unknown, role), 404, 20404);
  EXPECT_TWILIO_ERROR(t->ListRoles(unknown), 404, 20404);
  EXPECT_TWILIO_ERROR(t->AddRole("not-a-sid", role), 404, 20404);
  EXPECT_TWILIO_ERROR(t->ListRoles("not-a-sid"), 404, 20404);
  EXPECT_TWILIO_ERROR(t->FetchService(unknown), 404, 20404);
  absl::StatusOr<std::vector<Role>> after = t->ListRoles(kServiceSid);
  ASSERT_OK(after);
  ASSERT_EQ(after->size(), before->size());  // the known Service is untouched
  for (const Role& r : *after) EXPECT_NE(r.friendly_name, "moderator");
}

TEST(StoreServices, OptionsAreValidated) {
  StoreOptions o;
  o.account_sid = "AC1";
  EXPECT_TWILIO_ERROR(Store::Create(o), 400, 20001);
  o = {};
  o.base_url = "chat.example.com";
  EXPECT_TWILIO_ERROR(Store::Create(o), 400, 20001);
  o = {};
  o.base_url = "http://localhost:8080/v2/";
  absl::StatusOr<std::unique_ptr<Store>> s = Store::Create(o);
  ASSERT_OK(s);
  EXPECT_EQ((*s)->options().base_url, "http://localhost:8080/v2");
  EXPECT_TRUE(std::regex_match((*s)->options().account_sid, std::regex("AC[0-9a-f]{32}")));
}

std::string NthService(int i) { return absl::StrFormat("IS%032x", i + 1); }

// Services created one by one are found at every step: the lock-free
// snapshot and the recent Services beside it never hide one.
TEST(StoreServices, EveryServiceIsFoundAtEveryStep) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Create());
  for (int i = 0; i < 3000; ++i) {
    ServiceCreate create;
    create.sid = NthService(i);
    ASSERT_OK(store->CreateService(create));
    ASSERT_OK(store->FetchService(NthService(i)));
    ASSERT_OK(store->FetchService(NthService(i / 2)));
    ASSERT_OK(store->FetchService(NthService(i - i % 64)));
    EXPECT_TWILIO_ERROR(store->CreateService(create), 409, 20001);
    EXPECT_TWILIO_ERROR(store->FetchService(NthService(i + 1)), 404, 20404);
  }
  for (int i = 0; i < 3000; ++i) ASSERT_OK(store->FetchService(NthService(i)));
}

// Readers never miss a Service whose creation has returned, while a writer
// keeps creating (and merging snapshots). Run under TSan in CI.
TEST(StoreServices, ConcurrentReadersNeverMissACreatedService) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Create());
  constexpr int kServices = 4000;
  std::atomic<int> created{0};
  std::vector<std::thread> readers;
  for (uint64_t t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      uint64_t x = uint64_t{88172645463325252u} + t;
      while (created.load() < kServices) {
        const int n = created.load();
        if (n == 0) continue;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const int i = static_cast<int>(x % static_cast<uint64_t>(n));
        ASSERT_OK(store->FetchService(NthService(i)));
        ASSERT_OK(store->ListRoles(NthService(n - 1)));
      }
    });
  }
  for (int i = 0; i < kServices; ++i) {
    ServiceCreate create;
    create.sid = NthService(i);
    ASSERT_OK(store->CreateService(create));
    created.store(i + 1);
  }
  for (std::thread& t : readers) t.join();
}

TEST(StoreServices, CreationStopsAtMaxServices) {
  StoreOptions options;
  options.limits.max_services = 5;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Create(options));
  for (int i = 0; i < 5; ++i) {
    ServiceCreate create;
    create.sid = NthService(i);
    ASSERT_OK(store->CreateService(create));
  }
  ServiceCreate sixth;
  sixth.sid = NthService(5);
  absl::StatusOr<Service> refused = store->CreateService(sixth);
  EXPECT_TWILIO_ERROR(refused, 403, 20403);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.status().message(),
            "Service limit reached: this Store holds at most 5 Services");
  EXPECT_TWILIO_ERROR(store->FetchService(NthService(5)), 404, 20404);
  for (int i = 0; i < 5; ++i) ASSERT_OK(store->FetchService(NthService(i)));
}

}  // namespace
}  // namespace userstore
