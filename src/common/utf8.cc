#include "common/utf8.h"

#include <simdjson.h>

namespace userstore::internal {

bool IsValidUtf8(std::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
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
