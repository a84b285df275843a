// Decoding of application/x-www-form-urlencoded text (form bodies and query
// strings) into name/value pairs.
//
// The text is split on '&', each piece on its first '=', and the name and the
// value are each percent-decoded exactly once by Boost.URL with '+' meaning a
// space (boost::urls::encoding_opts::space_as_plus). Like Java's URLDecoder
// and Go's url.ParseQuery, bytes outside RFC 3986's query grammar (a raw '{',
// '"', space or UTF-8 byte, as `curl -d` sends them) are taken literally; a
// malformed escape ('%' not followed by two hex digits) rejects the whole
// text. Decisions (docs/rest.md): empty pieces and pieces with an empty name
// are dropped; a piece without '=' is a parameter with an empty value; names
// are case-sensitive; when a name repeats, the FIRST occurrence wins
// (FindParam), except for the parameters Twilio documents as repeatable
// (arrays, e.g. a Bindings list's BindingType and Identity), which read
// every occurrence (FindAllParams). Thread-safe (pure functions).
#ifndef USERSTORE_SRC_REST_FORM_H_
#define USERSTORE_SRC_REST_FORM_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace userstore::internal {

// Decoded parameters in the order they were sent (repeats kept).
using FormParams = std::vector<std::pair<std::string, std::string>>;

// Decodes `text` (no leading '?'). Non-empty pieces are counted before any
// decoding; more than `max_params` is rejected.
// Errors: 400/20001 malformed percent escape (the message names the
// parameter only when its name is plain [A-Za-z0-9_-], never echoes a value);
// 400/20001 more than `max_params` parameters. Complexity: O(|text|).
absl::StatusOr<FormParams> ParseForm(std::string_view text, size_t max_params);

// The value of the first parameter named exactly `name`; nullopt when absent.
// The view points into `params`. O(number of params).
std::optional<std::string_view> FindParam(const FormParams& params, std::string_view name);

// The values of every parameter named exactly `name`, in the order they were
// sent (empty when absent): Twilio's array parameters repeat the name once
// per element (BindingType=apn&BindingType=fcm). The views point into
// `params`. O(number of params).
std::vector<std::string_view> FindAllParams(const FormParams& params, std::string_view name);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_REST_FORM_H_
