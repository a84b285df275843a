// Export benchmarks (issue 14, "Speed"): writing N users as `userstore
// export`'s NDJSON ({"type":"user","item":<Twilio's user JSON>} a line)
// against SQLite SELECTing the same rows and formatting them as the same
// JSON (the same renderer, AppendUserJson, so both write the same bytes).
//
// Names (items per second = users per second):
//   BM_Export/userstore_reader/<N>: what `userstore export --data-dir` runs:
//     StoreReader::Open on a closed durable store of N users, then
//     StoreReader::ReadUsers, each user rendered and written to /dev/null.
//   BM_Export/sqlite_file/<N>: sqlite3_open of a WAL file database holding
//     the same rows (import_rows.h's table), one prepared
//     `SELECT ... ORDER BY rowid` (the insertion order, SQLite's cheapest
//     walk), each row read into a reused User, rendered, written.
//   BM_Export/userstore_memory/<N>: a memory Store's public paging walk
//     (Store::VisitUsers, pages of 100 followed by their tokens), rendered.
//   BM_Export/sqlite_memory/<N>: the SELECT above on a `:memory:` database.
// Every run checks that N users were written and the byte counts agree.
// Counter rss_growth_mb: the RSS growth over the export (streamed: it does
// not grow with N). Results: docs/benchmarks.md, "Import and export".
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/baseline_common.h"
#include "bench/import_rows.h"
#include "bench/memory.h"
#include "bench/userstore_bench.h"
#include "userstore/inspect.h"
#include "userstore/json.h"
#include "userstore/store.h"
#include "userstore/user_view.h"

namespace userstore::bench {
namespace {

using benchmark::State;

constexpr char kService[] = "IS2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e";
constexpr char kAccount[] = "AC2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e";
constexpr char kBaseUrl[] = "https://chat.twilio.com/v2";

// Appends export's line for one user to `line` (tools/export.cc's shape).
void AppendUserLine(const UserView& user, std::string* line) {
  line->append("{\"type\":\"user\",\"item\":");
  AppendUserJson(user, kBaseUrl, line);
  line->append("}\n");
}

// Writes the lines gathered so far to /dev/null once they pass 64 KiB
// (export writes through an ofstream's buffer; this is its cost without
// the disk).
class Sink {
 public:
  Sink() : file_(std::fopen("/dev/null", "wb")) {
    if (file_ == nullptr) BenchDie("cannot open /dev/null");
  }
  ~Sink() { std::fclose(file_); }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;
  std::string* line() { return &line_; }
  void MaybeFlush() {
    if (line_.size() >= 64 * 1024) Flush();
  }
  void Flush() {
    bytes_ += line_.size();
    if (std::fwrite(line_.data(), 1, line_.size(), file_) != line_.size()) BenchDie("fwrite");
    line_.clear();
  }
  size_t bytes() const { return bytes_; }

