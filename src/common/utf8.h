// UTF-8 helpers for the text fields userstore validates (identity,
// friendly_name).
//
// Validation is simdjson's validate_utf8 (SIMD, rejects overlong forms,
// surrogates U+D800..U+DFFF, code points above U+10FFFF and truncated
// sequences, as RFC 3629 requires). NextUtf8Sequence only measures one
// sequence against Unicode's Table 3-7, for replacing ill-formed input in
// output (json_writer.cc); it decodes nothing.
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

// The first sequence of `text` (REQUIRES: non-empty): a well-formed UTF-8
// sequence (valid, 1 to 4 bytes), or else the maximal subpart of an
// ill-formed one (not valid, 1 to 3 bytes): the longest prefix of a
// well-formed sequence that `text` starts with, or its first byte when no
// well-formed sequence starts with it. Replacing each maximal subpart with
// one U+FFFD is the Unicode practice (Unicode 15 §3.9, "U+FFFD Substitution
// of Maximal Subparts", Table 3-8; the WHATWG decoder's). The byte ranges are
// those of Table 3-7 (no overlongs, surrogates or code points above
// U+10FFFF). Complexity: O(1).
struct Utf8Sequence {
  size_t length = 0;
  bool valid = false;
};
Utf8Sequence NextUtf8Sequence(std::string_view text);

// The number of Unicode code points in `text`: the bytes that are not UTF-8
// continuation bytes (10xxxxxx). REQUIRES: IsValidUtf8(text) (otherwise the
// result is meaningless, though never out of bounds). Complexity: O(|text|).
size_t CountCodePoints(std::string_view text);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_COMMON_UTF8_H_
