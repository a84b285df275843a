// Store: the embeddable engine holding Services, their Roles and their Users.
//
// A Store is an in-memory, concurrent implementation of the Twilio
// Programmable Chat v2 User resource
// (https://www.twilio.com/docs/chat/rest/user-resource; docs/compatibility.md
// compares each behaviour with Twilio's). Each
// Service keeps a concurrent index from both `sid` and `identity` to its user
// records plus an ordered index for paging (docs/design.md). Store::Create
// makes a memory-only Store; Store::Open a durable one, whose writes also go
// to a directory on disk and which survives restarts and crashes.
//
// Thread-safety: a Store is thread-safe. Any number of threads may call any
// methods at once. Every user write is atomic and linearizable: two creates
// of one identity have exactly one winner; no update is lost; a reader sees
// a user either wholly before or wholly after a write. Returned values are
// snapshots owned by the caller.
//
// Keys: wherever a method takes a user `key`, a key matching
// ^US[0-9a-fA-F]{32}$ is a SID (hex compared case-insensitively), any other
// key is an identity (byte-exact). Identities can never look like a SID.
//
// Errors: each method lists its Twilio codes; docs/errors.md has them all.
// A failed call changes nothing.
#ifndef USERSTORE_STORE_H_
#define USERSTORE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "userstore/binding.h"
#include "userstore/configuration.h"
#include "userstore/events.h"
#include "userstore/export.h"
#include "userstore/filter.h"
#include "userstore/import.h"
#include "userstore/options.h"
#include "userstore/page.h"
#include "userstore/service.h"
#include "userstore/user.h"
#include "userstore/user_view.h"

namespace userstore {

namespace internal {
class StoreImpl;
}  // namespace internal

class USERSTORE_EXPORT Store {
 public:
  // Called after a successful create / update / delete whose
  // webhook_enabled was set or whose origin is WriteOrigin::kClient (and
  // after a GetOrCreateUser / ConnectOrCreateUser that created, likewise),
  // with the write's feed event (sequence included; see events.h), once the
  // write has committed: on the writing thread,
  // with no Store lock held (so it may call the Store). Listeners of one
  // write run in the order they were added. Writes of one user on different
  // threads call their listeners on those threads, so the calls may overlap
  // and arrive in another order than the writes committed (UserEvent::user
  // has the revision to tell). Whatever a listener does, the write stays
  // committed and its caller is told so: an exception it throws is caught,
  // counted (listener_failures()) and handed to
  // StoreOptions::listener_error, never propagated.
  using PostEventListener = std::function<void(const UserEvent&)>;

  // Called with a user read in place (see user_view.h), under the user's
  // shard lock held shared: the view is valid only during the call. A
  // visitor must not call the Store (a writer waiting for that shard would
  // deadlock it), should be short (writers of the shard's users wait for
  // it), and must not throw.
  using UserVisitor = absl::FunctionRef<void(const UserView&)>;

  // Makes an empty Store.
  // Errors: 400/20001 if options.account_sid is set but not ^AC[0-9a-fA-F]{32}$,
  // or options.base_url or options.conversations_base_url is not an
  // absolute http(s) URL, or the two have the same path (decoded segments,
  // a trailing slash ignored), or a limit is 0.
  static absl::StatusOr<std::unique_ptr<Store>> Create(StoreOptions options = {});

