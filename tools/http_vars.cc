#include "http_vars.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
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

// Appends `piece` to `*out` if the budget has room for it; never allocates
// past budget->max_bytes.
absl::Status Append(absl::string_view piece, ExpansionBudget* budget, std::string* out) {
  if (piece.size() > budget->max_bytes - budget->bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("variables expand to more than ", budget->max_bytes,
                     " bytes in this request (the limit for its URL, headers and body "
                     "together)"));
  }
  budget->bytes += piece.size();
  out->append(piece.data(), piece.size());
  return absl::OkStatus();
}

void AppendPointerToken(absl::string_view token, std::string* pointer) {
  absl::StrAppend(pointer, "/", absl::StrReplaceAll(token, {{"~", "~0"}, {"/", "~1"}}));
}

}  // namespace

absl::StatusOr<std::string> BodyPathToJsonPointer(absl::string_view path) {
  absl::string_view rest = path;
  if (absl::ConsumePrefix(&rest, "$")) {
    if (!rest.empty() && !absl::ConsumePrefix(&rest, ".") && !absl::StartsWith(rest, "[")) {
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
          return absl::InvalidArgumentError(absl::StrCat("bad body path ", path));
        }
      }
      // In range and canonical: simdjson's at_pointer wraps an index past
      // 2^64 around (18446744073709551617 would be 1), and refuses a
      // leading zero.
      uint32_t number;
      if (!absl::SimpleAtoi(index, &number)) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad body path ", path, ": index ", index, " out of range"));
      }
      AppendPointerToken(absl::StrCat(number), &pointer);
      indices.remove_prefix(close + 1);
    }
  }
  return pointer;
}

void VariableContext::AddFileVariables(
    const std::vector<std::pair<std::string, std::string>>& variables) {
  for (const auto& [name, value] : variables) file_variables_[name] = value;
}

struct VariableContext::Recorded {
  Response response;
  simdjson::dom::parser parser;
  simdjson::dom::element root;  // valid when is_json
  bool is_json = false;
};

void VariableContext::RecordResponse(absl::string_view request_name, const Response& response) {
  auto recorded = std::make_shared<Recorded>();
  recorded->response = response;
  recorded->is_json =
      !recorded->parser.parse(simdjson::padded_string(response.body)).get(recorded->root);
  responses_[request_name] = std::move(recorded);
}

absl::StatusOr<std::string> VariableContext::Expand(absl::string_view text,
                                                    ExpansionBudget* budget) const {
  std::string out;
  if (absl::Status s = ExpandInto(text, 0, budget, &out); !s.ok()) return s;
  return out;
}

absl::StatusOr<std::string> VariableContext::Expand(absl::string_view text) const {
  ExpansionBudget budget;
  return Expand(text, &budget);
}

absl::Status VariableContext::ExpandInto(absl::string_view text, int depth, ExpansionBudget* budget,
                                         std::string* out) const {
  while (true) {
    const size_t open = text.find("{{");
    const size_t close = open == absl::string_view::npos ? open : text.find("}}", open + 2);
    if (close == absl::string_view::npos) return Append(text, budget, out);
    if (absl::Status s = Append(text.substr(0, open), budget, out); !s.ok()) {
      return s;
    }
    if (budget->references >= budget->max_references) {
      return absl::InvalidArgumentError(
          absl::StrCat("more than ", budget->max_references,
                       " {{...}} references to expand in this request (nested ones "
                       "included)"));
    }
    ++budget->references;
    absl::Status s = ResolveInto(
        absl::StripAsciiWhitespace(text.substr(open + 2, close - open - 2)), depth, budget, out);
    if (!s.ok()) return s;
    text.remove_prefix(close + 2);
  }
}

absl::Status VariableContext::ResolveInto(absl::string_view reference, int depth,
                                          ExpansionBudget* budget, std::string* out) const {
  if (absl::StartsWith(reference, "$")) {
    return Error(reference, "system variables are not supported");
  }
  if (reference.find('.') != absl::string_view::npos) {
    return ResolveRequestVariableInto(reference, budget, out);
  }
  auto it = file_variables_.find(reference);
  if (it == file_variables_.end()) {
    return Error(reference, "unknown variable (define it with '@name = value')");
  }
  if (depth >= kMaxDepth) {
    return Error(reference, "variables nested too deep (a cycle?)");
  }
  return ExpandInto(it->second, depth + 1, budget, out);
}

absl::Status VariableContext::ResolveRequestVariableInto(absl::string_view reference,
                                                         ExpansionBudget* budget,
                                                         std::string* out) const {
  // name.response.(body|headers).rest
  std::vector<absl::string_view> parts = absl::StrSplit(reference, absl::MaxSplits('.', 3));
  if (parts.size() != 4 || parts[1] != "response" ||
      (parts[2] != "body" && parts[2] != "headers") || parts[3].empty()) {
    return Error(reference, "expected NAME.response.body.PATH or NAME.response.headers.NAME");
  }
  auto it = responses_.find(parts[0]);
  if (it == responses_.end()) {
    return Error(reference, absl::StrCat("no earlier request named '", parts[0], "' (add '# @name ",
                                         parts[0], "' above it)"));
  }
  const Recorded& recorded = *it->second;
  if (parts[2] == "headers") {
    for (const auto& [name, value] : recorded.response.headers) {
      if (absl::EqualsIgnoreCase(name, parts[3])) {
        return Append(value, budget, out);
      }
    }
    return Error(reference, "no such response header");
  }
  if (parts[3] == "*") return Append(recorded.response.body, budget, out);
  absl::StatusOr<std::string> pointer = BodyPathToJsonPointer(parts[3]);
  if (!pointer.ok()) return Error(reference, pointer.status().message());
  if (!recorded.is_json) {
    return Error(reference, "the response body is not JSON");
  }
  simdjson::dom::element field;
  if (recorded.root.at_pointer(*pointer).get(field)) {
    return Error(reference, "no such field in the response body");
  }
  std::string_view text;
  if (!field.get_string().get(text)) {
    return Append(absl::string_view(text.data(), text.size()), budget, out);
  }
  // At most the size of the body, which is in memory already.
  return Append(simdjson::minify(field), budget, out);
}

}  // namespace userstore::cli
