// Filtered lists and counts, and the indexed attribute (filter.h, store.h;
// issue 18) through the C++ API of a memory-only Store.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/import.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::kRoleSid;
using testing::kServiceSid;
using testing::TestStore;

void Create(TestStore& t, const std::string& identity, std::optional<std::string> role = {},
            std::optional<std::string> attributes = {}) {
  UserCreate c;
  c.identity = identity;
  c.role_sid = std::move(role);
  c.attributes = std::move(attributes);
  ASSERT_TRUE(t->CreateUser(kServiceSid, c).ok()) << identity;
}

std::vector<std::string> Identities(const Page& p) {
  std::vector<std::string> out;
  for (const User& u : p.users) out.push_back(u.identity);
  return out;
}

// Every page of `filter` following next tokens, then back from the last
// page following previous tokens; the forward walk is returned, the
// backward one must be the same users.
std::vector<std::string> Walk(TestStore& t, const UserFilter& filter, int page_size) {
  std::vector<std::string> forward;
  std::vector<Page> pages;
  PageRequest r;
  r.filter = filter;
  r.page_size = page_size;
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<Page> p = t->ListUsers(kServiceSid, r);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return forward;
    EXPECT_LE(p->users.size(), static_cast<size_t>(page_size));
    for (const std::string& id : Identities(*p)) forward.push_back(id);
    pages.push_back(*p);
    if (p->next_page_token.empty()) break;
    r.page = p->page + 1;
    r.page_token = p->next_page_token;
  }
  // Backward from the last page.
  std::vector<std::string> backward = Identities(pages.back());
  Page at = pages.back();
  while (!at.previous_page_token.empty()) {
    PageRequest b;
    b.filter = filter;
    b.page_size = page_size;
    b.page = at.page - 1;
    b.page_token = at.previous_page_token;
    absl::StatusOr<Page> p = t->ListUsers(kServiceSid, b);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) break;
    std::vector<std::string> ids = Identities(*p);
    backward.insert(backward.begin(), ids.begin(), ids.end());
    at = *p;
  }
  EXPECT_EQ(backward, forward) << "page size " << page_size;
  return forward;
}

UserFilter Role(std::string role) {
  UserFilter f;
  f.role_sid = std::move(role);
  return f;
}
UserFilter Prefix(std::string prefix) {
  UserFilter f;
  f.identity_prefix = std::move(prefix);
  return f;
}
UserFilter Attribute(std::string key, std::string value) {
  UserFilter f;
  f.attribute_key = std::move(key);
  f.attribute_value = std::move(value);
  return f;
}

uint64_t Count(TestStore& t, const UserFilter& f) {
  absl::StatusOr<uint64_t> n = t->CountUsers(kServiceSid, f);
  EXPECT_TRUE(n.ok()) << n.status();
  return n.ok() ? *n : ~uint64_t{0};
}

using Ids = std::vector<std::string>;

// Seven users: odd ones hold kRoleSid; identities out of byte order;
// created one second apart; tiers gold / silver / none.
class StoreFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(t_->SetIndexedAttribute(kServiceSid, "tier"));
    const char* ids[] = {"bob", "alice", "bobby", "carol", "bo", "al", "dave"};
    const char* tiers[] = {
        R"({"tier":"gold"})",       R"({"tier":"silver"})", R"({"tier":"gold"})", "{}",
        R"({"tier":"gold","x":1})", R"({"tier":5})",        R"({"tier":5.0})"};
    for (int i = 0; i < 7; ++i) {
      Create(t_, ids[i], i % 2 == 1 ? std::optional<std::string>(kRoleSid) : std::nullopt,
             tiers[i]);
      t_.clock->Advance(10);
    }
  }
  absl::Time Created(int i) const { return absl::FromUnixSeconds(1458853519 + 10 * i); }
  TestStore t_;
};

