// Tests of the command line (tools/cli_args.h).
#include "cli_args.h"

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace userstore::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kIS1[] = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kIS2[] = "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr char kRL[] = "RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

TEST(CliArgsTest, ReplayWithRepeatedFlagsInBothForms) {
  absl::StatusOr<CliOptions> o = ParseArgs(
      {"--service", kIS1, "replay", std::string("--service=") + kIS2, "--role",
       kRL, "file.http", "--base-url=http://h/v2", "--account", "ACx"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kReplay);
  EXPECT_EQ(o->file, "file.http");
  EXPECT_THAT(o->services, ElementsAre(kIS1, kIS2));
  EXPECT_THAT(o->roles, ElementsAre(kRL));
  EXPECT_EQ(o->base_url, "http://h/v2");
  EXPECT_EQ(o->account_sid, "ACx");
  EXPECT_FALSE(o->help);
}

TEST(CliArgsTest, StdioDefaults) {
  absl::StatusOr<CliOptions> o = ParseArgs({"stdio"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kStdio);
  EXPECT_TRUE(o->services.empty());
  EXPECT_TRUE(o->roles.empty());
  EXPECT_FALSE(o->base_url.has_value());
  EXPECT_EQ(o->account_sid, "");
}

TEST(CliArgsTest, DoubleDashEndsFlags) {
  absl::StatusOr<CliOptions> o = ParseArgs({"replay", "--", "--odd.http"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->file, "--odd.http");
}

TEST(CliArgsTest, HelpAndVersionWinOverEverythingAfterThem) {
  absl::StatusOr<CliOptions> o = ParseArgs({"--help", "--bogus"});
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->help);
  o = ParseArgs({"stdio", "-h"});
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->help);
  o = ParseArgs({"--version"});
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->version);
}

TEST(CliArgsTest, Errors) {
  struct Case {
    std::vector<absl::string_view> args;
    const char* message;
  } cases[] = {
      {{}, "missing command"},
      {{"--service", kIS1}, "missing command"},
      {{"serve"}, "unknown command serve"},
      {{"replay"}, "exactly one FILE"},
      {{"replay", "a.http", "b.http"}, "exactly one FILE"},
      {{"stdio", "x"}, "stdio takes no argument"},
      {{"stdio", "--verbose"}, "unknown flag --verbose"},
      {{"stdio", "--services=x"}, "unknown flag --services"},
      {{"stdio", "--service"}, "--service needs a value"},
      {{"stdio", "--role", kRL}, "--role needs at least one --service"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<CliOptions> o = ParseArgs(c.args);
    ASSERT_FALSE(o.ok()) << c.message;
    EXPECT_THAT(o.status().message(), HasSubstr(c.message));
  }
}

TEST(CliArgsTest, UsageNamesEveryFlagAndCommand) {
  const std::string usage = Usage();
  for (const char* word : {"replay", "stdio", "--service", "--role",
                           "--account", "--base-url", "--help", "--version"}) {
    EXPECT_THAT(usage, HasSubstr(word));
  }
}

}  // namespace
}  // namespace userstore::cli
