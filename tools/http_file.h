// Parser for `.http` request files (VS Code REST Client / JetBrains HTTP
// client format), as replayed by `userstore replay`.
//
// Format handled (docs/cli.md):
//   - Requests are separated by lines starting with `###` (any text after the
//     three hashes is a comment).
//   - Before a request line: blank lines; comment lines starting with `#` or
//     `//` (`# @name NAME` / `// @name NAME` names the request, for request
//     variables); file variables `@name = value`.
//   - Request line: `METHOD URL [HTTP/x.y]`, or a lone `URL` (GET). Following
//     lines starting with `?` or `&` continue the URL (query parameters).
//   - Header lines `Name: value` up to the first blank line; `#` / `//` lines
//     among them are comments.
//   - The body: every line after that blank line up to the next `###`,
//     verbatim, joined with "\n", trailing blank lines removed. With
//     Content-Type application/x-www-form-urlencoded a body line starting
//     with `&` is joined to the previous one without a newline (as REST
//     Client does).
// Variables (`{{name}}`) are not expanded here: see http_vars.h.
//
// Thread-safety: pure functions, thread-safe.
#ifndef USERSTORE_TOOLS_HTTP_FILE_H_
#define USERSTORE_TOOLS_HTTP_FILE_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace userstore::cli {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One request of a `.http` file, with `{{...}}` references unexpanded.
struct HttpFileRequest {
  std::string name;    // from `# @name NAME`; empty when unnamed
  int line = 0;        // 1-based line number of the request line
  std::string method;  // upper-cased, e.g. "POST"
  std::string url;     // absolute URL or path, as written
  HeaderList headers;  // in file order, names and values trimmed
  std::string body;    // empty when the request has none
};

struct HttpFile {
  // `@name = value` definitions in file order (a later one of the same name
  // overrides an earlier one).
  std::vector<std::pair<std::string, std::string>> variables;
  std::vector<HttpFileRequest> requests;
};

// The largest `.http` file replayed: 64 MiB, far above any hand-written
// file, and it keeps line numbers (int) and memory bounded.
inline constexpr size_t kMaxHttpFileBytes = 64 * 1024 * 1024;

// Parses the text of a `.http` file ("\n" or "\r\n" line ends).
// Errors: kInvalidArgument "line N: ..." for a request line whose first word
// is not an HTTP method, a header line without `:`, an `@` line that is not
// `@name = value`, or a request name that is not [A-Za-z0-9_-]+;
// HttpFileTooLarge() for a text of more than kMaxHttpFileBytes.
// Complexity: O(|text|) time and memory (about |text| for the result).
absl::StatusOr<HttpFile> ParseHttpFile(absl::string_view text);

// kInvalidArgument "the file is larger than 67108864 bytes (64 MiB), the
// limit of a .http file".
absl::Status HttpFileTooLarge();

}  // namespace userstore::cli

#endif  // USERSTORE_TOOLS_HTTP_FILE_H_
