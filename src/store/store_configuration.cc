// Store's Conversations Configuration (configuration.h; contracts in
// store.h): one value per Store, validated, journaled (durable and shared
// Stores) and installed by revision.
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "common/status_macros.h"
#include "common/twilio_errors.h"
#include "sid/sid.h"
#include "store/store_impl.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore {
namespace internal {
namespace {

// The longest timer accepted (store.h).
constexpr size_t kMaxTimerBytes = 32;

// Reads `digits` + `unit` at `*at` of `text` and moves past it; false (and
// `*at` unchanged) when it is not there.
bool ReadComponent(std::string_view text, char unit, size_t* at) {
  size_t end = *at;
  while (end < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[end]))) ++end;
  if (end == *at || end == text.size() || text[end] != unit) return false;
  *at = end + 1;
  return true;
}

// Whether `text` is an ISO 8601 duration of the shape P[nD][T[nH][nM][nS]]
// (n: one or more ASCII digits) naming at least one component, so "P" and
// "PT" are not.
bool IsDuration(std::string_view text) {
  if (text.size() < 2 || text.size() > kMaxTimerBytes || text[0] != 'P') return false;
  size_t at = 1;
  bool any = ReadComponent(text, 'D', &at);
  if (at < text.size() && text[at] == 'T') {
    ++at;
    bool time = false;
    for (char unit : {'H', 'M', 'S'}) time |= ReadComponent(text, unit, &at);
    if (!time) return false;
    any = true;
  }
  return any && at == text.size();
}

// `*sid` ("" or `prefix` + 32 hex) in canonical lowercase; 400/20001 naming
// `param` otherwise.
absl::Status CanonicalizeSid(std::string* sid, std::string_view prefix, std::string_view param) {
  if (sid->empty()) return absl::OkStatus();
  std::optional<SidBytes> bytes = ParseSid(*sid, prefix);
  if (!bytes) {
    return BadRequest(twilio_code::kInvalidParameter, "Invalid " + std::string(param) +
                                                          ": must match ^" + std::string(prefix) +
                                                          "[0-9a-fA-F]{32}$");
  }
  *sid = FormatSid(prefix, *bytes);
  return absl::OkStatus();
}

absl::Status CheckTimer(const std::optional<std::string>& timer, std::string_view param) {
  if (!timer || timer->empty() || IsDuration(*timer)) return absl::OkStatus();
  return BadRequest(twilio_code::kInvalidParameter,
                    "Invalid " + std::string(param) +
                        ": must be an ISO 8601 duration P[nD][T[nH][nM][nS]] of at most " +
                        std::to_string(kMaxTimerBytes) + " characters");
}

// `params` checked (SIDs canonical), in the order of store.h.
absl::StatusOr<ConfigurationUpdate> CheckConfigurationUpdate(ConfigurationUpdate params) {
  if (params.default_chat_service_sid) {
    USERSTORE_RETURN_IF_ERROR(
        CanonicalizeSid(&*params.default_chat_service_sid, "IS", "DefaultChatServiceSid"));
  }
  if (params.default_messaging_service_sid) {
    USERSTORE_RETURN_IF_ERROR(CanonicalizeSid(&*params.default_messaging_service_sid, "MG",
                                              "DefaultMessagingServiceSid"));
  }
  USERSTORE_RETURN_IF_ERROR(CheckTimer(params.default_inactive_timer, "DefaultInactiveTimer"));
  USERSTORE_RETURN_IF_ERROR(CheckTimer(params.default_closed_timer, "DefaultClosedTimer"));
  return params;
}

void Apply(const ConfigurationUpdate& params, Configuration* c) {
  if (params.default_chat_service_sid)
    c->default_chat_service_sid = *params.default_chat_service_sid;
  if (params.default_messaging_service_sid) {
    c->default_messaging_service_sid = *params.default_messaging_service_sid;
  }
  if (params.default_inactive_timer) c->default_inactive_timer = *params.default_inactive_timer;
  if (params.default_closed_timer) c->default_closed_timer = *params.default_closed_timer;
}

bool SetsAny(const ConfigurationUpdate& p) {
  return p.default_chat_service_sid || p.default_messaging_service_sid ||
         p.default_inactive_timer || p.default_closed_timer;
}

}  // namespace

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
  if (!SetsAny(checked)) return FetchConfiguration();
  MutexLock write(&configuration_write_mu_);
  Configuration next;
  uint64_t revision = 0;
  {
    ReaderLock lock(&configuration_mu_);
    next = configuration_;
    revision = configuration_revision_ + 1;
  }
  Apply(checked, &next);
  next.account_sid = options_.account_sid;
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
