// Fuzz target: the REST facade's decoders (src/rest/target.h, form.h,
// params.h, router.h), without a Store.
//
// Input: [max params byte] then the text, used as a form body, as a request
// target, as a base URL and as header lines. Properties:
//   - ParseForm: never crashes; fails exactly when there are more non-empty
//     '&' pieces than the limit (400/20001, checked before decoding) or some
//     '%' is not followed by two hex digits (400/20001); otherwise yields the
//     pieces in order, split on the first '=', empty names dropped, each part
//     decoded once with '+' as space (checked against a tiny reference
//     decoder), and re-encoding the result with Boost.URL parses back to it;
//   - ParseTarget: never crashes; on success encoded_path is the text up to
//     '?', starts with '/', and has one segment per '/' ("/" has none), each
//     decoded once with '+' kept; the query equals ParseForm of the text after
//     '?'; every decoded segment list, re-encoded, parses back to itself;
//   - MatchRoute / PathForNotFound (three base paths): a route matches only
//     the documented segment shapes and names the decoded segments; the 404
//     path is never empty and starts with '/';
//   - MatchConversationsRoute / RouteRequest / NotFoundPath (three pairs of
//     Chat and Conversations bases): the same for Conversations' shapes (its
//     resource path keeps the base path), RouteRequest routes exactly what
//     one of the two matches, taking the deeper base's route first;
//   - ParsePageRequest: on success the values are the query's integers;
//   - any decoded value used as a user key in ".../Users/{key}" (percent-
//     encoded) routes back to exactly that key, also below it in
//     ".../Users/{key}/Bindings/{value}" (the value the Binding SID);
//   - header lookup, the webhook header and the bounds follow params.h;
//   - ParseIfMatch (conditional.h), on every header value: "*" is no
//     precondition; a value is accepted exactly when it is EntityTag(n) of
//     some n, and then yields n; anything else is 400/20001.
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "fuzz/fuzz_util.h"
#include "rest/conditional.h"
#include "rest/conversations_router.h"
#include "rest/form.h"
#include "rest/params.h"
#include "rest/router.h"
#include "rest/target.h"
#include "userstore/error.h"
#include "userstore/page.h"

