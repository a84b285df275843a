// The errors of a change-feed read (Store::ReadEvents and
// StoreReader::ReadEvents), built in one place so that both say the same.
// Thread-safe (pure functions).
#ifndef USERSTORE_SRC_STORE_FEED_ERRORS_H_
#define USERSTORE_SRC_STORE_FEED_ERRORS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"

namespace userstore::internal {

// The most events one read returns, and what a `max` of 0 means.
inline constexpr size_t kMaxEventsPerRead = 1000;
inline constexpr size_t kDefaultEventsPerRead = 100;

// 400/20001: `max` is above kMaxEventsPerRead.
absl::Status FeedTooMany(size_t max);
// 400/20001: position `after` is beyond the feed's `last` event.
absl::Status FeedBeyond(uint64_t after, uint64_t last);
// 410/20410 (kOutOfRange): the events after `after` were trimmed from the
// disk (the store keeps `first`..`last`).
absl::Status FeedTrimmed(uint64_t after, uint64_t first, uint64_t last);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_FEED_ERRORS_H_
