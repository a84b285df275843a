// A shared Store's replica follows PostgreSQL (issue 16, part 2:
// docs/scale-out.md, "Logical decoding"): writes on one Store reach the
// others through the replication stream, in commit order. Skipped unless
// USERSTORE_PG_CONNINFO is set (tests/postgres/README.md).
#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sid/sid.h"
#include "tests/support/shared_fixture.h"
#include "tests/support/test_store.h"
#include "tests/support/user_params.h"
#include "userstore/error.h"
#include "userstore/import.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::kServiceSid;
using SharedReplicaTest = testing::SharedFixture;

TEST_F(SharedReplicaTest, WritesOnOneStoreReachTheOther) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  std::unique_ptr<Store> b = Open();  // opened before the writes
  ASSERT_NE(b, nullptr);
  UserCreate params;
  params.identity = "carol";
  params.attributes = R"({"level":1})";
  ASSERT_OK_AND_ASSIGN(const User created, a->CreateUser(kServiceSid, params));
  ASSERT_OK(CatchUp(*a, *b));
  ASSERT_OK_AND_ASSIGN(const User seen, b->FetchUser(kServiceSid, "carol"));
  EXPECT_EQ(seen.sid, created.sid);
  EXPECT_EQ(seen.attributes, R"({"level":1})");
  EXPECT_EQ(seen.revision, created.revision);
  EXPECT_EQ(seen.date_created, created.date_created);

  UserUpdate update;
  update.attributes = R"({"level":2})";
  update.friendly_name = "Carol";
  ASSERT_OK_AND_ASSIGN(const User updated, a->UpdateUser(kServiceSid, created.sid, update));
  ASSERT_OK(CatchUp(*a, *b));
  ASSERT_OK_AND_ASSIGN(const User seen2, b->FetchUser(kServiceSid, "carol"));
  EXPECT_EQ(seen2.attributes, R"({"level":2})");
  EXPECT_EQ(seen2.friendly_name, "Carol");
  EXPECT_EQ(seen2.revision, updated.revision);

  // Delete on B, then A answers 404 once it has caught up.
  ASSERT_OK(b->DeleteUser(kServiceSid, "carol"));
  EXPECT_TWILIO_ERROR(b->FetchUser(kServiceSid, "carol"), 404, 20404);
  ASSERT_OK(CatchUp(*b, *a));
  EXPECT_TWILIO_ERROR(a->FetchUser(kServiceSid, "carol"), 404, 20404);
  EXPECT_TWILIO_ERROR(a->FetchUser(kServiceSid, created.sid), 404, 20404);

  // A new holder of the identity, made on A, is the one B shows.
  ASSERT_OK_AND_ASSIGN(const User again, a->CreateUser(kServiceSid, params));
  EXPECT_NE(again.sid, created.sid);
  ASSERT_OK(CatchUp(*a, *b));
  ASSERT_OK_AND_ASSIGN(const User seen3, b->FetchUser(kServiceSid, "carol"));
  EXPECT_EQ(seen3.sid, again.sid);
  const std::optional<ReplicaStatus> status = b->Replica();
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->connected);
  EXPECT_GE(status->transactions, 4u);
  EXPECT_EQ(status->apply_errors, 0u) << status->last_error;
}

TEST_F(SharedReplicaTest, ServicesAndRolesReplicate) {
  std::unique_ptr<Store> a = Open();
  ASSERT_NE(a, nullptr);
  std::unique_ptr<Store> b = Open();
  ASSERT_NE(b, nullptr);
  ServiceCreate service;
  service.sid = kServiceSid;
  service.friendly_name = "made on a";
  ASSERT_OK(a->CreateService(service));
  RoleCreate role;
  role.friendly_name = "moderator";
  role.permissions = {"editAnyMessage", "deleteAnyMessage"};
  ASSERT_OK_AND_ASSIGN(const Role added, a->AddRole(kServiceSid, role));
  ASSERT_OK(a->SetReachabilityEnabled(kServiceSid, true));
  ASSERT_OK(CatchUp(*a, *b));
  ASSERT_OK_AND_ASSIGN(const Service on_b, b->FetchService(kServiceSid));
  EXPECT_EQ(on_b.friendly_name, "made on a");
  EXPECT_TRUE(on_b.reachability_enabled);
  ASSERT_OK_AND_ASSIGN(const std::vector<Role> roles_a, a->ListRoles(kServiceSid));
  ASSERT_OK_AND_ASSIGN(const std::vector<Role> roles_b, b->ListRoles(kServiceSid));
  ASSERT_EQ(roles_b.size(), roles_a.size());
  for (size_t i = 0; i < roles_a.size(); ++i) {
    EXPECT_EQ(roles_b[i].sid, roles_a[i].sid);
    EXPECT_EQ(roles_b[i].permissions, roles_a[i].permissions);
  }
  EXPECT_EQ(roles_b.back().sid, added.sid);
  // B can create a user with the replicated role.
  UserCreate params;
  params.identity = "mod";
  params.role_sid = added.sid;
  ASSERT_OK(b->CreateUser(kServiceSid, params));
}

