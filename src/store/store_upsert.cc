// StoreImpl::UpsertUsers (store.h).
// PLACEHOLDER of the API commit: the upsert helper replaces this file.
#include "store/store_impl.h"

namespace userstore::internal {

absl::StatusOr<std::vector<UpsertResult>> StoreImpl::UpsertUsers(
    std::string_view service_sid, const std::vector<UserUpsert>& rows,
    const UpsertOptions& options) {
  (void)service_sid, (void)rows, (void)options;
  return absl::UnimplementedError("batch upsert: not built yet");
}

}  // namespace userstore::internal
