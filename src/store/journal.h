// Journal: where a durable Store records each change before it is applied in
// memory (docs/design.md, "Durable mode").
//
// The Store calls a Journal while holding the locks that order the change in
// memory, so the journal sees the changes of one user in the order memory
// does. A call that fails leaves memory unchanged and fails the operation.
// Implementations must be thread-safe: calls for different users come from
// different threads at once.
#ifndef USERSTORE_SRC_STORE_JOURNAL_H_
#define USERSTORE_SRC_STORE_JOURNAL_H_

#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/binding_index.h"
#include "store/event_feed.h"
#include "store/user_record.h"
#include "userstore/configuration.h"
#include "userstore/service.h"

namespace userstore::internal {

// A feed event written in the same atomic write as the change it records
// (durable feed, docs/events.md): key e/<IS><sequence>, the user from the
// record written (its presence included).
struct JournalEvent {
  uint64_t sequence = 0;
  EventMeta meta;
};

class Journal {
 public:
  virtual ~Journal() = default;

  // A Service created (with its default roles, in one atomic write) or
  // changed (reachability; `roles` empty).
  virtual absl::Status PutService(const Service& service, const std::vector<Role>& roles) = 0;
  // Whether the Store must draw creation sequences and revisions from
  // ReserveSequences (a journal several Stores write to) rather than from
  // its own per-Service counter (the default: a journal one Store owns).
  virtual bool ReservesSequences() const { return false; }
  // Reserves a block of sequences unique among every Store writing to this
  // journal's storage; returns its first and sets `*count` to its size.
  // Called only when ReservesSequences(). Errors: the journal's (e.g.
  // 503/20503 storage unreachable). The default fails (500/20500).
  virtual absl::StatusOr<uint64_t> ReserveSequences(std::string_view service_sid, uint64_t* count) {
    (void)service_sid;
    (void)count;
    return absl::InternalError("this journal reserves no sequences");
  }
  // The Service's indexed attribute (Store::SetIndexedAttribute) declared
  // as `key` ("": none any more). Called with every lock of the Service's
  // index held. The default fails (500/20500): a journal that keeps none
  // (a shared Store's, whose Store refuses the call with 501/20501 first).
  virtual absl::Status PutIndexedAttribute(std::string_view service_sid, std::string_view key) {
    (void)service_sid;
    (void)key;
    return absl::InternalError("this journal keeps no indexed attribute");
  }
  // Whether the journal's storage itself refuses a taken identity (a
  // database shared by several Stores): the Store then journals a create
  // before it takes the index's locks, and installs the user after (no
  // index lock is held across the journal's round trip). Default: false
  // (the index's locks make the check, as for a journal one Store owns).
  virtual bool ChecksIdentities() const { return false; }
  // Whether the journal stores the feed's events (the `event` arguments).
  // A journal that does not (a shared database: PgJournal) gets null
  // events, and the Store appends each event to its memory feed once the
  // write succeeded, so a failed write (routine there: 409, 503) takes no
  // sequence and stops nothing. Default: true.
  virtual bool StoresEvents() const { return true; }
  // A role added.
  virtual absl::Status PutRole(const Role& role) = 0;
  // The account's Conversations Configuration (configuration.h) replaced by
  // `configuration` (account_sid not stored: the Store's), as its revision
  // `revision` (1 for the first update; each update adds 1). Called with
  // the Store's Configuration updates serialised. A journal shared by
  // several Stores writes only when the stored revision is still
  // `revision - 1` (none stored: 0), and fails with 409/20409 otherwise
  // (another Store updated it first).
  virtual absl::Status PutConfiguration(const Configuration& configuration, uint64_t revision) = 0;
  // A user created, or its persistent fields changed (presence is runtime
  // state: implementations should not persist `online` / `notifiable`).
  // `event`: null, or the change's feed event, written with it.
  virtual absl::Status PutUser(std::string_view service_sid, const UserRecord& record,
                               const JournalEvent* event) = 0;
  // An existing user's persistent fields changed: `record` replaces the
  // version whose revision was `previous_revision` (what this Store held).
  // A journal shared by several Stores (src/shared/pg_journal.h) writes only
  // when the stored revision is still `previous_revision`, and fails with
  // 409/20409 otherwise (another Store changed the user first). The default
  // is PutUser: a journal owned by one Store needs no guard (and JournalWrapper
  // does not override it, so a test wrapper's PutUser sees updates too).
  virtual absl::Status UpdateUser(std::string_view service_sid, const UserRecord& record,
                                  uint64_t previous_revision, const JournalEvent* event) {
    (void)previous_revision;
    return PutUser(service_sid, record, event);
  }
  // Users imported or replaced by an import (Store::ImportUsers): every
  // record in one atomic write (all of them reach the disk or none), synced
  // once. Called with every lock of the Service's index held. `events`:
  // empty, or one per record (the same order).
  virtual absl::Status PutUsers(std::string_view service_sid,
                                const std::vector<const UserRecord*>& records,
                                const std::vector<JournalEvent>& events) = 0;
  // A user deleted: its record goes and its SID is remembered as deleted
  // (never used again, restored as such: RestoreTarget::RestoreDeletedSid).
  // `event`: as PutUser's (the user as it was).
  virtual absl::Status DeleteUser(std::string_view service_sid, const UserRecord& record,
                                  const JournalEvent* event) = 0;
  // A feed event alone (a presence change: presence itself is not stored).
  virtual absl::Status PutEvent(std::string_view service_sid, const UserRecord& record,
                                const JournalEvent& event) = 0;