TEST_F(StoreFilter, RoleListsInCreationOrderAndCounts) {
  EXPECT_EQ(Walk(t_, Role(kRoleSid), 50), (Ids{"alice", "carol", "al"}));
  EXPECT_EQ(Count(t_, Role(kRoleSid)), 3u);
  absl::StatusOr<Service> s = t_->FetchService(kServiceSid);
  ASSERT_OK(s);
  EXPECT_EQ(Walk(t_, Role(s->default_service_role_sid), 50), (Ids{"bob", "bobby", "bo", "dave"}));
  EXPECT_EQ(Count(t_, Role(s->default_service_role_sid)), 4u);
  // Lower-case hex is the same role.
  std::string lower = kRoleSid;
  std::transform(lower.begin() + 2, lower.end(), lower.begin() + 2, ::toupper);
  EXPECT_EQ(Count(t_, Role(lower)), 3u);
  EXPECT_EQ(Count(t_, {}), 7u);
}

TEST_F(StoreFilter, IdentityPrefixListsInByteOrder) {
  EXPECT_EQ(Walk(t_, Prefix("b"), 50), (Ids{"bo", "bob", "bobby"}));
  EXPECT_EQ(Walk(t_, Prefix("bob"), 50), (Ids{"bob", "bobby"}));
  EXPECT_EQ(Walk(t_, Prefix("a"), 50), (Ids{"al", "alice"}));
  EXPECT_EQ(Walk(t_, Prefix("z"), 50), Ids{});
  EXPECT_EQ(Count(t_, Prefix("b")), 3u);
  EXPECT_EQ(Count(t_, Prefix("bobby")), 1u);
  EXPECT_EQ(Count(t_, Prefix("B")), 0u);  // case-sensitive
}

TEST_F(StoreFilter, DateRangeBoundsAndRounding) {
  UserFilter f;
  f.created_from = Created(2);
  f.created_before = Created(5);
  EXPECT_EQ(Walk(t_, f, 50), (Ids{"bobby", "carol", "bo"}));
  EXPECT_EQ(Count(t_, f), 3u);
  // A fraction rounds up: from 2 + 0.5 s is from 3; before 5 + 0.5 s is 6.
  f.created_from = Created(2) + absl::Milliseconds(500);
  f.created_before = Created(5) + absl::Milliseconds(500);
  EXPECT_EQ(Walk(t_, f, 50), (Ids{"carol", "bo", "al"}));
  UserFilter from_only;
  from_only.created_from = Created(5);
  EXPECT_EQ(Walk(t_, from_only, 50), (Ids{"al", "dave"}));
  UserFilter before_only;
  before_only.created_before = Created(1);
  EXPECT_EQ(Walk(t_, before_only, 50), (Ids{"bob"}));
  UserFilter empty_range;
  empty_range.created_from = Created(4);
  empty_range.created_before = Created(4);
  EXPECT_EQ(Walk(t_, empty_range, 50), Ids{});
  EXPECT_EQ(Count(t_, empty_range), 0u);
}

TEST_F(StoreFilter, AttributeValuesAreCanonical) {
  EXPECT_EQ(Walk(t_, Attribute("tier", R"("gold")"), 50), (Ids{"bob", "bobby", "bo"}));
  EXPECT_EQ(Walk(t_, Attribute("tier", R"("\u0067old")"), 50), (Ids{"bob", "bobby", "bo"}));
  EXPECT_EQ(Walk(t_, Attribute("tier", "5"), 50), (Ids{"al", "dave"}));
  EXPECT_EQ(Walk(t_, Attribute("tier", "5e0"), 50), (Ids{"al", "dave"}));
  EXPECT_EQ(Count(t_, Attribute("tier", "0.5e1")), 2u);
  EXPECT_EQ(Count(t_, Attribute("tier", R"("silver")")), 1u);
  EXPECT_EQ(Count(t_, Attribute("tier", R"("5")")), 0u);  // a string is not a number
  EXPECT_EQ(Count(t_, Attribute("tier", R"("bronze")")), 0u);
}

