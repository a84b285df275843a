// Store::ImportUsers and Store::ImportService on a memory Store: every mode
// against SID and identity conflicts, every per-row error with its Twilio
// code, paging order and page tokens across an import, deleted SIDs, dry
// runs, and imports racing creates, fetches and deletes.
#include <algorithm>
#include <atomic>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::kAccountSid;
using testing::kRoleSid;
using testing::kServiceSid;
using testing::TestStore;

// 2020-01-01T00:00:00Z.
constexpr int64_t kBase = 1577836800;

std::string UserSid(int n) { return absl::StrFormat("US%032x", n); }

// A valid row: user `n`, created kBase + n (updated 10 s later).
UserImport Row(int n, std::string identity) {
  UserImport u;
  u.sid = UserSid(n);
  u.identity = std::move(identity);
  u.role_sid = kRoleSid;
  u.attributes = absl::StrCat(R"({"n":)", n, "}");
  u.date_created = absl::FromUnixSeconds(kBase + n);
  u.date_updated = absl::FromUnixSeconds(kBase + n + 10);
  return u;
}

UserImport Row(int n) { return Row(n, absl::StrCat("user-", n)); }

ImportOptions Mode(ImportMode mode) {
  ImportOptions o;
  o.mode = mode;
  return o;
}

// Every user of the Service in paging order, by identity.
std::vector<std::string> WalkIdentities(const Store& store, int64_t page_size = 3) {
  std::vector<std::string> out;
  PageRequest request;
  request.page_size = page_size;
  for (;;) {
    absl::StatusOr<Page> page = store.ListUsers(kServiceSid, request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return out;
    for (const User& u : page->users) out.push_back(u.identity);
    if (page->next_page_token.empty()) return out;
    request.page_token = page->next_page_token;
    ++request.page;
  }
}

// The codes of a result's errors, "index:http/code" each.
std::vector<std::string> Codes(const ImportResult& r) {
  std::vector<std::string> out;
  for (const ImportRowError& e : r.errors) {
    out.push_back(absl::StrCat(e.index, ":", HttpStatus(e.status), "/", TwilioCode(e.status)));
  }
  return out;
}

// ---- fields ------------------------------------------------------------------

TEST(StoreImport, ImportedFieldsAreFetchedByteExact) {
  TestStore t;
  UserImport a = Row(1, "ünïcode ☃ id");
  a.sid = "USABCDEF0123456789ABCDEF0123456789";  // upper-case hex: stored lower-case
  a.attributes = "{ \"k\" : [1, 2.50, \"\\u00e9\"],\n\t\"nested\":{} }";  // bytes kept as given
  a.friendly_name = "Ada \xF0\x9F\x98\x80";
  a.joined_channels_count = 42;
  UserImport b = Row(2, "plain");
  b.attributes = "";        // never set: "{}"
  b.friendly_name.reset();  // null
  b.role_sid = "";          // the Service's default role
  UserImport c = Row(3, "empty-name");
  c.friendly_name = "";  // as CreateUser: stays null
  ASSERT_OK_AND_ASSIGN(ImportResult r, t->ImportUsers(kServiceSid, {a, b, c}));
  EXPECT_EQ(r.inserted, 3u);
  EXPECT_EQ(r.rejected, 0u);
  EXPECT_TRUE(r.errors.empty());

  for (const std::string& key :
       {std::string("USabcdef0123456789abcdef0123456789"), std::string("ünïcode ☃ id")}) {
    ASSERT_OK_AND_ASSIGN(User u, t->FetchUser(kServiceSid, key));
    EXPECT_EQ(u.sid, "USabcdef0123456789abcdef0123456789");
    EXPECT_EQ(u.account_sid, kAccountSid);
    EXPECT_EQ(u.service_sid, kServiceSid);
    EXPECT_EQ(u.identity, "ünïcode ☃ id");
    EXPECT_EQ(u.role_sid, kRoleSid);
    EXPECT_EQ(u.attributes, a.attributes);
    EXPECT_EQ(u.friendly_name, std::optional<std::string>("Ada \xF0\x9F\x98\x80"));
    EXPECT_EQ(u.joined_channels_count, 42);
    EXPECT_EQ(u.date_created, absl::FromUnixSeconds(kBase + 1));
    EXPECT_EQ(u.date_updated, absl::FromUnixSeconds(kBase + 11));
    EXPECT_EQ(u.is_online, std::nullopt);
  }
  ASSERT_OK_AND_ASSIGN(Service service, t->FetchService(kServiceSid));
  ASSERT_OK_AND_ASSIGN(User ub, t->FetchUser(kServiceSid, UserSid(2)));
  EXPECT_EQ(ub.attributes, "{}");
  EXPECT_EQ(ub.friendly_name, std::nullopt);
  EXPECT_EQ(ub.role_sid, service.default_service_role_sid);
  EXPECT_EQ(ub.joined_channels_count, 0);
  ASSERT_OK_AND_ASSIGN(User uc, t->FetchUser(kServiceSid, "empty-name"));
  EXPECT_EQ(uc.friendly_name, std::nullopt);
}

TEST(StoreImport, ListenersDoNotFire) {
  TestStore t;
  int fired = 0;
  t->AddPostEventListener([&](const UserEvent&) { ++fired; });
  ASSERT_OK(t->ImportUsers(kServiceSid, {Row(1), Row(2)}));
  EXPECT_EQ(fired, 0);
}

// ---- modes ---------------------------------------------------------------------

// A store holding user 1 ("user-1") and user 2 ("user-2"), imported.
void Seed(TestStore& t) {
  absl::StatusOr<ImportResult> r = t->ImportUsers(kServiceSid, {Row(1), Row(2)});
  ASSERT_OK(r);
  ASSERT_EQ(r->inserted, 2u);
}

TEST(StoreImport, InsertRejectsATakenSidOrIdentity) {
  TestStore t;
  Seed(t);
  UserImport same_sid = Row(1, "someone-else");
  UserImport same_identity = Row(3, "user-2");
  UserImport fresh = Row(4);
  ASSERT_OK_AND_ASSIGN(ImportResult r, t->ImportUsers(kServiceSid, {same_sid, same_identity, fresh},
                                                      Mode(ImportMode::kInsert)));
  EXPECT_EQ(r.inserted, 1u);
  EXPECT_EQ(r.rejected, 2u);
  EXPECT_EQ(r.skipped, 0u);
  EXPECT_EQ(r.replaced, 0u);
  EXPECT_EQ(Codes(r), (std::vector<std::string>{"0:409/20001", "1:409/50201"}));
  EXPECT_EQ(r.errors[0].status.code(), absl::StatusCode::kAlreadyExists);
  ASSERT_OK_AND_ASSIGN(User u1, t->FetchUser(kServiceSid, UserSid(1)));
  EXPECT_EQ(u1.identity, "user-1");
  EXPECT_TWILIO_ERROR(t->FetchUser(kServiceSid, "someone-else"), 404, 20404);
  EXPECT_TWILIO_ERROR(t->FetchUser(kServiceSid, UserSid(3)), 404, 20404);
  ASSERT_OK_AND_ASSIGN(uint64_t n, t->CountUsers(kServiceSid));
  EXPECT_EQ(n, 3u);
}

TEST(StoreImport, SkipLeavesATakenSidOrIdentityAsItIs) {
  TestStore t;
  Seed(t);
  ASSERT_OK_AND_ASSIGN(User before1, t->FetchUser(kServiceSid, UserSid(1)));
  ASSERT_OK_AND_ASSIGN(User before2, t->FetchUser(kServiceSid, UserSid(2)));
  UserImport same_sid = Row(1, "someone-else");
  same_sid.attributes = R"({"changed":true})";
  UserImport same_identity = Row(3, "user-2");
  ASSERT_OK_AND_ASSIGN(
      ImportResult r,
      t->ImportUsers(kServiceSid, {same_sid, same_identity, Row(4)}, Mode(ImportMode::kSkip)));
  EXPECT_EQ(r.inserted, 1u);
  EXPECT_EQ(r.skipped, 2u);
  EXPECT_EQ(r.rejected, 0u);
  EXPECT_EQ(r.replaced, 0u);
  ASSERT_OK_AND_ASSIGN(User after1, t->FetchUser(kServiceSid, UserSid(1)));
  ASSERT_OK_AND_ASSIGN(User after2, t->FetchUser(kServiceSid, UserSid(2)));
  EXPECT_EQ(after1.identity, "user-1");
  EXPECT_EQ(after1.attributes, before1.attributes);
  EXPECT_EQ(after1.revision, before1.revision);
  EXPECT_EQ(after2.revision, before2.revision);
  EXPECT_TWILIO_ERROR(t->FetchUser(kServiceSid, UserSid(3)), 404, 20404);

  // Running the same import again skips everything: idempotent.
  ASSERT_OK_AND_ASSIGN(
      ImportResult again,
      t->ImportUsers(kServiceSid, {same_sid, same_identity, Row(4)}, Mode(ImportMode::kSkip)));
  EXPECT_EQ(again.inserted, 0u);
  EXPECT_EQ(again.skipped, 3u);
}

TEST(StoreImport, UpsertReplacesTheSameSidAndRejectsAnotherSidsIdentity) {
  TestStore t;
  Seed(t);
  ASSERT_OK(t->ImportUsers(kServiceSid, {Row(5)}));
  ASSERT_OK_AND_ASSIGN(User before, t->FetchUser(kServiceSid, UserSid(1)));
  ASSERT_OK(t->SetUserOnline(kServiceSid, UserSid(1), true));
  UserImport replacement = Row(1, "renamed");
  replacement.attributes = R"({"v":2})";
  replacement.friendly_name = "New";
  replacement.joined_channels_count = 9;
  replacement.date_created = absl::FromUnixSeconds(kBase + 500);  // moves its date, not its place
  replacement.date_updated = absl::FromUnixSeconds(kBase + 600);
  UserImport other_identity = Row(3, "user-2");  // held by user 2
  UserImport same_both = Row(2);                 // same SID, same identity: replaced
  ASSERT_OK_AND_ASSIGN(ImportResult r,
                       t->ImportUsers(kServiceSid, {replacement, other_identity, same_both, Row(6)},
                                      Mode(ImportMode::kUpsert)));
  EXPECT_EQ(r.replaced, 2u);
  EXPECT_EQ(r.inserted, 1u);
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_EQ(Codes(r), (std::vector<std::string>{"1:409/50201"}));

  ASSERT_OK_AND_ASSIGN(User after, t->FetchUser(kServiceSid, "renamed"));
  EXPECT_EQ(after.sid, UserSid(1));
  EXPECT_EQ(after.attributes, R"({"v":2})");
  EXPECT_EQ(after.friendly_name, std::optional<std::string>("New"));
  EXPECT_EQ(after.joined_channels_count, 9);
  EXPECT_EQ(after.date_created, absl::FromUnixSeconds(kBase + 500));
  EXPECT_EQ(after.date_updated, absl::FromUnixSeconds(kBase + 600));
  EXPECT_GT(after.revision, before.revision);  // every write moves the revision
  EXPECT_EQ(after.is_online, std::nullopt);    // reachability off: null, presence kept below
  EXPECT_TWILIO_ERROR(t->FetchUser(kServiceSid, "user-1"), 404, 20404);
  ASSERT_OK_AND_ASSIGN(User two, t->FetchUser(kServiceSid, "user-2"));
  EXPECT_EQ(two.sid, UserSid(2));
  // The replaced user keeps its place in the paging order.
  EXPECT_EQ(WalkIdentities(*t.store),
            (std::vector<std::string>{"renamed", "user-2", "user-5", "user-6"}));
  ASSERT_OK(t->SetReachabilityEnabled(kServiceSid, true));
  ASSERT_OK_AND_ASSIGN(User presence, t->FetchUser(kServiceSid, "renamed"));
  EXPECT_EQ(presence.is_online, std::optional<bool>(true));  // runtime state kept
}

TEST(StoreImport, UpsertMayTakeAnIdentityAnEarlierRowFreed) {
  TestStore t;
  Seed(t);
  // User 1 gives up "user-1"; user 2 (later in creation order) takes it.
  UserImport one = Row(1, "moved");
  UserImport two = Row(2, "user-1");
  ASSERT_OK_AND_ASSIGN(ImportResult r,
                       t->ImportUsers(kServiceSid, {two, one}, Mode(ImportMode::kUpsert)));
  EXPECT_EQ(r.replaced, 2u);
  EXPECT_EQ(r.rejected, 0u);
  ASSERT_OK_AND_ASSIGN(User u1, t->FetchUser(kServiceSid, "user-1"));
  EXPECT_EQ(u1.sid, UserSid(2));
  ASSERT_OK_AND_ASSIGN(User moved, t->FetchUser(kServiceSid, "moved"));
  EXPECT_EQ(moved.sid, UserSid(1));
  EXPECT_TWILIO_ERROR(t->FetchUser(kServiceSid, "user-2"), 404, 20404);
  EXPECT_EQ(WalkIdentities(*t.store), (std::vector<std::string>{"moved", "user-1"}));
}

TEST(StoreImport, RowsOfOneCallMeetEachOtherInCreationOrder) {
  // The second row (in date_created order) of a SID or an identity meets the
  // first as if it were stored.
  UserImport first = Row(1, "dup");
  UserImport same_sid_later = Row(1, "other");
  same_sid_later.date_created = absl::FromUnixSeconds(kBase + 50);
  same_sid_later.date_updated = same_sid_later.date_created;
  UserImport same_identity_later = Row(2, "dup");
  for (ImportMode mode : {ImportMode::kInsert, ImportMode::kSkip, ImportMode::kUpsert}) {
    SCOPED_TRACE(static_cast<int>(mode));
    TestStore t;
    // Input order differs from creation order: the later row comes first.
    ASSERT_OK_AND_ASSIGN(
        ImportResult r,
        t->ImportUsers(kServiceSid, {same_sid_later, same_identity_later, first}, Mode(mode)));
    switch (mode) {
      case ImportMode::kInsert:
        EXPECT_EQ(r.inserted, 1u);
        EXPECT_EQ(Codes(r), (std::vector<std::string>{"0:409/20001", "1:409/50201"}));
        break;
      case ImportMode::kSkip:
        EXPECT_EQ(r.inserted, 1u);
        EXPECT_EQ(r.skipped, 2u);
        EXPECT_TRUE(r.errors.empty());
        break;
      case ImportMode::kUpsert:
        // user 2 ("dup", kBase+2) is rejected: user 1 holds "dup" then; user
        // 1 is then replaced by its kBase+50 row.
        EXPECT_EQ(r.inserted, 1u);
        EXPECT_EQ(r.replaced, 1u);
        EXPECT_EQ(Codes(r), (std::vector<std::string>{"1:409/50201"}));
        break;
    }
    ASSERT_OK_AND_ASSIGN(User u, t->FetchUser(kServiceSid, UserSid(1)));
    EXPECT_EQ(u.identity, mode == ImportMode::kUpsert ? "other" : "dup");
    ASSERT_OK_AND_ASSIGN(uint64_t n, t->CountUsers(kServiceSid));
    EXPECT_EQ(n, 1u);
  }
}

TEST(StoreImport, CreatedUsersConflictLikeImportedOnes) {
  TestStore t;
  UserCreate c;
  c.identity = "created";
  ASSERT_OK_AND_ASSIGN(User created, t->CreateUser(kServiceSid, c));
  UserImport same_sid = Row(1, "x");
  same_sid.sid = created.sid;
  ASSERT_OK_AND_ASSIGN(ImportResult r, t->ImportUsers(kServiceSid, {same_sid, Row(2, "created")}));
  EXPECT_EQ(Codes(r), (std::vector<std::string>{"0:409/20001", "1:409/50201"}));
  // And an imported user's identity is taken for CreateUser.
  ASSERT_OK(t->ImportUsers(kServiceSid, {Row(3)}));
  c.identity = "user-3";
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, c), 409, 50201);
}

