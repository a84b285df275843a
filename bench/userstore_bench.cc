// The benchmarks: each operation of issue 3 on userstore and on the three
// baselines, same data, same run. Names: BM_<Op>/<system>/<N>[/...]; one
// item is one operation (one page for the lists). See docs/benchmarks.md.
#include "bench/userstore_bench.h"

#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/baseline_ideal.h"
#include "bench/baseline_sqlite.h"
#include "bench/baseline_typical.h"
#include "bench/fixture.h"
#include "bench/machine.h"
#include "bench/memory.h"
#include "bench/system_userstore.h"
#include "userstore/rest.h"
#include "userstore/store.h"

namespace userstore::bench {
namespace {

using benchmark::State;

// Reports a failed operation and stops the run (the figures would be wrong).
template <typename T>
bool Failed(State& state, const T& result) {
  if (result.ok()) return false;
  state.SkipWithError(std::string(result.status().ToString()).c_str());
  return true;
}
bool Failed(State& state, const absl::Status& status) {
  if (status.ok()) return false;
  state.SkipWithError(status.ToString().c_str());
  return true;
}

// Memory: the preload's RSS and heap deltas per user, next to the payload.
template <typename S>
void BM_Memory(State& state, size_t n) {
  Fixture<S>& f = Fixture<S>::Get(n);
  for (auto _ : state) benchmark::DoNotOptimize(&f);
  const double users = static_cast<double>(n);
  state.counters["bytes_per_user"] = static_cast<double>(f.preload_memory().rss_bytes) / users;
  state.counters["heap_bytes_per_user"] =
      static_cast<double>(f.preload_memory().heap_bytes) / users;
  state.counters["payload_bytes_per_user"] = f.workload().payload_bytes_per_user;
  state.counters["preload_s"] = f.preload_seconds();
}

// Services: RSS and heap per Service, and time per CreateService, for
// `services` Services in one Store (each with its four default roles and an
// empty user index). Issue 10: memory per Service must stay O(1) amortised.
void BM_ServicesMemory(State& state, size_t services) {
  for (auto _ : state) {
    StoreOptions options;
    options.limits.max_services = services;
    std::unique_ptr<Store> store = Store::Create(options).value();
    const MemorySnapshot before = TakeMemorySnapshot();
    const auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < services; ++i) {
      ServiceCreate create;
      create.sid = absl::StrFormat("IS%032x", i + 1);
      if (Failed(state, store->CreateService(create).status())) return;
    }
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    const MemorySnapshot after = TakeMemorySnapshot();
    const double n = static_cast<double>(services);
    state.counters["rss_bytes_per_service"] =
        static_cast<double>(after.rss_bytes - before.rss_bytes) / n;
    state.counters["heap_bytes_per_service"] =
        static_cast<double>(after.heap_bytes - before.heap_bytes) / n;
    state.counters["create_us_per_service"] = took.count() * 1e6 / n;
  }
}

// Creates of distinct new identities (validation + SID minting + insert);
// thread t uses its own identities. Fixed iterations (Workload::batch).
template <typename S>
void BM_Create(State& state, size_t n) {
  Fixture<S>& f = Fixture<S>::Get(n);
  if (state.thread_index() == 0) f.Restore();
  const Workload& w = f.workload();
  const int t = state.thread_index();
  const size_t tu = static_cast<size_t>(t);  // thread indexes are >= 0
  std::vector<UserCreate> requests(w.batch);
  for (size_t i = 0; i < w.batch; ++i) {
    requests[i].identity = w.fresh_identities[tu * w.batch + i];
    requests[i].attributes = w.AttributesOf(i * 7 + tu);
  }
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<User> user = f.system().Create(requests[i]);
    if (Failed(state, user)) break;
    ++i;
  }
  f.NoteCreated(t, i);
  state.SetItemsProcessed(state.iterations());
}

