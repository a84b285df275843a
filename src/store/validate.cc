#include "store/validate.h"

#include "common/status_macros.h"
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

namespace {

// 9999-12-31T23:59:59Z: the last second Twilio's date format can write.
constexpr int64_t kLastSecond = 253402300799;

// `t` as Unix seconds when it is a whole second between 1970 and 9999.
// Errors: 400/20001 naming `field`.
absl::StatusOr<int64_t> WholeSeconds(absl::Time t, std::string_view field) {
  if (t < absl::UnixEpoch() || t > absl::FromUnixSeconds(kLastSecond)) {
    return BadRequest(twilio_code::kInvalidParameter,
                      std::string(field) + " must be between 1970-01-01 and 9999-12-31");
  }
  const int64_t seconds = absl::ToUnixSeconds(t);
  if (absl::FromUnixSeconds(seconds) != t) {
    return BadRequest(twilio_code::kInvalidParameter,
                      std::string(field) + " must be a whole number of seconds");
  }
  return seconds;
}

}  // namespace

absl::Status CheckDates(absl::Time created, absl::Time updated, std::string_view what,
                        int64_t* created_s, int64_t* updated_s) {
  USERSTORE_ASSIGN_OR_RETURN(const int64_t c,
                             WholeSeconds(created, std::string(what) + "date_created"));
  USERSTORE_ASSIGN_OR_RETURN(const int64_t u,
                             WholeSeconds(updated, std::string(what) + "date_updated"));
  if (u < c) {
    return BadRequest(twilio_code::kInvalidParameter,
                      std::string(what) + "date_updated is before date_created");
  }
  if (created_s != nullptr) *created_s = c;
  if (updated_s != nullptr) *updated_s = u;
  return absl::OkStatus();
}

}  // namespace userstore::internal
