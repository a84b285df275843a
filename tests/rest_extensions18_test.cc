// REST facade tests of issue 18's extensions on Chat v2's Users collection
// (src/rest/user_extensions.h; docs/rest.md, "Extensions"): filtered lists
// whose paging links keep the filter, X-Userstore-Count, the batch upsert
// X-Userstore-Batch and its body bound; and, with extensions off, every one
// of them ignored (byte-identical answers). Over a real Store; the fixture
// is tests/support/rest_fixture.h.
#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "json/binding_render.h"
#include "rest/form.h"
#include "rest/params.h"
#include "rest/user_extensions.h"
#include "tests/support/rest_fixture.h"
#include "tests/support/test_store.h"
#include "userstore/filter.h"
#include "userstore/rest.h"
#include "userstore/store.h"
#include "userstore/user.h"

namespace userstore {
namespace {

using testing::Json;
using testing::kServiceSid;
using testing::kUsers;
using testing::RestFacadeTest;

constexpr char kListUrl[] =
    "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users";

FacadeOptions Extensions() {
  FacadeOptions options;
  options.enable_extensions = true;
  return options;
}

// The origin-form target of an absolute URL the facade rendered.
std::string TargetOf(std::string_view url) {
  constexpr std::string_view kOrigin = "https://chat.twilio.com";
  EXPECT_TRUE(url.starts_with(kOrigin)) << url;
  return std::string(url.substr(kOrigin.size()));
}

// "X-Userstore-Batch=" + the percent-encoded JSON text.
std::string BatchBody(std::string_view json) {
  return absl::StrCat("X-Userstore-Batch=", internal::PercentEncode(json));
}

class RestUserExtensionsTest : public RestFacadeTest {
 protected:
  RestUserExtensionsTest() : RestFacadeTest({}, Extensions()) {}

  // The role SID of the Service's role named `name` (a deployment role).
  std::string RoleSid(std::string_view name) {
    absl::StatusOr<std::vector<Role>> roles = t_->ListRoles(kServiceSid);
    EXPECT_TRUE(roles.ok());
    for (const Role& role : roles.value_or(std::vector<Role>{})) {
      if (role.friendly_name == name) return role.sid;
    }
    ADD_FAILURE() << "no role " << name;
    return "";
  }

