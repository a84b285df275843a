// The User operations of the C++ API against behaviour.md §1-§4.
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "gtest/gtest.h"
#include "tests/support/test_store.h"
#include "userstore/json.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::kAccountSid;
using testing::kRoleSid;
using testing::kServiceSid;
using testing::TestStore;

UserCreate Identity(std::string identity) {
  UserCreate c;
  c.identity = std::move(identity);
  return c;
}

TEST(StoreUsers, CreateFillsEveryField) {
  TestStore t;
  UserCreate c = Identity("jing");
  c.role_sid = kRoleSid;
  c.attributes = R"({"test":"test"})";
  c.friendly_name = "friendly_name";
  absl::StatusOr<User> u = t->CreateUser(kServiceSid, c);
  ASSERT_OK(u);
  EXPECT_TRUE(std::regex_match(u->sid, std::regex("US[0-9a-f]{32}"))) << u->sid;
  EXPECT_EQ(u->account_sid, kAccountSid);
  EXPECT_EQ(u->service_sid, kServiceSid);
  EXPECT_EQ(u->role_sid, kRoleSid);
  EXPECT_EQ(u->identity, "jing");
  EXPECT_EQ(u->attributes, R"({"test":"test"})");
  EXPECT_EQ(u->friendly_name, "friendly_name");
  EXPECT_EQ(u->is_online, std::nullopt);
  EXPECT_EQ(u->is_notifiable, std::nullopt);
  EXPECT_EQ(u->joined_channels_count, 0);
  EXPECT_EQ(FormatTwilioDate(u->date_created), "2016-03-24T21:05:19Z");
  EXPECT_EQ(u->date_created, u->date_updated);
}

TEST(StoreUsers, DefaultsWithoutOptionalFields) {
  TestStore t;
  absl::StatusOr<Service> service = t->FetchService(kServiceSid);
  ASSERT_OK(service);
  absl::StatusOr<User> u = t->CreateUser(kServiceSid, Identity("a"));
  ASSERT_OK(u);
  EXPECT_EQ(u->role_sid, service->default_service_role_sid);
  EXPECT_EQ(u->attributes, "{}");
  EXPECT_EQ(u->friendly_name, std::nullopt);
}

TEST(StoreUsers, FetchBySidOrIdentity) {
  TestStore t;
  absl::StatusOr<User> u = t->CreateUser(kServiceSid, Identity("alice"));
  ASSERT_OK(u);
  absl::StatusOr<User> by_sid = t->FetchUser(kServiceSid, u->sid);
  absl::StatusOr<User> by_identity = t->FetchUser(kServiceSid, "alice");
  ASSERT_OK(by_sid);
  ASSERT_OK(by_identity);
  EXPECT_EQ(by_sid->identity, "alice");
  EXPECT_EQ(by_identity->sid, u->sid);
  // SID hex is compared case-insensitively.
  std::string upper = u->sid;
  for (size_t i = 2; i < upper.size(); ++i)
    upper[i] = absl::ascii_toupper(static_cast<unsigned char>(upper[i]));
  ASSERT_OK(t->FetchUser(kServiceSid, upper));
}

TEST(StoreUsers, IdentityIsCaseSensitiveAndByteExact) {
  TestStore t;
  ASSERT_OK(t->CreateUser(kServiceSid, Identity("Alice")));
  ASSERT_OK(t->CreateUser(kServiceSid, Identity("alice")));
  ASSERT_OK(t->CreateUser(kServiceSid, Identity(" alice")));
  ASSERT_OK(t->CreateUser(kServiceSid, Identity("caf\xc3\xa9")));   // NFC
  ASSERT_OK(t->CreateUser(kServiceSid, Identity("cafe\xcc\x81")));  // NFD
  ASSERT_OK_AND_ASSIGN(const User upper, t->FetchUser(kServiceSid, "Alice"));
  EXPECT_EQ(upper.identity, "Alice");
  ASSERT_OK_AND_ASSIGN(const User lower, t->FetchUser(kServiceSid, "alice"));
  EXPECT_EQ(lower.identity, "alice");
  EXPECT_TWILIO_ERROR(t->FetchUser(kServiceSid, "ALICE"), 404, 20404);
}

TEST(StoreUsers, DuplicateIdentityConflicts) {
  TestStore t;
  ASSERT_OK(t->CreateUser(kServiceSid, Identity("bob")));
  absl::StatusOr<User> again = t->CreateUser(kServiceSid, Identity("bob"));
  EXPECT_TWILIO_ERROR(again, 409, 50201);
  EXPECT_EQ(again.status().message(), "User already exists");
}

