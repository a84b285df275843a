// Writer and Reader: the little-endian fixed-width integers and
// length-prefixed strings of the durable store's values (durable/codec.h
// describes the format; codec.cc and binding_codec.cc use them).
//
// Thread-compatible: each object is used by one thread.
#ifndef USERSTORE_SRC_DURABLE_VALUE_IO_H_
#define USERSTORE_SRC_DURABLE_VALUE_IO_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "sid/sid.h"

namespace userstore::internal::durable {

// Appends little-endian fixed-width integers and length-prefixed strings.
class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  void U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_->push_back(static_cast<char>(v >> (8 * i)));
  }
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_->push_back(static_cast<char>(v >> (8 * i)));
  }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void Sid(const SidBytes& sid) {
    out_->append(reinterpret_cast<const char*>(sid.bytes.data()), sid.bytes.size());
  }
  void Str(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_->append(s);
  }

 private:
  std::string* const out_;
};

// Reads what Writer wrote; any read past the end clears ok().
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && in_.empty(); }
  uint8_t U8() {
    const char* p = Take(1);
    return p ? static_cast<uint8_t>(*p) : 0;
  }
  uint32_t U32() {
    const char* p = Take(4);
    uint32_t v = 0;
    for (int i = 0; p && i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(p[i])} << (8 * i);
    return v;
  }
  uint64_t U64() {
    const char* p = Take(8);
    uint64_t v = 0;
    for (int i = 0; p && i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
    return v;
  }
  int64_t I64() { return static_cast<int64_t>(U64()); }
  SidBytes Sid() {
    SidBytes sid;
    if (const char* p = Take(sid.bytes.size())) std::memcpy(sid.bytes.data(), p, sid.bytes.size());
    return sid;
  }
  std::string_view Str() {
    const uint32_t n = U32();
    const char* p = Take(n);
    return p ? std::string_view(p, n) : std::string_view();
  }

 private:
  const char* Take(size_t n) {
    if (!ok_ || in_.size() < n) {
      ok_ = false;
      return nullptr;
    }
    const char* p = in_.data();
    in_.remove_prefix(n);
    return p;
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace userstore::internal::durable

#endif  // USERSTORE_SRC_DURABLE_VALUE_IO_H_
