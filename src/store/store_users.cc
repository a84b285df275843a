// StoreImpl: the User operations.
#include <algorithm>
#include <limits>
#include <utility>

#include "common/status_macros.h"
#include "common/twilio_errors.h"
#include "store/store_impl.h"
#include "store/user_view_access.h"
#include "store/validate.h"
#include "userstore/attributes.h"
#include "userstore/error.h"

namespace userstore::internal {
UserKey ParseUserKey(std::string_view key) {
  UserKey k;
  k.sid = ParseSid(key, "US");
  if (!k.sid) k.identity = key;
  return k;
}

void StoreImpl::CopyUser(const ServiceState& service, const UserRecord& record, UserShape shape,
                         User* out) const {
  UserView view = UserViewAccess::Blank();
  UserViewAccess::Fill(service, record, shape, &view);
  view.CopyTo(out);
}

UserIndex::Persist StoreImpl::PersistUser(const ServiceState& service) const {
  if (!journal_) return nullptr;
  return [this, &service](const UserRecord& r) { return journal_->PutUser(service.sid(), r); };
}

UserIndex::Persist StoreImpl::PersistErase(const ServiceState& service) const {
  if (!journal_) return nullptr;
  return [this, &service](const UserRecord& r) { return journal_->DeleteUser(service.sid(), r); };
}

absl::Status StoreImpl::UserNotFound(const ServiceState& service, std::string_view key) const {
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

absl::Status StoreImpl::Insert(ServiceState& service, UserRecord::Ptr record, User* out,
                               bool* existed) {
  auto on_inserted = [&](const UserRecord& r) {
    if (out != nullptr) CopyUser(service, r, UserShape::kResource, out);
  };
  auto on_existing = [&](const UserRecord& r) {
    if (existed != nullptr) {
      *existed = true;
      CopyUser(service, r, UserShape::kResource, out);
    }
  };
  const UserIndex::Persist persist = PersistUser(service);
  for (;;) {
    USERSTORE_ASSIGN_OR_RETURN(const UserIndex::InsertOutcome outcome,
                               service.users().Insert(&record, persist, on_inserted, on_existing));
    switch (outcome) {
      case UserIndex::InsertOutcome::kInserted:
        return absl::OkStatus();
      case UserIndex::InsertOutcome::kSidCollision:
        record->sid = RandomSidBytes();  // 2^-128 odds: mint again
        continue;
      case UserIndex::InsertOutcome::kTaken:
        if (existed != nullptr && *existed) return absl::OkStatus();
        return Conflict(twilio_code::kUserAlreadyExists, "User already exists");
    }
    return absl::InternalError("UserIndex::Insert returned an unknown outcome");
  }
}

absl::Status StoreImpl::CreateUser(std::string_view service_sid, const UserCreate& params,
                                   User* out) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  USERSTORE_RETURN_IF_ERROR(ValidateIdentity(params.identity, options_.limits));
  SidBytes role = service->default_role();
  USERSTORE_RETURN_IF_ERROR(
      ValidateCommon(*service, params.role_sid, params.attributes, params.friendly_name, &role));
  UserRecord::Text text;
  text.identity = params.identity;
  if (params.attributes) text.attributes = *params.attributes;
  if (params.friendly_name && !params.friendly_name->empty()) {
    text.friendly_name = *params.friendly_name;
  }
  UserRecord::Ptr record = UserRecord::Make(text, nullptr, service->records());
  record->sequence = service->NextSequence();
  record->sid = RandomSidBytes();
  record->role_sid = role;
  record->date_created = record->date_updated = absl::ToUnixSeconds(Now());
  User fired;  // the listeners' copy when the caller wants none
  User* dest = out != nullptr ? out : params.webhook_enabled ? &fired : nullptr;
  USERSTORE_RETURN_IF_ERROR(Insert(*service, std::move(record), dest, nullptr));
  if (params.webhook_enabled) Fire(UserEvent::Type::kUserAdded, *dest);
  return absl::OkStatus();
}

absl::StatusOr<User> StoreImpl::GetOrCreateUser(std::string_view service_sid,
                                                std::string_view identity) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  USERSTORE_RETURN_IF_ERROR(ValidateIdentity(identity, options_.limits));
  User user;
  UserKey key;
  key.identity = identity;
  if (service->users().Read(
          key, [&](const UserRecord& r) { CopyUser(*service, r, UserShape::kResource, &user); })) {
    return user;
  }
  UserRecord::Ptr record =
      UserRecord::Make({identity, {}, std::nullopt}, nullptr, service->records());
  record->sequence = service->NextSequence();
  record->sid = RandomSidBytes();
  record->role_sid = service->default_role();
  record->date_created = record->date_updated = absl::ToUnixSeconds(Now());
  bool existed = false;
  USERSTORE_RETURN_IF_ERROR(Insert(*service, std::move(record), &user, &existed));
  return user;
}

absl::Status StoreImpl::FetchUser(std::string_view service_sid, std::string_view key,
                                  User* out) const {
  USERSTORE_ASSIGN_OR_RETURN(const ServiceState* service, FindService(service_sid));
  if (!service->users().Read(ParseUserKey(key), [&](const UserRecord& r) {
        CopyUser(*service, r, UserShape::kResource, out);
      })) {
    return UserNotFound(*service, key);
  }
  return absl::OkStatus();
}

