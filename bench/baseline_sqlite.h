// SqliteStore: the "alternative" baseline, the users in an embedded SQLite
// database, as a host would otherwise do it.
//
// One `:memory:` database, one table: `sid TEXT PRIMARY KEY`, a UNIQUE index
// on `identity`, the other fields as columns; keyset paging on the rowid
// (creation order). Every operation is one prepared statement (updates use
// UPDATE ... RETURNING). The same checks and SID minting as the other
// baselines run before SQLite is called.
//
// Thread-safety: thread-safe: one connection, each operation holds a
// std::mutex around its statement (SQLite serializes a connection anyway).
#ifndef USERSTORE_BENCH_BASELINE_SQLITE_H_
#define USERSTORE_BENCH_BASELINE_SQLITE_H_

#include <cstdint>
#include <mutex>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bench/baseline_common.h"
#include "userstore/user.h"

struct sqlite3;
struct sqlite3_stmt;

namespace userstore::bench {

class SqliteStore {
 public:
  using Cursor = int64_t;  // the rowid of the last user shown; 0: start
  static constexpr char kName[] = "sqlite";
  static constexpr bool kThreadSafe = true;

  // Opens the database and prepares the statements; aborts on failure.
  SqliteStore();
  ~SqliteStore();
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // Errors: InvalidArgument; AlreadyExists (identity taken).
  absl::StatusOr<User> Create(const UserCreate& params);
  // Errors: NotFound.
  absl::StatusOr<User> Fetch(std::string_view key) const;
  absl::StatusOr<User> Update(std::string_view key, const UserUpdate& params);
  absl::Status Delete(std::string_view key);
  // Keyset page: WHERE rowid > after ORDER BY rowid LIMIT limit + 1.
  PageResult<Cursor> List(Cursor after, size_t limit) const;
  // What a host without keyset tokens does: LIMIT limit OFFSET offset.
  PageResult<Cursor> ListOffset(int64_t offset, size_t limit) const;

  // BEGIN / COMMIT around a bulk load (the fixture's preload and undo): with
  // SQLite 3.40 every autocommit write to a :memory: database ends with a
  // page-cache truncation that walks the whole cache (O(database pages)),
  // which would make preloading 1,000,000 users take minutes.
  void BeginBulk();
  void EndBulk();

 private:
  // Runs `stmt` (bound) collecting up to `limit` rows into a page.
  PageResult<Cursor> CollectPage(sqlite3_stmt* stmt, size_t limit) const;

  const ServiceIds ids_;
  mutable std::mutex mu_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* by_sid_ = nullptr;
  sqlite3_stmt* by_identity_ = nullptr;
  sqlite3_stmt* update_by_sid_ = nullptr;
  sqlite3_stmt* update_by_identity_ = nullptr;
  sqlite3_stmt* delete_by_sid_ = nullptr;
  sqlite3_stmt* delete_by_identity_ = nullptr;
  sqlite3_stmt* page_ = nullptr;
  sqlite3_stmt* offset_page_ = nullptr;
};

}  // namespace userstore::bench

#endif  // USERSTORE_BENCH_BASELINE_SQLITE_H_
