// The change feed, post-event listeners with removals, and the pre-event
// veto (include/userstore/events.h, docs/events.md).
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_store.h"
#include "userstore/events.h"
#include "userstore/import.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::kServiceSid;
using testing::TestStore;
using Type = UserEvent::Type;

UserCreate Id(std::string identity, WriteOrigin origin = WriteOrigin::kServer) {
  UserCreate c;
  c.identity = std::move(identity);
  c.origin = origin;
  return c;
}

std::vector<UserEvent> All(Store& store, uint64_t after = 0) {
  std::vector<UserEvent> out;
  for (;;) {
    absl::StatusOr<EventPage> page = store.ReadEvents(kServiceSid, after, 7);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok() || page->events.empty()) return out;
    for (UserEvent& e : page->events) out.push_back(std::move(e));
    after = page->next_after;
  }
}

TEST(StoreEvents, EveryKindOfWriteIsNumberedInCommitOrder) {
  TestStore s;
  ASSERT_OK_AND_ASSIGN(const User alice, s->CreateUser(kServiceSid, Id("alice")));
  UserUpdate rename;
  rename.friendly_name = "Alice";
  ASSERT_OK(s->UpdateUser(kServiceSid, "alice", rename));
  ASSERT_OK(s->SetUserOnline(kServiceSid, "alice", true));
  ASSERT_OK(s->SetUserOnline(kServiceSid, "alice", true));  // no change: no event
  ASSERT_OK(s->AddJoinedChannels(kServiceSid, alice.sid, 2));
  ASSERT_OK(s->DeleteUser(kServiceSid, "alice"));

  const std::vector<UserEvent> events = All(*s.store);
  ASSERT_EQ(events.size(), 5u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence, i + 1);
    EXPECT_EQ(events[i].user.sid, alice.sid);
    EXPECT_EQ(events[i].origin, WriteOrigin::kServer);
    EXPECT_FALSE(events[i].webhook_enabled);
  }
  EXPECT_EQ(events[0].type, Type::kUserAdded);
  EXPECT_EQ(events[0].changed, user_field::kAll);
  EXPECT_EQ(events[0].user.identity, "alice");
  EXPECT_FALSE(events[0].user.friendly_name.has_value());
  EXPECT_EQ(events[1].type, Type::kUserUpdated);
  EXPECT_EQ(events[1].changed, user_field::kFriendlyName);
  EXPECT_EQ(events[1].user.friendly_name, "Alice");
  EXPECT_GT(events[1].user.revision, events[0].user.revision);
  EXPECT_EQ(events[2].changed, user_field::kIsOnline);
  EXPECT_EQ(events[3].changed, user_field::kJoinedChannelsCount);
  EXPECT_EQ(events[3].user.joined_channels_count, 2);
  // A removal shows the user as it was.
  EXPECT_EQ(events[4].type, Type::kUserRemoved);
  EXPECT_EQ(events[4].changed, user_field::kAll);
  EXPECT_EQ(events[4].user.friendly_name, "Alice");
  EXPECT_EQ(events[4].user.joined_channels_count, 2);
  EXPECT_EQ(events[4].time, s.clock->Now());
  ASSERT_OK_AND_ASSIGN(const uint64_t position, s->EventPosition(kServiceSid));
  EXPECT_EQ(position, 5u);
}

TEST(StoreEvents, ChangedBitsNameOnlyWhatMoved) {
  TestStore s;
  ASSERT_OK(s->CreateUser(kServiceSid, Id("bob")));
  UserUpdate same;
  same.attributes = "{}";  // never set reads as {}: nothing moved
  ASSERT_OK(s->UpdateUser(kServiceSid, "bob", same));
  same.attributes = R"({"b":1})";
  ASSERT_OK(s->UpdateUser(kServiceSid, "bob", same));
  UserUpdate two;
  two.friendly_name = "Bob";
  two.attributes_patch = R"({"a":1})";
  ASSERT_OK(s->UpdateUser(kServiceSid, "bob", two));
  const std::vector<UserEvent> events = All(*s.store);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[1].changed, 0u);
  EXPECT_EQ(events[1].type, Type::kUserUpdated);  // the write committed (revision moved)
  EXPECT_GT(events[1].user.revision, events[0].user.revision);
  EXPECT_EQ(events[2].changed, user_field::kAttributes);
  EXPECT_EQ(events[3].changed, user_field::kFriendlyName | user_field::kAttributes);
  EXPECT_EQ(events[3].user.attributes, R"({"b":1,"a":1})");
}

