// StoreImpl: the User operations.
#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "common/status_macros.h"
#include "common/twilio_errors.h"
#include "json/merge_patch.h"
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

namespace {

std::optional<std::string_view> View(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return std::string_view(*s);
}

}  // namespace

absl::Status StoreImpl::ValidateCommon(const ServiceState& service,
                                       std::optional<std::string_view> role_sid,
                                       std::optional<std::string_view> attributes,
                                       std::optional<std::string_view> friendly_name,
                                       SidBytes* role) const {
  const Limits& limits = options_.limits;
  if (friendly_name) USERSTORE_RETURN_IF_ERROR(ValidateFriendlyName(*friendly_name, limits));
  if (attributes) USERSTORE_RETURN_IF_ERROR(ValidateAttributes(*attributes, limits));
  if (role_sid) {
    USERSTORE_ASSIGN_OR_RETURN(*role, service.ResolveServiceRole(*role_sid));
  }
  return absl::OkStatus();
}

absl::Status StoreImpl::ValidateNewUser(const ServiceState& service, std::string_view identity,
                                        std::optional<std::string_view> role_sid,
                                        std::optional<std::string_view> attributes,
                                        std::optional<std::string_view> friendly_name,
                                        SidBytes* role) const {
  USERSTORE_RETURN_IF_ERROR(ValidateIdentity(identity, options_.limits));
  return ValidateCommon(service, role_sid, attributes, friendly_name, role);
}

absl::StatusOr<SidBytes> StoreImpl::ValidateCreate(const ServiceState& service,
                                                   const UserCreate& params) const {
  SidBytes role = service.default_role();
  USERSTORE_RETURN_IF_ERROR(ValidateNewUser(service, params.identity, View(params.role_sid),
                                            View(params.attributes), View(params.friendly_name),
                                            &role));
  return role;
}

UserRecord::Ptr StoreImpl::NewRecord(ServiceState& service, const UserCreate& params,
                                     const SidBytes& role) {
  UserRecord::Text text;
  text.identity = params.identity;
  if (params.attributes) text.attributes = *params.attributes;
  if (params.friendly_name && !params.friendly_name->empty()) {
    text.friendly_name = *params.friendly_name;
  }
  UserRecord::Ptr record = UserRecord::Make(text, nullptr, service.records());
  record->sequence = record->revision = service.NextSequence();
  record->sid = RandomSidBytes();
  record->role_sid = role;
  record->date_created = record->date_updated = absl::ToUnixSeconds(Now());
  return record;
}

