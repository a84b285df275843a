// A journal wrapper that fails one write: what the durable feed tests use to
// leave a hole in a Service's stored feed.
#ifndef USERSTORE_TESTS_SUPPORT_FAIL_ONCE_H_
#define USERSTORE_TESTS_SUPPORT_FAIL_ONCE_H_

#include <functional>
#include <memory>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "store/journal.h"

namespace userstore::testing {

// Fails the `fail_at`-th PutUser (1-based) without reaching the disk;
// forwards the rest (a real journal would refuse them: fail-stop), so the
// events of later writes are stored after the failed one's missing event.
// Thread-compatible.
class FailOnce final : public internal::JournalWrapper {
 public:
  FailOnce(std::unique_ptr<internal::Journal> inner, int fail_at)
      : JournalWrapper(std::move(inner)), fail_at_(fail_at) {}
  absl::Status PutUser(std::string_view service_sid, const internal::UserRecord& record,
                       const internal::JournalEvent* event) override {
    if (++calls_ == fail_at_) return absl::UnavailableError("injected");
    return JournalWrapper::PutUser(service_sid, record, event);
  }

 private:
  const int fail_at_;
  int calls_ = 0;
};

// A StoreOptions / OpenHooks journal wrapper that wraps in FailOnce(fail_at).
inline std::function<std::unique_ptr<internal::Journal>(std::unique_ptr<internal::Journal>)>
FailPutUserAt(int fail_at) {
  return [fail_at](std::unique_ptr<internal::Journal> inner) -> std::unique_ptr<internal::Journal> {
    return std::make_unique<FailOnce>(std::move(inner), fail_at);
  };
}

}  // namespace userstore::testing

#endif  // USERSTORE_TESTS_SUPPORT_FAIL_ONCE_H_
