// The rows of schema v2 (schema.cc) turned into the Store's values, from
// either source: a snapshot query (PgResult, columns in the order below) or
// a pgoutput tuple (columns mapped by name, shared/replica.cc). Both give a
// row as cells in the canonical column order of its table.
//
// Errors: 500/20500 "malformed shared store: ..." for a value that is not
// what the schema holds (a bad SID, a number out of range, a NULL where the
// schema has NOT NULL, an unchanged-TOAST marker where one cannot be).
#ifndef USERSTORE_SRC_SHARED_ROWS_H_
#define USERSTORE_SRC_SHARED_ROWS_H_

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "sid/sid.h"
#include "store/user_record.h"
#include "userstore/configuration.h"
#include "userstore/service.h"

namespace userstore::internal::shared {

// One value of a row.
struct Cell {
  enum class Kind {
    kNull,
    kUnchanged,  // pgoutput 'u': an unchanged TOAST value, not sent
    kText,
  };
  Kind kind = Kind::kNull;
  std::string_view text;  // kText: the value's text form (views the source)
};

// The canonical column orders (the snapshot's SELECT lists use them).
inline constexpr std::array<std::string_view, 11> kUserColumns = {
    "service_sid",   "sid",        "identity",        "sequence",     "revision",    "role_sid",
    "friendly_name", "attributes", "joined_channels", "date_created", "date_updated"};
inline constexpr std::array<std::string_view, 8> kServiceColumns = {
    "sid",
    "friendly_name",
    "default_service_role_sid",
    "default_channel_role_sid",
    "default_channel_creator_role_sid",
    "reachability_enabled",
    "date_created",
    "date_updated"};
inline constexpr std::array<std::string_view, 7> kRoleColumns = {
    "service_sid", "sid",          "friendly_name", "channel_scope",
    "permissions", "date_created", "date_updated"};
inline constexpr std::array<std::string_view, 3> kDeletedColumns = {"service_sid", "sid",
                                                                    "revision"};
inline constexpr std::array<std::string_view, 5> kConfigurationColumns = {
    "revision", "default_chat_service_sid", "default_messaging_service_sid",
    "default_inactive_timer", "default_closed_timer"};

// "SELECT <columns> FROM <table>" in the canonical order.
std::string SelectList(absl::Span<const std::string_view> columns);

// A user row (kUserColumns).
struct UserRow {
  std::string service_sid;
  UserRecord::Ptr record;
  bool keep_attributes = false;     // attributes was kUnchanged
  bool keep_friendly_name = false;  // friendly_name was kUnchanged
};
absl::StatusOr<UserRow> ParseUser(absl::Span<const Cell> cells);

// A Service row (kServiceColumns); roles are not part of it.
absl::StatusOr<Service> ParseService(absl::Span<const Cell> cells, const std::string& account_sid);

// A role row (kRoleColumns).
absl::StatusOr<Role> ParseRole(absl::Span<const Cell> cells, const std::string& account_sid);

// A deleted-SID row (kDeletedColumns).
struct DeletedRow {
  std::string service_sid;
  SidBytes sid;
  uint64_t revision = 0;
};
absl::StatusOr<DeletedRow> ParseDeleted(absl::Span<const Cell> cells);

// The Configuration row (kConfigurationColumns; schema v2). Its fields'
// content is the Store's check (RestoreConfiguration, ApplyConfiguration).
struct ConfigurationRow {
  Configuration configuration;  // account_sid empty
  uint64_t revision = 0;        // 1 or more
};
absl::StatusOr<ConfigurationRow> ParseConfiguration(absl::Span<const Cell> cells);

}  // namespace userstore::internal::shared

#endif  // USERSTORE_SRC_SHARED_ROWS_H_
