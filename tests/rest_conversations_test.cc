// The REST facade's Conversations v1 routes (include/userstore/rest.h) over a
// real Store: every route, every error, the field order of Twilio's
// Conversations User and Configuration, Conversations' paging (PageSize
// maximum 50, tokens bound to the API), the cross-API contract (a user made
// through /v2 is the same user, bytes and dates, through /v1 and back), the
// base URL rules of Store::Create, and what is not served (a user's
// Conversations, /v1 Roles). docs/compatibility.md, "Conversations", names
// these tests beside Twilio's behaviour.
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "rest/conversations_router.h"
#include "simdjson.h"
#include "tests/support/rest_fixture.h"
#include "tests/support/test_store.h"
#include "token/page_token.h"
#include "userstore/json.h"
#include "userstore/rest.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::Headers;
using testing::Hex32;
using testing::Json;
using testing::kAccountSid;
using testing::kRoleSid;
using testing::kServiceSid;
using testing::kUsers;
using testing::RestFacadeTest;

constexpr char kConversationsBase[] = "https://conversations.twilio.com/v1";
constexpr char kV1Users[] = "/v1/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users";
constexpr char kOtherService[] = "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

// The keys of the object at `pointer` of `body`, in order.
std::vector<std::string> Keys(const std::string& body, std::string_view pointer = "") {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::vector<std::string> keys;
  if (parser.parse(body).get(root) != simdjson::SUCCESS) return keys;
  simdjson::dom::object object;
  if (root.at_pointer(pointer).get(object) != simdjson::SUCCESS) return keys;
  for (auto field : object) keys.emplace_back(field.key);
  return keys;
}

const std::vector<std::string>& UserKeys() {
  static const auto* keys = new std::vector<std::string>{
      "sid",           "account_sid",   "chat_service_sid", "role_sid",
      "identity",      "friendly_name", "attributes",       "is_online",
      "is_notifiable", "date_created",  "date_updated",     "url",
      "links"};
  return *keys;
}

// The request target of an absolute URL the facade rendered.
std::string TargetOf(const std::string& url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  EXPECT_TRUE(parsed.has_value()) << url;
  if (!parsed) return "";
  const boost::urls::pct_string_view path = parsed->encoded_path();
  std::string target(path.data(), path.size());
  if (parsed->has_query()) {
    const boost::urls::pct_string_view query = parsed->encoded_query();
    target.append("?").append(query.data(), query.size());
  }
  return target;
}

class ConversationsTest : public RestFacadeTest {
 protected:
  ConversationsTest() {
    t_->AddPostEventListener([this](const UserEvent& event) { events_.push_back(event); });
  }

  Response Delete(std::string target, Headers headers = {}) {
    return Do("DELETE", std::move(target), "", std::move(headers));
  }
  // Creates through /v1/Services/{IS}/Users; returns the SID.
  std::string CreateV1(const std::string& body) {
    Response r = Post(kV1Users, body);
    EXPECT_EQ(r.status, 201) << body << " -> " << r.body;
    return Json(r.body).Str("/sid");
  }
  // Makes kServiceSid the Configuration's default Service.
  void ConfigureDefault(std::string_view service_sid = kServiceSid) {
    Response r = Post("/v1/Configuration", "DefaultChatServiceSid=" + std::string(service_sid));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  static std::string ServiceUserUrl(const std::string& sid) {
    return std::string(kConversationsBase) + "/Services/" + kServiceSid + "/Users/" + sid;
  }

  std::vector<UserEvent> events_;
};

// ---- the Service-level routes ------------------------------------------------

TEST_F(ConversationsTest, CreateReturnsConversationsUser) {
  Response r = Post(kV1Users, "Identity=alice&FriendlyName=Alice+A&Attributes=%7B%22k%22%3A1%7D" +
                                  std::string("&RoleSid=") + kRoleSid);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Keys(r.body), UserKeys());
  EXPECT_EQ(Keys(r.body, "/links"), std::vector<std::string>{"user_conversations"});
  Json j(r.body);
  const std::string sid = j.Str("/sid");
  EXPECT_EQ(sid.substr(0, 2), "US");
  EXPECT_EQ(j.Str("/account_sid"), kAccountSid);
  EXPECT_EQ(j.Str("/chat_service_sid"), kServiceSid);
  EXPECT_EQ(j.Str("/role_sid"), kRoleSid);
  EXPECT_EQ(j.Str("/identity"), "alice");
  EXPECT_EQ(j.Str("/friendly_name"), "Alice A");
  EXPECT_EQ(j.Str("/attributes"), "{\"k\":1}");
  EXPECT_TRUE(j.IsNull("/is_online"));
  EXPECT_TRUE(j.IsNull("/is_notifiable"));
  EXPECT_EQ(j.Str("/date_created"), "2016-03-24T21:05:19Z");
  EXPECT_EQ(j.Str("/date_updated"), "2016-03-24T21:05:19Z");
  EXPECT_EQ(j.Str("/url"), ServiceUserUrl(sid));
  EXPECT_EQ(j.Str("/links/user_conversations"), ServiceUserUrl(sid) + "/Conversations");
  // The body is the public renderer's of the stored user, with its ETag.
  ASSERT_OK_AND_ASSIGN(User stored, t_->FetchUser(kServiceSid, sid));
  EXPECT_EQ(r.body, ConversationsUserJson(stored, kConversationsBase));
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[1].first, "ETag");
  EXPECT_EQ(r.headers[1].second, "\"" + std::to_string(stored.revision) + "\"");
}

