// StoreImpl: the engine behind userstore::Store (include/userstore/store.h).
//
// Thread safety and invariants:
//   - Services are found through an immutable snapshot map, loaded with one
//     atomic acquire and read with no lock, plus `recent_`, the Services
//     created since the snapshot was built, read under `services_mu_`
//     (shared). A lookup that misses the snapshot takes that lock and looks
//     again in the current snapshot and in `recent_`, so it never misses a
//     Service that exists. When `recent_` reaches 1/8 of the snapshot (or
//     while the snapshot is small), the two are merged into a new snapshot;
//     the old one is retired (kept until the Store dies: readers may hold
//     it). Snapshots grow geometrically, so all retained maps together hold
//     O(Services) entries and creating S Services copies O(S) entries.
//     Recovery restores every Service into `recent_` and builds one snapshot
//     (SetJournal).
//   - The number of Services is bounded by Limits::max_services.
//   - ServiceStates are never destroyed before the Store, so a pointer
//     obtained from any snapshot stays valid.
//   - Listeners: a copy-on-write vector behind `listeners_mu_`; fired with
//     no lock held.
#ifndef USERSTORE_SRC_STORE_STORE_IMPL_H_
#define USERSTORE_SRC_STORE_STORE_IMPL_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "sid/sid.h"
#include "store/feed_trimmer.h"
#include "store/journal.h"
#include "store/replica.h"
#include "store/restore.h"
#include "store/service_state.h"
#include "store/user_view_access.h"
#include "token/page_token.h"
#include "userstore/store.h"

namespace userstore::internal {

class RecordArena;

// Which presence field SetPresence sets (is_notifiable follows the user's
// push Bindings instead: store_binding_ops.cc).
enum class PresenceField { kOnline };

class StoreImpl final : public RestoreTarget, public ReplicaTarget {
 public:
  // REQUIRES: `options` already validated and completed by Store::Create.
  explicit StoreImpl(StoreOptions options);
  ~StoreImpl() override;

  const StoreOptions& options() const { return options_; }

  absl::StatusOr<Service> CreateService(const ServiceCreate& params);
  absl::StatusOr<Service> EnsureService(const ServiceCreate& params, bool* created);
  absl::StatusOr<Service> FetchService(std::string_view service_sid) const;
  std::vector<Service> ListServices() const;
  absl::StatusOr<Service> SetReachabilityEnabled(std::string_view service_sid, bool enabled);
  absl::StatusOr<Role> AddRole(std::string_view service_sid, const RoleCreate& params);
  absl::StatusOr<std::vector<Role>> ListRoles(std::string_view service_sid) const;

  // Import (store_import.cc; contracts in store.h).
  absl::StatusOr<Service> ImportService(const Service& service, const std::vector<Role>& roles,
                                        bool* created);
  absl::StatusOr<ImportResult> ImportUsers(std::string_view service_sid,
                                           const std::vector<UserImport>& users,
                                           const ImportOptions& options);

