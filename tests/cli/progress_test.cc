// Tests of the recovery progress shown by --data-dir (tools/progress.h).
#include "progress.h"

#include <algorithm>
#include <sstream>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace userstore::cli {
namespace {

TEST(ProgressTest, BarFillsWithTheFractionLoaded) {
  EXPECT_EQ(FormatProgressBar(0, 1000, 10), "[..........]   0% 0/1000 users");
  EXPECT_EQ(FormatProgressBar(500, 1000, 10), "[#####.....]  50% 500/1000 users");
  EXPECT_EQ(FormatProgressBar(999, 1000, 10), "[#########.]  99% 999/1000 users");
  EXPECT_EQ(FormatProgressBar(1000, 1000, 10), "[##########] 100% 1000/1000 users");
  EXPECT_EQ(FormatProgressBar(1, 3, 4), "[#...]  33% 1/3 users");
}

TEST(ProgressTest, EstimatesBelowTheCountAndEmptyStores) {
  // The total is the engine's estimate: never shown below what was loaded.
  EXPECT_EQ(FormatProgressBar(70, 50, 5), "[#####] 100% 70/70 users");
  EXPECT_EQ(FormatProgressBar(0, 0, 5), "[#####] 100% 0/0 users");
  // A width below 1 is 1.
  EXPECT_EQ(FormatProgressBar(1, 2, 0), "[.]  50% 1/2 users");
}

TEST(ProgressTest, OpenedLine) {
  EXPECT_EQ(FormatOpenedLine("/srv/users", 1000000, absl::Milliseconds(2345)),
            "opened /srv/users: 1000000 users in 2.35 s");
  EXPECT_EQ(FormatOpenedLine("d", 0, absl::ZeroDuration()), "opened d: 0 users in 0.00 s");
}

TEST(ProgressTest, NotATerminalGetsOnlyTheFinalLine) {
  std::ostringstream err;
  RecoveryProgress progress(&err, /*terminal=*/false);
  progress.Update(65536, 200000);
  progress.Update(131072, 200000);
  progress.Update(150000, 150000);
  EXPECT_EQ(progress.users(), 150000u);
  EXPECT_EQ(err.str(), "");
  progress.Finish("dir", absl::Seconds(1));
  EXPECT_EQ(err.str(), "opened dir: 150000 users in 1.00 s\n");
}

TEST(ProgressTest, TerminalRedrawsTheBarInPlaceThenReplacesIt) {
  std::ostringstream err;
  RecoveryProgress progress(&err, /*terminal=*/true);
  progress.Update(1, 2);
  EXPECT_EQ(err.str(), "\rrecovering " + FormatProgressBar(1, 2, 30) + "\x1b[K");
  progress.Update(2, 2);
  progress.Finish("dir", absl::Seconds(3));
  EXPECT_EQ(err.str(), "\rrecovering " + FormatProgressBar(1, 2, 30) + "\x1b[K" + "\rrecovering " +
                           FormatProgressBar(2, 2, 30) + "\x1b[K" +
                           "\r\x1b[Kopened dir: 2 users in 3.00 s\n");
}

TEST(ProgressTest, AbandonEndsTheBarLineOnlyIfOneWasDrawn) {
  std::ostringstream quiet;
  RecoveryProgress none(&quiet, /*terminal=*/true);
  none.Abandon();
  EXPECT_EQ(quiet.str(), "");
  std::ostringstream err;
  RecoveryProgress progress(&err, /*terminal=*/true);
  progress.Update(5, 10);
  progress.Abandon();
  EXPECT_THAT(err.str(), ::testing::EndsWith("\x1b[K\n"));
}

TEST(ProgressTest, ImportLineAndBar) {
  // 500 of 1000 bytes in 2 s: as long again for the rest.
  EXPECT_EQ(FormatImportProgress(40000, 500, 1000, absl::Seconds(2), /*bar=*/false),
            "import: 40000 users, 50%, 20000 users/s, ETA 2 s");
  EXPECT_EQ(FormatImportProgress(40000, 500, 1000, absl::Seconds(2), /*bar=*/true),
            "importing [##########..........]  50% 40000 users, 20000 users/s, ETA 2 s");
  // Unknown total (stdin): no fraction, no ETA.
  EXPECT_EQ(FormatImportProgress(10, 99, 0, absl::Seconds(1), false),
            "import: 10 users, 10 users/s");
  EXPECT_EQ(FormatImportProgress(10, 99, 0, absl::Seconds(1), true),
            "importing 10 users, 10 users/s");
  // Nothing read yet: no rate, no ETA.
  EXPECT_EQ(FormatImportProgress(0, 0, 1000, absl::ZeroDuration(), false),
            "import: 0 users, 0%, 0 users/s");
}

TEST(ProgressTest, ImportProgressWritesLinesOffATerminal) {
  std::ostringstream err;
  ImportProgress progress(&err, /*terminal=*/false, 1000, absl::ZeroDuration());
  for (int i = 1; i <= 512; ++i) progress.Update(static_cast<uint64_t>(i), 10);
  // The clock is read every 256 calls: two lines.
  const std::string text = err.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_THAT(text, ::testing::StartsWith("import: 256 users, 1%, "));
  progress.Finish();  // no bar: nothing to remove
  EXPECT_EQ(err.str(), text);

  std::ostringstream tty;
  ImportProgress bar(&tty, /*terminal=*/true, 0);
  bar.Finish();
  EXPECT_EQ(tty.str(), "");
}

}  // namespace
}  // namespace userstore::cli
