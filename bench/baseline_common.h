// What the three baselines share: the record a hand-written store keeps, the
// checks and SID minting a create must do (the same contract userstore meets:
// identity and attributes validated, SIDs from a CSPRNG), and the User value
// every system returns, so each benchmark compares the same work.
//
// The baselines serve the subset of the User resource the workload uses:
// identity, attributes and friendly_name (role_sid is always the Service's
// default role; reachability is off, so presence is always null).
//
// Thread-safety: the functions are thread-safe (the attributes check uses a
// thread_local simdjson parser).
#ifndef USERSTORE_BENCH_BASELINE_COMMON_H_
#define USERSTORE_BENCH_BASELINE_COMMON_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "userstore/user.h"

namespace userstore::bench {

// The Service a baseline holds its users in (one per baseline).
struct ServiceIds {
  std::string account_sid;       // "AC" + 32 hex
  std::string service_sid;       // "IS" + 32 hex
  std::string default_role_sid;  // "RL" + 32 hex
};
ServiceIds MintServiceIds();

// A user as a hand-written store keeps it: a plain struct of std::string.
// The SID is the key of the map holding the record.
struct BaselineRecord {
  uint64_t sequence = 0;  // creation order, for keyset paging
  std::string identity;
  std::string role_sid;
  std::string attributes;  // empty: never set ("{}")
  std::optional<std::string> friendly_name;
  int64_t date_created = 0;  // Unix seconds
  int64_t date_updated = 0;
  int64_t joined_channels_count = 0;
};

// One page of a list: the users, and where the next page starts.
template <typename Cursor>
struct PageResult {
  std::vector<User> users;
  Cursor next{};
  bool has_next = false;
};

// `prefix` + 32 lowercase hex digits of 16 bytes from OpenSSL's RAND_bytes
// (what a careful host does: SIDs must not be guessable). Aborts if the
// generator fails.
std::string MintSid(std::string_view prefix);

// True when `key` is ^US[0-9a-fA-F]{32}$ (a key is a SID, else an identity).
bool IsUserSid(std::string_view key);

// The identity checks of a create: non-empty, valid UTF-8 (simdjson), no
// U+0000, at most 256 code points, not SID-shaped. Errors: InvalidArgument.
absl::Status CheckIdentity(std::string_view identity);

// The attributes check: at most 16 KiB, one JSON value (simdjson DOM parse,
// depth <= 128) that is an object. Errors: InvalidArgument.
absl::Status CheckAttributes(std::string_view attributes);

// Current time in whole Unix seconds.
int64_t NowSeconds();

// The User value of `record` named `sid` in Service `ids` (presence null:
// reachability is off, as in userstore's default Service).
// Copies the record into `*out`, reusing the capacity of its strings: the
// floor of a copy-out into caller storage (what the anchors' records do).
void CopyToUser(std::string_view sid, const BaselineRecord& record, const ServiceIds& ids,
                User* out);
User ToUser(std::string_view sid, const BaselineRecord& record, const ServiceIds& ids);

}  // namespace userstore::bench

#endif  // USERSTORE_BENCH_BASELINE_COMMON_H_
