// Revisions in a durable store (Store::Open): they survive close and reopen,
// a write after reopen moves them above every earlier one (deleted users'
// included), refused preconditions journal nothing, version 1 user values
// (written before revisions) read with revision = sequence, and presence by
// connection is memory only. Plus EnsureService across a restart.
#include <memory>
#include <string>
#include <utility>

#include "durable/codec.h"
#include "durable/rocks_journal.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "tests/support/user_params.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::AttributesUpdate;
using testing::FakeClock;

constexpr char kService[] = "IScccccccccccccccccccccccccccccccc";

UserCreate Id(std::string identity) { return testing::NewUser(std::move(identity)); }

class DurableRevisionTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open() {
    StoreOptions options;
    options.clock = [c = clock_] { return c->Now(); };
    DurableOptions durable;
    durable.sync = false;  // no power cuts here; a clean close syncs
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open(dir_.Sub("store"), std::move(options), durable);
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return nullptr;
    ServiceCreate service;
    service.sid = kService;
    service.reachability_enabled = true;
    EXPECT_TRUE((*store)->EnsureService(service).ok());
    return *std::move(store);
  }
  User Fetch(Store& store, const std::string& key) {
    absl::StatusOr<User> u = store.FetchUser(kService, key);
    EXPECT_TRUE(u.ok()) << u.status();
    return u.ok() ? *u : User();
  }

  testing::TempDir dir_{"userstore-revision"};
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
};

TEST_F(DurableRevisionTest, RevisionSurvivesReopenAndTheNextWriteMovesAbove) {
  User a, b;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->CreateUser(kService, Id("a")));
    ASSERT_OK(store->CreateUser(kService, Id("b")));
    ASSERT_OK(store->UpdateUser(kService, "a", AttributesUpdate(R"({"v":1})")));
    UserUpdate patch;
    patch.attributes_patch = R"({"w":2})";
    ASSERT_OK(store->UpdateUser(kService, "a", patch));
    ASSERT_OK(store->AddJoinedChannels(kService, "b", 3));
    a = Fetch(*store, "a");
    b = Fetch(*store, "b");
    EXPECT_EQ(a.attributes, R"({"v":1,"w":2})");
  }
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  const User a2 = Fetch(*store, "a");
  const User b2 = Fetch(*store, "b");
  EXPECT_EQ(a2.revision, a.revision);
  EXPECT_EQ(b2.revision, b.revision);
  EXPECT_EQ(a2.attributes, a.attributes);
  EXPECT_EQ(b2.joined_channels_count, 3);
  // The revisions read before the restart are valid preconditions after it.
  ASSERT_OK_AND_ASSIGN(const User a3,
                       store->UpdateUser(kService, "a", AttributesUpdate("{}", a.revision)));
  EXPECT_GT(a3.revision, a.revision);
  EXPECT_GT(a3.revision, b.revision);
  ASSERT_OK_AND_ASSIGN(const User c, store->CreateUser(kService, Id("c")));
  EXPECT_GT(c.revision, a3.revision);
  // And a stale one is refused.
  EXPECT_TWILIO_ERROR(store->DeleteUser(kService, "b", a.revision), 412,
                      twilio_code::kPreconditionFailed);
  ASSERT_OK(store->DeleteUser(kService, "b", b.revision));
}

TEST_F(DurableRevisionTest, ADeletedUsersRevisionIsNotHandedOutAgain) {
  uint64_t highest = 0;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->CreateUser(kService, Id("old")));
    ASSERT_OK(store->CreateUser(kService, Id("keep")));
    for (int i = 0; i < 5; ++i) {
      ASSERT_OK_AND_ASSIGN(const User u,
                           store->UpdateUser(kService, "old", AttributesUpdate("{}")));
      highest = u.revision;
    }
    ASSERT_OK(store->DeleteUser(kService, "old", highest));
  }
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_LT(Fetch(*store, "keep").revision, highest);
  ASSERT_OK_AND_ASSIGN(const User again, store->CreateUser(kService, Id("old")));
  EXPECT_GT(again.revision, highest);
  ASSERT_OK_AND_ASSIGN(const User keep,
                       store->UpdateUser(kService, "keep", AttributesUpdate("{}")));
  EXPECT_GT(keep.revision, again.revision);
  // The old user's last revision is no precondition for the new one.
  EXPECT_TWILIO_ERROR(store->UpdateUser(kService, "old", AttributesUpdate("{}", highest)), 412,
                      twilio_code::kPreconditionFailed);
}

