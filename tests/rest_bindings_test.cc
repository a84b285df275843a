// The REST facade's push Binding routes (src/rest/binding_routes.h), end to
// end over a real Store: Twilio's Chat v2 Binding and User Binding resources
// (list with the BindingType / Identity filters and paging, fetch, delete),
// the registration extension (POST .../Users/{key}/Bindings, only with
// FacadeOptions::enable_extensions), every error and 405, HEAD, and the
// user's is_notifiable following its Bindings. Also the routing of the new
// paths (MatchRoute) and the repeatable query parameters (FindAllParams).
#include <simdjson.h>

#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rest/form.h"
#include "rest/router.h"
#include "tests/support/rest_fixture.h"
#include "tests/support/test_store.h"
#include "userstore/binding.h"
#include "userstore/json.h"
#include "userstore/rest.h"
#include "userstore/store.h"

namespace userstore::testing {
namespace {

constexpr char kService[] = "/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kServiceUrl[] =
    "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kBindings[] = "/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bindings";
constexpr char kCredential[] = "CRaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kUnknownService[] = "/v2/Services/IScccccccccccccccccccccccccccccccc";
constexpr int kBadParam = twilio_code::kInvalidParameter;
constexpr int kNotFound = twilio_code::kNotFound;

std::string UserBindings(std::string_view user) {
  return absl::StrCat(kService, "/Users/", absl::string_view(user.data(), user.size()),
                      "/Bindings");
}

// The keys of a JSON object, in order.
std::vector<std::string> Keys(const std::string& json, std::string_view pointer = "") {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::vector<std::string> keys;
  EXPECT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << json;
  simdjson::dom::object object;
  EXPECT_EQ(root.at_pointer(pointer).get(object), simdjson::SUCCESS) << pointer;
  for (auto field : object) keys.emplace_back(field.key);
  return keys;
}

// The strings of a JSON array of strings.
std::vector<std::string> Strings(const std::string& json, std::string_view pointer) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::vector<std::string> out;
  EXPECT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << json;
  simdjson::dom::array array;
  EXPECT_EQ(root.at_pointer(pointer).get(array), simdjson::SUCCESS) << pointer;
  for (simdjson::dom::element e : array) {
    std::string_view s;
    EXPECT_EQ(e.get(s), simdjson::SUCCESS);
    out.emplace_back(s);
  }
  return out;
}

// A paging URL as a request target (its origin removed).
std::string TargetOf(const std::string& url) {
  const std::string origin = "https://chat.twilio.com";
  EXPECT_EQ(url.substr(0, origin.size()), origin) << url;
  return url.substr(origin.size());
}

FacadeOptions Extensions() {
  FacadeOptions options;
  options.enable_extensions = true;
  return options;
}

const std::vector<std::string> kBindingKeys = {
    "sid",      "account_sid",  "service_sid",    "date_created",  "date_updated", "endpoint",
    "identity", "binding_type", "credential_sid", "message_types", "url",          "links"};
const std::vector<std::string> kUserBindingKeys = {
    "sid",      "account_sid", "service_sid",  "date_created",   "date_updated",  "endpoint",
    "identity", "user_sid",    "binding_type", "credential_sid", "message_types", "url"};
const std::vector<std::string> kMetaKeys = {
    "page", "page_size", "first_page_url", "previous_page_url", "url", "next_page_url", "key"};

// kServiceSid with reachability on (is_notifiable shown) and users alice,
// bob and team/alice, behind a facade with extensions on (facade_) and one
// with them off (plain_).
class RestBindingsTest : public RestFacadeTest {
 protected:
  RestBindingsTest() : RestFacadeTest({}, Extensions()), plain_(t_.store.get()) {}

  void SetUp() override {
    ASSERT_OK(t_->SetReachabilityEnabled(kServiceSid, true));
    alice_ = CreateOk("Identity=alice");
    bob_ = CreateOk("Identity=bob");
    team_ = CreateOk("Identity=team%2Falice");
  }

  // Registers a Binding through the extension; returns its SID.
  std::string Register(std::string_view user, std::string body, int status = 201) {
    Response r = Post(UserBindings(user), body);
    EXPECT_EQ(r.status, status) << body << " -> " << r.body;
    if (r.status != status) return "";
    return Json(r.body).Str("/sid");
  }

  // The Store's Binding `sid` (Service-level lookup).
  Binding Stored(const std::string& sid) {
    absl::StatusOr<Binding> b = t_->FetchBinding(kServiceSid, "", sid);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? *b : Binding();
  }

