// Change-feed benchmarks (issue 15, "Speed"): the cost of the feed on writes,
// and reading it.
//
// BM_PairFeed<Op>/<mode>/<N>: two Stores, the same build, feed on
// (EventOptions::enabled, the default) and feed off, each preloaded with N
// users; each iteration runs a block of the operation on one and then the
// other (the order alternates between iterations, so drift cancels), on the
// same users. Counters: on_ns and off_ns per operation, on_over_off (the
// feed's cost is on_over_off - 1). Ops: Create (new identities), Update
// (an attributes update of an existing user). Modes: memory (Store::Create)
// and durable (Store::Open, sync=true: one fsync per write, the journal's
// cost included on both sides).
// The environment variable FEED_WINDOW sets EventOptions::memory_window of
// the paired Stores (default: the option's default), for the curve of the
// feed's cost against its window.
// BM_FeedRead/<mode>/<N>: ReadEvents of N events in pages of 1000: from a
// memory Store (window N), or from a durable one (window 1000: the events
// come from RocksDB); items per second = events per second.
// Results: docs/benchmarks.md, "Change feed".
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/import_rows.h"
#include "bench/userstore_bench.h"
#include "userstore/store.h"

namespace userstore::bench {
namespace {

using benchmark::State;
using Clock = std::chrono::steady_clock;

constexpr char kService[] = "IS3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f";

struct Side {
  std::string dir;  // durable: removed at the end
  std::unique_ptr<Store> store;
  std::vector<std::string> sids;
  uint64_t created = 0;
  double ns = 0;
  ~Side() {
    store.reset();
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
};

// Modes: memory, durable with sync (one fsync per write), durable without
// (the journal's CPU and the page cache only: the feed's own cost shows).
enum class Mode { kMemory, kDurable, kDurableNoSync };

std::unique_ptr<Side> MakeSide(bool feed, Mode mode, size_t n) {
  const bool durable = mode != Mode::kMemory;
  auto side = std::make_unique<Side>();
  StoreOptions options;
  options.events.enabled = feed;
  if (const char* w = getenv("FEED_WINDOW"))
    options.events.memory_window = static_cast<size_t>(atoi(w));
  absl::StatusOr<std::unique_ptr<Store>> store;
  if (durable) {
    side->dir = NewBenchDirectory();
    DurableOptions d;
    d.sync = mode == Mode::kDurable;
    store = Store::Open(side->dir + "/store", options, d);
  } else {
    store = Store::Create(options);
  }
  if (!store.ok()) BenchDie(store.status().ToString());
  side->store = *std::move(store);
  ServiceCreate sc;
  sc.sid = kService;
  if (!side->store->CreateService(sc).ok()) BenchDie("CreateService");
  // The preload: an import (one batch per 1000 rows), then the SIDs.
  if (!side->store->ImportUsers(kService, ImportRows(n)).ok()) BenchDie("ImportUsers");
  for (const UserImport& row : ImportRows(n)) side->sids.push_back(row.sid);
  return side;
}

bool CreateBlock(Side& side, int count) {
  for (int i = 0; i < count; ++i) {
    UserCreate c;
    c.identity = absl::StrCat("bench-new-", side.created++);
    c.attributes = R"({"avatar":"https://cdn.example.com/a.png","level":3})";
    if (!side.store->CreateUser(kService, c, nullptr).ok()) return false;
  }
  return true;
}

bool UpdateBlock(Side& side, uint64_t at, int count) {
  UserUpdate u;
  for (int i = 0; i < count; ++i) {
    const uint64_t k = at + static_cast<uint64_t>(i);
    u.attributes =
        absl::StrCat(R"({"avatar":"https://cdn.example.com/a.png","level":)", k % 97, "}");
    const std::string& sid = side.sids[(k * 7919) % side.sids.size()];
    if (!side.store->UpdateUser(kService, sid, u, nullptr).ok()) return false;
  }
  return true;
}

template <typename Op>
void Paired(State& state, Side& on, Side& off, int block, Op op) {
  uint64_t at = 0;
  int64_t ops = 0;
  for (auto _ : state) {
    Side* order[2] = {&on, &off};
    if (state.iterations() % 2 == 1) std::swap(order[0], order[1]);
    for (Side* side : order) {
      const Clock::time_point start = Clock::now();
      if (!op(*side, at, block)) {
        state.SkipWithError("a write failed");
        return;
      }
      side->ns += static_cast<double>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
    }
    at += static_cast<uint64_t>(block);
    ops += block;
  }
  state.counters["on_ns"] = on.ns / static_cast<double>(ops);
  state.counters["off_ns"] = off.ns / static_cast<double>(ops);
  state.counters["on_over_off"] = on.ns / off.ns;
  state.SetItemsProcessed(2 * ops);
}

void BM_PairFeed(State& state, bool create, Mode mode, size_t n) {
  std::unique_ptr<Side> on = MakeSide(true, mode, n);
  std::unique_ptr<Side> off = MakeSide(false, mode, n);
  const int block = mode == Mode::kDurable ? 20 : 500;
  if (create) {
    Paired(state, *on, *off, block,
           [](Side& s, uint64_t, int count) { return CreateBlock(s, count); });
  } else {
    Paired(state, *on, *off, block,
           [](Side& s, uint64_t at, int count) { return UpdateBlock(s, at, count); });
  }
}

void BM_FeedRead(State& state, size_t n, bool durable) {
  StoreOptions options;
  std::string dir;
  absl::StatusOr<std::unique_ptr<Store>> store;
  if (durable) {
    options.events.memory_window = 1000;  // the rest comes from the disk
    dir = NewBenchDirectory();
    DurableOptions d;
    d.sync = false;
    store = Store::Open(dir + "/store", options, d);
  } else {
    options.events.memory_window = n;
    store = Store::Create(options);
  }
  if (!store.ok()) BenchDie(store.status().ToString());
  ServiceCreate sc;
  sc.sid = kService;
  if (!(*store)->CreateService(sc).ok()) BenchDie("CreateService");
  if (!(*store)->ImportUsers(kService, ImportRows(n)).ok()) BenchDie("ImportUsers");
  for (auto _ : state) {
    uint64_t after = 0;
    size_t read = 0;
    for (;;) {
      absl::StatusOr<EventPage> page = (*store)->ReadEvents(kService, after, 1000);
      if (!page.ok()) BenchDie(page.status().ToString());
      if (page->events.empty()) break;
      read += page->events.size();
      after = page->next_after;
      benchmark::DoNotOptimize(page->events.data());
    }
    if (read != n) BenchDie(absl::StrCat("read ", read, " events of ", n));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  store->reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
}

}  // namespace

void RegisterEventBenchmarks(const std::vector<size_t>& user_counts) {
  for (size_t n : user_counts) {
    for (Mode mode : {Mode::kMemory, Mode::kDurable, Mode::kDurableNoSync}) {
      const char* name = mode == Mode::kMemory    ? "memory"
                         : mode == Mode::kDurable ? "durable"
                                                  : "durable-nosync";
      for (bool create : {true, false}) {
        benchmark::RegisterBenchmark(
            absl::StrCat("BM_PairFeed", create ? "Create" : "Update", "/", name, "/", n).c_str(),
            [=](State& s) { BM_PairFeed(s, create, mode, n); })
            ->Iterations(mode == Mode::kDurable ? 60 : 200)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
    for (bool durable : {false, true}) {
      benchmark::RegisterBenchmark(
          absl::StrCat("BM_FeedRead/", durable ? "durable" : "memory", "/", n).c_str(),
          [n, durable](State& s) { BM_FeedRead(s, n, durable); })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace userstore::bench
