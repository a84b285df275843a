// What an update changes in a user: the user_field bits (events.h) shared by
// Store::UpdateUser and Store::UpsertUsers. Pure function; thread-compatible.
#ifndef USERSTORE_SRC_STORE_USER_CHANGES_H_
#define USERSTORE_SRC_STORE_USER_CHANGES_H_

#include <cstdint>
#include <optional>

#include "sid/sid.h"
#include "store/user_record.h"

namespace userstore::internal {

// The user_field bits that `text` and `role` (when given) change in `r`:
// kRoleSid, kAttributes (attributes never set read as "{}", so "{}" changes
// nothing), kFriendlyName. 0: the update would change nothing. O(|text|).
uint32_t Changes(const UserRecord& r, const UserRecord::Text& text,
                 const std::optional<SidBytes>& role);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_USER_CHANGES_H_