  // Opens the durable Store kept in directory `path`, creating the directory
  // and an empty store when it does not exist (docs/durable.md). The returned
  // Store serves reads from memory as Create's does; every write is recorded
  // in the directory (RocksDB: a write-ahead log and sorted tables) before it
  // is applied in memory and acknowledged, so it is all or nothing on disk and
  // in memory, and a failed disk write fails the call and changes nothing.
  //
  // What persists: Services (with reachability_enabled), their roles in
  // order, users with every field but presence (is_online starts unknown
  // after Open), their push Bindings (and so is_notifiable, derived from
  // them), creation order and sequence numbers, the account_sid, the
  // Conversations Configuration and the page-token key (so tokens issued
  // before a restart keep working after it). Not stored: base_url,
  // conversations_base_url, limits, clock, listeners.
  // The directory holds the page-token key: every writable open makes it
  // 0700 and the files in it 0600.
  //
  // A new store takes options.account_sid and options.page_token_key (minted
  // when empty, as Create does). An existing store keeps its own: an empty
  // option takes the stored value; a different one is an error.
  // `durable.progress` sees the rebuild of the index, O(users) time and
  // memory (docs/durable.md has measurements for 1,000,000 users).
  //
  // Errors: those of Create (400/20001) for invalid options; 400/20001
  // (kFailedPrecondition) options.account_sid or page_token_key differs from
  // the store's; 500/20500 with kFailedPrecondition when the directory is
  // already open (in this or another process, under any spelling of its
  // path: one open at a time), holds files that are not a store's, is not a
  // userstore directory (another format version), or cannot be made private;
  // kDataLoss when the store is damaged (a missing CURRENT, table or log, a
  // truncated table or MANIFEST, a corrupt log record before the last one):
  // the directory is then left exactly as it was and is never initialised
  // over (docs/durable.md, "Damage"); kUnavailable on I/O errors (the message
  // names the path and the cause). A write through the returned Store may
  // additionally fail with 500/20500 (kUnavailable) when the disk write fails
  // (a full disk): writes then stop until reopen, reads go on.
  //
  // Thread-safety: may be called from any thread; the returned Store is
  // thread-safe as Create's. The directory is closed (the log flushed to
  // disk) when the Store is destroyed.
  static absl::StatusOr<std::unique_ptr<Store>> Open(std::string_view path, StoreOptions options,
                                                     DurableOptions durable = {});

  // Opens a shared Store whose source of truth is the PostgreSQL database
  // named by the libpq connection string `conninfo` (docs/scale-out.md).
  // Several Stores, in one process or many, may open one database: each
  // loads every Service, role, deleted user SID and user from it (users in
  // creation order) into its own in-memory index, then serves reads from
  // that index as Create's does. Every write is one PostgreSQL transaction,
  // committed before the Store changes its index and acknowledges.
  //
  // The first open of an empty database creates the schema (version 1) and
  // stores options.account_sid and page_token_key (minted when empty);
  // later opens use the stored ones, so a page token minted by one Store is
  // accepted by every Store of the database. Two Stores opening an empty
  // database at once are serialized by an advisory lock.
  //
  // The index is a replica. It is loaded from a snapshot exported by a
  // new logical replication slot ("userstore_" + shared.replica_name), then
  // follows every committed change, in commit order, from PostgreSQL's
  // logical decoding (pgoutput) on a thread of its own; it reconnects and
  // resumes from the slot when the connection drops. A write that reaches a
  // user another Store changed, created or deleted and this replica has not
  // received yet is refused by PostgreSQL (or by the replica) and changes
  // nothing; the Store then waits for its replica to catch up with the
  // database and retries it (an update or delete twice on 409/20409 or
  // 404/20404, a create once on 409/50201), so a caller sees those errors
  // only when they still hold. A create fails with 409/50201 when any Store
  // holds the identity. Creation sequences come
  // from blocks of 128 each Store reserves in the database (unique across
  // Stores; not increasing across Stores); a user's revision increases with
  // each write, whichever Store makes it. The change feed is memory-only:
  // ReadEvents sees this Store's own writes and the applied ones (origin
  // WriteOrigin::kReplica) since it opened. The slot is dropped when the
  // Store closes.
  //
  // Errors: those of Create (400/20001) for invalid options and 400/20001
  // for an invalid `shared`; 400/20001 (kFailedPrecondition)
  // options.account_sid or page_token_key given and different from the
  // database's; 500/20500 (kFailedPrecondition) the database holds a
  // userstore schema newer than this library's (or a malformed one);
  // 503/20503 (kUnavailable) PostgreSQL cannot be reached or fails the load.
  // A write through the returned Store may additionally fail with 503/20503
  // (kUnavailable) when PostgreSQL cannot be reached or the write exceeds
  // shared.write_timeout (not acknowledged), or 500/20500 on another
  // database error.
  //
  // Complexity: O(everything stored) time and memory, one pass. Thread-safety:
  // may be called from any thread; the returned Store is thread-safe as
  // Create's (each writing thread uses its own PostgreSQL connection, pooled).
  static absl::StatusOr<std::unique_ptr<Store>> OpenShared(std::string_view conninfo,
                                                           StoreOptions options,
                                                           SharedOptions shared = {});

