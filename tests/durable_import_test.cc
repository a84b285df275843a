// Store::ImportUsers and Store::ImportService on a durable Store: what an
// import writes survives a reopen exactly (users, replaced users, Services
// and roles, deleted SIDs), one journal write per batch, a failed batch fails
// the call and leaves the earlier batches, a dry run writes nothing, and
// check / stats count deleted SIDs.
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "durable/open.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/inspect.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using internal::Journal;
using internal::JournalEvent;
using internal::JournalWrapper;
using internal::StoreImpl;
using internal::UserRecord;

constexpr char kService[] = "ISdddddddddddddddddddddddddddddddd";
constexpr int64_t kBase = 1577836800;  // 2020-01-01T00:00:00Z

class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("userstore-durable-import") {}
};

std::string UserSid(int n) { return absl::StrFormat("US%032x", n); }

UserImport Row(int n, std::string identity = "") {
  UserImport u;
  u.sid = UserSid(n);
  u.identity = identity.empty() ? absl::StrCat("user-", n) : std::move(identity);
  u.attributes = absl::StrCat(R"({ "n" : )", n, R"(, "pad": "x" })");
  if (n % 3 == 0) u.friendly_name = absl::StrCat("Name ", n);
  u.joined_channels_count = n % 5;
  u.date_created = absl::FromUnixSeconds(kBase + (n * 7919) % 1000);  // not in input order
  u.date_updated = u.date_created + absl::Seconds(n % 4);
  return u;
}

// Users 1..n.
std::vector<UserImport> Rows(int n) {
  std::vector<UserImport> rows;
  for (int i = 1; i <= n; ++i) rows.push_back(Row(i));
  return rows;
}

std::unique_ptr<Store> Open(const std::string& dir, bool sync = false) {
  DurableOptions durable;
  durable.sync = sync;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir, {}, durable);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

void AddService(Store& store) {
  ServiceCreate sc;
  sc.sid = kService;
  ASSERT_TRUE(store.CreateService(sc).ok());
}

