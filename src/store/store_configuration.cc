// Store's Conversations Configuration (configuration.h; contracts in
// store.h): one value per Store, checked (store/configuration_check.h),
// journaled (durable and shared Stores: Journal::PutConfiguration), and
// installed by revision, which is also how recovery (RestoreTarget) and a
// shared Store's stream (ReplicaTarget) put it back.
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/status_macros.h"
#include "common/twilio_errors.h"
#include "store/configuration_check.h"
#include "store/store_impl.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore {
namespace internal {

Configuration StoreImpl::FetchConfiguration() const {
  Configuration out;
  {
    ReaderLock lock(&configuration_mu_);
    out = configuration_;
  }
  out.account_sid = options_.account_sid;
  return out;
}

absl::StatusOr<Configuration> StoreImpl::UpdateConfiguration(const ConfigurationUpdate& params) {
  USERSTORE_ASSIGN_OR_RETURN(const ConfigurationUpdate checked, CheckConfigurationUpdate(params));
  // Services are never deleted: one found now still exists at the write.
  if (checked.default_chat_service_sid && !checked.default_chat_service_sid->empty()) {
    USERSTORE_RETURN_IF_ERROR(FindService(*checked.default_chat_service_sid).status());
  }
  if (!SetsAnyField(checked)) return FetchConfiguration();
  MutexLock write(&configuration_write_mu_);
  Configuration next;
  uint64_t revision = 0;
  {
    ReaderLock lock(&configuration_mu_);
    next = configuration_;
    revision = configuration_revision_ + 1;
  }
  ApplyConfigurationUpdate(checked, &next);
  next.account_sid = options_.account_sid;
  // A shared journal refuses the write (409/20409) when another Store wrote
  // revision `revision` first; Store::UpdateConfiguration catches up and
  // retries.
  if (journal_) USERSTORE_RETURN_IF_ERROR(journal_->PutConfiguration(next, revision));
  InstallConfiguration(next, revision);
  return next;
}

bool StoreImpl::InstallConfiguration(const Configuration& configuration, uint64_t revision) {
  WriterLock lock(&configuration_mu_);
  if (revision <= configuration_revision_) return false;
  configuration_ = configuration;
  configuration_.account_sid.clear();  // options_'s, filled in when read
  configuration_revision_ = revision;
  return true;
}

absl::Status StoreImpl::RestoreConfiguration(const Configuration& configuration,
                                             uint64_t revision) {
  if (absl::Status s = ValidateConfiguration(configuration); !s.ok()) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "Restored Configuration is malformed: " + std::string(s.message()));
  }
  if (!configuration.default_chat_service_sid.empty()) {
    USERSTORE_RETURN_IF_ERROR(FindService(configuration.default_chat_service_sid).status());
  }
  InstallConfiguration(configuration, revision);
  return absl::OkStatus();
}

absl::StatusOr<Applied> StoreImpl::ApplyConfiguration(const Configuration& configuration,
                                                      uint64_t revision) {
  if (absl::Status s = ValidateConfiguration(configuration); !s.ok()) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "Replicated Configuration is malformed: " + std::string(s.message()));
  }
  return InstallConfiguration(configuration, revision) ? Applied::kApplied : Applied::kSkipped;
}

}  // namespace internal

Configuration Store::FetchConfiguration() const { return impl_->FetchConfiguration(); }

absl::StatusOr<Configuration> Store::UpdateConfiguration(const ConfigurationUpdate& params) {
  absl::StatusOr<Configuration> result = impl_->UpdateConfiguration(params);
  // A shared Store whose replica is behind the database: 409/20409 (another
  // Store updated the Configuration first) or 404/20404 (the Service was
  // created through another Store). Once caught up, again (twice at most).
  auto stale = [&] {
    const int code = TwilioCode(result.status());
    return code == twilio_code::kConflict || code == twilio_code::kNotFound;
  };
  for (int i = 0; i < 2 && !result.ok() && stale() && impl_->CatchUpReplica(); ++i) {
    result = impl_->UpdateConfiguration(params);
  }
  if (result.ok()) impl_->AfterOwnWrite();
  return result;
}

}  // namespace userstore
