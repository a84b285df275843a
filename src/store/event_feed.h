// EventFeed: one Service's change feed in memory (docs/events.md).
//
// Writers append while they hold the written user's locks, after the write
// is journaled and before it is applied: appends of one user are in the
// order of its writes, and the feed's order is the order writes commit in
// (an event is in the feed before its write is visible, and a reader that
// saw a write sees its event). Sequences start at 1 and grow by 1, no gaps.
// The last `window` events are kept; older ones are dropped.
//
// Thread-safe: appends take the feed's lock exclusively (O(1)); reads take
// it shared while they copy the events out.
#ifndef USERSTORE_SRC_STORE_EVENT_FEED_H_
#define USERSTORE_SRC_STORE_EVENT_FEED_H_

#include <cstddef>
#include <cstdint>
#include <deque>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "common/mutex.h"
#include "store/user_record.h"
#include "userstore/user.h"

namespace userstore::internal {

// One event as the feed keeps it: the user as a record copy (one block).
struct FeedEntry {
  uint64_t sequence = 0;
  UserEvent::Type type = UserEvent::Type::kUserAdded;
  int64_t time_micros = 0;  // Unix microseconds
  uint32_t changed = 0;
  bool webhook_enabled = false;
  WriteOrigin origin = WriteOrigin::kServer;
  UserRecord::Ptr user;
};

class EventFeed {
 public:
  // REQUIRES: window >= 1.
  explicit EventFeed(size_t window) : window_(window) {}
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  // Gives `entry` the next sequence, appends it (dropping the oldest beyond
  // the window) and returns the sequence. O(1) amortised.
  uint64_t Append(FeedEntry entry);

  // The last sequence handed out (0 before the first). O(1).
  uint64_t last() const;

  // Calls `visit` with the entries after `after`, in order, at most `max`
  // of them, under the feed's lock held shared (`visit` must not call the
  // feed). Errors: 400/20001 `after` beyond last(); 410/20410 (kOutOfRange)
  // when the entry after `after` was dropped. O(events visited).
  absl::Status Read(uint64_t after, size_t max,
                    absl::FunctionRef<void(const FeedEntry&)> visit) const;

 private:
  const size_t window_;
  mutable SharedMutex mu_;
  // entries_[i].sequence == last_ - entries_.size() + 1 + i
  std::deque<FeedEntry> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t last_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_EVENT_FEED_H_
