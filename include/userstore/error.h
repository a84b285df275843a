// Twilio-style errors carried inside absl::Status.
//
// Every fallible userstore call returns absl::Status or absl::StatusOr<T>. A
// non-OK status produced by userstore carries, besides its absl::StatusCode and
// message, the Twilio error code (e.g. 50201) and the HTTP status (e.g. 409)
// that Twilio's REST API returns for the same condition. Hosts read them with
// TwilioCode() and HttpStatus(); the REST facade renders them as Twilio's error
// body (see json.h, ErrorJson). docs/errors.md tabulates every error.
//
// Thread-safety: all functions here are thread-safe (pure).
#ifndef USERSTORE_ERROR_H_
#define USERSTORE_ERROR_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "userstore/export.h"

namespace userstore {

// Twilio error codes userstore returns. Source: Twilio's error dictionary
// (https://www.twilio.com/docs/errors/<code>); docs/errors.md lists when each
// is returned.
namespace twilio_code {
inline constexpr int kInvalidParameter = 20001;         // 400 (405 for a bad method)
inline constexpr int kAuthenticationFailed = 20003;     // 401 (example HTTP host)
inline constexpr int kUpdateWithoutParameters = 20161;  // 400
inline constexpr int kForbidden = 20403;                // 403, a Store limit (max_services)
inline constexpr int kNotFound = 20404;                 // 404
inline constexpr int kConflict = 20409;                 // 409, a client write kept racing
inline constexpr int kEventsDropped = 20410;            // 410, feed position before the window
inline constexpr int kPreconditionFailed = 20412;       // 412, revision / If-Match mismatch
inline constexpr int kInternal = 20500;                 // 500, never expected
inline constexpr int kNotImplemented = 20501;           // 501, shared mode: no push Bindings yet
inline constexpr int kServiceUnavailable = 20503;       // 503, shared mode: PostgreSQL unreachable
inline constexpr int kFriendlyNameTooLong = 50003;      // 400
inline constexpr int kWebhookRejected = 50056;          // 403, a pre-event listener said no
inline constexpr int kRoleNotFound = 50100;             // 400
inline constexpr int kRoleWrongType = 50105;            // 400, channel-scope role
inline constexpr int kUserAlreadyExists = 50201;        // 409
inline constexpr int kIdentityEmpty = 50204;            // 400
inline constexpr int kIdentityIsSid = 50206;            // 400
inline constexpr int kIdentityTooLong = 50207;          // 400
inline constexpr int kAttributesTooLong = 50303;        // 400
inline constexpr int kAttributesInvalid = 50304;        // 400
}  // namespace twilio_code

// Returns a non-OK status with `code` (the absl category), the Twilio error
// `twilio_code` and the HTTP status `http_status` attached as a payload.
// REQUIRES: code != absl::StatusCode::kOk.
USERSTORE_EXPORT absl::Status TwilioError(absl::StatusCode code, int http_status, int twilio_code,
                                          std::string_view message);

// The Twilio error code carried by `status`: 0 for OK; the attached code when
// the status came from userstore; 20500 for any other non-OK status.
USERSTORE_EXPORT int TwilioCode(const absl::Status& status);

// The HTTP status for `status`: 200 for OK; the attached status when the
// status came from userstore; 500 for any other non-OK status.
USERSTORE_EXPORT int HttpStatus(const absl::Status& status);

}  // namespace userstore

#endif  // USERSTORE_ERROR_H_
