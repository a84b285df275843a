// What the import and export benchmarks share (import_bench.cc): the N rows
// every system loads, a scratch directory, and the SQLite twin's table.
#ifndef USERSTORE_BENCH_IMPORT_ROWS_H_
#define USERSTORE_BENCH_IMPORT_ROWS_H_

#include <sqlite3.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "userstore/import.h"

namespace userstore::bench {

// Prints "import_bench: <what>" and aborts (a benchmark's setup failed).
[[noreturn]] void BenchDie(const std::string& what);

// The N rows, built once per N and kept for the process: the workload's
// identities and attributes, SIDs US<i> (i = 1..N), dates one second apart
// from 2016-03-24T21:05:19Z (an export's order), every 4th row with a
// friendly name, joined counts i % 7. Thread-safe. O(N) the first time.
const std::vector<UserImport>& ImportRows(size_t n);

// A new empty directory under $TMPDIR (or /tmp); the caller removes it.
std::string NewBenchDirectory();

// Runs `sql` on `db`; aborts on an error.
void SqliteExec(sqlite3* db, const char* sql);

// baseline_sqlite's users table (sid TEXT PRIMARY KEY, the UNIQUE index on
// identity in place), and its prepared INSERT of every column (?1..?8:
// sid, identity, role_sid, attributes, friendly_name, date_created,
// date_updated, joined_channels_count; dates in Unix seconds).
void CreateUsersTable(sqlite3* db);
sqlite3_stmt* PrepareInsert(sqlite3* db);

// Inserts each of `rows` that passes the baselines' identity and attributes
// checks (as bench/baseline_sqlite does) with `insert`, role `role_sid`.
// The caller opens and commits the transaction. Returns the rows inserted.
size_t InsertRows(sqlite3_stmt* insert, const std::vector<UserImport>& rows,
                  std::string_view role_sid);

}  // namespace userstore::bench

#endif  // USERSTORE_BENCH_IMPORT_ROWS_H_
