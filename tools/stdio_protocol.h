// The line protocol of `userstore stdio`: one JSON request object per input
// line, one JSON response object per output line.
//
// Input:  {"method": "POST", "path": "/v2/Services/IS.../Users?x=y",
//          "headers": {"Name": "value", ...}, "body": "Identity=alice"}
//         ("headers" and "body" optional; other keys ignored).
// Output: {"status": 201, "headers": {"Content-Type": "..."},
//          "body": "<response body text>"}
//
// Thread-safety: pure functions, thread-safe.
#ifndef USERSTORE_TOOLS_STDIO_PROTOCOL_H_
#define USERSTORE_TOOLS_STDIO_PROTOCOL_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "userstore/rest.h"

namespace userstore::cli {

// The longest input line parsed: 1 MiB, as for one request of `replay`
// (16 times the facade's body bound, room for JSON escapes). simdjson's
// parse of a line takes several times its size; longer lines are refused
// before it.
inline constexpr size_t kMaxStdioLineBytes = 1024 * 1024;

// Parses one input line (parsed with simdjson; at most one JSON value).
// Errors: 400/20001 (kInvalidArgument) when the line is longer than
// kMaxStdioLineBytes, not valid JSON, not an object, "method" or "path" is
// missing, empty or not a string, "headers" is not an object of strings, or
// "body" is neither a string nor null.
// Complexity: O(min(|line|, kMaxStdioLineBytes)).
absl::StatusOr<Request> ParseStdioRequest(absl::string_view line);

// Renders `response` as one compact JSON object, without a newline (written
// with internal::JsonWriter: header names, values and the body become JSON
// strings; invalid UTF-8 bytes become U+FFFD). O(size of the response).
std::string FormatStdioResponse(const Response& response);

}  // namespace userstore::cli

#endif  // USERSTORE_TOOLS_STDIO_PROTOCOL_H_
