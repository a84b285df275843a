// Twilio error code and HTTP status carried as an absl::Status payload.
//
// The payload lives under kTwilioPayloadUrl and holds the two numbers as ASCII
// text, "<twilio_code> <http_status>" (e.g. "50201 409"), so it survives any
// copy of the status and reads well in absl::Status::ToString(). A status
// without it (or with an unreadable one) is an internal error: 20500 / 500.
// Thread-safe: pure functions.
#include "userstore/error.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/types/optional.h"
#include "common/strings.h"
#include "common/twilio_errors.h"

namespace userstore {
namespace {

// Debian's Abseil 20220623 is built with its own absl::string_view and
// absl::optional (ABSL_OPTION_USE_STD_* = 0), not aliases of the std types,
// so std::string_view values are converted explicitly at Abseil calls.
constexpr absl::string_view kTwilioPayloadUrl = "type.googleapis.com/userstore.TwilioError";

struct CodePair {
  int twilio_code;
  int http_status;
};

// The pair attached by TwilioError, or nullopt when `status` has no readable
// payload. O(1) (the payload is a few bytes).
std::optional<CodePair> ReadPayload(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kTwilioPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  std::string text(*payload);
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::MaxSplits(' ', 1));
  CodePair pair{};
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &pair.twilio_code) ||
      !absl::SimpleAtoi(parts[1], &pair.http_status)) {
    return std::nullopt;
  }
  return pair;
}

}  // namespace

absl::Status TwilioError(absl::StatusCode code, int http_status, int twilio_code,
                         std::string_view message) {
  // An OK code would silently drop message and payload; keep the contract's
  // promise of a non-OK status instead.
  if (code == absl::StatusCode::kOk) code = absl::StatusCode::kInternal;
  absl::Status status(code, internal::ToAbsl(message));
  status.SetPayload(kTwilioPayloadUrl, absl::Cord(absl::StrCat(twilio_code, " ", http_status)));
  return status;
}

int TwilioCode(const absl::Status& status) {
  if (status.ok()) return 0;
  std::optional<CodePair> pair = ReadPayload(status);
  return pair.has_value() ? pair->twilio_code : twilio_code::kInternal;
}

int HttpStatus(const absl::Status& status) {
  if (status.ok()) return 200;
  std::optional<CodePair> pair = ReadPayload(status);
  return pair.has_value() ? pair->http_status : 500;
}

namespace internal {

absl::Status BadRequest(int twilio_code, std::string_view message) {
  return TwilioError(absl::StatusCode::kInvalidArgument, 400, twilio_code, message);
}

absl::Status NotFound(std::string_view message) {
  return TwilioError(absl::StatusCode::kNotFound, 404, twilio_code::kNotFound, message);
}

absl::Status Conflict(int twilio_code, std::string_view message) {
  return TwilioError(absl::StatusCode::kAlreadyExists, 409, twilio_code, message);
}

}  // namespace internal
}  // namespace userstore
