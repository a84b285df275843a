// Tests of the durable side of the `userstore` program: MakeSession with
// --data-dir (tools/session.h), `check` and `stats` (RunCheck, RunStats,
// FormatStatsTable in tools/commands.h) and the recovery progress it
// reports. Each test works in its own temporary directory.
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli_args.h"
#include "commands.h"
#include "durable/check.h"
#include "durable/rocks_journal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "progress.h"
#include "rocksdb/db.h"
#include "session.h"
#include "tests/support/test_store.h"
#include "userstore/rest.h"

namespace userstore::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kIS1[] = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kIS2[] = "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr char kIS3[] = "IScccccccccccccccccccccccccccccccc";
constexpr char kIS4[] = "ISdddddddddddddddddddddddddddddddd";
constexpr char kRL[] = "RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kAC1[] = "AC11111111111111111111111111111111";
constexpr char kAC2[] = "AC22222222222222222222222222222222";

// A fresh directory, removed with everything in it at the end of the test;
// store() is a path inside it that does not exist yet.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "userstore-cli-XXXXXX";
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string store() const { return path_ + "/store"; }

 private:
  std::string path_;
};

Response Send(const Session& session, std::string method, std::string target,
              std::string body = "") {
  Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  if (!body.empty()) {
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  }
  request.body = std::move(body);
  return session.facade->Handle(request);
}

std::string Users(const char* service) { return absl::StrCat("/v2/Services/", service, "/Users"); }

CliOptions DataDirOptions(const std::string& dir) {
  CliOptions options;
  options.command = Command::kStdio;
  options.data_dir = dir;
  options.services = {kIS1};
  options.roles = {kRL};
  return options;
}

TEST(DurableSessionTest, ASecondRunSeesTheUsersOfTheFirst) {
  TempDir tmp;
  const CliOptions options = DataDirOptions(tmp.store());
  std::string sid;
  {
    std::ostringstream err;
    RecoveryProgress progress(&err, /*terminal=*/false);
    absl::StatusOr<Session> first = MakeSession(options, &progress);
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_THAT(err.str(), StartsWith("opened " + tmp.store() + ": 0 users in "));
    Response created =
        Send(*first, "POST", Users(kIS1), absl::StrCat("Identity=alice&RoleSid=", kRL));
    ASSERT_EQ(created.status, 201) << created.body;
    ASSERT_OK_AND_ASSIGN(const User alice, first->store->FetchUser(kIS1, "alice"));
    sid = alice.sid;
  }
  std::ostringstream err;
  RecoveryProgress progress(&err, /*terminal=*/false);
  // The same command line again: the Service and the role exist already.
  absl::StatusOr<Session> second = MakeSession(options, &progress);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(progress.users(), 1u);
  EXPECT_THAT(err.str(), StartsWith("opened " + tmp.store() + ": 1 users in "));
  Response fetched = Send(*second, "GET", Users(kIS1) + "/alice");
  EXPECT_EQ(fetched.status, 200);
  EXPECT_THAT(fetched.body, HasSubstr(absl::StrCat("\"sid\":\"", sid, "\"")));
  EXPECT_THAT(fetched.body, HasSubstr(absl::StrCat("\"role_sid\":\"", kRL, "\"")));
  // The role was not added twice: four defaults and kRL.
  absl::StatusOr<std::vector<Role>> roles = second->store->ListRoles(kIS1);
  ASSERT_TRUE(roles.ok());
  EXPECT_EQ(roles->size(), 5u);
  // --service given: only known Services are served.
  EXPECT_EQ(Send(*second, "GET", Users(kIS2)).status, 404);
}

