// Post-event listeners that fail (issue 13): a listener's exception never
// turns a committed write into a failure, in the Store or through the REST
// facade; it is counted (Store::listener_failures) and handed to
// StoreOptions::listener_error. Also: listeners may call the Store, and may
// be added during traffic.
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/rest.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::kServiceSid;
using testing::TestStore;

constexpr char kUsers[] = "/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users";

// What listener_error received.
struct Reported {
  std::mutex mu;
  std::vector<std::pair<UserEvent, std::string>> calls;
  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return calls.size();
  }
};

StoreOptions Reporting(Reported* reported) {
  StoreOptions options;
  options.listener_error = [reported](const UserEvent& event, std::string_view what) {
    std::lock_guard<std::mutex> lock(reported->mu);
    reported->calls.emplace_back(event, std::string(what));
  };
  return options;
}

UserCreate Hooked(std::string identity) {
  UserCreate c;
  c.identity = std::move(identity);
  c.webhook_enabled = true;
  return c;
}

TEST(ThrowingListenerTest, WritesAreAcknowledgedCountedAndReported) {
  Reported reported;
  TestStore t(Reporting(&reported));
  int after = 0;  // a second listener still runs after the first throws
  t->AddPostEventListener([](const UserEvent&) { throw std::runtime_error("boom"); });
  t->AddPostEventListener([&](const UserEvent&) { ++after; });
  EXPECT_EQ(t->listener_failures(), 0u);

  ASSERT_OK_AND_ASSIGN(const User created, t->CreateUser(kServiceSid, Hooked("alice")));
  EXPECT_EQ(created.identity, "alice");
  ASSERT_OK_AND_ASSIGN(const User fetched, t->FetchUser(kServiceSid, "alice"));
  EXPECT_EQ(fetched.sid, created.sid);
  EXPECT_EQ(t->listener_failures(), 1u);
  EXPECT_EQ(after, 1);
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_EQ(reported.calls[0].first.type, UserEvent::Type::kUserAdded);
  EXPECT_EQ(reported.calls[0].first.user.sid, created.sid);
  EXPECT_EQ(reported.calls[0].second, "boom");

  UserUpdate u;
  u.attributes = R"({"x":1})";
  u.webhook_enabled = true;
  ASSERT_OK_AND_ASSIGN(const User updated, t->UpdateUser(kServiceSid, "alice", u));
  EXPECT_EQ(updated.attributes, R"({"x":1})");
  ASSERT_OK_AND_ASSIGN(const User refetched, t->FetchUser(kServiceSid, "alice"));
  EXPECT_EQ(refetched.attributes, R"({"x":1})");
  EXPECT_EQ(refetched.revision, updated.revision);
  EXPECT_EQ(t->listener_failures(), 2u);
  ASSERT_EQ(reported.size(), 2u);
  EXPECT_EQ(reported.calls[1].first.type, UserEvent::Type::kUserUpdated);
  EXPECT_EQ(reported.calls[1].first.user.revision, updated.revision);

  // The fill forms and the null-out forms, which fire from a private copy.
  User out;
  ASSERT_OK(t->CreateUser(kServiceSid, Hooked("bob"), &out));
  EXPECT_EQ(out.identity, "bob");
  ASSERT_OK(t->CreateUser(kServiceSid, Hooked("carol"), nullptr));
  ASSERT_OK(t->UpdateUser(kServiceSid, "carol", u, nullptr));
  ASSERT_OK(t->UpdateUser(kServiceSid, "carol", u, &out));
  EXPECT_EQ(out.identity, "carol");

  // Implicit creation, patch updates.
  ASSERT_OK_AND_ASSIGN(const GetOrCreateResult g, t->GetOrCreateUser(kServiceSid, Hooked("dan")));
  EXPECT_TRUE(g.created);
  ASSERT_OK_AND_ASSIGN(const UserConnection c, t->ConnectOrCreateUser(kServiceSid, Hooked("erin")));
  EXPECT_TRUE(c.created);
  EXPECT_EQ(c.connections, 1u);
  UserUpdate patch;
  patch.attributes_patch = R"({"y":2})";
  patch.webhook_enabled = true;
  ASSERT_OK_AND_ASSIGN(const User patched, t->UpdateUser(kServiceSid, "erin", patch));
  EXPECT_EQ(patched.attributes, R"({"y":2})");

  EXPECT_EQ(t->listener_failures(), 9u);
  EXPECT_EQ(reported.size(), 9u);
  EXPECT_EQ(after, 9);
  ASSERT_OK_AND_ASSIGN(const uint64_t users, t->CountUsers(kServiceSid));
  EXPECT_EQ(users, 5u);
}

