// Tests of UserIndex (src/store/user_index.h) on its own, as leveldb's
// skiplist_test.cc tests its skip list: every outcome of every write, the
// branches only a race reaches (driven deterministically: through
// SetResolvedHookForTesting, or by erasing from another thread while a scan
// holds a record), and a bounded concurrent run that checks the invariants
// written at the top of user_index.h. Run under ThreadSanitizer in CI.
#include "store/user_index.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sid/sid.h"
#include "store/user_record.h"

namespace userstore::internal {
namespace {

using Direction = UserIndex::Direction;
using InsertOutcome = UserIndex::InsertOutcome;
using ChangeOutcome = UserIndex::ChangeOutcome;

constexpr uint64_t kEnd = std::numeric_limits<uint64_t>::max();

// A SID whose bytes spell `id` little-endian: distinct ids give distinct
// SIDs, and ids that differ mod UserIndex::kShards lie in different SID
// shards (the first byte picks the shard).
SidBytes SidOf(uint64_t id) {
  SidBytes sid;
  for (size_t i = 0; i < 8; ++i) sid.bytes[i] = static_cast<uint8_t>(id >> (8 * i));
  sid.bytes[15] = 0x5a;
  return sid;
}

UserKey BySid(const SidBytes& sid) {
  UserKey key;
  key.sid = sid;
  return key;
}

UserKey ByIdentity(std::string_view identity) {
  UserKey key;
  key.identity = identity;
  return key;
}

std::string AttributesOf(int64_t version) { return absl::StrCat("{\"v\":", version, "}"); }
std::string FriendlyNameOf(int64_t version) { return absl::StrCat("v", version); }

// A record at `version`: its attributes, friendly name and joined-channels
// count all say `version`, so a reader can tell a torn copy.
UserRecord::Ptr MakeRecord(std::string_view identity, const SidBytes& sid, uint64_t sequence,
                           int64_t version = 0) {
  const std::string attributes = AttributesOf(version);
  const std::string friendly_name = FriendlyNameOf(version);
  UserRecord::Ptr record = UserRecord::Make({identity, attributes, friendly_name});
  record->sid = sid;
  record->sequence = sequence;
  record->joined_channels_count = version;
  return record;
}

// What a reader copies out of a record under its lock.
struct Seen {
  std::string identity;
  SidBytes sid;
  uint64_t sequence = 0;
  std::string attributes;
  std::optional<std::string> friendly_name;
  int64_t version = 0;  // joined_channels_count
  Presence online = Presence::kUnknown;

  // The three fields written together agree.
  bool Consistent() const {
    return attributes == AttributesOf(version) && friendly_name == FriendlyNameOf(version);
  }
};

Seen Copy(const UserRecord& r) {
  Seen s;
  s.identity = std::string(r.identity());
  s.sid = r.sid;
  s.sequence = r.sequence;
  s.attributes = std::string(r.attributes());
  if (std::optional<std::string_view> name = r.friendly_name())
    s.friendly_name = std::string(*name);
  s.version = r.joined_channels_count;
  s.online = r.online;
  return s;
}

std::optional<Seen> Get(const UserIndex& index, const UserKey& key) {
  std::optional<Seen> seen;
  const bool found = index.Read(key, [&](const UserRecord& r) { seen = Copy(r); });
  EXPECT_EQ(found, seen.has_value());
  return seen;
}

// Inserts a new user; returns its outcome (an error fails the test).
InsertOutcome Put(UserIndex& index, std::string_view identity, uint64_t id, uint64_t sequence,
                  int64_t version = 0) {
  UserRecord::Ptr record = MakeRecord(identity, SidOf(id), sequence, version);
  absl::StatusOr<InsertOutcome> outcome =
      index.Insert(&record, nullptr, UserIndex::Ignore, UserIndex::Ignore);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  return outcome.value_or(InsertOutcome::kTaken);
}

// Replaces the user at `key` with the next version; returns the outcome.
absl::StatusOr<ChangeOutcome> Bump(UserIndex& index, const UserKey& key) {
  return index.Replace(
      key,
      [](const UserRecord& r) -> absl::StatusOr<UserRecord::Ptr> {
        const int64_t next = r.joined_channels_count + 1;
        UserRecord::Ptr record =
            UserRecord::Make({r.identity(), AttributesOf(next), FriendlyNameOf(next)}, &r);
        record->joined_channels_count = next;
        return record;
      },
      nullptr, UserIndex::Ignore);
}

std::vector<uint64_t> ScanAll(const UserIndex& index, Direction direction, uint64_t from,
                              size_t limit) {
  const UserIndex::Sequences seqs = index.Scan(direction, from, limit, [](const UserRecord&) {});
  return std::vector<uint64_t>(seqs.begin(), seqs.end());
}

// ---- Insert -------------------------------------------------------------

TEST(UserIndexTest, InsertedUserIsFoundBySidAndByIdentity) {
  UserIndex index;
  UserRecord::Ptr record = MakeRecord("alice", SidOf(1), 1, 3);
  std::optional<Seen> inserted;
  int persisted = 0;
  absl::StatusOr<InsertOutcome> outcome = index.Insert(
      &record,
      [&](const UserRecord& r) {
        ++persisted;
        EXPECT_EQ(r.identity(), "alice");
        return absl::OkStatus();
      },
      [&](const UserRecord& r) { inserted = Copy(r); }, UserIndex::Ignore);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, InsertOutcome::kInserted);
  EXPECT_EQ(record, nullptr);  // owned by the index now
  EXPECT_EQ(persisted, 1);
  ASSERT_TRUE(inserted.has_value());
  EXPECT_EQ(inserted->identity, "alice");

