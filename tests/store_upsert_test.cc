// Store::UpsertUsers in memory (include/userstore/filter.h, store.h; docs/api.md,
// "Batch upsert"): per-row outcomes with their real fields, revisions and
// dates; the call's errors; each row's validation code; one feed event per
// changed row; listeners with webhook_enabled; and concurrent upserts,
// creates and deletes of overlapping identities.
#include <atomic>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/test_store.h"
#include "userstore/events.h"
#include "userstore/filter.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::kRoleSid;
using testing::kServiceSid;
using testing::TestStore;

UserUpsert Row(std::string identity) {
  UserUpsert u;
  u.identity = std::move(identity);
  return u;
}

UserCreate Create(std::string identity) {
  UserCreate c;
  c.identity = std::move(identity);
  return c;
}

// Every event after `after` (pages of 1,000, ReadEvents' most).
std::vector<UserEvent> Events(Store& store, uint64_t after) {
  std::vector<UserEvent> out;
  for (;;) {
    absl::StatusOr<EventPage> page = store.ReadEvents(kServiceSid, after, 1000);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok() || page->events.empty()) return out;
    for (UserEvent& e : page->events) out.push_back(std::move(e));
    after = page->next_after;
  }
}

TEST(StoreUpsert, CreatesUpdatesKeepsAndRefusesRowByRow) {
  TestStore s;
  ASSERT_OK_AND_ASSIGN(const Service service, s->FetchService(kServiceSid));
  UserCreate c;
  c.identity = "bob";
  c.attributes = R"({"team":"red"})";
  c.friendly_name = "Bob";
  ASSERT_OK_AND_ASSIGN(const User bob, s->CreateUser(kServiceSid, c));
  c = {};
  c.identity = "carol";
  c.role_sid = kRoleSid;
  ASSERT_OK_AND_ASSIGN(const User carol, s->CreateUser(kServiceSid, c));
  s.clock->Advance(60);

  std::vector<UserUpsert> rows;
  rows.push_back(Row("alice"));  // 0: created with defaults
  rows.push_back(Row("bob"));    // 1: updated: attributes, name cleared
  rows[1].attributes = R"({"team":"blue"})";
  rows[1].friendly_name = "";
  rows.push_back(Row("carol"));  // 2: unchanged: the role it has
  rows[2].role_sid = kRoleSid;
  rows.push_back(Row("dave"));  // 3: failed: attributes not an object
  rows[3].attributes = "[1]";
  rows.push_back(Row("erin"));  // 4: created with every field
  rows[4].role_sid = kRoleSid;
  rows[4].attributes = R"({"n":4})";
  rows[4].friendly_name = "Erin";
  ASSERT_OK_AND_ASSIGN(const std::vector<UpsertResult> r, s->UpsertUsers(kServiceSid, rows));
  ASSERT_EQ(r.size(), 5u);
  const int64_t now = 1458853519 + 60;

  EXPECT_EQ(r[0].outcome, UpsertOutcome::kCreated);
  EXPECT_TRUE(r[0].status.ok());
  EXPECT_EQ(r[0].user.identity, "alice");
  EXPECT_EQ(r[0].user.role_sid, service.default_service_role_sid);
  EXPECT_EQ(r[0].user.attributes, "{}");
  EXPECT_EQ(r[0].user.friendly_name, std::nullopt);
  EXPECT_EQ(absl::ToUnixSeconds(r[0].user.date_created), now);
  EXPECT_EQ(absl::ToUnixSeconds(r[0].user.date_updated), now);
  EXPECT_EQ(r[0].user.sid.substr(0, 2), "US");

  EXPECT_EQ(r[1].outcome, UpsertOutcome::kUpdated);
  EXPECT_EQ(r[1].user.sid, bob.sid);
  EXPECT_EQ(r[1].user.attributes, R"({"team":"blue"})");
  EXPECT_EQ(r[1].user.friendly_name, std::nullopt);
  EXPECT_EQ(r[1].user.date_created, bob.date_created);
  EXPECT_EQ(absl::ToUnixSeconds(r[1].user.date_updated), now);
  EXPECT_GT(r[1].user.revision, bob.revision);

  EXPECT_EQ(r[2].outcome, UpsertOutcome::kUnchanged);
  EXPECT_EQ(r[2].user.sid, carol.sid);
  EXPECT_EQ(r[2].user.revision, carol.revision);
  EXPECT_EQ(r[2].user.date_updated, carol.date_updated);

  EXPECT_EQ(r[3].outcome, UpsertOutcome::kFailed);
  EXPECT_EQ(TwilioCode(r[3].status), 50304);
  EXPECT_EQ(HttpStatus(r[3].status), 400);
  EXPECT_TRUE(r[3].user.sid.empty());
  EXPECT_TWILIO_ERROR(s->FetchUser(kServiceSid, "dave"), 404, 20404);

  EXPECT_EQ(r[4].outcome, UpsertOutcome::kCreated);
  EXPECT_EQ(r[4].user.role_sid, kRoleSid);
  EXPECT_EQ(r[4].user.attributes, R"({"n":4})");
  EXPECT_EQ(r[4].user.friendly_name, std::optional<std::string>("Erin"));
  EXPECT_GT(r[4].user.revision, r[0].user.revision);  // created in input order

  // The store holds what the results show.
  for (size_t i : {0u, 1u, 2u, 4u}) {
    ASSERT_OK_AND_ASSIGN(const User stored, s->FetchUser(kServiceSid, rows[i].identity));
    EXPECT_EQ(stored.sid, r[i].user.sid);
    EXPECT_EQ(stored.attributes, r[i].user.attributes);
    EXPECT_EQ(stored.friendly_name, r[i].user.friendly_name);
    EXPECT_EQ(stored.revision, r[i].user.revision);
  }
  ASSERT_OK_AND_ASSIGN(const uint64_t n, s->CountUsers(kServiceSid));
  EXPECT_EQ(n, 4u);
}

