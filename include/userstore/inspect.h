// Offline inspection of a durable store directory (Store::Open's format):
// CheckStore verifies its invariants, ComputeStats counts what it holds. They
// back the `userstore check DIR` and `userstore stats DIR` commands
// (docs/cli.md, docs/durable.md), as leveldb's dumpfile.h backs its tools.
//
// Both open the directory read-only (nothing is written, no lock is taken),
// so they may run beside a live Store; they then see the state at the moment
// they open it, and CheckReport::in_use says so. Neither needs nor opens a
// Store.
//
// Thread-safety: thread-safe (each call works on its own handles). The
// reports are plain values (thread-compatible).
#ifndef USERSTORE_INSPECT_H_
#define USERSTORE_INSPECT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "userstore/export.h"

namespace userstore {

// The most problems a CheckReport lists; the rest are only counted.
inline constexpr size_t kMaxCheckProblems = 100;

struct CheckReport {
  std::string path;  // the directory checked, as given
  // True when another Store (this process or another) had the directory
  // open: what was checked is the state at the moment of opening.
  bool in_use = false;
  uint64_t keys = 0;      // keys read
  uint64_t services = 0;  // Services found
  uint64_t roles = 0;     // roles found, all Services together
  uint64_t users = 0;     // users found, all Services together
  // Every broken invariant found, one line of English each (at most
  // kMaxCheckProblems); more_problems counts the ones beyond. Empty: the
  // store is sound.
  std::vector<std::string> problems;
  uint64_t more_problems = 0;
  bool ok() const { return problems.empty(); }
};

// Verifies the store in directory `path`: its metadata (format version,
// account SID, page-token key), that every key and value decodes exactly,
// each Service's default roles and role numbering, each user's fields (as
// the Store would accept them: identity, friendly name, attributes, role,
// dates, counts, sequence; SIDs and identities unique per Service), and that
// the index rebuilt from it, as Store::Open rebuilds it, finds every user by
// SID and by identity and pages through each exactly once. Lengths are not
// checked (limits are options, not stored).
// Complexity: O(size of the store) time; memory: one rebuilt index.
// Errors, only when nothing could be checked (500/20500): kFailedPrecondition
// the directory does not exist or is not a userstore directory (or another
// format version); kUnavailable I/O errors (the message names the cause).
// Damage found is not an error: it is listed in CheckReport::problems.
USERSTORE_EXPORT absl::StatusOr<CheckReport> CheckStore(std::string_view path);

// The text `userstore check` prints: a summary line, then one line per
// problem. O(size of the report).
USERSTORE_EXPORT std::string FormatCheckReport(const CheckReport& report);

struct ServiceStats {
  std::string sid;  // "IS" + 32 lowercase hex
  std::string friendly_name;
  bool reachability_enabled = false;
  uint64_t roles = 0;
  uint64_t users = 0;
  uint64_t user_bytes = 0;    // keys + values of its users, uncompressed
  uint64_t max_sequence = 0;  // highest creation sequence handed out so far
};

struct StoreStats {
  std::string path;                    // the directory read, as given
  std::string account_sid;             // "AC" + 32 hex; empty when not recorded
  int format_version = 0;              // the directory's format version
  std::vector<ServiceStats> services;  // ordered by SID
  uint64_t users = 0;                  // all Services together
  uint64_t live_bytes = 0;             // keys + values of everything, uncompressed
  uint64_t sst_bytes = 0;              // sorted tables (*.sst) on disk
  uint64_t wal_bytes = 0;              // write-ahead logs (*.log) on disk
  uint64_t disk_bytes = 0;             // every file of the directory
};

// Counts per Service and bytes of the store in `path`. O(size of the store)
// time, O(Services) memory. Errors: those of CheckStore (500/20500,
// kFailedPrecondition / kUnavailable); kDataLoss when a key or value does not
// decode (run CheckStore for the full list).
USERSTORE_EXPORT absl::StatusOr<StoreStats> ComputeStats(std::string_view path);

// A plain-text rendering of `stats`: a summary of three lines (path, format,
// account; counts; bytes on disk), then one line per Service. The CLI's
// `stats` prints its own table instead. O(size of the stats).
USERSTORE_EXPORT std::string FormatStats(const StoreStats& stats);

}  // namespace userstore

#endif  // USERSTORE_INSPECT_H_
