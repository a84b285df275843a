// A durable Store for the change-feed tests: its feed windows, clock and a
// journal wrapper set by the test; the trimmer runs when the test asks
// (StoreImpl::TrimFeeds).
#ifndef USERSTORE_TESTS_SUPPORT_FEED_STORE_H_
#define USERSTORE_TESTS_SUPPORT_FEED_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "durable/open.h"
#include "gtest/gtest.h"
#include "store/journal.h"
#include "store/store_impl.h"
#include "userstore/service.h"

namespace userstore::testing {

struct FeedKnobs {
  size_t memory_window = 4096;
  uint64_t durable_window = 1'000'000;
  absl::Duration durable_max_age = absl::Hours(24 * 7);
  std::function<absl::Time()> clock;
  std::function<std::unique_ptr<internal::Journal>(std::unique_ptr<internal::Journal>)> wrap;
};

// Opens (or creates) the durable store in `dir` (no fsync) with `knobs`
// and ensures `service` exists. Null, with a test failure, on an error.
inline std::unique_ptr<internal::StoreImpl> OpenFeedStore(const std::string& dir,
                                                          const FeedKnobs& knobs,
                                                          const ServiceCreate& service) {
  StoreOptions options;
  options.events.memory_window = knobs.memory_window;
  options.events.durable_window = knobs.durable_window;
  options.events.durable_max_age = knobs.durable_max_age;
  options.events.trim_interval = absl::Hours(1);  // passes run when a test asks (TrimFeeds)
  options.clock = knobs.clock;
  internal::durable::OpenHooks hooks;
  hooks.wrap_journal = knobs.wrap;
  DurableOptions durable;
  durable.sync = false;
  auto opened = internal::durable::OpenDurable(dir, options, durable, hooks);
  EXPECT_TRUE(opened.ok()) << opened.status();
  if (!opened.ok()) return nullptr;
  bool created = false;
  EXPECT_TRUE((*opened)->EnsureService(service, &created).ok());
  return *std::move(opened);
}

}  // namespace userstore::testing

#endif  // USERSTORE_TESTS_SUPPORT_FEED_STORE_H_
