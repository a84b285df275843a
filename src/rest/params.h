// Request bounds and the facade's parameter extraction (headers, paging).
//
// The bounds are checked before any parsing, so a hostile request costs at
// most O(bounds) work. Every violation is 400/20001 (not 413/431: Twilio's
// API reports bad requests as 400 with a Twilio code, and a client's error
// handling keys on that; docs/rest.md). Thread-safe (pure functions).
#ifndef USERSTORE_SRC_REST_PARAMS_H_
#define USERSTORE_SRC_REST_PARAMS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rest/form.h"
#include "userstore/page.h"
#include "userstore/user.h"

namespace userstore::internal {

// Inclusive bounds: a request exactly at a bound is served.
inline constexpr size_t kMaxTargetBytes = 8 * 1024;  // method's target
inline constexpr size_t kMaxBodyBytes = 64 * 1024;   // raw body
inline constexpr size_t kMaxParams = 64;             // per query / per body
inline constexpr size_t kMaxHeaders = 100;           // header lines

// The prefix of userstore's extension parameters (FacadeOptions::
// enable_extensions), and their names. Twilio's parameter names are
// PascalCase letters, so none can start with "X-".
inline constexpr std::string_view kExtensionPrefix = "X-Userstore-";
inline constexpr std::string_view kAttributesPatchParam = "X-Userstore-AttributesPatch";
// The one extension that is a header, as it applies to deletes too (which
// have no body): who asks for the write (docs/rest.md, "Extensions").
inline constexpr std::string_view kOriginHeader = "X-Userstore-Origin";

// Checks the target size, body size and header count (in that order).
// `max_body_bytes` is kMaxBodyBytes but for a batch upsert
// (user_extensions.h, BodyLimit).
// Errors: 400/20001 naming the bound exceeded. O(1).
absl::Status CheckRequestBounds(std::string_view target, size_t body_bytes, size_t header_count,
                                size_t max_body_bytes = kMaxBodyBytes);

// The value of the first header whose name equals `name` ASCII
// case-insensitively, without leading and trailing optional whitespace (SP
// and HTAB, RFC 9110 §5.5: not part of the field value; other bytes are
// kept); nullopt when absent. Every header the facade reads goes through
// here. O(number of headers + |value|).
std::optional<std::string_view> FindHeader(
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view name);

// X-Twilio-Webhook-Enabled: absent → false; "true" / "false" (ASCII case
// ignored, SP / HTAB around it ignored) → true / false. The first occurrence
// counts.
// Errors: 400/20001 any other value. O(number of headers).
absl::StatusOr<bool> WebhookEnabled(
    const std::vector<std::pair<std::string, std::string>>& headers);

// X-Userstore-Origin (read only with FacadeOptions::enable_extensions):
// absent or "server" → WriteOrigin::kServer; "client" → kClient (a chat
// client's action: pre-event listeners judge it, post-event listeners always
// see it). ASCII case ignored, SP / HTAB around it ignored; the first
// occurrence counts. Errors: 400/20001 any other value ("import" included:
// imports go through Store::ImportUsers). O(number of headers).
absl::StatusOr<WriteOrigin> OriginHeader(
    const std::vector<std::pair<std::string, std::string>>& headers);

// Twilio's list parameters from a decoded query: PageSize (integer >= 1,
// larger than the store's maximum is left for the store to clamp), Page
// (integer 0..kMaxPageIndex; > 0 requires PageToken) and PageToken (passed
// verbatim).
// Integers are ASCII digits only (an optional leading '-' is read so that a
// negative value gets the range message); no '+', spaces or exponent.
// PageSize digits beyond int64 read as INT64_MAX (above any maximum, so the
// store clamps them like any large size).
// Errors: 400/20001 PageSize absent-valued, not an integer or < 1 (a
// negative beyond int64 included); 400/20001 Page not an integer, < 0 or >
// kMaxPageIndex (beyond int64 included); 400/20001
// Page > 0 without a non-empty PageToken. O(|query|).
absl::StatusOr<PageRequest> ParsePageRequest(const FormParams& query);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_REST_PARAMS_H_