TEST_F(ConversationsTest, CreateDefaults) {
  Response r = Post(kV1Users, "Identity=bob");
  ASSERT_EQ(r.status, 201) << r.body;
  Json j(r.body);
  ASSERT_OK_AND_ASSIGN(Service service, t_->FetchService(kServiceSid));
  EXPECT_EQ(j.Str("/role_sid"), service.default_service_role_sid);
  EXPECT_EQ(j.Str("/attributes"), "{}");
  EXPECT_TRUE(j.IsNull("/friendly_name"));
}

TEST_F(ConversationsTest, FetchBySidAndIdentityUpdateDelete) {
  const std::string sid = CreateV1("Identity=team%2Falice");
  for (const std::string& key : {sid, std::string("team%2Falice")}) {
    Response r = Get(std::string(kV1Users) + "/" + key);
    ASSERT_EQ(r.status, 200) << key << " " << r.body;
    EXPECT_EQ(Keys(r.body), UserKeys());
    EXPECT_EQ(Json(r.body).Str("/sid"), sid);
    EXPECT_EQ(Json(r.body).Str("/identity"), "team/alice");
    EXPECT_EQ(Json(r.body).Str("/url"), ServiceUserUrl(sid));  // the SID's, not the key's
  }
  t_.clock->Advance(5);
  Response r = Post(std::string(kV1Users) + "/team%2Falice", "FriendlyName=T&Attributes=%7B%7D");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Keys(r.body), UserKeys());
  EXPECT_EQ(Json(r.body).Str("/friendly_name"), "T");
  EXPECT_EQ(Json(r.body).Str("/date_created"), "2016-03-24T21:05:19Z");
  EXPECT_EQ(Json(r.body).Str("/date_updated"), "2016-03-24T21:05:24Z");
  r = Delete(std::string(kV1Users) + "/" + sid);
  EXPECT_EQ(r.status, 204);
  ExpectError(Get(std::string(kV1Users) + "/" + sid), 404, 20404,
              "The requested resource /v1/Services/" + std::string(kServiceSid) + "/Users/" + sid +
                  " was not found");
}

// Twilio's Conversations 404 messages keep the "/v1" (a Twilio support
// article quotes "The requested resource /v1/Services/{ServiceSid}/
// Conversations/{ConversationSid}/Participants was not found"); Chat's omit
// the "/v2".
TEST_F(ConversationsTest, NotFoundMessagesNameTheV1Path) {
  ExpectError(Get(std::string(kV1Users) + "/nobody"), 404, 20404,
              "The requested resource /v1/Services/" + std::string(kServiceSid) +
                  "/Users/nobody was not found");
  ExpectError(Get(std::string(kV1Users) + "/a%2Fb"), 404, 20404,
              "The requested resource /v1/Services/" + std::string(kServiceSid) +
                  "/Users/a/b was not found");
  const std::string unknown = "/v1/Services/IS" + Hex32('c') + "/Users";
  ExpectError(Get(unknown), 404, 20404, "The requested resource " + unknown + " was not found");
  ExpectError(Post(unknown, "FriendlyName=x"), 404, 20404);  // the Service before the body
  ExpectError(Get("/v1/Nope%20x"), 404, 20404, "The requested resource /v1/Nope%20x was not found");
  ExpectError(Get(std::string(kV1Users) + "/"), 404, 20404,
              "The requested resource " + std::string(kV1Users) + "/ was not found");
  // Chat's are unchanged.
  ExpectError(Get(std::string(kUsers) + "/nobody"), 404, 20404,
              "The requested resource /Services/" + std::string(kServiceSid) +
                  "/Users/nobody was not found");
}

// ---- the same users through both APIs -------------------------------------------

