#include "durable/rocks_journal.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "durable/binding_codec.h"
#include "durable/codec.h"
#include "durable/errors.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/metadata.h"
#include "rocksdb/write_batch.h"
#include "userstore/error.h"

// ThreadSanitizer builds: see RocksJournal::Write.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define USERSTORE_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define USERSTORE_TSAN 1
#endif

namespace userstore::internal::durable {
namespace {

// h/<IS> values: 8-byte little-endian sequences combined with max, so
// concurrent deletes need no read-modify-write and no ordering.
class MaxSequenceMerge final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    uint64_t a = 0;
    uint64_t b = 0;
    if (existing != nullptr && !DecodeSequence(existing->ToStringView(), &a)) return false;
    if (!DecodeSequence(value.ToStringView(), &b)) return false;
    *new_value = EncodeSequence(std::max(a, b));
    return true;
  }
  const char* Name() const override { return "userstore.MaxSequence"; }
};

// RocksDB's informational log. Its own file logger (LOG in the directory)
// asserts, and so aborts the process in Debian's build, when it writes after
// a failed write: on a full disk the first failed user write killed the
// host. Ours writes nothing to the directory: errors and worse go to stderr,
// and the last warnings that mention corruption are kept, because RocksDB's
// status for a damaged log says "checksum mismatch" without naming the file
// (its warning does: "000004.log: dropping 3262 bytes; Corruption: ...").
class StderrLogger final : public rocksdb::Logger {
 public:
  StderrLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::WARN_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char line[1024];
    std::vsnprintf(line, sizeof(line), format, ap);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      std::fprintf(stderr, "userstore: rocksdb: %s\n", line);
    }
    if (absl::StrContains(line, "Corruption")) {
      WriterLock lock(&mu_);
      if (corruption_.size() < kKept) corruption_.emplace_back(line);
    }
  }
  // The first warnings about corruption, joined.
  std::string Corruption() {
    ReaderLock lock(&mu_);
    return absl::StrJoin(corruption_, "; ");
  }

 private:
  static constexpr size_t kKept = 4;
  SharedMutex mu_;
  std::vector<std::string> corruption_ ABSL_GUARDED_BY(mu_);
};

// The kinds of DirectoryState that RocksDB may create a database in.
bool MayCreateIn(DirectoryState state) {
  return state == DirectoryState::kMissing || state == DirectoryState::kEmpty ||
         state == DirectoryState::kIncomplete;
}

// Refuses what is not a complete store (or may not be created into).
absl::Status CheckOpenable(const std::string& dir, const DirectoryInspection& found,
                           const RocksOpen& how) {
  switch (found.state) {
    case DirectoryState::kStore:
      return absl::OkStatus();
    case DirectoryState::kMissing:
    case DirectoryState::kEmpty:
    case DirectoryState::kIncomplete:
      if (how.create && !how.read_only) return absl::OkStatus();
      return Error(absl::StatusCode::kFailedPrecondition,
                   "no userstore directory at " + dir +
                       (found.state == DirectoryState::kMissing ? "" : " (no store in it)"));
    case DirectoryState::kDamaged:
      return Error(absl::StatusCode::kDataLoss,
                   "userstore directory " + dir + " is damaged: " + found.detail +
                       "; refusing to open it (nothing was changed; restore the missing file "
                       "or the directory from a backup)");
    case DirectoryState::kForeign:
      return Error(absl::StatusCode::kFailedPrecondition,
                   dir + " holds files that are not userstore's (" + found.detail +
                       "): not a store directory");
  }
  return Error(absl::StatusCode::kInternal, "unknown directory state");
}

}  // namespace

rocksdb::ReadOptions ScanOptions() {
  rocksdb::ReadOptions read;
  read.fill_cache = false;  // a one-time scan: do not evict anything for it
  read.readahead_size = kScanReadaheadBytes;
  return read;
}

absl::Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
  const std::string message = std::string(what) + ": " + status.ToString();
  if (status.IsCorruption()) return Error(absl::StatusCode::kDataLoss, message);
  return Error(absl::StatusCode::kUnavailable, message);
}

