// Binding recovery: putting back each Service's push Bindings at open
// (durable/binding_codec.h), after its users.
//
// g/ first (the deleted Binding SIDs, so a stored Binding holding one is a
// duplicate), then b/ in key order (creation order), each restored on its
// user, which becomes notifiable; then n/, whose users become not
// notifiable. A Binding or mark whose user is not in the index is dropped:
// the Store deletes a user and its Bindings in one write
// (Journal::DeleteUserAndBindings), so only a journal that wrote them apart
// leaves one, and a writable open deletes those keys (one write).
//
// Thread-safety: works on objects its caller owns exclusively.
#ifndef USERSTORE_SRC_DURABLE_BINDING_RECOVERY_H_
#define USERSTORE_SRC_DURABLE_BINDING_RECOVERY_H_

#include <cstdint>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "sid/sid.h"
#include "store/restore.h"

namespace userstore::internal::durable {

struct BindingCounts {
  uint64_t bindings = 0;  // restored
  uint64_t deleted = 0;   // deleted Binding SIDs remembered (g/)
  uint64_t dropped = 0;   // b/ and n/ keys of users that do not exist
};

// Restores the Bindings of the Services named in `services` (SID bytes ->
// SID text) into `target`. Errors (500/20500): kDataLoss for a malformed key
// or value, a key of an unknown Service, a duplicate; kUnavailable on read
// or write errors.
absl::StatusOr<BindingCounts> RecoverBindings(
    rocksdb::DB* db, const absl::btree_map<SidBytes, std::string>& services, bool writable,
    RestoreTarget* target);

}  // namespace userstore::internal::durable

#endif  // USERSTORE_SRC_DURABLE_BINDING_RECOVERY_H_
