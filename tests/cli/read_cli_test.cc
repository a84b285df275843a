// Tests of `userstore get` and `userstore list` (RunGet, RunList in
// tools/commands.h) and of the StoreReader behind them
// (userstore/inspect.h): each beside a durable Store this process holds open,
// compared byte for byte with what that Store's REST facade returns.
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli_args.h"
#include "commands.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reading.h"
#include "simdjson.h"
#include "tests/support/test_store.h"
#include "userstore/inspect.h"
#include "userstore/json.h"
#include "userstore/rest.h"
#include "userstore/store.h"

namespace userstore::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kIS1[] = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kIS2[] = "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr char kTypo[] = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac";

class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "userstore-read-XXXXXX";
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string store() const { return path_ + "/store"; }

 private:
  std::string path_;
};

// A durable Store held open for the whole test, with its facade.
class ReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, Store::Open(tmp_.store(), {}, {}));
    facade_ = std::make_unique<RestFacade>(store_.get());
    for (const char* sid : {kIS2, kIS1}) {  // SID order is not creation order
      ServiceCreate service;
      service.sid = sid;
      ASSERT_TRUE(store_->CreateService(service).ok());
    }
  }

  Response Send(std::string method, std::string target, std::string body = "") {
    Request request{std::move(method), std::move(target), {}, std::move(body)};
    if (!request.body.empty()) {
      request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    }
    return facade_->Handle(request);
  }

  // Creates `identity` in `service` through the facade; its fetch body.
  std::string Create(const char* service, const std::string& form) {
    Response created = Send("POST", absl::StrCat("/v2/Services/", service, "/Users"), form);
    EXPECT_EQ(created.status, 201) << created.body;
    return created.body;
  }

  std::string Fetch(const char* service, const std::string& key) {
    Response fetched = Send("GET", absl::StrCat("/v2/Services/", service, "/Users/", key));
    EXPECT_EQ(fetched.status, 200) << fetched.body;
    return fetched.body;
  }

  CliOptions Options(Command command) const {
    CliOptions options;
    options.command = command;
    options.dir = tmp_.store();
    return options;
  }

  struct Run {
    int status;
    std::string out;
    std::string err;
  };
  Run Get(CliOptions options) {
    std::ostringstream out, err;
    const int status = RunGet(options, out, err);
    return {status, out.str(), err.str()};
  }
  Run List(CliOptions options) {
    std::ostringstream out, err;
    const int status = RunList(options, out, err);
    return {status, out.str(), err.str()};
  }

  TempDir tmp_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<RestFacade> facade_;
};

std::string SidOf(const std::string& body) {
  simdjson::dom::parser parser;
  return std::string(parser.parse(body).at_key("sid").get_string().value());
}

TEST_F(ReadTest, GetPrintsTheFacadesFetchBody) {
  Create(kIS1, "Identity=alice&FriendlyName=Alice&Attributes=%7B%22a%22%3A%5B1%2C2%5D%7D");
  const std::string alice = Fetch(kIS1, "alice");
  EXPECT_THAT(alice, HasSubstr(R"("identity":"alice","attributes":"{\"a\":[1,2]}")"));

  CliOptions options = Options(Command::kGet);
  options.services = {kIS1};
  options.key = "alice";
  Run run = Get(options);
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, alice + "\n");
  EXPECT_EQ(run.err, "");

  // By SID, in either hex case, and the Service in upper case.
  const std::string sid = SidOf(alice);
  options.key = "US" + absl::AsciiStrToUpper(sid.substr(2));
  options.services = {"IS" + absl::AsciiStrToUpper(std::string(kIS1 + 2))};
  run = Get(options);
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, alice + "\n");

  // --base-url as the facade of a Store with that base renders it.
  options.base_url = "http://localhost:8080/v2/";
  run = Get(options);
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr(absl::StrCat(R"("url":"http://localhost:8080/v2/Services/)", kIS1,
                                              "/Users/", sid, "\"}")));
}

