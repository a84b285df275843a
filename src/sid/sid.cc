// SIDs: parsing, formatting and minting (see sid.h). Thread-safe: pure
// functions except RandomBytes, which relies on OpenSSL's thread-safe DRBG.
#include "sid/sid.h"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "userstore/sid.h"

namespace userstore::internal {
namespace {

constexpr size_t kPrefixChars = 2;
constexpr size_t kHexChars = 2 * sizeof(SidBytes::bytes);  // 32

// The value of each hex digit (either case); 0xFF for any other byte.
constexpr std::array<uint8_t, 256> kNibble = [] {
  std::array<uint8_t, 256> t{};
  for (uint8_t& v : t) v = 0xFF;
  for (size_t c = 0; c < 10; ++c) t['0' + c] = static_cast<uint8_t>(c);
  for (size_t c = 0; c < 6; ++c) {
    t['a' + c] = static_cast<uint8_t>(10 + c);
    t['A' + c] = static_cast<uint8_t>(10 + c);
  }
  return t;
}();

// "00" .. "ff": the two lowercase hex digits of each byte value.
constexpr std::array<char, 512> kHexPairs = [] {
  std::array<char, 512> t{};
  constexpr char kDigits[] = "0123456789abcdef";
  for (size_t b = 0; b < 256; ++b) {
    t[2 * b] = kDigits[b >> 4];
    t[2 * b + 1] = kDigits[b & 0x0F];
  }
  return t;
}();

}  // namespace

bool IsSidShaped(std::string_view text, std::string_view prefix) {
  if (text.size() != kPrefixChars + kHexChars || prefix.size() != kPrefixChars ||
      text.substr(0, kPrefixChars) != prefix) {
    return false;
  }
  std::string_view hex = text.substr(kPrefixChars);
  return std::all_of(hex.begin(), hex.end(),
                     [](char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); });
}

// ParseSid and FormatSid run on every request (the Service SID and the
// user's SID), so they use lookup tables rather than absl's hex helpers,
// which allocate a temporary string each.
std::optional<SidBytes> ParseSid(std::string_view text, std::string_view prefix) {
  if (text.size() != kPrefixChars + kHexChars || prefix.size() != kPrefixChars ||
      text[0] != prefix[0] || text[1] != prefix[1]) {
    return std::nullopt;
  }
  const auto* hex = reinterpret_cast<const unsigned char*>(text.data()) + kPrefixChars;
  SidBytes sid;
  uint8_t invalid = 0;  // high bits set by any non-hex digit
  for (size_t i = 0; i < sid.bytes.size(); ++i) {
    const uint8_t hi = kNibble[hex[2 * i]];
    const uint8_t lo = kNibble[hex[2 * i + 1]];
    invalid |= hi | lo;
    sid.bytes[i] = static_cast<uint8_t>((hi << 4) | (lo & 0x0F));
  }
  if ((invalid & 0xF0) != 0) return std::nullopt;
  return sid;
}

std::string FormatSid(std::string_view prefix, const SidBytes& sid) {
  std::string out(kSidChars, '\0');
  FormatSidTo(prefix, sid, out.data());
  return out;
}

void FormatSidTo(std::string_view prefix, const SidBytes& sid, char* out) {
  std::memcpy(out, prefix.data(), kPrefixChars);
  out += kPrefixChars;
  for (uint8_t b : sid.bytes) {
    std::memcpy(out, &kHexPairs[2 * b], 2);
    out += 2;
  }
}

void RandomBytes(void* out, size_t n) {
  auto* p = static_cast<unsigned char*>(out);
  while (n > 0) {
    const int chunk = static_cast<int>(std::min<size_t>(n, INT_MAX));
    if (RAND_bytes(p, chunk) != 1) {
      std::fprintf(stderr,
                   "userstore: OpenSSL RAND_bytes failed (error %lu); refusing to "
                   "continue with weak randomness\n",
                   ERR_get_error());
      std::abort();
    }
    p += chunk;
    n -= static_cast<size_t>(chunk);
  }
}

SidBytes RandomSidBytes() {
  SidBytes sid;
  RandomBytes(sid.bytes.data(), sid.bytes.size());
  return sid;
}

std::string MintSid(std::string_view prefix) { return FormatSid(prefix, RandomSidBytes()); }

}  // namespace userstore::internal

namespace userstore {

std::optional<std::string> CanonicalSid(std::string_view text, std::string_view prefix) {
  if (prefix.size() != 2) return std::nullopt;
  const std::optional<internal::SidBytes> sid = internal::ParseSid(text, prefix);
  if (!sid.has_value()) return std::nullopt;
  return internal::FormatSid(prefix, *sid);
}

}  // namespace userstore
