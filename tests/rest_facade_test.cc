// End-to-end tests of the REST facade (include/userstore/rest.h) over a real
// Store: the seven routes, Twilio's status codes and bodies, every error row of
// behaviour.md §4 reachable over REST, paging by following next_page_url, the
// path/form decoding rules of §6, base-path variants, auto-created Services,
// the webhook header and the request bounds. Bodies are read with simdjson.
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "rest/params.h"
#include "simdjson.h"
#include "tests/support/rest_fixture.h"
#include "tests/support/test_store.h"
#include "userstore/json.h"
#include "userstore/rest.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::Headers;
using testing::Hex32;
using testing::Json;
using testing::kAccountSid;
using testing::kBase;
using testing::kJsonType;
using testing::kRoleSid;
using testing::kServiceSid;
using testing::kUsers;
using testing::RestFacadeTest;
using testing::TestStore;

// ---- create / fetch ------------------------------------------------------------

TEST_F(RestFacadeTest, Create201WithEveryField) {
  Response r = Create(
      "Identity=alice&FriendlyName=Alice+A&Attributes=%7B%22k%22%3A1%7D"
      "&RoleSid=" +
      std::string(kRoleSid));
  ASSERT_EQ(r.status, 201) << r.body;
  Json j(r.body);
  const std::string sid = j.Str("/sid");
  EXPECT_EQ(sid.size(), 34u);
  EXPECT_EQ(sid.substr(0, 2), "US");
  EXPECT_EQ(j.Str("/account_sid"), kAccountSid);
  EXPECT_EQ(j.Str("/service_sid"), kServiceSid);
  EXPECT_EQ(j.Str("/role_sid"), kRoleSid);
  EXPECT_EQ(j.Str("/identity"), "alice");
  EXPECT_EQ(j.Str("/attributes"), "{\"k\":1}");
  EXPECT_TRUE(j.IsNull("/is_online"));
  EXPECT_TRUE(j.IsNull("/is_notifiable"));
  EXPECT_EQ(j.Str("/friendly_name"), "Alice A");
  EXPECT_EQ(j.Int("/joined_channels_count"), 0);
  EXPECT_EQ(j.Str("/date_created"), "2016-03-24T21:05:19Z");
  EXPECT_EQ(j.Str("/date_updated"), "2016-03-24T21:05:19Z");
  const std::string url = std::string(kBase) + "/Services/" + kServiceSid + "/Users/" + sid;
  EXPECT_EQ(j.Str("/url"), url);
  EXPECT_EQ(j.Str("/links/user_channels"), url + "/Channels");
  EXPECT_EQ(j.Str("/links/user_bindings"), url + "/Bindings");
}

TEST_F(RestFacadeTest, CreateDefaults) {
  Response r = Create("Identity=bob");
  ASSERT_EQ(r.status, 201);
  Json j(r.body);
  absl::StatusOr<Service> service = t_->FetchService(kServiceSid);
  ASSERT_TRUE(service.ok());
  EXPECT_EQ(j.Str("/role_sid"), service->default_service_role_sid);
  EXPECT_EQ(j.Str("/attributes"), "{}");
  EXPECT_TRUE(j.IsNull("/friendly_name"));
}

TEST_F(RestFacadeTest, FetchBySidAndIdentity) {
  const std::string sid = CreateOk("Identity=alice");
  for (const std::string& key : {sid, std::string("alice")}) {
    Response r = Get(std::string(kUsers) + "/" + key);
    ASSERT_EQ(r.status, 200) << key;
    Json j(r.body);
    EXPECT_EQ(j.Str("/sid"), sid);
    EXPECT_EQ(j.Str("/identity"), "alice");
    EXPECT_EQ(j.Str("/url"), std::string(kBase) + "/Services/" + kServiceSid + "/Users/" + sid);
  }
  // The SID's hex digits match in either case.
  std::string upper = sid;
  for (size_t i = 2; i < upper.size(); ++i) upper[i] = static_cast<char>(toupper(upper[i]));
  Response r = Get(std::string(kUsers) + "/" + upper);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json(r.body).Str("/sid"), sid);
}

TEST_F(RestFacadeTest, EncodedSlashIsOneSegment) {
  CreateOk("Identity=team%2Falice");
  Response r = Get(std::string(kUsers) + "/team%2Falice");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r.body).Str("/identity"), "team/alice");
  r = Get(std::string(kUsers) + "/team%252Falice");  // decoded once: "team%2Falice"
  ExpectError(r, 404, 20404,
              std::string("The requested resource /Services/") + kServiceSid +
                  "/Users/team%2Falice was not found");
  r = Get(std::string(kUsers) + "/team/alice");  // a deeper, unknown path
  ExpectError(r, 404, 20404,
              std::string("The requested resource /Services/") + kServiceSid +
                  "/Users/team/alice was not found");
}

TEST_F(RestFacadeTest, PlusIsLiteralInPathsAndSpaceInForms) {
  const std::string plus = CreateOk("Identity=a%2Bb");  // "a+b"
  const std::string space = CreateOk("Identity=a+b");   // "a b"
  Response r = Get(std::string(kUsers) + "/a+b");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json(r.body).Str("/sid"), plus);
  EXPECT_EQ(Json(r.body).Str("/identity"), "a+b");
  r = Get(std::string(kUsers) + "/a%20b");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json(r.body).Str("/sid"), space);
  EXPECT_EQ(Json(r.body).Str("/identity"), "a b");
  r = Get(std::string(kUsers) + "/a%2Bb");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json(r.body).Str("/sid"), plus);
}

TEST_F(RestFacadeTest, FormDecodingDecisions) {
  // Unknown parameters are ignored; the first of repeated names wins.
  Response r = Create("Foo=bar&Identity=first&Identity=second&identity=x");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Json(r.body).Str("/identity"), "first");
  // Raw (unencoded) JSON, as `curl -d` sends it, is taken literally.
  r = Create("Identity=raw&Attributes={\"k\":[1,2]}");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Json(r.body).Str("/attributes"), "{\"k\":[1,2]}");
  // '%2B' is a plus, '%25' a percent, decoded once.
  r = Create("Identity=p&FriendlyName=1%2B1%3D2+%2541");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Json(r.body).Str("/friendly_name"), "1+1=2 %41");
  // A query string on a POST is not the body.
  r = Post(std::string(kUsers) + "?Identity=q", "");
  ExpectError(r, 400, 20001, "Missing required parameter Identity in the post body");
}