// Every field of every user, in paging order.
std::vector<std::string> Dump(const Store& store, const std::string& service = kService) {
  std::vector<std::string> out;
  PageRequest request;
  request.page_size = 97;
  for (;;) {
    absl::StatusOr<Page> page = store.ListUsers(service, request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return out;
    for (const User& u : page->users) {
      out.push_back(absl::StrCat(u.sid, "|", u.identity, "|", u.role_sid, "|", u.attributes, "|",
                                 u.friendly_name ? "[" + *u.friendly_name + "]" : "null", "|",
                                 u.joined_channels_count, "|", absl::ToUnixSeconds(u.date_created),
                                 "|", absl::ToUnixSeconds(u.date_updated), "|", u.revision));
    }
    if (page->next_page_token.empty()) return out;
    request.page_token = page->next_page_token;
    ++request.page;
  }
}

TEST(DurableImport, ImportedUsersAreTheSameAfterReopen) {
  TempDir dir;
  std::vector<std::string> before;
  std::vector<UserImport> rows = Rows(2500);
  rows[100].attributes = "not json";  // one bad row
  {
    std::unique_ptr<Store> store = Open(dir.Sub("s"), /*sync=*/true);
    ASSERT_NE(store, nullptr);
    AddService(*store);
    UserCreate c;
    c.identity = "created-first";
    ASSERT_OK(store->CreateUser(kService, c));
    ASSERT_OK_AND_ASSIGN(ImportResult r, store->ImportUsers(kService, rows));
    EXPECT_EQ(r.inserted, 2499u);
    EXPECT_EQ(r.rejected, 1u);
    c.identity = "created-after";
    ASSERT_OK(store->CreateUser(kService, c));
    before = Dump(*store);
    ASSERT_EQ(before.size(), 2501u);
    EXPECT_NE(before.front().find("created-first"), std::string::npos);
    EXPECT_NE(before.back().find("created-after"), std::string::npos);
  }
  std::unique_ptr<Store> store = Open(dir.Sub("s"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Dump(*store), before);
  ASSERT_OK_AND_ASSIGN(User u, store->FetchUser(kService, "user-3"));
  EXPECT_EQ(u.sid, UserSid(3));
  EXPECT_EQ(u.attributes, R"({ "n" : 3, "pad": "x" })");
  EXPECT_EQ(u.friendly_name, std::optional<std::string>("Name 3"));
  EXPECT_EQ(u.joined_channels_count, 3);
  EXPECT_EQ(u.date_created, Row(3).date_created);
  EXPECT_EQ(u.date_updated, Row(3).date_updated);
  ASSERT_OK_AND_ASSIGN(User plain, store->FetchUser(kService, UserSid(4)));
  EXPECT_EQ(plain.friendly_name, std::nullopt);
  store.reset();
  ASSERT_OK_AND_ASSIGN(CheckReport report, CheckStore(dir.Sub("s")));
  EXPECT_TRUE(report.ok()) << FormatCheckReport(report);
  EXPECT_EQ(report.users, 2501u);
}

TEST(DurableImport, ReplacementsAndSkipsSurviveReopen) {
  TempDir dir;
  std::vector<std::string> before;
  {
    std::unique_ptr<Store> store = Open(dir.Sub("s"));
    ASSERT_NE(store, nullptr);
    AddService(*store);
    ASSERT_OK(store->ImportUsers(kService, {Row(1), Row(2), Row(3)}));
    UserImport renamed = Row(2, "renamed");
    renamed.attributes = R"({"v":2})";
    renamed.friendly_name.reset();
    ImportOptions upsert;
    upsert.mode = ImportMode::kUpsert;
    ASSERT_OK_AND_ASSIGN(ImportResult r,
                         store->ImportUsers(kService, {renamed, Row(4), Row(4, "again")}, upsert));
    EXPECT_EQ(r.replaced, 2u);  // user 2, and user 4's second row
    EXPECT_EQ(r.inserted, 1u);
    ImportOptions skip;
    skip.mode = ImportMode::kSkip;
    ASSERT_OK_AND_ASSIGN(r, store->ImportUsers(kService, {Row(1), Row(5)}, skip));
    EXPECT_EQ(r.skipped, 1u);
    EXPECT_EQ(r.inserted, 1u);
    before = Dump(*store);
  }
  std::unique_ptr<Store> store = Open(dir.Sub("s"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Dump(*store), before);
  ASSERT_OK_AND_ASSIGN(User renamed, store->FetchUser(kService, "renamed"));
  EXPECT_EQ(renamed.sid, UserSid(2));
  EXPECT_EQ(renamed.attributes, R"({"v":2})");
  EXPECT_TWILIO_ERROR(store->FetchUser(kService, "user-2"), 404, 20404);
  ASSERT_OK_AND_ASSIGN(User again, store->FetchUser(kService, "again"));
  EXPECT_EQ(again.sid, UserSid(4));
  EXPECT_TWILIO_ERROR(store->FetchUser(kService, "user-4"), 404, 20404);
  ASSERT_OK_AND_ASSIGN(uint64_t n, store->CountUsers(kService));
  EXPECT_EQ(n, 5u);
}

TEST(DurableImport, DeletedSidsAreRefusedAfterReopenAndCounted) {
  TempDir dir;
  std::string minted;
  {
    std::unique_ptr<Store> store = Open(dir.Sub("s"));
    ASSERT_NE(store, nullptr);
    AddService(*store);
    ASSERT_OK(store->ImportUsers(kService, {Row(1), Row(2)}));
    UserCreate c;
    c.identity = "minted";
    ASSERT_OK_AND_ASSIGN(User u, store->CreateUser(kService, c));
    minted = u.sid;
    ASSERT_OK(store->DeleteUser(kService, UserSid(1)));
    ASSERT_OK(store->DeleteUser(kService, "minted"));
  }
  ASSERT_OK_AND_ASSIGN(CheckReport report, CheckStore(dir.Sub("s")));
  EXPECT_TRUE(report.ok()) << FormatCheckReport(report);
  EXPECT_EQ(report.deleted_sids, 2u);
  ASSERT_OK_AND_ASSIGN(StoreStats stats, ComputeStats(dir.Sub("s")));
  ASSERT_EQ(stats.services.size(), 1u);
  EXPECT_EQ(stats.services[0].deleted_sids, 2u);
  EXPECT_EQ(stats.services[0].users, 1u);

  std::unique_ptr<Store> store = Open(dir.Sub("s"));
  ASSERT_NE(store, nullptr);
  UserImport again = Row(3, "minted");
  again.sid = minted;
  for (ImportMode mode : {ImportMode::kInsert, ImportMode::kSkip, ImportMode::kUpsert}) {
    ImportOptions o;
    o.mode = mode;
    ASSERT_OK_AND_ASSIGN(ImportResult r, store->ImportUsers(kService, {Row(1), again}, o));
    ASSERT_EQ(r.errors.size(), 2u);
    for (const ImportRowError& e : r.errors) {
      EXPECT_EQ(HttpStatus(e.status), 409);
      EXPECT_EQ(TwilioCode(e.status), 20001);
    }
  }
  ASSERT_OK_AND_ASSIGN(uint64_t n, store->CountUsers(kService));
  EXPECT_EQ(n, 1u);
}

TEST(DurableImport, ImportedServicesAndRolesSurviveReopen) {
  TempDir dir;
  Service s;
  s.sid = "IS" + std::string(32, 'e');
  s.friendly_name = "from twilio";
  s.default_service_role_sid = "RL" + std::string(32, '2');
  s.default_channel_role_sid = "RL" + std::string(32, '4');
  s.default_channel_creator_role_sid = "RL" + std::string(32, '3');
  s.reachability_enabled = true;
  s.date_created = absl::FromUnixSeconds(kBase);
  s.date_updated = absl::FromUnixSeconds(kBase + 1);
  std::vector<Role> roles;
  for (char c : {'1', '2', '3', '4', '5'}) {
    Role r;
    r.sid = "RL" + std::string(32, c);
    r.friendly_name = absl::StrCat("role ", std::string(1, c));
    r.type = (c == '3' || c == '4') ? RoleScope::kChannel : RoleScope::kDeployment;
    r.permissions = {absl::StrCat("perm", std::string(1, c))};
    r.date_created = absl::FromUnixSeconds(kBase + 2);
    r.date_updated = absl::FromUnixSeconds(kBase + 3);
    roles.push_back(r);
  }
  std::vector<Role> all = roles;
  roles.pop_back();  // the fifth comes with a second import
  auto describe = [](const Store& store, const std::string& sid) {
    std::string out;
    absl::StatusOr<Service> service = store.FetchService(sid);
    EXPECT_TRUE(service.ok());
    if (!service.ok()) return out;
    out = absl::StrCat(
        service->friendly_name, " ", service->default_service_role_sid, " ",
        service->default_channel_role_sid, " ", service->default_channel_creator_role_sid, " ",
        service->reachability_enabled, " ", absl::ToUnixSeconds(service->date_created), " ",
        absl::ToUnixSeconds(service->date_updated));
    absl::StatusOr<std::vector<Role>> stored = store.ListRoles(sid);
    EXPECT_TRUE(stored.ok());
    if (!stored.ok()) return out;
    for (const Role& r : *stored) {
      absl::StrAppend(&out, "\n", r.sid, " ", r.friendly_name, " ",
                      r.type == RoleScope::kDeployment, " ", r.permissions.at(0), " ",
                      absl::ToUnixSeconds(r.date_created), " ",
                      absl::ToUnixSeconds(r.date_updated));
    }
    return out;
  };
  std::string before;
  {
    std::unique_ptr<Store> store = Open(dir.Sub("s"));
    ASSERT_NE(store, nullptr);
    bool created = false;
    ASSERT_OK(store->ImportService(s, roles, &created));
    EXPECT_TRUE(created);
  }
  {
    std::unique_ptr<Store> store = Open(dir.Sub("s"));
    ASSERT_NE(store, nullptr);
    bool created = true;
    ASSERT_OK(store->ImportService(s, all, &created));
    EXPECT_FALSE(created);
    UserImport u = Row(1);
    u.role_sid = "RL" + std::string(32, '5');
    ASSERT_OK_AND_ASSIGN(ImportResult r, store->ImportUsers(s.sid, {u}));
    EXPECT_EQ(r.inserted, 1u);
    before = describe(*store, s.sid);
  }
  std::unique_ptr<Store> store = Open(dir.Sub("s"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(describe(*store, s.sid), before);
  EXPECT_NE(before.find("RL" + std::string(32, '5') + " role 5 1 perm5"), std::string::npos)
      << before;
  ASSERT_OK_AND_ASSIGN(User u, store->FetchUser(s.sid, UserSid(1)));
  EXPECT_EQ(u.role_sid, "RL" + std::string(32, '5'));
  store.reset();
  ASSERT_OK_AND_ASSIGN(CheckReport report, CheckStore(dir.Sub("s")));
  EXPECT_TRUE(report.ok()) << FormatCheckReport(report);
}

TEST(DurableImport, DryRunWritesNothing) {
  TempDir dir;
  {
    std::unique_ptr<Store> store = Open(dir.Sub("s"));
    ASSERT_NE(store, nullptr);
    AddService(*store);
    ImportOptions dry;
    dry.dry_run = true;
    ASSERT_OK_AND_ASSIGN(ImportResult r, store->ImportUsers(kService, {Row(1), Row(2)}, dry));
    EXPECT_EQ(r.inserted, 2u);
    ASSERT_OK_AND_ASSIGN(uint64_t n, store->CountUsers(kService));
    EXPECT_EQ(n, 0u);
  }
  ASSERT_OK_AND_ASSIGN(StoreStats stats, ComputeStats(dir.Sub("s")));
  EXPECT_EQ(stats.users, 0u);
  std::unique_ptr<Store> store = Open(dir.Sub("s"));
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(uint64_t n, store->CountUsers(kService));
  EXPECT_EQ(n, 0u);
}

// Counts PutUsers calls and fails the `fail_at`-th (1-based; 0: never).
class CountingJournal final : public JournalWrapper {
 public:
  CountingJournal(std::unique_ptr<Journal> inner, int fail_at, std::atomic<int>* calls,
                  std::atomic<size_t>* largest)
      : JournalWrapper(std::move(inner)), fail_at_(fail_at), calls_(calls), largest_(largest) {}
  absl::Status PutUsers(std::string_view service_sid, const std::vector<const UserRecord*>& records,
                        const std::vector<JournalEvent>& events) override {
    const int call = ++*calls_;
    if (records.size() > largest_->load()) largest_->store(records.size());
    if (call == fail_at_) {
      return TwilioError(absl::StatusCode::kUnavailable, 500, twilio_code::kInternal,
                         "injected write failure");
    }
    return JournalWrapper::PutUsers(service_sid, records, events);
  }

 private:
  const int fail_at_;
  std::atomic<int>* const calls_;
  std::atomic<size_t>* const largest_;
};

// A durable store of kService whose journal counts (and fails) PutUsers.
std::unique_ptr<StoreImpl> OpenCounting(const std::string& dir, int fail_at,
                                        std::atomic<int>* calls, std::atomic<size_t>* largest) {
  internal::durable::OpenHooks hooks;
  hooks.wrap_journal = [&](std::unique_ptr<Journal> inner) -> std::unique_ptr<Journal> {
    return std::make_unique<CountingJournal>(std::move(inner), fail_at, calls, largest);
  };
  DurableOptions durable;
  durable.sync = false;
  auto opened = internal::durable::OpenDurable(dir, {}, durable, hooks);
  EXPECT_TRUE(opened.ok()) << opened.status();
  if (!opened.ok()) return nullptr;
  ServiceCreate sc;
  sc.sid = kService;
  EXPECT_TRUE((*opened)->CreateService(sc).ok());
  return *std::move(opened);
}

TEST(DurableImport, OneJournalWritePerBatch) {
  TempDir dir;
  std::atomic<int> calls{0};
  std::atomic<size_t> largest{0};
  std::unique_ptr<StoreImpl> store = OpenCounting(dir.Sub("s"), 0, &calls, &largest);
  ASSERT_NE(store, nullptr);
  const std::vector<UserImport> rows = Rows(2500);
  ImportOptions o;
  o.batch_size = 1000;
  ASSERT_OK_AND_ASSIGN(ImportResult r, store->ImportUsers(kService, rows, o));
  EXPECT_EQ(r.inserted, 2500u);
  EXPECT_EQ(calls.load(), 3);  // 1000 + 1000 + 500
  EXPECT_EQ(largest.load(), 1000u);
  // A batch of only skipped rows writes nothing.
  o.mode = ImportMode::kSkip;
  ASSERT_OK_AND_ASSIGN(r, store->ImportUsers(kService, rows, o));
  EXPECT_EQ(r.skipped, 2500u);
  EXPECT_EQ(calls.load(), 3);
}

TEST(DurableImport, AFailedBatchFailsTheCallAndKeepsTheBatchesBefore) {
  TempDir dir;
  const std::vector<UserImport> rows = Rows(30);
  std::vector<std::string> memory;
  {
    std::atomic<int> calls{0};
    std::atomic<size_t> largest{0};
    std::unique_ptr<StoreImpl> store = OpenCounting(dir.Sub("s"), 2, &calls, &largest);
    ASSERT_NE(store, nullptr);
    ImportOptions o;
    o.batch_size = 10;
    absl::StatusOr<ImportResult> r = store->ImportUsers(kService, rows, o);
    EXPECT_TWILIO_ERROR(r, 500, 20500);
    EXPECT_EQ(calls.load(), 2);
    ASSERT_OK_AND_ASSIGN(uint64_t n, store->CountUsers(kService));
    EXPECT_EQ(n, 10u);  // the first batch: the 10 earliest by date_created
    PageRequest request;
    request.page_size = 100;
    ASSERT_OK_AND_ASSIGN(Page page, store->ListUsers(kService, request));
    for (const User& u : page.users) memory.push_back(u.sid + " " + u.identity);
    // Re-running with skip completes it.
    o.mode = ImportMode::kSkip;
    ASSERT_OK_AND_ASSIGN(ImportResult again, store->ImportUsers(kService, rows, o));
    EXPECT_EQ(again.skipped, 10u);
    EXPECT_EQ(again.inserted, 20u);
  }
  // On disk: everything but the failed batch, which never reached it.
  std::unique_ptr<Store> store = Open(dir.Sub("s"));
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(uint64_t n, store->CountUsers(kService));
  EXPECT_EQ(n, 30u);
  PageRequest request;
  request.page_size = 10;
  ASSERT_OK_AND_ASSIGN(Page first, store->ListUsers(kService, request));
  std::vector<std::string> disk;
  for (const User& u : first.users) disk.push_back(u.sid + " " + u.identity);
  EXPECT_EQ(disk, memory);
}

}  // namespace
}  // namespace userstore
