// UserView: a user's fields read in place, without copying them out.
//
// The Store hands a UserView to a visitor (Store::ReadUser, Store::VisitUsers)
// while it holds the user's shard lock (shared): the view's strings point into
// the stored record, so a read through a view costs what the lookup costs, and
// the visitor sees the user wholly before or wholly after any write. A view
// can also be made from a User value (UserView(const User&)), so one renderer
// serves both forms (UserJson does).
//
// Lifetime: a view handed to a visitor, and every string_view it returns, is
// valid only until the visitor returns; a view made from a User, while that
// User lives unchanged. Views cannot be copied or moved, so they do not
// escape by accident; copy the fields out (CopyTo, ToUser) to keep them.
// Thread-compatible: a view is read by the thread it was handed to.
#ifndef USERSTORE_USER_VIEW_H_
#define USERSTORE_USER_VIEW_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/time/time.h"
#include "userstore/export.h"
#include "userstore/user.h"

namespace userstore {

namespace internal {
struct UserViewAccess;
}  // namespace internal

class USERSTORE_EXPORT UserView {
 public:
  // A view of `user`'s fields. `user` must outlive the view, unchanged.
  explicit UserView(const User& user);

  UserView(const UserView&) = delete;
  UserView& operator=(const UserView&) = delete;

  // The fields of User (user.h), with the same meanings and Twilio names.
  // SIDs are "XX" + 32 lowercase hex (34 bytes). O(1) each.
  std::string_view sid() const { return sid_; }
  std::string_view account_sid() const { return account_sid_; }
  std::string_view service_sid() const { return service_sid_; }
  std::string_view role_sid() const { return role_sid_; }
  std::string_view identity() const { return identity_; }
  // The attributes text exactly as stored; "{}" when never set.
  std::string_view attributes() const { return attributes_; }
  std::optional<std::string_view> friendly_name() const { return friendly_name_; }
  // Presence as a fetch reports it; always nullopt for list items.
  std::optional<bool> is_online() const { return is_online_; }
  std::optional<bool> is_notifiable() const { return is_notifiable_; }
  int64_t joined_channels_count() const { return joined_channels_count_; }
  absl::Time date_created() const { return date_created_; }  // whole seconds, UTC
  absl::Time date_updated() const { return date_updated_; }  // whole seconds, UTC
  uint64_t revision() const { return revision_; }            // User::revision

  // Copies every field into `*out`, reusing the capacity of its strings (no
  // allocation once `*out` has held a user at least as large). O(size of
  // the user).
  void CopyTo(User* out) const;
  // The fields as a new User value.
  User ToUser() const;

 private:
  friend struct internal::UserViewAccess;
  UserView() = default;

  // Storage for the SIDs of a view over a stored record (formatted from the
  // record's 16 bytes, no heap).
  char sid_text_[34] = {};
  char role_sid_text_[34] = {};
  std::string_view sid_;
  std::string_view account_sid_;
  std::string_view service_sid_;
  std::string_view role_sid_;
  std::string_view identity_;
  std::string_view attributes_;
  std::optional<std::string_view> friendly_name_;
  std::optional<bool> is_online_;
  std::optional<bool> is_notifiable_;
  int64_t joined_channels_count_ = 0;
  absl::Time date_created_;
  absl::Time date_updated_;
  uint64_t revision_ = 0;
};

}  // namespace userstore

#endif  // USERSTORE_USER_VIEW_H_