  // ---- Shared Stores (OpenShared) -------------------------------------

  // PostgreSQL's current position (its WAL flush position): every write
  // acknowledged by any Store of the database before this call is at or
  // before it. Pass it to another host's WaitForPosition to make that host
  // see those writes. One round trip. Errors: 400/20001
  // (kFailedPrecondition) not a shared Store; 503/20503 unreachable.
  absl::StatusOr<uint64_t> SharedPosition();

  // Blocks until this Store's replica has applied everything committed at
  // or before `position` (from SharedPosition), at most `timeout`. Errors:
  // 400/20001 (kFailedPrecondition) not a shared Store; 503/20503
  // (kDeadlineExceeded) not reached in time.
  absl::Status WaitForPosition(uint64_t position, absl::Duration timeout);

  // The replica's state and lag; nullopt for a Store that is not shared.
  // O(1), thread-safe.
  std::optional<ReplicaStatus> Replica() const;

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The options in force (account_sid filled in when it was minted).
  const StoreOptions& options() const;

  // ---- Services and roles ---------------------------------------------

  // Adds a Service with its four default roles (see Service).
  // Errors: 400/20001 malformed sid; 409/20001 a Service with that sid exists;
  // 403/20403 (kResourceExhausted) the Store holds Limits::max_services
  // Services; in a durable Store, 500/20500 when the disk write fails.
  // O(1) amortised time and memory (docs/design.md).
  absl::StatusOr<Service> CreateService(const ServiceCreate& params);

  // CreateService, or the existing Service with that sid: idempotent, so
  // every host may call it at start. `*created` (when given) says which.
  // The params of an existing Service are not compared or applied.
  // params.sid is required (a minted SID would make a new Service on every
  // call). Errors: 400/20001 empty sid; those of CreateService but 409.
  absl::StatusOr<Service> EnsureService(const ServiceCreate& params, bool* created = nullptr);

  // Errors: 404/20404 unknown Service (a malformed SID is unknown too).
  absl::StatusOr<Service> FetchService(std::string_view service_sid) const;

  // Every Service, ordered by SID (byte order of the lowercase hex).
  // O(S log S) for S Services; a snapshot.
  std::vector<Service> ListServices() const;

  // Turns the Service's reachability indicators on or off (Twilio's
  // ReachabilityEnabled). Errors: 404/20404.
  absl::StatusOr<Service> SetReachabilityEnabled(std::string_view service_sid, bool enabled);

  // Adds a role to a Service. Errors: 404/20404 unknown Service; 400/20001
  // malformed sid; 409/20001 a role with that sid exists.
  absl::StatusOr<Role> AddRole(std::string_view service_sid, const RoleCreate& params);

  // The Service's roles in the order they were added (defaults first).
  // Errors: 404/20404.
  absl::StatusOr<std::vector<Role>> ListRoles(std::string_view service_sid) const;

  // ---- Conversations Configuration (configuration.h) -------------------

  // The account's Conversations Configuration (/v1/Configuration). A new
  // Store's has only account_sid set. Thread-safe; O(1); a snapshot.
  Configuration FetchConfiguration() const;

  // Applies `params` (each set field replaces the stored one, "" clears it)
  // and returns the result; durable and shared Stores write it to their
  // storage first. SIDs are stored in lowercase (either hex case is
  // accepted); an update that sets no field changes nothing and returns
  // the Configuration. Errors, checked in this order (on any, nothing
  // changes): 400/20001 default_chat_service_sid not "IS" + 32 hex,
  // default_messaging_service_sid not "MG" + 32 hex, a timer not an
  // ISO 8601 duration (P[nD][T[nH][nM][nS]], n ASCII digits, at least one
  // component, at most 32 bytes; Twilio's documented minimums, 1 minute
  // inactive and 10 minutes closed, are not enforced); 404/20404
  // default_chat_service_sid names no Service of this Store; 500/20500 or
  // 503/20503 the storage write failed; in a shared Store, 409/20409 other
  // Stores kept updating it first (retried twice). Thread-safe (updates are
  // serialised; a fetch never waits for storage). O(1) plus one storage
  // write.
  absl::StatusOr<Configuration> UpdateConfiguration(const ConfigurationUpdate& params);

