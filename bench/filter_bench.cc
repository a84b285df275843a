// Issue 18's benchmarks: filtered pages, filtered counts, memory with one
// indexed attribute, the same filtered keyset queries on SQLite with the
// same indexes, and batch upsert against single calls in durable mode.
//
// Names (N: --users):
//   BM_FilterPage/<filter>/<first|p90>/<N>: one ListUsers page of 50 with
//     PageRequest::filter, at the start of the filtered walk or at 90 % of it
//     (a token met by one walk during setup). <filter>: none (the unfiltered
//     list), role (10 % of users hold it), attribute (indexed "team": 20
//     values, 5 % each), prefix (identities starting with "a": ~1/26).
//   BM_FilterPageSqlite/<filter>/<first|p90>/<N>: the same page on SQLite
//     (:memory:, one table with the same rows, indexes on (role_sid, seq),
//     (team, seq) and identity), one keyset SELECT ... LIMIT 51 per page.
//   BM_FilterCount/<filter>/<N>: Store::CountUsers with the filter.
//   BM_FilterMemory/<N>: RSS and heap per user of the filter fixture (a
//     Store with an indexed attribute), next to its payload.
//   BM_UpsertBatch/<create|update>/<N>: durable Store, sync=true: one
//     UpsertUsers call of 100 rows per iteration; items = users.
//   BM_UpsertSingle/<create|update>/<N>: the same 100 users as 100
//     CreateUser / UpdateUser calls per iteration; items = users.
// Ratios and the bars they are held to: docs/benchmarks.md, "Issue 18".
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/memory.h"
#include "bench/userstore_bench.h"
#include "bench/workload.h"
#include "userstore/store.h"

namespace userstore::bench {
namespace {

using benchmark::State;

constexpr int kTeams = 20;
constexpr size_t kRoleEvery = 10;  // user i holds the extra role when i % 10 == 0
constexpr char kIdentityPrefix[] = "a";
constexpr char kTeamKey[] = "team";
constexpr char kTeamValue[] = "\"t7\"";  // JSON text of the filtered value

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "filter_bench: %s\n", what.c_str());
  std::abort();
}

template <typename T>
T Check(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) Die(absl::StrCat(what, ": ", v.status().ToString()));
  return *std::move(v);
}
void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) Die(absl::StrCat(what, ": ", s.ToString()));
}

// User i's attributes: the workload's, with a top-level "team" member first.
std::string TeamAttributes(const Workload& w, size_t i) {
  const std::string& base = w.AttributesOf(i);
  std::string team = absl::StrCat("{\"team\":\"t", i % kTeams, "\"");
  if (base.size() > 2) team += ",";
  team.append(base, 1, std::string::npos);
  return team;
}

enum class Kind { kNone, kRole, kAttribute, kPrefix };
constexpr Kind kKinds[] = {Kind::kNone, Kind::kRole, Kind::kAttribute, Kind::kPrefix};
const char* KindName(Kind k) {
  switch (k) {
    case Kind::kNone:
      return "none";
    case Kind::kRole:
      return "role";
    case Kind::kAttribute:
      return "attribute";
    case Kind::kPrefix:
      return "prefix";
  }
  return "?";
}

// A Store of N users with role, team and identities as above, its filters,
// and the token at 90 % of each filtered walk. Built once per N.
struct FilterFixture {
  std::unique_ptr<Store> store;
  std::string service_sid;
  std::string role_sid;
  std::map<Kind, UserFilter> filters;
  std::map<Kind, std::string> p90_token;
  std::map<Kind, size_t> matches;
  MemorySnapshot memory;
  double payload_bytes_per_user = 0;

  static FilterFixture& Get(size_t n) {
    static std::mutex mu;
    static auto* fixtures = new std::map<size_t, std::unique_ptr<FilterFixture>>;
    std::lock_guard<std::mutex> lock(mu);
    std::unique_ptr<FilterFixture>& f = (*fixtures)[n];
    if (!f) f.reset(new FilterFixture(n));
    return *f;
  }

