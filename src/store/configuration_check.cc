#include "store/configuration_check.h"

#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "common/status_macros.h"
#include "common/twilio_errors.h"
#include "sid/sid.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

// Reads `digits` + `unit` at `*at` of `text` and moves past it; false (and
// `*at` unchanged) when it is not there.
bool ReadComponent(std::string_view text, char unit, size_t* at) {
  size_t end = *at;
  while (end < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[end]))) ++end;
  if (end == *at || end == text.size() || text[end] != unit) return false;
  *at = end + 1;
  return true;
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
  if (!timer || timer->empty() || IsConfigurationTimer(*timer)) return absl::OkStatus();
  return BadRequest(twilio_code::kInvalidParameter,
                    "Invalid " + std::string(param) +
                        ": must be an ISO 8601 duration P[nD][T[nH][nM][nS]] of at most " +
                        std::to_string(kMaxConfigurationTimerBytes) + " characters");
}

}  // namespace

bool IsConfigurationTimer(std::string_view text) {
  if (text.size() < 2 || text.size() > kMaxConfigurationTimerBytes || text[0] != 'P') {
    return false;
  }
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

absl::Status ValidateConfiguration(const Configuration& c) {
  ConfigurationUpdate all;
  all.default_chat_service_sid = c.default_chat_service_sid;
  all.default_messaging_service_sid = c.default_messaging_service_sid;
  all.default_inactive_timer = c.default_inactive_timer;
  all.default_closed_timer = c.default_closed_timer;
  USERSTORE_ASSIGN_OR_RETURN(const ConfigurationUpdate checked, CheckConfigurationUpdate(all));
  if (*checked.default_chat_service_sid != c.default_chat_service_sid ||
      *checked.default_messaging_service_sid != c.default_messaging_service_sid) {
    return BadRequest(twilio_code::kInvalidParameter, "a Configuration SID is not in lowercase");
  }
  return absl::OkStatus();
}

void ApplyConfigurationUpdate(const ConfigurationUpdate& params, Configuration* c) {
  if (params.default_chat_service_sid)
    c->default_chat_service_sid = *params.default_chat_service_sid;
  if (params.default_messaging_service_sid) {
    c->default_messaging_service_sid = *params.default_messaging_service_sid;
  }
  if (params.default_inactive_timer) c->default_inactive_timer = *params.default_inactive_timer;
  if (params.default_closed_timer) c->default_closed_timer = *params.default_closed_timer;
}

bool SetsAnyField(const ConfigurationUpdate& p) {
  return p.default_chat_service_sid || p.default_messaging_service_sid ||
         p.default_inactive_timer || p.default_closed_timer;
}

}  // namespace userstore::internal
