// Fixed-width big-endian integers in byte strings: keys whose byte order is
// their numeric order (durable keys, page-token positions).
//
// Thread-safety: pure functions.
#ifndef USERSTORE_SRC_COMMON_BIG_ENDIAN_H_
#define USERSTORE_SRC_COMMON_BIG_ENDIAN_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace userstore::internal {

// Appends the 8 bytes of `v`, most significant first.
inline void PutBigEndian64(uint64_t v, std::string* out) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

// The value of 8 bytes written by PutBigEndian64. REQUIRES: bytes.size() == 8.
inline uint64_t GetBigEndian64(std::string_view bytes) {
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_COMMON_BIG_ENDIAN_H_
