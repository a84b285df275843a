// Concurrency of issue 13's write forms: merge patches of one user's keys,
// revision-guarded read-modify-write, presence by connection, implicit
// creation (GetOrCreateUser, ConnectOrCreateUser). Run under ThreadSanitizer
// by scripts/test.sh with every other test. Iteration counts keep each test
// under a few seconds there (two shared cores).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::kRoleSid;
using testing::kServiceSid;
using testing::TestStore;

// Runs fn(0) .. fn(n-1) on n threads that start together (as far as a spin
// on one flag lets them) and joins them.
template <typename Fn>
void RunThreads(int n, Fn fn) {
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      fn(i);
    });
  }
  go.store(true, std::memory_order_release);
  for (auto& th : threads) th.join();
}

// Runs call(0) .. call(n-1) at once (RunThreads) and returns their values in
// thread order; an error fails the test.
template <typename T, typename Call>
std::vector<T> RaceEach(int n, Call call) {
  std::vector<T> got(static_cast<size_t>(n));
  RunThreads(n, [&](int th) {
    absl::StatusOr<T> r = call(th);
    if (!r.ok()) {
      ADD_FAILURE() << r.status();
      return;
    }
    got[static_cast<size_t>(th)] = *std::move(r);
  });
  return got;
}

// One user's key per thread, patched 1,000 times with increasing values:
// at the end each key holds its last value, and every patch got a revision
// of its own.
void MergeOwnKeys(Store& store, const std::string& service, int threads, int patches) {
  UserCreate c;
  c.identity = "merged";
  c.attributes = R"({"shared":"kept"})";
  absl::StatusOr<User> created = store.CreateUser(service, c);
  ASSERT_TRUE(created.ok()) << created.status();
  std::vector<std::vector<uint64_t>> revisions(static_cast<size_t>(threads));
  std::atomic<int> failures{0};
  RunThreads(threads, [&](int th) {
    std::vector<uint64_t>& mine = revisions[static_cast<size_t>(th)];
    mine.reserve(static_cast<size_t>(patches));
    // Half by identity, half by SID.
    const std::string key = th % 2 == 0 ? c.identity : created->sid;
    UserUpdate u;
    for (int i = 1; i <= patches; ++i) {
      u.attributes_patch = absl::StrCat(R"({"k)", th, R"(":)", i, "}");
      absl::StatusOr<User> updated = store.UpdateUser(service, key, u);
      if (!updated.ok()) {
        ++failures;
        ADD_FAILURE() << updated.status();
        return;
      }
      mine.push_back(updated->revision);
    }
  });
  EXPECT_EQ(failures.load(), 0);
  absl::StatusOr<User> final_user = store.FetchUser(service, "merged");
  ASSERT_TRUE(final_user.ok()) << final_user.status();
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  ASSERT_EQ(parser.parse(final_user->attributes).get(object), simdjson::SUCCESS);
  EXPECT_EQ(object.size(), static_cast<size_t>(threads) + 1) << final_user->attributes;
  std::string_view shared;
  EXPECT_EQ(object["shared"].get(shared), simdjson::SUCCESS);
  EXPECT_EQ(shared, "kept");
  for (int th = 0; th < threads; ++th) {
    int64_t v = -1;
    EXPECT_EQ(object[absl::StrCat("k", th)].get(v), simdjson::SUCCESS) << th;
    EXPECT_EQ(v, patches) << "key k" << th << " lost its last value";
  }
  // Each thread's revisions rise; no two patches share one; the user's is
  // the largest.
  std::set<uint64_t> all;
  for (const std::vector<uint64_t>& mine : revisions) {
    EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));
    all.insert(mine.begin(), mine.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(threads) * static_cast<size_t>(patches));
  ASSERT_FALSE(all.empty());
  EXPECT_GT(*all.begin(), created->revision);
  EXPECT_EQ(final_user->revision, *all.rbegin());
}

TEST(ChatConcurrency, SixteenThreadsMergingTheirOwnKeyLoseNothing) {
  TestStore t;
  MergeOwnKeys(*t.store, kServiceSid, 16, 1000);
}