// Every host may EnsureService at start: on a Service another Store just
// created, and this replica has not applied yet, it catches up and returns
// it (PostgreSQL's duplicate key is 409/20001, as a memory Store's).
TEST_F(SharedReplicaTest, EnsureServiceRacesAcrossStores) {
  std::unique_ptr<Store> a = Open();
  ASSERT_NE(a, nullptr);
  std::unique_ptr<Store> b = Open();
  ASSERT_NE(b, nullptr);
  for (int round = 0; round < 5; ++round) {
    ServiceCreate params;
    params.sid = internal::FormatSid("IS", internal::RandomSidBytes());
    params.friendly_name = "raced";
    bool created[2] = {false, false};
    absl::Status status[2];
    std::thread other([&] { status[1] = b->EnsureService(params, &created[1]).status(); });
    status[0] = a->EnsureService(params, &created[0]).status();
    other.join();
    ASSERT_OK(status[0]);
    ASSERT_OK(status[1]);
    EXPECT_NE(created[0], created[1]) << round;  // exactly one made it
    ASSERT_OK_AND_ASSIGN(const Service on_a, a->FetchService(params.sid));
    ASSERT_OK_AND_ASSIGN(const Service on_b, b->FetchService(params.sid));
    EXPECT_EQ(on_a.default_service_role_sid, on_b.default_service_role_sid);
    // A plain create of an existing Service is 409, as in memory.
    EXPECT_TWILIO_ERROR(a->CreateService(params), 409, 20001);
  }
}

// A write that reaches a user another Store changed or deleted a moment ago
// (not yet in this replica) catches up and goes through: updates
// alternating between two Stores with no wait all succeed, and a create of
// an identity the other Store just deleted is a create, not 409/50201.
TEST_F(SharedReplicaTest, BackToBackWritesOnTwoStoresGoThrough) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  std::unique_ptr<Store> b = Open();
  ASSERT_NE(b, nullptr);
  ASSERT_OK_AND_ASSIGN(const User x, a->CreateUser(kServiceSid, testing::NewUser("x")));
  for (int i = 0; i < 40; ++i) {
    Store& writer = i % 2 == 0 ? *b : *a;
    UserUpdate update;
    update.attributes_patch = absl::StrCat(R"({"k)", i, R"(":true})");
    ASSERT_TRUE(writer.UpdateUser(kServiceSid, x.sid, update).ok()) << i;
  }
  ASSERT_OK(CatchUp(*b, *a));
  ASSERT_OK_AND_ASSIGN(const User done, a->FetchUser(kServiceSid, "x"));
  for (int i = 0; i < 40; ++i) {
    EXPECT_NE(done.attributes.find(absl::StrCat("\"k", i, "\"")), std::string::npos) << i;
  }
  // A precondition is checked again on the retry: the stale revision fails.
  UserUpdate stale;
  stale.attributes = "{}";
  stale.if_revision = x.revision;
  EXPECT_TWILIO_ERROR(b->UpdateUser(kServiceSid, "x", stale), 412, 20412);
  for (int i = 0; i < 20; ++i) {
    const std::string identity = absl::StrCat("h", i);
    ASSERT_OK(a->CreateUser(kServiceSid, testing::NewUser(identity)));
    ASSERT_OK(CatchUp(*a, *b));
    ASSERT_OK(b->DeleteUser(kServiceSid, identity));
    ASSERT_TRUE(a->CreateUser(kServiceSid, testing::NewUser(identity)).ok()) << i;
  }
}

