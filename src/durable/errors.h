// The errors of durable/: every one is 500/20500 (the client cannot fix a
// disk), with the absl code saying what happened.
#ifndef USERSTORE_SRC_DURABLE_ERRORS_H_
#define USERSTORE_SRC_DURABLE_ERRORS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "userstore/error.h"

namespace userstore::internal::durable {

inline absl::Status Error(absl::StatusCode code, std::string_view message) {
  return TwilioError(code, 500, twilio_code::kInternal, message);
}

// kDataLoss: something stored does not decode or contradicts the rest.
inline absl::Status Corrupt(std::string_view what) {
  return Error(absl::StatusCode::kDataLoss, "userstore data is corrupt: " + std::string(what));
}

}  // namespace userstore::internal::durable

#endif  // USERSTORE_SRC_DURABLE_ERRORS_H_