TEST(ChatConcurrency, MergesLoseNothingInADurableStoreEither) {
  testing::TempDir dir("userstore-merge");
  DurableOptions durable;
  durable.sync = false;  // RocksDB's log without fsync: the same code path
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.Sub("store"), {}, durable);
  ASSERT_TRUE(store.ok()) << store.status();
  ServiceCreate service;
  service.sid = kServiceSid;
  ASSERT_OK((*store)->CreateService(service));
  MergeOwnKeys(**store, kServiceSid, 8, 250);
}

// fetch, parse, +1, update with if_revision: the counter ends equal to the
// successes, and every failure is the precondition error.
TEST(ChatConcurrency, RevisionGuardedIncrementsCountExactly) {
  TestStore t;
  UserCreate c;
  c.identity = "counter";
  c.attributes = R"({"counter":0,"note":"x"})";
  ASSERT_OK(t->CreateUser(kServiceSid, c));
  constexpr int kThreads = 16;
  constexpr int kAttempts = 300;
  std::atomic<int> successes{0}, preconditions{0}, other{0};
  RunThreads(kThreads, [&](int th) {
    simdjson::dom::parser parser;
    User user;
    for (int i = 0; i < kAttempts; ++i) {
      if (!t->FetchUser(kServiceSid, "counter", &user).ok()) {
        ++other;
        continue;
      }
      simdjson::dom::element doc;
      int64_t counter = -1;
      if (parser.parse(user.attributes).get(doc) != simdjson::SUCCESS ||
          doc["counter"].get(counter) != simdjson::SUCCESS) {
        ++other;
        continue;
      }
      UserUpdate u;
      u.if_revision = user.revision;
      // Half write the whole text, half a merge patch: both are guarded.
      if (th % 2 == 0) {
        u.attributes = absl::StrCat(R"({"counter":)", counter + 1, R"(,"note":"x"})");
      } else {
        u.attributes_patch = absl::StrCat(R"({"counter":)", counter + 1, "}");
      }
      absl::StatusOr<User> updated = t->UpdateUser(kServiceSid, "counter", u);
      if (updated.ok()) {
        ++successes;
        if (updated->revision <= user.revision) ++other;
      } else if (absl::IsFailedPrecondition(updated.status()) &&
                 TwilioCode(updated.status()) == twilio_code::kPreconditionFailed &&
                 HttpStatus(updated.status()) == 412) {
        ++preconditions;
      } else {
        ++other;
        ADD_FAILURE() << updated.status();
      }
    }
  });
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(successes.load() + preconditions.load(), kThreads * kAttempts);
  EXPECT_GT(successes.load(), 0);
  ASSERT_OK_AND_ASSIGN(const User final_user, t->FetchUser(kServiceSid, "counter"));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(final_user.attributes).get(doc), simdjson::SUCCESS);
  int64_t counter = -1;
  ASSERT_EQ(doc["counter"].get(counter), simdjson::SUCCESS);
  EXPECT_EQ(counter, successes.load()) << final_user.attributes;
  std::string_view note;
  EXPECT_EQ(doc["note"].get(note), simdjson::SUCCESS);
  EXPECT_EQ(note, "x");
}

