// What userstore-http's webhooks carry: the event names, which events are
// sent, the form parameters of each, and the target URL (docs/events.md,
// "Webhooks", lists every parameter with its Twilio source).
//
// Names follow Twilio's Programmable Chat / Conversations webhooks:
// onUserUpdate (pre-event, Twilio's), onUserAdded and onUserUpdated
// (post-events, Twilio's); onUserAdd (pre-event of a client's create) and
// onUserRemoved (post-event of a removal) are userstore's, named after
// Twilio's pairs (onChannelAdd / onChannelAdded, onMemberRemove /
// onMemberRemoved). Thread-safety: pure functions, thread-safe.
#ifndef USERSTORE_EXAMPLES_HTTP_SERVER_WEBHOOK_PARAMS_H_
#define USERSTORE_EXAMPLES_HTTP_SERVER_WEBHOOK_PARAMS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "userstore/events.h"
#include "userstore/user.h"
#include "webhook_signature.h"

namespace userstore_http {

// A webhook event name; also a bit of a WebhookEventSet.
enum class WebhookEvent : uint8_t {
  kUserAdd = 0,      // "onUserAdd", pre-event of a client's create (userstore's)
  kUserUpdate = 1,   // "onUserUpdate", pre-event of a client's update (Twilio's)
  kUserAdded = 2,    // "onUserAdded", post-event (Twilio's)
  kUserUpdated = 3,  // "onUserUpdated", post-event (Twilio's)
  kUserRemoved = 4,  // "onUserRemoved", post-event (userstore's)
};

// A set of WebhookEvent: bit (1 << event).
using WebhookEventSet = uint32_t;
inline constexpr WebhookEventSet kAllWebhookEvents = (1u << 5) - 1;

// True when `set` holds `event`. O(1).
inline bool Contains(WebhookEventSet set, WebhookEvent event) {
  return (set >> static_cast<unsigned>(event)) & 1u;
}

// The event's name as sent in EventType ("onUserUpdated", ...). O(1).
std::string_view WebhookEventName(WebhookEvent event);

// The set named by a --webhook-filter value: names separated by commas
// (spaces around a name ignored), each one of the five names, exactly
// (case-sensitive, as Twilio's filters). Errors: kInvalidArgument for an
// unknown or empty name, naming it. O(|text|).
absl::StatusOr<WebhookEventSet> ParseWebhookFilter(std::string_view text);

// The post-event of a feed event's type, and the pre-event of a proposed
// write's type (kUserAdded → kUserAdd, else kUserUpdate). O(1).
WebhookEvent PostEventOf(userstore::UserEvent::Type type);
WebhookEvent PreEventOf(userstore::UserEvent::Type type);

// Whether Twilio would send a post-event webhook for this feed event
// (docs/events.md): the write had X-Twilio-Webhook-Enabled: true or came
// from a client, and is not an import nor a presence or joined-channels
// change (the Store never marks those, and this checks it again). The
// --webhook-filter is the caller's. O(1).
bool IsPostWebhookEvent(const userstore::UserEvent& event);

// The form parameters of the post-event webhook of `event`, attempt
// `retry_count` (0 for the first): EventType, AccountSid, InstanceSid,
// UserSid, Identity, RoleSid, Attributes, FriendlyName (when set),
// DateCreated, DateUpdated, IsOnline / IsNotifiable (when the event shows
// them), Source ("SDK" for a client's write, else "API"), ClientIdentity
// (a client's write: the user's identity), RetryCount, and userstore's
// X-Userstore-Sequence (the event's sequence in its Service's feed, for
// ordering and de-duplication). O(size of the user).
WebhookParams PostEventParams(const userstore::UserEvent& event, int retry_count);

// The form parameters of the pre-event webhook of `event` (a client's
// proposed create or update): as PostEventParams with EventType onUserAdd /
// onUserUpdate, Source "SDK", RetryCount 0, no X-Userstore-Sequence (there
// is none before the commit), and no UserSid for a create (not minted yet).
// O(size of the user).
WebhookParams PreEventParams(const userstore::PreEvent& event);

// A webhook URL taken apart for httplib::Client.
struct WebhookTarget {
  std::string url;         // as given: what the signature covers
  std::string origin;      // "http://host[:port]" or "https://host[:port]"
  std::string path = "/";  // path and query, "/" when the URL has none
};

// Splits `url`. Errors: kInvalidArgument when it does not start with
// "http://" or "https://" (ASCII case ignored), has no host, or holds a
// fragment ('#'), a space or a control character. O(|url|).
absl::StatusOr<WebhookTarget> ParseWebhookUrl(std::string_view url);

}  // namespace userstore_http

#endif  // USERSTORE_EXAMPLES_HTTP_SERVER_WEBHOOK_PARAMS_H_
