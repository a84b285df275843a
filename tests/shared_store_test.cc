// Store::OpenShared against a real PostgreSQL (issue 16, part 1: no
// replication yet; docs/scale-out.md). Skipped unless USERSTORE_PG_CONNINFO
// is set (tests/postgres/README.md); each test makes its own database.
#include <atomic>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "shared/pg.h"
#include "sid/sid.h"
#include "tests/support/shared_fixture.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using internal::shared::PgConn;
using testing::kServiceSid;

using SharedStoreTest = testing::SharedFixture;

TEST_F(SharedStoreTest, CreateRaceAcrossTwoStoresHasOneWinner) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  std::unique_ptr<Store> b = Open();
  ASSERT_NE(b, nullptr);
  std::atomic<int> ok{0};
  std::atomic<int> taken{0};
  std::atomic<int> other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    Store* store = i % 2 == 0 ? a.get() : b.get();
    threads.emplace_back([&, store] {
      while (!go.load()) std::this_thread::yield();
      UserCreate params;
      params.identity = "alice";
      const absl::StatusOr<User> user = store->CreateUser(kServiceSid, params);
      if (user.ok()) {
        ++ok;
      } else if (HttpStatus(user.status()) == 409 && TwilioCode(user.status()) == 50201) {
        ++taken;
      } else {
        ++other;
        ADD_FAILURE() << user.status();
      }
    });
  }
  go = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(taken.load(), 15);
  EXPECT_EQ(other.load(), 0);
  a.reset();
  b.reset();
  std::unique_ptr<Store> c = Open();
  ASSERT_NE(c, nullptr);
  ASSERT_OK_AND_ASSIGN(Page page, c->ListUsers(kServiceSid, {}));
  ASSERT_EQ(page.users.size(), 1u);
  EXPECT_EQ(page.users[0].identity, "alice");
}

TEST_F(SharedStoreTest, ReopenSeesCreateUpdateAndDelete) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  UserCreate params;
  params.identity = "bob";
  params.attributes = R"({"level":3})";
  params.friendly_name = "Bob";
  ASSERT_OK_AND_ASSIGN(const User created, a->CreateUser(kServiceSid, params));
  {
    std::unique_ptr<Store> c = Open();
    ASSERT_NE(c, nullptr);
    ASSERT_OK_AND_ASSIGN(const User seen, c->FetchUser(kServiceSid, created.sid));
    EXPECT_EQ(seen.sid, created.sid);
    EXPECT_EQ(seen.identity, "bob");
    EXPECT_EQ(seen.attributes, created.attributes);
    EXPECT_EQ(seen.friendly_name, created.friendly_name);
    EXPECT_EQ(seen.role_sid, created.role_sid);
    EXPECT_EQ(seen.account_sid, created.account_sid);
    EXPECT_EQ(seen.date_created, created.date_created);
    EXPECT_EQ(seen.date_updated, created.date_updated);
    EXPECT_EQ(seen.revision, created.revision);
  }
  UserUpdate update;
  update.attributes = R"({"level":4})";
  ASSERT_OK_AND_ASSIGN(const User updated, a->UpdateUser(kServiceSid, "bob", update));
  {
    std::unique_ptr<Store> c = Open();
    ASSERT_NE(c, nullptr);
    ASSERT_OK_AND_ASSIGN(const User seen, c->FetchUser(kServiceSid, "bob"));
    EXPECT_EQ(seen.attributes, R"({"level":4})");
    EXPECT_EQ(seen.revision, updated.revision);
  }
  ASSERT_OK(a->DeleteUser(kServiceSid, "bob"));
  std::unique_ptr<Store> c = Open();
  ASSERT_NE(c, nullptr);
  EXPECT_TWILIO_ERROR(c->FetchUser(kServiceSid, created.sid), 404, 20404);
  // The SID is remembered as deleted: an import naming it is refused.
  UserImport row;
  row.sid = created.sid;
  row.identity = "bob-again";
  ASSERT_OK_AND_ASSIGN(const ImportResult result, c->ImportUsers(kServiceSid, {row}, {}));
  EXPECT_EQ(result.errors.size(), 1u);
  ASSERT_OK_AND_ASSIGN(const User again, c->CreateUser(kServiceSid, params));
  EXPECT_NE(again.sid, created.sid);
}