TEST(StoreEvents, ReadingPagesAndItsErrors) {
  StoreOptions options;
  options.events.memory_window = 4;
  TestStore s(options);
  ASSERT_OK_AND_ASSIGN(uint64_t oldest, s->OldestEvent(kServiceSid));
  EXPECT_EQ(oldest, 1u);  // none kept yet: the next
  for (int i = 0; i < 6; ++i) ASSERT_OK(s->CreateUser(kServiceSid, Id(absl::StrCat("u", i))));
  ASSERT_OK_AND_ASSIGN(oldest, s->OldestEvent(kServiceSid));
  EXPECT_EQ(oldest, 3u);
  // Events 1 and 2 were dropped: asking for them is the distinct error.
  EXPECT_TWILIO_ERROR(s->ReadEvents(kServiceSid, 0), 410, twilio_code::kEventsDropped);
  EXPECT_EQ(s->ReadEvents(kServiceSid, 1).status().code(), absl::StatusCode::kOutOfRange);
  ASSERT_OK_AND_ASSIGN(EventPage page, s->ReadEvents(kServiceSid, 2, 3));
  ASSERT_EQ(page.events.size(), 3u);
  EXPECT_EQ(page.events[0].sequence, 3u);
  EXPECT_EQ(page.events[0].user.identity, "u2");
  EXPECT_EQ(page.next_after, 5u);
  ASSERT_OK_AND_ASSIGN(page, s->ReadEvents(kServiceSid, 5));
  ASSERT_EQ(page.events.size(), 1u);
  EXPECT_EQ(page.next_after, 6u);
  ASSERT_OK_AND_ASSIGN(page, s->ReadEvents(kServiceSid, 6));
  EXPECT_TRUE(page.events.empty());
  EXPECT_EQ(page.next_after, 6u);
  EXPECT_TWILIO_ERROR(s->ReadEvents(kServiceSid, 7), 400, twilio_code::kInvalidParameter);
  EXPECT_TWILIO_ERROR(s->ReadEvents(kServiceSid, 2, 1001), 400, twilio_code::kInvalidParameter);
  EXPECT_TWILIO_ERROR(s->ReadEvents("ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 0), 404,
                      twilio_code::kNotFound);
  StoreOptions zero;
  zero.events.memory_window = 0;
  EXPECT_TWILIO_ERROR(Store::Create(zero), 400, twilio_code::kInvalidParameter);
  StoreOptions no_window;
  no_window.events.durable_window = 0;
  EXPECT_TWILIO_ERROR(Store::Create(no_window), 400, twilio_code::kInvalidParameter);
  StoreOptions no_age;
  no_age.events.durable_max_age = absl::ZeroDuration();
  EXPECT_TWILIO_ERROR(Store::Create(no_age), 400, twilio_code::kInvalidParameter);
  StoreOptions no_interval;
  no_interval.events.trim_interval = absl::Seconds(-1);
  EXPECT_TWILIO_ERROR(Store::Create(no_interval), 400, twilio_code::kInvalidParameter);
}

TEST(StoreEvents, AFeedThatIsOffAnswersSoAndWritesGoOn) {
  StoreOptions options;
  options.events.enabled = false;
  TestStore s(options);
  ASSERT_OK(s->CreateUser(kServiceSid, Id("carol")));
  EXPECT_TWILIO_ERROR(s->ReadEvents(kServiceSid, 0), 400, twilio_code::kInvalidParameter);
  EXPECT_TWILIO_ERROR(s->EventPosition(kServiceSid), 400, twilio_code::kInvalidParameter);
}

TEST(StoreEvents, PostListenersGetRemovalsAndTheFeedsSequence) {
  TestStore s;
  std::vector<UserEvent> heard;
  s->AddPostEventListener([&](const UserEvent& e) { heard.push_back(e); });
  UserCreate loud = Id("dave");
  loud.webhook_enabled = true;
  ASSERT_OK(s->CreateUser(kServiceSid, loud));
  ASSERT_OK(s->CreateUser(kServiceSid, Id("quiet")));                       // no header: no call
  ASSERT_OK(s->CreateUser(kServiceSid, Id("erin", WriteOrigin::kClient)));  // a client: always
  UserDelete gone;
  gone.webhook_enabled = true;
  ASSERT_OK(s->DeleteUser(kServiceSid, "dave", gone));
  ASSERT_OK(s->DeleteUser(kServiceSid, "quiet"));
  ASSERT_EQ(heard.size(), 3u);
  EXPECT_EQ(heard[0].sequence, 1u);
  EXPECT_EQ(heard[1].sequence, 3u);
  EXPECT_EQ(heard[1].origin, WriteOrigin::kClient);
  EXPECT_EQ(heard[2].type, Type::kUserRemoved);
  EXPECT_EQ(heard[2].sequence, 4u);
  EXPECT_EQ(heard[2].user.identity, "dave");
  EXPECT_TRUE(heard[2].webhook_enabled);
  const std::vector<UserEvent> events = All(*s.store);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[3].user.sid, heard[2].user.sid);
  EXPECT_EQ(events[3].time, heard[2].time);
}