  // Every identity a walk from `target` lists, following next_page_url;
  // each page's links must carry `filter_query`.
  std::vector<std::string> Walk(const std::string& target, std::string_view filter_query) {
    std::vector<std::string> identities;
    std::string next = target;
    for (int pages = 0; !next.empty() && pages < 100; ++pages) {
      Response r = Get(next);
      EXPECT_EQ(r.status, 200) << next << " -> " << r.body;
      if (r.status != 200) break;
      Json page(r.body);
      for (size_t i = 0; i < page.ArraySize("/users"); ++i) {
        identities.push_back(page.Str(absl::StrCat("/users/", i, "/identity")));
      }
      const std::string expected =
          absl::StrCat(kListUrl, "?", std::string(filter_query), "PageSize=");
      EXPECT_TRUE(page.Str("/meta/url").starts_with(expected)) << page.Str("/meta/url");
      EXPECT_TRUE(page.Str("/meta/first_page_url").starts_with(expected));
      next = page.IsNull("/meta/next_page_url") ? "" : TargetOf(page.Str("/meta/next_page_url"));
    }
    return identities;
  }
};

// ---- parsing (no Store) ------------------------------------------------------

TEST(UserExtensionsParse, FilterQueryRoundTripsAndKeepsItsOrder) {
  UserFilter filter;
  filter.identity_prefix = "team/é &x";
  filter.created_from = absl::FromUnixSeconds(1438286400);  // 2015-07-30T20:00:00Z
  filter.created_before = absl::FromUnixMillis(1438286400500);
  const std::string query = internal::FilterUrlQuery(filter);
  EXPECT_EQ(query,
            "X-Userstore-IdentityPrefix=team%2F%C3%A9%20%26x&"
            "X-Userstore-DateCreatedFrom=2015-07-30T20%3A00%3A00Z&"
            "X-Userstore-DateCreatedBefore=2015-07-30T20%3A00%3A00.5Z&");
  absl::StatusOr<internal::FormParams> form = internal::ParseForm(query, internal::kMaxParams);
  ASSERT_TRUE(form.ok());
  absl::StatusOr<UserFilter> back = internal::ParseUserFilter(*form);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->identity_prefix, filter.identity_prefix);
  EXPECT_EQ(back->created_from, filter.created_from);
  EXPECT_EQ(back->created_before, filter.created_before);
  EXPECT_TRUE(back->role_sid.empty());
  EXPECT_EQ(internal::FilterUrlQuery(UserFilter()), "");
}

TEST(UserExtensionsParse, DatesAreRfc3339DateTimes) {
  auto parse = [](std::string_view text) {
    return internal::ParseUserFilter({{"X-Userstore-DateCreatedFrom", std::string(text)}});
  };
  EXPECT_EQ(parse("2015-07-30T20:00:00Z")->created_from, absl::FromUnixSeconds(1438286400));
  EXPECT_EQ(parse("2015-07-30T22:00:00+02:00")->created_from, absl::FromUnixSeconds(1438286400));
  EXPECT_EQ(parse("2015-07-30T20:00:00.25Z")->created_from, absl::FromUnixMillis(1438286400250));
  for (std::string_view bad :
       {"", "2015-07-30", "2015-07-30T20:00:00", " 2015-07-30T20:00:00Z", "2015-07-30T20:00:00Z ",
        "yesterday", "2015-13-01T00:00:00Z", "+2015-07-30T20:00:00Z", "1438286400"}) {
    absl::StatusOr<UserFilter> f = parse(bad);
    ASSERT_FALSE(f.ok()) << bad;
    EXPECT_EQ(HttpStatus(f.status()), 400);
    EXPECT_EQ(TwilioCode(f.status()), 20001);
  }
  EXPECT_FALSE(internal::ParseUserFilter({{"X-Userstore-RoleSid", ""}}).ok());
}

TEST(UserExtensionsParse, BatchRowsAreCheckedOneByOne) {
  absl::StatusOr<internal::ParsedBatch> batch = internal::ParseBatch(
      R"([{"identity":"a","role_sid":"RL1","attributes":"{}","friendly_name":""},)"
      R"({"identity":"b","x":"y"},{"identity":5},{"role_sid":"r"},)"
      R"({"identity":"c","identity":"d"},{"identity":"e","attributes":null}])");
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->size, 6u);
  ASSERT_EQ(batch->rows.size(), 1u);
  EXPECT_EQ(batch->rows[0].identity, "a");
  EXPECT_EQ(batch->rows[0].role_sid, "RL1");
  EXPECT_EQ(batch->rows[0].attributes, "{}");
  EXPECT_EQ(batch->rows[0].friendly_name, "");
  EXPECT_EQ(batch->indexes, std::vector<size_t>{0});
  ASSERT_EQ(batch->rejected.size(), 5u);
  std::vector<size_t> rejected;
  for (const auto& [index, status] : batch->rejected) {
    rejected.push_back(index);
    EXPECT_EQ(TwilioCode(status), 20001) << status;
  }
  EXPECT_EQ(rejected, (std::vector<size_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(batch->rejected[0].second.message(),
            R"(Invalid batch row: unknown member "x" (expected identity, role_sid, attributes, )"
            R"(friendly_name))");
  std::string many = "[";
  for (size_t i = 0; i <= kMaxUpsertRows; ++i) absl::StrAppend(&many, i ? "," : "", "{}");
  many += "]";
  for (std::string_view bad : {"", "{", "{}", "[]", "[1]", "[{},[]]", "\"x\""}) {
    EXPECT_FALSE(internal::ParseBatch(bad).ok()) << bad;
  }
  EXPECT_FALSE(internal::ParseBatch(many).ok());
  many.replace(1, 3, "");  // 100 rows: every one rejected alone (no identity)
  ASSERT_TRUE(internal::ParseBatch(many).ok());
  EXPECT_EQ(internal::ParseBatch(many)->rejected.size(), kMaxUpsertRows);
}

TEST(UserExtensionsParse, BatchBodyBoundOnlyForABatchWithExtensions) {
  const std::string batch = "X-Userstore-Batch=%5B%5D";
  EXPECT_EQ(internal::BodyLimit(true, "POST", batch), internal::kMaxBatchBodyBytes);
  EXPECT_EQ(internal::BodyLimit(false, "POST", batch), internal::kMaxBodyBytes);
  EXPECT_EQ(internal::BodyLimit(true, "GET", batch), internal::kMaxBodyBytes);
  EXPECT_EQ(internal::BodyLimit(true, "POST", "Identity=a&" + batch), internal::kMaxBodyBytes);
  EXPECT_EQ(internal::BodyLimit(true, "POST", "X-Userstore-BatchX=1"), internal::kMaxBodyBytes);
}

// ---- extensions off: ignored -----------------------------------------------

class RestUserExtensionsOffTest : public RestFacadeTest {};

TEST_F(RestUserExtensionsOffTest, ListParametersAreIgnored) {
  CreateOk("Identity=team-a");
  CreateOk("Identity=team-b");
  CreateOk("Identity=other");
  const std::string plain = std::string(kUsers) + "?PageSize=2";
  const Response expected = Get(plain);
  ASSERT_EQ(expected.status, 200);
  for (std::string_view extra :
       {"X-Userstore-IdentityPrefix=team-", "X-Userstore-RoleSid=RL123",
        "X-Userstore-DateCreatedFrom=bogus", "X-Userstore-DateCreatedBefore=2000-01-01T00:00:00Z",
        "X-Userstore-AttributeKey=tier&X-Userstore-AttributeValue=%22gold%22",
        "X-Userstore-Count=true", "X-Userstore-Count=bogus"}) {
    const Response r = Get(absl::StrCat(plain, "&", std::string(extra)));
    EXPECT_EQ(r.status, expected.status) << extra;
    EXPECT_EQ(r.body, expected.body) << extra;
    EXPECT_EQ(r.headers, expected.headers) << extra;
  }
}

TEST_F(RestUserExtensionsOffTest, BatchIsTheNormalCreate) {
  const std::string batch = BatchBody(R"([{"identity":"x"}])");
  // No Identity: Twilio's 400, byte for byte the answer without the batch.
  const Response without = Create("FriendlyName=F");
  ExpectError(without, 400, 20001, "Missing required parameter Identity in the post body");
  const Response with = Create(batch + "&FriendlyName=F");
  EXPECT_EQ(with.status, without.status);
  EXPECT_EQ(with.body, without.body);
  // With an Identity: the one user, as without the parameter.
  Response r = Create("Identity=solo&" + batch);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Json(r.body).Str("/identity"), "solo");
  EXPECT_EQ(CountUsers(), 1);
  // The larger body bound is the extension's too.
  std::string big = batch + "&Pad=";
  big.resize(internal::kMaxBodyBytes + 1, 'x');
  ExpectError(Create(big), 400, 20001, "Request body too long (limit 65536 bytes)");
}

// ---- extensions on -----------------------------------------------------------

TEST_F(RestUserExtensionsTest, ConversationsListsIgnoreTheParameters) {
  CreateOk("Identity=team-a");
  CreateOk("Identity=other");
  const std::string v1 = "/v1/Services/" + std::string(kServiceSid) + "/Users?PageSize=5";
  const Response expected = Get(v1);
  ASSERT_EQ(expected.status, 200) << expected.body;
  for (std::string_view extra : {"X-Userstore-IdentityPrefix=team-", "X-Userstore-Count=true",
                                 "X-Userstore-DateCreatedFrom=bogus"}) {
    const Response r = Get(absl::StrCat(v1, "&", std::string(extra)));
    EXPECT_EQ(r.body, expected.body) << extra;
  }
  const Response created = Post("/v1/Services/" + std::string(kServiceSid) + "/Users",
                                BatchBody(R"([{"identity":"v"}])") + "&Identity=conv");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Json(created.body).Str("/identity"), "conv");
}

