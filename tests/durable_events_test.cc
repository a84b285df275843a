// The durable change feed (docs/events.md, "Durable feed"): events stored
// with their writes survive a reopen, older ones are read from disk, the
// trimmer keeps a window by count and age, and recovery closes the hole a
// failed or crashed write leaves.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "durable/codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "sid/sid.h"
#include "store/journal.h"
#include "store/store_impl.h"
#include "tests/support/fail_once.h"
#include "tests/support/feed_store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using internal::Journal;
using internal::StoreImpl;
using Type = UserEvent::Type;

constexpr char kService[] = "ISeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("userstore-durable-events") {}
};

using Knobs = testing::FeedKnobs;

Knobs Windows(size_t memory, uint64_t durable = 1'000'000) {
  Knobs knobs;
  knobs.memory_window = memory;
  knobs.durable_window = durable;
  return knobs;
}

std::unique_ptr<StoreImpl> Open(const std::string& dir, const Knobs& knobs = {}) {
  ServiceCreate sc;
  sc.sid = kService;
  return testing::OpenFeedStore(dir, knobs, sc);
}

UserCreate Id(std::string identity) {
  UserCreate c;
  c.identity = std::move(identity);
  return c;
}

// Every event after `after`, read in pages of 7; fails the test on an error.
std::vector<UserEvent> All(const StoreImpl& store, uint64_t after = 0) {
  std::vector<UserEvent> out;
  for (;;) {
    absl::StatusOr<EventPage> page = store.ReadEvents(kService, after, 7);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok() || page->events.empty()) return out;
    for (UserEvent& e : page->events) out.push_back(std::move(e));
    after = page->next_after;
  }
}

// `count` writes: creates of u0..u(count/3), then updates and a delete.
void Write(StoreImpl& store, int count, int base = 0) {
  for (int i = 0; i < count; ++i) {
    const std::string identity = absl::StrCat("u", base + i / 3);
    if (i % 3 == 0) {
      ASSERT_OK(store.CreateUser(kService, Id(identity)).status());
    } else if (i % 3 == 1) {
      UserUpdate u;
      u.attributes = absl::StrCat(R"({"i":)", base + i, "}");
      ASSERT_OK(store.UpdateUser(kService, identity, u).status());
    } else if (i % 6 == 2) {
      ASSERT_OK(store.DeleteUser(kService, identity));
    } else {
      ASSERT_OK(store
                    .SetPresence(kService, identity, internal::PresenceField::kOnline,
                                 internal::Presence::kTrue)
                    .status());
    }
  }
}

// The users the events leave, by SID, as "identity|attributes|revision".
std::map<std::string, std::string> Replay(const std::vector<UserEvent>& events) {
  std::map<std::string, std::string> users;
  for (const UserEvent& e : events) {
    if (e.type == Type::kUserRemoved) {
      users.erase(e.user.sid);
    } else {
      users[e.user.sid] =
          absl::StrCat(e.user.identity, "|", e.user.attributes, "|", e.user.revision);
    }
  }
  return users;
}

std::map<std::string, std::string> Stored(const StoreImpl& store) {
  std::map<std::string, std::string> users;
  PageRequest request;
  request.page_size = 100;
  for (;;) {
    absl::StatusOr<Page> page = store.ListUsers(kService, request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return users;
    for (const User& u : page->users) {
      users[u.sid] = absl::StrCat(u.identity, "|", u.attributes, "|", u.revision);
    }
    if (page->next_page_token.empty()) return users;
    request.page_token = page->next_page_token;
    ++request.page;
  }
}

void ExpectConsecutive(const std::vector<UserEvent>& events, uint64_t first) {
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].sequence, first + i) << i;
  }
}

