// userstore::Store::OpenShared (include/userstore/store.h, docs/scale-out.md):
// the options checked, PostgreSQL reached, schema v2 ensured (schema.h), the
// account SID and page-token key reconciled with the stored ones, everything
// loaded into a fresh StoreImpl through RestoreTarget in one REPEATABLE READ
// transaction, then the PgJournal attached. Only then does the Store serve.
#include <algorithm>
#include <cctype>
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
#include "shared/replica.h"
#include "shared/rows.h"
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

// Row `row` of `r` as cells (columns in the canonical order of rows.h).
std::vector<Cell> CellsOf(const PgResult& r, int row, size_t width) {
  std::vector<Cell> cells(width);
  for (size_t i = 0; i < width; ++i) {
    const int column = static_cast<int>(i);
    if (!r.IsNull(row, column)) cells[i] = Cell{Cell::Kind::kText, r.Get(row, column)};
  }
  return cells;
}

absl::Status Malformed(std::string_view what, const absl::Status& why) {
  return DatabaseError("malformed shared store: " + std::string(what) + ": " +
                       std::string(why.message()));
}

// Services, roles, the Configuration, deleted SIDs, then users (in creation
// order per Service).
absl::Status LoadAll(PgConn& conn, const std::string& account_sid, RestoreTarget* target) {
  const std::string services_sql =
      "SELECT " + SelectList(kServiceColumns) + " FROM userstore_services ORDER BY sid";
  USERSTORE_ASSIGN_OR_RETURN(PgResult services, conn.Exec(services_sql.c_str(), {}));
  const std::string roles_sql =
      "SELECT " + SelectList(kRoleColumns) + " FROM userstore_roles ORDER BY service_sid, position";
  USERSTORE_ASSIGN_OR_RETURN(PgResult roles, conn.Exec(roles_sql.c_str(), {}));
  absl::btree_map<std::string, std::vector<Role>> roles_of;
  for (int i = 0; i < roles.rows(); ++i) {
    USERSTORE_ASSIGN_OR_RETURN(Role role,
                               ParseRole(CellsOf(roles, i, kRoleColumns.size()), account_sid));
    roles_of[role.service_sid].push_back(std::move(role));
  }
  for (int i = 0; i < services.rows(); ++i) {
    USERSTORE_ASSIGN_OR_RETURN(
        const Service service,
        ParseService(CellsOf(services, i, kServiceColumns.size()), account_sid));
    if (absl::Status s = target->RestoreService(service, roles_of[service.sid]); !s.ok()) {
      return Malformed("Service " + service.sid, s);
    }
  }
  const std::string configuration_sql =
      "SELECT " + SelectList(kConfigurationColumns) + " FROM userstore_configuration";
  USERSTORE_ASSIGN_OR_RETURN(PgResult configuration, conn.Exec(configuration_sql.c_str(), {}));
  for (int i = 0; i < configuration.rows(); ++i) {  // none until the first update, else one
    USERSTORE_ASSIGN_OR_RETURN(
        const ConfigurationRow row,
        ParseConfiguration(CellsOf(configuration, i, kConfigurationColumns.size())));
    if (absl::Status s = target->RestoreConfiguration(row.configuration, row.revision); !s.ok()) {
      return Malformed("the Configuration", s);
    }
  }
  const std::string deleted_sql =
      "SELECT " + SelectList(kDeletedColumns) + " FROM userstore_deleted_sids";
  USERSTORE_ASSIGN_OR_RETURN(PgResult deleted, conn.Exec(deleted_sql.c_str(), {}));
  for (int i = 0; i < deleted.rows(); ++i) {
    USERSTORE_ASSIGN_OR_RETURN(const DeletedRow row,
                               ParseDeleted(CellsOf(deleted, i, kDeletedColumns.size())));
    USERSTORE_RETURN_IF_ERROR(target->RestoreDeletedSid(row.service_sid, row.sid));
    USERSTORE_RETURN_IF_ERROR(target->RestoreSequence(row.service_sid, row.revision));
  }
  // TODO(issue 16): a cursor (or single-row mode) instead of one result
  // holding every user at once.
  const std::string users_sql =
      "SELECT " + SelectList(kUserColumns) + " FROM userstore_users ORDER BY service_sid, sequence";
  USERSTORE_ASSIGN_OR_RETURN(PgResult users, conn.Exec(users_sql.c_str(), {}));
  for (int i = 0; i < users.rows(); ++i) {
    USERSTORE_ASSIGN_OR_RETURN(UserRow row, ParseUser(CellsOf(users, i, kUserColumns.size())));
    if (absl::Status s = target->RestoreUser(row.service_sid, std::move(row.record)); !s.ok()) {
      return Malformed("user " + std::string(users.Get(i, 1)), s);
    }
  }
  return absl::OkStatus();
}

// The slot's name: "userstore_" + replica_name, or a random one.
absl::StatusOr<std::string> SlotName(const std::string& replica_name) {
  if (replica_name.empty()) {
    std::string sid = MintSid("US");  // 32 random hex digits
    return "userstore_" + sid.substr(2, 16);
  }
  const bool valid = replica_name.size() <= 40 &&
                     std::all_of(replica_name.begin(), replica_name.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                     });
  if (!valid) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "SharedOptions::replica_name must be 1..40 of [a-z0-9_]");
  }
  return "userstore_" + replica_name;
}

// An exported snapshot's name: hex digits and dashes ("00000003-0000000C-1").
bool IsSnapshotName(const std::string& name) {
  return !name.empty() && name.size() < 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) || c == '-';
  });
}

absl::StatusOr<std::unique_ptr<StoreImpl>> OpenSharedImpl(std::string_view conninfo,
                                                          StoreOptions options,
                                                          const SharedOptions& shared) {
  if (shared.consistency != SharedOptions::Consistency::kLocal &&
      shared.consistency != SharedOptions::Consistency::kAfterOwnWrites) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "SharedOptions::consistency is not one of its enumerators");
  }
  if (shared.replica_wait < absl::Milliseconds(1)) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "SharedOptions::replica_wait must be at least 1 ms");
  }
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
  USERSTORE_ASSIGN_OR_RETURN(const std::string slot, SlotName(shared.replica_name));
  auto impl = std::make_unique<StoreImpl>(std::move(checked));
  // The load runs through the slot's exported snapshot, with no statement
  // timeout (it reads everything).
  PgPool loader(std::string(conninfo), absl::ZeroDuration());
  auto load = [&](const std::string& snapshot) -> absl::Status {
    if (!IsSnapshotName(snapshot)) return DatabaseError("a malformed snapshot name");
    return loader.InTransaction(
        [&](PgConn& conn) -> absl::Status {
          const std::string set = "SET TRANSACTION SNAPSHOT '" + snapshot + "'";
          USERSTORE_RETURN_IF_ERROR(conn.Exec(set.c_str(), {}).status());
          return LoadAll(conn, stored.account_sid, impl.get());
        },
        "REPEATABLE READ READ ONLY");
  };
  USERSTORE_ASSIGN_OR_RETURN(
      std::unique_ptr<Replicator> replicator,
      Replicator::Start(std::string(conninfo), slot, stored.account_sid, impl.get(), load));
  impl->SetJournal(std::make_unique<PgJournal>(std::move(pool)));
  replicator->Begin();
  impl->SetReplicaSource(std::move(replicator),
                         shared.consistency == SharedOptions::Consistency::kAfterOwnWrites,
                         shared.replica_wait);
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