TEST_F(ReadTest, GetNotFoundIsTheFacadesErrorBody) {
  Create(kIS1, "Identity=alice");
  CliOptions options = Options(Command::kGet);
  options.services = {kIS1};
  options.key = "bob";
  Run run = Get(options);
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.out, "");
  Response facade = Send("GET", absl::StrCat("/v2/Services/", kIS1, "/Users/bob"));
  ASSERT_EQ(facade.status, 404);
  EXPECT_EQ(run.err, facade.body + "\n");
  EXPECT_EQ(run.err,
            absl::StrCat(R"({"code":20404,"message":"The requested resource /Services/)", kIS1,
                         R"(/Users/bob was not found","more_info":)",
                         R"("https://www.twilio.com/docs/errors/20404","status":404})", "\n"));

  options.services = {kTypo};
  options.key = "alice";
  run = Get(options);
  EXPECT_EQ(run.status, 1);
  facade = Send("GET", absl::StrCat("/v2/Services/", kTypo, "/Users/alice"));
  EXPECT_EQ(run.err, facade.body + "\n");
}

TEST_F(ReadTest, GetWithoutServiceNeedsExactlyOne) {
  CliOptions options = Options(Command::kGet);
  options.key = "alice";
  Run run = Get(options);
  EXPECT_EQ(run.status, 2);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, absl::StrCat("userstore: get ", tmp_.store(),
                                  ": the store holds 2 Services: name one with --service (", kIS1,
                                  ", ", kIS2, ")\n"));
}

TEST_F(ReadTest, ListStreamsEveryServiceInSidOrderAndUsersInCreationOrder) {
  // Identities in an order of their own; one user deleted, one updated.
  std::vector<std::string> want_is1;
  for (int i = 0; i < 130; ++i) {
    const std::string identity = absl::StrCat("user", (i * 37) % 130);
    Create(kIS1, "Identity=" + identity);
  }
  ASSERT_EQ(Send("DELETE", absl::StrCat("/v2/Services/", kIS1, "/Users/user37")).status, 204);
  ASSERT_EQ(
      Send("POST", absl::StrCat("/v2/Services/", kIS1, "/Users/user74"), "FriendlyName=x").status,
      200);
  Create(kIS2, "Identity=zed");
  // The facade's paging order: pages of 50, walked by their tokens.
  std::vector<std::string> paged;
  std::string target = absl::StrCat("/v2/Services/", kIS1, "/Users?PageSize=50");
  simdjson::dom::parser parser;
  while (!target.empty()) {
    Response page = Send("GET", target);
    ASSERT_EQ(page.status, 200) << page.body;
    simdjson::dom::element doc = parser.parse(page.body);
    for (simdjson::dom::element user : doc["users"].get_array()) {
      paged.emplace_back(user["identity"].get_string().value());
    }
    std::string_view next = doc["meta"]["next_page_url"].is_null()
                                ? std::string_view()
                                : doc["meta"]["next_page_url"].get_string().value();
    target = next.empty() ? "" : std::string(next.substr(next.find("/v2/")));
  }
  ASSERT_EQ(paged.size(), 129u);
  std::vector<std::string> want;
  for (const std::string& identity : paged) want.push_back(Fetch(kIS1, identity));
  want.push_back(Fetch(kIS2, "zed"));

  Run run = List(Options(Command::kList));
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.err, "");
  std::vector<std::string> lines = absl::StrSplit(run.out, '\n');
  ASSERT_EQ(lines.back(), "");
  lines.pop_back();
  EXPECT_EQ(lines, want);

  CliOptions options = Options(Command::kList);
  options.services = {kIS2, kIS1};
  options.limit = 3;
  run = List(options);
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, absl::StrCat(want.back(), "\n", want[0], "\n", want[1], "\n"));
}

TEST_F(ReadTest, ListOfAnUnknownServiceIsNotFoundBeforeAnyLine) {
  Create(kIS1, "Identity=alice");
  CliOptions options = Options(Command::kList);
  options.services = {kIS1, kTypo};
  Run run = List(options);
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.out, "");
  Response facade = Send("GET", absl::StrCat("/v2/Services/", kTypo, "/Users"));
  ASSERT_EQ(facade.status, 404);
  EXPECT_EQ(run.err, facade.body + "\n");
  options.services = {kIS1, "IS" + absl::AsciiStrToUpper(std::string(kIS1 + 2))};
  run = List(options);
  EXPECT_EQ(run.status, 2);
  EXPECT_THAT(run.err, HasSubstr("given twice"));
}