TEST(StoreFilterValues, OnlyStringsAndNumbersMatch) {
  TestStore t;
  ASSERT_OK(t->SetIndexedAttribute(kServiceSid, "k"));
  Create(t, "n0", {}, R"({"k":0})");
  Create(t, "nneg0", {}, R"({"k":-0.0})");
  Create(t, "t", {}, R"({"k":true})");
  Create(t, "null", {}, R"({"k":null})");
  Create(t, "obj", {}, R"({"k":{"a":1}})");
  Create(t, "arr", {}, R"({"k":[1]})");
  Create(t, "nested", {}, R"({"o":{"k":0}})");
  Create(t, "a", {}, R"({"k":"a"})");
  Create(t, "esc", {}, R"({"k":"\u0061"})");
  EXPECT_EQ(Walk(t, Attribute("k", "0"), 1), (Ids{"n0", "nneg0"}));
  EXPECT_EQ(Walk(t, Attribute("k", "-0"), 2), (Ids{"n0", "nneg0"}));
  EXPECT_EQ(Walk(t, Attribute("k", R"("a")"), 1), (Ids{"a", "esc"}));
  for (const char* bad : {"true", "null", "{}", "[1]", "\"a", "1 2", "tru"}) {
    EXPECT_TWILIO_ERROR(t->CountUsers(kServiceSid, Attribute("k", bad)), 400, 20001);
  }
}

TEST_F(StoreFilter, EveryFilterWalksExactlyItsUsersWithSmallPages) {
  UserFilter date;
  date.created_from = Created(1);
  date.created_before = Created(6);
  const std::vector<std::pair<UserFilter, Ids>> cases = {
      {Role(kRoleSid), {"alice", "carol", "al"}},
      {Prefix("b"), {"bo", "bob", "bobby"}},
      {Prefix("al"), {"al", "alice"}},
      {date, {"alice", "bobby", "carol", "bo", "al"}},
      {Attribute("tier", R"("gold")"), {"bob", "bobby", "bo"}},
      {{}, {"bob", "alice", "bobby", "carol", "bo", "al", "dave"}},
  };
  for (int size = 1; size <= 3; ++size) {
    for (const auto& [filter, want] : cases) EXPECT_EQ(Walk(t_, filter, size), want) << size;
  }
}

TEST_F(StoreFilter, VisitUsersServesFilteredPagesBothWays) {
  PageRequest r;
  r.filter = Prefix("b");
  r.page_size = 2;
  Page links;
  Ids seen;
  ASSERT_OK(t_->VisitUsers(
      kServiceSid, r, [&](const UserView& u) { seen.emplace_back(u.identity()); }, &links));
  EXPECT_EQ(seen, (Ids{"bo", "bob"}));
  ASSERT_FALSE(links.next_page_token.empty());
  r.page = 1;
  r.page_token = links.next_page_token;
  seen.clear();
  ASSERT_OK(t_->VisitUsers(
      kServiceSid, r, [&](const UserView& u) { seen.emplace_back(u.identity()); }, &links));
  EXPECT_EQ(seen, (Ids{"bobby"}));
  ASSERT_FALSE(links.previous_page_token.empty());
  EXPECT_TRUE(links.next_page_token.empty());
  r.page = 0;
  r.page_token = links.previous_page_token;
  seen.clear();
  ASSERT_OK(t_->VisitUsers(
      kServiceSid, r, [&](const UserView& u) { seen.emplace_back(u.identity()); }, &links));
  EXPECT_EQ(seen, (Ids{"bo", "bob"}));
}