  // The user operations of Store; `out` may be null for the writes.
  absl::Status CreateUser(std::string_view service_sid, const UserCreate& params, User* out);
  absl::Status FetchUser(std::string_view service_sid, std::string_view key, User* out) const;
  absl::Status ReadUser(std::string_view service_sid, std::string_view key,
                        Store::UserVisitor visit) const;
  absl::Status UpdateUser(std::string_view service_sid, std::string_view key,
                          const UserUpdate& params, User* out);
  absl::Status DeleteUser(std::string_view service_sid, std::string_view key,
                          const UserDelete& params = {});
  absl::StatusOr<bool> UserExists(std::string_view service_sid, std::string_view key) const;
  absl::StatusOr<uint64_t> CountUsers(std::string_view service_sid) const;
  // Filters, counts and batch upsert (store_filter.cc, store_upsert.cc;
  // contracts in store.h).
  absl::StatusOr<uint64_t> CountUsers(std::string_view service_sid, const UserFilter& filter) const;
  absl::Status SetIndexedAttribute(std::string_view service_sid, std::string_view key);
  absl::StatusOr<std::string> IndexedAttribute(std::string_view service_sid) const;
  absl::StatusOr<std::vector<UpsertResult>> UpsertUsers(std::string_view service_sid,
                                                        const std::vector<UserUpsert>& rows,
                                                        const UpsertOptions& options);
  absl::Status ListUsers(std::string_view service_sid, const PageRequest& request, Page* out) const;
  absl::Status VisitUsers(std::string_view service_sid, const PageRequest& request,
                          Store::UserVisitor visit, Page* links) const;
  // The by-value forms (Store's, and the tests').
  absl::StatusOr<User> CreateUser(std::string_view service_sid, const UserCreate& params) {
    return Returned<User>([&](User* u) { return CreateUser(service_sid, params, u); });
  }
  absl::StatusOr<User> FetchUser(std::string_view service_sid, std::string_view key) const {
    return Returned<User>([&](User* u) { return FetchUser(service_sid, key, u); });
  }
  absl::StatusOr<User> UpdateUser(std::string_view service_sid, std::string_view key,
                                  const UserUpdate& params) {
    return Returned<User>([&](User* u) { return UpdateUser(service_sid, key, params, u); });
  }
  absl::StatusOr<Page> ListUsers(std::string_view service_sid, const PageRequest& request) const {
    return Returned<Page>([&](Page* p) { return ListUsers(service_sid, request, p); });
  }
  absl::StatusOr<GetOrCreateResult> GetOrCreateUser(std::string_view service_sid,
                                                    const UserCreate& params);
  // Presence by connection (store_presence.cc).
  absl::StatusOr<UserConnection> ConnectUser(std::string_view service_sid, std::string_view key);
  absl::StatusOr<UserConnection> ConnectOrCreateUser(std::string_view service_sid,
                                                     const UserCreate& params);
  absl::StatusOr<UserConnection> DisconnectUser(std::string_view service_sid, std::string_view key);
  // Sets `field` (is_online) of the user at `key` to `value`.
  absl::StatusOr<User> SetPresence(std::string_view service_sid, std::string_view key,
                                   PresenceField field, Presence value);
  absl::StatusOr<User> AddJoinedChannels(std::string_view service_sid, std::string_view key,
                                         int64_t delta);
  // Push Bindings (store_bindings.cc; contracts in store.h).
  absl::StatusOr<Binding> RegisterBinding(std::string_view service_sid, std::string_view user_key,
                                          const BindingCreate& params, bool* created);
  absl::StatusOr<Binding> FetchBinding(std::string_view service_sid, std::string_view user_key,
                                       std::string_view binding_sid) const;
  absl::Status DeleteBinding(std::string_view service_sid, std::string_view user_key,
                             std::string_view binding_sid);
  absl::StatusOr<BindingPage> ListBindings(std::string_view service_sid,
                                           const BindingListRequest& request) const;
  absl::StatusOr<ImportResult> ImportBindings(std::string_view service_sid,
                                              const std::vector<BindingImport>& bindings,
                                              const ImportOptions& options);

  // The Conversations Configuration (store_configuration.cc; contracts in
  // store.h). UpdateConfiguration makes one attempt: Store's retries it once
  // a shared Store's replica caught up.
  Configuration FetchConfiguration() const;
  absl::StatusOr<Configuration> UpdateConfiguration(const ConfigurationUpdate& params);

  void AddPostEventListener(Store::PostEventListener listener);
  void AddPreEventListener(PreEventListener listener);
  absl::StatusOr<EventPage> ReadEvents(std::string_view service_sid, uint64_t after_sequence,
                                       size_t max) const;
  absl::StatusOr<uint64_t> EventPosition(std::string_view service_sid) const;
  absl::StatusOr<uint64_t> OldestEvent(std::string_view service_sid) const;
  uint64_t listener_failures() const { return listener_failures_.load(std::memory_order_relaxed); }

