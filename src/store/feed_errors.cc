#include "store/feed_errors.h"

#include <string>

#include "common/twilio_errors.h"
#include "userstore/error.h"

namespace userstore::internal {

absl::Status FeedTooMany(size_t max) {
  return BadRequest(twilio_code::kInvalidParameter,
                    "At most 1000 events are read at once, not " + std::to_string(max));
}

absl::Status FeedBeyond(uint64_t after, uint64_t last) {
  return BadRequest(twilio_code::kInvalidParameter, "The feed position " + std::to_string(after) +
                                                        " is beyond the feed's last event " +
                                                        std::to_string(last));
}

absl::Status FeedTrimmed(uint64_t after, uint64_t first, uint64_t last) {
  return TwilioError(absl::StatusCode::kOutOfRange, 410, twilio_code::kEventsDropped,
                     "The events after position " + std::to_string(after) +
                         " were trimmed (the store keeps events " + std::to_string(first) + " to " +
                         std::to_string(last) +
                         "): read a snapshot (the position, then a full list) and go on from it");
}

}  // namespace userstore::internal