TEST(DurableEvents, AConsumerResumesAcrossAReopenAndSeesEveryEventOnce) {
  TempDir dir;
  std::vector<UserEvent> seen;
  uint64_t position = 0;
  std::map<std::string, std::string> stored;
  {
    std::unique_ptr<StoreImpl> store = Open(dir.Sub("s"));
    ASSERT_NE(store, nullptr);
    Write(*store, 60);
    absl::StatusOr<EventPage> half = store->ReadEvents(kService, 0, 25);
    ASSERT_OK(half);
    ASSERT_EQ(half->events.size(), 25u);
    seen = half->events;
    position = half->next_after;
    Write(*store, 30, 100);
    ASSERT_OK_AND_ASSIGN(const uint64_t last, store->EventPosition(kService));
    EXPECT_EQ(last, 90u);
  }
  std::unique_ptr<StoreImpl> store = Open(dir.Sub("s"));
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(const uint64_t reopened, store->EventPosition(kService));
  EXPECT_EQ(reopened, 90u);
  for (UserEvent& e : All(*store, position)) seen.push_back(std::move(e));
  ASSERT_EQ(seen.size(), 90u);
  ExpectConsecutive(seen, 1);
  EXPECT_EQ(Replay(seen), Stored(*store));
  // A presence change is an event too, and the event keeps the presence the
  // write left even though presence itself is not stored.
  EXPECT_EQ(seen[5].type, Type::kUserUpdated);  // the 6th write: online
  EXPECT_EQ(seen[5].changed, user_field::kIsOnline);
  // The feed goes on from where it was.
  ASSERT_OK(store->CreateUser(kService, Id("after-reopen")).status());
  std::vector<UserEvent> next = All(*store, 90);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].sequence, 91u);
  EXPECT_EQ(next[0].user.identity, "after-reopen");
}

TEST(DurableEvents, EventsOlderThanMemoryAreReadFromDisk) {
  TempDir dir;
  std::unique_ptr<StoreImpl> store = Open(dir.Sub("s"), Windows(8));
  ASSERT_NE(store, nullptr);
  Write(*store, 120);
  const std::vector<UserEvent> events = All(*store);
  ASSERT_EQ(events.size(), 120u);
  ExpectConsecutive(events, 1);
  EXPECT_EQ(Replay(events), Stored(*store));
  EXPECT_EQ(events[0].type, Type::kUserAdded);
  EXPECT_EQ(events[0].user.identity, "u0");
  EXPECT_EQ(events[2].type, Type::kUserRemoved);
  // One page across the disk and memory border.
  ASSERT_OK_AND_ASSIGN(const EventPage page, store->ReadEvents(kService, 100, 1000));
  ASSERT_EQ(page.events.size(), 20u);
  ExpectConsecutive(page.events, 101);
}

TEST(DurableEvents, TrimmingByCountKeepsTheWindowAndSaysWhatWasTrimmed) {
  TempDir dir;
  {
    std::unique_ptr<StoreImpl> store = Open(dir.Sub("s"), Windows(4, 10));
    ASSERT_NE(store, nullptr);
    Write(*store, 50);
    ASSERT_EQ(All(*store).size(), 50u);  // nothing trimmed before a pass
    store->TrimFeeds();
    absl::StatusOr<EventPage> gone = store->ReadEvents(kService, 0, 10);
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(HttpStatus(gone.status()), 410);
    EXPECT_EQ(TwilioCode(gone.status()), 20410);
    EXPECT_EQ(HttpStatus(store->ReadEvents(kService, 39, 10).status()), 410);
    ASSERT_OK_AND_ASSIGN(const uint64_t oldest, store->OldestEvent(kService));
    EXPECT_EQ(oldest, 41u);
    const std::vector<UserEvent> kept = All(*store, 40);
    ASSERT_EQ(kept.size(), 10u);
    ExpectConsecutive(kept, 41);
  }
  // The trim is stored: after a reopen the same.
  std::unique_ptr<StoreImpl> store = Open(dir.Sub("s"), Windows(4096, 10));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(HttpStatus(store->ReadEvents(kService, 0, 10).status()), 410);
  ASSERT_EQ(All(*store, 40).size(), 10u);
  ASSERT_OK_AND_ASSIGN(const uint64_t last, store->EventPosition(kService));
  EXPECT_EQ(last, 50u);
}

