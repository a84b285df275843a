// `check` and `stats` of a store directory (src/durable/check.h): a sound
// store passes; each kind of damage, written with RocksDB directly, is found.
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "durable/check.h"
#include "durable/codec.h"
#include "durable/rocks_journal.h"
#include "gtest/gtest.h"
#include "store/user_record.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "userstore/inspect.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using internal::FormatSid;
using internal::ParseSid;
using internal::SidBytes;
using internal::UserRecord;
using internal::durable::CheckReport;
using internal::durable::CheckStore;

constexpr char kService[] = "ISdddddddddddddddddddddddddddddddd";
constexpr char kOther[] = "ISeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

// A fresh directory per test.
class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("userstore-check") {}
};

UserCreate Id(const std::string& identity) {
  UserCreate c;
  c.identity = identity;
  return c;
}

class DurableCheckTest : public ::testing::Test {
 protected:
  // A store with two Services, an extra role and a few users (one deleted).
  void SetUp() override {
    DurableOptions durable;
    durable.sync = false;
    durable.flush_on_close = false;  // the log is counted in StatsCountPerService
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path(), {}, durable);
    ASSERT_OK(store);
    Store& s = **store;
    for (const char* sid : {kService, kOther}) {
      ServiceCreate sc;
      sc.sid = sid;
      sc.friendly_name = absl::StrCat("service ", sid);
      ASSERT_OK(s.CreateService(sc));
    }
    RoleCreate rc;
    rc.friendly_name = "extra";
    ASSERT_OK(s.AddRole(kService, rc));
    for (int i = 0; i < 5; ++i) {
      UserCreate c = Id(absl::StrCat("user", i));
      c.attributes = R"({"i":1})";
      c.friendly_name = "Name";
      absl::StatusOr<User> u = s.CreateUser(kService, c);
      ASSERT_OK(u);
      sids_.push_back(u->sid);
    }
    ASSERT_OK(s.CreateUser(kOther, Id("other")));
    ASSERT_OK(s.DeleteUser(kService, "user4"));  // the newest: a high water
    ASSERT_OK_AND_ASSIGN(const User user0, s.FetchUser(kService, "user0"));
    role_ = user0.role_sid;
  }

  std::string path() const { return dir_.Sub("store"); }

  // Applies `edit` to the closed store's RocksDB.
  void Damage(const std::function<void(rocksdb::DB*)>& edit) {
    internal::durable::RocksOpen how;
    absl::StatusOr<internal::durable::StoreDb> db = internal::durable::OpenRocks(path(), how);
    ASSERT_OK(db);
    edit(db->get());
  }

  // Writes a user record directly.
  void PutUser(const char* service, const std::string& identity, uint64_t sequence,
               const SidBytes& role, std::string_view attributes = {},
               std::optional<SidBytes> sid = std::nullopt,
               std::optional<uint64_t> revision = std::nullopt) {
    UserRecord::Ptr r = UserRecord::Make({identity, attributes, std::nullopt});
    r->sequence = sequence;
    r->revision = revision.value_or(sequence);
    r->sid = sid.value_or(internal::RandomSidBytes());
    r->role_sid = role;
    r->date_created = r->date_updated = 1500000000;
    std::string value;
    internal::durable::EncodeUser(*r, &value);
    Damage([&](rocksdb::DB* db) {
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(),
                          internal::durable::UserRecordKey(*ParseSid(service, "IS"), sequence),
                          value)
                      .ok());
    });
  }

  // The report, with `expected` among its problems.
  void ExpectProblem(const std::string& expected) {
    absl::StatusOr<CheckReport> report = CheckStore(path());
    ASSERT_OK(report);
    EXPECT_FALSE(report->ok());
    bool found = false;
    for (const std::string& p : report->problems) found |= absl::StrContains(p, expected);
    EXPECT_TRUE(found) << "wanted \"" << expected << "\" in:\n"
                       << internal::durable::FormatCheckReport(*report);
  }

  SidBytes role() const { return *ParseSid(role_, "RL"); }

  TempDir dir_;
  std::vector<std::string> sids_;
  std::string role_;
};

TEST_F(DurableCheckTest, SoundStorePasses) {
  absl::StatusOr<CheckReport> report = CheckStore(path());
  ASSERT_OK(report);
  EXPECT_TRUE(report->ok()) << internal::durable::FormatCheckReport(*report);
  EXPECT_FALSE(report->in_use);
  EXPECT_EQ(report->services, 2u);
  EXPECT_EQ(report->roles, 9u);
  EXPECT_EQ(report->users, 5u);
  const std::string text = internal::durable::FormatCheckReport(*report);
  EXPECT_TRUE(absl::StrContains(text, ": OK (2 services, 9 roles, 5 users")) << text;
}

TEST_F(DurableCheckTest, CheckBesideAnOpenStoreSaysSo) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path(), {});
  ASSERT_OK(store);
  ASSERT_OK((*store)->CreateUser(kService, Id("live")));
  absl::StatusOr<CheckReport> report = CheckStore(path());
  ASSERT_OK(report);
  EXPECT_TRUE(report->in_use);
  EXPECT_TRUE(report->ok()) << internal::durable::FormatCheckReport(*report);
  EXPECT_EQ(report->users, 6u);  // the live write is in the log it replays
}

TEST_F(DurableCheckTest, CheckReleasesTheDirectory) {
  // The check holds the directory's LOCK while it runs; a Store opened
  // afterwards works only if it was released.
  ASSERT_OK(CheckStore(path()));
  ASSERT_OK(Store::Open(path(), {}));
}

TEST_F(DurableCheckTest, MissingDirectoryIsAnError) {
  absl::StatusOr<CheckReport> report = CheckStore(dir_.Sub("nothing-here"));
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition) << report.status();
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("nothing-here")));
}

