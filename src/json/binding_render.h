// Helpers shared by the Binding renderers (json.h: BindingJson,
// UserBindingJson, BindingPageJson) and the REST facade's Binding routes:
// Twilio's binding_type names and the percent-encoding of URL parts.
// Thread-safe (pure functions).
#ifndef USERSTORE_SRC_JSON_BINDING_RENDER_H_
#define USERSTORE_SRC_JSON_BINDING_RENDER_H_

#include <optional>
#include <string>
#include <string_view>

#include "userstore/binding.h"

namespace userstore::internal {

// Twilio's name of `type` ("apn", "gcm", "fcm"; twilio_chat_v2.json,
// binding_enum_binding_type). O(1).
std::string_view BindingTypeName(BindingType type);

// The type Twilio's name `name` stands for, matched exactly (lowercase, as
// the enum spells it); nullopt for any other text. O(|name|).
std::optional<BindingType> ParseBindingType(std::string_view name);

// `text` with every byte outside RFC 3986's unreserved characters
// (A-Z a-z 0-9 - . _ ~) percent-encoded (uppercase hex), so it is one path
// segment or one query value whatever it holds ("/" is %2F, "+" is %2B, a
// space %20). The facade decodes it back to `text` exactly. O(|text|).
std::string PercentEncode(std::string_view text);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_JSON_BINDING_RENDER_H_
