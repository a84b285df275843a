// Routing of Conversations v1 paths, and the choice between the two APIs a
// facade serves.
//
// Conversations paths live below the path of
// StoreOptions::conversations_base_url ("/v1" by default); after it exactly
// these segment shapes are resources (Twilio's Conversations User and
// Configuration resources; twilio_conversations_v1.json):
//   Configuration                 kConfiguration  GET POST
//   Users                         kUsers          GET POST         account-level
//   Users/{key}                   kUser           GET POST DELETE  account-level
//   Services/{IS}/Users           kUsers          GET POST
//   Services/{IS}/Users/{key}     kUser           GET POST DELETE
// Account-level routes address the Configuration's default Service. Every
// other path is unknown (404), among them the users' Conversations
// (links.user_conversations: userstore keeps no conversations) and Roles
// (docs/compatibility.md, "Conversations"). Literal segments match
// case-sensitively; no segment may be empty. Thread-safe (pure functions).
#ifndef USERSTORE_SRC_REST_CONVERSATIONS_ROUTER_H_
#define USERSTORE_SRC_REST_CONVERSATIONS_ROUTER_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rest/router.h"

namespace userstore::internal {

// The decoded base paths of the two APIs (StoreOptions::base_url and
// conversations_base_url; Store::Create made them differ), and the
// Conversations one as Twilio's messages show it ("/v1"). Views: the facade
// owns the texts.
struct ApiBases {
  const std::vector<std::string>& chat;
  const std::vector<std::string>& conversations;
  std::string_view conversations_prefix;
};

// "/seg1/seg2..." of decoded base path segments ("" for none).
std::string BasePathText(const std::vector<std::string>& segments);

// Matches `segments` (decoded) against the Conversations routes below
// `base`; the Route's prefix is `prefix`. nullopt: unknown path. The Route
// views `segments` and `prefix`. O(number of segments).
std::optional<Route> MatchConversationsRoute(const std::vector<std::string>& segments,
                                             const std::vector<std::string>& base,
                                             std::string_view prefix);

// The route of `segments` in either API: the API whose base path is the
// longer prefix of the path is tried first, then the other (so a path below
// both bases, e.g. "/v1/..." with a Chat base of "", is Conversations'
// when it names a Conversations resource). nullopt: unknown path. The Route
// views `segments` and `bases`' texts. O(number of segments).
std::optional<Route> RouteRequest(const std::vector<std::string>& segments, const ApiBases& bases);
std::optional<Route> RouteRequest(std::vector<std::string>&& segments,
                                  const ApiBases& bases) = delete;

// The path an unknown-path 404 message names: below the Conversations base
// (the longer base when the path is below both), `encoded_path` whole, as
// Twilio's Conversations messages show it ("/v1/..."); otherwise
// PathForNotFound's Chat rule (the Chat base removed). O(|encoded_path|).
std::string NotFoundPath(std::string_view encoded_path, const std::vector<std::string>& segments,
                         const ApiBases& bases);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_REST_CONVERSATIONS_ROUTER_H_