// ---- per-row errors ----------------------------------------------------------------

TEST(StoreImport, EveryPerRowErrorHasItsTwilioCode) {
  StoreOptions options;
  options.limits.max_attributes_bytes = 64;
  TestStore t(options);
  ASSERT_OK_AND_ASSIGN(Service service, t->FetchService(kServiceSid));
  // A user created and deleted: its SID is refused.
  ASSERT_OK(t->ImportUsers(kServiceSid, {Row(900)}));
  ASSERT_OK(t->DeleteUser(kServiceSid, UserSid(900)));

  struct Case {
    const char* name;
    UserImport row;
    int http;
    int code;
  };
  std::vector<Case> cases;
  auto add = [&](const char* name, int http, int code, auto change) {
    UserImport row = Row(static_cast<int>(cases.size()) + 1);
    change(row);
    cases.push_back({name, std::move(row), http, code});
  };
  add("sid too short", 400, 20001, [](UserImport& u) { u.sid = "US123"; });
  add("sid of a Service", 400, 20001, [](UserImport& u) { u.sid = "IS" + std::string(32, 'a'); });
  add("sid not hex", 400, 20001, [](UserImport& u) { u.sid = "US" + std::string(32, 'g'); });
  add("sid empty", 400, 20001, [](UserImport& u) { u.sid = ""; });
  add("identity empty", 400, 50204, [](UserImport& u) { u.identity = ""; });
  add("identity bad UTF-8", 400, 20001, [](UserImport& u) { u.identity = "a\xC3"; });
  add("identity U+0000", 400, 20001, [](UserImport& u) { u.identity = std::string("a\0b", 3); });
  add("identity too long", 400, 50207, [](UserImport& u) { u.identity = std::string(257, 'x'); });
  add("identity SID-shaped", 400, 50206, [](UserImport& u) { u.identity = UserSid(77); });
  add("friendly name too long", 400, 50003,
      [](UserImport& u) { u.friendly_name = std::string(300, 'n'); });
  add("friendly name bad UTF-8", 400, 20001, [](UserImport& u) { u.friendly_name = "\xFF"; });
  add("attributes not JSON", 400, 50304, [](UserImport& u) { u.attributes = "{nope"; });
  add("attributes an array", 400, 50304, [](UserImport& u) { u.attributes = "[1]"; });
  add("attributes too long", 400, 50303, [](UserImport& u) {
    u.attributes = absl::StrCat(R"({"k":")", std::string(80, 'a'), R"("})");
  });
  add("role unknown", 400, 50100, [](UserImport& u) { u.role_sid = "RL" + std::string(32, 'f'); });
  add("role of channel scope", 400, 50105,
      [&](UserImport& u) { u.role_sid = service.default_channel_role_sid; });
  add("role malformed", 400, 20001, [](UserImport& u) { u.role_sid = "RLxyz"; });
  add("joined count negative", 400, 20001, [](UserImport& u) { u.joined_channels_count = -1; });
  add("updated before created", 400, 20001,
      [](UserImport& u) { u.date_updated = u.date_created - absl::Seconds(1); });
  add("created not whole seconds", 400, 20001, [](UserImport& u) {
    u.date_created += absl::Milliseconds(500);
    u.date_updated = u.date_created + absl::Seconds(1);
  });
  add("updated not whole seconds", 400, 20001,
      [](UserImport& u) { u.date_updated += absl::Milliseconds(1); });
  add("created before 1970", 400, 20001,
      [](UserImport& u) { u.date_created = absl::FromUnixSeconds(-1); });
  add("updated after 9999", 400, 20001, [](UserImport& u) {
    u.date_updated = absl::FromCivil(absl::CivilSecond(10000, 1, 1), absl::UTCTimeZone());
  });
  add("dates infinite", 400, 20001, [](UserImport& u) {
    u.date_created = absl::InfinitePast();
    u.date_updated = absl::InfiniteFuture();
  });
  add("SID of a deleted user", 409, 20001, [](UserImport& u) { u.sid = UserSid(900); });

  std::vector<UserImport> rows;
  for (const Case& c : cases) rows.push_back(c.row);
  rows.push_back(Row(1000));  // and one good row
  ASSERT_OK_AND_ASSIGN(ImportResult r, t->ImportUsers(kServiceSid, rows));
  EXPECT_EQ(r.inserted, 1u);
  EXPECT_EQ(r.rejected, cases.size());
  ASSERT_EQ(r.errors.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    EXPECT_EQ(r.errors[i].index, i);
    EXPECT_EQ(HttpStatus(r.errors[i].status), cases[i].http) << r.errors[i].status;
    EXPECT_EQ(TwilioCode(r.errors[i].status), cases[i].code) << r.errors[i].status;
  }
  // The unknown role's message names it.
  EXPECT_NE(r.errors[14].status.message().find("RL" + std::string(32, 'f')), std::string::npos)
      << r.errors[14].status;
  ASSERT_OK_AND_ASSIGN(uint64_t n, t->CountUsers(kServiceSid));
  EXPECT_EQ(n, 1u);
  // Each of them would fail CreateUser with the same code, where CreateUser
  // takes the field (identity, friendly name, attributes, role).
  UserCreate c;
  c.identity = cases[4].row.identity;
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, c), 400, 50204);
  c.identity = "ok";
  c.attributes = cases[13].row.attributes;
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, c), 400, 50303);
}