TEST(StoreEvents, ARejectingPreListenerLeavesStoreAndFeedAsTheyWere) {
  TestStore s;
  std::vector<PreEvent> judged;
  s->AddPreEventListener([&](const PreEvent& e) -> absl::Status {
    judged.push_back(e);
    if (e.user.identity == "mallory" || e.user.friendly_name == "bad") {
      return absl::PermissionDeniedError("not on my server");
    }
    return absl::OkStatus();
  });
  // REST / server writes are never judged.
  ASSERT_OK(s->CreateUser(kServiceSid, Id("mallory")));
  EXPECT_TRUE(judged.empty());
  ASSERT_OK(s->DeleteUser(kServiceSid, "mallory"));
  // A client's create is.
  UserCreate c = Id("mallory", WriteOrigin::kClient);
  c.attributes = R"({"x":1})";
  const absl::Status rejected = s->CreateUser(kServiceSid, c).status();
  EXPECT_TWILIO_ERROR(rejected, 403, twilio_code::kWebhookRejected);
  EXPECT_EQ(rejected.message(), "Webhook disabled processing of command: not on my server");
  ASSERT_EQ(judged.size(), 1u);
  EXPECT_EQ(judged[0].type, Type::kUserAdded);
  EXPECT_TRUE(judged[0].user.sid.empty());
  EXPECT_EQ(judged[0].user.attributes, R"({"x":1})");
  EXPECT_EQ(s->FetchUser(kServiceSid, "mallory").status().code(), absl::StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(uint64_t position, s->EventPosition(kServiceSid));
  EXPECT_EQ(position, 2u);  // mallory's server create and delete only

  ASSERT_OK_AND_ASSIGN(const User frank,
                       s->CreateUser(kServiceSid, Id("frank", WriteOrigin::kClient)));
  UserUpdate bad;
  bad.friendly_name = "bad";
  bad.origin = WriteOrigin::kClient;
  EXPECT_TWILIO_ERROR(s->UpdateUser(kServiceSid, "frank", bad), 403, twilio_code::kWebhookRejected);
  ASSERT_EQ(judged.size(), 3u);
  EXPECT_EQ(judged[2].type, Type::kUserUpdated);
  EXPECT_EQ(judged[2].user.sid, frank.sid);
  EXPECT_EQ(judged[2].changed, user_field::kFriendlyName);
  ASSERT_OK_AND_ASSIGN(const User after, s->FetchUser(kServiceSid, "frank"));
  EXPECT_EQ(after.revision, frank.revision);
  EXPECT_FALSE(after.friendly_name.has_value());
  ASSERT_OK_AND_ASSIGN(position, s->EventPosition(kServiceSid));
  EXPECT_EQ(position, 3u);
  // The same update from the server is not judged.
  bad.origin = WriteOrigin::kServer;
  ASSERT_OK(s->UpdateUser(kServiceSid, "frank", bad));
  EXPECT_EQ(judged.size(), 3u);
  // Connecting an existing user is presence: never judged, even from a
  // client; connecting (creating) a new one is a create.
  s->AddPreEventListener([](const PreEvent& e) -> absl::Status {
    if (e.type == Type::kUserAdded) return absl::PermissionDeniedError("no sign-ups");
    return absl::OkStatus();
  });
  const size_t before = judged.size();
  ASSERT_OK_AND_ASSIGN(const UserConnection connected,
                       s->ConnectOrCreateUser(kServiceSid, Id("frank", WriteOrigin::kClient)));
  EXPECT_FALSE(connected.created);
  EXPECT_EQ(judged.size(), before);
  ASSERT_OK(s->GetOrCreateUser(kServiceSid, Id("frank", WriteOrigin::kClient)));
  EXPECT_EQ(judged.size(), before);
  EXPECT_TWILIO_ERROR(s->ConnectOrCreateUser(kServiceSid, Id("newbie", WriteOrigin::kClient)), 403,
                      twilio_code::kWebhookRejected);
  EXPECT_TWILIO_ERROR(s->GetOrCreateUser(kServiceSid, Id("newbie", WriteOrigin::kClient)), 403,
                      twilio_code::kWebhookRejected);
  EXPECT_FALSE(s->UserExists(kServiceSid, "newbie").value());
  // A listener that throws rejects too.
  s->AddPreEventListener([](const PreEvent&) -> absl::Status { throw std::runtime_error("boom"); });
  EXPECT_TWILIO_ERROR(s->CreateUser(kServiceSid, Id("gina", WriteOrigin::kClient)), 403,
                      twilio_code::kWebhookRejected);
}

// A write that lands while the listeners judge a client's update is kept:
// the update is judged again on the user as it now is, and both survive.
TEST(StoreEvents, AWriteRacingTheJudgementIsNotLost) {
  TestStore s;
  ASSERT_OK(s->CreateUser(kServiceSid, Id("hank")));
  int calls = 0;
  bool always = false;  // false: one racing write, on the first judgement
  s->AddPreEventListener([&](const PreEvent& e) -> absl::Status {
    ++calls;
    if (always || calls == 1) {
      UserUpdate other;  // a server write in between (the listener may call the Store)
      other.friendly_name = absl::StrCat("Hank", calls);
      EXPECT_TRUE(s->UpdateUser(kServiceSid, e.user.sid, other).ok());
    } else {
      EXPECT_EQ(e.user.friendly_name, "Hank1");  // judged again, on the new state
    }
    return absl::OkStatus();
  });
  UserUpdate client;
  client.attributes_patch = R"({"level":2})";
  client.origin = WriteOrigin::kClient;
  ASSERT_OK_AND_ASSIGN(const User updated, s->UpdateUser(kServiceSid, "hank", client));
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(updated.friendly_name, "Hank1");
  EXPECT_EQ(updated.attributes, R"({"level":2})");
  // A user that changes at every judgement: 409/20409 after 3 tries.
  calls = 0;
  always = true;
  EXPECT_TWILIO_ERROR(s->UpdateUser(kServiceSid, "hank", client), 409, twilio_code::kConflict);
  EXPECT_EQ(calls, 3);
  // With the caller's own precondition, a change is the caller's 412.
  ASSERT_OK_AND_ASSIGN(const User now, s->FetchUser(kServiceSid, "hank"));
  client.if_revision = now.revision;
  EXPECT_TWILIO_ERROR(s->UpdateUser(kServiceSid, "hank", client), 412,
                      twilio_code::kPreconditionFailed);
}

TEST(StoreEvents, ImportedUsersAreEventsOfOriginImport) {
  TestStore s;
  ASSERT_OK(s->SetReachabilityEnabled(kServiceSid, true));
  ASSERT_OK(s->CreateUser(kServiceSid, Id("ivan")));
  std::vector<UserImport> rows(2);
  rows[0].sid = "US" + std::string(32, '1');
  rows[0].identity = "judy";
  rows[0].date_created = rows[0].date_updated = absl::FromUnixSeconds(1400000000);
  rows[1] = rows[0];
  rows[1].friendly_name = "Judy";
  rows[1].joined_channels_count = 3;
  ImportOptions upsert;
  upsert.mode = ImportMode::kUpsert;
  ASSERT_OK(s->ImportUsers(kServiceSid, {rows[0]}));
  ASSERT_OK(s->SetUserOnline(kServiceSid, "judy", true));
  ASSERT_OK(s->ImportUsers(kServiceSid, {rows[1]}, upsert));
  const std::vector<UserEvent> events = All(*s.store);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[1].type, Type::kUserAdded);
  EXPECT_EQ(events[1].origin, WriteOrigin::kImport);
  EXPECT_EQ(events[1].user.sid, rows[0].sid);
  EXPECT_EQ(events[2].changed, user_field::kIsOnline);
  EXPECT_EQ(events[3].type, Type::kUserUpdated);
  EXPECT_EQ(events[3].changed, user_field::kFriendlyName | user_field::kJoinedChannelsCount);
  // The replacement keeps the user's presence, and its event shows it.
  EXPECT_EQ(events[3].user.is_online, true);
  ASSERT_OK_AND_ASSIGN(const User judy, s->FetchUser(kServiceSid, "judy"));
  EXPECT_EQ(judy.is_online, true);
}