TEST_F(StoreFilter, TokensAreBoundToTheirFilter) {
  absl::StatusOr<Service> s = t_->FetchService(kServiceSid);
  ASSERT_OK(s);
  PageRequest r;
  r.filter = Role(kRoleSid);
  r.page_size = 1;
  absl::StatusOr<Page> p = t_->ListUsers(kServiceSid, r);
  ASSERT_OK(p);
  ASSERT_FALSE(p->next_page_token.empty());
  PageRequest other;
  other.page = 1;
  other.page_size = 1;
  other.page_token = p->next_page_token;
  for (const UserFilter& f :
       {Role(s->default_service_role_sid), UserFilter{}, Prefix("a"), Attribute("tier", "5")}) {
    other.filter = f;
    EXPECT_TWILIO_ERROR(t_->ListUsers(kServiceSid, other), 400, 20001);
  }
  // An unfiltered token does not serve a filter, nor a prefix's another's.
  PageRequest plain;
  plain.page_size = 1;
  absl::StatusOr<Page> q = t_->ListUsers(kServiceSid, plain);
  ASSERT_OK(q);
  other.page_token = q->next_page_token;
  other.filter = Role(kRoleSid);
  EXPECT_TWILIO_ERROR(t_->ListUsers(kServiceSid, other), 400, 20001);
  PageRequest pre;
  pre.filter = Prefix("b");
  pre.page_size = 1;
  absl::StatusOr<Page> b = t_->ListUsers(kServiceSid, pre);
  ASSERT_OK(b);
  other.page_token = b->next_page_token;
  other.filter = Prefix("bo");
  EXPECT_TWILIO_ERROR(t_->ListUsers(kServiceSid, other), 400, 20001);
  other.filter = Prefix("b");
  ASSERT_OK_AND_ASSIGN(Page next, t_->ListUsers(kServiceSid, other));
  EXPECT_EQ(Identities(next), Ids{"bob"});
}

TEST_F(StoreFilter, BadFiltersAreRefused) {
  absl::StatusOr<Service> s = t_->FetchService(kServiceSid);
  ASSERT_OK(s);
  UserFilter two = Role(kRoleSid);
  two.identity_prefix = "a";
  EXPECT_TWILIO_ERROR(t_->CountUsers(kServiceSid, two), 400, 20001);
  UserFilter date_and_attr = Attribute("tier", "5");
  date_and_attr.created_before = absl::Now();
  EXPECT_TWILIO_ERROR(t_->CountUsers(kServiceSid, date_and_attr), 400, 20001);
  PageRequest r;
  r.filter = two;
  EXPECT_TWILIO_ERROR(t_->ListUsers(kServiceSid, r), 400, 20001);
  EXPECT_TWILIO_ERROR(t_->CountUsers(kServiceSid, Role("RLnot-a-role")), 400, 20001);
  EXPECT_TWILIO_ERROR(t_->CountUsers(kServiceSid, Role("RLbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")), 400,
                      50100);
  EXPECT_TWILIO_ERROR(t_->CountUsers(kServiceSid, Role(s->default_channel_role_sid)), 400, 50105);
  EXPECT_TWILIO_ERROR(t_->CountUsers(kServiceSid, Prefix("a\xff")), 400, 20001);
  EXPECT_TWILIO_ERROR(t_->CountUsers(kServiceSid, Prefix(std::string("a\0b", 3))), 400, 20001);
  EXPECT_TWILIO_ERROR(t_->CountUsers(kServiceSid, Prefix(std::string(257, 'a'))), 400, 20001);
  EXPECT_EQ(Count(t_, Prefix(std::string(256, 'a'))), 0u);
  EXPECT_TWILIO_ERROR(t_->CountUsers(kServiceSid, Attribute("other", "5")), 400, 20001);
  EXPECT_TWILIO_ERROR(t_->CountUsers(kServiceSid, Attribute("tier", "")), 400, 20001);
  EXPECT_TWILIO_ERROR(t_->CountUsers(kServiceSid, Attribute("", "5")), 400, 20001);
  EXPECT_TWILIO_ERROR(
      t_->CountUsers(kServiceSid, Attribute("tier", "\"" + std::string(16384, 'a') + "\"")), 400,
      20001);
  EXPECT_TWILIO_ERROR(t_->CountUsers("ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", Role(kRoleSid)), 404,
                      20404);
}

