// Checks of the Conversations Configuration (configuration.h; the rules are
// Store::UpdateConfiguration's in store.h), shared by the Store, recovery,
// the shared replica and `userstore check`. Pure functions; thread-safe.
#ifndef USERSTORE_SRC_STORE_CONFIGURATION_CHECK_H_
#define USERSTORE_SRC_STORE_CONFIGURATION_CHECK_H_

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "userstore/configuration.h"

namespace userstore::internal {

// The longest timer accepted, in bytes.
inline constexpr size_t kMaxConfigurationTimerBytes = 32;

// Whether `text` is an ISO 8601 duration P[nD][T[nH][nM][nS]] (n one or
// more ASCII digits) naming at least one component, of at most
// kMaxConfigurationTimerBytes: "PT10M", "P1DT12H"; not "P", "PT", "P1W",
// "PT1.5S". O(|text|).
bool IsConfigurationTimer(std::string_view text);

// `params` checked, its SIDs in canonical lowercase. Errors (400/20001, the
// first found, in this order): default_chat_service_sid not "" or "IS" + 32
// hex; default_messaging_service_sid not "" or "MG" + 32 hex;
// default_inactive_timer, then default_closed_timer, not "" or a timer.
// Whether the chat Service exists is the caller's check. O(size).
absl::StatusOr<ConfigurationUpdate> CheckConfigurationUpdate(ConfigurationUpdate params);

// OK when `configuration` (account_sid ignored) could have been stored:
// each field "" or valid as CheckConfigurationUpdate says, SIDs in
// lowercase. Errors: 400/20001 naming the first field that is not.
absl::Status ValidateConfiguration(const Configuration& configuration);

// Each field `params` sets replaces `*configuration`'s.
void ApplyConfigurationUpdate(const ConfigurationUpdate& params, Configuration* configuration);

// Whether `params` sets any field.
bool SetsAnyField(const ConfigurationUpdate& params);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_CONFIGURATION_CHECK_H_
