// StoreImpl: the User operations.
#include <algorithm>
#include <limits>
#include <utility>

#include "common/status_macros.h"
#include "store/store_impl.h"
#include "store/validate.h"
#include "userstore/attributes.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

std::optional<bool> PresenceValue(Presence p) {
  if (p == Presence::kUnknown) return std::nullopt;
  return p == Presence::kTrue;
}

}  // namespace

UserKey ParseUserKey(std::string_view key) {
  UserKey k;
  k.sid = ParseSid(key, "US");
  if (!k.sid) k.identity = key;
  return k;
}

User StoreImpl::ToUser(const ServiceState& service, const UserRecord& r,
                       bool for_list) const {
  User u;
  u.sid = FormatSid("US", r.sid);
  u.account_sid = service.account_sid();
  u.service_sid = service.sid();
  u.role_sid = FormatSid("RL", r.role_sid);
  u.identity = r.identity;
  u.attributes = r.attributes.empty() ? "{}" : r.attributes;
  if (!for_list && service.reachability_enabled()) {
    u.is_online = PresenceValue(r.online);
    u.is_notifiable = PresenceValue(r.notifiable);
  }
  u.friendly_name = r.friendly_name;
  u.joined_channels_count = r.joined_channels_count;
  u.date_created = absl::FromUnixSeconds(r.date_created);
  u.date_updated = absl::FromUnixSeconds(r.date_updated);
  return u;
}

absl::Status StoreImpl::UserNotFound(const ServiceState& service,
                                     std::string_view key) const {
  return NotFound("The requested resource /Services/" + service.sid() + "/Users/" +
                  std::string(key) + " was not found");
}

absl::Status StoreImpl::ValidateCommon(const ServiceState& service,
                                       const std::optional<std::string>& role_sid,
                                       const std::optional<std::string>& attributes,
                                       const std::optional<std::string>& friendly_name,
                                       SidBytes* role) const {
  const Limits& limits = options_.limits;
  if (friendly_name) USERSTORE_RETURN_IF_ERROR(ValidateFriendlyName(*friendly_name, limits));
  if (attributes) USERSTORE_RETURN_IF_ERROR(ValidateAttributes(*attributes, limits));
  if (role_sid) {
    USERSTORE_ASSIGN_OR_RETURN(*role, service.ResolveServiceRole(*role_sid));
  }
  return absl::OkStatus();
}

absl::StatusOr<User> StoreImpl::Insert(ServiceState& service,
                                       std::unique_ptr<UserRecord> record,
                                       std::optional<User>* existing) {
  User created;
  auto on_inserted = [&](const UserRecord& r) { created = ToUser(service, r, false); };
  std::function<void(const UserRecord&)> on_existing;
  if (existing) {
    on_existing = [&](const UserRecord& r) { *existing = ToUser(service, r, false); };
  }
  for (;;) {
    bool sid_collision = false;
    if (service.users().Insert(&record, on_inserted, on_existing, &sid_collision)) {
      return created;
    }
    if (!sid_collision) break;
    record->sid = RandomSidBytes();  // 2^-128 odds: mint again
  }
  if (existing && existing->has_value()) return **existing;
  return Conflict(twilio_code::kUserAlreadyExists, "User already exists");
}

absl::StatusOr<User> StoreImpl::CreateUser(std::string_view service_sid,
                                           const UserCreate& params) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  USERSTORE_RETURN_IF_ERROR(ValidateIdentity(params.identity, options_.limits));
  SidBytes role = service->default_role();
  USERSTORE_RETURN_IF_ERROR(ValidateCommon(*service, params.role_sid, params.attributes,
                                           params.friendly_name, &role));
  auto record = std::make_unique<UserRecord>(params.identity);
  record->sequence = service->NextSequence();
  record->sid = RandomSidBytes();
  record->role_sid = role;
  record->date_created = record->date_updated = absl::ToUnixSeconds(Now());
  if (params.attributes) record->attributes = *params.attributes;
  if (params.friendly_name && !params.friendly_name->empty()) {
    record->friendly_name = *params.friendly_name;
  }
  USERSTORE_ASSIGN_OR_RETURN(User user, Insert(*service, std::move(record), nullptr));
  if (params.webhook_enabled) Fire(UserEvent::Type::kUserAdded, user);
  return user;
}

