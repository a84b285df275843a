// RunEvents (tools/commands.h) in-process beside a durable Store whose feed
// the background trimmer keeps to 10 events: without --after printing starts
// at the oldest kept event, --after before it is 410/20410 (exit 1), and a
// follower the trimmer overtakes stops with 410 (exit 1).
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cli_args.h"
#include "commands.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore::cli {
namespace {

using ::testing::HasSubstr;

constexpr char kIS1[] = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

// A stream buffer that runs `hook` (once) when its stream is first flushed:
// what happens "while the command waits" between two passes.
class HookedBuffer : public std::stringbuf {
 public:
  std::function<void()> hook;

 protected:
  int sync() override {
    const int result = std::stringbuf::sync();
    if (hook) std::exchange(hook, nullptr)();
    return result;
  }
};

class TrimmedFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.events.durable_window = 10;
    options.events.trim_interval = absl::Milliseconds(5);
    ASSERT_OK_AND_ASSIGN(store_, Store::Open(tmp_.Sub("store"), options, {}));
    ServiceCreate service;
    service.sid = kIS1;
    ASSERT_TRUE(store_->CreateService(service).ok());
    Write(50);
    ASSERT_TRUE(TrimmedAfter(39));  // keeps 41..50
  }

  void Write(int count) {
    for (int i = 0; i < count; ++i) {
      UserCreate create;
      create.identity = absl::StrCat("u", written_++);
      ASSERT_TRUE(store_->CreateUser(kIS1, create).ok());
    }
  }

  // Waits (10 s at most) until the events after `after` are trimmed.
  bool TrimmedAfter(uint64_t after) {
    for (int i = 0; i < 2000; ++i) {
      if (HttpStatus(store_->ReadEvents(kIS1, after, 1).status()) == 410) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }

  int Run(std::vector<absl::string_view> args, std::ostream& out, std::ostream& err) {
    const std::string dir = tmp_.Sub("store");
    std::vector<absl::string_view> all = {"events", "--data-dir", dir, "--service", kIS1};
    all.insert(all.end(), args.begin(), args.end());
    absl::StatusOr<CliOptions> options = ParseArgs(all);
    EXPECT_TRUE(options.ok()) << options.status();
    return options.ok() ? RunEvents(*options, out, err, -1) : -1;
  }

  // The `sequence` of each line of `out` (each must be a JSON object).
  static std::vector<uint64_t> Sequences(const std::string& out) {
    std::vector<uint64_t> sequences;
    simdjson::dom::parser parser;
    for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
      simdjson::padded_string padded(line.data(), line.size());
      uint64_t sequence = 0;
      EXPECT_EQ(parser.parse(padded)["sequence"].get(sequence), simdjson::SUCCESS) << line;
      sequences.push_back(sequence);
    }
    return sequences;
  }

  testing::TempDir tmp_{"userstore-events"};
  std::unique_ptr<Store> store_;
  int written_ = 0;
};

TEST_F(TrimmedFeedTest, WithoutAfterPrintingStartsAtTheOldestKept) {
  std::ostringstream out, err;
  EXPECT_EQ(Run({}, out, err), 0) << err.str();
  EXPECT_EQ(Sequences(out.str()), (std::vector<uint64_t>{41, 42, 43, 44, 45, 46, 47, 48, 49, 50}));
  EXPECT_EQ(err.str(), "");
}

TEST_F(TrimmedFeedTest, AfterBeforeTheOldestKeptIs410) {
  std::ostringstream out, err;
  EXPECT_EQ(Run({"--after", "0"}, out, err), 1);
  EXPECT_EQ(out.str(), "");
  EXPECT_THAT(err.str(), HasSubstr(absl::StrCat("userstore: events ", tmp_.Sub("store"), ": ", kIS1,
                                                ": 410/20410 The events after position 0 were "
                                                "trimmed (the store keeps events 41 to 50)")));
}

TEST_F(TrimmedFeedTest, AFollowerTheTrimmerOvertakesStopsWith410) {
  HookedBuffer buffer;
  // Once 46..50 are written, 20 more writes and a trim to 61..70 happen
  // before the follower looks again: the events after 50 are gone.
  buffer.hook = [&] {
    Write(20);
    EXPECT_TRUE(TrimmedAfter(50));
  };
  std::ostream out(&buffer);
  std::ostringstream err;
  EXPECT_EQ(Run({"--after", "45", "--follow"}, out, err), 1);
  EXPECT_EQ(Sequences(buffer.str()), (std::vector<uint64_t>{46, 47, 48, 49, 50}));
  EXPECT_THAT(err.str(), HasSubstr("410/20410 The events after position 50 were trimmed"));
}

}  // namespace
}  // namespace userstore::cli
