// Durable mode (Store::Open): what persists across a close and reopen, the
// errors of Open, page tokens and sequence numbers across restarts, and the
// progress callback.
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "durable/check.h"
#include "durable/codec.h"
#include "durable/rocks_journal.h"
#include "gtest/gtest.h"
#include "rocksdb/write_batch.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::FakeClock;

constexpr char kService[] = "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr char kAccount[] = "AC0123456789abcdef0123456789abcdef";

// A fresh directory per test.
class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("userstore-durable") {}
};

// Every field of a User, for comparisons with a readable diff.
std::string Describe(const User& u) {
  auto opt = [](const std::optional<bool>& b) { return b ? (*b ? "true" : "false") : "null"; };
  return absl::StrCat(u.sid, " ", u.account_sid, " ", u.service_sid, " ", u.role_sid, " [",
                      u.identity, "] ", u.attributes, " online=", opt(u.is_online),
                      " notifiable=", opt(u.is_notifiable),
                      " name=", u.friendly_name ? "[" + *u.friendly_name + "]" : "null",
                      " joined=", u.joined_channels_count, " ", absl::FormatTime(u.date_created),
                      " ", absl::FormatTime(u.date_updated));
}

std::string Describe(const Role& r) {
  std::string out =
      absl::StrCat(r.sid, " ", r.account_sid, " ", r.service_sid, " ", r.friendly_name, " ",
                   r.type == RoleScope::kDeployment, " ", absl::FormatTime(r.date_created));
  for (const auto& p : r.permissions) absl::StrAppend(&out, " ", p);
  return out;
}

std::string Describe(const Service& s) {
  return absl::StrCat(s.sid, " ", s.account_sid, " ", s.friendly_name, " ",
                      s.default_service_role_sid, " ", s.default_channel_role_sid, " ",
                      s.default_channel_creator_role_sid, " ", s.reachability_enabled, " ",
                      absl::FormatTime(s.date_created), " ", absl::FormatTime(s.date_updated));
}