TEST_F(ConversationsTest, UserMadeThroughChatIsTheSameThroughConversations) {
  const std::string attributes = "%7B%22b%22%3A%20%5B1%2C%202%5D%2C%20%22a%22%3A%22%C3%A9%22%7D";
  Response v2 = Create("Identity=carol&FriendlyName=Carol&Attributes=" + attributes);
  ASSERT_EQ(v2.status, 201) << v2.body;
  Json c(v2.body);
  const std::string sid = c.Str("/sid");
  Response v1 = Get(std::string(kV1Users) + "/carol");
  ASSERT_EQ(v1.status, 200) << v1.body;
  Json j(v1.body);
  EXPECT_EQ(j.Str("/sid"), sid);
  EXPECT_EQ(j.Str("/chat_service_sid"), c.Str("/service_sid"));
  EXPECT_EQ(j.Str("/role_sid"), c.Str("/role_sid"));
  EXPECT_EQ(j.Str("/attributes"), c.Str("/attributes"));  // the same bytes
  EXPECT_EQ(j.Str("/attributes"), "{\"b\": [1, 2], \"a\":\"\xc3\xa9\"}");
  EXPECT_EQ(j.Str("/friendly_name"), "Carol");
  EXPECT_EQ(j.Str("/date_created"), c.Str("/date_created"));
  EXPECT_EQ(j.Str("/date_updated"), c.Str("/date_updated"));

  // Updated through /v1, seen through /v2; the role too.
  ASSERT_OK_AND_ASSIGN(Service service, t_->FetchService(kServiceSid));
  t_.clock->Advance(60);
  Response u = Post(std::string(kV1Users) + "/" + sid,
                    "Attributes=%7B%22x%22%3Anull%7D&RoleSid=" + std::string(kRoleSid));
  ASSERT_EQ(u.status, 200) << u.body;
  Response back = Get(std::string(kUsers) + "/" + sid);
  ASSERT_EQ(back.status, 200);
  Json b(back.body);
  EXPECT_EQ(b.Str("/attributes"), "{\"x\":null}");
  EXPECT_EQ(b.Str("/role_sid"), kRoleSid);
  EXPECT_NE(service.default_service_role_sid, kRoleSid);
  EXPECT_EQ(b.Str("/date_created"), "2016-03-24T21:05:19Z");
  EXPECT_EQ(b.Str("/date_updated"), "2016-03-24T21:06:19Z");
  EXPECT_EQ(b.Str("/date_updated"), Json(u.body).Str("/date_updated"));

  // Made through /v1, deleted through /v2; the identity is taken across
  // APIs.
  const std::string dave = CreateV1("Identity=dave");
  ExpectError(Create("Identity=dave"), 409, 50201);
  EXPECT_EQ(Json(Get(std::string(kUsers) + "/dave").body).Str("/sid"), dave);
  EXPECT_EQ(Do("DELETE", std::string(kUsers) + "/dave").status, 204);
  ExpectError(Get(std::string(kV1Users) + "/" + dave), 404, 20404);
}

// ---- paging ---------------------------------------------------------------------

TEST_F(ConversationsTest, ListWalksEveryUserByFollowingNextPageUrl) {
  std::vector<std::string> made;
  for (int i = 0; i < 7; ++i) made.push_back(CreateV1("Identity=u" + std::to_string(i)));
  std::vector<std::string> seen;
  std::string target = std::string(kV1Users) + "?PageSize=3";
  int64_t expected_page = 0;
  while (!target.empty()) {
    Response r = Get(target);
    ASSERT_EQ(r.status, 200) << target << " " << r.body;
    EXPECT_EQ(Keys(r.body), (std::vector<std::string>{"meta", "users"}));
    EXPECT_EQ(Keys(r.body, "/meta"),
              (std::vector<std::string>{"page", "page_size", "first_page_url", "previous_page_url",
                                        "url", "next_page_url", "key"}));
    Json j(r.body);
    EXPECT_EQ(j.Int("/meta/page"), expected_page);
    EXPECT_EQ(j.Int("/meta/page_size"), 3);
    EXPECT_EQ(j.Str("/meta/key"), "users");
    EXPECT_EQ(j.Str("/meta/first_page_url"), std::string(kConversationsBase) + "/Services/" +
                                                 kServiceSid + "/Users?PageSize=3&Page=0");
    for (size_t i = 0; i < j.ArraySize("/users"); ++i) {
      const std::string item = "/users/" + std::to_string(i);
      EXPECT_EQ(Keys(r.body, item), UserKeys());
      seen.push_back(j.Str(item + "/sid"));
      EXPECT_EQ(j.Str(item + "/url"), ServiceUserUrl(seen.back()));
    }
    target = j.IsNull("/meta/next_page_url") ? "" : TargetOf(j.Str("/meta/next_page_url"));
    ++expected_page;
  }
  EXPECT_EQ(seen, made);
  EXPECT_EQ(expected_page, 3);
}

// Conversations' PageSize maximum is 50 (page.h, kConversationsMaxPageSize):
// larger sizes are clamped, as Chat's are to 100.
TEST_F(ConversationsTest, PageSizeIsClampedTo50) {
  for (const char* size : {"51", "100", "1000", "9223372036854775808"}) {
    Response r = Get(std::string(kV1Users) + "?PageSize=" + size);
    ASSERT_EQ(r.status, 200) << size << " " << r.body;
    EXPECT_EQ(Json(r.body).Int("/meta/page_size"), 50) << size;
  }
  EXPECT_EQ(Json(Get(kV1Users).body).Int("/meta/page_size"), 50);
  EXPECT_EQ(Json(Get(std::string(kV1Users) + "?PageSize=49").body).Int("/meta/page_size"), 49);
  EXPECT_EQ(Json(Get(std::string(kUsers) + "?PageSize=1000").body).Int("/meta/page_size"), 100);
  ExpectError(Get(std::string(kV1Users) + "?PageSize=0"), 400, 20001);
  ExpectError(Get(std::string(kV1Users) + "?PageSize=-1"), 400, 20001);
  ExpectError(Get(std::string(kV1Users) + "?Page=1"), 400, 20001);
  // 60 users: the first page holds 50.
  for (int i = 0; i < 60; ++i) CreateV1("Identity=p" + std::to_string(i));
  Json j(Get(std::string(kV1Users) + "?PageSize=1000").body);
  EXPECT_EQ(j.ArraySize("/users"), 50u);
  EXPECT_FALSE(j.IsNull("/meta/next_page_url"));
}