TEST(StoreImport, FiftyRowsWithThreeBadOnesImportTheOther47) {
  TestStore t;
  std::vector<UserImport> rows;
  for (int i = 0; i < 50; ++i) rows.push_back(Row(i + 1));
  rows[7].identity = "";                            // 50204
  rows[23].attributes = "not json";                 // 50304
  rows[41].role_sid = "RL" + std::string(32, 'e');  // 50100
  ASSERT_OK_AND_ASSIGN(ImportResult r, t->ImportUsers(kServiceSid, rows));
  EXPECT_EQ(r.inserted, 47u);
  EXPECT_EQ(r.rejected, 3u);
  EXPECT_EQ(Codes(r), (std::vector<std::string>{"7:400/50204", "23:400/50304", "41:400/50100"}));
  ASSERT_OK_AND_ASSIGN(uint64_t n, t->CountUsers(kServiceSid));
  EXPECT_EQ(n, 47u);
  for (int i : {7, 23, 41}) {
    EXPECT_TWILIO_ERROR(t->FetchUser(kServiceSid, UserSid(i + 1)), 404, 20404);
  }
  EXPECT_EQ(WalkIdentities(*t.store).size(), 47u);
}

TEST(StoreImport, BadOptionsOrServiceFailTheCall) {
  TestStore t;
  ImportOptions big;
  big.batch_size = 10001;
  EXPECT_TWILIO_ERROR(t->ImportUsers(kServiceSid, {Row(1)}, big), 400, 20001);
  ImportOptions mode;
  mode.mode = static_cast<ImportMode>(7);
  EXPECT_TWILIO_ERROR(t->ImportUsers(kServiceSid, {Row(1)}, mode), 400, 20001);
  EXPECT_TWILIO_ERROR(t->ImportUsers("IS" + std::string(32, 'c'), {Row(1)}), 404, 20404);
  ASSERT_OK_AND_ASSIGN(uint64_t n, t->CountUsers(kServiceSid));
  EXPECT_EQ(n, 0u);
  ASSERT_OK_AND_ASSIGN(ImportResult empty, t->ImportUsers(kServiceSid, {}));
  EXPECT_EQ(empty.inserted + empty.rejected + empty.skipped + empty.replaced, 0u);
}

