#include "durable/rocks_journal.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <utility>

#include "absl/strings/match.h"
#include "common/status_macros.h"
#include "durable/codec.h"
#include "rocksdb/merge_operator.h"
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

absl::Status Error(absl::StatusCode code, std::string_view message) {
  return TwilioError(code, 500, twilio_code::kInternal, message);
}

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

// The files RocksDB keeps in a DB directory.
bool IsRocksFile(const std::string& name) {
  return name == "CURRENT" || name == "IDENTITY" || name == "LOCK" ||
         absl::StartsWith(name, "LOG") || absl::StartsWith(name, "MANIFEST-") ||
         absl::StartsWith(name, "OPTIONS-") || absl::EndsWith(name, ".log") ||
         absl::EndsWith(name, ".sst") || absl::EndsWith(name, ".blob") ||
         absl::EndsWith(name, ".dbtmp");
}

}  // namespace

absl::Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
  const std::string message = std::string(what) + ": " + status.ToString();
  if (status.IsCorruption()) return Error(absl::StatusCode::kDataLoss, message);
  return Error(absl::StatusCode::kUnavailable, message);
}

absl::StatusOr<std::unique_ptr<rocksdb::DB>> OpenRocks(std::string_view path,
                                                       const RocksOpen& how) {
  namespace fs = std::filesystem;
  const std::string dir(path);
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    if (!how.create) {
      return Error(absl::StatusCode::kFailedPrecondition,
                   "no userstore directory at " + dir);
    }
    // 0700: the directory holds the page-token key.
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return Error(absl::StatusCode::kUnavailable,
                   "cannot create " + dir + ": " + std::strerror(errno));
    }
  } else if (!fs::is_directory(dir, ec)) {
    return Error(absl::StatusCode::kFailedPrecondition, dir + " is not a directory");
  } else {
    // Refuse to scatter RocksDB files among someone else's (a mistyped path).
    // Only RocksDB's own names may be there (an interrupted creation leaves
    // some without CURRENT; RocksDB then starts afresh).
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (!IsRocksFile(entry.path().filename().string())) {
        return Error(absl::StatusCode::kFailedPrecondition,
                     dir + " holds files that are not userstore's (" +
                         entry.path().filename().string() + "): not a store directory");
      }
    }
  }

  rocksdb::Options options;
  options.create_if_missing = how.create;
  options.merge_operator = std::make_shared<MaxSequenceMerge>();
  if (how.env != nullptr) options.env = how.env;
  options.max_background_jobs = 2;
  options.keep_log_file_num = 3;
  // Reads are served from memory: the memtable is only a write buffer.
  options.write_buffer_size = 32 << 20;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = how.read_only
                                ? rocksdb::DB::OpenForReadOnly(options, dir, &raw)
                                : rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) {
    // PosixEnv: "While lock file: DIR/LOCK: Resource temporarily unavailable"
    // (another process); "lock hold by current process" (this one).
    const std::string text = s.ToString();
    if (s.IsIOError() && (absl::StrContains(text, "While lock file") ||
                          absl::StrContains(text, "lock hold by current process"))) {
      return Error(absl::StatusCode::kFailedPrecondition,
                   "userstore directory " + dir +
                       " is already open (by this or another process; one at a time): " +
                       text);
    }
    return FromRocks(s, "cannot open userstore directory " + dir);
  }
  return std::unique_ptr<rocksdb::DB>(raw);
}

RocksJournal::RocksJournal(std::unique_ptr<rocksdb::DB> db, bool sync,
                           absl::flat_hash_map<SidBytes, uint64_t> next_role_index)
    : db_(std::move(db)) {
  write_options_.sync = sync;
  WriterLock lock(&roles_mu_);
  next_role_index_ = std::move(next_role_index);
}

RocksJournal::~RocksJournal() {
  // After a failed write RocksDB refuses (and its debug build asserts on)
  // further log operations: only a healthy log is synced.
  if (!write_options_.sync && !failed_.load()) db_->SyncWAL().PermitUncheckedError();
  db_->Close().PermitUncheckedError();
}

absl::Status RocksJournal::Write(rocksdb::WriteBatch* batch) {
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
  absl::Status s = FromRocks(db_->Write(write_options_, batch), "userstore write failed");
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

absl::Status RocksJournal::PutUser(std::string_view service_sid, const UserRecord& record) {
  const std::optional<SidBytes> sid = ParseSid(service_sid, "IS");
  if (!sid) return Error(absl::StatusCode::kInternal, "journal: malformed Service SID");
  thread_local std::string value;
  EncodeUser(record, &value);
  rocksdb::WriteBatch batch(/*reserved_bytes=*/value.size() + 64);
  batch.Put(UserRecordKey(*sid, record.sequence), value);
  return Write(&batch);
}

absl::Status RocksJournal::DeleteUser(std::string_view service_sid, const UserRecord& record) {
  const std::optional<SidBytes> sid = ParseSid(service_sid, "IS");
  if (!sid) return Error(absl::StatusCode::kInternal, "journal: malformed Service SID");
  rocksdb::WriteBatch batch;
  batch.Delete(UserRecordKey(*sid, record.sequence));
  // Remember the sequence, so that it is never handed out again after a
  // restart even if this was the newest user.
  batch.Merge(HighWaterKey(*sid), EncodeSequence(record.sequence));
  return Write(&batch);
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
