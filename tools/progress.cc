#include "progress.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

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