// Every user of the Service, walking pages of `page_size`.
std::vector<User> Walk(const Store& store, const std::string& service, int64_t page_size = 7) {
  std::vector<User> out;
  PageRequest request;
  request.page_size = page_size;
  for (;;) {
    absl::StatusOr<Page> page = store.ListUsers(service, request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return out;
    out.insert(out.end(), page->users.begin(), page->users.end());
    if (page->next_page_token.empty()) return out;
    request.page_token = page->next_page_token;
    ++request.page;
  }
}

std::vector<std::string> Identities(const std::vector<User>& users) {
  std::vector<std::string> out;
  for (const User& u : users) out.push_back(u.identity);
  return out;
}

UserCreate Id(std::string identity) {
  UserCreate c;
  c.identity = std::move(identity);
  return c;
}

ServiceCreate Svc() {
  ServiceCreate c;
  c.sid = kService;
  return c;
}

class DurableStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open(StoreOptions options = {}, DurableOptions durable = {}) {
    options.clock = [c = clock_] { return c->Now(); };
    durable.sync = false;  // these tests do not cut the power
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open(dir_.Sub("store"), std::move(options), std::move(durable));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  absl::Status OpenError(StoreOptions options) {
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open(dir_.Sub("store"), std::move(options));
    return store.status();
  }

  TempDir dir_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
};

TEST_F(DurableStoreTest, EveryPersistentFieldSurvivesReopen) {
  std::string account;
  Service service_before;
  std::vector<std::string> roles_before;
  std::vector<std::string> users_before;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    account = store->options().account_sid;
    ServiceCreate sc;
    sc.sid = kService;
    sc.friendly_name = "chat: ünïcode";
    sc.reachability_enabled = true;
    ASSERT_OK(store->CreateService(sc));
    RoleCreate rc;
    rc.friendly_name = "moderator";
    rc.permissions = {"editAnyUserInfo", "joinChannel"};
    absl::StatusOr<Role> moderator = store->AddRole(kService, rc);
    ASSERT_OK(moderator);
    rc.friendly_name = "lurker";
    rc.type = RoleScope::kChannel;
    rc.permissions.clear();
    ASSERT_OK(store->AddRole(kService, rc));

    UserCreate plain;
    plain.identity = "plain";
    ASSERT_OK(store->CreateUser(kService, plain));
    clock_->Advance(10);
    UserCreate full;
    full.identity = "jöhn \t\"doe\"";
    full.attributes = R"({"a":[1,2,{"b":null}]})";
    full.friendly_name = "John";
    full.role_sid = moderator->sid;
    ASSERT_OK(store->CreateUser(kService, full));
    UserCreate empty_name;
    empty_name.identity = "empty-name";
    empty_name.friendly_name = "";
    ASSERT_OK(store->CreateUser(kService, empty_name));
    clock_->Advance(5);
    UserUpdate update;
    update.friendly_name = "";
    update.attributes = "{}";
    ASSERT_OK(store->UpdateUser(kService, "plain", update));
    ASSERT_OK(store->AddJoinedChannels(kService, full.identity, 42));
    ASSERT_OK(store->AddJoinedChannels(kService, full.identity, -2));
    ASSERT_OK(store->SetUserOnline(kService, "plain", true));
    ASSERT_OK(store->CreateUser(kService, Id("doomed")));
    ASSERT_OK(store->DeleteUser(kService, "doomed"));
    absl::StatusOr<User> online = store->FetchUser(kService, "plain");
    ASSERT_OK(online);
    EXPECT_EQ(online->is_online, true);

    absl::StatusOr<Service> s = store->FetchService(kService);
    ASSERT_OK(s);
    service_before = *s;
    absl::StatusOr<std::vector<Role>> roles = store->ListRoles(kService);
    ASSERT_OK(roles);
    for (const Role& r : *roles) roles_before.push_back(Describe(r));
    for (const User& u : Walk(*store, kService)) {
      User copy = u;
      copy.is_online = copy.is_notifiable = std::nullopt;  // presence starts unknown
      users_before.push_back(Describe(copy));
    }
    ASSERT_EQ(users_before.size(), 3u);
    ASSERT_EQ(roles_before.size(), 6u);
  }
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->options().account_sid, account);
  absl::StatusOr<Service> s = store->FetchService(kService);
  ASSERT_OK(s);
  EXPECT_EQ(Describe(*s), Describe(service_before));
  std::vector<std::string> roles_after;
  absl::StatusOr<std::vector<Role>> roles = store->ListRoles(kService);
  ASSERT_OK(roles);
  for (const Role& r : *roles) roles_after.push_back(Describe(r));
  EXPECT_EQ(roles_after, roles_before);
  std::vector<std::string> users_after;
  for (const User& u : Walk(*store, kService)) users_after.push_back(Describe(u));
  EXPECT_EQ(users_after, users_before);
  // Fetches by identity and SID agree with the walk; presence is unknown.
  absl::StatusOr<User> plain = store->FetchUser(kService, "plain");
  ASSERT_OK(plain);
  EXPECT_EQ(plain->is_online, std::nullopt);
  EXPECT_EQ(plain->is_notifiable, std::nullopt);
  EXPECT_EQ(plain->friendly_name, std::nullopt);
  EXPECT_EQ(plain->attributes, "{}");
  ASSERT_OK_AND_ASSIGN(const User plain_by_sid, store->FetchUser(kService, plain->sid));
  EXPECT_EQ(Describe(plain_by_sid), Describe(*plain));
  absl::StatusOr<User> john = store->FetchUser(kService, "jöhn \t\"doe\"");
  ASSERT_OK(john);
  EXPECT_EQ(john->joined_channels_count, 40);
  EXPECT_EQ(john->friendly_name, "John");
  EXPECT_EQ(john->date_created, absl::FromUnixSeconds(1458853519 + 10));
  EXPECT_EQ(john->date_updated, absl::FromUnixSeconds(1458853519 + 10));  // counts don't move it
  EXPECT_EQ(plain->date_updated, absl::FromUnixSeconds(1458853519 + 15));
  EXPECT_TWILIO_ERROR(store->FetchUser(kService, "doomed"), 404, 20404);
  // The identity index works after recovery: a taken identity conflicts.
  EXPECT_TWILIO_ERROR(store->CreateUser(kService, Id("plain")), 409, 50201);
}