  // ---- Push Bindings (binding.h) -----------------------------------------

  // Registers a push Binding for the user at `user_key` (SID or identity),
  // as Twilio's client SDK does on registration. When the user already has
  // a Binding of the same binding_type and endpoint, that Binding is
  // updated (credential_sid and message_types replaced, date_updated moved;
  // `*created` false) instead of a second being made; otherwise a new one
  // with a fresh "BS" SID is made (`*created` true). The user's
  // is_notifiable becomes true (a presence change: the user's revision and
  // date_updated do not move; an is_notifiable feed event when it changed).
  // Errors: 404/20404 unknown Service or user; 400/20001 empty or too long
  // endpoint (Limits::max_binding_endpoint_bytes), malformed credential_sid
  // or message type, more than 16 message types; 403/20403 the user holds
  // Limits::max_bindings_per_user Bindings; 501/20501 a shared Store
  // (Store::OpenShared keeps no Bindings yet); in a durable Store 500/20500
  // a failed disk write (nothing changed). Thread-safe; O(log B) for B
  // Bindings in the Service.
  absl::StatusOr<Binding> RegisterBinding(std::string_view service_sid, std::string_view user_key,
                                          const BindingCreate& params, bool* created = nullptr);

  // The Binding `binding_sid` of the Service; with a non-empty `user_key`
  // (SID or identity), only if it belongs to that user (Twilio's User
  // Binding route). Errors: 404/20404 unknown Service, user or Binding (a
  // malformed SID is unknown too). Thread-safe; O(log B).
  absl::StatusOr<Binding> FetchBinding(std::string_view service_sid, std::string_view user_key,
                                       std::string_view binding_sid) const;

  // Deletes the Binding (`user_key` as FetchBinding's); the user's
  // is_notifiable becomes false when it was the user's last. Deleting a
  // user deletes its Bindings (in the same step; one write in a durable
  // Store). Its SID is never used again. Errors: those of FetchBinding;
  // 500/20500 a failed disk write (nothing changed). Thread-safe; O(log B).
  absl::Status DeleteBinding(std::string_view service_sid, std::string_view user_key,
                             std::string_view binding_sid);

  // A page of the Service's Bindings, or of one user's
  // (BindingListRequest::user_key), in creation order, filtered as the
  // request says. Errors: 404/20404 unknown Service or user; 400/20001 bad
  // page size, Page without token, a binding_types value that is not a
  // BindingType, identities given with a user_key, or a token that is
  // malformed, altered or minted for another list (Service, user, filters
  // or resource: the users list refuses Bindings' tokens too).
  // Thread-safe; O(log B + scanned) where the filters skip no more than
  // they keep (a selective filter scans past what it skips).
  absl::StatusOr<BindingPage> ListBindings(std::string_view service_sid,
                                           const BindingListRequest& request) const;

  // ---- Import (docs/api.md, "Import and export") ------------------------

  // Carries a Service in with its SID, dates, name, reachability, default
  // role SIDs and its roles (`roles`: every role of the Service, the four
  // defaults included, as ListRoles gives them; the Service's default_*
  // SIDs must name roles of the right scope among them). A Service with
  // that SID already in the Store is kept as it is, and the roles of
  // `roles` it lacks (by SID) are added; `*created` says which. SIDs are
  // stored lowercase; account_sid and service_sid fields are the Store's
  // (the given ones are ignored); dates (whole seconds) and everything else
  // are kept. Thread-safe; serialized with the other Service and role
  // writes. O(|roles|).
  // Errors: 400/20001 a malformed SID, a duplicate role SID, a default role
  // missing or of the wrong scope, a date not a whole second in 1970..9999
  // or date_updated before date_created;
  // 403/20403 max_services; durable: 500/20500 the write failed.
  absl::StatusOr<Service> ImportService(const Service& service, const std::vector<Role>& roles,
                                        bool* created = nullptr);

