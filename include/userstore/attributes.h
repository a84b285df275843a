// Validation of the `attributes` JSON text.
//
// Twilio stores `attributes` as a JSON string holding a JSON object and returns
// it byte-for-byte. userstore checks it with simdjson's DOM parser (a
// validating RFC 8259 parser): size first, then syntax, UTF-8, surrogate
// escapes, nesting depth, and that the top level is an object. The
// implementation-defined corners (numbers beyond 64 bits, ...) are listed in
// docs/json.md. Thread-safe: each thread uses its own parser.
#ifndef USERSTORE_ATTRIBUTES_H_
#define USERSTORE_ATTRIBUTES_H_

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "userstore/export.h"
#include "userstore/options.h"

namespace userstore {

// OK when `text` is at most limits.max_attributes_bytes bytes, is one valid
// JSON value (RFC 8259, UTF-8, no lone surrogate escape) with nesting depth at
// most limits.max_attributes_depth, and that value is an object (surrounding
// JSON whitespace allowed).
// Errors: 400/50303 too long (checked before any parsing); 400/50304 anything
// else, the message saying which (not valid JSON; valid JSON with a number
// beyond the supported range: an integer beyond 64 bits or a number beyond a
// double's range; too deep; not an object). Complexity: O(|text|); no recursion, so deep nesting is
// safe on small thread stacks.
USERSTORE_EXPORT absl::Status ValidateAttributes(std::string_view text, const Limits& limits);

}  // namespace userstore

#endif  // USERSTORE_ATTRIBUTES_H_
