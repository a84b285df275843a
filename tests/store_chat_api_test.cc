// The chat-server conveniences of issue 13, one thread at a time:
// EnsureService, ListServices, UserExists, CountUsers, GetOrCreateUser with
// initial fields and its `created` flag, and presence by connection
// (ConnectUser, ConnectOrCreateUser, DisconnectUser, with SetUserOnline).
// Their races are in store_chat_concurrency_test.cc.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/test_store.h"
#include "tests/support/user_params.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::kRoleSid;
using testing::kServiceSid;
using testing::TestStore;

constexpr char kOtherService[] = "IS0000000000000000000000000000000b";
constexpr char kUnknownService[] = "ISffffffffffffffffffffffffffffffff";

ServiceCreate Svc(std::string sid, std::string friendly_name = "") {
  ServiceCreate c;
  c.sid = std::move(sid);
  c.friendly_name = std::move(friendly_name);
  return c;
}

UserCreate Id(std::string identity) { return testing::NewUser(std::move(identity)); }

// ---- EnsureService, ListServices -------------------------------------------

TEST(EnsureServiceTest, CreatesOnceThenReturnsTheSameService) {
  ASSERT_OK_AND_ASSIGN(auto store, Store::Create());
  bool created = false;
  ASSERT_OK_AND_ASSIGN(const Service first,
                       store->EnsureService(Svc(kOtherService, "one"), &created));
  EXPECT_TRUE(created);
  EXPECT_EQ(first.sid, kOtherService);
  EXPECT_EQ(first.friendly_name, "one");
  // Again, with other params (not applied) and in upper-case hex.
  std::string upper = kOtherService;
  std::transform(upper.begin() + 2, upper.end(), upper.begin() + 2, ::toupper);
  ServiceCreate again = Svc(upper, "two");
  again.reachability_enabled = true;
  ASSERT_OK_AND_ASSIGN(const Service second, store->EnsureService(again, &created));
  EXPECT_FALSE(created);
  EXPECT_EQ(second.sid, first.sid);
  EXPECT_EQ(second.friendly_name, "one");
  EXPECT_FALSE(second.reachability_enabled);
  EXPECT_EQ(second.default_service_role_sid, first.default_service_role_sid);
  EXPECT_EQ(second.date_created, first.date_created);
  // `created` may be omitted.
  ASSERT_OK_AND_ASSIGN(const Service third, store->EnsureService(Svc(kOtherService)));
  EXPECT_EQ(third.sid, first.sid);
  EXPECT_EQ(store->ListServices().size(), 1u);
  // The roles were made once.
  ASSERT_OK_AND_ASSIGN(const std::vector<Role> roles, store->ListRoles(kOtherService));
  EXPECT_EQ(roles.size(), 4u);
  // CreateService still refuses the duplicate.
  EXPECT_TWILIO_ERROR(store->CreateService(Svc(kOtherService)), 409,
                      twilio_code::kInvalidParameter);
}

TEST(EnsureServiceTest, ErrorsAreCreateServicesButTheDuplicate) {
  StoreOptions options;
  options.limits.max_services = 1;
  ASSERT_OK_AND_ASSIGN(auto store, Store::Create(options));
  bool created = true;
  EXPECT_TWILIO_ERROR(store->EnsureService(Svc("ISnothex"), &created), 400,
                      twilio_code::kInvalidParameter);
  EXPECT_FALSE(created);
  ASSERT_OK(store->EnsureService(Svc(kServiceSid), &created));
  EXPECT_TRUE(created);
  // At the limit, the existing Service is still returned; a new one is 403.
  ASSERT_OK_AND_ASSIGN(const Service existing, store->EnsureService(Svc(kServiceSid), &created));
  EXPECT_FALSE(created);
  EXPECT_EQ(existing.sid, kServiceSid);
  EXPECT_TWILIO_ERROR(store->EnsureService(Svc(kOtherService), &created), 403,
                      twilio_code::kForbidden);
  EXPECT_FALSE(created);
  // An empty SID would mint a new Service on every call: refused.
  StoreOptions roomy;
  ASSERT_OK_AND_ASSIGN(auto store2, Store::Create(roomy));
  created = true;
  EXPECT_TWILIO_ERROR(store2->EnsureService(Svc(""), &created), 400,
                      twilio_code::kInvalidParameter);
  EXPECT_FALSE(created);
  EXPECT_TRUE(store2->ListServices().empty());
}

