// EventFeed: one Service's change feed in memory (docs/events.md).
//
// Writers append while they hold the written user's locks, after the write
// is journaled and before it is applied: appends of one user are in the
// order of its writes, and the feed's order is the order writes commit in
// (an event is in the feed before its write is visible, and a reader that
// saw a write sees its event). Sequences start at 1 and grow by 1, no gaps.
// A durable Store takes the sequence before the journal write (the event is
// written in the change's batch; concurrent writers still share one fsync)
// and publishes it after: an event becomes readable once every earlier one
// is, so readers never see a gap.
// The last `window` events are kept in a ring of slots whose strings keep
// their capacity, so a full feed appends with no allocation.
//
// Thread-safe: appends take the feed's lock exclusively (O(size of the
// user)); reads take it shared while they copy the events out.
#ifndef USERSTORE_SRC_STORE_EVENT_FEED_H_
#define USERSTORE_SRC_STORE_EVENT_FEED_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "common/mutex.h"
#include "store/user_record.h"
#include "userstore/user.h"

namespace userstore::internal {

// What a write adds to the feed besides the user.
struct EventMeta {
  UserEvent::Type type = UserEvent::Type::kUserAdded;
  int64_t time_micros = 0;  // Unix microseconds
  uint32_t changed = 0;
  bool webhook_enabled = false;
  WriteOrigin origin = WriteOrigin::kServer;
};

// One kept event, as Read hands it out: `user` views the slot's strings.
struct FeedEvent {
  uint64_t sequence = 0;
  EventMeta meta;
  UserFields user;
  Presence online = Presence::kUnknown;
  Presence notifiable = Presence::kUnknown;
};

// Sets the fields of `*event` that `kept` carries besides the user: type,
// sequence, time, changed, webhook_enabled, origin. O(1).
void CopyEventMeta(const FeedEvent& kept, UserEvent* event);

class EventFeed {
 public:
  // REQUIRES: window >= 1.
  explicit EventFeed(size_t window) : window_(window) {}
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  // ---- memory mode: the sequence is taken and published at once ----
  // Appends the event of `user` (its state to show) with `meta`, dropping
  // the oldest beyond the window; returns its sequence. O(size of user).
  uint64_t Append(const EventMeta& meta, const UserRecord& user);

  // ---- durable mode: taken before the journal write, published after ----
  // Takes the next `count` (>= 1) sequences (the first is returned), not
  // readable until published. Call under the written users' locks. O(1).
  uint64_t Reserve(uint64_t count = 1);
  // Publishes reserved `sequence` (journaled with it): readable once every
  // earlier sequence is. O(size of user); an event published ahead of an
  // earlier one is held (allocated) until that one is.
  void Publish(uint64_t sequence, const EventMeta& meta, const UserRecord& user);
  // Reserved `sequence` will never be published (its journal write failed,
  // and the journal refuses writes from then on; or the write threw): the
  // feed stops before it until the Store is reopened (recovery closes the
  // hole). Earlier sequences still publish.
  void Abandon(uint64_t sequence);
  // Before any write: the disk keeps events `first_on_disk`..`last`, with no
  // hole up to the stored mark `checkpoint`; the next sequence is last + 1.
  // Nothing of them is in memory.
  void Restore(uint64_t first_on_disk, uint64_t last, uint64_t checkpoint);

  // The last readable sequence (0 before the first). O(1).
  uint64_t last() const;
  // The oldest event held in memory (last() + 1 when none). O(1).
  uint64_t first_in_memory() const;
  // The oldest event kept on disk (durable mode; trimming raises it).
  uint64_t first_on_disk() const { return first_on_disk_.load(std::memory_order_acquire); }
  void set_first_on_disk(uint64_t first) { first_on_disk_.store(first, std::memory_order_release); }
  // The checkpoint last stored (feed_trimmer.h), for the trimmer.
  uint64_t checkpoint() const { return checkpoint_.load(std::memory_order_acquire); }
  void set_checkpoint(uint64_t checkpoint) {
    checkpoint_.store(checkpoint, std::memory_order_release);
  }

  // Calls `visit` with the events after `after`, in order, at most `max` of
  // them, under the feed's lock held shared (`visit` must not call the
  // feed; the event's strings are valid during the call). Errors: 400/20001
  // `after` beyond last(); 410/20410 (kOutOfRange) when the event after
  // `after` is not in memory (dropped, or on disk only). O(events visited).
  absl::Status Read(uint64_t after, size_t max,
                    absl::FunctionRef<void(const FeedEvent&)> visit) const;

 private:
  struct Slot {
    EventMeta meta;
    SidBytes sid{};
    SidBytes role_sid{};
    int64_t date_created = 0;
    int64_t date_updated = 0;
    int64_t joined_channels_count = 0;
    uint64_t revision = 0;
    Presence online = Presence::kUnknown;
    Presence notifiable = Presence::kUnknown;
    bool has_friendly_name = false;
    // identity, attributes and friendly_name, one after the other in one
    // buffer (one allocation, its capacity kept: a ring slot's copy touches
    // few cache lines).
    uint32_t identity_size = 0;
    uint32_t attributes_size = 0;
    std::string text;
  };
  static void Fill(const EventMeta& meta, const UserRecord& user, Slot* slot);
  // The ring slot of last_ + 1, the next event (grown on the first lap; may
  // throw then, changing nothing). Marks the event it overwrites dropped.
  Slot& NextSlot() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Publishes last_ + 1, whose NextSlot() is whole. No-throw.
  void Advance() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t FirstInMemory() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const size_t window_;
  mutable SharedMutex mu_;
  // Event s is in slots_[(s - base_) % window_]; slots_ grows to window_.
  std::vector<Slot> slots_ ABSL_GUARDED_BY(mu_);
  size_t next_index_ ABSL_GUARDED_BY(mu_) = 0;  // the slot of last_ + 1 (no division)
  uint64_t base_ ABSL_GUARDED_BY(mu_) = 1;      // the first sequence held in memory
  uint64_t last_ ABSL_GUARDED_BY(mu_) = 0;      // readable: every event up to it is
  uint64_t reserved_ ABSL_GUARDED_BY(mu_) = 0;  // the last sequence taken
  // The oldest event still whole (an Append that threw while overwriting a
  // slot leaves its old event dropped).
  uint64_t floor_ ABSL_GUARDED_BY(mu_) = 1;
  // Published ahead of an earlier sequence (durable mode, concurrent writes).
  absl::flat_hash_map<uint64_t, Slot> ahead_ ABSL_GUARDED_BY(mu_);
  uint64_t abandoned_at_ ABSL_GUARDED_BY(mu_) = 0;  // the lowest failed sequence (0: none)
  std::atomic<uint64_t> first_on_disk_{1};
  std::atomic<uint64_t> checkpoint_{0};
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_EVENT_FEED_H_
