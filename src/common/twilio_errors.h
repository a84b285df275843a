// Shorthands for the Twilio-shaped statuses the library returns most, over
// TwilioError (include/userstore/error.h). Internal: hosts build their own
// errors with TwilioError. Thread-safe (pure functions).
#ifndef USERSTORE_SRC_COMMON_TWILIO_ERRORS_H_
#define USERSTORE_SRC_COMMON_TWILIO_ERRORS_H_

#include <string_view>

#include "absl/status/status.h"

namespace userstore::internal {

// Each sets the absl code that matches the HTTP status: 400 kInvalidArgument
// with `twilio_code`; 404 kNotFound with 20404; 409 kAlreadyExists with
// `twilio_code`.
absl::Status BadRequest(int twilio_code, std::string_view message);
absl::Status NotFound(std::string_view message);
absl::Status Conflict(int twilio_code, std::string_view message);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_COMMON_TWILIO_ERRORS_H_