TEST(StoreUsers, IdentityValidation) {
  TestStore t;
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, Identity("")), 400, 50204);
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, Identity("USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")),
                      400, 50206);
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, Identity("USAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")),
                      400, 50206);
  // One digit short of a SID is an ordinary identity.
  ASSERT_OK(t->CreateUser(kServiceSid, Identity("USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")));
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, Identity("bad\xff")), 400, 20001);
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, Identity(std::string("a\0b", 3))), 400, 20001);
  // 256 code points accepted (3-byte characters: 768 bytes), 257 rejected.
  std::string at_limit;
  for (int i = 0; i < 256; ++i) at_limit += "\xe2\x82\xac";  // U+20AC
  ASSERT_OK(t->CreateUser(kServiceSid, Identity(at_limit)));
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, Identity(at_limit + "x")), 400, 50207);
}

TEST(StoreUsers, FieldValidation) {
  TestStore t;
  UserCreate c = Identity("x");
  c.friendly_name = std::string(257, 'f');
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, c), 400, 50003);
  c.friendly_name = std::string(256, 'f');
  ASSERT_OK(t->CreateUser(kServiceSid, c));

  c = Identity("y");
  c.attributes = "[1,2]";
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, c), 400, 50304);
  c.attributes = "{\"a\":" + std::string(16384, ' ') + "1}";
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, c), 400, 50303);
  c.attributes = std::nullopt;
  c.role_sid = "RLnothex";
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, c), 400, 20001);
  c.role_sid = "RLbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, c), 400, 50100);
  ASSERT_OK_AND_ASSIGN(const Service service, t->FetchService(kServiceSid));
  c.role_sid = service.default_channel_role_sid;
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, c), 400, 50105);
  // None of the rejected creates left anything behind.
  EXPECT_TWILIO_ERROR(t->FetchUser(kServiceSid, "y"), 404, 20404);
  ASSERT_OK_AND_ASSIGN(const Page page, t->ListUsers(kServiceSid, {}));
  EXPECT_EQ(page.users.size(), 1u);
}

TEST(StoreUsers, UnknownServiceIsNotFound) {
  TestStore t;
  EXPECT_TWILIO_ERROR(t->CreateUser("ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", Identity("a")), 404,
                      20404);
  EXPECT_TWILIO_ERROR(t->FetchUser("not-a-sid", "a"), 404, 20404);
}

TEST(StoreUsers, NotFoundMessageNamesTheResource) {
  TestStore t;
  absl::StatusOr<User> u = t->FetchUser(kServiceSid, "ghost");
  EXPECT_TWILIO_ERROR(u, 404, 20404);
  EXPECT_EQ(u.status().message(), std::string("The requested resource /Services/") + kServiceSid +
                                      "/Users/ghost was not found");
}

TEST(StoreUsers, UpdateChangesOnlyGivenFields) {
  TestStore t;
  UserCreate c = Identity("u");
  c.attributes = R"({"a":1})";
  c.friendly_name = "F";
  absl::StatusOr<User> created = t->CreateUser(kServiceSid, c);
  ASSERT_OK(created);
  t.clock->Advance(61);

  UserUpdate up;
  up.attributes = R"({"b":2})";
  absl::StatusOr<User> u = t->UpdateUser(kServiceSid, "u", up);
  ASSERT_OK(u);
  EXPECT_EQ(u->attributes, R"({"b":2})");
  EXPECT_EQ(u->friendly_name, "F");
  EXPECT_EQ(u->role_sid, created->role_sid);
  EXPECT_EQ(u->date_created, created->date_created);
  EXPECT_EQ(u->date_updated - u->date_created, absl::Seconds(61));

  up = {};
  up.friendly_name = "";
  u = t->UpdateUser(kServiceSid, created->sid, up);
  ASSERT_OK(u);
  EXPECT_EQ(u->friendly_name, std::nullopt);
  EXPECT_EQ(u->attributes, R"({"b":2})");

  up = {};
  up.role_sid = kRoleSid;
  u = t->UpdateUser(kServiceSid, "u", up);
  ASSERT_OK(u);
  EXPECT_EQ(u->role_sid, kRoleSid);
}

TEST(StoreUsers, UpdateErrorsChangeNothing) {
  TestStore t;
  ASSERT_OK(t->CreateUser(kServiceSid, Identity("u")));
  EXPECT_TWILIO_ERROR(t->UpdateUser(kServiceSid, "u", {}), 400, 20161);
  UserUpdate up;
  up.attributes = "not json";
  up.friendly_name = "would change";
  EXPECT_TWILIO_ERROR(t->UpdateUser(kServiceSid, "u", up), 400, 50304);
  ASSERT_OK_AND_ASSIGN(const User unchanged, t->FetchUser(kServiceSid, "u"));
  EXPECT_EQ(unchanged.friendly_name, std::nullopt);
  up = {};
  up.friendly_name = "x";
  EXPECT_TWILIO_ERROR(t->UpdateUser(kServiceSid, "nobody", up), 404, 20404);
}

