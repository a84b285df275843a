// Durable mode benchmarks (issue 5 §7): durable create / update throughput
// with sync=false and sync=true at 1 and 2 threads, against SQLite in WAL
// mode doing the same writes with the same durability; recovery time per
// million users; reads of a durable Store against a memory-only one.
//
// Names:
//   BM_DurableCreate/<system>/sync:<0|1>/<N>/threads:<T>
//   BM_DurableUpdate/<system>/sync:<0|1>/<N>/threads:<T>
//     system userstore: Store::Open, DurableOptions::sync as given;
//     system sqlite_wal: one file database, journal_mode=WAL, one connection
//       behind a mutex (SQLite serializes writers anyway), each write one
//       autocommit statement; synchronous=FULL for sync:1 (the WAL is
//       fsync'ed at each commit: survives power loss, as sync=true) and
//       NORMAL for sync:0 (no fsync at commit: survives a process crash, as
//       sync=false). Both do the same checks and SID minting before writing.
//   BM_DurableRecovery/<N>: Store::Open of a closed store of N users (time
//     per open; counters s_per_million_users, rss_bytes_per_user).
//   BM_DurableFetch/<memory|durable>/<N>, BM_DurableList/<memory|durable>/<N>:
//     the same reads on a Store::Create and a Store::Open store holding the
//     same N users; the ratio durable/memory is the cost of durable mode on
//     reads (served from memory in both).
// Every store lives in a fresh directory under $TMPDIR (default /tmp),
// removed at exit. Results and ratios: docs/durable.md.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "bench/baseline_common.h"
#include "bench/memory.h"
#include "bench/workload.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore::bench {
namespace {

using benchmark::State;

constexpr char kService[] = "IS0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d";

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "durable_bench: %s\n", what.c_str());
  std::abort();
}

// Temporary directories of this process, removed at exit.
std::string NewDirectory(const std::string& name) {
  static std::mutex mu;
  static struct Cleanup {
    std::vector<std::string> dirs;
    ~Cleanup() {
      for (const std::string& d : dirs) std::filesystem::remove_all(d);
    }
  } cleanup;
  const char* tmp = getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/userstore-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) Die("mkdtemp failed");
  std::lock_guard<std::mutex> lock(mu);
  cleanup.dirs.push_back(pattern);
  return pattern + "/" + name;
}

// Fresh identities for create benchmarks, unique in the process.
std::string FreshIdentity() {
  static std::atomic<uint64_t> next{0};
  return absl::StrCat("fresh-", next.fetch_add(1));
}

// ---- userstore, durable ----------------------------------------------------

std::unique_ptr<Store> OpenDurable(const std::string& dir, bool sync) {
  DurableOptions durable;
  durable.sync = sync;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir, {}, durable);
  if (!store.ok()) Die(store.status().ToString());
  return *std::move(store);
}

void Preload(Store& store, const Workload& w) {
  ServiceCreate sc;
  sc.sid = kService;
  if (!store.CreateService(sc).ok()) Die("CreateService");
  for (size_t i = 0; i < w.users; ++i) {
    UserCreate c;
    c.identity = w.identities[i];
    c.attributes = w.AttributesOf(i);
    absl::StatusOr<User> u = store.CreateUser(kService, c);
    if (!u.ok()) Die(u.status().ToString());
  }
}

// A directory holding N preloaded users, built once per N (with sync=false:
// the preload is not what is measured) and closed.
const std::string& PreloadedDirectory(size_t n) {
  static std::mutex mu;
  static auto* dirs = new std::map<size_t, std::string>;
  std::lock_guard<std::mutex> lock(mu);
  std::string& dir = (*dirs)[n];
  if (dir.empty()) {
    dir = NewDirectory(absl::StrCat("users-", n));
    std::unique_ptr<Store> store = OpenDurable(dir, false);
    Preload(*store, GetWorkload(n));
  }
  return dir;
}

// The durable Store of N users with `sync`, opened once (a copy of the
// preloaded directory, so recovery and write benchmarks do not share one).
Store& DurableStore(size_t n, bool sync) {
  static std::mutex mu;
  static auto* stores = new std::map<std::pair<size_t, bool>, std::unique_ptr<Store>>;
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<Store>& store = (*stores)[{n, sync}];
  if (!store) {
    const std::string copy = NewDirectory(absl::StrCat("copy-", n, "-", sync));
    std::filesystem::copy(PreloadedDirectory(n), copy, std::filesystem::copy_options::recursive);
    store = OpenDurable(copy, sync);
  }
  return *store;
}

