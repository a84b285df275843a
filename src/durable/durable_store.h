// Opening a durable Store: the directory's metadata, recovery of the
// in-memory index from RocksDB, and attaching the RocksJournal.
//
// Recovery reads the Services and roles (small), the deleted-sequence high
// waters, then every user in key order, and rebuilds the StoreImpl through
// StoreImpl::RestoreService / RestoreUser before any journal is attached, so
// nothing is written back. Only then does the Store serve.
//
// Thread-safety: each function works on objects its caller owns exclusively;
// different directories may be opened from different threads at once.
#ifndef USERSTORE_SRC_DURABLE_DURABLE_STORE_H_
#define USERSTORE_SRC_DURABLE_DURABLE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "sid/sid.h"
#include "store/store_impl.h"
#include "userstore/options.h"

namespace userstore::internal::durable {

// The store-wide metadata (m/ keys).
struct Meta {
  std::string account_sid;     // "AC" + 32 lowercase hex
  std::string page_token_key;  // non-empty
};

// The metadata of `db`; nullopt when `db` holds no key at all and RocksDB
// recorded no write (a new store); kDataLoss when it holds no key but did
// record writes (its data files were lost).
// Errors (500/20500): kFailedPrecondition when `db` holds keys but no
// userstore format mark, or another format version; kDataLoss when the
// metadata is malformed; kUnavailable on read errors.
absl::StatusOr<std::optional<Meta>> ReadMeta(rocksdb::DB* db);

// Writes the metadata of a new store, synced. Errors: kUnavailable.
absl::Status WriteMeta(rocksdb::DB* db, const Meta& meta);

using ProgressFn = std::function<void(uint64_t loaded, uint64_t total)>;

// What Load found.
struct LoadResult {
  uint64_t services = 0;
  uint64_t roles = 0;
  uint64_t users = 0;
  // Per Service: how many roles are stored (the next role's index).
  absl::flat_hash_map<SidBytes, uint64_t> next_role_index;
};

// Rebuilds `impl` (fresh, without a journal, made with meta's account) from
// `db`. O(total size) time; memory: the index itself plus one user at a time.
// Errors (500/20500): kDataLoss for anything malformed or inconsistent (a key
// of unknown shape, a value that does not decode, a role index gap, a user of
// an unknown Service, a duplicate identity), naming the key; kUnavailable on
// read errors.
absl::StatusOr<LoadResult> Load(rocksdb::DB* db, const Meta& meta, StoreImpl* impl,
                                const ProgressFn& progress);

// Test hooks of OpenDurable.
struct OpenHooks {
  rocksdb::Env* env = nullptr;  // null: the default; tests inject file faults
  // When set, the journal the Store gets is wrap_journal(the RocksJournal).
  std::function<std::unique_ptr<Journal>(std::unique_ptr<Journal>)> wrap_journal;
};

// Store::Open without the Store wrapper (see include/userstore/store.h for
// the contract and errors).
absl::StatusOr<std::unique_ptr<StoreImpl>> OpenDurable(std::string_view path,
                                                       StoreOptions options,
                                                       const DurableOptions& durable,
                                                       const OpenHooks& hooks = {});

}  // namespace userstore::internal::durable

#endif  // USERSTORE_SRC_DURABLE_DURABLE_STORE_H_
