// Push-notification Bindings of Chat v2 users, as values.
//
// A Binding is one push registration of one user (an app install's APN, GCM
// or FCM endpoint). Twilio creates them from the client SDK, never from REST
// (REST lists, fetches and deletes them); in userstore the host registers
// them (Store::RegisterBinding) when its client SDK would. A user's
// `is_notifiable` is derived from them: true when at least one Binding of the
// user exists, false when none does but one did, null before its first (and
// while the Service's reachability is disabled, and in lists), as Twilio
// defines it.
//
// Source: Twilio's Chat v2 User Binding and Binding resources
// (https://www.twilio.com/docs/chat/rest/user-binding-resource,
// https://www.twilio.com/docs/chat/rest/binding-resource) and
// twilio_chat_v2.json (twilio/twilio-oai); docs/compatibility.md,
// "Bindings", lists every behaviour beside Twilio's. Values;
// thread-compatible.
#ifndef USERSTORE_BINDING_H_
#define USERSTORE_BINDING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace userstore {

// Twilio's `binding_type` ("apn", "gcm", "fcm").
enum class BindingType : uint8_t { kApn = 0, kGcm = 1, kFcm = 2 };

struct Binding {
  std::string sid;          // "BS" + 32 lowercase hex, minted by the Store
  std::string account_sid;  // "AC" + 32 hex, the Service's
  std::string service_sid;  // "IS" + 32 hex
  std::string user_sid;     // "US" + 32 hex, the user it belongs to
  std::string identity;     // that user's identity
  BindingType binding_type = BindingType::kApn;
  // The device's push endpoint (its format depends on binding_type); with
  // binding_type it identifies the Binding within its user: registering the
  // same (user, type, endpoint) again updates this Binding.
  std::string endpoint;
  std::string credential_sid;              // "CR" + 32 hex, or "" (none)
  std::vector<std::string> message_types;  // Twilio's push types, as given
  absl::Time date_created;                 // whole seconds, UTC
  absl::Time date_updated;                 // whole seconds, UTC
};

// Parameters of Store::RegisterBinding (what Twilio's client SDK sends).
struct BindingCreate {
  BindingType binding_type = BindingType::kApn;
  std::string endpoint;        // required, 1..Limits::max_binding_endpoint_bytes
  std::string credential_sid;  // "CR" + 32 hex, or "" (none)
  // Twilio's Chat push types ("new_message", "added_to_channel",
  // "invited_to_channel", "removed_from_channel", ...), each 1..64 bytes of
  // [a-z_], at most 16; duplicates are dropped (first kept).
  std::vector<std::string> message_types;
};

// What Store::ListBindings lists and which page. The filters are Twilio's
// (ListBindingParams: BindingType, Identity; ListUserBindingParams:
// BindingType): each is a set, empty means any; an item must match one value
// of each non-empty set.
struct BindingListRequest {
  // The user whose Bindings are listed (SID or identity, as for users);
  // empty: every user of the Service (the Service-level list).
  std::string user_key;
  std::vector<BindingType> binding_types;
  // Service-level list only (with a user_key: 400/20001).
  std::vector<std::string> identities;
  // Twilio's PageSize (0: Limits::default_page_size; above
  // Limits::max_binding_page_size, 1000, clamped; < 0: 400/20001), Page and
  // PageToken, as PageRequest's (page.h). A token is bound to the Service,
  // the user (for a user's list) and the filters it was minted with: any
  // other use is 400/20001.
  int64_t page_size = 0;
  int64_t page = 0;
  std::string page_token;
};

// One page of Bindings, in creation order; fields as Page's (page.h).
struct BindingPage {
  std::vector<Binding> bindings;
  int64_t page = 0;
  int64_t page_size = 0;
  std::string page_token;
  std::string next_page_token;
  std::string previous_page_token;
};

}  // namespace userstore

#endif  // USERSTORE_BINDING_H_
