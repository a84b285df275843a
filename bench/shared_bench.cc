// shared_bench: issue 16's figures for the shared mode (Store::OpenShared),
// each against a baseline measured in the same run on the same PostgreSQL
// (docs/benchmarks.md, "Shared mode (PostgreSQL)"):
//
//   BM_FetchMemory, BM_FetchShared      fetch by SID of a random user of the
//                                       same N (same SIDs, same data) in a
//                                       memory Store and a shared one (B)
//   BM_PairFetch/shared:memory          the same, alternating blocks of 256
//                                       on the same keys; ratio = shared /
//                                       memory time per fetch
//   BM_CreateShared                     Store::CreateUser on A (unique
//                                       identities)
//   BM_CreateLibpq                      the baseline: per create, one
//                                       INSERT ... ON CONFLICT (service_sid,
//                                       identity) DO NOTHING of the engine's
//                                       columns, autocommit, a connection
//                                       per thread (PQexecParams, text)
//   BM_CreateLibpqTx                    the same INSERT inside BEGIN ...
//                                       COMMIT, as the engine's PgPool runs
//                                       it (3 round trips)
//   BM_PairCreate/<x>:<y>               x and y in alternating blocks of 16
//                                       per thread, all threads in step;
//                                       ratio = x / y creates/s. The target's
//                                       pair is shared:libpq; libpq-tx:libpq,
//                                       libpq-plain:libpq (the engine's INSERT
//                                       without ON CONFLICT) and
//                                       shared-per-service:libpq (thread t
//                                       creates in a Service of its own: no
//                                       index lock shared with another
//                                       thread) split the difference
//   BM_ReplicationLag/<writes per s>    A updates users at a paced rate (8
//                                       writer threads); a thread polls B
//                                       until it shows each write's revision;
//                                       lag = that moment - A's
//                                       acknowledgement. /b-writes-too: B
//                                       writes at the same rate meanwhile;
//                                       /c-writes-too: a third Store does
//   BM_ReadYourWrites/<background w/s>  a write on A, then A.SharedPosition()
//                                       and B.WaitForPosition(): their cost
//   BM_WaitPastUnpublished              WaitForPosition of a position past
//                                       the last published change (a commit
//                                       to a table outside the publication)
//   BM_FetchDuringWrites/<writes per s> fetch latency on A (which writes) and
//                                       on B (which applies) meanwhile
//
// The create benchmarks run at 1 and 8 threads. Both Stores (A, B) and the
// memory Store live through the whole run: the replication streams of A and
// B decode and apply every row either side inserts, so the stream's load on
// the server and on this process is the same for the engine and the baseline.
//
// Flags: --users=N (default 10000) users preloaded in both Stores (the fetch
// benchmarks); --lag_seconds=S (default 5) per lag, read-your-writes and
// fetch-during-writes run; the rest are Google Benchmark's. Needs
// USERSTORE_PG_CONNINFO (scripts/postgres.sh start): the run creates its own
// database there and drops it at the end. Without it every benchmark is
// skipped with that message.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/workload.h"
#include "shared/pg.h"
#include "sid/sid.h"
#include "userstore/import.h"
#include "userstore/store.h"
#include "userstore/user_view.h"