namespace {

rocksdb::Options RocksOptions(const RocksOpen& how, std::shared_ptr<rocksdb::Logger> logger) {
  rocksdb::Options options;
  options.merge_operator = std::make_shared<MaxSequenceMerge>();
  if (how.env != nullptr) options.env = how.env;
  options.info_log = std::move(logger);
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  options.max_background_jobs = 2;
  // Reads are served from memory: the memtable is only a write buffer.
  options.write_buffer_size = 32 << 20;
  // LZ4 (RocksDB's default is Snappy): table files of about the same size,
  // decompressed about twice as fast, which is what a full scan (Store::Open,
  // export, check) spends on the files. Files written before keep theirs:
  // each file names its own compression.
  options.compression = rocksdb::kLZ4Compression;
  return options;
}

// A failed open as a userstore error.
absl::Status OpenError(const std::string& dir, const rocksdb::Status& s, StderrLogger* logger) {
  // PosixEnv: "While lock file: DIR/LOCK: Resource temporarily unavailable"
  // (another process); "lock hold by current process" (this one).
  const std::string text = s.ToString();
  if (s.IsIOError() && (absl::StrContains(text, "While lock file") ||
                        absl::StrContains(text, "lock hold by current process"))) {
    return Error(absl::StatusCode::kFailedPrecondition,
                 "userstore directory " + dir +
                     " is already open (by this or another process; one at a time): " + text);
  }
  // Corruption, or a file the MANIFEST names is gone: damaged, not busy.
  if (s.IsCorruption() || s.IsPathNotFound()) {
    const std::string detail = logger->Corruption();
    return Error(absl::StatusCode::kDataLoss,
                 "userstore directory " + dir + " is damaged: " + text +
                     (detail.empty() ? "" : " (" + detail + ")") + "; nothing was changed");
  }
  return FromRocks(s, "cannot open userstore directory " + dir);
}

// Tables in the directory that the MANIFEST does not reference are deleted
// by a writable open as leftovers of an interrupted flush. When the store
// then reads as empty, they are not leftovers: the MANIFEST lost them.
absl::Status VerifyTables(const std::string& dir, rocksdb::DB* db) {
  std::vector<rocksdb::LiveFileMetaData> live;
  db->GetLiveFilesMetaData(&live);
  absl::flat_hash_set<std::string> referenced;
  for (const rocksdb::LiveFileMetaData& f : live) referenced.insert(f.relative_filename);
  std::string orphan;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (absl::EndsWith(name, ".sst") && !referenced.contains(name)) orphan = name;
  }
  if (orphan.empty()) return absl::OkStatus();
  std::unique_ptr<rocksdb::Iterator> keys(db->NewIterator(rocksdb::ReadOptions()));
  keys->SeekToFirst();
  if (keys->Valid() || !keys->status().ok()) return absl::OkStatus();
  return Error(absl::StatusCode::kDataLoss,
               "userstore directory " + dir + " is damaged: it reads as empty but holds " + orphan +
                   ", a table its MANIFEST does not name (a damaged MANIFEST); "
                   "nothing was changed");
}

}  // namespace

