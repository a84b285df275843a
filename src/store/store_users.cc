// StoreImpl: the User operations.
#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "common/status_macros.h"
#include "common/strings.h"
#include "common/twilio_errors.h"
#include "json/merge_patch.h"
#include "store/store_impl.h"
#include "store/user_changes.h"
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

absl::Status StoreImpl::UserNotFound(const ServiceState& service, std::string_view key) const {
  return NotFound("The requested resource /Services/" + service.sid() + "/Users/" +
                  std::string(key) + " was not found");
}

namespace {}  // namespace

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
  USERSTORE_RETURN_IF_ERROR(ValidateNewUser(service, params.identity, OptionalView(params.role_sid),
                                            OptionalView(params.attributes),
                                            OptionalView(params.friendly_name), &role));
  return role;
}

absl::Status StoreImpl::CheckClientCreate(const ServiceState& service, const UserCreate& params,
                                          const SidBytes& role) const {
  if (params.origin != WriteOrigin::kClient || !HasPreEventListeners()) return absl::OkStatus();
  PreEvent proposal;
  proposal.type = UserEvent::Type::kUserAdded;
  proposal.changed = user_field::kAll;
  User& u = proposal.user;
  u.account_sid = service.account_sid();
  u.service_sid = service.sid();
  u.role_sid = FormatSid("RL", role);
  u.identity = params.identity;
  u.attributes = params.attributes && !params.attributes->empty() ? *params.attributes : "{}";
  if (params.friendly_name && !params.friendly_name->empty())
    u.friendly_name = params.friendly_name;
  u.date_created = u.date_updated = Now();
  return CheckPreEvent(proposal);
}

absl::StatusOr<uint64_t> StoreImpl::NextRevision(ServiceState& service, uint64_t previous) const {
  USERSTORE_ASSIGN_OR_RETURN(const uint64_t next, NextSequence(service));
  return std::max(next, previous + 1);
}

absl::StatusOr<uint64_t> StoreImpl::NextSequence(ServiceState& service) const {
  if (journal_ == nullptr || !journal_->ReservesSequences()) return service.NextSequence();
  return service.NextReserved(
      [&](uint64_t* count) { return journal_->ReserveSequences(service.sid(), count); });
}

absl::StatusOr<UserRecord::Ptr> StoreImpl::NewRecord(ServiceState& service,
                                                     const UserCreate& params, Emission* emission,
                                                     const SidBytes& role) {
  USERSTORE_ASSIGN_OR_RETURN(const uint64_t sequence, NextSequence(service));
  const absl::Time now = Clock();
  UserRecord::Text text;
  text.identity = params.identity;
  if (params.attributes) text.attributes = *params.attributes;
  if (params.friendly_name && !params.friendly_name->empty()) {
    text.friendly_name = *params.friendly_name;
  }
  UserRecord::Ptr record = UserRecord::Make(text, nullptr, service.records());
  record->sequence = record->revision = sequence;
  record->sid = RandomSidBytes();
  record->role_sid = role;
  emission->time_micros = absl::ToUnixMicros(now);  // the event's time is the write's
  record->date_created = record->date_updated = absl::ToUnixSeconds(now);
  return record;
}

