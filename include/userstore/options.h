// Options of a Store: account, public base URL, limits, clock, token key;
// and of a durable Store (DurableOptions).
//
// A StoreOptions is a plain value, copied into the Store at construction;
// later changes to the caller's copy have no effect. Thread-compatible.
#ifndef USERSTORE_OPTIONS_H_
#define USERSTORE_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "userstore/user.h"

namespace userstore {

// Input limits. Defaults are Twilio's documented limits where it documents
// them, and userstore's choices otherwise (docs/errors.md lists each). Each bound is inclusive: a
// value exactly at the limit is accepted, one unit over is rejected with the code named.
struct Limits {
  // `identity`, in Unicode code points (not bytes). Over: 400/50207.
  // At most 16383 (Store::Create refuses more: 400/20001).
  size_t max_identity_chars = 256;
  // `friendly_name`, in Unicode code points. Over: 400/50003. At most 16383.
  size_t max_friendly_name_chars = 256;
  // `attributes`, in bytes, checked before parsing. Over: 400/50303.
  size_t max_attributes_bytes = 16384;
  // Nesting depth of `attributes` (an object holding a scalar is depth 1).
  // Deeper: 400/50304.
  size_t max_attributes_depth = 128;
  // List paging: the page size used when none is given, and the largest one
  // served (a larger PageSize is clamped to it, as Twilio's clients expect).
  int64_t default_page_size = 50;
  int64_t max_page_size = 100;
  // Services a Store may hold (CreateService, and the REST facade's
  // auto_create_services). At the limit: 403/20403 (kResourceExhausted).
  // Services already in a durable store are all restored, whatever the
  // limit. Each costs about 7.5 KiB of memory (BM_ServicesMemory).
  size_t max_services = 10000;
  // Push Bindings (binding.h): the longest endpoint in bytes (Twilio
  // documents none; an APN token is 64 hex, an FCM token about 160 bytes),
  // and the most Bindings one user may hold (one per app install).
  size_t max_binding_endpoint_bytes = 1024;
  size_t max_bindings_per_user = 100;
  // The largest page of a Bindings list (Store::ListBindings; a larger
  // PageSize is clamped to it): Twilio's documented maximum for its Binding
  // and User Binding lists (twilio_chat_v2.json, ListBinding and
  // ListUserBinding: "The default is 50, and the maximum is 1000"), where
  // users have 100. The default size is default_page_size.
  int64_t max_binding_page_size = 1000;
};

// Where a Store keeps its user records (StoreOptions::record_memory).
enum class RecordMemory {
  // One malloc block per user (glibc's heap, 4 KiB pages unless the process
  // sets GLIBC_TUNABLES=glibc.malloc.hugetlb=1). Memory of deleted or
  // replaced users goes back to malloc at once.
  kMalloc = 0,
  // Records of up to 16 KiB (88 bytes + identity + attributes + friendly
  // name) in 2 MiB regions, 2 MiB-aligned, that the Store maps and marks
  // madvise(MADV_HUGEPAGE), so transparent huge pages may back them
  // (/sys/kernel/mm/transparent_hugepage/enabled "always" or "madvise";
  // with "never" they are plain 4 KiB pages). Larger records use malloc.
  // Costs: the memory of deleted or replaced users is reused only for
  // records of the same size class (16 bytes apart up to 1 KiB, 128 up to
  // 16 KiB) and goes back to the OS only when the Store is destroyed; each
  // region touched is resident in full (2 MiB) once a huge page backs it.
  // Measured in docs/benchmarks.md ("Huge pages").
  kHugePages = 1,
};

// The change feed (events.h, docs/events.md).
struct EventOptions {
  // false: no feed (ReadEvents answers 400/20001 "the change feed is
  // off"); listeners still fire. For measuring the feed's cost.
  bool enabled = true;
  // Events kept in memory per Service: the oldest are dropped beyond it
  // (memory mode: a read after a dropped position fails with 410/20410;
  // durable mode: older events are read from disk). >= 1. Each kept event
  // holds a copy of its user, and writing it evicts other data from the CPU
  // caches: a memory update costs 5-9 % more with the feed at 1,024, 16-18 %
  // at 4,096, 19 % at 65,536 (docs/benchmarks.md, "Change feed"). Raise it
  // when memory-mode consumers lag by more events than this.
  size_t memory_window = 1024;
  // Durable mode (Store::Open): events are stored with the writes that
  // make them and survive a reopen; older ones are read from disk. A
  // background thread trims them every `trim_interval`, keeping at most
  // `durable_window` events per Service and none older than
  // `durable_max_age` (each >= 1; absl::InfiniteDuration() keeps any age).
  // A read after a trimmed position fails with 410/20410.
  uint64_t durable_window = 1'000'000;
  absl::Duration durable_max_age = absl::Hours(24 * 7);
  absl::Duration trim_interval = absl::Minutes(1);
};

struct StoreOptions {
  // The Account (`AC` + 32 hex) every Service and User belongs to. Empty: a
  // fresh one is minted from OS randomness when the Store is made.
  std::string account_sid;
  // Absolute base of every `url`, `links` and paging URL, without a trailing
  // slash. Twilio's: https://chat.twilio.com/v2. The REST facade serves the
  // paths below this base's path (e.g. /v2/Services/...).
  std::string base_url = "https://chat.twilio.com/v2";
  // The same for Twilio's Conversations v1 API (json.h's Conversations
  // bodies; the REST facade serves the paths below this base's path, e.g.
  // /v1/Services/...). Twilio's: https://conversations.twilio.com/v1. Its
  // path must differ from base_url's (400/20001 otherwise), so a request
  // path names one API.
  std::string conversations_base_url = "https://conversations.twilio.com/v1";
  Limits limits;
  // Source of `date_created` / `date_updated` (truncated to whole seconds).
  // Null: absl::Now. Must be thread-safe; injectable for tests.
  std::function<absl::Time()> clock;
  // Secret key (any bytes, 16 or more recommended) that authenticates page
  // tokens. Empty: 32 random bytes are drawn when the Store is made, so tokens
  // are valid only within that Store's lifetime.
  std::string page_token_key;
  // Where user records are kept (see RecordMemory). Durable stores
  // (Store::Open) honour it too. Not one of the enumerators: 400/20001
  // (kInvalidArgument).
  RecordMemory record_memory = RecordMemory::kMalloc;
  // Called when a post-event listener throws (after the write committed),
  // on the writing thread, with the event and the exception's what() (or
  // "unknown exception"). Null: the failure is only counted
  // (Store::listener_failures). Must not throw; an exception it throws is
  // swallowed.
  std::function<void(const UserEvent& event, std::string_view what)> listener_error;
  // The change feed. memory_window of 0: 400/20001 (kInvalidArgument).
  EventOptions events;
};

// Options of a durable Store (Store::Open): how writes reach the disk and how
// recovery reports progress. Not stored: each Open may choose them afresh.
struct DurableOptions {
  // true: an acknowledged write is on stable storage before the call returns
  // (the write-ahead log is fsync'ed; concurrent writers share one fsync), so
  // it survives a power loss or OS crash. false: it is handed to the OS
  // before the call returns, so it survives a crash of the process but the
  // last writes may be lost if the machine goes down.
  bool sync = true;
  // true: closing the Store (its destructor) writes what the write-ahead
  // log holds into the store's table files, so the next Store::Open,
  // StoreReader::Open or CheckStore replays no log (a read-only open replays
  // it on every open: an export right after an import of 1M users spent
  // half its time there). Costs one flush of up to 64 MiB at close. false:
  // the log is left as it is (the close is quicker; the next open replays
  // it). Either way a clean close loses nothing.
  bool flush_on_close = true;
  // Called on the opening thread while Store::Open rebuilds the index: about
  // every 64Ki users and once at the end with loaded == total. `total` is the
  // storage engine's estimate until that last call (loaded <= total always).
  // Null: no reports. It must not call the Store being opened.
  std::function<void(uint64_t loaded, uint64_t total)> progress;
};

// Options of a shared Store (Store::OpenShared, docs/scale-out.md): how its
// writes reach PostgreSQL. Not stored: each OpenShared may choose them afresh.
struct SharedOptions {
  // The longest a write (one PostgreSQL transaction) may run on the server:
  // the session's statement_timeout; a new connection's attempt is bounded
  // by it too (libpq's connect_timeout, in whole seconds, at least 2; the
  // replication stream's: 10 s). A write past it fails with 503/20503
  // (kUnavailable) and is not acknowledged. Must be at least 1 ms and at most
  // INT32_MAX ms: otherwise 400/20001 (kInvalidArgument).
  absl::Duration write_timeout = absl::Seconds(10);
  // This host's name among the Stores sharing the database: its replication
  // slot is "userstore_<replica_name>", a name unique in the whole
  // PostgreSQL cluster (a slot of another database holding it: 409/20409).
  // 1..40 characters of [a-z0-9_].
  // Empty: a random name. Name each host in production: a host that opens
  // again under its name drops the slot its previous run left (a slot keeps
  // WAL on the server until dropped); a random name cannot be found again.
  // A name a running Store uses: 409/20409 (kAlreadyExists). Anything else
  // invalid: 400/20001.
  std::string replica_name;
  // What the replica shows a reader (docs/scale-out.md, "Read-your-writes").
  enum class Consistency {
    // The replica as it is: this Store's own writes at once (applied before
    // they are acknowledged), other Stores' once the stream delivers them.
    kLocal,
    // As kLocal, and a write returns only once this Store's stream has
    // delivered it: the replica then shows every write committed before it
    // by any Store, in commit order. Costs one more round trip and the
    // stream's lag on every write. A write committed but not delivered
    // within replica_wait is still acknowledged (it is committed).
    kAfterOwnWrites,
  };
  Consistency consistency = Consistency::kLocal;
  // kAfterOwnWrites: the longest a write waits for its own stream. At least
  // 1 ms: otherwise 400/20001.
  absl::Duration replica_wait = absl::Seconds(10);
};

// What a shared Store's replica has applied (Store::Replica), and how far it
// trails PostgreSQL. Positions are PostgreSQL WAL positions (LSNs) as
// integers: they increase with commit order and are the same on every host.
struct ReplicaStatus {
  bool connected = false;     // the stream is up now
  uint64_t applied = 0;       // every commit at or before it is applied
  uint64_t server = 0;        // the server's end of WAL, last heard
  absl::Time applied_commit;  // the commit time of the last applied change
  absl::Time last_heard;      // when the server last sent anything
  uint64_t transactions = 0;  // transactions applied since open
  uint64_t reconnects = 0;    // stream reconnections since open
  uint64_t apply_errors = 0;  // changes that could not be applied
  std::string last_error;     // the latest stream or apply error, if any
};

}  // namespace userstore

#endif  // USERSTORE_OPTIONS_H_