TEST(StoreUpsert, ARowSettingNoFieldOrTheSameValuesIsUnchanged) {
  TestStore s;
  UserCreate c;
  c.identity = "ann";
  c.attributes = R"({"a":1})";
  c.friendly_name = "Ann";
  ASSERT_OK_AND_ASSIGN(const User ann, s->CreateUser(kServiceSid, c));
  c = {};
  c.identity = "plain";
  ASSERT_OK_AND_ASSIGN(const User plain, s->CreateUser(kServiceSid, c));
  s.clock->Advance(5);
  std::vector<UserUpsert> rows = {Row("ann"), Row("other"), Row("plain")};
  rows[0].attributes = R"({"a":1})";
  rows[0].friendly_name = "Ann";
  rows[2].attributes = "{}";  // never set reads as "{}": no change
  rows[2].friendly_name = "";
  ASSERT_OK_AND_ASSIGN(const uint64_t before, s->EventPosition(kServiceSid));
  ASSERT_OK_AND_ASSIGN(std::vector<UpsertResult> r, s->UpsertUsers(kServiceSid, rows));
  EXPECT_EQ(r[0].outcome, UpsertOutcome::kUnchanged);
  EXPECT_EQ(r[0].user.revision, ann.revision);
  EXPECT_EQ(r[0].user.date_updated, ann.date_updated);
  EXPECT_EQ(r[1].outcome, UpsertOutcome::kCreated);
  EXPECT_EQ(r[2].outcome, UpsertOutcome::kUnchanged);
  EXPECT_EQ(r[2].user.revision, plain.revision);
  const std::vector<UserEvent> events = Events(*s.store, before);
  ASSERT_EQ(events.size(), 1u);  // "other" only
  EXPECT_EQ(events[0].user.identity, "other");
  // A row with no field at all for an existing user.
  ASSERT_OK_AND_ASSIGN(r, s->UpsertUsers(kServiceSid, {Row("ann")}));
  EXPECT_EQ(r[0].outcome, UpsertOutcome::kUnchanged);
  EXPECT_EQ(r[0].user.attributes, R"({"a":1})");
}