// ---- deleted SIDs ----------------------------------------------------------------

TEST(StoreImport, ADeletedSidNeverComesBackInAnyMode) {
  TestStore t;
  UserCreate c;
  c.identity = "minted";
  ASSERT_OK_AND_ASSIGN(User minted, t->CreateUser(kServiceSid, c));
  ASSERT_OK(t->ImportUsers(kServiceSid, {Row(1)}));
  ASSERT_OK(t->DeleteUser(kServiceSid, minted.sid));
  ASSERT_OK(t->DeleteUser(kServiceSid, "user-1"));
  UserImport again_minted = Row(2, "minted");
  again_minted.sid = minted.sid;
  for (ImportMode mode : {ImportMode::kInsert, ImportMode::kSkip, ImportMode::kUpsert}) {
    SCOPED_TRACE(static_cast<int>(mode));
    ASSERT_OK_AND_ASSIGN(ImportResult r,
                         t->ImportUsers(kServiceSid, {Row(1), again_minted}, Mode(mode)));
    EXPECT_EQ(Codes(r), (std::vector<std::string>{"0:409/20001", "1:409/20001"}));
    EXPECT_EQ(r.inserted + r.skipped + r.replaced, 0u);
  }
  ASSERT_OK_AND_ASSIGN(uint64_t n, t->CountUsers(kServiceSid));
  EXPECT_EQ(n, 0u);
  // The identities are free again, under new SIDs.
  ASSERT_OK_AND_ASSIGN(ImportResult r, t->ImportUsers(kServiceSid, {Row(3, "user-1")}));
  EXPECT_EQ(r.inserted, 1u);
  // Another Service does not share the first one's deleted SIDs.
  ServiceCreate other;
  other.sid = "IS" + std::string(32, 'b');
  ASSERT_OK(t->CreateService(other));
  UserImport row = Row(1);
  row.role_sid = "";
  ASSERT_OK_AND_ASSIGN(ImportResult there, t->ImportUsers(other.sid, {row}));
  EXPECT_EQ(there.inserted, 1u);
}