namespace userstore::fuzz {
namespace {

using internal::FormParams;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reference percent-decoder (an oracle only; the library uses Boost.URL).
// nullopt on a malformed escape.
std::optional<std::string> RefDecode(std::string_view s, bool plus_as_space) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (s[i] == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

bool IsInvalidParameter(const absl::Status& s) {
  return HttpStatus(s) == 400 && TwilioCode(s) == twilio_code::kInvalidParameter;
}

std::string EncodeAll(std::string_view s) {
  return boost::urls::encode(boost::urls::string_view(s.data(), s.size()),
                             boost::urls::unreserved_chars);
}

void CheckForm(std::string_view text, size_t max_params) {
  absl::StatusOr<FormParams> params = internal::ParseForm(text, max_params);

  // The reference reading.
  std::vector<std::string_view> pieces;
  for (std::string_view p : Split(text, '&')) {
    if (!p.empty()) pieces.push_back(p);
  }
  bool malformed = false;
  FormParams expected;
  for (std::string_view piece : pieces) {
    const size_t eq = piece.find('=');
    std::optional<std::string> name = RefDecode(piece.substr(0, eq), true);
    std::optional<std::string> value =
        RefDecode(eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1), true);
    if (!name || !value) {
      malformed = true;
      continue;
    }
    if (!name->empty()) expected.emplace_back(*name, *value);
  }

  if (pieces.size() > max_params) {
    FUZZ_CHECK(!params.ok() && IsInvalidParameter(params.status()) &&
                   absl::StrContains(params.status().message(), "Too many"),
               "%zu pieces, limit %zu: %s", pieces.size(), max_params,
               Describe(params.status()).c_str());
    return;
  }
  if (malformed) {
    FUZZ_CHECK(!params.ok() && IsInvalidParameter(params.status()), "malformed escape accepted");
    return;
  }
  FUZZ_CHECK(params.ok(), "well-formed form rejected: %s", Describe(params.status()).c_str());
  FUZZ_CHECK(*params == expected, "decoded form differs from the reference reading");

  // First occurrence wins.
  for (const auto& [name, value] : *params) {
    std::optional<std::string_view> found = internal::FindParam(*params, name);
    FUZZ_CHECK(found.has_value(), "FindParam lost a name");
    for (const auto& [n, v] : *params) {
      if (n == name) {
        FUZZ_CHECK(*found == v, "FindParam did not return the first occurrence");
        break;
      }
    }
  }

  // Re-encoded, the parameters parse back to themselves.
  std::string reencoded;
  for (const auto& [name, value] : *params) {
    if (!reencoded.empty()) reencoded += '&';
    reencoded += EncodeAll(name) + "=" + EncodeAll(value);
  }
  absl::StatusOr<FormParams> again = internal::ParseForm(reencoded, max_params);
  FUZZ_CHECK(again.ok() && *again == *params, "re-encoded form did not round-trip");
}

void CheckRoute(const internal::Target& target, const std::vector<std::string>& base) {
  const std::vector<std::string>& segs = target.segments;
  std::optional<internal::Route> route = internal::MatchRoute(segs, base);
  const std::string not_found = internal::PathForNotFound(target.encoded_path, segs, base);
  FUZZ_CHECK(!not_found.empty() && not_found[0] == '/', "404 path '%s'", not_found.c_str());
  if (!route) return;
  FUZZ_CHECK(segs.size() >= base.size() + 2 && segs.size() <= base.size() + 6,
             "route with %zu segments", segs.size());
  for (size_t i = 0; i < base.size(); ++i) FUZZ_CHECK(segs[i] == base[i], "base mismatch");
  const size_t n = segs.size() - base.size();
  const std::string* s = segs.data() + base.size();
  FUZZ_CHECK(s[0] == "Services" && !s[1].empty() && route->service_sid == s[1], "service segment");
  std::string path;
  for (size_t i = 0; i < n; ++i) {
    FUZZ_CHECK(!s[i].empty(), "empty segment routed");
    path += "/" + s[i];
  }
  const std::string resource_path = internal::ResourcePath(*route);
  FUZZ_CHECK(resource_path == path, "resource_path '%s' vs '%s'", resource_path.c_str(),
             path.c_str());
  switch (route->kind) {
    case internal::RouteKind::kService:
      FUZZ_CHECK(n == 2, "kService with %zu segments", n);
      break;
    case internal::RouteKind::kRoles:
      FUZZ_CHECK(n == 3 && s[2] == "Roles", "kRoles shape");
      break;
    case internal::RouteKind::kUsers:
      FUZZ_CHECK(n == 3 && s[2] == "Users", "kUsers shape");
      break;
    case internal::RouteKind::kUser:
      FUZZ_CHECK(n == 4 && s[2] == "Users" && route->user_key == s[3], "kUser shape");
      break;
    case internal::RouteKind::kBindings:
      FUZZ_CHECK(n == 3 && s[2] == "Bindings", "kBindings shape");
      break;
    case internal::RouteKind::kBinding:
      FUZZ_CHECK(n == 4 && s[2] == "Bindings" && route->binding_sid == s[3], "kBinding shape");
      break;
    case internal::RouteKind::kUserBindings:
      FUZZ_CHECK(n == 5 && s[2] == "Users" && route->user_key == s[3] && s[4] == "Bindings",
                 "kUserBindings shape");
      break;
    case internal::RouteKind::kUserBinding:
      FUZZ_CHECK(n == 6 && s[2] == "Users" && route->user_key == s[3] && s[4] == "Bindings" &&
                     route->binding_sid == s[5],
                 "kUserBinding shape");
      break;
    case internal::RouteKind::kConfiguration:
      FUZZ_CHECK(false, "a Chat route of kind kConfiguration");
      break;
  }
}

void CheckConversationsRoute(const internal::Target& target, const std::vector<std::string>& chat,
                             const std::vector<std::string>& conversations) {
  const std::vector<std::string>& segs = target.segments;
  const std::string prefix = internal::BasePathText(conversations);
  const internal::ApiBases bases{chat, conversations, prefix};
  const std::optional<internal::Route> any = internal::RouteRequest(segs, bases);
  const std::optional<internal::Route> v1 =
      internal::MatchConversationsRoute(segs, conversations, prefix);
  const std::optional<internal::Route> v2 = internal::MatchRoute(segs, chat);
  FUZZ_CHECK(any.has_value() == (v1.has_value() || v2.has_value()), "RouteRequest");
  if (any.has_value()) {
    const bool v1_first = conversations.size() > chat.size();
    const PageApi expected =
        (v1_first ? v1.has_value() : !v2.has_value()) ? PageApi::kConversations : PageApi::kChat;
    FUZZ_CHECK(any->api == expected, "RouteRequest took the other API's route");
  }
  const std::string not_found = internal::NotFoundPath(target.encoded_path, segs, bases);
  FUZZ_CHECK(!not_found.empty() && not_found[0] == '/', "404 path '%s'", not_found.c_str());
  if (!v1) return;
  FUZZ_CHECK(v1->api == PageApi::kConversations && v1->prefix == prefix, "Conversations route");
  FUZZ_CHECK(segs.size() >= conversations.size() + 1 && segs.size() <= conversations.size() + 4,
             "route with %zu segments", segs.size());
  for (size_t i = 0; i < conversations.size(); ++i) {
    FUZZ_CHECK(segs[i] == conversations[i], "base mismatch");
  }
  const size_t n = segs.size() - conversations.size();
  const std::string* s = segs.data() + conversations.size();
  std::string path = prefix;
  for (size_t i = 0; i < n; ++i) {
    FUZZ_CHECK(!s[i].empty(), "empty segment routed");
    path += "/" + s[i];
  }
  FUZZ_CHECK(internal::ResourcePath(*v1) == path, "resource_path '%s' vs '%s'",
             internal::ResourcePath(*v1).c_str(), path.c_str());
  switch (v1->kind) {
    case internal::RouteKind::kConfiguration:
      FUZZ_CHECK(n == 1 && s[0] == "Configuration", "kConfiguration shape");
      break;
    case internal::RouteKind::kUsers:
      FUZZ_CHECK(v1->account_level
                     ? n == 1 && s[0] == "Users"
                     : n == 3 && s[0] == "Services" && v1->service_sid == s[1] && s[2] == "Users",
                 "kUsers shape");
      break;
    case internal::RouteKind::kUser:
      FUZZ_CHECK(v1->account_level ? n == 2 && s[0] == "Users" && v1->user_key == s[1]
                                   : n == 4 && s[0] == "Services" && v1->service_sid == s[1] &&
                                         s[2] == "Users" && v1->user_key == s[3],
                 "kUser shape");
      break;
    case internal::RouteKind::kService:
    case internal::RouteKind::kRoles:
    case internal::RouteKind::kBindings:
    case internal::RouteKind::kBinding:
    case internal::RouteKind::kUserBindings:
    case internal::RouteKind::kUserBinding:
      FUZZ_CHECK(false, "a Conversations route of a Chat kind");
      break;
  }
}

std::optional<int64_t> RefInteger(std::string_view s) {
  std::string_view digits = s;
  if (!digits.empty() && digits[0] == '-') digits.remove_prefix(1);
  if (digits.empty()) return std::nullopt;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t v;
  if (!absl::SimpleAtoi(absl::string_view(s.data(), s.size()), &v)) return std::nullopt;
  return v;
}

void CheckPageRequest(const FormParams& query) {
  absl::StatusOr<PageRequest> request = internal::ParsePageRequest(query);
  std::optional<std::string_view> size = internal::FindParam(query, "PageSize");
  std::optional<std::string_view> page = internal::FindParam(query, "Page");
  std::optional<std::string_view> token = internal::FindParam(query, "PageToken");
  std::optional<int64_t> size_value, page_value;
  bool valid = true;
  if (size) {
    size_value = RefInteger(*size);
    // Plain digits beyond int64 are the largest request (clamped, not an error).
    const bool digits =
        !size->empty() && size->find_first_not_of("0123456789") == std::string_view::npos;
    if (!size_value && digits) size_value = std::numeric_limits<int64_t>::max();
    valid = valid && size_value && *size_value >= 1;
  }
  if (page) {
    page_value = RefInteger(*page);
    valid = valid && page_value && *page_value >= 0 && *page_value <= kMaxPageIndex;
  }
  if (valid && page_value.value_or(0) > 0 && (!token || token->empty())) valid = false;
  if (!valid) {
    FUZZ_CHECK(!request.ok() && IsInvalidParameter(request.status()),
               "invalid paging parameters accepted");
    return;
  }
  FUZZ_CHECK(request.ok(), "valid paging parameters rejected: %s",
             Describe(request.status()).c_str());
  FUZZ_CHECK(request->page_size == size_value.value_or(0), "PageSize");
  FUZZ_CHECK(request->page == page_value.value_or(0), "Page");
  FUZZ_CHECK(request->page_token == token.value_or(""), "PageToken");
}

void CheckTarget(std::string_view text, size_t max_params) {
  absl::StatusOr<internal::Target> target = internal::ParseTarget(text, max_params);
  if (!target.ok()) {
    FUZZ_CHECK(IsInvalidParameter(target.status()), "%s", Describe(target.status()).c_str());
    // A plain origin-form target must be accepted: '/' first, then only
    // pchar / '?' bytes without escapes, and few enough query parameters.
    bool plain = !text.empty() && text[0] == '/';
    for (char c : text) {
      plain = plain && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                        std::string_view("-._~!$&'()*+,;=:@/?").find(c) != std::string_view::npos);
    }
    if (plain) {
      const size_t q = text.find('?');
      absl::StatusOr<FormParams> query = internal::ParseForm(
          q == std::string_view::npos ? std::string_view() : text.substr(q + 1), max_params);
      FUZZ_CHECK(!query.ok(), "plain target rejected: %s", Describe(target.status()).c_str());
    }
    return;
  }
  const size_t q = text.find('?');
  const std::string_view path = text.substr(0, q);
  FUZZ_CHECK(target->encoded_path == path, "encoded_path '%s'",
             std::string(target->encoded_path).c_str());
  FUZZ_CHECK(!path.empty() && path[0] == '/', "path without a leading '/'");
  const std::vector<std::string_view> raw = Split(path.substr(1), '/');
  const size_t expected_segments = path == "/" ? 0 : raw.size();
  FUZZ_CHECK(target->segments.size() == expected_segments, "%zu segments, expected %zu",
             target->segments.size(), expected_segments);
  for (size_t i = 0; i < expected_segments; ++i) {
    std::optional<std::string> decoded = RefDecode(raw[i], false);
    FUZZ_CHECK(decoded && *decoded == target->segments[i], "segment %zu decoded wrong", i);
  }
  if (q != std::string_view::npos) {
    absl::StatusOr<FormParams> query = internal::ParseForm(text.substr(q + 1), max_params);
    FUZZ_CHECK(query.ok() && *query == target->query, "query differs from ParseForm");
  } else {
    FUZZ_CHECK(target->query.empty(), "query without '?'");
  }