TEST_F(ConversationsTest, PageTokenOfOneApiIsRefusedByTheOther) {
  for (int i = 0; i < 3; ++i) CreateV1("Identity=t" + std::to_string(i));
  const std::string v1_next =
      Json(Get(std::string(kV1Users) + "?PageSize=1").body).Str("/meta/next_page_url");
  const std::string v2_next =
      Json(Get(std::string(kUsers) + "?PageSize=1").body).Str("/meta/next_page_url");
  const std::string v1_token = v1_next.substr(v1_next.find("PageToken=") + 10);
  const std::string v2_token = v2_next.substr(v2_next.find("PageToken=") + 10);
  ASSERT_EQ(v1_token.size(), 30u);
  EXPECT_NE(v1_token, v2_token);  // one position, two APIs
  EXPECT_EQ(Get(TargetOf(v1_next)).status, 200);
  EXPECT_EQ(Get(TargetOf(v2_next)).status, 200);
  ExpectError(Get(std::string(kUsers) + "?PageSize=1&Page=1&PageToken=" + v1_token), 400, 20001,
              "Invalid PageToken");
  ExpectError(Get(std::string(kV1Users) + "?PageSize=1&Page=1&PageToken=" + v2_token), 400, 20001,
              "Invalid PageToken");
}

// ---- the account-level routes (/v1/Users) ---------------------------------------

TEST_F(ConversationsTest, AccountLevelRoutesWithoutADefaultServiceAre404) {
  CreateV1("Identity=alice");
  ExpectError(Get("/v1/Users"), 404, 20404, "The requested resource /v1/Users was not found");
  ExpectError(Get("/v1/Users/alice"), 404, 20404,
              "The requested resource /v1/Users/alice was not found");
  // Before the body's checks: no Service to create in.
  ExpectError(Post("/v1/Users", "FriendlyName=x"), 404, 20404,
              "The requested resource /v1/Users was not found");
  ExpectError(Post("/v1/Users/alice", "FriendlyName=x"), 404, 20404);
  ExpectError(Delete("/v1/Users/alice"), 404, 20404);
  EXPECT_EQ(Get(std::string(kV1Users) + "/alice").status, 200);  // untouched
}

