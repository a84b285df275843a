// Paired benchmarks: two systems (or two operations) measured in alternating
// blocks inside one benchmark run, on the same keys, so a burst of noise from
// other processes or tenants hits both sides alike. Each iteration runs one
// block on each side (A then B, then B then A on the next iteration, which
// cancels slow drift) and the counters report each side's time per operation
// and their ratio A / B. Names: BM_Pair<Op>/<A>:<B>/<N>. The separate
// BM_<Op> benchmarks give the absolute figures; these give ratios that
// hold on a noisy machine.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/baseline_common.h"
#include "bench/baseline_ideal.h"
#include "bench/baseline_sqlite.h"
#include "bench/fixture.h"
#include "bench/system_userstore.h"
#include "bench/userstore_bench.h"
#include "userstore/user_view.h"

namespace userstore::bench {
namespace {

using benchmark::State;
using Clock = std::chrono::steady_clock;

// One side of a pair: runs `count` operations starting at probe `p`.
// Returns false on a failed operation (the run is then skipped).
template <typename S, bool by_identity>
bool FetchBlock(Fixture<S>& f, uint64_t p, int count) {
  const Workload& w = f.workload();
  // count: a block size, >= 0.
  for (uint64_t i = 0; i < static_cast<uint64_t>(count); ++i) {
    const uint32_t u = w.Probe(p + i);
    absl::StatusOr<User> user =
        f.system().Fetch(by_identity ? std::string_view(w.identities[u]) : f.Sid(u));
    if (!user.ok()) return false;
    benchmark::DoNotOptimize(user);
  }
  return true;
}

// `updates`: prebuilt requests (64), so no request is built while timed.
template <typename S>
bool UpdateBlock(Fixture<S>& f, const std::vector<UserUpdate>& updates, uint64_t p, int count) {
  const Workload& w = f.workload();
  // count: a block size, >= 0.
  for (uint64_t i = 0; i < static_cast<uint64_t>(count); ++i) {
    const UserUpdate& update = updates[(p + i) % updates.size()];
    absl::StatusOr<User> user = f.system().Update(f.Sid(w.Probe(p + i)), update);
    if (!user.ok()) return false;
    benchmark::DoNotOptimize(user);
  }
  return true;
}

// Pages of kPageSize from cursor positions: random ones (`at` < 0), or the
// fixed position `at`.
template <typename S>
bool ListBlock(Fixture<S>& f, uint64_t p, int count, long at) {
  const Workload& w = f.workload();
  // count: a block size, >= 0.
  for (uint64_t i = 0; i < static_cast<uint64_t>(count); ++i) {
    const size_t k = at >= 0 ? static_cast<size_t>(at) : w.Probe(p + i) % f.positions();
    auto page = f.system().List(f.CursorAt(k), kPageSize);
    if (page.users.empty()) return false;
    benchmark::DoNotOptimize(page);
  }
  return true;
}

// The fast forms: each side reads into one User, or pages into one buffer,
// reused across the block (the copy-out floor of the anchors).
template <typename S, bool by_identity>
bool FetchIntoBlock(Fixture<S>& f, uint64_t p, int count, User* out) {
  const Workload& w = f.workload();
  // count: a block size, >= 0.
  for (uint64_t i = 0; i < static_cast<uint64_t>(count); ++i) {
    const uint32_t u = w.Probe(p + i);
    if (!f.system()
             .FetchInto(by_identity ? std::string_view(w.identities[u]) : f.Sid(u), out)
             .ok()) {
      return false;
    }
    benchmark::DoNotOptimize(out);
  }
  return true;
}

// What a visitor does with the user it is handed: reads its identity and
// attributes bytes (the same on both sides).
size_t Consume(const UserView& v) {
  return v.identity().size() + v.attributes().size() + static_cast<size_t>(v.attributes()[0]);
}
size_t Consume(const BaselineRecord& r) {
  return r.identity.size() + r.attributes.size() +
         static_cast<size_t>(r.attributes.empty() ? '{' : r.attributes[0]);
}

template <typename S>
bool ReadBlock(Fixture<S>& f, uint64_t p, int count) {
  const Workload& w = f.workload();
  size_t sum = 0;
  // count: a block size, >= 0.
  for (uint64_t i = 0; i < static_cast<uint64_t>(count); ++i) {
    if (!f.system().Read(f.Sid(w.Probe(p + i)), [&](const auto& u) { sum += Consume(u); }).ok()) {
      return false;
    }
  }
  benchmark::DoNotOptimize(sum);
  return true;
}

// Updates that return nothing (`out` null) or into a reused User.
template <typename S>
bool UpdateIntoBlock(Fixture<S>& f, const std::vector<UserUpdate>& updates, uint64_t p, int count,
                     User* out) {
  const Workload& w = f.workload();
  // count: a block size, >= 0.
  for (uint64_t i = 0; i < static_cast<uint64_t>(count); ++i) {
    const UserUpdate& update = updates[(p + i) % updates.size()];
    if (!f.system().UpdateInto(f.Sid(w.Probe(p + i)), update, out).ok()) return false;
  }
  return true;
}

template <typename S>
bool ListIntoBlock(Fixture<S>& f, uint64_t p, int count, typename S::PageBuffer* buffer) {
  const Workload& w = f.workload();
  // count: a block size, >= 0.
  for (uint64_t i = 0; i < static_cast<uint64_t>(count); ++i) {
    const size_t k = w.Probe(p + i) % f.positions();
    if (f.system().ListInto(f.CursorAt(k), kPageSize, buffer) == 0) return false;
    benchmark::DoNotOptimize(buffer);
  }
  return true;
}

// Runs blocks of `a` and `b` alternately; reports a_ns, b_ns (per operation)
// and ratio = a_ns / b_ns.
// The 64 attribute updates both sides of an update pair cycle through.
std::vector<UserUpdate> AttributeUpdates(const Workload& w) {
  std::vector<UserUpdate> updates(64);
  for (size_t i = 0; i < updates.size(); ++i) updates[i].attributes = w.AttributesOf(i * 13 + 1);
  return updates;
}

template <typename A, typename B>
void RunPaired(State& state, int block, const Workload& w, A&& a, B&& b) {
  double a_ns = 0;
  double b_ns = 0;
  uint64_t p = w.ProbeStart();
  bool a_first = true;
  for (auto _ : state) {
    for (int side = 0; side < 2; ++side) {
      const bool run_a = (side == 0) == a_first;
      const auto t0 = Clock::now();
      const bool ok = run_a ? a(p, block) : b(p, block);
      const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
      if (!ok) {
        state.SkipWithError("operation failed");
        return;
      }
      (run_a ? a_ns : b_ns) += ns;
    }
    p += static_cast<uint64_t>(block);  // block > 0
    a_first = !a_first;
  }
  const double ops = static_cast<double>(state.iterations()) * block;
  state.counters["a_ns"] = a_ns / ops;
  state.counters["b_ns"] = b_ns / ops;
  state.counters["ratio"] = b_ns > 0 ? a_ns / b_ns : 0;
  state.SetItemsProcessed(state.iterations() * block * 2);
}

template <typename SA, typename SB, bool by_identity>
void BM_PairFetch(State& state, size_t n) {
  Fixture<SA>& fa = Fixture<SA>::Get(n);
  Fixture<SB>& fb = Fixture<SB>::Get(n);
  fa.Restore();
  fb.Restore();
  RunPaired(
      state, 256, fa.workload(),
      [&](uint64_t p, int c) { return FetchBlock<SA, by_identity>(fa, p, c); },
      [&](uint64_t p, int c) { return FetchBlock<SB, by_identity>(fb, p, c); });
}

template <typename SA, typename SB>
void BM_PairUpdate(State& state, size_t n) {
  Fixture<SA>& fa = Fixture<SA>::Get(n);
  Fixture<SB>& fb = Fixture<SB>::Get(n);
  fa.Restore();
  fb.Restore();
  const std::vector<UserUpdate> updates = AttributeUpdates(fa.workload());
  RunPaired(
      state, 256, fa.workload(),
      [&](uint64_t p, int c) { return UpdateBlock<SA>(fa, updates, p, c); },
      [&](uint64_t p, int c) { return UpdateBlock<SB>(fb, updates, p, c); });
}

template <typename SA, typename SB>
void BM_PairListRandom(State& state, size_t n) {
  Fixture<SA>& fa = Fixture<SA>::Get(n);
  Fixture<SB>& fb = Fixture<SB>::Get(n);
  fa.Restore();
  fb.Restore();
  RunPaired(
      state, 8, fa.workload(), [&](uint64_t p, int c) { return ListBlock<SA>(fa, p, c, -1); },
      [&](uint64_t p, int c) { return ListBlock<SB>(fb, p, c, -1); });
}

template <typename SA, typename SB, bool by_identity>
void BM_PairFetchInto(State& state, size_t n) {
  Fixture<SA>& fa = Fixture<SA>::Get(n);
  Fixture<SB>& fb = Fixture<SB>::Get(n);
  fa.Restore();
  fb.Restore();
  User a_out;
  User b_out;
  RunPaired(
      state, 256, fa.workload(),
      [&](uint64_t p, int c) { return FetchIntoBlock<SA, by_identity>(fa, p, c, &a_out); },
      [&](uint64_t p, int c) { return FetchIntoBlock<SB, by_identity>(fb, p, c, &b_out); });
}

template <typename SA, typename SB>
void BM_PairRead(State& state, size_t n) {
  Fixture<SA>& fa = Fixture<SA>::Get(n);
  Fixture<SB>& fb = Fixture<SB>::Get(n);
  fa.Restore();
  fb.Restore();
  RunPaired(
      state, 256, fa.workload(), [&](uint64_t p, int c) { return ReadBlock<SA>(fa, p, c); },
      [&](uint64_t p, int c) { return ReadBlock<SB>(fb, p, c); });
}

// `returned`: the update copies the user into a reused User; else nothing.
template <typename SA, typename SB, bool returned>
void BM_PairUpdateInto(State& state, size_t n) {
  Fixture<SA>& fa = Fixture<SA>::Get(n);
  Fixture<SB>& fb = Fixture<SB>::Get(n);
  fa.Restore();
  fb.Restore();
  const std::vector<UserUpdate> updates = AttributeUpdates(fa.workload());
  User a_out;
  User b_out;
  RunPaired(
      state, 256, fa.workload(),
      [&](uint64_t p, int c) {
        return UpdateIntoBlock<SA>(fa, updates, p, c, returned ? &a_out : nullptr);
      },
      [&](uint64_t p, int c) {
        return UpdateIntoBlock<SB>(fb, updates, p, c, returned ? &b_out : nullptr);
      });
}

template <typename SA, typename SB>
void BM_PairListInto(State& state, size_t n) {
  Fixture<SA>& fa = Fixture<SA>::Get(n);
  Fixture<SB>& fb = Fixture<SB>::Get(n);
  fa.Restore();
  fb.Restore();
  typename SA::PageBuffer a_buffer;
  typename SB::PageBuffer b_buffer;
  RunPaired(
      state, 8, fa.workload(),
      [&](uint64_t p, int c) { return ListIntoBlock<SA>(fa, p, c, &a_buffer); },
      [&](uint64_t p, int c) { return ListIntoBlock<SB>(fb, p, c, &b_buffer); });
}

// userstore alone: the page at 90 % (A) against the first page (B).
void BM_PairList90First(State& state, size_t n) {
  Fixture<UserstoreSystem>& f = Fixture<UserstoreSystem>::Get(n);
  f.Restore();
  const long ninety = static_cast<long>(std::min(n * 9 / 10 / kCursorStride, f.positions() - 1));
  RunPaired(
      state, 8, f.workload(),
      [&](uint64_t p, int c) { return ListBlock<UserstoreSystem>(f, p, c, ninety); },
      [&](uint64_t p, int c) { return ListBlock<UserstoreSystem>(f, p, c, 0); });
}

}  // namespace

void RegisterPairedBenchmarks(size_t n) {
  const std::string size = absl::StrCat("/", n);
  auto reg = [&](const char* name, void (*fn)(State&, size_t)) {
    benchmark::RegisterBenchmark(absl::StrCat(name, size).c_str(), [fn, n](State& s) {
      fn(s, n);
    })->UseRealTime();
  };
  using U = UserstoreSystem;
  reg("BM_PairFetchBySid/userstore:ideal", BM_PairFetch<U, IdealStore, false>);
  reg("BM_PairFetchBySid/sqlite:userstore", BM_PairFetch<SqliteStore, U, false>);
  reg("BM_PairFetchByIdentity/userstore:ideal", BM_PairFetch<U, IdealStore, true>);
  reg("BM_PairFetchByIdentity/sqlite:userstore", BM_PairFetch<SqliteStore, U, true>);
  reg("BM_PairUpdate/userstore:ideal", BM_PairUpdate<U, IdealStore>);
  reg("BM_PairListRandom/userstore:ideal", BM_PairListRandom<U, IdealStore>);
  reg("BM_PairList90:ListFirst/userstore", BM_PairList90First);
  // The fast forms against the copy-out floor (docs/benchmarks.md).
  reg("BM_PairFetchIntoBySid/userstore:ideal", BM_PairFetchInto<U, IdealStore, false>);
  reg("BM_PairFetchIntoByIdentity/userstore:ideal", BM_PairFetchInto<U, IdealStore, true>);
  reg("BM_PairReadBySid/userstore:ideal", BM_PairRead<U, IdealStore>);
  reg("BM_PairUpdateInto/userstore:ideal", BM_PairUpdateInto<U, IdealStore, true>);
  reg("BM_PairUpdateNoReturn/userstore:ideal", BM_PairUpdateInto<U, IdealStore, false>);
  reg("BM_PairListInto/userstore:ideal", BM_PairListInto<U, IdealStore>);
  // Records in huge-page-eligible memory against malloc (docs/benchmarks.md,
  // "Huge pages").
  using H = UserstoreHugePagesSystem;
  reg("BM_PairFetchBySid/userstore-huge:userstore", BM_PairFetch<H, U, false>);
  reg("BM_PairFetchByIdentity/userstore-huge:userstore", BM_PairFetch<H, U, true>);
  reg("BM_PairUpdate/userstore-huge:userstore", BM_PairUpdate<H, U>);
}

}  // namespace userstore::bench