  for (const UserKey& key : {BySid(SidOf(1)), ByIdentity("alice")}) {
    std::optional<Seen> seen = Get(index, key);
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->identity, "alice");
    EXPECT_EQ(seen->sid, SidOf(1));
    EXPECT_EQ(seen->sequence, 1u);
    EXPECT_EQ(seen->attributes, R"({"v":3})");
    EXPECT_EQ(seen->friendly_name, "v3");
    EXPECT_EQ(seen->version, 3);
  }
  EXPECT_FALSE(Get(index, BySid(SidOf(2))).has_value());
  EXPECT_FALSE(Get(index, ByIdentity("Alice")).has_value());  // case-sensitive
  EXPECT_EQ(index.size(), 1u);
}

TEST(UserIndexTest, TakenIdentityIsRefusedAndShowsItsHolder) {
  UserIndex index;
  ASSERT_EQ(Put(index, "alice", 1, 1, 7), InsertOutcome::kInserted);

  UserRecord::Ptr second = MakeRecord("alice", SidOf(2), 2);
  std::optional<Seen> holder;
  bool persisted = false, inserted = false;
  absl::StatusOr<InsertOutcome> outcome = index.Insert(
      &second,
      [&](const UserRecord&) {
        persisted = true;
        return absl::OkStatus();
      },
      [&](const UserRecord&) { inserted = true; }, [&](const UserRecord& r) { holder = Copy(r); });
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, InsertOutcome::kTaken);
  ASSERT_NE(second, nullptr);  // still the caller's
  EXPECT_FALSE(persisted);
  EXPECT_FALSE(inserted);
  ASSERT_TRUE(holder.has_value());
  EXPECT_EQ(holder->sid, SidOf(1));
  EXPECT_EQ(holder->version, 7);

  // Without `on_existing` the outcome is the same.
  EXPECT_EQ(Put(index, "alice", 3, 3), InsertOutcome::kTaken);
  EXPECT_FALSE(Get(index, BySid(SidOf(2))).has_value());
  EXPECT_FALSE(Get(index, BySid(SidOf(3))).has_value());
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(ScanAll(index, Direction::kForward, 0, 10), std::vector<uint64_t>{1});
}

TEST(UserIndexTest, ExistingSidIsACollisionAndAFreshSidThenSucceeds) {
  UserIndex index;
  ASSERT_EQ(Put(index, "alice", 1, 1), InsertOutcome::kInserted);

  // Another identity with alice's SID: what a 2^-128 draw would give.
  UserRecord::Ptr bob = MakeRecord("bob", SidOf(1), 2, 5);
  bool persisted = false;
  auto persist = [&](const UserRecord&) {
    persisted = true;
    return absl::OkStatus();
  };
  absl::StatusOr<InsertOutcome> outcome =
      index.Insert(&bob, persist, UserIndex::Ignore, UserIndex::Ignore);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, InsertOutcome::kSidCollision);
  ASSERT_NE(bob, nullptr);
  EXPECT_FALSE(persisted);  // checked before anything is journaled
  EXPECT_FALSE(Get(index, ByIdentity("bob")).has_value());
  std::optional<Seen> alice = Get(index, BySid(SidOf(1)));
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->identity, "alice");
  EXPECT_EQ(index.size(), 1u);

  // StoreImpl::Insert mints again and retries: the same record now goes in.
  bob->sid = SidOf(2);
  outcome = index.Insert(&bob, persist, UserIndex::Ignore, UserIndex::Ignore);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, InsertOutcome::kInserted);
  EXPECT_TRUE(persisted);
  std::optional<Seen> seen = Get(index, ByIdentity("bob"));
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->sid, SidOf(2));
  EXPECT_EQ(seen->version, 5);
  EXPECT_EQ(index.size(), 2u);
}

TEST(UserIndexTest, PersistErrorOnInsertChangesNothing) {
  UserIndex index;
  UserRecord::Ptr record = MakeRecord("alice", SidOf(1), 1);
  bool inserted = false;
  absl::StatusOr<InsertOutcome> outcome = index.Insert(
      &record, [](const UserRecord&) { return absl::UnavailableError("disk full"); },
      [&](const UserRecord&) { inserted = true; }, UserIndex::Ignore);
  EXPECT_EQ(outcome.status(), absl::UnavailableError("disk full"));
  ASSERT_NE(record, nullptr);
  EXPECT_FALSE(inserted);
  EXPECT_FALSE(Get(index, ByIdentity("alice")).has_value());
  EXPECT_FALSE(Get(index, BySid(SidOf(1))).has_value());
  EXPECT_EQ(index.size(), 0u);
  EXPECT_FALSE(index.AnyAfter(0));
  // The identity is still free.
  EXPECT_EQ(Put(index, "alice", 1, 1), InsertOutcome::kInserted);
}