  // The SIDs a list body shows, in order.
  static std::vector<std::string> Sids(const std::string& body) {
    std::vector<std::string> sids;
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    EXPECT_EQ(parser.parse(body).get(root), simdjson::SUCCESS) << body;
    simdjson::dom::array items;
    EXPECT_EQ(root["bindings"].get(items), simdjson::SUCCESS) << body;
    for (simdjson::dom::element item : items) {
      std::string_view sid;
      EXPECT_EQ(item["sid"].get(sid), simdjson::SUCCESS);
      sids.emplace_back(sid);
    }
    return sids;
  }

  // Walks a list from `first`, following next_page_url verbatim; returns
  // the SIDs of each page.
  std::vector<std::vector<std::string>> Walk(std::string first) {
    std::vector<std::vector<std::string>> pages;
    std::string target = std::move(first);
    for (int guard = 0; guard < 50; ++guard) {
      Response r = Get(target);
      EXPECT_EQ(r.status, 200) << target << " -> " << r.body;
      if (r.status != 200) break;
      Json j(r.body);
      EXPECT_EQ(j.Int("/meta/page"), static_cast<int64_t>(pages.size()));
      pages.push_back(Sids(r.body));
      if (j.IsNull("/meta/next_page_url")) break;
      target = TargetOf(j.Str("/meta/next_page_url"));
    }
    return pages;
  }

  std::optional<bool> Notifiable(const std::string& user) {
    absl::StatusOr<User> u = t_->FetchUser(kServiceSid, user);
    EXPECT_TRUE(u.ok()) << u.status();
    return u.ok() ? u->is_notifiable : std::nullopt;
  }

