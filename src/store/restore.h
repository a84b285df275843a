// RestoreTarget: the part of a Store that recovery (durable/recovery.cc)
// writes through. It puts back Services, users, push Bindings and sequence
// high waters
// exactly as they were journaled, before any journal is attached (nothing is
// journaled again), and counts what was put back. StoreImpl implements it;
// recovery sees nothing else of the Store.
//
// Thread-safety: RestoreUser may be called from several threads at once;
// the other calls from one thread, not concurrently with RestoreUser.
#ifndef USERSTORE_SRC_STORE_RESTORE_H_
#define USERSTORE_SRC_STORE_RESTORE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sid/sid.h"
#include "store/binding_index.h"
#include "store/user_record.h"
#include "userstore/configuration.h"
#include "userstore/service.h"

namespace userstore::internal {

class RestoreTarget {
 public:
  virtual ~RestoreTarget() = default;

  // Puts back a Service with all its roles (defaults included). Not bounded
  // by Limits::max_services. Errors: 409/20001 duplicate Service; 400/20001
  // malformed (its default service role is not among `roles`).
  virtual absl::Status RestoreService(const Service& service, const std::vector<Role>& roles) = 0;
  // Puts back the Conversations Configuration as journaled at `revision`
  // (Journal::PutConfiguration; account_sid ignored). Call after the
  // Services. Errors: 400/20001 a field the Store would not have accepted;
  // 404/20404 default_chat_service_sid names no restored Service.
  virtual absl::Status RestoreConfiguration(const Configuration& configuration,
                                            uint64_t revision) = 0;
  // Puts back the Service's indexed attribute key (Journal::
  // PutIndexedAttribute). Call before its users are restored (each is then
  // indexed as it comes back). Errors: 404/20404 unknown Service.
  virtual absl::Status RestoreIndexedAttribute(std::string_view service_sid,
                                               std::string_view key) = 0;
  // Puts back a user of a restored Service. Errors: 404/20404 unknown
  // Service; 409/50201 duplicate identity or SID.
  virtual absl::Status RestoreUser(std::string_view service_sid, UserRecord::Ptr record) = 0;
  // Makes the Service's later sequences exceed `sequence` (its journaled
  // high water: users created and deleted after the last one restored).
  // Errors: 404/20404 unknown Service.
  virtual absl::Status RestoreSequence(std::string_view service_sid, uint64_t sequence) = 0;
  // Remembers `sid` as a deleted user SID of the Service (never used again:
  // UserIndex::WasDeleted). Call before the Service's users are restored, so
  // that a stored user holding a deleted SID is refused as a duplicate.
  // Errors: 404/20404 unknown Service.
  virtual absl::Status RestoreDeletedSid(std::string_view service_sid, const SidBytes& sid) = 0;
  // The Service's change feed as stored: events `first`..`last` (none when
  // last < first); the next event is last + 1. Nothing when the Store has
  // no feed (EventOptions::enabled false). Errors: 404/20404 unknown
  // Service.
  // `checkpoint`: the stored mark up to which the feed has no hole.
  virtual absl::Status RestoreFeed(std::string_view service_sid, uint64_t first, uint64_t last,
                                   uint64_t checkpoint) = 0;
  // The number of users in the Service's index (0 for an unknown Service).
  virtual uint64_t IndexedUsers(std::string_view service_sid) const = 0;

  // ---- push Bindings (after the users; from one thread) ----
  // Puts back a Binding of the restored user binding.user (identity taken
  // from it), which becomes notifiable. false, restoring nothing, when that
  // user does not exist (a Binding whose user is gone: recovery drops it).
  // Errors: 404/20404 unknown Service; 409/20001 a Binding with its SID or
  // sequence, or of its user, type and endpoint, exists, or its SID was
  // deleted.
  virtual absl::StatusOr<bool> RestoreBinding(std::string_view service_sid,
                                              BindingRecord binding) = 0;
  // Remembers `sid` as a deleted Binding's (never used again). Call before
  // the Bindings. Errors: 404/20404 unknown Service.
  virtual absl::Status RestoreDeletedBinding(std::string_view service_sid, const SidBytes& sid) = 0;
  // The user had Bindings and holds none: its is_notifiable becomes false
  // (after the Bindings: a user holding one stays true). false when no
  // such user. Errors: 404/20404 unknown Service.
  virtual absl::StatusOr<bool> RestoreNotifiedMark(std::string_view service_sid,
                                                   const SidBytes& user) = 0;
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_RESTORE_H_