TEST_F(RestFacadeTest, MalformedEscapes) {
  const int64_t before = CountUsers();
  ExpectError(Create("Identity=a%4"), 400, 20001);
  ExpectError(Create("Identity=ok&FriendlyName=%zz"), 400, 20001,
              "Malformed percent-encoding in parameter FriendlyName");
  ExpectError(Create("Identity=%"), 400, 20001);
  ExpectError(Get(std::string(kUsers) + "/a%4"), 400, 20001);
  ExpectError(Get(std::string(kUsers) + "/%zz"), 400, 20001);
  ExpectError(Get(std::string(kUsers) + "?PageSize=%4"), 400, 20001);
  ExpectError(Get("/v2/Services/IS%/Users"), 400, 20001);
  EXPECT_EQ(CountUsers(), before);
}

TEST_F(RestFacadeTest, NonOriginFormTargets) {
  ExpectError(Get(""), 400, 20001);
  ExpectError(Get("*"), 400, 20001);
  ExpectError(Get(std::string(kBase) + "/Services/" + kServiceSid), 400, 20001);
  ExpectError(Get(std::string(kUsers) + "/a b"), 400, 20001);
  ExpectError(Get(std::string(kUsers) + "#x"), 400, 20001);
}

// ---- list ----------------------------------------------------------------------

class RestFacadeListTest : public RestFacadeTest {
 protected:
  // Follows meta.next_page_url verbatim (absolute URL → origin-form target)
  // from `first` until it is null; returns the identities seen, page by page.
  std::vector<std::vector<std::string>> Walk(std::string first) {
    std::vector<std::vector<std::string>> pages;
    std::string target = std::move(first);
    for (int guard = 0; guard < 100; ++guard) {
      Response r = Get(target);
      EXPECT_EQ(r.status, 200) << target << " -> " << r.body;
      if (r.status != 200) break;
      simdjson::dom::parser parser;
      simdjson::dom::element doc;
      EXPECT_EQ(parser.parse(r.body).get(doc), simdjson::SUCCESS);
      std::vector<std::string> identities;
      for (simdjson::dom::element u : doc["users"].get_array()) {
        identities.emplace_back(std::string_view(u["identity"]));
      }
      pages.push_back(identities);
      EXPECT_EQ(std::string_view(doc["meta"]["key"]), "users");
      EXPECT_EQ(int64_t(doc["meta"]["page"]), static_cast<int64_t>(pages.size() - 1));
      simdjson::dom::element next = doc["meta"]["next_page_url"];
      if (next.is_null()) break;
      std::string_view next_url = next.get_string();
      boost::urls::result<boost::urls::url_view> url = boost::urls::parse_absolute_uri(
          boost::urls::string_view(next_url.data(), next_url.size()));
      EXPECT_TRUE(url.has_value()) << next_url;
      if (!url) break;
      EXPECT_EQ(std::string(url->scheme()) + "://" + std::string(url->encoded_host()),
                "https://chat.twilio.com");
      target = std::string(url->encoded_target());
    }
    return pages;
  }
};

TEST_F(RestFacadeListTest, FollowsNextPageUrlUntilNull) {
  std::vector<std::string> created;
  for (int i = 0; i < 7; ++i) {
    created.push_back("user " + std::to_string(i));  // a space: '+' in the form
    CreateOk("Identity=user+" + std::to_string(i));
  }
  std::vector<std::vector<std::string>> pages = Walk(std::string(kUsers) + "?PageSize=3");
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(pages[0].size(), 3u);
  EXPECT_EQ(pages[1].size(), 3u);
  EXPECT_EQ(pages[2].size(), 1u);
  std::vector<std::string> all;
  for (const auto& p : pages) all.insert(all.end(), p.begin(), p.end());
  EXPECT_EQ(all, created);  // creation order, each exactly once
}

TEST_F(RestFacadeListTest, ExactlyFullLastPageHasNoNextLink) {
  for (int i = 0; i < 4; ++i) CreateOk("Identity=u" + std::to_string(i));
  std::vector<std::vector<std::string>> pages = Walk(std::string(kUsers) + "?PageSize=2");
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[1], (std::vector<std::string>{"u2", "u3"}));
}

TEST_F(RestFacadeListTest, MetaAndItems) {
  CreateOk("Identity=a");
  Response r = Get(kUsers);
  ASSERT_EQ(r.status, 200);
  Json j(r.body);
  EXPECT_EQ(j.Int("/meta/page"), 0);
  EXPECT_EQ(j.Int("/meta/page_size"), 50);
  EXPECT_TRUE(j.IsNull("/meta/previous_page_url"));
  EXPECT_TRUE(j.IsNull("/meta/next_page_url"));
  EXPECT_EQ(j.Str("/meta/first_page_url"),
            std::string(kBase) + "/Services/" + kServiceSid + "/Users?PageSize=50&Page=0");
  EXPECT_EQ(j.Str("/users/0/identity"), "a");
  EXPECT_TRUE(j.IsNull("/users/0/is_online"));
  // An empty Service.
  ServiceCreate other;
  other.sid = "IS" + Hex32('b');
  ASSERT_TRUE(t_->CreateService(other).ok());
  r = Get("/v2/Services/" + other.sid + "/Users");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json(r.body).ArraySize("/users"), 0u);
}

TEST_F(RestFacadeListTest, PageSizeClampedTo100) {
  Response r = Get(std::string(kUsers) + "?PageSize=1000");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json(r.body).Int("/meta/page_size"), 100);
  r = Get(std::string(kUsers) + "?PageSize=100");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json(r.body).Int("/meta/page_size"), 100);
  r = Get(std::string(kUsers) + "?PageSize=1");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json(r.body).Int("/meta/page_size"), 1);
  // Any size above the maximum, even beyond int64, is clamped the same way.
  for (const char* size :
       {"9223372036854775807", "9223372036854775808", "123456789012345678901234567890"}) {
    SCOPED_TRACE(size);
    r = Get(std::string(kUsers) + "?PageSize=" + size);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Json(r.body).Int("/meta/page_size"), 100);
  }
}

TEST_F(RestFacadeListTest, BadPagingParameters) {
  for (const char* q :
       {"PageSize=0", "PageSize=-1", "PageSize=abc", "PageSize=", "PageSize=2.5", "Page=-1",
        "Page=x", "Page=1", "Page=1&PageToken=", "PageToken=garbage", "Page=1&PageToken=AAAA"}) {
    SCOPED_TRACE(q);
    ExpectError(Get(std::string(kUsers) + "?" + q), 400, 20001);
  }
}