  // ---- push Bindings (store/binding_index.h) ----
  // Called under the user's SID shard lock, `user` as the change leaves it
  // (its is_notifiable included); `event`: null, or the user's
  // is_notifiable event, written with the change. The defaults fail
  // (500/20500): a journal that keeps no Bindings (a shared Store's, whose
  // Store refuses Binding calls with 501/20501 before any journal call).
  //
  // A Binding registered or re-registered (the whole Binding); the user
  // holds one, so the mark that it had Bindings and holds none goes.
  virtual absl::Status PutBinding(std::string_view service_sid, const BindingRecord& binding,
                                  const UserRecord& user, const JournalEvent* event) {
    (void)service_sid, (void)binding, (void)user, (void)event;
    return absl::InternalError("this journal keeps no push Bindings");
  }
  // A Binding deleted: its SID is remembered as deleted (never used again)
  // and, when it was the user's last (user.notifiable false), the user is
  // marked as having had Bindings.
  virtual absl::Status DeleteBinding(std::string_view service_sid, const BindingRecord& binding,
                                     const UserRecord& user, const JournalEvent* event) {
    (void)service_sid, (void)binding, (void)user, (void)event;
    return absl::InternalError("this journal keeps no push Bindings");
  }
  // A user deleted (as DeleteUser) with its Bindings `bindings` and its
  // mark, in one atomic write. The Store calls it instead of DeleteUser for
  // a user that holds Bindings or had some (notifiable false).
  virtual absl::Status DeleteUserAndBindings(std::string_view service_sid, const UserRecord& user,
                                             const std::vector<BindingRecord>& bindings,
                                             const JournalEvent* event) {
    (void)service_sid, (void)user, (void)bindings, (void)event;
    return absl::InternalError("this journal keeps no push Bindings");
  }

  // ---- reading and trimming the feed ----
  // Calls `visit` with the stored events after `after`, in order, at most
  // `max`, stopping before the first sequence not stored (trimmed, or not
  // yet written). Returns the last sequence visited (`after` when none).
  // Errors: 500/20500 a read error or an event that does not decode.
  virtual absl::StatusOr<uint64_t> ReadEvents(
      std::string_view service_sid, uint64_t after, size_t max,
      absl::FunctionRef<void(const FeedEvent&)> visit) const = 0;
  // The first sequence in [from, to] whose event time is at least
  // `cutoff_micros` (to + 1 when none). O(events before it).
  virtual absl::StatusOr<uint64_t> FirstEventSince(std::string_view service_sid, uint64_t from,
                                                   uint64_t to, int64_t cutoff_micros) const = 0;
  // Removes the stored events before `first` and records the marks (first;
  // `checkpoint`: every event up to it is stored, with no hole).
  virtual absl::Status TrimEvents(std::string_view service_sid, uint64_t first,
                                  uint64_t checkpoint) = 0;
};

// A Journal that forwards every call to `inner` (as rocksdb::EnvWrapper):
// tests override the calls they watch or fail.
class JournalWrapper : public Journal {
 public:
  explicit JournalWrapper(std::unique_ptr<Journal> inner) : inner_(std::move(inner)) {}
  absl::Status PutService(const Service& service, const std::vector<Role>& roles) override {
    return inner_->PutService(service, roles);
  }
  absl::Status PutRole(const Role& role) override { return inner_->PutRole(role); }
  absl::Status PutConfiguration(const Configuration& configuration, uint64_t revision) override {
    return inner_->PutConfiguration(configuration, revision);
  }
  absl::Status PutIndexedAttribute(std::string_view service_sid, std::string_view key) override {
    return inner_->PutIndexedAttribute(service_sid, key);
  }
  absl::Status PutUser(std::string_view service_sid, const UserRecord& record,
                       const JournalEvent* event) override {
    return inner_->PutUser(service_sid, record, event);
  }
  absl::Status PutUsers(std::string_view service_sid, const std::vector<const UserRecord*>& records,
                        const std::vector<JournalEvent>& events) override {
    return inner_->PutUsers(service_sid, records, events);
  }
  absl::Status DeleteUser(std::string_view service_sid, const UserRecord& record,
                          const JournalEvent* event) override {
    return inner_->DeleteUser(service_sid, record, event);
  }
  absl::Status PutEvent(std::string_view service_sid, const UserRecord& record,
                        const JournalEvent& event) override {
    return inner_->PutEvent(service_sid, record, event);
  }
  absl::Status PutBinding(std::string_view service_sid, const BindingRecord& binding,
                          const UserRecord& user, const JournalEvent* event) override {
    return inner_->PutBinding(service_sid, binding, user, event);
  }
  absl::Status DeleteBinding(std::string_view service_sid, const BindingRecord& binding,
                             const UserRecord& user, const JournalEvent* event) override {
    return inner_->DeleteBinding(service_sid, binding, user, event);
  }
  absl::Status DeleteUserAndBindings(std::string_view service_sid, const UserRecord& user,
                                     const std::vector<BindingRecord>& bindings,
                                     const JournalEvent* event) override {
    return inner_->DeleteUserAndBindings(service_sid, user, bindings, event);
  }
  absl::StatusOr<uint64_t> ReadEvents(
      std::string_view service_sid, uint64_t after, size_t max,
      absl::FunctionRef<void(const FeedEvent&)> visit) const override {
    return inner_->ReadEvents(service_sid, after, max, visit);
  }
  absl::StatusOr<uint64_t> FirstEventSince(std::string_view service_sid, uint64_t from, uint64_t to,
                                           int64_t cutoff_micros) const override {
    return inner_->FirstEventSince(service_sid, from, to, cutoff_micros);
  }
  absl::Status TrimEvents(std::string_view service_sid, uint64_t first,
                          uint64_t checkpoint) override {
    return inner_->TrimEvents(service_sid, first, checkpoint);
  }

 private:
  const std::unique_ptr<Journal> inner_;
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_JOURNAL_H_