  // Imports users into a Service, keeping every field of each (UserImport)
  // and minting nothing. Rows are validated one by one; a bad row is
  // reported in the result and the others go on. Imported users page, among
  // themselves, in date_created order, then input order, after every user
  // already in the Service and before every user created later (they take
  // the next creation sequences); page tokens minted before stay valid.
  // A SID that was ever deleted from this Service is refused (409/20001):
  // a SID never comes back into use, minted or imported (the Store
  // remembers deleted SIDs, on disk too). Post-event listeners do not fire.
  // In a durable Store each batch of options.batch_size rows (in creation
  // order) is one synced RocksDB WriteBatch, applied to memory after it is
  // written. Thread-safe: other calls run meanwhile, but wait while a batch
  // holds the Service's index (ImportOptions::batch_size).
  // Errors (the call's, not a row's): 404/20404 Service; 400/20001 bad
  // options; durable: 500/20500 a batch failed to write (the batches before
  // it are in; the result is not returned). Complexity: O(rows log rows)
  // plus O(1) amortized per row, as CreateUser.
  absl::StatusOr<ImportResult> ImportUsers(std::string_view service_sid,
                                           const std::vector<UserImport>& users,
                                           const ImportOptions& options = {});

  // Imports push Bindings (import.h, BindingImport) into a Service, keeping
  // every field and minting nothing. Rows are validated one by one; a bad
  // row is reported in the result and the others go on. In date_created
  // order, then input order, each takes the Service's next creation
  // sequence (after every Binding there). ImportOptions::mode applies with
  // two keys, the SID and the (user, binding_type, endpoint) a
  // re-registration would match: kInsert rejects a row whose SID is taken
  // (409/20001) or whose key another Binding holds (409/20001); kSkip skips
  // either; kUpsert replaces the Binding with the row's SID (its user's
  // only: another user's is 409/20001; its key must be free or its own),
  // which keeps its place. In every mode a deleted Binding's SID is refused
  // (409/20001), and a new Binding beyond Limits::max_bindings_per_user is
  // 403/20403. A user that gets a Binding becomes notifiable (its
  // is_notifiable feed event, as RegisterBinding's). dry_run as
  // ImportUsers'; batch_size is not used: each row is its own write (a
  // durable Store's one RocksDB batch). Post-event listeners do not fire.
  // Errors (the call's, not a row's): 404/20404 Service; 400/20001 bad
  // options; 501/20501 a shared Store; durable: 500/20500 a write failed
  // (the rows before it are in; the result is not returned). Thread-safe.
  // Complexity: O(rows log rows + rows log B).
  absl::StatusOr<ImportResult> ImportBindings(std::string_view service_sid,
                                              const std::vector<BindingImport>& bindings,
                                              const ImportOptions& options = {});

  // ---- Users (Twilio's five operations) ----------------------------------

  // Creates a user. Complexity: O(|identity| + |attributes|) plus amortized
  // O(1) hashing and O(log n) ordering insert.
  // Errors: 404/20404 Service; 400/20001 identity missing from a REST body
  // (the facade's check), invalid UTF-8 or U+0000 in identity or
  // friendly_name, malformed role_sid; 400/50204 empty identity; 400/50207
  // identity over the limit; 400/50206 identity shaped like a User SID;
  // 400/50003 friendly_name over the limit; 400/50303 attributes over the
  // limit; 400/50304 attributes not a JSON object; 400/50100 unknown role;
  // 400/50105 channel-scope role; 409/50201 identity taken.
  absl::StatusOr<User> CreateUser(std::string_view service_sid, const UserCreate& params);

  // CreateUser writing the new user into `*out` (capacity reused), or
  // returning nothing when `out` is null. Same errors; `*out` is unchanged
  // on error.
  absl::Status CreateUser(std::string_view service_sid, const UserCreate& params, User* out);

  // Fetches by SID or identity. O(|key|). Errors: 404/20404 (Service or user).
  absl::StatusOr<User> FetchUser(std::string_view service_sid, std::string_view key) const;

  // The fast forms of a fetch (docs/api.md, "Reading without copies"):
  // FetchUser into `*out` reuses the capacity of its strings (no allocation
  // in the steady state; `*out` is left unchanged on error); ReadUser calls
  // `visit` once with the user in place (no copy at all; see UserVisitor).
  // O(|key|) + O(size of the user) for the copy. Errors: 404/20404 (Service
  // or user). REQUIRES: out != nullptr.
  absl::Status FetchUser(std::string_view service_sid, std::string_view key, User* out) const;
  absl::Status ReadUser(std::string_view service_sid, std::string_view key,
                        UserVisitor visit) const;

