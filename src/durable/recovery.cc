#include "durable/recovery.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "common/mutex.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "durable/binding_recovery.h"
#include "durable/codec.h"
#include "durable/errors.h"
#include "durable/feed_recovery.h"
#include "durable/rocks_journal.h"

namespace userstore::internal::durable {
namespace {

// Calls `visit(key, value)` for every key starting with `prefix`, in order.
template <typename Visit>
absl::Status ScanPrefix(rocksdb::DB* db, std::string_view prefix, Visit&& visit) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ScanOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    USERSTORE_RETURN_IF_ERROR(visit(it->key().ToStringView(), it->value().ToStringView()));
  }
  return FromRocks(it->status(), "reading the store");
}

// Restores users into the index on worker threads while the opening thread
// reads and decodes the next ones. Users arrive in creation order (the key
// order), in batches of one Service; RestoreUser is thread-safe. With one
// worker (kRestoreWorkers) the index is built exactly in creation order, as
// a memory Store's is (records allocated in that order: paging touches
// neighbours). The queue holds at most kMaxQueued batches, so memory stays
// bounded.
class ParallelRestorer {
 public:
  ParallelRestorer(RestoreTarget* target, int workers) : target_(target) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~ParallelRestorer() { Finish().IgnoreError(); }
  ParallelRestorer(const ParallelRestorer&) = delete;
  ParallelRestorer& operator=(const ParallelRestorer&) = delete;

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
      MutexLock lock(&mu_);
      done_ = true;
    }
    ready_.SignalAll();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    MutexLock lock(&mu_);
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
    {
      MutexLock lock(&mu_);
      while (queue_.size() >= kMaxQueued) space_.Wait(&mu_);
      queue_.push_back(std::move(current_));
    }
    current_ = Batch();
    ready_.Signal();
  }

  // The next batch, or false when done and drained.
  bool Next(Batch* batch) {
    {
      MutexLock lock(&mu_);
      while (queue_.empty() && !done_) ready_.Wait(&mu_);
      if (queue_.empty()) return false;
      *batch = std::move(queue_.front());
      queue_.pop_front();
    }
    space_.Signal();
    return true;
  }

  void Work() {
    Batch batch;
    while (Next(&batch)) {
      for (UserRecord::Ptr& record : batch.records) {
        if (failed_.load(std::memory_order_relaxed)) break;
        const SidBytes sid = record->sid;
        if (absl::Status s = target_->RestoreUser(*batch.service_sid, std::move(record)); !s.ok()) {
          Fail(Corrupt("user " + FormatSid("US", sid) + " of " + *batch.service_sid + ": " +
                       std::string(s.message())));
          break;
        }
        restored_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  void Fail(absl::Status status) {
    MutexLock lock(&mu_);
    if (error_.ok()) error_ = std::move(status);
    failed_.store(true);
  }

  RestoreTarget* const target_;
  Batch current_;  // being filled by the reading thread
  std::vector<std::thread> threads_;
  Mutex mu_;
  CondVar ready_;  // a batch is queued, or done_ (waits on mu_)
  CondVar space_;  // the queue has room (waits on mu_)
  std::deque<Batch> queue_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> restored_{0};
};

// One restoring thread besides the reading one: more would gain little
// (every insert takes the Service's one order-index lock) and would build the
// index out of creation order.
constexpr int kRestoreWorkers = 1;

// A Service as read, with its roles in index order.
struct PendingService {
  Service service;
  std::vector<Role> roles;
};
using PendingServices = absl::btree_map<SidBytes, PendingService>;

// s/ then r/: every Service with its roles (indexes without gaps).
absl::StatusOr<PendingServices> ReadServices(rocksdb::DB* db, const Meta& meta) {
  PendingServices services;
  USERSTORE_RETURN_IF_ERROR(
      ScanPrefix(db, kServicePrefix, [&](std::string_view key, std::string_view value) {
        SidBytes sid;
        if (!ParseServiceKey(key, &sid)) return Corrupt("bad key " + Quoted(key));
        USERSTORE_ASSIGN_OR_RETURN(Service service, DecodeService(value, sid, meta.account_sid));
        services[sid].service = std::move(service);
        return absl::OkStatus();
      }));
  USERSTORE_RETURN_IF_ERROR(
      ScanPrefix(db, kRolePrefix, [&](std::string_view key, std::string_view value) {
        SidBytes sid;
        uint64_t index;
        if (!ParseRoleKey(key, &sid, &index)) return Corrupt("bad key " + Quoted(key));
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
  return services;
}

absl::Status RestoreServices(const PendingServices& services, RestoreTarget* target,
                             LoadResult* result) {
  for (const auto& [sid, pending] : services) {
    if (absl::Status s = target->RestoreService(pending.service, pending.roles); !s.ok()) {
      return Corrupt("Service " + pending.service.sid + ": " + std::string(s.message()));
    }
    result->next_role_index[sid] = pending.roles.size();
    result->roles += pending.roles.size();
  }
  result->services = services.size();
  return absl::OkStatus();
}

// c/: the Conversations Configuration, when it was ever updated (after the
// Services: it may name one). Its one key is kConfigurationKey.
absl::Status RestoreConfiguration(rocksdb::DB* db, RestoreTarget* target) {
  return ScanPrefix(db, kConfigurationPrefix, [&](std::string_view key, std::string_view value) {
    if (key != kConfigurationKey) return Corrupt("bad key " + Quoted(key));
    Configuration configuration;
    uint64_t revision = 0;
    USERSTORE_RETURN_IF_ERROR(DecodeConfiguration(value, &configuration, &revision));
    if (absl::Status s = target->RestoreConfiguration(configuration, revision); !s.ok()) {
      return Corrupt("Configuration: " + std::string(s.message()));
    }
    return absl::OkStatus();
  });
}

// a/: per Service, the indexed attribute key (before the users, so that
// each is indexed as it is restored).
absl::Status RestoreIndexedAttributes(rocksdb::DB* db, const PendingServices& services,
                                      RestoreTarget* target) {
  return ScanPrefix(db, kIndexedAttributePrefix, [&](std::string_view key, std::string_view value) {
    SidBytes sid;
    std::string attribute;
    if (!ParseIndexedAttributeKey(key, &sid) || !DecodeIndexedAttribute(value, &attribute)) {
      return Corrupt("bad indexed attribute " + Quoted(key));
    }
    if (!services.contains(sid)) {
      return Corrupt("indexed attribute of an unknown Service " + FormatSid("IS", sid));
    }
    return target->RestoreIndexedAttribute(FormatSid("IS", sid), attribute);
  });
}

// h/: per Service, the highest sequence of a deleted user, into
// `*high_water`. (An out-parameter: g++ 12 -O3 reports a false
// -Wfree-nonheap-object on a StatusOr<flat_hash_map> destroyed in Load.)
absl::Status ReadHighWaters(rocksdb::DB* db, const PendingServices& services,
                            absl::flat_hash_map<SidBytes, uint64_t>* high_water_out) {
  absl::flat_hash_map<SidBytes, uint64_t>& high_water = *high_water_out;
  return ScanPrefix(db, kHighWaterPrefix, [&](std::string_view key, std::string_view value) {
    SidBytes sid;
    uint64_t sequence;
    if (!ParseHighWaterKey(key, &sid) || !DecodeSequence(value, &sequence)) {
      return Corrupt("bad sequence high water " + Quoted(key));
    }
    if (!services.contains(sid)) {
      return Corrupt("sequence high water of an unknown Service " + FormatSid("IS", sid));
    }
    high_water[sid] = sequence;
    return absl::OkStatus();
  });
}

// d/: per Service, the SIDs of deleted users, remembered so that they never
// come back into use (before the users: one of them holding such a SID is a
// duplicate). Returns how many.
absl::StatusOr<uint64_t> RestoreDeletedSids(rocksdb::DB* db, const PendingServices& services,
                                            RestoreTarget* target) {
  uint64_t count = 0;
  USERSTORE_RETURN_IF_ERROR(
      ScanPrefix(db, kDeletedPrefix, [&](std::string_view key, std::string_view value) {
        SidBytes service;
        SidBytes user;
        if (!ParseDeletedKey(key, &service, &user) || !DecodeDeleted(value)) {
          return Corrupt("bad deleted user SID " + Quoted(key));
        }
        auto it = services.find(service);
        if (it == services.end()) {
          return Corrupt("deleted user SID of an unknown Service " + FormatSid("IS", service));
        }
        ++count;
        return target->RestoreDeletedSid(it->second.service.sid, user);
      }));
  return count;
}

// Per Service: how many users were read and the highest sequence among them.
struct UserCounts {
  uint64_t stored = 0;
  uint64_t max_sequence = 0;
};

// u/: every user, in key order, restored on the restorer's worker.
absl::StatusOr<absl::flat_hash_map<SidBytes, UserCounts>> RestoreUsers(
    rocksdb::DB* db, const PendingServices& services, uint64_t total, RestoreTarget* target,
    const ProgressFn& progress, LoadResult* result) {
  absl::flat_hash_map<SidBytes, UserCounts> counts;
  SidBytes current{};
  const std::string* current_text = nullptr;  // in `services`: stable while scanning
  UserCounts* current_counts = nullptr;
  ParallelRestorer restorer(target, kRestoreWorkers);
  const absl::Status scanned =
      ScanPrefix(db, kUserPrefix, [&](std::string_view key, std::string_view value) {
        SidBytes service;
        uint64_t sequence;
        if (!ParseUserRecordKey(key, &service, &sequence) || sequence == 0) {
          return Corrupt("bad key " + Quoted(key));
        }
        if (current_text == nullptr || service != current) {  // keys are grouped by Service
          auto it = services.find(service);
          if (it == services.end()) {
            return Corrupt("users of an unknown Service " + FormatSid("IS", service));
          }
          current = service;
          current_text = &it->second.service.sid;
          current_counts = &counts[service];
        }
        USERSTORE_ASSIGN_OR_RETURN(UserRecord::Ptr record, DecodeUser(value, sequence));
        current_counts->max_sequence = std::max(current_counts->max_sequence, sequence);
        ++current_counts->stored;
        ++result->users;
        if (!restorer.Add(current_text, std::move(record))) {
          return absl::CancelledError();  // a worker failed: Finish() says why
        }
        if (progress && result->users % kProgressInterval == 0) {
          progress(restorer.restored(), std::max(total, result->users));
        }
        return absl::OkStatus();
      });
  USERSTORE_RETURN_IF_ERROR(restorer.Finish());
  USERSTORE_RETURN_IF_ERROR(scanned);
  return counts;
}

// Every user read is in the index (duplicate SIDs and identities were refused
// by RestoreUser; sequences are keys, hence unique).
absl::Status VerifyCounts(const PendingServices& services,
                          const absl::flat_hash_map<SidBytes, UserCounts>& counts,
                          const RestoreTarget& target) {
  for (const auto& [sid, pending] : services) {
    auto it = counts.find(sid);
    const uint64_t stored = it == counts.end() ? 0 : it->second.stored;
    const uint64_t indexed = target.IndexedUsers(pending.service.sid);
    if (indexed != stored) {
      return Corrupt("Service " + pending.service.sid + ": " + std::to_string(stored) +
                     " users stored but " + std::to_string(indexed) + " indexed");
    }
  }
  return absl::OkStatus();
}

// Raises each Service's counter above its high water, so that sequences of
// deleted users are never handed out again.
absl::Status ApplyHighWaters(const absl::flat_hash_map<SidBytes, uint64_t>& high_water,
                             const absl::flat_hash_map<SidBytes, UserCounts>& counts,
                             RestoreTarget* target) {
  for (const auto& [sid, sequence] : high_water) {
    auto it = counts.find(sid);
    if (it != counts.end() && sequence <= it->second.max_sequence) continue;
    USERSTORE_RETURN_IF_ERROR(target->RestoreSequence(FormatSid("IS", sid), sequence));
  }
  return absl::OkStatus();
}

// The storage engine's estimate of the users (for progress reports).
uint64_t EstimateUsers(rocksdb::DB* db, const LoadResult& result, size_t high_waters) {
  uint64_t keys = 0;
  db->GetIntProperty("rocksdb.estimate-num-keys", &keys);
  const uint64_t others = kMetaKeys + result.services + result.roles + high_waters;
  return keys > others ? keys - others : 0;
}

}  // namespace

absl::StatusOr<LoadResult> Load(rocksdb::DB* db, const Meta& meta, RestoreTarget* target,
                                const ProgressFn& progress, bool writable) {
  LoadResult result;
  USERSTORE_ASSIGN_OR_RETURN(PendingServices services, ReadServices(db, meta));
  USERSTORE_RETURN_IF_ERROR(RestoreServices(services, target, &result));
  USERSTORE_RETURN_IF_ERROR(RestoreConfiguration(db, target));
  USERSTORE_RETURN_IF_ERROR(RestoreIndexedAttributes(db, services, target));
  absl::flat_hash_map<SidBytes, uint64_t> high_water;
  USERSTORE_RETURN_IF_ERROR(ReadHighWaters(db, services, &high_water));
  USERSTORE_ASSIGN_OR_RETURN(result.deleted_sids, RestoreDeletedSids(db, services, target));
  std::vector<std::string> sids;
  for (const auto& [sid, pending] : services) sids.push_back(pending.service.sid);
  USERSTORE_ASSIGN_OR_RETURN(const FeedRecovery feeds, RecoverFeeds(db, sids, writable, target));
  result.events = feeds.events;
  const uint64_t total =
      EstimateUsers(db, result, high_water.size() + result.deleted_sids + result.events);
  USERSTORE_ASSIGN_OR_RETURN(auto counts,
                             RestoreUsers(db, services, total, target, progress, &result));
  USERSTORE_RETURN_IF_ERROR(VerifyCounts(services, counts, *target));
  USERSTORE_RETURN_IF_ERROR(ApplyHighWaters(high_water, counts, target));
  absl::btree_map<SidBytes, std::string> names;
  for (const auto& [sid, pending] : services) names.emplace(sid, pending.service.sid);
  USERSTORE_ASSIGN_OR_RETURN(result.bindings, RecoverBindings(db, names, writable, target));
  if (progress) progress(result.users, result.users);
  return result;
}

}  // namespace userstore::internal::durable