TEST_F(RestUserExtensionsTest, CountOfEveryUser) {
  CreateOk("Identity=a");
  CreateOk("Identity=b");
  Response r = Get(std::string(kUsers) + "?X-Userstore-Count=true&PageSize=1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body,
            absl::StrCat(R"({"count":2,"url":")", kListUrl, R"(?X-Userstore-Count=true"})"));
  ASSERT_EQ(r.headers.size(), 1u);  // Content-Type only: no ETag
  r = Get(std::string(kUsers) + "?X-Userstore-Count=TRUE");
  EXPECT_EQ(Json(r.body).Int("/count"), 2);
  // HEAD: the same status and headers, no body.
  r = Do("HEAD", std::string(kUsers) + "?X-Userstore-Count=true");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
}

TEST_F(RestUserExtensionsTest, CountAndFilterErrors) {
  CreateOk("Identity=a");
  const std::string u = std::string(kUsers) + "?";
  ExpectError(Get(u + "X-Userstore-Count=false"), 400, 20001,
              "Invalid X-Userstore-Count: must be true");
  ExpectError(Get(u + "X-Userstore-Count="), 400, 20001);
  ExpectError(Get(u + "X-Userstore-Count=1"), 400, 20001);
  ExpectError(Get(u + "X-Userstore-DateCreatedFrom=2015-07-30"), 400, 20001,
              "Invalid X-Userstore-DateCreatedFrom: must be an ISO 8601 date-time such as "
              "2015-07-30T20:00:00Z");
  ExpectError(Get(u + "X-Userstore-DateCreatedBefore=x&X-Userstore-Count=true"), 400, 20001);
  ExpectError(Get(u + "X-Userstore-IdentityPrefix="), 400, 20001,
              "Invalid X-Userstore-IdentityPrefix: must not be empty");
  // The Service comes first (404 before the parameters' 400).
  const std::string unknown = "/v2/Services/IS" + std::string(32, 'c') + "/Users";
  ExpectError(
      Get(unknown + "?X-Userstore-Count=maybe"), 404, 20404,
      "The requested resource /Services/IS" + std::string(32, 'c') + "/Users was not found");
  ExpectError(Get(unknown + "?X-Userstore-Count=true"), 404, 20404);
}