  explicit FilterFixture(size_t n) {
    const Workload& w = GetWorkload(n);
    const MemorySnapshot before = TakeMemorySnapshot();
    store = Check(Store::Create({}), "create store");
    service_sid = Check(store->CreateService({}), "create service").sid;
    RoleCreate role;
    role.friendly_name = "moderator";
    role.type = RoleScope::kDeployment;
    role_sid = Check(store->AddRole(service_sid, role), "add role").sid;
    Check(store->SetIndexedAttribute(service_sid, kTeamKey), "indexed attribute");
    double payload = 0;
    for (size_t i = 0; i < n; ++i) {
      UserCreate c;
      c.identity = w.identities[i];
      c.attributes = TeamAttributes(w, i);
      if (i % kRoleEvery == 0) c.role_sid = role_sid;
      payload += static_cast<double>(34 * 2 + c.identity.size() + c.attributes->size() + 3 * 8);
      Check(store->CreateUser(service_sid, c, nullptr), "create user");
    }
    const MemorySnapshot after = TakeMemorySnapshot();
    memory.rss_bytes = after.rss_bytes - before.rss_bytes;
    memory.heap_bytes = after.heap_bytes - before.heap_bytes;
    payload_bytes_per_user = payload / static_cast<double>(n);

    filters[Kind::kNone] = {};
    filters[Kind::kRole].role_sid = role_sid;
    filters[Kind::kAttribute].attribute_key = kTeamKey;
    filters[Kind::kAttribute].attribute_value = kTeamValue;
    filters[Kind::kPrefix].identity_prefix = kIdentityPrefix;
    for (Kind k : kKinds) Walk(k);
  }

  // Walks the filtered list once: its length and the token of the page at
  // 90 % of it.
  void Walk(Kind k) {
    std::vector<std::string> tokens;
    PageRequest request;
    request.page_size = static_cast<int64_t>(kPageSize);
    request.filter = filters[k];
    size_t total = 0;
    Page page;
    for (;;) {
      Check(store->ListUsers(service_sid, request, &page), "walk");
      total += page.users.size();
      if (page.next_page_token.empty()) break;
      tokens.push_back(page.next_page_token);
      request.page_token = page.next_page_token;
      request.page = 1;
    }
    matches[k] = total;
    // A walk of one page (a small store: the smoke test): the first page.
    p90_token[k] = tokens.empty() ? std::string() : tokens[tokens.size() * 9 / 10];
  }
};

void BM_FilterPage(State& state, Kind k, bool p90, size_t n) {
  FilterFixture& f = FilterFixture::Get(n);
  PageRequest request;
  request.page_size = static_cast<int64_t>(kPageSize);
  request.filter = f.filters[k];
  if (p90 && !f.p90_token[k].empty()) {
    request.page_token = f.p90_token[k];
    request.page = 1;
  }
  Page page;
  for (auto _ : state) {
    if (!f.store->ListUsers(f.service_sid, request, &page).ok() || page.users.empty()) {
      state.SkipWithError("page failed or empty");
      break;
    }
    benchmark::DoNotOptimize(page.users.data());
  }
  state.counters["matches"] = static_cast<double>(f.matches[k]);
  state.SetItemsProcessed(state.iterations());
}

void BM_FilterCount(State& state, Kind k, size_t n) {
  FilterFixture& f = FilterFixture::Get(n);
  const UserFilter& filter = f.filters[k];
  uint64_t count = 0;
  for (auto _ : state) {
    absl::StatusOr<uint64_t> c = f.store->CountUsers(f.service_sid, filter);
    if (!c.ok()) {
      state.SkipWithError(c.status().ToString().c_str());
      break;
    }
    count = *c;
    benchmark::DoNotOptimize(count);
  }
  if (count != f.matches[k]) state.SkipWithError("count differs from the walk");
  state.counters["count"] = static_cast<double>(count);
}