// Role SIDs are per Service, as in a memory Store: one SID in two Services.
TEST_F(SharedReplicaTest, ARoleSidMayBeInTwoServices) {
  std::unique_ptr<Store> a = Open();
  ASSERT_NE(a, nullptr);
  std::unique_ptr<Store> b = Open();
  ASSERT_NE(b, nullptr);
  const std::string other = internal::FormatSid("IS", internal::RandomSidBytes());
  RoleCreate role;
  role.sid = "RLcccccccccccccccccccccccccccccccc";
  role.friendly_name = "shared name";
  for (const std::string& sid : {std::string(kServiceSid), other}) {
    ServiceCreate service;
    service.sid = sid;
    ASSERT_OK(a->CreateService(service));
    ASSERT_OK(a->AddRole(sid, role));
  }
  EXPECT_TWILIO_ERROR(a->AddRole(other, role), 409, 20001);
  ASSERT_OK(CatchUp(*a, *b));
  for (const std::string& sid : {std::string(kServiceSid), other}) {
    ASSERT_OK_AND_ASSIGN(const std::vector<Role> roles, b->ListRoles(sid));
    EXPECT_EQ(roles.back().sid, role.sid) << sid;
  }
}

// An import that gives a user a new identity (kUpsert by SID) reaches the
// database and the other Store's replica.
TEST_F(SharedReplicaTest, AnImportedRenameReplicates) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  std::unique_ptr<Store> b = Open();
  ASSERT_NE(b, nullptr);
  ASSERT_OK_AND_ASSIGN(const User old, a->CreateUser(kServiceSid, testing::NewUser("before")));
  ASSERT_OK(CatchUp(*a, *b));
  UserImport row;
  row.sid = old.sid;
  row.identity = "after";
  row.role_sid = old.role_sid;
  row.attributes = R"({"renamed":true})";
  row.date_created = old.date_created;
  row.date_updated = old.date_updated;
  ImportOptions options;
  options.mode = ImportMode::kUpsert;
  ASSERT_OK_AND_ASSIGN(const ImportResult result, a->ImportUsers(kServiceSid, {row}, options));
  EXPECT_EQ(result.replaced, 1u);
  ASSERT_OK(CatchUp(*a, *b));
  for (Store* store : {a.get(), b.get()}) {
    ASSERT_OK_AND_ASSIGN(const User renamed, store->FetchUser(kServiceSid, "after"));
    EXPECT_EQ(renamed.sid, old.sid);
    EXPECT_EQ(renamed.attributes, R"({"renamed":true})");
    EXPECT_TWILIO_ERROR(store->FetchUser(kServiceSid, "before"), 404, 20404);
  }
  std::unique_ptr<Store> c = Open();
  ASSERT_NE(c, nullptr);
  ASSERT_OK_AND_ASSIGN(const User stored, c->FetchUser(kServiceSid, old.sid));
  EXPECT_EQ(stored.identity, "after");
}

// Slot names are the PostgreSQL cluster's: a name another database's slot
// holds is refused (409), never dropped.
TEST_F(SharedReplicaTest, AReplicaNameOfAnotherDatabaseIsRefused) {
  const std::string other_db = database_ + "_b";
  {
    auto admin = Admin();
    ASSERT_TRUE(admin.ok()) << admin.status();
    ASSERT_TRUE(admin->Exec(("CREATE DATABASE " + other_db).c_str(), {}).ok());
  }
  SharedOptions named;
  named.replica_name = "twin";
  {
    absl::StatusOr<std::unique_ptr<Store>> there =
        Store::OpenShared(admin_conninfo_ + " dbname=" + other_db, {}, named);
    ASSERT_OK(there.status());
    EXPECT_TWILIO_ERROR(Store::OpenShared(conninfo_, {}, named), 409, 20409);
  }
  // Closed cleanly: its slot is gone, and the name is free here.
  std::unique_ptr<Store> here = Open(named);
  EXPECT_NE(here, nullptr);
  here.reset();
  auto admin = Admin();
  ASSERT_TRUE(admin.ok()) << admin.status();
  EXPECT_TRUE(admin->Exec(("DROP DATABASE " + other_db + " WITH (FORCE)").c_str(), {}).ok());
}