TEST(StoreUpsert, TheCallsErrors) {
  TestStore s;
  EXPECT_TWILIO_ERROR(s->UpsertUsers(kServiceSid, {}), 400, 20001);
  std::vector<UserUpsert> rows;
  for (size_t i = 0; i <= kMaxUpsertRows; ++i) rows.push_back(Row(absl::StrCat("u", i)));
  EXPECT_TWILIO_ERROR(s->UpsertUsers(kServiceSid, rows), 400, 20001);
  ASSERT_OK_AND_ASSIGN(uint64_t n, s->CountUsers(kServiceSid));
  EXPECT_EQ(n, 0u);  // nothing applied
  rows.pop_back();   // 100 rows: taken
  ASSERT_OK_AND_ASSIGN(const std::vector<UpsertResult> r, s->UpsertUsers(kServiceSid, rows));
  ASSERT_EQ(r.size(), kMaxUpsertRows);
  for (const UpsertResult& row : r) EXPECT_EQ(row.outcome, UpsertOutcome::kCreated);
  ASSERT_OK_AND_ASSIGN(n, s->CountUsers(kServiceSid));
  EXPECT_EQ(n, kMaxUpsertRows);
  EXPECT_TWILIO_ERROR(s->UpsertUsers("ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", {Row("x")}), 404, 20404);
}

TEST(StoreUpsert, EachRowGetsTheCodeOfItsOwnError) {
  TestStore s;
  ASSERT_OK_AND_ASSIGN(const Service service, s->FetchService(kServiceSid));
  ASSERT_OK(s->CreateUser(kServiceSid, Create("exists")));
  struct Case {
    UserUpsert row;
    int http;
    int code;
  };
  auto with = [](std::string identity, auto set) {
    UserUpsert u = Row(std::move(identity));
    set(u);
    return u;
  };
  const std::vector<Case> cases = {
      {Row(""), 400, 50204},
      {Row(std::string(300, 'x')), 400, 50207},
      {Row("US0123456789abcdef0123456789abcdef"), 400, 50206},
      {Row("bad\xff"), 400, 20001},
      {with("a1", [](UserUpsert& u) { u.attributes = "{"; }), 400, 50304},
      {with("a2", [](UserUpsert& u) { u.attributes = "7"; }), 400, 50304},
      {with("exists", [](UserUpsert& u) { u.attributes = "nope"; }), 400, 50304},
      {with("a3", [](UserUpsert& u) { u.attributes = std::string(16385, ' '); }), 400, 50303},
      {with("f1", [](UserUpsert& u) { u.friendly_name = std::string(300, 'f'); }), 400, 50003},
      {with("r1", [](UserUpsert& u) { u.role_sid = "RLnothex"; }), 400, 20001},
      {with("r2", [](UserUpsert& u) { u.role_sid = "RLbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"; }), 400,
       50100},
      {with("r3", [&](UserUpsert& u) { u.role_sid = service.default_channel_role_sid; }), 400,
       50105},
      {with("ok", [](UserUpsert& u) { u.friendly_name = "fine"; }), 0, 0},
      {with("ok", [](UserUpsert& u) { u.friendly_name = "again"; }), 400, 20001},  // repeated
  };
  std::vector<UserUpsert> rows;
  for (const Case& c : cases) rows.push_back(c.row);
  ASSERT_OK_AND_ASSIGN(const std::vector<UpsertResult> r, s->UpsertUsers(kServiceSid, rows));
  ASSERT_EQ(r.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("row ", i));
    if (cases[i].code == 0) {
      EXPECT_EQ(r[i].outcome, UpsertOutcome::kCreated);
      continue;
    }
    EXPECT_EQ(r[i].outcome, UpsertOutcome::kFailed);
    EXPECT_EQ(HttpStatus(r[i].status), cases[i].http) << r[i].status;
    EXPECT_EQ(TwilioCode(r[i].status), cases[i].code) << r[i].status;
  }
  EXPECT_NE(r.back().status.message().find("twice"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(const User ok, s->FetchUser(kServiceSid, "ok"));
  EXPECT_EQ(ok.friendly_name, std::optional<std::string>("fine"));  // the first row's
  ASSERT_OK_AND_ASSIGN(const uint64_t n, s->CountUsers(kServiceSid));
  EXPECT_EQ(n, 2u);  // exists, ok
}

TEST(StoreUpsert, OneEventPerChangedRowInInputOrder) {
  TestStore s;
  ASSERT_OK_AND_ASSIGN(const User old, s->CreateUser(kServiceSid, Create("old")));
  ASSERT_OK_AND_ASSIGN(const uint64_t before, s->EventPosition(kServiceSid));
  std::vector<UserUpsert> rows = {Row("new1"), Row("old"), Row("bad"), Row("new2")};
  rows[1].role_sid = kRoleSid;
  rows[1].friendly_name = "Old";
  rows[2].attributes = "x";
  ASSERT_OK_AND_ASSIGN(const std::vector<UpsertResult> r, s->UpsertUsers(kServiceSid, rows));
  const std::vector<UserEvent> events = Events(*s.store, before);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, UserEvent::Type::kUserAdded);
  EXPECT_EQ(events[0].changed, user_field::kAll);
  EXPECT_EQ(events[0].user.sid, r[0].user.sid);
  EXPECT_EQ(events[1].type, UserEvent::Type::kUserUpdated);
  EXPECT_EQ(events[1].changed, user_field::kRoleSid | user_field::kFriendlyName);
  EXPECT_EQ(events[1].user.sid, old.sid);
  EXPECT_EQ(events[1].user.role_sid, kRoleSid);
  EXPECT_EQ(events[2].user.identity, "new2");
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence, before + 1 + i);
    EXPECT_EQ(events[i].origin, WriteOrigin::kServer);
    EXPECT_FALSE(events[i].webhook_enabled);
  }
}