// ---- Replace, Modify, Erase ----------------------------------------------

TEST(UserIndexTest, ReplaceBySidOrIdentityInstallsTheBuiltRecord) {
  UserIndex index;
  ASSERT_EQ(Put(index, "alice", 1, 1, 10), InsertOutcome::kInserted);
  ASSERT_EQ(Put(index, "bob", 2, 2, 20), InsertOutcome::kInserted);

  std::optional<Seen> persisted, replaced;
  absl::StatusOr<ChangeOutcome> outcome = index.Replace(
      BySid(SidOf(1)),
      [](const UserRecord& r) -> absl::StatusOr<UserRecord::Ptr> {
        // Text that cannot fit the old block: a new record.
        UserRecord::Ptr next =
            UserRecord::Make({r.identity(), std::string(1000, ' ') + "{}", std::nullopt}, &r);
        next->joined_channels_count = 11;
        return next;
      },
      [&](const UserRecord& r) {
        persisted = Copy(r);
        return absl::OkStatus();
      },
      [&](const UserRecord& r) { replaced = Copy(r); });
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, ChangeOutcome::kDone);
  ASSERT_TRUE(persisted.has_value());
  ASSERT_TRUE(replaced.has_value());
  EXPECT_EQ(persisted->version, 11);
  EXPECT_EQ(replaced->version, 11);

  // The identity entry now views the new record (the old one is freed).
  for (const UserKey& key : {BySid(SidOf(1)), ByIdentity("alice")}) {
    std::optional<Seen> seen = Get(index, key);
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->identity, "alice");
    EXPECT_EQ(seen->sid, SidOf(1));
    EXPECT_EQ(seen->sequence, 1u);
    EXPECT_EQ(seen->attributes.size(), 1002u);
    EXPECT_FALSE(seen->friendly_name.has_value());
    EXPECT_EQ(seen->version, 11);
  }

  absl::StatusOr<ChangeOutcome> by_identity = Bump(index, ByIdentity("bob"));
  ASSERT_TRUE(by_identity.ok()) << by_identity.status();
  EXPECT_EQ(*by_identity, ChangeOutcome::kDone);
  std::optional<Seen> bob = Get(index, BySid(SidOf(2)));
  ASSERT_TRUE(bob.has_value());
  EXPECT_EQ(bob->version, 21);
  EXPECT_TRUE(bob->Consistent());
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(ScanAll(index, Direction::kForward, 0, 10), (std::vector<uint64_t>{1, 2}));
}

TEST(UserIndexTest, BuildOrPersistErrorOnReplaceChangesNothing) {
  UserIndex index;
  ASSERT_EQ(Put(index, "alice", 1, 1, 4), InsertOutcome::kInserted);
  bool persisted = false, replaced = false;
  absl::StatusOr<ChangeOutcome> outcome = index.Replace(
      ByIdentity("alice"),
      [](const UserRecord&) -> absl::StatusOr<UserRecord::Ptr> {
        return absl::InvalidArgumentError("out of range");
      },
      [&](const UserRecord&) {
        persisted = true;
        return absl::OkStatus();
      },
      [&](const UserRecord&) { replaced = true; });
  EXPECT_EQ(outcome.status(), absl::InvalidArgumentError("out of range"));
  EXPECT_FALSE(persisted);
  EXPECT_FALSE(replaced);

  outcome = index.Replace(
      BySid(SidOf(1)),
      [](const UserRecord& r) -> absl::StatusOr<UserRecord::Ptr> {
        return MakeRecord(r.identity(), r.sid, r.sequence, 5);
      },
      [](const UserRecord& r) {
        EXPECT_EQ(r.joined_channels_count, 5);
        return absl::UnavailableError("disk full");
      },
      [&](const UserRecord&) { replaced = true; });
  EXPECT_EQ(outcome.status(), absl::UnavailableError("disk full"));
  EXPECT_FALSE(replaced);

  std::optional<Seen> seen = Get(index, ByIdentity("alice"));
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->version, 4);
  EXPECT_TRUE(seen->Consistent());
}

TEST(UserIndexTest, ModifyChangesTheRecordInPlace) {
  UserIndex index;
  ASSERT_EQ(Put(index, "alice", 1, 1, 1), InsertOutcome::kInserted);
  EXPECT_TRUE(index.Modify(ByIdentity("alice"), [](UserRecord& r) { r.online = Presence::kTrue; }));
  EXPECT_TRUE(index.Modify(BySid(SidOf(1)), [](UserRecord& r) {
    ASSERT_TRUE(r.AssignTextInPlace(AttributesOf(2), FriendlyNameOf(2)));
    r.joined_channels_count = 2;
  }));
  std::optional<Seen> seen = Get(index, BySid(SidOf(1)));
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->online, Presence::kTrue);
  EXPECT_EQ(seen->version, 2);
  EXPECT_TRUE(seen->Consistent());

  bool called = false;
  auto modify = [&](UserRecord&) { called = true; };
  EXPECT_FALSE(index.Modify(ByIdentity("bob"), modify));
  EXPECT_FALSE(index.Modify(BySid(SidOf(2)), modify));
  EXPECT_FALSE(called);
}

