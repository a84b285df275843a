// userstore::Store::Open and OpenDurable (durable/open.h, docs/durable.md).
#include "durable/open.h"

#include <optional>
#include <string>
#include <utility>

#include "common/status_macros.h"
#include "durable/meta.h"
#include "durable/recovery.h"
#include "durable/rocks_journal.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore {
namespace internal::durable {
namespace {

// The stored metadata wins over the options; an option that was given and
// differs is an error (400/20001, kFailedPrecondition).
absl::Status Reconcile(std::string_view path, const Meta& stored, bool account_given,
                       bool key_given, StoreOptions* options) {
  if (account_given && options->account_sid != stored.account_sid) {
    return TwilioError(absl::StatusCode::kFailedPrecondition, 400, twilio_code::kInvalidParameter,
                       "account_sid " + options->account_sid + " differs from " +
                           stored.account_sid + ", the account of the store in " +
                           std::string(path));
  }
  if (key_given && options->page_token_key != stored.page_token_key) {
    return TwilioError(absl::StatusCode::kFailedPrecondition, 400, twilio_code::kInvalidParameter,
                       "page_token_key differs from the key of the store in " + std::string(path));
  }
  options->account_sid = stored.account_sid;
  options->page_token_key = stored.page_token_key;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<StoreImpl>> OpenDurable(std::string_view path, StoreOptions options,
                                                       const DurableOptions& durable,
                                                       const OpenHooks& hooks) {
  // Checked first, so that invalid options touch no directory.
  const bool account_given = !options.account_sid.empty();
  const bool key_given = !options.page_token_key.empty();
  USERSTORE_ASSIGN_OR_RETURN(StoreOptions checked, CheckStoreOptions(std::move(options)));
  RocksOpen how;
  how.create = true;
  how.env = hooks.env;
  USERSTORE_ASSIGN_OR_RETURN(StoreDb db, OpenRocks(path, how));
  USERSTORE_ASSIGN_OR_RETURN(std::optional<Meta> stored, ReadMeta(db.get()));
  if (!stored) {
    stored = Meta{checked.account_sid, checked.page_token_key};
    USERSTORE_RETURN_IF_ERROR(WriteMeta(db.get(), *stored));
  } else {
    USERSTORE_RETURN_IF_ERROR(Reconcile(path, *stored, account_given, key_given, &checked));
    USERSTORE_RETURN_IF_ERROR(UpgradeFormat(db.get(), &*stored));
  }
  auto impl = std::make_unique<StoreImpl>(std::move(checked));
  USERSTORE_ASSIGN_OR_RETURN(
      LoadResult loaded, Load(db.get(), *stored, impl.get(), durable.progress, /*writable=*/true));
  std::unique_ptr<Journal> journal = std::make_unique<RocksJournal>(
      std::move(db), durable.sync, durable.flush_on_close, std::move(loaded.next_role_index));
  if (hooks.wrap_journal) journal = hooks.wrap_journal(std::move(journal));
  impl->SetJournal(std::move(journal));
  return impl;
}

}  // namespace internal::durable

absl::StatusOr<std::unique_ptr<Store>> Store::Open(std::string_view path, StoreOptions options,
                                                   DurableOptions durable) {
  USERSTORE_ASSIGN_OR_RETURN(std::unique_ptr<internal::StoreImpl> impl,
                             internal::durable::OpenDurable(path, std::move(options), durable));
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

}  // namespace userstore