TEST(DurableSessionTest, NewServicesAndRolesAreAddedToAnExistingStore) {
  TempDir tmp;
  CliOptions options = DataDirOptions(tmp.store());
  ASSERT_TRUE(MakeSession(options).ok());
  options.services = {kIS1, kIS2};
  absl::StatusOr<Session> second = MakeSession(options);
  ASSERT_TRUE(second.ok()) << second.status();
  absl::StatusOr<std::vector<Role>> roles = second->store->ListRoles(kIS2);
  ASSERT_TRUE(roles.ok()) << roles.status();
  EXPECT_EQ(roles->back().sid, kRL);
}

TEST(DurableSessionTest, WithCreateServicesServicesAreCreatedOnFirstUseAndKept) {
  TempDir tmp;
  CliOptions options;
  options.command = Command::kStdio;
  options.data_dir = tmp.store();
  options.sync = false;
  options.create_services = true;
  {
    absl::StatusOr<Session> first = MakeSession(options);
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_EQ(Send(*first, "POST", Users(kIS2), "Identity=bob").status, 201);
  }
  absl::StatusOr<Session> second = MakeSession(options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(Send(*second, "GET", Users(kIS2) + "/bob").status, 200);
  // The account minted by the first run is the store's.
  ASSERT_OK_AND_ASSIGN(const User bob, second->store->FetchUser(kIS2, "bob"));
  EXPECT_EQ(second->store->options().account_sid, bob.account_sid);
}

// Issue 13: a mistyped Service SID in a write used to create that Service,
// permanently. Without --create-services it is a 404 and creates nothing,
// with --service or without.
TEST(DurableSessionTest, WithoutCreateServicesAnUnknownServiceIsNotFoundAndNotCreated) {
  TempDir tmp;
  CliOptions options;
  options.command = Command::kStdio;
  options.data_dir = tmp.store();
  for (const bool with_service : {false, true}) {
    options.services.clear();
    if (with_service) options.services = {kIS1};
    absl::StatusOr<Session> session = MakeSession(options);
    ASSERT_TRUE(session.ok()) << session.status();
    Response created = Send(*session, "POST", Users(kIS2), "Identity=bob");
    EXPECT_EQ(created.status, 404) << created.body;
    EXPECT_THAT(created.body, HasSubstr("\"code\":20404"));
    EXPECT_EQ(Send(*session, "POST", Users(kIS2) + "/bob", "FriendlyName=b").status, 404);
    EXPECT_EQ(Send(*session, "GET", absl::StrCat("/v2/Services/", kIS2)).status, 404);
    EXPECT_EQ(session->store->FetchService(kIS2).status().code(), absl::StatusCode::kNotFound);
  }
  ASSERT_OK_AND_ASSIGN(const CheckReport report, CheckStore(tmp.store()));
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.services, 1u);  // kIS1, from --service
  EXPECT_EQ(report.users, 0u);
}

TEST(DurableSessionTest, OpenErrorsNameTheDirectory) {
  TempDir tmp;
  CliOptions options = DataDirOptions(tmp.store());
  options.account_sid = kAC1;
  absl::StatusOr<Session> open = MakeSession(options);
  ASSERT_TRUE(open.ok()) << open.status();

  // One process (and one Store) at a time.
  std::ostringstream err;
  RecoveryProgress progress(&err, /*terminal=*/true);
  absl::StatusOr<Session> again = MakeSession(options, &progress);
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(std::string(again.status().message()),
              StartsWith("--data-dir " + tmp.store() + ": "));
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("already open"));
  EXPECT_EQ(err.str(), "");  // no bar was drawn, no line to end
  open->facade.reset();
  open->store.reset();

  options.account_sid = kAC2;
  absl::StatusOr<Session> other_account = MakeSession(options);
  ASSERT_FALSE(other_account.ok());
  EXPECT_THAT(std::string(other_account.status().message()), HasSubstr(kAC2));

  options.data_dir = tmp.store() + "/LOCK";  // a file, not a directory
  EXPECT_FALSE(MakeSession(options).ok());
}