TEST(ListServicesTest, SortedBySid) {
  ASSERT_OK_AND_ASSIGN(auto store, Store::Create());
  EXPECT_TRUE(store->ListServices().empty());
  const std::vector<std::string> sids = {
      "IScccccccccccccccccccccccccccccccc", "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "IS0123456789abcdef0123456789abcdef", "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
      "IS9999999999999999999999999999999f"};
  for (const std::string& sid : sids) ASSERT_OK(store->CreateService(Svc(sid, "n-" + sid)));
  ASSERT_OK_AND_ASSIGN(const Service minted, store->CreateService(Svc("")));
  std::vector<std::string> expected = sids;
  expected.push_back(minted.sid);
  std::sort(expected.begin(), expected.end());
  const std::vector<Service> listed = store->ListServices();
  ASSERT_EQ(listed.size(), expected.size());
  for (size_t i = 0; i < listed.size(); ++i) {
    EXPECT_EQ(listed[i].sid, expected[i]);
    ASSERT_OK_AND_ASSIGN(const Service fetched, store->FetchService(listed[i].sid));
    EXPECT_EQ(listed[i].friendly_name, fetched.friendly_name);
    EXPECT_EQ(listed[i].default_service_role_sid, fetched.default_service_role_sid);
  }
}

// ---- UserExists, CountUsers ------------------------------------------------

TEST(UserExistsTest, BySidAndIdentity) {
  TestStore t;
  ASSERT_OK(t->CreateService(Svc(kOtherService)));
  ASSERT_OK_AND_ASSIGN(const User a, t->CreateUser(kServiceSid, Id("alice")));
  ASSERT_OK_AND_ASSIGN(const User other, t->CreateUser(kOtherService, Id("bob")));
  std::string upper = a.sid;
  std::transform(upper.begin() + 2, upper.end(), upper.begin() + 2, ::toupper);
  struct Case {
    std::string service, key;
    bool exists;
  };
  const Case cases[] = {
      {kServiceSid, "alice", true},     {kServiceSid, a.sid, true},
      {kServiceSid, upper, true},       {kServiceSid, "Alice", false},
      {kServiceSid, "bob", false},      {kServiceSid, other.sid, false},
      {kOtherService, other.sid, true}, {kOtherService, "alice", false},
      {kServiceSid, "", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.service + " " + c.key);
    ASSERT_OK_AND_ASSIGN(const bool exists, t->UserExists(c.service, c.key));
    EXPECT_EQ(exists, c.exists);
  }
  ASSERT_OK(t->DeleteUser(kServiceSid, "alice"));
  ASSERT_OK_AND_ASSIGN(const bool gone, t->UserExists(kServiceSid, a.sid));
  EXPECT_FALSE(gone);
  EXPECT_TWILIO_ERROR(t->UserExists(kUnknownService, "alice"), 404, twilio_code::kNotFound);
  EXPECT_TWILIO_ERROR(t->UserExists("not a sid", "alice"), 404, twilio_code::kNotFound);
}

