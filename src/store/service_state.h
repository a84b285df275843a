// ServiceState: one Service inside a Store — its metadata, roles, users and
// their push Bindings.
//
// Thread-safe. The SIDs and account never change. Roles and the friendly
// metadata are guarded by `mu_` (rarely written); reachability is an atomic
// flag read on every fetch; users live in the concurrent UserIndex, their
// Bindings in the BindingIndex.
#ifndef USERSTORE_SRC_STORE_SERVICE_STATE_H_
#define USERSTORE_SRC_STORE_SERVICE_STATE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "sid/sid.h"
#include "store/binding_index.h"
#include "store/event_feed.h"
#include "store/user_index.h"
#include "userstore/service.h"

namespace userstore::internal {

class RecordArena;

class ServiceState {
 public:
  // `service` holds the metadata; its default_*_role_sid fields must name
  // roles given in `default_roles`. `records`: where its user records are
  // made (null: malloc); it must outlive this ServiceState.
  // `feed_window`: events its feed keeps (0: no feed).
  ServiceState(const Service& service, const std::vector<Role>& default_roles,
               RecordArena* records = nullptr, size_t feed_window = 0);
  ServiceState(const ServiceState&) = delete;
  ServiceState& operator=(const ServiceState&) = delete;

  const std::string& sid() const { return sid_; }
  const std::string& account_sid() const { return account_sid_; }
  const SidBytes& default_role() const { return default_role_; }
  bool reachability_enabled() const {
    return reachability_enabled_.load(std::memory_order_acquire);
  }

  // A copy of the Service's metadata.
  Service Snapshot() const;
  Service SetReachabilityEnabled(bool enabled, absl::Time now);

  // Adds a role. Errors: 409/20001 a role with that SID exists.
  absl::Status AddRole(const Role& role);
  bool HasRole(const SidBytes& sid) const;
  // The roles in the order they were added.
  std::vector<Role> Roles() const;
  // A RoleSid parameter resolved to a service-scope role of this Service.
  // Errors: 400/20001 malformed; 400/50100 unknown; 400/50105 channel scope.
  absl::StatusOr<SidBytes> ResolveServiceRole(std::string_view role_sid) const;

  // The next creation sequence number (1, 2, ...). Thread-safe.
  uint64_t NextSequence() { return next_sequence_.fetch_add(1) + 1; }
  // The next number of a block reserved by `reserve` (a shared Store's
  // journal: Journal::ReserveSequences), which is called for a new block
  // when the current one is used up (under a lock: the Service's other
  // writers wait for it). Errors: reserve's. Thread-safe.
  absl::StatusOr<uint64_t> NextReserved(
      absl::FunctionRef<absl::StatusOr<uint64_t>(uint64_t* count)> reserve)
      ABSL_LOCKS_EXCLUDED(block_mu_);
  // Makes later NextSequence() values exceed `sequence` (recovery).
  void EnsureSequenceAbove(uint64_t sequence);

  // The arena user records are made in (UserRecord::Make), or null.
  RecordArena* records() const { return records_; }

  // The Service's change feed; null when the Store has none.
  EventFeed* feed() const { return feed_.get(); }

  UserIndex& users() { return users_; }
  const UserIndex& users() const { return users_; }

  // The Service's push Bindings (lock order: after the user index's locks;
  // binding_index.h).
  BindingIndex& bindings() { return bindings_; }
  const BindingIndex& bindings() const { return bindings_; }

 private:
  const std::string sid_;
  const std::string account_sid_;
  const SidBytes default_role_;
  RecordArena* const records_;
  std::atomic<bool> reachability_enabled_;
  std::atomic<uint64_t> next_sequence_{0};
  Mutex block_mu_;                                      // NextReserved's block
  uint64_t block_next_ ABSL_GUARDED_BY(block_mu_) = 0;  // next to hand out
  uint64_t block_left_ ABSL_GUARDED_BY(block_mu_) = 0;  // numbers left in it

  mutable SharedMutex mu_;
  Service meta_ ABSL_GUARDED_BY(mu_);
  std::vector<Role> roles_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<SidBytes, size_t> role_index_ ABSL_GUARDED_BY(mu_);

  UserIndex users_;
  BindingIndex bindings_;
  const std::unique_ptr<EventFeed> feed_;
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_SERVICE_STATE_H_