TEST(DurableSessionTest, RepeatedFlagsAreRejectedInBothModes) {
  TempDir tmp;
  for (const std::string& dir : {std::string(), tmp.store()}) {
    CliOptions options = DataDirOptions(dir);
    options.services = {kIS1, kIS2, kIS1};
    absl::StatusOr<Session> session = MakeSession(options);
    ASSERT_FALSE(session.ok()) << dir;
    EXPECT_EQ(session.status().message(), absl::StrCat("--service ", kIS1, ": given twice"));
    options = DataDirOptions(dir);
    options.roles = {kRL, kRL};
    session = MakeSession(options);
    ASSERT_FALSE(session.ok()) << dir;
    EXPECT_EQ(session.status().message(), absl::StrCat("--role ", kRL, ": given twice"));
  }
  // Nothing was opened for the rejected command lines.
  EXPECT_FALSE(std::filesystem::exists(tmp.store()));
}

// Issue 10, item 14: SIDs are compared in canonical form (either hex case is
// the same SID to the Store). A repeat that differs only in case used to
// pass the check: with --data-dir the second Service (or role) was then
// "already there" and silently kept.
TEST(DurableSessionTest, RepeatsDifferingInHexCaseAreRejectedInBothModes) {
  constexpr char kIS1Upper[] = "ISAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  constexpr char kRLMixed[] = "RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaA";
  TempDir tmp;
  for (const std::string& dir : {std::string(), tmp.store()}) {
    CliOptions options = DataDirOptions(dir);
    options.services = {kIS1, kIS2, kIS1Upper};
    absl::StatusOr<Session> session = MakeSession(options);
    ASSERT_FALSE(session.ok()) << dir;
    EXPECT_EQ(session.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(session.status().message(),
              absl::StrCat("--service ", kIS1Upper, ": given twice (as ", kIS1,
                           "; a SID's hex digits are compared in either "
                           "case)"));
    options = DataDirOptions(dir);
    options.services = {kIS1};
    options.roles = {kRLMixed, kRL};
    session = MakeSession(options);
    ASSERT_FALSE(session.ok()) << dir;
    EXPECT_EQ(session.status().message(),
              absl::StrCat("--role ", kRL, ": given twice (as ", kRLMixed,
                           "; a SID's hex digits are compared in either "
                           "case)"));
  }
  EXPECT_FALSE(std::filesystem::exists(tmp.store()));
  // One SID in upper case alone is fine: the Store keeps it in lower case.
  CliOptions options = DataDirOptions(tmp.store());
  options.services = {kIS1Upper};
  options.roles = {kRLMixed};
  absl::StatusOr<Session> session = MakeSession(options);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(Send(*session, "GET", absl::StrCat("/v2/Services/", kIS1, "/Users")).status, 200);
  absl::StatusOr<std::vector<Role>> roles = session->store->ListRoles(kIS1);
  ASSERT_TRUE(roles.ok()) << roles.status();
  EXPECT_TRUE(
      std::any_of(roles->begin(), roles->end(), [&](const Role& r) { return r.sid == kRL; }));
}

TEST(DurableSessionTest, MalformedSidsAreStillErrorsWithADataDir) {
  TempDir tmp;
  CliOptions options = DataDirOptions(tmp.store());
  options.services = {"ISnope"};
  absl::StatusOr<Session> session = MakeSession(options);
  ASSERT_FALSE(session.ok());
  EXPECT_THAT(std::string(session.status().message()), StartsWith("--service ISnope: "));
  options = DataDirOptions(tmp.store());
  options.roles = {"RLnope"};
  session = MakeSession(options);
  ASSERT_FALSE(session.ok());
  EXPECT_THAT(std::string(session.status().message()), StartsWith("--role RLnope: "));
}

// Makes a store in `dir` with alice and bob in kIS1, then closes it.
void MakeStore(const std::string& dir) {
  absl::StatusOr<Session> session = MakeSession(DataDirOptions(dir));
  ASSERT_TRUE(session.ok()) << session.status();
  ASSERT_EQ(Send(*session, "POST", Users(kIS1), "Identity=alice").status, 201);
  ASSERT_EQ(Send(*session, "POST", Users(kIS1), "Identity=bob").status, 201);
}

TEST(CheckCommandTest, SoundStoreExitsZero) {
  TempDir tmp;
  MakeStore(tmp.store());
  std::ostringstream out, err;
  EXPECT_EQ(RunCheck(tmp.store(), out, err), 0);
  EXPECT_THAT(out.str(), StartsWith(tmp.store() + ": OK (1 services, 5 roles, 2 users"));
  EXPECT_EQ(err.str(), "");
}

TEST(CheckCommandTest, ProblemsExitOneAndAreListed) {
  TempDir tmp;
  MakeStore(tmp.store());
  {
    // Damage the store behind its back: a key of no known shape, written
    // through the store's own RocksDB options (its merge operator).
    absl::StatusOr<internal::durable::StoreDb> db =
        internal::durable::OpenRocks(tmp.store(), internal::durable::RocksOpen{});
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Put(rocksdb::WriteOptions(), "\x7fjunk", "x").ok());
  }
  std::ostringstream out, err;
  EXPECT_EQ(RunCheck(tmp.store(), out, err), 1);
  const std::string text = out.str();
  EXPECT_THAT(text, StartsWith(tmp.store() + ": "));
  EXPECT_THAT(text, HasSubstr(" problem(s) ("));
  // The summary, then one indented line per problem.
  EXPECT_GE(std::count(text.begin(), text.end(), '\n'), 2) << text;
  EXPECT_THAT(text, HasSubstr("\n  ")) << text;
  EXPECT_EQ(err.str(), "");
}