// Writers on many threads, one reader following the feed: no gap, no
// duplicate, each user's events in its revision order, and the state
// rebuilt from the feed alone equals the store.
TEST(StoreEvents, AFollowerSeesEveryWriteOnceInCommitOrder) {
  StoreOptions options;
  options.events.memory_window = 1 << 16;  // the follower may lag (no 410 here)
  TestStore s(options);
  constexpr int kThreads = 4;
  constexpr int kWrites = 300;
  std::atomic<int> done{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        const std::string identity = absl::StrCat("w", t, "-", i % 10);
        if (i % 10 < 5 || !s->UserExists(kServiceSid, identity).value_or(false)) {
          (void)s->GetOrCreateUser(kServiceSid, Id(identity));
        }
        UserUpdate u;
        u.attributes = absl::StrCat(R"({"i":)", i, "}");
        (void)s->UpdateUser(kServiceSid, identity, u);
        if (i % 7 == 0) (void)s->DeleteUser(kServiceSid, identity);
        if (i % 3 == 0) (void)s->SetUserOnline(kServiceSid, identity, i % 2 == 0);
      }
      ++done;
    });
  }
  std::map<std::string, User> rebuilt;  // by SID
  std::map<std::string, uint64_t> last_revision;
  uint64_t after = 0;
  for (;;) {
    const bool finished = done.load() == kThreads;
    absl::StatusOr<EventPage> page = s->ReadEvents(kServiceSid, after, 1000);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const UserEvent& e : page->events) {
      ASSERT_EQ(e.sequence, after + 1);
      after = e.sequence;
      uint64_t& last = last_revision[e.user.sid];
      EXPECT_GE(e.user.revision, last) << e.sequence;  // presence keeps the revision
      last = e.user.revision;
      if (e.type == Type::kUserRemoved) {
        rebuilt.erase(e.user.sid);
      } else {
        rebuilt[e.user.sid] = e.user;
      }
    }
    if (finished && page->events.empty()) break;
  }
  for (std::thread& w : writers) w.join();
  PageRequest request;
  request.page_size = 100;
  std::map<std::string, User> stored;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(const Page page, s->ListUsers(kServiceSid, request));
    for (const User& u : page.users) stored[u.sid] = u;
    if (page.next_page_token.empty()) break;
    request.page_token = page.next_page_token;
    ++request.page;
  }
  ASSERT_EQ(rebuilt.size(), stored.size());
  for (const auto& [sid, user] : stored) {
    ASSERT_TRUE(rebuilt.contains(sid)) << sid;
    const User& r = rebuilt[sid];
    EXPECT_EQ(r.identity, user.identity);
    EXPECT_EQ(r.attributes, user.attributes);
    EXPECT_EQ(r.revision, user.revision);
    EXPECT_EQ(r.friendly_name, user.friendly_name);
  }
}

