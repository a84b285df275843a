// StoreImpl: construction, Services, Roles and listeners.
#include <algorithm>
#include <exception>
#include <string>
#include <utility>

#include "arena/record_arena.h"
#include "common/status_macros.h"
#include "common/twilio_errors.h"
#include "store/store_impl.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

struct DefaultRole {
  const char* name;
  RoleScope type;
  std::vector<std::string> permissions;
};

// Twilio's default roles of a new Chat Service and their permissions, in
// this order; the Service's defaults are these (by index).
constexpr size_t kServiceUserRole = 1;   // default_service_role_sid
constexpr size_t kChannelAdminRole = 2;  // default_channel_creator_role_sid
constexpr size_t kChannelUserRole = 3;   // default_channel_role_sid
const std::vector<DefaultRole>& DefaultRoles() {
  static const auto* roles = new std::vector<DefaultRole>{
      {"service admin",
       RoleScope::kDeployment,
       {"createChannel", "joinChannel", "destroyChannel", "inviteMember", "removeMember",
        "editChannelName", "editChannelAttributes", "addMember", "editAnyMessage",
        "editAnyMessageAttributes", "editAnyUserInfo", "deleteAnyMessage", "editOwnMessage",
        "editOwnMessageAttributes", "editOwnUserInfo", "deleteOwnMessage"}},
      {"service user",
       RoleScope::kDeployment,
       {"createChannel", "joinChannel", "destroyChannel", "editOwnUserInfo"}},
      {"channel admin",
       RoleScope::kChannel,
       {"sendMessage", "leaveChannel", "editChannelName", "editChannelAttributes", "inviteMember",
        "removeMember", "addMember", "editAnyMessage", "editAnyMessageAttributes",
        "deleteAnyMessage", "editOwnMessage", "editOwnMessageAttributes", "deleteOwnMessage"}},
      {"channel user",
       RoleScope::kChannel,
       {"sendMessage", "leaveChannel", "editOwnMessage", "editOwnMessageAttributes",
        "deleteOwnMessage"}},
  };
  return *roles;
}

}  // namespace

StoreImpl::StoreImpl(StoreOptions options)
    : options_(std::move(options)),
      tokens_(options_.page_token_key),
      records_(options_.record_memory == RecordMemory::kHugePages ? std::make_unique<RecordArena>()
                                                                  : nullptr) {
  WriterLock lock(&services_mu_);
  service_maps_.push_back(std::make_unique<const ServiceMap>());
  services_.store(service_maps_.back().get(), std::memory_order_release);
  listeners_ = std::make_shared<const std::vector<Store::PostEventListener>>();
  WriterLock pre_lock(&pre_listeners_mu_);
  pre_listeners_ = std::make_shared<const std::vector<PreEventListener>>();
}

StoreImpl::~StoreImpl() {
  replica_.reset();
  trimmer_.reset();
}

absl::Time StoreImpl::Clock() const { return options_.clock ? options_.clock() : absl::Now(); }

absl::Time StoreImpl::Now() const { return absl::FromUnixSeconds(absl::ToUnixSeconds(Clock())); }

absl::StatusOr<ServiceState*> StoreImpl::FindService(std::string_view service_sid) const {
  if (std::optional<SidBytes> sid = ParseSid(service_sid, "IS")) {
    const ServiceMap* map = services_.load(std::memory_order_acquire);
    if (auto it = map->find(*sid); it != map->end()) return it->second;
    // Created since the snapshot (or merged into a newer one meanwhile).
    ReaderLock lock(&services_mu_);
    map = services_.load(std::memory_order_relaxed);
    if (auto it = map->find(*sid); it != map->end()) return it->second;
    if (auto it = recent_.find(*sid); it != recent_.end()) return it->second;
  }
  return NotFound("The requested resource /Services/" + std::string(service_sid) +
                  " was not found");
}

absl::StatusOr<Service> StoreImpl::CreateService(const ServiceCreate& params) {
  SidBytes sid;
  if (params.sid.empty()) {
    sid = RandomSidBytes();
  } else if (std::optional<SidBytes> parsed = ParseSid(params.sid, "IS")) {
    sid = *parsed;
  } else {
    return BadRequest(twilio_code::kInvalidParameter,
                      "Invalid Service SID: must match ^IS[0-9a-fA-F]{32}$");
  }
  const absl::Time now = Now();
  Service service;
  service.sid = FormatSid("IS", sid);
  service.account_sid = options_.account_sid;
  service.friendly_name = params.friendly_name;
  service.reachability_enabled = params.reachability_enabled;
  service.date_created = service.date_updated = now;
  std::vector<Role> roles;
  for (const DefaultRole& d : DefaultRoles()) {
    Role role;
    role.sid = MintSid("RL");
    role.account_sid = service.account_sid;
    role.service_sid = service.sid;
    role.friendly_name = d.name;
    role.type = d.type;
    role.permissions = d.permissions;
    role.date_created = role.date_updated = now;
    roles.push_back(std::move(role));
  }
  service.default_service_role_sid = roles[kServiceUserRole].sid;
  service.default_channel_creator_role_sid = roles[kChannelAdminRole].sid;
  service.default_channel_role_sid = roles[kChannelUserRole].sid;

  WriterLock lock(&services_mu_);
  if (HasService(sid)) {
    return TwilioError(absl::StatusCode::kAlreadyExists, 409, twilio_code::kInvalidParameter,
                       "Service already exists");
  }
  USERSTORE_RETURN_IF_ERROR(AddNewService(service, roles));
  return service;
}