TEST_F(DurableStoreTest, WritesAfterReopenAppendAndRolesKeepTheirOrder) {
  for (int round = 0; round < 3; ++round) {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    if (round == 0) ASSERT_OK(store->CreateService(Svc()));
    RoleCreate rc;
    rc.friendly_name = absl::StrCat("role ", round);
    ASSERT_OK(store->AddRole(kService, rc));
    ASSERT_OK(store->CreateUser(kService, Id(absl::StrCat("u", round))));
    absl::StatusOr<std::vector<Role>> roles = store->ListRoles(kService);
    ASSERT_OK(roles);
    ASSERT_EQ(roles->size(), 5u + static_cast<size_t>(round));
    for (int i = 0; i <= round; ++i) {
      EXPECT_EQ((*roles)[4 + static_cast<size_t>(i)].friendly_name, absl::StrCat("role ", i));
    }
    std::vector<std::string> expected;
    for (int i = 0; i <= round; ++i) expected.push_back(absl::StrCat("u", i));
    EXPECT_EQ(Identities(Walk(*store, kService)), expected);
  }
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Identities(Walk(*store, kService)), (std::vector<std::string>{"u0", "u1", "u2"}));
  ASSERT_OK_AND_ASSIGN(const std::vector<Role> roles, store->ListRoles(kService));
  EXPECT_EQ(roles.size(), 7u);
}

TEST_F(DurableStoreTest, ReachabilitySurvivesAndKeepsRoles) {
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->CreateService(Svc()));
    ASSERT_OK(store->SetReachabilityEnabled(kService, true));
  }
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_OK_AND_ASSIGN(const Service service, store->FetchService(kService));
    EXPECT_TRUE(service.reachability_enabled);
    ASSERT_OK_AND_ASSIGN(const std::vector<Role> roles, store->ListRoles(kService));
    EXPECT_EQ(roles.size(), 4u);
    ASSERT_OK(store->SetReachabilityEnabled(kService, false));
  }
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(const Service service, store->FetchService(kService));
  EXPECT_FALSE(service.reachability_enabled);
  ASSERT_OK_AND_ASSIGN(const std::vector<Role> roles, store->ListRoles(kService));
  EXPECT_EQ(roles.size(), 4u);
}

TEST_F(DurableStoreTest, PageTokensIssuedBeforeARestartStillWork) {
  std::string next_token;
  std::string previous_token;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_OK(store->CreateService(Svc()));
    for (int i = 0; i < 10; ++i) {
      ASSERT_OK(store->CreateUser(kService, Id(absl::StrCat("u", i))));
    }
    PageRequest request;
    request.page_size = 3;
    absl::StatusOr<Page> first = store->ListUsers(kService, request);
    ASSERT_OK(first);
    request.page_token = first->next_page_token;
    request.page = 1;
    absl::StatusOr<Page> second = store->ListUsers(kService, request);
    ASSERT_OK(second);
    EXPECT_EQ(Identities(second->users), (std::vector<std::string>{"u3", "u4", "u5"}));
    next_token = second->next_page_token;
    previous_token = second->previous_page_token;
  }
  std::unique_ptr<Store> store = Open();
  PageRequest request;
  request.page_size = 3;
  request.page = 2;
  request.page_token = next_token;
  absl::StatusOr<Page> third = store->ListUsers(kService, request);
  ASSERT_OK(third);
  EXPECT_EQ(Identities(third->users), (std::vector<std::string>{"u6", "u7", "u8"}));
  request.page = 0;
  request.page_token = previous_token;
  absl::StatusOr<Page> back = store->ListUsers(kService, request);
  ASSERT_OK(back);
  EXPECT_EQ(Identities(back->users), (std::vector<std::string>{"u0", "u1", "u2"}));
}

// A deleted user's sequence number is never handed out again, even when it
// was the newest and the store restarted in between: a token positioned after
// it must still see users created later.
TEST_F(DurableStoreTest, SequenceNumbersAreNotReusedAfterARestart) {
  std::string token;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_OK(store->CreateService(Svc()));
    for (const char* id : {"a", "b", "c"}) {
      ASSERT_OK(store->CreateUser(kService, Id(id)));
    }
    PageRequest request;
    request.page_size = 2;
    absl::StatusOr<Page> page = store->ListUsers(kService, request);
    ASSERT_OK(page);
    token = page->next_page_token;  // after "b"
    ASSERT_OK(store->DeleteUser(kService, "b"));
    ASSERT_OK(store->DeleteUser(kService, "c"));
  }
  for (int restart = 0; restart < 2; ++restart) {  // the high water itself persists
    std::unique_ptr<Store> store = Open();
    if (restart == 1) {
      ASSERT_OK(store->CreateUser(kService, Id("d")));
    }
  }
  std::unique_ptr<Store> store = Open();
  PageRequest request;
  request.page_size = 2;
  request.page = 1;
  request.page_token = token;
  absl::StatusOr<Page> page = store->ListUsers(kService, request);
  ASSERT_OK(page);
  EXPECT_EQ(Identities(page->users), (std::vector<std::string>{"d"}));
  EXPECT_EQ(Identities(Walk(*store, kService)), (std::vector<std::string>{"a", "d"}));
}