// All threads create the same identity: one wins once, the rest is the
// "identity taken" path under contention.
template <typename S>
void BM_CreateContended(State& state, size_t n) {
  Fixture<S>& f = Fixture<S>::Get(n);
  if (state.thread_index() == 0) f.Restore();
  UserCreate request;
  request.identity = f.workload().contended_identity;
  request.attributes = f.workload().AttributesOf(0);
  bool created = false;
  for (auto _ : state) {
    absl::StatusOr<User> user = f.system().Create(request);
    if (user.ok()) {
      created = true;
    } else if (!absl::IsAlreadyExists(user.status())) {
      Failed(state, user);
      break;
    }
  }
  if (created) f.NoteContendedCreated();
  state.SetItemsProcessed(state.iterations());
}

// Fetch of a random preloaded user by SID (by_identity: by identity).
template <typename S, bool by_identity>
void BM_Fetch(State& state, size_t n) {
  Fixture<S>& f = Fixture<S>::Get(n);
  if (state.thread_index() == 0) f.Restore();
  const Workload& w = f.workload();
  uint64_t p = w.ProbeStart();
  for (auto _ : state) {
    const uint32_t u = w.Probe(p++);
    absl::StatusOr<User> user =
        f.system().Fetch(by_identity ? std::string_view(w.identities[u]) : f.Sid(u));
    if (Failed(state, user)) break;
    benchmark::DoNotOptimize(user);
  }
  state.SetItemsProcessed(state.iterations());
}

// Replaces a random user's attributes (~200-byte JSON object, validated).
template <typename S>
void BM_Update(State& state, size_t n) {
  Fixture<S>& f = Fixture<S>::Get(n);
  if (state.thread_index() == 0) f.Restore();
  const Workload& w = f.workload();
  std::vector<UserUpdate> updates(64);
  for (size_t i = 0; i < updates.size(); ++i) updates[i].attributes = w.AttributesOf(i * 13 + 1);
  uint64_t p = w.ProbeStart();
  for (auto _ : state) {
    absl::StatusOr<User> user = f.system().Update(f.Sid(w.Probe(p)), updates[p & 63]);
    ++p;
    if (Failed(state, user)) break;
    benchmark::DoNotOptimize(user);
  }
  state.SetItemsProcessed(state.iterations());
}

// Deletes random preloaded users by SID (re-created before the next run).
template <typename S>
void BM_Delete(State& state, size_t n) {
  Fixture<S>& f = Fixture<S>::Get(n);
  f.Restore();
  size_t i = 0;
  for (auto _ : state) {
    if (Failed(state, f.system().Delete(f.Sid(f.victims()[i])))) break;
    ++i;
  }
  f.NoteDeleted(i);
  state.SetItemsProcessed(state.iterations());
}

// Where a list benchmark starts.
enum class From { kStart, kRandom, kNinetyPercent };

// Times `next_page()` once per iteration; an empty page is an error.
template <typename NextPage>
void TimePages(State& state, NextPage next_page) {
  for (auto _ : state) {
    auto page = next_page();
    if (page.users.empty()) {
      state.SkipWithError("empty page");
      break;
    }
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations());
}

// One page of kPageSize users from a cursor (keyset).
template <typename S, From from>
void BM_List(State& state, size_t n) {
  Fixture<S>& f = Fixture<S>::Get(n);
  if (state.thread_index() == 0) f.Restore();
  const Workload& w = f.workload();
  const size_t ninety = std::min(n * 9 / 10 / kCursorStride, f.positions() - 1);
  uint64_t p = w.ProbeStart();
  TimePages(state, [&] {
    size_t k = 0;
    if (from == From::kRandom) k = w.Probe(p++) % f.positions();
    if (from == From::kNinetyPercent) k = ninety;
    return f.system().List(f.CursorAt(k), kPageSize);
  });
}

// SQLite only: the same page at 90% with LIMIT/OFFSET, as a host without
// keyset cursors pages.
void BM_ListOffset90(State& state, size_t n) {
  Fixture<SqliteStore>& f = Fixture<SqliteStore>::Get(n);
  f.Restore();
  const int64_t offset = static_cast<int64_t>(n * 9 / 10);
  TimePages(state, [&] { return f.system().ListOffset(offset, kPageSize); });
}