TEST_F(ConversationsTest, AccountLevelRoutesServeTheDefaultService) {
  ConfigureDefault();
  Response r = Post("/v1/Users", "Identity=erin&Attributes=%7B%22a%22%3A1%7D",
                    {{"X-Twilio-Webhook-Enabled", "true"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Keys(r.body), UserKeys());
  Json j(r.body);
  const std::string sid = j.Str("/sid");
  const std::string url = std::string(kConversationsBase) + "/Users/" + sid;
  EXPECT_EQ(j.Str("/chat_service_sid"), kServiceSid);
  EXPECT_EQ(j.Str("/url"), url);
  EXPECT_EQ(j.Str("/links/user_conversations"), url + "/Conversations");
  ASSERT_OK_AND_ASSIGN(User stored, t_->FetchUser(kServiceSid, "erin"));
  EXPECT_EQ(r.body, ConversationsUserJson(stored, kConversationsBase, ConversationsPath::kAccount));

  // Fetch by SID and identity, update, list, delete: all on kServiceSid.
  EXPECT_EQ(Json(Get("/v1/Users/erin").body).Str("/url"), url);
  EXPECT_EQ(Json(Get("/v1/Users/" + sid).body).Str("/identity"), "erin");
  Response u = Post("/v1/Users/erin", "FriendlyName=Erin");
  ASSERT_EQ(u.status, 200) << u.body;
  EXPECT_EQ(Json(u.body).Str("/url"), url);
  EXPECT_EQ(Json(Get(std::string(kUsers) + "/erin").body).Str("/friendly_name"), "Erin");
  Response list = Get("/v1/Users?PageSize=5");
  ASSERT_EQ(list.status, 200) << list.body;
  Json l(list.body);
  EXPECT_EQ(l.Str("/meta/url"), std::string(kConversationsBase) + "/Users?PageSize=5&Page=0");
  EXPECT_EQ(l.Str("/meta/first_page_url"),
            std::string(kConversationsBase) + "/Users?PageSize=5&Page=0");
  ASSERT_EQ(l.ArraySize("/users"), 1u);
  EXPECT_EQ(l.Str("/users/0/url"), url);
  EXPECT_EQ(Delete("/v1/Users/erin").status, 204);
  ExpectError(Get("/v1/Users/erin"), 404, 20404,
              "The requested resource /v1/Users/erin was not found");
  ASSERT_EQ(events_.size(), 1u);  // the create's, with the header
  EXPECT_EQ(events_[0].type, UserEvent::Type::kUserAdded);
}

// /v1/Users and /v1/Services/{IS}/Users list one Service's users for one API:
// their tokens are interchangeable (PageApi::kConversations), and bound to
// the Service, so a token of the old default is refused after it changes.
TEST_F(ConversationsTest, AccountLevelAndServiceLevelTokensAreOneApi) {
  ServiceCreate other;
  other.sid = kOtherService;
  ASSERT_OK(t_->CreateService(other));
  for (int i = 0; i < 3; ++i) CreateV1("Identity=a" + std::to_string(i));
  ConfigureDefault();
  const std::string account_next =
      Json(Get("/v1/Users?PageSize=1").body).Str("/meta/next_page_url");
  const std::string token = account_next.substr(account_next.find("PageToken=") + 10);
  Response service_level = Get(std::string(kV1Users) + "?PageSize=1&Page=1&PageToken=" + token);
  ASSERT_EQ(service_level.status, 200) << service_level.body;
  EXPECT_EQ(Json(service_level.body).Str("/users/0/identity"), "a1");
  ConfigureDefault(kOtherService);
  ExpectError(Get(TargetOf(account_next)), 400, 20001, "Invalid PageToken");
}

// ---- X-Twilio-Webhook-Enabled on create, update and delete --------------------------

TEST_F(ConversationsTest, WebhookHeaderOnCreateUpdateAndDelete) {
  const Headers on = {{"X-Twilio-Webhook-Enabled", "true"}};
  CreateV1("Identity=w");  // no header: no event
  ASSERT_EQ(Post(kV1Users, "Identity=w2", on).status, 201);
  ASSERT_EQ(Post(std::string(kV1Users) + "/w2", "FriendlyName=x", on).status, 200);
  ASSERT_EQ(Delete(std::string(kV1Users) + "/w2", on).status, 204);
  ASSERT_EQ(Delete(std::string(kV1Users) + "/w", {{"X-Twilio-Webhook-Enabled", "false"}}).status,
            204);
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_EQ(events_[0].type, UserEvent::Type::kUserAdded);
  EXPECT_EQ(events_[1].type, UserEvent::Type::kUserUpdated);
  EXPECT_EQ(events_[2].type, UserEvent::Type::kUserRemoved);
  EXPECT_EQ(events_[2].user.identity, "w2");
  EXPECT_TRUE(events_[2].webhook_enabled);
}

TEST_F(ConversationsTest, BadWebhookHeaderIs400OnEveryWrite) {
  CreateV1("Identity=keep");
  const Headers bad = {{"X-Twilio-Webhook-Enabled", "yes"}};
  const char* message =
      "Invalid value for header X-Twilio-Webhook-Enabled (expected true or false)";
  ExpectError(Post(kV1Users, "Identity=x", bad), 400, 20001, message);
  ExpectError(Post(std::string(kV1Users) + "/keep", "FriendlyName=x", bad), 400, 20001, message);
  ExpectError(Delete(std::string(kV1Users) + "/keep", bad), 400, 20001, message);
  EXPECT_EQ(Get(std::string(kV1Users) + "/keep").status, 200);  // nothing changed
  // A Service that does not exist comes first.
  ExpectError(Delete("/v1/Services/IS" + Hex32('c') + "/Users/keep", bad), 404, 20404);
  // Chat v2's delete has no such header, and ignores it (unchanged).
  EXPECT_EQ(Delete(std::string(kUsers) + "/keep", bad).status, 204);
}

// ---- the error catalogue is Chat's ---------------------------------------------------

TEST_F(ConversationsTest, ErrorsAreChatsErrors) {
  CreateV1("Identity=alice");
  ExpectError(Post(kV1Users, "FriendlyName=x"), 400, 20001,
              "Missing required parameter Identity in the post body");
  ExpectError(Post(kV1Users, "Identity="), 400, 50204);
  ExpectError(Post(kV1Users, "Identity=" + std::string(257, 'x')), 400, 50207);
  ExpectError(Post(kV1Users, "Identity=US" + Hex32('a')), 400, 50206);
  ExpectError(Post(kV1Users, "Identity=alice"), 409, 50201, "User already exists");
  ExpectError(Post(kV1Users, "Identity=n&FriendlyName=" + std::string(257, 'n')), 400, 50003);
  ExpectError(Post(kV1Users, "Identity=a2&Attributes=%5B%5D"), 400, 50304);
  ExpectError(Post(kV1Users, "Identity=a2&Attributes=" + std::string(16385, ' ')), 400, 50303);
  ExpectError(Post(kV1Users, "Identity=a2&RoleSid=RL" + Hex32('9')), 400, 50100);
  ExpectError(Post(kV1Users, "Identity=a2&RoleSid=nope"), 400, 20001);
  ASSERT_OK_AND_ASSIGN(Service service, t_->FetchService(kServiceSid));
  ExpectError(Post(kV1Users, "Identity=a2&RoleSid=" + service.default_channel_role_sid), 400,
              50105);
  ExpectError(Post(std::string(kV1Users) + "/alice", ""), 400, 20161);
  ExpectError(Post(std::string(kV1Users) + "/alice", "FriendlyName=%zz"), 400, 20001);
  ExpectError(Post(std::string(kV1Users) + "/alice", "FriendlyName=x", {{"If-Match", "\"999\""}}),
              412, 20412);
  ExpectError(Get(std::string(kV1Users) + "?PageToken=abc&Page=1"), 400, 20001,
              "Invalid PageToken");
  EXPECT_EQ(CountUsers(), 1);  // nothing above changed anything
}

TEST_F(ConversationsTest, MethodsAndUnservedPaths) {
  const std::string sid = CreateV1("Identity=alice");
  Response r = Do("PUT", std::string(kV1Users) + "/alice");
  ExpectError(r, 405, 20001);
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[1],
            (std::pair<std::string, std::string>{"Allow", "GET, HEAD, POST, DELETE"}));
  r = Delete(kV1Users);
  ExpectError(r, 405, 20001);
  EXPECT_EQ(r.headers[1].second, "GET, HEAD, POST");
  r = Delete("/v1/Configuration");
  ExpectError(r, 405, 20001);
  EXPECT_EQ(r.headers[1].second, "GET, HEAD, POST");
  ExpectError(Do("DELETE", "/v1/Users"), 405, 20001);
  // HEAD is GET without the body.
  r = Do("HEAD", std::string(kV1Users) + "/alice");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
  // links.user_conversations: userstore keeps no conversations.
  const std::string conversations =
      TargetOf(Json(Get(std::string(kV1Users) + "/alice").body).Str("/links/user_conversations"));
  EXPECT_EQ(conversations, std::string(kV1Users) + "/" + sid + "/Conversations");
  ExpectError(Get(conversations), 404, 20404,
              "The requested resource " + conversations + " was not found");
  ExpectError(Get("/v1/Users/alice/Conversations"), 404, 20404,
              "The requested resource /v1/Users/alice/Conversations was not found");
  // Roles (Chat's roles are not Conversations'), the Service and others.
  for (const std::string& path :
       {std::string("/v1/Roles"), "/v1/Services/" + std::string(kServiceSid) + "/Roles",
        "/v1/Services/" + std::string(kServiceSid), std::string("/v1/Services"),
        std::string("/v1/Conversations"), std::string("/v1/Configuration/Webhooks"),
        std::string("/v1/users")}) {
    ExpectError(Get(path), 404, 20404, "The requested resource " + path + " was not found");
  }
}

// ---- /v1/Configuration ------------------------------------------------------------

TEST_F(ConversationsTest, ConfigurationOfANewStore) {
  Response r = Get("/v1/Configuration");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Keys(r.body),
            (std::vector<std::string>{"account_sid", "default_chat_service_sid",
                                      "default_messaging_service_sid", "default_inactive_timer",
                                      "default_closed_timer", "url", "links"}));
  EXPECT_EQ(Keys(r.body, "/links"), (std::vector<std::string>{"service", "webhooks"}));
  Json j(r.body);
  EXPECT_EQ(j.Str("/account_sid"), kAccountSid);
  EXPECT_TRUE(j.IsNull("/default_chat_service_sid"));
  EXPECT_TRUE(j.IsNull("/default_messaging_service_sid"));
  EXPECT_TRUE(j.IsNull("/default_inactive_timer"));
  EXPECT_TRUE(j.IsNull("/default_closed_timer"));
  EXPECT_EQ(j.Str("/url"), std::string(kConversationsBase) + "/Configuration");
  EXPECT_TRUE(j.IsNull("/links/service"));
  EXPECT_EQ(j.Str("/links/webhooks"), std::string(kConversationsBase) + "/Configuration/Webhooks");
  EXPECT_EQ(r.headers.size(), 1u);  // no ETag
  EXPECT_EQ(Do("HEAD", "/v1/Configuration").status, 200);
}

