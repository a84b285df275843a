// Tests of the command line (tools/cli_args.h).
#include "cli_args.h"

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "session.h"

namespace userstore::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kIS1[] = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kIS2[] = "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr char kRL[] = "RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

TEST(CliArgsTest, ReplayWithRepeatedFlagsInBothForms) {
  absl::StatusOr<CliOptions> o =
      ParseArgs({"--service", kIS1, "replay", std::string("--service=") + kIS2, "--role", kRL,
                 "file.http", "--base-url=http://h/v2", "--account", "ACx"});
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

TEST(CliArgsTest, DataDirAndSync) {
  absl::StatusOr<CliOptions> o = ParseArgs({"stdio", "--data-dir", "/tmp/d"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->data_dir, "/tmp/d");
  EXPECT_TRUE(o->sync);
  o = ParseArgs({"--data-dir=d", "--no-sync", "replay", "f.http"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kReplay);
  EXPECT_EQ(o->data_dir, "d");
  EXPECT_FALSE(o->sync);
  // The last of --sync / --no-sync wins.
  o = ParseArgs({"stdio", "--no-sync", "--data-dir", "d", "--sync"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->sync);
  // Without --data-dir: memory.
  o = ParseArgs({"stdio"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->data_dir, "");
}

TEST(CliArgsTest, CheckAndStatsTakeOneDirectory) {
  absl::StatusOr<CliOptions> o = ParseArgs({"check", "/var/lib/users"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kCheck);
  EXPECT_EQ(o->dir, "/var/lib/users");
  o = ParseArgs({"stats", "--", "-odd-dir"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kStats);
  EXPECT_EQ(o->dir, "-odd-dir");
}

TEST(CliArgsTest, GetTakesADirectoryAKeyAndOneService) {
  absl::StatusOr<CliOptions> o = ParseArgs({"get", "/var/lib/users", "alice"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kGet);
  EXPECT_EQ(o->dir, "/var/lib/users");
  EXPECT_EQ(o->key, "alice");
  EXPECT_TRUE(o->services.empty());
  o = ParseArgs({"--service", kIS1, "get", "d", "--base-url=http://h/v2", "--", "-odd"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->key, "-odd");
  EXPECT_THAT(o->services, ElementsAre(kIS1));
  EXPECT_EQ(o->base_url, "http://h/v2");
}

TEST(CliArgsTest, ListTakesADirectoryServicesAndALimit) {
  absl::StatusOr<CliOptions> o = ParseArgs({"list", "d"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kList);
  EXPECT_EQ(o->dir, "d");
  EXPECT_EQ(o->limit, 0u);
  o = ParseArgs({"list", "--service", kIS2, "d", "--service=" + std::string(kIS1), "--limit",
                 "18446744073709551615"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_THAT(o->services, ElementsAre(kIS2, kIS1));
  EXPECT_EQ(o->limit, 18446744073709551615u);
}

TEST(CliArgsTest, CreateServicesIsOffUnlessGiven) {
  absl::StatusOr<CliOptions> o = ParseArgs({"stdio"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->create_services);
  o = ParseArgs({"--create-services", "replay", "f.http"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->create_services);
  o = ParseArgs({"stdio", "--service", kIS1, "--create-services", "--data-dir", "d"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->create_services);
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
      {{"stdio", "--no-sync"}, "--sync / --no-sync need --data-dir"},
      {{"stdio", "--sync"}, "--sync / --no-sync need --data-dir"},
      {{"stdio", "--data-dir", "d", "--sync=yes"}, "--sync takes no value"},
      {{"stdio", "--data-dir="}, "--data-dir needs a directory"},
      {{"stdio", "--data-dir", ""}, "--data-dir needs a directory"},
      {{"stdio", "--data-dir"}, "--data-dir needs a value"},
      {{"check"}, "check takes exactly one DIR"},
      {{"stats", "a", "b"}, "stats takes exactly one DIR"},
      {{"check", "d", "--data-dir", "d"}, "check takes no flag"},
      {{"--service", kIS1, "stats", "d"}, "stats takes no flag"},
      {{"check", "d", "--create-services"}, "check takes no flag"},
      {{"get", "d"}, "get takes exactly a DIR (a store directory) and a KEY"},
      {{"get", "d", "k", "x"}, "get takes exactly a DIR"},
      {{"list"}, "list takes exactly one DIR"},
      {{"list", "d", "e"}, "list takes exactly one DIR"},
      {{"get", "d", "k", "--data-dir", "d"}, "get does not take --data-dir"},
      {{"get", "d", "k", "--limit", "1"}, "get does not take --limit"},
      {{"list", "d", "--role", kRL}, "list does not take --role"},
      {{"list", "d", "--no-sync"}, "list does not take --no-sync"},
      {{"list", "d", "--account", "ACx"}, "list does not take --account"},
      {{"list", "d", "--create-services"}, "list does not take --create-services"},
      {{"get", "d", "k", "--service", kIS1, "--service", kIS2}, "get takes one --service"},
      {{"list", "d", "--limit", "0"}, "--limit needs a positive integer, not 0"},
      {{"list", "d", "--limit=-3"}, "--limit needs a positive integer, not -3"},
      {{"list", "d", "--limit", "+3"}, "--limit needs a positive integer, not +3"},
      {{"list", "d", "--limit", "18446744073709551616"}, "--limit needs a positive integer"},
      {{"list", "d", "--limit", "1", "--limit", "1"}, "--limit given twice"},
      {{"list", "d", "--limit="}, "--limit needs a number (the value is empty)"},
      {{"stdio", "--limit", "3"}, "stdio does not take --limit"},
      {{"stdio", "--create-services=1"}, "--create-services takes no value"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<CliOptions> o = ParseArgs(c.args);
    ASSERT_FALSE(o.ok()) << c.message;
    EXPECT_THAT(o.status().message(), HasSubstr(c.message));
  }
}

// Issue 10, item 14: an empty value used to be taken as "none": --service=
// created a Service with a random SID, --role= a random role, --account= a
// random account. Every value flag now refuses one.
TEST(CliArgsTest, EmptyValuesAreUsageErrors) {
  struct Case {
    std::vector<absl::string_view> args;
    const char* message;
  } cases[] = {
      {{"stdio", "--service="}, "--service needs a SID (the value is empty)"},
      {{"stdio", "--service", ""}, "--service needs a SID (the value is empty)"},
      {{"replay", "f.http", "--service", kIS1, "--role="},
       "--role needs a SID (the value is empty)"},
      {{"stdio", "--service", kIS1, "--role", ""}, "--role needs a SID (the value is empty)"},
      {{"stdio", "--account="}, "--account needs a SID (the value is empty)"},
      {{"stdio", "--account", ""}, "--account needs a SID (the value is empty)"},
      {{"stdio", "--base-url="}, "--base-url needs a URL (the value is empty)"},
      {{"stdio", "--data-dir="},
       "--data-dir needs a directory (the value is "
       "empty)"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<CliOptions> o = ParseArgs(c.args);
    ASSERT_FALSE(o.ok()) << c.message;
    EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(o.status().message(), c.message);
  }
}

// A flag of one value given twice was "the last one wins", silently.
TEST(CliArgsTest, SingleValuedFlagsGivenTwiceAreUsageErrors) {
  constexpr char kAC[] = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  struct Case {
    std::vector<absl::string_view> args;
    const char* message;
  } cases[] = {
      {{"stdio", "--account", kAC, "--account=ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"},
       "--account given twice (it takes one value)"},
      {{"--account", kAC, "stdio", "--account", kAC}, "--account given twice (it takes one value)"},
      {{"stdio", "--base-url=http://a/v2", "--base-url=http://b/v2"},
       "--base-url given twice (it takes one value)"},
      {{"--data-dir=a", "replay", "f.http", "--data-dir", "b"},
       "--data-dir given twice (it takes one value)"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<CliOptions> o = ParseArgs(c.args);
    ASSERT_FALSE(o.ok()) << c.message;
    EXPECT_EQ(o.status().message(), c.message);
  }
}

TEST(CliArgsTest, ExportAndImport) {
  absl::StatusOr<CliOptions> o =
      ParseArgs({"export", "--data-dir", "d", "--service", kIS1, "-o", "out.ndjson"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kExport);
  EXPECT_EQ(o->data_dir, "d");
  EXPECT_THAT(o->services, ElementsAre(kIS1));
  EXPECT_EQ(o->output, "out.ndjson");
  o = ParseArgs({"export", "--data-dir=d", "--output=o", "--base-url", "http://h/v2"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->output, "o");
  EXPECT_EQ(o->base_url, "http://h/v2");

  o = ParseArgs({"import", "--data-dir", "d", "a.json", "-", "--mode", "skip", "--dry-run",
                 "--create-services", "--no-sync", "--", "-b.json"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kImport);
  EXPECT_THAT(o->files, ElementsAre("a.json", "-", "-b.json"));
  EXPECT_EQ(o->mode, ImportMode::kSkip);
  EXPECT_TRUE(o->dry_run);
  EXPECT_TRUE(o->create_services);
  EXPECT_FALSE(o->sync);
  o = ParseArgs({"import", "--data-dir", "d", "--mode=upsert", "f"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->mode, ImportMode::kUpsert);
  EXPECT_FALSE(o->dry_run);
  EXPECT_TRUE(o->sync);
  o = ParseArgs({"import", "--data-dir", "d", "f"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->mode, ImportMode::kInsert);

  struct Case {
    std::vector<absl::string_view> args;
    const char* message;
  } cases[] = {
      {{"export"}, "export needs --data-dir DIR"},
      {{"export", "--data-dir", "d", "x"}, "export takes no argument"},
      {{"export", "--data-dir", "d", "-o", "a", "-o", "b"}, "--output given twice"},
      {{"export", "--data-dir", "d", "-o="}, "--output needs a file (the value is empty)"},
      {{"export", "--data-dir", "d", "--mode", "skip"}, "export does not take --mode"},
      {{"export", "--data-dir", "d", "--limit", "3"}, "export does not take --limit"},
      {{"import", "--data-dir", "d"}, "import needs at least one FILE"},
      {{"import", "f"}, "import needs --data-dir DIR"},
      {{"import", "--data-dir", "d", "--mode", "merge", "f"},
       "--mode needs insert, skip or upsert, not merge"},
      {{"import", "--data-dir", "d", "--mode", "skip", "--mode", "skip", "f"},
       "--mode given twice"},
      {{"import", "--data-dir", "d", "--dry-run=yes", "f"}, "--dry-run takes no value"},
      {{"import", "--data-dir", "d", "-o", "x", "f"}, "import does not take --output"},
      {{"import", "--data-dir", "d", "--role", kRL, "f"}, "import does not take --role"},
      {{"import", "--data-dir", "d", "--base-url", "http://h", "f"},
       "import does not take --base-url"},
      {{"stdio", "--dry-run"}, "stdio does not take --dry-run (it is for import)"},
      {{"replay", "f.http", "-o", "x"}, "replay does not take --output (it is for export)"},
      {{"list", "d", "--mode", "skip"}, "list does not take --mode"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<CliOptions> r = ParseArgs(c.args);
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_THAT(r.status().message(), HasSubstr(c.message));
  }
}

TEST(CliArgsTest, EventsTakesADataDirServicesAfterFollowAndLimit) {
  absl::StatusOr<CliOptions> o =
      ParseArgs({"events", "--data-dir", "d", "--service", kIS1, "--after=0", "--follow", "--limit",
                 "5", "--base-url", "http://h/v2"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kEvents);
  EXPECT_EQ(o->data_dir, "d");
  EXPECT_THAT(o->services, ElementsAre(kIS1));
  EXPECT_EQ(o->after, 0u);
  EXPECT_TRUE(o->follow);
  EXPECT_EQ(o->limit, 5u);
  o = ParseArgs({"events", "--data-dir=d"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->after.has_value());
  EXPECT_FALSE(o->follow);
  struct Bad {
    std::vector<absl::string_view> args;
    const char* message;
  };
  for (const Bad& bad : std::vector<Bad>{
           {{"events"}, "events needs --data-dir"},
           {{"events", "--data-dir", "d", "x"}, "events takes no argument"},
           {{"events", "--data-dir", "d", "--after", "3"}, "--after needs exactly one --service"},
           {{"events", "--data-dir", "d", "--service", kIS1, "--service", kIS2, "--after", "3"},
            "--after needs exactly one --service"},
           {{"events", "--data-dir", "d", "--service", kIS1, "--after", "-3"},
            "--after needs a non-negative integer, not -3"},
           {{"events", "--data-dir", "d", "--service", kIS1, "--after", "x"},
            "--after needs a non-negative integer, not x"},
           {{"events", "--data-dir", "d", "--service", kIS1, "--after=1", "--after=2"},
            "--after given twice"},
           {{"events", "--data-dir", "d", "--follow=yes"}, "--follow takes no value"},
           {{"events", "--data-dir", "d", "--no-sync"}, "events does not take --no-sync"},
           {{"list", "d", "--follow"}, "list does not take --follow"},
           {{"stdio", "--after", "1"}, "stdio does not take --after (it is for events)"},
       }) {
    absl::StatusOr<CliOptions> parsed = ParseArgs(bad.args);
    ASSERT_FALSE(parsed.ok()) << bad.message;
    EXPECT_THAT(parsed.status().message(), HasSubstr(bad.message));
  }
}

TEST(CliArgsTest, PostgresInsteadOfDataDir) {
  const char* conninfo = "host=/tmp/s dbname=users";
  for (absl::string_view command : {"stdio", "export"}) {
    absl::StatusOr<CliOptions> o = ParseArgs({command, "--postgres", conninfo});
    ASSERT_TRUE(o.ok()) << o.status();
    EXPECT_EQ(o->postgres, conninfo);
    EXPECT_EQ(o->data_dir, "");
  }
  absl::StatusOr<CliOptions> o = ParseArgs({"replay", "f.http", "--postgres=x"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->postgres, "x");
  o = ParseArgs({"import", "--postgres", conninfo, "--mode", "upsert", "--dry-run", "f"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kImport);
  EXPECT_EQ(o->postgres, conninfo);
  EXPECT_TRUE(o->dry_run);
  struct Bad {
    std::vector<absl::string_view> args;
    const char* message;
  };
  for (const Bad& bad : std::vector<Bad>{
           {{"stdio", "--postgres", "x", "--data-dir", "d"},
            "--data-dir and --postgres exclude each other"},
           {{"export", "--data-dir", "d", "--postgres", "x"},
            "--data-dir and --postgres exclude each other"},
           {{"import", "--postgres", "x", "--data-dir", "d", "f"},
            "--data-dir and --postgres exclude each other"},
           {{"stdio", "--postgres="}, "--postgres needs a connection string (the value is empty)"},
           {{"stdio", "--postgres", "a", "--postgres", "b"}, "--postgres given twice"},
           {{"stdio", "--postgres", "a", "--no-sync"}, "--sync / --no-sync need --data-dir"},
           {{"import", "--postgres", "a", "--sync", "f"}, "--sync / --no-sync need --data-dir"},
           {{"import", "--postgres", "a"}, "import needs at least one FILE"},
           {{"import", "f"}, "import needs --data-dir DIR or --postgres CONNINFO"},
           {{"export"}, "export needs --data-dir DIR or --postgres CONNINFO"},
           {{"events", "--postgres", "a"}, "events does not take --postgres"},
           {{"get", "d", "k", "--postgres", "a"}, "get does not take --postgres"},
           {{"list", "d", "--postgres", "a"}, "list does not take --postgres"},
           {{"check", "d", "--postgres", "a"}, "check does not take --postgres"},
           {{"stats", "d", "--postgres", "a"}, "stats does not take --postgres"},
       }) {
    absl::StatusOr<CliOptions> parsed = ParseArgs(bad.args);
    ASSERT_FALSE(parsed.ok()) << bad.message;
    EXPECT_THAT(parsed.status().message(), HasSubstr(bad.message));
  }
  EXPECT_THAT(Usage(), HasSubstr("--postgres CONNINFO"));
}

TEST(CliArgsTest, ConninfoIsRedacted) {
  EXPECT_EQ(RedactConninfo("host=/tmp/s port=5432 dbname=u user=userstore"),
            "host=/tmp/s port=5432 dbname=u user=userstore");
  EXPECT_EQ(RedactConninfo("host=h password=secret dbname=u"), "host=h password=*** dbname=u");
  EXPECT_EQ(RedactConninfo("password = 'a b\\' c' dbname=u"), "password = *** dbname=u");
  EXPECT_EQ(RedactConninfo("dbname='x y' password='s'"), "dbname='x y' password=***");
  EXPECT_EQ(RedactConninfo("postgresql://user:secret@db.example:5432/users?sslmode=require"),
            "postgresql://user:***@db.example:5432/users?sslmode=require");
  EXPECT_EQ(RedactConninfo("postgres://db.example:5432/users?password=secret&sslmode=require"),
            "postgres://db.example:5432/users?password=***&sslmode=require");
  EXPECT_EQ(RedactConninfo("postgresql://user@db/users"), "postgresql://user@db/users");
  CliOptions options;
  options.data_dir = "d";
  EXPECT_EQ(StoreName(options), "d");
  options.data_dir.clear();
  options.postgres = "dbname=u password=p";
  EXPECT_EQ(StoreName(options), "PostgreSQL \"dbname=u password=***\"");
}

TEST(CliArgsTest, UsageNamesEveryFlagAndCommand) {
  const std::string usage = Usage();
  for (const char* word : {"replay",
                           "stdio",
                           "check DIR",
                           "stats DIR",
                           "get DIR KEY",
                           "list DIR",
                           "export --data-dir",
                           "import --data-dir",
                           "events --data-dir",
                           "--after",
                           "--follow",
                           "--mode",
                           "--dry-run",
                           "-o",
                           "--data-dir",
                           "--sync",
                           "--no-sync",
                           "--service",
                           "--create-services",
                           "--role",
                           "--account",
                           "--limit",
                           "--base-url",
                           "--help",
                           "--version"}) {
    EXPECT_THAT(usage, HasSubstr(word));
  }
}

}  // namespace
}  // namespace userstore::cli
