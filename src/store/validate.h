// Validation of user fields against Limits (../shared/spec/behaviour.md §4).
// Pure functions; thread-safe. Each returns OK or the Twilio error named.
#ifndef USERSTORE_SRC_STORE_VALIDATE_H_
#define USERSTORE_SRC_STORE_VALIDATE_H_

#include <string_view>

#include "absl/status/status.h"
#include "userstore/options.h"

namespace userstore::internal {

// Errors, checked in this order: 400/50204 empty; 400/20001 invalid UTF-8 or
// U+0000; 400/50207 more than max_identity_chars code points; 400/50206
// shaped like a User SID (^US[0-9a-fA-F]{32}$). O(|identity|).
absl::Status ValidateIdentity(std::string_view identity, const Limits& limits);

// Errors: 400/20001 invalid UTF-8 or U+0000; 400/50003 more than
// max_friendly_name_chars code points. O(|name|).
absl::Status ValidateFriendlyName(std::string_view name, const Limits& limits);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_VALIDATE_H_