void BM_FilterMemory(State& state, size_t n) {
  FilterFixture& f = FilterFixture::Get(n);
  for (auto _ : state) benchmark::DoNotOptimize(&f);
  const double users = static_cast<double>(n);
  state.counters["bytes_per_user"] = static_cast<double>(f.memory.rss_bytes) / users;
  state.counters["heap_bytes_per_user"] = static_cast<double>(f.memory.heap_bytes) / users;
  state.counters["payload_bytes_per_user"] = f.payload_bytes_per_user;
  state.counters["rss_over_payload"] =
      static_cast<double>(f.memory.rss_bytes) / users / f.payload_bytes_per_user;
}

// ---- SQLite with the same indexes -------------------------------------------

class SqliteFiltered {
 public:
  static SqliteFiltered& Get(size_t n) {
    static std::mutex mu;
    static auto* all = new std::map<size_t, std::unique_ptr<SqliteFiltered>>;
    std::lock_guard<std::mutex> lock(mu);
    std::unique_ptr<SqliteFiltered>& s = (*all)[n];
    if (!s) s.reset(new SqliteFiltered(n));
    return *s;
  }

  // One page of 50 (reads 51 rows, as the Store reads one ahead) after
  // `after` (a seq, or an identity for kPrefix) into `out`; returns the
  // users read.
  size_t Page(Kind k, const std::string& after, std::vector<User>* out) {
    sqlite3_stmt* st = stmt_[static_cast<int>(k)];
    switch (k) {
      case Kind::kNone:
        sqlite3_bind_int64(st, 1, std::stoll(after));
        break;
      case Kind::kRole:
        Bind(st, 1, role_sid_);
        sqlite3_bind_int64(st, 2, std::stoll(after));
        break;
      case Kind::kAttribute:
        Bind(st, 1, "t7");
        sqlite3_bind_int64(st, 2, std::stoll(after));
        break;
      case Kind::kPrefix:
        Bind(st, 1, after);
        Bind(st, 2, "b");  // identities of prefix "a" are < "b"
        break;
    }
    size_t k_read = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
      if (k_read < kPageSize) {
        if (out->size() <= k_read) out->emplace_back();
        User& u = (*out)[k_read];
        u.sid = Text(st, 1);
        u.identity = Text(st, 2);
        u.role_sid = Text(st, 3);
        u.attributes = Text(st, 4);
        u.date_created = absl::FromUnixSeconds(sqlite3_column_int64(st, 5));
        u.date_updated = absl::FromUnixSeconds(sqlite3_column_int64(st, 6));
        u.joined_channels_count = sqlite3_column_int64(st, 7);
      }
      ++k_read;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return k_read;
  }

  // The cursor at 90 % of the filtered walk, and the first cursor.
  std::string p90[4];
  std::string first[4];