TEST(DurableEvents, AStoreTrimsWhenItOpensSoShortSessionsStillTrim) {
  TempDir dir;
  {
    std::unique_ptr<StoreImpl> store = Open(dir.Sub("s"), Windows(4096, 10));
    ASSERT_NE(store, nullptr);
    Write(*store, 50);  // closed before any periodic pass
    EXPECT_EQ(All(*store).size(), 50u);
  }
  std::unique_ptr<StoreImpl> store = Open(dir.Sub("s"), Windows(4096, 10));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(HttpStatus(store->ReadEvents(kService, 0, 10).status()), 410);
  ASSERT_OK_AND_ASSIGN(const uint64_t oldest, store->OldestEvent(kService));
  EXPECT_EQ(oldest, 41u);
  EXPECT_EQ(All(*store, 40).size(), 10u);
}

TEST(DurableEvents, TrimmingByAgeDropsOldEventsButNotThePosition) {
  TempDir dir;
  auto now = std::make_shared<std::atomic<int64_t>>(1'700'000'000);
  Knobs knobs;
  knobs.durable_max_age = absl::Hours(1);
  knobs.clock = [now] { return absl::FromUnixSeconds(now->load()); };
  std::unique_ptr<StoreImpl> store = Open(dir.Sub("s"), knobs);
  ASSERT_NE(store, nullptr);
  Write(*store, 12);
  now->fetch_add(1800);
  Write(*store, 6, 50);  // events 13..18, half an hour later
  now->fetch_add(2400);  // events 1..12 are 70 minutes old, 13..18 40 minutes
  store->TrimFeeds();
  EXPECT_EQ(HttpStatus(store->ReadEvents(kService, 11, 10).status()), 410);
  std::vector<UserEvent> kept = All(*store, 12);
  ASSERT_EQ(kept.size(), 6u);
  ExpectConsecutive(kept, 13);
  now->fetch_add(7200);  // everything is old now
  store->TrimFeeds();
  EXPECT_EQ(HttpStatus(store->ReadEvents(kService, 12, 10).status()), 410);
  ASSERT_OK_AND_ASSIGN(const uint64_t last, store->EventPosition(kService));
  EXPECT_EQ(last, 18u);
  ASSERT_OK(store->CreateUser(kService, Id("fresh")).status());
  kept = All(*store, 18);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].sequence, 19u);
}

TEST(DurableEvents, AFailedWriteStopsTheFeedAndTheReopenClosesItsHole) {
  TempDir dir;
  {
    Knobs knobs;
    knobs.wrap = testing::FailPutUserAt(3);
    std::unique_ptr<StoreImpl> store = Open(dir.Sub("s"), knobs);
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->CreateUser(kService, Id("a")).status());
    ASSERT_OK(store->CreateUser(kService, Id("b")).status());
    EXPECT_FALSE(store->CreateUser(kService, Id("lost")).ok());  // event 3 never stored
    // A real journal refuses every later write (fail-stop); this one lets
    // them through: their events are stored but the feed stays before the
    // hole, so no reader ever sees past it.
    ASSERT_OK(store->CreateUser(kService, Id("c")).status());
    ASSERT_OK(store->CreateUser(kService, Id("d")).status());
    ASSERT_OK_AND_ASSIGN(const uint64_t stopped, store->EventPosition(kService));
    EXPECT_EQ(stopped, 2u);
    EXPECT_EQ(All(*store).size(), 2u);
  }
  std::unique_ptr<StoreImpl> store = Open(dir.Sub("s"));
  ASSERT_NE(store, nullptr);
  const std::vector<UserEvent> events = All(*store);
  ASSERT_EQ(events.size(), 4u);
  ExpectConsecutive(events, 1);
  EXPECT_EQ(events[2].user.identity, "c");
  EXPECT_EQ(events[3].user.identity, "d");
  EXPECT_EQ(Replay(events), Stored(*store));
  ASSERT_OK(store->CreateUser(kService, Id("e")).status());
  EXPECT_EQ(All(*store, 4).at(0).sequence, 5u);
}

