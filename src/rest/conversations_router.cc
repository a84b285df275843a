#include "rest/conversations_router.h"

#include <cstddef>

namespace userstore::internal {
namespace {

// True when the path is in the Conversations API's region: below its base,
// and below it more deeply than below the Chat base.
bool InConversations(const std::vector<std::string>& segments, const ApiBases& bases) {
  if (!StartsWithBase(segments, bases.conversations)) return false;
  return !StartsWithBase(segments, bases.chat) || bases.conversations.size() > bases.chat.size();
}

}  // namespace

std::string BasePathText(const std::vector<std::string>& segments) {
  std::string text;
  for (const std::string& segment : segments) text.append("/").append(segment);
  return text;
}

std::optional<Route> MatchConversationsRoute(const std::vector<std::string>& segments,
                                             const std::vector<std::string>& base,
                                             std::string_view prefix) {
  if (!StartsWithBase(segments, base)) return std::nullopt;
  const size_t n = segments.size() - base.size();
  const std::string* s = segments.data() + base.size();
  if (n < 1 || n > 4) return std::nullopt;
  for (size_t i = 0; i < n; ++i) {
    if (s[i].empty()) return std::nullopt;
  }
  Route route;
  route.api = PageApi::kConversations;
  route.prefix = prefix;
  if (s[0] == "Configuration" && n == 1) {
    route.kind = RouteKind::kConfiguration;
    return route;
  }
  if (s[0] == "Users" && n <= 2) {
    route.account_level = true;
    route.kind = n == 1 ? RouteKind::kUsers : RouteKind::kUser;
    if (n == 2) route.user_key = s[1];
    return route;
  }
  if (s[0] == "Services" && n >= 3 && s[2] == "Users") {
    route.service_sid = s[1];
    route.kind = n == 3 ? RouteKind::kUsers : RouteKind::kUser;
    if (n == 4) route.user_key = s[3];
    return route;
  }
  return std::nullopt;
}

std::optional<Route> RouteRequest(const std::vector<std::string>& segments, const ApiBases& bases) {
  const bool conversations_first = bases.conversations.size() > bases.chat.size();
  std::optional<Route> route =
      conversations_first
          ? MatchConversationsRoute(segments, bases.conversations, bases.conversations_prefix)
          : MatchRoute(segments, bases.chat);
  if (route.has_value()) return route;
  return conversations_first
             ? MatchRoute(segments, bases.chat)
             : MatchConversationsRoute(segments, bases.conversations, bases.conversations_prefix);
}

std::string NotFoundPath(std::string_view encoded_path, const std::vector<std::string>& segments,
                         const ApiBases& bases) {
  if (InConversations(segments, bases)) {
    return encoded_path.empty() ? std::string("/") : std::string(encoded_path);
  }
  return PathForNotFound(encoded_path, segments, bases.chat);
}

}  // namespace userstore::internal
