#include "rest/target.h"

#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/url_view.hpp>
#include <optional>
#include <string_view>

#include "common/twilio_errors.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

// The path's segments, each percent-decoded once ('+' stays '+'). The
// encoded path is split on '/' here rather than through url_view's segments
// view, which hides a leading "." segment ("/./v2" would read as "/v2");
// every segment must count, so that such paths are unknown (404).
std::vector<std::string> DecodedSegments(const boost::urls::url_view& url) {
  std::vector<std::string> segments;
  boost::urls::string_view path = url.encoded_path();
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) return segments;  // "/" has no segments
  for (;;) {
    const size_t slash = path.find('/');
    boost::urls::string_view piece = path.substr(0, slash);
    if (piece.find('%') == boost::urls::string_view::npos) {
      segments.emplace_back(piece.data(), piece.size());  // nothing to decode
    } else {
      // Already validated by the parser, so this cannot fail.
      segments.push_back(boost::urls::make_pct_string_view(piece)->decode());
    }
    if (slash == boost::urls::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

// Bytes a path segment or query holds as they are (RFC 3986 pchar without
// pct-encoded): unreserved, sub-delims, ':' and '@'.
struct PlainBytes {
  bool in[256];
};

constexpr PlainBytes MakePlainBytes() {
  PlainBytes t{};
  for (int c = 'a'; c <= 'z'; ++c) t.in[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t.in[c] = true;
  for (int c = '0'; c <= '9'; ++c) t.in[c] = true;
  for (char c : std::string_view("-._~!$&'()*+,;=:@")) t.in[static_cast<unsigned char>(c)] = true;
  return t;
}

constexpr PlainBytes kPlain = MakePlainBytes();

// The common target, with nothing to decode: '/', then plain bytes and '/'
// only, optionally '?' and a query of plain bytes, '/' and '?' (no '%'
// anywhere), not starting "//". Such a target is origin-form (RFC 9112
// §3.2.1) and splits as Boost.URL would split it, so it is parsed here
// without it. Returns false, having changed nothing, for any other target.
// `*query` is the query text when the target has a '?' (possibly empty).
bool ParsePlainTarget(std::string_view target, Target* out,
                      std::optional<std::string_view>* query) {
  if (target.empty() || target[0] != '/' || (target.size() > 1 && target[1] == '/')) return false;
  size_t q = std::string_view::npos;
  for (size_t i = 1; i < target.size(); ++i) {
    const auto c = static_cast<unsigned char>(target[i]);
    if (kPlain.in[c] || c == '/') continue;
    if (c != '?') return false;
    if (q == std::string_view::npos) q = i;
  }
  const std::string_view path = target.substr(0, q);
  out->encoded_path = path;
  if (path.size() > 1) {
    std::string_view rest = path.substr(1);
    for (;;) {
      const size_t slash = rest.find('/');
      out->segments.emplace_back(rest.substr(0, slash));
      if (slash == std::string_view::npos) break;
      rest.remove_prefix(slash + 1);
    }
  }
  if (q != std::string_view::npos) *query = target.substr(q + 1);
  return true;
}

}  // namespace

absl::StatusOr<Target> ParseTarget(std::string_view target, size_t max_query_params) {
  Target out;
  std::optional<std::string_view> query;
  if (!ParsePlainTarget(target, &out, &query)) {
    boost::urls::result<boost::urls::url_view> url =
        boost::urls::parse_origin_form(boost::urls::string_view(target.data(), target.size()));
    if (!url) {
      return BadRequest(twilio_code::kInvalidParameter,
                        "Malformed request target (expected an absolute path with "
                        "an optional query and valid percent-encoding)");
    }
    const boost::urls::pct_string_view path = url->encoded_path();
    out.encoded_path = std::string_view(path.data(), path.size());
    out.segments = DecodedSegments(*url);
    if (url->has_query()) {
      const boost::urls::pct_string_view encoded = url->encoded_query();
      query = std::string_view(encoded.data(), encoded.size());
    }
  }
  if (query.has_value()) {
    absl::StatusOr<FormParams> params = ParseForm(*query, max_query_params);
    if (!params.ok()) return params.status();
    out.query = *std::move(params);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> BasePathSegments(std::string_view base_url) {
  boost::urls::result<boost::urls::url_view> url =
      boost::urls::parse_absolute_uri(boost::urls::string_view(base_url.data(), base_url.size()));
  if (!url) {
    return BadRequest(twilio_code::kInvalidParameter, "base_url is not an absolute URL");
  }
  std::vector<std::string> segments = DecodedSegments(*url);
  if (!segments.empty() && segments.back().empty()) segments.pop_back();
  return segments;
}

}  // namespace userstore::internal