TEST(DurableEvents, ImportedRowsAreEventsStoredWithTheirBatch) {
  TempDir dir;
  {
    std::unique_ptr<StoreImpl> store = Open(dir.Sub("s"));
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->CreateUser(kService, Id("before")).status());
    std::vector<UserImport> rows;
    for (int i = 0; i < 5; ++i) {
      UserImport u;
      u.sid = absl::StrFormat("US%032x", i + 1);
      u.identity = absl::StrCat("imported-", i);
      u.date_created = u.date_updated = absl::FromUnixSeconds(1'600'000'000 + i);
      rows.push_back(u);
    }
    ImportOptions options;
    options.batch_size = 2;
    ASSERT_OK(store->ImportUsers(kService, rows, options).status());
  }
  std::unique_ptr<StoreImpl> store = Open(dir.Sub("s"));
  ASSERT_NE(store, nullptr);
  const std::vector<UserEvent> events = All(*store);
  ASSERT_EQ(events.size(), 6u);
  ExpectConsecutive(events, 1);
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_EQ(events[i].origin, WriteOrigin::kImport);
    EXPECT_EQ(events[i].user.identity, absl::StrCat("imported-", i - 1));
  }
  EXPECT_EQ(Replay(events), Stored(*store));
}

// TSan: writers on many threads, journaled concurrently (group commit), and a
// follower: no gap, no duplicate, each user's revisions in order, and the
// replay is the store, before and after a reopen.
TEST(DurableEvents, ConcurrentWritersAndAFollowerAgreeWithTheStore) {
  TempDir dir;
  std::vector<UserEvent> followed;
  {
    std::unique_ptr<StoreImpl> store = Open(dir.Sub("s"), Windows(64));
    ASSERT_NE(store, nullptr);
    constexpr int kThreads = 4;
    constexpr int kWrites = 150;
    std::atomic<int> done{0};
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < kWrites; ++i) {
          const std::string identity = absl::StrCat("w", t, "-", i % 8);
          (void)store->GetOrCreateUser(kService, Id(identity));
          UserUpdate u;
          u.attributes = absl::StrCat(R"({"i":)", i, "}");
          (void)store->UpdateUser(kService, identity, u);
          if (i % 5 == 0) (void)store->DeleteUser(kService, identity);
        }
        ++done;
      });
    }
    std::map<std::string, uint64_t> revision;
    uint64_t after = 0;
    for (;;) {
      const bool finished = done.load() == kThreads;
      absl::StatusOr<EventPage> page = store->ReadEvents(kService, after, 1000);
      ASSERT_OK(page);
      for (UserEvent& e : page->events) {
        ASSERT_EQ(e.sequence, after + 1);
        after = e.sequence;
        uint64_t& last = revision[e.user.sid];
        EXPECT_GE(e.user.revision, last) << e.sequence;  // a removal shows the last
        last = e.user.revision;
        followed.push_back(std::move(e));
      }
      if (finished && page->events.empty()) break;
    }
    for (std::thread& w : writers) w.join();
    EXPECT_EQ(Replay(followed), Stored(*store));
  }
  std::unique_ptr<StoreImpl> store = Open(dir.Sub("s"));
  ASSERT_NE(store, nullptr);
  const std::vector<UserEvent> reread = All(*store);
  ASSERT_EQ(reread.size(), followed.size());
  EXPECT_EQ(Replay(reread), Stored(*store));
}

}  // namespace
}  // namespace userstore
