// Import benchmarks (issue 14, "Speed"): loading N users, every field given
// (SID, identity, role, attributes, friendly name, joined count, dates), into
// an empty Service, against SQLite loading the same rows into the same table
// shape in one transaction.
//
// Names (items per second = rows per second):
//   BM_Import/userstore_memory/<N>: Store::Create, one Store::ImportUsers call
//     (batches of 1000 under the index's locks).
//   BM_Import/userstore_durable/<N>: Store::Open with sync=true, one
//     ImportUsers call: one RocksDB WriteBatch per 1000 rows, each fsync'ed.
//   BM_Import/sqlite_memory/<N>: a `:memory:` database with baseline_sqlite's
//     table (sid TEXT PRIMARY KEY, the UNIQUE index on identity in place), one
//     transaction, one prepared INSERT per row.
//   BM_Import/sqlite_file/<N>: the same in a file database, journal_mode=WAL,
//     synchronous=FULL (the commit is fsync'ed: the durable twin).
// Both systems run the same per-row checks first (userstore's own; the
// baselines' CheckIdentity / CheckAttributes, as bench/baseline_sqlite does).
// Counters: rss_bytes_per_user (the largest RSS growth over one import of
// the run, the store held until measured; later iterations reuse freed heap),
// peak_rss_mb (the process's peak so far: getrusage).
// The rows (std::vector<UserImport>) are built once per N, outside the
// timing; each iteration starts from an empty store. Results:
// docs/benchmarks.md, "Import".
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/baseline_common.h"
#include "bench/import_rows.h"
#include "bench/memory.h"
#include "bench/userstore_bench.h"
#include "bench/workload.h"
#include "userstore/store.h"

namespace userstore::bench {
namespace {

using benchmark::State;

constexpr char kService[] = "IS1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e";
constexpr int64_t kBase = 1458853519;  // 2016-03-24T21:05:19Z

}  // namespace

[[noreturn]] void BenchDie(const std::string& what) {
  std::fprintf(stderr, "import_bench: %s\n", what.c_str());
  std::abort();
}

// The N rows: the workload's identities and attributes, SIDs US<i>, dates
// one second apart (an export's order), every 4th with a friendly name.
const std::vector<UserImport>& ImportRows(size_t n) {
  static std::mutex mu;
  static auto* rows = new std::map<size_t, std::vector<UserImport>>;
  std::lock_guard<std::mutex> lock(mu);
  std::vector<UserImport>& out = (*rows)[n];
  if (out.empty()) {
    const Workload& w = GetWorkload(n);
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      UserImport u;
      u.sid = absl::StrFormat("US%032x", i + 1);
      u.identity = w.identities[i];
      u.attributes = w.AttributesOf(i);
      if (i % 4 == 0) u.friendly_name = absl::StrCat("User ", i);
      u.joined_channels_count = static_cast<int64_t>(i % 7);
      u.date_created = absl::FromUnixSeconds(kBase + static_cast<int64_t>(i));
      u.date_updated = u.date_created + absl::Seconds(static_cast<int64_t>(i % 100));
      out.push_back(std::move(u));
    }
  }
  return out;
}

std::string NewBenchDirectory() {
  const char* tmp = getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr ? tmp : "/tmp") + "/userstore-import-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) BenchDie("mkdtemp failed");
  return pattern;
}

void SqliteExec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    BenchDie(absl::StrCat(sql, ": ", error != nullptr ? error : "?"));
  }
}

void CreateUsersTable(sqlite3* db) {
  // bench/baseline_sqlite's table: the same shape, the identity index in
  // place before the load.
  SqliteExec(db,
             "CREATE TABLE users (sid TEXT PRIMARY KEY NOT NULL, identity TEXT NOT NULL, "
             "role_sid TEXT NOT NULL, attributes TEXT NOT NULL, friendly_name TEXT, "
             "date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL, "
             "joined_channels_count INTEGER NOT NULL DEFAULT 0);"
             "CREATE UNIQUE INDEX users_identity ON users (identity);");
}

sqlite3_stmt* PrepareInsert(sqlite3* db) {
  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO users (sid, identity, role_sid, attributes, friendly_name, "
                         "date_created, date_updated, joined_channels_count) VALUES "
                         "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                         -1, &insert, nullptr) != SQLITE_OK) {
    BenchDie(sqlite3_errmsg(db));
  }
  return insert;
}

