// Routing of decoded path segments to the facade's resources.
//
// Chat v2 paths live below the base path (the path of StoreOptions::base_url,
// e.g. "/v2"); after it exactly these segment shapes are resources:
//   Services/{IS}                 kService  GET
//   Services/{IS}/Roles           kRoles    GET
//   Services/{IS}/Users           kUsers    GET POST
//   Services/{IS}/Users/{key}     kUser     GET POST DELETE
//   Services/{IS}/Bindings        kBindings GET
//   Services/{IS}/Bindings/{BS}   kBinding  GET DELETE
//   Services/{IS}/Users/{key}/Bindings       kUserBindings GET (POST: extension)
//   Services/{IS}/Users/{key}/Bindings/{BS}  kUserBinding  GET DELETE
// (POST on kUserBindings registers a Binding, a userstore extension served
// only with FacadeOptions::enable_extensions; Twilio answers 405 there.)
// Conversations v1 paths (below StoreOptions::conversations_base_url's path)
// are routed by conversations_router.h into the same Route. Literal segments
// match case-sensitively. No segment may be empty, so a
// trailing slash ("…/Users/") or a doubled one is an unknown path (404), as
// Twilio answers. Thread-safe (pure functions).
#ifndef USERSTORE_SRC_REST_ROUTER_H_
#define USERSTORE_SRC_REST_ROUTER_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "userstore/page.h"

namespace userstore::internal {

// kConfiguration: Conversations' /v1/Configuration (GET POST).
enum class RouteKind {
  kService,
  kRoles,
  kUsers,
  kUser,
  kConfiguration,
  kBindings,
  kBinding,
  kUserBindings,
  kUserBinding,
};

// A matched route. Its strings view the segments MatchRoute was given (and
// `prefix` the facade's own text).
struct Route {
  RouteKind kind = RouteKind::kService;
  PageApi api = PageApi::kChat;  // the API whose path it is
  // Conversations' /v1/Users routes: the Service is the Configuration's
  // default_chat_service_sid, resolved by the facade (service_sid is empty
  // until then).
  bool account_level = false;
  // What ResourcePath puts before the path below the base: "" for Chat
  // (Twilio's Chat messages omit "/v2"), the decoded base path for
  // Conversations ("/v1": Twilio's Conversations messages keep it).
  std::string_view prefix;
  std::string_view service_sid;  // decoded {IS} segment, as addressed
  std::string_view user_key;     // decoded {key} segment (kUser, kUserBinding*)
  std::string_view binding_sid;  // decoded {BS} segment (kBinding, kUserBinding)
};

// True when `segments` begin with every segment of `base` (both decoded).
// O(|base|).
bool StartsWithBase(const std::vector<std::string>& segments, const std::vector<std::string>& base);

// Matches `segments` (decoded) against the routes below `base` (decoded base
// path segments). nullopt: unknown path. The Route views `segments`, which
// must outlive it. O(number of segments).
std::optional<Route> MatchRoute(const std::vector<std::string>& segments,
                                const std::vector<std::string>& base);
// Not for temporary segments: the Route would view destroyed strings.
std::optional<Route> MatchRoute(std::vector<std::string>&& segments,
                                const std::vector<std::string>& base) = delete;

// The route's resource path below the base, from the decoded segments, as
// Twilio's 404 message shows it: route.prefix, then
// "/Services/{IS}/Users/{key}" ("/Users/{key}" account-level,
// "/Configuration"). Made only for a message (an error's). O(length).
std::string ResourcePath(const Route& route);

// True when `method` is served on `kind` (see the table above); HEAD is
// served wherever GET is (RFC 9110 §9.3.2), i.e. on every route.
// `extensions`: FacadeOptions::enable_extensions (POST on kUserBindings).
bool MethodAllowed(RouteKind kind, std::string_view method, bool extensions = false);

// The value of a 405's Allow header for `kind`, e.g. "GET, HEAD, POST".
// (HEAD wherever GET; kConfiguration: "GET, HEAD, POST".)
std::string_view AllowedMethods(RouteKind kind, bool extensions = false);

// The path an unknown-path 404 message names: `encoded_path` (as sent) with
// the base's segments removed when the path starts with them (Twilio's
// messages omit the "/v2"), else `encoded_path` whole. Never empty ("/" at
// least). O(|encoded_path|).
std::string PathForNotFound(std::string_view encoded_path, const std::vector<std::string>& segments,
                            const std::vector<std::string>& base);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_REST_ROUTER_H_
