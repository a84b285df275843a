// `userstore export` / `userstore import` with push Bindings and the
// Conversations Configuration (issue 17): a durable store whose Bindings are
// registered through the C++ API (Store::RegisterBinding) and whose
// Configuration is set (Store::UpdateConfiguration) is exported, imported
// into a fresh directory and exported again byte for byte; --mode decides
// the Bindings and the Configuration; malformed records are refused naming
// their line.
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli_args.h"
#include "commands.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "userstore/json.h"
#include "userstore/store.h"

namespace userstore::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kIS1[] = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kIS2[] = "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr char kCR[] = "CRcccccccccccccccccccccccccccccccc";
constexpr char kMG[] = "MGdddddddddddddddddddddddddddddddd";

struct Outcome {
  int status;
  std::string out;
  std::string err;
};

Outcome Export(const std::string& dir) {
  CliOptions options;
  options.command = Command::kExport;
  options.data_dir = dir;
  std::ostringstream out, err;
  const int status = RunExport(options, out, err);
  return {status, out.str(), err.str()};
}

Outcome Import(const std::string& dir, const std::string& file,
               ImportMode mode = ImportMode::kInsert, bool dry_run = false) {
  CliOptions options;
  options.command = Command::kImport;
  options.data_dir = dir;
  options.files = {file};
  options.mode = mode;
  options.dry_run = dry_run;
  options.sync = false;
  std::istringstream in;
  std::ostringstream err;
  const int status = RunImport(options, in, err, /*terminal=*/false);
  return {status, "", err.str()};
}

std::string Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  return path;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

BindingCreate Params(BindingType type, std::string endpoint) {
  BindingCreate p;
  p.binding_type = type;
  p.endpoint = std::move(endpoint);
  return p;
}

class ExportBindingsTest : public ::testing::Test {
 protected:
  // Store A: two Services, users, four Bindings (one re-registered, one of a
  // deleted user gone, one dated before the one before it) and a
  // Configuration. `bindings_` gets the UserBindingJson of each, in
  // creation order per Service.
  void SetUp() override {
    StoreOptions options;
    options.clock = [this] { return absl::FromUnixSeconds(now_); };
    DurableOptions durable;
    durable.sync = false;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Open(a(), options, durable));
    for (const char* sid : {kIS1, kIS2}) {
      ServiceCreate service;
      service.sid = sid;
      ASSERT_OK(store->CreateService(service));
    }
    for (const char* identity : {"alice", "bob", "gone"}) {
      UserCreate user;
      user.identity = identity;
      ASSERT_OK(store->CreateUser(kIS1, user));
    }
    UserCreate carol;
    carol.identity = "carol";
    ASSERT_OK(store->CreateUser(kIS2, carol));
    now_ += 10;
    BindingCreate full = Params(BindingType::kFcm, "fcm-token \"é\"");
    full.credential_sid = kCR;
    full.message_types = {"new_message", "added_to_channel"};
    ASSERT_OK(store->RegisterBinding(kIS1, "alice", full));
    ASSERT_OK(store->RegisterBinding(kIS1, "gone", Params(BindingType::kApn, "x")));
    now_ += 5;
    ASSERT_OK(store->RegisterBinding(kIS1, "bob", Params(BindingType::kApn, "apn-bob")));
    now_ -= 100;  // the clock went back: dated before the one before it
    ASSERT_OK(store->RegisterBinding(kIS1, "alice", Params(BindingType::kGcm, "gcm-alice")));
    now_ += 200;
    ASSERT_OK(store->RegisterBinding(kIS1, "bob", Params(BindingType::kApn, "apn-bob")));  // again
    ASSERT_OK(store->RegisterBinding(kIS2, "carol", Params(BindingType::kApn, "apn-carol")));
    ASSERT_OK(store->DeleteUser(kIS1, "gone"));
    ConfigurationUpdate update;
    update.default_chat_service_sid = kIS2;
    update.default_messaging_service_sid = kMG;
    update.default_inactive_timer = "PT1H";
    ASSERT_OK(store->UpdateConfiguration(update));
    configuration_ =
        ConfigurationJson(store->FetchConfiguration(), "https://conversations.twilio.com/v1");
    for (const char* service : {kIS1, kIS2}) {
      BindingListRequest request;
      request.page_size = 100;
      ASSERT_OK_AND_ASSIGN(BindingPage page, store->ListBindings(service, request));
      for (const Binding& b : page.bindings) {
        bindings_.push_back(UserBindingJson(b, "https://chat.twilio.com/v2"));
      }
    }
    ASSERT_EQ(bindings_.size(), 4u);
  }

  std::string a() const { return tmp_.Sub("a"); }
  std::string b() const { return tmp_.Sub("b"); }

  // Export of A into a file; its text in `*text`.
  std::string ExportA(std::string* text) {
    Outcome run = Export(a());
    EXPECT_EQ(run.status, 0) << run.err;
    *text = run.out;
    return Write(tmp_.Sub("a.ndjson"), run.out);
  }

  testing::TempDir tmp_{"userstore-export-bindings"};
  int64_t now_ = 1700000000;
  std::vector<std::string> bindings_;
  std::string configuration_;
};

