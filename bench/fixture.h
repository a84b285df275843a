// Fixture<S>: one benchmarked system S loaded with the workload's N users,
// built once per (S, N) and shared by every benchmark of that system and N
// for the process's lifetime (preloading 1,000,000 users is done once).
//
// It records the SID S minted for each preloaded user, the page cursors met
// by one walk in pages of kCursorStride (so a list benchmark starts at any of
// N / 100 positions without walking), what the preload cost in memory, and
// the undo log of the mutating benchmarks: users they created and preloaded
// users they deleted. Restore() undoes those, so every benchmark starts from
// the same N users (re-created users get new SIDs, recorded here).
//
// Thread-safety: Get is thread-safe. Restore mutates the fixture and the
// system: call it from thread 0 before the benchmark loop only (the loop's
// start barrier keeps the other threads out until it returns). NoteCreated /
// NoteDeleted are thread-safe. The other accessors are safe while no Restore
// runs.
#ifndef USERSTORE_BENCH_FIXTURE_H_
#define USERSTORE_BENCH_FIXTURE_H_

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <random>
#include <string_view>
#include <vector>

#include "bench/memory.h"
#include "bench/workload.h"
#include "userstore/user.h"

namespace userstore::bench {

template <typename S>
class Fixture {
 public:
  using Cursor = typename S::Cursor;

  // The fixture of S with `users` users, built (O(N)) on first use.
  static Fixture& Get(size_t users) {
    static std::mutex mu;
    static auto* fixtures = new std::map<size_t, std::unique_ptr<Fixture>>;
    std::lock_guard<std::mutex> lock(mu);
    std::unique_ptr<Fixture>& f = (*fixtures)[users];
    if (!f) f.reset(new Fixture(GetWorkload(users)));
    return *f;
  }

  S& system() { return *system_; }
  const Workload& workload() const { return w_; }

  // The SID of preloaded user i (as S minted it).
  std::string_view Sid(size_t i) const { return {sids_[i].data(), sids_[i].size()}; }

  // Positions a list may start at: 0, 100, 200, ... (count of them).
  size_t positions() const { return cursors_.size() + 1; }
  // The cursor at position k * kCursorStride (k = 0: the start).
  const Cursor& CursorAt(size_t k) const { return k == 0 ? start_ : cursors_[k - 1]; }

  // Preload cost: memory delta over the preload and its duration.
  const MemorySnapshot& preload_memory() const { return preload_memory_; }
  double preload_seconds() const { return preload_seconds_; }

  // Distinct preloaded users (workload().batch of them) the delete benchmark
  // removes, in random order.
  const std::vector<uint32_t>& victims() const { return victims_; }

  // Undo log. Thread t created fresh_identities[t * batch, t * batch + count).
  void NoteCreated(int thread, size_t count) { created_[static_cast<size_t>(thread)] += count; }
  void NoteContendedCreated() { contended_created_ = true; }
  // victims()[0, count) were deleted.
  void NoteDeleted(size_t count) { deleted_ += count; }

  void Restore() {
    if (created_[0] == 0 && created_[1] == 0 && !contended_created_ && deleted_ == 0) return;
    Bulk bulk(system_.get());
    for (size_t t = 0; t < kMaxThreads; ++t) {
      const size_t count = created_[t].exchange(0);
      for (size_t j = 0; j < count; ++j) {
        Check(system_->Delete(w_.fresh_identities[t * w_.batch + j]), "undo create");
      }
    }
    if (contended_created_.exchange(false)) {
      Check(system_->Delete(w_.contended_identity), "undo contended create");
    }
    const size_t deleted = deleted_.exchange(0);
    for (size_t j = 0; j < deleted; ++j) Load(victims_[j]);
  }

 private:
  explicit Fixture(const Workload& w) : w_(w), start_{} {
    sids_.resize(w.users);  // touched now: not charged to the system
    const MemorySnapshot before = TakeMemorySnapshot();
    const auto t0 = std::chrono::steady_clock::now();
    system_ = std::make_unique<S>();
    for (size_t i = 0; i < w.users; i += kBulkUsers) {
      Bulk bulk(system_.get());
      for (size_t j = i; j < std::min(w.users, i + kBulkUsers); ++j) Load(j);
    }
    const auto t1 = std::chrono::steady_clock::now();
    const MemorySnapshot after = TakeMemorySnapshot();
    preload_memory_.rss_bytes = after.rss_bytes - before.rss_bytes;
    preload_memory_.heap_bytes = after.heap_bytes - before.heap_bytes;
    preload_seconds_ = std::chrono::duration<double>(t1 - t0).count();

    // One walk records the cursor after every kCursorStride users.
    Cursor cursor = start_;
    for (;;) {
      auto page = system_->List(cursor, kCursorStride);
      if (!page.has_next) break;
      cursors_.push_back(page.next);
      cursor = std::move(page.next);
    }

    std::vector<uint32_t> order(w.users);
    std::iota(order.begin(), order.end(), 0u);
    std::shuffle(order.begin(), order.end(), std::mt19937_64(7));
    victims_.assign(order.begin(),
                    order.begin() + static_cast<std::ptrdiff_t>(std::min(w.batch, order.size())));
  }

  // Users loaded per bulk transaction (systems that have them: SQLite).
  static constexpr size_t kBulkUsers = 10000;

  // Holds a system's bulk transaction (BeginBulk / EndBulk) for its scope,
  // when the system has one.
  class Bulk {
   public:
    explicit Bulk(S* system) : system_(system) {
      if constexpr (requires { system->BeginBulk(); }) system_->BeginBulk();
    }
    ~Bulk() {
      if constexpr (requires { system_->EndBulk(); }) system_->EndBulk();
    }
    Bulk(const Bulk&) = delete;
    Bulk& operator=(const Bulk&) = delete;

   private:
    S* const system_;
  };

  // Creates preloaded user i and records its SID.
  void Load(size_t i) {
    UserCreate params;
    params.identity = w_.identities[i];
    params.attributes = w_.AttributesOf(i);
    absl::StatusOr<User> user = system_->Create(params);
    Check(user.status(), "preload");
    if (user->sid.size() != sids_[i].size()) Check(absl::InternalError("bad SID"), "preload");
    std::memcpy(sids_[i].data(), user->sid.data(), sids_[i].size());
  }

  static void Check(const absl::Status& status, const char* what) {
    if (status.ok()) return;
    std::fprintf(stderr, "%s %s: %s\n", S::kName, what, status.ToString().c_str());
    std::abort();
  }

  const Workload& w_;
  std::unique_ptr<S> system_;
  std::vector<std::array<char, 34>> sids_;
  const Cursor start_;
  std::vector<Cursor> cursors_;
  std::vector<uint32_t> victims_;
  MemorySnapshot preload_memory_;
  double preload_seconds_ = 0;
  std::array<std::atomic<size_t>, kMaxThreads> created_{};
  std::atomic<bool> contended_created_{false};
  std::atomic<size_t> deleted_{0};
};

}  // namespace userstore::bench

#endif  // USERSTORE_BENCH_FIXTURE_H_