 private:
  explicit SqliteFiltered(size_t n) {
    const Workload& w = GetWorkload(n);
    if (sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      Die("sqlite open");
    }
    Exec(
        "CREATE TABLE users (seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE, "
        "identity TEXT NOT NULL UNIQUE, role_sid TEXT NOT NULL, attributes TEXT NOT NULL, "
        "date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL, "
        "joined_channels_count INTEGER NOT NULL, team TEXT);"
        "CREATE INDEX users_role ON users (role_sid, seq);"
        "CREATE INDEX users_team ON users (team, seq);");
    role_sid_ = "RL" + std::string(32, 'e');
    const std::string other_role = "RL" + std::string(32, 'f');
    Exec("BEGIN");
    sqlite3_stmt* ins = Prepare(
        "INSERT INTO users (seq, sid, identity, role_sid, attributes, date_created, "
        "date_updated, joined_channels_count, team) VALUES (?,?,?,?,?,?,?,0,?)");
    for (size_t i = 0; i < n; ++i) {
      const std::string sid =
          absl::StrCat("US", absl::Hex(i, absl::kZeroPad16), std::string(16, '0'));
      const std::string attrs = TeamAttributes(w, i);
      const std::string team = absl::StrCat("t", i % kTeams);
      sqlite3_bind_int64(ins, 1, static_cast<int64_t>(i + 1));
      Bind(ins, 2, sid);
      Bind(ins, 3, w.identities[i]);
      Bind(ins, 4, i % kRoleEvery == 0 ? role_sid_ : other_role);
      Bind(ins, 5, attrs);
      sqlite3_bind_int64(ins, 6, 1700000000);
      sqlite3_bind_int64(ins, 7, 1700000000);
      Bind(ins, 8, team);
      if (sqlite3_step(ins) != SQLITE_DONE) Die("sqlite insert");
      sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    Exec("COMMIT");
    const std::string cols =
        "SELECT seq, sid, identity, role_sid, attributes, date_created, date_updated, "
        "joined_channels_count FROM users ";
    stmt_[0] = Prepare(cols + "WHERE seq > ?1 ORDER BY seq LIMIT 51");
    stmt_[1] = Prepare(cols + "WHERE role_sid = ?1 AND seq > ?2 ORDER BY seq LIMIT 51");
    stmt_[2] = Prepare(cols + "WHERE team = ?1 AND seq > ?2 ORDER BY seq LIMIT 51");
    stmt_[3] = Prepare(cols + "WHERE identity > ?1 AND identity < ?2 ORDER BY identity LIMIT 51");
    // The cursors: walk each filter once with the same queries.
    for (Kind k : kKinds) {
      const int ki = static_cast<int>(k);
      // '`' sorts just before 'a': before every identity of prefix "a".
      first[ki] = k == Kind::kPrefix ? "`" : "0";
      std::vector<std::string> cursors;
      std::string cursor = first[ki];
      std::vector<User> page;
      for (;;) {
        const size_t read = Page(k, cursor, &page);
        if (read <= kPageSize) break;
        const User& last = page[kPageSize - 1];
        cursor = k == Kind::kPrefix ? last.identity : LastSeq(k, last);
        cursors.push_back(cursor);
      }
      p90[ki] = cursors.empty() ? first[ki] : cursors[cursors.size() * 9 / 10];
    }
  }

  // The seq of a user read by a seq-ordered statement: its sid encodes it.
  static std::string LastSeq(Kind, const User& u) {
    uint64_t i = 0;
    if (!absl::SimpleHexAtoi(u.sid.substr(2, 16), &i)) Die("sid");
    return std::to_string(i + 1);
  }

  void Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) Die(err ? err : sql);
  }
  sqlite3_stmt* Prepare(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) !=
        SQLITE_OK) {
      Die(sqlite3_errmsg(db_));
    }
    return st;
  }
  static void Bind(sqlite3_stmt* st, int i, const std::string& s) {
    sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  static std::string_view Text(sqlite3_stmt* st, int c) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
    return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(st, c)))
             : std::string_view();
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_[4] = {};
  std::string role_sid_;
};

void BM_FilterPageSqlite(State& state, Kind k, bool p90, size_t n) {
  SqliteFiltered& s = SqliteFiltered::Get(n);
  const int ki = static_cast<int>(k);
  const std::string cursor = p90 ? s.p90[ki] : s.first[ki];
  std::vector<User> page;
  for (auto _ : state) {
    if (s.Page(k, cursor, &page) == 0) {
      state.SkipWithError("empty sqlite page");
      break;
    }
    benchmark::DoNotOptimize(page.data());
  }
  state.SetItemsProcessed(state.iterations());
}

// ---- batch upsert against single calls (durable, sync) ----------------------

std::string TempDirectory() {
  const char* tmp = getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/userstore-upsert-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) Die("mkdtemp");
  return pattern;
}