TEST(UserIndexTest, EraseRemovesTheUserFromAllThreeStructures) {
  UserIndex index;
  ASSERT_EQ(Put(index, "alice", 1, 1), InsertOutcome::kInserted);
  ASSERT_EQ(Put(index, "bob", 2, 2), InsertOutcome::kInserted);
  ASSERT_EQ(Put(index, "carol", 3, 3), InsertOutcome::kInserted);

  // A persist error keeps the user.
  absl::StatusOr<ChangeOutcome> outcome = index.Erase(
      ByIdentity("bob"), [](const UserRecord&) { return absl::UnavailableError("disk full"); });
  EXPECT_EQ(outcome.status(), absl::UnavailableError("disk full"));
  EXPECT_TRUE(Get(index, ByIdentity("bob")).has_value());
  EXPECT_EQ(index.size(), 3u);

  std::optional<Seen> persisted;
  outcome = index.Erase(BySid(SidOf(2)), [&](const UserRecord& r) {
    persisted = Copy(r);
    return absl::OkStatus();
  });
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, ChangeOutcome::kDone);
  ASSERT_TRUE(persisted.has_value());
  EXPECT_EQ(persisted->identity, "bob");
  EXPECT_FALSE(Get(index, ByIdentity("bob")).has_value());
  EXPECT_FALSE(Get(index, BySid(SidOf(2))).has_value());
  EXPECT_EQ(ScanAll(index, Direction::kForward, 0, 10), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(index.size(), 2u);

  outcome = index.Erase(ByIdentity("carol"), nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, ChangeOutcome::kDone);
  EXPECT_FALSE(index.AnyAfter(1));
  EXPECT_EQ(ScanAll(index, Direction::kBackward, kEnd, 10), std::vector<uint64_t>{1});

  // The identity is free again; the new user gets a new SID and sequence.
  ASSERT_EQ(Put(index, "bob", 4, 4), InsertOutcome::kInserted);
  EXPECT_EQ(ScanAll(index, Direction::kForward, 0, 10), (std::vector<uint64_t>{1, 4}));
}

TEST(UserIndexTest, ReplaceOrEraseOfAnAbsentKeyIsAbsent) {
  UserIndex index;
  ASSERT_EQ(Put(index, "alice", 1, 1), InsertOutcome::kInserted);
  bool called = false;
  auto build = [&](const UserRecord&) -> absl::StatusOr<UserRecord::Ptr> {
    called = true;
    return absl::InternalError("not reached");
  };
  auto persist = [&](const UserRecord&) {
    called = true;
    return absl::InternalError("not reached");
  };
  for (const UserKey& key : {BySid(SidOf(2)), ByIdentity("bob")}) {
    absl::StatusOr<ChangeOutcome> replaced = index.Replace(key, build, persist, UserIndex::Ignore);
    ASSERT_TRUE(replaced.ok()) << replaced.status();
    EXPECT_EQ(*replaced, ChangeOutcome::kAbsent);
    absl::StatusOr<ChangeOutcome> erased = index.Erase(key, persist);
    ASSERT_TRUE(erased.ok()) << erased.status();
    EXPECT_EQ(*erased, ChangeOutcome::kAbsent);
  }
  EXPECT_FALSE(called);
  EXPECT_EQ(index.size(), 1u);
}

// ---- A delete (and re-create) between resolving the key and locking -----

TEST(UserIndexTest, AnErasedSidIsRememberedAndNeverInsertedAgain) {
  UserIndex index;
  ASSERT_EQ(Put(index, "alice", 1, 1), InsertOutcome::kInserted);
  EXPECT_FALSE(index.WasDeleted(SidOf(1)));
  absl::StatusOr<ChangeOutcome> erased = index.Erase(BySid(SidOf(1)), nullptr);
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_TRUE(index.WasDeleted(SidOf(1)));
  EXPECT_EQ(index.deleted_count(), 1u);
  // The SID is taken for good; the identity is free.
  EXPECT_EQ(Put(index, "bob", 1, 2), InsertOutcome::kSidCollision);
  EXPECT_EQ(Put(index, "alice", 3, 3), InsertOutcome::kInserted);
  // A failed erase remembers nothing.
  erased = index.Erase(BySid(SidOf(3)), [](const UserRecord&) { return absl::InternalError("x"); });
  EXPECT_FALSE(erased.ok());
  EXPECT_FALSE(index.WasDeleted(SidOf(3)));
  index.RestoreDeleted(SidOf(9));
  EXPECT_TRUE(index.WasDeleted(SidOf(9)));
  EXPECT_EQ(Put(index, "carol", 9, 4), InsertOutcome::kSidCollision);
  EXPECT_EQ(index.deleted_count(), 2u);
}