TEST_F(ReadTest, ReaderSeesTheStateAtItsOpen) {
  Create(kIS1, "Identity=alice");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<StoreReader> reader, StoreReader::Open(tmp_.store()));
  EXPECT_TRUE(reader->in_use());
  EXPECT_EQ(reader->account_sid(), store_->options().account_sid);
  ASSERT_EQ(reader->services().size(), 2u);
  EXPECT_EQ(reader->services()[0].sid, kIS1);
  EXPECT_EQ(reader->services()[1].sid, kIS2);
  Create(kIS1, "Identity=bob");  // after the reader opened
  std::vector<std::string> seen;
  ASSERT_TRUE(reader
                  ->VisitUsers(kIS1,
                               [&](const User& user) {
                                 seen.push_back(user.identity);
                                 return true;
                               })
                  .ok());
  EXPECT_THAT(seen, ElementsAre("alice"));
  EXPECT_EQ(reader->FetchUser(kIS1, "bob").status().code(), absl::StatusCode::kNotFound);
  // A visitor returning false stops the walk.
  ASSERT_OK_AND_ASSIGN(reader, StoreReader::Open(tmp_.store()));
  seen.clear();
  ASSERT_TRUE(reader
                  ->VisitUsers(kIS1,
                               [&](const User& user) {
                                 seen.push_back(user.identity);
                                 return false;
                               })
                  .ok());
  EXPECT_THAT(seen, ElementsAre("alice"));
  ASSERT_OK_AND_ASSIGN(const User bob, reader->FetchUser(kIS1, "bob"));
  ASSERT_OK_AND_ASSIGN(const User fetched, store_->FetchUser(kIS1, "bob"));
  EXPECT_EQ(bob.sid, fetched.sid);
  EXPECT_EQ(bob.revision, fetched.revision);
  EXPECT_NE(bob.revision, 0u);
  EXPECT_EQ(bob.attributes, "{}");
  EXPECT_FALSE(bob.is_online.has_value());
}

// ReadUsers' views show what VisitUsers' Users hold, field for field, in
// the same order; a false return stops it; an unknown Service is a 404.
TEST_F(ReadTest, ReadUsersViewsEqualVisitUsersCopies) {
  Create(kIS1, "Identity=alice&FriendlyName=Alice&Attributes=%7B%22a%22%3A1%7D");
  Create(kIS1, "Identity=bob");  // attributes never set, no friendly name
  Create(kIS1, absl::StrCat("Identity=", std::string(250, 'c')));
  Create(kIS2, "Identity=other");
  UserUpdate rename;
  rename.friendly_name = "Bob";
  ASSERT_OK(store_->UpdateUser(kIS1, "bob", rename));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<StoreReader> reader, StoreReader::Open(tmp_.store()));
  std::vector<User> copies;
  ASSERT_OK(reader->VisitUsers(kIS1, [&](const User& user) {
    copies.push_back(user);
    return true;
  }));
  std::vector<User> viewed;
  ASSERT_OK(reader->ReadUsers(kIS1, [&](const UserView& view) {
    User user;
    view.CopyTo(&user);
    viewed.push_back(std::move(user));
    return true;
  }));
  ASSERT_EQ(copies.size(), 3u);
  ASSERT_EQ(viewed.size(), copies.size());
  for (size_t i = 0; i < copies.size(); ++i) {
    EXPECT_EQ(UserJson(viewed[i], "https://h/v2"), UserJson(copies[i], "https://h/v2")) << i;
    EXPECT_EQ(viewed[i].revision, copies[i].revision) << i;
  }
  EXPECT_EQ(viewed[0].attributes, R"({"a":1})");
  EXPECT_EQ(viewed[1].attributes, "{}");
  EXPECT_EQ(viewed[1].friendly_name, "Bob");
  EXPECT_EQ(viewed[2].identity, std::string(250, 'c'));
  int calls = 0;
  ASSERT_OK(reader->ReadUsers(kIS1, [&](const UserView&) { return ++calls < 2; }));
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(reader->ReadUsers(kTypo, [](const UserView&) { return true; }).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ReadTest, ReaderListsRolesAsTheStoreDoes) {
  RoleCreate role;
  role.sid = "RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  role.friendly_name = "moderator";
  role.permissions = {"editAnyMessage", "deleteAnyMessage"};
  ASSERT_TRUE(store_->AddRole(kIS1, role).ok());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<StoreReader> reader, StoreReader::Open(tmp_.store()));
  // Either hex case names the Service.
  ASSERT_OK_AND_ASSIGN(std::vector<Role> read,
                       reader->ListRoles("ISAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
  ASSERT_OK_AND_ASSIGN(std::vector<Role> stored, store_->ListRoles(kIS1));
  ASSERT_EQ(read.size(), 5u);
  ASSERT_EQ(read.size(), stored.size());
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_EQ(RoleJson(read[i], "https://h/v2"), RoleJson(stored[i], "https://h/v2")) << i;
  }
  absl::StatusOr<std::vector<Role>> missing = reader->ListRoles(kTypo);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            absl::StrCat("The requested resource /Services/", kTypo, "/Roles was not found"));
}