TEST_F(ConversationsTest, ConfigurationUpdate) {
  const std::string mg = "MG" + Hex32('d');
  Response r = Post("/v1/Configuration", "DefaultChatServiceSid=" + std::string(kServiceSid) +
                                             "&DefaultMessagingServiceSid=" + mg +
                                             "&DefaultInactiveTimer=PT1M&DefaultClosedTimer=PT10M");
  ASSERT_EQ(r.status, 200) << r.body;
  Json j(r.body);
  EXPECT_EQ(j.Str("/default_chat_service_sid"), kServiceSid);
  EXPECT_EQ(j.Str("/default_messaging_service_sid"), mg);
  EXPECT_EQ(j.Str("/default_inactive_timer"), "PT1M");
  EXPECT_EQ(j.Str("/default_closed_timer"), "PT10M");
  EXPECT_EQ(j.Str("/links/service"),
            std::string(kConversationsBase) + "/Services/" + kServiceSid + "/Configuration");
  EXPECT_EQ(Get("/v1/Configuration").body, r.body);
  EXPECT_EQ(t_->FetchConfiguration().default_chat_service_sid, kServiceSid);
  // Omitted parameters are kept; an empty one clears its field.
  r = Post("/v1/Configuration", "DefaultClosedTimer=");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Json(r.body).IsNull("/default_closed_timer"));
  EXPECT_EQ(Json(r.body).Str("/default_inactive_timer"), "PT1M");
  // No parameter: the Configuration as it is.
  EXPECT_EQ(Post("/v1/Configuration", "").body, Get("/v1/Configuration").body);
}