TEST_F(RestUserExtensionsTest, BatchRequestErrors) {
  const std::string unknown = "/v2/Services/IS" + std::string(32, 'c') + "/Users";
  const std::string shape = "Invalid X-Userstore-Batch: must be a JSON array of 1 to 100 objects";
  ExpectError(Create(BatchBody("[]")), 400, 20001, shape);
  ExpectError(Create(BatchBody("{\"identity\":\"a\"}")), 400, 20001, shape);
  ExpectError(Create(BatchBody("[{\"identity\":\"a\"},1]")), 400, 20001, shape);
  ExpectError(Create(BatchBody("[{")), 400, 20001, shape + " (not valid JSON)");
  ExpectError(Create("X-Userstore-Batch="), 400, 20001);
  std::string many = "[";
  for (int i = 0; i <= 100; ++i)
    absl::StrAppend(&many, i ? "," : "", "{\"identity\":\"u", i, "\"}");
  ExpectError(Create(BatchBody(many + "]")), 400, 20001, shape);
  ExpectError(Create(BatchBody(R"([{"identity":"a"}])") + "&Identity=b"), 400, 20001,
              "X-Userstore-Batch cannot be combined with Identity, RoleSid, Attributes or "
              "FriendlyName");
  ExpectError(Create(BatchBody(R"([{"identity":"a"}])"), {{"X-Twilio-Webhook-Enabled", "yes"}}),
              400, 20001);
  ExpectError(Post(unknown, BatchBody("[]")), 404, 20404);
  ExpectError(Post(unknown, BatchBody(R"([{"identity":"a"}])")), 404, 20404);
  EXPECT_EQ(CountUsers(), 0);
}