TEST(UserIndexTest, ExclusiveInsertsAndReplacesUnderEveryLock) {
  UserIndex index;
  ASSERT_EQ(Put(index, "alice", 1, 1, 1), InsertOutcome::kInserted);
  ASSERT_TRUE(index.Modify(BySid(SidOf(1)), [](UserRecord& r) { r.online = Presence::kTrue; }));
  absl::Status status = index.Exclusive([&](UserIndex::Locked& locked) {
    EXPECT_NE(locked.FindSid(SidOf(1)), nullptr);
    EXPECT_EQ(locked.FindSid(SidOf(2)), nullptr);
    const SidBytes* holder = locked.FindIdentity("alice");
    EXPECT_TRUE(holder != nullptr && *holder == SidOf(1));
    EXPECT_FALSE(locked.WasDeleted(SidOf(2)));
    locked.Insert(MakeRecord("bob", SidOf(2), 5, 2));
    // Alice becomes "carol", keeping her sequence and presence.
    UserRecord::Ptr old = locked.Replace(MakeRecord("carol", SidOf(1), 99, 3));
    EXPECT_EQ(old->identity(), "alice");
    EXPECT_EQ(locked.FindIdentity("alice"), nullptr);
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(index.size(), 2u);
  EXPECT_FALSE(Get(index, ByIdentity("alice")).has_value());
  std::optional<Seen> carol = Get(index, ByIdentity("carol"));
  ASSERT_TRUE(carol.has_value());
  EXPECT_EQ(carol->sid, SidOf(1));
  EXPECT_EQ(carol->sequence, 1u);
  EXPECT_EQ(carol->version, 3);
  EXPECT_EQ(carol->online, Presence::kTrue);
  std::optional<Seen> bob = Get(index, BySid(SidOf(2)));
  ASSERT_TRUE(bob.has_value());
  EXPECT_EQ(bob->identity, "bob");
  std::vector<uint64_t> order;
  index.Scan(Direction::kForward, 0, 10, [&](const UserRecord& r) { order.push_back(r.sequence); });
  EXPECT_EQ(order, (std::vector<uint64_t>{1, 5}));
  // The change's error is returned.
  status = index.Exclusive([](UserIndex::Locked&) { return absl::UnavailableError("disk"); });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
}

// Arms the index's hook to run `race` once, at the first Replace or Erase.
// `race` may call the index: the hook runs with no lock held.
template <typename Race>
void RaceOnce(UserIndex& index, bool* fired, Race race) {
  *fired = false;
  index.SetResolvedHookForTesting([&index, fired, race] {
    if (std::exchange(*fired, true)) return;  // the calls `race` makes
    race(index);
  });
}

// Deletes alice and creates a new alice with SID 2 and sequence 2.
void DeleteAndRecreateAlice(UserIndex& index) {
  absl::StatusOr<ChangeOutcome> erased = index.Erase(ByIdentity("alice"), nullptr);
  ASSERT_TRUE(erased.ok()) << erased.status();
  ASSERT_EQ(*erased, ChangeOutcome::kDone);
  ASSERT_EQ(Put(index, "alice", 2, 2, 100), InsertOutcome::kInserted);
}

TEST(UserIndexTest, ReplaceBySidAfterDeleteAndRecreateIsAbsent) {
  UserIndex index;
  ASSERT_EQ(Put(index, "alice", 1, 1, 1), InsertOutcome::kInserted);
  bool fired;
  RaceOnce(index, &fired, DeleteAndRecreateAlice);
  bool built = false;
  absl::StatusOr<ChangeOutcome> outcome = index.Replace(
      BySid(SidOf(1)),
      [&](const UserRecord& r) -> absl::StatusOr<UserRecord::Ptr> {
        built = true;
        return MakeRecord(r.identity(), r.sid, r.sequence, 7);
      },
      nullptr, UserIndex::Ignore);
  index.SetResolvedHookForTesting(nullptr);
  ASSERT_TRUE(fired);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, ChangeOutcome::kAbsent);  // SID 1 is gone, not "alice"
  EXPECT_FALSE(built);
  std::optional<Seen> alice = Get(index, ByIdentity("alice"));
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->sid, SidOf(2));
  EXPECT_EQ(alice->version, 100);  // the new alice is untouched
  EXPECT_FALSE(Get(index, BySid(SidOf(1))).has_value());
  EXPECT_EQ(ScanAll(index, Direction::kForward, 0, 10), std::vector<uint64_t>{2});
}

TEST(UserIndexTest, EraseBySidAfterDeleteAndRecreateIsAbsent) {
  UserIndex index;
  ASSERT_EQ(Put(index, "alice", 1, 1, 1), InsertOutcome::kInserted);
  bool fired;
  RaceOnce(index, &fired, DeleteAndRecreateAlice);
  bool persisted = false;
  absl::StatusOr<ChangeOutcome> outcome = index.Erase(BySid(SidOf(1)), [&](const UserRecord&) {
    persisted = true;
    return absl::OkStatus();
  });
  index.SetResolvedHookForTesting(nullptr);
  ASSERT_TRUE(fired);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, ChangeOutcome::kAbsent);
  EXPECT_FALSE(persisted);
  std::optional<Seen> alice = Get(index, ByIdentity("alice"));
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->sid, SidOf(2));
  EXPECT_EQ(index.size(), 1u);
}

