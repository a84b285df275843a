// userstore::Store::Open: a durable Store (include/userstore/store.h,
// docs/durable.md). The work is in durable/durable_store.cc.
#include <memory>
#include <utility>

#include "common/status_macros.h"
#include "durable/durable_store.h"
#include "store/store_impl.h"
#include "userstore/store.h"

namespace userstore {

absl::StatusOr<std::unique_ptr<Store>> Store::Open(std::string_view path, StoreOptions options,
                                                   DurableOptions durable) {
  USERSTORE_ASSIGN_OR_RETURN(
      std::unique_ptr<internal::StoreImpl> impl,
      internal::durable::OpenDurable(path, std::move(options), durable));
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

}  // namespace userstore