absl::StatusOr<User> StoreImpl::GetOrCreateUser(std::string_view service_sid,
                                                std::string_view identity) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  USERSTORE_RETURN_IF_ERROR(ValidateIdentity(identity, options_.limits));
  std::optional<User> found;
  UserKey key;
  key.identity = identity;
  service->users().Read(key, [&](const UserRecord& r) { found = ToUser(*service, r, false); });
  if (found) return *found;
  auto record = std::make_unique<UserRecord>(std::string(identity));
  record->sequence = service->NextSequence();
  record->sid = RandomSidBytes();
  record->role_sid = service->default_role();
  record->date_created = record->date_updated = absl::ToUnixSeconds(Now());
  return Insert(*service, std::move(record), &found);
}

absl::StatusOr<User> StoreImpl::FetchUser(std::string_view service_sid,
                                          std::string_view key) const {
  USERSTORE_ASSIGN_OR_RETURN(const ServiceState* service, FindService(service_sid));
  std::optional<User> user;
  service->users().Read(ParseUserKey(key),
                        [&](const UserRecord& r) { user = ToUser(*service, r, false); });
  if (!user) return UserNotFound(*service, key);
  return *std::move(user);
}

absl::StatusOr<User> StoreImpl::UpdateUser(std::string_view service_sid,
                                           std::string_view key, const UserUpdate& params) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  if (!params.role_sid && !params.attributes && !params.friendly_name) {
    return BadRequest(twilio_code::kUpdateWithoutParameters,
                      "At least one of RoleSid, Attributes or FriendlyName is required");
  }
  SidBytes role;
  USERSTORE_RETURN_IF_ERROR(ValidateCommon(*service, params.role_sid, params.attributes,
                                           params.friendly_name, &role));
  const int64_t now = absl::ToUnixSeconds(Now());
  std::optional<User> user;
  service->users().Write(ParseUserKey(key), [&](UserRecord& r) {
    if (params.role_sid) r.role_sid = role;
    if (params.attributes) r.attributes = *params.attributes;
    if (params.friendly_name) {
      if (params.friendly_name->empty()) {
        r.friendly_name.reset();
      } else {
        r.friendly_name = *params.friendly_name;
      }
    }
    r.date_updated = std::max(now, r.date_created);
    user = ToUser(*service, r, false);
  });
  if (!user) return UserNotFound(*service, key);
  if (params.webhook_enabled) Fire(UserEvent::Type::kUserUpdated, *user);
  return *std::move(user);
}

absl::Status StoreImpl::DeleteUser(std::string_view service_sid, std::string_view key) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  if (!service->users().Erase(ParseUserKey(key))) return UserNotFound(*service, key);
  return absl::OkStatus();
}

absl::StatusOr<User> StoreImpl::SetPresence(std::string_view service_sid,
                                            std::string_view key, bool online_field,
                                            bool value) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  const Presence p = value ? Presence::kTrue : Presence::kFalse;
  std::optional<User> user;
  service->users().Write(ParseUserKey(key), [&](UserRecord& r) {
    (online_field ? r.online : r.notifiable) = p;
    user = ToUser(*service, r, false);
  });
  if (!user) return UserNotFound(*service, key);
  return *std::move(user);
}

absl::StatusOr<User> StoreImpl::AddJoinedChannels(std::string_view service_sid,
                                                  std::string_view key, int64_t delta) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  std::optional<User> user;
  bool out_of_range = false;
  service->users().Write(ParseUserKey(key), [&](UserRecord& r) {
    int64_t next;
    if (__builtin_add_overflow(r.joined_channels_count, delta, &next) || next < 0) {
      out_of_range = true;
      return;
    }
    r.joined_channels_count = next;
    user = ToUser(*service, r, false);
  });
  if (out_of_range) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "joined_channels_count would leave the range 0..2^63-1");
  }
  if (!user) return UserNotFound(*service, key);
  return *std::move(user);
}

}  // namespace userstore::internal