TEST(UserIndexTest, ReplaceOrEraseByIdentityAfterDeleteAndRecreateActsOnTheNewUser) {
  // An identity names whoever holds it when the write locks it.
  UserIndex index;
  ASSERT_EQ(Put(index, "alice", 1, 1, 1), InsertOutcome::kInserted);
  bool fired;
  RaceOnce(index, &fired, DeleteAndRecreateAlice);
  absl::StatusOr<ChangeOutcome> outcome = Bump(index, ByIdentity("alice"));
  ASSERT_TRUE(fired);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, ChangeOutcome::kDone);
  std::optional<Seen> alice = Get(index, ByIdentity("alice"));
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->sid, SidOf(2));
  EXPECT_EQ(alice->version, 101);
  EXPECT_TRUE(alice->Consistent());

  RaceOnce(index, &fired, [](UserIndex& i) {
    absl::StatusOr<ChangeOutcome> erased = i.Erase(ByIdentity("alice"), nullptr);
    ASSERT_TRUE(erased.ok()) << erased.status();
    ASSERT_EQ(Put(i, "alice", 3, 3, 200), InsertOutcome::kInserted);
  });
  std::optional<Seen> persisted;
  outcome = index.Erase(ByIdentity("alice"), [&](const UserRecord& r) {
    persisted = Copy(r);
    return absl::OkStatus();
  });
  index.SetResolvedHookForTesting(nullptr);
  ASSERT_TRUE(fired);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, ChangeOutcome::kDone);
  ASSERT_TRUE(persisted.has_value());
  EXPECT_EQ(persisted->sid, SidOf(3));
  EXPECT_EQ(index.size(), 0u);
}

TEST(UserIndexTest, ReplaceOrEraseAfterADeleteInBetweenIsAbsent) {
  UserIndex index;
  bool fired;
  auto erase_alice = [](UserIndex& i) {
    absl::StatusOr<ChangeOutcome> erased = i.Erase(ByIdentity("alice"), nullptr);
    ASSERT_TRUE(erased.ok()) << erased.status();
    ASSERT_EQ(*erased, ChangeOutcome::kDone);
  };
  // A SID is never inserted again once erased: each insert takes a new one.
  uint64_t next = 1;
  for (bool by_sid : {false, true}) {
    uint64_t id = next++;
    ASSERT_EQ(Put(index, "alice", id, id), InsertOutcome::kInserted);
    RaceOnce(index, &fired, erase_alice);
    absl::StatusOr<ChangeOutcome> outcome =
        Bump(index, by_sid ? BySid(SidOf(id)) : ByIdentity("alice"));
    ASSERT_TRUE(fired);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_EQ(*outcome, ChangeOutcome::kAbsent);

    id = next++;
    ASSERT_EQ(Put(index, "alice", id, id), InsertOutcome::kInserted);
    RaceOnce(index, &fired, erase_alice);
    outcome = index.Erase(by_sid ? BySid(SidOf(id)) : ByIdentity("alice"), nullptr);
    ASSERT_TRUE(fired);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_EQ(*outcome, ChangeOutcome::kAbsent);
    EXPECT_EQ(index.size(), 0u);
  }
  index.SetResolvedHookForTesting(nullptr);
}

// ---- Scan ------------------------------------------------------------------

// Users u1..u<n> with sequences 1..n and SIDs 1..n (so n <= kShards puts
// each in its own SID shard).
void PutNumbered(UserIndex& index, uint64_t n) {
  for (uint64_t i = 1; i <= n; ++i) {
    ASSERT_EQ(Put(index, absl::StrCat("u", i), i, i), InsertOutcome::kInserted);
  }
}

void EraseSequence(UserIndex& index, uint64_t i) {
  absl::StatusOr<ChangeOutcome> erased = index.Erase(BySid(SidOf(i)), nullptr);
  ASSERT_TRUE(erased.ok()) << erased.status();
  ASSERT_EQ(*erased, ChangeOutcome::kDone);
}

TEST(UserIndexTest, ScanWalksEitherWayAroundErasedUsers) {
  UserIndex index;
  PutNumbered(index, 10);
  for (uint64_t i : {2u, 5u, 6u, 10u}) EraseSequence(index, i);

  using Seqs = std::vector<uint64_t>;
  EXPECT_EQ(ScanAll(index, Direction::kForward, 0, 3), (Seqs{1, 3, 4}));
  EXPECT_EQ(ScanAll(index, Direction::kForward, 4, 100), (Seqs{7, 8, 9}));
  EXPECT_EQ(ScanAll(index, Direction::kForward, 5, 1), (Seqs{7}));  // from an erased position
  EXPECT_EQ(ScanAll(index, Direction::kForward, 9, 5), Seqs{});
  EXPECT_EQ(ScanAll(index, Direction::kBackward, kEnd, 3), (Seqs{9, 8, 7}));
  EXPECT_EQ(ScanAll(index, Direction::kBackward, 7, 100), (Seqs{4, 3, 1}));
  EXPECT_EQ(ScanAll(index, Direction::kBackward, 6, 2), (Seqs{4, 3}));
  EXPECT_EQ(ScanAll(index, Direction::kBackward, 1, 5), Seqs{});
  EXPECT_EQ(ScanAll(index, Direction::kForward, 0, 0), Seqs{});

  // `read` sees each record under its lock, in the order returned.
  std::vector<std::string> identities;
  index.Scan(Direction::kBackward, 5, 10,
             [&](const UserRecord& r) { identities.emplace_back(r.identity()); });
  EXPECT_EQ(identities, (std::vector<std::string>{"u4", "u3", "u1"}));

  EXPECT_TRUE(index.AnyAfter(8));
  EXPECT_FALSE(index.AnyAfter(9));
  EXPECT_TRUE(index.AnyBefore(2));
  EXPECT_FALSE(index.AnyBefore(1));
  EXPECT_EQ(index.size(), 6u);
}

