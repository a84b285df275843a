#include "request_target.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "boost/url/parse.hpp"
#include "boost/url/url_view.hpp"

namespace userstore::cli {

absl::StatusOr<std::string> RequestTarget(absl::string_view url) {
  boost::system::result<boost::urls::url_view> parsed =
      boost::urls::parse_uri_reference(boost::core::string_view(url.data(), url.size()));
  if (!parsed) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid URL '", url, "': ", parsed.error().message(),
                     " (percent-encode spaces and other special characters)"));
  }
  const boost::urls::url_view& u = *parsed;
  std::string target(u.encoded_path());
  if (target.empty() && (u.has_scheme() || u.has_authority())) {
    target.push_back('/');
  }
  if (target.empty() || target[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("URL '", url, "' is neither absolute (https://...) nor a path (/...)"));
  }
  if (u.has_query()) absl::StrAppend(&target, "?", std::string(u.encoded_query()));
  return target;
}

}  // namespace userstore::cli
