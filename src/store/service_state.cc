#include "store/service_state.h"

#include "common/twilio_errors.h"
#include "userstore/error.h"

namespace userstore::internal {

ServiceState::ServiceState(const Service& service, const std::vector<Role>& default_roles,
                           RecordArena* records, size_t feed_window)
    : sid_(service.sid),
      account_sid_(service.account_sid),
      default_role_(*ParseSid(service.default_service_role_sid, "RL")),
      records_(records),
      reachability_enabled_(service.reachability_enabled),
      feed_(feed_window > 0 ? std::make_unique<EventFeed>(feed_window) : nullptr) {
  WriterLock lock(&mu_);
  meta_ = service;
  for (const Role& role : default_roles) {
    role_index_.emplace(*ParseSid(role.sid, "RL"), roles_.size());
    roles_.push_back(role);
  }
}

Service ServiceState::Snapshot() const {
  ReaderLock lock(&mu_);
  Service copy = meta_;
  copy.reachability_enabled = reachability_enabled();
  return copy;
}

Service ServiceState::SetReachabilityEnabled(bool enabled, absl::Time now) {
  WriterLock lock(&mu_);
  reachability_enabled_.store(enabled, std::memory_order_release);
  meta_.reachability_enabled = enabled;
  meta_.date_updated = now;
  return meta_;
}

absl::Status ServiceState::AddRole(const Role& role) {
  std::optional<SidBytes> sid = ParseSid(role.sid, "RL");
  if (!sid) return BadRequest(twilio_code::kInvalidParameter, "Invalid Role SID");
  WriterLock lock(&mu_);
  if (!role_index_.emplace(*sid, roles_.size()).second) {
    return TwilioError(absl::StatusCode::kAlreadyExists, 409, twilio_code::kInvalidParameter,
                       "Role already exists");
  }
  roles_.push_back(role);
  return absl::OkStatus();
}

void ServiceState::EnsureSequenceAbove(uint64_t sequence) {
  uint64_t current = next_sequence_.load();
  while (current < sequence && !next_sequence_.compare_exchange_weak(current, sequence)) {
  }
}

absl::StatusOr<uint64_t> ServiceState::NextReserved(
    absl::FunctionRef<absl::StatusOr<uint64_t>(uint64_t* count)> reserve) {
  MutexLock lock(&block_mu_);
  if (block_left_ == 0) {
    uint64_t count = 0;
    absl::StatusOr<uint64_t> first = reserve(&count);
    if (!first.ok()) return first.status();
    if (*first == 0 || count == 0) return absl::InternalError("an empty sequence block");
    block_next_ = *first;
    block_left_ = count;
  }
  --block_left_;
  return block_next_++;
}

bool ServiceState::HasRole(const SidBytes& sid) const {
  ReaderLock lock(&mu_);
  return role_index_.contains(sid);
}

std::vector<Role> ServiceState::Roles() const {
  ReaderLock lock(&mu_);
  return roles_;
}

absl::StatusOr<SidBytes> ServiceState::ResolveServiceRole(std::string_view role_sid) const {
  std::optional<SidBytes> sid = ParseSid(role_sid, "RL");
  if (!sid) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "Invalid RoleSid: must match ^RL[0-9a-fA-F]{32}$");
  }
  ReaderLock lock(&mu_);
  auto it = role_index_.find(*sid);
  if (it == role_index_.end()) {
    return BadRequest(twilio_code::kRoleNotFound, "Role not found");
  }
  if (roles_[it->second].type != RoleScope::kDeployment) {
    return BadRequest(twilio_code::kRoleWrongType,
                      "Role is a channel role; a User needs a service (deployment) role");
  }
  return *sid;
}

}  // namespace userstore::internal