TEST_F(ConversationsTest, ConfigurationErrors) {
  const std::string before = Get("/v1/Configuration").body;
  ExpectError(Post("/v1/Configuration", "DefaultChatServiceSid=nope"), 400, 20001);
  ExpectError(Post("/v1/Configuration", "DefaultMessagingServiceSid=IS" + Hex32('a')), 400, 20001);
  ExpectError(Post("/v1/Configuration", "DefaultInactiveTimer=soon"), 400, 20001);
  ExpectError(Post("/v1/Configuration", "DefaultChatServiceSid=%zz"), 400, 20001);
  ExpectError(Post("/v1/Configuration", "DefaultChatServiceSid=IS" + Hex32('c')), 404, 20404,
              "The requested resource /v1/Services/IS" + Hex32('c') + " was not found");
  EXPECT_EQ(Get("/v1/Configuration").body, before);
}

// ---- base URLs ---------------------------------------------------------------------

TEST(ConversationsBaseUrlTest, StoreCreateChecksTheConversationsBase) {
  for (const char* bad : {"conversations.twilio.com/v1", "ftp://host/v1", "https:///v1",
                          "https://host/v1?x=1", "https://host/v1#f", ""}) {
    SCOPED_TRACE(bad);
    StoreOptions options;
    options.conversations_base_url = bad;
    EXPECT_TWILIO_ERROR(Store::Create(options), 400, 20001);
  }
  // The same path as the Chat base (whatever the host, a trailing slash or
  // an escape): a request path would name two APIs.
  for (std::pair<const char*, const char*> same :
       {std::pair{"https://chat.twilio.com/v2", "https://conversations.twilio.com/v2"},
        std::pair{"https://a/v2", "http://b/v2/"}, std::pair{"https://a/v2", "https://b/%76%32"},
        std::pair{"http://a", "http://b/"}}) {
    SCOPED_TRACE(same.second);
    StoreOptions options;
    options.base_url = same.first;
    options.conversations_base_url = same.second;
    EXPECT_TWILIO_ERROR(Store::Create(options), 400, 20001);
  }
  StoreOptions options;
  options.conversations_base_url = "http://localhost:8080/api/conversations/v1//";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Create(options));
  EXPECT_EQ(store->options().conversations_base_url, "http://localhost:8080/api/conversations/v1");
  EXPECT_EQ(store->options().base_url, "https://chat.twilio.com/v2");
}

// A Chat base with no path is a prefix of every path: the routes of the
// deeper (Conversations) base are tried first, and the Chat routes still
// answer below it.
class RootChatBaseTest : public RestFacadeTest {
 protected:
  RootChatBaseTest()
      : RestFacadeTest([] {
          StoreOptions options;
          options.base_url = "http://localhost:8080";
          options.conversations_base_url = "http://localhost:8080/api/conv/v1";
          return options;
        }()) {}
};

TEST_F(RootChatBaseTest, EachPathNamesOneApi) {
  const std::string users = "/Services/" + std::string(kServiceSid) + "/Users";
  Response chat = Post(users, "Identity=alice");
  ASSERT_EQ(chat.status, 201) << chat.body;
  EXPECT_EQ(Keys(chat.body)[2], "service_sid");
  Response conv = Get("/api/conv/v1" + users + "/alice");
  ASSERT_EQ(conv.status, 200) << conv.body;
  EXPECT_EQ(Keys(conv.body)[2], "chat_service_sid");
  EXPECT_EQ(Json(conv.body).Str("/url"),
            "http://localhost:8080/api/conv/v1" + users + "/" + Json(chat.body).Str("/sid"));
  ExpectError(Get("/api/conv/v1" + users + "/nobody"), 404, 20404,
              "The requested resource /api/conv/v1" + users + "/nobody was not found");
  ExpectError(Get(users + "/nobody"), 404, 20404,
              "The requested resource " + users + "/nobody was not found");
  // Below the Conversations base and not one of its routes: its message.
  ExpectError(Get("/api/conv/v1/Services/" + std::string(kServiceSid)), 404, 20404,
              "The requested resource /api/conv/v1/Services/" + std::string(kServiceSid) +
                  " was not found");
  ExpectError(Get("/api/other"), 404, 20404, "The requested resource /api/other was not found");
}

// With auto_create_services, a /v1 create registers its unknown Service as
// a /v2 create does.
class ConversationsAutoCreateTest : public RestFacadeTest {
 protected:
  ConversationsAutoCreateTest()
      : RestFacadeTest({}, [] {
          FacadeOptions options;
          options.auto_create_services = true;
          return options;
        }()) {}
};

TEST_F(ConversationsAutoCreateTest, CreateRegistersTheService) {
  const std::string sid = "IS" + Hex32('e');
  ExpectError(Post("/v1/Services/" + sid + "/Users", "FriendlyName=x"), 400, 20001);
  ExpectError(Get("/v1/Services/" + sid + "/Users"), 404, 20404);
  Response r = Post("/v1/Services/" + sid + "/Users", "Identity=first");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Json(r.body).Str("/chat_service_sid"), sid);
  EXPECT_TRUE(t_->FetchService(sid).ok());
}