namespace userstore::bench {
namespace {

using benchmark::State;
using Clock = std::chrono::steady_clock;

constexpr char kServiceSid[] = "IS5ba9ed0000000000000000000000b16e";
// The experiment of BM_PairCreate/shared-per-service: create thread t writes
// into Service kThreadServicePrefix + t (its own UserIndex, so its own locks).
constexpr char kThreadServicePrefix[] = "IS5ba9ed0000000000000000000000b1";
constexpr int kMaxCreateThreads = 8;
// Users the lag benchmarks update (A and B hold them; the fetch users stay
// untouched), plus one for the read-your-writes probe.
constexpr size_t kLagUsers = 1024;
constexpr int kLagWriters = 8;

size_t g_users = 10000;
double g_lag_seconds = 5;

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Nearest-rank percentile of `v` (sorted here), p in [0, 100].
double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

// ---- The run's database and Stores -----------------------------------------

struct Context {
  std::string admin_conninfo;
  std::string database;  // created by this run
  std::string conninfo;  // admin_conninfo + dbname=database
  std::unique_ptr<Store> memory;
  std::unique_ptr<Store> a;                  // writes
  std::unique_ptr<Store> b;                  // opened after the preload: fetches, lag reader
  std::string role_sid;                      // the shared Service's default role
  std::vector<std::string> thread_services;  // [kMaxCreateThreads]
  const Workload* w = nullptr;
  std::vector<std::string> sids;      // [N] user i's SID, in every Store
  std::vector<std::string> lag_sids;  // [kLagUsers + 1] A writes them
  // [kLagUsers] the second writer of BM_ReplicationLag/*-writes-too (B, or
  // a third Store C) updates them.
  std::vector<std::string> b_sids;
  // Baseline connections, one per create thread, kept across runs (the
  // engine's pool keeps its connections too).
  PGconn* libpq[kMaxCreateThreads] = {};
  std::atomic<uint64_t> next_identity{0};
  std::atomic<int64_t> next_baseline_sequence{int64_t{1} << 40};
  std::string error;  // set: the context could not be built
};

Context* g_context = nullptr;

absl::Status AdminExec(const std::string& conninfo, const std::string& sql) {
  absl::StatusOr<internal::shared::PgConn> conn =
      internal::shared::PgConn::Connect(conninfo, absl::Seconds(60));
  if (!conn.ok()) return conn.status();
  return conn->Exec(sql.c_str(), {}).status();
}

std::vector<UserImport> Rows(const std::vector<std::string>& sids,
                             const std::vector<std::string>& identities, const Workload& w) {
  const absl::Time now = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  std::vector<UserImport> rows(sids.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].sid = sids[i];
    rows[i].identity = identities[i];
    rows[i].attributes = w.AttributesOf(i);
    rows[i].date_created = rows[i].date_updated = now;
  }
  return rows;
}

absl::Status Import(Store& store, const std::vector<UserImport>& rows,
                    std::string_view service_sid = kServiceSid) {
  ImportOptions options;
  options.batch_size = 1000;
  absl::StatusOr<ImportResult> r = store.ImportUsers(service_sid, rows, options);
  if (!r.ok()) return r.status();
  if (r->inserted != rows.size()) {
    return absl::InternalError(
        absl::StrCat("imported ", r->inserted, " of ", rows.size(), ": ",
                     r->errors.empty() ? "" : r->errors[0].status.message()));
  }
  return absl::OkStatus();
}

absl::Status Build(Context* c) {
  c->w = &GetWorkload(g_users);
  c->database = "ub_" + internal::MintSid("ub").substr(2, 16);
  if (absl::Status s = AdminExec(c->admin_conninfo, "CREATE DATABASE " + c->database); !s.ok()) {
    c->database.clear();
    return s;
  }
  c->conninfo = c->admin_conninfo + " dbname=" + c->database;

  ServiceCreate service;
  service.sid = kServiceSid;
  service.friendly_name = "shared_bench";
  absl::StatusOr<std::unique_ptr<Store>> memory = Store::Create();
  if (!memory.ok()) return memory.status();
  c->memory = *std::move(memory);
  if (auto s = c->memory->CreateService(service); !s.ok()) return s.status();

  SharedOptions a_options;
  a_options.replica_name = "bench_a";
  absl::StatusOr<std::unique_ptr<Store>> a = Store::OpenShared(c->conninfo, {}, a_options);
  if (!a.ok()) return a.status();
  c->a = *std::move(a);
  absl::StatusOr<Service> shared_service = c->a->EnsureService(service);
  if (!shared_service.ok()) return shared_service.status();
  c->role_sid = shared_service->default_service_role_sid;
  for (int t = 0; t < kMaxCreateThreads; ++t) {
    ServiceCreate own;
    own.sid = absl::StrCat(kThreadServicePrefix, t, t);
    if (auto s = c->a->EnsureService(own); !s.ok()) return s.status();
    c->thread_services.push_back(own.sid);
  }

  // The same users (SIDs, identities, attributes, dates) in both: imported.
  const Workload& w = *c->w;
  c->sids.resize(w.users);
  for (std::string& sid : c->sids) sid = internal::MintSid("US");
  const std::vector<std::string> identities(w.identities.begin(),
                                            w.identities.begin() + static_cast<long>(w.users));
  const std::vector<UserImport> rows = Rows(c->sids, identities, w);
  if (absl::Status s = Import(*c->memory, rows); !s.ok()) return s;
  if (absl::Status s = Import(*c->a, rows); !s.ok()) return s;
  for (auto [sids, count, prefix, in] :
       {std::tuple{&c->lag_sids, kLagUsers + 1, "lag@", std::string(kServiceSid)},
        std::tuple{&c->b_sids, kLagUsers, "b@", std::string(kServiceSid)}}) {
    sids->resize(count);
    std::vector<std::string> names(count);
    for (size_t i = 0; i < count; ++i) {
      (*sids)[i] = internal::MintSid("US");
      names[i] = absl::StrCat(prefix, i);
    }
    if (absl::Status s = Import(*c->a, Rows(*sids, names, w), in); !s.ok()) return s;
  }

  // B loads everything through its slot's snapshot, as a host starting up.
  SharedOptions b_options;
  b_options.replica_name = "bench_b";
  absl::StatusOr<std::unique_ptr<Store>> b = Store::OpenShared(c->conninfo, {}, b_options);
  if (!b.ok()) return b.status();
  c->b = *std::move(b);
  // A's stream has passed its own import: both replicas idle.
  absl::StatusOr<uint64_t> position = c->a->SharedPosition();
  if (!position.ok()) return position.status();
  if (auto s = c->a->WaitForPosition(*position, absl::Seconds(60)); !s.ok()) return s;
  if (auto s = c->b->WaitForPosition(*position, absl::Seconds(60)); !s.ok()) return s;
  return absl::OkStatus();
}

void Teardown(Context* c) {
  for (PGconn*& conn : c->libpq) {
    if (conn != nullptr) PQfinish(conn);
    conn = nullptr;
  }
  c->b.reset();  // drops the slots
  c->a.reset();
  c->memory.reset();
  if (c->database.empty()) return;
  // A slot left behind (a Store that could not drop it) blocks DROP DATABASE.
  const std::string drop_slots =
      "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" +
      c->database + "' AND NOT active";
  AdminExec(c->admin_conninfo, drop_slots).IgnoreError();
  const absl::Status dropped =
      AdminExec(c->admin_conninfo, "DROP DATABASE " + c->database + " WITH (FORCE)");
  if (!dropped.ok()) {
    std::fprintf(stderr, "shared_bench: could not drop database %s: %s\n", c->database.c_str(),
                 dropped.ToString().c_str());
  }
}

// The context, or nullptr after SkipWithError.
Context* Ctx(State& state) {
  if (g_context == nullptr) {
    state.SkipWithError(
        "USERSTORE_PG_CONNINFO is not set: export "
        "USERSTORE_PG_CONNINFO=\"$(scripts/postgres.sh start | tail -n 1)\"");
    return nullptr;
  }
  if (!g_context->error.empty()) {
    state.SkipWithError(g_context->error.c_str());
    return nullptr;
  }
  return g_context;
}

// ---- Fetch by SID ------------------------------------------------------------

Store& FetchStore(Context& c, bool shared) { return shared ? *c.b : *c.memory; }

// As bench/userstore_bench.cc's BM_Fetch: a random preloaded user by SID,
// a new StatusOr<User> per fetch.
bool FetchBlock(Context& c, bool shared, uint64_t p, uint64_t count) {
  Store& store = FetchStore(c, shared);
  for (uint64_t i = 0; i < count; ++i) {
    absl::StatusOr<User> user = store.FetchUser(kServiceSid, c.sids[c.w->Probe(p + i)]);
    if (!user.ok()) return false;
    benchmark::DoNotOptimize(user);
  }
  return true;
}

void BM_Fetch(State& state, bool shared) {
  Context* c = Ctx(state);
  if (c == nullptr) return;
  Store& store = FetchStore(*c, shared);
  uint64_t p = c->w->ProbeStart();
  for (auto _ : state) {
    absl::StatusOr<User> user = store.FetchUser(kServiceSid, c->sids[c->w->Probe(p++)]);
    if (!user.ok()) {
      state.SkipWithError(user.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(user);
  }
  state.SetItemsProcessed(state.iterations());
}

// Blocks of 256 on each side, A-B then B-A, same keys: a_ns (shared), b_ns
// (memory), ratio = shared / memory time per fetch.
void BM_PairFetch(State& state) {
  Context* c = Ctx(state);
  if (c == nullptr) return;
  constexpr uint64_t kBlock = 256;
  double ns[2] = {0, 0};
  uint64_t p = c->w->ProbeStart();
  bool shared_first = true;
  for (auto _ : state) {
    for (int k = 0; k < 2; ++k) {
      const bool shared = (k == 0) == shared_first;
      const auto t0 = Clock::now();
      if (!FetchBlock(*c, shared, p, kBlock)) {
        state.SkipWithError("fetch failed");
        return;
      }
      ns[shared ? 0 : 1] += std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    }
    p += kBlock;
    shared_first = !shared_first;
  }
  const double ops = static_cast<double>(state.iterations()) * static_cast<double>(kBlock);
  state.counters["shared_ns"] = ns[0] / ops;
  state.counters["memory_ns"] = ns[1] / ops;
  state.counters["ratio"] = ns[1] > 0 ? ns[0] / ns[1] : 0;
  state.SetItemsProcessed(static_cast<int64_t>(2 * ops));
}

// ---- Create throughput -------------------------------------------------------

constexpr const char* kBaselineInsert =
    "INSERT INTO userstore_users (sid, service_sid, identity, sequence, revision, role_sid, "
    "friendly_name, attributes, joined_channels, date_created, date_updated) "
    "VALUES ($1, $2, $3, $4::bigint, $5::bigint, $6, $7, $8, $9::bigint, $10::bigint, "
    "$11::bigint) ON CONFLICT (service_sid, identity) DO NOTHING";

constexpr const char* kPlainInsert =
    "INSERT INTO userstore_users (sid, service_sid, identity, sequence, revision, role_sid, "
    "friendly_name, attributes, joined_channels, date_created, date_updated) "
    "VALUES ($1, $2, $3, $4::bigint, $5::bigint, $6, $7, $8, $9::bigint, $10::bigint, "
    "$11::bigint)";

std::string NextIdentity(Context& c) {
  // '@' at this place: no workload identity (random [a-z0-9._@-]) is one.
  return absl::StrCat("new@", c.next_identity.fetch_add(1, std::memory_order_relaxed));
}

bool CreateShared(Context& c, std::string_view service_sid, uint64_t i) {
  UserCreate params;
  params.identity = NextIdentity(c);
  params.attributes = c.w->AttributesOf(i);
  absl::StatusOr<User> user = c.a->CreateUser(service_sid, params);
  if (!user.ok()) {
    std::fprintf(stderr, "CreateUser: %s\n", user.status().ToString().c_str());
    return false;
  }
  benchmark::DoNotOptimize(user);
  return true;
}

PGconn* BaselineConn(Context& c, int thread) {
  PGconn*& conn = c.libpq[thread];
  if (conn == nullptr) {
    conn = PQconnectdb(c.conninfo.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
      std::fprintf(stderr, "libpq: %s\n", PQerrorMessage(conn));
      PQfinish(conn);
      conn = nullptr;
    }
  }
  return conn;
}

bool Run(PGconn* conn, const char* sql, int n, const char* const* values) {
  PGresult* r = PQexecParams(conn, sql, n, nullptr, values, nullptr, nullptr, 0);
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) std::fprintf(stderr, "libpq: %s\n", PQerrorMessage(conn));
  PQclear(r);
  return ok;
}

enum class Wrap {
  kNone,         // the baseline: INSERT ... ON CONFLICT DO NOTHING, autocommit
  kTransaction,  // the same inside BEGIN ... COMMIT, as PgPool::InTransaction runs it
  kPlain,        // PgJournal's kInsertUser exactly (no ON CONFLICT), autocommit
};

// One create by the baseline: what PgJournal::PutUser sends for a create,
// as one autocommitted INSERT ... ON CONFLICT DO NOTHING (or as `wrap`
// says). The values are made as the engine makes them (a random SID, a
// unique sequence, the attributes, the time).
bool CreateLibpq(Context& c, PGconn* conn, uint64_t i, Wrap wrap) {
  const bool in_transaction = wrap == Wrap::kTransaction;
  const std::string sid = internal::MintSid("US");
  const std::string identity = NextIdentity(c);
  const std::string sequence =
      absl::StrCat(c.next_baseline_sequence.fetch_add(1, std::memory_order_relaxed));
  const std::string now = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
  const std::string& attributes = c.w->AttributesOf(i);
  const char* values[] = {sid.c_str(),      kServiceSid,        identity.c_str(),
                          sequence.c_str(), sequence.c_str(),   c.role_sid.c_str(),
                          nullptr,          attributes.c_str(), "0",
                          now.c_str(),      now.c_str()};
  if (in_transaction && !Run(conn, "BEGIN", 0, nullptr)) return false;
  PGresult* r = PQexecParams(conn, wrap == Wrap::kPlain ? kPlainInsert : kBaselineInsert, 11,
                             nullptr, values, nullptr, nullptr, 0);
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK && std::strcmp(PQcmdTuples(r), "1") == 0;
  if (!ok) std::fprintf(stderr, "baseline insert: %s\n", PQerrorMessage(conn));
  PQclear(r);
  if (in_transaction && !Run(conn, "COMMIT", 0, nullptr)) return false;
  return ok;
}

enum class Creator {
  kShared,            // Store::CreateUser on A
  kSharedPerService,  // the same, thread t in Service t (no shared index locks)
  kLibpq,             // the baseline: INSERT ... ON CONFLICT DO NOTHING, autocommit
  kLibpqTx,           // the same INSERT inside BEGIN ... COMMIT
  kLibpqPlain,        // the engine's INSERT exactly (no ON CONFLICT), autocommit
};

const char* NameOf(Creator creator) {
  switch (creator) {
    case Creator::kShared:
      return "shared";
    case Creator::kSharedPerService:
      return "shared-per-service";
    case Creator::kLibpq:
      return "libpq";
    case Creator::kLibpqTx:
      return "libpq-tx";
    case Creator::kLibpqPlain:
      return "libpq-plain";
  }
  return "?";
}

bool CreateOne(Context& c, Creator creator, int thread, PGconn* conn, uint64_t i) {
  switch (creator) {
    case Creator::kShared:
      return CreateShared(c, kServiceSid, i);
    case Creator::kSharedPerService:
      return CreateShared(c, c.thread_services[static_cast<size_t>(thread)], i);
    case Creator::kLibpq:
      return CreateLibpq(c, conn, i, Wrap::kNone);
    case Creator::kLibpqTx:
      return CreateLibpq(c, conn, i, Wrap::kTransaction);
    case Creator::kLibpqPlain:
      return CreateLibpq(c, conn, i, Wrap::kPlain);
  }
  return false;
}

void BM_Create(State& state, Creator creator) {
  Context* c = Ctx(state);
  if (c == nullptr) return;
  PGconn* conn = nullptr;
  if (creator != Creator::kShared && creator != Creator::kSharedPerService) {
    conn = BaselineConn(*c, state.thread_index());
    if (conn == nullptr) {
      state.SkipWithError("cannot connect");
      return;
    }
  }
  uint64_t i = static_cast<uint64_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    const bool ok = CreateOne(*c, creator, state.thread_index(), conn, i++);
    if (!ok) {
      state.SkipWithError("create failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// All threads in step: every thread runs a block of kBlock creates on one
// side, all wait, then a block on the other side (order alternating per
// iteration). Thread 0 times the blocks from barrier to barrier. Counters:
// x_per_s, y_per_s (aggregate creates/s), ratio = x / y; x_cpu_us, y_cpu_us:
// this process's CPU time (every thread: the Stores' streams too) per create.
std::barrier<>& StepBarrier(int threads) {
  static std::mutex mu;
  static std::map<int, std::unique_ptr<std::barrier<>>> barriers;
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<std::barrier<>>& b = barriers[threads];
  if (!b) b = std::make_unique<std::barrier<>>(threads);
  return *b;
}

void BM_PairCreate(State& state, Creator x, Creator y) {
  Context* c = Ctx(state);
  if (c == nullptr) return;
  constexpr int kBlock = 16;
  std::barrier<>& step = StepBarrier(state.threads());
  PGconn* conn = BaselineConn(*c, state.thread_index());
  bool failed = conn == nullptr;
  double seconds[2] = {0, 0};  // x, y (thread 0's clock)
  double cpu[2] = {0, 0};      // x, y (the process's CPU time, read by thread 0)
  bool x_first = true;
  uint64_t i = static_cast<uint64_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    for (int k = 0; k < 2; ++k) {
      const bool run_x = (k == 0) == x_first;
      step.arrive_and_wait();
      const auto t0 = Clock::now();
      const double cpu0 = state.thread_index() == 0 ? ProcessCpuSeconds() : 0;
      for (int j = 0; j < kBlock && !failed; ++j) {
        failed = !CreateOne(*c, run_x ? x : y, state.thread_index(), conn, i++);
      }
      step.arrive_and_wait();
      seconds[run_x ? 0 : 1] += std::chrono::duration<double>(Clock::now() - t0).count();
      if (state.thread_index() == 0) cpu[run_x ? 0 : 1] += ProcessCpuSeconds() - cpu0;
    }
    x_first = !x_first;
  }
  if (failed) {
    state.SkipWithError("create failed");
    return;
  }
  if (state.thread_index() == 0) {
    const double creates = static_cast<double>(state.iterations()) * kBlock * state.threads();
    state.counters[absl::StrCat(NameOf(x), "_per_s")] = creates / seconds[0];
    state.counters[absl::StrCat(NameOf(y), "_per_s")] = creates / seconds[1];
    state.counters["ratio"] = seconds[0] > 0 ? seconds[1] / seconds[0] : 0;
    state.counters[absl::StrCat(NameOf(x), "_cpu_us")] = cpu[0] * 1e6 / creates;
    state.counters[absl::StrCat(NameOf(y), "_cpu_us")] = cpu[1] * 1e6 / creates;
  }
  state.SetItemsProcessed(state.iterations() * kBlock * 2);
}

// ---- Replication lag ---------------------------------------------------------

// Writers on `store` at a paced aggregate rate: write k is due at start +
// k / rate; writer w makes writes k = w, w + kLagWriters, ... and write k
// updates user k % kLagUsers of `sids` (so a user is always written by the
// same writer: no two writes of one user overlap).
class PacedWriters {
 public:
  struct Write {
    uint32_t user;
    uint64_t revision;
    Clock::time_point ack;
  };
  using Sink = std::function<void(const Write&)>;

  PacedWriters(Context& c, Store* store, std::string_view service_sid,
               const std::vector<std::string>* sids, double rate, double seconds, Sink sink)
      : c_(c),
        store_(store),
        service_sid_(service_sid),
        sids_(sids),
        rate_(rate),
        seconds_(seconds),
        sink_(std::move(sink)) {}

  void Start() {
    start_ = Clock::now() + std::chrono::milliseconds(20);
    for (int w = 0; w < kLagWriters; ++w) threads_.emplace_back([this, w] { Run(w); });
  }
  void Join() {
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }
  bool done() const { return finished_.load() == kLagWriters; }
  uint64_t writes() const { return writes_.load(); }
  uint64_t failures() const { return failures_.load(); }
  double elapsed() const { return std::chrono::duration<double>(end_ - start_).count(); }
  std::vector<double>& latencies_ms() { return latencies_ms_; }

 private:
  void Run(int w) {
    UserUpdate update;
    std::vector<double> latencies;
    const auto total = static_cast<uint64_t>(rate_ * seconds_);
    for (uint64_t k = static_cast<uint64_t>(w); k < total; k += kLagWriters) {
      const auto due = start_ + std::chrono::nanoseconds(
                                    static_cast<int64_t>(static_cast<double>(k) * 1e9 / rate_));
      std::this_thread::sleep_until(due);
      const uint32_t user = static_cast<uint32_t>(k % kLagUsers);
      update.attributes = c_.w->AttributesOf(k);
      const auto t0 = Clock::now();
      absl::StatusOr<User> u = store_->UpdateUser(service_sid_, (*sids_)[user], update);
      const auto t1 = Clock::now();
      if (!u.ok()) {
        if (failures_.fetch_add(1) == 0) {
          std::fprintf(stderr, "UpdateUser: %s\n", u.status().ToString().c_str());
        }
        continue;
      }
      latencies.push_back(Ms(t1 - t0));
      writes_.fetch_add(1);
      if (sink_) sink_(Write{user, u->revision, t1});
    }
    std::lock_guard<std::mutex> lock(mu_);
    end_ = std::max(end_, Clock::now());
    latencies_ms_.insert(latencies_ms_.end(), latencies.begin(), latencies.end());
    finished_.fetch_add(1);
  }

  Context& c_;
  Store* const store_;
  const std::string service_sid_;
  const std::vector<std::string>* const sids_;
  const double rate_;
  const double seconds_;
  const Sink sink_;
  Clock::time_point start_;
  Clock::time_point end_;
  std::vector<std::thread> threads_;
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> failures_{0};
  std::atomic<int> finished_{0};
  std::mutex mu_;
  std::vector<double> latencies_ms_;
};

// Who else writes during a lag run, at A's rate, users of its own in the
// same Service: nobody, B itself (the reader: its writers hold B's index
// locks across their PostgreSQL round trips, and B's stream applies B's own
// writes too), or a third Store C (the same load on PostgreSQL and on B's
// stream, no writer in B). C is opened for the run and closed after it.
enum class BWrites { kNo, kB, kC };

// A writes at `rate` (and B as `b_writes` says); a watcher thread polls B for every write A
// acknowledged (ReadUser of its user, every ~50 us) until B shows its revision or a later one. lag
// = that moment - A's acknowledgement. shown_at_ack: the share of writes B already showed at the
// first poll after the acknowledgement (their lag is the poll's delay, an upper bound).
void BM_ReplicationLag(State& state, double rate, BWrites b_writes) {
  Context* c = Ctx(state);
  if (c == nullptr) return;
  struct Watched {
    PacedWriters::Write write;
    bool polled = false;
  };
  for (auto _ : state) {
    std::mutex mu;
    std::vector<Watched> queue;
    std::atomic<bool> done{false};
    std::vector<double> lags;
    uint64_t at_first_poll = 0;
    uint64_t unseen = 0;
    std::thread watcher([&] {
      std::vector<Watched> live;
      Clock::time_point give_up = Clock::time_point::max();
      for (;;) {
        {
          std::lock_guard<std::mutex> lock(mu);
          live.insert(live.end(), queue.begin(), queue.end());
          queue.clear();
        }
        if (done.load() && give_up == Clock::time_point::max()) {
          give_up = Clock::now() + std::chrono::seconds(10);
        }
        for (size_t i = 0; i < live.size();) {
          uint64_t revision = 0;
          c->b->ReadUser(kServiceSid, c->lag_sids[live[i].write.user],
                         [&](const UserView& v) { revision = v.revision(); })
              .IgnoreError();
          if (revision >= live[i].write.revision) {
            lags.push_back(Ms(Clock::now() - live[i].write.ack));
            if (!live[i].polled) ++at_first_poll;
            live[i] = live.back();
            live.pop_back();
          } else {
            live[i++].polled = true;
          }
        }
        if (done.load() && (live.empty() || Clock::now() > give_up)) {
          std::lock_guard<std::mutex> lock(mu);
          if (queue.empty()) break;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
      unseen = live.size();
    });
    PacedWriters writers(*c, c->a.get(), kServiceSid, &c->lag_sids, rate, g_lag_seconds,
                         [&](const PacedWriters::Write& w) {
                           std::lock_guard<std::mutex> lock(mu);
                           queue.push_back(Watched{w});
                         });
    std::unique_ptr<Store> third;
    if (b_writes == BWrites::kC) {
      state.PauseTiming();
      SharedOptions options;
      options.replica_name = "bench_c";
      absl::StatusOr<std::unique_ptr<Store>> opened = Store::OpenShared(c->conninfo, {}, options);
      if (!opened.ok()) {
        state.SkipWithError(opened.status().ToString().c_str());
        return;
      }
      third = *std::move(opened);
      state.ResumeTiming();
    }
    std::unique_ptr<PacedWriters> b_writers;
    if (b_writes != BWrites::kNo) {
      b_writers =
          std::make_unique<PacedWriters>(*c, b_writes == BWrites::kB ? c->b.get() : third.get(),
                                         kServiceSid, &c->b_sids, rate, g_lag_seconds, nullptr);
      b_writers->Start();
    }
    writers.Start();
    writers.Join();
    if (b_writers) b_writers->Join();
    done.store(true);
    watcher.join();
    third.reset();
    const uint64_t failures = writers.failures() + (b_writers ? b_writers->failures() : 0);
    if (unseen > 0 || failures > 0) {
      state.SkipWithError(
          absl::StrCat(unseen, " writes never seen on B, ", failures, " writes failed").c_str());
      return;
    }
    state.counters["target_wps"] = rate;
    state.counters["writes_per_s"] = static_cast<double>(writers.writes()) / writers.elapsed();
    state.counters["write_p50_ms"] = Percentile(writers.latencies_ms(), 50);
    state.counters["write_p99_ms"] = Percentile(writers.latencies_ms(), 99);
    state.counters["shown_at_ack"] =
        lags.empty() ? 0 : static_cast<double>(at_first_poll) / static_cast<double>(lags.size());
    state.counters["lag_p50_ms"] = Percentile(lags, 50);
    state.counters["lag_p90_ms"] = Percentile(lags, 90);
    state.counters["lag_p99_ms"] = Percentile(lags, 99);
    state.counters["lag_max_ms"] = Percentile(lags, 100);
    state.SetItemsProcessed(static_cast<int64_t>(writers.writes()));
  }
}

// Read-your-writes across hosts, with `rate` background writes per second on
// A (0: none): one update on A, then position = A.SharedPosition(), then
// B.WaitForPosition(position); B must then show the update
// (stale_after_wait counts the probes where it did not). A probe every 5 ms
// for the run's length.
void BM_ReadYourWrites(State& state, double rate) {
  Context* c = Ctx(state);
  if (c == nullptr) return;
  for (auto _ : state) {
    std::unique_ptr<PacedWriters> background;
    if (rate > 0) {
      background = std::make_unique<PacedWriters>(*c, c->a.get(), kServiceSid, &c->lag_sids, rate,
                                                  g_lag_seconds, nullptr);
      background->Start();
    }
    std::vector<double> position_ms;
    std::vector<double> wait_ms;
    std::vector<double> total_ms;
    uint64_t stale = 0;
    uint64_t failures = 0;
    UserUpdate update;
    const std::string& sid = c->lag_sids[kLagUsers];  // no background writer's
    const auto end = Clock::now() + std::chrono::duration<double>(g_lag_seconds);
    for (uint64_t k = 0; Clock::now() < end; ++k) {
      update.attributes = c->w->AttributesOf(k);
      absl::StatusOr<User> written = c->a->UpdateUser(kServiceSid, sid, update);
      if (!written.ok()) {
        ++failures;
        continue;
      }
      const auto t0 = Clock::now();
      absl::StatusOr<uint64_t> position = c->a->SharedPosition();
      const auto t1 = Clock::now();
      const absl::Status waited =
          position.ok() ? c->b->WaitForPosition(*position, absl::Seconds(10)) : position.status();
      const auto t2 = Clock::now();
      if (!waited.ok()) {
        if (failures++ == 0) std::fprintf(stderr, "%s\n", waited.ToString().c_str());
        continue;
      }
      uint64_t revision = 0;
      c->b->ReadUser(kServiceSid, sid, [&](const UserView& v) { revision = v.revision(); })
          .IgnoreError();
      if (revision < written->revision) ++stale;
      position_ms.push_back(Ms(t1 - t0));
      wait_ms.push_back(Ms(t2 - t1));
      total_ms.push_back(Ms(t2 - t0));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (background) background->Join();
    if (failures > 0 || (background && background->failures() > 0)) {
      state.SkipWithError(absl::StrCat(failures, " probes failed").c_str());
      return;
    }
    state.counters["background_wps"] = rate;
    state.counters["probes"] = static_cast<double>(total_ms.size());
    state.counters["stale_after_wait"] = static_cast<double>(stale);
    state.counters["position_p50_ms"] = Percentile(position_ms, 50);
    state.counters["position_p99_ms"] = Percentile(position_ms, 99);
    state.counters["wait_p50_ms"] = Percentile(wait_ms, 50);
    state.counters["wait_p99_ms"] = Percentile(wait_ms, 99);
    state.counters["total_p50_ms"] = Percentile(total_ms, 50);
    state.counters["total_p99_ms"] = Percentile(total_ms, 99);
    state.SetItemsProcessed(static_cast<int64_t>(total_ms.size()));
  }
}

// WaitForPosition when the position lies past the last change the replica
// was sent: after a commit to a table outside the publication (any other
// table of the database; other databases, VACUUM and checkpoints write WAL
// too), position = B.SharedPosition(), then B.WaitForPosition(position).
// Nothing is sent on the stream for that commit, so B reaches the position
// only from a keepalive of the server. A probe every 5 ms for the run's
// length; counters as BM_ReadYourWrites's.
void BM_WaitPastUnpublished(State& state) {
  Context* c = Ctx(state);
  if (c == nullptr) return;
  PGconn* conn = BaselineConn(*c, 0);
  if (conn == nullptr ||
      !Run(conn, "CREATE TABLE IF NOT EXISTS bench_unpublished (x int)", 0, nullptr)) {
    state.SkipWithError("cannot create bench_unpublished");
    return;
  }
  for (auto _ : state) {
    std::vector<double> wait_ms;
    uint64_t failures = 0;
    const auto end = Clock::now() + std::chrono::duration<double>(g_lag_seconds);
    while (Clock::now() < end) {
      if (!Run(conn, "INSERT INTO bench_unpublished VALUES (1)", 0, nullptr)) {
        ++failures;
        break;
      }
      absl::StatusOr<uint64_t> position = c->b->SharedPosition();
      const auto t0 = Clock::now();
      const absl::Status waited =
          position.ok() ? c->b->WaitForPosition(*position, absl::Seconds(10)) : position.status();
      const auto t1 = Clock::now();
      if (!waited.ok()) {
        if (failures++ == 0) std::fprintf(stderr, "%s\n", waited.ToString().c_str());
        continue;
      }
      wait_ms.push_back(Ms(t1 - t0));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (failures > 0) {
      state.SkipWithError(absl::StrCat(failures, " probes failed").c_str());
      return;
    }
    state.counters["probes"] = static_cast<double>(wait_ms.size());
    state.counters["wait_p50_ms"] = Percentile(wait_ms, 50);
    state.counters["wait_p99_ms"] = Percentile(wait_ms, 99);
    state.counters["wait_max_ms"] = Percentile(wait_ms, 100);
    state.SetItemsProcessed(static_cast<int64_t>(wait_ms.size()));
  }
}

// Reads on the writing host: fetches by SID of random preloaded users on A
// (which writes) and on B (which only applies A's writes), in alternating
// blocks of 256 on the same keys, while A's writers update other users at
// `rate` per second; each fetch timed alone. Counters per host: p50, p99,
// p99.9, max (us) and the share of fetches slower than 100 us.
void BM_FetchDuringWrites(State& state, double rate) {
  Context* c = Ctx(state);
  if (c == nullptr) return;
  for (auto _ : state) {
    std::unique_ptr<PacedWriters> writers;
    if (rate > 0) {
      writers = std::make_unique<PacedWriters>(*c, c->a.get(), kServiceSid, &c->lag_sids, rate,
                                               g_lag_seconds, nullptr);
      writers->Start();
    }
    std::vector<double> us[2];  // A, B
    uint64_t p = c->w->ProbeStart();
    const auto end = Clock::now() + std::chrono::duration<double>(g_lag_seconds);
    bool a_first = true;
    while (writers ? !writers->done() : Clock::now() < end) {
      for (int k = 0; k < 2; ++k) {
        const bool on_a = (k == 0) == a_first;
        Store& store = on_a ? *c->a : *c->b;
        for (uint64_t i = 0; i < 256; ++i) {
          const auto t0 = Clock::now();
          absl::StatusOr<User> user = store.FetchUser(kServiceSid, c->sids[c->w->Probe(p + i)]);
          const auto t1 = Clock::now();
          benchmark::DoNotOptimize(user);
          us[on_a ? 0 : 1].push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        }
      }
      p += 256;
      a_first = !a_first;
      // Leave the writers and PostgreSQL a core: 2 x 256 fetches, then a pause.
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    if (writers) writers->Join();
    state.counters["writes_per_s"] =
        writers ? static_cast<double>(writers->writes()) / writers->elapsed() : 0;
    for (int h = 0; h < 2; ++h) {
      const std::string host = h == 0 ? "a_" : "b_";
      const double slow = static_cast<double>(
          std::count_if(us[h].begin(), us[h].end(), [](double v) { return v > 100; }));
      state.counters[host + "slow_share"] = slow / static_cast<double>(us[h].size());
      state.counters[host + "p50_us"] = Percentile(us[h], 50);
      state.counters[host + "p99_us"] = Percentile(us[h], 99);
      state.counters[host + "p999_us"] = Percentile(us[h], 99.9);
      state.counters[host + "max_us"] = Percentile(us[h], 100);
    }
    state.SetItemsProcessed(static_cast<int64_t>(us[0].size() + us[1].size()));
  }
}

void Register() {
  const std::string n = "/" + std::to_string(g_users);
  benchmark::RegisterBenchmark(("BM_FetchMemory" + n).c_str(), BM_Fetch, false)
      ->UseRealTime()
      ->Threads(1)
      ->Threads(2);
  benchmark::RegisterBenchmark(("BM_FetchShared" + n).c_str(), BM_Fetch, true)
      ->UseRealTime()
      ->Threads(1)
      ->Threads(2);
  benchmark::RegisterBenchmark(("BM_PairFetch/shared:memory" + n).c_str(), BM_PairFetch)
      ->UseRealTime();
  for (int threads : {1, 8}) {
    for (Creator creator : {Creator::kShared, Creator::kLibpq, Creator::kLibpqTx}) {
      const std::string name = creator == Creator::kShared  ? "BM_CreateShared"
                               : creator == Creator::kLibpq ? "BM_CreateLibpq"
                                                            : "BM_CreateLibpqTx";
      benchmark::RegisterBenchmark(name.c_str(), BM_Create, creator)
          ->UseRealTime()
          ->MinTime(2)
          ->Threads(threads);
    }
    // The target's pair, then the split of the difference: the transaction
    // wrapping alone, and the engine without shared index locks.
    for (auto [x, y] : {std::pair{Creator::kShared, Creator::kLibpq},
                        std::pair{Creator::kLibpqTx, Creator::kLibpq},
                        std::pair{Creator::kLibpqPlain, Creator::kLibpq},
                        std::pair{Creator::kSharedPerService, Creator::kLibpq}}) {
      benchmark::RegisterBenchmark(
          absl::StrCat("BM_PairCreate/", NameOf(x), ":", NameOf(y)).c_str(), BM_PairCreate, x, y)
          ->UseRealTime()
          ->MinTime(4)
          ->Threads(threads);
    }
  }
  for (BWrites b : {BWrites::kNo, BWrites::kB, BWrites::kC}) {
    for (double rate : {200.0, 1000.0}) {
      const char* suffix = b == BWrites::kNo  ? ""
                           : b == BWrites::kB ? "/b-writes-too"
                                              : "/c-writes-too";
      benchmark::RegisterBenchmark(absl::StrCat("BM_ReplicationLag/", rate, suffix).c_str(),
                                   BM_ReplicationLag, rate, b)
          ->UseRealTime()
          ->Iterations(1);
    }
  }
  for (double rate : {0.0, 200.0}) {
    benchmark::RegisterBenchmark(absl::StrCat("BM_ReadYourWrites/", rate).c_str(),
                                 BM_ReadYourWrites, rate)
        ->UseRealTime()
        ->Iterations(1);
  }
  benchmark::RegisterBenchmark("BM_WaitPastUnpublished", BM_WaitPastUnpublished)
      ->UseRealTime()
      ->Iterations(1);
  for (double rate : {0.0, 1000.0}) {
    benchmark::RegisterBenchmark(absl::StrCat("BM_FetchDuringWrites/", rate).c_str(),
                                 BM_FetchDuringWrites, rate)
        ->UseRealTime()
        ->Iterations(1);
  }
}

}  // namespace
}  // namespace userstore::bench

int main(int argc, char** argv) {
  using userstore::bench::g_context;
  std::string command_line = argv[0];
  for (int i = 1; i < argc; ++i) command_line += std::string(" ") + argv[i];
  bool list_only = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    uint64_t users = 0;
    double seconds = 0;
    if (std::strncmp(argv[i], "--benchmark_list_tests", 22) == 0) list_only = true;
    if (std::strncmp(argv[i], "--users=", 8) == 0) {
      if (!absl::SimpleAtoi(argv[i] + 8, &users) || users == 0 || users >= (1ull << 32)) {
        std::fprintf(stderr, "bad %s (want 1 <= N < 2^32)\n", argv[i]);
        return 2;
      }
      userstore::bench::g_users = static_cast<size_t>(users);
    } else if (std::strncmp(argv[i], "--lag_seconds=", 14) == 0) {
      if (!absl::SimpleAtod(argv[i] + 14, &seconds) || !(seconds > 0)) {
        std::fprintf(stderr, "bad %s (want seconds > 0)\n", argv[i]);
        return 2;
      }
      userstore::bench::g_lag_seconds = seconds;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("command_line", command_line);
  benchmark::AddCustomContext("users", std::to_string(userstore::bench::g_users));
  userstore::bench::Register();

  const char* conninfo = std::getenv("USERSTORE_PG_CONNINFO");
  if (!list_only) {
    if (conninfo == nullptr || *conninfo == '\0') {
      std::fprintf(stderr,
                   "shared_bench: USERSTORE_PG_CONNINFO is not set: every benchmark is skipped.\n"
                   "  export USERSTORE_PG_CONNINFO=\"$(scripts/postgres.sh start | tail -n 1)\"\n");
    } else {
      g_context = new userstore::bench::Context;
      g_context->admin_conninfo = conninfo;
      const auto t0 = std::chrono::steady_clock::now();
      if (absl::Status s = userstore::bench::Build(g_context); !s.ok()) {
        g_context->error = "setup failed: " + s.ToString();
        std::fprintf(stderr, "shared_bench: %s\n", g_context->error.c_str());
      } else {
        std::fprintf(stderr, "shared_bench: database %s, %zu users loaded in %.1f s\n",
                     g_context->database.c_str(), userstore::bench::g_users,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      benchmark::AddCustomContext("database", g_context->database);
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (g_context != nullptr) userstore::bench::Teardown(g_context);
  delete g_context;
  return 0;
}
