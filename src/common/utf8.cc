#include "common/utf8.h"

#include <simdjson.h>

namespace userstore::internal {

bool IsValidUtf8(std::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

Utf8Sequence NextUtf8Sequence(std::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return {1, true};
  // Unicode 15 Table 3-7: the sequence length for each lead byte and the
  // range of the second byte; every later byte is 80..BF.
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead == 0xE0) {
    length = 3;
    low = 0xA0;  // no overlongs
  } else if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
    length = 3;
  } else if (lead == 0xED) {
    length = 3;
    high = 0x9F;  // no surrogates
  } else if (lead == 0xF0) {
    length = 4;
    low = 0x90;  // no overlongs
  } else if (lead >= 0xF1 && lead <= 0xF3) {
    length = 4;
  } else if (lead == 0xF4) {
    length = 4;
    high = 0x8F;  // nothing above U+10FFFF
  } else {
    return {1, false};  // 80..C1, F5..FF start no sequence
  }
  for (size_t i = 1; i < length; ++i) {
    if (i >= text.size() || byte(i) < low || byte(i) > high) return {i, false};
    low = 0x80;
    high = 0xBF;
  }
  return {length, true};
}

size_t CountCodePoints(std::string_view text) {
  size_t count = 0;
  for (char c : text) {
    // Every code point has exactly one leading byte; continuation bytes are
    // 10xxxxxx.
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

}  // namespace userstore::internal