TEST_F(SharedStoreTest, PageTokenFromOneStoreWalksAnother) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  constexpr int kUsers = 25;
  for (int i = 0; i < kUsers; ++i) {
    UserCreate params;
    params.identity = "user" + std::to_string(i);
    ASSERT_OK(a->CreateUser(kServiceSid, params));
  }
  PageRequest first;
  first.page_size = 10;
  ASSERT_OK_AND_ASSIGN(const Page page0, a->ListUsers(kServiceSid, first));
  ASSERT_FALSE(page0.next_page_token.empty());
  std::set<std::string> seen;
  for (const User& u : page0.users) EXPECT_TRUE(seen.insert(u.identity).second);
  std::unique_ptr<Store> c = Open();
  ASSERT_NE(c, nullptr);
  PageRequest next = first;
  next.page = 1;
  next.page_token = page0.next_page_token;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(const Page page, c->ListUsers(kServiceSid, next));
    for (const User& u : page.users) EXPECT_TRUE(seen.insert(u.identity).second) << u.identity;
    if (page.next_page_token.empty()) break;
    ++next.page;
    next.page_token = page.next_page_token;
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kUsers));
}

// Updates of one user from two Stores at once: each is acknowledged or
// refused with 409/20409 (the writer's replica was behind), and no
// acknowledged update is lost. Each merge patch adds its own key; without
// the revision guard a write built on a stale copy would drop another's key.
TEST_F(SharedStoreTest, ConcurrentPatchesFromTwoStoresLoseNothing) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  UserCreate params;
  params.identity = "x";
  ASSERT_OK(a->CreateUser(kServiceSid, params));
  std::unique_ptr<Store> b = Open();
  ASSERT_NE(b, nullptr);
  std::vector<std::string> acknowledged[2];
  int refused = 0;
  std::vector<std::thread> threads;
  std::atomic<int> other{0};
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      Store* store = t == 0 ? a.get() : b.get();
      for (int i = 0; i < 40; ++i) {
        const std::string key = (t == 0 ? "a" : "b") + std::to_string(i);
        UserUpdate update;
        update.attributes_patch = "{\"" + key + "\":true}";
        const absl::StatusOr<User> done = store->UpdateUser(kServiceSid, "x", update);
        if (done.ok()) {
          acknowledged[t].push_back(key);
        } else if (HttpStatus(done.status()) != 409 || TwilioCode(done.status()) != 20409) {
          ++other;
          ADD_FAILURE() << done.status();
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  refused = 80 - static_cast<int>(acknowledged[0].size() + acknowledged[1].size());
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(acknowledged[0].size() + acknowledged[1].size(), 0u);
  ASSERT_OK(CatchUp(*a, *b));
  ASSERT_OK(CatchUp(*b, *a));
  std::unique_ptr<Store> c = Open();
  ASSERT_NE(c, nullptr);
  ASSERT_OK_AND_ASSIGN(const User stored, c->FetchUser(kServiceSid, "x"));
  for (const auto& keys : acknowledged) {
    for (const std::string& key : keys) {
      EXPECT_NE(stored.attributes.find("\"" + key + "\""), std::string::npos)
          << key << " lost; " << refused << " refused";
    }
  }
  // Both replicas converge on the database's user.
  ASSERT_OK_AND_ASSIGN(const User on_a, a->FetchUser(kServiceSid, "x"));
  ASSERT_OK_AND_ASSIGN(const User on_b, b->FetchUser(kServiceSid, "x"));
  EXPECT_EQ(on_a.attributes, stored.attributes);
  EXPECT_EQ(on_b.attributes, stored.attributes);
  EXPECT_EQ(on_a.revision, stored.revision);
  EXPECT_EQ(on_b.revision, stored.revision);
}

// Creation sequences and revisions come from blocks each Store reserves from
// one PostgreSQL SEQUENCE: creates alternating between two Stores never
// collide, and a fresh Store loads every user with a distinct sequence.
TEST_F(SharedStoreTest, CreatesOnTwoStoresNeverShareASequence) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  std::unique_ptr<Store> b = Open();
  ASSERT_NE(b, nullptr);
  std::set<uint64_t> revisions;
  for (int i = 0; i < 20; ++i) {
    UserCreate params;
    params.identity = "u" + std::to_string(i);
    ASSERT_OK_AND_ASSIGN(const User user, (i % 2 == 0 ? a : b)->CreateUser(kServiceSid, params));
    EXPECT_TRUE(revisions.insert(user.revision).second) << user.revision;
  }
  UserUpdate update;
  update.friendly_name = "renamed";
  ASSERT_OK_AND_ASSIGN(const User renamed, b->UpdateUser(kServiceSid, "u1", update));
  EXPECT_TRUE(revisions.insert(renamed.revision).second) << renamed.revision;
  std::unique_ptr<Store> c = Open();
  ASSERT_NE(c, nullptr);
  PageRequest request;
  request.page_size = 100;
  ASSERT_OK_AND_ASSIGN(Page page, c->ListUsers(kServiceSid, request));
  ASSERT_EQ(page.users.size(), 20u);
  std::set<std::string> identities;
  for (const User& u : page.users) identities.insert(u.identity);
  EXPECT_EQ(identities.size(), 20u);
}

