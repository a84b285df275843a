// The two commands of the `userstore` program, over a REST facade.
//
// Thread-safety: each command runs on the calling thread; the facade is
// thread-safe.
#ifndef USERSTORE_TOOLS_COMMANDS_H_
#define USERSTORE_TOOLS_COMMANDS_H_

#include <istream>
#include <ostream>
#include <string>
#include <string_view>

#include "userstore/rest.h"

namespace userstore::cli {

// `userstore replay FILE`: parses the `.http` file at `path` (http_file.h),
// then for each request expands its variables (http_vars.h), sends it to
// `facade` and writes FormatExchange to `out`. Returns 0 when every request
// got a response (4xx included); 1 after writing "userstore: ..." to `err`
// when the file cannot be read, does not parse, holds no request, or a
// request's variables or URL cannot be resolved (requests before it have
// run). Complexity: O(file size + the requests' work).
int RunReplay(const RestFacade& facade, const std::string& path,
              std::ostream& out, std::ostream& err);

// The text replay prints for one request:
//   ### METHOD TARGET
//   HTTP/1.1 201 Created
//   Name: value            (each response header)
//                          (blank line)
//   {pretty JSON body}     (PrettyJson; absent when the body is empty)
// followed by one blank line. O(size of the response).
std::string FormatExchange(const Request& request, const Response& response);

// `userstore stdio`: for each line of `in` (stdio_protocol.h) writes one
// response line to `out` and flushes. Lines holding only whitespace are
// skipped; a malformed line gets a 400/20001 response line. Returns 0 at
// the end of input, 1 if `out` fails. Complexity: O(input + the requests'
// work).
int RunStdio(const RestFacade& facade, std::istream& in, std::ostream& out);

}  // namespace userstore::cli

#endif  // USERSTORE_TOOLS_COMMANDS_H_
