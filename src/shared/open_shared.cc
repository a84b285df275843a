// userstore::Store::OpenShared (include/userstore/store.h, docs/scale-out.md):
// the options checked, PostgreSQL reached, schema v1 ensured (schema.h), the
// account SID and page-token key reconciled with the stored ones, everything
// loaded into a fresh StoreImpl through RestoreTarget in one REPEATABLE READ
// transaction, then the PgJournal attached. Only then does the Store serve.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "common/twilio_errors.h"
#include "shared/pg.h"
#include "shared/pg_journal.h"
#include "shared/schema.h"
#include "sid/sid.h"
#include "store/store_impl.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore {
namespace internal::shared {
namespace {

// The stored metadata wins over the options; an option that was given and
// differs is an error (400/20001, kFailedPrecondition), as for Store::Open.
absl::Status Reconcile(const SharedMeta& stored, bool account_given, bool key_given,
                       StoreOptions* options) {
  if (account_given && options->account_sid != stored.account_sid) {
    return TwilioError(absl::StatusCode::kFailedPrecondition, 400, twilio_code::kInvalidParameter,
                       "account_sid " + options->account_sid + " differs from " +
                           stored.account_sid + ", the account of the shared store");
  }
  if (key_given && options->page_token_key != stored.page_token_key) {
    return TwilioError(absl::StatusCode::kFailedPrecondition, 400, twilio_code::kInvalidParameter,
                       "page_token_key differs from the key of the shared store");
  }
  options->account_sid = stored.account_sid;
  options->page_token_key = stored.page_token_key;
  return absl::OkStatus();
}

absl::Status Malformed(std::string_view what) {
  return DatabaseError(std::string("malformed shared store: ") + std::string(what));
}

absl::StatusOr<absl::Time> TimeAt(const PgResult& r, int row, int column) {
  USERSTORE_ASSIGN_OR_RETURN(const int64_t micros, r.GetInt(row, column));
  return absl::FromUnixMicros(micros);
}

absl::StatusOr<SidBytes> SidAt(const PgResult& r, int row, int column, std::string_view prefix) {
  std::optional<SidBytes> sid = ParseSid(r.Get(row, column), prefix);
  if (!sid) return Malformed("a bad SID: " + std::string(r.Get(row, column)));
  return *sid;
}

// Services, roles, deleted SIDs, then users (in creation order per Service).
absl::Status LoadAll(PgConn& conn, const std::string& account_sid, RestoreTarget* target) {
  USERSTORE_ASSIGN_OR_RETURN(
      PgResult services,
      conn.Exec("SELECT sid, friendly_name, default_service_role_sid, default_channel_role_sid, "
                "default_channel_creator_role_sid, reachability_enabled, date_created, "
                "date_updated FROM userstore_services ORDER BY sid",
                {}));
  USERSTORE_ASSIGN_OR_RETURN(
      PgResult roles,
      conn.Exec("SELECT service_sid, sid, friendly_name, channel_scope, permissions, "
                "date_created, date_updated FROM userstore_roles ORDER BY service_sid, position",
                {}));
  absl::btree_map<std::string, std::vector<Role>> roles_of;
  for (int i = 0; i < roles.rows(); ++i) {
    Role role;
    role.service_sid = std::string(roles.Get(i, 0));
    role.sid = std::string(roles.Get(i, 1));
    role.account_sid = account_sid;
    role.friendly_name = std::string(roles.Get(i, 2));
    role.type = roles.Get(i, 3) == "t" ? RoleScope::kChannel : RoleScope::kDeployment;
    if (!roles.Get(i, 4).empty()) {
      const std::string_view text = roles.Get(i, 4);
      role.permissions = absl::StrSplit(absl::string_view(text.data(), text.size()), '\n');
    }
    USERSTORE_ASSIGN_OR_RETURN(role.date_created, TimeAt(roles, i, 5));
    USERSTORE_ASSIGN_OR_RETURN(role.date_updated, TimeAt(roles, i, 6));
    roles_of[role.service_sid].push_back(std::move(role));
  }
  for (int i = 0; i < services.rows(); ++i) {
    Service service;
    service.sid = std::string(services.Get(i, 0));
    service.account_sid = account_sid;
    service.friendly_name = std::string(services.Get(i, 1));
    service.default_service_role_sid = std::string(services.Get(i, 2));
    service.default_channel_role_sid = std::string(services.Get(i, 3));
    service.default_channel_creator_role_sid = std::string(services.Get(i, 4));
    service.reachability_enabled = services.Get(i, 5) == "t";
    USERSTORE_ASSIGN_OR_RETURN(service.date_created, TimeAt(services, i, 6));
    USERSTORE_ASSIGN_OR_RETURN(service.date_updated, TimeAt(services, i, 7));
    if (absl::Status s = target->RestoreService(service, roles_of[service.sid]); !s.ok()) {
      return Malformed("Service " + service.sid + ": " + std::string(s.message()));
    }
  }
  USERSTORE_ASSIGN_OR_RETURN(
      PgResult deleted,
      conn.Exec("SELECT service_sid, sid, revision FROM userstore_deleted_sids", {}));
  for (int i = 0; i < deleted.rows(); ++i) {
    USERSTORE_ASSIGN_OR_RETURN(const SidBytes sid, SidAt(deleted, i, 1, "US"));
    USERSTORE_ASSIGN_OR_RETURN(const int64_t revision, deleted.GetInt(i, 2));
    USERSTORE_RETURN_IF_ERROR(target->RestoreDeletedSid(deleted.Get(i, 0), sid));
    USERSTORE_RETURN_IF_ERROR(
        target->RestoreSequence(deleted.Get(i, 0), static_cast<uint64_t>(revision)));
  }
  // TODO(issue 16): a cursor (or single-row mode) instead of one result
  // holding every user at once.
  USERSTORE_ASSIGN_OR_RETURN(
      PgResult users,
      conn.Exec("SELECT service_sid, sid, identity, sequence, revision, role_sid, friendly_name, "
                "attributes, joined_channels, date_created, date_updated FROM userstore_users "
                "ORDER BY service_sid, sequence",
                {}));
  for (int i = 0; i < users.rows(); ++i) {
    UserRecord::Text text;
    text.identity = users.Get(i, 2);
    text.attributes = users.Get(i, 7);
    if (!users.IsNull(i, 6)) text.friendly_name = users.Get(i, 6);
    if (!UserRecord::Fits(text)) return Malformed("an oversized user");
    UserRecord::Ptr record = UserRecord::Make(text);
    USERSTORE_ASSIGN_OR_RETURN(record->sid, SidAt(users, i, 1, "US"));
    USERSTORE_ASSIGN_OR_RETURN(record->role_sid, SidAt(users, i, 5, "RL"));
    USERSTORE_ASSIGN_OR_RETURN(const int64_t sequence, users.GetInt(i, 3));
    USERSTORE_ASSIGN_OR_RETURN(const int64_t revision, users.GetInt(i, 4));
    if (sequence <= 0 || revision <= 0) return Malformed("a sequence or revision below 1");
    record->sequence = static_cast<uint64_t>(sequence);
    record->revision = static_cast<uint64_t>(revision);
    USERSTORE_ASSIGN_OR_RETURN(record->joined_channels_count, users.GetInt(i, 8));
    USERSTORE_ASSIGN_OR_RETURN(record->date_created, users.GetInt(i, 9));
    USERSTORE_ASSIGN_OR_RETURN(record->date_updated, users.GetInt(i, 10));
    const std::string_view service_sid = users.Get(i, 0);
    if (absl::Status s = target->RestoreUser(service_sid, std::move(record)); !s.ok()) {
      return Malformed("user " + std::string(users.Get(i, 1)) + ": " + std::string(s.message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<StoreImpl>> OpenSharedImpl(std::string_view conninfo,
                                                          StoreOptions options,
                                                          const SharedOptions& shared) {
  if (shared.write_timeout < absl::Milliseconds(1) ||
      shared.write_timeout > absl::Milliseconds(INT32_MAX)) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "SharedOptions::write_timeout must be within 1 ms .. 2^31-1 ms");
  }
  const bool account_given = !options.account_sid.empty();
  const bool key_given = !options.page_token_key.empty();
  USERSTORE_ASSIGN_OR_RETURN(StoreOptions checked, CheckStoreOptions(std::move(options)));
  auto pool = std::make_unique<PgPool>(std::string(conninfo), shared.write_timeout);
  USERSTORE_ASSIGN_OR_RETURN(const SharedMeta stored,
                             EnsureSchema(*pool, {checked.account_sid, checked.page_token_key}));
  USERSTORE_RETURN_IF_ERROR(Reconcile(stored, account_given, key_given, &checked));
  auto impl = std::make_unique<StoreImpl>(std::move(checked));
  USERSTORE_RETURN_IF_ERROR(pool->InTransaction(
      [&](PgConn& conn) { return LoadAll(conn, stored.account_sid, impl.get()); },
      "REPEATABLE READ READ ONLY"));
  impl->SetJournal(std::make_unique<PgJournal>(std::move(pool)));
  return impl;
}

}  // namespace
}  // namespace internal::shared

absl::StatusOr<std::unique_ptr<Store>> Store::OpenShared(std::string_view conninfo,
                                                         StoreOptions options,
                                                         SharedOptions shared) {
  USERSTORE_ASSIGN_OR_RETURN(
      std::unique_ptr<internal::StoreImpl> impl,
      internal::shared::OpenSharedImpl(conninfo, std::move(options), shared));
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

}  // namespace userstore