// Hosts starting at once on an empty database: one creates the schema (under
// the advisory lock), the others read what it stored.
TEST_F(SharedStoreTest, ConcurrentFirstOpensAgreeOnOneSchema) {
  constexpr size_t kOpeners = 4;
  std::vector<absl::StatusOr<std::unique_ptr<Store>>> stores(kOpeners);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] { stores[i] = Store::OpenShared(conninfo_, {}); });
  }
  for (std::thread& t : threads) t.join();
  for (auto& store : stores) ASSERT_TRUE(store.ok()) << store.status();
  ServiceCreate params;
  params.sid = kServiceSid;
  ASSERT_OK((*stores[0])->CreateService(params));
  ASSERT_OK_AND_ASSIGN(const User user, (*stores[0])->GetOrCreateUser(kServiceSid, "carol"));
  std::unique_ptr<Store> c = Open();
  ASSERT_NE(c, nullptr);
  ASSERT_OK_AND_ASSIGN(const Service service, c->FetchService(kServiceSid));
  EXPECT_EQ(service.account_sid, user.account_sid);
}

TEST_F(SharedStoreTest, UnreachableServerIs503) {
  const auto store =
      Store::OpenShared("host=/nonexistent-userstore-socket-dir connect_timeout=2", {});
  EXPECT_TWILIO_ERROR(store, 503, 20503);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
  SharedOptions shared;
  shared.write_timeout = absl::ZeroDuration();
  EXPECT_TWILIO_ERROR(Store::OpenShared(conninfo_, {}, shared), 400, 20001);
}

// The server ends the Store's idle connections (as a restart does): the next
// writes reconnect, and what the Store held is intact.
TEST_F(SharedStoreTest, WritesReconnectAfterTheServerClosedIdleConnections) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  ASSERT_OK(a->GetOrCreateUser(kServiceSid, "before"));
  {
    auto admin = PgConn::Connect(admin_conninfo_, absl::Seconds(30));
    ASSERT_TRUE(admin.ok()) << admin.status();
    auto killed = admin->Exec(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1",
        {database_});
    ASSERT_TRUE(killed.ok()) << killed.status();
    ASSERT_OK_AND_ASSIGN(const int64_t count, killed->GetInt(0, 0));
    EXPECT_GE(count, 1);  // the Store's idle connection at least
  }
  ASSERT_OK(a->GetOrCreateUser(kServiceSid, "after"));
  UserUpdate update;
  update.friendly_name = "still here";
  ASSERT_OK(a->UpdateUser(kServiceSid, "before", update));
  std::unique_ptr<Store> c = Open();
  ASSERT_NE(c, nullptr);
  ASSERT_OK_AND_ASSIGN(const User before, c->FetchUser(kServiceSid, "before"));
  EXPECT_EQ(before.friendly_name, "still here");
  ASSERT_OK(c->FetchUser(kServiceSid, "after"));
}

TEST_F(SharedStoreTest, NewerSchemaIsRefused) {
  ASSERT_NE(Open(), nullptr);
  {
    auto conn = PgConn::Connect(conninfo_, absl::Seconds(30));
    ASSERT_TRUE(conn.ok()) << conn.status();
    ASSERT_TRUE(conn->Exec("UPDATE userstore_meta SET schema_version = 999", {}).ok());
  }
  const auto store = Store::OpenShared(conninfo_, {});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(HttpStatus(store.status()), 500);
  EXPECT_EQ(TwilioCode(store.status()), 20500);
  EXPECT_NE(store.status().message().find("schema version 999 is newer"), std::string::npos)
      << store.status();
}