// Users erased after a scan copied their order entries and before it
// resolved them are skipped, and the scan fetches more to fill its limit.
// The eraser runs on another thread while the scan holds the first user's
// SID shard; the erased users lie in other SID shards.
TEST(UserIndexTest, ScanSkipsUsersErasedWhileItResolvesInEitherDirection) {
  struct Case {
    Direction direction;
    uint64_t from;
    uint64_t first;                // the first user read
    std::vector<uint64_t> doomed;  // erased while `first` is being read
    std::vector<uint64_t> expected;
  };
  const Case cases[] = {
      {Direction::kForward, 0, 1, {2, 3}, {1, 4, 5}},
      {Direction::kBackward, kEnd, 6, {5, 4}, {6, 3, 2}},
  };
  for (const Case& c : cases) {
    UserIndex index;
    PutNumbered(index, 6);
    std::vector<uint64_t> read;
    UserIndex::Sequences seqs = index.Scan(c.direction, c.from, 3, [&](const UserRecord& r) {
      read.push_back(r.sequence);
      if (r.sequence != c.first) return;
      std::thread eraser([&] {
        for (uint64_t i : c.doomed) EraseSequence(index, i);
      });
      eraser.join();
    });
    EXPECT_EQ(std::vector<uint64_t>(seqs.begin(), seqs.end()), c.expected);
    EXPECT_EQ(read, c.expected);
    EXPECT_EQ(index.size(), 4u);
  }
}

// ---- Concurrent readers and writers ----------------------------------------

