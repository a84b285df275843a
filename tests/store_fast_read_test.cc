// The fast forms of store.h: ReadUser / VisitUsers (UserView visitors),
// FetchUser / ListUsers into caller storage, CreateUser / UpdateUser into
// caller storage or nothing. Each must give exactly what the by-value form
// gives, reuse the caller's storage, and leave it alone on error.
#include <atomic>
#include <charconv>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/test_store.h"
#include "userstore/store.h"
#include "userstore/user_view.h"

namespace userstore {
namespace {

using testing::kRoleSid;
using testing::kServiceSid;
using testing::TestStore;

void ExpectSameUser(const User& a, const User& b) {
  EXPECT_EQ(a.sid, b.sid);
  EXPECT_EQ(a.account_sid, b.account_sid);
  EXPECT_EQ(a.service_sid, b.service_sid);
  EXPECT_EQ(a.role_sid, b.role_sid);
  EXPECT_EQ(a.identity, b.identity);
  EXPECT_EQ(a.attributes, b.attributes);
  EXPECT_EQ(a.is_online, b.is_online);
  EXPECT_EQ(a.is_notifiable, b.is_notifiable);
  EXPECT_EQ(a.friendly_name, b.friendly_name);
  EXPECT_EQ(a.joined_channels_count, b.joined_channels_count);
  EXPECT_EQ(a.date_created, b.date_created);
  EXPECT_EQ(a.date_updated, b.date_updated);
}

// Two users that differ in every field: "full" has a role, attributes, a
// friendly name, presence and channels; "bare" has none of them.
struct TwoUsers {
  User full;
  User bare;
};

void MakeTwoUsers(TestStore& t, TwoUsers* users) {
  ASSERT_OK(t->SetReachabilityEnabled(kServiceSid, true));
  UserCreate c;
  c.identity = "full-user-with-a-long-identity";
  c.role_sid = kRoleSid;
  c.attributes = R"({"a":"a long enough attribute text to need the heap"})";
  c.friendly_name = "A friendly name longer than fifteen bytes";
  ASSERT_OK(t->CreateUser(kServiceSid, c));
  ASSERT_OK(t->SetUserOnline(kServiceSid, c.identity, true));
  ASSERT_OK(t->AddJoinedChannels(kServiceSid, c.identity, 3));
  ASSERT_OK_AND_ASSIGN(users->full, t->FetchUser(kServiceSid, c.identity));
  t.clock->Advance(60);
  UserCreate b;
  b.identity = "bare";
  ASSERT_OK_AND_ASSIGN(users->bare, t->CreateUser(kServiceSid, b));
}

TEST(StoreFastRead, FetchIntoOverwritesEveryFieldAndReusesCapacity) {
  TestStore t;
  TwoUsers users;
  ASSERT_NO_FATAL_FAILURE(MakeTwoUsers(t, &users));
  User out;
  ASSERT_OK(t->FetchUser(kServiceSid, users.full.sid, &out));
  ExpectSameUser(out, users.full);
  EXPECT_EQ(out.is_online, true);
  const char* attributes_buffer = out.attributes.data();
  // The bare user overwrites every field, clearing the optional ones.
  ASSERT_OK(t->FetchUser(kServiceSid, "bare", &out));
  ExpectSameUser(out, users.bare);
  EXPECT_EQ(out.friendly_name, std::nullopt);
  EXPECT_EQ(out.is_online, std::nullopt);
  // The full user again fits the capacity the first fetch gave `out`.
  ASSERT_OK(t->FetchUser(kServiceSid, users.full.identity, &out));
  ExpectSameUser(out, users.full);
  EXPECT_EQ(out.attributes.data(), attributes_buffer);
}

TEST(StoreFastRead, ErrorsLeaveTheCallersUserAlone) {
  TestStore t;
  TwoUsers users;
  ASSERT_NO_FATAL_FAILURE(MakeTwoUsers(t, &users));
  User out = users.full;
  EXPECT_TWILIO_ERROR(t->FetchUser(kServiceSid, "nobody", &out), 404, 20404);
  EXPECT_TWILIO_ERROR(t->FetchUser("ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "bare", &out), 404, 20404);
  UserUpdate bad;
  bad.attributes = "[1]";
  EXPECT_TWILIO_ERROR(t->UpdateUser(kServiceSid, "bare", bad, &out), 400, 50304);
  UserCreate taken;
  taken.identity = "bare";
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, taken, &out), 409, 50201);
  ExpectSameUser(out, users.full);
}

TEST(StoreFastRead, ReadUserSeesWhatFetchReturns) {
  TestStore t;
  TwoUsers users;
  ASSERT_NO_FATAL_FAILURE(MakeTwoUsers(t, &users));
  for (const User* expected : {&users.full, &users.bare}) {
    for (const std::string& key : {expected->sid, expected->identity}) {
      int calls = 0;
      User seen;
      ASSERT_OK(t->ReadUser(kServiceSid, key, [&](const UserView& view) {
        ++calls;
        EXPECT_EQ(view.sid(), expected->sid);
        EXPECT_EQ(view.identity(), expected->identity);
        view.CopyTo(&seen);
      }));
      EXPECT_EQ(calls, 1);
      ExpectSameUser(seen, *expected);
    }
  }
  int calls = 0;
  EXPECT_TWILIO_ERROR(t->ReadUser(kServiceSid, "nobody", [&](const UserView&) { ++calls; }), 404,
                      20404);
  EXPECT_EQ(calls, 0);
}

TEST(StoreFastRead, UserViewOfAUserRoundTrips) {
  TestStore t;
  TwoUsers users;
  ASSERT_NO_FATAL_FAILURE(MakeTwoUsers(t, &users));
  for (const User* user : {&users.full, &users.bare}) {
    const UserView view(*user);
    EXPECT_EQ(view.attributes(), user->attributes);
    EXPECT_EQ(view.friendly_name().has_value(), user->friendly_name.has_value());
    ExpectSameUser(view.ToUser(), *user);
  }
}

TEST(StoreFastRead, WritesIntoCallerStorageOrNothing) {
  TestStore t;
  UserCreate c;
  c.identity = "writer";
  c.attributes = R"({"n":1})";
  User out;
  ASSERT_OK(t->CreateUser(kServiceSid, c, &out));
  ASSERT_OK_AND_ASSIGN(const User created, t->FetchUser(kServiceSid, "writer"));
  ExpectSameUser(out, created);

  c.identity = "silent";
  ASSERT_OK(t->CreateUser(kServiceSid, c, nullptr));
  ASSERT_OK(t->FetchUser(kServiceSid, "silent"));

  t.clock->Advance(5);
  UserUpdate up;
  up.attributes = R"({"n":2})";
  ASSERT_OK(t->UpdateUser(kServiceSid, "writer", up, &out));
  ASSERT_OK_AND_ASSIGN(const User updated, t->FetchUser(kServiceSid, "writer"));
  ExpectSameUser(out, updated);
  EXPECT_EQ(out.attributes, R"({"n":2})");

  up.attributes = R"({"n":3,"grown":"past the record's block, so it is replaced"})";
  ASSERT_OK(t->UpdateUser(kServiceSid, "silent", up, nullptr));
  ASSERT_OK_AND_ASSIGN(const User silent, t->FetchUser(kServiceSid, "silent"));
  EXPECT_EQ(silent.attributes, *up.attributes);
  EXPECT_EQ(silent.date_updated, created.date_created + absl::Seconds(5));
}

TEST(StoreFastRead, ListenersGetTheUserWhenTheCallerWantsNone) {
  TestStore t;
  std::vector<User> events;
  t->AddPostEventListener([&](const UserEvent& e) { events.push_back(e.user); });
  UserCreate c;
  c.identity = "heard";
  c.webhook_enabled = true;
  ASSERT_OK(t->CreateUser(kServiceSid, c, nullptr));
  UserUpdate up;
  up.friendly_name = "Heard";
  up.webhook_enabled = true;
  ASSERT_OK(t->UpdateUser(kServiceSid, "heard", up, nullptr));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].identity, "heard");
  EXPECT_EQ(events[0].friendly_name, std::nullopt);
  EXPECT_EQ(events[1].friendly_name, "Heard");
}

