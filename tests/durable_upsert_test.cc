// Store::UpsertUsers on a durable Store: a batch survives a reopen exactly
// (created and updated users, their revisions and feed events), one journal
// write (PutUsers) per call, none for a call that changes nothing, and a
// failed write fails the call with memory and disk unchanged.
#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "durable/open.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/filter.h"
#include "userstore/inspect.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using internal::Journal;
using internal::JournalEvent;
using internal::JournalWrapper;
using internal::StoreImpl;
using internal::UserRecord;

constexpr char kService[] = "ISeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("userstore-durable-upsert") {}
};

UserUpsert Row(std::string identity, std::string attributes) {
  UserUpsert u;
  u.identity = std::move(identity);
  u.attributes = std::move(attributes);
  return u;
}

// Counts PutUsers and PutUser calls; fails the `fail_at`-th PutUsers
// (1-based; 0: never).
class CountingJournal final : public JournalWrapper {
 public:
  struct Counts {
    std::atomic<int> put_users{0};
    std::atomic<int> put_user{0};
    std::atomic<size_t> records{0};  // in the last PutUsers
    std::atomic<size_t> events{0};   // in the last PutUsers
  };
  CountingJournal(std::unique_ptr<Journal> inner, int fail_at, Counts* counts)
      : JournalWrapper(std::move(inner)), fail_at_(fail_at), counts_(counts) {}
  absl::Status PutUsers(std::string_view service_sid, const std::vector<const UserRecord*>& records,
                        const std::vector<JournalEvent>& events) override {
    const int call = ++counts_->put_users;
    counts_->records = records.size();
    counts_->events = events.size();
    if (call == fail_at_) {
      return TwilioError(absl::StatusCode::kInternal, 500, twilio_code::kInternal,
                         "injected write failure");
    }
    return JournalWrapper::PutUsers(service_sid, records, events);
  }
  absl::Status PutUser(std::string_view service_sid, const UserRecord& record,
                       const JournalEvent* event) override {
    ++counts_->put_user;
    return JournalWrapper::PutUser(service_sid, record, event);
  }

 private:
  const int fail_at_;
  CountingJournal::Counts* const counts_;
};

std::unique_ptr<StoreImpl> OpenCounting(const std::string& dir, int fail_at,
                                        CountingJournal::Counts* counts) {
  internal::durable::OpenHooks hooks;
  hooks.wrap_journal = [&](std::unique_ptr<Journal> inner) -> std::unique_ptr<Journal> {
    return std::make_unique<CountingJournal>(std::move(inner), fail_at, counts);
  };
  DurableOptions durable;
  durable.sync = true;
  auto opened = internal::durable::OpenDurable(dir, {}, durable, hooks);
  EXPECT_TRUE(opened.ok()) << opened.status();
  if (!opened.ok()) return nullptr;
  if (!(*opened)->FetchService(kService).ok()) {
    ServiceCreate sc;
    sc.sid = kService;
    EXPECT_TRUE((*opened)->CreateService(sc).ok());
  }
  return *std::move(opened);
}

// Every field of every user, in paging order.
std::vector<std::string> Dump(StoreImpl& store) {
  PageRequest request;
  request.page_size = 1000;
  absl::StatusOr<Page> page = store.ListUsers(kService, request);
  EXPECT_TRUE(page.ok()) << page.status();
  std::vector<std::string> out;
  if (!page.ok()) return out;
  for (const User& u : page->users) {
    out.push_back(absl::StrCat(u.sid, "|", u.identity, "|", u.role_sid, "|", u.attributes, "|",
                               u.friendly_name ? "[" + *u.friendly_name + "]" : "null", "|",
                               absl::ToUnixSeconds(u.date_created), "|",
                               absl::ToUnixSeconds(u.date_updated), "|", u.revision));
  }
  return out;
}

// Type, identity and revision of every stored event.
std::vector<std::string> Feed(StoreImpl& store) {
  absl::StatusOr<EventPage> page = store.ReadEvents(kService, 0, 1000);
  EXPECT_TRUE(page.ok()) << page.status();
  std::vector<std::string> out;
  if (!page.ok()) return out;
  for (const UserEvent& e : page->events) {
    out.push_back(absl::StrCat(e.sequence, " ", static_cast<int>(e.type), " ", e.user.identity, " ",
                               e.user.revision, " ", e.changed));
  }
  return out;
}

