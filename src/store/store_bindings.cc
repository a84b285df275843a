// Store's push Bindings calls (binding.h): each forwards to StoreImpl
// (store_binding_ops.cc).
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/store_impl.h"
#include "userstore/store.h"

namespace userstore {

absl::StatusOr<Binding> Store::RegisterBinding(std::string_view service_sid,
                                               std::string_view user_key,
                                               const BindingCreate& params, bool* created) {
  return impl_->RegisterBinding(service_sid, user_key, params, created);
}

absl::StatusOr<Binding> Store::FetchBinding(std::string_view service_sid, std::string_view user_key,
                                            std::string_view binding_sid) const {
  return impl_->FetchBinding(service_sid, user_key, binding_sid);
}

absl::Status Store::DeleteBinding(std::string_view service_sid, std::string_view user_key,
                                  std::string_view binding_sid) {
  return impl_->DeleteBinding(service_sid, user_key, binding_sid);
}

absl::StatusOr<BindingPage> Store::ListBindings(std::string_view service_sid,
                                                const BindingListRequest& request) const {
  return impl_->ListBindings(service_sid, request);
}

absl::StatusOr<ImportResult> Store::ImportBindings(std::string_view service_sid,
                                                   const std::vector<BindingImport>& bindings,
                                                   const ImportOptions& options) {
  return impl_->ImportBindings(service_sid, bindings, options);
}

}  // namespace userstore
