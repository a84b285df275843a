// Replicator: the stream that keeps a shared Store's in-process index a
// replica of PostgreSQL (docs/scale-out.md, "Logical decoding").
//
//   Start   on a replication connection (libpq, replication=database):
//           DROP_REPLICATION_SLOT of the name's previous run, then
//           CREATE_REPLICATION_SLOT <slot> LOGICAL pgoutput (SNAPSHOT
//           'export'); `load` reads the state through that snapshot (on
//           another connection) while this one waits. Begin then starts
//           the thread, streaming from the slot's consistent point.
//   thread  START_REPLICATION ... (proto_version '1', publication_names
//           'userstore'); each transaction is buffered from Begin to Commit
//           and applied whole through the ReplicaTarget (store/replica.h),
//           then its end LSN becomes `applied` and is confirmed to the
//           server (Standby status update: written = flushed = applied) at
//           least every second and whenever the server asks. A keepalive
//           outside a transaction moves `applied` to the server's sent
//           position (nothing committed before it is left to apply).
//           A dropped connection is retried with backoff (100 ms .. 5 s)
//           from the last applied position; the slot keeps the WAL.
//   ~       stops the thread, ends the stream and drops the slot.
//
// Thread-safety: thread-safe; one thread of its own.
#ifndef USERSTORE_SRC_SHARED_REPLICA_H_
#define USERSTORE_SRC_SHARED_REPLICA_H_

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "shared/pg.h"
#include "shared/pgoutput.h"
#include "shared/rows.h"
#include "store/replica.h"

namespace userstore::internal::shared {

class Replicator final : public ReplicaSource {
 public:
  // The tables this replica applies (by their name in a Relation message).
  enum class Table { kOther, kServices, kRoles, kUsers, kDeleted, kConfiguration };

  // `slot`: the replication slot's name (validated by the caller).
  // `load(snapshot)`: loads the state as of the exported snapshot `snapshot`
  // (SET TRANSACTION SNAPSHOT) into `target`. Errors: 503/20503 unreachable
  // or refused (a role without REPLICATION, wal_level not logical);
  // 409/20409 (kAlreadyExists) a running Store streams from `slot`; load's.
  static absl::StatusOr<std::unique_ptr<Replicator>> Start(
      const std::string& conninfo, const std::string& slot, const std::string& account_sid,
      ReplicaTarget* target, absl::FunctionRef<absl::Status(const std::string&)> load);
  ~Replicator() override;
  // Starts the thread that streams (once, after the Store's journal is set:
  // it applies changes to the Store).
  void Begin();

  absl::StatusOr<uint64_t> SharedPosition() override;
  absl::Status WaitForPosition(uint64_t position, absl::Duration timeout) override;
  ReplicaStatus Status() const override;

 private:
  struct Conn {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  using ConnPtr = std::unique_ptr<PGconn, Conn>;
  struct Relation {
    Table table = Table::kOther;
    std::vector<int> canonical;  // the stream's column i -> the rows.h index (-1: unused)
    size_t width = 0;            // columns in the canonical order
  };
  // One change of the transaction being received, its cells owned.
  struct Change {
    Table table;
    PgMessage::Kind kind;
    std::vector<Cell::Kind> kinds;
    std::vector<std::string> texts;
  };

  Replicator(std::string conninfo, std::string slot, std::string account_sid, ReplicaTarget* target,
             ConnPtr conn, uint64_t start);
  static absl::StatusOr<ConnPtr> Connect(const std::string& conninfo);
  void Run();
  // START_REPLICATION on conn_ and the receive loop, until an error or stop.
  absl::Status Stream();
  absl::Status Receive(std::string_view data);
  absl::Status OnMessage(const PgMessage& m, uint64_t wal_start);
  // Applies `pending_` (one committed transaction).
  void ApplyTransaction(absl::Time commit_time);
  absl::Status SendStatus(bool reply_requested);
  void Advance(uint64_t position) ABSL_LOCKS_EXCLUDED(mu_);
  void NoteError(const absl::Status& s, bool apply) ABSL_LOCKS_EXCLUDED(mu_);
  bool Stopping() const ABSL_LOCKS_EXCLUDED(mu_);
  // Ends the stream and drops the slot (the destructor; best effort).
  void DropSlot();

  const std::string conninfo_;
  const std::string slot_;
  const std::string account_sid_;
  ReplicaTarget* const target_;
  PgPool pool_;  // SharedPosition, and the slot's drop when conn_ is gone

  // The stream's state: the thread's alone.
  ConnPtr conn_;
  absl::flat_hash_map<uint32_t, Relation> relations_;
  std::vector<Change> pending_;
  bool in_transaction_ = false;
  absl::Time last_status_sent_ = absl::InfinitePast();
  bool streaming_ = false;  // conn_ is in COPY BOTH mode

  mutable Mutex mu_;
  CondVar changed_;  // applied_ moved, or stop_
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool want_reply_ ABSL_GUARDED_BY(mu_) = false;  // a waiter wants the server's position
  ReplicaStatus status_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // started by Begin
};

}  // namespace userstore::internal::shared

#endif  // USERSTORE_SRC_SHARED_REPLICA_H_
