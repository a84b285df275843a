// StoreImpl: host-maintained state of users — presence (flags and counted
// connections) and joined_channels_count.
#include <limits>

#include "common/status_macros.h"
#include "common/twilio_errors.h"
#include "store/store_impl.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

absl::Status TooManyConnections() {
  return BadRequest(twilio_code::kInvalidParameter,
                    "The user already has 4294967295 connections, the most counted");
}

// Adds one connection to `r`. False (and `r` unchanged) at the maximum.
bool AddConnection(UserRecord& r) {
  if (r.connections == std::numeric_limits<uint32_t>::max()) return false;
  ++r.connections;
  r.online = Presence::kTrue;
  return true;
}

}  // namespace

absl::StatusOr<User> StoreImpl::SetPresence(std::string_view service_sid, std::string_view key,
                                            PresenceField field, Presence value) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  User user;
  Emission emission{service, UserEvent::Type::kUserUpdated};
  absl::Status failed;
  const bool found = service->users().Modify(ParseUserKey(key), [&](UserRecord& r) {
    const PresenceBefore before = PresenceOf(r);
    switch (field) {
      case PresenceField::kOnline:
        r.online = value;
        // The flag and the connection count agree (store.h, SetUserOnline).
        if (value != Presence::kTrue) {
          r.connections = 0;
        } else if (r.connections == 0) {
          r.connections = 1;
        }
        break;
    }
    failed = EmitPresence(&emission, r, before);
    CopyUser(*service, r, UserShape::kResource, &user);
  });
  if (!found) return UserNotFound(*service, key);
  USERSTORE_RETURN_IF_ERROR(failed);
  return user;
}

absl::StatusOr<UserConnection> StoreImpl::ConnectUser(std::string_view service_sid,
                                                      std::string_view key) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  UserConnection result;
  bool full = false;
  Emission emission{service, UserEvent::Type::kUserUpdated};
  absl::Status failed;
  const bool found = service->users().Modify(ParseUserKey(key), [&](UserRecord& r) {
    const PresenceBefore before = PresenceOf(r);
    full = !AddConnection(r);
    failed = EmitPresence(&emission, r, before);
    result.connections = r.connections;
    CopyUser(*service, r, UserShape::kResource, &result.user);
  });
  if (!found) return UserNotFound(*service, key);
  USERSTORE_RETURN_IF_ERROR(failed);
  if (full) return TooManyConnections();
  return result;
}

absl::StatusOr<UserConnection> StoreImpl::ConnectOrCreateUser(std::string_view service_sid,
                                                              const UserCreate& params) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  USERSTORE_ASSIGN_OR_RETURN(const SidBytes role, ValidateCreate(*service, params));
  UserConnection result;
  bool full = false;
  Emission connected{service, UserEvent::Type::kUserUpdated};
  absl::Status failed;
  auto connect = [&](UserRecord& r) {
    const PresenceBefore before = PresenceOf(r);
    full = !AddConnection(r);
    failed = EmitPresence(&connected, r, before);
    result.connections = r.connections;
  };
  Emission emission;
  UserKey key;
  key.identity = params.identity;
  // Most connects are of a user that exists: one step under its lock.
  const bool found = service->users().Modify(key, [&](UserRecord& r) {
    connect(r);
    CopyUser(*service, r, UserShape::kResource, &result.user);
  });
  if (!found) {
    // Create it connected; if another thread created it meanwhile, connect
    // to that user instead, still under the identity's lock (no delete can
    // come in between).
    USERSTORE_RETURN_IF_ERROR(CheckClientCreate(*service, params, role));
    emission = Emission{service, UserEvent::Type::kUserAdded, user_field::kAll,
                        params.webhook_enabled, params.origin};
    USERSTORE_ASSIGN_OR_RETURN(UserRecord::Ptr record,
                               NewRecord(*service, params, &emission, role));
    record->online = Presence::kTrue;
    record->connections = 1;
    bool existed = false;
    USERSTORE_RETURN_IF_ERROR(Insert(*service, std::move(record), CommitUser(&emission),
                                     &result.user, &existed, connect));
    result.created = !existed;
    if (result.created) result.connections = 1;
  }
  USERSTORE_RETURN_IF_ERROR(failed);
  if (full) return TooManyConnections();
  if (result.created && Fires(emission)) Fire(emission, result.user);
  return result;
}

absl::StatusOr<UserConnection> StoreImpl::DisconnectUser(std::string_view service_sid,
                                                         std::string_view key) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  UserConnection result;
  Emission emission{service, UserEvent::Type::kUserUpdated};
  absl::Status failed;
  const bool found = service->users().Modify(ParseUserKey(key), [&](UserRecord& r) {
    const PresenceBefore before = PresenceOf(r);
    if (r.connections > 0) --r.connections;
    if (r.connections == 0) r.online = Presence::kFalse;
    failed = EmitPresence(&emission, r, before);
    result.connections = r.connections;
    CopyUser(*service, r, UserShape::kResource, &result.user);
  });
  if (!found) return UserNotFound(*service, key);
  USERSTORE_RETURN_IF_ERROR(failed);
  return result;
}

absl::StatusOr<User> StoreImpl::AddJoinedChannels(std::string_view service_sid,
                                                  std::string_view key, int64_t delta) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  Emission emission{service, UserEvent::Type::kUserUpdated};
  auto build = [&](const UserRecord& r) -> absl::StatusOr<UserRecord::Ptr> {
    int64_t next_count;
    if (__builtin_add_overflow(r.joined_channels_count, delta, &next_count) || next_count < 0) {
      return BadRequest(twilio_code::kInvalidParameter,
                        "joined_channels_count would leave the range 0..2^63-1");
    }
    UserRecord::Ptr next = UserRecord::Make(r.text(), &r, service->records());
    next->joined_channels_count = next_count;
    emission.previous_revision = r.revision;
    USERSTORE_ASSIGN_OR_RETURN(next->revision, NextRevision(*service, r.revision));
    emission.changed = delta != 0 ? user_field::kJoinedChannelsCount : 0;
    return next;
  };
  User user;
  USERSTORE_RETURN_IF_ERROR(Replace(*service, key, build, CommitUser(&emission), &user));
  return user;
}

}  // namespace userstore::internal
