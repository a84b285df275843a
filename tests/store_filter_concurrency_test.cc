// Filtered walks under concurrent writes (issue 18; runs under TSan in CI):
// writers create, delete, re-role and re-attribute users while readers walk
// filtered lists with page tokens. Each walk must hold no user twice, every
// "stable" user (one the writers never touch) that matches, and only users
// that matched as of their copy.
#include <atomic>
#include <functional>
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

using testing::kRoleSid;
using testing::kServiceSid;
using testing::TestStore;

constexpr char kRed[] = R"({"team":"red"})";
constexpr char kBlue[] = R"({"team":"blue"})";

TEST(StoreFilterConcurrency, WalksSeeEachMatchingUserOnceWhileWritersChangeOthers) {
  TestStore t;
  ASSERT_TRUE(t->SetIndexedAttribute(kServiceSid, "team").ok());
  absl::StatusOr<Service> service = t->FetchService(kServiceSid);
  ASSERT_TRUE(service.ok());
  const std::string default_role = service->default_service_role_sid;
  // Stable users: s-red-N (kRoleSid, red) and s-blue-N (default role, blue).
  std::set<std::string> stable_red, stable_blue;
  for (int i = 0; i < 40; ++i) {
    UserCreate c;
    c.identity = absl::StrCat("s-red-", i);
    c.role_sid = kRoleSid;
    c.attributes = kRed;
    ASSERT_TRUE(t->CreateUser(kServiceSid, c).ok());
    stable_red.insert(c.identity);
    c.identity = absl::StrCat("s-blue-", i);
    c.role_sid = default_role;
    c.attributes = kBlue;
    ASSERT_TRUE(t->CreateUser(kServiceSid, c).ok());
    stable_blue.insert(c.identity);
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; !stop.load(); ++i) {
        const std::string id = absl::StrCat("v", w, "-", i % 30);
        UserCreate c;
        c.identity = id;
        c.attributes = i % 2 ? kRed : kBlue;
        c.role_sid = i % 3 ? kRoleSid : default_role;
        (void)t->CreateUser(kServiceSid, c);
        UserUpdate u;
        u.role_sid = i % 2 ? default_role : kRoleSid;
        u.attributes = i % 3 ? kBlue : kRed;
        (void)t->UpdateUser(kServiceSid, absl::StrCat("v", w, "-", (i + 7) % 30), u);
        if (i % 5 == 0)
          (void)t->DeleteUser(kServiceSid, absl::StrCat("v", w, "-", (i + 13) % 30), UserDelete{});
      }
    });
  }
  struct Case {
    UserFilter filter;
    const std::set<std::string>* stable;
    std::function<bool(const User&)> matches;
  };
  std::vector<Case> cases(3);
  cases[0].filter.role_sid = kRoleSid;
  cases[0].stable = &stable_red;
  cases[0].matches = [](const User& u) { return u.role_sid == kRoleSid; };
  cases[1].filter.attribute_key = "team";
  cases[1].filter.attribute_value = R"("blue")";
  cases[1].stable = &stable_blue;
  cases[1].matches = [](const User& u) { return u.attributes == kBlue; };
  cases[2].filter.identity_prefix = "s-red-";
  cases[2].stable = &stable_red;
  cases[2].matches = [](const User& u) { return u.identity.rfind("s-red-", 0) == 0; };
  std::atomic<int> walks{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      const absl::Time end = absl::Now() + absl::Seconds(2);
      for (int n = 0; absl::Now() < end; ++n) {
        const Case& c = cases[static_cast<size_t>(n + r) % cases.size()];
        PageRequest req;
        req.filter = c.filter;
        req.page_size = 1 + n % 7;
        std::set<std::string> seen;      // SIDs: a re-created identity is another user
        std::set<std::string> seen_ids;  // identities, for the stable users
        for (int page = 0; page < 10000; ++page) {
          absl::StatusOr<Page> p = t->ListUsers(kServiceSid, req);
          ASSERT_TRUE(p.ok()) << p.status();
          for (const User& u : p->users) {
            EXPECT_TRUE(seen.insert(u.sid).second) << "twice: " << u.identity;
            seen_ids.insert(u.identity);
            EXPECT_TRUE(c.matches(u)) << u.identity << " " << u.role_sid << " " << u.attributes;
          }
          if (p->next_page_token.empty()) break;
          req.page = p->page + 1;
          req.page_token = p->next_page_token;
        }
        for (const std::string& id : *c.stable)
          EXPECT_TRUE(seen_ids.contains(id)) << "missed " << id;
        walks.fetch_add(1);
      }
    });
  }
  for (std::thread& th : readers) th.join();
  stop.store(true);
  for (std::thread& th : writers) th.join();
  EXPECT_GT(walks.load(), 3);
}

// A bulk write (UpsertUsers) holds the filter index with the others: a
// filtered count or page taken meanwhile sees none or all of its rows.
TEST(StoreFilterConcurrency, FilteredReadsSeeABatchWhollyOrNotAtAll) {
  TestStore t;
  ASSERT_TRUE(t->SetIndexedAttribute(kServiceSid, "team").ok());
  constexpr int kRounds = 30;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int round = 0; round < kRounds; ++round) {
      std::vector<UserUpsert> rows;
      for (size_t i = 0; i < kMaxUpsertRows; ++i) {
        UserUpsert row;
        row.identity = absl::StrCat("b", round, "-", i);
        row.role_sid = kRoleSid;
        row.attributes = kRed;
        rows.push_back(std::move(row));
      }
      absl::StatusOr<std::vector<UpsertResult>> out = t->UpsertUsers(kServiceSid, rows);
      ASSERT_TRUE(out.ok()) << out.status();
    }
    done.store(true);
  });
  UserFilter by_role;
  by_role.role_sid = kRoleSid;
  UserFilter by_team;
  by_team.attribute_key = "team";
  by_team.attribute_value = "\"red\"";
  int reads = 0;
  while (!done.load() || reads < 10) {
    for (const UserFilter* f : {&by_role, &by_team}) {
      absl::StatusOr<uint64_t> count = t->CountUsers(kServiceSid, *f);
      ASSERT_TRUE(count.ok()) << count.status();
      EXPECT_EQ(*count % kMaxUpsertRows, 0u) << "a count saw part of a batch: " << *count;
      PageRequest request;
      request.page_size = 100;
      request.filter = *f;
      absl::StatusOr<Page> page = t->ListUsers(kServiceSid, request);
      ASSERT_TRUE(page.ok()) << page.status();
      // The first page is full, or holds every user there is: a multiple
      // of the batch size.
      EXPECT_EQ(page->users.size() % kMaxUpsertRows, 0u)
          << "a page saw part of a batch: " << page->users.size();
    }
    ++reads;
  }
  writer.join();
  absl::StatusOr<uint64_t> total = t->CountUsers(kServiceSid, by_role);
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(*total, uint64_t{kRounds} * kMaxUpsertRows);
}

}  // namespace
}  // namespace userstore