TEST(DurableUpsert, TheBatchSurvivesReopen) {
  TempDir dir;
  CountingJournal::Counts counts;
  std::vector<std::string> users;
  std::vector<std::string> feed;
  uint64_t revision = 0;
  {
    std::unique_ptr<StoreImpl> store = OpenCounting(dir.Sub("s"), 0, &counts);
    ASSERT_NE(store, nullptr);
    UserCreate c;
    c.identity = "bob";
    c.friendly_name = "Bob";
    ASSERT_OK(store->CreateUser(kService, c));
    UserUpsert clear = Row("bob", R"({"v":1})");
    clear.friendly_name = "";
    ASSERT_OK_AND_ASSIGN(
        std::vector<UpsertResult> r,
        store->UpsertUsers(kService, {Row("alice", R"({"v":0})"), clear, Row("bad", "[]")}, {}));
    EXPECT_EQ(r[0].outcome, UpsertOutcome::kCreated);
    EXPECT_EQ(r[1].outcome, UpsertOutcome::kUpdated);
    EXPECT_EQ(r[2].outcome, UpsertOutcome::kFailed);
    revision = r[1].user.revision;
    users = Dump(*store);
    feed = Feed(*store);
    ASSERT_EQ(users.size(), 2u);
    ASSERT_EQ(feed.size(), 3u);  // bob's create, then the batch's two
  }
  {
    std::unique_ptr<StoreImpl> store = OpenCounting(dir.Sub("s"), 0, &counts);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(Dump(*store), users);
    EXPECT_EQ(Feed(*store), feed);
    ASSERT_OK_AND_ASSIGN(const User bob, store->FetchUser(kService, "bob"));
    EXPECT_EQ(bob.attributes, R"({"v":1})");
    EXPECT_EQ(bob.friendly_name, std::nullopt);
    EXPECT_EQ(bob.revision, revision);
    // Revisions go on above the stored ones.
    ASSERT_OK_AND_ASSIGN(std::vector<UpsertResult> r,
                         store->UpsertUsers(kService, {Row("bob", R"({"v":2})")}, {}));
    EXPECT_EQ(r[0].outcome, UpsertOutcome::kUpdated);
    EXPECT_GT(r[0].user.revision, revision);
  }
  ASSERT_OK_AND_ASSIGN(CheckReport report, CheckStore(dir.Sub("s")));
  EXPECT_TRUE(report.ok()) << FormatCheckReport(report);
  EXPECT_EQ(report.users, 2u);
}

TEST(DurableUpsert, OneJournalWritePerCall) {
  TempDir dir;
  CountingJournal::Counts counts;
  std::unique_ptr<StoreImpl> store = OpenCounting(dir.Sub("s"), 0, &counts);
  ASSERT_NE(store, nullptr);
  std::vector<UserUpsert> rows;
  for (size_t i = 0; i < kMaxUpsertRows / 2; ++i) {
    rows.push_back(Row(absl::StrCat("u", i), R"({"v":1})"));
  }
  ASSERT_OK(store->UpsertUsers(kService, rows, {}));
  EXPECT_EQ(counts.put_users.load(), 1);
  EXPECT_EQ(counts.records.load(), kMaxUpsertRows / 2);
  // Half updates, half creates: still one write, with one event each.
  for (UserUpsert& row : rows) row.attributes = R"({"v":2})";
  for (size_t i = kMaxUpsertRows / 2; i < kMaxUpsertRows; ++i) {
    rows.push_back(Row(absl::StrCat("u", i), R"({"v":2})"));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<UpsertResult> r, store->UpsertUsers(kService, rows, {}));
  EXPECT_EQ(r.front().outcome, UpsertOutcome::kUpdated);
  EXPECT_EQ(r.back().outcome, UpsertOutcome::kCreated);
  EXPECT_EQ(counts.put_users.load(), 2);
  EXPECT_EQ(counts.records.load(), kMaxUpsertRows);
  EXPECT_EQ(counts.events.load(), kMaxUpsertRows);
  // Nothing changes: nothing written.
  ASSERT_OK_AND_ASSIGN(r, store->UpsertUsers(kService, rows, {}));
  EXPECT_EQ(r.front().outcome, UpsertOutcome::kUnchanged);
  EXPECT_EQ(counts.put_users.load(), 2);
  EXPECT_EQ(counts.put_user.load(), 0);
}

TEST(DurableUpsert, AFailedWriteFailsTheCallAndChangesNothing) {
  TempDir dir;
  std::vector<std::string> users;
  std::vector<std::string> feed;
  {
    CountingJournal::Counts counts;
    std::unique_ptr<StoreImpl> store = OpenCounting(dir.Sub("s"), 2, &counts);
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->UpsertUsers(kService, {Row("a", "{}"), Row("b", "{}")}, {}));
    users = Dump(*store);
    feed = Feed(*store);
    ASSERT_OK_AND_ASSIGN(const uint64_t position, store->EventPosition(kService));
    EXPECT_TWILIO_ERROR(store->UpsertUsers(kService, {Row("a", R"({"x":1})"), Row("c", "{}")}, {}),
                        500, 20500);
    EXPECT_EQ(counts.put_users.load(), 2);
    EXPECT_EQ(Dump(*store), users);  // neither the update nor the create
    EXPECT_TWILIO_ERROR(store->FetchUser(kService, "c"), 404, 20404);
    ASSERT_OK_AND_ASSIGN(const uint64_t after, store->EventPosition(kService));
    EXPECT_EQ(after, position);
  }
  CountingJournal::Counts counts;
  std::unique_ptr<StoreImpl> store = OpenCounting(dir.Sub("s"), 0, &counts);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Dump(*store), users);
  EXPECT_EQ(Feed(*store), feed);
}

}  // namespace
}  // namespace userstore
