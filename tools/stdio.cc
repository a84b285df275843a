#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "commands.h"
#include "stdio_protocol.h"
#include "userstore/error.h"
#include "userstore/json.h"

namespace userstore::cli {
namespace {

// The response to a line that failed ParseStdioRequest: the status's HTTP
// status and Twilio's error body. REQUIRES: !status.ok().
Response ErrorResponse(const absl::Status& status) {
  Response response;
  response.status = HttpStatus(status);
  response.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  response.body = ErrorJson(status);
  return response;
}

}  // namespace

int RunStdio(const RestFacade& facade, std::istream& in, std::ostream& out) {
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    absl::StatusOr<Request> request = ParseStdioRequest(line);
    const Response response =
        request.ok() ? facade.Handle(*request) : ErrorResponse(request.status());
    out << FormatStdioResponse(response) << '\n';
    out.flush();
    if (!out) return 1;
  }
  return 0;
}

}  // namespace userstore::cli
