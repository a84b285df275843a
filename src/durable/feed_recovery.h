// Feed recovery: putting back each Service's change-feed position at open
// (docs/events.md, "Durable feed").
//
// Per Service: the f/ marks give the oldest event kept and the checkpoint
// (no hole up to it); the e/ keys after the checkpoint are read. Events are
// written by concurrent writers in separate batches, so a crash can keep a
// later event and lose an earlier one still in flight (its write was never
// acknowledged). No reader ever saw past such a hole (an event is readable
// only once every earlier one is), so the events after it are moved down to
// close it, in one atomic write. The feed then goes on from the last event.
//
// Thread-safety: works on objects its caller owns exclusively.
#ifndef USERSTORE_SRC_DURABLE_FEED_RECOVERY_H_
#define USERSTORE_SRC_DURABLE_FEED_RECOVERY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "sid/sid.h"
#include "store/restore.h"

namespace userstore::internal::durable {

struct FeedRecovery {
  uint64_t events = 0;  // events kept on disk, all Services
};

// Restores the feed of each of `services` (SIDs as text) into `target`
// (RestoreFeed). Writes to `db` only to close a hole (`writable` false: the
// feed is restored up to the hole). Errors (500/20500): kDataLoss for malformed
// marks or keys; kUnavailable on read or write errors.
absl::StatusOr<FeedRecovery> RecoverFeeds(rocksdb::DB* db, const std::vector<std::string>& services,
                                          bool writable, RestoreTarget* target);

// The stored feed of one Service, as RecoverFeeds reads it (for read-only
// readers: StoreReader, check). `last` < `first` when none is kept.
struct StoredFeed {
  uint64_t first = 1;
  uint64_t last = 0;
  uint64_t checkpoint = 0;
  // The first sequence after the checkpoint missing while a later one is
  // stored (0: no hole).
  uint64_t hole = 0;
};
absl::StatusOr<StoredFeed> ReadStoredFeed(rocksdb::DB* db, const SidBytes& service);

}  // namespace userstore::internal::durable

#endif  // USERSTORE_SRC_DURABLE_FEED_RECOVERY_H_
