// Services and Roles: the containers Users live in.
//
// Source: Twilio Chat v2 Service and Role resources
// (https://www.twilio.com/docs/chat/rest/service-resource, .../role-resource).
// userstore models only the fields Users depend on. Values; thread-compatible.
#ifndef USERSTORE_SERVICE_H_
#define USERSTORE_SERVICE_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace userstore {

// Twilio's Role `type`: "deployment" roles are service-scope (a User's
// role_sid must be one); "channel" roles apply to channel members.
enum class RoleScope { kDeployment, kChannel };

struct Role {
  std::string sid;  // "RL" + 32 hex
  std::string account_sid;
  std::string service_sid;
  std::string friendly_name;
  RoleScope type = RoleScope::kDeployment;
  std::vector<std::string> permissions;  // Twilio permission names
  absl::Time date_created;
  absl::Time date_updated;
};

// Parameters of Store::AddRole.
struct RoleCreate {
  std::string sid;  // "RL" + 32 hex; empty: minted
  std::string friendly_name;
  RoleScope type = RoleScope::kDeployment;
  std::vector<std::string> permissions;
};

struct Service {
  std::string sid;  // "IS" + 32 hex
  std::string account_sid;
  std::string friendly_name;
  // The four roles every new Service gets: "service admin" and "service user"
  // (deployment), "channel admin" and "channel user" (channel).
  std::string default_service_role_sid;          // the "service user" role
  std::string default_channel_role_sid;          // the "channel user" role
  std::string default_channel_creator_role_sid;  // the "channel admin" role
  // When false (Twilio's default), is_online / is_notifiable are null.
  bool reachability_enabled = false;
  absl::Time date_created;
  absl::Time date_updated;
};

// Parameters of Store::CreateService.
struct ServiceCreate {
  std::string sid;  // "IS" + 32 hex; empty: minted
  std::string friendly_name;
  bool reachability_enabled = false;
};

}  // namespace userstore

#endif  // USERSTORE_SERVICE_H_