TEST_F(RestUserExtensionsTest, BatchBodyBound) {
  // Over 64 KiB only for a batch on the Users collection, up to 8 MiB.
  std::string big = BatchBody("[{\"x\":\"") + std::string(internal::kMaxBodyBytes, 'x') +
                    internal::PercentEncode("\"}]");
  ExpectError(Post(std::string(kUsers) + "/alice", big), 400, 20001,
              "Request body too long (limit 65536 bytes)");
  ExpectError(Post("/v1/Services/" + std::string(kServiceSid) + "/Users", big), 400, 20001,
              "Request body too long (limit 65536 bytes)");
  // Parsed (the row has an unknown member): every row refused alone, 200.
  Response r = Create(big);
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 200);
  EXPECT_EQ(Json(r.body).Int("/users/0/status"), 400);
  std::string huge = BatchBody("[]") + "&Pad=";
  huge.resize(internal::kMaxBatchBodyBytes + 1, 'x');
  ExpectError(Create(huge), 400, 20001, "Request body too long (limit 8388608 bytes)");
}

TEST_F(RestUserExtensionsTest, BatchWhoseRowsAllFailCallsNoStore) {
  Response r = Create(BatchBody(R"([{"identity":"a","extra":"1"},{"friendly_name":"x"}])"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"users":[{"index":0,"status":400,"outcome":"failed","code":20001,)"
                    R"("message":"Invalid batch row: unknown member \"extra\" (expected identity, )"
                    R"x(role_sid, attributes, friendly_name)",)x"
                    R"("more_info":"https://www.twilio.com/docs/errors/20001"},)"
                    R"({"index":1,"status":400,"outcome":"failed","code":20001,)"
                    R"("message":"Invalid batch row: missing required member \"identity\"",)"
                    R"("more_info":"https://www.twilio.com/docs/errors/20001"}]})");
  EXPECT_EQ(CountUsers(), 0);
}

// ---- with the Store's filters (branch filter18) ----------------------------

TEST_F(RestUserExtensionsTest, FilteredListPagesFollowNextPageUrl) {
  for (const char* id : {"team-c", "other-1", "team-a", "team-b", "other-2", "team-d"}) {
    CreateOk(absl::StrCat("Identity=", id));
  }
  const std::string prefix = "X-Userstore-IdentityPrefix=team-";
  // Identity order for a prefix filter, two per page, the filter kept.
  EXPECT_EQ(Walk(std::string(kUsers) + "?" + prefix + "&PageSize=2", prefix + "&"),
            (std::vector<std::string>{"team-a", "team-b", "team-c", "team-d"}));
  // The count of the same filter, and its URL.
  Response count = Get(std::string(kUsers) + "?X-Userstore-Count=true&" + prefix);
  ASSERT_EQ(count.status, 200) << count.body;
  EXPECT_EQ(count.body, absl::StrCat(R"({"count":4,"url":")", kListUrl, "?", prefix,
                                     R"(&X-Userstore-Count=true"})"));
  // A prefix needing escapes round-trips through the links.
  CreateOk("Identity=a%2Fb+c");
  EXPECT_EQ(Walk(std::string(kUsers) + "?X-Userstore-IdentityPrefix=a%2Fb%20&PageSize=1",
                 "X-Userstore-IdentityPrefix=a%2Fb%20&"),
            std::vector<std::string>{"a/b c"});
}

