// Keyset paging (behaviour.md §5) through the C++ API.
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/test_store.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::kServiceSid;
using testing::TestStore;

void CreateN(TestStore& t, int n, int first = 0) {
  for (int i = first; i < first + n; ++i) {
    UserCreate c;
    c.identity = "user" + std::to_string(i);
    ASSERT_TRUE(t->CreateUser(kServiceSid, c).ok());
  }
}

std::vector<std::string> Identities(const Page& p) {
  std::vector<std::string> out;
  for (const User& u : p.users) out.push_back(u.identity);
  return out;
}

// A host may allow pages of any size: a request for the largest one costs
// what the Service holds, not what the page size would allow (the page
// buffers are sized by the users present).
TEST(StorePaging, HugeMaximumPageSizeAllocatesForTheUsersPresent) {
  StoreOptions options;
  options.limits.max_page_size = std::numeric_limits<int64_t>::max();
  TestStore t(options);
  CreateN(t, 3);
  PageRequest r;
  r.page_size = std::numeric_limits<int64_t>::max();
  absl::StatusOr<Page> p = t->ListUsers(kServiceSid, r);
  ASSERT_OK(p);
  EXPECT_EQ(p->page_size, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Identities(*p), (std::vector<std::string>{"user0", "user1", "user2"}));
  EXPECT_EQ(p->next_page_token, "");
}

TEST(StorePaging, DefaultAndClampedPageSizes) {
  TestStore t;
  CreateN(t, 120);
  absl::StatusOr<Page> p = t->ListUsers(kServiceSid, {});
  ASSERT_OK(p);
  EXPECT_EQ(p->page_size, 50);
  EXPECT_EQ(p->users.size(), 50u);
  PageRequest r;
  r.page_size = 1000;
  p = t->ListUsers(kServiceSid, r);
  ASSERT_OK(p);
  EXPECT_EQ(p->page_size, 100);
  EXPECT_EQ(p->users.size(), 100u);
  r.page_size = -1;
  EXPECT_TWILIO_ERROR(t->ListUsers(kServiceSid, r), 400, 20001);
}

TEST(StorePaging, WalkInCreationOrderWithLookAhead) {
  TestStore t;
  CreateN(t, 10);
  PageRequest r;
  r.page_size = 5;
  absl::StatusOr<Page> p1 = t->ListUsers(kServiceSid, r);
  ASSERT_OK(p1);
  EXPECT_EQ(Identities(*p1),
            (std::vector<std::string>{"user0", "user1", "user2", "user3", "user4"}));
  EXPECT_TRUE(p1->previous_page_token.empty());
  ASSERT_FALSE(p1->next_page_token.empty());
  r.page = 1;
  r.page_token = p1->next_page_token;
  absl::StatusOr<Page> p2 = t->ListUsers(kServiceSid, r);
  ASSERT_OK(p2);
  EXPECT_EQ(p2->users.front().identity, "user5");
  EXPECT_EQ(p2->users.back().identity, "user9");
  // Exactly full last page: no next token.
  EXPECT_TRUE(p2->next_page_token.empty());
  ASSERT_FALSE(p2->previous_page_token.empty());
  // Going back returns the first page again.
  r.page_token = p2->previous_page_token;
  absl::StatusOr<Page> back = t->ListUsers(kServiceSid, r);
  ASSERT_OK(back);
  EXPECT_EQ(Identities(*back), Identities(*p1));
  EXPECT_FALSE(back->next_page_token.empty());
}

TEST(StorePaging, PageRulesAndTokenErrors) {
  TestStore t;
  CreateN(t, 3);
  PageRequest r;
  r.page = 1;
  EXPECT_TWILIO_ERROR(t->ListUsers(kServiceSid, r), 400, 20001);
  r.page = -1;
  EXPECT_TWILIO_ERROR(t->ListUsers(kServiceSid, r), 400, 20001);
  r.page = 1;
  r.page_token = "garbage";
  EXPECT_TWILIO_ERROR(t->ListUsers(kServiceSid, r), 400, 20001);

  r = {};
  r.page_size = 1;
  absl::StatusOr<Page> p = t->ListUsers(kServiceSid, r);
  ASSERT_OK(p);
  std::string token = p->next_page_token;
  // A token is bound to its Service.
  ServiceCreate other;
  other.sid = "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  ASSERT_OK(t->CreateService(other));
  r.page_token = token;
  EXPECT_TWILIO_ERROR(t->ListUsers(other.sid, r), 400, 20001);
  // Any one-character change is detected.
  std::string altered = token;
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  r.page_token = altered;
  EXPECT_TWILIO_ERROR(t->ListUsers(kServiceSid, r), 400, 20001);
}