absl::Status StoreImpl::Insert(ServiceState& service, UserRecord::Ptr record,
                               const UserIndex::Persist& persist, User* out, bool* existed,
                               UserIndex::Mutate on_existing) {
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
  USERSTORE_RETURN_IF_ERROR(CheckClientCreate(*service, params, role));
  Emission emission{service, UserEvent::Type::kUserAdded, user_field::kAll, params.webhook_enabled,
                    params.origin};
  User fired;  // the listeners' copy when the caller wants none
  User* dest = out != nullptr ? out : Fires(emission) ? &fired : nullptr;
  USERSTORE_ASSIGN_OR_RETURN(UserRecord::Ptr record, NewRecord(*service, params, &emission, role));
  if (journal_ != nullptr && journal_->ChecksIdentities()) {
    USERSTORE_RETURN_IF_ERROR(CreateUnlocked(*service, std::move(record), &emission, dest));
  } else {
    USERSTORE_RETURN_IF_ERROR(
        Insert(*service, std::move(record), CommitUser(&emission), dest, nullptr));
  }
  if (Fires(emission)) Fire(emission, *dest);
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
  USERSTORE_RETURN_IF_ERROR(CheckClientCreate(*service, params, role));
  Emission emission{service, UserEvent::Type::kUserAdded, user_field::kAll, params.webhook_enabled,
                    params.origin};
  bool existed = false;
  USERSTORE_ASSIGN_OR_RETURN(UserRecord::Ptr record, NewRecord(*service, params, &emission, role));
  USERSTORE_RETURN_IF_ERROR(
      Insert(*service, std::move(record), CommitUser(&emission), &result.user, &existed));
  result.created = !existed;
  if (result.created && Fires(emission)) Fire(emission, result.user);
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

absl::Status StoreImpl::CheckUpdate(const ServiceState& service, const UserUpdate& params,
                                    SidBytes* role) const {
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
  return ValidateCommon(service, OptionalView(params.role_sid), OptionalView(params.attributes),
                        OptionalView(params.friendly_name), role);
}

uint32_t Changes(const UserRecord& r, const UserRecord::Text& text,
                 const std::optional<SidBytes>& role) {
  // Attributes never set read as "{}": setting "{}" changes nothing.
  auto shown = [](std::string_view attributes) {
    return attributes.empty() ? std::string_view("{}") : attributes;
  };
  uint32_t changed = 0;
  if (role && *role != r.role_sid) changed |= user_field::kRoleSid;
  if (shown(text.attributes) != shown(r.attributes())) changed |= user_field::kAttributes;
  if (text.friendly_name != r.friendly_name()) changed |= user_field::kFriendlyName;
  return changed;
}

absl::Status StoreImpl::UpdateUser(std::string_view service_sid, std::string_view key,
                                   const UserUpdate& params, User* out) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  SidBytes role;
  USERSTORE_RETURN_IF_ERROR(CheckUpdate(*service, params, &role));
  if (params.origin != WriteOrigin::kClient || !HasPreEventListeners()) {
    return CommitUpdate(*service, key, params, role, out);
  }
  // A client's update: the listeners judge the user it would leave; it
  // commits only over the revision they judged (docs/events.md).
  for (int attempt = 0; attempt < 3; ++attempt) {
    PreEvent proposal;
    proposal.type = UserEvent::Type::kUserUpdated;
    USERSTORE_RETURN_IF_ERROR(FetchUser(service_sid, key, &proposal.user));
    const uint64_t judged = proposal.user.revision;
    if (params.if_revision && judged != *params.if_revision) {
      return PreconditionFailed(judged, *params.if_revision);
    }
    User& u = proposal.user;
    if (params.role_sid) {
      const std::string next = FormatSid("RL", role);
      if (next != u.role_sid) proposal.changed |= user_field::kRoleSid;
      u.role_sid = next;
    }
    std::string attributes = u.attributes;
    if (params.attributes) attributes = *params.attributes;
    if (params.attributes_patch) {
      USERSTORE_RETURN_IF_ERROR(
          ApplyMergePatch(u.attributes, *params.attributes_patch, options_.limits, &attributes));
      USERSTORE_RETURN_IF_ERROR(ValidateAttributes(attributes, options_.limits));
    }
    if (attributes != u.attributes) proposal.changed |= user_field::kAttributes;
    u.attributes = std::move(attributes);
    if (params.friendly_name) {
      std::optional<std::string> next;
      if (!params.friendly_name->empty()) next = *params.friendly_name;
      if (next != u.friendly_name) proposal.changed |= user_field::kFriendlyName;
      u.friendly_name = std::move(next);
    }
    u.date_updated = std::max(Now(), u.date_created);
    USERSTORE_RETURN_IF_ERROR(CheckPreEvent(proposal));
    UserUpdate committed = params;
    committed.if_revision = judged;
    absl::Status s = CommitUpdate(*service, key, committed, role, out);
    // The user changed after the listeners saw it: judge it again.
    if (s.code() == absl::StatusCode::kFailedPrecondition && !params.if_revision) continue;
    return s;
  }
  return TwilioError(absl::StatusCode::kAborted, 409, twilio_code::kConflict,
                     "The user kept changing while the pre-event listeners judged the update");
}

