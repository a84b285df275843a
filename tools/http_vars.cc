#include "http_vars.h"

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "simdjson.h"

namespace userstore::cli {
namespace {

constexpr int kMaxDepth = 16;

absl::Status Error(absl::string_view reference, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("{{", reference, "}}: ", why));
}

void AppendPointerToken(absl::string_view token, std::string* pointer) {
  absl::StrAppend(pointer, "/",
                  absl::StrReplaceAll(token, {{"~", "~0"}, {"/", "~1"}}));
}

}  // namespace

absl::StatusOr<std::string> BodyPathToJsonPointer(absl::string_view path) {
  absl::string_view rest = path;
  if (absl::ConsumePrefix(&rest, "$")) {
    if (!rest.empty() && !absl::ConsumePrefix(&rest, ".") &&
        !absl::StartsWith(rest, "[")) {
      return absl::InvalidArgumentError(absl::StrCat("bad body path ", path));
    }
  }
  std::string pointer;
  if (rest.empty()) return pointer;
  bool first = true;
  for (absl::string_view segment : absl::StrSplit(rest, '.')) {
    // segment: key, key[0][1], or (first only) [0].
    const size_t bracket = segment.find('[');
    absl::string_view key = segment.substr(0, bracket);
    if (key.empty() && !(first && bracket == 0)) {
      return absl::InvalidArgumentError(absl::StrCat("bad body path ", path));
    }
    first = false;
    if (!key.empty()) AppendPointerToken(key, &pointer);
    if (bracket == absl::string_view::npos) continue;
    absl::string_view indices = segment.substr(bracket);
    while (!indices.empty()) {
      const size_t close = indices.find(']');
      if (indices[0] != '[' || close == absl::string_view::npos || close == 1) {
        return absl::InvalidArgumentError(absl::StrCat("bad body path ", path));
      }
      absl::string_view index = indices.substr(1, close - 1);
      for (char c : index) {
        if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
          return absl::InvalidArgumentError(
              absl::StrCat("bad body path ", path));
        }
      }
      AppendPointerToken(index, &pointer);
      indices.remove_prefix(close + 1);
    }
  }
  return pointer;
}

void VariableContext::AddFileVariables(
    const std::vector<std::pair<std::string, std::string>>& variables) {
  for (const auto& [name, value] : variables) file_variables_[name] = value;
}

void VariableContext::RecordResponse(absl::string_view request_name,
                                     const Response& response) {
  responses_[request_name] = response;
}

absl::StatusOr<std::string> VariableContext::Expand(
    absl::string_view text) const {
  return ExpandAt(text, 0);
}

absl::StatusOr<std::string> VariableContext::ExpandAt(absl::string_view text,
                                                      int depth) const {
  std::string out;
  while (true) {
    const size_t open = text.find("{{");
    const size_t close =
        open == absl::string_view::npos ? open : text.find("}}", open + 2);
    if (close == absl::string_view::npos) {
      absl::StrAppend(&out, text);
      return out;
    }
    absl::StrAppend(&out, text.substr(0, open));
    absl::StatusOr<std::string> value = Resolve(
        absl::StripAsciiWhitespace(text.substr(open + 2, close - open - 2)),
        depth);
    if (!value.ok()) return value.status();
    absl::StrAppend(&out, *value);
    text.remove_prefix(close + 2);
  }
}

absl::StatusOr<std::string> VariableContext::Resolve(
    absl::string_view reference, int depth) const {
  if (absl::StartsWith(reference, "$")) {
    return Error(reference, "system variables are not supported");
  }
  if (reference.find('.') != absl::string_view::npos) {
    return ResolveRequestVariable(reference);
  }
  auto it = file_variables_.find(reference);
  if (it == file_variables_.end()) {
    return Error(reference,
                 "unknown variable (define it with '@name = value')");
  }
  if (depth >= kMaxDepth) {
    return Error(reference, "variables nested too deep (a cycle?)");
  }
  return ExpandAt(it->second, depth + 1);
}

absl::StatusOr<std::string> VariableContext::ResolveRequestVariable(
    absl::string_view reference) const {
  // name.response.(body|headers).rest
  std::vector<absl::string_view> parts =
      absl::StrSplit(reference, absl::MaxSplits('.', 3));
  if (parts.size() != 4 || parts[1] != "response" ||
      (parts[2] != "body" && parts[2] != "headers") || parts[3].empty()) {
    return Error(
        reference,
        "expected NAME.response.body.PATH or NAME.response.headers.NAME");
  }
  auto it = responses_.find(parts[0]);
  if (it == responses_.end()) {
    return Error(reference,
                 absl::StrCat("no earlier request named '", parts[0],
                              "' (add '# @name ", parts[0], "' above it)"));
  }
  const Response& response = it->second;
  if (parts[2] == "headers") {
    for (const auto& [name, value] : response.headers) {
      if (absl::EqualsIgnoreCase(name, parts[3])) return value;
    }
    return Error(reference, "no such response header");
  }
  if (parts[3] == "*") return response.body;
  absl::StatusOr<std::string> pointer = BodyPathToJsonPointer(parts[3]);
  if (!pointer.ok()) return Error(reference, pointer.status().message());
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(simdjson::padded_string(response.body)).get(root)) {
    return Error(reference, "the response body is not JSON");
  }
  simdjson::dom::element field;
  if (root.at_pointer(*pointer).get(field)) {
    return Error(reference, "no such field in the response body");
  }
  std::string_view text;
  if (!field.get_string().get(text)) return std::string(text);
  return simdjson::minify(field);
}

}  // namespace userstore::cli
