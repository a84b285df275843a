// StoreImpl as a ReplicaTarget (store/replica.h): a shared Store's stream
// applies changes committed in PostgreSQL, idempotently.
#include <algorithm>
#include <string>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "common/status_macros.h"
#include "common/twilio_errors.h"
#include "store/store_impl.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

// A Build's way of saying "nothing to do": never returned to a caller.
absl::Status Skip() { return absl::CancelledError("replica: skip"); }
bool IsSkip(const absl::Status& s) { return s.code() == absl::StatusCode::kCancelled; }

}  // namespace

UserIndex::Persist StoreImpl::FeedOnly(Emission* emission) const {
  if (emission->service->feed() == nullptr) return nullptr;
  return [this, emission](const UserRecord& r) {
    Emit(emission, r);
    return absl::OkStatus();
  };
}

bool StoreImpl::CatchUpReplica() const {
  if (replica_ == nullptr) return false;
  absl::StatusOr<uint64_t> position = replica_->SharedPosition();
  return position.ok() && replica_->WaitForPosition(*position, replica_wait_).ok();
}

void StoreImpl::AfterOwnWrite() const {
  if (replica_ == nullptr || !after_own_writes_) return;
  absl::StatusOr<uint64_t> position = replica_->SharedPosition();
  if (position.ok()) replica_->WaitForPosition(*position, replica_wait_).IgnoreError();
}

bool StoreImpl::OwnPending(const SidBytes& sid, uint64_t revision) const {
  MutexLock lock(&own_mu_);
  auto it = own_pending_.find(sid);
  return it != own_pending_.end() && it->second == revision;
}

absl::Status StoreImpl::CreateUnlocked(ServiceState& service, UserRecord::Ptr record,
                                       Emission* emission, User* out) {
  UserIndex& users = service.users();
  UserKey by_identity;
  by_identity.identity = record->identity();
  if (users.Read(by_identity, UserIndex::Ignore)) {
    // Refused without a round trip. A holder another Store has deleted:
    // Store::CreateUser's CaughtUp catches up and retries.
    return Conflict(twilio_code::kUserAlreadyExists, "User already exists");
  }
  const SidBytes sid = record->sid;
  {
    MutexLock lock(&own_mu_);
    own_pending_[sid] = record->revision;
  }
  absl::Cleanup settled = [&] {
    MutexLock lock(&own_mu_);
    own_pending_.erase(sid);
  };
  USERSTORE_RETURN_IF_ERROR(journal_->PutUser(service.sid(), *record, nullptr));
  // Committed: install it. The index may hold what the database no longer
  // does (it took this identity): a copy the stream has not removed yet.
  const UserIndex::Persist emit = FeedOnly(emission);
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::optional<SidBytes> holder;
    USERSTORE_ASSIGN_OR_RETURN(const UserIndex::InsertOutcome outcome,
                               users.Insert(
                                   &record, emit,
                                   [&](const UserRecord& r) {
                                     if (out != nullptr)
                                       CopyUser(service, r, UserShape::kResource, out);
                                   },
                                   [&](UserRecord& r) { holder = r.sid; }));
    if (outcome == UserIndex::InsertOutcome::kInserted) return absl::OkStatus();
    if (outcome == UserIndex::InsertOutcome::kSidCollision || holder == sid) {
      // The stream installed a later change of this user first (or another
      // Store already deleted it): the create stands as committed.
      if (out != nullptr) CopyUser(service, *record, UserShape::kResource, out);
      return absl::OkStatus();
    }
    Emission removed{&service, UserEvent::Type::kUserRemoved, user_field::kAll, false,
                     WriteOrigin::kReplica};
    users.Erase(UserKey{holder, {}}, FeedOnly(&removed)).IgnoreError();
  }
  return TwilioError(absl::StatusCode::kInternal, 500, twilio_code::kInternal,
                     "the created user could not be installed in the replica");
}

absl::StatusOr<Applied> StoreImpl::ApplyService(const Service& service,
                                                const std::vector<Role>& roles) {
  std::optional<SidBytes> sid = ParseSid(service.sid, "IS");
  if (!sid) return BadRequest(twilio_code::kInvalidParameter, "Replicated Service is malformed");
  WriterLock lock(&services_mu_);
  if (ServiceState* state = FindServiceLocked(*sid)) {
    const Service now = state->Snapshot();
    if (now.reachability_enabled == service.reachability_enabled &&
        now.date_updated >= service.date_updated) {
      return Applied::kSkipped;
    }
    state->SetReachabilityEnabled(service.reachability_enabled,
                                  std::max(now.date_updated, service.date_updated));
    return Applied::kApplied;
  }
  bool has_default = false;
  for (const Role& r : roles) has_default |= r.sid == service.default_service_role_sid;
  if (!has_default) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "Replicated Service " + service.sid + " comes without its default role");
  }
  Publish(service, roles, /*defer_snapshot=*/false);
  return Applied::kApplied;
}

absl::StatusOr<Applied> StoreImpl::ApplyRole(const Role& role) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(role.service_sid));
  std::optional<SidBytes> sid = ParseSid(role.sid, "RL");
  if (!sid) return BadRequest(twilio_code::kInvalidParameter, "Replicated role is malformed");
  WriterLock lock(&services_mu_);
  if (service->HasRole(*sid)) return Applied::kSkipped;
  USERSTORE_RETURN_IF_ERROR(service->AddRole(role));
  return Applied::kApplied;
}