  // Whether a user exists at `key`, without copying it. O(|key|).
  // Errors: 404/20404 unknown Service.
  absl::StatusOr<bool> UserExists(std::string_view service_sid, std::string_view key) const;

  // The number of users of the Service. O(1) (one lock of the Service's
  // order index). Errors: 404/20404 unknown Service.
  absl::StatusOr<uint64_t> CountUsers(std::string_view service_sid) const;

  // ---- Beyond Twilio: filters, counts, batch upsert (filter.h) ----------

  // The number of users that match `filter` (filter.h), exact: the users of
  // one instant, as a list page sees them. Complexity: empty filter, role,
  // attribute: O(1) (a counter kept by the index); identity prefix and date
  // range: O(log n + matches). Errors: 404/20404 unknown Service; a bad
  // filter's (UserFilter: 400/20001, 400/50100, 400/50105). Thread-safe.
  absl::StatusOr<uint64_t> CountUsers(std::string_view service_sid, const UserFilter& filter) const;

  // Declares `key` as the Service's indexed attribute: the top-level
  // attributes member that UserFilter::attribute_key may name (one per
  // Service; a new key replaces the old, "" removes it). Builds the index
  // over the current users (O(n x attributes size), holding the Service's
  // index exclusively: its readers and writers wait), and keeps it on every
  // write after. A durable Store persists the declaration and rebuilds the
  // index on open. Declaring the key already declared changes nothing.
  // Errors: 404/20404 unknown Service; 400/20001 key over 128 bytes, not
  // UTF-8, or holding U+0000; 501/20501 a shared Store (not yet: the
  // declaration would have to reach every host); 500/20500 the disk write
  // failed (nothing changed). Thread-safe.
  absl::Status SetIndexedAttribute(std::string_view service_sid, std::string_view key);

  // The Service's indexed attribute key; "" when none. O(1).
  // Errors: 404/20404 unknown Service.
  absl::StatusOr<std::string> IndexedAttribute(std::string_view service_sid) const;

  // Creates or updates up to kMaxUpsertRows (100) users in one call, each
  // row by its identity (filter.h, UserUpsert): absent, created as
  // CreateUser would; present, updated as UpdateUser would with the row's
  // set fields (a row that changes nothing is kUnchanged and writes
  // nothing). Each row is validated on its own with CreateUser's and
  // UpdateUser's rules and gets its own UpsertResult (input order), so a bad
  // row never stops the others; an identity that repeats an earlier row of
  // the call is refused (400/20001). The rows are applied as one step under
  // the Service's index held exclusively (a reader sees none or all of
  // them); a durable Store writes them as one synced RocksDB WriteBatch
  // before applying them. Each created or updated user gets one feed event
  // (kUserAdded / kUserUpdated, WriteOrigin::kServer), and post-event
  // listeners fire for each with options.webhook_enabled.
  // Errors (the call's; no row is applied): 404/20404 unknown Service;
  // 400/20001 no rows or more than kMaxUpsertRows; 500/20500 the disk
  // write failed; 501/20501 a shared Store (not yet: each row would need
  // UpdateUser's revision guard and the database's identity check in one
  // transaction). A concurrent CreateUser of a row's identity either
  // commits first (the row then updates that user) or gets 409/50201.
  // Complexity: O(rows x (|identity| + |attributes| + log n)); other writes
  // to the Service wait for the call. Thread-safe.
  absl::StatusOr<std::vector<UpsertResult>> UpsertUsers(std::string_view service_sid,
                                                        const std::vector<UserUpsert>& rows,
                                                        const UpsertOptions& options = {});

  // Changes the given fields, moves date_updated and the revision. The
  // change is computed from the user as it is under its lock, so a merge
  // patch (UserUpdate::attributes_patch) never loses a concurrent patch of
  // another key. Errors: as CreateUser for each given field; 400/20161
  // nothing given (if_revision alone is nothing); 400/20001 attributes and
  // attributes_patch both given; 400/50304 a patch that is not JSON, and
  // 50303/50304 a patched text over the limits; 412/20412
  // (kFailedPrecondition) if_revision given and not the user's; 404/20404.
  absl::StatusOr<User> UpdateUser(std::string_view service_sid, std::string_view key,
                                  const UserUpdate& params);