TEST_F(RestUserExtensionsTest, RoleFilterAndItsTokenBinding) {
  const std::string admin = RoleSid("service admin");
  ASSERT_FALSE(admin.empty());
  for (int i = 0; i < 5; ++i) {
    CreateOk(absl::StrCat("Identity=u", i, i % 2 == 0 ? "&RoleSid=" + admin : ""));
  }
  const std::string filter = "X-Userstore-RoleSid=" + admin;
  EXPECT_EQ(Walk(std::string(kUsers) + "?" + filter + "&PageSize=2", filter + "&"),
            (std::vector<std::string>{"u0", "u2", "u4"}));
  Response count = Get(std::string(kUsers) + "?" + filter + "&X-Userstore-Count=true");
  EXPECT_EQ(Json(count.body).Int("/count"), 3);
  // The next page's token is bound to the filter: without it, 400.
  Response first = Get(std::string(kUsers) + "?" + filter + "&PageSize=2");
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string next = TargetOf(Json(first.body).Str("/meta/next_page_url"));
  ExpectError(Get(absl::StrReplaceAll(next, {{filter + "&", ""}})), 400, 20001);
  // Two criteria: the Store's 400.
  ExpectError(Get(std::string(kUsers) + "?" + filter + "&X-Userstore-IdentityPrefix=u"), 400,
              20001);
  // An unknown role: the Store's 400/50100.
  ExpectError(Get(std::string(kUsers) + "?X-Userstore-RoleSid=RL" + std::string(32, 'f')), 400,
              50100);
}

TEST_F(RestUserExtensionsTest, DateAndAttributeFilters) {
  ASSERT_TRUE(t_->SetIndexedAttribute(kServiceSid, "tier").ok());
  CreateOk("Identity=g1&Attributes=%7B%22tier%22%3A%22gold%22%7D");
  CreateOk("Identity=s1&Attributes=%7B%22tier%22%3A%22silver%22%7D");
  CreateOk("Identity=g2&Attributes=%7B%22tier%22%3A%22gold%22%7D");
  CreateOk("Identity=n1&Attributes=%7B%22tier%22%3A5%7D");
  const std::string gold = "X-Userstore-AttributeKey=tier&X-Userstore-AttributeValue=%22gold%22";
  EXPECT_EQ(Walk(std::string(kUsers) + "?" + gold + "&PageSize=1", gold + "&"),
            (std::vector<std::string>{"g1", "g2"}));
  const std::string five = "X-Userstore-AttributeKey=tier&X-Userstore-AttributeValue=5";
  EXPECT_EQ(Walk(std::string(kUsers) + "?" + five, five + "&"), std::vector<std::string>{"n1"});
  ExpectError(Get(std::string(kUsers) + "?X-Userstore-AttributeKey=color&"
                                        "X-Userstore-AttributeValue=%22red%22"),
              400, 20001);
  ExpectError(Get(std::string(kUsers) + "?X-Userstore-AttributeKey=tier&"
                                        "X-Userstore-AttributeValue=gold"),
              400, 20001);
  // Dates: every user was made after 2000 and before 3000; the bound is
  // echoed in UTC.
  const std::string from = "X-Userstore-DateCreatedFrom=2000-01-01T00%3A00%3A00Z";
  EXPECT_EQ(Walk(std::string(kUsers) + "?X-Userstore-DateCreatedFrom=2000-01-01T01:00:00%2B01:00",
                 from + "&")
                .size(),
            4u);
  EXPECT_TRUE(Walk(std::string(kUsers) + "?X-Userstore-DateCreatedBefore=2000-01-01T00:00:00Z",
                   "X-Userstore-DateCreatedBefore=2000-01-01T00%3A00%3A00Z&")
                  .empty());
  Response count = Get(std::string(kUsers) +
                       "?X-Userstore-Count=true&X-Userstore-DateCreatedBefore="
                       "3000-01-01T00:00:00Z");
  EXPECT_EQ(Json(count.body).Int("/count"), 4);
}

// ---- with the Store's batch upsert (branch upsert18) -----------------------