absl::StatusOr<StoreDb> OpenRocks(std::string_view path, const RocksOpen& how) {
  const std::string dir(path);
  // Judged before RocksDB touches anything; a missing directory is made
  // first, since a claim needs its device and inode.
  USERSTORE_ASSIGN_OR_RETURN(DirectoryInspection found, InspectDirectory(dir));
  USERSTORE_RETURN_IF_ERROR(CheckOpenable(dir, found, how));
  if (found.state == DirectoryState::kMissing) {
    // 0700: the directory holds the page-token key.
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return Error(absl::StatusCode::kUnavailable,
                   "cannot create " + dir + ": " + std::strerror(errno));
    }
  }
  std::unique_ptr<DirectoryClaim> claim;
  if (!how.read_only) {
    USERSTORE_ASSIGN_OR_RETURN(claim, DirectoryClaim::Acquire(dir));
    // Inspected again under the claim: another thread of this process may
    // have created the store in between.
    USERSTORE_ASSIGN_OR_RETURN(found, InspectDirectory(dir));
    USERSTORE_RETURN_IF_ERROR(CheckOpenable(dir, found, how));
  }

  auto logger = std::make_shared<StderrLogger>();
  rocksdb::Options options = RocksOptions(how, logger);
  rocksdb::DB* raw = nullptr;
  std::unique_ptr<rocksdb::DB> db;
  if (found.state == DirectoryState::kStore) {
    // A read-only open first: it changes no file, so a damaged store is
    // refused before a writable open could repair it by deleting files.
    if (!how.read_only && LockedByAnotherProcess(dir)) {
      return Error(absl::StatusCode::kFailedPrecondition,
                   "userstore directory " + dir +
                       " is already open (by this or another process; one at a time)");
    }
    rocksdb::Status s;
    // A running Store may replace its MANIFEST between the read of CURRENT
    // and the open of the file it names: a vanished file is read again.
    for (int attempt = 0; attempt < 3; ++attempt) {
      s = rocksdb::DB::OpenForReadOnly(options, dir, &raw);
      if (!s.IsPathNotFound()) break;
    }
    if (!s.ok()) return OpenError(dir, s, logger.get());
    db.reset(raw);
    USERSTORE_RETURN_IF_ERROR(VerifyTables(dir, db.get()));
    if (how.read_only) return StoreDb(nullptr, std::move(db));
    db.reset();
  }
  USERSTORE_RETURN_IF_ERROR(MakePrivate(dir));
  options.create_if_missing = how.create && MayCreateIn(found.state);
  const rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) return OpenError(dir, s, logger.get());
  return StoreDb(std::move(claim), std::unique_ptr<rocksdb::DB>(raw));
}

RocksJournal::RocksJournal(StoreDb db, bool sync, bool flush_on_close,
                           absl::flat_hash_map<SidBytes, uint64_t> next_role_index)
    : db_(std::move(db)), flush_on_close_(flush_on_close) {
  write_options_.sync = sync;
  WriterLock lock(&roles_mu_);
  next_role_index_ = std::move(next_role_index);
}

RocksJournal::~RocksJournal() {
  // After a failed write RocksDB refuses (and its debug build asserts on)
  // further log operations: only a healthy log is synced.
  if (!failed_.load()) {
    if (!write_options_.sync) db_->SyncWAL().PermitUncheckedError();
    // The memtable goes to a table file, so the next open (a Store's,
    // StoreReader's, CheckStore's) replays no log: without it every
    // read-only open re-inserts the whole log into a memtable, which made an
    // export of a just-imported store spend half its time replaying.
    if (flush_on_close_) {
      rocksdb::FlushOptions flush;
      flush.wait = true;
      db_->Flush(flush).PermitUncheckedError();
    }
  }
  db_->Close().PermitUncheckedError();
}

absl::Status RocksJournal::Write(rocksdb::WriteBatch* batch) {
  return Write(batch, write_options_);
}

absl::Status RocksJournal::Write(rocksdb::WriteBatch* batch, const rocksdb::WriteOptions& options) {
  if (failed_.load(std::memory_order_acquire)) {
    return Error(absl::StatusCode::kUnavailable,
                 "an earlier write to the store's directory failed: the Store accepts no "
                 "more writes until it is reopened");
  }
#ifdef USERSTORE_TSAN
  // Debian's librocksdb is not instrumented: TSan cannot see the atomics with
  // which RocksDB's write group hands batches and the log buffer between
  // threads, and reports them as races. Under TSan only, writes go through
  // one at a time, which TSan does see; everything of ours stays checked.
  static std::mutex* const tsan_write_mu = new std::mutex;
  std::lock_guard<std::mutex> tsan_lock(*tsan_write_mu);
#endif
  absl::Status s = FromRocks(db_->Write(options, batch), "userstore write failed");
  if (!s.ok()) failed_.store(true, std::memory_order_release);
  return s;
}