// ---- paging ------------------------------------------------------------------------

TEST(StoreImport, ImportedUsersPageByDateCreatedThenInputOrderBetweenOldAndNew) {
  TestStore t;
  UserCreate c;
  c.identity = "old-1";
  ASSERT_OK(t->CreateUser(kServiceSid, c));
  c.identity = "old-2";
  ASSERT_OK(t->CreateUser(kServiceSid, c));
  // Dates out of input order, with ties (kept in input order); dates older
  // than the existing users' still page after them.
  std::vector<UserImport> rows = {Row(30, "c30"), Row(10, "a10"), Row(20, "b20-first"),
                                  Row(21, "b20-second"), Row(5, "z5")};
  rows[3].date_created = rows[2].date_created;
  ASSERT_OK_AND_ASSIGN(
      ImportResult r,
      t->ImportUsers(kServiceSid, rows, ImportOptions{ImportMode::kInsert, false, 2}));
  EXPECT_EQ(r.inserted, 5u);
  c.identity = "new-1";
  ASSERT_OK(t->CreateUser(kServiceSid, c));
  EXPECT_EQ(WalkIdentities(*t.store, 2),
            (std::vector<std::string>{"old-1", "old-2", "z5", "a10", "b20-first", "b20-second",
                                      "c30", "new-1"}));
  // Their sequences (hence revisions) follow the existing users'.
  PageRequest request;
  request.page_size = 100;
  ASSERT_OK_AND_ASSIGN(Page all, t->ListUsers(kServiceSid, request));
  ASSERT_EQ(all.users.size(), 8u);
  EXPECT_EQ(all.users[2].identity, "z5");
  EXPECT_LT(all.users[1].revision, all.users[2].revision);
}

