// UserViewAccess: how the Store points a public UserView at a stored record.
//
// Thread-compatible: Fill runs under the record's SID-shard lock (shared or
// exclusive), and the view it fills is used only while that lock is held.
#ifndef USERSTORE_SRC_STORE_USER_VIEW_ACCESS_H_
#define USERSTORE_SRC_STORE_USER_VIEW_ACCESS_H_

#include <string_view>

#include "store/service_state.h"
#include "store/user_record.h"
#include "userstore/user_view.h"

namespace userstore::internal {

// How a user is shown: as the resource itself (fetch, create, update), or as
// an item of a list page, whose presence fields are always null.
enum class UserShape { kResource, kListItem };

struct UserViewAccess {
  // Points `*view` at `record` of `service`, shown as `shape`. The view's
  // strings view the record and the Service; its SIDs are formatted into
  // the view. O(1).
  static void Fill(const ServiceState& service, const UserRecord& record, UserShape shape,
                   UserView* view);
  // The same for a record read outside a Store (StoreReader): the Service's
  // SIDs given, presence null (unknown until a Store is open). `account_sid`
  // and `service_sid` must outlive the view.
  static void FillWithoutPresence(std::string_view account_sid, std::string_view service_sid,
                                  const UserRecord& record, UserView* view);
  // The same from fields (which must outlive the view). O(1).
  static void FillWithoutPresence(std::string_view account_sid, std::string_view service_sid,
                                  const UserFields& fields, UserView* view);
  // A user kept by the change feed (its fields and presence), shown as a
  // fetch shows it (presence only when the Service has reachability on).
  static void FillFeedUser(const ServiceState& service, const UserFields& fields, Presence online,
                           Presence notifiable, UserView* view);
  // The same outside a Store (StoreReader): the Service's SIDs (which must
  // outlive the view) and its reachability given. O(1).
  static void FillFeedUser(std::string_view account_sid, std::string_view service_sid,
                           bool reachability_enabled, const UserFields& fields, Presence online,
                           Presence notifiable, UserView* view);
  // An empty view, for Fill.
  static UserView Blank() { return UserView(); }
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_USER_VIEW_ACCESS_H_