TEST_F(RestUserExtensionsTest, BatchCreatesUpdatesAndReportsEachRow) {
  CreateOk("Identity=old&FriendlyName=Old");
  CreateOk("Identity=same&FriendlyName=Same");
  std::vector<UserEvent> events;
  t_.store->AddPostEventListener([&events](const UserEvent& e) { events.push_back(e); });
  Response r = Create(BatchBody(R"([{"identity":"new","attributes":"{\"a\":1}"},)"
                                R"({"identity":"old","friendly_name":"Renamed"},)"
                                R"({"identity":"same","friendly_name":"Same"},)"
                                R"({"identity":"bad","attributes":"[1]"},)"
                                R"({"identity":"odd","color":"red"},)"
                                R"({"identity":"new"}])"),
                      {{"X-Twilio-Webhook-Enabled", "true"}});
  ASSERT_EQ(r.status, 200) << r.body;
  Json j(r.body);
  ASSERT_EQ(j.ArraySize("/users"), 6u);
  const std::vector<std::string> outcomes = {"created", "updated", "unchanged",
                                             "failed",  "failed",  "failed"};
  const std::vector<int64_t> statuses = {201, 200, 200, 400, 400, 400};
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const std::string at = absl::StrCat("/users/", i);
    EXPECT_EQ(j.Int(at + "/index"), static_cast<int64_t>(i));
    EXPECT_EQ(j.Str(at + "/outcome"), outcomes[i]) << r.body;
    EXPECT_EQ(j.Int(at + "/status"), statuses[i]) << r.body;
  }
  EXPECT_EQ(j.Int("/users/3/code"), 50304);
  EXPECT_EQ(j.Int("/users/4/code"), 20001);
  EXPECT_EQ(j.Int("/users/5/code"), 20001);  // repeats row 0
  EXPECT_EQ(j.Str("/users/5/more_info"), "https://www.twilio.com/docs/errors/20001");
  // Each user as a fetch renders it.
  for (std::string_view id : {"new", "old", "same"}) {
    const size_t index = id == "new" ? 0 : id == "old" ? 1 : 2;
    Response fetched = Get(std::string(kUsers) + "/" + std::string(id));
    ASSERT_EQ(fetched.status, 200);
    Json user(fetched.body);
    EXPECT_EQ(j.Str(absl::StrCat("/users/", index, "/user/sid")), user.Str("/sid"));
    EXPECT_EQ(j.Str(absl::StrCat("/users/", index, "/user/attributes")), user.Str("/attributes"));
    EXPECT_EQ(j.Str(absl::StrCat("/users/", index, "/user/url")), user.Str("/url"));
  }
  EXPECT_EQ(Json(Get(std::string(kUsers) + "/old").body).Str("/friendly_name"), "Renamed");
  EXPECT_EQ(Get(std::string(kUsers) + "/bad").status, 404);
  EXPECT_EQ(CountUsers(), 3);
  // X-Twilio-Webhook-Enabled: one event per changed user.
  std::set<std::string> changed;
  for (const UserEvent& e : events) changed.insert(e.user.identity);
  EXPECT_EQ(changed, (std::set<std::string>{"new", "old"}));
  EXPECT_EQ(events.size(), 2u);
  // The filters see the batch's users (its writes keep the indexes).
  Response count =
      Get(std::string(kUsers) + "?X-Userstore-Count=true&X-Userstore-IdentityPrefix=ne");
  EXPECT_EQ(Json(count.body).Int("/count"), 1);
  EXPECT_EQ(Walk(std::string(kUsers) + "?X-Userstore-IdentityPrefix=ne",
                 "X-Userstore-IdentityPrefix=ne&"),
            std::vector<std::string>{"new"});
}

TEST_F(RestUserExtensionsTest, BatchOfAHundredLargeRowsFitsItsBound) {
  std::string json = "[";
  const std::string attributes = absl::StrCat(R"({\"k\":\")", std::string(16000, 'v'), R"(\"})");
  for (size_t i = 0; i < kMaxUpsertRows; ++i) {
    absl::StrAppend(&json, i ? "," : "", R"({"identity":"big-)", i, R"(","attributes":")",
                    attributes, R"("})");
  }
  const std::string body = BatchBody(json + "]");
  ASSERT_GT(body.size(), internal::kMaxBodyBytes);
  ASSERT_LE(body.size(), internal::kMaxBatchBodyBytes);
  Response r = Create(body);
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  Json j(r.body);
  ASSERT_EQ(j.ArraySize("/users"), kMaxUpsertRows);
  EXPECT_EQ(j.Str("/users/99/outcome"), "created");
  EXPECT_EQ(CountUsers(), 100);
}

}  // namespace
}  // namespace userstore