// The snapshot protocol of store.h (EventPosition): a position, a full list,
// then the events after the position give the current state.
TEST(StoreEvents, PositionThenListThenFeedIsTheState) {
  TestStore s;
  for (int i = 0; i < 20; ++i) ASSERT_OK(s->CreateUser(kServiceSid, Id(absl::StrCat("p", i))));
  ASSERT_OK_AND_ASSIGN(const uint64_t position, s->EventPosition(kServiceSid));
  PageRequest first;
  first.page_size = 10;
  ASSERT_OK_AND_ASSIGN(Page page, s->ListUsers(kServiceSid, first));
  std::map<std::string, User> state;
  for (const User& u : page.users) state[u.identity] = u;
  // Writes while the snapshot is read.
  ASSERT_OK(s->DeleteUser(kServiceSid, "p15"));
  UserUpdate u;
  u.friendly_name = "changed";
  ASSERT_OK(s->UpdateUser(kServiceSid, "p3", u));
  ASSERT_OK(s->CreateUser(kServiceSid, Id("late")));
  PageRequest next;
  next.page_size = 100;
  next.page = 1;
  next.page_token = page.next_page_token;
  ASSERT_OK_AND_ASSIGN(page, s->ListUsers(kServiceSid, next));
  for (const User& user : page.users) state[user.identity] = user;
  for (const UserEvent& e : All(*s.store, position)) {
    if (e.type == Type::kUserRemoved) {
      state.erase(e.user.identity);
    } else {
      state[e.user.identity] = e.user;
    }
  }
  ASSERT_OK_AND_ASSIGN(const uint64_t count, s->CountUsers(kServiceSid));
  EXPECT_EQ(state.size(), count);
  EXPECT_FALSE(state.contains("p15"));
  EXPECT_EQ(state["p3"].friendly_name, "changed");
  EXPECT_TRUE(state.contains("late"));
}

