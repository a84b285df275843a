#include "bench/baseline_sqlite.h"

#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace userstore::bench {
namespace {

// Columns every user-returning statement selects, in this order.
constexpr char kColumns[] =
    "rowid, sid, identity, role_sid, attributes, friendly_name, date_created, "
    "date_updated, joined_channels_count";

[[noreturn]] void Die(sqlite3* db, const char* what) {
  std::fprintf(stderr, "sqlite: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
  std::abort();
}

sqlite3_stmt* Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
      SQLITE_OK) {
    Die(db, sql.c_str());
  }
  return stmt;
}

void BindText(sqlite3_stmt* stmt, int index, std::string_view text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

std::string_view ColumnText(sqlite3_stmt* stmt, int column) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  // sqlite3_column_bytes is never negative.
  return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(stmt, column)))
           : std::string_view();
}

// The User of the current row (columns as kColumns).
User RowToUser(sqlite3_stmt* stmt, const ServiceIds& ids) {
  User u;
  u.sid = ColumnText(stmt, 1);
  u.account_sid = ids.account_sid;
  u.service_sid = ids.service_sid;
  u.identity = ColumnText(stmt, 2);
  u.role_sid = ColumnText(stmt, 3);
  u.attributes = ColumnText(stmt, 4);
  if (u.attributes.empty()) u.attributes = "{}";
  if (sqlite3_column_type(stmt, 5) != SQLITE_NULL) u.friendly_name.emplace(ColumnText(stmt, 5));
  u.date_created = absl::FromUnixSeconds(sqlite3_column_int64(stmt, 6));
  u.date_updated = absl::FromUnixSeconds(sqlite3_column_int64(stmt, 7));
  u.joined_channels_count = sqlite3_column_int64(stmt, 8);
  return u;
}

// Steps a single-row lookup statement into a User; resets it.
absl::StatusOr<User> StepOne(sqlite3_stmt* stmt, const ServiceIds& ids) {
  const int rc = sqlite3_step(stmt);
  absl::StatusOr<User> result = absl::NotFoundError("no such user");
  if (rc == SQLITE_ROW) result = RowToUser(stmt, ids);
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  return result;
}

}  // namespace

SqliteStore::SqliteStore() : ids_(MintServiceIds()) {
  if (sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    Die(db_, "open");
  }
  const char* schema =
      "CREATE TABLE users (sid TEXT PRIMARY KEY NOT NULL, identity TEXT NOT NULL, "
      "role_sid TEXT NOT NULL, attributes TEXT NOT NULL, friendly_name TEXT, "
      "date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL, "
      "joined_channels_count INTEGER NOT NULL DEFAULT 0);"
      "CREATE UNIQUE INDEX users_identity ON users (identity);";
  if (sqlite3_exec(db_, schema, nullptr, nullptr, nullptr) != SQLITE_OK) Die(db_, "schema");
  const std::string cols = kColumns;
  insert_ = Prepare(db_,
                    "INSERT INTO users (sid, identity, role_sid, attributes, friendly_name, "
                    "date_created, date_updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)");
  by_sid_ = Prepare(db_, "SELECT " + cols + " FROM users WHERE sid = ?1");
  by_identity_ = Prepare(db_, "SELECT " + cols + " FROM users WHERE identity = ?1");
  const std::string set =
      "UPDATE users SET attributes = coalesce(?2, attributes), "
      "friendly_name = CASE WHEN ?3 IS NULL THEN friendly_name WHEN ?3 = '' THEN NULL "
      "ELSE ?3 END, date_updated = ?4 WHERE ";
  update_by_sid_ = Prepare(db_, set + "sid = ?1 RETURNING " + cols);
  update_by_identity_ = Prepare(db_, set + "identity = ?1 RETURNING " + cols);
  delete_by_sid_ = Prepare(db_, "DELETE FROM users WHERE sid = ?1");
  delete_by_identity_ = Prepare(db_, "DELETE FROM users WHERE identity = ?1");
  page_ = Prepare(db_, "SELECT " + cols + " FROM users WHERE rowid > ?1 ORDER BY rowid LIMIT ?2");
  offset_page_ = Prepare(db_, "SELECT " + cols + " FROM users ORDER BY rowid LIMIT ?2 OFFSET ?1");
}

SqliteStore::~SqliteStore() {
  for (sqlite3_stmt* s : {insert_, by_sid_, by_identity_, update_by_sid_, update_by_identity_,
                          delete_by_sid_, delete_by_identity_, page_, offset_page_}) {
    sqlite3_finalize(s);
  }
  sqlite3_close(db_);
}

