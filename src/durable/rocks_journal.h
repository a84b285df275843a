// RocksJournal: the Journal (store/journal.h) of a durable Store, writing
// each change as one RocksDB WriteBatch in the layout of durable/codec.h;
// and the helpers that open a store directory's RocksDB.
//
// Write path: the Store calls the journal under the locks that order the
// change in memory; the journal encodes it, writes one batch (the WAL append
// is atomic; with `sync` the WAL is fsync'ed, concurrent writers sharing one
// fsync through RocksDB's group commit) and returns. An error leaves memory
// unchanged (the Store applies the change only after OK), and the journal
// then refuses every later write (fail-stop, see failed_) until the Store is
// reopened; reads keep working.
//
// Thread-safety: RocksJournal is thread-safe; the DB handle is too.
#ifndef USERSTORE_SRC_DURABLE_ROCKS_JOURNAL_H_
#define USERSTORE_SRC_DURABLE_ROCKS_JOURNAL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "durable/directory.h"
#include "rocksdb/db.h"
#include "sid/sid.h"
#include "store/journal.h"

namespace userstore::internal::durable {

// How to open a store directory.
struct RocksOpen {
  bool read_only = false;       // no LOCK taken, nothing written (check, stats)
  bool create = false;          // create the directory (mode 0700) and the DB if missing
  rocksdb::Env* env = nullptr;  // null: rocksdb::Env::Default(); tests inject faults
};

// An open store directory: its RocksDB and, unless read-only, this process's
// claim on the directory (directory.h), released after the DB is closed.
// Movable; the DB closes when the StoreDb dies.
class StoreDb {
 public:
  StoreDb(std::unique_ptr<DirectoryClaim> claim, std::unique_ptr<rocksdb::DB> db)
      : claim_(std::move(claim)), db_(std::move(db)) {}
  rocksdb::DB* get() const { return db_.get(); }
  rocksdb::DB* operator->() const { return db_.get(); }

 private:
  std::unique_ptr<DirectoryClaim> claim_;  // declared first: released last
  std::unique_ptr<rocksdb::DB> db_;
};

// Opens the RocksDB in `path` (docs/durable.md, "Opening" and "Damage"):
//  - a missing or empty directory (or one whose creation was interrupted
//    before RocksDB wrote `CURRENT`, with no data file) is created into, only
//    when `how.create`; a directory is created with mode 0700;
//  - anything else must be a complete store: it is opened without
//    create_if_missing, so RocksDB never initialises over it;
//  - a writable open makes the directory 0700 and its files 0600;
//  - the write-ahead log is recovered with kTolerateCorruptedTailRecords: a
//    torn final record (a write never acknowledged) is dropped, any other
//    damage fails the open;
//  - RocksDB's informational log goes to a logger of ours (errors to
//    stderr), not to a LOG file: on a full disk RocksDB's own file logger
//    aborts the process.
// Errors (all 500/20500): kFailedPrecondition when the directory is already
// open (this process, under any spelling, or another process), when it holds
// files that are not RocksDB's (a mistyped path), when it does not exist (or
// is empty) and !create, or when its modes cannot be made private;
// kDataLoss when it is a damaged store (no `CURRENT` beside data files, a
// missing or truncated table or MANIFEST, a corrupt log record): nothing in
// the directory is changed then; kUnavailable other I/O errors.
absl::StatusOr<StoreDb> OpenRocks(std::string_view path, const RocksOpen& how);

// Read options for a scan that visits each key once (recovery, check,
// stats): no block cache pollution, kScanReadaheadBytes of readahead.
inline constexpr size_t kScanReadaheadBytes = 2 << 20;
rocksdb::ReadOptions ScanOptions();

// A RocksDB status as a userstore error (500/20500): kDataLoss for
// corruption, kUnavailable for the rest. `what` says what was being done.
absl::Status FromRocks(const rocksdb::Status& status, std::string_view what);

// The events of Service `service` stored in `db` after `after`, as
// Journal::ReadEvents (also for read-only readers: StoreReader, check).
absl::StatusOr<uint64_t> ReadStoredEvents(rocksdb::DB* db, const SidBytes& service, uint64_t after,
                                          size_t max,
                                          absl::FunctionRef<void(const FeedEvent&)> visit);

class RocksJournal final : public Journal {
 public:
  // `next_role_index`: per Service, the index its next role gets (the count
  // of roles already stored), as recovery found it.
  // `flush_on_close`: DurableOptions::flush_on_close.
  RocksJournal(StoreDb db, bool sync, bool flush_on_close,
               absl::flat_hash_map<SidBytes, uint64_t> next_role_index);
  // Syncs the WAL (so a clean close is durable even with sync = false),
  // flushes the memtable to a table file when `flush_on_close` (the next
  // open replays no log) and closes the DB. A Store whose write failed only
  // closes.
  ~RocksJournal() override;

