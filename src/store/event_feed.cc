#include "store/event_feed.h"

#include <algorithm>
#include <string>

#include "common/twilio_errors.h"
#include "userstore/error.h"

namespace userstore::internal {

uint64_t EventFeed::Append(const EventMeta& meta, const UserRecord& user) {
  WriterLock lock(&mu_);
  const uint64_t sequence = last_ + 1;
  const size_t index = static_cast<size_t>((sequence - 1) % window_);
  if (index == slots_.size()) slots_.emplace_back();  // may throw: nothing changed yet
  Slot& slot = slots_[index];
  // From here the slot's old event (sequence - window) is being
  // overwritten: it counts as dropped even if a copy below throws.
  if (sequence > window_) floor_ = std::max(floor_, sequence - window_ + 1);
  slot.meta = meta;
  slot.sid = user.sid;
  slot.role_sid = user.role_sid;
  slot.date_created = user.date_created;
  slot.date_updated = user.date_updated;
  slot.joined_channels_count = user.joined_channels_count;
  slot.revision = user.revision;
  slot.online = user.online;
  slot.notifiable = user.notifiable;
  slot.identity.assign(user.identity());
  slot.attributes.assign(user.attributes());
  const std::optional<std::string_view> friendly_name = user.friendly_name();
  slot.has_friendly_name = friendly_name.has_value();
  if (friendly_name) {
    slot.friendly_name.assign(*friendly_name);
  } else {
    slot.friendly_name.clear();
  }
  last_ = sequence;  // published only once the slot is whole
  return sequence;
}

uint64_t EventFeed::last() const {
  ReaderLock lock(&mu_);
  return last_;
}

absl::Status EventFeed::Read(uint64_t after, size_t max,
                             absl::FunctionRef<void(const FeedEvent&)> visit) const {
  ReaderLock lock(&mu_);
  if (after > last_) {
    return BadRequest(twilio_code::kInvalidParameter, "The feed position " + std::to_string(after) +
                                                          " is beyond the feed's last event " +
                                                          std::to_string(last_));
  }
  const uint64_t first =
      std::max(floor_, last_ - std::min<uint64_t>(last_, slots_.size()) + 1);  // oldest kept
  if (after + 1 < first) {
    return TwilioError(absl::StatusCode::kOutOfRange, 410, twilio_code::kEventsDropped,
                       "The events after position " + std::to_string(after) +
                           " were dropped (the feed keeps events " + std::to_string(first) +
                           " to " + std::to_string(last_) +
                           "): read a snapshot (the position, then a full list) and go on from it");
  }
  FeedEvent event;
  for (uint64_t sequence = after + 1; sequence <= last_ && max > 0; ++sequence, --max) {
    const Slot& slot = slots_[static_cast<size_t>((sequence - 1) % window_)];
    event.sequence = sequence;
    event.meta = slot.meta;
    event.user.sid = slot.sid;
    event.user.role_sid = slot.role_sid;
    event.user.identity = slot.identity;
    event.user.attributes = slot.attributes;
    event.user.friendly_name.reset();
    if (slot.has_friendly_name) event.user.friendly_name = slot.friendly_name;
    event.user.joined_channels_count = slot.joined_channels_count;
    event.user.date_created = slot.date_created;
    event.user.date_updated = slot.date_updated;
    event.user.revision = slot.revision;
    event.online = slot.online;
    event.notifiable = slot.notifiable;
    visit(event);
  }
  return absl::OkStatus();
}

}  // namespace userstore::internal