TEST(CountUsersTest, FollowsCreatesAndDeletesPerService) {
  TestStore t;
  ASSERT_OK(t->CreateService(Svc(kOtherService)));
  ASSERT_OK_AND_ASSIGN(uint64_t n, t->CountUsers(kServiceSid));
  EXPECT_EQ(n, 0u);
  for (int i = 0; i < 25; ++i) ASSERT_OK(t->CreateUser(kServiceSid, Id("u" + std::to_string(i))));
  ASSERT_OK(t->CreateUser(kOtherService, Id("x")));
  ASSERT_OK_AND_ASSIGN(n, t->CountUsers(kServiceSid));
  EXPECT_EQ(n, 25u);
  ASSERT_OK_AND_ASSIGN(n, t->CountUsers(kOtherService));
  EXPECT_EQ(n, 1u);
  ASSERT_OK(t->DeleteUser(kServiceSid, "u3"));
  // A refused create and a GetOrCreate of an existing user add nothing.
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, Id("u4")), 409, twilio_code::kUserAlreadyExists);
  ASSERT_OK(t->GetOrCreateUser(kServiceSid, Id("u5")));
  ASSERT_OK_AND_ASSIGN(n, t->CountUsers(kServiceSid));
  EXPECT_EQ(n, 24u);
  EXPECT_TWILIO_ERROR(t->CountUsers(kUnknownService), 404, twilio_code::kNotFound);
  EXPECT_TWILIO_ERROR(t->CountUsers(""), 404, twilio_code::kNotFound);
}

TEST(ChatApiUnknownServiceTest, EveryNewCallIs404) {
  TestStore t;
  EXPECT_TWILIO_ERROR(t->FetchService(kUnknownService), 404, twilio_code::kNotFound);
  EXPECT_TWILIO_ERROR(t->GetOrCreateUser(kUnknownService, Id("a")), 404, twilio_code::kNotFound);
  EXPECT_TWILIO_ERROR(t->ConnectOrCreateUser(kUnknownService, Id("a")), 404,
                      twilio_code::kNotFound);
  EXPECT_TWILIO_ERROR(t->ConnectUser(kUnknownService, "a"), 404, twilio_code::kNotFound);
  EXPECT_TWILIO_ERROR(t->DisconnectUser(kUnknownService, "a"), 404, twilio_code::kNotFound);
  EXPECT_TWILIO_ERROR(t->DeleteUser(kUnknownService, "a", 1), 404, twilio_code::kNotFound);
  EXPECT_TRUE(t->ListServices().size() == 1u);
}

// ---- GetOrCreateUser --------------------------------------------------------

TEST(GetOrCreateTest, InitialFieldsApplyOnlyWhenItCreates) {
  TestStore t;
  int added = 0;
  t->AddPostEventListener([&](const UserEvent& e) {
    EXPECT_EQ(e.type, UserEvent::Type::kUserAdded);
    ++added;
  });
  UserCreate params = Id("jing");
  params.friendly_name = "Jing";
  params.attributes = R"({"lang":"zh"})";
  params.role_sid = kRoleSid;
  params.webhook_enabled = true;
  ASSERT_OK_AND_ASSIGN(const GetOrCreateResult first, t->GetOrCreateUser(kServiceSid, params));
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.user.identity, "jing");
  EXPECT_EQ(first.user.friendly_name, "Jing");
  EXPECT_EQ(first.user.attributes, R"({"lang":"zh"})");
  EXPECT_EQ(first.user.role_sid, kRoleSid);
  EXPECT_EQ(added, 1);
  t.clock->Advance(10);
  UserCreate other = Id("jing");
  other.friendly_name = "Other";
  other.attributes = R"({"lang":"en"})";
  other.webhook_enabled = true;
  ASSERT_OK_AND_ASSIGN(const GetOrCreateResult second, t->GetOrCreateUser(kServiceSid, other));
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.user.sid, first.user.sid);
  EXPECT_EQ(second.user.friendly_name, "Jing");
  EXPECT_EQ(second.user.attributes, R"({"lang":"zh"})");
  EXPECT_EQ(second.user.role_sid, kRoleSid);
  EXPECT_EQ(second.user.revision, first.user.revision);
  EXPECT_EQ(second.user.date_updated, first.user.date_updated);
  EXPECT_EQ(added, 1);  // no event for a user that was found
  // The identity-only form.
  ASSERT_OK_AND_ASSIGN(const User third, t->GetOrCreateUser(kServiceSid, "jing"));
  EXPECT_EQ(third.sid, first.user.sid);
  ASSERT_OK_AND_ASSIGN(const User fresh, t->GetOrCreateUser(kServiceSid, "fresh"));
  EXPECT_EQ(fresh.attributes, "{}");
  EXPECT_FALSE(fresh.friendly_name.has_value());
  EXPECT_NE(fresh.role_sid, kRoleSid);  // the Service's default role
  EXPECT_EQ(added, 1);                  // webhook_enabled not set
}