TEST_F(StoreFilter, ChangesMoveUsersBetweenListsAndCounts) {
  absl::StatusOr<Service> s = t_->FetchService(kServiceSid);
  ASSERT_OK(s);
  UserUpdate u;
  u.role_sid = kRoleSid;
  ASSERT_OK(t_->UpdateUser(kServiceSid, "bob", u));
  EXPECT_EQ(Walk(t_, Role(kRoleSid), 2), (Ids{"bob", "alice", "carol", "al"}));
  EXPECT_EQ(Count(t_, Role(s->default_service_role_sid)), 3u);
  UserUpdate a;
  a.attributes = R"({"tier":"silver"})";
  ASSERT_OK(t_->UpdateUser(kServiceSid, "bobby", a));
  EXPECT_EQ(Walk(t_, Attribute("tier", R"("gold")"), 2), (Ids{"bob", "bo"}));
  EXPECT_EQ(Walk(t_, Attribute("tier", R"("silver")"), 2), (Ids{"alice", "bobby"}));
  UserUpdate patch;
  patch.attributes_patch = R"({"tier":5})";
  ASSERT_OK(t_->UpdateUser(kServiceSid, "carol", patch));
  EXPECT_EQ(Walk(t_, Attribute("tier", "5"), 2), (Ids{"carol", "al", "dave"}));
  UserUpdate drop;
  drop.attributes = "{}";
  ASSERT_OK(t_->UpdateUser(kServiceSid, "dave", drop));
  EXPECT_EQ(Count(t_, Attribute("tier", "5")), 2u);
  ASSERT_OK(t_->DeleteUser(kServiceSid, "bo", UserDelete{}));
  EXPECT_EQ(Walk(t_, Prefix("b"), 1), (Ids{"bob", "bobby"}));
  EXPECT_EQ(Count(t_, Attribute("tier", R"("gold")")), 1u);
  UserFilter all_dates;
  all_dates.created_from = absl::UnixEpoch();
  EXPECT_EQ(Count(t_, all_dates), 6u);
}

