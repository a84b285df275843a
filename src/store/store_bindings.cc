// Store's Conversations Configuration and push Bindings (binding.h,
// configuration.h). Placeholder bodies: issue 17 fills them in.
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/store_impl.h"
#include "userstore/store.h"

namespace userstore {

absl::StatusOr<Binding> Store::RegisterBinding(std::string_view service_sid,
                                               std::string_view user_key,
                                               const BindingCreate& params, bool* created) {
  (void)service_sid, (void)user_key, (void)params, (void)created;
  return absl::UnimplementedError("RegisterBinding");
}

absl::StatusOr<Binding> Store::FetchBinding(std::string_view service_sid, std::string_view user_key,
                                            std::string_view binding_sid) const {
  (void)service_sid, (void)user_key, (void)binding_sid;
  return absl::UnimplementedError("FetchBinding");
}

absl::Status Store::DeleteBinding(std::string_view service_sid, std::string_view user_key,
                                  std::string_view binding_sid) {
  (void)service_sid, (void)user_key, (void)binding_sid;
  return absl::UnimplementedError("DeleteBinding");
}

absl::StatusOr<BindingPage> Store::ListBindings(std::string_view service_sid,
                                                const BindingListRequest& request) const {
  (void)service_sid, (void)request;
  return absl::UnimplementedError("ListBindings");
}

}  // namespace userstore