// A durable Store of the same N users for the read benchmarks: its own
// copy, opened once and never written (the write benchmarks grow theirs).
Store& DurableReadStore(size_t n) {
  static std::mutex mu;
  static auto* stores = new std::map<size_t, std::unique_ptr<Store>>;
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<Store>& store = (*stores)[n];
  if (!store) {
    const std::string copy = NewDirectory(absl::StrCat("read-", n));
    std::filesystem::copy(PreloadedDirectory(n), copy, std::filesystem::copy_options::recursive);
    store = OpenDurable(copy, false);
  }
  return *store;
}

// The memory-only Store of the same N users.
Store& MemoryStore(size_t n) {
  static std::mutex mu;
  static auto* stores = new std::map<size_t, std::unique_ptr<Store>>;
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<Store>& store = (*stores)[n];
  if (!store) {
    absl::StatusOr<std::unique_ptr<Store>> created = Store::Create();
    if (!created.ok()) Die(created.status().ToString());
    store = *std::move(created);
    Preload(*store, GetWorkload(n));
  }
  return *store;
}

// ---- SQLite, WAL mode --------------------------------------------------------

class SqliteWal {
 public:
  SqliteWal(const std::string& path, bool sync) : ids_(MintServiceIds()) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) Die("sqlite3_open");
    Exec("PRAGMA journal_mode=WAL");
    Exec(sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    Exec(
        "CREATE TABLE IF NOT EXISTS users (rowid INTEGER PRIMARY KEY, sid TEXT NOT NULL "
        "UNIQUE, identity TEXT NOT NULL UNIQUE, role_sid TEXT NOT NULL, attributes TEXT NOT "
        "NULL, friendly_name TEXT, joined INTEGER NOT NULL, date_created INTEGER NOT NULL, "
        "date_updated INTEGER NOT NULL)");
    Prepare(
        "INSERT INTO users (sid, identity, role_sid, attributes, friendly_name, joined, "
        "date_created, date_updated) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
        &insert_);
    Prepare(
        "UPDATE users SET attributes = ?, date_updated = ? WHERE identity = ? RETURNING sid, "
        "role_sid, attributes, friendly_name, joined, date_created, date_updated",
        &update_);
  }
  ~SqliteWal() {
    sqlite3_finalize(insert_);
    sqlite3_finalize(update_);
    sqlite3_close(db_);
  }

  void Preload(const Workload& w) {
    Exec("BEGIN");
    for (size_t i = 0; i < w.users; ++i) {
      UserCreate c;
      c.identity = w.identities[i];
      c.attributes = w.AttributesOf(i);
      if (!Create(c).ok()) Die("sqlite preload");
    }
    Exec("COMMIT");
  }

  absl::StatusOr<User> Create(const UserCreate& params) {
    if (absl::Status s = CheckIdentity(params.identity); !s.ok()) return s;
    const std::string attributes = params.attributes.value_or("");
    if (!attributes.empty()) {
      if (absl::Status s = CheckAttributes(attributes); !s.ok()) return s;
    }
    BaselineRecord r;
    r.identity = params.identity;
    r.role_sid = ids_.default_role_sid;
    r.attributes = attributes;
    r.date_created = r.date_updated = NowSeconds();
    const std::string sid = MintSid("US");
    std::lock_guard<std::mutex> lock(mu_);
    sqlite3_reset(insert_);
    sqlite3_bind_text(insert_, 1, sid.data(), static_cast<int>(sid.size()), SQLITE_STATIC);
    sqlite3_bind_text(insert_, 2, r.identity.data(), static_cast<int>(r.identity.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(insert_, 3, r.role_sid.data(), static_cast<int>(r.role_sid.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(insert_, 4, r.attributes.data(), static_cast<int>(r.attributes.size()),
                      SQLITE_STATIC);
    sqlite3_bind_null(insert_, 5);
    sqlite3_bind_int64(insert_, 6, r.date_created);
    sqlite3_bind_int64(insert_, 7, r.date_updated);
    const int rc = sqlite3_step(insert_);
    if (rc == SQLITE_CONSTRAINT) {
      return TwilioError(absl::StatusCode::kAlreadyExists, 409, twilio_code::kUserAlreadyExists,
                         "identity taken");
    }
    if (rc != SQLITE_DONE) return absl::InternalError(sqlite3_errmsg(db_));
    return ToUser(sid, r, ids_);
  }

  absl::StatusOr<User> UpdateAttributes(const std::string& identity,
                                        const std::string& attributes) {
    if (absl::Status s = CheckAttributes(attributes); !s.ok()) return s;
    const int64_t now = NowSeconds();
    std::lock_guard<std::mutex> lock(mu_);
    sqlite3_reset(update_);
    sqlite3_bind_text(update_, 1, attributes.data(), static_cast<int>(attributes.size()),
                      SQLITE_STATIC);
    sqlite3_bind_int64(update_, 2, now);
    sqlite3_bind_text(update_, 3, identity.data(), static_cast<int>(identity.size()),
                      SQLITE_STATIC);
    if (sqlite3_step(update_) != SQLITE_ROW) return absl::NotFoundError("no such user");
    BaselineRecord r;
    r.identity = identity;
    const std::string sid = reinterpret_cast<const char*>(sqlite3_column_text(update_, 0));
    r.role_sid = reinterpret_cast<const char*>(sqlite3_column_text(update_, 1));
    r.attributes = reinterpret_cast<const char*>(sqlite3_column_text(update_, 2));
    r.joined_channels_count = sqlite3_column_int64(update_, 4);
    r.date_created = sqlite3_column_int64(update_, 5);
    r.date_updated = sqlite3_column_int64(update_, 6);
    if (sqlite3_step(update_) != SQLITE_DONE) return absl::InternalError(sqlite3_errmsg(db_));
    return ToUser(sid, r, ids_);
  }

 private:
  void Exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      Die(absl::StrCat(sql, ": ", error != nullptr ? error : "?"));
    }
  }
  void Prepare(const char* sql, sqlite3_stmt** stmt) {
    if (sqlite3_prepare_v2(db_, sql, -1, stmt, nullptr) != SQLITE_OK) {
      Die(absl::StrCat(sql, ": ", sqlite3_errmsg(db_)));
    }
  }

  const ServiceIds ids_;
  std::mutex mu_;  // one connection: one statement at a time
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* update_ = nullptr;
};

SqliteWal& SqliteStore(size_t n, bool sync) {
  static std::mutex mu;
  static auto* stores = new std::map<std::pair<size_t, bool>, std::unique_ptr<SqliteWal>>;
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<SqliteWal>& store = (*stores)[{n, sync}];
  if (!store) {
    store = std::make_unique<SqliteWal>(NewDirectory(absl::StrCat("sqlite-", n, "-", sync)), sync);
    store->Preload(GetWorkload(n));
  }
  return *store;
}

// ---- the benchmarks ------------------------------------------------------------

template <typename T>
bool Failed(State& state, const T& result) {
  if (result.ok()) return false;
  state.SkipWithError(std::string(result.status().ToString()).c_str());
  return true;
}

void BM_DurableCreate(State& state, bool sqlite, bool sync, size_t n) {
  const Workload& w = GetWorkload(n);
  Store* store = sqlite ? nullptr : &DurableStore(n, sync);
  SqliteWal* db = sqlite ? &SqliteStore(n, sync) : nullptr;
  size_t i = static_cast<size_t>(state.thread_index());  // >= 0
  for (auto _ : state) {
    UserCreate c;
    c.identity = FreshIdentity();
    c.attributes = w.AttributesOf(i++);
    absl::StatusOr<User> u = sqlite ? db->Create(c) : store->CreateUser(kService, c);
    if (Failed(state, u)) break;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_DurableUpdate(State& state, bool sqlite, bool sync, size_t n) {
  const Workload& w = GetWorkload(n);
  Store* store = sqlite ? nullptr : &DurableStore(n, sync);
  SqliteWal* db = sqlite ? &SqliteStore(n, sync) : nullptr;
  static std::atomic<uint64_t> revision{0};
  uint64_t probe = w.ProbeStart();
  for (auto _ : state) {
    const uint32_t user = w.Probe(probe++);
    const std::string& identity = w.identities[user];
    // Every update changes the bytes: SQLite skips rewriting an unchanged
    // row (no page dirtied, no WAL frame, no fsync), which would not be the
    // same work. Pool attributes all start with `{"display_name":`.
    const std::string attributes =
        absl::StrCat(R"({"rev":)", revision.fetch_add(1), ",", w.AttributesOf(user).substr(1));
    absl::StatusOr<User> u;
    if (sqlite) {
      u = db->UpdateAttributes(identity, attributes);
    } else {
      UserUpdate update;
      update.attributes = attributes;
      u = store->UpdateUser(kService, identity, update);
    }
    if (Failed(state, u)) break;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_DurableRecovery(State& state, size_t n) {
  const std::string& dir = PreloadedDirectory(n);
  double seconds = 0;
  MemorySnapshot grew;  // the largest growth over an open (heap: in use)
  for (auto _ : state) {
    const MemorySnapshot before = TakeMemorySnapshot();
    const auto start = std::chrono::steady_clock::now();
    std::unique_ptr<Store> store = OpenDurable(dir, false);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const MemorySnapshot after = TakeMemorySnapshot();
    grew.rss_bytes = std::max(grew.rss_bytes, after.rss_bytes - before.rss_bytes);
    grew.heap_bytes = std::max(grew.heap_bytes, after.heap_bytes - before.heap_bytes);
    state.PauseTiming();
    store.reset();
    state.ResumeTiming();
  }
  const double users = static_cast<double>(n);
  state.counters["s_per_million_users"] =
      seconds / static_cast<double>(state.iterations()) * 1e6 / users;
  state.counters["rss_bytes_per_user"] = static_cast<double>(grew.rss_bytes) / users;
  state.counters["heap_bytes_per_user"] = static_cast<double>(grew.heap_bytes) / users;
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}

void BM_DurableFetch(State& state, bool durable, size_t n) {
  const Workload& w = GetWorkload(n);
  Store& store = durable ? DurableReadStore(n) : MemoryStore(n);
  uint64_t probe = w.ProbeStart();
  for (auto _ : state) {
    absl::StatusOr<User> u = store.FetchUser(kService, w.identities[w.Probe(probe++)]);
    if (Failed(state, u)) break;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_DurableList(State& state, bool durable, size_t n) {
  Store& store = durable ? DurableReadStore(n) : MemoryStore(n);
  PageRequest request;
  request.page_size = 50;
  for (auto _ : state) {
    absl::StatusOr<Page> page = store.ListUsers(kService, request);
    if (Failed(state, page)) break;
    request.page_token = page->next_page_token;
    request.page = request.page_token.empty() ? 0 : request.page + 1;
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

// Registers the durable benchmarks for each store size. Fixtures are built on
// first use: a preloaded directory per N, its copies for sync 0 and 1, SQLite
// databases for sync 0 and 1 and a memory Store.
void RegisterDurableBenchmarks(const std::vector<size_t>& user_counts) {
  for (size_t n : user_counts) {
    // Each userstore benchmark is followed by the same one on SQLite: the
    // disk's fsync latency drifts over minutes, so compare neighbours.
    for (bool sync : {false, true}) {
      // 4 threads (sync only): where RocksDB's group commit starts to share
      // one fsync among several writes.
      for (int threads : {1, 2, 4}) {
        if (threads == 4 && !sync) continue;
        for (bool update : {false, true}) {
          for (bool sqlite : {false, true}) {
            const std::string name =
                absl::StrCat(update ? "BM_DurableUpdate/" : "BM_DurableCreate/",
                             sqlite ? "sqlite_wal" : "userstore", "/sync:", sync, "/", n);
            benchmark::RegisterBenchmark(name.c_str(),
                                         [=](State& s) {
                                           if (update) {
                                             BM_DurableUpdate(s, sqlite, sync, n);
                                           } else {
                                             BM_DurableCreate(s, sqlite, sync, n);
                                           }
                                         })
                ->Threads(threads)
                ->UseRealTime();
          }
        }
      }
    }
    benchmark::RegisterBenchmark(absl::StrCat("BM_DurableRecovery/", n).c_str(),
                                 [=](State& s) { BM_DurableRecovery(s, n); })
        ->Iterations(3)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    for (bool durable : {false, true}) {
      const char* mode = durable ? "durable" : "memory";
      benchmark::RegisterBenchmark(absl::StrCat("BM_DurableFetch/", mode, "/", n).c_str(),
                                   [=](State& s) { BM_DurableFetch(s, durable, n); });
      benchmark::RegisterBenchmark(absl::StrCat("BM_DurableList/", mode, "/", n).c_str(),
                                   [=](State& s) { BM_DurableList(s, durable, n); });
    }
  }
}

}  // namespace userstore::bench