 private:
  std::FILE* file_;
  std::string line_;
  size_t bytes_ = 0;
};

std::unique_ptr<Store> ImportedStore(size_t n, const std::string& dir) {
  StoreOptions store_options;
  store_options.account_sid = kAccount;
  absl::StatusOr<std::unique_ptr<Store>> store =
      dir.empty() ? Store::Create(store_options) : Store::Open(dir, store_options, {});
  if (!store.ok()) BenchDie(store.status().ToString());
  ServiceCreate sc;
  sc.sid = kService;
  if (!(*store)->CreateService(sc).ok()) BenchDie("CreateService");
  absl::StatusOr<ImportResult> result = (*store)->ImportUsers(kService, ImportRows(n));
  if (!result.ok() || result->inserted != n) BenchDie("ImportUsers");
  return *std::move(store);
}

void Finish(State& state, size_t n, int64_t rss_growth) {
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.counters["rss_growth_mb"] = static_cast<double>(rss_growth) / (1024.0 * 1024.0);
}

void BM_ExportReader(State& state, size_t n) {
  const std::string dir = NewBenchDirectory();
  ImportedStore(n, dir + "/store").reset();  // closed: export reads beside it
  int64_t rss_growth = 0;
  for (auto _ : state) {
    const MemorySnapshot before = TakeMemorySnapshot();
    Sink sink;
    absl::StatusOr<std::unique_ptr<StoreReader>> reader = StoreReader::Open(dir + "/store");
    if (!reader.ok()) BenchDie(reader.status().ToString());
    size_t users = 0;
    for (const Service& service : (*reader)->services()) {
      absl::Status s = (*reader)->ReadUsers(service.sid, [&](const UserView& user) {
        AppendUserLine(user, sink.line());
        sink.MaybeFlush();
        ++users;
        return true;
      });
      if (!s.ok()) BenchDie(s.ToString());
    }
    sink.Flush();
    if (users != n) BenchDie(absl::StrCat("exported ", users, " of ", n));
    state.counters["bytes"] = static_cast<double>(sink.bytes());
    rss_growth = std::max(rss_growth, TakeMemorySnapshot().rss_bytes - before.rss_bytes);
  }
  Finish(state, n, rss_growth);
  std::filesystem::remove_all(dir);
}

void BM_ExportStore(State& state, size_t n) {
  std::unique_ptr<Store> store = ImportedStore(n, "");
  int64_t rss_growth = 0;
  for (auto _ : state) {
    const MemorySnapshot before = TakeMemorySnapshot();
    Sink sink;
    PageRequest request;
    request.page_size = 100;
    Page links;
    size_t users = 0;
    for (;;) {
      absl::Status s = store->VisitUsers(
          kService, request,
          [&](const UserView& user) {
            AppendUserLine(user, sink.line());
            ++users;
          },
          &links);
      if (!s.ok()) BenchDie(s.ToString());
      sink.MaybeFlush();
      if (links.next_page_token.empty()) break;
      request.page_token = links.next_page_token;
      ++request.page;
    }
    sink.Flush();
    if (users != n) BenchDie(absl::StrCat("exported ", users, " of ", n));
    state.counters["bytes"] = static_cast<double>(sink.bytes());
    rss_growth = std::max(rss_growth, TakeMemorySnapshot().rss_bytes - before.rss_bytes);
  }
  Finish(state, n, rss_growth);
}

std::string_view Column(sqlite3_stmt* stmt, int index) {
  const unsigned char* text = sqlite3_column_text(stmt, index);
  return std::string_view(reinterpret_cast<const char*>(text),
                          static_cast<size_t>(sqlite3_column_bytes(stmt, index)));
}

void BM_ExportSqlite(State& state, size_t n, bool file) {
  const std::string dir = file ? NewBenchDirectory() : std::string();
  const std::string path = file ? dir + "/users.db" : ":memory:";
  const ServiceIds ids = MintServiceIds();
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) BenchDie("sqlite3_open");
  if (file) SqliteExec(db, "PRAGMA journal_mode=WAL");
  CreateUsersTable(db);
  sqlite3_stmt* insert = PrepareInsert(db);
  SqliteExec(db, "BEGIN");
  if (InsertRows(insert, ImportRows(n), ids.default_role_sid) != n) BenchDie("sqlite load");
  SqliteExec(db, "COMMIT");
  sqlite3_finalize(insert);
  if (file) {
    SqliteExec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    sqlite3_close(db);  // each iteration opens it, as export opens the store
    db = nullptr;
  }
  int64_t rss_growth = 0;
  for (auto _ : state) {
    const MemorySnapshot before = TakeMemorySnapshot();
    Sink sink;
    if (file && sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      BenchDie("sqlite3_open_v2");
    }
    sqlite3_stmt* select = nullptr;
    if (sqlite3_prepare_v2(db,
                           "SELECT sid, identity, role_sid, attributes, friendly_name, "
                           "date_created, date_updated, joined_channels_count FROM users "
                           "ORDER BY rowid",
                           -1, &select, nullptr) != SQLITE_OK) {
      BenchDie(sqlite3_errmsg(db));
    }
    User user;
    user.account_sid = kAccount;
    user.service_sid = kService;
    size_t users = 0;
    while (sqlite3_step(select) == SQLITE_ROW) {
      user.sid.assign(Column(select, 0));
      user.identity.assign(Column(select, 1));
      user.role_sid.assign(Column(select, 2));
      user.attributes.assign(Column(select, 3));
      if (sqlite3_column_type(select, 4) == SQLITE_NULL) {
        user.friendly_name.reset();
      } else {
        user.friendly_name.emplace(Column(select, 4));
      }
      user.date_created = absl::FromUnixSeconds(sqlite3_column_int64(select, 5));
      user.date_updated = absl::FromUnixSeconds(sqlite3_column_int64(select, 6));
      user.joined_channels_count = sqlite3_column_int64(select, 7);
      AppendUserLine(UserView(user), sink.line());
      sink.MaybeFlush();
      ++users;
    }
    sqlite3_finalize(select);
    if (file) {
      sqlite3_close(db);
      db = nullptr;
    }
    sink.Flush();
    if (users != n) BenchDie(absl::StrCat("sqlite exported ", users, " of ", n));
    state.counters["bytes"] = static_cast<double>(sink.bytes());
    rss_growth = std::max(rss_growth, TakeMemorySnapshot().rss_bytes - before.rss_bytes);
  }
  Finish(state, n, rss_growth);
  if (db != nullptr) sqlite3_close(db);
  if (file) std::filesystem::remove_all(dir);
}

}  // namespace

void RegisterExportBenchmarks(const std::vector<size_t>& user_counts) {
  for (size_t n : user_counts) {
    const std::pair<const char*, std::function<void(State&)>> runs[] = {
        {"userstore_memory", [n](State& s) { BM_ExportStore(s, n); }},
        {"sqlite_memory", [n](State& s) { BM_ExportSqlite(s, n, false); }},
        {"userstore_reader", [n](State& s) { BM_ExportReader(s, n); }},
        {"sqlite_file", [n](State& s) { BM_ExportSqlite(s, n, true); }},
    };
    for (const auto& [system, run] : runs) {
      benchmark::RegisterBenchmark(absl::StrCat("BM_Export/", system, "/", n).c_str(), run)
          ->Unit(benchmark::kMillisecond)
          ->Iterations(n >= 1000000 ? 2 : 5)
          ->UseRealTime();
    }
  }
}

}  // namespace userstore::bench
