#include "rest/router.h"

#include <cstddef>

#include "absl/strings/str_cat.h"

namespace userstore::internal {

bool StartsWithBase(const std::vector<std::string>& segments,
                    const std::vector<std::string>& base) {
  if (segments.size() < base.size()) return false;
  for (size_t i = 0; i < base.size(); ++i) {
    if (segments[i] != base[i]) return false;
  }
  return true;
}

std::optional<Route> MatchRoute(const std::vector<std::string>& segments,
                                const std::vector<std::string>& base) {
  if (!StartsWithBase(segments, base)) return std::nullopt;
  const size_t n = segments.size() - base.size();
  const std::string* s = segments.data() + base.size();
  if (n < 2 || n > 4) return std::nullopt;
  for (size_t i = 0; i < n; ++i) {
    if (s[i].empty()) return std::nullopt;
  }
  if (s[0] != "Services") return std::nullopt;
  Route route;
  route.service_sid = s[1];
  if (n == 2) {
    route.kind = RouteKind::kService;
    return route;
  }
  if (n == 3 && s[2] == "Roles") {
    route.kind = RouteKind::kRoles;
  } else if (s[2] == "Users") {
    route.kind = n == 3 ? RouteKind::kUsers : RouteKind::kUser;
    if (n == 4) route.user_key = s[3];
  } else {
    return std::nullopt;
  }
  return route;
}

std::string ResourcePath(const Route& route) {
  const absl::string_view prefix(route.prefix.data(), route.prefix.size());
  // Account-level routes (Conversations' /v1/Users) name no Service.
  const std::string service =
      route.account_level ? std::string()
                          : absl::StrCat("/Services/", absl::string_view(route.service_sid.data(),
                                                                         route.service_sid.size()));
  switch (route.kind) {
    case RouteKind::kService:
      return absl::StrCat(prefix, service);
    case RouteKind::kRoles:
      return absl::StrCat(prefix, service, "/Roles");
    case RouteKind::kUsers:
      return absl::StrCat(prefix, service, "/Users");
    case RouteKind::kUser:
      return absl::StrCat(prefix, service, "/Users/",
                          absl::string_view(route.user_key.data(), route.user_key.size()));
    case RouteKind::kConfiguration:
      return absl::StrCat(prefix, "/Configuration");
  }
  return std::string();
}

bool MethodAllowed(RouteKind kind, std::string_view method) {
  // HEAD wherever GET (RFC 9110 §9.3.2); every route serves GET.
  if (method == "GET" || method == "HEAD") return true;
  switch (kind) {
    case RouteKind::kService:
    case RouteKind::kRoles:
      return false;
    case RouteKind::kUsers:
    case RouteKind::kConfiguration:
      return method == "POST";
    case RouteKind::kUser:
      return method == "POST" || method == "DELETE";
  }
  return false;
}

std::string_view AllowedMethods(RouteKind kind) {
  switch (kind) {
    case RouteKind::kService:
    case RouteKind::kRoles:
      return "GET, HEAD";
    case RouteKind::kUsers:
    case RouteKind::kConfiguration:
      return "GET, HEAD, POST";
    case RouteKind::kUser:
      return "GET, HEAD, POST, DELETE";
  }
  return "";
}

std::string PathForNotFound(std::string_view encoded_path, const std::vector<std::string>& segments,
                            const std::vector<std::string>& base) {
  std::string_view rest = encoded_path;
  if (!base.empty() && StartsWithBase(segments, base)) {
    // Skip one "/segment" per base segment. An encoded path holds a '/' only
    // as a separator (a decoded '/' is "%2F"), so this finds the boundaries.
    for (size_t i = 0; i < base.size(); ++i) {
      size_t next = rest.find('/', 1);
      rest = next == std::string_view::npos ? std::string_view() : rest.substr(next);
    }
  }
  if (rest.empty()) return "/";
  return std::string(rest);
}

}  // namespace userstore::internal