// End to end through RestFacade::Handle: request bytes in, response bytes out.
// `api`: the same fetch through Chat v2 (/v2/Services/{IS}/Users/{US}) or
// Conversations v1 (/v1/...: another route table and renderer, issue 17).
void BM_FacadeFetch(State& state, size_t n, PageApi api) {
  Fixture<UserstoreSystem>& f = Fixture<UserstoreSystem>::Get(n);
  f.Restore();
  const Workload& w = f.workload();
  RestFacade facade(f.system().store());
  const std::string prefix = std::string(api == PageApi::kChat ? "/v2" : "/v1") + "/Services/" +
                             f.system().service_sid() + "/Users/";
  Request request;
  request.method = "GET";
  uint64_t p = w.ProbeStart();
  int64_t bytes = 0;
  for (auto _ : state) {
    request.target.assign(prefix).append(f.Sid(w.Probe(p++)));
    Response response = facade.Handle(request);
    if (response.status != 200) {
      state.SkipWithError(("status " + std::to_string(response.status)).c_str());
      break;
    }
    bytes += static_cast<int64_t>(response.body.size());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}

template <From from>
void BM_FacadeList(State& state, size_t n) {
  Fixture<UserstoreSystem>& f = Fixture<UserstoreSystem>::Get(n);
  f.Restore();
  const Workload& w = f.workload();
  RestFacade facade(f.system().store());
  const std::string prefix =
      "/v2/Services/" + f.system().service_sid() + "/Users?PageSize=50&Page=1&PageToken=";
  const size_t ninety = std::min(n * 9 / 10 / kCursorStride, f.positions() - 1);
  if (ninety == 0) state.SkipWithError("needs more than 100 users (a page token)");
  Request request;
  request.method = "GET";
  uint64_t p = w.ProbeStart();
  int64_t bytes = 0;
  for (auto _ : state) {
    const size_t k = from == From::kRandom ? 1 + w.Probe(p++) % (f.positions() - 1) : ninety;
    request.target.assign(prefix).append(f.CursorAt(k));
    Response response = facade.Handle(request);
    if (response.status != 200) {
      state.SkipWithError(("status " + std::to_string(response.status)).c_str());
      break;
    }
    bytes += static_cast<int64_t>(response.body.size());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}

// The machine's ceiling (bench/machine.h), no store code: `chase` follows a
// random cycle (each load waits for the previous one, as a lookup's chain of
// misses does); otherwise independent loads at random lines. One item is one
// load. The buffer is 1 KiB per user, about a fixture's footprint.
template <bool chase>
void BM_Machine(State& state, size_t n) {
  size_t lines = 0;
  const uint64_t* buffer = RandomCycle(n * 1024, &lines);
  const uint64_t thread = static_cast<uint64_t>(state.thread_index());  // >= 0
  uint64_t line = (thread * 7919 + 1) % lines;
  std::mt19937_64 rng(thread + 1);
  uint64_t sum = 0;
  for (auto _ : state) {
    for (int i = 0; i < 64; ++i) {
      if (chase) {
        line = buffer[line * 8];
      } else {
        sum += buffer[(rng() % lines) * 8];
      }
    }
  }
  benchmark::DoNotOptimize(line + sum);
  state.SetItemsProcessed(state.iterations() * 64);
}

enum class Op {
  kMemory,
  kCreate,
  kCreateContended,
  kFetchBySid,
  kFetchByIdentity,
  kUpdate,
  kDelete,
  kListFirst,
  kListRandom,
  kListNinety,
};

template <typename S>
void Register(Op op, size_t n) {
  const std::string suffix = std::string("/") + S::kName + "/" + std::to_string(n);
  auto reg = [&](const char* name, void (*fn)(State&, size_t)) {
    return benchmark::RegisterBenchmark((name + suffix).c_str(),
                                        [fn, n](State& state) { fn(state, n); })
        ->UseRealTime();
  };
  const auto iterations = static_cast<benchmark::IterationCount>(GetWorkload(n).batch);
  switch (op) {
    case Op::kMemory:
      reg("BM_Memory", BM_Memory<S>)->Iterations(1);
      break;
    case Op::kCreate:
      if (S::kThreadSafe) {
        reg("BM_Create", BM_Create<S>)->Iterations(iterations)->Threads(1)->Threads(2);
      } else {
        reg("BM_Create", BM_Create<S>)->Iterations(iterations)->Threads(1);
      }
      break;
    case Op::kCreateContended:
      if (S::kThreadSafe) reg("BM_CreateContended", BM_CreateContended<S>)->Threads(2);
      break;
    case Op::kFetchBySid:
      reg("BM_FetchBySid", BM_Fetch<S, false>)->Threads(1)->Threads(2);
      break;
    case Op::kFetchByIdentity:
      reg("BM_FetchByIdentity", BM_Fetch<S, true>)->Threads(1)->Threads(2);
      break;
    case Op::kUpdate:
      reg("BM_Update", BM_Update<S>);
      break;
    case Op::kDelete:
      reg("BM_Delete", BM_Delete<S>)->Iterations(iterations);
      break;
    case Op::kListFirst:
      reg("BM_ListFirst", BM_List<S, From::kStart>);
      break;
    case Op::kListRandom:
      reg("BM_ListRandom", BM_List<S, From::kRandom>)->Threads(1)->Threads(2);
      break;
    case Op::kListNinety:
      reg("BM_List90", BM_List<S, From::kNinetyPercent>);
      if constexpr (std::is_same_v<S, SqliteStore>) {
        reg("BM_ListOffset90", BM_ListOffset90);
      }
      break;
  }
}

}  // namespace

void PrebuildFixtures(const std::vector<size_t>& user_counts) {
  for (size_t n : user_counts) {
    Fixture<UserstoreSystem>::Get(n);
    Fixture<UserstoreHugePagesSystem>::Get(n);
    Fixture<IdealStore>::Get(n);
    Fixture<TypicalStore>::Get(n);
    Fixture<SqliteStore>::Get(n);
  }
}

void RegisterBenchmarks(const std::vector<size_t>& user_counts) {
  for (size_t services : {size_t{1000}, size_t{100000}}) {
    benchmark::RegisterBenchmark(("BM_ServicesMemory/" + std::to_string(services)).c_str(),
                                 [services](State& s) { BM_ServicesMemory(s, services); })
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
  }
  for (size_t n : user_counts) {
    // Grouped by operation, so the systems compared are measured close in
    // time; memory first, so the fixtures are built (and measured) first.
    for (Op op :
         {Op::kMemory, Op::kFetchBySid, Op::kFetchByIdentity, Op::kListFirst, Op::kListRandom,
          Op::kListNinety, Op::kUpdate, Op::kCreate, Op::kCreateContended, Op::kDelete}) {
      Register<UserstoreSystem>(op, n);
      if (op == Op::kMemory || op == Op::kFetchBySid || op == Op::kFetchByIdentity) {
        Register<UserstoreHugePagesSystem>(op, n);  // docs/benchmarks.md, "Huge pages"
      }
      Register<IdealStore>(op, n);
      Register<TypicalStore>(op, n);
      Register<SqliteStore>(op, n);
    }
    RegisterPairedBenchmarks(n);
    const std::string machine = "/machine/" + std::to_string(n);
    benchmark::RegisterBenchmark(("BM_RandomChase" + machine).c_str(),
                                 [n](State& s) { BM_Machine<true>(s, n); })
        ->UseRealTime()
        ->Threads(1)
        ->Threads(2);
    benchmark::RegisterBenchmark(("BM_RandomLoads" + machine).c_str(),
                                 [n](State& s) { BM_Machine<false>(s, n); })
        ->UseRealTime()
        ->Threads(1)
        ->Threads(2);
    const std::string suffix = "/userstore/" + std::to_string(n);
    benchmark::RegisterBenchmark(("BM_FacadeFetch" + suffix).c_str(), [n](State& s) {
      BM_FacadeFetch(s, n, PageApi::kChat);
    })->UseRealTime();
    benchmark::RegisterBenchmark(("BM_FacadeFetchConversations" + suffix).c_str(), [n](State& s) {
      BM_FacadeFetch(s, n, PageApi::kConversations);
    })->UseRealTime();
    benchmark::RegisterBenchmark(("BM_FacadeListRandom" + suffix).c_str(), [n](State& s) {
      BM_FacadeList<From::kRandom>(s, n);
    })->UseRealTime();
    benchmark::RegisterBenchmark(("BM_FacadeList90" + suffix).c_str(), [n](State& s) {
      BM_FacadeList<From::kNinetyPercent>(s, n);
    })->UseRealTime();
  }
}

}  // namespace userstore::bench
