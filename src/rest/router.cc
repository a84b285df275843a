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
  if (n < 2 || n > 6) return std::nullopt;
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
  } else if (n <= 4 && s[2] == "Bindings") {
    route.kind = n == 3 ? RouteKind::kBindings : RouteKind::kBinding;
    if (n == 4) route.binding_sid = s[3];
  } else if (s[2] == "Users" && n <= 4) {
    route.kind = n == 3 ? RouteKind::kUsers : RouteKind::kUser;
    if (n == 4) route.user_key = s[3];
  } else if (s[2] == "Users" && s[4] == "Bindings") {  // n is 5 or 6
    route.kind = n == 5 ? RouteKind::kUserBindings : RouteKind::kUserBinding;
    route.user_key = s[3];
    if (n == 6) route.binding_sid = s[5];
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
  const absl::string_view key(route.user_key.data(), route.user_key.size());
  const absl::string_view binding(route.binding_sid.data(), route.binding_sid.size());
  switch (route.kind) {
    case RouteKind::kService:
      return absl::StrCat(prefix, service);
    case RouteKind::kRoles:
      return absl::StrCat(prefix, service, "/Roles");
    case RouteKind::kUsers:
      return absl::StrCat(prefix, service, "/Users");
    case RouteKind::kUser:
      return absl::StrCat(prefix, service, "/Users/", key);
    case RouteKind::kConfiguration:
      return absl::StrCat(prefix, "/Configuration");
    case RouteKind::kBindings:
      return absl::StrCat(prefix, service, "/Bindings");
    case RouteKind::kBinding:
      return absl::StrCat(prefix, service, "/Bindings/", binding);
    case RouteKind::kUserBindings:
      return absl::StrCat(prefix, service, "/Users/", key, "/Bindings");
    case RouteKind::kUserBinding:
      return absl::StrCat(prefix, service, "/Users/", key, "/Bindings/", binding);
  }
  return std::string();
}

bool MethodAllowed(RouteKind kind, std::string_view method, bool extensions) {
  // HEAD wherever GET (RFC 9110 §9.3.2); every route serves GET.
  if (method == "GET" || method == "HEAD") return true;
  switch (kind) {
    case RouteKind::kService:
    case RouteKind::kRoles:
    case RouteKind::kBindings:
      return false;
    case RouteKind::kUsers:
    case RouteKind::kConfiguration:
      return method == "POST";
    case RouteKind::kUser:
      return method == "POST" || method == "DELETE";
    case RouteKind::kBinding:
    case RouteKind::kUserBinding:
      return method == "DELETE";
    case RouteKind::kUserBindings:
      return extensions && method == "POST";
  }
  return false;
}

std::string_view AllowedMethods(RouteKind kind, bool extensions) {
  switch (kind) {
    case RouteKind::kService:
    case RouteKind::kRoles:
    case RouteKind::kBindings:
      return "GET, HEAD";
    case RouteKind::kUsers:
    case RouteKind::kConfiguration:
      return "GET, HEAD, POST";
    case RouteKind::kUser:
      return "GET, HEAD, POST, DELETE";
    case RouteKind::kBinding:
    case RouteKind::kUserBinding:
      return "GET, HEAD, DELETE";
    case RouteKind::kUserBindings:
      return extensions ? "GET, HEAD, POST" : "GET, HEAD";
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