  RestFacade plain_;
  std::string alice_, bob_, team_;
};

// ---- routing and the query parser ------------------------------------------

TEST(BindingRoutesTest, MatchRouteNewPaths) {
  using internal::MatchRoute;
  using internal::RouteKind;
  const std::vector<std::string> base = {"v2"};
  struct Case {
    std::vector<std::string> segments;
    RouteKind kind;
    std::string user_key, binding_sid;
  };
  const std::vector<Case> cases = {
      {{"v2", "Services", "IS1", "Bindings"}, RouteKind::kBindings, "", ""},
      {{"v2", "Services", "IS1", "Bindings", "BS1"}, RouteKind::kBinding, "", "BS1"},
      {{"v2", "Services", "IS1", "Users", "a/b", "Bindings"}, RouteKind::kUserBindings, "a/b", ""},
      {{"v2", "Services", "IS1", "Users", "u", "Bindings", "BS2"},
       RouteKind::kUserBinding,
       "u",
       "BS2"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.segments.size());
    std::optional<internal::Route> route = MatchRoute(c.segments, base);
    ASSERT_TRUE(route.has_value());
    EXPECT_EQ(route->kind, c.kind);
    EXPECT_EQ(route->service_sid, "IS1");
    EXPECT_EQ(route->user_key, c.user_key);
    EXPECT_EQ(route->binding_sid, c.binding_sid);
  }
  for (const std::vector<std::string>& unknown : std::vector<std::vector<std::string>>{
           {"v2", "Services", "IS1", "Bindings", "BS1", "x"},
           {"v2", "Services", "IS1", "Bindings", ""},
           {"v2", "Services", "IS1", "bindings"},
           {"v2", "Services", "IS1", "Users", "u", "bindings"},
           {"v2", "Services", "IS1", "Users", "u", "Channels"},
           {"v2", "Services", "IS1", "Users", "u", "Bindings", "BS1", "x"},
           {"v2", "Services", "IS1", "Users", "u", "Bindings", ""},
           {"v2", "Services", "IS1", "Roles", "RL1"},
           {"v2", "Services", "IS1", "Bindings", "BS1", "Bindings"}}) {
    EXPECT_FALSE(MatchRoute(unknown, base).has_value()) << unknown.size();
  }
}

TEST(BindingRoutesTest, MethodsAndAllowHeader) {
  using internal::AllowedMethods;
  using internal::MethodAllowed;
  using internal::RouteKind;
  EXPECT_TRUE(MethodAllowed(RouteKind::kBindings, "GET"));
  EXPECT_FALSE(MethodAllowed(RouteKind::kBindings, "POST", /*extensions=*/true));
  EXPECT_TRUE(MethodAllowed(RouteKind::kBinding, "DELETE"));
  EXPECT_FALSE(MethodAllowed(RouteKind::kBinding, "POST", true));
  EXPECT_FALSE(MethodAllowed(RouteKind::kUserBindings, "POST"));
  EXPECT_TRUE(MethodAllowed(RouteKind::kUserBindings, "POST", true));
  EXPECT_FALSE(MethodAllowed(RouteKind::kUserBindings, "DELETE", true));
  EXPECT_TRUE(MethodAllowed(RouteKind::kUserBinding, "HEAD"));
  EXPECT_EQ(AllowedMethods(RouteKind::kBindings), "GET, HEAD");
  EXPECT_EQ(AllowedMethods(RouteKind::kBinding), "GET, HEAD, DELETE");
  EXPECT_EQ(AllowedMethods(RouteKind::kUserBindings), "GET, HEAD");
  EXPECT_EQ(AllowedMethods(RouteKind::kUserBindings, true), "GET, HEAD, POST");
  EXPECT_EQ(AllowedMethods(RouteKind::kUserBinding, true), "GET, HEAD, DELETE");
  // The users' routes are as before, extensions or not.
  EXPECT_EQ(AllowedMethods(RouteKind::kUser, true), "GET, HEAD, POST, DELETE");
}

TEST(BindingRoutesTest, FindAllParamsKeepsEveryOccurrenceInOrder) {
  absl::StatusOr<internal::FormParams> query = internal::ParseForm(
      "BindingType=fcm&Identity=a+b&BindingType=apn&PageSize=2&BindingType=&Identity=%2F", 64);
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(internal::FindAllParams(*query, "BindingType"),
            (std::vector<std::string_view>{"fcm", "apn", ""}));
  EXPECT_EQ(internal::FindAllParams(*query, "Identity"),
            (std::vector<std::string_view>{"a b", "/"}));
  EXPECT_TRUE(internal::FindAllParams(*query, "bindingtype").empty());
  // FindParam still takes the first.
  EXPECT_EQ(internal::FindParam(*query, "BindingType"), std::optional<std::string_view>("fcm"));
}

// ---- registration (the extension) ------------------------------------------

TEST_F(RestBindingsTest, RegisterReturnsTheUserBinding) {
  Response r = Post(UserBindings("alice"),
                    absl::StrCat("BindingType=apn&Address=tok-1&CredentialSid=", kCredential,
                                 "&MessageTypes=new_message&MessageTypes=added_to_channel"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.headers.size(), 1u);  // Content-Type only: Bindings have no ETag
  EXPECT_EQ(Keys(r.body), kUserBindingKeys);
  Json j(r.body);
  const std::string sid = j.Str("/sid");
  EXPECT_EQ(sid.size(), 34u);
  EXPECT_EQ(sid.substr(0, 2), "BS");
  EXPECT_EQ(j.Str("/account_sid"), kAccountSid);
  EXPECT_EQ(j.Str("/service_sid"), kServiceSid);
  EXPECT_EQ(j.Str("/date_created"), "2016-03-24T21:05:19Z");
  EXPECT_EQ(j.Str("/date_updated"), "2016-03-24T21:05:19Z");
  EXPECT_EQ(j.Str("/endpoint"), "tok-1");
  EXPECT_EQ(j.Str("/identity"), "alice");
  EXPECT_EQ(j.Str("/user_sid"), alice_);
  EXPECT_EQ(j.Str("/binding_type"), "apn");
  EXPECT_EQ(j.Str("/credential_sid"), kCredential);
  EXPECT_EQ(Strings(r.body, "/message_types"),
            (std::vector<std::string>{"new_message", "added_to_channel"}));
  EXPECT_EQ(j.Str("/url"), absl::StrCat(kServiceUrl, "/Users/", alice_, "/Bindings/", sid));
  // The body is the renderer's output for the stored Binding.
  EXPECT_EQ(r.body, UserBindingJson(Stored(sid), kBase));
}

TEST_F(RestBindingsTest, RegisteringTheSameAddressAndTypeUpdates) {
  const std::string first =
      Register("alice", "BindingType=fcm&Address=tok&MessageTypes=new_message");
  t_.clock->Advance(60);
  Response again =
      Post(UserBindings(alice_), "BindingType=fcm&Address=tok&MessageTypes=invited_to_channel");
  ASSERT_EQ(again.status, 200) << again.body;
  Json j(again.body);
  EXPECT_EQ(j.Str("/sid"), first);
  EXPECT_EQ(Strings(again.body, "/message_types"),
            (std::vector<std::string>{"invited_to_channel"}));
  EXPECT_TRUE(j.IsNull("/credential_sid"));
  EXPECT_EQ(j.Str("/date_created"), "2016-03-24T21:05:19Z");
  EXPECT_EQ(j.Str("/date_updated"), "2016-03-24T21:06:19Z");
  // Another type at the same address, or another user, is another Binding.
  const std::string gcm = Register("alice", "BindingType=gcm&Address=tok");
  const std::string bobs = Register("bob", "BindingType=fcm&Address=tok");
  EXPECT_NE(gcm, first);
  EXPECT_NE(bobs, first);
  EXPECT_EQ(Sids(Get(kBindings).body), (std::vector<std::string>{first, gcm, bobs}));
}

TEST_F(RestBindingsTest, RegistrationIs405WithoutExtensions) {
  Request request{"POST", UserBindings("alice"), {}, "BindingType=apn&Address=tok"};
  Response r = plain_.Handle(request);
  ExpectError(r, 405, kBadParam);
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[1], (std::pair<std::string, std::string>("Allow", "GET, HEAD")));
  EXPECT_EQ(Sids(Get(kBindings).body), std::vector<std::string>{});
  // With extensions, another method lists POST as allowed.
  Response put = Do("PUT", UserBindings("alice"), "BindingType=apn&Address=tok");
  ExpectError(put, 405, kBadParam);
  ASSERT_EQ(put.headers.size(), 2u);
  EXPECT_EQ(put.headers[1].second, "GET, HEAD, POST");
  // The read routes are served either way.
  EXPECT_EQ(plain_.Handle({"GET", UserBindings("alice"), {}, ""}).status, 200);
}

TEST_F(RestBindingsTest, RegistrationErrors) {
  const std::string u = UserBindings("alice");
  ExpectError(Post(u, "Address=tok"), 400, kBadParam,
              "Missing required parameter BindingType in the post body");
  ExpectError(Post(u, "BindingType=apn"), 400, kBadParam,
              "Missing required parameter Address in the post body");
  for (const char* type : {"APN", "sms", "", "apn%20", "gcm,fcm"}) {
    SCOPED_TRACE(type);
    ExpectError(Post(u, absl::StrCat("BindingType=", type, "&Address=tok")), 400, kBadParam,
                "Invalid BindingType: must be one of apn, gcm, fcm");
  }
  // The Store's own checks: empty or too long address, malformed
  // credential, bad message type, too many message types.
  ExpectError(Post(u, "BindingType=apn&Address="), 400, kBadParam);
  ExpectError(Post(u, "BindingType=apn&Address=" + std::string(1025, 'x')), 400, kBadParam);
  ExpectError(Post(u, "BindingType=apn&Address=tok&CredentialSid=CR123"), 400, kBadParam);
  ExpectError(Post(u, "BindingType=apn&Address=tok&MessageTypes=New-Message"), 400, kBadParam);
  std::string seventeen = "BindingType=apn&Address=tok";
  for (size_t i = 1; i <= 17; ++i)
    absl::StrAppend(&seventeen, "&MessageTypes=t", std::string(i, 'a'));
  ExpectError(Post(u, seventeen), 400, kBadParam);
  ExpectError(Post(u, "BindingType=apn&Address=%zz"), 400, kBadParam);
  // Unknown user: 404 naming the path as addressed; unknown Service first.
  ExpectError(Post(UserBindings("nobody"), "BindingType=apn&Address=tok"), 404, kNotFound,
              "The requested resource /Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/nobody/"
              "Bindings was not found");
  ExpectError(Post(absl::StrCat(kUnknownService, "/Users/alice/Bindings"), "Address=tok"), 404,
              kNotFound);
  ExpectError(Post(absl::StrCat(kUnknownService, "/Users/alice/Bindings"), "x=%zz"), 404,
              kNotFound);
  // Nothing was registered.
  EXPECT_EQ(Sids(Get(kBindings).body), std::vector<std::string>{});
  EXPECT_EQ(Notifiable("alice"), std::nullopt);
}

// ---- fetch ---------------------------------------------------------------

TEST_F(RestBindingsTest, FetchBothShapes) {
  const std::string sid = Register(
      "team%2Falice", absl::StrCat("BindingType=gcm&Address=a%2Bb&CredentialSid=", kCredential,
                                   "&MessageTypes=removed_from_channel"));
  const Binding stored = Stored(sid);

  Response service_level = Get(absl::StrCat(kBindings, "/", sid));
  ASSERT_EQ(service_level.status, 200) << service_level.body;
  EXPECT_EQ(service_level.headers.size(), 1u);
  EXPECT_EQ(Keys(service_level.body), kBindingKeys);
  EXPECT_EQ(Keys(service_level.body, "/links"), std::vector<std::string>{"user"});
  EXPECT_EQ(service_level.body, BindingJson(stored, kBase));
  Json j(service_level.body);
  EXPECT_EQ(j.Str("/endpoint"), "a+b");
  EXPECT_EQ(j.Str("/identity"), "team/alice");
  EXPECT_EQ(j.Str("/url"), absl::StrCat(kServiceUrl, "/Bindings/", sid));
  // links.user names the user by identity (Twilio's examples), one segment.
  EXPECT_EQ(j.Str("/links/user"), absl::StrCat(kServiceUrl, "/Users/team%2Falice"));
  Response user = Get(TargetOf(j.Str("/links/user")));
  ASSERT_EQ(user.status, 200) << user.body;
  EXPECT_EQ(Json(user.body).Str("/sid"), team_);

  // The user's route, by SID and by identity, gives the User Binding.
  for (const std::string& key : {team_, std::string("team%2Falice")}) {
    SCOPED_TRACE(key);
    Response r = Get(absl::StrCat(UserBindings(key), "/", sid));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Keys(r.body), kUserBindingKeys);
    EXPECT_EQ(r.body, UserBindingJson(stored, kBase));
    Response url = Get(TargetOf(Json(r.body).Str("/url")));
    EXPECT_EQ(url.status, 200);
    EXPECT_EQ(url.body, r.body);
  }
  // The Binding SID's hex is matched in either case.
  std::string upper = sid;
  for (size_t i = 2; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_EQ(Get(absl::StrCat(kBindings, "/", upper)).status, 200);
}

TEST_F(RestBindingsTest, FetchErrors) {
  const std::string sid = Register("alice", "BindingType=apn&Address=tok");
  const std::string unknown = "BS" + std::string(32, 'f');
  ExpectError(Get(absl::StrCat(kBindings, "/", unknown)), 404, kNotFound,
              "The requested resource /Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bindings/" +
                  unknown + " was not found");
  ExpectError(Get(absl::StrCat(kBindings, "/BS123")), 404, kNotFound);
  ExpectError(Get(absl::StrCat(kBindings, "/", alice_)), 404, kNotFound);
  // Alice's Binding is not bob's, nor an unknown user's.
  ExpectError(Get(absl::StrCat(UserBindings("bob"), "/", sid)), 404, kNotFound,
              "The requested resource /Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/bob/"
              "Bindings/" +
                  sid + " was not found");
  ExpectError(Get(absl::StrCat(UserBindings("nobody"), "/", sid)), 404, kNotFound);
  ExpectError(Get(absl::StrCat(kUnknownService, "/Bindings/", sid)), 404, kNotFound,
              "The requested resource /Services/IScccccccccccccccccccccccccccccccc/Bindings/" +
                  sid + " was not found");
}

// ---- delete ------------------------------------------------------------------

TEST_F(RestBindingsTest, DeleteThroughEitherRoute) {
  const std::string a = Register("alice", "BindingType=apn&Address=a");
  const std::string b = Register("alice", "BindingType=fcm&Address=b");
  // Under the wrong user: 404, nothing deleted.
  ExpectError(Do("DELETE", absl::StrCat(UserBindings("bob"), "/", a)), 404, kNotFound);
  EXPECT_EQ(Get(absl::StrCat(kBindings, "/", a)).status, 200);

  Response r = Do("DELETE", absl::StrCat(kBindings, "/", a));
  EXPECT_EQ(r.status, 204) << r.body;
  ExpectError(Get(absl::StrCat(kBindings, "/", a)), 404, kNotFound);
  ExpectError(Do("DELETE", absl::StrCat(kBindings, "/", a)), 404, kNotFound);

  r = Do("DELETE", absl::StrCat(UserBindings(alice_), "/", b));
  EXPECT_EQ(r.status, 204) << r.body;
  ExpectError(Get(absl::StrCat(UserBindings("alice"), "/", b)), 404, kNotFound);
  EXPECT_EQ(Sids(Get(kBindings).body), std::vector<std::string>{});
  ExpectError(Do("DELETE", absl::StrCat(kUnknownService, "/Bindings/", b)), 404, kNotFound);
}

// Twilio: true while the user has a registration; the Store shows null for
// a user that never had one, false once its last is gone.
TEST_F(RestBindingsTest, IsNotifiableFollowsTheBindings) {
  EXPECT_EQ(Notifiable("alice"), std::nullopt);
  const std::string a = Register("alice", "BindingType=apn&Address=a");
  EXPECT_EQ(Notifiable("alice"), std::optional<bool>(true));
  EXPECT_EQ(Notifiable("bob"), std::nullopt);
  Response user = Get(std::string(kUsers) + "/alice");
  EXPECT_EQ(user.body.find("\"is_notifiable\":true") != std::string::npos, true) << user.body;
  const std::string b = Register("alice", "BindingType=gcm&Address=a");
  ASSERT_EQ(Do("DELETE", absl::StrCat(kBindings, "/", a)).status, 204);
  EXPECT_EQ(Notifiable("alice"), std::optional<bool>(true));  // b remains
  ASSERT_EQ(Do("DELETE", absl::StrCat(UserBindings("alice"), "/", b)).status, 204);
  EXPECT_EQ(Notifiable("alice"), std::optional<bool>(false));
}

TEST_F(RestBindingsTest, DeletingTheUserDeletesItsBindings) {
  const std::string a = Register("alice", "BindingType=apn&Address=a");
  const std::string b = Register("bob", "BindingType=apn&Address=a");
  ASSERT_EQ(Do("DELETE", std::string(kUsers) + "/alice").status, 204);
  ExpectError(Get(absl::StrCat(kBindings, "/", a)), 404, kNotFound);
  EXPECT_EQ(Sids(Get(kBindings).body), std::vector<std::string>{b});
  ExpectError(Get(UserBindings("alice")), 404, kNotFound);
}

// ---- lists -------------------------------------------------------------------

TEST_F(RestBindingsTest, ServiceListShapeAndFilters) {
  const std::string a1 = Register("alice", "BindingType=apn&Address=1");
  const std::string b1 = Register("bob", "BindingType=gcm&Address=2");
  const std::string a2 = Register("alice", "BindingType=fcm&Address=3");
  const std::string t1 = Register("team%2Falice", "BindingType=apn&Address=4");

  Response all = Get(kBindings);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.headers.size(), 1u);
  EXPECT_EQ(Keys(all.body), (std::vector<std::string>{"meta", "bindings"}));
  EXPECT_EQ(Keys(all.body, "/meta"), kMetaKeys);
  EXPECT_EQ(Keys(all.body, "/bindings/0"), kBindingKeys);
  EXPECT_EQ(Sids(all.body), (std::vector<std::string>{a1, b1, a2, t1}));
  Json j(all.body);
  EXPECT_EQ(j.Int("/meta/page"), 0);
  EXPECT_EQ(j.Int("/meta/page_size"), 50);
  EXPECT_EQ(j.Str("/meta/key"), "bindings");
  EXPECT_EQ(j.Str("/meta/first_page_url"),
            absl::StrCat(kServiceUrl, "/Bindings?PageSize=50&Page=0"));
  EXPECT_EQ(j.Str("/meta/url"), absl::StrCat(kServiceUrl, "/Bindings?PageSize=50&Page=0"));
  EXPECT_TRUE(j.IsNull("/meta/previous_page_url"));
  EXPECT_TRUE(j.IsNull("/meta/next_page_url"));