// Writers replace, modify in place, create, erase and race for identities
// while readers read by SID and by identity and scanners page both ways.
// Checks the invariants of user_index.h: exactly one insert of an identity
// wins; a reader copies a whole version, never a mix; no update is lost; an
// identity entry leads to its own record; a scan never returns a user twice
// and never misses one that existed throughout; at rest a user is in all
// three structures. Bounded by operation counts (a few seconds under TSan).
TEST(UserIndexTest, ConcurrentReadersAndWritersKeepTheInvariants) {
  constexpr uint64_t kStable = 48;  // never erased; sequences 1..kStable
  constexpr size_t kWriters = 2;
  constexpr size_t kOpsPerWriter = 6000;
  constexpr size_t kContested = 60;  // identities every writer tries to create
  UserIndex index;
  std::atomic<uint64_t> next_id{1};  // SIDs and sequences
  for (uint64_t i = 0; i < kStable; ++i) {
    const uint64_t id = next_id++;
    ASSERT_EQ(Put(index, absl::StrCat("stable-", i), id, id), InsertOutcome::kInserted);
  }

  constexpr int kReads = 9000;  // per reader: by identity and by SID
  constexpr int kWalks = 150;   // per scanner: whole walks, 7 per page
  // Every thread waits for all to start, so their work overlaps.
  constexpr int kThreads = static_cast<int>(kWriters) + 3;
  std::atomic<int> waiting{kThreads};
  auto start_together = [&] {
    --waiting;
    while (waiting.load() > 0) std::this_thread::yield();
  };
  std::atomic<int64_t> updates{0};  // successful version bumps of stable users
  std::vector<std::vector<int>> wins(kWriters, std::vector<int>(kContested, 0));
  std::atomic<int> failures{0};  // violations seen by any thread

  auto writer = [&](size_t w) {
    start_together();
    for (size_t op = 0; op < kOpsPerWriter; ++op) {
      const uint64_t stable = (op * 7 + w) % kStable;
      const std::string identity = absl::StrCat("stable-", stable);
      switch (op % 4) {
        case 0: {  // replace through a new record
          absl::StatusOr<ChangeOutcome> outcome =
              Bump(index, op % 8 ? ByIdentity(identity) : BySid(SidOf(stable + 1)));
          if (outcome.ok() && *outcome == ChangeOutcome::kDone) {
            ++updates;
          } else {
            ++failures;
          }
          break;
        }
        case 1: {  // rewrite in place when the text fits
          bool bumped = false;
          const bool found = index.Modify(ByIdentity(identity), [&](UserRecord& r) {
            const int64_t next = r.joined_channels_count + 1;
            if (!r.AssignTextInPlace(AttributesOf(next), FriendlyNameOf(next))) return;
            r.joined_channels_count = next;
            bumped = true;
          });
          if (!found) ++failures;
          if (bumped) ++updates;
          break;
        }
        case 2: {  // a stable identity is taken; the holder is seen whole
          const uint64_t id = next_id++;
          UserRecord::Ptr record = MakeRecord(identity, SidOf(id), id);
          std::optional<Seen> holder;
          absl::StatusOr<InsertOutcome> outcome = index.Insert(
              &record, nullptr, UserIndex::Ignore, [&](const UserRecord& r) { holder = Copy(r); });
          if (!outcome.ok() || *outcome != InsertOutcome::kTaken || !holder ||
              holder->identity != identity || holder->sid != SidOf(stable + 1) ||
              !holder->Consistent()) {
            ++failures;
          }
          break;
        }
        case 3: {  // churn: create and erase a user; race for a contested one
          const uint64_t id = next_id++;
          const std::string churn = absl::StrCat("churn-", id);
          if (Put(index, churn, id, id) != InsertOutcome::kInserted) ++failures;
          const size_t contested = (op / 4) % kContested;
          const uint64_t cid = next_id++;
          UserRecord::Ptr record =
              MakeRecord(absl::StrCat("contested-", contested), SidOf(cid), cid);
          absl::StatusOr<InsertOutcome> outcome =
              index.Insert(&record, nullptr, UserIndex::Ignore, UserIndex::Ignore);
          if (outcome.ok() && *outcome == InsertOutcome::kInserted) ++wins[w][contested];
          absl::StatusOr<ChangeOutcome> erased =
              index.Erase(op % 8 == 3 ? ByIdentity(churn) : BySid(SidOf(id)), nullptr);
          if (!erased.ok() || *erased != ChangeOutcome::kDone) ++failures;
          break;
        }
      }
    }
  };

  auto reader = [&](uint64_t r) {
    uint64_t i = r;
    start_together();
    for (int n = 0; n < kReads; ++n) {
      i = (i + 5) % kStable;
      const std::string identity = absl::StrCat("stable-", i);
      std::optional<Seen> by_identity = Get(index, ByIdentity(identity));
      std::optional<Seen> by_sid = Get(index, BySid(SidOf(i + 1)));
      for (const std::optional<Seen>& seen : {by_identity, by_sid}) {
        if (!seen || seen->identity != identity || seen->sid != SidOf(i + 1) ||
            seen->sequence != i + 1 || !seen->Consistent()) {
          ++failures;
        }
      }
      // Versions only grow: a later read never sees an older version.
      if (by_identity && by_sid && by_sid->version < by_identity->version) ++failures;
    }
  };

  auto scanner = [&](int s) {
    const Direction direction = s % 2 ? Direction::kBackward : Direction::kForward;
    start_together();
    for (int n = 0; n < kWalks; ++n) {
      std::vector<uint64_t> walk;
      uint64_t position = direction == Direction::kForward ? 0 : kEnd;
      for (;;) {
        UserIndex::Sequences page = index.Scan(direction, position, 7, [&](const UserRecord& r) {
          if (r.identity().empty()) ++failures;
        });
        walk.insert(walk.end(), page.begin(), page.end());
        if (page.size() < 7) break;
        position = page.back();
      }
      // Strictly ordered (so no user twice), every stable user present.
      for (size_t k = 1; k < walk.size(); ++k) {
        const bool ordered =
            direction == Direction::kForward ? walk[k - 1] < walk[k] : walk[k - 1] > walk[k];
        if (!ordered) ++failures;
      }
      uint64_t stable_seen = 0;
      for (uint64_t seq : walk) stable_seen += seq <= kStable ? 1 : 0;
      if (stable_seen != kStable) ++failures;
    }
  };

  std::vector<std::thread> threads;
  for (size_t w = 0; w < kWriters; ++w) threads.emplace_back(writer, w);
  threads.emplace_back(reader, uint64_t{0});
  threads.emplace_back(scanner, 0);
  threads.emplace_back(scanner, 1);
  for (std::thread& t : threads) t.join();

  EXPECT_EQ(failures.load(), 0);

  // Exactly one writer won each contested identity.
  for (size_t c = 0; c < kContested; ++c) {
    int total = 0;
    for (size_t w = 0; w < kWriters; ++w) total += wins[w][c];
    EXPECT_EQ(total, 1) << "contested-" << c;
  }

  // No lost update: the versions of the stable users add up to the bumps.
  int64_t versions = 0;
  for (uint64_t i = 0; i < kStable; ++i) {
    std::optional<Seen> seen = Get(index, ByIdentity(absl::StrCat("stable-", i)));
    ASSERT_TRUE(seen.has_value());
    EXPECT_TRUE(seen->Consistent());
    versions += seen->version;
  }
  EXPECT_EQ(versions, updates.load());
  // Every replace at least.
  EXPECT_GE(updates.load(), static_cast<int64_t>(kWriters * kOpsPerWriter / 4));

  // At rest: exactly the stable and contested users, each in all three
  // structures (the order index, the SID shards, the identity shards).
  std::vector<Seen> all;
  index.Scan(Direction::kForward, 0, 1000, [&](const UserRecord& r) { all.push_back(Copy(r)); });
  ASSERT_EQ(all.size(), kStable + kContested);
  EXPECT_EQ(index.size(), kStable + kContested);
  EXPECT_EQ(ScanAll(index, Direction::kBackward, kEnd, 1000).size(), kStable + kContested);
  for (const Seen& seen : all) {
    std::optional<Seen> by_sid = Get(index, BySid(seen.sid));
    std::optional<Seen> by_identity = Get(index, ByIdentity(seen.identity));
    ASSERT_TRUE(by_sid.has_value()) << seen.identity;
    ASSERT_TRUE(by_identity.has_value()) << seen.identity;
    EXPECT_EQ(by_sid->sequence, seen.sequence);
    EXPECT_EQ(by_identity->sid, seen.sid);
    EXPECT_NE(seen.identity.rfind("churn-", 0), 0u) << "an erased user remains";
  }
}

}  // namespace
}  // namespace userstore::internal
