#include "shared/rows.h"

#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "shared/pg.h"

namespace userstore::internal::shared {
namespace {

absl::Status Malformed(std::string_view what) {
  return DatabaseError("malformed shared store: " + std::string(what));
}

absl::StatusOr<std::string_view> Text(absl::Span<const Cell> cells, size_t i,
                                      std::string_view column) {
  if (cells[i].kind != Cell::Kind::kText) {
    return Malformed(std::string(column) + (cells[i].kind == Cell::Kind::kNull
                                                ? " is NULL"
                                                : " is an unchanged value not sent"));
  }
  return cells[i].text;
}

absl::StatusOr<int64_t> Int(absl::Span<const Cell> cells, size_t i, std::string_view column) {
  USERSTORE_ASSIGN_OR_RETURN(const std::string_view text, Text(cells, i, column));
  int64_t v = 0;
  if (!absl::SimpleAtoi(absl::string_view(text.data(), text.size()), &v)) {
    return Malformed(std::string(column) + " is not an integer: " + std::string(text));
  }
  return v;
}

absl::StatusOr<bool> Bool(absl::Span<const Cell> cells, size_t i, std::string_view column) {
  USERSTORE_ASSIGN_OR_RETURN(const std::string_view text, Text(cells, i, column));
  if (text == "t") return true;
  if (text == "f") return false;
  return Malformed(std::string(column) + " is not a boolean");
}

absl::StatusOr<SidBytes> Sid(absl::Span<const Cell> cells, size_t i, std::string_view column,
                             std::string_view prefix) {
  USERSTORE_ASSIGN_OR_RETURN(const std::string_view text, Text(cells, i, column));
  std::optional<SidBytes> sid = ParseSid(text, prefix);
  if (!sid) return Malformed(std::string(column) + " is not a SID: " + std::string(text));
  return *sid;
}

absl::Status Width(absl::Span<const Cell> cells, size_t n) {
  if (cells.size() != n) return Malformed("a row of " + std::to_string(cells.size()) + " columns");
  return absl::OkStatus();
}

}  // namespace

std::string SelectList(absl::Span<const std::string_view> columns) {
  std::string out;
  for (std::string_view column : columns) {
    if (!out.empty()) out += ", ";
    out += column;
  }
  return out;
}

absl::StatusOr<UserRow> ParseUser(absl::Span<const Cell> c) {
  USERSTORE_RETURN_IF_ERROR(Width(c, kUserColumns.size()));
  UserRow row;
  USERSTORE_ASSIGN_OR_RETURN(const std::string_view service, Text(c, 0, "service_sid"));
  row.service_sid = std::string(service);
  UserRecord::Text text;
  USERSTORE_ASSIGN_OR_RETURN(text.identity, Text(c, 2, "identity"));
  row.keep_friendly_name = c[6].kind == Cell::Kind::kUnchanged;
  if (c[6].kind == Cell::Kind::kText) text.friendly_name = c[6].text;
  row.keep_attributes = c[7].kind == Cell::Kind::kUnchanged;
  if (!row.keep_attributes) {
    USERSTORE_ASSIGN_OR_RETURN(text.attributes, Text(c, 7, "attributes"));
  }
  if (!UserRecord::Fits(text)) return Malformed("an oversized user");
  UserRecord::Ptr record = UserRecord::Make(text);
  USERSTORE_ASSIGN_OR_RETURN(record->sid, Sid(c, 1, "sid", "US"));
  USERSTORE_ASSIGN_OR_RETURN(record->role_sid, Sid(c, 5, "role_sid", "RL"));
  USERSTORE_ASSIGN_OR_RETURN(const int64_t sequence, Int(c, 3, "sequence"));
  USERSTORE_ASSIGN_OR_RETURN(const int64_t revision, Int(c, 4, "revision"));
  if (sequence <= 0 || revision <= 0) return Malformed("a sequence or revision below 1");
  record->sequence = static_cast<uint64_t>(sequence);
  record->revision = static_cast<uint64_t>(revision);
  USERSTORE_ASSIGN_OR_RETURN(record->joined_channels_count, Int(c, 8, "joined_channels"));
  USERSTORE_ASSIGN_OR_RETURN(record->date_created, Int(c, 9, "date_created"));
  USERSTORE_ASSIGN_OR_RETURN(record->date_updated, Int(c, 10, "date_updated"));
  row.record = std::move(record);
  return row;
}

absl::StatusOr<Service> ParseService(absl::Span<const Cell> c, const std::string& account_sid) {
  USERSTORE_RETURN_IF_ERROR(Width(c, kServiceColumns.size()));
  Service service;
  service.account_sid = account_sid;
  std::string_view v;
  USERSTORE_ASSIGN_OR_RETURN(v, Text(c, 0, "sid"));
  service.sid = std::string(v);
  USERSTORE_ASSIGN_OR_RETURN(v, Text(c, 1, "friendly_name"));
  service.friendly_name = std::string(v);
  USERSTORE_ASSIGN_OR_RETURN(v, Text(c, 2, "default_service_role_sid"));
  service.default_service_role_sid = std::string(v);
  USERSTORE_ASSIGN_OR_RETURN(v, Text(c, 3, "default_channel_role_sid"));
  service.default_channel_role_sid = std::string(v);
  USERSTORE_ASSIGN_OR_RETURN(v, Text(c, 4, "default_channel_creator_role_sid"));
  service.default_channel_creator_role_sid = std::string(v);
  USERSTORE_ASSIGN_OR_RETURN(service.reachability_enabled, Bool(c, 5, "reachability_enabled"));
  USERSTORE_ASSIGN_OR_RETURN(const int64_t created, Int(c, 6, "date_created"));
  USERSTORE_ASSIGN_OR_RETURN(const int64_t updated, Int(c, 7, "date_updated"));
  service.date_created = absl::FromUnixMicros(created);
  service.date_updated = absl::FromUnixMicros(updated);
  if (!ParseSid(service.sid, "IS")) return Malformed("a bad Service SID: " + service.sid);
  return service;
}

absl::StatusOr<Role> ParseRole(absl::Span<const Cell> c, const std::string& account_sid) {
  USERSTORE_RETURN_IF_ERROR(Width(c, kRoleColumns.size()));
  Role role;
  role.account_sid = account_sid;
  std::string_view v;
  USERSTORE_ASSIGN_OR_RETURN(v, Text(c, 0, "service_sid"));
  role.service_sid = std::string(v);
  USERSTORE_ASSIGN_OR_RETURN(v, Text(c, 1, "sid"));
  role.sid = std::string(v);
  USERSTORE_ASSIGN_OR_RETURN(v, Text(c, 2, "friendly_name"));
  role.friendly_name = std::string(v);
  USERSTORE_ASSIGN_OR_RETURN(const bool channel, Bool(c, 3, "channel_scope"));
  role.type = channel ? RoleScope::kChannel : RoleScope::kDeployment;
  USERSTORE_ASSIGN_OR_RETURN(v, Text(c, 4, "permissions"));
  if (!v.empty()) role.permissions = absl::StrSplit(absl::string_view(v.data(), v.size()), '\n');
  USERSTORE_ASSIGN_OR_RETURN(const int64_t created, Int(c, 5, "date_created"));
  USERSTORE_ASSIGN_OR_RETURN(const int64_t updated, Int(c, 6, "date_updated"));
  role.date_created = absl::FromUnixMicros(created);
  role.date_updated = absl::FromUnixMicros(updated);
  if (!ParseSid(role.sid, "RL")) return Malformed("a bad role SID: " + role.sid);
  return role;
}

absl::StatusOr<DeletedRow> ParseDeleted(absl::Span<const Cell> c) {
  USERSTORE_RETURN_IF_ERROR(Width(c, kDeletedColumns.size()));
  DeletedRow row;
  USERSTORE_ASSIGN_OR_RETURN(const std::string_view service, Text(c, 0, "service_sid"));
  row.service_sid = std::string(service);
  USERSTORE_ASSIGN_OR_RETURN(row.sid, Sid(c, 1, "sid", "US"));
  USERSTORE_ASSIGN_OR_RETURN(const int64_t revision, Int(c, 2, "revision"));
  if (revision <= 0) return Malformed("a deleted SID's revision below 1");
  row.revision = static_cast<uint64_t>(revision);
  return row;
}

absl::StatusOr<ConfigurationRow> ParseConfiguration(absl::Span<const Cell> c) {
  USERSTORE_RETURN_IF_ERROR(Width(c, kConfigurationColumns.size()));
  ConfigurationRow row;
  USERSTORE_ASSIGN_OR_RETURN(const int64_t revision, Int(c, 0, "revision"));
  if (revision <= 0) return Malformed("a Configuration revision below 1");
  row.revision = static_cast<uint64_t>(revision);
  Configuration& out = row.configuration;
  std::string_view v;
  USERSTORE_ASSIGN_OR_RETURN(v, Text(c, 1, "default_chat_service_sid"));
  out.default_chat_service_sid = std::string(v);
  USERSTORE_ASSIGN_OR_RETURN(v, Text(c, 2, "default_messaging_service_sid"));
  out.default_messaging_service_sid = std::string(v);
  USERSTORE_ASSIGN_OR_RETURN(v, Text(c, 3, "default_inactive_timer"));
  out.default_inactive_timer = std::string(v);
  USERSTORE_ASSIGN_OR_RETURN(v, Text(c, 4, "default_closed_timer"));
  out.default_closed_timer = std::string(v);
  return row;
}

}  // namespace userstore::internal::shared
