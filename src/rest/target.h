// Parsing of an HTTP request target (origin-form) into decoded path segments
// and decoded query parameters.
//
// Boost.URL parses the target as RFC 9112 origin-form
// (boost::urls::parse_origin_form: absolute-path [ "?" query ]). The path is
// split into its ENCODED segments first and each segment is then
// percent-decoded exactly once, so "team%2Falice" is the single segment
// "team/alice" and '+' in a path stays a literal plus. The query is decoded as
// form text (form.h: '+' is a space, first occurrence of a name wins, every one
// for an array parameter).
// Thread-safe (pure functions).
#ifndef USERSTORE_SRC_REST_TARGET_H_
#define USERSTORE_SRC_REST_TARGET_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "rest/form.h"

namespace userstore::internal {

struct Target {
  // The path exactly as sent (still percent-encoded), without the query: a
  // view of the text ParseTarget was given, valid while that text is.
  std::string_view encoded_path;
  // The path's segments, each decoded once. "/" has none; "/a/" has "a" and
  // "" (an empty segment is kept, so trailing and doubled slashes are visible).
  std::vector<std::string> segments;
  // Decoded query parameters; empty when there is no query.
  FormParams query;
};

// Parses `target` (e.g. "/v2/Services/IS.../Users?PageSize=5"). The result's
// encoded_path views `target`.
// Errors: 400/20001 when `target` is not origin-form (absolute-form, "*",
// empty, no leading '/', a fragment, raw space or other byte RFC 3986 does
// not allow, or a malformed percent escape in the path or query); 400/20001
// when the query has more than `max_query_params` parameters.
// Complexity: O(|target|).
absl::StatusOr<Target> ParseTarget(std::string_view target, size_t max_query_params);

// The decoded segments of the path of absolute URL `base_url` (e.g. {"v2"}
// for "https://chat.twilio.com/v2"; none for "https://host" or
// "https://host/"). A single trailing empty segment ("…/v2/") is dropped.
// Errors: 400/20001 when `base_url` is not an absolute URI. O(|base_url|).
absl::StatusOr<std::vector<std::string>> BasePathSegments(std::string_view base_url);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_REST_TARGET_H_