TEST_F(DurableStoreTest, SecondOpenOfTheSameDirectoryFailsClearly) {
  std::unique_ptr<Store> first = Open();
  ASSERT_NE(first, nullptr);
  ASSERT_OK(first->CreateService(Svc()));
  absl::Status second = OpenError({});
  EXPECT_EQ(second.code(), absl::StatusCode::kFailedPrecondition) << second;
  EXPECT_EQ(HttpStatus(second), 500);
  EXPECT_NE(second.message().find("already open"), std::string_view::npos) << second;
  // The first Store is unharmed and the directory opens once it is closed.
  ASSERT_OK(first->CreateUser(kService, Id("still-works")));
  first.reset();
  std::unique_ptr<Store> again = Open();
  ASSERT_NE(again, nullptr);
  ASSERT_OK(again->FetchUser(kService, "still-works"));
}

TEST_F(DurableStoreTest, StoredAccountAndTokenKeyWin) {
  {
    StoreOptions options;
    options.account_sid = kAccount;
    options.page_token_key = "0123456789abcdef";
    std::unique_ptr<Store> store = Open(options);
    ASSERT_NE(store, nullptr);
  }
  {
    std::unique_ptr<Store> store = Open();  // empty options: the stored values
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->options().account_sid, kAccount);
    EXPECT_EQ(store->options().page_token_key, "0123456789abcdef");
  }
  {
    StoreOptions options;
    options.account_sid = "AC0123456789ABCDEF0123456789ABCDEF";  // same SID, other case
    std::unique_ptr<Store> store = Open(options);
    ASSERT_NE(store, nullptr);
  }
  StoreOptions other_account;
  other_account.account_sid = "AC00000000000000000000000000000000";
  absl::Status s = OpenError(other_account);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(HttpStatus(s), 400);
  EXPECT_EQ(TwilioCode(s), 20001);
  StoreOptions other_key;
  other_key.page_token_key = "another key of 16+ bytes";
  s = OpenError(other_key);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
}

TEST_F(DurableStoreTest, InvalidOptionsFailBeforeTouchingTheDirectory) {
  StoreOptions options;
  options.base_url = "ftp://nope";
  EXPECT_TWILIO_ERROR(OpenError(options), 400, 20001);
  options = {};
  options.account_sid = "ACnothex";
  EXPECT_TWILIO_ERROR(OpenError(options), 400, 20001);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("store")));
}

TEST_F(DurableStoreTest, RefusesADirectoryThatIsNotAStore) {
  std::filesystem::create_directory(dir_.Sub("store"));
  std::ofstream(dir_.Sub("store/notes.txt")) << "my files";
  absl::Status s = OpenError({});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(HttpStatus(s), 500);
  // A regular file is no directory either; a missing parent is an I/O error.
  s = Store::Open(dir_.Sub("store/notes.txt"), {}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  s = Store::Open(dir_.Sub("missing/parent"), {}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
}

TEST_F(DurableStoreTest, AnInterruptedCreationIsStartedAfresh) {
  // RocksDB writes LOCK and LOG before CURRENT: a crash in between leaves them.
  std::filesystem::create_directory(dir_.Sub("store"));
  std::ofstream(dir_.Sub("store/LOCK"));
  std::ofstream(dir_.Sub("store/LOG")) << "partial";
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_OK(store->CreateService(Svc()));
}

TEST_F(DurableStoreTest, NewDirectoryIsPrivate) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  const auto perms = std::filesystem::status(dir_.Sub("store")).permissions();
  EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
}

// Rewrites one key of a closed store through RocksDB directly.
void PutRaw(const std::string& path, const std::string& key, const std::string& value) {
  internal::durable::RocksOpen how;
  absl::StatusOr<internal::durable::StoreDb> db = internal::durable::OpenRocks(path, how);
  ASSERT_OK(db);
  ASSERT_TRUE((*db)->Put(rocksdb::WriteOptions(), key, value).ok());
}

TEST_F(DurableStoreTest, UnknownFormatVersionIsRefused) {
  Open().reset();
  PutRaw(dir_.Sub("store"), "m/format", std::string(1, '\x03'));
  absl::Status s = OpenError({});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("format version"), std::string_view::npos) << s;
  PutRaw(dir_.Sub("store"), "m/format", std::string(1, '\x00'));
  EXPECT_EQ(OpenError({}).code(), absl::StatusCode::kFailedPrecondition);
}