  // Re-encoded segments parse back.
  std::string rebuilt;
  for (const std::string& s : target->segments) rebuilt += "/" + EncodeAll(s);
  if (rebuilt.empty()) rebuilt = "/";
  absl::StatusOr<internal::Target> again = internal::ParseTarget(rebuilt, max_params);
  FUZZ_CHECK(again.ok() && again->segments == target->segments,
             "re-encoded path did not round-trip: %s", rebuilt.c_str());

  static const std::vector<std::string> kBases[] = {{}, {"v2"}, {"api", "chat", "v2"}};
  for (const auto& base : kBases) CheckRoute(*target, base);
  static const std::vector<std::string> kChatBases[] = {{}, {"v2"}, {"v2"}};
  static const std::vector<std::string> kConversationsBases[] = {
      {"v1"}, {"v1"}, {"api", "conv", "v1"}};
  for (size_t i = 0; i < 3; ++i)
    CheckConversationsRoute(*target, kChatBases[i], kConversationsBases[i]);
  CheckPageRequest(target->query);
}

// Any bytes, percent-encoded into the {key} segment, address exactly them.
void CheckKeyRoundTrip(std::string_view key) {
  if (key.empty()) return;
  const std::string target = "/v2/Services/ISx/Users/" + EncodeAll(key) + "?PageSize=1";
  absl::StatusOr<internal::Target> parsed = internal::ParseTarget(target, 64);
  FUZZ_CHECK(parsed.ok(), "encoded key rejected: %s", Describe(parsed.status()).c_str());
  std::optional<internal::Route> route = internal::MatchRoute(parsed->segments, {"v2"});
  FUZZ_CHECK(route && route->kind == internal::RouteKind::kUser && route->user_key == key,
             "encoded key did not route back to itself");
  // The same below it: a user's Binding (the key as the Binding SID too).
  const std::string binding =
      "/v2/Services/ISx/Users/" + EncodeAll(key) + "/Bindings/" + EncodeAll(key);
  parsed = internal::ParseTarget(binding, 64);
  FUZZ_CHECK(parsed.ok(), "encoded key rejected: %s", Describe(parsed.status()).c_str());
  route = internal::MatchRoute(parsed->segments, {"v2"});
  FUZZ_CHECK(route && route->kind == internal::RouteKind::kUserBinding && route->user_key == key &&
                 route->binding_sid == key,
             "encoded key did not route back to itself below the user");
}

void CheckIfMatch(std::string_view value) {
  absl::StatusOr<std::optional<uint64_t>> parsed = internal::ParseIfMatch(value);
  if (value == "*") {
    FUZZ_CHECK(parsed.ok() && !parsed->has_value(), "If-Match: * is a precondition");
    return;
  }
  // The reference: the tags the facade sends, "\"" + decimal + "\"".
  std::optional<uint64_t> sent;
  uint64_t n = 0;
  if (value.size() >= 3 && value.front() == '"' && value.back() == '"' &&
      absl::SimpleAtoi(absl::string_view(value.data() + 1, value.size() - 2), &n) &&
      internal::EntityTag(n) == value) {
    sent = n;
  }
  if (sent.has_value()) {
    FUZZ_CHECK(parsed.ok() && *parsed == sent, "If-Match: an ETag the facade sends is refused");
  } else {
    FUZZ_CHECK(!parsed.ok() && IsInvalidParameter(parsed.status()),
               "If-Match: a value that is no ETag of the facade's is accepted");
  }
}

void CheckHeaders(std::string_view text, size_t body_size) {
  CheckIfMatch(text);
  std::vector<std::pair<std::string, std::string>> headers;
  for (std::string_view line : Split(text, '\n')) {
    const size_t colon = line.find(':');
    headers.emplace_back(
        std::string(line.substr(0, colon)),
        colon == std::string_view::npos ? std::string() : std::string(line.substr(colon + 1)));
    CheckIfMatch(headers.back().second);
  }
  std::optional<std::string> first;
  for (const auto& [n, v] : headers) {
    if (absl::AsciiStrToLower(n) == "x-twilio-webhook-enabled") {
      first = v;
      break;
    }
  }
  absl::StatusOr<bool> webhook = internal::WebhookEnabled(headers);
  if (!first) {
    FUZZ_CHECK(webhook.ok() && !*webhook, "absent header");
  } else if (absl::AsciiStrToLower(*first) == "true") {
    FUZZ_CHECK(webhook.ok() && *webhook, "true header");
  } else if (absl::AsciiStrToLower(*first) == "false") {
    FUZZ_CHECK(webhook.ok() && !*webhook, "false header");
  } else {
    FUZZ_CHECK(!webhook.ok() && IsInvalidParameter(webhook.status()), "bad header value");
  }

  const absl::Status bounds = internal::CheckRequestBounds(text, body_size, headers.size());
  const bool within = text.size() <= internal::kMaxTargetBytes &&
                      body_size <= internal::kMaxBodyBytes &&
                      headers.size() <= internal::kMaxHeaders;
  FUZZ_CHECK(within ? bounds.ok() : IsInvalidParameter(bounds), "bounds: %s",
             Describe(bounds).c_str());
}

}  // namespace
}  // namespace userstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace userstore;
  using namespace userstore::fuzz;
  ByteReader in(data, size);
  const uint8_t config = in.Byte();
  const size_t max_params = config % 70;
  const std::string_view text = in.Rest();

  CheckForm(text, max_params);
  CheckTarget(text, internal::kMaxParams);
  if (max_params != internal::kMaxParams) CheckTarget(text, max_params);
  absl::StatusOr<FormParams> form = internal::ParseForm(text, 1000000);
  if (form.ok()) {
    for (const auto& [name, value] : *form) CheckKeyRoundTrip(value);
  }
  (void)internal::BasePathSegments(text);  // must not crash
  CheckHeaders(text, static_cast<size_t>(config) * 1024);
  return 0;
}
