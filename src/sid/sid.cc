// SIDs: parsing, formatting and minting (see sid.h). Thread-safe: pure
// functions except RandomBytes, which relies on OpenSSL's thread-safe DRBG.
#include "sid/sid.h"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"

namespace userstore::internal {
namespace {

constexpr size_t kPrefixChars = 2;
constexpr size_t kHexChars = 2 * sizeof(SidBytes::bytes);  // 32

}  // namespace

bool IsSidShaped(std::string_view text, std::string_view prefix) {
  if (text.size() != kPrefixChars + kHexChars || prefix.size() != kPrefixChars ||
      text.substr(0, kPrefixChars) != prefix) {
    return false;
  }
  std::string_view hex = text.substr(kPrefixChars);
  return std::all_of(hex.begin(), hex.end(), [](char c) {
    return absl::ascii_isxdigit(static_cast<unsigned char>(c));
  });
}

std::optional<SidBytes> ParseSid(std::string_view text, std::string_view prefix) {
  // absl::HexStringToBytes does not validate its input: check first.
  if (!IsSidShaped(text, prefix)) return std::nullopt;
  const std::string_view hex = text.substr(kPrefixChars);
  const std::string raw =
      absl::HexStringToBytes(absl::string_view(hex.data(), hex.size()));
  SidBytes sid;
  std::copy(raw.begin(), raw.end(), sid.bytes.begin());
  return sid;
}

std::string FormatSid(std::string_view prefix, const SidBytes& sid) {
  // BytesToHexString prints lowercase digits.
  std::string out(prefix);
  out += absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(sid.bytes.data()), sid.bytes.size()));
  return out;
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

std::string MintSid(std::string_view prefix) {
  return FormatSid(prefix, RandomSidBytes());
}

}  // namespace userstore::internal
