// Small string helpers shared by the layers: conversions between the
// std::string_view of our interfaces and Debian's absl::string_view (a class
// of its own there: ABSL_OPTION_USE_STD_STRING_VIEW is 0), and bytes quoted
// for messages, and optional strings as views.
//
// Thread-safety: pure functions.
#ifndef USERSTORE_SRC_COMMON_STRINGS_H_
#define USERSTORE_SRC_COMMON_STRINGS_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace userstore::internal {

inline absl::string_view ToAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

inline std::string_view ToStd(absl::string_view text) {
  return std::string_view(text.data(), text.size());
}

// `bytes` in double quotes, with C escapes for every byte that is not
// printable ASCII (and for `"` and `\`): safe in a one-line message.
inline std::string Quoted(std::string_view bytes) {
  // StrCat, not operator+: gcc 12 at -O3 warns -Wrestrict (a false positive,
  // an error with USERSTORE_WERROR) on "\"" + std::string + "\"".
  return absl::StrCat("\"", absl::CEscape(ToAbsl(bytes)), "\"");
}

// A view of an optional string (nullopt stays nullopt).
inline std::optional<std::string_view> OptionalView(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return std::string_view(*s);
}

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_COMMON_STRINGS_H_