  struct Case {
    std::string query;
    std::vector<std::string> sids;
  };
  const std::vector<Case> cases = {
      {"BindingType=apn", {a1, t1}},
      {"BindingType=fcm&BindingType=gcm", {b1, a2}},
      {"Identity=alice", {a1, a2}},
      {"Identity=alice&Identity=bob", {a1, b1, a2}},
      {"Identity=team%2Falice&BindingType=apn", {t1}},
      {"Identity=alice&BindingType=gcm", {}},
      {"Identity=nobody", {}},
      {"Identity=ALICE", {}},                                // identities are case-sensitive
      {"identity=alice&bindingtype=apn", {a1, b1, a2, t1}},  // names are case-sensitive
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.query);
    Response r = Get(absl::StrCat(kBindings, "?", c.query));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Sids(r.body), c.sids);
  }
  // The filters are echoed into every link (types first, then identities),
  // values percent-encoded.
  Response filtered =
      Get(absl::StrCat(kBindings, "?Identity=team%2Falice&BindingType=fcm&BindingType=apn"));
  EXPECT_EQ(Json(filtered.body).Str("/meta/url"),
            absl::StrCat(kServiceUrl,
                         "/Bindings?BindingType=fcm&BindingType=apn&Identity=team%2Falice"
                         "&PageSize=50&Page=0"));
  EXPECT_EQ(Get(TargetOf(Json(filtered.body).Str("/meta/url"))).body, filtered.body);
  // A bad BindingType is 400, after the Service.
  ExpectError(Get(absl::StrCat(kBindings, "?BindingType=apn&BindingType=sms")), 400, kBadParam,
              "Invalid BindingType: must be one of apn, gcm, fcm");
  ExpectError(Get(absl::StrCat(kBindings, "?BindingType=")), 400, kBadParam);
  ExpectError(Get(absl::StrCat(kUnknownService, "/Bindings?BindingType=sms")), 404, kNotFound,
              "The requested resource /Services/IScccccccccccccccccccccccccccccccc/Bindings was "
              "not found");
}

