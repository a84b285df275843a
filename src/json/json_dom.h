// JsonDocument: a validated, parsed JSON text (simdjson DOM) and its depth.
//
// All JSON parsing in userstore goes through here: simdjson's DOM parser (a
// validating RFC 8259 parser: UTF-8 checked, lone surrogate escapes and
// numbers outside the 64-bit / double range rejected; docs/json.md) plus an
// exact nesting-depth check. simdjson 3.0.1 reports a number out of range and
// a malformed number alike (NUMBER_ERROR; it has no BIGINT_ERROR), so on that
// error the text is checked again with Boost.JSON, which reads any number, to
// tell the two apart (kNumberRange vs kSyntax). Depth is counted as userstore documents it:
// every array or object adds one level, empty or not, and scalars add none
// ("1" is depth 0, "{}" and {"a":1} depth 1, {"a":[]} depth 2). simdjson's own
// limit counts only non-empty containers, so the parser is given one level of
// slack and the exact depth is measured by an iterative walk of the DOM.
//
// Thread-safety: thread-compatible. Documents of up to kReusedParserBytes
// reuse a thread_local parser (no allocation in the steady state); a second
// live JsonDocument on the same thread, or a larger text, gets a parser of its
// own. The elements returned by root() live as long as the JsonDocument.
#ifndef USERSTORE_SRC_JSON_JSON_DOM_H_
#define USERSTORE_SRC_JSON_JSON_DOM_H_

#include <simdjson.h>

#include <cstddef>
#include <memory>
#include <string_view>

namespace userstore::internal {

// Why Parse failed.
enum class JsonError {
  kOk = 0,
  kSyntax,    // not one RFC 8259 JSON text (includes bad UTF-8, surrogates,
              // malformed numbers, a BOM, trailing content, empty input)
  kTooDeep,   // valid JSON nested deeper than the given max_depth
  kNoMemory,  // the parser could not allocate its buffers
  // Valid RFC 8259 JSON holding a number simdjson cannot represent: an
  // integer beyond 64 bits (below -2^63 or above 2^64 - 1) or a number beyond
  // a double's range (1e400). RFC 8259 §9 allows such limits.
  kNumberRange,
};

// A short English description of `error` ("ok", "not valid JSON", ...).
const char* JsonErrorName(JsonError error);

// The nesting depth of `element` (see the file comment), or any value greater
// than `stop_above` as soon as the walk finds that the depth exceeds it.
// Iterative (no recursion): safe for any depth. Complexity: O(number of
// containers).
size_t JsonDepth(simdjson::dom::element element, size_t stop_above);

// True when `text` is one syntactically valid JSON document of any type
// (RFC 8259 and UTF-8) whose numbers are within range (integers within
// 64 bits, others within a double), nested at most `max_depth` deep (as
// counted above). The syntax check ValidateAttributes uses; the conformance
// tests call it directly. Thread-safe. Complexity: O(|text|), no recursion.
// Defined in attributes.cc.
bool IsValidJson(std::string_view text, size_t max_depth = 1024);

class JsonDocument {
 public:
  // Texts up to this size are parsed with the thread's reused parser.
  static constexpr size_t kReusedParserBytes = 64 * 1024;

  JsonDocument() = default;
  ~JsonDocument();
  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;

  // Parses `text` (copied into the parser's padded buffer; `text` need not
  // outlive the document). Accepts exactly one JSON value of any type with
  // depth <= max_depth, surrounded by optional JSON whitespace.
  // Complexity: O(|text|). Call at most once per JsonDocument.
  JsonError Parse(std::string_view text, size_t max_depth);

  // The parsed value. REQUIRES: Parse returned kOk.
  simdjson::dom::element root() const { return root_; }

 private:
  std::unique_ptr<simdjson::dom::parser> owned_;  // when not reusing
  simdjson::dom::parser* parser_ = nullptr;
  bool holds_thread_parser_ = false;
  simdjson::dom::element root_;
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_JSON_JSON_DOM_H_
