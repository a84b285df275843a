// StoreReader::ReadEvents / EventPosition / OldestEvent (userstore/inspect.h):
// the change feed of a store directory read read-only, beside the durable
// Store that writes it, answering what the Store answers.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/journal.h"
#include "store/store_impl.h"
#include "tests/support/fail_once.h"
#include "tests/support/feed_store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/inspect.h"
#include "userstore/json.h"

namespace userstore {
namespace {

using internal::Journal;
using internal::StoreImpl;
using ::testing::HasSubstr;

constexpr char kService[] = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kBase[] = "https://chat.twilio.com/v2";

using Knobs = testing::FeedKnobs;

// A durable Store on `dir` with Service kService (reachability on).
std::unique_ptr<StoreImpl> Open(const std::string& dir, const Knobs& knobs = {}) {
  ServiceCreate sc;
  sc.sid = kService;
  sc.reachability_enabled = true;
  return testing::OpenFeedStore(dir, knobs, sc);
}

std::unique_ptr<StoreReader> Reader(const std::string& dir) {
  auto reader = StoreReader::Open(dir);
  EXPECT_TRUE(reader.ok()) << reader.status();
  return reader.ok() ? *std::move(reader) : nullptr;
}

UserCreate Id(const std::string& identity) {
  UserCreate c;
  c.identity = identity;
  return c;
}

// `count` writes of users w<base>..: create, update, presence, then (every
// other user) a delete.
void Write(StoreImpl& store, int count, int base = 0) {
  for (int i = 0; i < count; ++i) {
    const std::string identity = absl::StrCat("w", base + i / 4);
    switch (i % 4) {
      case 0:
        ASSERT_OK(store.CreateUser(kService, Id(identity)).status());
        break;
      case 1: {
        UserUpdate u;
        u.attributes = absl::StrCat(R"({"i":)", base + i, "}");
        u.friendly_name = absl::StrCat("F", i);
        ASSERT_OK(store.UpdateUser(kService, identity, u).status());
        break;
      }
      case 2:
        ASSERT_OK(store
                      .SetPresence(kService, identity, internal::PresenceField::kOnline,
                                   internal::Presence::kTrue)
                      .status());
        break;
      default:
        if ((i / 4) % 2 == 0) {
          ASSERT_OK(store.DeleteUser(kService, identity));
        } else {
          ASSERT_OK(store.CreateUser(kService, Id(identity + "-b")).status());
        }
    }
  }
}

// Each event as EventJson renders it: every field, the user's included.
std::vector<std::string> Rendered(const std::vector<UserEvent>& events) {
  std::vector<std::string> out;
  for (const UserEvent& e : events) out.push_back(EventJson(e, kBase));
  return out;
}

// Every event after `after`, in pages of `page`, through `read`.
template <typename Source>
std::vector<UserEvent> All(const Source& source, uint64_t after, size_t page = 7) {
  std::vector<UserEvent> out;
  for (;;) {
    absl::StatusOr<EventPage> got = source.ReadEvents(kService, after, page);
    EXPECT_TRUE(got.ok()) << got.status();
    if (!got.ok() || got->events.empty()) return out;
    EXPECT_LE(got->events.size(), page);
    for (UserEvent& e : got->events) out.push_back(std::move(e));
    after = got->next_after;
  }
}

// A durable Store given `writes` writes, and a reader opened beside it
// (the Store stays open: the reader takes no lock).
struct Beside {
  testing::TempDir dir;
  std::unique_ptr<StoreImpl> store;
  std::unique_ptr<StoreReader> reader;
};
void OpenBeside(int writes, Beside* b) {
  b->store = Open(b->dir.Sub("s"));
  ASSERT_NE(b->store, nullptr);
  Write(*b->store, writes);
  b->reader = Reader(b->dir.Sub("s"));
  ASSERT_NE(b->reader, nullptr);
}

TEST(ReaderEvents, BesideAnOpenStoreTheReaderAnswersWhatTheStoreAnswers) {
  Beside b;
  ASSERT_NO_FATAL_FAILURE(OpenBeside(40, &b));
  testing::TempDir& dir = b.dir;
  StoreImpl* store = b.store.get();
  StoreReader* reader = b.reader.get();
  EXPECT_TRUE(reader->in_use());
  ASSERT_OK_AND_ASSIGN(const uint64_t position, reader->EventPosition(kService));
  EXPECT_EQ(position, 40u);
  ASSERT_OK_AND_ASSIGN(const uint64_t oldest, reader->OldestEvent(kService));
  EXPECT_EQ(oldest, 1u);
  const std::vector<UserEvent> from_disk = All(*reader, 0);
  ASSERT_EQ(from_disk.size(), 40u);
  for (size_t i = 0; i < from_disk.size(); ++i) EXPECT_EQ(from_disk[i].sequence, i + 1);
  EXPECT_EQ(Rendered(from_disk), Rendered(All(*store, 0)));
  // Real values: the first update, and presence shown (reachability on).
  EXPECT_EQ(from_disk[1].type, UserEvent::Type::kUserUpdated);
  EXPECT_EQ(from_disk[1].changed, user_field::kAttributes | user_field::kFriendlyName);
  EXPECT_EQ(from_disk[1].user.attributes, R"({"i":1})");
  EXPECT_EQ(from_disk[1].user.friendly_name, "F1");
  EXPECT_EQ(from_disk[2].changed, user_field::kIsOnline);
  EXPECT_EQ(from_disk[2].user.is_online, true);
  EXPECT_EQ(from_disk[3].type, UserEvent::Type::kUserRemoved);
  EXPECT_EQ(from_disk[3].user.identity, "w0");

  // Written after the reader opened: not seen until a new reader opens.
  Write(*store, 4, 100);
  ASSERT_OK_AND_ASSIGN(const EventPage stale, reader->ReadEvents(kService, 40, 10));
  EXPECT_TRUE(stale.events.empty());
  EXPECT_EQ(stale.next_after, 40u);
  std::unique_ptr<StoreReader> fresh = Reader(dir.Sub("s"));
  ASSERT_NE(fresh, nullptr);
  ASSERT_OK_AND_ASSIGN(const EventPage more, fresh->ReadEvents(kService, 40, 10));
  ASSERT_EQ(more.events.size(), 4u);
  EXPECT_EQ(more.events[0].sequence, 41u);
  EXPECT_EQ(more.events[0].user.identity, "w100");
  EXPECT_EQ(more.next_after, 44u);
  EXPECT_EQ(Rendered(more.events), Rendered(All(*store, 40)));
}

TEST(ReaderEvents, LimitsAndErrorsAreTheStores) {
  Beside b;
  ASSERT_NO_FATAL_FAILURE(OpenBeside(120, &b));
  StoreImpl* store = b.store.get();
  StoreReader* reader = b.reader.get();
  // max 0 means 100; 1000 is allowed, 1001 is not.
  ASSERT_OK_AND_ASSIGN(const EventPage defaulted, reader->ReadEvents(kService, 0, 0));
  EXPECT_EQ(defaulted.events.size(), 100u);
  EXPECT_EQ(defaulted.next_after, 100u);
  ASSERT_OK_AND_ASSIGN(const EventPage most, reader->ReadEvents(kService, 0, 1000));
  EXPECT_EQ(most.events.size(), 120u);
  const absl::Status too_many = reader->ReadEvents(kService, 0, 1001).status();
  EXPECT_TWILIO_ERROR(too_many, 400, 20001);
  EXPECT_EQ(too_many, store->ReadEvents(kService, 0, 1001).status());
  // At the end: empty; beyond it: 400/20001, as the Store says it.
  ASSERT_OK_AND_ASSIGN(const EventPage at_end, reader->ReadEvents(kService, 120, 10));
  EXPECT_TRUE(at_end.events.empty());
  const absl::Status beyond = reader->ReadEvents(kService, 121, 10).status();
  EXPECT_TWILIO_ERROR(beyond, 400, 20001);
  EXPECT_EQ(beyond, store->ReadEvents(kService, 121, 10).status());
  EXPECT_THAT(beyond.message(), HasSubstr("121"));
  // An unknown Service: 404/20404, the Store's message.
  constexpr char kOther[] = "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  const absl::Status unknown = reader->ReadEvents(kOther, 0, 10).status();
  EXPECT_TWILIO_ERROR(unknown, 404, 20404);
  EXPECT_EQ(unknown, store->ReadEvents(kOther, 0, 10).status());
  EXPECT_TWILIO_ERROR(reader->EventPosition(kOther), 404, 20404);
  EXPECT_TWILIO_ERROR(reader->OldestEvent("not-a-sid"), 404, 20404);
  // Either hex case names the Service.
  ASSERT_OK_AND_ASSIGN(const uint64_t upper,
                       reader->EventPosition("ISAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
  EXPECT_EQ(upper, 120u);
}

TEST(ReaderEvents, TrimmedEventsAre410WithTheStoresWording) {
  testing::TempDir dir;
  std::unique_ptr<StoreImpl> store =
      Open(dir.Sub("s"), Knobs{4, 10, absl::Hours(24), nullptr, nullptr});
  ASSERT_NE(store, nullptr);
  Write(*store, 50);
  store->TrimFeeds();  // keeps 41..50
  std::unique_ptr<StoreReader> reader = Reader(dir.Sub("s"));
  ASSERT_NE(reader, nullptr);
  const absl::Status gone = reader->ReadEvents(kService, 0, 10).status();
  EXPECT_TWILIO_ERROR(gone, 410, 20410);
  EXPECT_EQ(gone, store->ReadEvents(kService, 0, 10).status());
  EXPECT_THAT(gone.message(), HasSubstr("the store keeps events 41 to 50"));
  EXPECT_TWILIO_ERROR(reader->ReadEvents(kService, 39, 10), 410, 20410);
  ASSERT_OK_AND_ASSIGN(const uint64_t oldest, reader->OldestEvent(kService));
  EXPECT_EQ(oldest, 41u);
  ASSERT_OK_AND_ASSIGN(const uint64_t position, reader->EventPosition(kService));
  EXPECT_EQ(position, 50u);
  const std::vector<UserEvent> kept = All(*reader, 40, 3);
  ASSERT_EQ(kept.size(), 10u);
  EXPECT_EQ(kept.front().sequence, 41u);
  EXPECT_EQ(kept.back().sequence, 50u);
  EXPECT_EQ(Rendered(kept), Rendered(All(*store, 40)));
}

TEST(ReaderEvents, NeverReadsPastAHole) {
  testing::TempDir dir;
  Knobs knobs;
  knobs.wrap = testing::FailPutUserAt(3);
  std::unique_ptr<StoreImpl> store = Open(dir.Sub("s"), knobs);
  ASSERT_NE(store, nullptr);
  // Events 1, 2, then 3 never stored, then 4 stored.
  for (const char* identity : {"a", "b", "lost", "c"}) {
    const absl::Status created = store->CreateUser(kService, Id(identity)).status();
    EXPECT_EQ(created.ok(), std::string(identity) != "lost") << identity << ": " << created;
  }
  std::unique_ptr<StoreReader> reader = Reader(dir.Sub("s"));
  ASSERT_NE(reader, nullptr);
  ASSERT_OK_AND_ASSIGN(const uint64_t position, reader->EventPosition(kService));
  EXPECT_EQ(position, 2u);
  const std::vector<UserEvent> events = All(*reader, 0);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].user.identity, "b");
  EXPECT_TWILIO_ERROR(reader->ReadEvents(kService, 3, 10), 400, 20001);
}

}  // namespace
}  // namespace userstore
