// Validation of user fields against Limits (../shared/spec/behaviour.md §4).
// Pure functions; thread-safe. Each returns OK or the Twilio error named.
#ifndef USERSTORE_SRC_STORE_VALIDATE_H_
#define USERSTORE_SRC_STORE_VALIDATE_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "userstore/options.h"

namespace userstore::internal {

// Errors, checked in this order: 400/50204 empty; 400/20001 invalid UTF-8 or
// U+0000; 400/50207 more than max_identity_chars code points; 400/50206
// shaped like a User SID (^US[0-9a-fA-F]{32}$). O(|identity|).
absl::Status ValidateIdentity(std::string_view identity, const Limits& limits);

// Errors: 400/20001 invalid UTF-8 or U+0000; 400/50003 more than
// max_friendly_name_chars code points. O(|name|).
absl::Status ValidateFriendlyName(std::string_view name, const Limits& limits);

// An import's dates (users, Services, roles, push Bindings): both whole
// seconds between 1970-01-01 and 9999-12-31 (the last second Twilio's date
// format writes), and updated >= created; their Unix seconds into
// `*created_s` / `*updated_s` when given. Errors: 400/20001 naming the
// field, prefixed by `what` (e.g. "Service "). O(1).
absl::Status CheckDates(absl::Time created, absl::Time updated, std::string_view what,
                        int64_t* created_s = nullptr, int64_t* updated_s = nullptr);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_VALIDATE_H_