absl::Status StoreImpl::Insert(ServiceState& service, UserRecord::Ptr record, User* out,
                               bool* existed, UserIndex::Mutate on_existing) {
  auto on_inserted = [&](const UserRecord& r) {
    if (out != nullptr) CopyUser(service, r, UserShape::kResource, out);
  };
  auto on_held = [&](UserRecord& r) {
    if (existed != nullptr) {
      *existed = true;
      on_existing(r);
      if (out != nullptr) CopyUser(service, r, UserShape::kResource, out);
    }
  };
  const UserIndex::Persist persist = PersistUser(service);
  for (;;) {
    USERSTORE_ASSIGN_OR_RETURN(const UserIndex::InsertOutcome outcome,
                               service.users().Insert(&record, persist, on_inserted, on_held));
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
  USERSTORE_ASSIGN_OR_RETURN(const SidBytes role, ValidateCreate(*service, params));
  User fired;  // the listeners' copy when the caller wants none
  User* dest = out != nullptr ? out : params.webhook_enabled ? &fired : nullptr;
  USERSTORE_RETURN_IF_ERROR(Insert(*service, NewRecord(*service, params, role), dest, nullptr));
  if (params.webhook_enabled) Fire(UserEvent::Type::kUserAdded, *dest);
  return absl::OkStatus();
}

absl::StatusOr<GetOrCreateResult> StoreImpl::GetOrCreateUser(std::string_view service_sid,
                                                             const UserCreate& params) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  USERSTORE_ASSIGN_OR_RETURN(const SidBytes role, ValidateCreate(*service, params));
  GetOrCreateResult result;
  UserKey key;
  key.identity = params.identity;
  if (service->users().Read(key, [&](const UserRecord& r) {
        CopyUser(*service, r, UserShape::kResource, &result.user);
      })) {
    return result;
  }
  bool existed = false;
  USERSTORE_RETURN_IF_ERROR(
      Insert(*service, NewRecord(*service, params, role), &result.user, &existed));
  result.created = !existed;
  if (result.created && params.webhook_enabled) {
    Fire(UserEvent::Type::kUserAdded, result.user);
  }
  return result;
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

namespace {

absl::Status PreconditionFailed(uint64_t revision, uint64_t expected) {
  return TwilioError(absl::StatusCode::kFailedPrecondition, 412, twilio_code::kPreconditionFailed,
                     "Precondition Failed: the user's revision is " + std::to_string(revision) +
                         ", not " + std::to_string(expected));
}

absl::Status CheckRevision(const UserRecord& r, std::optional<uint64_t> if_revision) {
  if (if_revision && r.revision != *if_revision)
    return PreconditionFailed(r.revision, *if_revision);
  return absl::OkStatus();
}

}  // namespace

absl::Status StoreImpl::UpdateUser(std::string_view service_sid, std::string_view key,
                                   const UserUpdate& params, User* out) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  if (!params.role_sid && !params.attributes && !params.friendly_name && !params.attributes_patch) {
    return BadRequest(twilio_code::kUpdateWithoutParameters,
                      "At least one of RoleSid, Attributes or FriendlyName is required");
  }
  if (params.attributes && params.attributes_patch) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "Attributes and an attributes merge patch cannot be given together");
  }
  // A patch is parsed under the user's lock: bounded here, before it, as
  // the attributes it may produce are.
  if (params.attributes_patch &&
      params.attributes_patch->size() > options_.limits.max_attributes_bytes) {
    return BadRequest(twilio_code::kAttributesTooLong,
                      "Attributes merge patch is longer than " +
                          std::to_string(options_.limits.max_attributes_bytes) + " bytes");
  }
  SidBytes role;
  USERSTORE_RETURN_IF_ERROR(ValidateCommon(*service, View(params.role_sid), View(params.attributes),
                                           View(params.friendly_name), &role));
  const int64_t now = absl::ToUnixSeconds(Now());
  // The new text of `r`: a merge patch is applied to r's attributes, here,
  // under the user's lock, into `patched`.
  auto text_of = [&](const UserRecord& r,
                     std::string* patched) -> absl::StatusOr<UserRecord::Text> {
    USERSTORE_RETURN_IF_ERROR(CheckRevision(r, params.if_revision));
    UserRecord::Text text = r.text();
    if (params.attributes) text.attributes = *params.attributes;
    if (params.attributes_patch) {
      USERSTORE_RETURN_IF_ERROR(
          ApplyMergePatch(r.attributes(), *params.attributes_patch, options_.limits, patched));
      USERSTORE_RETURN_IF_ERROR(ValidateAttributes(*patched, options_.limits));
      text.attributes = *patched;
    }
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
    r.revision = service->NextSequence();
  };
  User fired;  // the listeners' copy when the caller wants none
  User* dest = out != nullptr ? out : params.webhook_enabled ? &fired : nullptr;
  thread_local std::string patched;  // a patch's result, capacity kept
  if (journal_ == nullptr) {
    // Memory only: rewrite the record in place when the new text fits its
    // block (the common case for an attributes update of similar size).
    bool updated = false;
    absl::Status failed;
    const bool found = service->users().Modify(ParseUserKey(key), [&](UserRecord& r) {
      absl::StatusOr<UserRecord::Text> text = text_of(r, &patched);
      if (!text.ok()) {
        failed = text.status();
        return;
      }
      if (!r.AssignTextInPlace(text->attributes, text->friendly_name)) return;
      stamp(r);
      updated = true;
      if (dest != nullptr) CopyUser(*service, r, UserShape::kResource, dest);
    });
    if (!found) return UserNotFound(*service, key);
    USERSTORE_RETURN_IF_ERROR(failed);
    if (updated) {
      if (params.webhook_enabled) Fire(UserEvent::Type::kUserUpdated, *dest);
      return absl::OkStatus();
    }
  }
  auto build = [&](const UserRecord& r) -> absl::StatusOr<UserRecord::Ptr> {
    USERSTORE_ASSIGN_OR_RETURN(const UserRecord::Text text, text_of(r, &patched));
    UserRecord::Ptr next = UserRecord::Make(text, &r, service->records());
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

absl::Status StoreImpl::DeleteUser(std::string_view service_sid, std::string_view key,
                                   std::optional<uint64_t> if_revision) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  UserIndex::Persist persist = PersistErase(*service);
  if (if_revision) {
    // The precondition is checked where the journal is written: under the
    // user's locks, before anything changes.
    persist = [&, journal = std::move(persist)](const UserRecord& r) -> absl::Status {
      USERSTORE_RETURN_IF_ERROR(CheckRevision(r, if_revision));
      return journal ? journal(r) : absl::OkStatus();
    };
  }
  USERSTORE_ASSIGN_OR_RETURN(const UserIndex::ChangeOutcome outcome,
                             service->users().Erase(ParseUserKey(key), persist));
  switch (outcome) {
    case UserIndex::ChangeOutcome::kDone:
      return absl::OkStatus();
    case UserIndex::ChangeOutcome::kAbsent:
      return UserNotFound(*service, key);
  }
  return absl::InternalError("UserIndex::Erase returned an unknown outcome");
}

absl::StatusOr<bool> StoreImpl::UserExists(std::string_view service_sid,
                                           std::string_view key) const {
  USERSTORE_ASSIGN_OR_RETURN(const ServiceState* service, FindService(service_sid));
  return service->users().Read(ParseUserKey(key), UserIndex::Ignore);
}

absl::StatusOr<uint64_t> StoreImpl::CountUsers(std::string_view service_sid) const {
  USERSTORE_ASSIGN_OR_RETURN(const ServiceState* service, FindService(service_sid));
  return uint64_t{service->users().size()};
}

}  // namespace userstore::internal
