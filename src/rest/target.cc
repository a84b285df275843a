#include "rest/target.h"

#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/url_view.hpp>

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
    // Already validated by the parser, so this cannot fail.
    segments.push_back(boost::urls::make_pct_string_view(piece)->decode());
    if (slash == boost::urls::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

}  // namespace

absl::StatusOr<Target> ParseTarget(std::string_view target, size_t max_query_params) {
  boost::urls::result<boost::urls::url_view> url =
      boost::urls::parse_origin_form(boost::urls::string_view(target.data(), target.size()));
  if (!url) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "Malformed request target (expected an absolute path with "
                      "an optional query and valid percent-encoding)");
  }
  Target out;
  out.encoded_path = std::string(url->encoded_path());
  out.segments = DecodedSegments(*url);
  if (url->has_query()) {
    boost::urls::pct_string_view query = url->encoded_query();
    absl::StatusOr<FormParams> params =
        ParseForm(std::string_view(query.data(), query.size()), max_query_params);
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
