// ReplicaTarget: the part of a Store that a shared Store's replication
// stream (shared/replica.h, docs/scale-out.md) writes through. Every call
// applies one change that PostgreSQL has committed, made by any host this
// one included, to the in-process index, without journaling it again. The
// stream delivers changes at least once and in commit order, while the
// writing host has already applied its own writes (read-your-writes), so
// every call is idempotent and never moves a user backwards:
//
//   - a user change older than (or as old as) the indexed user, by
//     revision, is skipped;
//   - a change for a SID the index holds as deleted is skipped (SIDs are
//     never reused);
//   - a new user whose identity another SID holds is skipped: in commit
//     order that holder can only be this host's own later write, applied
//     ahead of the stream, and the stream will delete the incoming user
//     before it delivers the holder.
//
// Applied changes enter the Service's change feed like local writes (origin
// WriteOrigin::kReplica, never firing post-event listeners). Presence and
// connection counts are per host and survive an applied update.
//
// Thread-safety: thread-safe, alongside every Store call.
#ifndef USERSTORE_SRC_STORE_REPLICA_H_
#define USERSTORE_SRC_STORE_REPLICA_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "sid/sid.h"
#include "store/user_record.h"
#include "userstore/configuration.h"
#include "userstore/options.h"
#include "userstore/service.h"

namespace userstore::internal {

// What Apply* did.
enum class Applied {
  kApplied,  // the index changed
  kSkipped,  // the index already held this change or a newer one
};

class ReplicaTarget {
 public:
  virtual ~ReplicaTarget() = default;

  // A new Service with its roles (defaults included), or, for a Service
  // already indexed, its reachability_enabled and date_updated (the only
  // fields a Service changes). Not bounded by Limits::max_services (the
  // database has it). Errors: 400/20001 malformed.
  virtual absl::StatusOr<Applied> ApplyService(const Service& service,
                                               const std::vector<Role>& roles) = 0;
  // A role added to an indexed Service (skipped when present). Errors:
  // 404/20404 unknown Service.
  virtual absl::StatusOr<Applied> ApplyRole(const Role& role) = 0;
  // A user as committed: inserted, or replacing the indexed user with the
  // same SID when `record` has a higher revision (its sequence, identity
  // and date_created are the indexed ones'). `keep_attributes` /
  // `keep_friendly_name`: the change did not carry that value (PostgreSQL
  // sent an unchanged TOAST value); the indexed user's is kept, and a user
  // not indexed yet is an error. `time`: the commit's, for the feed.
  // Errors: 404/20404 unknown Service; 500/20500 a value to keep but no
  // user to keep it from.
  virtual absl::StatusOr<Applied> ApplyUser(std::string_view service_sid, UserRecord::Ptr record,
                                            bool keep_attributes, bool keep_friendly_name,
                                            absl::Time time) = 0;
  // A deleted user: erased when indexed; its SID remembered as deleted
  // either way. Errors: 404/20404 unknown Service.
  virtual absl::StatusOr<Applied> ApplyDelete(std::string_view service_sid, const SidBytes& sid,
                                              absl::Time time) = 0;
  // The Conversations Configuration as committed at `revision`
  // (account_sid ignored): installed unless the Store holds that revision
  // or a later one (skipped). Its default_chat_service_sid is not looked
  // up (committed after that Service's creation, so applied after it).
  // Errors: 400/20001 a field the Store would not have accepted.
  virtual absl::StatusOr<Applied> ApplyConfiguration(const Configuration& configuration,
                                                     uint64_t revision) = 0;
};

// The stream that feeds a Store's replica (shared/replica.h), as the Store
// sees it: owned by the Store and destroyed before the rest of it (its
// thread calls the ReplicaTarget). Contracts: Store::SharedPosition,
// WaitForPosition and Replica (include/userstore/store.h). Thread-safe.
class ReplicaSource {
 public:
  virtual ~ReplicaSource() = default;
  virtual absl::StatusOr<uint64_t> SharedPosition() = 0;
  virtual absl::Status WaitForPosition(uint64_t position, absl::Duration timeout) = 0;
  virtual ReplicaStatus Status() const = 0;
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_REPLICA_H_