TEST(GetOrCreateTest, ParamsAreValidatedWhetherOrNotTheUserExists) {
  TestStore t;
  ASSERT_OK(t->CreateUser(kServiceSid, Id("there")));
  for (const char* identity : {"there", "absent"}) {
    SCOPED_TRACE(identity);
    UserCreate bad = Id(identity);
    bad.attributes = "[1]";
    EXPECT_TWILIO_ERROR(t->GetOrCreateUser(kServiceSid, bad), 400, twilio_code::kAttributesInvalid);
    bad = Id(identity);
    bad.role_sid = "RLffffffffffffffffffffffffffffffff";
    EXPECT_TWILIO_ERROR(t->GetOrCreateUser(kServiceSid, bad), 400, twilio_code::kRoleNotFound);
    EXPECT_TWILIO_ERROR(t->ConnectOrCreateUser(kServiceSid, bad), 400, twilio_code::kRoleNotFound);
  }
  EXPECT_TWILIO_ERROR(t->GetOrCreateUser(kServiceSid, Id("")), 400, twilio_code::kIdentityEmpty);
  EXPECT_TWILIO_ERROR(t->GetOrCreateUser(kServiceSid, Id("US0123456789abcdef0123456789abcdef")),
                      400, twilio_code::kIdentityIsSid);
  ASSERT_OK_AND_ASSIGN(const bool absent, t->UserExists(kServiceSid, "absent"));
  EXPECT_FALSE(absent);
  ASSERT_OK_AND_ASSIGN(const uint64_t n, t->CountUsers(kServiceSid));
  EXPECT_EQ(n, 1u);
}

// ---- presence by connection -------------------------------------------------

TEST(ConnectionTest, CountsConnectionsAndFlagsOnlineWhileAboveZero) {
  TestStore t;
  ASSERT_OK(t->SetReachabilityEnabled(kServiceSid, true));
  ASSERT_OK_AND_ASSIGN(const User u, t->CreateUser(kServiceSid, Id("p")));
  EXPECT_FALSE(u.is_online.has_value());  // never online yet
  for (uint32_t n = 1; n <= 3; ++n) {
    ASSERT_OK_AND_ASSIGN(const UserConnection c,
                         t->ConnectUser(kServiceSid, n % 2 == 0 ? u.sid : "p"));
    EXPECT_EQ(c.connections, n);
    EXPECT_EQ(c.user.is_online, true);
    EXPECT_FALSE(c.created);
    EXPECT_EQ(c.user.sid, u.sid);
  }
  for (uint32_t n = 3; n-- > 0;) {
    ASSERT_OK_AND_ASSIGN(const UserConnection d, t->DisconnectUser(kServiceSid, "p"));
    EXPECT_EQ(d.connections, n);
    EXPECT_EQ(d.user.is_online, n > 0);
    ASSERT_OK_AND_ASSIGN(const User fetched, t->FetchUser(kServiceSid, "p"));
    EXPECT_EQ(fetched.is_online, n > 0);
  }
  // A disconnect at 0 stays at 0, offline, and is no error.
  ASSERT_OK_AND_ASSIGN(const UserConnection extra, t->DisconnectUser(kServiceSid, u.sid));
  EXPECT_EQ(extra.connections, 0u);
  EXPECT_EQ(extra.user.is_online, false);
  ASSERT_OK_AND_ASSIGN(const UserConnection again, t->ConnectUser(kServiceSid, "p"));
  EXPECT_EQ(again.connections, 1u);
  EXPECT_TWILIO_ERROR(t->ConnectUser(kServiceSid, "nobody"), 404, twilio_code::kNotFound);
  EXPECT_TWILIO_ERROR(t->DisconnectUser(kServiceSid, "nobody"), 404, twilio_code::kNotFound);
}

