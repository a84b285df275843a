// ValidateAttributes (include/userstore/attributes.h) and
// internal::IsValidJson (json/json_dom.h): see docs/json.md (what simdjson accepts, how depth is
// counted).
#include "userstore/attributes.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/twilio_errors.h"
#include "json/json_dom.h"
#include "userstore/error.h"

namespace userstore {

using internal::BadRequest;

absl::Status ValidateAttributes(std::string_view text, const Limits& limits) {
  if (text.size() > limits.max_attributes_bytes) {
    return BadRequest(twilio_code::kAttributesTooLong,
                      absl::StrCat("Attributes must be at most ", limits.max_attributes_bytes,
                                   " bytes long (got ", text.size(), " bytes)"));
  }
  internal::JsonDocument doc;
  switch (doc.Parse(text, limits.max_attributes_depth)) {
    case internal::JsonError::kOk:
      break;
    case internal::JsonError::kSyntax:
      return BadRequest(twilio_code::kAttributesInvalid,
                        "Attributes must be a valid JSON object: the text is "
                        "not valid JSON (RFC 8259, UTF-8)");
    case internal::JsonError::kNumberRange:
      return BadRequest(twilio_code::kAttributesInvalid,
                        "Attributes must be a valid JSON object: the text is "
                        "valid JSON, but a number in it is beyond the supported "
                        "range (integers must fit in 64 bits, other numbers in a "
                        "double)");
    case internal::JsonError::kTooDeep:
      return BadRequest(twilio_code::kAttributesInvalid,
                        absl::StrCat("Attributes must be a valid JSON object: nesting is "
                                     "deeper than ",
                                     limits.max_attributes_depth, " levels"));
    case internal::JsonError::kNoMemory:
      return TwilioError(absl::StatusCode::kResourceExhausted, 500, twilio_code::kInternal,
                         "Out of memory while checking Attributes");
  }
  if (doc.root().type() != simdjson::dom::element_type::OBJECT) {
    return BadRequest(twilio_code::kAttributesInvalid,
                      "Attributes must be a valid JSON object: the top-level "
                      "value is not an object");
  }
  return absl::OkStatus();
}

namespace internal {

bool IsValidJson(std::string_view text, size_t max_depth) {
  JsonDocument doc;
  return doc.Parse(text, max_depth) == JsonError::kOk;
}

}  // namespace internal

}  // namespace userstore