TEST(StoreImport, PageTokensMintedBeforeAnImportStayValid) {
  TestStore t;
  for (int i = 0; i < 5; ++i) {
    UserCreate c;
    c.identity = absl::StrCat("old-", i);
    ASSERT_OK(t->CreateUser(kServiceSid, c));
  }
  PageRequest request;
  request.page_size = 2;
  ASSERT_OK_AND_ASSIGN(Page first, t->ListUsers(kServiceSid, request));
  ASSERT_FALSE(first.next_page_token.empty());
  request.page_token = first.next_page_token;
  request.page = 1;
  ASSERT_OK_AND_ASSIGN(Page second, t->ListUsers(kServiceSid, request));
  ASSERT_FALSE(second.previous_page_token.empty());

  ASSERT_OK(t->ImportUsers(kServiceSid, {Row(2), Row(1)}));

  // The next token minted before: the rest of the old users, then the
  // imported ones, in date order.
  std::vector<std::string> rest;
  PageRequest next;
  next.page_size = 2;
  next.page_token = first.next_page_token;
  next.page = 1;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(Page page, t->ListUsers(kServiceSid, next));
    for (const User& u : page.users) rest.push_back(u.identity);
    if (page.next_page_token.empty()) break;
    next.page_token = page.next_page_token;
    ++next.page;
  }
  EXPECT_EQ(rest, (std::vector<std::string>{"old-2", "old-3", "old-4", "user-1", "user-2"}));
  // The previous token minted before still leads to the first page.
  PageRequest previous;
  previous.page_size = 2;
  previous.page_token = second.previous_page_token;
  previous.page = 0;
  ASSERT_OK_AND_ASSIGN(Page back, t->ListUsers(kServiceSid, previous));
  ASSERT_EQ(back.users.size(), 2u);
  EXPECT_EQ(back.users[0].identity, "old-0");
  EXPECT_EQ(back.users[1].identity, "old-1");
}

// ---- batches and dry runs ------------------------------------------------------------

TEST(StoreImport, BatchSizeChangesNothingButTheBatches) {
  std::vector<UserImport> rows;
  for (int i = 0; i < 40; ++i) rows.push_back(Row(40 - i));  // reverse date order
  rows[5].identity = rows[6].identity;                       // one identity conflict
  std::vector<std::vector<std::string>> walks;
  for (size_t batch : {1u, 3u, 7u, 40u, 0u}) {
    SCOPED_TRACE(batch);
    TestStore t;
    ImportOptions o;
    o.batch_size = batch;
    ASSERT_OK_AND_ASSIGN(ImportResult r, t->ImportUsers(kServiceSid, rows, o));
    EXPECT_EQ(r.inserted, 39u);
    // rows[6] is created earlier (kBase+34) than rows[5] (kBase+35).
    EXPECT_EQ(Codes(r), (std::vector<std::string>{"5:409/50201"}));
    walks.push_back(WalkIdentities(*t.store, 7));
  }
  for (const auto& w : walks) EXPECT_EQ(w, walks[0]);
  ASSERT_EQ(walks[0].size(), 39u);
  EXPECT_EQ(walks[0].front(), "user-1");
  EXPECT_EQ(walks[0].back(), "user-40");
}

TEST(StoreImport, DryRunDecidesAsARealRunAndWritesNothing) {
  TestStore t;
  Seed(t);
  ASSERT_OK_AND_ASSIGN(User before, t->FetchUser(kServiceSid, UserSid(1)));
  std::vector<UserImport> rows = {Row(1, "renamed"), Row(3, "user-2"), Row(4), Row(5, "")};
  for (ImportMode mode : {ImportMode::kInsert, ImportMode::kSkip, ImportMode::kUpsert}) {
    SCOPED_TRACE(static_cast<int>(mode));
    ImportOptions dry = Mode(mode);
    dry.dry_run = true;
    ASSERT_OK_AND_ASSIGN(ImportResult planned, t->ImportUsers(kServiceSid, rows, dry));
    ASSERT_OK_AND_ASSIGN(uint64_t n, t->CountUsers(kServiceSid));
    EXPECT_EQ(n, 2u);
    ASSERT_OK_AND_ASSIGN(User same, t->FetchUser(kServiceSid, UserSid(1)));
    EXPECT_EQ(same.identity, "user-1");
    EXPECT_EQ(same.revision, before.revision);
    EXPECT_TWILIO_ERROR(t->FetchUser(kServiceSid, UserSid(4)), 404, 20404);
    // The same call for real, on a copy of the store, gives the same report.
    TestStore copy;
    Seed(copy);
    ASSERT_OK_AND_ASSIGN(ImportResult real, copy->ImportUsers(kServiceSid, rows, Mode(mode)));
    EXPECT_EQ(planned.inserted, real.inserted);
    EXPECT_EQ(planned.replaced, real.replaced);
    EXPECT_EQ(planned.skipped, real.skipped);
    EXPECT_EQ(Codes(planned), Codes(real));
  }
  // Sequences were not consumed: a create takes the next revision after
  // the two seeded users'.
  UserCreate c;
  c.identity = "after";
  ASSERT_OK_AND_ASSIGN(User after, t->CreateUser(kServiceSid, c));
  EXPECT_EQ(after.revision, 3u);
}

// ---- Services --------------------------------------------------------------------

constexpr char kImportedService[] = "ISCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";

Role MakeRole(char c, RoleScope type, std::string name) {
  Role r;
  r.sid = "RL" + std::string(32, c);
  r.friendly_name = std::move(name);
  r.type = type;
  r.permissions = {"createChannel", "joinChannel"};
  r.date_created = absl::FromUnixSeconds(kBase);
  r.date_updated = absl::FromUnixSeconds(kBase + 5);
  return r;
}

