// FeedTrimmer: the background thread that trims a durable Store's stored
// change feed (EventOptions::durable_window, durable_max_age; docs/events.md,
// "Durable feed").
//
// Every `trim_interval` it visits each Service: the oldest event kept becomes
// the newest of (last - durable_window + 1) and the first event younger than
// durable_max_age; events before it are removed in one write (a RocksDB
// range deletion) with the feed's marks (journal.h, TrimEvents: the oldest
// kept, and the checkpoint up to which the feed has no hole, which bounds
// what recovery reads). Readers see the new oldest before the events go
// (EventFeed::set_first_on_disk), so a read of a trimmed position is
// 410/20410, never a silent gap.
//
// Thread-safety: one thread of its own; the destructor stops it and joins
// (no last pass: a close writes nothing but what the journal flushes, and
// recovery reads at most the events of one interval past the checkpoint).
// The Store runs a first pass when it opens, before any write.
#ifndef USERSTORE_SRC_STORE_FEED_TRIMMER_H_
#define USERSTORE_SRC_STORE_FEED_TRIMMER_H_

#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "common/mutex.h"
#include "store/journal.h"
#include "store/service_state.h"
#include "userstore/options.h"

namespace userstore::internal {

class FeedTrimmer {
 public:
  using ServicesFn = std::function<std::vector<const ServiceState*>()>;
  using ClockFn = std::function<absl::Time()>;
  // `journal` and the Services must outlive the trimmer.
  FeedTrimmer(Journal* journal, const EventOptions& options, ServicesFn services, ClockFn clock);
  ~FeedTrimmer();
  FeedTrimmer(const FeedTrimmer&) = delete;
  FeedTrimmer& operator=(const FeedTrimmer&) = delete;

  // A pass writes a Service's marks when it trims, or when its feed has
  // moved this many events past the stored checkpoint (so recovery reads at
  // most about this many events plus one interval's).
  static constexpr uint64_t kCheckpointEvery = 4096;

  // One pass over every Service (the thread's work; also for tests).
  // O(Services + events trimmed by age). Thread-safe.
  void TrimOnce();

 private:
  void Run();

  Journal* const journal_;
  const EventOptions options_;
  const ServicesFn services_;
  const ClockFn clock_;
  Mutex pass_mu_;  // one pass at a time
  Mutex mu_;
  CondVar wake_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: started once everything above is made
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_FEED_TRIMMER_H_
