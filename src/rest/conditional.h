// Conditional requests over REST (RFC 9110 §8.8.3, §13.1.1): the ETag the
// facade sends with a user and the If-Match precondition it reads on update
// and delete. userstore's additions to Twilio's API: Twilio's clients never
// send If-Match, so their requests behave exactly as without it.
//
// An ETag is a strong entity-tag of the user's revision (User::revision) in
// canonical decimal: "17" with the quotes. An If-Match the facade accepts is
// "*" (any current user: no precondition) or exactly one such tag; anything
// else is 400/20001 (docs/rest.md, "ETag and If-Match"). Thread-safe (pure
// functions).
#ifndef USERSTORE_SRC_REST_CONDITIONAL_H_
#define USERSTORE_SRC_REST_CONDITIONAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace userstore::internal {

inline constexpr char kETagHeader[] = "ETag";
inline constexpr char kIfMatchHeader[] = "If-Match";

// The ETag field value of `revision`: '"' decimal '"', e.g. "\"17\"". O(1).
std::string EntityTag(uint64_t revision);

// The precondition of the request's If-Match header (the first occurrence;
// SP / HTAB around the value ignored, as FindHeader does):
//   absent or "*"                → nullopt (no precondition);
//   "\"N\"", N canonical decimal → N (digits only, no leading zero unless
//                                  N is 0, at most 2^64 - 1).
// Errors: 400/20001 (kInvalidArgument) for any other value: empty, a weak tag
// (W/"N": If-Match compares strongly and the facade never sends one), a list
// of tags, a tag that is not one the facade sends ("abc", "007", unquoted
// digits). The message names the header; the value is not echoed.
// O(number of headers + |value|).
absl::StatusOr<std::optional<uint64_t>> IfMatchRevision(
    const std::vector<std::pair<std::string, std::string>>& headers);

// IfMatchRevision's rule for one field value (OWS already stripped). Same
// results and errors. O(|value|).
absl::StatusOr<std::optional<uint64_t>> ParseIfMatch(std::string_view value);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_REST_CONDITIONAL_H_
