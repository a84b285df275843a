// The checks of a push Binding's fields shared by Store::RegisterBinding
// and Store::ImportBindings (store_binding_ops.cc). Pure functions;
// thread-safe.
#ifndef USERSTORE_SRC_STORE_BINDING_CHECKS_H_
#define USERSTORE_SRC_STORE_BINDING_CHECKS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sid/sid.h"
#include "userstore/binding.h"
#include "userstore/options.h"

namespace userstore::internal {

// Whether `type` is one of BindingType's enumerators (a C++ caller may cast
// any byte into one).
bool IsBindingType(BindingType type);

// The checked fields of a registration.
struct CheckedBinding {
  std::optional<SidBytes> credential;
  std::vector<std::string> message_types;  // duplicates dropped, first kept
};

// Checks `params` (store.h, RegisterBinding; docs/errors.md, "Push
// Bindings"): the type, the endpoint (1..max_binding_endpoint_bytes of
// UTF-8 without U+0000), the credential (CR + 32 hex, or none), at most 16
// message types of 1..64 [a-z_]. Errors: 400/20001 naming the field.
// O(|endpoint| + message types).
absl::StatusOr<CheckedBinding> CheckBindingCreate(const BindingCreate& params,
                                                  const Limits& limits);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_BINDING_CHECKS_H_
