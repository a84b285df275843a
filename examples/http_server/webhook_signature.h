// X-Twilio-Signature: how Twilio signs a webhook request, and so how
// userstore-http signs the ones it sends (docs/events.md, "Webhooks").
//
// The signature is base64(HMAC-SHA1(auth token, URL followed by each POST
// parameter's name and value, the parameters sorted by name)), as Twilio's
// webhook security page describes it and twilio-python's
// twilio/request_validator.py (RequestValidator.compute_signature) checks
// it. HMAC-SHA1 is OpenSSL's, base64 Abseil's. Thread-safety: pure
// functions, thread-safe.
#ifndef USERSTORE_EXAMPLES_HTTP_SERVER_WEBHOOK_SIGNATURE_H_
#define USERSTORE_EXAMPLES_HTTP_SERVER_WEBHOOK_SIGNATURE_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace userstore_http {

// A webhook's form parameters (name, value), in the order they are sent.
// Names are ASCII; values any bytes (UTF-8 in practice).
using WebhookParams = std::vector<std::pair<std::string, std::string>>;

// The X-Twilio-Signature header value for a POST of `params` to `url` (the
// URL exactly as configured and requested, query included), keyed with
// `auth_token`: 28 characters of standard base64 with padding. Parameters
// are concatenated sorted by name, then by value (byte order: Python's
// sorted() on the validator's side gives the same for ASCII names); the
// caller's order does not matter. Never fails (an OpenSSL failure, which
// cannot happen for SHA-1 with valid inputs, gives an empty string, which
// no validator accepts). Complexity: O(|url| + total size of params, plus
// n log n for the sort).
std::string TwilioSignature(std::string_view auth_token, std::string_view url,
                            const WebhookParams& params);

}  // namespace userstore_http

#endif  // USERSTORE_EXAMPLES_HTTP_SERVER_WEBHOOK_SIGNATURE_H_
