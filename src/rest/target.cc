#include "rest/target.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "userstore/error.h"

namespace userstore::internal {
namespace {

std::vector<std::string> DecodedSegments(const boost::urls::url_view& url) {
  std::vector<std::string> segments;
  segments.reserve(url.encoded_segments().size());
  for (boost::urls::pct_string_view segment : url.encoded_segments()) {
    segments.push_back(segment.decode());  // once; '+' stays '+'
  }
  return segments;
}

}  // namespace

absl::StatusOr<Target> ParseTarget(std::string_view target,
                                   size_t max_query_params) {
  boost::urls::result<boost::urls::url_view> url = boost::urls::parse_origin_form(
      boost::urls::string_view(target.data(), target.size()));
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
  boost::urls::result<boost::urls::url_view> url = boost::urls::parse_absolute_uri(
      boost::urls::string_view(base_url.data(), base_url.size()));
  if (!url) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "base_url is not an absolute URL");
  }
  std::vector<std::string> segments = DecodedSegments(*url);
  if (!segments.empty() && segments.back().empty()) segments.pop_back();
  return segments;
}

}  // namespace userstore::internal