  // ---- Durable mode (see journal.h and restore.h) --------------------------
  absl::Status RestoreService(const Service& service, const std::vector<Role>& roles) override;
  absl::Status RestoreConfiguration(const Configuration& configuration, uint64_t revision) override;
  absl::Status RestoreIndexedAttribute(std::string_view service_sid, std::string_view key) override;
  absl::Status RestoreUser(std::string_view service_sid, UserRecord::Ptr record) override;
  absl::Status RestoreSequence(std::string_view service_sid, uint64_t sequence) override;
  absl::Status RestoreDeletedSid(std::string_view service_sid, const SidBytes& sid) override;
  absl::Status RestoreFeed(std::string_view service_sid, uint64_t first, uint64_t last,
                           uint64_t checkpoint) override;
  uint64_t IndexedUsers(std::string_view service_sid) const override;
  absl::StatusOr<bool> RestoreBinding(std::string_view service_sid, BindingRecord binding) override;
  absl::Status RestoreDeletedBinding(std::string_view service_sid, const SidBytes& sid) override;
  absl::StatusOr<bool> RestoreNotifiedMark(std::string_view service_sid,
                                           const SidBytes& user) override;
  // From now on every change is written to `journal` first. Call once, after
  // recovery and before serving.
  void SetJournal(std::unique_ptr<Journal> journal);
  // ---- Shared mode (see replica.h) ------------------------------------------
  absl::StatusOr<Applied> ApplyService(const Service& service,
                                       const std::vector<Role>& roles) override;
  absl::StatusOr<Applied> ApplyRole(const Role& role) override;
  absl::StatusOr<Applied> ApplyUser(std::string_view service_sid, UserRecord::Ptr record,
                                    bool keep_attributes, bool keep_friendly_name,
                                    absl::Time time) override;
  absl::StatusOr<Applied> ApplyDelete(std::string_view service_sid, const SidBytes& sid,
                                      absl::Time time) override;
  absl::StatusOr<Applied> ApplyConfiguration(const Configuration& configuration,
                                             uint64_t revision) override;
  // Attaches the stream that feeds this replica (after SetJournal); it is
  // destroyed first when the Store is.
  // `after_own_writes`: SharedOptions::Consistency::kAfterOwnWrites, each
  // waiting at most `wait`.
  void SetReplicaSource(std::unique_ptr<ReplicaSource> source, bool after_own_writes,
                        absl::Duration wait) {
    replica_ = std::move(source);
    after_own_writes_ = after_own_writes;
    replica_wait_ = wait;
  }
  // After a write was acknowledged: with kAfterOwnWrites, waits (at most
  // replica_wait) until the replica has applied PostgreSQL's position as of
  // now, at or past the write's commit. Its failures are not the write's
  // (the write committed): they are ignored. No-op otherwise.
  void AfterOwnWrite() const;
  // Shared: waits (at most replica_wait) until the replica has applied
  // everything PostgreSQL has committed now. False when not shared or when
  // that failed.
  bool CatchUpReplica() const;
  // Null unless shared.
  ReplicaSource* replica() const { return replica_.get(); }
  // Durable mode: one pass of the feed trimmer now (tests). No-op otherwise.
  void TrimFeeds();
  // Every Service (for checks and statistics).
  std::vector<const ServiceState*> Services() const;

 private:
  using ServiceMap = absl::flat_hash_map<SidBytes, ServiceState*>;