absl::Status RocksJournal::PutService(const Service& service, const std::vector<Role>& roles) {
  const std::optional<SidBytes> sid = ParseSid(service.sid, "IS");
  if (!sid) return Error(absl::StatusCode::kInternal, "journal: malformed Service SID");
  rocksdb::WriteBatch batch;
  batch.Put(ServiceKey(*sid), EncodeService(service));
  WriterLock lock(&roles_mu_);
  uint64_t next = 0;
  if (auto it = next_role_index_.find(*sid); it != next_role_index_.end()) next = it->second;
  for (const Role& role : roles) batch.Put(RoleKey(*sid, next++), EncodeRole(role));
  USERSTORE_RETURN_IF_ERROR(Write(&batch));
  next_role_index_[*sid] = next;
  return absl::OkStatus();
}

absl::Status RocksJournal::PutRole(const Role& role) {
  const std::optional<SidBytes> sid = ParseSid(role.service_sid, "IS");
  if (!sid) return Error(absl::StatusCode::kInternal, "journal: malformed Service SID");
  WriterLock lock(&roles_mu_);
  uint64_t& next = next_role_index_[*sid];
  rocksdb::WriteBatch batch;
  batch.Put(RoleKey(*sid, next), EncodeRole(role));
  USERSTORE_RETURN_IF_ERROR(Write(&batch));
  ++next;
  return absl::OkStatus();
}

absl::Status RocksJournal::PutConfiguration(const Configuration& configuration, uint64_t revision) {
  rocksdb::WriteBatch batch;
  batch.Put(kConfigurationKey, EncodeConfiguration(configuration, revision));
  return Write(&batch);
}

absl::Status RocksJournal::PutIndexedAttribute(std::string_view service_sid, std::string_view key) {
  const std::optional<SidBytes> sid = ParseSid(service_sid, "IS");
  if (!sid) return Error(absl::StatusCode::kInternal, "journal: malformed Service SID");
  rocksdb::WriteBatch batch;
  if (key.empty()) {
    batch.Delete(IndexedAttributeKey(*sid));
  } else {
    batch.Put(IndexedAttributeKey(*sid), EncodeIndexedAttribute(key));
  }
  return Write(&batch);
}

namespace {

absl::StatusOr<SidBytes> ServiceBytes(std::string_view service_sid) {
  const std::optional<SidBytes> sid = ParseSid(service_sid, "IS");
  if (!sid) return Error(absl::StatusCode::kInternal, "journal: malformed Service SID");
  return *sid;
}

// Adds `event` of `record` to `batch` (a thread's buffer, capacity kept).
void PutEventIn(const SidBytes& service, const UserRecord& record, const JournalEvent& event,
                rocksdb::WriteBatch* batch) {
  thread_local std::string value;
  EncodeEvent(event.meta, record, &value);
  batch->Put(EventKey(service, event.sequence), value);
}

}  // namespace

absl::Status RocksJournal::PutUser(std::string_view service_sid, const UserRecord& record,
                                   const JournalEvent* event) {
  USERSTORE_ASSIGN_OR_RETURN(const SidBytes sid, ServiceBytes(service_sid));
  thread_local std::string value;
  EncodeUser(record, &value);
  rocksdb::WriteBatch batch(/*reserved_bytes=*/(event != nullptr ? 2 : 1) * value.size() + 128);
  batch.Put(UserRecordKey(sid, record.sequence), value);
  if (event != nullptr) PutEventIn(sid, record, *event, &batch);
  return Write(&batch);
}

absl::Status RocksJournal::PutUsers(std::string_view service_sid,
                                    const std::vector<const UserRecord*>& records,
                                    const std::vector<JournalEvent>& events) {
  USERSTORE_ASSIGN_OR_RETURN(const SidBytes sid, ServiceBytes(service_sid));
  if (records.empty()) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  std::string value;
  for (size_t i = 0; i < records.size(); ++i) {
    EncodeUser(*records[i], &value);
    batch.Put(UserRecordKey(sid, records[i]->sequence), value);
    if (!events.empty()) PutEventIn(sid, *records[i], events[i], &batch);
  }
  return Write(&batch);
}