// Writes that go on while a Store opens are neither missed nor applied
// twice: the snapshot and the stream meet exactly at the slot's point.
TEST_F(SharedReplicaTest, WritesDuringTheSnapshotLoadAreNeitherMissedNorDoubled) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      UserCreate params;
      params.identity = absl::StrCat("w", i);
      if (!a->CreateUser(kServiceSid, params).ok()) ADD_FAILURE() << "create " << i;
      UserUpdate update;
      update.attributes = absl::StrCat(R"({"n":)", i, "}");
      if (i > 0 && !a->UpdateUser(kServiceSid, absl::StrCat("w", i - 1), update).ok()) {
        ADD_FAILURE() << "update " << i;
      }
      ++written;
    }
  });
  while (written.load() < 20) std::this_thread::yield();
  std::unique_ptr<Store> b = Open();  // loads while A writes
  ASSERT_NE(b, nullptr);
  while (written.load() < 60) std::this_thread::yield();
  stop = true;
  writer.join();
  ASSERT_OK(CatchUp(*a, *b));
  const std::map<std::string, std::string> on_a = Contents(*a);
  EXPECT_EQ(on_a.size(), static_cast<size_t>(written.load()));
  EXPECT_EQ(Contents(*b), on_a);
  ASSERT_OK_AND_ASSIGN(const uint64_t count, b->CountUsers(kServiceSid));
  EXPECT_EQ(count, on_a.size());
}

// A page token minted on A walks every user on B exactly once while both
// Stores create and update users.
TEST_F(SharedReplicaTest, PagingOnBWithATokenFromAWhileBothWrite) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  constexpr int kUsers = 250;
  for (int i = 0; i < kUsers; ++i) {
    UserCreate params;
    params.identity = absl::StrCat("p", i);
    ASSERT_OK(a->CreateUser(kServiceSid, params));
  }
  std::unique_ptr<Store> b = Open();
  ASSERT_NE(b, nullptr);
  PageRequest request;
  request.page_size = 20;
  ASSERT_OK_AND_ASSIGN(const Page first, a->ListUsers(kServiceSid, request));
  std::multiset<std::string> seen;
  for (const User& u : first.users) seen.insert(u.identity);
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&, t] {
      Store* store = t == 0 ? a.get() : b.get();
      for (int i = 0; !stop.load(); ++i) {
        UserCreate params;
        params.identity = absl::StrCat("new", t, "_", i);
        (void)store->CreateUser(kServiceSid, params);
        UserUpdate update;
        update.attributes = absl::StrCat(R"({"t":)", t, R"(,"i":)", i, "}");
        (void)store->UpdateUser(kServiceSid, absl::StrCat("p", (i * 7 + t) % kUsers), update);
      }
    });
  }
  request.page_token = first.next_page_token;
  while (!request.page_token.empty()) {
    ASSERT_OK_AND_ASSIGN(const Page page, b->ListUsers(kServiceSid, request));
    for (const User& u : page.users) seen.insert(u.identity);
    request.page_token = page.next_page_token;
  }
  stop = true;
  for (std::thread& t : writers) t.join();
  for (int i = 0; i < kUsers; ++i) {
    EXPECT_EQ(seen.count(absl::StrCat("p", i)), 1u) << "p" << i;
  }
  for (const std::string& identity : seen) EXPECT_EQ(seen.count(identity), 1u) << identity;
}

// A user's revision increases with each write whichever Store makes it
// (blocks of sequences are per Store and would not).
TEST_F(SharedReplicaTest, RevisionsIncreaseAcrossStores) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  std::unique_ptr<Store> b = Open();
  ASSERT_NE(b, nullptr);
  // B reserves its block after A's: B's numbers are higher.
  ASSERT_OK(b->GetOrCreateUser(kServiceSid, "b_first"));
  ASSERT_OK_AND_ASSIGN(const User x, a->CreateUser(kServiceSid, testing::NewUser("x")));
  uint64_t last = x.revision;
  for (int i = 0; i < 6; ++i) {
    Store& writer = i % 2 == 0 ? *b : *a;
    Store& other = i % 2 == 0 ? *a : *b;
    ASSERT_OK(CatchUp(other, writer));
    UserUpdate update;
    update.attributes = absl::StrCat(R"({"i":)", i, "}");
    ASSERT_OK_AND_ASSIGN(const User u, writer.UpdateUser(kServiceSid, "x", update));
    EXPECT_GT(u.revision, last) << i;
    last = u.revision;
  }
  ASSERT_OK(CatchUp(*a, *b));
  ASSERT_OK_AND_ASSIGN(const User on_a, a->FetchUser(kServiceSid, "x"));
  ASSERT_OK_AND_ASSIGN(const User on_b, b->FetchUser(kServiceSid, "x"));
  EXPECT_EQ(on_a.revision, last);
  EXPECT_EQ(on_b.revision, last);
  EXPECT_EQ(on_b.attributes, R"({"i":5})");
}