// Random connects and disconnects of one identity by 8 threads, each
// disconnecting only connections it opened. At every quiescent point (all
// threads of a round joined) is_online == (count > 0) and the count is
// connects - disconnects.
TEST(ChatConcurrency, ConnectionCountsAgreeWithPresenceAtQuiescentPoints) {
  TestStore t;
  ASSERT_OK(t->SetReachabilityEnabled(kServiceSid, true));
  UserCreate c;
  c.identity = "busy";
  ASSERT_OK_AND_ASSIGN(const User user, t->CreateUser(kServiceSid, c));
  constexpr int kThreads = 8;
  constexpr int kRounds = 40;
  constexpr int kOpsPerRound = 60;
  std::vector<int> open(kThreads, 0);  // each thread's own live connections
  std::atomic<int64_t> connects{0}, disconnects{0};
  std::atomic<int> inconsistent{0};
  for (int round = 0; round < kRounds; ++round) {
    RunThreads(kThreads, [&](int th) {
      std::mt19937 rng(static_cast<uint32_t>(round * 131 + th));
      int& mine = open[static_cast<size_t>(th)];
      for (int op = 0; op < kOpsPerRound; ++op) {
        const std::string& key = rng() % 2 == 0 ? c.identity : user.sid;
        // Connect more often than disconnect in early rounds, less later,
        // so the count rises and falls through zero.
        const bool connect = mine == 0 || rng() % 100 < (round < kRounds / 2 ? 60u : 35u);
        absl::StatusOr<UserConnection> r =
            connect ? t->ConnectUser(kServiceSid, key) : t->DisconnectUser(kServiceSid, key);
        if (!r.ok()) {
          ++inconsistent;
          ADD_FAILURE() << r.status();
          return;
        }
        // Each answer is one atomic step: flag and count agree in it.
        if (r->user.is_online != (r->connections > 0) || r->created) ++inconsistent;
        if (connect) {
          ++mine;
          ++connects;
          if (r->connections < 1) ++inconsistent;
        } else {
          --mine;
          ++disconnects;
        }
      }
      // Some rounds end with every connection closed.
      if (round % 5 == 4) {
        for (; mine > 0; --mine) {
          ASSERT_OK(t->DisconnectUser(kServiceSid, c.identity));
          ++disconnects;
        }
      }
    });
    const int64_t expected = connects.load() - disconnects.load();
    int64_t sum = 0;
    for (int n : open) sum += n;
    ASSERT_EQ(expected, sum);
    ASSERT_OK_AND_ASSIGN(const User now, t->FetchUser(kServiceSid, "busy"));
    EXPECT_EQ(now.is_online.value_or(false), expected > 0) << "round " << round;
    // The count, read by one more connect and its disconnect.
    ASSERT_OK_AND_ASSIGN(const UserConnection probe, t->ConnectUser(kServiceSid, "busy"));
    EXPECT_EQ(probe.connections, static_cast<uint32_t>(expected + 1)) << "round " << round;
    ASSERT_OK_AND_ASSIGN(const UserConnection back, t->DisconnectUser(kServiceSid, "busy"));
    EXPECT_EQ(back.connections, static_cast<uint32_t>(expected)) << "round " << round;
    EXPECT_EQ(back.user.is_online, expected > 0) << "round " << round;
    // Presence never moved the revision.
    EXPECT_EQ(back.user.revision, user.revision);
  }
  EXPECT_EQ(inconsistent.load(), 0);
  // Close everything; a disconnect more stays at 0.
  for (int th = 0; th < kThreads; ++th) {
    for (int& mine = open[static_cast<size_t>(th)]; mine > 0; --mine) {
      ASSERT_OK(t->DisconnectUser(kServiceSid, "busy"));
    }
  }
  ASSERT_OK_AND_ASSIGN(const UserConnection extra, t->DisconnectUser(kServiceSid, "busy"));
  EXPECT_EQ(extra.connections, 0u);
  EXPECT_EQ(extra.user.is_online, false);
}

// Eight threads connect one absent identity with ConnectOrCreateUser, for
// many identities: one user each, exactly one created == true, and the
// eight answers are the counts 1..8 (each connect one atomic step).
TEST(ChatConcurrency, ConnectOrCreateRacersMakeOneUserWithEveryConnection) {
  TestStore t;
  ASSERT_OK(t->SetReachabilityEnabled(kServiceSid, true));
  constexpr int kThreads = 8;
  constexpr int kIdentities = 60;
  std::atomic<int> listener_calls{0};
  t->AddPostEventListener([&](const UserEvent& e) {
    if (e.type == UserEvent::Type::kUserAdded) ++listener_calls;
  });
  for (int n = 0; n < kIdentities; ++n) {
    const std::string identity = absl::StrCat("conn-", n);
    const std::vector<UserConnection> got = RaceEach<UserConnection>(kThreads, [&](int th) {
      UserCreate params;
      params.identity = identity;
      params.friendly_name = absl::StrCat("by ", th);
      params.webhook_enabled = true;
      return t->ConnectOrCreateUser(kServiceSid, params);
    });
    ASSERT_FALSE(HasFailure());
    int created = 0;
    std::vector<uint32_t> counts;
    std::string creator_name;
    for (const UserConnection& r : got) {
      EXPECT_EQ(r.user.sid, got[0].user.sid);
      EXPECT_EQ(r.user.is_online, true);
      if (r.created) {
        ++created;
        creator_name = r.user.friendly_name.value_or("");
      }
      counts.push_back(r.connections);
    }
    EXPECT_EQ(created, 1) << identity;
    std::sort(counts.begin(), counts.end());
    for (uint32_t i = 0; i < kThreads; ++i) EXPECT_EQ(counts[i], i + 1);
    // The creator's parameters, for everyone.
    for (const UserConnection& r : got) EXPECT_EQ(r.user.friendly_name, creator_name);
    ASSERT_OK_AND_ASSIGN(const UserConnection probe, t->DisconnectUser(kServiceSid, identity));
    EXPECT_EQ(probe.connections, static_cast<uint32_t>(kThreads - 1));
  }
  ASSERT_OK_AND_ASSIGN(const uint64_t users, t->CountUsers(kServiceSid));
  EXPECT_EQ(users, static_cast<uint64_t>(kIdentities));
  EXPECT_EQ(listener_calls.load(), kIdentities);  // only the creators fired
}

