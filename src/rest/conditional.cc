#include "rest/conditional.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/twilio_errors.h"
#include "rest/params.h"
#include "userstore/error.h"

namespace userstore::internal {

std::string EntityTag(uint64_t revision) { return absl::StrCat("\"", revision, "\""); }

absl::StatusOr<std::optional<uint64_t>> ParseIfMatch(std::string_view value) {
  if (value == "*") return std::optional<uint64_t>();
  std::string_view digits = value;
  bool ok = digits.size() >= 3 && digits.front() == '"' && digits.back() == '"';
  if (ok) {
    digits = digits.substr(1, digits.size() - 2);
    ok = digits == "0" || digits.front() != '0';
  }
  for (size_t i = 0; ok && i < digits.size(); ++i) {
    ok = absl::ascii_isdigit(static_cast<unsigned char>(digits[i]));
  }
  uint64_t revision = 0;
  if (ok && absl::SimpleAtoi(absl::string_view(digits.data(), digits.size()), &revision)) {
    return std::optional<uint64_t>(revision);
  }
  return BadRequest(twilio_code::kInvalidParameter,
                    "Invalid value for header If-Match (expected * or one ETag of this user, "
                    "\"<revision>\" as the ETag header gives it)");
}

absl::StatusOr<std::optional<uint64_t>> IfMatchRevision(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::optional<std::string_view> value = FindHeader(headers, kIfMatchHeader);
  if (!value.has_value()) return std::optional<uint64_t>();
  return ParseIfMatch(*value);
}

}  // namespace userstore::internal
