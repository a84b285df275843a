// The User resource of Twilio Programmable Chat v2, as a value.
//
// Source: https://www.twilio.com/docs/chat/rest/user-resource; where userstore
// had to choose, docs/compatibility.md and docs/design.md say what and why.
// A User returned by the Store is a snapshot: a plain value that stays valid
// and unchanged whatever other threads do afterwards. Thread-compatible.
#ifndef USERSTORE_USER_H_
#define USERSTORE_USER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"

namespace userstore {

// Where a write comes from (UserCreate::origin, UserUpdate::origin,
// UserDelete::origin), as Twilio tells its webhooks apart (docs/events.md).
enum class WriteOrigin : uint8_t {
  kServer = 0,   // the host's own call or a REST request (Twilio's "API")
  kClient = 1,   // a chat client's (SDK) action, as the host marks it: runs
                 // the pre-event listeners, and the post-event ones always
  kImport = 2,   // Store::ImportUsers
  kReplica = 3,  // a shared Store (Store::OpenShared): a change committed by
                 // any host, as its replica applied it from PostgreSQL's
                 // stream (feed events only; never fires listeners)
};

struct User {
  std::string sid;          // "US" + 32 lowercase hex, minted by the Store
  std::string account_sid;  // "AC" + 32 hex
  std::string service_sid;  // "IS" + 32 hex
  std::string role_sid;     // "RL" + 32 hex, a service-scope role
  std::string identity;     // unique in its Service, byte-exact, immutable
  // The attributes JSON text exactly as last stored; "{}" when never set.
  std::string attributes;
  // Presence, as Twilio reports it in a fetch: nullopt when the Service's
  // reachability is disabled or the user never was online / never had a push
  // registration. Always nullopt in list results.
  std::optional<bool> is_online;
  std::optional<bool> is_notifiable;
  std::optional<std::string> friendly_name;  // nullopt until set
  int64_t joined_channels_count = 0;         // >= 0, maintained by the host
  absl::Time date_created;                   // whole seconds, UTC
  absl::Time date_updated;                   // whole seconds, UTC
  // userstore's, not Twilio's (the REST facade sends it as the ETag header,
  // never in the body): an opaque number that every write of the stored
  // user (create, update, joined-count change) moves strictly upwards, and
  // never repeats within the Service, not even for a later user of the same
  // identity; durable stores keep it across restarts. Presence changes
  // (is_online, is_notifiable, connections) are host state and do not move
  // it, as they do not move date_updated. Give it back as
  // UserUpdate::if_revision / DeleteUser's `if_revision` to make a write
  // conditional (docs/api.md, "A chat server").
  uint64_t revision = 0;
};

// Parameters of a create (POST .../Users). Twilio's form names in comments.
struct UserCreate {
  std::string identity;                      // Identity (required)
  std::optional<std::string> role_sid;       // RoleSid; default: the Service's
                                             // default_service_role_sid
  std::optional<std::string> attributes;     // Attributes: a JSON object text
  std::optional<std::string> friendly_name;  // FriendlyName
  // X-Twilio-Webhook-Enabled: true. Post-event listeners fire only when set
  // (or for origin kClient).
  bool webhook_enabled = false;
  // Who asks (docs/events.md): kClient runs the pre-event listeners first.
  WriteOrigin origin = WriteOrigin::kServer;
};

// Parameters of an update (POST .../Users/{key}); an omitted field is left
// unchanged. An empty friendly_name clears it (back to null).
struct UserUpdate {
  std::optional<std::string> role_sid;       // RoleSid
  std::optional<std::string> attributes;     // Attributes: replaces the whole text
  std::optional<std::string> friendly_name;  // FriendlyName; "" clears
  bool webhook_enabled = false;              // X-Twilio-Webhook-Enabled: true
  // Who asks (docs/events.md): kClient runs the pre-event listeners first.
  WriteOrigin origin = WriteOrigin::kServer;
  // userstore's, not Twilio's. An RFC 7396 JSON merge patch applied to the
  // stored attributes under the user's lock, so concurrent patches of
  // different keys all survive: members set to null are removed, objects
  // merge recursively, untouched members keep their bytes (docs/json.md).
  // The result is checked as `attributes` is (50303, 50304, depth). Not
  // valid JSON: 400/50304. Longer than Limits::max_attributes_bytes (checked
  // before any lock): 400/50303. Given with `attributes`: 400/20001.
  std::optional<std::string> attributes_patch;
  // userstore's, not Twilio's: a precondition. Set, the update applies only
  // if the user's revision (User::revision) equals it; otherwise it fails
  // with 412/20412 (kFailedPrecondition) and changes nothing.
  std::optional<uint64_t> if_revision;
};

// Parameters of a delete (DELETE .../Users/{key}).
struct UserDelete {
  // userstore's: only if the user's revision equals it (412/20412 if not).
  std::optional<uint64_t> if_revision;
  // X-Twilio-Webhook-Enabled: true (Conversations accepts it on deletes; the
  // post-event listeners fire for the removal only when set, or for kClient).
  bool webhook_enabled = false;
  WriteOrigin origin = WriteOrigin::kServer;
};

// What Store::GetOrCreateUser returns.
struct GetOrCreateResult {
  User user;             // the user, as created or as found
  bool created = false;  // true only for the one call that created it
};

// What Store::ConnectUser, ConnectOrCreateUser and DisconnectUser return.
struct UserConnection {
  User user;                 // the user after the call
  bool created = false;      // true only for the one call that created it
  uint32_t connections = 0;  // the user's live connections after the call
};

// Bits of UserEvent::changed and PreEvent::changed: the fields a write
// changed (a write that sets a field to its current value changes nothing).
namespace user_field {
inline constexpr uint32_t kRoleSid = 1u << 0;
inline constexpr uint32_t kAttributes = 1u << 1;
inline constexpr uint32_t kFriendlyName = 1u << 2;
inline constexpr uint32_t kIsOnline = 1u << 3;
inline constexpr uint32_t kIsNotifiable = 1u << 4;
inline constexpr uint32_t kJoinedChannelsCount = 1u << 5;
// Every field: what added and removed events carry.
inline constexpr uint32_t kAll = (1u << 6) - 1;
}  // namespace user_field

// One committed change of a user: an entry of a Service's change feed
// (Store::ReadEvents) and what a post-event listener receives (Twilio's
// onUserAdded / onUserUpdated post-event webhooks, plus removals; see
// docs/events.md).
struct UserEvent {
  enum class Type { kUserAdded, kUserUpdated, kUserRemoved };
  Type type = Type::kUserAdded;
  // The user right after the write; for kUserRemoved, as it was before.
  // Presence (is_online, is_notifiable) as the Store shows it on a fetch.
  User user;
  // The event's place in its Service's feed: 1 for the first, then +1 per
  // committed write, no gaps; the feed's order is the order the writes
  // committed in (each user's events in the order of its writes).
  uint64_t sequence = 0;
  // When the write committed (StoreOptions::clock, microseconds kept).
  absl::Time time;
  // user_field bits; kAll for kUserAdded and kUserRemoved.
  uint32_t changed = 0;
  // The write's webhook_enabled and origin (imports: false, kImport).
  bool webhook_enabled = false;
  WriteOrigin origin = WriteOrigin::kServer;
};

}  // namespace userstore

#endif  // USERSTORE_USER_H_