Service MakeService() {
  Service s;
  s.sid = kImportedService;
  s.account_sid = "AC" + std::string(32, '9');  // ignored: the Store's
  s.friendly_name = "migrated";
  s.default_service_role_sid = "RL" + std::string(32, 'B');  // upper-case: stored lower
  s.default_channel_role_sid = "RL" + std::string(32, 'd');
  s.default_channel_creator_role_sid = "RL" + std::string(32, 'c');
  s.reachability_enabled = true;
  s.date_created = absl::FromUnixSeconds(kBase - 100);
  s.date_updated = absl::FromUnixSeconds(kBase - 50);
  return s;
}

std::vector<Role> MakeRoles() {
  return {MakeRole('a', RoleScope::kDeployment, "service admin"),
          MakeRole('b', RoleScope::kDeployment, "service user"),
          MakeRole('c', RoleScope::kChannel, "channel admin"),
          MakeRole('d', RoleScope::kChannel, "channel user"),
          MakeRole('e', RoleScope::kDeployment, "moderator")};
}

TEST(StoreImport, ImportServiceCreatesItExactlyAndThenAddsMissingRoles) {
  TestStore t;
  bool created = false;
  std::vector<Role> roles = MakeRoles();
  roles[1].sid = "RL" + std::string(32, 'B');
  ASSERT_OK_AND_ASSIGN(Service s, t->ImportService(MakeService(), roles, &created));
  EXPECT_TRUE(created);
  const std::string sid = "IS" + std::string(32, 'c');
  EXPECT_EQ(s.sid, sid);
  ASSERT_OK_AND_ASSIGN(Service fetched, t->FetchService(sid));
  EXPECT_EQ(fetched.account_sid, kAccountSid);
  EXPECT_EQ(fetched.friendly_name, "migrated");
  EXPECT_EQ(fetched.default_service_role_sid, "RL" + std::string(32, 'b'));
  EXPECT_EQ(fetched.default_channel_role_sid, "RL" + std::string(32, 'd'));
  EXPECT_EQ(fetched.default_channel_creator_role_sid, "RL" + std::string(32, 'c'));
  EXPECT_TRUE(fetched.reachability_enabled);
  EXPECT_EQ(fetched.date_created, absl::FromUnixSeconds(kBase - 100));
  EXPECT_EQ(fetched.date_updated, absl::FromUnixSeconds(kBase - 50));
  ASSERT_OK_AND_ASSIGN(std::vector<Role> stored, t->ListRoles(sid));
  ASSERT_EQ(stored.size(), 5u);
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i].sid, "RL" + std::string(32, static_cast<char>('a' + i)));
    EXPECT_EQ(stored[i].friendly_name, roles[i].friendly_name);
    EXPECT_EQ(stored[i].type, roles[i].type);
    EXPECT_EQ(stored[i].permissions, roles[i].permissions);
    EXPECT_EQ(stored[i].account_sid, kAccountSid);
    EXPECT_EQ(stored[i].service_sid, sid);
    EXPECT_EQ(stored[i].date_created, absl::FromUnixSeconds(kBase));
    EXPECT_EQ(stored[i].date_updated, absl::FromUnixSeconds(kBase + 5));
  }
  // Users take its roles; the default is the imported one.
  UserImport u = Row(1);
  u.role_sid = "RL" + std::string(32, 'e');
  UserImport d = Row(2);
  d.role_sid = "";
  ASSERT_OK_AND_ASSIGN(ImportResult r, t->ImportUsers(sid, {u, d}));
  EXPECT_EQ(r.inserted, 2u);
  ASSERT_OK_AND_ASSIGN(User ud, t->FetchUser(sid, UserSid(2)));
  EXPECT_EQ(ud.role_sid, "RL" + std::string(32, 'b'));
  UserCreate c;
  c.identity = "created";
  ASSERT_OK_AND_ASSIGN(User uc, t->CreateUser(sid, c));
  EXPECT_EQ(uc.role_sid, "RL" + std::string(32, 'b'));

  // Again, with one more role and other metadata: kept, the role added.
  Service changed = MakeService();
  changed.friendly_name = "other";
  roles.push_back(MakeRole('f', RoleScope::kChannel, "extra"));
  ASSERT_OK_AND_ASSIGN(Service kept, t->ImportService(changed, roles, &created));
  EXPECT_FALSE(created);
  EXPECT_EQ(kept.friendly_name, "migrated");
  ASSERT_OK_AND_ASSIGN(stored, t->ListRoles(sid));
  ASSERT_EQ(stored.size(), 6u);
  EXPECT_EQ(stored[5].sid, "RL" + std::string(32, 'f'));
  EXPECT_EQ(stored[5].friendly_name, "extra");
  // And once more: nothing to add.
  ASSERT_OK(t->ImportService(changed, roles, &created));
  EXPECT_FALSE(created);
  ASSERT_OK_AND_ASSIGN(stored, t->ListRoles(sid));
  EXPECT_EQ(stored.size(), 6u);
}