// A truncated table or MANIFEST is damage to report (exit 1), not a
// directory that cannot be checked (exit 2).
TEST(CheckCommandTest, TruncatedTableOrManifestExitsOneWithAReport) {
  for (const std::string kind : {".sst", "MANIFEST-"}) {
    TempDir tmp;
    MakeStore(tmp.store());
    // Reopened once: RocksDB moves what the log holds into a table.
    ASSERT_TRUE(MakeSession(DataDirOptions(tmp.store())).ok());
    std::string victim;
    for (const auto& entry : std::filesystem::directory_iterator(tmp.store())) {
      if (entry.path().filename().string().find(kind) != std::string::npos) {
        victim = entry.path().string();
      }
    }
    ASSERT_FALSE(victim.empty()) << kind;
    std::filesystem::resize_file(victim, std::filesystem::file_size(victim) / 2);
    std::ostringstream out, err;
    EXPECT_EQ(RunCheck(tmp.store(), out, err), 1) << kind << ": " << err.str();
    EXPECT_THAT(out.str(), StartsWith(tmp.store() + ": 1 problem(s)")) << kind;
    EXPECT_THAT(out.str(), HasSubstr("is damaged")) << kind;
    EXPECT_EQ(err.str(), "");
  }
}

TEST(CheckCommandTest, MissingDirectoryExitsTwo) {
  TempDir tmp;
  std::ostringstream out, err;
  EXPECT_EQ(RunCheck(tmp.store(), out, err), 2);
  EXPECT_EQ(out.str(), "");
  EXPECT_THAT(err.str(), StartsWith("userstore: check " + tmp.store() + ": "));
  // check never creates the directory.
  EXPECT_FALSE(std::filesystem::exists(tmp.store()));
}