TEST(StoreUpsert, ListenersFireOnlyWithWebhookEnabled) {
  TestStore s;
  std::vector<UserEvent> fired;
  s->AddPostEventListener([&](const UserEvent& e) { fired.push_back(e); });
  ASSERT_OK(s->CreateUser(kServiceSid, Create("kept")));
  std::vector<UserUpsert> rows = {Row("a"), Row("kept"), Row("b")};
  ASSERT_OK(s->UpsertUsers(kServiceSid, rows));
  EXPECT_TRUE(fired.empty());
  rows = {Row("c"), Row("kept"), Row("a")};
  rows[2].attributes = R"({"v":2})";
  UpsertOptions options;
  options.webhook_enabled = true;
  ASSERT_OK_AND_ASSIGN(const std::vector<UpsertResult> r,
                       s->UpsertUsers(kServiceSid, rows, options));
  ASSERT_EQ(fired.size(), 2u);  // "kept" is unchanged
  EXPECT_EQ(fired[0].type, UserEvent::Type::kUserAdded);
  EXPECT_EQ(fired[0].user.identity, "c");
  EXPECT_EQ(fired[0].user.sid, r[0].user.sid);
  EXPECT_TRUE(fired[0].webhook_enabled);
  EXPECT_EQ(fired[1].type, UserEvent::Type::kUserUpdated);
  EXPECT_EQ(fired[1].changed, user_field::kAttributes);
  EXPECT_EQ(fired[1].user.attributes, R"({"v":2})");
  EXPECT_GT(fired[1].sequence, fired[0].sequence);
}