absl::Status StoreImpl::ReadUser(std::string_view service_sid, std::string_view key,
                                 Store::UserVisitor visit) const {
  USERSTORE_ASSIGN_OR_RETURN(const ServiceState* service, FindService(service_sid));
  if (!service->users().Read(ParseUserKey(key), [&](const UserRecord& r) {
        UserView view = UserViewAccess::Blank();
        UserViewAccess::Fill(*service, r, UserShape::kResource, &view);
        visit(view);
      })) {
    return UserNotFound(*service, key);
  }
  return absl::OkStatus();
}

absl::Status StoreImpl::UpdateUser(std::string_view service_sid, std::string_view key,
                                   const UserUpdate& params, User* out) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  if (!params.role_sid && !params.attributes && !params.friendly_name) {
    return BadRequest(twilio_code::kUpdateWithoutParameters,
                      "At least one of RoleSid, Attributes or FriendlyName is required");
  }
  SidBytes role;
  USERSTORE_RETURN_IF_ERROR(
      ValidateCommon(*service, params.role_sid, params.attributes, params.friendly_name, &role));
  const int64_t now = absl::ToUnixSeconds(Now());
  auto text_of = [&](const UserRecord& r) {
    UserRecord::Text text = r.text();
    if (params.attributes) text.attributes = *params.attributes;
    if (params.friendly_name) {
      text.friendly_name = params.friendly_name->empty()
                               ? std::nullopt
                               : std::optional<std::string_view>(*params.friendly_name);
    }
    return text;
  };
  auto stamp = [&](UserRecord& r) {
    if (params.role_sid) r.role_sid = role;
    r.date_updated = std::max(now, r.date_created);
  };
  User fired;  // the listeners' copy when the caller wants none
  User* dest = out != nullptr ? out : params.webhook_enabled ? &fired : nullptr;
  if (journal_ == nullptr) {
    // Memory only: rewrite the record in place when the new text fits its
    // block (the common case for an attributes update of similar size).
    bool updated = false;
    const bool found = service->users().Modify(ParseUserKey(key), [&](UserRecord& r) {
      const UserRecord::Text text = text_of(r);
      if (!r.AssignTextInPlace(text.attributes, text.friendly_name)) return;
      stamp(r);
      updated = true;
      if (dest != nullptr) CopyUser(*service, r, UserShape::kResource, dest);
    });
    if (!found) return UserNotFound(*service, key);
    if (updated) {
      if (params.webhook_enabled) Fire(UserEvent::Type::kUserUpdated, *dest);
      return absl::OkStatus();
    }
  }
  auto build = [&](const UserRecord& r) -> absl::StatusOr<UserRecord::Ptr> {
    UserRecord::Ptr next = UserRecord::Make(text_of(r), &r, service->records());
    stamp(*next);
    return next;
  };
  USERSTORE_RETURN_IF_ERROR(Replace(*service, key, build, dest));
  if (params.webhook_enabled) Fire(UserEvent::Type::kUserUpdated, *dest);
  return absl::OkStatus();
}

absl::Status StoreImpl::Replace(ServiceState& service, std::string_view key, UserIndex::Build build,
                                User* out) {
  USERSTORE_ASSIGN_OR_RETURN(const UserIndex::ChangeOutcome outcome,
                             service.users().Replace(ParseUserKey(key), build, PersistUser(service),
                                                     [&](const UserRecord& r) {
                                                       if (out != nullptr)
                                                         CopyUser(service, r, UserShape::kResource,
                                                                  out);
                                                     }));
  switch (outcome) {
    case UserIndex::ChangeOutcome::kDone:
      return absl::OkStatus();
    case UserIndex::ChangeOutcome::kAbsent:
      return UserNotFound(service, key);
  }
  return absl::InternalError("UserIndex::Replace returned an unknown outcome");
}

absl::Status StoreImpl::DeleteUser(std::string_view service_sid, std::string_view key) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  USERSTORE_ASSIGN_OR_RETURN(const UserIndex::ChangeOutcome outcome,
                             service->users().Erase(ParseUserKey(key), PersistErase(*service)));
  switch (outcome) {
    case UserIndex::ChangeOutcome::kDone:
      return absl::OkStatus();
    case UserIndex::ChangeOutcome::kAbsent:
      return UserNotFound(*service, key);
  }
  return absl::InternalError("UserIndex::Erase returned an unknown outcome");
}

absl::StatusOr<User> StoreImpl::SetPresence(std::string_view service_sid, std::string_view key,
                                            PresenceField field, Presence value) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  User user;
  const bool found = service->users().Modify(ParseUserKey(key), [&](UserRecord& r) {
    switch (field) {
      case PresenceField::kOnline:
        r.online = value;
        break;
      case PresenceField::kNotifiable:
        r.notifiable = value;
        break;
    }
    CopyUser(*service, r, UserShape::kResource, &user);
  });
  if (!found) return UserNotFound(*service, key);
  return user;
}

absl::StatusOr<User> StoreImpl::AddJoinedChannels(std::string_view service_sid,
                                                  std::string_view key, int64_t delta) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  auto build = [&](const UserRecord& r) -> absl::StatusOr<UserRecord::Ptr> {
    int64_t next_count;
    if (__builtin_add_overflow(r.joined_channels_count, delta, &next_count) || next_count < 0) {
      return BadRequest(twilio_code::kInvalidParameter,
                        "joined_channels_count would leave the range 0..2^63-1");
    }
    UserRecord::Ptr next = UserRecord::Make(r.text(), &r, service->records());
    next->joined_channels_count = next_count;
    return next;
  };
  User user;
  USERSTORE_RETURN_IF_ERROR(Replace(*service, key, build, &user));
  return user;
}

}  // namespace userstore::internal