absl::Status StoreImpl::AddNewService(const Service& service, const std::vector<Role>& roles) {
  if (service_states_.size() >= options_.limits.max_services) {
    return TwilioError(absl::StatusCode::kResourceExhausted, 403, twilio_code::kForbidden,
                       "Service limit reached: this Store holds at most " +
                           std::to_string(options_.limits.max_services) + " Services");
  }
  if (journal_) USERSTORE_RETURN_IF_ERROR(journal_->PutService(service, roles));
  Publish(service, roles, /*defer_snapshot=*/false);
  return absl::OkStatus();
}

ServiceState* StoreImpl::FindServiceLocked(const SidBytes& sid) const {
  const ServiceMap* map = services_.load(std::memory_order_relaxed);
  if (auto it = map->find(sid); it != map->end()) return it->second;
  if (auto it = recent_.find(sid); it != recent_.end()) return it->second;
  return nullptr;
}

bool StoreImpl::HasService(const SidBytes& sid) const {
  return services_.load(std::memory_order_relaxed)->contains(sid) || recent_.contains(sid);
}

ServiceState* StoreImpl::Publish(const Service& service, const std::vector<Role>& roles,
                                 bool defer_snapshot) {
  service_states_.push_back(std::make_unique<ServiceState>(
      service, roles, records_.get(), options_.events.enabled ? options_.events.memory_window : 0));
  ServiceState* state = service_states_.back().get();
  recent_.emplace(*ParseSid(service.sid, "IS"), state);
  // Small stores always read lock-free; larger ones merge geometrically.
  constexpr size_t kAlwaysMergeBelow = 64;
  constexpr size_t kMergeAtFraction = 8;  // recent_ reaches 1/8 of the snapshot
  const size_t snapshot = services_.load(std::memory_order_relaxed)->size();
  if (!defer_snapshot &&
      (snapshot < kAlwaysMergeBelow || recent_.size() * kMergeAtFraction >= snapshot)) {
    RebuildSnapshot();
  }
  return state;
}

void StoreImpl::RebuildSnapshot() {
  if (recent_.empty()) return;
  const ServiceMap* current = services_.load(std::memory_order_relaxed);
  auto next = std::make_unique<ServiceMap>();
  next->reserve(current->size() + recent_.size());
  next->insert(current->begin(), current->end());
  next->insert(recent_.begin(), recent_.end());
  service_maps_.push_back(std::move(next));
  services_.store(service_maps_.back().get(), std::memory_order_release);
  recent_.clear();
}

absl::Status StoreImpl::RestoreService(const Service& service, const std::vector<Role>& roles) {
  std::optional<SidBytes> sid = ParseSid(service.sid, "IS");
  bool has_default = false;
  for (const Role& r : roles) has_default |= r.sid == service.default_service_role_sid;
  if (!sid || !has_default) {
    return BadRequest(twilio_code::kInvalidParameter, "Restored Service is malformed");
  }
  WriterLock lock(&services_mu_);
  if (HasService(*sid)) {
    return TwilioError(absl::StatusCode::kAlreadyExists, 409, twilio_code::kInvalidParameter,
                       "Service already exists");
  }
  // Not bounded by max_services (a store keeps what it has); one snapshot
  // is built for all of them when recovery ends (SetJournal).
  Publish(service, roles, /*defer_snapshot=*/true);
  return absl::OkStatus();
}

absl::Status StoreImpl::RestoreSequence(std::string_view service_sid, uint64_t sequence) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  service->EnsureSequenceAbove(sequence);
  return absl::OkStatus();
}

absl::Status StoreImpl::RestoreUser(std::string_view service_sid, UserRecord::Ptr record) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  // Revisions come from the sequence counter too (user_record.h).
  service->EnsureSequenceAbove(std::max(record->sequence, record->revision));
  if (service->records() != nullptr && !record->in_arena()) {
    // Decoded into malloc'd memory: moved into the Store's arena.
    record = UserRecord::Make(record->text(), record.get(), service->records());
  }
  USERSTORE_ASSIGN_OR_RETURN(
      const UserIndex::InsertOutcome outcome,
      service->users().Insert(&record, nullptr, UserIndex::Ignore, UserIndex::Ignore));
  switch (outcome) {
    case UserIndex::InsertOutcome::kInserted:
      return absl::OkStatus();
    case UserIndex::InsertOutcome::kTaken:
    case UserIndex::InsertOutcome::kSidCollision:
      return Conflict(twilio_code::kUserAlreadyExists,
                      "Restored user is a duplicate, or holds the SID of a deleted user");
  }
  return absl::InternalError("UserIndex::Insert returned an unknown outcome");
}