// Page is echoed and incremented into next_page_url: it is range-checked so
// that every link the facade renders is one it serves (docs/rest.md).
TEST_F(RestFacadeListTest, PageNearInt64MaxLinksOnlyToServedPages) {
  for (int i = 0; i < 3; ++i) CreateOk("Identity=u" + std::to_string(i));
  Response r = Get(std::string(kUsers) + "?PageSize=1");
  ASSERT_EQ(r.status, 200);
  const std::string next = Json(r.body).Str("/meta/next_page_url");
  const std::string token = next.substr(next.find("PageToken="));
  ExpectError(Get(std::string(kUsers) + "?PageSize=1&Page=9223372036854775807&" + token), 400,
              20001, "Invalid Page: must be an integer from 0 to 9223372036854775806");
  r = Get(std::string(kUsers) + "?PageSize=1&Page=9223372036854775806&" + token);
  ASSERT_EQ(r.status, 200) << r.body;
  Json j(r.body);
  EXPECT_EQ(j.Int("/meta/page"), 9223372036854775806);
  EXPECT_EQ(j.Str("/users/0/identity"), "u1");
  EXPECT_TRUE(j.IsNull("/meta/next_page_url"));  // no index after the last one
  // Every link it does render is served.
  for (const char* link : {"/meta/url", "/meta/first_page_url", "/meta/previous_page_url"}) {
    SCOPED_TRACE(link);
    const std::string url = j.Str(link);
    ASSERT_EQ(url.rfind(kBase, 0), 0u) << url;
    EXPECT_EQ(Get("/v2" + url.substr(std::string(kBase).size())).status, 200) << url;
  }
  EXPECT_EQ(j.Str("/meta/previous_page_url"),
            std::string(kBase) + "/Services/" + kServiceSid +
                "/Users?PageSize=1&Page=9223372036854775805&" +
                j.Str("/meta/previous_page_url")
                    .substr(j.Str("/meta/previous_page_url").find("PageToken=")));
  r = Get(std::string(kUsers) + "?PageSize=1&Page=9223372036854775805&" + token);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string next_url = Json(r.body).Str("/meta/next_page_url");
  EXPECT_NE(next_url.find("&Page=9223372036854775806&"), std::string::npos) << next_url;
  EXPECT_EQ(Get("/v2" + next_url.substr(std::string(kBase).size())).status, 200);
}

// The issue-10 reproduction: a, b, c walked forward with PageSize=1; a and b
// deleted; the stored previous_page_url of c's page gives an empty page that
// must not link "previous" to itself.
TEST_F(RestFacadeListTest, EmptyBackwardPageDoesNotLinkToItself) {
  for (const char* id : {"a", "b", "c"}) CreateOk(std::string("Identity=") + id);
  const size_t origin = std::string(kBase).size();
  std::string target = std::string(kUsers) + "?PageSize=1";
  std::string previous;
  for (const char* id : {"a", "b", "c"}) {
    Response r = Get(target);
    ASSERT_EQ(r.status, 200) << r.body;
    Json j(r.body);
    ASSERT_EQ(j.Str("/users/0/identity"), id);
    if (std::string_view(id) == "c") {
      previous = j.Str("/meta/previous_page_url");
      break;
    }
    target = "/v2" + j.Str("/meta/next_page_url").substr(origin);
  }
  ASSERT_EQ(Do("DELETE", std::string(kUsers) + "/a").status, 204);
  ASSERT_EQ(Do("DELETE", std::string(kUsers) + "/b").status, 204);
  Response r = Get("/v2" + previous.substr(origin));
  ASSERT_EQ(r.status, 200) << r.body;
  Json j(r.body);
  EXPECT_EQ(j.Int("/meta/page"), 1);
  EXPECT_EQ(j.ArraySize("/users"), 0u);
  EXPECT_TRUE(j.IsNull("/meta/previous_page_url")) << r.body;
  ASSERT_FALSE(j.IsNull("/meta/next_page_url"));
  r = Get("/v2" + j.Str("/meta/next_page_url").substr(origin));
  ASSERT_EQ(r.status, 200) << r.body;
  Json c(r.body);
  EXPECT_EQ(c.Str("/users/0/identity"), "c");
  EXPECT_TRUE(c.IsNull("/meta/previous_page_url"));
  EXPECT_TRUE(c.IsNull("/meta/next_page_url"));
}

TEST_F(RestFacadeListTest, PageTokenOfAnotherServiceIsRejected) {
  for (int i = 0; i < 3; ++i) CreateOk("Identity=u" + std::to_string(i));
  Response r = Get(std::string(kUsers) + "?PageSize=1");
  ASSERT_EQ(r.status, 200);
  const std::string next = Json(r.body).Str("/meta/next_page_url");
  const size_t at = next.find("/Users?");
  ASSERT_NE(at, std::string::npos);
  ServiceCreate other;
  other.sid = "IS" + Hex32('c');
  ASSERT_TRUE(t_->CreateService(other).ok());
  ExpectError(Get("/v2/Services/" + other.sid + next.substr(at)), 400, 20001);
}

// ---- update / delete -------------------------------------------------------------

TEST_F(RestFacadeTest, Update) {
  const std::string sid = CreateOk("Identity=alice&Attributes=%7B%22a%22%3A1%7D");
  t_.clock->Advance(60);
  Response r = Post(std::string(kUsers) + "/alice", "FriendlyName=Bob");
  ASSERT_EQ(r.status, 200) << r.body;
  Json j(r.body);
  EXPECT_EQ(j.Str("/sid"), sid);
  EXPECT_EQ(j.Str("/friendly_name"), "Bob");
  EXPECT_EQ(j.Str("/attributes"), "{\"a\":1}");  // unchanged
  EXPECT_EQ(j.Str("/date_created"), "2016-03-24T21:05:19Z");
  EXPECT_EQ(j.Str("/date_updated"), "2016-03-24T21:06:19Z");

  r = Post(std::string(kUsers) + "/" + sid,
           "Attributes=%7B%22b%22%3A2%7D&RoleSid=" + std::string(kRoleSid));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r.body).Str("/attributes"), "{\"b\":2}");
  EXPECT_EQ(Json(r.body).Str("/role_sid"), kRoleSid);
  EXPECT_EQ(Json(r.body).Str("/friendly_name"), "Bob");

  r = Post(std::string(kUsers) + "/alice", "FriendlyName=");  // clears
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(Json(r.body).IsNull("/friendly_name"));
  r = Post(std::string(kUsers) + "/alice", "FriendlyName=Z");
  ASSERT_EQ(r.status, 200);
  r = Post(std::string(kUsers) + "/alice", "FriendlyName");  // valueless: empty
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(Json(r.body).IsNull("/friendly_name"));

  // A fetch sees the update.
  r = Get(std::string(kUsers) + "/alice");
  EXPECT_EQ(Json(r.body).Str("/attributes"), "{\"b\":2}");
}