// N threads GetOrCreateUser one identity with different initial fields:
// exactly one is told it created the user, everyone gets the same SID, and
// the fields are the creator's.
TEST(ChatConcurrency, GetOrCreateRacersHaveExactlyOneCreator) {
  TestStore t;
  constexpr int kThreads = 8;
  constexpr int kIdentities = 60;
  for (int n = 0; n < kIdentities; ++n) {
    const std::string identity = absl::StrCat("goc-", n);
    const std::vector<GetOrCreateResult> got = RaceEach<GetOrCreateResult>(kThreads, [&](int th) {
      UserCreate params;
      params.identity = identity;
      params.friendly_name = absl::StrCat("name ", th);
      params.attributes = absl::StrCat(R"({"by":)", th, "}");
      if (th % 2 == 1) params.role_sid = kRoleSid;
      return t->GetOrCreateUser(kServiceSid, params);
    });
    ASSERT_FALSE(HasFailure());
    int creator = -1;
    int created = 0;
    for (int th = 0; th < kThreads; ++th) {
      if (got[static_cast<size_t>(th)].created) {
        creator = th;
        ++created;
      }
    }
    ASSERT_EQ(created, 1) << identity;
    const User& made = got[static_cast<size_t>(creator)].user;
    EXPECT_EQ(made.friendly_name, absl::StrCat("name ", creator));
    EXPECT_EQ(made.attributes, absl::StrCat(R"({"by":)", creator, "}"));
    if (creator % 2 == 1) {
      EXPECT_EQ(made.role_sid, kRoleSid);
    } else {
      EXPECT_NE(made.role_sid, kRoleSid);
    }
    for (const GetOrCreateResult& r : got) {
      EXPECT_EQ(r.user.sid, made.sid);
      EXPECT_EQ(r.user.friendly_name, made.friendly_name);
      EXPECT_EQ(r.user.attributes, made.attributes);
      EXPECT_EQ(r.user.role_sid, made.role_sid);
      EXPECT_EQ(r.user.revision, made.revision);
    }
  }
  ASSERT_OK_AND_ASSIGN(const uint64_t users, t->CountUsers(kServiceSid));
  EXPECT_EQ(users, static_cast<uint64_t>(kIdentities));
}

// Hosts that all call EnsureService at start: one Service, one creator.
TEST(ChatConcurrency, EnsureServiceRacersHaveExactlyOneCreator) {
  ASSERT_OK_AND_ASSIGN(auto store, Store::Create());
  constexpr int kThreads = 8;
  constexpr int kServices = 40;
  for (int n = 0; n < kServices; ++n) {
    ServiceCreate params;
    params.sid = absl::StrCat("IS", std::string(30, 'e'), absl::Hex(n, absl::kZeroPad2));
    std::vector<int> created(kThreads);  // not vector<bool>: one word per thread
    const std::vector<Service> got = RaceEach<Service>(kThreads, [&](int th) {
      bool mine = false;
      absl::StatusOr<Service> s = store->EnsureService(params, &mine);
      created[static_cast<size_t>(th)] = mine ? 1 : 0;
      return s;
    });
    ASSERT_FALSE(HasFailure());
    EXPECT_EQ(std::count(created.begin(), created.end(), 1), 1) << params.sid;
    for (const Service& s : got) {
      EXPECT_EQ(s.sid, params.sid);
      EXPECT_EQ(s.default_service_role_sid, got[0].default_service_role_sid);
    }
  }
  EXPECT_EQ(store->ListServices().size(), static_cast<size_t>(kServices));
}

}  // namespace
}  // namespace userstore