TEST(StoreUsers, DeleteFreesIdentityAndNeverReusesSid) {
  TestStore t;
  absl::StatusOr<User> first = t->CreateUser(kServiceSid, Identity("d"));
  ASSERT_OK(first);
  ASSERT_OK(t->DeleteUser(kServiceSid, "d"));
  EXPECT_TWILIO_ERROR(t->FetchUser(kServiceSid, first->sid), 404, 20404);
  EXPECT_TWILIO_ERROR(t->DeleteUser(kServiceSid, "d"), 404, 20404);
  absl::StatusOr<User> second = t->CreateUser(kServiceSid, Identity("d"));
  ASSERT_OK(second);
  EXPECT_NE(second->sid, first->sid);
  ASSERT_OK(t->DeleteUser(kServiceSid, second->sid));
  EXPECT_TWILIO_ERROR(t->FetchUser(kServiceSid, "d"), 404, 20404);
}

TEST(StoreUsers, GetOrCreateReturnsTheExistingUser) {
  TestStore t;
  absl::StatusOr<User> a = t->GetOrCreateUser(kServiceSid, "g");
  absl::StatusOr<User> b = t->GetOrCreateUser(kServiceSid, "g");
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(a->sid, b->sid);
  EXPECT_TWILIO_ERROR(t->GetOrCreateUser(kServiceSid, ""), 400, 50204);
}

TEST(StoreUsers, ReachabilityRules) {
  TestStore t;
  ASSERT_OK(t->CreateUser(kServiceSid, Identity("r")));
  ASSERT_OK(t->SetUserOnline(kServiceSid, "r", true));
  // Reachability disabled (the default): always null.
  ASSERT_OK_AND_ASSIGN(User r, t->FetchUser(kServiceSid, "r"));
  EXPECT_EQ(r.is_online, std::nullopt);
  ASSERT_OK(t->SetReachabilityEnabled(kServiceSid, true));
  ASSERT_OK_AND_ASSIGN(r, t->FetchUser(kServiceSid, "r"));
  EXPECT_EQ(r.is_online, true);
  // Never had a push registration: null even when enabled (Twilio's
  // is_notifiable); once it had one and has none: false.
  EXPECT_EQ(r.is_notifiable, std::nullopt);
  BindingCreate binding;
  binding.endpoint = "apn-token";
  ASSERT_OK_AND_ASSIGN(const Binding b, t->RegisterBinding(kServiceSid, "r", binding));
  ASSERT_OK_AND_ASSIGN(r, t->FetchUser(kServiceSid, "r"));
  EXPECT_EQ(r.is_notifiable, true);
  ASSERT_OK(t->DeleteBinding(kServiceSid, "r", b.sid));
  ASSERT_OK_AND_ASSIGN(r, t->FetchUser(kServiceSid, "r"));
  EXPECT_EQ(r.is_notifiable, false);
  // Lists always show null.
  absl::StatusOr<Page> page = t->ListUsers(kServiceSid, {});
  ASSERT_OK(page);
  ASSERT_EQ(page->users.size(), 1u);
  EXPECT_EQ(page->users[0].is_online, std::nullopt);
  EXPECT_EQ(page->users[0].is_notifiable, std::nullopt);
}

TEST(StoreUsers, JoinedChannelsCount) {
  TestStore t;
  ASSERT_OK(t->CreateUser(kServiceSid, Identity("j")));
  ASSERT_OK_AND_ASSIGN(User j, t->AddJoinedChannels(kServiceSid, "j", 3));
  EXPECT_EQ(j.joined_channels_count, 3);
  ASSERT_OK_AND_ASSIGN(j, t->AddJoinedChannels(kServiceSid, "j", -1));
  EXPECT_EQ(j.joined_channels_count, 2);
  EXPECT_TWILIO_ERROR(t->AddJoinedChannels(kServiceSid, "j", -3), 400, 20001);
  ASSERT_OK_AND_ASSIGN(j, t->FetchUser(kServiceSid, "j"));
  EXPECT_EQ(j.joined_channels_count, 2);
}

TEST(StoreUsers, ListenersFireOnlyWithWebhooksEnabled) {
  TestStore t;
  std::vector<std::pair<UserEvent::Type, std::string>> events;
  t->AddPostEventListener(
      [&](const UserEvent& e) { events.emplace_back(e.type, e.user.identity); });
  ASSERT_OK(t->CreateUser(kServiceSid, Identity("quiet")));
  UserCreate loud = Identity("loud");
  loud.webhook_enabled = true;
  ASSERT_OK(t->CreateUser(kServiceSid, loud));
  UserUpdate up;
  up.friendly_name = "n";
  ASSERT_OK(t->UpdateUser(kServiceSid, "quiet", up));
  up.webhook_enabled = true;
  ASSERT_OK(t->UpdateUser(kServiceSid, "quiet", up));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].first, UserEvent::Type::kUserAdded);
  EXPECT_EQ(events[0].second, "loud");
  EXPECT_EQ(events[1].first, UserEvent::Type::kUserUpdated);
  EXPECT_EQ(events[1].second, "quiet");
}

}  // namespace
}  // namespace userstore