namespace {

void BindText(sqlite3_stmt* stmt, int index, std::string_view text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

}  // namespace

size_t InsertRows(sqlite3_stmt* insert, const std::vector<UserImport>& rows,
                  std::string_view role_sid) {
  size_t inserted = 0;
  for (const UserImport& u : rows) {
    if (!CheckIdentity(u.identity).ok()) continue;
    if (!u.attributes.empty() && !CheckAttributes(u.attributes).ok()) continue;
    BindText(insert, 1, u.sid);
    BindText(insert, 2, u.identity);
    BindText(insert, 3, role_sid);
    BindText(insert, 4, u.attributes);
    if (u.friendly_name) {
      BindText(insert, 5, *u.friendly_name);
    } else {
      sqlite3_bind_null(insert, 5);
    }
    sqlite3_bind_int64(insert, 6, absl::ToUnixSeconds(u.date_created));
    sqlite3_bind_int64(insert, 7, absl::ToUnixSeconds(u.date_updated));
    sqlite3_bind_int64(insert, 8, u.joined_channels_count);
    if (sqlite3_step(insert) == SQLITE_DONE) ++inserted;
    sqlite3_reset(insert);
  }
  return inserted;
}

namespace {

double PeakRssMb() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB
}

void Finish(State& state, size_t n, int64_t rss_growth) {
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.counters["rss_bytes_per_user"] = static_cast<double>(rss_growth) / static_cast<double>(n);
  state.counters["peak_rss_mb"] = PeakRssMb();
}

void BM_ImportUserstore(State& state, size_t n, bool durable) {
  const std::vector<UserImport>& rows = ImportRows(n);
  int64_t rss_growth = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string dir;
    std::unique_ptr<Store> store;
    if (durable) {
      dir = NewBenchDirectory();
      DurableOptions options;
      options.sync = true;
      absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(dir + "/store", {}, options);
      if (!opened.ok()) BenchDie(opened.status().ToString());
      store = *std::move(opened);
    } else {
      absl::StatusOr<std::unique_ptr<Store>> created = Store::Create();
      if (!created.ok()) BenchDie(created.status().ToString());
      store = *std::move(created);
    }
    ServiceCreate sc;
    sc.sid = kService;
    if (!store->CreateService(sc).ok()) BenchDie("CreateService");
    const MemorySnapshot before = TakeMemorySnapshot();
    state.ResumeTiming();

    ImportOptions options;
    options.batch_size = 1000;
    absl::StatusOr<ImportResult> result = store->ImportUsers(kService, rows, options);

    state.PauseTiming();
    if (!result.ok()) BenchDie(result.status().ToString());
    if (result->inserted != n) BenchDie(absl::StrCat("imported ", result->inserted, " of ", n));
    rss_growth = std::max(rss_growth, TakeMemorySnapshot().rss_bytes - before.rss_bytes);
    store.reset();
    if (!dir.empty()) std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  Finish(state, n, rss_growth);
}

void BM_ImportSqlite(State& state, size_t n, bool file) {
  const std::vector<UserImport>& rows = ImportRows(n);
  const ServiceIds ids = MintServiceIds();
  int64_t rss_growth = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string dir;
    sqlite3* db = nullptr;
    if (file) {
      dir = NewBenchDirectory();
      if (sqlite3_open((dir + "/users.db").c_str(), &db) != SQLITE_OK) BenchDie("sqlite3_open");
      SqliteExec(db, "PRAGMA journal_mode=WAL");
      SqliteExec(db, "PRAGMA synchronous=FULL");
    } else if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
      BenchDie("sqlite3_open");
    }
    CreateUsersTable(db);
    sqlite3_stmt* insert = PrepareInsert(db);
    const MemorySnapshot before = TakeMemorySnapshot();
    state.ResumeTiming();

    SqliteExec(db, "BEGIN");
    const size_t inserted = InsertRows(insert, rows, ids.default_role_sid);
    SqliteExec(db, "COMMIT");

    state.PauseTiming();
    if (inserted != n) BenchDie(absl::StrCat("sqlite imported ", inserted, " of ", n));
    rss_growth = std::max(rss_growth, TakeMemorySnapshot().rss_bytes - before.rss_bytes);
    sqlite3_finalize(insert);
    sqlite3_close(db);
    if (!dir.empty()) std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  Finish(state, n, rss_growth);
}

}  // namespace

void RegisterImportBenchmarks(const std::vector<size_t>& user_counts) {
  for (size_t n : user_counts) {
    // Each userstore figure next to its SQLite twin (memory, then durable).
    const std::pair<const char*, std::function<void(State&)>> runs[] = {
        {"userstore_memory", [n](State& s) { BM_ImportUserstore(s, n, false); }},
        {"sqlite_memory", [n](State& s) { BM_ImportSqlite(s, n, false); }},
        {"userstore_durable", [n](State& s) { BM_ImportUserstore(s, n, true); }},
        {"sqlite_file", [n](State& s) { BM_ImportSqlite(s, n, true); }},
    };
    for (const auto& [system, run] : runs) {
      benchmark::RegisterBenchmark(absl::StrCat("BM_Import/", system, "/", n).c_str(), run)
          ->Unit(benchmark::kMillisecond)
          ->Iterations(n >= 1000000 ? 1 : 3)
          ->UseRealTime();
    }
  }
}

}  // namespace userstore::bench
