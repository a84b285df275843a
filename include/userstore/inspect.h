// Offline inspection of a durable store directory (Store::Open's format):
// CheckStore verifies its invariants, ComputeStats counts what it holds,
// StoreReader reads its Services, users and change feed. They back the
// `userstore check DIR`, `stats DIR`, `get DIR KEY`, `list DIR`, `export`
// and `events` commands (docs/cli.md,
// docs/durable.md), as leveldb's dumpfile.h backs its tools.
//
// All open the directory read-only (nothing is written, no lock is taken),
// so they may run beside a live Store; they then see the state at the moment
// they open it, and CheckReport::in_use / StoreReader::in_use say so. None
// needs nor opens a Store.
//
// Thread-safety: CheckStore and ComputeStats are thread-safe (each call works
// on its own handles); a StoreReader is thread-safe for its const methods.
// The reports are plain values (thread-compatible).
#ifndef USERSTORE_INSPECT_H_
#define USERSTORE_INSPECT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "userstore/binding.h"
#include "userstore/configuration.h"
#include "userstore/events.h"
#include "userstore/export.h"
#include "userstore/service.h"
#include "userstore/user.h"
#include "userstore/user_view.h"

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
  // Deleted user SIDs remembered (never used again), all Services together.
  uint64_t deleted_sids = 0;
  // Every broken invariant found, one line of English each (at most
  // kMaxCheckProblems); more_problems counts the ones beyond. Empty: the
  // store is sound.
  std::vector<std::string> problems;
  uint64_t more_problems = 0;
  bool ok() const { return problems.empty(); }
};

// Verifies the store in directory `path`: its metadata (format version,
// account SID, page-token key), that every key and value decodes exactly,
// each Service's default roles and role numbering, the Conversations
// Configuration (its fields as Store::UpdateConfiguration accepts them, its
// default_chat_service_sid one of the Services), each user's fields (as
// the Store would accept them: identity, friendly name, attributes, role,
// dates, counts, sequence; SIDs and identities unique per Service, none the
// SID of a deleted user), and that
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
  uint64_t deleted_sids = 0;  // SIDs of deleted users, remembered (never used again)
  // The change feed kept on disk (docs/events.md, "Durable feed"): how many
  // events, the oldest kept (0 when none) and the feed's position (the last
  // event handed out; kept, unless trimming removed every event).
  uint64_t events = 0;
  uint64_t first_event = 0;
  uint64_t last_event = 0;
  // userstore-http's post-event webhook position file for this Service,
  // PATH.webhooks/<IS>.position beside the store (its delivered position:
  // a line "delivered_position N", or the file holding only N).
  enum class Webhook {
    kNone,       // no such file (no webhook sender ran here)
    kDelivered,  // read: webhook_delivered holds it
    kMalformed,  // present but unreadable or malformed: webhook_problem says why
  };
  Webhook webhook = Webhook::kNone;
  uint64_t webhook_delivered = 0;
  std::string webhook_problem;
  // last_event - webhook_delivered when kDelivered (0 when the file is
  // ahead of the feed, e.g. the store was replaced).
  uint64_t webhook_backlog() const {
    return webhook_delivered < last_event ? last_event - webhook_delivered : 0;
  }
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

// Counts per Service (users, roles, events kept; the webhook position file
// of each, see ServiceStats) and bytes of the store in `path`. O(size of
// the store) time, O(Services) memory. A missing or malformed position file
// is no error (ServiceStats::webhook says which). Errors: those of CheckStore (500/20500,
// kFailedPrecondition / kUnavailable); kDataLoss when a key or value does not
// decode (run CheckStore for the full list).
USERSTORE_EXPORT absl::StatusOr<StoreStats> ComputeStats(std::string_view path);

// A plain-text rendering of `stats`: a summary of three lines (path, format,
// account; counts; bytes on disk), then one line per Service. The CLI's
// `stats` prints its own table instead. O(size of the stats).
USERSTORE_EXPORT std::string FormatStats(const StoreStats& stats);

// The Services, users and change feed of the store in a directory, read the way
// CheckStore reads it (read-only: no write, no lock, so beside a live
// Store), as a Store opened on it would return them: the same fields, SIDs
// in lowercase hex, attributes "{}" when never set. Presence is not read
// (is_online is not stored; is_notifiable is the Store's, derived from the
// Bindings: docs/durable.md), so both are always null here. The reader sees the state at the moment
// Open ran; the directory holds no SID or identity index, so a fetch scans the users of its Service
// (no index is rebuilt: memory stays O(one user)).
class USERSTORE_EXPORT StoreReader {
 public:
  // Opens the store in directory `path` read-only and reads its Services
  // and its Conversations Configuration.
  // Errors (500/20500), as CheckStore's: kFailedPrecondition the directory
  // does not exist or is not a userstore directory (or another format
  // version); kDataLoss it is damaged (run CheckStore); kUnavailable I/O
  // errors. Complexity: one RocksDB read-only open (a replay of its
  // write-ahead log) and O(Services) time and memory.
  static absl::StatusOr<std::unique_ptr<StoreReader>> Open(std::string_view path);

  ~StoreReader();
  StoreReader(const StoreReader&) = delete;
  StoreReader& operator=(const StoreReader&) = delete;

  const std::string& path() const;  // as given to Open
  // True when a Store (this process or another) had the directory open.
  bool in_use() const;
  // The store's account; empty for a store that holds no metadata yet.
  const std::string& account_sid() const;
  // Every Service, ordered by SID (as ComputeStats orders them). O(1).
  const std::vector<Service>& services() const;
  // The Conversations Configuration (configuration.h), read at Open, as
  // Store::FetchConfiguration returns it right after a Store::Open: only
  // account_sid set when it was never updated. O(1).
  const Configuration& configuration() const;

