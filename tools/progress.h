// Progress shown on stderr: the recovery of a durable Store being opened
// (Store::Open) by `userstore replay/stdio/import --data-dir`, and the
// records read by `userstore import`.
//
// Recovery: on a terminal, a bar redrawn in place ("\r") at each report of
// DurableOptions::progress; then, on a terminal or not, one final line
// "opened DIR: N users in S s". Import: on a terminal, a bar with users/s and
// the time left, redrawn at most 10 times a second; otherwise a line every
// few seconds (ImportProgress).
//
// Thread-safety: a RecoveryProgress or ImportProgress is used by one thread
// at a time (the progress callback runs on the opening thread). The Format*
// functions are pure and thread-safe.
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

// One report of an import's progress: `users` records read at `rate` per
// second; `done` of `total` input bytes read (total 0: unknown, e.g. stdin;
// no percentage nor time left is shown then). On a terminal (`bar`):
//   "importing [#####.....]  50% 120000 users, 40000 users/s, ETA 3 s"
// otherwise:
//   "import: 120000 users, 50%, 40000 users/s, ETA 3 s"
// The ETA is the bytes left at the rate bytes were read so far
// (`elapsed`); none before any byte was read. O(1).
std::string FormatImportProgress(uint64_t users, uint64_t done, uint64_t total,
                                 absl::Duration elapsed, bool bar);

// Reports an import's progress on a stream (see FormatImportProgress).
class ImportProgress {
 public:
  // Writes to `*err` (not owned, must outlive this); draws the bar only when
  // `terminal`. `total_bytes`: the size of the input, 0 when unknown.
  // `interval`: between two lines when not on a terminal.
  ImportProgress(std::ostream* err, bool terminal, uint64_t total_bytes,
                 absl::Duration interval = absl::Seconds(5));

  // `users` records and `bytes` of input read so far: shows them when the
  // last report is old enough. O(1) amortized (reads the clock every 256
  // calls).
  void Update(uint64_t users, uint64_t bytes);

  // Removes the bar (if drawn), so that the summary starts a clean line.
  void Finish();

 private:
  std::ostream* err_;
  bool terminal_;
  uint64_t total_bytes_;
  absl::Duration interval_;
  absl::Time start_;
  absl::Time last_;
  uint64_t calls_ = 0;
  bool drawn_ = false;
};

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
