#include "json/json_dom.h"

#include <algorithm>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <new>
#include <utility>

#include "absl/container/inlined_vector.h"

namespace userstore::internal {

namespace {

struct ThreadParser {
  simdjson::dom::parser parser;
  bool in_use = false;
};

ThreadParser& GetThreadParser() {
  thread_local ThreadParser tp;
  return tp;
}

// simdjson's NUMBER_ERROR: kNumberRange when `text` is one valid JSON text
// (so the number is well-formed but out of simdjson's range), else kSyntax.
// Boost.JSON reads integers beyond 64 bits as doubles and huge exponents as
// infinity, and checks the rest of RFC 8259 (UTF-8, escapes and surrogates,
// trailing data) as strictly. Its parser is iterative (no recursion), and a
// monotonic resource makes the tree's destruction O(1), so any depth is safe.
JsonError ClassifyNumberError(std::string_view text) {
  try {
    boost::json::monotonic_resource resource;
    boost::json::parse_options options;
    options.max_depth = text.size() + 1;  // deeper than any text: depth is ours
    boost::system::error_code error;
    boost::json::parse(boost::json::string_view(text.data(), text.size()), error, &resource,
                       options);
    return error ? JsonError::kSyntax : JsonError::kNumberRange;
  } catch (const std::bad_alloc&) {
    return JsonError::kNoMemory;
  }
}

}  // namespace

const char* JsonErrorName(JsonError error) {
  switch (error) {
    case JsonError::kOk:
      return "ok";
    case JsonError::kSyntax:
      return "not valid JSON";
    case JsonError::kTooDeep:
      return "nested too deeply";
    case JsonError::kNoMemory:
      return "out of memory";
    case JsonError::kNumberRange:
      return "number beyond the supported range";
  }
  return "unknown error";
}

size_t JsonDepth(simdjson::dom::element element, size_t stop_above) {
  using simdjson::dom::element_type;
  // Worklist of containers still to visit, with their level (1-based). Small
  // documents stay within the inline capacity (no heap allocation).
  absl::InlinedVector<std::pair<simdjson::dom::element, size_t>, 16> pending;
  size_t depth = 0;
  auto visit = [&](simdjson::dom::element e, size_t level) {
    const element_type t = e.type();
    if (t == element_type::ARRAY || t == element_type::OBJECT) {
      pending.emplace_back(e, level);
    }
  };
  visit(element, 1);
  while (!pending.empty()) {
    auto [e, level] = pending.back();
    pending.pop_back();
    depth = std::max(depth, level);
    if (depth > stop_above) return depth;
    simdjson::dom::array array;
    simdjson::dom::object object;
    if (e.get(array) == simdjson::SUCCESS) {
      for (simdjson::dom::element child : array) visit(child, level + 1);
    } else if (e.get(object) == simdjson::SUCCESS) {
      for (simdjson::dom::key_value_pair field : object) {
        visit(field.value, level + 1);
      }
    }
  }
  return depth;
}

JsonDocument::~JsonDocument() {
  if (holds_thread_parser_) GetThreadParser().in_use = false;
}

JsonError JsonDocument::Parse(std::string_view text, size_t max_depth) {
  // A text of n bytes nests at most n / 2 non-empty containers, so a parser
  // depth above that accepts every text; capping keeps the parser's depth
  // buffers O(n) whatever max_depth says. simdjson rejects a non-empty
  // container at its level >= its max_depth, hence the + 1 (and the exact check
  // by JsonDepth below, since simdjson does not count empty containers).
  const size_t parser_depth = std::min(max_depth, text.size() / 2) + 1;

  ThreadParser& tp = GetThreadParser();
  if (text.size() <= kReusedParserBytes && !tp.in_use) {
    tp.in_use = true;
    holds_thread_parser_ = true;
    parser_ = &tp.parser;
  } else {
    owned_ = std::make_unique<simdjson::dom::parser>();
    parser_ = owned_.get();
  }
  // Reallocate only to deepen (the exact depth check does not rely on the
  // parser's limit) or on first use; parse() grows the capacity by itself.
  if (parser_->max_depth() < parser_depth || parser_->capacity() == 0) {
    const size_t capacity = std::max(parser_->capacity(), text.size());
    const size_t depth = std::max(parser_->max_depth(), parser_depth);
    if (parser_->allocate(std::max<size_t>(capacity, 64), depth) != simdjson::SUCCESS) {
      return JsonError::kNoMemory;
    }
  }

  const simdjson::error_code error =
      parser_->parse(text.data(), text.size(), /*realloc_if_needed=*/true).get(root_);
  switch (error) {
    case simdjson::SUCCESS:
      break;
    case simdjson::DEPTH_ERROR:
      return JsonError::kTooDeep;
    case simdjson::MEMALLOC:
    case simdjson::CAPACITY:
      return JsonError::kNoMemory;
    case simdjson::NUMBER_ERROR:
      return ClassifyNumberError(text);
    default:
      return JsonError::kSyntax;
  }
  // Each level of nesting opens with a '[' or '{' byte, so a text holding
  // at most max_depth of them (inside strings too) is within the limit: the
  // exact walk is needed only above that. ('[' | 0x20) == '{', and no other
  // byte maps there; the loop vectorizes.
  size_t openers = 0;
  for (const char c : text) openers += (static_cast<unsigned char>(c) | 0x20) == '{';
  if (openers > max_depth && JsonDepth(root_, max_depth) > max_depth) return JsonError::kTooDeep;
  return JsonError::kOk;
}

}  // namespace userstore::internal
