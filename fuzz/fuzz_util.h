// Helpers shared by the fuzz targets: a property check that aborts (so both
// libFuzzer and the replay main report the input), and a reader that turns
// fuzz bytes into small structured values.
//
// Thread-compatible. Header-only so each target stays one .cc file.
#ifndef USERSTORE_FUZZ_FUZZ_UTIL_H_
#define USERSTORE_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "userstore/error.h"

namespace userstore::fuzz {

// Aborts with a message when `cond` is false. Used for every fuzzed property.
#define FUZZ_CHECK(cond, ...)                                                              \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "%s:%d: property violated: %s\n  ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, "" __VA_ARGS__);                                                \
      std::fprintf(stderr, "\n");                                                          \
      std::abort();                                                                        \
    }                                                                                      \
  } while (false)

// "HTTP/code message" of a status, for failure messages.
inline std::string Describe(const absl::Status& status) {
  if (status.ok()) return "OK";
  return std::to_string(HttpStatus(status)) + "/" + std::to_string(TwilioCode(status)) + " " +
         std::string(status.message());
}

// Reads fuzz bytes front to back; past the end every read yields zeros / "".
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size)
      : data_(reinterpret_cast<const char*>(data)), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  size_t remaining() const { return size_ - pos_; }

  uint8_t Byte() { return pos_ < size_ ? static_cast<uint8_t>(data_[pos_++]) : 0; }

  // A value in [0, n). REQUIRES: n > 0.
  size_t Pick(size_t n) { return Byte() % n; }

  bool Bool() { return (Byte() & 1) != 0; }

  uint64_t U64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | Byte();
    return v;
  }

  // Up to `max` bytes: a length byte, then that many bytes (or fewer at end).
  std::string ShortString(size_t max = 255) {
    size_t n = Byte();
    if (n > max) n = n % (max + 1);
    return Bytes(n);
  }

  std::string Bytes(size_t n) {
    if (n > remaining()) n = remaining();
    std::string s(data_ + pos_, n);
    pos_ += n;
    return s;
  }

  // Everything not read yet.
  std::string_view Rest() {
    std::string_view s(data_ + pos_, remaining());
    pos_ = size_;
    return s;
  }

 private:
  const char* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace userstore::fuzz

#endif  // USERSTORE_FUZZ_FUZZ_UTIL_H_
