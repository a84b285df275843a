#include "durable/durable_store.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "common/status_macros.h"
#include "durable/codec.h"
#include "durable/rocks_journal.h"
#include "rocksdb/write_batch.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore::internal::durable {
namespace {

absl::Status Error(absl::StatusCode code, std::string_view message) {
  return TwilioError(code, 500, twilio_code::kInternal, message);
}

absl::Status Corrupt(std::string_view message) {
  return Error(absl::StatusCode::kDataLoss, "userstore data is corrupt: " + std::string(message));
}

// `text` quoted, with C escapes for bytes that are not printable ASCII.
std::string Printable(std::string_view text) {
  return "\"" + absl::CEscape(absl::string_view(text.data(), text.size())) + "\"";
}

rocksdb::ReadOptions ScanOptions() {
  rocksdb::ReadOptions read;
  read.fill_cache = false;  // a one-time scan: do not evict anything for it
  read.readahead_size = 2 << 20;
  return read;
}

// Calls `visit(key, value)` for every key starting with `prefix`, in order.
template <typename Visit>
absl::Status ScanPrefix(rocksdb::DB* db, std::string_view prefix, Visit&& visit) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ScanOptions()));
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
       it->Valid() && it->key().starts_with(rocksdb::Slice(prefix.data(), prefix.size()));
       it->Next()) {
    USERSTORE_RETURN_IF_ERROR(visit(it->key().ToStringView(), it->value().ToStringView()));
  }
  return FromRocks(it->status(), "reading the store");
}

// Restores users into the index on worker threads while the opening thread
// reads and decodes the next ones. Users arrive in creation order (the key
// order), in batches of one Service; RestoreUser is thread-safe. With one
// worker (kRestoreWorkers) the index is built exactly in creation order, as
// a memory Store's is (records allocated in that order: paging touches
// neighbours).
// The queue holds at most kMaxQueued batches, so memory stays bounded.
class ParallelRestorer {
 public:
  ParallelRestorer(StoreImpl* impl, int workers) : impl_(impl) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~ParallelRestorer() { Finish().IgnoreError(); }

  // Queues `record` of the Service named `*service_sid` (which must outlive
  // Finish). False once a worker failed: stop reading.
  bool Add(const std::string* service_sid, UserRecord::Ptr record) {
    if (current_.service_sid != service_sid || current_.records.size() == kBatch) Flush();
    current_.service_sid = service_sid;
    current_.records.push_back(std::move(record));
    return !failed_.load(std::memory_order_relaxed);
  }

  // Users restored so far (for progress reports).
  uint64_t restored() const { return restored_.load(std::memory_order_relaxed); }

  // Restores what is queued, joins the workers and returns the first error.
  absl::Status Finish() {
    Flush();
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    ready_.notify_all();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

 private:
  static constexpr size_t kBatch = 1024;
  static constexpr size_t kMaxQueued = 16;
  struct Batch {
    const std::string* service_sid = nullptr;
    std::vector<UserRecord::Ptr> records;
  };

  void Flush() {
    if (current_.records.empty()) return;
    std::unique_lock<std::mutex> lock(mu_);
    space_.wait(lock, [this] { return queue_.size() < kMaxQueued; });
    queue_.push_back(std::move(current_));
    current_ = Batch();
    lock.unlock();
    ready_.notify_one();
  }

  void Work() {
    for (;;) {
      Batch batch;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ready_.wait(lock, [this] { return !queue_.empty() || done_; });
        if (queue_.empty()) return;
        batch = std::move(queue_.front());
        queue_.pop_front();
      }
      space_.notify_one();
      for (UserRecord::Ptr& record : batch.records) {
        if (failed_.load(std::memory_order_relaxed)) break;
        const SidBytes sid = record->sid;
        if (absl::Status s = impl_->RestoreUser(*batch.service_sid, std::move(record)); !s.ok()) {
          std::lock_guard<std::mutex> lock(mu_);
          if (error_.ok()) {
            error_ = Corrupt("user " + FormatSid("US", sid) + " of " + *batch.service_sid +
                             ": " + std::string(s.message()));
          }
          failed_.store(true);
          break;
        }
        restored_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  StoreImpl* const impl_;
  Batch current_;  // being filled by the reading thread
  std::vector<std::thread> threads_;
  std::mutex mu_;  // guards queue_, done_, error_
  std::condition_variable ready_;  // a batch is queued, or done_
  std::condition_variable space_;  // the queue has room
  std::deque<Batch> queue_;
  bool done_ = false;
  absl::Status error_;
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> restored_{0};
};

// One restoring thread besides the reading one: more would gain little
// (every insert takes the Service's one order-index lock) and would build the
// index out of creation order.
constexpr int kRestoreWorkers = 1;

}  // namespace

absl::StatusOr<std::optional<Meta>> ReadMeta(rocksdb::DB* db) {
  std::string format;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), std::string(kMetaFormat), &format);
  if (s.IsNotFound()) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    it->SeekToFirst();
    USERSTORE_RETURN_IF_ERROR(FromRocks(it->status(), "reading the store"));
    if (!it->Valid()) {
      // No key at all: a new store, unless RocksDB has recorded writes (its
      // last sequence number lives in the MANIFEST): then the data is gone.
      if (db->GetLatestSequenceNumber() != 0) {
        return Corrupt("the store holds no key although writes were recorded "
                       "(its data files are missing)");
      }
      return std::optional<Meta>();
    }
    return Error(absl::StatusCode::kFailedPrecondition,
                 "the directory holds RocksDB data that is not a userstore store "
                 "(no m/format key)");
  }
  USERSTORE_RETURN_IF_ERROR(FromRocks(s, "reading the store's metadata"));
  if (format.size() != 1 || static_cast<uint8_t>(format[0]) != kFormatVersion) {
    return Error(absl::StatusCode::kFailedPrecondition,
                 "the store has format version " + Printable(format) +
                     "; this userstore reads version " + std::to_string(kFormatVersion));
  }
  Meta meta;
  std::string account;
  s = db->Get(rocksdb::ReadOptions(), std::string(kMetaAccountSid), &account);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading the store's metadata");
  if (s.IsNotFound() || account.size() != 16) return Corrupt("m/account_sid missing or malformed");
  SidBytes sid;
  std::copy(account.begin(), account.end(), sid.bytes.begin());
  meta.account_sid = FormatSid("AC", sid);
  s = db->Get(rocksdb::ReadOptions(), std::string(kMetaPageTokenKey), &meta.page_token_key);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading the store's metadata");
  if (s.IsNotFound() || meta.page_token_key.empty()) {
    return Corrupt("m/page_token_key missing or empty");
  }
  return std::optional<Meta>(std::move(meta));
}