// `userstore export` beside the running store: a Service line, its roles,
// its users, each item byte for byte the facade's body.
TEST_F(ReadTest, ExportWritesWhatTheFacadeReturns) {
  Create(kIS1, "Identity=alice&FriendlyName=Alice&Attributes=%7B%22a%22%3A1%7D");
  Create(kIS1, "Identity=bob");
  Create(kIS2, "Identity=carol");
  CliOptions options;
  options.command = Command::kExport;
  options.data_dir = tmp_.store();
  std::ostringstream out, err;
  ASSERT_EQ(RunExport(options, out, err), 0) << err.str();
  EXPECT_EQ(err.str(), absl::StrCat("exported 2 Services, 3 users from ", tmp_.store(), "\n"));
  std::vector<std::string> expected;
  for (const char* service : {kIS1, kIS2}) {  // SID order
    expected.push_back(absl::StrCat(R"({"type":"service","item":)",
                                    Send("GET", absl::StrCat("/v2/Services/", service)).body, "}"));
    ASSERT_OK_AND_ASSIGN(std::vector<Role> roles, store_->ListRoles(service));
    for (const Role& role : roles) {
      expected.push_back(absl::StrCat(R"({"type":"role","item":)",
                                      RoleJson(role, store_->options().base_url), "}"));
    }
    for (const char* identity : {"alice", "bob", "carol"}) {
      Response r = Send("GET", absl::StrCat("/v2/Services/", service, "/Users/", identity));
      if (r.status == 200)
        expected.push_back(absl::StrCat(R"({"type":"user","item":)", r.body, "}"));
    }
  }
  EXPECT_EQ(out.str(), absl::StrJoin(expected, "\n") + "\n");

  // Only the Services named, in the order given; an unknown one is a 404
  // before any line.
  options.services = {kIS2};
  std::ostringstream only, only_err;
  ASSERT_EQ(RunExport(options, only, only_err), 0);
  EXPECT_EQ(only.str(), absl::StrJoin(expected.begin() + 7, expected.end(), "\n") + "\n");
  options.services = {kIS2, kTypo};
  std::ostringstream none, none_err;
  EXPECT_EQ(RunExport(options, none, none_err), kNotFoundExit);
  EXPECT_EQ(none.str(), "");
  EXPECT_THAT(none_err.str(), HasSubstr("20404"));
}

TEST(ReadErrorsTest, AMissingDirectoryIsNotCreated) {
  TempDir tmp;
  CliOptions options;
  options.command = Command::kList;
  options.dir = tmp.store();
  std::ostringstream out, err;
  EXPECT_EQ(RunList(options, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("userstore: list " + tmp.store() + ": "));
  EXPECT_FALSE(std::filesystem::exists(tmp.store()));
}

}  // namespace
}  // namespace userstore::cli
