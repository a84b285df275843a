// Offline inspection of a durable store directory: `check` verifies its
// invariants, `stats` counts what it holds. Both back the `userstore check
// DIR` and `userstore stats DIR` commands (docs/durable.md).
//
// Both open the directory read-only (RocksDB's read-only mode: nothing is
// written, no lock is needed), so they may run beside a live Store; they then
// see the state of the moment they open, and CheckReport::in_use says so.
//
// Thread-safety: thread-safe (each call works on its own handles).
#ifndef USERSTORE_SRC_DURABLE_CHECK_H_
#define USERSTORE_SRC_DURABLE_CHECK_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace userstore::internal::durable {

struct CheckReport {
  std::string path;
  // True when another Store (this process or another) had the directory open:
  // what was checked is the state at the moment of opening.
  bool in_use = false;
  uint64_t keys = 0;
  uint64_t services = 0;
  uint64_t roles = 0;
  uint64_t users = 0;
  // Every broken invariant found, one line each (at most kMaxProblems; the
  // rest are counted in more_problems). Empty: the store is sound.
  std::vector<std::string> problems;
  uint64_t more_problems = 0;
  bool ok() const { return problems.empty(); }
};

inline constexpr size_t kMaxProblems = 100;

// Verifies the store in directory `path`:
//  - metadata: format version, account SID, page-token key; no unknown key;
//  - every key has a known shape and every value decodes exactly;
//  - Services: their default roles exist with the right scope; roles are
//    numbered 0, 1, ... without gaps;
//  - users: of a known Service; identity non-empty valid UTF-8 without
//    U+0000 and not SID-shaped; friendly name valid UTF-8 when set;
//    attributes empty or a JSON object; role a service-scope role of the
//    Service; date_updated >= date_created; joined_channels_count >= 0;
//    sequence >= 1; SIDs and identities unique per Service;
//  - the index rebuilt from it (as Store::Open does) agrees: every user is
//    found by SID and by identity with the same record, and a paging walk
//    returns every user exactly once.
// Limits (lengths) are not checked: they are options, not stored.
// Complexity: O(size of the store) time; memory: one rebuilt index.
// Errors (500/20500, only when nothing could be checked): kFailedPrecondition
// the directory does not exist or is not a store (another format version);
// kUnavailable I/O errors. Corruption found is reported in problems.
absl::StatusOr<CheckReport> CheckStore(std::string_view path);

// Human-readable text of a report: a summary line, then one line per problem.
std::string FormatCheckReport(const CheckReport& report);

struct ServiceStats {
  std::string sid;
  std::string friendly_name;
  bool reachability_enabled = false;
  uint64_t roles = 0;
  uint64_t users = 0;
  uint64_t user_bytes = 0;    // keys + values of its users, uncompressed
  uint64_t max_sequence = 0;  // highest creation sequence handed out so far
};

struct StoreStats {
  std::string path;
  std::string account_sid;
  int format_version = 0;
  std::vector<ServiceStats> services;  // ordered by SID
  uint64_t users = 0;
  uint64_t live_bytes = 0;  // keys + values of everything, uncompressed
  uint64_t sst_bytes = 0;   // sorted tables (*.sst) on disk
  uint64_t wal_bytes = 0;   // write-ahead logs (*.log) on disk
  uint64_t disk_bytes = 0;  // every file of the directory
};

// Counts per Service and bytes of the store in `path`. O(size of the store)
// time, O(Services) memory. Errors: as CheckStore's; kDataLoss when a key or
// value does not decode (run CheckStore for the full list).
absl::StatusOr<StoreStats> ComputeStats(std::string_view path);

// Human-readable text of the statistics.
std::string FormatStats(const StoreStats& stats);

}  // namespace userstore::internal::durable

#endif  // USERSTORE_SRC_DURABLE_CHECK_H_
