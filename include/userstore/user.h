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
};

// Parameters of a create (POST .../Users). Twilio's form names in comments.
struct UserCreate {
  std::string identity;                      // Identity (required)
  std::optional<std::string> role_sid;       // RoleSid; default: the Service's
                                             // default_service_role_sid
  std::optional<std::string> attributes;     // Attributes: a JSON object text
  std::optional<std::string> friendly_name;  // FriendlyName
  // X-Twilio-Webhook-Enabled: true. Post-event listeners fire only when set.
  bool webhook_enabled = false;
};

// Parameters of an update (POST .../Users/{key}); an omitted field is left
// unchanged. An empty friendly_name clears it (back to null).
struct UserUpdate {
  std::optional<std::string> role_sid;       // RoleSid
  std::optional<std::string> attributes;     // Attributes: replaces the whole text
  std::optional<std::string> friendly_name;  // FriendlyName; "" clears
  bool webhook_enabled = false;              // X-Twilio-Webhook-Enabled: true
};

// What a post-event listener receives (Twilio's onUserAdded / onUserUpdated
// post-event webhooks, delivered in process).
struct UserEvent {
  enum class Type { kUserAdded, kUserUpdated };
  Type type;
  User user;  // the user as it is right after the write
};

}  // namespace userstore

#endif  // USERSTORE_USER_H_
