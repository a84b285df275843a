// SIDs: Twilio's resource identifiers, a two-letter prefix and 32 hex digits
// (128 bits), e.g. "USaaaa…" for a User, "IS…" a Service, "RL…" a Role,
// "AC…" an Account.
//
// userstore reads a SID's hex digits in either case and writes them in
// lowercase, so "ISAB12…" and "isab12…"-style spellings with the same digits
// name one Service; CanonicalSid gives the one spelling userstore stores and
// returns, for hosts that compare or key SIDs themselves (e.g. to reject a
// Service given twice). Thread-safe (pure functions).
#ifndef USERSTORE_SID_H_
#define USERSTORE_SID_H_

#include <optional>
#include <string>
#include <string_view>

#include "userstore/export.h"

namespace userstore {

// The canonical spelling of `text` as a SID with `prefix`: `prefix` followed
// by the 32 hex digits of `text` in lowercase. nullopt when `text` is not
// exactly `prefix` (case-sensitive) followed by 32 hex digits of either case,
// i.e. does not match ^PP[0-9a-fA-F]{32}$, and when `prefix` is not two
// characters. Never fails otherwise; O(|text|).
USERSTORE_EXPORT std::optional<std::string> CanonicalSid(std::string_view text,
                                                         std::string_view prefix);

}  // namespace userstore

#endif  // USERSTORE_SID_H_