TEST(ConnectionTest, SetUserOnlineAndTheCountAgree) {
  TestStore t;
  ASSERT_OK(t->SetReachabilityEnabled(kServiceSid, true));
  ASSERT_OK(t->CreateUser(kServiceSid, Id("p")));
  // true at 0 connections counts one.
  ASSERT_OK(t->SetUserOnline(kServiceSid, "p", true));
  ASSERT_OK_AND_ASSIGN(UserConnection c, t->ConnectUser(kServiceSid, "p"));
  EXPECT_EQ(c.connections, 2u);
  // true above 0 keeps the count.
  ASSERT_OK(t->SetUserOnline(kServiceSid, "p", true));
  ASSERT_OK_AND_ASSIGN(c, t->DisconnectUser(kServiceSid, "p"));
  EXPECT_EQ(c.connections, 1u);
  EXPECT_EQ(c.user.is_online, true);
  // false drops every connection.
  ASSERT_OK_AND_ASSIGN(const User off, t->SetUserOnline(kServiceSid, "p", false));
  EXPECT_EQ(off.is_online, false);
  ASSERT_OK_AND_ASSIGN(c, t->DisconnectUser(kServiceSid, "p"));
  EXPECT_EQ(c.connections, 0u);
  ASSERT_OK_AND_ASSIGN(c, t->ConnectUser(kServiceSid, "p"));
  EXPECT_EQ(c.connections, 1u);
}

TEST(ConnectionTest, ConnectOrCreateCreatesConnectedOnceThenConnects) {
  TestStore t;
  ASSERT_OK(t->SetReachabilityEnabled(kServiceSid, true));
  int added = 0;
  t->AddPostEventListener([&](const UserEvent&) { ++added; });
  UserCreate params = Id("newbie");
  params.friendly_name = "New";
  params.attributes = R"({"a":1})";
  params.webhook_enabled = true;
  ASSERT_OK_AND_ASSIGN(const UserConnection first, t->ConnectOrCreateUser(kServiceSid, params));
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.connections, 1u);
  EXPECT_EQ(first.user.is_online, true);
  EXPECT_EQ(first.user.friendly_name, "New");
  EXPECT_EQ(first.user.attributes, R"({"a":1})");
  EXPECT_EQ(added, 1);
  params.friendly_name = "Changed";
  ASSERT_OK_AND_ASSIGN(const UserConnection second, t->ConnectOrCreateUser(kServiceSid, params));
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.connections, 2u);
  EXPECT_EQ(second.user.sid, first.user.sid);
  EXPECT_EQ(second.user.friendly_name, "New");
  EXPECT_EQ(added, 1);
  ASSERT_OK_AND_ASSIGN(const User fetched, t->FetchUser(kServiceSid, "newbie"));
  EXPECT_EQ(fetched.is_online, true);
  EXPECT_EQ(fetched.revision, first.user.revision);
}

TEST(ConnectionTest, CountsWithoutReachabilityAndShowsNoPresence) {
  TestStore t;  // reachability off (the default)
  ASSERT_OK_AND_ASSIGN(const UserConnection c, t->ConnectOrCreateUser(kServiceSid, Id("q")));
  EXPECT_TRUE(c.created);
  EXPECT_EQ(c.connections, 1u);
  EXPECT_FALSE(c.user.is_online.has_value());
  ASSERT_OK_AND_ASSIGN(const UserConnection d, t->ConnectUser(kServiceSid, "q"));
  EXPECT_EQ(d.connections, 2u);
  ASSERT_OK_AND_ASSIGN(const User fetched, t->FetchUser(kServiceSid, "q"));
  EXPECT_FALSE(fetched.is_online.has_value());
  // Turned on, the flag reflects the count.
  ASSERT_OK(t->SetReachabilityEnabled(kServiceSid, true));
  ASSERT_OK_AND_ASSIGN(const User on, t->FetchUser(kServiceSid, "q"));
  EXPECT_EQ(on.is_online, true);
}

}  // namespace
}  // namespace userstore