  // The roles of Service `service_sid` (either hex case) in the order they
  // were added (the four defaults first), as Store::ListRoles gives them.
  // Errors: 404/20404 (kNotFound) "The requested resource
  // /Services/{service_sid}/Roles was not found" (as given) when the
  // Service does not exist; 500/20500 kDataLoss when a role does not
  // decode, kUnavailable on read errors. Complexity: O(roles of the
  // Service) time and memory.
  absl::StatusOr<std::vector<Role>> ListRoles(std::string_view service_sid) const;

  // The user `key` of Service `service_sid`, as Store::FetchUser resolves
  // it: a User SID (either hex case) matches by SID, anything else is an
  // identity (byte-exact). `service_sid` in either hex case.
  // Errors: 404/20404 (kNotFound) "The requested resource
  // /Services/{service_sid}/Users/{key} was not found", both as given (the
  // REST facade's message), when the Service or the user does not exist;
  // 500/20500 kDataLoss when a stored user does not decode, kUnavailable on
  // read errors. Complexity: O(users of the Service) time, O(one user)
  // memory.
  absl::StatusOr<User> FetchUser(std::string_view service_sid, std::string_view key) const;

  // Calls `visitor` with each user of Service `service_sid` (either hex
  // case) in creation order, the order of the REST facade's pages, until it
  // returns false. The User passed is reused from call to call: copy it to
  // keep it. Errors: 404/20404 (kNotFound) "The requested resource
  // /Services/{service_sid}/Users was not found" (as given) before any
  // call when the Service does not exist; 500/20500 kDataLoss /
  // kUnavailable as FetchUser (the users before the bad one were visited).
  // Complexity: O(users visited) time, O(one user) memory.
  absl::Status VisitUsers(std::string_view service_sid,
                          const std::function<bool(const User&)>& visitor) const;

  // VisitUsers without the copy: `visitor` gets a UserView (user_view.h) of
  // each user as it is decoded, valid only during the call (render it, or
  // CopyTo a User to keep it). The view shows what VisitUsers' User holds,
  // field for field. What `userstore export` walks with. Errors and
  // complexity as VisitUsers; no allocation per user beyond the decode.
  absl::Status ReadUsers(std::string_view service_sid,
                         absl::FunctionRef<bool(const UserView&)> visitor) const;

  // Calls `visitor` with each push Binding of Service `service_sid` (either
  // hex case) in creation order, as Store::ListBindings lists them (the
  // identity: its user's), until it returns false. A Binding whose user is
  // not stored is skipped (the next writable open drops it). Errors:
  // 404/20404 (kNotFound) "The requested resource
  // /Services/{service_sid}/Bindings was not found" (as given) before any
  // call when the Service does not exist; 500/20500 kDataLoss when a
  // Binding or user does not decode, kUnavailable on read errors.
  // Complexity: O(users + Bindings of the Service) time (three scans),
  // O(users holding Bindings) memory.
  absl::Status ReadBindings(std::string_view service_sid,
                            absl::FunctionRef<bool(const Binding&)> visitor) const;

  // The change feed of Service `service_sid` (either hex case) as stored
  // (docs/events.md, "Durable feed"), with Store::ReadEvents' contract: the
  // events after position `after_sequence` (0: from the first), in sequence
  // order, consecutive, at most `max` (1..1000; 0 means 100); next_after is
  // the last one's sequence, or `after_sequence` when there is none. Each
  // UserEvent is what the Store's ReadEvents returns for it: the user as the
  // write left it (before it, for a removal), with the presence the event
  // recorded when the Service has reachability on (null otherwise), the
  // event's time (microseconds), changed bits, webhook_enabled and origin.
  // The reader sees the feed as it was at Open (reopen to see later
  // events); it never reads past a hole a crash left (EventPosition).
  // Errors: 404/20404 (kNotFound) "The requested resource
  // /Services/{service_sid} was not found" (as given) when the Service does
  // not exist; 400/20001 (kInvalidArgument) `max` above 1000, or
  // `after_sequence` beyond EventPosition; 410/20410 (kOutOfRange) the
  // events right after `after_sequence` were trimmed (the message, as the
  // Store's, names the events kept): read a snapshot (EventPosition, then
  // the users) and go on from it; 500/20500 kDataLoss when a stored event
  // does not decode or is missing, kUnavailable on read errors. A store
  // written with the feed off (EventOptions::enabled false) has no event:
  // position 0. Complexity: O(events after the checkpoint mark) to find the
  // feed's bounds, then O(events returned) time and memory.
  absl::StatusOr<EventPage> ReadEvents(std::string_view service_sid, uint64_t after_sequence,
                                       size_t max = 100) const;

  // The sequence of the last stored event of Service `service_sid` (0
  // before the first), as Store::EventPosition would answer right after an
  // open: before a hole a crash left, if any. Errors: 404/20404 as
  // ReadEvents; 500/20500 kDataLoss for malformed feed marks or keys,
  // kUnavailable on read errors. Complexity: O(events after the
  // checkpoint mark).
  absl::StatusOr<uint64_t> EventPosition(std::string_view service_sid) const;

  // The sequence of the oldest event of Service `service_sid` still kept
  // (trimming raises it; EventPosition() + 1 when none is kept): reading
  // after OldestEvent() - 1 never answers 410. Errors and complexity as
  // EventPosition.
  absl::StatusOr<uint64_t> OldestEvent(std::string_view service_sid) const;

 private:
  struct Impl;
  explicit StoreReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace userstore

#endif  // USERSTORE_INSPECT_H_