TEST(ThrowingListenerTest, NonStandardExceptionsAndAThrowingHookAreSwallowed) {
  std::atomic<int> hook_calls{0};
  std::string what;
  StoreOptions options;
  options.listener_error = [&](const UserEvent&, std::string_view w) {
    ++hook_calls;
    what = std::string(w);
    throw std::logic_error("the hook throws too");
  };
  TestStore t(std::move(options));
  t->AddPostEventListener([](const UserEvent&) { throw 42; });
  ASSERT_OK(t->CreateUser(kServiceSid, Hooked("a")));
  EXPECT_EQ(t->listener_failures(), 1u);
  EXPECT_EQ(hook_calls.load(), 1);
  EXPECT_EQ(what, "unknown exception");
  ASSERT_OK_AND_ASSIGN(const bool exists, t->UserExists(kServiceSid, "a"));
  EXPECT_TRUE(exists);
}

TEST(ThrowingListenerTest, WithoutAHookFailuresAreOnlyCounted) {
  TestStore t;
  t->AddPostEventListener([](const UserEvent&) { throw std::runtime_error("x"); });
  ASSERT_OK(t->CreateUser(kServiceSid, Hooked("a")));
  ASSERT_OK(t->CreateUser(kServiceSid, Hooked("b")));
  EXPECT_EQ(t->listener_failures(), 2u);
  // No webhook_enabled: no listener call, nothing counted.
  UserCreate quiet;
  quiet.identity = "c";
  ASSERT_OK(t->CreateUser(kServiceSid, quiet));
  UserUpdate u;
  u.friendly_name = "C";
  ASSERT_OK(t->UpdateUser(kServiceSid, "c", u));
  EXPECT_EQ(t->listener_failures(), 2u);
  // A failed write calls no listener.
  EXPECT_TWILIO_ERROR(t->CreateUser(kServiceSid, Hooked("a")), 409,
                      twilio_code::kUserAlreadyExists);
  EXPECT_EQ(t->listener_failures(), 2u);
}

TEST(ThrowingListenerTest, TheFacadeAnswersSuccessNot500) {
  Reported reported;
  TestStore t(Reporting(&reported));
  t->AddPostEventListener([](const UserEvent&) { throw std::runtime_error("listener down"); });
  RestFacade facade(t.store.get());
  const std::vector<std::pair<std::string, std::string>> webhook = {
      {"X-Twilio-Webhook-Enabled", "true"}};
  Response created = facade.Handle({"POST", kUsers, webhook, "Identity=alice"});
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_NE(created.body.find(R"("identity":"alice")"), std::string::npos) << created.body;
  Response updated =
      facade.Handle({"POST", std::string(kUsers) + "/alice", webhook, "FriendlyName=Alice"});
  EXPECT_EQ(updated.status, 200) << updated.body;
  EXPECT_NE(updated.body.find(R"("friendly_name":"Alice")"), std::string::npos) << updated.body;
  Response fetched = facade.Handle({"GET", std::string(kUsers) + "/alice", {}, ""});
  EXPECT_EQ(fetched.status, 200) << fetched.body;
  EXPECT_NE(fetched.body.find(R"("friendly_name":"Alice")"), std::string::npos) << fetched.body;
  EXPECT_EQ(t->listener_failures(), 2u);
  ASSERT_EQ(reported.size(), 2u);
  EXPECT_EQ(reported.calls[0].second, "listener down");
}

TEST(ListenerTest, MayCallTheStore) {
  TestStore t;
  std::vector<uint64_t> seen;
  Store* store = t.store.get();
  t->AddPostEventListener([&](const UserEvent& e) {
    absl::StatusOr<User> now = store->FetchUser(kServiceSid, e.user.sid);
    ASSERT_TRUE(now.ok()) << now.status();
    seen.push_back(now->revision);
    EXPECT_EQ(now->revision, e.user.revision);
  });
  ASSERT_OK(t->CreateUser(kServiceSid, Hooked("a")));
  UserUpdate u;
  u.attributes_patch = R"({"k":1})";
  u.webhook_enabled = true;
  ASSERT_OK(t->UpdateUser(kServiceSid, "a", u));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_LT(seen[0], seen[1]);
}

// Listeners added while other threads write: every write fires at least the
// listeners added before it started, and nothing races (TSan).
TEST(ListenerTest, AddingDuringTrafficIsSafe) {
  TestStore t;
  constexpr int kWriters = 3;
  constexpr int kWrites = 200;
  constexpr int kListeners = 20;
  std::atomic<int> first_calls{0}, total_calls{0}, failures{0};
  t->AddPostEventListener([&](const UserEvent&) { ++first_calls; });
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kWrites; ++i) {
        if (!t->CreateUser(kServiceSid, Hooked(absl::StrCat("w", w, "-", i))).ok()) ++failures;
      }
    });
  }
  threads.emplace_back([&] {
    for (int l = 0; l < kListeners; ++l) {
      t->AddPostEventListener([&](const UserEvent&) { ++total_calls; });
      std::this_thread::yield();
    }
  });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(first_calls.load(), kWriters * kWrites);
  EXPECT_LE(total_calls.load(), kWriters * kWrites * kListeners);
  // After the adder finished, a write fires all of them.
  const int before = total_calls.load();
  ASSERT_OK(t->CreateUser(kServiceSid, Hooked("last")));
  EXPECT_EQ(total_calls.load() - before, kListeners);
  EXPECT_EQ(t->listener_failures(), 0u);
}

}  // namespace
}  // namespace userstore
