// Concurrency of the Store: races on one identity, lost updates, torn reads,
// paging under churn. Run under ThreadSanitizer in .ci/run.
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/test_store.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::kServiceSid;
using testing::TestStore;

constexpr int kThreads = 4;

template <typename Fn>
void RunThreads(int n, Fn fn) {
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back(fn, i);
  for (auto& th : threads) th.join();
}

TEST(StoreConcurrency, ExactlyOneCreateWinsPerIdentity) {
  TestStore t;
  constexpr int kRounds = 200;
  std::atomic<int> wins{0}, conflicts{0}, other{0};
  RunThreads(kThreads, [&](int) {
    for (int r = 0; r < kRounds; ++r) {
      UserCreate c;
      c.identity = absl::StrCat("race-", r);
      absl::StatusOr<User> u = t->CreateUser(kServiceSid, c);
      if (u.ok()) {
        ++wins;
      } else if (TwilioCode(u.status()) == 50201 && HttpStatus(u.status()) == 409) {
        ++conflicts;
      } else {
        ++other;
      }
    }
  });
  EXPECT_EQ(wins.load(), kRounds);
  EXPECT_EQ(conflicts.load(), kRounds * (kThreads - 1));
  EXPECT_EQ(other.load(), 0);
}

TEST(StoreConcurrency, GetOrCreateRacersGetTheSameUser) {
  TestStore t;
  constexpr int kRounds = 100;
  std::vector<std::vector<std::string>> sids(kThreads, std::vector<std::string>(kRounds));
  RunThreads(kThreads, [&](int th) {
    for (size_t r = 0; r < kRounds; ++r) {
      absl::StatusOr<User> u = t->GetOrCreateUser(kServiceSid, absl::StrCat("g-", r));
      ASSERT_TRUE(u.ok()) << u.status();
      sids[static_cast<size_t>(th)][r] = u->sid;
    }
  });
  for (size_t r = 0; r < kRounds; ++r) {
    for (size_t th = 1; th < kThreads; ++th) EXPECT_EQ(sids[th][r], sids[0][r]);
  }
  ASSERT_OK_AND_ASSIGN(const Page page, t->ListUsers(kServiceSid, {}));
  EXPECT_EQ(page.users.size(), 50u);
}

TEST(StoreConcurrency, NoLostUpdate) {
  TestStore t;
  UserCreate c;
  c.identity = "counter";
  ASSERT_OK(t->CreateUser(kServiceSid, c));
  constexpr int kIncrements = 500;
  RunThreads(kThreads, [&](int th) {
    for (int i = 0; i < kIncrements; ++i) {
      // Half the threads address the user by identity, half by SID.
      std::string key = "counter";
      if (th % 2 == 0) {
        ASSERT_OK_AND_ASSIGN(const User counter, t->FetchUser(kServiceSid, "counter"));
        key = counter.sid;
      }
      ASSERT_TRUE(t->AddJoinedChannels(kServiceSid, key, 1).ok());
    }
  });
  ASSERT_OK_AND_ASSIGN(const User counter, t->FetchUser(kServiceSid, "counter"));
  EXPECT_EQ(counter.joined_channels_count, kThreads * kIncrements);
}

TEST(StoreConcurrency, ReadersNeverSeeATornUser) {
  TestStore t;
  constexpr int kUsers = 8;
  for (int i = 0; i < kUsers; ++i) {
    UserCreate c;
    c.identity = absl::StrCat("u", i);
    c.attributes = R"({"v":0})";
    c.friendly_name = "v0";
    ASSERT_OK(t->CreateUser(kServiceSid, c));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, reads{0}, readers_started{0};
  std::thread writer([&] {
    while (readers_started.load() < kThreads - 1) std::this_thread::yield();
    for (int v = 1; v <= 300; ++v) {
      for (int i = 0; i < kUsers; ++i) {
        const std::string id = absl::StrCat("u", i);
        if (v % 50 == 0) {  // delete and re-create now and then
          (void)t->DeleteUser(kServiceSid, id);
          UserCreate c;
          c.identity = id;
          c.attributes = absl::StrCat(R"({"v":)", v, "}");
          c.friendly_name = absl::StrCat("v", v);
          (void)t->CreateUser(kServiceSid, c);
          continue;
        }
        UserUpdate up;
        up.attributes = absl::StrCat(R"({"v":)", v, "}");
        up.friendly_name = absl::StrCat("v", v);
        (void)t->UpdateUser(kServiceSid, id, up);
      }
    }
    stop = true;
  });
  RunThreads(kThreads - 1, [&](int th) {
    ++readers_started;
    while (!stop) {
      for (int i = 0; i < kUsers; ++i) {
        absl::StatusOr<User> u = t->FetchUser(kServiceSid, absl::StrCat("u", (i + th) % kUsers));
        if (!u.ok()) {
          EXPECT_EQ(TwilioCode(u.status()), 20404);  // between delete and re-create
          continue;
        }
        ++reads;
        const std::string expected_name =
            absl::StrCat("v", u->attributes.substr(5, u->attributes.size() - 6));
        if (u->friendly_name != expected_name) ++torn;
      }
    }
  });
  writer.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(torn.load(), 0);
}

TEST(StoreConcurrency, PagingWalksDuringInsertsAndDeletes) {
  TestStore t;
  constexpr int kStable = 300;
  for (int i = 0; i < kStable; ++i) {
    UserCreate c;
    c.identity = absl::StrCat("stable-", i);
    ASSERT_OK(t->CreateUser(kServiceSid, c));
  }
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    for (int i = 0; !stop; ++i) {
      UserCreate c;
      c.identity = absl::StrCat("churn-", i);
      (void)t->CreateUser(kServiceSid, c);
      if (i >= 3) (void)t->DeleteUser(kServiceSid, absl::StrCat("churn-", i - 3));
    }
  });
  RunThreads(kThreads - 1, [&](int) {
    for (int walk = 0; walk < 5; ++walk) {
      std::multiset<std::string> seen;
      PageRequest r;
      r.page_size = 7;
      for (;;) {
        absl::StatusOr<Page> p = t->ListUsers(kServiceSid, r);
        ASSERT_TRUE(p.ok()) << p.status();
        for (const User& u : p->users) seen.insert(u.identity);
        if (p->next_page_token.empty()) break;
        r.page_token = p->next_page_token;
        ++r.page;
      }
      for (int i = 0; i < kStable; ++i) {
        EXPECT_EQ(seen.count(absl::StrCat("stable-", i)), 1u);
      }
      for (const std::string& id : seen) EXPECT_EQ(seen.count(id), 1u) << id;
    }
  });
  stop = true;
  churn.join();
}

}  // namespace
}  // namespace userstore
