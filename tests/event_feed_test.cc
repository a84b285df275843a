// EventFeed (src/store/event_feed.h): the durable path's reserve / publish /
// abandon, and the ring's bounds.
#include "store/event_feed.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

UserRecord::Ptr Record(const std::string& identity) {
  UserRecord::Ptr r = UserRecord::Make(UserRecord::Text{identity, "{}", std::nullopt});
  return r;
}

// The identities of the events after `after`, read from the ring.
std::vector<std::string> Identities(const EventFeed& feed, uint64_t after = 0) {
  std::vector<std::string> out;
  absl::Status s = feed.Read(after, 100, [&](const FeedEvent& e) {
    out.push_back(std::to_string(e.sequence) + ":" + std::string(e.user.identity));
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

TEST(EventFeed, AnEventPublishedAheadWaitsForTheOnesBefore) {
  EventFeed feed(8);
  const uint64_t a = feed.Reserve();
  const uint64_t b = feed.Reserve();
  const uint64_t c = feed.Reserve();
  ASSERT_EQ(a, 1u);
  ASSERT_EQ(c, 3u);
  feed.Publish(c, EventMeta{}, *Record("c"));
  feed.Publish(b, EventMeta{}, *Record("b"));
  EXPECT_EQ(feed.last(), 0u);  // 1 is not there yet: nothing is readable
  EXPECT_TRUE(Identities(feed).empty());
  feed.Publish(a, EventMeta{}, *Record("a"));
  EXPECT_EQ(feed.last(), 3u);
  EXPECT_EQ(Identities(feed), (std::vector<std::string>{"1:a", "2:b", "3:c"}));
}

TEST(EventFeed, AbandonStopsTheFeedBeforeTheFailedSequenceOnly) {
  EventFeed feed(8);
  const uint64_t a = feed.Reserve();
  const uint64_t b = feed.Reserve();
  const uint64_t c = feed.Reserve();
  feed.Publish(c, EventMeta{}, *Record("c"));  // ahead of the failure: dropped
  feed.Abandon(b);                             // b's write failed
  feed.Publish(a, EventMeta{}, *Record("a"));  // committed before b: still published
  EXPECT_EQ(feed.last(), a);
  EXPECT_EQ(Identities(feed), (std::vector<std::string>{"1:a"}));
  feed.Publish(feed.Reserve(), EventMeta{}, *Record("d"));  // later writes: disk only
  EXPECT_EQ(feed.last(), a);
}

TEST(EventFeed, TheRingKeepsTheWindowAndSaysWhatWasDropped) {
  EventFeed feed(3);
  for (const char* id : {"a", "b", "c", "d", "e"}) feed.Append(EventMeta{}, *Record(id));
  EXPECT_EQ(feed.last(), 5u);
  EXPECT_EQ(feed.first_in_memory(), 3u);
  EXPECT_EQ(Identities(feed, 2), (std::vector<std::string>{"3:c", "4:d", "5:e"}));
  const absl::Status dropped = feed.Read(1, 10, [](const FeedEvent&) {});
  EXPECT_EQ(HttpStatus(dropped), 410);
  EXPECT_EQ(HttpStatus(feed.Read(6, 10, [](const FeedEvent&) {})), 400);
}

TEST(EventFeed, ARestoredFeedGoesOnFromItsLastEvent) {
  EventFeed feed(4);
  feed.Restore(/*first_on_disk=*/10, /*last=*/20, /*checkpoint=*/15);
  EXPECT_EQ(feed.last(), 20u);
  EXPECT_EQ(feed.first_in_memory(), 21u);  // nothing in memory
  EXPECT_EQ(feed.first_on_disk(), 10u);
  EXPECT_EQ(feed.checkpoint(), 15u);
  EXPECT_EQ(HttpStatus(feed.Read(19, 10, [](const FeedEvent&) {})), 410);  // on disk only
  feed.Publish(feed.Reserve(), EventMeta{}, *Record("x"));
  EXPECT_EQ(Identities(feed, 20), (std::vector<std::string>{"21:x"}));
}

}  // namespace
}  // namespace userstore::internal
