#include "shared/schema.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "userstore/error.h"

namespace userstore::internal::shared {
namespace {

// pg_advisory_xact_lock's key for schema creation: "usrstore" in ASCII.
constexpr const char* kLockSql = "SELECT pg_advisory_xact_lock(8463219678229197413)";

// Schema v1, one statement each (the extended protocol runs one at a time).
// Dates are Unix seconds (users) or microseconds (Services, roles), as the
// memory Store holds them.
constexpr const char* kCreateV1[] = {
    R"(CREATE TABLE userstore_meta (
         id boolean PRIMARY KEY DEFAULT true CHECK (id),
         schema_version integer NOT NULL,
         account_sid text NOT NULL,
         page_token_key bytea NOT NULL))",
    R"(CREATE TABLE userstore_services (
         sid text PRIMARY KEY,
         friendly_name text NOT NULL,
         default_service_role_sid text NOT NULL,
         default_channel_role_sid text NOT NULL,
         default_channel_creator_role_sid text NOT NULL,
         reachability_enabled boolean NOT NULL,
         date_created bigint NOT NULL,
         date_updated bigint NOT NULL))",
    R"(CREATE TABLE userstore_roles (
         service_sid text NOT NULL REFERENCES userstore_services ON DELETE CASCADE,
         position bigint GENERATED ALWAYS AS IDENTITY,
         sid text NOT NULL,
         friendly_name text NOT NULL,
         channel_scope boolean NOT NULL,
         permissions text NOT NULL,
         date_created bigint NOT NULL,
         date_updated bigint NOT NULL,
         PRIMARY KEY (service_sid, position),
         CONSTRAINT userstore_roles_service_sid_sid_key UNIQUE (service_sid, sid)))",
    R"(CREATE TABLE userstore_users (
         sid text PRIMARY KEY,
         service_sid text NOT NULL REFERENCES userstore_services ON DELETE CASCADE,
         identity text COLLATE "C" NOT NULL,
         sequence bigint NOT NULL,
         revision bigint NOT NULL,
         role_sid text NOT NULL,
         friendly_name text,
         attributes text NOT NULL,
         joined_channels bigint NOT NULL,
         date_created bigint NOT NULL,
         date_updated bigint NOT NULL,
         CONSTRAINT userstore_users_service_sid_identity_key UNIQUE (service_sid, identity),
         CONSTRAINT userstore_users_service_sid_sequence_key UNIQUE (service_sid, sequence)))",
    R"(CREATE SEQUENCE userstore_sequence_blocks INCREMENT BY 128 MINVALUE 128 START WITH 128)",
    R"(CREATE TABLE userstore_deleted_sids (
         service_sid text NOT NULL,
         sid text PRIMARY KEY,
         revision bigint NOT NULL))",
    R"(CREATE PUBLICATION userstore FOR TABLE userstore_meta, userstore_services,
         userstore_roles, userstore_users, userstore_deleted_sids)",
};

static_assert(kSequenceBlock == 128, "kCreateV1's userstore_sequence_blocks says 128");

// v1 -> v2 (issue 17): the Conversations Configuration, one row (none until
// the first update), replicated like the other tables. A new database is
// created as v1 and upgraded at once, so this path always runs.
constexpr const char* kUpgradeToV2[] = {
    R"(CREATE TABLE userstore_configuration (
         id boolean PRIMARY KEY DEFAULT true CHECK (id),
         revision bigint NOT NULL CHECK (revision > 0),
         default_chat_service_sid text NOT NULL,
         default_messaging_service_sid text NOT NULL,
         default_inactive_timer text NOT NULL,
         default_closed_timer text NOT NULL))",
    R"(ALTER PUBLICATION userstore ADD TABLE userstore_configuration)",
    R"(UPDATE userstore_meta SET schema_version = 2)",
};

absl::Status SchemaError(std::string message) {
  return TwilioError(absl::StatusCode::kFailedPrecondition, 500, twilio_code::kInternal,
                     std::move(message));
}

}  // namespace

absl::StatusOr<SharedMeta> EnsureSchema(PgPool& pool, const SharedMeta& proposed) {
  SharedMeta stored;
  const absl::Status done = pool.InTransaction([&](PgConn& conn) -> absl::Status {
    USERSTORE_RETURN_IF_ERROR(conn.Exec(kLockSql, {}).status());
    USERSTORE_ASSIGN_OR_RETURN(PgResult exists,
                               conn.Exec("SELECT to_regclass('userstore_meta') IS NOT NULL", {}));
    if (exists.Get(0, 0) == "f") {
      for (const char* sql : kCreateV1) USERSTORE_RETURN_IF_ERROR(conn.Exec(sql, {}).status());
      const std::string key = absl::BytesToHexString(proposed.page_token_key);
      USERSTORE_RETURN_IF_ERROR(
          conn.Exec("INSERT INTO userstore_meta (schema_version, account_sid, page_token_key) "
                    "VALUES (1, $1, decode($2, 'hex'))",
                    {proposed.account_sid, key})
              .status());
      for (const char* sql : kUpgradeToV2) USERSTORE_RETURN_IF_ERROR(conn.Exec(sql, {}).status());
      stored = proposed;
      return absl::OkStatus();
    }
    USERSTORE_ASSIGN_OR_RETURN(
        PgResult meta,
        conn.Exec("SELECT schema_version, account_sid, encode(page_token_key, 'hex') "
                  "FROM userstore_meta",
                  {}));
    if (meta.rows() != 1) {
      return SchemaError("userstore_meta holds " + std::to_string(meta.rows()) +
                         " rows, not 1: not a userstore database");
    }
    USERSTORE_ASSIGN_OR_RETURN(const int64_t version, meta.GetInt(0, 0));
    if (version > kSchemaVersion) {
      return SchemaError(absl::StrCat("schema version ", version, " is newer than this library's (",
                                      kSchemaVersion, "): upgrade userstore"));
    }
    if (version < 1) return SchemaError(absl::StrCat("unknown schema version ", version));
    if (version == 1) {
      for (const char* sql : kUpgradeToV2) USERSTORE_RETURN_IF_ERROR(conn.Exec(sql, {}).status());
    }
    stored.account_sid = std::string(meta.Get(0, 1));
    stored.page_token_key = absl::HexStringToBytes(std::string(meta.Get(0, 2)));
    return absl::OkStatus();
  });
  if (!done.ok()) return done;
  return stored;
}

}  // namespace userstore::internal::shared
