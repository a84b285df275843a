#include "store/event_feed.h"

#include <algorithm>
#include <string>

#include "common/twilio_errors.h"
#include "store/feed_errors.h"
#include "userstore/error.h"

namespace userstore::internal {

void CopyEventMeta(const FeedEvent& kept, UserEvent* event) {
  event->type = kept.meta.type;
  event->sequence = kept.sequence;
  event->time = absl::FromUnixMicros(kept.meta.time_micros);
  event->changed = kept.meta.changed;
  event->webhook_enabled = kept.meta.webhook_enabled;
  event->origin = kept.meta.origin;
}

void EventFeed::Fill(const EventMeta& meta, const UserRecord& user, Slot* slot) {
  slot->meta = meta;
  slot->sid = user.sid;
  slot->role_sid = user.role_sid;
  slot->date_created = user.date_created;
  slot->date_updated = user.date_updated;
  slot->joined_channels_count = user.joined_channels_count;
  slot->revision = user.revision;
  slot->online = user.online;
  slot->notifiable = user.notifiable;
  const std::string_view identity = user.identity();
  const std::string_view attributes = user.attributes();
  const std::optional<std::string_view> friendly_name = user.friendly_name();
  slot->has_friendly_name = friendly_name.has_value();
  // Sizes are bounded by the record's (16-bit text sizes, attributes by
  // Limits::max_attributes_bytes, far below 4 GiB).
  slot->identity_size = static_cast<uint32_t>(identity.size());
  slot->attributes_size = static_cast<uint32_t>(attributes.size());
  slot->text.assign(identity);
  slot->text.append(attributes);
  if (friendly_name) slot->text.append(*friendly_name);
}

EventFeed::Slot& EventFeed::NextSlot() {
  const uint64_t sequence = last_ + 1;
  if (next_index_ == slots_.size()) slots_.emplace_back();  // may throw: nothing changed yet
  // From here the slot's old event (sequence - window) is being
  // overwritten: it counts as dropped even if a copy into it throws (the
  // next attempt at `sequence` reuses the slot: next_index_ moves only in
  // Advance).
  if (sequence - base_ >= window_) floor_ = std::max(floor_, sequence - window_ + 1);
  return slots_[next_index_];
}

void EventFeed::Advance() {
  next_index_ = next_index_ + 1 == window_ ? 0 : next_index_ + 1;
  ++last_;  // published only once the slot is whole
}

uint64_t EventFeed::Append(const EventMeta& meta, const UserRecord& user) {
  WriterLock lock(&mu_);
  Fill(meta, user, &NextSlot());
  Advance();
  reserved_ = last_;
  return last_;
}

uint64_t EventFeed::Reserve(uint64_t count) {
  WriterLock lock(&mu_);
  const uint64_t first = reserved_ + 1;
  reserved_ += count;
  return first;
}

void EventFeed::Publish(uint64_t sequence, const EventMeta& meta, const UserRecord& user) {
  WriterLock lock(&mu_);
  // After a failed sequence the feed stops before it: that one and later
  // ones are on disk only (until the reopen); earlier ones still publish.
  if (abandoned_at_ != 0 && sequence >= abandoned_at_) return;
  if (sequence != last_ + 1) {
    Slot ahead;  // filled whole before it is kept: a throw keeps nothing
    Fill(meta, user, &ahead);
    ahead_.insert_or_assign(sequence, std::move(ahead));
    return;
  }
  Fill(meta, user, &NextSlot());
  Advance();
  for (auto it = ahead_.find(last_ + 1); it != ahead_.end(); it = ahead_.find(last_ + 1)) {
    std::swap(NextSlot(), it->second);  // buffers keep their capacity
    Advance();
    ahead_.erase(it);
  }
}

void EventFeed::Abandon(uint64_t sequence) {
  WriterLock lock(&mu_);
  if (abandoned_at_ == 0 || sequence < abandoned_at_) abandoned_at_ = sequence;
  for (auto it = ahead_.begin(); it != ahead_.end();) {
    if (it->first >= abandoned_at_) {
      ahead_.erase(it++);  // flat_hash_map's documented erase-while-iterating
    } else {
      ++it;
    }
  }
}

void EventFeed::Restore(uint64_t first_on_disk, uint64_t last, uint64_t checkpoint) {
  WriterLock lock(&mu_);
  base_ = floor_ = last + 1;
  last_ = reserved_ = last;
  slots_.clear();
  next_index_ = 0;
  first_on_disk_.store(first_on_disk, std::memory_order_release);
  checkpoint_.store(checkpoint, std::memory_order_release);
}

uint64_t EventFeed::FirstInMemory() const {
  const uint64_t held = std::min<uint64_t>(last_ + 1 - base_, slots_.size());
  return std::max(floor_, last_ + 1 - held);
}

uint64_t EventFeed::first_in_memory() const {
  ReaderLock lock(&mu_);
  return FirstInMemory();
}

uint64_t EventFeed::last() const {
  ReaderLock lock(&mu_);
  return last_;
}

absl::Status EventFeed::Read(uint64_t after, size_t max,
                             absl::FunctionRef<void(const FeedEvent&)> visit) const {
  ReaderLock lock(&mu_);
  if (after > last_) {
    return FeedBeyond(after, last_);
  }
  const uint64_t first = FirstInMemory();
  if (after + 1 < first) {
    return TwilioError(absl::StatusCode::kOutOfRange, 410, twilio_code::kEventsDropped,
                       "The events after position " + std::to_string(after) +
                           " were dropped (the feed keeps events " + std::to_string(first) +
                           " to " + std::to_string(last_) +
                           "): read a snapshot (the position, then a full list) and go on from it");
  }
  FeedEvent event;
  size_t index = static_cast<size_t>((after + 1 - base_) % window_);
  for (uint64_t sequence = after + 1; sequence <= last_ && max > 0; ++sequence, --max) {
    const Slot& slot = slots_[index];
    if (++index == window_) index = 0;
    event.sequence = sequence;
    event.meta = slot.meta;
    event.user.sid = slot.sid;
    event.user.role_sid = slot.role_sid;
    const std::string_view text = slot.text;
    event.user.identity = text.substr(0, slot.identity_size);
    event.user.attributes = text.substr(slot.identity_size, slot.attributes_size);
    event.user.friendly_name.reset();
    if (slot.has_friendly_name) {
      event.user.friendly_name = text.substr(slot.identity_size + slot.attributes_size);
    }
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