TEST(StorePaging, TokenSurvivesDeletionOfItsUser) {
  TestStore t;
  CreateN(t, 6);
  PageRequest r;
  r.page_size = 3;
  absl::StatusOr<Page> p1 = t->ListUsers(kServiceSid, r);
  ASSERT_OK(p1);
  ASSERT_OK(t->DeleteUser(kServiceSid, "user2"));  // the token's own position
  ASSERT_OK(t->DeleteUser(kServiceSid, "user3"));  // the first of the next page
  r.page = 1;
  r.page_token = p1->next_page_token;
  absl::StatusOr<Page> p2 = t->ListUsers(kServiceSid, r);
  ASSERT_OK(p2);
  EXPECT_EQ(Identities(*p2), (std::vector<std::string>{"user4", "user5"}));
}

// A link names a page only when a user is there: previous looks one user
// behind as next looks one ahead, so no link leads to an empty page (or back
// to the same one) in either direction.
TEST(StorePaging, EmptyBackwardPageHasNoPreviousToken) {
  TestStore t;
  CreateN(t, 3);  // user0, user1, user2
  PageRequest r;
  r.page_size = 1;
  std::string previous;
  for (int page = 0; page < 3; ++page) {
    absl::StatusOr<Page> p = t->ListUsers(kServiceSid, r);
    ASSERT_OK(p);
    ASSERT_EQ(Identities(*p), (std::vector<std::string>{"user" + std::to_string(page)}));
    previous = p->previous_page_token;
    r.page = page + 1;
    r.page_token = p->next_page_token;
  }
  ASSERT_FALSE(previous.empty());  // page 2 (user2) links back
  ASSERT_OK(t->DeleteUser(kServiceSid, "user0"));
  ASSERT_OK(t->DeleteUser(kServiceSid, "user1"));
  r.page = 1;
  r.page_token = previous;
  absl::StatusOr<Page> back = t->ListUsers(kServiceSid, r);
  ASSERT_OK(back);
  EXPECT_TRUE(back->users.empty());
  EXPECT_EQ(back->previous_page_token, "");     // was `previous` itself: a loop
  ASSERT_FALSE(back->next_page_token.empty());  // user2 is still ahead
  r.page = 2;
  r.page_token = back->next_page_token;
  absl::StatusOr<Page> ahead = t->ListUsers(kServiceSid, r);
  ASSERT_OK(ahead);
  EXPECT_EQ(Identities(*ahead), (std::vector<std::string>{"user2"}));
  EXPECT_EQ(ahead->previous_page_token, "");  // nothing precedes user2 now
  EXPECT_EQ(ahead->next_page_token, "");
}

TEST(StorePaging, BackwardPageLinksPreviousOnlyWhenAUserPrecedes) {
  TestStore t;
  CreateN(t, 4);  // user0..user3
  PageRequest r;
  r.page_size = 2;
  absl::StatusOr<Page> p0 = t->ListUsers(kServiceSid, r);
  ASSERT_OK(p0);
  r.page = 1;
  r.page_token = p0->next_page_token;
  absl::StatusOr<Page> p1 = t->ListUsers(kServiceSid, r);  // user2, user3
  ASSERT_OK(p1);
  ASSERT_FALSE(p1->previous_page_token.empty());
  r.page_token = p1->previous_page_token;
  r.page = 1;  // any index > 0 asks for the previous link too
  absl::StatusOr<Page> back = t->ListUsers(kServiceSid, r);  // user0, user1
  ASSERT_OK(back);
  EXPECT_EQ(Identities(*back), (std::vector<std::string>{"user0", "user1"}));
  EXPECT_EQ(back->previous_page_token, "");  // exactly full: nothing before
  ASSERT_OK(t->DeleteUser(kServiceSid, "user0"));
  back = t->ListUsers(kServiceSid, r);
  ASSERT_OK(back);
  EXPECT_EQ(Identities(*back), (std::vector<std::string>{"user1"}));
  EXPECT_EQ(back->previous_page_token, "");
  EXPECT_FALSE(back->next_page_token.empty());
}