TEST_F(RestFacadeTest, UpdateWithoutParameters) {
  CreateOk("Identity=alice");
  ExpectError(Post(std::string(kUsers) + "/alice", ""), 400, 20161);
  ExpectError(Post(std::string(kUsers) + "/alice", "Identity=x&Other=y"), 400, 20161);
}

TEST_F(RestFacadeTest, DeleteThen404) {
  const std::string sid = CreateOk("Identity=alice");
  Response r = Do("DELETE", std::string(kUsers) + "/alice");
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.headers.empty());
  const std::string message =
      std::string("The requested resource /Services/") + kServiceSid + "/Users/alice was not found";
  ExpectError(Get(std::string(kUsers) + "/alice"), 404, 20404, message);
  ExpectError(Do("DELETE", std::string(kUsers) + "/alice"), 404, 20404, message);
  ExpectError(Post(std::string(kUsers) + "/alice", "FriendlyName=x"), 404, 20404, message);
  ExpectError(Get(std::string(kUsers) + "/" + sid), 404, 20404,
              std::string("The requested resource /Services/") + kServiceSid + "/Users/" + sid +
                  " was not found");
  // The identity is free again; a re-create gets a new SID.
  const std::string again = CreateOk("Identity=alice");
  EXPECT_NE(again, sid);
}

// ---- behaviour.md §4 error rows -------------------------------------------------

TEST_F(RestFacadeTest, ServiceUnknown) {
  const std::string unknown = "IS" + Hex32('f');
  for (const std::string& path :
       {"/v2/Services/" + unknown, "/v2/Services/" + unknown + "/Users",
        "/v2/Services/" + unknown + "/Users/alice", "/v2/Services/" + unknown + "/Roles",
        std::string("/v2/Services/ISnotasid/Users")}) {
    SCOPED_TRACE(path);
    ExpectError(Get(path), 404, 20404,
                "The requested resource " + path.substr(3) + " was not found");
  }
  // Checked before the body: 404, not a missing-Identity 400.
  ExpectError(Post("/v2/Services/" + unknown + "/Users", ""), 404, 20404);
  ExpectError(Do("DELETE", "/v2/Services/" + unknown + "/Users/x"), 404, 20404);
}

TEST_F(RestFacadeTest, UserNotFoundMessageEchoesDecodedKeyEscaped) {
  ExpectError(Get(std::string(kUsers) + "/team%2Fbob"), 404, 20404,
              std::string("The requested resource /Services/") + kServiceSid +
                  "/Users/team/bob was not found");
  Response r = Get(std::string(kUsers) + "/a%22b%5C%0A%3Cc%3E");  // a"b\<newline><c>
  ExpectError(r, 404, 20404,
              std::string("The requested resource /Services/") + kServiceSid +
                  "/Users/a\"b\\\n<c> was not found");
  // The Service as addressed (upper-case hex), not the Store's spelling.
  const std::string upper = "IS" + Hex32('A');
  ExpectError(Get("/v2/Services/" + upper + "/Users/nobody"), 404, 20404,
              "The requested resource /Services/" + upper + "/Users/nobody was not found");
}

TEST_F(RestFacadeTest, InvalidUtf8KeyStillGetsJsonBody) {
  Response r = Get(std::string(kUsers) + "/%FF%FE");
  EXPECT_EQ(r.status, 404);
  Json j(r.body);  // must be valid JSON whatever the renderer does with the bytes
  if (j.ok()) {
    EXPECT_EQ(j.Int("/code"), 20404);
  }
}

// One bad byte in an echoed key replaces only itself: the key's valid
// non-ASCII text is kept.
TEST_F(RestFacadeTest, InvalidUtf8InKeyKeepsTheValidText) {
  Response r = Get(std::string(kUsers) + "/caf%C3%A9%FF%E6%97%A5");
  ExpectError(r, 404, 20404,
              std::string("The requested resource /Services/") + kServiceSid +
                  "/Users/caf\xC3\xA9\xEF\xBF\xBD\xE6\x97\xA5 was not found");
}

TEST_F(RestFacadeTest, IdentityErrors) {
  const int64_t before = CountUsers();
  ExpectError(Create(""), 400, 20001, "Missing required parameter Identity in the post body");
  ExpectError(Create("FriendlyName=x"), 400, 20001,
              "Missing required parameter Identity in the post body");
  ExpectError(Create("Identity="), 400, 50204);
  ExpectError(Create("Identity"), 400, 50204);
  ExpectError(Create("Identity=US" + Hex32('a')), 400, 50206);
  EXPECT_EQ(Create("Identity=us" + Hex32('a')).status, 201);  // "us": not a SID shape
  ExpectError(Create("Identity=%FF"), 400, 20001);
  ExpectError(Create("Identity=a%00b"), 400, 20001);
  std::string too_long;
  for (int i = 0; i < 257; ++i) too_long += "%C3%A9";  // 257 code points, 514 bytes
  ExpectError(Create("Identity=" + too_long), 400, 50207);
  EXPECT_EQ(CountUsers(), before + 1);   // only the "us…" identity was created
  too_long.resize(too_long.size() - 6);  // 256: accepted
  EXPECT_EQ(Create("Identity=" + too_long).status, 201);
}

TEST_F(RestFacadeTest, DuplicateIdentity) {
  CreateOk("Identity=alice");
  ExpectError(Create("Identity=alice"), 409, 50201, "User already exists");
  EXPECT_EQ(Create("Identity=Alice").status, 201);  // case-sensitive
}

TEST_F(RestFacadeTest, FriendlyNameErrors) {
  ExpectError(Create("Identity=a&FriendlyName=%FF"), 400, 20001);
  ExpectError(Create("Identity=a&FriendlyName=x%00"), 400, 20001);
  ExpectError(Create("Identity=a&FriendlyName=" + std::string(257, 'x')), 400, 50003);
  EXPECT_EQ(Create("Identity=a&FriendlyName=" + std::string(256, 'x')).status, 201);
  ExpectError(Post(std::string(kUsers) + "/a", "FriendlyName=" + std::string(257, 'y')), 400,
              50003);
}

