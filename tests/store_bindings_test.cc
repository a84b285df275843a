// Push Bindings on the Store (binding.h; Store::RegisterBinding,
// FetchBinding, DeleteBinding, ListBindings), against Twilio's Chat v2
// Binding and User Binding resources (docs/compatibility.md, "Bindings").
#include <algorithm>
#include <atomic>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/test_store.h"
#include "userstore/json.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::kAccountSid;
using testing::kServiceSid;
using testing::TestStore;

constexpr char kCredential[] = "CRaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

BindingCreate Params(BindingType type, std::string endpoint,
                     std::vector<std::string> message_types = {}) {
  BindingCreate p;
  p.binding_type = type;
  p.endpoint = std::move(endpoint);
  p.message_types = std::move(message_types);
  return p;
}

User MakeUser(TestStore& t, const std::string& identity) {
  UserCreate c;
  c.identity = identity;
  absl::StatusOr<User> u = t->CreateUser(kServiceSid, c);
  EXPECT_TRUE(u.ok()) << u.status();
  return u.ok() ? *u : User();
}

// The SIDs of a page, in order.
std::vector<std::string> Sids(const BindingPage& page) {
  std::vector<std::string> sids;
  for (const Binding& b : page.bindings) sids.push_back(b.sid);
  return sids;
}

// Every Binding of `request`'s list, walked with next tokens (page size 2).
std::vector<std::string> Walk(TestStore& t, BindingListRequest request) {
  std::vector<std::string> sids;
  request.page_size = 2;
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<BindingPage> page = t->ListBindings(kServiceSid, request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    for (const Binding& b : page->bindings) sids.push_back(b.sid);
    if (page->next_page_token.empty()) break;
    request.page_token = page->next_page_token;
    request.page = page->page + 1;
  }
  return sids;
}

TEST(StoreBindings, RegisterFillsEveryField) {
  TestStore t;
  const User alice = MakeUser(t, "alice");
  BindingCreate p =
      Params(BindingType::kFcm, "fcm-token-1", {"new_message", "added_to_channel", "new_message"});
  p.credential_sid = "CRAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";  // stored lowercase
  bool created = false;
  ASSERT_OK_AND_ASSIGN(const Binding b, t->RegisterBinding(kServiceSid, "alice", p, &created));
  EXPECT_TRUE(created);
  EXPECT_TRUE(std::regex_match(b.sid, std::regex("BS[0-9a-f]{32}"))) << b.sid;
  EXPECT_EQ(b.account_sid, kAccountSid);
  EXPECT_EQ(b.service_sid, kServiceSid);
  EXPECT_EQ(b.user_sid, alice.sid);
  EXPECT_EQ(b.identity, "alice");
  EXPECT_EQ(b.binding_type, BindingType::kFcm);
  EXPECT_EQ(b.endpoint, "fcm-token-1");
  EXPECT_EQ(b.credential_sid, kCredential);
  // Duplicates dropped, the first kept, order as given.
  EXPECT_EQ(b.message_types, (std::vector<std::string>{"new_message", "added_to_channel"}));
  EXPECT_EQ(FormatTwilioDate(b.date_created), "2016-03-24T21:05:19Z");
  EXPECT_EQ(b.date_updated, b.date_created);
  // Registering by SID is the same user; no credential is "".
  ASSERT_OK_AND_ASSIGN(const Binding by_sid,
                       t->RegisterBinding(kServiceSid, alice.sid, Params(BindingType::kApn, "x")));
  EXPECT_EQ(by_sid.user_sid, alice.sid);
  EXPECT_EQ(by_sid.credential_sid, "");
  EXPECT_TRUE(by_sid.message_types.empty());
  EXPECT_NE(by_sid.sid, b.sid);
}

