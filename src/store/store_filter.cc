// StoreImpl: filtered counts and the indexed attribute (store.h).
// PLACEHOLDER of the API commit: the filter helper replaces this file.
#include "common/twilio_errors.h"
#include "store/store_impl.h"
#include "userstore/error.h"

namespace userstore::internal {

absl::StatusOr<uint64_t> StoreImpl::CountUsers(std::string_view service_sid,
                                               const UserFilter& filter) const {
  if (filter.empty()) return CountUsers(service_sid);
  return absl::UnimplementedError("filters: not built yet");
}

absl::Status StoreImpl::SetIndexedAttribute(std::string_view service_sid, std::string_view key) {
  (void)service_sid, (void)key;
  return absl::UnimplementedError("indexed attribute: not built yet");
}

absl::StatusOr<std::string> StoreImpl::IndexedAttribute(std::string_view service_sid) const {
  (void)service_sid;
  return absl::UnimplementedError("indexed attribute: not built yet");
}

}  // namespace userstore::internal