TEST_F(RestFacadeTest, AttributesErrors) {
  // 16,385 bytes: {"a":"xxx…"} sent raw (its bytes need no escaping).
  std::string big = "{\"a\":\"" + std::string(16385 - 8, 'x') + "\"}";
  ASSERT_EQ(big.size(), 16385u);
  ExpectError(Create("Identity=a&Attributes=" + big), 400, 50303);
  big.erase(6, 1);  // 16,384: accepted
  EXPECT_EQ(Create("Identity=a&Attributes=" + big).status, 201);
  ExpectError(Create("Identity=b&Attributes=%5B1%5D"), 400, 50304);  // [1]
  ExpectError(Create("Identity=b&Attributes=nope"), 400, 50304);
  ExpectError(Create("Identity=b&Attributes="), 400, 50304);
  ExpectError(Create("Identity=b&Attributes=%7B%22a%22%3A%22%5CuD800%22%7D"), 400,
              50304);  // lone surrogate escape
  std::string deep;
  for (int i = 0; i < 129; ++i) deep += "{\"a\":";
  deep += "1" + std::string(129, '}');
  ExpectError(Create("Identity=b&Attributes=" + deep), 400, 50304);
  ExpectError(Post(std::string(kUsers) + "/a", "Attributes=%5B%5D"), 400, 50304);
}

TEST_F(RestFacadeTest, RoleErrors) {
  ExpectError(Create("Identity=a&RoleSid=RLxyz"), 400, 20001);
  ExpectError(Create("Identity=a&RoleSid="), 400, 20001);
  ExpectError(Create("Identity=a&RoleSid=RL" + Hex32('9')), 400, 50100);
  absl::StatusOr<std::vector<Role>> roles = t_->ListRoles(kServiceSid);
  ASSERT_TRUE(roles.ok());
  std::string channel_role;
  for (const Role& role : *roles) {
    if (role.type == RoleScope::kChannel) channel_role = role.sid;
  }
  ASSERT_FALSE(channel_role.empty());
  ExpectError(Create("Identity=a&RoleSid=" + channel_role), 400, 50105);
  CreateOk("Identity=a");
  ExpectError(Post(std::string(kUsers) + "/a", "RoleSid=" + channel_role), 400, 50105);
}

// ---- routing --------------------------------------------------------------------

TEST_F(RestFacadeTest, UnknownPaths404) {
  ExpectError(Get("/v2/Nope"), 404, 20404, "The requested resource /Nope was not found");
  ExpectError(Get("/v1/Services"), 404, 20404, "The requested resource /v1/Services was not found");
  ExpectError(Get("/"), 404, 20404, "The requested resource / was not found");
  ExpectError(Get("/v2"), 404, 20404, "The requested resource / was not found");
  ExpectError(Get(std::string(kUsers) + "/"), 404, 20404);   // trailing slash
  EXPECT_EQ(Get(std::string(kUsers) + "?x=1").status, 200);  // unknown query ignored
  ExpectError(
      Get("/v2/Services/" + std::string(kServiceSid) + "/Channels"), 404, 20404,
      std::string("The requested resource /Services/") + kServiceSid + "/Channels was not found");
  ExpectError(Get("/v2/services/" + std::string(kServiceSid)), 404, 20404);
  ExpectError(Get("/v2/Services/" + std::string(kServiceSid) + "/Users/a/Channels"), 404, 20404);
  ExpectError(Get("/v2/Services"), 404, 20404);
}

TEST_F(RestFacadeTest, WrongMethod405) {
  struct Case {
    const char* method;
    std::string target;
    const char* allow;
  };
  const std::string service = std::string("/v2/Services/") + kServiceSid;
  for (const Case& c :
       {Case{"PUT", kUsers, "GET, HEAD, POST"}, Case{"DELETE", kUsers, "GET, HEAD, POST"},
        Case{"POST", service, "GET, HEAD"}, Case{"DELETE", service + "/Roles", "GET, HEAD"},
        Case{"PATCH", std::string(kUsers) + "/alice", "GET, HEAD, POST, DELETE"},
        Case{"get", kUsers, "GET, HEAD, POST"}, Case{"head", kUsers, "GET, HEAD, POST"}}) {
    SCOPED_TRACE(std::string(c.method) + " " + c.target);
    Response r = Do(c.method, c.target, "Identity=x");
    ExpectError(r, 405, 20001);
    ASSERT_EQ(r.headers.size(), 2u);
    EXPECT_EQ(r.headers[1].first, "Allow");
    EXPECT_EQ(r.headers[1].second, c.allow);
  }
  EXPECT_EQ(CountUsers(), 0);
  // An unknown path is 404 whatever the method.
  ExpectError(Do("PUT", "/v2/Nope"), 404, 20404);
}

// RFC 9110 §9.3.2: HEAD is served wherever GET is, with GET's status and
// headers and no content; it changes nothing.
TEST_F(RestFacadeTest, HeadIsGetWithoutContent) {
  CreateOk("Identity=alice");
  const std::string service = std::string("/v2/Services/") + kServiceSid;
  const std::string other = "/v2/Services/IS" + Hex32('f');
  for (const std::string& target :
       {std::string(kUsers), std::string(kUsers) + "?PageSize=1", std::string(kUsers) + "/alice",
        service, service + "/Roles",
        // errors too: unknown user, unknown Service, bad query, unknown path
        std::string(kUsers) + "/nobody", other + "/Users", std::string(kUsers) + "?PageSize=0",
        std::string("/v2/Nope")}) {
    SCOPED_TRACE(target);
    const Response get = Get(target);
    const Response head = Do("HEAD", target, "Identity=x");
    EXPECT_EQ(head.status, get.status);
    EXPECT_EQ(head.headers, get.headers);
    EXPECT_EQ(head.body, "");
    EXPECT_FALSE(get.body.empty());
  }
  EXPECT_EQ(Do("HEAD", std::string(kUsers) + "/alice").status, 200);
  EXPECT_EQ(Do("HEAD", std::string(kUsers) + "/nobody").status, 404);
  EXPECT_EQ(CountUsers(), 1);  // HEAD with a body never creates
}

TEST_F(RestFacadeTest, ServiceAndRoles) {
  Response r = Get(std::string("/v2/Services/") + kServiceSid);
  ASSERT_EQ(r.status, 200) << r.body;
  Json j(r.body);
  EXPECT_EQ(j.Str("/sid"), kServiceSid);
  EXPECT_EQ(j.Str("/account_sid"), kAccountSid);
  absl::StatusOr<Service> service = t_->FetchService(kServiceSid);
  ASSERT_TRUE(service.ok());
  EXPECT_EQ(j.Str("/default_service_role_sid"), service->default_service_role_sid);

  r = Get(std::string("/v2/Services/") + kServiceSid + "/Roles");
  ASSERT_EQ(r.status, 200) << r.body;
  Json roles(r.body);
  EXPECT_EQ(roles.ArraySize("/roles"), 5u);  // four defaults + kRoleSid
  EXPECT_EQ(roles.Str("/meta/key"), "roles");
  EXPECT_EQ(roles.Str("/roles/4/sid"), kRoleSid);
}