TEST(StoreBindings, ReRegistrationUpdatesInsteadOfDuplicating) {
  TestStore t;
  MakeUser(t, "alice");
  MakeUser(t, "bob");
  BindingCreate p = Params(BindingType::kApn, "apn-1", {"new_message"});
  p.credential_sid = kCredential;
  ASSERT_OK_AND_ASSIGN(const Binding first, t->RegisterBinding(kServiceSid, "alice", p));
  t.clock->Advance(60);
  BindingCreate again = Params(BindingType::kApn, "apn-1", {"removed_from_channel"});
  bool created = true;
  ASSERT_OK_AND_ASSIGN(const Binding second,
                       t->RegisterBinding(kServiceSid, "alice", again, &created));
  EXPECT_FALSE(created);
  EXPECT_EQ(second.sid, first.sid);
  EXPECT_EQ(second.date_created, first.date_created);
  EXPECT_EQ(second.date_updated, first.date_created + absl::Seconds(60));
  EXPECT_EQ(second.credential_sid, "");  // replaced, as message_types
  EXPECT_EQ(second.message_types, std::vector<std::string>{"removed_from_channel"});
  ASSERT_OK_AND_ASSIGN(const Binding fetched, t->FetchBinding(kServiceSid, "", first.sid));
  EXPECT_EQ(fetched.message_types, second.message_types);
  EXPECT_EQ(fetched.date_updated, second.date_updated);
  // Another type, another user, or another endpoint (byte-exact) is another Binding.
  ASSERT_OK_AND_ASSIGN(const Binding gcm, t->RegisterBinding(kServiceSid, "alice",
                                                             Params(BindingType::kGcm, "apn-1")));
  ASSERT_OK_AND_ASSIGN(const Binding bob,
                       t->RegisterBinding(kServiceSid, "bob", Params(BindingType::kApn, "apn-1")));
  ASSERT_OK_AND_ASSIGN(const Binding upper, t->RegisterBinding(kServiceSid, "alice",
                                                               Params(BindingType::kApn, "APN-1")));
  const std::set<std::string> sids = {first.sid, gcm.sid, bob.sid, upper.sid};
  EXPECT_EQ(sids.size(), 4u);
  ASSERT_OK_AND_ASSIGN(const BindingPage all, t->ListBindings(kServiceSid, {}));
  EXPECT_EQ(Sids(all), (std::vector<std::string>{first.sid, gcm.sid, bob.sid, upper.sid}));
}