absl::Status StoreImpl::CommitUpdate(ServiceState& service_ref, std::string_view key,
                                     const UserUpdate& params, const SidBytes& role, User* out) {
  ServiceState* service = &service_ref;
  const std::optional<SidBytes> new_role =
      params.role_sid ? std::optional<SidBytes>(role) : std::nullopt;
  Emission emission{service, UserEvent::Type::kUserUpdated, 0, params.webhook_enabled,
                    params.origin};
  const absl::Time now_time = Clock();
  emission.time_micros = absl::ToUnixMicros(now_time);  // the event's time is the write's
  const int64_t now = absl::ToUnixSeconds(now_time);
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
    emission.changed = Changes(r, text, new_role);
    return text;
  };
  auto stamp = [&](UserRecord& r) -> absl::Status {
    USERSTORE_ASSIGN_OR_RETURN(const uint64_t revision, NextRevision(*service, r.revision));
    if (params.role_sid) r.role_sid = role;
    r.date_updated = std::max(now, r.date_created);
    emission.previous_revision = r.revision;
    r.revision = revision;
    return absl::OkStatus();
  };
  User fired;  // the listeners' copy when the caller wants none
  User* dest = out != nullptr ? out : Fires(emission) ? &fired : nullptr;
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
      stamp(r).IgnoreError();  // memory only: the Service's counter never fails
      Emit(&emission, r);
      updated = true;
      if (dest != nullptr) CopyUser(*service, r, UserShape::kResource, dest);
    });
    if (!found) return UserNotFound(*service, key);
    USERSTORE_RETURN_IF_ERROR(failed);
    if (updated) {
      if (Fires(emission)) Fire(emission, *dest);
      return absl::OkStatus();
    }
  }
  auto build = [&](const UserRecord& r) -> absl::StatusOr<UserRecord::Ptr> {
    USERSTORE_ASSIGN_OR_RETURN(const UserRecord::Text text, text_of(r, &patched));
    UserRecord::Ptr next = UserRecord::Make(text, &r, service->records());
    USERSTORE_RETURN_IF_ERROR(stamp(*next));
    return next;
  };
  USERSTORE_RETURN_IF_ERROR(Replace(*service, key, build, CommitUser(&emission), dest));
  if (Fires(emission)) Fire(emission, *dest);
  return absl::OkStatus();
}

absl::Status StoreImpl::Replace(ServiceState& service, std::string_view key, UserIndex::Build build,
                                const UserIndex::Persist& persist, User* out) {
  USERSTORE_ASSIGN_OR_RETURN(
      const UserIndex::ChangeOutcome outcome,
      service.users().Replace(ParseUserKey(key), build, persist, [&](const UserRecord& r) {
        if (out != nullptr) CopyUser(service, r, UserShape::kResource, out);
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
                                   const UserDelete& params) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  Emission emission{service, UserEvent::Type::kUserRemoved, user_field::kAll,
                    params.webhook_enabled, params.origin};
  User removed;  // the listeners' copy: the user as it was
  UserIndex::Persist commit = CommitErase(&emission, params.if_revision);
  // The user's push Bindings go with it, under its locks (no Binding
  // outlives its user; binding_index.h).
  commit = [&, inner = std::move(commit)](const UserRecord& r) -> absl::Status {
    if (inner) USERSTORE_RETURN_IF_ERROR(inner(r));
    if (service->bindings().CountOf(r.sid) > 0) service->bindings().EraseUser(r.sid);
    if (Fires(emission)) CopyUser(*service, r, UserShape::kResource, &removed);
    return absl::OkStatus();
  };
  USERSTORE_ASSIGN_OR_RETURN(const UserIndex::ChangeOutcome outcome,
                             service->users().Erase(ParseUserKey(key), commit));
  switch (outcome) {
    case UserIndex::ChangeOutcome::kDone:
      if (Fires(emission)) Fire(emission, removed);
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
