// Request target (path + query) of a URL written in a `.http` file.
//
// Thread-safety: pure function, thread-safe.
#ifndef USERSTORE_TOOLS_REQUEST_TARGET_H_
#define USERSTORE_TOOLS_REQUEST_TARGET_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace userstore::cli {

// Returns the origin-form request target of `url`: for an absolute URL
// ("https://chat.twilio.com/v2/Services?x=1") its path and query
// ("/v2/Services?x=1"; "/" when the path is empty); for a path
// ("/v2/Services") the path and query as written. Percent-escapes are kept
// as written; a fragment is dropped.
// Errors: kInvalidArgument when `url` is not a valid URI reference (RFC 3986,
// parsed with Boost.URL: spaces, non-ASCII bytes and `{` must be
// percent-encoded) or is a relative path not starting with '/'.
// Complexity: O(|url|).
absl::StatusOr<std::string> RequestTarget(absl::string_view url);

}  // namespace userstore::cli

#endif  // USERSTORE_TOOLS_REQUEST_TARGET_H_
