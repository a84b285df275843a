// Opening a durable Store (Store::Open): the options checked first, the
// directory opened (rocks_journal.h), its metadata read or written
// (meta.h), the index rebuilt (recovery.h), then the RocksJournal attached.
// Only then does the Store serve.
//
// Thread-safety: OpenDurable may be called from several threads at once;
// two opens of one directory have one winner (directory.h).
#ifndef USERSTORE_SRC_DURABLE_OPEN_H_
#define USERSTORE_SRC_DURABLE_OPEN_H_

#include <functional>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "rocksdb/env.h"
#include "store/journal.h"
#include "store/store_impl.h"
#include "userstore/options.h"

namespace userstore::internal::durable {

// Test hooks of OpenDurable.
struct OpenHooks {
  rocksdb::Env* env = nullptr;  // null: the default; tests inject file faults
  // When set, the journal the Store gets is wrap_journal(the RocksJournal).
  std::function<std::unique_ptr<Journal>(std::unique_ptr<Journal>)> wrap_journal;
};

// Store::Open without the Store wrapper (see include/userstore/store.h for
// the contract and errors).
absl::StatusOr<std::unique_ptr<StoreImpl>> OpenDurable(std::string_view path, StoreOptions options,
                                                       const DurableOptions& durable,
                                                       const OpenHooks& hooks = {});

}  // namespace userstore::internal::durable

#endif  // USERSTORE_SRC_DURABLE_OPEN_H_
