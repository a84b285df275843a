// UTF-8 helpers for the text fields userstore validates (identity,
// friendly_name).
//
// Validation is simdjson's validate_utf8 (SIMD, rejects overlong forms,
// surrogates U+D800..U+DFFF, code points above U+10FFFF and truncated
// sequences, as RFC 3629 requires); userstore has no UTF-8 decoder of its own.
// Thread-safe: pure functions.
#ifndef USERSTORE_SRC_COMMON_UTF8_H_
#define USERSTORE_SRC_COMMON_UTF8_H_

#include <cstddef>
#include <string_view>

namespace userstore::internal {

// True when `text` is well-formed UTF-8 (RFC 3629). The empty string is valid.
// U+0000 is valid UTF-8; callers that forbid it check for '\0' themselves.
// Complexity: O(|text|).
bool IsValidUtf8(std::string_view text);

// The number of Unicode code points in `text`: the bytes that are not UTF-8
// continuation bytes (10xxxxxx). REQUIRES: IsValidUtf8(text) (otherwise the
// result is meaningless, though never out of bounds). Complexity: O(|text|).
size_t CountCodePoints(std::string_view text);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_COMMON_UTF8_H_
