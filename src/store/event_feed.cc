#include "store/event_feed.h"

#include <string>
#include <utility>

#include "common/twilio_errors.h"
#include "userstore/error.h"

namespace userstore::internal {

uint64_t EventFeed::Append(FeedEntry entry) {
  UserRecord::Ptr dropped;  // freed after the lock is released
  WriterLock lock(&mu_);
  entry.sequence = ++last_;
  if (entries_.size() == window_) {
    dropped = std::move(entries_.front().user);
    entries_.pop_front();
  }
  entries_.push_back(std::move(entry));
  return last_;
}

uint64_t EventFeed::last() const {
  ReaderLock lock(&mu_);
  return last_;
}

absl::Status EventFeed::Read(uint64_t after, size_t max,
                             absl::FunctionRef<void(const FeedEntry&)> visit) const {
  ReaderLock lock(&mu_);
  if (after > last_) {
    return BadRequest(twilio_code::kInvalidParameter, "The feed position " + std::to_string(after) +
                                                          " is beyond the feed's last event " +
                                                          std::to_string(last_));
  }
  const uint64_t first = last_ - entries_.size() + 1;  // of entries_[0]
  if (after + 1 < first) {
    return TwilioError(absl::StatusCode::kOutOfRange, 410, twilio_code::kEventsDropped,
                       "The events after position " + std::to_string(after) +
                           " were dropped (the feed keeps events " + std::to_string(first) +
                           " to " + std::to_string(last_) +
                           "): read a snapshot (the position, then a full list) and go on from it");
  }
  for (uint64_t sequence = after + 1; sequence <= last_ && max > 0; ++sequence, --max) {
    visit(entries_[sequence - first]);
  }
  return absl::OkStatus();
}

}  // namespace userstore::internal