TEST_F(DurableRevisionTest, RefusedPreconditionsWriteNothing) {
  User a;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_OK_AND_ASSIGN(a, store->CreateUser(kService, Id("a")));
    ASSERT_OK_AND_ASSIGN(a, store->UpdateUser(kService, "a", AttributesUpdate(R"({"v":1})")));
    clock_->Advance(100);
    EXPECT_TWILIO_ERROR(
        store->UpdateUser(kService, "a", AttributesUpdate(R"({"v":2})", a.revision - 1)), 412,
        twilio_code::kPreconditionFailed);
    UserUpdate patch;
    patch.attributes_patch = R"({"p":1})";
    patch.if_revision = a.revision + 1;
    EXPECT_TWILIO_ERROR(store->UpdateUser(kService, "a", patch), 412,
                        twilio_code::kPreconditionFailed);
    EXPECT_TWILIO_ERROR(store->DeleteUser(kService, a.sid, a.revision + 1), 412,
                        twilio_code::kPreconditionFailed);
  }
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  const User after = Fetch(*store, "a");
  EXPECT_EQ(after.attributes, R"({"v":1})");
  EXPECT_EQ(after.revision, a.revision);
  EXPECT_EQ(after.date_updated, a.date_updated);
}

TEST_F(DurableRevisionTest, VersionOneValuesReadWithRevisionEqualToSequence) {
  uint64_t sequence_one_revision = 0;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_OK_AND_ASSIGN(const User x, store->CreateUser(kService, Id("x")));  // sequence 1
    ASSERT_OK_AND_ASSIGN(const User y,
                         store->UpdateUser(kService, "x", AttributesUpdate(R"({"z":1})")));
    EXPECT_GT(y.revision, x.revision);
    sequence_one_revision = y.revision;
  }
  // Rewrite x's value as a version 1 value: no revision field.
  {
    internal::durable::RocksOpen how;
    absl::StatusOr<internal::durable::StoreDb> db =
        internal::durable::OpenRocks(dir_.Sub("store"), how);
    ASSERT_OK(db);
    const std::string key =
        internal::durable::UserRecordKey(*internal::ParseSid(kService, "IS"), 1);
    std::string value;
    ASSERT_TRUE((*db)->Get(rocksdb::ReadOptions(), key, &value).ok());
    // version, sid, role, date_created, date_updated, joined, then revision.
    constexpr size_t kRevisionAt = 1 + 16 + 16 + 8 + 8 + 8;
    ASSERT_GT(value.size(), kRevisionAt + 8);
    ASSERT_EQ(static_cast<uint8_t>(value[0]), internal::durable::kUserValueVersion);
    value[0] = static_cast<char>(1);
    value.erase(kRevisionAt, 8);
    ASSERT_TRUE((*db)->Put(rocksdb::WriteOptions(), key, value).ok());
  }
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  const User x = Fetch(*store, "x");
  EXPECT_EQ(x.revision, 1u);  // the sequence
  EXPECT_EQ(x.attributes, R"({"z":1})");
  EXPECT_TWILIO_ERROR(
      store->UpdateUser(kService, "x", AttributesUpdate("{}", sequence_one_revision)), 412,
      twilio_code::kPreconditionFailed);
  ASSERT_OK_AND_ASSIGN(const User updated,
                       store->UpdateUser(kService, "x", AttributesUpdate("{}", 1)));
  EXPECT_GT(updated.revision, 1u);
  ASSERT_OK_AND_ASSIGN(const User y, store->CreateUser(kService, Id("y")));
  EXPECT_GT(y.revision, updated.revision);
}

TEST_F(DurableRevisionTest, ConnectionsAreMemoryOnly) {
  User before;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_OK_AND_ASSIGN(const UserConnection c, store->ConnectOrCreateUser(kService, Id("p")));
    EXPECT_TRUE(c.created);
    ASSERT_OK_AND_ASSIGN(const UserConnection d, store->ConnectUser(kService, "p"));
    EXPECT_EQ(d.connections, 2u);
    before = d.user;
  }
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  const User after = Fetch(*store, "p");
  EXPECT_FALSE(after.is_online.has_value());  // unknown after a restart
  EXPECT_EQ(after.revision, before.revision);
  // A disconnect of a connection opened before the restart is no error.
  ASSERT_OK_AND_ASSIGN(const UserConnection d, store->DisconnectUser(kService, "p"));
  EXPECT_EQ(d.connections, 0u);
  EXPECT_EQ(d.user.is_online, false);
  ASSERT_OK_AND_ASSIGN(const UserConnection c, store->ConnectOrCreateUser(kService, Id("p")));
  EXPECT_FALSE(c.created);
  EXPECT_EQ(c.connections, 1u);
}

TEST_F(DurableRevisionTest, EnsureServiceFindsTheRestoredService) {
  std::string role;
  {
    std::unique_ptr<Store> store = Open();  // EnsureService creates it
    ASSERT_NE(store, nullptr);
    ASSERT_OK_AND_ASSIGN(const Service s, store->FetchService(kService));
    role = s.default_service_role_sid;
  }
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  ServiceCreate again;
  again.sid = kService;
  bool created = true;
  ASSERT_OK_AND_ASSIGN(const Service s, store->EnsureService(again, &created));
  EXPECT_FALSE(created);
  EXPECT_EQ(s.default_service_role_sid, role);
  EXPECT_TRUE(s.reachability_enabled);
  ASSERT_EQ(store->ListServices().size(), 1u);
}

}  // namespace
}  // namespace userstore
