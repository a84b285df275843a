// Journal: where a durable Store records each change before it is applied in
// memory (docs/design.md, "Durable mode").
//
// The Store calls a Journal while holding the locks that order the change in
// memory, so the journal sees the changes of one user in the order memory
// does. A call that fails leaves memory unchanged and fails the operation.
// Implementations must be thread-safe: calls for different users come from
// different threads at once.
#ifndef USERSTORE_SRC_STORE_JOURNAL_H_
#define USERSTORE_SRC_STORE_JOURNAL_H_

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "store/user_record.h"
#include "userstore/service.h"

namespace userstore::internal {

class Journal {
 public:
  virtual ~Journal() = default;

  // A Service created (with its default roles, in one atomic write) or
  // changed (reachability; `roles` empty).
  virtual absl::Status PutService(const Service& service, const std::vector<Role>& roles) = 0;
  // A role added.
  virtual absl::Status PutRole(const Role& role) = 0;
  // A user created, or its persistent fields changed (presence is runtime
  // state: implementations should not persist `online` / `notifiable`).
  virtual absl::Status PutUser(std::string_view service_sid, const UserRecord& record) = 0;
  // Users imported or replaced by an import (Store::ImportUsers): every
  // record in one atomic write (all of them reach the disk or none), synced
  // once. Called with every lock of the Service's index held.
  virtual absl::Status PutUsers(std::string_view service_sid,
                                const std::vector<const UserRecord*>& records) = 0;
  // A user deleted: its record goes and its SID is remembered as deleted
  // (never used again, restored as such: RestoreTarget::RestoreDeletedSid).
  virtual absl::Status DeleteUser(std::string_view service_sid, const UserRecord& record) = 0;
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_JOURNAL_H_