  // The value `fill` fills, or its error.
  template <typename T, typename Fill>
  static absl::StatusOr<T> Returned(Fill fill) {
    T value;
    if (absl::Status s = fill(&value); !s.ok()) return s;
    return value;
  }
  absl::Time Now() const;    // Clock() in whole seconds (the resource's dates)
  absl::Time Clock() const;  // options_.clock, or absl::Now()
  absl::StatusOr<ServiceState*> FindService(std::string_view service_sid) const;
  // Copies `record` into `*out` (capacity reused); kListItem applies the
  // list rule (presence null).
  void CopyUser(const ServiceState& service, const UserRecord& record, UserShape shape,
                User* out) const;
  // Checks `request` and starts `*page` (every field but users); the cursor
  // its token names. Errors: 400/20001 as ListUsers.
  // `scope`: the list's token scope (a filtered list's, FilterScope).
  absl::StatusOr<PageCursor> StartPage(const ServiceState& service, const PageRequest& request,
                                       Page* page, std::string_view scope = {}) const;
  // A checked UserFilter (non-empty) and the token scope it binds pages to.
  struct CheckedFilter {
    FilterQuery query;
    std::string scope;
  };
  // Validates request.filter as UserFilter's comments say (store_filter.cc).
  absl::StatusOr<CheckedFilter> CheckFilter(const ServiceState& service,
                                            const UserFilter& filter) const;
  // A filtered page (store_filter.cc): as StartPage + ScanPage, in the
  // filter's order; `read` sees the users nearest the cursor first. Sets
  // `*backward` when the page was read backward (reverse it). Returns the
  // number of users read.
  absl::StatusOr<size_t> FilteredPage(const ServiceState& service, const PageRequest& request,
                                      UserIndex::Visit read, Page* page, bool* backward) const;
  // Reads the page at `cursor` (page->page_size users at most), calling
  // `read` for each in scan order (nearest the cursor first), and sets the
  // page's links (tokens bound to `api`). Returns the number of users read.
  size_t ScanPage(const ServiceState& service, const PageCursor& cursor, PageApi api,
                  UserIndex::Visit read, Page* page) const;
  // Validates the optional fields shared by create, update and import.
  absl::Status ValidateCommon(const ServiceState& service, std::optional<std::string_view> role_sid,
                              std::optional<std::string_view> attributes,
                              std::optional<std::string_view> friendly_name, SidBytes* role) const;
  // Validates a create's fields (ValidateIdentity, then ValidateCommon);
  // `*role` is set when role_sid is given.
  absl::Status ValidateNewUser(const ServiceState& service, std::string_view identity,
                               std::optional<std::string_view> role_sid,
                               std::optional<std::string_view> attributes,
                               std::optional<std::string_view> friendly_name, SidBytes* role) const;
  // A Service by SID, with services_mu_ already held (FindService would
  // take it again). Null when absent.
  ServiceState* FindServiceLocked(const SidBytes& sid) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(services_mu_);
  // A new record for `params` (validated; `role` resolved), with a fresh
  // SID, the next sequence (also its first revision) and the current time
  // (also the time of `emission`, declared below).
  // The Service's next creation sequence / revision: its own counter, or
  // with a journal that ReservesSequences, from the journal's blocks.
  // Errors: the journal's (memory and durable Stores never fail).
  absl::StatusOr<uint64_t> NextSequence(ServiceState& service) const;
  // A user's next revision after `previous`: NextSequence, raised above
  // `previous` when a shared Store's block is behind it (another Store's
  // block set it), so a user's revisions increase whichever Store writes.
  absl::StatusOr<uint64_t> NextRevision(ServiceState& service, uint64_t previous) const;
  struct Emission;
  absl::StatusOr<UserRecord::Ptr> NewRecord(ServiceState& service, const UserCreate& params,
                                            Emission* emission, const SidBytes& role);
  // Validates a create's fields; the role they name (or the default).
  absl::StatusOr<SidBytes> ValidateCreate(const ServiceState& service,
                                          const UserCreate& params) const;
  // A create when the journal ChecksIdentities (a shared Store): refused at
  // once when the replica holds the identity; otherwise journaled with no
  // index lock held (the database refuses a taken identity: 409/50201),
  // then installed and copied into `*out` (unless null). While it is in
  // flight, the stream skips this very change (own_pending_), so the feed
  // shows it with the write's own origin.
  absl::Status CreateUnlocked(ServiceState& service, UserRecord::Ptr record, Emission* emission,
                              User* out);
  // Whether `sid` at `revision` is this Store's own write in flight.
  bool OwnPending(const SidBytes& sid, uint64_t revision) const;
  // Inserts a new user, copied into `*out` unless `out` is null. With
  // `existed` non-null, a user already holding the identity is passed to
  // `on_existing` (under its exclusive lock; see UserIndex::Insert), then
  // copied into `*out` instead, and *existed set. Errors: 409/50201 when
  // taken and `existed` is null.
  absl::Status Insert(ServiceState& service, UserRecord::Ptr record,
                      const UserIndex::Persist& persist, User* out, bool* existed,
                      UserIndex::Mutate on_existing = UserIndex::Ignore);
  // Replaces the user at `key` with build(current), copied into `*out`
  // unless `out` is null. Errors: build's, the journal's, 404/20404.
  absl::Status Replace(ServiceState& service, std::string_view key, UserIndex::Build build,
                       const UserIndex::Persist& persist, User* out);
  // Adds a new Service (checked, its SID not in use) with its roles: within
  // Limits::max_services (403/20403), journaled (500/20500), published.
  absl::Status AddNewService(const Service& service, const std::vector<Role>& roles)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(services_mu_);
  // Adds a new Service to `recent_`, and merges `recent_` into a new
  // snapshot when it has grown enough (never when `defer_snapshot`).
  ServiceState* Publish(const Service& service, const std::vector<Role>& roles, bool defer_snapshot)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(services_mu_);
  // Publishes snapshot + recent_ as the new snapshot.
  void RebuildSnapshot() ABSL_EXCLUSIVE_LOCKS_REQUIRED(services_mu_);
  // Whether a Service with `sid` exists.
  bool HasService(const SidBytes& sid) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(services_mu_);
  // Calls the post-event listeners; an exception is counted and handed to
  // options_.listener_error, never propagated.
  // ---- events (store_events.cc) ----
  // What one write emits: set by the write, completed by Emit.
  struct Emission {
    ServiceState* service = nullptr;
    UserEvent::Type type = UserEvent::Type::kUserAdded;
    uint32_t changed = 0;
    bool webhook_enabled = false;
    WriteOrigin origin = WriteOrigin::kServer;
    uint64_t sequence = 0;    // the feed's, once emitted (0: no feed)
    int64_t time_micros = 0;  // the write's time (0: read at emission)
    // An update's: the revision the user had before it (Journal::UpdateUser);
    // 0 for a new user.
    uint64_t previous_revision = 0;
  };
  // The event's fields; reads the clock unless the write set time_micros.
  EventMeta MetaOf(Emission* emission) const;
  // Memory mode: appends the event of record `r` (after the write; before
  // it, for a removal) to the Service's feed. Called under r's locks. No-op
  // without a feed.
  void Emit(Emission* emission, const UserRecord& r) const;
  // Durable mode: calls `write` with the event to journal with the change
  // (null without a feed), its sequence taken first and published once the
  // write succeeded. Called under r's locks.
  absl::Status Journaled(Emission* emission, const UserRecord& r,
                         absl::FunctionRef<absl::Status(const JournalEvent*)> write) const;
  // r's presence before a change.
  struct PresenceBefore {
    Presence online;
    Presence notifiable;
    uint32_t connections;
  };
  static PresenceBefore PresenceOf(const UserRecord& r) {
    return {r.online, r.notifiable, r.connections};
  }
  // A presence change of `r` (in memory, under its lock): emits when
  // is_online or is_notifiable moved from `before`; durable, the event is
  // journaled, and if that fails r's presence goes back to `before` and the
  // error is returned.
  absl::Status EmitPresence(Emission* emission, UserRecord& r, const PresenceBefore& before) const;
  // A batch of user writes (ImportUsers, UpsertUsers), under every lock of
  // the Service's index (UserIndex::Exclusive): `writes[w]` journaled as one
  // PutUsers (durable; with one feed event each from `emissions[w]` when the
  // journal stores events), then for each w in order its event published
  // (or emitted: memory feed) and `apply(w)` called to install it. A failed
  // write returns its error with nothing applied (the feed sequences it
  // reserved are abandoned, as Journaled does). The caller holds the locks.
  absl::Status CommitBatch(ServiceState& service, const std::vector<const UserRecord*>& writes,
                           std::vector<Emission>& emissions,
                           absl::FunctionRef<void(size_t)> apply) const;
  // A Persist (user_index.h) that journals `r` (PutUser) and emits it; null
  // when there is neither a journal nor a feed. `emission` must outlive it.
  UserIndex::Persist CommitUser(Emission* emission) const;
  // ApplyUser of a user an import gave a new identity: replaced under every
  // lock of the index (UserIndex::Locked::Replace may change the identity).
  absl::StatusOr<Applied> ApplyRename(ServiceState& service, UserRecord::Ptr record,
                                      bool keep_attributes, bool keep_friendly_name,
                                      Emission* emission);
  // A Persist that only emits (a change applied from a shared Store's
  // stream: journaled already); null without a feed.
  UserIndex::Persist FeedOnly(Emission* emission) const;
  // The same for a removal (DeleteUser), checking `if_revision` first.
  UserIndex::Persist CommitErase(Emission* emission, std::optional<uint64_t> if_revision) const;
  // Whether the post-event listeners fire for this write (Store's rule).
  static bool Fires(const Emission& emission) {
    return emission.webhook_enabled || emission.origin == WriteOrigin::kClient;
  }
  // Calls the post-event listeners with the write's event; `user` is the
  // user the event shows. An exception is counted and handed to
  // options_.listener_error, never propagated.
  void Fire(const Emission& emission, const User& user) const;
  // Runs the pre-event listeners on `event`: OK, or 403/50056.
  absl::Status CheckPreEvent(const PreEvent& event) const;
  bool HasPreEventListeners() const;
  // For a client's create (origin kClient): the pre-event listeners' verdict
  // on the user `params` would create with `role`. OK at once otherwise.
  absl::Status CheckClientCreate(const ServiceState& service, const UserCreate& params,
                                 const SidBytes& role) const;
  // UpdateUser's checks of `params` before any lock (`*role`: the new role).
  absl::Status CheckUpdate(const ServiceState& service, const UserUpdate& params,
                           SidBytes* role) const;
  // UpdateUser once the pre-event listeners (if any) have agreed.
  absl::Status CommitUpdate(ServiceState& service, std::string_view key, const UserUpdate& params,
                            const SidBytes& role, User* out);
  absl::Status UserNotFound(const ServiceState& service, std::string_view key) const;
  // Makes `configuration` at `revision` the Store's, unless it already
  // holds that revision or a later one (a shared Store's stream and its own
  // write may deliver one update twice, or out of order). True when it did.
  bool InstallConfiguration(const Configuration& configuration, uint64_t revision)
      ABSL_LOCKS_EXCLUDED(configuration_mu_);

