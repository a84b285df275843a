#include "store/feed_trimmer.h"

#include <algorithm>
#include <utility>

namespace userstore::internal {

FeedTrimmer::FeedTrimmer(Journal* journal, const EventOptions& options, ServicesFn services,
                         ClockFn clock)
    : journal_(journal),
      options_(options),
      services_(std::move(services)),
      clock_(std::move(clock)),
      thread_([this] { Run(); }) {}

FeedTrimmer::~FeedTrimmer() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  wake_.SignalAll();
  thread_.join();
}

void FeedTrimmer::Run() {
  for (;;) {
    {
      MutexLock lock(&mu_);
      if (!stop_) wake_.WaitFor(&mu_, options_.trim_interval);  // signalled only to stop
      if (stop_) return;
    }
    TrimOnce();
  }
}

void FeedTrimmer::TrimOnce() {
  MutexLock lock(&pass_mu_);
  const absl::Time now = clock_();
  for (const ServiceState* service : services_()) {
    EventFeed* feed = service->feed();
    if (feed == nullptr) continue;
    // Every event up to last() is published, so stored, with no hole.
    const uint64_t last = feed->last();
    const uint64_t first = feed->first_on_disk();
    uint64_t keep = first;
    if (last >= options_.durable_window) keep = std::max(keep, last - options_.durable_window + 1);
    if (options_.durable_max_age != absl::InfiniteDuration() && keep <= last) {
      absl::StatusOr<uint64_t> young = journal_->FirstEventSince(
          service->sid(), keep, last, absl::ToUnixMicros(now - options_.durable_max_age));
      if (young.ok()) keep = std::max(keep, *young);
    }
    // Nothing to trim and a checkpoint recent enough: no write.
    if (keep == first && last - std::min(last, feed->checkpoint()) < kCheckpointEvery) continue;
    feed->set_first_on_disk(keep);  // readers stop asking for what goes
    // A failed write fails the journal (fail-stop): the Store's next write
    // reports it; the trim is retried by the next pass after a reopen.
    if (journal_->TrimEvents(service->sid(), keep, last).ok()) feed->set_checkpoint(last);
  }
}

}  // namespace userstore::internal