// The stream reconnects after its server process is killed, and resumes
// from the slot: writes made meanwhile arrive.
TEST_F(SharedReplicaTest, TheStreamResumesAfterItsConnectionIsKilled) {
  SharedOptions named;
  named.replica_name = "resume_b";
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  std::unique_ptr<Store> b = Open(named);
  ASSERT_NE(b, nullptr);
  ASSERT_OK(a->GetOrCreateUser(kServiceSid, "before"));
  ASSERT_OK(CatchUp(*a, *b));
  {
    auto db = Database();
    ASSERT_TRUE(db.ok()) << db.status();
    auto killed = db->Exec(
        "SELECT count(pg_terminate_backend(active_pid)) FROM pg_replication_slots "
        "WHERE slot_name = 'userstore_resume_b' AND active_pid IS NOT NULL",
        {});
    ASSERT_TRUE(killed.ok()) << killed.status();
    ASSERT_OK_AND_ASSIGN(const int64_t count, killed->GetInt(0, 0));
    EXPECT_EQ(count, 1);
  }
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK(a->GetOrCreateUser(kServiceSid, absl::StrCat("during", i)));
  }
  ASSERT_OK(CatchUp(*a, *b));
  EXPECT_EQ(Contents(*b), Contents(*a));
  const std::optional<ReplicaStatus> status = b->Replica();
  ASSERT_TRUE(status.has_value());
  EXPECT_GE(status->reconnects, 1u);
  EXPECT_TRUE(status->connected);
}

TEST_F(SharedReplicaTest, ReplicaNamesAreCheckedAndTheSlotIsDroppedOnClose) {
  SharedOptions named;
  named.replica_name = "host_1";
  std::unique_ptr<Store> a = OpenWithService(named);
  ASSERT_NE(a, nullptr);
  // A second running Store with the name is refused.
  EXPECT_TWILIO_ERROR(Store::OpenShared(conninfo_, {}, named), 409, 20409);
  SharedOptions bad;
  bad.replica_name = "Host-1";
  EXPECT_TWILIO_ERROR(Store::OpenShared(conninfo_, {}, bad), 400, 20001);
  bad.replica_name = std::string(41, 'a');
  EXPECT_TWILIO_ERROR(Store::OpenShared(conninfo_, {}, bad), 400, 20001);
  auto slots = [&]() -> int64_t {
    auto db = Database();
    EXPECT_TRUE(db.ok()) << db.status();
    auto r = db->Exec(
        "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()", {});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r->GetInt(0, 0) : -1;
  };
  EXPECT_EQ(slots(), 1);
  a.reset();
  EXPECT_EQ(slots(), 0);
  // Reopening under the name works, and finds what the first run wrote.
  std::unique_ptr<Store> again = Open(named);
  ASSERT_NE(again, nullptr);
  ASSERT_OK(again->FetchService(kServiceSid));
}

TEST_F(SharedReplicaTest, WaitForPositionTimesOutAndNonSharedStoresRefuse) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  ASSERT_OK_AND_ASSIGN(const uint64_t now, a->SharedPosition());
  ASSERT_OK(a->WaitForPosition(now, absl::Seconds(10)));
  EXPECT_TWILIO_ERROR(a->WaitForPosition(now + (uint64_t{1} << 40), absl::Milliseconds(50)), 503,
                      20503);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> memory, Store::Create({}));
  EXPECT_TWILIO_ERROR(memory->SharedPosition(), 400, 20001);
  EXPECT_TWILIO_ERROR(memory->WaitForPosition(1, absl::Seconds(1)), 400, 20001);
  EXPECT_FALSE(memory->Replica().has_value());
}

// kAfterOwnWrites: once a write returns, the writer's replica shows every
// write committed before it, by any Store.
TEST_F(SharedReplicaTest, AfterOwnWritesShowsEarlierWritesOfOtherStores) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  SharedOptions after;
  after.consistency = SharedOptions::Consistency::kAfterOwnWrites;
  std::unique_ptr<Store> b = Open(after);
  ASSERT_NE(b, nullptr);
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK(a->CreateUser(kServiceSid, testing::NewUser(absl::StrCat("a", i))));
    ASSERT_OK(b->CreateUser(kServiceSid, testing::NewUser(absl::StrCat("b", i))));
    EXPECT_TRUE(b->FetchUser(kServiceSid, absl::StrCat("a", i)).ok()) << i;
  }
  SharedOptions bad;
  bad.consistency = static_cast<SharedOptions::Consistency>(7);
  EXPECT_TWILIO_ERROR(Store::OpenShared(conninfo_, {}, bad), 400, 20001);
  bad = {};
  bad.replica_wait = absl::ZeroDuration();
  EXPECT_TWILIO_ERROR(Store::OpenShared(conninfo_, {}, bad), 400, 20001);
}

