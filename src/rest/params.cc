#include "rest/params.h"

#include <cstdint>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/twilio_errors.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

// Debian's Abseil has its own absl::string_view (not std::string_view).
absl::string_view AbslView(std::string_view s) { return {s.data(), s.size()}; }

absl::Status InvalidParameter(std::string_view message) {
  return BadRequest(twilio_code::kInvalidParameter, message);
}

// True for ^[0-9]+$.
bool IsDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Parses ^-?[0-9]+$ into an int64; nullopt for anything else or overflow.
std::optional<int64_t> ParseInteger(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  if (!IsDigits(digits)) return std::nullopt;
  int64_t value = 0;
  if (!absl::SimpleAtoi(AbslView(text), &value)) return std::nullopt;  // overflow
  return value;
}

}  // namespace

absl::Status CheckRequestBounds(std::string_view target, size_t body_bytes, size_t header_count,
                                size_t max_body_bytes) {
  if (target.size() > kMaxTargetBytes) {
    return InvalidParameter(
        absl::StrCat("Request target too long (limit ", kMaxTargetBytes, " bytes)"));
  }
  if (body_bytes > max_body_bytes) {
    return InvalidParameter(
        absl::StrCat("Request body too long (limit ", max_body_bytes, " bytes)"));
  }
  if (header_count > kMaxHeaders) {
    return InvalidParameter(absl::StrCat("Too many request headers (limit ", kMaxHeaders, ")"));
  }
  return absl::OkStatus();
}

std::optional<std::string_view> FindHeader(
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view name) {
  // RFC 9110 §5.5: OWS is SP / HTAB only (absl::StripAsciiWhitespace would
  // also strip CR, LF, VT and FF, which are not optional whitespace).
  constexpr std::string_view kOws = " \t";
  for (const auto& [n, v] : headers) {
    if (!absl::EqualsIgnoreCase(n, AbslView(name))) continue;
    std::string_view value = v;
    const size_t begin = value.find_first_not_of(kOws);
    if (begin == std::string_view::npos) return std::string_view();
    value.remove_prefix(begin);
    value.remove_suffix(value.size() - 1 - value.find_last_not_of(kOws));
    return value;
  }
  return std::nullopt;
}

absl::StatusOr<bool> WebhookEnabled(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::optional<std::string_view> value = FindHeader(headers, "X-Twilio-Webhook-Enabled");
  if (!value.has_value()) return false;
  if (absl::EqualsIgnoreCase(AbslView(*value), "true")) return true;
  if (absl::EqualsIgnoreCase(AbslView(*value), "false")) return false;
  return InvalidParameter(
      "Invalid value for header X-Twilio-Webhook-Enabled (expected true or false)");
}

absl::StatusOr<WriteOrigin> OriginHeader(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::optional<std::string_view> value = FindHeader(headers, kOriginHeader);
  if (!value.has_value() || absl::EqualsIgnoreCase(AbslView(*value), "server")) {
    return WriteOrigin::kServer;
  }
  if (absl::EqualsIgnoreCase(AbslView(*value), "client")) return WriteOrigin::kClient;
  return InvalidParameter(
      "Invalid value for header X-Userstore-Origin (expected client or server)");
}

absl::StatusOr<PageRequest> ParsePageRequest(const FormParams& query) {
  PageRequest request;
  if (std::optional<std::string_view> size = FindParam(query, "PageSize")) {
    std::optional<int64_t> n = ParseInteger(*size);
    // Digits beyond int64 are a size above any maximum: the largest request,
    // which the Store clamps like any other (not an error, not "below 1").
    if (!n.has_value() && IsDigits(*size)) n = std::numeric_limits<int64_t>::max();
    if (!n.has_value() || *n < 1) {
      return InvalidParameter("Invalid PageSize: must be an integer of at least 1");
    }
    request.page_size = *n;
  }
  if (std::optional<std::string_view> page = FindParam(query, "Page")) {
    std::optional<int64_t> n = ParseInteger(*page);
    if (!n.has_value() || *n < 0 || *n > kMaxPageIndex) {
      return InvalidParameter(
          absl::StrCat("Invalid Page: must be an integer from 0 to ", kMaxPageIndex));
    }
    request.page = *n;
  }
  if (std::optional<std::string_view> token = FindParam(query, "PageToken")) {
    request.page_token = std::string(*token);
  }
  if (request.page > 0 && request.page_token.empty()) {
    return InvalidParameter("Page greater than 0 requires a PageToken");
  }
  return request;
}

}  // namespace userstore::internal
