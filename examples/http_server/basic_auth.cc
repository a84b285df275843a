#include "basic_auth.h"

#include <cstddef>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace userstore_http {
namespace {

// Compares without an early exit, so the time taken tells nothing about
// where the first difference is (only whether the lengths differ).
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace

BasicAuth::BasicAuth(std::string account_sid, std::string auth_token)
    : account_sid_(std::move(account_sid)), auth_token_(std::move(auth_token)) {}

bool BasicAuth::Check(std::string_view authorization) const {
  absl::string_view header(authorization.data(), authorization.size());
  constexpr absl::string_view kScheme = "basic ";
  if (!absl::StartsWithIgnoreCase(header, kScheme)) return false;
  absl::string_view encoded = absl::StripAsciiWhitespace(header.substr(kScheme.size()));
  std::string decoded;
  if (encoded.empty() || !absl::Base64Unescape(encoded, &decoded)) return false;
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  std::string_view user = std::string_view(decoded).substr(0, colon);
  std::string_view password = std::string_view(decoded).substr(colon + 1);
  // Both comparisons always run.
  bool user_ok = ConstantTimeEquals(user, account_sid_);
  bool password_ok = ConstantTimeEquals(password, auth_token_);
  return user_ok && password_ok;
}

}  // namespace userstore_http