// Applied changes enter the feed as the Store's own writes do, marked
// kReplica; the writer's own events are not doubled when its stream
// delivers them again.
TEST_F(SharedReplicaTest, AppliedChangesEnterTheFeedOnce) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  std::unique_ptr<Store> b = Open();
  ASSERT_NE(b, nullptr);
  ASSERT_OK(a->CreateUser(kServiceSid, testing::NewUser("f")));
  UserUpdate update;
  update.friendly_name = "F";
  ASSERT_OK(a->UpdateUser(kServiceSid, "f", update));
  ASSERT_OK(a->DeleteUser(kServiceSid, "f"));
  ASSERT_OK(CatchUp(*a, *b));
  ASSERT_OK_AND_ASSIGN(const EventPage on_b, b->ReadEvents(kServiceSid, 0, 100));
  ASSERT_EQ(on_b.events.size(), 3u);
  EXPECT_EQ(on_b.events[0].type, UserEvent::Type::kUserAdded);
  EXPECT_EQ(on_b.events[1].type, UserEvent::Type::kUserUpdated);
  EXPECT_EQ(on_b.events[1].changed, user_field::kFriendlyName);
  EXPECT_EQ(on_b.events[2].type, UserEvent::Type::kUserRemoved);
  for (const UserEvent& e : on_b.events) EXPECT_EQ(e.origin, WriteOrigin::kReplica);
  ASSERT_OK_AND_ASSIGN(const EventPage on_a, a->ReadEvents(kServiceSid, 0, 100));
  ASSERT_EQ(on_a.events.size(), 3u);
  for (const UserEvent& e : on_a.events) EXPECT_EQ(e.origin, WriteOrigin::kServer);
}

// A shared Store's feed holds its own writes and the applied ones side by
// side: with two local writers and the stream appending at once, and after a
// write the database refused, the feed has exactly one event per change,
// at consecutive positions (own writes used to reserve positions the stream
// then took, and a refused write stopped the feed).
TEST_F(SharedReplicaTest, TheFeedKeepsEveryChangeOnceAcrossFailuresAndTheStream) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  std::unique_ptr<Store> b = Open();
  ASSERT_NE(b, nullptr);
  for (int i = 0; i < 6; ++i) {
    ASSERT_OK(a->CreateUser(kServiceSid, testing::NewUser(absl::StrCat("f", i))));
  }
  ASSERT_OK(CatchUp(*a, *b));
  // A write PostgreSQL refuses (text cannot hold a NUL byte): no event.
  UserUpdate refused;
  refused.friendly_name = std::string("a\0b", 3);
  EXPECT_TWILIO_ERROR(a->UpdateUser(kServiceSid, "f0", refused), 400, 20001);
  std::atomic<int> acknowledged{6};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      Store* store = t < 2 ? a.get() : b.get();  // two on A, one on B
      for (int i = 0; i < 25; ++i) {
        UserUpdate update;
        update.attributes = absl::StrCat(R"({"t":)", t, R"(,"i":)", i, "}");
        if (store->UpdateUser(kServiceSid, absl::StrCat("f", t * 2 + i % 2), update).ok()) {
          ++acknowledged;
        }
      }
    });
  }
  for (std::thread& t : writers) t.join();
  ASSERT_OK(CatchUp(*b, *a));
  std::vector<UserEvent> events;
  for (uint64_t after = 0;;) {
    ASSERT_OK_AND_ASSIGN(const EventPage page, a->ReadEvents(kServiceSid, after, 100));
    if (page.events.empty()) break;
    events.insert(events.end(), page.events.begin(), page.events.end());
    after = page.next_after;
  }
  ASSERT_EQ(events.size(), static_cast<size_t>(acknowledged.load()));
  std::map<std::string, uint64_t> last_revision;
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence, i + 1);
    uint64_t& last = last_revision[events[i].user.sid];
    EXPECT_GT(events[i].user.revision, last) << i;
    last = events[i].user.revision;
  }
  ASSERT_OK_AND_ASSIGN(const uint64_t position, a->EventPosition(kServiceSid));
  EXPECT_EQ(position, events.size());
}

}  // namespace
}  // namespace userstore