namespace {

// A user's delete (RocksJournal::DeleteUser) into `batch`.
void DeleteUserIn(const SidBytes& sid, const UserRecord& record, const JournalEvent* event,
                  rocksdb::WriteBatch* batch_ptr) {
  rocksdb::WriteBatch& batch = *batch_ptr;
  batch.Delete(UserRecordKey(sid, record.sequence));
  // Remember the sequence and the revision (both from one counter, the
  // revision the larger), so that neither is handed out again after a
  // restart even if this user held the newest.
  batch.Merge(HighWaterKey(sid), EncodeSequence(std::max(record.sequence, record.revision)));
  // The SID is never used again, by a create (minted) or an import.
  batch.Put(DeletedKey(sid, record.sid), EncodeDeleted());
  if (event != nullptr) PutEventIn(sid, record, *event, &batch);
}

// A Binding's delete into `batch`: its key goes, its SID is remembered, its
// sequence joins the high water (never handed out again).
void DeleteBindingIn(const SidBytes& sid, const BindingRecord& binding,
                     rocksdb::WriteBatch* batch) {
  batch->Delete(BindingKey(sid, binding.sequence));
  batch->Put(DeletedBindingKey(sid, binding.sid), EncodeDeleted());
  batch->Merge(HighWaterKey(sid), EncodeSequence(binding.sequence));
}

}  // namespace

absl::Status RocksJournal::DeleteUser(std::string_view service_sid, const UserRecord& record,
                                      const JournalEvent* event) {
  USERSTORE_ASSIGN_OR_RETURN(const SidBytes sid, ServiceBytes(service_sid));
  rocksdb::WriteBatch batch;
  DeleteUserIn(sid, record, event, &batch);
  return Write(&batch);
}

absl::Status RocksJournal::PutBinding(std::string_view service_sid, const BindingRecord& binding,
                                      const UserRecord& user, const JournalEvent* event) {
  USERSTORE_ASSIGN_OR_RETURN(const SidBytes sid, ServiceBytes(service_sid));
  std::string value;
  EncodeBinding(binding, &value);
  rocksdb::WriteBatch batch;
  batch.Put(BindingKey(sid, binding.sequence), value);
  batch.Delete(NotifiedKey(sid, user.sid));  // it holds one now
  if (event != nullptr) PutEventIn(sid, user, *event, &batch);
  return Write(&batch);
}

absl::Status RocksJournal::DeleteBinding(std::string_view service_sid, const BindingRecord& binding,
                                         const UserRecord& user, const JournalEvent* event) {
  USERSTORE_ASSIGN_OR_RETURN(const SidBytes sid, ServiceBytes(service_sid));
  rocksdb::WriteBatch batch;
  DeleteBindingIn(sid, binding, &batch);
  if (user.notifiable == Presence::kFalse) batch.Put(NotifiedKey(sid, user.sid), EncodeDeleted());
  if (event != nullptr) PutEventIn(sid, user, *event, &batch);
  return Write(&batch);
}

absl::Status RocksJournal::DeleteUserAndBindings(std::string_view service_sid,
                                                 const UserRecord& user,
                                                 const std::vector<BindingRecord>& bindings,
                                                 const JournalEvent* event) {
  USERSTORE_ASSIGN_OR_RETURN(const SidBytes sid, ServiceBytes(service_sid));
  rocksdb::WriteBatch batch;
  DeleteUserIn(sid, user, event, &batch);
  for (const BindingRecord& binding : bindings) DeleteBindingIn(sid, binding, &batch);
  batch.Delete(NotifiedKey(sid, user.sid));
  return Write(&batch);
}

absl::Status RocksJournal::PutEvent(std::string_view service_sid, const UserRecord& record,
                                    const JournalEvent& event) {
  USERSTORE_ASSIGN_OR_RETURN(const SidBytes sid, ServiceBytes(service_sid));
  rocksdb::WriteBatch batch;
  PutEventIn(sid, record, event, &batch);
  return Write(&batch);
}