TEST_F(RestBindingsTest, UserListShapeAndFilter) {
  const std::string a1 = Register("alice", "BindingType=apn&Address=1");
  Register("bob", "BindingType=apn&Address=2");
  const std::string a2 = Register("alice", "BindingType=fcm&Address=3");
  for (const std::string& key : {std::string("alice"), alice_}) {
    SCOPED_TRACE(key);
    Response r = Get(UserBindings(key));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Sids(r.body), (std::vector<std::string>{a1, a2}));
    EXPECT_EQ(Keys(r.body, "/bindings/1"), kUserBindingKeys);
    EXPECT_EQ(Json(r.body).Str("/meta/url"),
              absl::StrCat(kServiceUrl, "/Users/", key, "/Bindings?PageSize=50&Page=0"));
  }
  EXPECT_EQ(Sids(Get(UserBindings("alice") + "?BindingType=fcm").body),
            std::vector<std::string>{a2});
  // Identity is no filter of a user's list (an unknown parameter there).
  Response ignored = Get(UserBindings("alice") + "?Identity=bob");
  EXPECT_EQ(Sids(ignored.body), (std::vector<std::string>{a1, a2}));
  EXPECT_EQ(Json(ignored.body).Str("/meta/url"),
            absl::StrCat(kServiceUrl, "/Users/alice/Bindings?PageSize=50&Page=0"));
  // An uppercase SID is shown as the Store spells it; an identity is
  // percent-encoded.
  std::string upper = alice_;
  for (size_t i = 2; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_EQ(Json(Get(UserBindings(upper)).body).Str("/meta/url"),
            absl::StrCat(kServiceUrl, "/Users/", alice_, "/Bindings?PageSize=50&Page=0"));
  EXPECT_EQ(Json(Get(UserBindings("team%2Falice")).body).Str("/meta/first_page_url"),
            absl::StrCat(kServiceUrl, "/Users/team%2Falice/Bindings?PageSize=50&Page=0"));
  // Errors.
  ExpectError(Get(UserBindings("nobody")), 404, kNotFound,
              "The requested resource /Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/nobody/"
              "Bindings was not found");
  ExpectError(Get(UserBindings("alice") + "?BindingType=APN"), 400, kBadParam);
  ExpectError(Get(UserBindings("alice") + "?PageSize=0"), 400, kBadParam);
}