  // UpdateUser writing the updated user into `*out` (capacity reused, as
  // FetchUser's fill form), or returning nothing when `out` is null. Same
  // errors; `*out` is unchanged on error.
  absl::Status UpdateUser(std::string_view service_sid, std::string_view key,
                          const UserUpdate& params, User* out);

  // Deletes a user; its identity is free again, its SID is never reused.
  // With `if_revision`, only if the user's revision equals it.
  // Errors: 404/20404; 412/20412 (kFailedPrecondition) revision mismatch.
  absl::Status DeleteUser(std::string_view service_sid, std::string_view key,
                          std::optional<uint64_t> if_revision = std::nullopt);
  // The same with UserDelete's parameters (webhook_enabled, origin).
  absl::Status DeleteUser(std::string_view service_sid, std::string_view key,
                          const UserDelete& params);

  // One page of the Service's users in creation order, or of those matching
  // request.filter in its order (filter.h). Complexity: O(log n + page_size)
  // whatever the offset, filtered or not. Errors: 404/20404; 400/20001
  // bad page size, page, or token (malformed, altered, another Service's,
  // another API's: PageRequest::api, or another filter's); a bad filter's
  // (UserFilter).
  absl::StatusOr<Page> ListUsers(std::string_view service_sid, const PageRequest& request) const;

  // ListUsers filling `*out`: its users vector is resized to the page and
  // each element overwritten in place (its strings' capacity reused), so a
  // caller that reuses one Page allocates nothing per page in the steady
  // state. Same errors and complexity; `*out` is unspecified on error.
  // REQUIRES: out != nullptr.
  absl::Status ListUsers(std::string_view service_sid, const PageRequest& request, Page* out) const;

  // The page ListUsers would return, with each user handed to `visit` in
  // place (in page order, as list items: presence null) instead of copied:
  // `*links` gets every field of the Page but `users`, which is cleared.
  // Same errors and complexity. `visit` is called under each user's shard
  // lock (see UserVisitor); up to page_size + 1 users are read, and only the
  // page's users are visited. REQUIRES: links != nullptr.
  absl::Status VisitUsers(std::string_view service_sid, const PageRequest& request,
                          UserVisitor visit, Page* links) const;

  // Returns the user with params.identity, creating it from `params` (role,
  // attributes, friendly name: applied only when it creates) when absent:
  // Twilio's implicit creation when an identity first appears. Concurrent
  // callers for one identity all get the same user, and exactly one of them
  // gets created == true. Post-event listeners fire (kUserAdded) only for
  // that one, and only with params.webhook_enabled. `params` is validated
  // whether or not the user exists. Errors: 404/20404 Service; those of
  // CreateUser but 409.
  absl::StatusOr<GetOrCreateResult> GetOrCreateUser(std::string_view service_sid,
                                                    const UserCreate& params);

  // GetOrCreateUser with only an identity (default role, no attributes):
  // the user alone. Same errors.
  absl::StatusOr<User> GetOrCreateUser(std::string_view service_sid, std::string_view identity);

  // ---- Host-maintained state ----------------------------------------------

  // Presence by connection (docs/api.md, "A chat server"): a user has a
  // count of live connections, and is_online is true while it is above 0.
  // ConnectUser adds one connection (is_online becomes true); DisconnectUser
  // removes one (is_online becomes false when none remain; at 0 it stays 0
  // and is_online false: a disconnect of a connection that was never
  // counted, e.g. opened before a restart, is not an error). Each is one
  // atomic step under the user's lock, returning the count after it.
  // ConnectOrCreateUser creates the user from `params` (as GetOrCreateUser)
  // with its first connection when the identity is absent, in the same step:
  // no delete can come in between. Neither moves date_updated nor the
  // revision. Counts are memory only: a durable store reopens with every
  // count 0 and presence unknown (docs/durable.md); as for every presence
  // field, a fetch shows is_online only while the Service's reachability is
  // enabled. Errors: 404/20404 (Service, or user for Connect/Disconnect);
  // ConnectOrCreateUser: those of GetOrCreateUser; 400/20001 a user at
  // 2^32-1 connections.
  absl::StatusOr<UserConnection> ConnectUser(std::string_view service_sid, std::string_view key);
  absl::StatusOr<UserConnection> ConnectOrCreateUser(std::string_view service_sid,
                                                     const UserCreate& params);
  absl::StatusOr<UserConnection> DisconnectUser(std::string_view service_sid, std::string_view key);