  // ---- push Bindings (store_bindings.cc) ----
  // The Service `service_sid` of a Binding call: 501/20501 in a shared
  // Store, else FindService's.
  // 501/20501 "<what> in shared mode yet" for a shared Store (a feature
  // its PostgreSQL journal does not carry yet); OK otherwise.
  absl::Status RefuseShared(std::string_view what) const;
  absl::StatusOr<ServiceState*> BindingService(std::string_view service_sid) const;
  // `r` as the API returns it.
  Binding ToBinding(const ServiceState& service, const BindingRecord& r) const;
  // Records a change of r's Bindings made under r's SID shard lock (r
  // holds the is_notifiable it leaves, `before` the one it found): durable,
  // `write` journals it with the is_notifiable event when that moved (else
  // with none); memory, the event is emitted. On an error r's presence is
  // back at `before` and nothing changed.
  absl::Status CommitBindingChange(
      Emission* emission, UserRecord& r, const PresenceBefore& before,
      absl::FunctionRef<absl::Status(const JournalEvent*)> write) const;

  const StoreOptions options_;
  const PageTokenCodec tokens_;
  // Records' memory with RecordMemory::kHugePages (null: malloc); outlives
  // every ServiceState (declared before them).
  const std::unique_ptr<RecordArena> records_;

