// SIDs: a two-letter prefix and 32 hex digits (128 bits).
//
// Internally a SID's digits are kept as 16 raw bytes (SidBytes). Minted SIDs
// draw those bytes from OpenSSL's CSPRNG (RAND_bytes, seeded by the OS) and
// print as lowercase hex. Parsing accepts either hex case. Thread-safe.
#ifndef USERSTORE_SRC_SID_SID_H_
#define USERSTORE_SRC_SID_SID_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace userstore::internal {

// Equality and hashing read the 16 bytes as two 64-bit words (no memcmp
// call on the lookup path); ordering is lexicographic by byte.
struct SidBytes {
  std::array<uint8_t, 16> bytes{};

  friend bool operator==(const SidBytes& a, const SidBytes& b) {
    uint64_t x[2], y[2];
    std::memcpy(x, a.bytes.data(), sizeof(x));
    std::memcpy(y, b.bytes.data(), sizeof(y));
    return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
  }
  friend bool operator!=(const SidBytes& a, const SidBytes& b) { return !(a == b); }
  friend bool operator<(const SidBytes& a, const SidBytes& b) { return a.bytes < b.bytes; }
  template <typename H>
  friend H AbslHashValue(H h, const SidBytes& s) {
    uint64_t x[2];
    std::memcpy(x, s.bytes.data(), sizeof(x));
    return H::combine(std::move(h), x[0], x[1]);
  }
};

// True when `text` is `prefix` followed by exactly 32 hex digits (any case):
// ^PP[0-9a-fA-F]{32}$. REQUIRES: prefix.size() == 2.
bool IsSidShaped(std::string_view text, std::string_view prefix);

// The 16 bytes of a SID-shaped `text`; nullopt when !IsSidShaped(text, prefix).
std::optional<SidBytes> ParseSid(std::string_view text, std::string_view prefix);

// `prefix` + 32 lowercase hex digits. REQUIRES: prefix.size() == 2.
std::string FormatSid(std::string_view prefix, const SidBytes& sid);

// The number of characters of a SID: a two-letter prefix and 32 hex digits.
inline constexpr size_t kSidChars = 34;

// Writes FormatSid(prefix, sid) to out[0..kSidChars) (no allocation).
// REQUIRES: prefix.size() == 2.
void FormatSidTo(std::string_view prefix, const SidBytes& sid, char* out);

// Fills `out` with `n` cryptographically strong random bytes (OpenSSL
// RAND_bytes). Aborts the process if the generator fails (it never does once
// seeded from the OS), since minting a guessable SID would be worse.
void RandomBytes(void* out, size_t n);

// 16 fresh random bytes.
SidBytes RandomSidBytes();

// A fresh SID with `prefix`, e.g. MintSid("US").
std::string MintSid(std::string_view prefix);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_SID_SID_H_