absl::Status WriteMeta(rocksdb::DB* db, const Meta& meta) {
  const std::optional<SidBytes> account = ParseSid(meta.account_sid, "AC");
  if (!account || meta.page_token_key.empty()) {
    return Error(absl::StatusCode::kInternal, "WriteMeta: incomplete metadata");
  }
  rocksdb::WriteBatch batch;
  batch.Put(std::string(kMetaFormat), std::string(1, static_cast<char>(kFormatVersion)));
  batch.Put(std::string(kMetaAccountSid),
            std::string(reinterpret_cast<const char*>(account->bytes.data()), 16));
  batch.Put(std::string(kMetaPageTokenKey), meta.page_token_key);
  rocksdb::WriteOptions write;
  write.sync = true;
  return FromRocks(db->Write(write, &batch), "writing the store's metadata");
}

absl::StatusOr<LoadResult> Load(rocksdb::DB* db, const Meta& meta, StoreImpl* impl,
                                const ProgressFn& progress) {
  LoadResult result;
  struct Pending {
    Service service;
    std::vector<Role> roles;
  };
  absl::btree_map<SidBytes, Pending> services;
  USERSTORE_RETURN_IF_ERROR(
      ScanPrefix(db, kServicePrefix, [&](std::string_view key, std::string_view value) {
        SidBytes sid;
        if (!ParseServiceKey(key, &sid)) return Corrupt("bad key " + Printable(key));
        USERSTORE_ASSIGN_OR_RETURN(Service service, DecodeService(value, sid, meta.account_sid));
        services[sid].service = std::move(service);
        return absl::OkStatus();
      }));
  USERSTORE_RETURN_IF_ERROR(
      ScanPrefix(db, kRolePrefix, [&](std::string_view key, std::string_view value) {
        SidBytes sid;
        uint64_t index;
        if (!ParseRoleKey(key, &sid, &index)) return Corrupt("bad key " + Printable(key));
        auto it = services.find(sid);
        if (it == services.end()) {
          return Corrupt("role of an unknown Service " + FormatSid("IS", sid));
        }
        if (index != it->second.roles.size()) {
          return Corrupt("role index gap in Service " + FormatSid("IS", sid));
        }
        USERSTORE_ASSIGN_OR_RETURN(Role role,
                                   DecodeRole(value, it->second.service.sid, meta.account_sid));
        it->second.roles.push_back(std::move(role));
        return absl::OkStatus();
      }));
  for (auto& [sid, pending] : services) {
    if (absl::Status s = impl->RestoreService(pending.service, pending.roles); !s.ok()) {
      return Corrupt("Service " + pending.service.sid + ": " + std::string(s.message()));
    }
    result.next_role_index[sid] = pending.roles.size();
    result.roles += pending.roles.size();
  }
  result.services = services.size();

  absl::flat_hash_map<SidBytes, uint64_t> high_water;
  USERSTORE_RETURN_IF_ERROR(
      ScanPrefix(db, kHighWaterPrefix, [&](std::string_view key, std::string_view value) {
        SidBytes sid;
        uint64_t sequence;
        if (!ParseHighWaterKey(key, &sid) || !DecodeSequence(value, &sequence)) {
          return Corrupt("bad sequence high water " + Printable(key));
        }
        high_water[sid] = sequence;
        return absl::OkStatus();
      }));

  uint64_t total = 0;
  db->GetIntProperty("rocksdb.estimate-num-keys", &total);
  const uint64_t others = 3 + result.services + result.roles + high_water.size();
  total = total > others ? total - others : 0;
  absl::flat_hash_map<SidBytes, uint64_t> max_sequence;
  absl::flat_hash_map<SidBytes, uint64_t> stored;  // users read per Service
  SidBytes current{};
  const std::string* current_text = nullptr;  // in `services`: stable while scanning
  uint64_t* current_max = nullptr;
  uint64_t* current_count = nullptr;
  ParallelRestorer restorer(impl, kRestoreWorkers);
  absl::Status scanned =
      ScanPrefix(db, kUserPrefix, [&](std::string_view key, std::string_view value) {
        SidBytes service;
        uint64_t sequence;
        if (!ParseUserRecordKey(key, &service, &sequence) || sequence == 0) {
          return Corrupt("bad key " + Printable(key));
        }
        if (current_text == nullptr || service != current) {  // keys are grouped by Service
          auto it = services.find(service);
          if (it == services.end()) {
            return Corrupt("users of an unknown Service " + FormatSid("IS", service));
          }
          current = service;
          current_text = &it->second.service.sid;
          current_max = &max_sequence[service];
          current_count = &stored[service];
        }
        USERSTORE_ASSIGN_OR_RETURN(UserRecord::Ptr record, DecodeUser(value, sequence));
        *current_max = std::max(*current_max, sequence);  // (keys ascend: the last)
        ++*current_count;
        ++result.users;
        if (!restorer.Add(current_text, std::move(record))) {
          return absl::CancelledError();  // a worker failed: Finish() says why
        }
        if (progress && result.users % 65536 == 0) {
          total = std::max(total, result.users);
          progress(restorer.restored(), total);
        }
        return absl::OkStatus();
      });
  const absl::Status restored = restorer.Finish();
  USERSTORE_RETURN_IF_ERROR(restored);
  USERSTORE_RETURN_IF_ERROR(scanned);
  // Every user read is in the index (duplicate SIDs and identities were
  // refused by RestoreUser; sequences are keys, hence unique).
  for (const ServiceState* service : impl->Services()) {
    const uint64_t count = stored[*ParseSid(service->sid(), "IS")];
    if (service->users().size() != count) {
      return Corrupt("Service " + service->sid() + ": " + std::to_string(count) +
                     " users stored but " + std::to_string(service->users().size()) +
                     " indexed");
    }
  }
  for (const auto& [sid, sequence] : high_water) {
    if (!services.contains(sid)) {
      return Corrupt("sequence high water of an unknown Service " + FormatSid("IS", sid));
    }
    if (sequence > max_sequence[sid]) {
      USERSTORE_RETURN_IF_ERROR(impl->RestoreSequence(FormatSid("IS", sid), sequence));
    }
  }
  if (progress) progress(result.users, result.users);
  return result;
}

