// `{{...}}` variable expansion for `.http` files (REST Client syntax subset).
//
// Supported references:
//   {{name}}                             a file variable (`@name = value`);
//                                        its value is expanded in turn
//   {{req.response.body.PATH}}          a field of the JSON body of the
//                                        response to the request named `req`
//                                        (`# @name req`); PATH is `*` (the
//                                        whole body) or a JSONPath-like
//                                        `$.a.b[0]` / `a.b[0]`
//   {{req.response.headers.NAME}}       a response header (any case)
// A string field gives its text; any other JSON value its compact JSON.
// Text without a closing `}}` is left as written. REST Client's system
// variables (`{{$guid}}`, ...) and `request.*` references are not supported.
//
// Thread-safety: thread-compatible (Expand is const; Record* mutate).
#ifndef USERSTORE_TOOLS_HTTP_VARS_H_
#define USERSTORE_TOOLS_HTTP_VARS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "userstore/rest.h"

namespace userstore::cli {

class VariableContext {
 public:
  // Defines file variables; a later definition of a name wins.
  void AddFileVariables(
      const std::vector<std::pair<std::string, std::string>>& variables);

  // Remembers the response to the request named `request_name` (a later
  // response under the same name replaces it).
  void RecordResponse(absl::string_view request_name, const Response& response);

  // Returns `text` with every `{{...}}` reference replaced.
  // Errors: kInvalidArgument for an unknown variable, a request without a
  // recorded response, a malformed request-variable reference, a body that
  // is not JSON or has no such field, a missing header, a system variable,
  // or file variables nested deeper than 16 (a cycle).
  // Complexity: O(|text| + size of the values and bodies looked up).
  absl::StatusOr<std::string> Expand(absl::string_view text) const;

 private:
  absl::StatusOr<std::string> ExpandAt(absl::string_view text, int depth) const;
  absl::StatusOr<std::string> Resolve(absl::string_view reference,
                                      int depth) const;
  absl::StatusOr<std::string> ResolveRequestVariable(
      absl::string_view reference) const;

  absl::flat_hash_map<std::string, std::string> file_variables_;
  absl::flat_hash_map<std::string, Response> responses_;
};

// Converts a body path (`$.a.b[0]`, `a.b[0]`, `$`) to a JSON Pointer
// (RFC 6901: "/a/b/0", ""). Errors: kInvalidArgument for an empty segment or
// an unclosed / non-numeric `[...]`. O(|path|).
absl::StatusOr<std::string> BodyPathToJsonPointer(absl::string_view path);

}  // namespace userstore::cli

#endif  // USERSTORE_TOOLS_HTTP_VARS_H_
