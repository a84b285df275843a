#include <fstream>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "boost/beast/http/status.hpp"
#include "commands.h"
#include "http_file.h"
#include "http_vars.h"
#include "json_output.h"
#include "request_target.h"

namespace userstore::cli {
namespace {

// Expands the variables of `file_request` into a facade Request. Its URL,
// header names and values and body share one ExpansionBudget.
absl::StatusOr<Request> BuildRequest(const HttpFileRequest& file_request,
                                     const VariableContext& variables) {
  Request request;
  request.method = file_request.method;
  ExpansionBudget budget;
  absl::StatusOr<std::string> url = variables.Expand(file_request.url, &budget);
  if (!url.ok()) return url.status();
  absl::StatusOr<std::string> target = RequestTarget(*url);
  if (!target.ok()) return target.status();
  request.target = *std::move(target);
  for (const auto& [name, value] : file_request.headers) {
    absl::StatusOr<std::string> expanded_name = variables.Expand(name, &budget);
    if (!expanded_name.ok()) return expanded_name.status();
    absl::StatusOr<std::string> expanded_value = variables.Expand(value, &budget);
    if (!expanded_value.ok()) return expanded_value.status();
    request.headers.emplace_back(*std::move(expanded_name), *std::move(expanded_value));
  }
  absl::StatusOr<std::string> body = variables.Expand(file_request.body, &budget);
  if (!body.ok()) return body.status();
  request.body = *std::move(body);
  return request;
}

}  // namespace

std::string FormatExchange(const Request& request, const Response& response) {
  namespace http = boost::beast::http;
  const auto reason =
      // A status outside 0..999 is no HTTP status: no reason phrase.
      http::obsolete_reason(response.status >= 0 && response.status <= 999
                                ? http::int_to_status(static_cast<unsigned>(response.status))
                                : http::status::unknown);
  std::string out = absl::StrCat("### ", request.method, " ", request.target, "\nHTTP/1.1 ",
                                 response.status, " ", std::string(reason), "\n");
  for (const auto& [name, value] : response.headers) {
    absl::StrAppend(&out, name, ": ", value, "\n");
  }
  out.push_back('\n');
  if (!response.body.empty()) {
    absl::StrAppend(&out, PrettyJson(response.body), "\n");
  }
  out.push_back('\n');
  return out;
}

int RunReplay(const RestFacade& facade, const std::string& path, std::ostream& out,
              std::ostream& err) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    err << "userstore: cannot read " << path << "\n";
    return 1;
  }
  // Reads at most kMaxHttpFileBytes + 1 bytes (a pipe has no size to check
  // first).
  std::string text;
  char chunk[64 * 1024];
  while (stream.read(chunk, sizeof(chunk)) || stream.gcount() > 0) {
    // 0 < gcount <= sizeof(chunk).
    const size_t got = static_cast<size_t>(stream.gcount());
    if (text.size() + got > kMaxHttpFileBytes) {
      err << "userstore: " << path << ": " << HttpFileTooLarge().message() << "\n";
      return 1;
    }
    text.append(chunk, got);
  }
  if (stream.bad()) {
    err << "userstore: cannot read " << path << "\n";
    return 1;
  }
  absl::StatusOr<HttpFile> file = ParseHttpFile(text);
  if (!file.ok()) {
    err << "userstore: " << path << ": " << file.status().message() << "\n";
    return 1;
  }
  if (file->requests.empty()) {
    err << "userstore: " << path << ": no request in the file\n";
    return 1;
  }
  VariableContext variables;
  variables.AddFileVariables(file->variables);
  for (const HttpFileRequest& file_request : file->requests) {
    absl::StatusOr<Request> request = BuildRequest(file_request, variables);
    if (!request.ok()) {
      out.flush();
      err << "userstore: " << path << ": line " << file_request.line << ": "
          << request.status().message() << "\n";
      return 1;
    }
    const Response response = facade.Handle(*request);
    out << FormatExchange(*request, response);
    if (!file_request.name.empty()) {
      variables.RecordResponse(file_request.name, response);
    }
  }
  out.flush();
  return out ? 0 : 1;
}

}  // namespace userstore::cli