TEST_F(DurableCheckTest, FindsUnknownRole) {
  PutUser(kService, "rogue", 100, internal::RandomSidBytes());
  ExpectProblem("unknown role");
}

TEST_F(DurableCheckTest, FindsChannelScopeRole) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path(), {});
  ASSERT_OK(store);
  ASSERT_OK_AND_ASSIGN(const Service service, (*store)->FetchService(kService));
  const std::string channel_role = service.default_channel_role_sid;
  store->reset();
  PutUser(kService, "channel-user", 100, *ParseSid(channel_role, "RL"));
  ExpectProblem("channel-scope role");
}

TEST_F(DurableCheckTest, FindsDuplicateIdentity) {
  PutUser(kService, "user1", 100, role());
  ExpectProblem("rebuilding the index failed");
}

TEST_F(DurableCheckTest, FindsDuplicateSid) {
  PutUser(kService, "fresh", 100, role(), {}, *ParseSid(sids_[1], "US"));
  ExpectProblem("user " + sids_[1] + " of " + kService + ": SID stored twice");
}

TEST_F(DurableCheckTest, FindsBadAttributesAndIdentity) {
  PutUser(kService, "arr", 100, role(), "[1,2]");
  PutUser(kService, "USffffffffffffffffffffffffffffffff", 101, role());
  PutUser(kService, std::string("nul\0byte", 8), 102, role());
  ExpectProblem("attributes are not a JSON object");
  ExpectProblem("bad identity \"USffffffffffffffffffffffffffffffff\"");
  ExpectProblem("bad identity \"nul\\000byte\"");
}

// A revision starts at the user's creation sequence and only grows.
TEST_F(DurableCheckTest, FindsRevisionBelowSequence) {
  PutUser(kService, "old-news", 100, role(), {}, std::nullopt, 99);
  ExpectProblem("revision below its sequence");
}

TEST_F(DurableCheckTest, FindsUserOfUnknownService) {
  PutUser("IS00000000000000000000000000000000", "ghost", 1, role());
  ExpectProblem("unknown Service");
}

TEST_F(DurableCheckTest, FindsUnknownKeysAndUndecodableValues) {
  Damage([&](rocksdb::DB* db) {
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "x/what", "?").ok());
    const std::string key = internal::durable::UserRecordKey(*ParseSid(kService, "IS"), 1);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), key, "\x01short").ok());
  });
  ExpectProblem("unknown key \"x/what\"");
  ExpectProblem("malformed User with sequence 1 of " + std::string(kService));
}

TEST_F(DurableCheckTest, FindsRoleGapAndMissingMetadata) {
  Damage([&](rocksdb::DB* db) {
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(),
                           internal::durable::RoleKey(*ParseSid(kService, "IS"), 2))
                    .ok());
  });
  ExpectProblem("has index 3, expected 2");
  ExpectProblem("default_channel_creator_role_sid");
  Damage([&](rocksdb::DB* db) {
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), "m/account_sid").ok());
  });
  ExpectProblem("m/account_sid missing");
}

TEST_F(DurableCheckTest, StatsCountPerService) {
  absl::StatusOr<internal::durable::StoreStats> stats = internal::durable::ComputeStats(path());
  ASSERT_OK(stats);
  EXPECT_EQ(stats->format_version, internal::durable::kFormatVersion);
  EXPECT_EQ(stats->users, 5u);
  ASSERT_EQ(stats->services.size(), 2u);
  const auto& main = stats->services[0].sid == kService ? stats->services[0] : stats->services[1];
  const auto& other = stats->services[0].sid == kService ? stats->services[1] : stats->services[0];
  EXPECT_EQ(main.sid, kService);
  EXPECT_EQ(main.friendly_name, absl::StrCat("service ", kService));
  EXPECT_EQ(main.users, 4u);
  EXPECT_EQ(main.roles, 5u);
  EXPECT_EQ(main.max_sequence, 5u);  // user4, deleted, had 5
  EXPECT_GT(main.user_bytes, 4u * 34);
  EXPECT_EQ(other.users, 1u);
  EXPECT_EQ(other.max_sequence, 1u);
  EXPECT_GT(stats->live_bytes, main.user_bytes + other.user_bytes);
  EXPECT_GT(stats->disk_bytes, 0u);
  EXPECT_GT(stats->wal_bytes, 0u);
  const std::string text = internal::durable::FormatStats(*stats);
  EXPECT_TRUE(absl::StrContains(text, "2 services, 5 users")) << text;
}

// DurableOptions::flush_on_close: a default close moves the log into table
// files (nothing left to replay); with false the log stays, and holds the
// writes since.
TEST_F(DurableCheckTest, ACleanCloseFlushesTheLogUnlessAskedNotTo) {
  ASSERT_OK(Store::Open(path(), {}));  // default options: flushed at close
  absl::StatusOr<internal::durable::StoreStats> stats = internal::durable::ComputeStats(path());
  ASSERT_OK(stats);
  EXPECT_EQ(stats->wal_bytes, 0u);
  EXPECT_EQ(stats->users, 5u);
  {
    DurableOptions durable;
    durable.flush_on_close = false;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Open(path(), {}, durable));
    ASSERT_OK(store->CreateUser(kService, Id("late")));
  }
  stats = internal::durable::ComputeStats(path());
  ASSERT_OK(stats);
  EXPECT_GT(stats->wal_bytes, 0u);
  EXPECT_EQ(stats->users, 6u);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<StoreReader> reader, StoreReader::Open(path()));
  ASSERT_OK_AND_ASSIGN(const User late, reader->FetchUser(kService, "late"));
  EXPECT_EQ(late.identity, "late");
}

}  // namespace
}  // namespace userstore