TEST_F(ExportBindingsTest, ExportWritesBindingsAfterTheUsersAndTheConfigurationLast) {
  Outcome run = Export(a());
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(
      run.err,
      absl::StrCat("exported 2 Services, 3 users, 4 Bindings, the Configuration from ", a(), "\n"));
  std::vector<std::string> kinds;
  std::vector<std::string> bindings;
  for (const std::string& line : Lines(run.out)) {
    const size_t start = line.find("\"type\":\"") + 8;
    kinds.push_back(line.substr(start, line.find('"', start) - start));
    if (kinds.back() == "binding") bindings.push_back(line);
  }
  // IS1: service, 4 roles, 2 users, 3 Bindings; IS2: service, 4 roles,
  // 1 user, 1 Binding; the Configuration.
  const std::vector<std::string> expected_kinds = {
      "service", "role",    "role", "role", "role", "user", "user", "binding", "binding",
      "binding", "service", "role", "role", "role", "role", "user", "binding", "configuration"};
  EXPECT_EQ(kinds, expected_kinds);
  ASSERT_EQ(bindings.size(), bindings_.size());
  for (size_t i = 0; i < bindings.size(); ++i) {
    EXPECT_EQ(bindings[i], absl::StrCat(R"({"type":"binding","item":)", bindings_[i], "}"));
  }
  EXPECT_THAT(bindings[0], HasSubstr(R"("binding_type":"fcm")"));
  EXPECT_THAT(bindings[1], HasSubstr(R"("endpoint":"apn-bob")"));  // re-registered: one
  EXPECT_THAT(bindings[2], HasSubstr(R"("endpoint":"gcm-alice")"));
  EXPECT_EQ(Lines(run.out).back(),
            absl::StrCat(R"({"type":"configuration","item":)", configuration_, "}"));
  EXPECT_THAT(configuration_, HasSubstr(absl::StrCat(R"("default_chat_service_sid":")", kIS2)));
}

TEST_F(ExportBindingsTest, RoundTripIsByteIdentical) {
  std::string first;
  const std::string file = ExportA(&first);
  Outcome imported = Import(b(), file);
  ASSERT_EQ(imported.status, 0) << imported.err;
  EXPECT_THAT(imported.err, HasSubstr("4 Bindings read: 4 inserted, 0 replaced, 0 skipped"));
  EXPECT_THAT(imported.err, HasSubstr("; the Configuration imported;"));
  Outcome second = Export(b());
  ASSERT_EQ(second.status, 0) << second.err;
  EXPECT_EQ(second.out, first);
  // The imported store serves them: the Configuration and a Binding.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Open(b(), StoreOptions()));
  EXPECT_EQ(ConfigurationJson(store->FetchConfiguration(), "https://conversations.twilio.com/v1"),
            configuration_);
  BindingListRequest request;
  request.user_key = "bob";
  ASSERT_OK_AND_ASSIGN(BindingPage page, store->ListBindings(kIS1, request));
  ASSERT_EQ(page.bindings.size(), 1u);
  EXPECT_EQ(UserBindingJson(page.bindings[0], "https://chat.twilio.com/v2"), bindings_[1]);
}

TEST_F(ExportBindingsTest, DryRunImportsNothing) {
  std::string first;
  const std::string file = ExportA(&first);
  Outcome dry = Import(b(), file, ImportMode::kInsert, /*dry_run=*/true);
  ASSERT_EQ(dry.status, 0) << dry.err;
  EXPECT_THAT(dry.err, HasSubstr("4 Bindings read: 4 inserted"));
  EXPECT_THAT(dry.err, HasSubstr("the Configuration imported"));
  EXPECT_FALSE(std::filesystem::exists(b()));
  // Against the store itself, the copy in memory has them all.
  Outcome again = Import(a(), file, ImportMode::kSkip, /*dry_run=*/true);
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("4 Bindings read: 0 inserted, 0 replaced, 4 skipped"));
  EXPECT_THAT(again.err, HasSubstr("the Configuration skipped"));
}

TEST_F(ExportBindingsTest, ModesDecideBindingsAndTheConfiguration) {
  std::string first;
  const std::string file = ExportA(&first);
  ASSERT_EQ(Import(b(), file).status, 0);
  // insert: every Binding (409/20001, its SID taken) and the Configuration
  // refused, each naming its line.
  Outcome insert = Import(b(), file);
  EXPECT_EQ(insert.status, 1);
  const std::vector<std::string> lines = Lines(first);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find(R"("type":"binding")") == std::string::npos) continue;
    EXPECT_THAT(insert.err,
                HasSubstr(absl::StrCat("userstore: import ", file, ":", i + 1, ": 409/20001 ")));
  }
  EXPECT_THAT(insert.err,
              HasSubstr(absl::StrCat("userstore: import ", file, ":", lines.size(),
                                     ": 409/20001 the store has a Configuration already")));
  EXPECT_THAT(insert.err, HasSubstr("4 Bindings read: 0 inserted, 0 replaced, 0 skipped"));
  Outcome skip = Import(b(), file, ImportMode::kSkip);
  EXPECT_EQ(skip.status, 0) << skip.err;
  EXPECT_THAT(skip.err, HasSubstr("4 Bindings read: 0 inserted, 0 replaced, 4 skipped"));
  EXPECT_THAT(skip.err, HasSubstr("the Configuration skipped"));
  Outcome upsert = Import(b(), file, ImportMode::kUpsert);
  EXPECT_EQ(upsert.status, 0) << upsert.err;
  EXPECT_THAT(upsert.err, HasSubstr("4 Bindings read: 0 inserted, 4 replaced, 0 skipped"));
  EXPECT_THAT(upsert.err, HasSubstr("the Configuration replaced"));
  EXPECT_EQ(Export(b()).out, first);

  // upsert replaces a changed Configuration; skip keeps the stored one.
  const std::string changed =
      Write(tmp_.Sub("conf.ndjson"),
            absl::StrCat(R"({"type":"configuration","item":{"default_chat_service_sid":")", kIS1,
                         R"(","default_messaging_service_sid":null,"default_inactive_timer":null,)"
                         R"("default_closed_timer":"P1D"}})",
                         "\n"));
  ASSERT_EQ(Import(b(), changed, ImportMode::kSkip).status, 0);
  EXPECT_EQ(Export(b()).out, first);
  Outcome replaced = Import(b(), changed, ImportMode::kUpsert);
  ASSERT_EQ(replaced.status, 0) << replaced.err;
  const std::string conf = Lines(Export(b()).out).back();
  EXPECT_THAT(conf, HasSubstr(absl::StrCat(R"("default_chat_service_sid":")", kIS1, "\"")));
  EXPECT_THAT(conf, HasSubstr(R"("default_messaging_service_sid":null)"));
  EXPECT_THAT(conf, HasSubstr(R"("default_closed_timer":"P1D")"));
}