// ---- headers and bounds -----------------------------------------------------------

TEST_F(RestFacadeTest, WebhookHeader) {
  std::vector<UserEvent::Type> events;
  t_->AddPostEventListener([&events](const UserEvent& e) { events.push_back(e.type); });
  CreateOk("Identity=quiet");
  EXPECT_TRUE(events.empty());
  ASSERT_EQ(Create("Identity=loud", {{"x-twilio-webhook-enabled", "true"}}).status, 201);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], UserEvent::Type::kUserAdded);
  ASSERT_EQ(Create("Identity=off", {{"X-Twilio-Webhook-Enabled", "false"}}).status, 201);
  EXPECT_EQ(events.size(), 1u);
  ASSERT_EQ(
      Post(std::string(kUsers) + "/quiet", "FriendlyName=q", {{"X-Twilio-Webhook-Enabled", "True"}})
          .status,
      200);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1], UserEvent::Type::kUserUpdated);
  // Optional whitespace around the value is not part of it (RFC 9110 §5.5).
  ASSERT_EQ(Create("Identity=padded", {{"X-Twilio-Webhook-Enabled", " true"}}).status, 201);
  ASSERT_EQ(Post(std::string(kUsers) + "/padded", "FriendlyName=p",
                 {{"X-Twilio-Webhook-Enabled", "\ttrue "}})
                .status,
            200);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[2], UserEvent::Type::kUserAdded);
  EXPECT_EQ(events[3], UserEvent::Type::kUserUpdated);
  ASSERT_EQ(Create("Identity=padded-off", {{"X-Twilio-Webhook-Enabled", "false\t"}}).status, 201);
  EXPECT_EQ(events.size(), 4u);
  const int64_t before = CountUsers();
  ExpectError(Create("Identity=bad", {{"X-Twilio-Webhook-Enabled", "\ntrue"}}), 400, 20001);
  ExpectError(Create("Identity=bad", {{"X-Twilio-Webhook-Enabled", "yes"}}), 400, 20001);
  EXPECT_EQ(CountUsers(), before);
  EXPECT_EQ(events.size(), 4u);
}

TEST_F(RestFacadeTest, RequestBounds) {
  using internal::kMaxBodyBytes;
  using internal::kMaxHeaders;
  using internal::kMaxTargetBytes;
  // Target: 8 KiB accepted (an unknown user), one byte more rejected.
  std::string target = std::string(kUsers) + "/";
  target += std::string(kMaxTargetBytes - target.size(), 'k');
  EXPECT_EQ(Get(target).status, 404);
  ExpectError(Get(target + "k"), 400, 20001, "Request target too long (limit 8192 bytes)");
  // Body: 64 KiB accepted (padded with an ignored parameter).
  std::string body = "Identity=big&Pad=";
  body += std::string(kMaxBodyBytes - body.size(), 'p');
  EXPECT_EQ(Create(body).status, 201);
  ExpectError(Create(body + "p"), 400, 20001, "Request body too long (limit 65536 bytes)");
  // Headers: 100 accepted, 101 rejected.
  Headers headers(kMaxHeaders, {"X-Pad", "1"});
  EXPECT_EQ(Create("Identity=h", headers).status, 201);
  headers.emplace_back("X-Pad", "1");
  ExpectError(Create("Identity=h2", headers), 400, 20001, "Too many request headers (limit 100)");
  // Parameters: 64 in a body accepted, 65 rejected; the same for a query.
  std::string params = "Identity=p64";
  for (int i = 1; i < 64; ++i) params += "&x=1";
  EXPECT_EQ(Create(params).status, 201);
  ExpectError(Create(params + "&x=1"), 400, 20001, "Too many parameters (limit 64)");
  std::string query = "?PageSize=1";
  for (int i = 1; i < 64; ++i) query += "&x=1";
  EXPECT_EQ(Get(std::string(kUsers) + query).status, 200);
  ExpectError(Get(std::string(kUsers) + query + "&x=1"), 400, 20001);
}

// ---- base paths and auto-created Services ---------------------------------------

class RestFacadeRootBaseTest : public RestFacadeTest {
 protected:
  RestFacadeRootBaseTest() : RestFacadeTest(Options()) {}
  static StoreOptions Options() {
    StoreOptions o;
    o.base_url = "http://localhost:8080";
    return o;
  }
};

TEST_F(RestFacadeRootBaseTest, EmptyBasePath) {
  const std::string users = std::string("/Services/") + kServiceSid + "/Users";
  Response r = Post(users, "Identity=root");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string sid = Json(r.body).Str("/sid");
  EXPECT_EQ(Json(r.body).Str("/url"), "http://localhost:8080" + users + "/" + sid);
  EXPECT_EQ(Get(users + "/root").status, 200);
  ExpectError(Get(std::string("/v2") + users + "/root"), 404, 20404,
              "The requested resource /v2" + users + "/root was not found");
}

class RestFacadeLongBaseTest : public RestFacadeTest {
 protected:
  RestFacadeLongBaseTest() : RestFacadeTest(Options()) {}
  static StoreOptions Options() {
    StoreOptions o;
    o.base_url = "https://example.com/api/chat/v2";
    return o;
  }
};

TEST_F(RestFacadeLongBaseTest, LongerBasePath) {
  const std::string users = std::string("/Services/") + kServiceSid + "/Users";
  EXPECT_EQ(Post("/api/chat/v2" + users, "Identity=x").status, 201);
  EXPECT_EQ(Get("/api/chat/v2" + users + "/x").status, 200);
  ExpectError(Get("/v2" + users + "/x"), 404, 20404);
  ExpectError(Get("/api/chat/v2/Nope"), 404, 20404, "The requested resource /Nope was not found");
  // Paging links carry the base path and are followable.
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(Post("/api/chat/v2" + users, "Identity=y" + std::to_string(i)).status, 201);
  Response r = Get("/api/chat/v2" + users + "?PageSize=2");
  ASSERT_EQ(r.status, 200);
  std::string next = Json(r.body).Str("/meta/next_page_url");
  ASSERT_EQ(next.rfind("https://example.com/api/chat/v2/Services/", 0), 0u) << next;
  r = Get(next.substr(std::string("https://example.com").size()));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r.body).Str("/users/0/identity"), "y1");
}

// ---- bodies rendered in place (issue 12) ------------------------------------------