// Upserts of overlapping identities race creates and deletes of the same
// identities: every call answers, no identity is held twice, and each user
// holds the last value written to it.
TEST(StoreUpsert, ConcurrentUpsertsCreatesAndDeletesStayConsistent) {
  StoreOptions options;
  options.events.memory_window = 1 << 14;  // every event of the run stays readable
  TestStore s(options);
  constexpr int kIdentities = 40;
  constexpr int kRounds = 60;
  auto name = [](int i) { return absl::StrCat("id-", i); };
  // Thread t's call `round` upserts every third identity from first_of.
  auto first_of = [](int t, int round) { return (round + t * 7) % 5; };
  auto attributes_of = [](int t, int round) {
    return absl::StrCat(R"({"t":)", t, R"(,"round":)", round, "}");
  };
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        std::vector<UserUpsert> rows;
        for (int i = first_of(t, round); i < kIdentities; i += 3) {
          UserUpsert u = Row(name(i));
          u.attributes = attributes_of(t, round);
          rows.push_back(std::move(u));
        }
        absl::StatusOr<std::vector<UpsertResult>> r = s->UpsertUsers(kServiceSid, rows);
        if (!r.ok()) {
          ++failures;
          continue;
        }
        for (const UpsertResult& row : *r) {
          if (row.outcome == UpsertOutcome::kFailed) ++failures;
        }
      }
    });
  }
  threads.emplace_back([&] {
    for (int round = 0; round < kRounds * 2; ++round) {
      absl::Status c = s->CreateUser(kServiceSid, Create(name(round % kIdentities))).status();
      if (!c.ok() && TwilioCode(c) != 50201) ++failures;  // only "already exists"
      absl::Status d = s->DeleteUser(kServiceSid, name((round * 7) % kIdentities));
      if (!d.ok() && TwilioCode(d) != 20404) ++failures;
    }
  });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);

  // One step: each call's events (its attributes name it) are consecutive
  // in the feed, one per row, with no other write between them.
  std::map<std::string, std::vector<uint64_t>> batches;
  for (const UserEvent& e : Events(*s.store, 0)) {
    if (e.type != UserEvent::Type::kUserRemoved && e.user.attributes != "{}") {
      batches[e.user.attributes].push_back(e.sequence);
    }
  }
  std::map<std::string, size_t> expected;  // each call's attributes -> its rows
  for (int t = 0; t < 2; ++t) {
    for (int round = 0; round < kRounds; ++round) {
      expected[attributes_of(t, round)] =
          static_cast<size_t>(kIdentities - first_of(t, round) + 2) / 3;
    }
  }
  ASSERT_EQ(batches.size(), expected.size());
  for (const auto& [attributes, sequences] : batches) {
    EXPECT_EQ(sequences.size(), expected[attributes]) << attributes;  // every row changed
    EXPECT_EQ(sequences.back() - sequences.front() + 1, sequences.size()) << attributes;
  }

  std::set<std::string> identities;
  std::set<std::string> sids;
  PageRequest request;
  request.page_size = 1000;
  ASSERT_OK_AND_ASSIGN(const Page page, s->ListUsers(kServiceSid, request));
  for (const User& u : page.users) {
    EXPECT_TRUE(identities.insert(u.identity).second) << u.identity;
    EXPECT_TRUE(sids.insert(u.sid).second) << u.sid;
    ASSERT_OK_AND_ASSIGN(const User fetched, s->FetchUser(kServiceSid, u.identity));
    EXPECT_EQ(fetched.sid, u.sid);
    EXPECT_EQ(fetched.revision, u.revision);
  }
  ASSERT_OK_AND_ASSIGN(const uint64_t n, s->CountUsers(kServiceSid));
  EXPECT_EQ(n, page.users.size());
  // After the race, one more upsert of every identity updates or creates
  // each exactly once.
  std::vector<UserUpsert> rows;
  for (int i = 0; i < kIdentities; ++i) {
    rows.push_back(Row(name(i)));
    rows.back().attributes = R"({"final":true})";
  }
  ASSERT_OK_AND_ASSIGN(const std::vector<UpsertResult> r, s->UpsertUsers(kServiceSid, rows));
  for (int i = 0; i < kIdentities; ++i) {
    const bool existed = identities.count(name(i)) > 0;
    EXPECT_EQ(r[static_cast<size_t>(i)].outcome,
              existed ? UpsertOutcome::kUpdated : UpsertOutcome::kCreated)
        << i;
  }
  ASSERT_OK_AND_ASSIGN(const uint64_t all, s->CountUsers(kServiceSid));
  EXPECT_EQ(all, static_cast<uint64_t>(kIdentities));
}

}  // namespace
}  // namespace userstore