TEST_F(RestBindingsTest, PagingFollowsLinksWithTheFilters) {
  std::vector<std::string> apn;
  for (int i = 0; i < 5; ++i) {
    apn.push_back(
        Register(i % 2 == 0 ? "alice" : "bob", absl::StrCat("BindingType=apn&Address=p", i)));
    Register("alice", absl::StrCat("BindingType=gcm&Address=g", i));
  }
  const std::vector<std::vector<std::string>> pages =
      Walk(absl::StrCat(kBindings, "?BindingType=apn&PageSize=2"));
  EXPECT_EQ(pages,
            (std::vector<std::vector<std::string>>{{apn[0], apn[1]}, {apn[2], apn[3]}, {apn[4]}}));
  // Page 1's links: previous to page 0, next to page 2, all with the filter.
  Response first = Get(absl::StrCat(kBindings, "?BindingType=apn&PageSize=2"));
  Response second = Get(TargetOf(Json(first.body).Str("/meta/next_page_url")));
  Json j(second.body);
  EXPECT_EQ(j.Int("/meta/page"), 1);
  EXPECT_EQ(j.Int("/meta/page_size"), 2);
  for (const char* link : {"/meta/url", "/meta/previous_page_url", "/meta/next_page_url"}) {
    SCOPED_TRACE(link);
    const std::string url = j.Str(link);
    EXPECT_EQ(url.find(absl::StrCat(kServiceUrl, "/Bindings?BindingType=apn&PageSize=2&Page=")), 0u)
        << url;
    EXPECT_NE(url.find("&PageToken="), std::string::npos);
  }
  EXPECT_EQ(Sids(Get(TargetOf(j.Str("/meta/previous_page_url"))).body),
            (std::vector<std::string>{apn[0], apn[1]}));
  // A user's list pages the same way.
  EXPECT_EQ(Walk(UserBindings("alice") + "?PageSize=4").size(), 2u);  // 3 apn + 5 gcm

  // A token is bound to its list: another filter, the user's list or the
  // other Service's list refuse it.
  const std::string next = Json(first.body).Str("/meta/next_page_url");
  const std::string token = next.substr(next.find("PageToken=") + 10);
  ExpectError(Get(absl::StrCat(kBindings, "?BindingType=gcm&PageSize=2&Page=1&PageToken=", token)),
              400, kBadParam);
  ExpectError(Get(absl::StrCat(UserBindings("alice"), "?BindingType=apn&PageSize=2&Page=1",
                               "&PageToken=", token)),
              400, kBadParam);
  ExpectError(Get(absl::StrCat(kBindings, "?BindingType=apn&Page=1&PageToken=nonsense")), 400,
              kBadParam);
  // A users token is no Bindings token.
  Response users = Get(std::string(kUsers) + "?PageSize=1");
  const std::string user_next = Json(users.body).Str("/meta/next_page_url");
  ExpectError(Get(absl::StrCat(kBindings, "?PageSize=1&Page=1&PageToken=",
                               user_next.substr(user_next.find("PageToken=") + 10))),
              400, kBadParam);
}