absl::StatusOr<User> SqliteStore::Create(const UserCreate& params) {
  if (absl::Status s = CheckIdentity(params.identity); !s.ok()) return s;
  if (params.attributes) {
    if (absl::Status s = CheckAttributes(*params.attributes); !s.ok()) return s;
  }
  User u;
  u.sid = MintSid("US");
  u.account_sid = ids_.account_sid;
  u.service_sid = ids_.service_sid;
  u.role_sid = ids_.default_role_sid;
  u.identity = params.identity;
  u.attributes = params.attributes ? *params.attributes : std::string();
  if (params.friendly_name && !params.friendly_name->empty())
    u.friendly_name = params.friendly_name;
  u.date_created = u.date_updated = absl::FromUnixSeconds(NowSeconds());
  int rc;
  {
    std::lock_guard<std::mutex> lock(mu_);
    BindText(insert_, 1, u.sid);
    BindText(insert_, 2, u.identity);
    BindText(insert_, 3, u.role_sid);
    BindText(insert_, 4, u.attributes);
    if (u.friendly_name) BindText(insert_, 5, *u.friendly_name);
    sqlite3_bind_int64(insert_, 6, absl::ToUnixSeconds(u.date_created));
    rc = sqlite3_step(insert_);
    sqlite3_reset(insert_);
    sqlite3_clear_bindings(insert_);
  }
  if (rc == SQLITE_CONSTRAINT) return absl::AlreadyExistsError("User already exists");
  if (rc != SQLITE_DONE) return absl::InternalError(sqlite3_errstr(rc));
  if (u.attributes.empty()) u.attributes = "{}";
  return u;
}

absl::StatusOr<User> SqliteStore::Fetch(std::string_view key) const {
  sqlite3_stmt* stmt = IsUserSid(key) ? by_sid_ : by_identity_;
  std::lock_guard<std::mutex> lock(mu_);
  BindText(stmt, 1, key);
  return StepOne(stmt, ids_);
}

absl::StatusOr<User> SqliteStore::Update(std::string_view key, const UserUpdate& params) {
  if (params.attributes) {
    if (absl::Status s = CheckAttributes(*params.attributes); !s.ok()) return s;
  }
  const int64_t now = NowSeconds();
  sqlite3_stmt* stmt = IsUserSid(key) ? update_by_sid_ : update_by_identity_;
  std::lock_guard<std::mutex> lock(mu_);
  BindText(stmt, 1, key);
  if (params.attributes) BindText(stmt, 2, *params.attributes);
  if (params.friendly_name) BindText(stmt, 3, *params.friendly_name);
  sqlite3_bind_int64(stmt, 4, now);
  return StepOne(stmt, ids_);
}

absl::Status SqliteStore::Delete(std::string_view key) {
  sqlite3_stmt* stmt = IsUserSid(key) ? delete_by_sid_ : delete_by_identity_;
  std::lock_guard<std::mutex> lock(mu_);
  BindText(stmt, 1, key);
  const int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (rc != SQLITE_DONE) return absl::InternalError(sqlite3_errstr(rc));
  if (sqlite3_changes(db_) != 1) return absl::NotFoundError("no such user");
  return absl::OkStatus();
}

void SqliteStore::BeginBulk() {
  std::lock_guard<std::mutex> lock(mu_);
  if (sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) Die(db_, "BEGIN");
}

void SqliteStore::EndBulk() {
  std::lock_guard<std::mutex> lock(mu_);
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) Die(db_, "COMMIT");
}

PageResult<SqliteStore::Cursor> SqliteStore::CollectPage(sqlite3_stmt* stmt, size_t limit) const {
  PageResult<Cursor> page;
  page.users.reserve(limit);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    if (page.users.size() == limit) {
      page.has_next = true;  // the one-ahead row
      break;
    }
    page.next = sqlite3_column_int64(stmt, 0);
    page.users.push_back(RowToUser(stmt, ids_));
  }
  sqlite3_reset(stmt);
  return page;
}

PageResult<SqliteStore::Cursor> SqliteStore::List(Cursor after, size_t limit) const {
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_bind_int64(page_, 1, after);
  sqlite3_bind_int64(page_, 2, static_cast<int64_t>(limit) + 1);
  PageResult<Cursor> page = CollectPage(page_, limit);
  if (page.users.empty()) page.next = after;
  return page;
}

PageResult<SqliteStore::Cursor> SqliteStore::ListOffset(int64_t offset, size_t limit) const {
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_bind_int64(offset_page_, 1, offset);
  sqlite3_bind_int64(offset_page_, 2, static_cast<int64_t>(limit) + 1);
  return CollectPage(offset_page_, limit);
}

}  // namespace userstore::bench
