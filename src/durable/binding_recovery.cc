#include "durable/binding_recovery.h"

#include <memory>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "common/strings.h"
#include "durable/binding_codec.h"
#include "durable/codec.h"
#include "durable/errors.h"
#include "durable/rocks_journal.h"
#include "rocksdb/write_batch.h"

namespace userstore::internal::durable {
namespace {

// Calls `visit(key, value)` for every key starting with `prefix`, in order.
template <typename Visit>
absl::Status Scan(rocksdb::DB* db, std::string_view prefix, Visit&& visit) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ScanOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    USERSTORE_RETURN_IF_ERROR(visit(it->key().ToStringView(), it->value().ToStringView()));
  }
  return FromRocks(it->status(), "reading the store's push Bindings");
}

}  // namespace

absl::StatusOr<BindingCounts> RecoverBindings(
    rocksdb::DB* db, const absl::btree_map<SidBytes, std::string>& services, bool writable,
    RestoreTarget* target) {
  BindingCounts counts;
  std::vector<std::string> orphans;  // keys of users that do not exist
  auto service_of = [&](const SidBytes& sid, const char* what) -> absl::StatusOr<std::string> {
    auto it = services.find(sid);
    if (it == services.end()) {
      return Corrupt(std::string(what) + " of an unknown Service " + FormatSid("IS", sid));
    }
    return it->second;
  };
  USERSTORE_RETURN_IF_ERROR(
      Scan(db, kDeletedBindingPrefix, [&](std::string_view key, std::string_view value) {
        SidBytes service;
        SidBytes binding;
        if (!ParseDeletedBindingKey(key, &service, &binding) || !DecodeDeleted(value)) {
          return Corrupt("bad deleted Binding SID " + Quoted(key));
        }
        USERSTORE_ASSIGN_OR_RETURN(const std::string sid, service_of(service, "deleted Binding"));
        ++counts.deleted;
        return target->RestoreDeletedBinding(sid, binding);
      }));
  USERSTORE_RETURN_IF_ERROR(
      Scan(db, kBindingPrefix, [&](std::string_view key, std::string_view value) {
        SidBytes service;
        uint64_t sequence;
        if (!ParseBindingKey(key, &service, &sequence) || sequence == 0) {
          return Corrupt("bad key " + Quoted(key));
        }
        USERSTORE_ASSIGN_OR_RETURN(const std::string sid, service_of(service, "Binding"));
        USERSTORE_ASSIGN_OR_RETURN(BindingRecord binding, DecodeBinding(value, sequence));
        const SidBytes binding_sid = binding.sid;
        absl::StatusOr<bool> restored = target->RestoreBinding(sid, std::move(binding));
        if (!restored.ok()) {
          return Corrupt("Binding " + FormatSid("BS", binding_sid) + " of " + sid + ": " +
                         std::string(restored.status().message()));
        }
        if (*restored) {
          ++counts.bindings;
        } else {
          ++counts.dropped;
          orphans.emplace_back(key);
        }
        return absl::OkStatus();
      }));
  USERSTORE_RETURN_IF_ERROR(
      Scan(db, kNotifiedPrefix, [&](std::string_view key, std::string_view value) {
        SidBytes service;
        SidBytes user;
        if (!ParseNotifiedKey(key, &service, &user) || !DecodeDeleted(value)) {
          return Corrupt("bad notifiable mark " + Quoted(key));
        }
        USERSTORE_ASSIGN_OR_RETURN(const std::string sid, service_of(service, "notifiable mark"));
        USERSTORE_ASSIGN_OR_RETURN(const bool found, target->RestoreNotifiedMark(sid, user));
        if (!found) {
          ++counts.dropped;
          orphans.emplace_back(key);
        }
        return absl::OkStatus();
      }));
  if (writable && !orphans.empty()) {
    rocksdb::WriteBatch batch;
    for (const std::string& key : orphans) batch.Delete(key);
    rocksdb::WriteOptions synced;
    synced.sync = true;
    USERSTORE_RETURN_IF_ERROR(
        FromRocks(db->Write(synced, &batch), "dropping the Bindings of deleted users"));
  }
  return counts;
}

}  // namespace userstore::internal::durable
