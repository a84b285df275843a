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
// Expansion is bounded (docs/cli.md, "Limits of variable expansion"): one
// request's expansions (URL, header names and values, body) share an
// ExpansionBudget of kMaxExpandedRequestBytes bytes of output and
// kMaxReferencesPerRequest resolved references, checked before anything is
// appended, so a small file of nested variables cannot make a huge string (or
// take exponential time).
//
// Thread-safety: thread-compatible (Expand is const; Record* mutate).
#ifndef USERSTORE_TOOLS_HTTP_VARS_H_
#define USERSTORE_TOOLS_HTTP_VARS_H_

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "userstore/rest.h"

namespace userstore::cli {

// At most 1 MiB of expanded text per request: 16 times the facade's body
// bound (64 KiB) and 128 times its target bound (8 KiB), so a file can still
// send over-bound requests to see the facade's 400s.
inline constexpr size_t kMaxExpandedRequestBytes = 1024 * 1024;
// At most this many `{{...}}` references resolved per request (nested ones
// included): far above any hand-written request, and it bounds the work of
// references that expand to nothing.
inline constexpr size_t kMaxReferencesPerRequest = 4096;

// What the expansions of one request may produce, and how much of it they
// have used; each Expand consumes from it.
struct ExpansionBudget {
  size_t max_bytes = kMaxExpandedRequestBytes;
  size_t max_references = kMaxReferencesPerRequest;
  size_t bytes = 0;       // appended so far
  size_t references = 0;  // resolved so far
};

class VariableContext {
 public:
  // Defines file variables; a later definition of a name wins.
  void AddFileVariables(const std::vector<std::pair<std::string, std::string>>& variables);

  // Remembers the response to the request named `request_name` (a later
  // response under the same name replaces it). Its body is parsed as JSON
  // here, once, for the `.response.body.` references that follow.
  // Complexity: O(|response|).
  void RecordResponse(absl::string_view request_name, const Response& response);

  // Returns `text` with every `{{...}}` reference replaced, consuming
  // `*budget` (the output's bytes, the references resolved).
  // Errors: kInvalidArgument for an unknown variable, a request without a
  // recorded response, a malformed request-variable reference, a body that
  // is not JSON or has no such field, a missing header, a system variable,
  // file variables nested deeper than 16 (a cycle), an output that would
  // take budget->bytes past budget->max_bytes (checked before appending),
  // or more than budget->max_references references. On error *budget is
  // partly consumed.
  // Complexity: O(max_bytes + max_references * (|body path| + |a JSON
  // field|)) time; O(max_bytes) memory.
  absl::StatusOr<std::string> Expand(absl::string_view text, ExpansionBudget* budget) const;
  // The same with a fresh budget of its own.
  absl::StatusOr<std::string> Expand(absl::string_view text) const;

 private:
  struct Recorded;  // a response and its parsed body (http_vars.cc)

  absl::Status ExpandInto(absl::string_view text, int depth, ExpansionBudget* budget,
                          std::string* out) const;
  absl::Status ResolveInto(absl::string_view reference, int depth, ExpansionBudget* budget,
                           std::string* out) const;
  absl::Status ResolveRequestVariableInto(absl::string_view reference, ExpansionBudget* budget,
                                          std::string* out) const;

  absl::flat_hash_map<std::string, std::string> file_variables_;
  absl::flat_hash_map<std::string, std::shared_ptr<const Recorded>> responses_;
};

// Converts a body path (`$.a.b[0]`, `a.b[0]`, `$`) to a JSON Pointer
// (RFC 6901: "/a/b/0", ""); an index is written in canonical form (`[007]`
// is "/7"). Errors: kInvalidArgument for an empty segment, an unclosed /
// non-numeric `[...]`, or an index over 2^32 - 1. O(|path|).
absl::StatusOr<std::string> BodyPathToJsonPointer(absl::string_view path);

}  // namespace userstore::cli

#endif  // USERSTORE_TOOLS_HTTP_VARS_H_