TEST_F(SharedStoreTest, StoredAccountAndKeyWin) {
  StoreOptions options;
  options.account_sid = testing::kAccountSid;
  ASSERT_TRUE(Store::OpenShared(conninfo_, options).ok());
  options.account_sid = "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  const auto store = Store::OpenShared(conninfo_, options);
  EXPECT_TWILIO_ERROR(store, 400, 20001);
  std::unique_ptr<Store> c = Open();
  ASSERT_NE(c, nullptr);
}

// Issue 17: a shared Store keeps no push Bindings yet: every Binding call
// answers 501/20501, and users work as before (is_notifiable stays null).
TEST_F(SharedStoreTest, BindingCallsAre501) {
  std::unique_ptr<Store> store = OpenWithService();
  ASSERT_NE(store, nullptr);
  UserCreate create;
  create.identity = "alice";
  ASSERT_TRUE(store->CreateUser(kServiceSid, create).ok());
  BindingCreate binding;
  binding.endpoint = "apn-token";
  const absl::StatusOr<Binding> registered = store->RegisterBinding(kServiceSid, "alice", binding);
  EXPECT_TWILIO_ERROR(registered, 501, twilio_code::kNotImplemented);
  EXPECT_EQ(registered.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(registered.status().message(), "push Bindings are not stored in shared mode yet");
  const std::string sid = "BS" + std::string(32, 'a');
  EXPECT_TWILIO_ERROR(store->FetchBinding(kServiceSid, "", sid), 501, 20501);
  EXPECT_TWILIO_ERROR(store->FetchBinding(kServiceSid, "alice", sid), 501, 20501);
  EXPECT_TWILIO_ERROR(store->DeleteBinding(kServiceSid, "", sid), 501, 20501);
  EXPECT_TWILIO_ERROR(store->ListBindings(kServiceSid, {}), 501, 20501);
  const absl::StatusOr<User> alice = store->FetchUser(kServiceSid, "alice");
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_EQ(alice->is_notifiable, std::nullopt);
  EXPECT_TRUE(store->DeleteUser(kServiceSid, "alice").ok());
}

// Issue 18: batch upsert is refused in shared mode (501/20501) before any
// row is looked at, and changes nothing.
TEST_F(SharedStoreTest, UpsertUsersIs501) {
  std::unique_ptr<Store> store = OpenWithService();
  ASSERT_NE(store, nullptr);
  UserUpsert row;
  row.identity = "bob";
  const auto upserted = store->UpsertUsers(kServiceSid, {row});
  EXPECT_TWILIO_ERROR(upserted, 501, twilio_code::kNotImplemented);
  EXPECT_EQ(upserted.status().message(), "batch upsert is not available in shared mode yet");
  EXPECT_TWILIO_ERROR(store->FetchUser(kServiceSid, "bob"), 404, 20404);
}

// Issue 18: filters and counts work through the replica's index; the
// indexed attribute cannot be declared yet (it would have to reach every
// host).
TEST_F(SharedStoreTest, FiltersWorkAndTheIndexedAttributeIs501) {
  std::unique_ptr<Store> store = OpenWithService();
  ASSERT_NE(store, nullptr);
  for (const char* identity : {"bob", "alice", "bobby"}) {
    UserCreate create;
    create.identity = identity;
    ASSERT_TRUE(store->CreateUser(kServiceSid, create).ok());
  }
  EXPECT_TWILIO_ERROR(store->SetIndexedAttribute(kServiceSid, "team"), 501, 20501);
  const absl::StatusOr<std::string> key = store->IndexedAttribute(kServiceSid);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, "");
  PageRequest request;
  request.filter.identity_prefix = "bob";
  const absl::StatusOr<Page> page = store->ListUsers(kServiceSid, request);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->users.size(), 2u);
  EXPECT_EQ(page->users[0].identity, "bob");
  EXPECT_EQ(page->users[1].identity, "bobby");
  const absl::StatusOr<uint64_t> count = store->CountUsers(kServiceSid, request.filter);
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count, 2u);
}

}  // namespace
}  // namespace userstore