// codec.h: a version-1 store (before revisions) opens; opening it for
// writing marks it version 2 first, so an older userstore refuses it rather
// than misreading its version-2 user values. Read-only tools leave it as is.
TEST_F(DurableStoreTest, VersionOneStoreIsMarkedVersionTwoByAWriter) {
  Open().reset();
  PutRaw(dir_.Sub("store"), "m/format", std::string(1, '\x01'));
  absl::StatusOr<internal::durable::StoreStats> stats =
      internal::durable::ComputeStats(dir_.Sub("store"));
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->format_version, 1);
  Open().reset();
  stats = internal::durable::ComputeStats(dir_.Sub("store"));
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->format_version, 2);
}

TEST_F(DurableStoreTest, CorruptUserIsDataLoss) {
  std::string sid;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_OK(store->CreateService(Svc()));
    absl::StatusOr<User> u = store->CreateUser(kService, Id("x"));
    ASSERT_OK(u);
    sid = u->sid;
  }
  const internal::SidBytes service = *internal::ParseSid(kService, "IS");
  // The only user has sequence 1: its record becomes undecodable.
  PutRaw(dir_.Sub("store"), internal::durable::UserRecordKey(service, 1), "\x01garbage");
  absl::Status s = OpenError({});
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(s.message().find("malformed User with sequence 1"), std::string_view::npos) << s;
}

TEST_F(DurableStoreTest, ProgressEndsWithEveryUserLoaded) {
  constexpr int kUsers = 300;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_OK(store->CreateService(Svc()));
    for (int i = 0; i < kUsers; ++i) {
      ASSERT_OK(store->CreateUser(kService, Id(absl::StrCat("u", i))));
    }
    ASSERT_OK(store->DeleteUser(kService, "u7"));
  }
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  DurableOptions durable;
  durable.progress = [&](uint64_t loaded, uint64_t total) { calls.emplace_back(loaded, total); };
  std::unique_ptr<Store> store = Open({}, durable);
  ASSERT_FALSE(calls.empty());
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_LE(calls[i].first, calls[i].second);
    if (i > 0) {
      EXPECT_GE(calls[i].first, calls[i - 1].first);
    }
  }
  EXPECT_EQ(calls.back(), std::make_pair(uint64_t{kUsers - 1}, uint64_t{kUsers - 1}));
  EXPECT_EQ(Walk(*store, kService, 100).size(), size_t{kUsers - 1});
}

