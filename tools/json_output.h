// JSON output of the `userstore` program: the re-indented bodies `replay`
// prints and the response lines `stdio` writes. simdjson (the DOM parser)
// reads, userstore::JsonQuote escapes strings; nothing here
// parses JSON by hand. Thread-safe (pure functions; each call has its own
// parser).
#ifndef USERSTORE_TOOLS_JSON_OUTPUT_H_
#define USERSTORE_TOOLS_JSON_OUTPUT_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace userstore::cli {

// The deepest nesting PrettyJson re-indents (every array or object is one
// level, empty or not, as docs/json.md counts depth).
inline constexpr size_t kPrettyMaxDepth = 1024;

// Re-indents `json` (one JSON text, RFC 8259) for people: each member or
// element on its own line, two spaces per level, `"key": value`; empty
// objects and arrays stay `{}` / `[]`. Keys keep their order (duplicates
// too); strings are re-escaped (`"`, `\` and U+0000..U+001F; other text as
// UTF-8); integers come out as written (-0 as 0), other numbers in their
// shortest round-trip form with a "." or "e". Returns `json` unchanged when it
// is not valid JSON (syntax, UTF-8, a number beyond 64-bit integers or a
// double) or nests deeper than kPrettyMaxDepth. No recursion: any depth is
// safe on a small stack. Complexity: O(|json|) time and memory.
std::string PrettyJson(std::string_view json);

// `text` as a JSON string literal, quotes included (userstore::JsonQuote:
// invalid UTF-8 becomes \ufffd, so the result is always valid JSON).
// O(|text|).
std::string JsonString(std::string_view text);

}  // namespace userstore::cli

#endif  // USERSTORE_TOOLS_JSON_OUTPUT_H_