  // Records whether the user is connected (is_online). Also sets the
  // connection count to 0 (false) or, when it was 0, to 1 (true), so the two
  // ways agree. Does not move date_updated nor the revision. Errors:
  // 404/20404. (is_notifiable has no setter: it follows the user's push
  // Bindings, RegisterBinding / DeleteBinding, as Twilio derives it.)
  absl::StatusOr<User> SetUserOnline(std::string_view service_sid, std::string_view key,
                                     bool online);

  // Adds `delta` (may be negative) to joined_channels_count.
  // Errors: 404/20404; 400/20001 if the count would drop below 0 or overflow.
  absl::StatusOr<User> AddJoinedChannels(std::string_view service_sid, std::string_view key,
                                         int64_t delta);

  // Registers a post-event listener (see PostEventListener). Safe during
  // traffic: a write fires the listeners registered when it fires (a
  // copy-on-write list); a write that commits while AddPostEventListener
  // runs may or may not see the new one. Listeners are never removed.
  void AddPostEventListener(PostEventListener listener);

  // Registers a pre-event listener (events.h): called, in the order added,
  // before each create or update whose origin is WriteOrigin::kClient
  // commits (never for kServer or kImport writes, presence, joined counts
  // or deletes, as Twilio fires no pre-event for REST calls nor
  // reachability). The first rejection stops the write (403/50056). A write
  // whose user changed between the listeners' approval and the commit is
  // proposed again from the user as it now is (the other write is kept),
  // up to 3 times; then it fails with 409/20409 ("the user kept changing").
  // Safe during traffic, as AddPostEventListener.
  void AddPreEventListener(PreEventListener listener);

  // The change feed of Service `service_sid` (events.h): the events after
  // position `after_sequence` (0: from the first), at most `max` (1..1000;
  // 0 means 100). Thread-safe. Complexity: O(events returned) from memory;
  // a durable Store reads events older than memory from RocksDB (one seek,
  // then O(events returned)).
  // Errors: 404/20404 unknown Service; 400/20001 `max` above 1000,
  // `after_sequence` beyond the feed's last event (a consumer of another
  // store, or of a memory store that restarted), or the feed is off
  // (EventOptions::enabled); 410/20410 (kOutOfRange) the events right after
  // `after_sequence` are no longer kept (memory mode: beyond
  // EventOptions::memory_window; durable: trimmed, durable_window and
  // durable_max_age): re-read a snapshot (EventPosition, then a full list,
  // then the feed from there); 500/20500 a durable read failed.
  // Positions of a durable Store survive a reopen. A memory Store made
  // again starts again at 1, so its consumers re-read a snapshot.
  absl::StatusOr<EventPage> ReadEvents(std::string_view service_sid, uint64_t after_sequence,
                                       size_t max = 100) const;

  // The sequence of the Service's last event (0 before the first): take it
  // before listing every user, then read the feed after it, and the list
  // plus those events give the current state (each event carries the whole
  // user, so applying one already in the list changes nothing).
  // Errors: 404/20404. O(1).
  absl::StatusOr<uint64_t> EventPosition(std::string_view service_sid) const;

  // The sequence of the Service's oldest event still kept (EventPosition()
  // + 1 when none is): reading after OldestEvent() - 1 does not answer 410
  // unless the window moves on meanwhile. Where a consumer that got
  // 410/20410 and accepts the loss goes on from. Errors: 404/20404;
  // 400/20001 the feed is off. O(1).
  absl::StatusOr<uint64_t> OldestEvent(std::string_view service_sid) const;

  // How many listener calls have thrown since the Store was made (each
  // also reported to StoreOptions::listener_error when set). Thread-safe,
  // O(1); a relaxed counter: a failure on another thread that has not
  // returned yet may not be counted.
  uint64_t listener_failures() const;

 private:
  explicit Store(std::unique_ptr<internal::StoreImpl> impl);
  std::unique_ptr<internal::StoreImpl> impl_;
};

}  // namespace userstore

#endif  // USERSTORE_STORE_H_