// Recovery of more users than one progress interval (65,536) and many
// restore batches; the records are written straight into RocksDB (fast even
// under sanitizers), as the journal would have.
TEST_F(DurableStoreTest, RecoveryOfManyUsersReportsProgress) {
  constexpr uint64_t kUsers = 70000;
  std::string role;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->CreateService(Svc()));
    ASSERT_OK_AND_ASSIGN(const Service service, store->FetchService(kService));
    role = service.default_service_role_sid;
  }
  {
    internal::durable::RocksOpen how;
    absl::StatusOr<internal::durable::StoreDb> db =
        internal::durable::OpenRocks(dir_.Sub("store"), how);
    ASSERT_OK(db);
    rocksdb::WriteBatch batch;
    const internal::SidBytes service = *internal::ParseSid(kService, "IS");
    std::string value;
    for (uint64_t i = 1; i <= kUsers; ++i) {
      const std::string identity = absl::StrCat("bulk-", i);
      internal::UserRecord::Ptr r =
          internal::UserRecord::Make({identity, R"({"i":1})", std::nullopt});
      r->sequence = i;
      r->sid = internal::RandomSidBytes();
      r->role_sid = *internal::ParseSid(role, "RL");
      r->date_created = r->date_updated = 1500000000;
      internal::durable::EncodeUser(*r, &value);
      batch.Put(internal::durable::UserRecordKey(service, i), value);
    }
    ASSERT_TRUE((*db)->Write(rocksdb::WriteOptions(), &batch).ok());
  }
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  DurableOptions durable;
  durable.progress = [&](uint64_t loaded, uint64_t total) { calls.emplace_back(loaded, total); };
  std::unique_ptr<Store> store = Open({}, durable);
  ASSERT_NE(store, nullptr);
  ASSERT_GE(calls.size(), 2u);
  EXPECT_LE(calls.front().first, 65536u);
  EXPECT_GE(calls.front().second, 65536u);
  EXPECT_EQ(calls.back(), std::make_pair(kUsers, kUsers));
  for (size_t i = 1; i < calls.size(); ++i) {
    EXPECT_LE(calls[i].first, calls[i].second);
    EXPECT_GE(calls[i].first, calls[i - 1].first);
  }
  absl::StatusOr<User> last = store->FetchUser(kService, absl::StrCat("bulk-", kUsers));
  ASSERT_OK(last);
  ASSERT_OK(store->FetchUser(kService, last->sid));
  for (uint64_t i = 1; i <= kUsers; i += 997) {  // a sample: both indexes agree
    absl::StatusOr<User> by_identity = store->FetchUser(kService, absl::StrCat("bulk-", i));
    ASSERT_OK(by_identity);
    absl::StatusOr<User> by_sid = store->FetchUser(kService, by_identity->sid);
    ASSERT_OK(by_sid);
    EXPECT_EQ(by_sid->identity, by_identity->identity);
  }
  // Paging starts at sequence 1 (the first page) and new users get fresh
  // sequences: a taken identity still conflicts, a new one is created.
  PageRequest request;
  request.page_size = 3;
  absl::StatusOr<Page> first = store->ListUsers(kService, request);
  ASSERT_OK(first);
  EXPECT_EQ(Identities(first->users), (std::vector<std::string>{"bulk-1", "bulk-2", "bulk-3"}));
  EXPECT_TWILIO_ERROR(store->CreateUser(kService, Id("bulk-5")), 409, 50201);
  ASSERT_OK(store->CreateUser(kService, Id("after-bulk")));
}

TEST_F(DurableStoreTest, SyncedWritesSurviveToo) {
  DurableOptions durable;
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.Sub("store"), {}, durable);
    ASSERT_OK(store);
    EXPECT_TRUE(durable.sync);  // the default is the safe one
    ASSERT_OK((*store)->CreateService(Svc()));
    ASSERT_OK((*store)->CreateUser(kService, Id("synced")));
  }
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.Sub("store"), {}, durable);
  ASSERT_OK(store);
  ASSERT_OK((*store)->FetchUser(kService, "synced"));
}

TEST_F(DurableStoreTest, DeletedIdentityCanBeTakenAgain) {
  std::string new_sid;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_OK(store->CreateService(Svc()));
    ASSERT_OK(store->CreateUser(kService, Id("x")));
    ASSERT_OK(store->DeleteUser(kService, "x"));
    absl::StatusOr<User> again = store->CreateUser(kService, Id("x"));
    ASSERT_OK(again);
    new_sid = again->sid;
    absl::StatusOr<User> got = store->GetOrCreateUser(kService, "implicit");
    ASSERT_OK(got);
  }
  std::unique_ptr<Store> store = Open();
  std::vector<User> users = Walk(*store, kService);
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].sid, new_sid);
  EXPECT_EQ(users[1].identity, "implicit");
}

}  // namespace
}  // namespace userstore

namespace userstore {
namespace {

// Recovery restores every Service it finds, even past a lowered
// max_services; only new ones are refused. Many Services reopen quickly
// (one snapshot is built for all of them).
TEST_F(DurableStoreTest, EveryServiceIsRestoredWhateverMaxServices) {
  constexpr int kServices = 2000;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < kServices; ++i) {
      ServiceCreate create;
      create.sid = absl::StrFormat("IS%032x", i + 1);
      ASSERT_OK(store->CreateService(create));
    }
  }
  StoreOptions limited;
  limited.limits.max_services = 10;
  std::unique_ptr<Store> store = Open(limited);
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < kServices; ++i) {
    ASSERT_OK(store->FetchService(absl::StrFormat("IS%032x", i + 1)));
  }
  ServiceCreate more;
  more.sid = absl::StrFormat("IS%032x", kServices + 1);
  EXPECT_TWILIO_ERROR(store->CreateService(more), 403, 20403);
}

}  // namespace
}  // namespace userstore