absl::StatusOr<std::unique_ptr<StoreImpl>> OpenDurable(std::string_view path,
                                                       StoreOptions options,
                                                       const DurableOptions& durable,
                                                       const OpenHooks& hooks) {
  // Store::Create validates the options and mints what is missing; it runs
  // first so that invalid options touch no directory.
  const bool account_given = !options.account_sid.empty();
  const bool key_given = !options.page_token_key.empty();
  StoreOptions checked;
  {
    USERSTORE_ASSIGN_OR_RETURN(std::unique_ptr<Store> probe, Store::Create(std::move(options)));
    checked = probe->options();
  }
  RocksOpen how;
  how.create = true;
  how.env = hooks.env;
  USERSTORE_ASSIGN_OR_RETURN(StoreDb db, OpenRocks(path, how));
  USERSTORE_ASSIGN_OR_RETURN(std::optional<Meta> stored, ReadMeta(db.get()));
  if (!stored) {
    stored = Meta{checked.account_sid, checked.page_token_key};
    USERSTORE_RETURN_IF_ERROR(WriteMeta(db.get(), *stored));
  } else {
    if (account_given && checked.account_sid != stored->account_sid) {
      return TwilioError(absl::StatusCode::kFailedPrecondition, 400,
                         twilio_code::kInvalidParameter,
                         "account_sid " + checked.account_sid + " differs from " +
                             stored->account_sid + ", the account of the store in " +
                             std::string(path));
    }
    if (key_given && checked.page_token_key != stored->page_token_key) {
      return TwilioError(absl::StatusCode::kFailedPrecondition, 400,
                         twilio_code::kInvalidParameter,
                         "page_token_key differs from the key of the store in " +
                             std::string(path));
    }
    checked.account_sid = stored->account_sid;
    checked.page_token_key = stored->page_token_key;
  }
  auto impl = std::make_unique<StoreImpl>(std::move(checked));
  USERSTORE_ASSIGN_OR_RETURN(LoadResult loaded,
                             Load(db.get(), *stored, impl.get(), durable.progress));
  std::unique_ptr<Journal> journal = std::make_unique<RocksJournal>(
      std::move(db), durable.sync, std::move(loaded.next_role_index));
  if (hooks.wrap_journal) journal = hooks.wrap_journal(std::move(journal));
  impl->SetJournal(std::move(journal));
  return impl;
}

}  // namespace userstore::internal::durable