// The facade renders fetches and list pages from the stored records (no User
// in between, no UTF-8 check of texts the Store validated): the bodies are
// byte for byte UserJson / PageJson of the Store's own copies.
TEST_F(RestFacadeTest, BodiesAreTheRenderersOfTheStoredUsers) {
  const std::vector<UserCreate> creates = {
      {"plain", std::nullopt, std::nullopt, std::nullopt, false},
      {"quote\"back\\slash\ttab", std::nullopt, R"({"bio":"line\nbreak \"q\" \u0001"})",
       "Name \"with\" \\ escapes\x01\x1f", false},
      {"\xC3\xA9l\xC3\xA8ve-\xE2\x80\xA8-\xF0\x9F\x98\x80", std::nullopt,
       "{\"emoji\":\"\xF0\x9F\x98\x80\",\"long\":\"" + std::string(300, 'x') + "\"}",
       "\xE6\x97\xA5\xE6\x9C\xAC", false},
      {"no-name", std::nullopt, "{}", std::nullopt, false},
      {"long-name", std::nullopt, std::nullopt, std::string(200, 'n'), false},
  };
  for (const UserCreate& c : creates) ASSERT_OK(t_->CreateUser(kServiceSid, c));
  ASSERT_OK(t_->SetUserOnline(kServiceSid, "plain", true));
  const std::string upper = "/v2/Services/IS" + std::string(32, 'A');
  for (const UserCreate& c : creates) {
    SCOPED_TRACE(c.identity);
    ASSERT_OK_AND_ASSIGN(User user, t_->FetchUser(kServiceSid, c.identity));
    const std::string expected = UserJson(user, kBase);
    Response r = Get(std::string(kUsers) + "/" + user.sid);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, expected);
    // By identity, and with the Service SID in uppercase hex.
    std::string encoded;
    for (char ch : c.identity) {
      encoded += absl::StrFormat("%%%02X", static_cast<unsigned char>(ch));
    }
    EXPECT_EQ(Get(std::string(kUsers) + "/" + encoded).body, expected);
    EXPECT_EQ(Get(upper + "/Users/" + user.sid).body, expected);
  }
  // Pages: first, middle (both links) and last, and with the uppercase SID
  // (links in the canonical spelling, as the Store's Service has it).
  PageRequest request;
  request.page_size = 2;
  Page expected;
  for (int page = 0; page < 3; ++page) {  // 5 users: 2, 2, 1
    SCOPED_TRACE(page);
    ASSERT_OK_AND_ASSIGN(expected, t_->ListUsers(kServiceSid, request));
    std::string query = "?PageSize=2&Page=" + std::to_string(page);
    if (!request.page_token.empty()) query += "&PageToken=" + request.page_token;
    Response r = Get(std::string(kUsers) + query);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, PageJson(expected, kServiceSid, kBase));
    EXPECT_EQ(Get(upper + "/Users" + query).body, r.body);
    request.page_token = expected.next_page_token;
    request.page = page + 1;
  }
  // A previous page (read backwards by the Store, shown in page order).
  EXPECT_TRUE(expected.next_page_token.empty());
  request.page_token = expected.previous_page_token;
  request.page = 1;
  ASSERT_FALSE(request.page_token.empty());
  ASSERT_OK_AND_ASSIGN(Page previous, t_->ListUsers(kServiceSid, request));
  Response r = Get(std::string(kUsers) + "?PageSize=2&Page=1&PageToken=" + request.page_token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, PageJson(previous, kServiceSid, kBase));
  // An empty Service's page.
  const std::string empty = "IS" + Hex32('e');
  ServiceCreate create_empty;
  create_empty.sid = empty;
  ASSERT_OK(t_->CreateService(create_empty));
  ASSERT_OK_AND_ASSIGN(Page none, t_->ListUsers(empty, PageRequest()));
  EXPECT_EQ(Get("/v2/Services/" + empty + "/Users").body, PageJson(none, empty, kBase));
  // Create and update bodies too.
  r = Create("Identity=made&FriendlyName=%22F%22&Attributes=%7B%22a%22%3A%22%5Cn%22%7D");
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_OK_AND_ASSIGN(User made, t_->FetchUser(kServiceSid, "made"));
  EXPECT_EQ(r.body, UserJson(made, kBase));
  r = Post(std::string(kUsers) + "/made", "FriendlyName=%C3%A9");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_OK_AND_ASSIGN(made, t_->FetchUser(kServiceSid, "made"));
  EXPECT_EQ(r.body, UserJson(made, kBase));
}

// The user routes no longer fetch the Service first, yet its 404 still comes
// before the facade's own checks (docs/rest.md's order), with the same body.
TEST_F(RestFacadeTest, UnknownServiceComesBeforeTheFacadesChecks) {
  const std::string unknown = "/v2/Services/IS" + Hex32('f');
  const std::string message_users =
      "The requested resource /Services/IS" + Hex32('f') + "/Users was not found";
  const std::string message_user =
      "The requested resource /Services/IS" + Hex32('f') + "/Users/alice was not found";
  const Headers bad_header = {{"X-Twilio-Webhook-Enabled", "maybe"}};
  ExpectError(Get(unknown + "/Users?PageSize=0"), 404, 20404, message_users);
  ExpectError(Get(unknown + "/Users?Page=2"), 404, 20404, message_users);
  ExpectError(Get(unknown + "/Users?PageToken=nope"), 404, 20404, message_users);
  ExpectError(Post(unknown + "/Users", "Identity=%zz"), 404, 20404, message_users);
  ExpectError(Post(unknown + "/Users", "FriendlyName=x"), 404, 20404, message_users);
  ExpectError(Post(unknown + "/Users", "Identity=a", bad_header), 404, 20404, message_users);
  ExpectError(Post(unknown + "/Users/alice", "FriendlyName=%zz"), 404, 20404, message_user);
  ExpectError(Post(unknown + "/Users/alice", "FriendlyName=x", bad_header), 404, 20404,
              message_user);
  ExpectError(Post(unknown + "/Users/alice", ""), 404, 20404, message_user);
  ExpectError(Get(unknown + "/Users/alice"), 404, 20404, message_user);
  EXPECT_EQ(Do("HEAD", unknown + "/Users/alice").status, 404);
  // The same checks in a Service that exists answer for themselves.
  ExpectError(Get(std::string(kUsers) + "?PageSize=0"), 400, 20001);
  ExpectError(Post(std::string(kUsers), "Identity=%zz"), 400, 20001);
  ExpectError(Post(std::string(kUsers), "Identity=a", bad_header), 400, 20001);
  ExpectError(Post(std::string(kUsers) + "/alice", "FriendlyName=x", bad_header), 400, 20001);
}