TEST_F(RestBindingsTest, PagingParameters) {
  for (int i = 0; i < 3; ++i) Register("alice", absl::StrCat("BindingType=apn&Address=x", i));
  ExpectError(Get(absl::StrCat(kBindings, "?PageSize=0")), 400, kBadParam);
  ExpectError(Get(absl::StrCat(kBindings, "?PageSize=-1")), 400, kBadParam);
  ExpectError(Get(absl::StrCat(kBindings, "?PageSize=x")), 400, kBadParam);
  ExpectError(Get(absl::StrCat(kBindings, "?Page=1")), 400, kBadParam);
  ExpectError(Get(absl::StrCat(kBindings, "?Page=-1")), 400, kBadParam);
  // Twilio's maximum for Bindings is 1000 (twilio_chat_v2.json, ListBinding
  // and ListUserBinding): a larger PageSize is clamped to it, as for users.
  for (const char* size : {"1000", "1001", "99999999999999999999999"}) {
    SCOPED_TRACE(size);
    Response r = Get(absl::StrCat(kBindings, "?PageSize=", size));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Json(r.body).Int("/meta/page_size"), 1000);
    EXPECT_EQ(Sids(r.body).size(), 3u);
  }
  Response r = Get(absl::StrCat(UserBindings("alice"), "?PageSize=5000"));
  EXPECT_EQ(Json(r.body).Int("/meta/page_size"), 1000);
}