  std::unique_ptr<Journal> journal_;  // null: memory only; set once before use
  // Durable mode with a feed: trims the stored feed. Stopped first thing in
  // ~StoreImpl (it reads the Services and writes to the journal).
  std::unique_ptr<FeedTrimmer> trimmer_;
  // Shared mode: the replication stream. Destroyed first thing in
  // ~StoreImpl (its thread applies changes to the Services).
  std::unique_ptr<ReplicaSource> replica_;
  bool after_own_writes_ = false;
  // CreateUnlocked's writes between their journal write and their install:
  // SID -> revision.
  mutable Mutex own_mu_;
  absl::flat_hash_map<SidBytes, uint64_t> own_pending_ ABSL_GUARDED_BY(own_mu_);
  absl::Duration replica_wait_;

  std::atomic<const ServiceMap*> services_;          // the snapshot
  mutable SharedMutex services_mu_;                  // serializes Service and role writes
  ServiceMap recent_ ABSL_GUARDED_BY(services_mu_);  // not in the snapshot yet
  std::vector<std::unique_ptr<const ServiceMap>> service_maps_
      ABSL_GUARDED_BY(services_mu_);  // current and retired snapshots
  std::vector<std::unique_ptr<ServiceState>> service_states_ ABSL_GUARDED_BY(services_mu_);

