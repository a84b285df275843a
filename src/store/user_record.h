// UserRecord: how one user is held inside a Service's index.
//
// A record is owned by exactly one SID shard of its Service's UserIndex and
// is only read or written under that shard's lock (see user_index.h). The
// identity's bytes never change after creation: the identity shard keys its
// map with a string_view into `identity`, valid for the record's lifetime.
#ifndef USERSTORE_SRC_STORE_USER_RECORD_H_
#define USERSTORE_SRC_STORE_USER_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>

#include "sid/sid.h"

namespace userstore::internal {

// Tri-state presence as the host reported it: never reported, false, true.
enum class Presence : uint8_t { kUnknown = 0, kFalse = 1, kTrue = 2 };

struct UserRecord {
  uint64_t sequence = 0;  // position in the Service's creation order, from 1
  SidBytes sid;
  SidBytes role_sid;
  int64_t date_created = 0;  // Unix seconds, UTC
  int64_t date_updated = 0;  // Unix seconds, UTC
  int64_t joined_channels_count = 0;
  Presence online = Presence::kUnknown;
  Presence notifiable = Presence::kUnknown;
  const std::string identity;  // immutable: keys the identity shard
  std::string attributes;      // empty: never set ("{}" when rendered)
  std::optional<std::string> friendly_name;

  explicit UserRecord(std::string identity_in) : identity(std::move(identity_in)) {}
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_USER_RECORD_H_