absl::Status StoreImpl::RestoreDeletedSid(std::string_view service_sid, const SidBytes& sid) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  service->users().RestoreDeleted(sid);
  return absl::OkStatus();
}

absl::Status StoreImpl::RestoreFeed(std::string_view service_sid, uint64_t first, uint64_t last,
                                    uint64_t checkpoint) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  if (service->feed() != nullptr) service->feed()->Restore(first, last, checkpoint);
  return absl::OkStatus();
}

uint64_t StoreImpl::IndexedUsers(std::string_view service_sid) const {
  absl::StatusOr<ServiceState*> service = FindService(service_sid);
  return service.ok() ? (*service)->users().size() : 0;
}

void StoreImpl::SetJournal(std::unique_ptr<Journal> journal) {
  {
    WriterLock lock(&services_mu_);
    RebuildSnapshot();
    journal_ = std::move(journal);
  }
  if (options_.events.enabled) {
    trimmer_ = std::make_unique<FeedTrimmer>(
        journal_.get(), options_.events, [this] { return Services(); }, [this] { return Now(); });
    // A first pass now, before any write: a Store that lives less than
    // trim_interval (a CLI session) still trims and leaves a checkpoint.
    trimmer_->TrimOnce();
  }
}

void StoreImpl::TrimFeeds() {
  if (trimmer_ != nullptr) trimmer_->TrimOnce();
}

std::vector<const ServiceState*> StoreImpl::Services() const {
  ReaderLock lock(&services_mu_);
  std::vector<const ServiceState*> out;
  out.reserve(service_states_.size());
  for (const auto& state : service_states_) out.push_back(state.get());
  return out;
}

absl::StatusOr<Service> StoreImpl::EnsureService(const ServiceCreate& params, bool* created) {
  if (created != nullptr) *created = false;
  // Without a SID each call would mint a new Service: never idempotent.
  if (params.sid.empty()) {
    return BadRequest(twilio_code::kInvalidParameter, "EnsureService needs a Service sid");
  }
  absl::StatusOr<Service> service = CreateService(params);
  if (created != nullptr) *created = service.ok();
  // Services are never deleted: one that exists now exists below too.
  if (service.status().code() != absl::StatusCode::kAlreadyExists) return service;
  absl::StatusOr<Service> existing = FetchService(params.sid);
  // Shared: another Store created it and this replica has not applied it
  // yet. Catch up with the database, then look again.
  if (existing.ok() || !CatchUpReplica()) return existing;
  return FetchService(params.sid);
}

std::vector<Service> StoreImpl::ListServices() const {
  std::vector<Service> services;
  for (const ServiceState* state : Services()) services.push_back(state->Snapshot());
  std::sort(services.begin(), services.end(),
            [](const Service& a, const Service& b) { return a.sid < b.sid; });
  return services;
}

absl::StatusOr<Service> StoreImpl::FetchService(std::string_view service_sid) const {
  auto service = FindService(service_sid);
  if (!service.ok()) return service.status();
  return (*service)->Snapshot();
}

absl::StatusOr<Service> StoreImpl::SetReachabilityEnabled(std::string_view service_sid,
                                                          bool enabled) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  WriterLock lock(&services_mu_);
  const absl::Time now = Now();
  if (journal_) {
    Service next = service->Snapshot();
    next.reachability_enabled = enabled;
    next.date_updated = now;
    USERSTORE_RETURN_IF_ERROR(journal_->PutService(next, {}));
  }
  return service->SetReachabilityEnabled(enabled, now);
}

absl::StatusOr<Role> StoreImpl::AddRole(std::string_view service_sid, const RoleCreate& params) {
  auto service = FindService(service_sid);
  if (!service.ok()) return service.status();
  Role role;
  if (params.sid.empty()) {
    role.sid = MintSid("RL");
  } else if (std::optional<SidBytes> parsed = ParseSid(params.sid, "RL")) {
    role.sid = FormatSid("RL", *parsed);
  } else {
    return BadRequest(twilio_code::kInvalidParameter,
                      "Invalid Role SID: must match ^RL[0-9a-fA-F]{32}$");
  }
  role.account_sid = options_.account_sid;
  role.service_sid = (*service)->sid();
  role.friendly_name = params.friendly_name;
  role.type = params.type;
  role.permissions = params.permissions;
  role.date_created = role.date_updated = Now();
  WriterLock lock(&services_mu_);
  if ((*service)->HasRole(*ParseSid(role.sid, "RL"))) {
    return TwilioError(absl::StatusCode::kAlreadyExists, 409, twilio_code::kInvalidParameter,
                       "Role already exists");
  }
  if (journal_) USERSTORE_RETURN_IF_ERROR(journal_->PutRole(role));
  USERSTORE_RETURN_IF_ERROR((*service)->AddRole(role));
  return role;
}

absl::StatusOr<std::vector<Role>> StoreImpl::ListRoles(std::string_view service_sid) const {
  auto service = FindService(service_sid);
  if (!service.ok()) return service.status();
  return (*service)->Roles();
}

}  // namespace userstore::internal