absl::StatusOr<uint64_t> RocksJournal::ReadEvents(
    std::string_view service_sid, uint64_t after, size_t max,
    absl::FunctionRef<void(const FeedEvent&)> visit) const {
  USERSTORE_ASSIGN_OR_RETURN(const SidBytes sid, ServiceBytes(service_sid));
  return ReadStoredEvents(db_.get(), sid, after, max, visit);
}

absl::StatusOr<uint64_t> RocksJournal::FirstEventSince(std::string_view service_sid, uint64_t from,
                                                       uint64_t to, int64_t cutoff_micros) const {
  USERSTORE_ASSIGN_OR_RETURN(const SidBytes sid, ServiceBytes(service_sid));
  uint64_t found = to + 1;
  bool done = false;
  // Reads until an event is recent enough (visit cannot stop the walk: it
  // skips the rest; each read is at most kTrimScan events).
  constexpr size_t kTrimScan = 4096;
  for (uint64_t after = from - 1; !done && after < to;) {
    const size_t max = static_cast<size_t>(std::min<uint64_t>(kTrimScan, to - after));
    USERSTORE_ASSIGN_OR_RETURN(
        const uint64_t last, ReadStoredEvents(db_.get(), sid, after, max, [&](const FeedEvent& e) {
          if (!done && e.meta.time_micros >= cutoff_micros) {
            found = e.sequence;
            done = true;
          }
        }));
    if (last == after) break;  // no more stored
    after = last;
  }
  return found;
}

absl::Status RocksJournal::TrimEvents(std::string_view service_sid, uint64_t first,
                                      uint64_t checkpoint) {
  USERSTORE_ASSIGN_OR_RETURN(const SidBytes sid, ServiceBytes(service_sid));
  rocksdb::WriteBatch batch;
  batch.DeleteRange(EventKey(sid, 0), EventKey(sid, first));
  batch.Put(FeedKey(sid), EncodeFeedMark(FeedMark{first, checkpoint}));
  // Not synced: a trim lost in a crash leaves events that were due to go
  // and an older checkpoint (recovery reads a little more), nothing worse.
  // The next synced write makes it durable anyway.
  rocksdb::WriteOptions unsynced = write_options_;
  unsynced.sync = false;
  return Write(&batch, unsynced);
}

absl::StatusOr<uint64_t> ReadStoredEvents(rocksdb::DB* db, const SidBytes& service, uint64_t after,
                                          size_t max,
                                          absl::FunctionRef<void(const FeedEvent&)> visit) {
  const std::string prefix = ServicePrefix(kEventPrefix, service);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  FeedEvent event;
  uint64_t expected = after + 1;
  for (it->Seek(EventKey(service, expected)); max > 0 && it->Valid(); it->Next(), --max) {
    SidBytes key_service;
    uint64_t sequence;
    if (!ParseEventKey(it->key().ToStringView(), &key_service, &sequence) ||
        key_service != service || sequence != expected) {
      break;
    }
    USERSTORE_RETURN_IF_ERROR(DecodeEvent(it->value().ToStringView(), sequence, &event));
    visit(event);
    ++expected;
  }
  USERSTORE_RETURN_IF_ERROR(FromRocks(it->status(), "reading the change feed"));
  return expected - 1;
}

}  // namespace userstore::internal::durable

#ifdef USERSTORE_TSAN
// The same blindness inside RocksDB itself: its background threads share
// blocks, caches and lazily made statics through atomics TSan cannot see.
// Races whose stacks pass through librocksdb (or libsnappy, which fills its
// blocks) are suppressed; every race between userstore's own accesses is
// still reported. (Not `called_from_lib`: that also hides librocksdb's
// malloc/free from TSan, which then confuses reused heap blocks.) Defined
// here, in an object every durable Store links; only TSan builds have it.
extern "C" const char* __tsan_default_suppressions() {
  return "race:librocksdb.so\nrace:libsnappy.so\n";
}
#endif