TEST_F(StoreFilter, IndexedAttributeIsRebuiltReplacedAndRemoved) {
  ASSERT_OK_AND_ASSIGN(std::string key, t_->IndexedAttribute(kServiceSid));
  EXPECT_EQ(key, "tier");
  ASSERT_OK(t_->SetIndexedAttribute(kServiceSid, "tier"));  // unchanged
  EXPECT_EQ(Count(t_, Attribute("tier", R"("gold")")), 3u);
  ASSERT_OK(t_->SetIndexedAttribute(kServiceSid, "x"));
  EXPECT_TWILIO_ERROR(t_->CountUsers(kServiceSid, Attribute("tier", R"("gold")")), 400, 20001);
  EXPECT_EQ(Walk(t_, Attribute("x", "1"), 1), Ids{"bo"});
  ASSERT_OK(t_->SetIndexedAttribute(kServiceSid, "tier"));  // rebuilt over the users
  EXPECT_EQ(Walk(t_, Attribute("tier", R"("gold")"), 2), (Ids{"bob", "bobby", "bo"}));
  ASSERT_OK(t_->SetIndexedAttribute(kServiceSid, ""));
  ASSERT_OK_AND_ASSIGN(key, t_->IndexedAttribute(kServiceSid));
  EXPECT_EQ(key, "");
  EXPECT_TWILIO_ERROR(t_->CountUsers(kServiceSid, Attribute("tier", R"("gold")")), 400, 20001);
  EXPECT_TWILIO_ERROR(t_->SetIndexedAttribute(kServiceSid, std::string(129, 'k')), 400, 20001);
  EXPECT_TWILIO_ERROR(t_->SetIndexedAttribute(kServiceSid, std::string("a\0", 2)), 400, 20001);
  EXPECT_TWILIO_ERROR(t_->SetIndexedAttribute(kServiceSid, "\xc3"), 400, 20001);
  ASSERT_OK(t_->SetIndexedAttribute(kServiceSid, std::string(128, 'k')));
  EXPECT_TWILIO_ERROR(t_->SetIndexedAttribute("ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "k"), 404,
                      20404);
  EXPECT_TWILIO_ERROR(t_->IndexedAttribute("ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"), 404, 20404);
}

// Dates before 1970 (or past 2106) live in the date index's wide set
// beside the packed one: walks and counts merge the two.
TEST(StoreFilterDates, DatesOutsideThirtyTwoBitsMergeWithTheOthers) {
  TestStore t;
  const int64_t start = 1458853519;
  t.clock->Advance(-start - 20);  // 1969-12-31T23:59:40Z
  Create(t, "old1");
  t.clock->Advance(10);
  Create(t, "old2");
  t.clock->Advance(20);  // 1970-01-01T00:00:10Z
  Create(t, "new1");
  Create(t, "new2");
  t.clock->Advance(-40);  // back before 1970
  Create(t, "old0");
  UserFilter all;
  all.created_from = absl::FromUnixSeconds(-100);
  for (int size = 1; size <= 3; ++size) {
    EXPECT_EQ(Walk(t, all, size), (Ids{"old0", "old1", "old2", "new1", "new2"})) << size;
  }
  EXPECT_EQ(Count(t, all), 5u);
  UserFilter around;
  around.created_from = absl::FromUnixSeconds(-10);
  around.created_before = absl::FromUnixSeconds(11);
  EXPECT_EQ(Walk(t, around, 1), (Ids{"old2", "new1", "new2"}));
  EXPECT_EQ(Count(t, around), 3u);
  UserFilter before_epoch;
  before_epoch.created_before = absl::UnixEpoch();
  EXPECT_EQ(Walk(t, before_epoch, 2), (Ids{"old0", "old1", "old2"}));
}

// An import that replaces users (kUpsert) moves them in every index: a
// rename in identity order, a new date, role and indexed value; an
// inserted row joins them.
TEST_F(StoreFilter, ImportsMoveUsersInEveryIndex) {
  absl::StatusOr<User> bob = t_->FetchUser(kServiceSid, "bob");
  ASSERT_OK(bob);
  UserImport row;
  row.sid = bob->sid;
  row.identity = "zed";
  row.role_sid = kRoleSid;
  row.attributes = R"({"tier":5})";
  row.date_created = Created(9);
  row.date_updated = Created(9);
  UserImport fresh;
  fresh.sid = "US0123456789abcdef0123456789abcdef";
  fresh.identity = "bz";
  row.role_sid = kRoleSid;
  fresh.role_sid = kRoleSid;
  fresh.attributes = R"({"tier":"gold"})";
  fresh.date_created = Created(1);
  fresh.date_updated = Created(1);
  ImportOptions options;
  options.mode = ImportMode::kUpsert;
  ASSERT_OK_AND_ASSIGN(ImportResult result, t_->ImportUsers(kServiceSid, {row, fresh}, options));
  EXPECT_EQ(result.replaced, 1u);
  EXPECT_EQ(result.inserted, 1u);
  EXPECT_EQ(Walk(t_, Prefix("b"), 1), (Ids{"bo", "bobby", "bz"}));
  EXPECT_EQ(Walk(t_, Prefix("z"), 1), Ids{"zed"});
  // "zed" keeps bob's place in creation order; "bz" comes last.
  EXPECT_EQ(Walk(t_, Role(kRoleSid), 2), (Ids{"zed", "alice", "carol", "al", "bz"}));
  EXPECT_EQ(Walk(t_, Attribute("tier", "5"), 2), (Ids{"zed", "al", "dave"}));
  EXPECT_EQ(Walk(t_, Attribute("tier", R"("gold")"), 2), (Ids{"bobby", "bo", "bz"}));
  UserFilter late;
  late.created_from = Created(6);
  EXPECT_EQ(Walk(t_, late, 1), (Ids{"dave", "zed"}));
  UserFilter second;
  second.created_from = Created(1);
  second.created_before = Created(2);
  EXPECT_EQ(Walk(t_, second, 1), (Ids{"alice", "bz"}));
}

}  // namespace
}  // namespace userstore