absl::StatusOr<Applied> StoreImpl::ApplyUser(std::string_view service_sid, UserRecord::Ptr record,
                                             bool keep_attributes, bool keep_friendly_name,
                                             absl::Time time) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  // This Store's own create, committed and about to be installed by its
  // writer (CreateUnlocked), which shows it with the write's origin.
  if (OwnPending(record->sid, record->revision)) return Applied::kSkipped;
  UserIndex& users = service->users();
  Emission emission{service, UserEvent::Type::kUserUpdated, 0, false, WriteOrigin::kReplica};
  emission.time_micros = absl::ToUnixMicros(time);
  const UserIndex::Persist emit = FeedOnly(&emission);
  const UserKey by_sid{record->sid, {}};
  bool renamed = false;  // an import replaced the user under a new identity
  // An indexed user: replaced when the change is newer.
  auto build = [&](const UserRecord& r) -> absl::StatusOr<UserRecord::Ptr> {
    if (r.revision >= record->revision) return Skip();
    if (r.identity() != record->identity()) {
      renamed = true;
      return Skip();
    }
    UserRecord::Text text = record->text();
    text.identity = r.identity();  // immutable: the indexed one
    if (keep_attributes) text.attributes = r.attributes();
    if (keep_friendly_name) text.friendly_name = r.text().friendly_name;
    UserRecord::Ptr next = UserRecord::Make(text, &r, service->records());  // keeps presence
    next->revision = record->revision;
    next->role_sid = record->role_sid;
    next->joined_channels_count = record->joined_channels_count;
    next->date_updated = std::max(record->date_updated, r.date_created);
    emission.previous_revision = r.revision;
    emission.changed = ChangedFields(r, *next);
    return next;
  };
  absl::StatusOr<UserIndex::ChangeOutcome> replaced =
      users.Replace(by_sid, build, emit, UserIndex::Ignore);
  if (!replaced.ok()) {
    if (!IsSkip(replaced.status())) return replaced.status();
    if (!renamed) return Applied::kSkipped;
    return ApplyRename(*service, std::move(record), keep_attributes, keep_friendly_name, &emission);
  }
  if (*replaced == UserIndex::ChangeOutcome::kDone) return Applied::kApplied;
  // Not indexed: a new user (or one deleted here already, or one whose
  // identity this host's own later write holds: skipped by Insert).
  if (keep_attributes || keep_friendly_name) {
    return TwilioError(absl::StatusCode::kInternal, 500, twilio_code::kInternal,
                       "replica: an update of user " + FormatSid("US", record->sid) +
                           " without its values, and no indexed copy to keep them from");
  }
  if (service->records() != nullptr && !record->in_arena()) {
    record = UserRecord::Make(record->text(), record.get(), service->records());
  }
  emission.type = UserEvent::Type::kUserAdded;
  emission.changed = user_field::kAll;
  USERSTORE_ASSIGN_OR_RETURN(const UserIndex::InsertOutcome outcome,
                             users.Insert(&record, emit, UserIndex::Ignore, UserIndex::Ignore));
  return outcome == UserIndex::InsertOutcome::kInserted ? Applied::kApplied : Applied::kSkipped;
}

absl::StatusOr<Applied> StoreImpl::ApplyRename(ServiceState& service, UserRecord::Ptr record,
                                               bool keep_attributes, bool keep_friendly_name,
                                               Emission* emission) {
  UserRecord::Ptr old;
  bool applied = false;
  USERSTORE_RETURN_IF_ERROR(service.users().Exclusive([&](UserIndex::Locked& index) {
    const UserRecord* current = index.FindSid(record->sid);
    if (current == nullptr || current->revision >= record->revision) return absl::OkStatus();
    const SidBytes* holder = index.FindIdentity(record->identity());
    if (holder != nullptr && *holder != record->sid) {
      return absl::OkStatus();  // held by this Store's own later write (replica.h)
    }
    UserRecord::Text text = record->text();
    if (keep_attributes) text.attributes = current->attributes();
    if (keep_friendly_name) text.friendly_name = current->text().friendly_name;
    UserRecord::Ptr next = UserRecord::Make(text, record.get(), service.records());
    next->online = current->online;
    next->notifiable = current->notifiable;
    next->connections = current->connections;
    emission->previous_revision = current->revision;
    emission->changed = ChangedFields(*current, *next);
    Emit(emission, *next);
    old = index.Replace(std::move(next));  // keeps the sequence and runtime state
    applied = true;
    return absl::OkStatus();
  }));
  return applied ? Applied::kApplied : Applied::kSkipped;
}

absl::StatusOr<Applied> StoreImpl::ApplyDelete(std::string_view service_sid, const SidBytes& sid,
                                               absl::Time time) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  Emission emission{service, UserEvent::Type::kUserRemoved, user_field::kAll, false,
                    WriteOrigin::kReplica};
  emission.time_micros = absl::ToUnixMicros(time);
  const UserIndex::Persist emit = FeedOnly(&emission);
  USERSTORE_ASSIGN_OR_RETURN(const UserIndex::ChangeOutcome outcome,
                             service->users().Erase(UserKey{sid, {}}, emit));
  if (outcome == UserIndex::ChangeOutcome::kDone) return Applied::kApplied;
  service->users().RestoreDeleted(sid);  // a SID is never used again
  return Applied::kSkipped;
}

}  // namespace userstore::internal
