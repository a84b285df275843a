#include "progress.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace userstore::cli {

std::string FormatProgressBar(uint64_t loaded, uint64_t total, int width) {
  width = std::max(width, 1);
  total = std::max(total, loaded);
  // Whole cells and percent, rounded down: 100% only when all are loaded.
  const double fraction =
      total == 0 ? 1.0 : static_cast<double>(loaded) / static_cast<double>(total);
  const int cells = std::min(width, static_cast<int>(fraction * width));
  const int percent = std::min(100, static_cast<int>(fraction * 100));
  // 0 <= cells <= width: both counts are non-negative.
  return absl::StrCat("[", std::string(static_cast<size_t>(cells), '#'),
                      std::string(static_cast<size_t>(width - cells), '.'), "] ",
                      absl::StrFormat("%3d%%", percent), " ", loaded, "/", total, " users");
}

std::string FormatOpenedLine(absl::string_view dir, uint64_t users, absl::Duration elapsed) {
  return absl::StrFormat("opened %s: %d users in %.2f s", dir, users,
                         absl::ToDoubleSeconds(elapsed));
}

std::string FormatImportProgress(uint64_t users, uint64_t done, uint64_t total,
                                 absl::Duration elapsed, bool bar) {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  const uint64_t rate =
      seconds > 0 ? static_cast<uint64_t>(static_cast<double>(users) / seconds) : 0;
  std::string fraction;
  std::string eta;
  if (total > 0) {
    done = std::min(done, total);
    const double part = static_cast<double>(done) / static_cast<double>(total);
    if (bar) {
      constexpr int kWidth = 20;
      const int cells = std::min(kWidth, static_cast<int>(part * kWidth));
      fraction = absl::StrCat("[", std::string(static_cast<size_t>(cells), '#'),
                              std::string(static_cast<size_t>(kWidth - cells), '.'), "] ",
                              absl::StrFormat("%3d%%", static_cast<int>(part * 100)), " ");
    } else {
      fraction = absl::StrFormat("%d%%, ", static_cast<int>(part * 100));
    }
    if (done > 0 && seconds > 0) {
      const double left = seconds * static_cast<double>(total - done) / static_cast<double>(done);
      eta = absl::StrFormat(", ETA %d s", static_cast<int64_t>(left + 0.5));
    }
  }
  if (bar) {
    return absl::StrCat("importing ", fraction, users, " users, ", rate, " users/s", eta);
  }
  return absl::StrCat("import: ", users, " users, ", fraction, rate, " users/s", eta);
}

ImportProgress::ImportProgress(std::ostream* err, bool terminal, uint64_t total_bytes,
                               absl::Duration interval)
    : err_(err),
      terminal_(terminal),
      total_bytes_(total_bytes),
      interval_(terminal ? absl::Milliseconds(100) : interval),
      start_(absl::Now()),
      last_(start_) {}

void ImportProgress::Update(uint64_t users, uint64_t bytes) {
  if (++calls_ % 256 != 0) return;
  const absl::Time now = absl::Now();
  if (now - last_ < interval_) return;
  last_ = now;
  const std::string text =
      FormatImportProgress(users, bytes, total_bytes_, now - start_, terminal_);
  if (terminal_) {
    *err_ << "\r" << text << "\x1b[K" << std::flush;
    drawn_ = true;
  } else {
    *err_ << text << "\n" << std::flush;
  }
}

void ImportProgress::Finish() {
  if (drawn_) *err_ << "\r\x1b[K" << std::flush;
  drawn_ = false;
}

void RecoveryProgress::Update(uint64_t loaded, uint64_t total) {
  users_ = loaded;
  if (!terminal_) return;
  // "\r" back to the start of the line, "\x1b[K" erases what a longer
  // earlier text left.
  *err_ << "\rrecovering " << FormatProgressBar(loaded, total, kBarWidth) << "\x1b[K" << std::flush;
  drawn_ = true;
}

void RecoveryProgress::Finish(absl::string_view dir, absl::Duration elapsed) {
  if (drawn_) *err_ << "\r\x1b[K";
  drawn_ = false;
  *err_ << FormatOpenedLine(dir, users_, elapsed) << "\n" << std::flush;
}

void RecoveryProgress::Abandon() {
  if (drawn_) *err_ << "\n" << std::flush;
  drawn_ = false;
}

}  // namespace userstore::cli
