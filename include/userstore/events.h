// The change feed and the pre-event veto (docs/events.md).
//
// Every committed user write (create, update, delete, presence and joined
// count changes, import) becomes a UserEvent (user.h) of its Service's feed,
// numbered 1, 2, 3, ... in commit order. Store::ReadEvents pulls them from a
// position a consumer keeps; Store::EventPosition is where a snapshot (a full
// list) starts. Pre-event listeners (Twilio's pre-event webhooks) see a
// client's create or update before it commits and may reject it.
#ifndef USERSTORE_EVENTS_H_
#define USERSTORE_EVENTS_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "userstore/user.h"

namespace userstore {

// What Store::ReadEvents returns.
struct EventPage {
  // The events after the position asked for, in feed order (sequences
  // consecutive), at most the `max` asked for.
  std::vector<UserEvent> events;
  // The position to ask for next: the last event's sequence, or the
  // position asked for when there was none.
  uint64_t next_after = 0;
};

// What a pre-event listener sees: a write proposed by a client
// (WriteOrigin::kClient), before it commits. Twilio's onUserUpdate
// pre-event (docs/events.md: Twilio has no pre-event for a user's creation;
// userstore asks for creates too, as type kUserAdded).
struct PreEvent {
  UserEvent::Type type = UserEvent::Type::kUserUpdated;  // kUserAdded or kUserUpdated
  // The user as the write would leave it. For kUserAdded: sid empty and
  // revision 0 (not minted yet, as Twilio sends no SID before a creation);
  // dates are the write's.
  User user;
  // user_field bits the write would change (kAll for kUserAdded).
  uint32_t changed = 0;
};

// A pre-event listener: OK lets the write go on; any other status rejects
// it, and the write fails with 403/50056 "Webhook disabled processing of
// command" (Twilio's code for a pre-event webhook's rejection) followed by
// the status's message, changing nothing and emitting no event. Called on
// the writing thread with no Store lock held: it may call the Store. It
// must be thread-safe (writers call it concurrently). An exception it
// throws rejects the write as an error status would.
using PreEventListener = std::function<absl::Status(const PreEvent&)>;

}  // namespace userstore

#endif  // USERSTORE_EVENTS_H_