// A durable Store (sync=true) holding `n` users (identities "p<i>"), for one
// benchmark run; its directory is removed when it goes.
struct DurableFixture {
  std::string dir;
  std::unique_ptr<Store> store;
  std::string service_sid;
  explicit DurableFixture(size_t n) : dir(TempDirectory()) {
    DurableOptions durable;
    durable.sync = true;
    store = Check(Store::Open(dir + "/store", {}, durable), "open durable");
    service_sid = Check(store->CreateService({}), "service").sid;
    std::vector<UserUpsert> rows;
    for (size_t i = 0; i < n; ++i) {
      rows.push_back({absl::StrCat("p", i), std::nullopt, "{\"v\":0}", std::nullopt});
      if (rows.size() == kMaxUpsertRows || i + 1 == n) {
        Check(store->UpsertUsers(service_sid, rows), "preload");
        rows.clear();
      }
    }
  }
  ~DurableFixture() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

// Each iteration writes 100 users: fresh identities (create) or the
// preloaded ones with a new attributes value (update).
void BM_Upsert(State& state, bool batch, bool update, size_t n) {
  const size_t preload = std::min<size_t>(n, 10000);
  DurableFixture f(preload);
  uint64_t round = 0;
  std::vector<UserUpsert> rows(kMaxUpsertRows);
  for (auto _ : state) {
    ++round;
    for (size_t i = 0; i < kMaxUpsertRows; ++i) {
      UserUpsert& r = rows[i];
      r.identity = update ? absl::StrCat("p", (round * kMaxUpsertRows + i) % preload)
                          : absl::StrCat("n", round, "-", i);
      r.attributes = absl::StrCat("{\"v\":", round, "}");
    }
    if (batch) {
      absl::StatusOr<std::vector<UpsertResult>> out = f.store->UpsertUsers(f.service_sid, rows);
      if (!out.ok() || (*out)[0].outcome == UpsertOutcome::kFailed) {
        state.SkipWithError("upsert failed");
        break;
      }
    } else {
      for (const UserUpsert& r : rows) {
        absl::Status s;
        if (update) {
          UserUpdate u;
          u.attributes = r.attributes;
          s = f.store->UpdateUser(f.service_sid, r.identity, u, nullptr);
        } else {
          UserCreate c;
          c.identity = r.identity;
          c.attributes = r.attributes;
          s = f.store->CreateUser(f.service_sid, c, nullptr);
        }
        if (!s.ok()) {
          state.SkipWithError(s.ToString().c_str());
          break;
        }
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kMaxUpsertRows));
}

}  // namespace

void RegisterFilterBenchmarks(const std::vector<size_t>& user_counts) {
  for (size_t n : user_counts) {
    benchmark::RegisterBenchmark(absl::StrCat("BM_FilterMemory/", n).c_str(), [=](State& s) {
      BM_FilterMemory(s, n);
    })->Iterations(1);
    for (Kind k : kKinds) {
      for (bool p90 : {false, true}) {
        const std::string at = p90 ? "p90" : "first";
        benchmark::RegisterBenchmark(
            absl::StrCat("BM_FilterPage/", KindName(k), "/", at, "/", n).c_str(),
            [=](State& s) { BM_FilterPage(s, k, p90, n); });
      }
    }
    for (Kind k : kKinds) {
      for (bool p90 : {false, true}) {
        const std::string at = p90 ? "p90" : "first";
        benchmark::RegisterBenchmark(
            absl::StrCat("BM_FilterPageSqlite/", KindName(k), "/", at, "/", n).c_str(),
            [=](State& s) { BM_FilterPageSqlite(s, k, p90, n); });
      }
    }
    for (Kind k : kKinds) {
      benchmark::RegisterBenchmark(absl::StrCat("BM_FilterCount/", KindName(k), "/", n).c_str(),
                                   [=](State& s) { BM_FilterCount(s, k, n); });
    }
    for (bool update : {false, true}) {
      const char* op = update ? "update" : "create";
      benchmark::RegisterBenchmark(absl::StrCat("BM_UpsertBatch/", op, "/", n).c_str(),
                                   [=](State& s) { BM_Upsert(s, true, update, n); })
          ->UseRealTime();
      benchmark::RegisterBenchmark(absl::StrCat("BM_UpsertSingle/", op, "/", n).c_str(),
                                   [=](State& s) { BM_Upsert(s, false, update, n); })
          ->UseRealTime();
    }
  }
}

}  // namespace userstore::bench