TEST_F(RestBindingsTest, ListBodiesAreTheRenderersOfTheStoresPage) {
  Register("alice", "BindingType=apn&Address=1");
  Register("bob", "BindingType=gcm&Address=2");
  BindingListRequest list;
  list.page_size = 1;
  ASSERT_OK_AND_ASSIGN(BindingPage page, t_->ListBindings(kServiceSid, list));
  EXPECT_EQ(Get(absl::StrCat(kBindings, "?PageSize=1")).body,
            BindingPageJson(page, kServiceSid, list, kBase));
  list.user_key = "alice";
  list.binding_types = {BindingType::kApn};
  list.page_size = 0;
  ASSERT_OK_AND_ASSIGN(BindingPage user_page, t_->ListBindings(kServiceSid, list));
  EXPECT_EQ(Get(UserBindings("alice") + "?BindingType=apn").body,
            BindingPageJson(user_page, kServiceSid, list, kBase));
}

// ---- methods, HEAD, unknown paths ------------------------------------------

TEST_F(RestBindingsTest, WrongMethods405WithAllow) {
  const std::string sid = Register("alice", "BindingType=apn&Address=a");
  struct Case {
    std::string method, target, allow;
  };
  const std::vector<Case> cases = {
      {"POST", kBindings, "GET, HEAD"},
      {"DELETE", kBindings, "GET, HEAD"},
      {"POST", absl::StrCat(kBindings, "/", sid), "GET, HEAD, DELETE"},
      {"PUT", absl::StrCat(kBindings, "/", sid), "GET, HEAD, DELETE"},
      {"DELETE", UserBindings("alice"), "GET, HEAD, POST"},
      {"POST", absl::StrCat(UserBindings("alice"), "/", sid), "GET, HEAD, DELETE"},
      {"delete", absl::StrCat(UserBindings("alice"), "/", sid), "GET, HEAD, DELETE"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.method + " " + c.target);
    Response r = Do(c.method, c.target, "BindingType=apn&Address=b");
    ExpectError(r, 405, kBadParam);
    ASSERT_EQ(r.headers.size(), 2u);
    EXPECT_EQ(r.headers[1].first, "Allow");
    EXPECT_EQ(r.headers[1].second, c.allow);
  }
  EXPECT_EQ(Sids(Get(kBindings).body), std::vector<std::string>{sid});
}

TEST_F(RestBindingsTest, HeadIsGetWithoutContent) {
  const std::string sid = Register("alice", "BindingType=apn&Address=a");
  for (const std::string& target :
       {std::string(kBindings), absl::StrCat(kBindings, "/", sid), UserBindings("alice"),
        absl::StrCat(UserBindings("alice"), "/", sid), UserBindings("nobody"),
        absl::StrCat(kBindings, "?BindingType=sms")}) {
    SCOPED_TRACE(target);
    Response get = Get(target);
    Response head = Do("HEAD", target);
    EXPECT_EQ(head.status, get.status);
    EXPECT_EQ(head.headers, get.headers);
    EXPECT_TRUE(head.body.empty());
    EXPECT_FALSE(get.body.empty());
  }
  EXPECT_EQ(Get(absl::StrCat(kBindings, "/", sid)).status, 200);  // HEAD deleted nothing
}

TEST_F(RestBindingsTest, UnknownPaths404) {
  const std::string sid = Register("alice", "BindingType=apn&Address=a");
  for (const std::string& target :
       {absl::StrCat(kBindings, "/"), absl::StrCat(kBindings, "/", sid, "/x"),
        absl::StrCat(kService, "/bindings"), absl::StrCat(UserBindings("alice"), "/"),
        absl::StrCat(UserBindings("alice"), "/", sid, "/User"),
        absl::StrCat(kService, "/Users/alice/Channels")}) {
    SCOPED_TRACE(target);
    ExpectError(Get(target), 404, kNotFound);
  }
}

}  // namespace
}  // namespace userstore::testing
