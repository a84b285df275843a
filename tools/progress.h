// Recovery progress of a durable Store being opened (Store::Open), shown on
// stderr by `userstore replay/stdio --data-dir`.
//
// On a terminal, a bar redrawn in place ("\r") at each report of
// DurableOptions::progress; then, on a terminal or not, one final line
// "opened DIR: N users in S s".
//
// Thread-safety: a RecoveryProgress is used by one thread at a time (the
// progress callback runs on the opening thread). The Format* functions are
// pure and thread-safe.
#ifndef USERSTORE_TOOLS_PROGRESS_H_
#define USERSTORE_TOOLS_PROGRESS_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace userstore::cli {

// The bar for `loaded` of `total` users, `width` cells wide (at least 1):
//   "[##########..........]  50% 500000/1000000 users"
// `total` is an estimate (loaded > total is shown as total = loaded); a
// zero total is a full bar. O(width).
std::string FormatProgressBar(uint64_t loaded, uint64_t total, int width);

// "opened DIR: N users in S s" with S to two decimals (no newline). O(|DIR|).
std::string FormatOpenedLine(absl::string_view dir, uint64_t users, absl::Duration elapsed);

class RecoveryProgress {
 public:
  // Writes to `*err` (not owned, must outlive this); draws the bar only when
  // `terminal` (pass isatty(STDERR_FILENO)).
  RecoveryProgress(std::ostream* err, bool terminal) : err_(err), terminal_(terminal) {}

  // The DurableOptions::progress callback: remembers the count and, on a
  // terminal, redraws the bar. O(bar width).
  void Update(uint64_t loaded, uint64_t total);

  // After a successful open: replaces the bar (if any) by the final line.
  void Finish(absl::string_view dir, absl::Duration elapsed);

  // After a failed open: ends the bar's line (if any), so that an error
  // message starts on a line of its own.
  void Abandon();

  // Users reported by the last Update (0 before any).
  uint64_t users() const { return users_; }

 private:
  static constexpr int kBarWidth = 30;
  std::ostream* err_;
  bool terminal_;
  bool drawn_ = false;
  uint64_t users_ = 0;
};

}  // namespace userstore::cli

#endif  // USERSTORE_TOOLS_PROGRESS_H_