TEST_F(ExportBindingsTest, MalformedRecordsAreRefusedNamingTheirLine) {
  std::string first;
  ASSERT_EQ(Import(b(), ExportA(&first)).status, 0);
  const std::string user_sid = first.substr(first.find(R"("user_sid":")") + 12, 34);
  auto binding = [&](const std::string& fields) {
    return absl::StrCat(R"({"type":"binding","item":{"sid":"BS)", std::string(32, 'e'),
                        R"(","service_sid":")", kIS1, R"(",)", fields,
                        R"(,"date_created":"2023-01-01T00:00:00Z",)"
                        R"("date_updated":"2023-01-01T00:00:00Z"}})");
  };
  const std::string user = absl::StrCat(R"("user_sid":")", user_sid, "\"");
  const std::string path = Write(
      tmp_.Sub("bad.ndjson"),
      absl::StrCat(binding(R"("binding_type":"apn","endpoint":"e1")"), "\n",  // 1
                   binding(absl::StrCat(user, R"(,"binding_type":"voip","endpoint":"e")")), "\n",
                   binding(absl::StrCat(user, R"(,"binding_type":"apn","message_types":"x")",
                                        R"(,"endpoint":"e")")),
                   "\n",  // 3
                   binding(absl::StrCat(user, R"(,"binding_type":"apn","endpoint":"")")), "\n",
                   binding(absl::StrCat(user, R"(,"binding_type":"apn","endpoint":"e5",)",
                                        R"("credential_sid":"CRnope")")),
                   "\n",  // 5
                   R"({"type":"configuration","item":{"default_chat_service_sid":5}})", "\n",
                   R"({"type":"bindings","item":{}})", "\n"));  // 7
  Outcome run = Import(b(), path);
  EXPECT_EQ(run.status, 1);
  const std::string at = absl::StrCat("userstore: import ", path, ":");
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat(at, "1: 400/20001 missing \"user_sid\"")));
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat(
                           at, "2: 400/20001 \"binding_type\" of a binding must be \"apn\"")));
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat(
                           at, "3: 400/20001 \"message_types\" must be an array of strings")));
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat(at, "4: 400/20001 ")));  // the Store's: endpoint
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat(at, "5: 400/20001 ")));  // credential_sid
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat(
                           at, "6: 400/20001 \"default_chat_service_sid\" must be a string")));
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat(at, "7: 400/20001 unknown export record type")));
  EXPECT_THAT(run.err, HasSubstr("2 Bindings read: 0 inserted"));
  EXPECT_EQ(Export(b()).out, first);  // nothing changed

  // A Configuration the Store refuses: its line, the Store's error.
  const std::string conf =
      Write(tmp_.Sub("conf.ndjson"),
            R"({"type":"configuration","item":{"default_inactive_timer":"soon"}})"
            "\n");
  Outcome refused = Import(b(), conf, ImportMode::kUpsert);
  EXPECT_EQ(refused.status, 1);
  EXPECT_THAT(refused.err, HasSubstr(absl::StrCat("userstore: import ", conf, ":1: 400/20001 ")));
  EXPECT_THAT(refused.err, Not(HasSubstr("the Configuration replaced")));
  EXPECT_EQ(Export(b()).out, first);
}

}  // namespace
}  // namespace userstore::cli
