#include "store/validate.h"

#include "common/twilio_errors.h"
#include "common/utf8.h"
#include "sid/sid.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

// 20001 unless `text` is valid UTF-8 free of U+0000.
absl::Status CheckText(std::string_view text, std::string_view field) {
  if (!IsValidUtf8(text)) {
    return BadRequest(twilio_code::kInvalidParameter, std::string(field) + " must be valid UTF-8");
  }
  if (text.find('\0') != std::string_view::npos) {
    return BadRequest(twilio_code::kInvalidParameter,
                      std::string(field) + " must not contain U+0000");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateIdentity(std::string_view identity, const Limits& limits) {
  if (identity.empty()) {
    return BadRequest(twilio_code::kIdentityEmpty, "Identity must not be empty");
  }
  if (absl::Status s = CheckText(identity, "Identity"); !s.ok()) return s;
  if (CountCodePoints(identity) > limits.max_identity_chars) {
    return BadRequest(
        twilio_code::kIdentityTooLong,
        "Identity is longer than " + std::to_string(limits.max_identity_chars) + " characters");
  }
  if (IsSidShaped(identity, "US")) {
    return BadRequest(twilio_code::kIdentityIsSid, "Identity must not have the form of a User SID");
  }
  return absl::OkStatus();
}

absl::Status ValidateFriendlyName(std::string_view name, const Limits& limits) {
  if (absl::Status s = CheckText(name, "FriendlyName"); !s.ok()) return s;
  if (CountCodePoints(name) > limits.max_friendly_name_chars) {
    return BadRequest(twilio_code::kFriendlyNameTooLong,
                      "FriendlyName is longer than " +
                          std::to_string(limits.max_friendly_name_chars) + " characters");
  }
  return absl::OkStatus();
}

}  // namespace userstore::internal