class RestFacadeAutoCreateTest : public RestFacadeTest {
 protected:
  RestFacadeAutoCreateTest() : RestFacadeTest({}, FacadeOptions{true}) {}
};

TEST_F(RestFacadeAutoCreateTest, WellFormedUnknownServiceIsCreated) {
  const std::string sid = "IS" + Hex32('d');
  EXPECT_FALSE(t_->FetchService(sid).ok());
  Response r = Post("/v2/Services/" + sid + "/Users", "Identity=auto");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Json(r.body).Str("/service_sid"), sid);
  absl::StatusOr<Service> service = t_->FetchService(sid);
  ASSERT_TRUE(service.ok());
  EXPECT_EQ(Json(r.body).Str("/role_sid"), service->default_service_role_sid);
  // Later requests use the same Service.
  EXPECT_EQ(Get("/v2/Services/" + sid + "/Users/auto").status, 200);
  // Reads and deletes never create a Service.
  const std::string other = "IS" + Hex32('e');
  ExpectError(Get("/v2/Services/" + other + "/Roles"), 404, 20404);
  ExpectError(Get("/v2/Services/" + other + "/Users/auto"), 404, 20404);
  ExpectError(Get("/v2/Services/" + other), 404, 20404);
  EXPECT_EQ(Do("DELETE", "/v2/Services/" + other + "/Users/auto").status, 404);
  EXPECT_FALSE(t_->FetchService(other).ok());
  // Nor do updates, nor creates that fail a check (each answered as the
  // create would be, with nothing made).
  EXPECT_EQ(Post("/v2/Services/" + other + "/Users/auto", "FriendlyName=x").status, 404);
  ExpectError(Post("/v2/Services/" + other + "/Users", "FriendlyName=x"), 400, 20001);
  ExpectError(Post("/v2/Services/" + other + "/Users", "Identity="), 400, 50204);
  ExpectError(Post("/v2/Services/" + other + "/Users", "Identity=a&Attributes=%5B%5D"), 400, 50304);
  ExpectError(Post("/v2/Services/" + other + "/Users", "Identity=a&RoleSid=RL" + Hex32('1')), 400,
              50100);
  ExpectError(Post("/v2/Services/" + other + "/Users", "Identity=a&RoleSid=x"), 400, 20001);
  ExpectError(Post("/v2/Services/" + other + "/Users", "Identity=%zz"), 400, 20001);
  ExpectError(Post("/v2/Services/" + other + "/Users", "Identity=a",
                   {{"X-Twilio-Webhook-Enabled", "maybe"}}),
              400, 20001);
  EXPECT_FALSE(t_->FetchService(other).ok());
  // A create that passes them does.
  EXPECT_EQ(Post("/v2/Services/" + other + "/Users", "Identity=a").status, 201);
  EXPECT_TRUE(t_->FetchService(other).ok());
  // A malformed SID is still unknown.
  ExpectError(Get("/v2/Services/ISnope/Users"), 404, 20404,
              "The requested resource /Services/ISnope/Users was not found");
  ExpectError(Get("/v2/Services/IS" + Hex32('g') + "/Users"), 404, 20404);
}

// The denial of service of issue 10: reads of ever new Service SIDs created
// a Service each. Now reads create nothing, and writes stop at the limit.
class RestFacadeServiceLimitTest : public RestFacadeTest {
 protected:
  static StoreOptions Limited() {
    StoreOptions options;
    options.limits.max_services = 3;  // kServiceSid is the first
    return options;
  }
  RestFacadeServiceLimitTest() : RestFacadeTest(Limited(), FacadeOptions{true}) {}
};

TEST_F(RestFacadeServiceLimitTest, ReadsCreateNothingAndWritesStopAtTheLimit) {
  for (int i = 0; i < 1000; ++i) {
    const std::string sid = absl::StrFormat("IS%032x", 0x1000 + i);
    ASSERT_EQ(Get("/v2/Services/" + sid + "/Users/x").status, 404) << sid;
  }
  EXPECT_FALSE(t_->FetchService(absl::StrFormat("IS%032x", 0x1000)).ok());
  EXPECT_EQ(Post("/v2/Services/IS" + Hex32('1') + "/Users", "Identity=a").status, 201);
  EXPECT_EQ(Post("/v2/Services/IS" + Hex32('2') + "/Users", "Identity=a").status, 201);
  ExpectError(Post("/v2/Services/IS" + Hex32('3') + "/Users", "Identity=a"), 403, 20403,
              "Service limit reached: this Store holds at most 3 Services");
  EXPECT_FALSE(t_->FetchService("IS" + Hex32('3')).ok());
  // The Services that exist keep working.
  EXPECT_EQ(Get("/v2/Services/IS" + Hex32('2') + "/Users/a").status, 200);
}

TEST_F(RestFacadeAutoCreateTest, RacingFirstRequestsAllSucceed) {
  // Several threads hit the same new Service at once: one CreateService wins,
  // the others see AlreadyExists and go on; every create lands in it.
  constexpr int kThreads = 4;
  for (char c : std::string("0123456789")) {
    const std::string users = "/v2/Services/IS" + Hex32(c) + "/Users";
    std::vector<int> statuses(kThreads, 0);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        Request r;
        r.method = "POST";
        r.target = users;
        r.body = "Identity=t" + std::to_string(i);
        statuses[static_cast<size_t>(i)] = facade_.Handle(r).status;
      });
    }
    for (std::thread& th : threads) th.join();
    for (int i = 0; i < kThreads; ++i) EXPECT_EQ(statuses[static_cast<size_t>(i)], 201) << c << i;
    Response r = Get(users);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(Json(r.body).ArraySize("/users"), static_cast<size_t>(kThreads));
  }
}

TEST_F(RestFacadeTest, ConcurrentCreatesOfOneIdentityHaveOneWinner) {
  constexpr int kThreads = 8;
  std::vector<int> statuses(kThreads, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Request r;
      r.method = "POST";
      r.target = kUsers;
      r.body = "Identity=same";
      statuses[static_cast<size_t>(i)] = facade_.Handle(r).status;
    });
  }
  for (std::thread& th : threads) th.join();
  int created = 0, conflicts = 0;
  for (int s : statuses) {
    created += s == 201;
    conflicts += s == 409;
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(conflicts, kThreads - 1);
}

TEST_F(RestFacadeTest, NoAutoCreateByDefault) {
  const std::string sid = "IS" + Hex32('d');
  ExpectError(Post("/v2/Services/" + sid + "/Users", "Identity=auto"), 404, 20404);
  EXPECT_FALSE(t_->FetchService(sid).ok());
}

}  // namespace
}  // namespace userstore