TEST(StatsCommandTest, CountsUsersPerService) {
  TempDir tmp;
  MakeStore(tmp.store());
  std::ostringstream out, err;
  EXPECT_EQ(RunStats(tmp.store(), out, err), 0) << err.str();
  const std::string text = out.str();
  EXPECT_THAT(text, StartsWith("store    " + tmp.store() + "\n"));
  EXPECT_THAT(text, HasSubstr("users    2 in 1 service(s)\n"));
  EXPECT_THAT(text, HasSubstr("SERVICE  "));
  // The Service's row: SID, no friendly name, 2 users.
  EXPECT_THAT(text, HasSubstr(absl::StrCat("\n", kIS1, "  -  ")));
  std::ostringstream missing_out, missing_err;
  EXPECT_EQ(RunStats(tmp.store() + "-nope", missing_out, missing_err), 2);
  EXPECT_THAT(missing_err.str(), StartsWith("userstore: stats "));
}

TEST(StatsCommandTest, TableLayout) {
  StoreStats stats;
  stats.path = "/d";
  stats.account_sid = kAC1;
  stats.format_version = 1;
  stats.users = 1203;
  stats.live_bytes = 5 << 20;
  stats.disk_bytes = 3 << 20;
  stats.sst_bytes = 2 << 20;
  stats.wal_bytes = 1536;
  ServiceStats a;
  a.sid = kIS1;
  a.friendly_name = "chat\n";
  a.users = 1200;
  a.user_bytes = 300 * 1024;
  a.roles = 4;
  a.max_sequence = 1300;
  a.reachability_enabled = true;
  a.events = 10;
  a.first_event = 1291;
  a.last_event = 1300;
  a.webhook = ServiceStats::Webhook::kDelivered;
  a.webhook_delivered = 1297;
  ServiceStats b;
  b.sid = kIS2;
  b.users = 3;
  b.user_bytes = 900;
  b.roles = 5;
  b.max_sequence = 3;
  ServiceStats c = b;
  c.sid = kIS3;
  c.users = 0;
  c.user_bytes = 0;
  c.last_event = 7;  // every event trimmed
  c.webhook = ServiceStats::Webhook::kMalformed;
  ServiceStats d = b;
  d.sid = kIS4;
  d.users = 0;
  d.user_bytes = 0;
  d.events = 2;
  d.first_event = 1;
  d.last_event = 2;
  d.webhook = ServiceStats::Webhook::kDelivered;
  d.webhook_delivered = 9;  // ahead of the feed (another store's file)
  stats.services = {a, b, c, d};
  EXPECT_EQ(
      FormatStatsTable(stats),
      absl::StrCat("store    /d\n"
                   "format   1\n"
                   "account  ",
                   kAC1,
                   "\n"
                   "users    1203 in 4 service(s)\n"
                   "data     5.0 MiB of keys and values\n"
                   "on disk  3.0 MiB (sorted tables 2.0 MiB, write-ahead logs 1.5 KiB)\n"
                   "\n"
                   "SERVICE                             FRIENDLY NAME  USERS  USER DATA  ROLES"
                   "  LAST SEQ  REACHABILITY\n",
                   kIS1, "  chat\\n          1200  300.0 KiB      4      1300  on\n", kIS2,
                   "  -                  3      900 B      5         3  off\n", kIS3,
                   "  -                  0        0 B      5         3  off\n", kIS4,
                   "  -                  0        0 B      5         3  off\n"
                   "total                                               1203  300.9 KiB     19\n"
                   "\n"
                   "SERVICE                             EVENTS  FIRST EVENT  LAST EVENT"
                   "  WEBHOOK BACKLOG\n",
                   kIS1, "      10         1291        1300  3 (delivered 1297)\n", kIS2,
                   "       0            -           0  - (no position file)\n", kIS3,
                   "       0            -           7  ? (malformed position file)\n", kIS4,
                   "       2            1           2  ? (delivered 9 is past the last event)\n"));
}

TEST(StatsCommandTest, HumanBytes) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1024), "1.0 KiB");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(uint64_t{1} << 30), "1.0 GiB");
  EXPECT_EQ(HumanBytes(uint64_t{5} << 40), "5.0 TiB");
  EXPECT_EQ(HumanBytes(uint64_t{2048} << 40), "2048.0 TiB");
}

}  // namespace
}  // namespace userstore::cli