// The snapshot protocol under concurrent creates, deletes and updates: a
// user created just before the position is read is in the list or in the
// events after the position, never in neither.
TEST(StoreEvents, SnapshotsTakenDuringWritesMissNothing) {
  StoreOptions options;
  options.events.memory_window = 1 << 16;  // the follower may lag (no 410 here)
  TestStore s(options);
  for (int round = 0; round < 20; ++round) {
    std::atomic<bool> stop{false};
    std::atomic<int> written{0};
    std::thread writer([&] {
      for (int i = 0; !stop.load() && i < 3000; ++i, ++written) {
        const std::string identity = absl::StrCat("r", round, "-", i);
        (void)s->CreateUser(kServiceSid, Id(identity));
        if (i % 3 == 0) (void)s->DeleteUser(kServiceSid, absl::StrCat("r", round, "-", i / 2));
      }
    });
    while (written.load() < 20) std::this_thread::yield();
    ASSERT_OK_AND_ASSIGN(const uint64_t position, s->EventPosition(kServiceSid));
    std::map<std::string, User> state;  // by SID
    PageRequest request;
    request.page_size = 20;
    for (;;) {
      ASSERT_OK_AND_ASSIGN(const Page page, s->ListUsers(kServiceSid, request));
      for (const User& u : page.users) state[u.sid] = u;
      if (page.next_page_token.empty()) break;
      request.page_token = page.next_page_token;
      ++request.page;
    }
    stop = true;
    writer.join();
    for (const UserEvent& e : All(*s.store, position)) {
      if (e.type == Type::kUserRemoved) {
        state.erase(e.user.sid);
      } else {
        state[e.user.sid] = e.user;
      }
    }
    ASSERT_OK_AND_ASSIGN(const uint64_t count, s->CountUsers(kServiceSid));
    ASSERT_EQ(state.size(), count) << "round " << round;
    for (const auto& [sid, user] : state) {
      ASSERT_TRUE(s->UserExists(kServiceSid, sid).value()) << sid;
    }
  }
}

}  // namespace
}  // namespace userstore
