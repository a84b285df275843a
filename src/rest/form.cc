#include "rest/form.h"

#include <boost/url/encoding_opts.hpp>
#include <boost/url/pct_string_view.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/twilio_errors.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

// Debian's Abseil has its own absl::string_view (not std::string_view).
absl::string_view AbslView(std::string_view s) { return {s.data(), s.size()}; }

// Percent-decodes `text` once, '+' as space. Boost.URL validates the escapes.
absl::StatusOr<std::string> DecodeComponent(std::string_view text, std::string_view what) {
  boost::urls::result<boost::urls::pct_string_view> pct =
      boost::urls::make_pct_string_view(boost::urls::string_view(text.data(), text.size()));
  if (!pct) {
    return BadRequest(twilio_code::kInvalidParameter,
                      absl::StrCat("Malformed percent-encoding in ", AbslView(what)));
  }
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  return pct->decode(opts);
}

// True for names worth echoing in an error message: 1..64 bytes of
// [A-Za-z0-9_-] (every Twilio parameter name is).
bool IsPlainName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<FormParams> ParseForm(std::string_view text, size_t max_params) {
  // Non-empty '&'-separated pieces ("a&&b" has two).
  std::vector<std::string_view> pieces;
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view piece = text.substr(0, amp);
    if (!piece.empty()) pieces.push_back(piece);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
  }
  if (pieces.size() > max_params) {
    return BadRequest(twilio_code::kInvalidParameter,
                      absl::StrCat("Too many parameters (limit ", max_params, ")"));
  }
  FormParams params;
  params.reserve(pieces.size());
  for (std::string_view piece : pieces) {
    size_t eq = piece.find('=');  // the first '=' ends the name
    std::string_view raw_name = piece.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    absl::StatusOr<std::string> name = DecodeComponent(raw_name, "a parameter name");
    if (!name.ok()) return name.status();
    absl::StatusOr<std::string> value =
        DecodeComponent(raw_value, IsPlainName(*name) ? absl::StrCat("parameter ", *name)
                                                      : std::string("a parameter value"));
    if (!value.ok()) return value.status();
    if (name->empty()) continue;  // no parameter has an empty name
    params.emplace_back(*std::move(name), *std::move(value));
  }
  return params;
}

std::optional<std::string_view> FindParam(const FormParams& params, std::string_view name) {
  for (const auto& [n, v] : params) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::vector<std::string_view> FindAllParams(const FormParams& params, std::string_view name) {
  std::vector<std::string_view> values;
  for (const auto& [n, v] : params) {
    if (n == name) values.emplace_back(v);
  }
  return values;
}

}  // namespace userstore::internal