// Walks every page forward, then back from the last one, three ways: by
// value, into one reused Page, and visited; all must agree.
TEST(StoreFastRead, PagesIntoCallerStorageAndVisitedMatchByValue) {
  TestStore t;
  for (int i = 0; i < 23; ++i) {
    UserCreate c;
    c.identity = absl::StrCat("user-", i);
    if (i % 3 == 0) c.friendly_name = absl::StrCat("Name ", i);
    ASSERT_OK(t->CreateUser(kServiceSid, c));
  }
  ASSERT_OK(t->SetReachabilityEnabled(kServiceSid, true));
  ASSERT_OK(t->SetUserOnline(kServiceSid, "user-0", true));  // lists show no presence
  Page reused;
  Page links;
  PageRequest request;
  request.page_size = 5;
  int pages = 0;
  bool backward = false;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(const Page by_value, t->ListUsers(kServiceSid, request));
    ASSERT_OK(t->ListUsers(kServiceSid, request, &reused));
    std::vector<User> visited;
    links.users.resize(3);  // cleared by VisitUsers
    ASSERT_OK(t->VisitUsers(
        kServiceSid, request, [&](const UserView& v) { visited.push_back(v.ToUser()); }, &links));
    EXPECT_TRUE(links.users.empty());
    ASSERT_EQ(reused.users.size(), by_value.users.size());
    ASSERT_EQ(visited.size(), by_value.users.size());
    for (size_t k = 0; k < by_value.users.size(); ++k) {
      ExpectSameUser(reused.users[k], by_value.users[k]);
      ExpectSameUser(visited[k], by_value.users[k]);
      EXPECT_EQ(visited[k].is_online, std::nullopt);
    }
    for (const Page* p : {&reused, &links}) {
      EXPECT_EQ(p->page, by_value.page);
      EXPECT_EQ(p->page_size, by_value.page_size);
      EXPECT_EQ(p->page_token, by_value.page_token);
      EXPECT_EQ(p->next_page_token, by_value.next_page_token);
      EXPECT_EQ(p->previous_page_token, by_value.previous_page_token);
    }
    ++pages;
    if (!backward && by_value.next_page_token.empty()) {
      EXPECT_EQ(by_value.users.size(), 3u);  // 23 = 4 * 5 + 3
      backward = true;
    }
    const std::string& token = backward ? by_value.previous_page_token : by_value.next_page_token;
    if (token.empty()) break;
    request.page_token = token;
    request.page = backward ? request.page - 1 : request.page + 1;
  }
  EXPECT_EQ(pages, 5 + 4);  // forward 0..4, back 3..0
  EXPECT_EQ(request.page, 0);
}

