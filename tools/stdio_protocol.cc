#include "stdio_protocol.h"

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "json_output.h"
#include "simdjson.h"
#include "userstore/error.h"

namespace userstore::cli {
namespace {

absl::Status Malformed(absl::string_view why) {
  return TwilioError(absl::StatusCode::kInvalidArgument, 400, twilio_code::kInvalidParameter,
                     absl::StrCat("Malformed stdio request line: ", why));
}

absl::StatusOr<std::string> RequiredString(simdjson::dom::object object, absl::string_view key) {
  std::string_view value;
  if (object[std::string_view(key.data(), key.size())].get_string().get(value) || value.empty()) {
    return Malformed(absl::StrCat("\"", key, "\" must be a non-empty string"));
  }
  return std::string(value);
}

}  // namespace

absl::StatusOr<Request> ParseStdioRequest(absl::string_view line) {
  if (line.size() > kMaxStdioLineBytes) {
    return Malformed(
        absl::StrCat("longer than ", kMaxStdioLineBytes, " bytes (the limit of a line)"));
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(simdjson::padded_string(line.data(), line.size())).get(root)) {
    return Malformed(simdjson::error_message(error));
  }
  simdjson::dom::object object;
  if (root.get_object().get(object)) return Malformed("not a JSON object");

  Request request;
  absl::StatusOr<std::string> method = RequiredString(object, "method");
  if (!method.ok()) return method.status();
  request.method = *std::move(method);
  absl::StatusOr<std::string> path = RequiredString(object, "path");
  if (!path.ok()) return path.status();
  request.target = *std::move(path);

  simdjson::dom::element headers;
  if (!object["headers"].get(headers) && !headers.is_null()) {
    simdjson::dom::object header_object;
    if (headers.get_object().get(header_object)) {
      return Malformed("\"headers\" must be an object");
    }
    for (auto [name, value] : header_object) {
      std::string_view text;
      if (value.get_string().get(text)) {
        return Malformed("header values must be strings");
      }
      request.headers.emplace_back(std::string(name), std::string(text));
    }
  }

  simdjson::dom::element body;
  if (!object["body"].get(body) && !body.is_null()) {
    std::string_view text;
    if (body.get_string().get(text)) {
      return Malformed("\"body\" must be a string");
    }
    request.body = std::string(text);
  }
  return request;
}

std::string FormatStdioResponse(const Response& response) {
  std::string line = absl::StrCat("{\"status\":", response.status, ",\"headers\":{");
  bool first = true;
  for (const auto& [name, value] : response.headers) {
    absl::StrAppend(&line, first ? "" : ",", JsonString(name), ":", JsonString(value));
    first = false;
  }
  absl::StrAppend(&line, "},\"body\":", JsonString(response.body), "}");
  return line;
}

}  // namespace userstore::cli