  // Errors of each: 500/20500 kUnavailable (or kDataLoss) when the write
  // fails or an earlier one did.
  absl::Status PutService(const Service& service, const std::vector<Role>& roles) override;
  absl::Status PutRole(const Role& role) override;
  // One WriteBatch: c/configuration.
  absl::Status PutConfiguration(const Configuration& configuration, uint64_t revision) override;
  // One WriteBatch: a/<IS> put, or deleted for "".
  absl::Status PutIndexedAttribute(std::string_view service_sid, std::string_view key) override;
  // Each change is one WriteBatch, its event (e/ key) included.
  absl::Status PutUser(std::string_view service_sid, const UserRecord& record,
                       const JournalEvent* event) override;
  // One WriteBatch of every record (u/ keys), written and synced once.
  absl::Status PutUsers(std::string_view service_sid, const std::vector<const UserRecord*>& records,
                        const std::vector<JournalEvent>& events) override;
  // One WriteBatch: the u/ key deleted, the sequence merged into h/, the
  // SID put as d/<IS><US>.
  absl::Status DeleteUser(std::string_view service_sid, const UserRecord& record,
                          const JournalEvent* event) override;
  absl::Status PutEvent(std::string_view service_sid, const UserRecord& record,
                        const JournalEvent& event) override;
  // Push Bindings (durable/binding_codec.h), each one WriteBatch with the
  // user's event: b/ put and n/ deleted; b/ deleted, g/ put, the sequence
  // merged into h/, n/ put when it was the user's last; and DeleteUser's
  // batch plus those of every Binding of the user and n/ deleted.
  absl::Status PutBinding(std::string_view service_sid, const BindingRecord& binding,
                          const UserRecord& user, const JournalEvent* event) override;
  absl::Status DeleteBinding(std::string_view service_sid, const BindingRecord& binding,
                             const UserRecord& user, const JournalEvent* event) override;
  absl::Status DeleteUserAndBindings(std::string_view service_sid, const UserRecord& user,
                                     const std::vector<BindingRecord>& bindings,
                                     const JournalEvent* event) override;
  absl::StatusOr<uint64_t> ReadEvents(
      std::string_view service_sid, uint64_t after, size_t max,
      absl::FunctionRef<void(const FeedEvent&)> visit) const override;
  absl::StatusOr<uint64_t> FirstEventSince(std::string_view service_sid, uint64_t from, uint64_t to,
                                           int64_t cutoff_micros) const override;
  // One WriteBatch: DeleteRange of the e/ keys before `first`, the f/ marks.
  absl::Status TrimEvents(std::string_view service_sid, uint64_t first,
                          uint64_t checkpoint) override;

  rocksdb::DB* db() const { return db_.get(); }

 private:
  absl::Status Write(rocksdb::WriteBatch* batch);  // with write_options_
  absl::Status Write(rocksdb::WriteBatch* batch, const rocksdb::WriteOptions& options);

  const StoreDb db_;
  const bool flush_on_close_;
  rocksdb::WriteOptions write_options_;
  // Set by the first failed write; from then on every write fails. A failed
  // batch may still have reached the log (e.g. the fsync failed after the
  // append): memory, which did not apply it, may now lag the disk, and a
  // later write built on memory (a retried create) could contradict it.
  // Refusing writes until the Store is reopened (and rebuilt from the disk)
  // rules that out.
  std::atomic<bool> failed_{false};
  // Role writes are rare: one lock orders them and their indices.
  SharedMutex roles_mu_;
  absl::flat_hash_map<SidBytes, uint64_t> next_role_index_ ABSL_GUARDED_BY(roles_mu_);
};

}  // namespace userstore::internal::durable

#endif  // USERSTORE_SRC_DURABLE_ROCKS_JOURNAL_H_