  mutable SharedMutex listeners_mu_;
  std::shared_ptr<const std::vector<Store::PostEventListener>> listeners_
      ABSL_GUARDED_BY(listeners_mu_);
  mutable std::atomic<uint64_t> listener_failures_{0};
  mutable SharedMutex pre_listeners_mu_;
  std::shared_ptr<const std::vector<PreEventListener>> pre_listeners_
      ABSL_GUARDED_BY(pre_listeners_mu_);

  // The Conversations Configuration (account_sid is options_'s, filled in
  // when read) and its revision (0: never updated; each update adds 1).
  // Updates serialize on configuration_write_mu_, held across the journal
  // write; the value is read and installed under configuration_mu_, never
  // held across storage, so a fetch never waits for it. Lock order:
  // configuration_write_mu_ -> configuration_mu_; no other Store lock is
  // taken while either is held.
  Mutex configuration_write_mu_;
  mutable SharedMutex configuration_mu_;
  Configuration configuration_ ABSL_GUARDED_BY(configuration_mu_);
  uint64_t configuration_revision_ ABSL_GUARDED_BY(configuration_mu_) = 0;
};

// Validates `options` and completes them (a minted account SID and page-token
// key when empty, the canonical account SID, base_url without a trailing
// slash): what Store::Create and Store::Open both do before anything else.
// Errors: 400/20001 (kInvalidArgument) naming the option.
absl::StatusOr<StoreOptions> CheckStoreOptions(StoreOptions options);

// A store key parsed per store.h: a SID when SID-shaped, else an identity.
UserKey ParseUserKey(std::string_view key);

// 412/20412 (kFailedPrecondition) "Precondition Failed: the user's revision
// is R, not E" (store_users.cc).
absl::Status PreconditionFailed(uint64_t revision, uint64_t expected);
// OK when `if_revision` is unset or equals r's revision; else
// PreconditionFailed. Called under r's lock.
absl::Status CheckRevision(const UserRecord& r, std::optional<uint64_t> if_revision);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_STORE_IMPL_H_