TEST(StorePaging, EmptyForwardPageLinksBackOnlyToUsers) {
  TestStore t;
  CreateN(t, 3);
  PageRequest r;
  r.page_size = 1;
  absl::StatusOr<Page> p = t->ListUsers(kServiceSid, r);
  ASSERT_OK(p);
  r.page = 1;
  r.page_token = p->next_page_token;  // after user0
  ASSERT_OK(t->DeleteUser(kServiceSid, "user1"));
  ASSERT_OK(t->DeleteUser(kServiceSid, "user2"));
  absl::StatusOr<Page> empty = t->ListUsers(kServiceSid, r);
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->users.empty());
  EXPECT_EQ(empty->next_page_token, "");
  ASSERT_FALSE(empty->previous_page_token.empty());  // user0 is behind
  PageRequest back = r;
  back.page_token = empty->previous_page_token;
  absl::StatusOr<Page> p0 = t->ListUsers(kServiceSid, back);
  ASSERT_OK(p0);
  EXPECT_EQ(Identities(*p0), (std::vector<std::string>{"user0"}));
  ASSERT_OK(t->DeleteUser(kServiceSid, "user0"));
  empty = t->ListUsers(kServiceSid, r);
  ASSERT_OK(empty);
  EXPECT_EQ(empty->previous_page_token, "");  // nobody behind any more
  EXPECT_EQ(empty->next_page_token, "");
}

TEST(StorePaging, WalkSeesSurvivorsExactlyOnceUnderChurn) {
  TestStore t;
  CreateN(t, 200);
  std::multiset<std::string> seen;
  PageRequest r;
  r.page_size = 7;
  int step = 0;
  for (;;) {
    absl::StatusOr<Page> p = t->ListUsers(kServiceSid, r);
    ASSERT_OK(p);
    for (const User& u : p->users) seen.insert(u.identity);
    // Churn between pages: delete a multiple of 5, add a new user.
    ASSERT_OK(t->DeleteUser(kServiceSid, "user" + std::to_string(step * 5)));
    CreateN(t, 1, 1000 + step);
    ++step;
    if (p->next_page_token.empty()) break;
    r.page_token = p->next_page_token;
    ++r.page;
  }
  for (int i = 0; i < 200; ++i) {
    const std::string id = "user" + std::to_string(i);
    const bool deleted = i % 5 == 0 && i / 5 < step;
    if (!deleted) {
      EXPECT_EQ(seen.count(id), 1u) << id;
    }
    EXPECT_LE(seen.count(id), 1u) << id;
  }
}

// Page is echoed and incremented (the next index): the largest index served
// is kMaxPageIndex = 2^63 - 2, and that page names no next page, so every
// index the Store hands out is one it serves.
TEST(StorePaging, PageIndexLimit) {
  TestStore t;
  CreateN(t, 3);
  PageRequest r;
  r.page_size = 1;
  absl::StatusOr<Page> p0 = t->ListUsers(kServiceSid, r);
  ASSERT_OK(p0);
  ASSERT_FALSE(p0->next_page_token.empty());
  r.page_token = p0->next_page_token;
  r.page = std::numeric_limits<int64_t>::max();
  absl::StatusOr<Page> too_far = t->ListUsers(kServiceSid, r);
  EXPECT_TWILIO_ERROR(too_far, 400, 20001);
  EXPECT_EQ(too_far.status().message(), "Page must be at most 9223372036854775806");
  r.page = 9223372036854775806;  // kMaxPageIndex
  absl::StatusOr<Page> last = t->ListUsers(kServiceSid, r);
  ASSERT_OK(last);
  EXPECT_EQ(last->page, 9223372036854775806);
  EXPECT_EQ(Identities(*last), (std::vector<std::string>{"user1"}));
  EXPECT_EQ(last->next_page_token, "");  // user2 follows, but no index does
  EXPECT_FALSE(last->previous_page_token.empty());
  r.page = 9223372036854775805;
  absl::StatusOr<Page> before_last = t->ListUsers(kServiceSid, r);
  ASSERT_OK(before_last);
  EXPECT_FALSE(before_last->next_page_token.empty());
}

TEST(StorePaging, EmptyServiceHasOneEmptyPage) {
  TestStore t;
  absl::StatusOr<Page> p = t->ListUsers(kServiceSid, {});
  ASSERT_OK(p);
  EXPECT_TRUE(p->users.empty());
  EXPECT_TRUE(p->next_page_token.empty());
  EXPECT_TRUE(p->previous_page_token.empty());
}

}  // namespace
}  // namespace userstore