TEST(StoreFastRead, PageErrorsAreTheByValueErrors) {
  TestStore t;
  Page out;
  PageRequest request;
  request.page_token = "not-a-token";
  request.page = 1;
  EXPECT_TWILIO_ERROR(t->ListUsers(kServiceSid, request, &out), 400, 20001);
  int calls = 0;
  EXPECT_TWILIO_ERROR(t->VisitUsers(
                          kServiceSid, request, [&](const UserView&) { ++calls; }, &out),
                      400, 20001);
  request = PageRequest();
  EXPECT_TWILIO_ERROR(
      t->VisitUsers(
          "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", request, [&](const UserView&) { ++calls; }, &out),
      404, 20404);
  EXPECT_EQ(calls, 0);
}

// A view is read under the user's shard lock: whatever writers do, a reader
// sees each user wholly before or wholly after a write. Writers keep
// attributes {"v":N,"pad":"..."} and friendly name "vN" in step, with sizes
// that alternate so that some updates rewrite the record in place and
// others replace it. Run under TSan in CI.
TEST(StoreFastRead, UserViewReadersNeverSeeATornRecord) {
  TestStore t;
  constexpr int kUsers = 6;
  constexpr int kReaders = 3;
  auto attributes_of = [](int v) {
    return absl::StrCat(R"({"v":)", v, R"(,"pad":")",
                        std::string(static_cast<size_t>(v % 7) * 9, 'x'), R"("})");
  };
  for (int i = 0; i < kUsers; ++i) {
    UserCreate c;
    c.identity = absl::StrCat("u", i);
    c.attributes = attributes_of(0);
    c.friendly_name = "v0";
    ASSERT_OK(t->CreateUser(kServiceSid, c));
  }
  // The version a view shows, from its attributes and from its name; -1 and
  // -2 when unreadable, so a mismatch counts.
  auto parse = [](std::string_view text, int* value) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
    return error == std::errc() && end == text.data() + text.size();
  };
  auto version = [&](const UserView& view, int* from_attributes, int* from_name) {
    const std::string_view a = view.attributes();
    const size_t comma = a.find(',');
    if (a.substr(0, 5) != R"({"v":)" || comma == std::string_view::npos ||
        !parse(a.substr(5, comma - 5), from_attributes)) {
      *from_attributes = -1;
    }
    const std::optional<std::string_view> name = view.friendly_name();
    if (!name || name->substr(0, 1) != "v" || !parse(name->substr(1), from_name)) {
      *from_name = -2;
    }
  };
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, reads{0}, started{0}, failed{0};
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    while (started.load() < kReaders) std::this_thread::yield();
    for (int v = 1; v <= 400; ++v) {
      for (int i = 0; i < kUsers; ++i) {
        UserUpdate up;
        up.attributes = attributes_of(v);
        up.friendly_name = absl::StrCat("v", v);
        if (!t->UpdateUser(kServiceSid, absl::StrCat("u", i), up, nullptr).ok()) ++failed;
      }
    }
    stop = true;
  });
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      ++started;
      PageRequest request;
      request.page_size = kUsers;
      Page links;
      while (!stop) {
        auto check = [&](const UserView& view) {
          int a = 0, n = 0;
          version(view, &a, &n);
          ++reads;
          if (a != n) ++torn;
        };
        if (r == 0) {
          if (!t->VisitUsers(kServiceSid, request, check, &links).ok()) ++failed;
        } else {
          for (int i = 0; i < kUsers; ++i) {
            if (!t->ReadUser(kServiceSid, absl::StrCat("u", (i + r) % kUsers), check).ok()) {
              ++failed;
            }
          }
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(failed.load(), 0);
}

}  // namespace
}  // namespace userstore