// ---- the router and the token codec, alone ------------------------------------------

TEST(ConversationsRouterTest, Routes) {
  using internal::MatchConversationsRoute;
  using internal::RouteKind;
  const std::vector<std::string> base = {"v1"};
  const std::vector<std::string> configuration = {"v1", "Configuration"};
  std::optional<internal::Route> r = MatchConversationsRoute(configuration, base, "/v1");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, RouteKind::kConfiguration);
  EXPECT_EQ(r->api, PageApi::kConversations);
  EXPECT_EQ(internal::ResourcePath(*r), "/v1/Configuration");
  const std::vector<std::string> users = {"v1", "Users"};
  r = MatchConversationsRoute(users, base, "/v1");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, RouteKind::kUsers);
  EXPECT_TRUE(r->account_level);
  EXPECT_EQ(internal::ResourcePath(*r), "/v1/Users");
  const std::vector<std::string> user = {"v1", "Users", "a/b"};
  r = MatchConversationsRoute(user, base, "/v1");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, RouteKind::kUser);
  EXPECT_EQ(r->user_key, "a/b");
  EXPECT_EQ(internal::ResourcePath(*r), "/v1/Users/a/b");
  const std::vector<std::string> service_user = {"v1", "Services", "IS1", "Users", "k"};
  r = MatchConversationsRoute(service_user, base, "/v1");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, RouteKind::kUser);
  EXPECT_FALSE(r->account_level);
  EXPECT_EQ(r->service_sid, "IS1");
  EXPECT_EQ(internal::ResourcePath(*r), "/v1/Services/IS1/Users/k");
  for (const std::vector<std::string>& unknown :
       std::vector<std::vector<std::string>>{{"v1"},
                                             {"v1", "Configuration", "Webhooks"},
                                             {"v1", "Users", ""},
                                             {"v1", "Users", "k", "Conversations"},
                                             {"v1", "Services", "IS1"},
                                             {"v1", "Services", "IS1", "Roles"},
                                             {"v1", "Services", "", "Users"},
                                             {"v1", "Roles"},
                                             {"v2", "Users"}}) {
    EXPECT_FALSE(MatchConversationsRoute(unknown, base, "/v1").has_value()) << unknown.size();
  }
}

TEST(ConversationsRouterTest, TheDeeperBaseIsTriedFirst) {
  const std::vector<std::string> chat = {};
  const std::vector<std::string> conversations = {"v1"};
  const internal::ApiBases bases{chat, conversations, "/v1"};
  const std::vector<std::string> v1_users = {"v1", "Services", "IS1", "Users"};
  std::optional<internal::Route> r = internal::RouteRequest(v1_users, bases);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->api, PageApi::kConversations);
  const std::vector<std::string> v2_users = {"Services", "IS1", "Users"};
  r = internal::RouteRequest(v2_users, bases);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->api, PageApi::kChat);
  EXPECT_EQ(internal::NotFoundPath("/v1/x", {"v1", "x"}, bases), "/v1/x");
  EXPECT_EQ(internal::NotFoundPath("/x", {"x"}, bases), "/x");
  const std::vector<std::string> chat_v2 = {"v2"};
  const internal::ApiBases twilio{chat_v2, conversations, "/v1"};
  EXPECT_EQ(internal::NotFoundPath("/v2/x", {"v2", "x"}, twilio), "/x");
  EXPECT_EQ(internal::NotFoundPath("/v1/x", {"v1", "x"}, twilio), "/v1/x");
  EXPECT_EQ(internal::NotFoundPath("/v3/x", {"v3", "x"}, twilio), "/v3/x");
}

// docs/design.md, "Page token format": one domain string per API, so a
// token verifies only for the API (and Service) it was minted for.
TEST(ConversationsPageTokenTest, BoundToTheApi) {
  const internal::PageTokenCodec codec("key");
  const internal::PageCursor cursor{internal::PageCursor::Direction::kAfter, 7};
  const std::string chat = codec.Encode(kServiceSid, cursor);
  const std::string conversations = codec.Encode(kServiceSid, cursor, PageApi::kConversations);
  EXPECT_EQ(chat, codec.Encode(kServiceSid, cursor, PageApi::kChat));
  EXPECT_NE(chat, conversations);
  EXPECT_EQ(chat.substr(0, 13), conversations.substr(0, 13));  // same position, other MAC
  ASSERT_OK_AND_ASSIGN(internal::PageCursor decoded,
                       codec.Decode(kServiceSid, conversations, PageApi::kConversations));
  EXPECT_EQ(decoded, cursor);
  EXPECT_TWILIO_ERROR(codec.Decode(kServiceSid, conversations, PageApi::kChat), 400, 20001);
  EXPECT_TWILIO_ERROR(codec.Decode(kServiceSid, chat, PageApi::kConversations), 400, 20001);
  EXPECT_TWILIO_ERROR(codec.Decode(kOtherService, conversations, PageApi::kConversations), 400,
                      20001);
}

}  // namespace
}  // namespace userstore