TEST(StoreBindings, FetchByServiceAndByUser) {
  TestStore t;
  const User alice = MakeUser(t, "alice");
  MakeUser(t, "bob");
  ASSERT_OK_AND_ASSIGN(const Binding b,
                       t->RegisterBinding(kServiceSid, "alice", Params(BindingType::kApn, "e")));
  ASSERT_OK_AND_ASSIGN(Binding got, t->FetchBinding(kServiceSid, "", b.sid));
  EXPECT_EQ(got.endpoint, "e");
  ASSERT_OK_AND_ASSIGN(got, t->FetchBinding(kServiceSid, "alice", b.sid));
  EXPECT_EQ(got.sid, b.sid);
  ASSERT_OK_AND_ASSIGN(got, t->FetchBinding(kServiceSid, alice.sid, b.sid));
  EXPECT_EQ(got.identity, "alice");
  // SID hex in either case, as users'.
  std::string upper = b.sid;
  std::transform(upper.begin() + 2, upper.end(), upper.begin() + 2, ::toupper);
  ASSERT_OK(t->FetchBinding(kServiceSid, "", upper));

  // Another user's route does not reach it.
  absl::StatusOr<Binding> other = t->FetchBinding(kServiceSid, "bob", b.sid);
  EXPECT_TWILIO_ERROR(other, 404, 20404);
  EXPECT_EQ(other.status().message(), "The requested resource /Services/" +
                                          std::string(kServiceSid) + "/Users/bob/Bindings/" +
                                          b.sid + " was not found");
  absl::StatusOr<Binding> missing =
      t->FetchBinding(kServiceSid, "", "BSbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
  EXPECT_TWILIO_ERROR(missing, 404, 20404);
  EXPECT_EQ(missing.status().message(),
            "The requested resource /Services/" + std::string(kServiceSid) +
                "/Bindings/BSbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb was not found");
  EXPECT_TWILIO_ERROR(t->FetchBinding(kServiceSid, "", "not-a-sid"), 404, 20404);
  EXPECT_TWILIO_ERROR(t->FetchBinding(kServiceSid, "", alice.sid), 404, 20404);  // a US SID
  absl::StatusOr<Binding> nobody = t->FetchBinding(kServiceSid, "carol", b.sid);
  EXPECT_TWILIO_ERROR(nobody, 404, 20404);
  EXPECT_EQ(nobody.status().message(), "The requested resource /Services/" +
                                           std::string(kServiceSid) + "/Users/carol was not found");
  EXPECT_TWILIO_ERROR(t->FetchBinding("ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "", b.sid), 404, 20404);
}

TEST(StoreBindings, DeleteByServiceAndByUser) {
  TestStore t;
  MakeUser(t, "alice");
  MakeUser(t, "bob");
  ASSERT_OK_AND_ASSIGN(const Binding a1,
                       t->RegisterBinding(kServiceSid, "alice", Params(BindingType::kApn, "1")));
  ASSERT_OK_AND_ASSIGN(const Binding a2,
                       t->RegisterBinding(kServiceSid, "alice", Params(BindingType::kApn, "2")));
  // Through another user's route: 404, and the Binding stays.
  EXPECT_TWILIO_ERROR(t->DeleteBinding(kServiceSid, "bob", a1.sid), 404, 20404);
  EXPECT_TWILIO_ERROR(t->DeleteBinding(kServiceSid, "carol", a1.sid), 404, 20404);
  EXPECT_TWILIO_ERROR(t->DeleteBinding(kServiceSid, "carol", "junk"), 404, 20404);
  ASSERT_OK(t->FetchBinding(kServiceSid, "", a1.sid));
  ASSERT_OK(t->DeleteBinding(kServiceSid, "alice", a1.sid));
  EXPECT_TWILIO_ERROR(t->FetchBinding(kServiceSid, "", a1.sid), 404, 20404);
  EXPECT_TWILIO_ERROR(t->DeleteBinding(kServiceSid, "alice", a1.sid), 404, 20404);
  ASSERT_OK(t->DeleteBinding(kServiceSid, "", a2.sid));
  EXPECT_TWILIO_ERROR(t->DeleteBinding(kServiceSid, "", a2.sid), 404, 20404);
  EXPECT_TWILIO_ERROR(t->DeleteBinding(kServiceSid, "", "junk"), 404, 20404);
  ASSERT_OK_AND_ASSIGN(const BindingPage page, t->ListBindings(kServiceSid, {}));
  EXPECT_TRUE(page.bindings.empty());
  // A new registration of the deleted endpoint gets a new SID.
  ASSERT_OK_AND_ASSIGN(const Binding again,
                       t->RegisterBinding(kServiceSid, "alice", Params(BindingType::kApn, "1")));
  EXPECT_NE(again.sid, a1.sid);
}

// Twilio: is_notifiable is true when at least one registration exists,
// false otherwise, and null while reachability is disabled and for a user
// that never had a registration (the User resource's is_notifiable).
TEST(StoreBindings, IsNotifiableFollowsTheBindings) {
  TestStore t;
  MakeUser(t, "n");
  ASSERT_OK(t->SetReachabilityEnabled(kServiceSid, true));
  ASSERT_OK_AND_ASSIGN(uint64_t position, t->EventPosition(kServiceSid));
  ASSERT_OK_AND_ASSIGN(User n, t->FetchUser(kServiceSid, "n"));
  EXPECT_EQ(n.is_notifiable, std::nullopt);  // never registered
  const uint64_t revision = n.revision;
  const absl::Time updated = n.date_updated;
  t.clock->Advance(10);

  ASSERT_OK_AND_ASSIGN(const Binding b1,
                       t->RegisterBinding(kServiceSid, "n", Params(BindingType::kApn, "1")));
  ASSERT_OK_AND_ASSIGN(n, t->FetchUser(kServiceSid, "n"));
  EXPECT_EQ(n.is_notifiable, true);
  EXPECT_EQ(n.revision, revision);  // presence: no revision, no date_updated
  EXPECT_EQ(n.date_updated, updated);
  ASSERT_OK_AND_ASSIGN(const Binding b2,
                       t->RegisterBinding(kServiceSid, "n", Params(BindingType::kGcm, "2")));
  ASSERT_OK(t->RegisterBinding(kServiceSid, "n", Params(BindingType::kGcm, "2")));  // update
  ASSERT_OK(t->DeleteBinding(kServiceSid, "n", b1.sid));
  ASSERT_OK_AND_ASSIGN(n, t->FetchUser(kServiceSid, "n"));
  EXPECT_EQ(n.is_notifiable, true);  // b2 remains
  ASSERT_OK(t->DeleteBinding(kServiceSid, "", b2.sid));
  ASSERT_OK_AND_ASSIGN(n, t->FetchUser(kServiceSid, "n"));
  EXPECT_EQ(n.is_notifiable, false);  // had one, has none

  // One is_notifiable event per change: true (first Binding), false (last gone).
  ASSERT_OK_AND_ASSIGN(const EventPage events, t->ReadEvents(kServiceSid, position));
  ASSERT_EQ(events.events.size(), 2u);
  for (const UserEvent& e : events.events) {
    EXPECT_EQ(e.type, UserEvent::Type::kUserUpdated);
    EXPECT_EQ(e.changed, user_field::kIsNotifiable);
    EXPECT_EQ(e.user.identity, "n");
  }
  EXPECT_EQ(events.events[0].user.is_notifiable, true);
  EXPECT_EQ(events.events[1].user.is_notifiable, false);

  // Lists show null; with reachability disabled fetches do too.
  ASSERT_OK(t->RegisterBinding(kServiceSid, "n", Params(BindingType::kFcm, "3")));
  ASSERT_OK_AND_ASSIGN(const Page users, t->ListUsers(kServiceSid, {}));
  EXPECT_EQ(users.users.at(0).is_notifiable, std::nullopt);
  ASSERT_OK(t->SetReachabilityEnabled(kServiceSid, false));
  ASSERT_OK_AND_ASSIGN(n, t->FetchUser(kServiceSid, "n"));
  EXPECT_EQ(n.is_notifiable, std::nullopt);
  ASSERT_OK(t->SetReachabilityEnabled(kServiceSid, true));
  ASSERT_OK_AND_ASSIGN(n, t->FetchUser(kServiceSid, "n"));
  EXPECT_EQ(n.is_notifiable, true);
}

TEST(StoreBindings, DeletingAUserDeletesItsBindings) {
  TestStore t;
  MakeUser(t, "gone");
  MakeUser(t, "stays");
  ASSERT_OK(t->SetReachabilityEnabled(kServiceSid, true));
  ASSERT_OK_AND_ASSIGN(const Binding g1,
                       t->RegisterBinding(kServiceSid, "gone", Params(BindingType::kApn, "1")));
  ASSERT_OK_AND_ASSIGN(const Binding g2,
                       t->RegisterBinding(kServiceSid, "gone", Params(BindingType::kFcm, "2")));
  ASSERT_OK_AND_ASSIGN(const Binding s1,
                       t->RegisterBinding(kServiceSid, "stays", Params(BindingType::kApn, "1")));
  ASSERT_OK(t->DeleteUser(kServiceSid, "gone"));
  EXPECT_TWILIO_ERROR(t->FetchBinding(kServiceSid, "", g1.sid), 404, 20404);
  EXPECT_TWILIO_ERROR(t->FetchBinding(kServiceSid, "", g2.sid), 404, 20404);
  ASSERT_OK_AND_ASSIGN(const BindingPage all, t->ListBindings(kServiceSid, {}));
  EXPECT_EQ(Sids(all), std::vector<std::string>{s1.sid});
  BindingListRequest by_identity;
  by_identity.identities = {"gone"};
  ASSERT_OK_AND_ASSIGN(const BindingPage none, t->ListBindings(kServiceSid, by_identity));
  EXPECT_TRUE(none.bindings.empty());

  // A later user of the same identity has none, and never had one.
  MakeUser(t, "gone");
  ASSERT_OK_AND_ASSIGN(const User again, t->FetchUser(kServiceSid, "gone"));
  EXPECT_EQ(again.is_notifiable, std::nullopt);
  BindingListRequest theirs;
  theirs.user_key = "gone";
  ASSERT_OK_AND_ASSIGN(const BindingPage mine, t->ListBindings(kServiceSid, theirs));
  EXPECT_TRUE(mine.bindings.empty());
  EXPECT_TWILIO_ERROR(t->FetchBinding(kServiceSid, "gone", g1.sid), 404, 20404);
}

// An import that renames a user (kUpsert with its SID and a new identity)
// renames it in its Bindings too; its Bindings and is_notifiable stay.
TEST(StoreBindings, ImportRenameKeepsBindingsInStep) {
  TestStore t;
  const User old_name = MakeUser(t, "old");
  ASSERT_OK(t->SetReachabilityEnabled(kServiceSid, true));
  ASSERT_OK_AND_ASSIGN(const Binding b,
                       t->RegisterBinding(kServiceSid, "old", Params(BindingType::kApn, "e")));
  UserImport row;
  row.sid = old_name.sid;
  row.identity = "new";
  row.date_created = row.date_updated = old_name.date_created;
  ImportOptions options;
  options.mode = ImportMode::kUpsert;
  ASSERT_OK_AND_ASSIGN(const ImportResult result, t->ImportUsers(kServiceSid, {row}, options));
  EXPECT_EQ(result.replaced, 1u);
  ASSERT_OK_AND_ASSIGN(const Binding renamed, t->FetchBinding(kServiceSid, "new", b.sid));
  EXPECT_EQ(renamed.identity, "new");
  BindingListRequest by_identity;
  by_identity.identities = {"new"};
  ASSERT_OK_AND_ASSIGN(const BindingPage page, t->ListBindings(kServiceSid, by_identity));
  EXPECT_EQ(Sids(page), std::vector<std::string>{b.sid});
  by_identity.identities = {"old"};
  ASSERT_OK_AND_ASSIGN(const BindingPage none, t->ListBindings(kServiceSid, by_identity));
  EXPECT_TRUE(none.bindings.empty());
  ASSERT_OK_AND_ASSIGN(const User user, t->FetchUser(kServiceSid, "new"));
  EXPECT_EQ(user.is_notifiable, true);
}

TEST(StoreBindings, ListPagesInCreationOrderWithFilters) {
  TestStore t;
  const User a = MakeUser(t, "a");
  MakeUser(t, "b");
  MakeUser(t, "c");
  // a: apn, gcm, fcm; b: apn, fcm; c: gcm (interleaved creation order).
  std::vector<std::string> order;
  auto reg = [&](const std::string& user, BindingType type, const std::string& endpoint) {
    absl::StatusOr<Binding> b = t->RegisterBinding(kServiceSid, user, Params(type, endpoint));
    EXPECT_TRUE(b.ok()) << b.status();
    order.push_back(b.ok() ? b->sid : "");
  };
  reg("a", BindingType::kApn, "a1");
  reg("b", BindingType::kApn, "b1");
  reg("c", BindingType::kGcm, "c1");
  reg("a", BindingType::kGcm, "a2");
  reg("b", BindingType::kFcm, "b2");
  reg("a", BindingType::kFcm, "a3");

  EXPECT_EQ(Walk(t, {}), order);
  BindingListRequest of_a;
  of_a.user_key = "a";
  EXPECT_EQ(Walk(t, of_a), (std::vector<std::string>{order[0], order[3], order[5]}));
  of_a.user_key = a.sid;
  EXPECT_EQ(Walk(t, of_a), (std::vector<std::string>{order[0], order[3], order[5]}));
  BindingListRequest apn_or_fcm;
  apn_or_fcm.binding_types = {BindingType::kFcm, BindingType::kApn};
  EXPECT_EQ(Walk(t, apn_or_fcm),
            (std::vector<std::string>{order[0], order[1], order[4], order[5]}));
  BindingListRequest b_or_c;
  b_or_c.identities = {"c", "b", "nobody"};
  EXPECT_EQ(Walk(t, b_or_c), (std::vector<std::string>{order[1], order[2], order[4]}));
  b_or_c.binding_types = {BindingType::kGcm};
  EXPECT_EQ(Walk(t, b_or_c), std::vector<std::string>{order[2]});
  BindingListRequest a_gcm;
  a_gcm.user_key = "a";
  a_gcm.binding_types = {BindingType::kGcm};
  EXPECT_EQ(Walk(t, a_gcm), std::vector<std::string>{order[3]});

  // Page fields, look-ahead and the previous page, as users' pages.
  BindingListRequest first;
  first.page_size = 3;
  ASSERT_OK_AND_ASSIGN(const BindingPage p0, t->ListBindings(kServiceSid, first));
  EXPECT_EQ(p0.page, 0);
  EXPECT_EQ(p0.page_size, 3);
  EXPECT_TRUE(p0.previous_page_token.empty());
  ASSERT_FALSE(p0.next_page_token.empty());
  BindingListRequest second = first;
  second.page = 1;
  second.page_token = p0.next_page_token;
  ASSERT_OK_AND_ASSIGN(const BindingPage p1, t->ListBindings(kServiceSid, second));
  EXPECT_EQ(Sids(p1), (std::vector<std::string>{order[3], order[4], order[5]}));
  EXPECT_TRUE(p1.next_page_token.empty());  // an exactly full last page
  EXPECT_EQ(p1.page_token, p0.next_page_token);
  ASSERT_FALSE(p1.previous_page_token.empty());
  BindingListRequest back = first;
  back.page = 0;
  back.page_token = p1.previous_page_token;
  ASSERT_OK_AND_ASSIGN(const BindingPage p0_again, t->ListBindings(kServiceSid, back));
  EXPECT_EQ(Sids(p0_again), (std::vector<std::string>{order[0], order[1], order[2]}));
  EXPECT_EQ(Sids(p0_again), Sids(p0));
  EXPECT_EQ(p0_again.next_page_token.empty(), false);

  // Default and clamped page sizes.
  ASSERT_OK_AND_ASSIGN(const BindingPage dflt, t->ListBindings(kServiceSid, {}));
  EXPECT_EQ(dflt.page_size, 50);
  BindingListRequest huge;
  huge.page_size = 1000;
  ASSERT_OK_AND_ASSIGN(const BindingPage clamped, t->ListBindings(kServiceSid, huge));
  EXPECT_EQ(clamped.page_size, 1000);  // Limits::max_binding_page_size (Twilio's maximum)
  EXPECT_EQ(clamped.bindings.size(), 6u);
}

TEST(StoreBindings, TokensAreBoundToTheirList) {
  TestStore t;
  const User a = MakeUser(t, "a");
  const User b = MakeUser(t, "b");
  MakeUser(t, "c");
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(t->RegisterBinding(kServiceSid, "a", Params(BindingType::kApn, std::to_string(i))));
    ASSERT_OK(t->RegisterBinding(kServiceSid, "b", Params(BindingType::kGcm, std::to_string(i))));
  }
  auto token_of = [&](BindingListRequest r) {
    r.page_size = 1;
    absl::StatusOr<BindingPage> page = t->ListBindings(kServiceSid, r);
    EXPECT_TRUE(page.ok()) << page.status();
    EXPECT_FALSE(page.ok() && page->next_page_token.empty());
    return page.ok() ? page->next_page_token : std::string();
  };
  auto refused = [&](BindingListRequest r, const std::string& token) {
    r.page_size = 1;
    r.page = 1;
    r.page_token = token;
    absl::StatusOr<BindingPage> page = t->ListBindings(kServiceSid, r);
    EXPECT_TWILIO_ERROR(page, 400, 20001);
    return page.ok() ? std::string() : std::string(page.status().message());
  };
  auto accepted = [&](BindingListRequest r, const std::string& token) {
    r.page_size = 1;
    r.page = 1;
    r.page_token = token;
    return t->ListBindings(kServiceSid, r).ok();
  };
  BindingListRequest all;
  BindingListRequest of_a;
  of_a.user_key = "a";
  BindingListRequest of_b;
  of_b.user_key = "b";
  BindingListRequest apn;
  apn.binding_types = {BindingType::kApn};
  BindingListRequest apn_twice;
  apn_twice.binding_types = {BindingType::kApn, BindingType::kApn};
  BindingListRequest named_a;
  named_a.identities = {"a"};
  BindingListRequest named_ab;
  named_ab.identities = {"b", "a"};
  BindingListRequest named_ba;
  named_ba.identities = {"a", "b", "a"};

  const std::string t_all = token_of(all);
  const std::string t_of_a = token_of(of_a);
  const std::string t_apn = token_of(apn);
  const std::string t_named_ab = token_of(named_ab);
  EXPECT_EQ(refused(of_a, t_all), "Invalid PageToken");
  EXPECT_EQ(refused(apn, t_all), "Invalid PageToken");
  EXPECT_EQ(refused(all, t_of_a), "Invalid PageToken");
  EXPECT_EQ(refused(of_b, t_of_a), "Invalid PageToken");
  EXPECT_EQ(refused(all, t_apn), "Invalid PageToken");
  EXPECT_EQ(refused(named_a, t_named_ab), "Invalid PageToken");
  // The same list however it is spelt: the user by SID or identity, the
  // filters in any order or repeated.
  BindingListRequest of_a_by_sid;
  of_a_by_sid.user_key = a.sid;
  EXPECT_TRUE(accepted(of_a_by_sid, t_of_a));
  EXPECT_TRUE(accepted(apn_twice, t_apn));
  EXPECT_TRUE(accepted(named_ba, t_named_ab));
  EXPECT_TRUE(accepted(all, t_all));

  // Users' tokens and Bindings' tokens are not interchangeable.
  PageRequest users;
  users.page_size = 1;
  ASSERT_OK_AND_ASSIGN(const Page users_page, t->ListUsers(kServiceSid, users));
  ASSERT_FALSE(users_page.next_page_token.empty());
  EXPECT_EQ(refused(all, users_page.next_page_token), "Invalid PageToken");
  PageRequest users_next;
  users_next.page = 1;
  users_next.page_token = t_all;
  EXPECT_TWILIO_ERROR(t->ListUsers(kServiceSid, users_next), 400, 20001);
  // A user's list token dies with the user (a new user of that identity
  // is another list).
  ASSERT_OK(t->DeleteUser(kServiceSid, b.sid));
  MakeUser(t, "b");
  ASSERT_OK(t->RegisterBinding(kServiceSid, "b", Params(BindingType::kGcm, "x")));
  ASSERT_OK(t->RegisterBinding(kServiceSid, "b", Params(BindingType::kGcm, "y")));
  const std::string t_of_new_b = token_of(of_b);
  EXPECT_TRUE(accepted(of_b, t_of_new_b));
}

TEST(StoreBindings, ValidationAndLimits) {
  StoreOptions options;
  options.limits.max_binding_endpoint_bytes = 8;
  options.limits.max_bindings_per_user = 2;
  TestStore t(options);
  MakeUser(t, "u");
  auto bad = [&](const BindingCreate& p, const std::string& message) {
    absl::StatusOr<Binding> b = t->RegisterBinding(kServiceSid, "u", p);
    EXPECT_TWILIO_ERROR(b, 400, 20001);
    EXPECT_EQ(b.status().message(), message);
  };
  bad(Params(BindingType::kApn, ""), "Endpoint must not be empty");
  bad(Params(BindingType::kApn, "123456789"),
      "Endpoint must be at most 8 bytes long (got 9 bytes)");
  ASSERT_OK(t->RegisterBinding(kServiceSid, "u", Params(BindingType::kApn, "12345678")));
  bad(Params(BindingType::kApn, "a\xff"), "Endpoint must be valid UTF-8");
  bad(Params(BindingType::kApn, std::string("a\0b", 3)), "Endpoint must not contain U+0000");
  bad(Params(static_cast<BindingType>(3), "e"), "BindingType must be one of apn, gcm, fcm");
  BindingCreate credential = Params(BindingType::kApn, "e");
  credential.credential_sid = "CRshort";
  bad(credential, "Invalid CredentialSid: must match ^CR[0-9a-fA-F]{32}$");
  credential.credential_sid = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  bad(credential, "Invalid CredentialSid: must match ^CR[0-9a-fA-F]{32}$");
  const std::string type_message = "Invalid message type: each is 1 to 64 characters of a-z and _";
  bad(Params(BindingType::kApn, "e", {""}), type_message);
  bad(Params(BindingType::kApn, "e", {"New_message"}), type_message);
  bad(Params(BindingType::kApn, "e", {"new-message"}), type_message);
  bad(Params(BindingType::kApn, "e", {std::string(65, 'a')}), type_message);
  ASSERT_OK(t->RegisterBinding(kServiceSid, "u",
                               Params(BindingType::kApn, "12345678", {std::string(64, 'a')})));
  std::vector<std::string> seventeen(17, "new_message");
  bad(Params(BindingType::kApn, "e", seventeen), "At most 16 message types may be given");
  seventeen.pop_back();  // 16 (all one type) accepted
  ASSERT_OK(t->RegisterBinding(kServiceSid, "u", Params(BindingType::kApn, "12345678", seventeen)));

  // The per-user limit: a third Binding is refused, an update is not.
  ASSERT_OK(t->RegisterBinding(kServiceSid, "u", Params(BindingType::kGcm, "g")));
  absl::StatusOr<Binding> third =
      t->RegisterBinding(kServiceSid, "u", Params(BindingType::kFcm, "f"));
  EXPECT_TWILIO_ERROR(third, 403, 20403);
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  ASSERT_OK(t->RegisterBinding(kServiceSid, "u", Params(BindingType::kGcm, "g", {"new_message"})));
  MakeUser(t, "other");  // per user, not per Service
  ASSERT_OK(t->RegisterBinding(kServiceSid, "other", Params(BindingType::kFcm, "f")));

  // Nothing of the refused calls is there.
  BindingListRequest of_u;
  of_u.user_key = "u";
  ASSERT_OK_AND_ASSIGN(const BindingPage page, t->ListBindings(kServiceSid, of_u));
  ASSERT_EQ(page.bindings.size(), 2u);
  EXPECT_EQ(page.bindings[0].endpoint, "12345678");
  EXPECT_EQ(page.bindings[0].message_types, std::vector<std::string>{"new_message"});
  EXPECT_EQ(page.bindings[1].endpoint, "g");

  EXPECT_TWILIO_ERROR(t->RegisterBinding(kServiceSid, "nobody", Params(BindingType::kApn, "e")),
                      404, 20404);
  EXPECT_TWILIO_ERROR(
      t->RegisterBinding("ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "u", Params(BindingType::kApn, "e")),
      404, 20404);
}

TEST(StoreBindings, ListErrors) {
  TestStore t;
  MakeUser(t, "u");
  auto bad = [&](const BindingListRequest& r, const std::string& message) {
    absl::StatusOr<BindingPage> page = t->ListBindings(kServiceSid, r);
    EXPECT_TWILIO_ERROR(page, 400, 20001);
    EXPECT_EQ(page.status().message(), message);
  };
  BindingListRequest r;
  r.page_size = -1;
  bad(r, "PageSize must be at least 1");
  r = {};
  r.page = -1;
  bad(r, "Page must be at least 0");
  r.page = 1;
  bad(r, "Page > 0 requires a PageToken");
  r.page_token = "garbage";
  bad(r, "Invalid PageToken");
  r = {};
  r.binding_types = {static_cast<BindingType>(9)};
  bad(r, "BindingType must be one of apn, gcm, fcm");
  r = {};
  r.user_key = "u";
  r.identities = {"u"};
  bad(r, "The Identity filter applies to the Service's Bindings list only");
  r = {};
  r.user_key = "nobody";
  EXPECT_TWILIO_ERROR(t->ListBindings(kServiceSid, r), 404, 20404);
  EXPECT_TWILIO_ERROR(t->ListBindings("ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", {}), 404, 20404);
}

TEST(StoreBindings, LimitsOfZeroAreRefused) {
  StoreOptions options;
  options.limits.max_binding_endpoint_bytes = 0;
  EXPECT_TWILIO_ERROR(Store::Create(options), 400, 20001);
  options = {};
  options.limits.max_bindings_per_user = 0;
  EXPECT_TWILIO_ERROR(Store::Create(options), 400, 20001);
}

// Concurrent registrations of one (user, type, endpoint) make one Binding.
TEST(StoreBindingsConcurrency, OneBindingPerKey) {
  TestStore t;
  MakeUser(t, "u");
  ASSERT_OK(t->SetReachabilityEnabled(kServiceSid, true));
  constexpr int kThreads = 8;
  std::atomic<int> created{0};
  std::vector<std::string> sids(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 50; ++round) {
        bool made = false;
        absl::StatusOr<Binding> b =
            t->RegisterBinding(kServiceSid, "u", Params(BindingType::kApn, "same"), &made);
        ASSERT_TRUE(b.ok()) << b.status();
        if (made) created.fetch_add(1);
        sids[static_cast<size_t>(i)] = b->sid;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(created.load(), 1);
  for (const std::string& sid : sids) EXPECT_EQ(sid, sids[0]);
  ASSERT_OK_AND_ASSIGN(const BindingPage page, t->ListBindings(kServiceSid, {}));
  EXPECT_EQ(page.bindings.size(), 1u);
}

// Registrations, deletes of Bindings and of users, and lists at once: no
// Binding outlives its user, is_notifiable agrees with the Bindings after
// every round, and lists never fail.
TEST(StoreBindingsConcurrency, RegisterAgainstUserDeletes) {
  TestStore t;
  ASSERT_OK(t->SetReachabilityEnabled(kServiceSid, true));
  constexpr int kRounds = 40;
  for (int round = 0; round < kRounds; ++round) {
    const std::string identity = "u" + std::to_string(round % 3);
    UserCreate create;
    create.identity = identity;
    t->CreateUser(kServiceSid, create).IgnoreError();  // 409 when it exists already
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int w = 0; w < 3; ++w) {
      threads.emplace_back([&, w] {
        for (int i = 0; i < 20; ++i) {
          absl::StatusOr<Binding> b = t->RegisterBinding(
              kServiceSid, identity,
              Params(BindingType::kFcm, std::to_string(w) + "-" + std::to_string(i % 5)));
          if (b.ok() && i % 4 == 0) t->DeleteBinding(kServiceSid, "", b->sid).IgnoreError();
        }
      });
    }
    threads.emplace_back([&] {
      while (!stop.load()) {
        absl::StatusOr<BindingPage> page = t->ListBindings(kServiceSid, {});
        ASSERT_TRUE(page.ok()) << page.status();
      }
    });
    if (round % 2 == 0) t->DeleteUser(kServiceSid, identity).IgnoreError();
    for (size_t i = 0; i + 1 < threads.size(); ++i) threads[i].join();
    stop.store(true);
    threads.back().join();

    // Every Binding belongs to a user that exists, whose is_notifiable is true.
    BindingListRequest everything;
    everything.page_size = 100;
    ASSERT_OK_AND_ASSIGN(const BindingPage page, t->ListBindings(kServiceSid, everything));
    std::set<std::string> holders;
    for (const Binding& b : page.bindings) {
      ASSERT_OK_AND_ASSIGN(const User holder, t->FetchUser(kServiceSid, b.user_sid));
      EXPECT_EQ(holder.identity, b.identity);
      EXPECT_EQ(holder.is_notifiable, true);
      holders.insert(b.user_sid);
    }
    for (int u = 0; u < 3; ++u) {
      absl::StatusOr<User> user = t->FetchUser(kServiceSid, "u" + std::to_string(u));
      if (user.ok() && !holders.contains(user->sid)) {
        EXPECT_NE(user->is_notifiable, true) << user->identity;
      }
    }
  }
}

}  // namespace
}  // namespace userstore