TEST(StoreImport, ImportServiceRefusesMalformedInput) {
  TestStore t;
  auto attempt = [&](auto change) {
    Service s = MakeService();
    std::vector<Role> roles = MakeRoles();
    change(s, roles);
    return t->ImportService(s, roles);
  };
  EXPECT_TWILIO_ERROR(attempt([](Service& s, std::vector<Role>&) { s.sid = "IS12"; }), 400, 20001);
  EXPECT_TWILIO_ERROR(attempt([](Service&, std::vector<Role>& r) { r.push_back(r[0]); }), 400,
                      20001);
  EXPECT_TWILIO_ERROR(attempt([](Service&, std::vector<Role>& r) { r[4].sid = "RLzz"; }), 400,
                      20001);
  EXPECT_TWILIO_ERROR(attempt([](Service& s, std::vector<Role>&) {
                        s.default_service_role_sid = "RL" + std::string(32, '1');
                      }),
                      400, 20001);
  EXPECT_TWILIO_ERROR(attempt([](Service& s, std::vector<Role>&) {
                        s.default_service_role_sid = "RL" + std::string(32, 'c');  // channel
                      }),
                      400, 20001);
  EXPECT_TWILIO_ERROR(attempt([](Service& s, std::vector<Role>&) {
                        s.default_channel_role_sid = "RL" + std::string(32, 'a');  // deployment
                      }),
                      400, 20001);
  EXPECT_TWILIO_ERROR(attempt([](Service& s, std::vector<Role>&) {
                        s.date_updated = s.date_created - absl::Seconds(1);
                      }),
                      400, 20001);
  EXPECT_TWILIO_ERROR(
      attempt([](Service& s, std::vector<Role>&) { s.date_created += absl::Milliseconds(1); }), 400,
      20001);
  EXPECT_TWILIO_ERROR(attempt([](Service&, std::vector<Role>& r) {
                        r[4].date_updated = r[4].date_created - absl::Seconds(1);
                      }),
                      400, 20001);
  EXPECT_TWILIO_ERROR(t->FetchService(kImportedService), 404, 20404);

  StoreOptions one;
  one.limits.max_services = 1;  // TestStore's Service fills it
  TestStore full(one);
  EXPECT_TWILIO_ERROR(full->ImportService(MakeService(), MakeRoles()), 403, 20403);
}

// ---- concurrency (TSan) -------------------------------------------------------------

TEST(StoreImport, ImportsRaceCreatesFetchesAndDeletesSafely) {
  TestStore t;
  constexpr int kImporters = 2;
  constexpr int kRowsEach = 600;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kImporters; ++w) {
    threads.emplace_back([&, w] {
      std::vector<UserImport> rows;
      for (int i = 0; i < kRowsEach; ++i) rows.push_back(Row(w * kRowsEach + i + 1));
      ImportOptions o;
      o.batch_size = 16;
      o.mode = ImportMode::kSkip;
      // Half now, then everything again (skip: the first half is skipped).
      std::vector<UserImport> half(rows.begin(), rows.begin() + kRowsEach / 2);
      absl::StatusOr<ImportResult> a = t->ImportUsers(kServiceSid, half, o);
      absl::StatusOr<ImportResult> b = t->ImportUsers(kServiceSid, rows, o);
      if (!a.ok() || !b.ok() || a->inserted != kRowsEach / 2 || b->inserted != kRowsEach / 2 ||
          b->skipped != kRowsEach / 2 || !b->errors.empty()) {
        ++failures;
      }
    });
  }
  threads.emplace_back([&] {  // creates and deletes its own users
    int i = 0;
    while (!done.load()) {
      UserCreate c;
      c.identity = absl::StrCat("created-", i++);
      absl::StatusOr<User> u = t->CreateUser(kServiceSid, c);
      if (!u.ok()) {
        ++failures;
        continue;
      }
      if (i % 2 == 0 && !t->DeleteUser(kServiceSid, u->sid).ok()) ++failures;
    }
  });
  threads.emplace_back([&] {  // fetches imported users and pages
    User reused;
    PageRequest request;
    request.page_size = 50;
    int i = 0;
    while (!done.load()) {
      const int n = i++ % (kImporters * kRowsEach) + 1;
      absl::Status s = t->FetchUser(kServiceSid, UserSid(n), &reused);
      if (s.ok() && (reused.identity != absl::StrCat("user-", n) ||
                     reused.attributes != absl::StrCat(R"({"n":)", n, "}"))) {
        ++failures;
      }
      if (!s.ok() && HttpStatus(s) != 404) ++failures;
      absl::StatusOr<Page> page = t->ListUsers(kServiceSid, request);
      if (!page.ok()) ++failures;
    }
  });
  for (int w = 0; w < kImporters; ++w) threads[static_cast<size_t>(w)].join();
  done.store(true);
  for (size_t i = kImporters; i < threads.size(); ++i) threads[i].join();
  EXPECT_EQ(failures.load(), 0);
  for (int n = 1; n <= kImporters * kRowsEach; ++n) {
    ASSERT_OK_AND_ASSIGN(User u, t->FetchUser(kServiceSid, absl::StrCat("user-", n)));
    EXPECT_EQ(u.sid, UserSid(n));
  }
  // A walk returns every user once, imported ones in date order.
  std::vector<std::string> walk = WalkIdentities(*t.store, 100);
  std::set<std::string> unique(walk.begin(), walk.end());
  EXPECT_EQ(unique.size(), walk.size());
  ASSERT_OK_AND_ASSIGN(uint64_t count, t->CountUsers(kServiceSid));
  EXPECT_EQ(walk.size(), count);
  std::vector<int> imported;
  for (const std::string& id : walk) {
    if (id.rfind("user-", 0) == 0) imported.push_back(std::stoi(id.substr(5)));
  }
  ASSERT_EQ(imported.size(), static_cast<size_t>(kImporters * kRowsEach));
  // Within each importer's second call, dates ascend; across calls each
  // importer's own rows ascend too (the first half before the second).
  for (int w = 0; w < kImporters; ++w) {
    std::vector<int> mine;
    for (int n : imported) {
      if ((n - 1) / kRowsEach == w) mine.push_back(n);
    }
    EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end())) << w;
  }
}

}  // namespace
}  // namespace userstore
