// Recovery: rebuilding a Store's index from its directory.
//
// Load reads the Services and roles (small), the Conversations
// Configuration, the deleted-sequence high waters, the deleted user SIDs, each feed's position
// (durable/feed_recovery.h), then every user in key order (creation order),
// then the push Bindings (durable/binding_recovery.h),
// and puts them back through the narrow RestoreTarget interface
// (store/restore.h) before any journal is attached, so nothing is written
// back (but a hole a crash left in a feed, closed when `writable`). Users are decoded on the
// calling thread and inserted on one worker thread (reading and inserting
// overlap).
//
// Thread-safety: Load works on objects its caller owns exclusively;
// different stores may be loaded from different threads at once.
#ifndef USERSTORE_SRC_DURABLE_RECOVERY_H_
#define USERSTORE_SRC_DURABLE_RECOVERY_H_

#include <cstdint>
#include <functional>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "durable/binding_recovery.h"
#include "durable/meta.h"
#include "rocksdb/db.h"
#include "sid/sid.h"
#include "store/restore.h"

namespace userstore::internal::durable {

using ProgressFn = std::function<void(uint64_t loaded, uint64_t total)>;

// The progress callback sees the count about this often (and at the end).
inline constexpr uint64_t kProgressInterval = 65536;

// What Load found.
struct LoadResult {
  uint64_t services = 0;
  uint64_t roles = 0;
  uint64_t users = 0;
  uint64_t deleted_sids = 0;  // d/ keys: deleted user SIDs remembered
  uint64_t events = 0;        // change-feed events kept (e/ keys)
  BindingCounts bindings;     // push Bindings (durable/binding_recovery.h)
  // Per Service: how many roles are stored (the next role's index).
  absl::flat_hash_map<SidBytes, uint64_t> next_role_index;
};

// Rebuilds `target` (empty, made with meta's account) from `db`. O(total
// size) time; memory: the index itself plus a bounded queue of decoded users.
// Errors (500/20500): kDataLoss for anything malformed or inconsistent (a key
// of unknown shape, a value that does not decode, a role index gap, a user
// of an unknown Service, a Configuration naming an unknown Service, a duplicate identity or SID, a
// count that differs), naming the key or the user; kUnavailable on read errors. `writable`: a hole
// a crash left in a feed is closed (feed_recovery.h); false (a read-only open): the feed is
// restored up to the hole.
absl::StatusOr<LoadResult> Load(rocksdb::DB* db, const Meta& meta, RestoreTarget* target,
                                const ProgressFn& progress, bool writable);

}  // namespace userstore::internal::durable

#endif  // USERSTORE_SRC_DURABLE_RECOVERY_H_
