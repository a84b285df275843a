// ConversationsUserJson / ConversationsPageJson / ConfigurationJson against
// the response examples of Twilio's OpenAPI description of Conversations v1,
// as tests/twilio_fixtures_test.cc does for the Chat v2 User.
//
// Source: twilio/twilio-oai, spec/json/twilio_conversations_v1.json (commit
// 00c8d36829d67333c14bef357affd57851408ad7): the examples "create" of
// CreateUser (POST /v1/Users) and CreateServiceUser (POST
// /v1/Services/{ChatServiceSid}/Users), "update" of UpdateUser,
// "readFull" of ListUser and ListServiceUser, and "update" of
// UpdateConfiguration. Copied here (data only, re-indented; keys in the
// file's order) because ../shared/conformance holds only Chat's fixtures.
//
// For each example the values are read into a User (or Configuration),
// rendered, and the two documents compared: the same keys in the same
// order, values of the same JSON type, and equal. No difference is
// tolerated: a Conversations user has no null attributes in these examples.
#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/support/json_compare.h"
#include "userstore/configuration.h"
#include "userstore/json.h"
#include "userstore/page.h"
#include "userstore/user.h"

namespace userstore {
namespace {

constexpr char kBase[] = "https://conversations.twilio.com/v1";

// CreateServiceUser, "create".
constexpr char kServiceUserCreate[] = R"json({
  "sid": "USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "chat_service_sid": "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "role_sid": "RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "identity": "admin",
  "friendly_name": "name",
  "attributes": "{ \"duty\": \"tech\" }",
  "is_online": true,
  "is_notifiable": null,
  "date_created": "2019-12-16T22:18:37Z",
  "date_updated": "2019-12-16T22:18:38Z",
  "url": "https://conversations.twilio.com/v1/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "links": {
    "user_conversations": "https://conversations.twilio.com/v1/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Conversations"
  }
})json";

// CreateUser, "create".
constexpr char kUserCreate[] = R"json({
  "sid": "USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "chat_service_sid": "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "role_sid": "RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "identity": "admin",
  "friendly_name": "name",
  "attributes": "{ \"duty\": \"tech\" }",
  "is_online": true,
  "is_notifiable": null,
  "date_created": "2019-12-16T22:18:37Z",
  "date_updated": "2019-12-16T22:18:38Z",
  "url": "https://conversations.twilio.com/v1/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "links": {
    "user_conversations": "https://conversations.twilio.com/v1/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Conversations"
  }
})json";

// UpdateUser, "update".
constexpr char kUserUpdate[] = R"json({
  "sid": "USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "chat_service_sid": "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "role_sid": "RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "identity": "admin",
  "friendly_name": "new name",
  "attributes": "{ \"duty\": \"tech\", \"team\": \"internals\" }",
  "is_online": true,
  "is_notifiable": null,
  "date_created": "2019-12-16T22:18:37Z",
  "date_updated": "2019-12-16T22:18:38Z",
  "url": "https://conversations.twilio.com/v1/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "links": {
    "user_conversations": "https://conversations.twilio.com/v1/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Conversations"
  }
})json";

// ListServiceUser, "readFull".
constexpr char kServiceUserReadFull[] = R"json({
  "meta": {
    "page": 0,
    "page_size": 50,
    "first_page_url": "https://conversations.twilio.com/v1/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users?PageSize=50&Page=0",
    "previous_page_url": null,
    "url": "https://conversations.twilio.com/v1/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users?PageSize=50&Page=0",
    "next_page_url": null,
    "key": "users"
  },
  "users": [
    {
      "sid": "USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "chat_service_sid": "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "role_sid": "RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "identity": "admin",
      "friendly_name": "name",
      "attributes": "{ \"duty\": \"tech\" }",
      "is_online": true,
      "is_notifiable": null,
      "date_created": "2019-12-16T22:18:37Z",
      "date_updated": "2019-12-16T22:18:38Z",
      "url": "https://conversations.twilio.com/v1/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "links": {
        "user_conversations": "https://conversations.twilio.com/v1/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Conversations"
      }
    },
    {
      "sid": "USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "chat_service_sid": "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "role_sid": "RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "identity": "agent0034",
      "friendly_name": "John from customs",
      "attributes": "{ \"duty\": \"agent\" }",
      "is_online": false,
      "is_notifiable": null,
      "date_created": "2020-03-24T20:38:21Z",
      "date_updated": "2020-03-24T20:38:21Z",
      "url": "https://conversations.twilio.com/v1/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "links": {
        "user_conversations": "https://conversations.twilio.com/v1/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Conversations"
      }
    }
  ]
})json";

// ListUser, "readFull".
constexpr char kUserReadFull[] = R"json({
  "meta": {
    "page": 0,
    "page_size": 50,
    "first_page_url": "https://conversations.twilio.com/v1/Users?PageSize=50&Page=0",
    "previous_page_url": null,
    "url": "https://conversations.twilio.com/v1/Users?PageSize=50&Page=0",
    "next_page_url": null,
    "key": "users"
  },
  "users": [
    {
      "sid": "USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "chat_service_sid": "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "role_sid": "RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "identity": "admin",
      "friendly_name": "name",
      "attributes": "{ \"duty\": \"tech\" }",
      "is_online": true,
      "is_notifiable": null,
      "date_created": "2019-12-16T22:18:37Z",
      "date_updated": "2019-12-16T22:18:38Z",
      "url": "https://conversations.twilio.com/v1/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "links": {
        "user_conversations": "https://conversations.twilio.com/v1/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Conversations"
      }
    },
    {
      "sid": "USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "chat_service_sid": "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "role_sid": "RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "identity": "agent0034",
      "friendly_name": "John from customs",
      "attributes": "{ \"duty\": \"agent\" }",
      "is_online": false,
      "is_notifiable": null,
      "date_created": "2020-03-24T20:38:21Z",
      "date_updated": "2020-03-24T20:38:21Z",
      "url": "https://conversations.twilio.com/v1/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "links": {
        "user_conversations": "https://conversations.twilio.com/v1/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Conversations"
      }
    }
  ]
})json";

// UpdateConfiguration, "update" (FetchConfiguration's "fetch" is the same).
constexpr char kConfiguration[] = R"json({
  "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "default_chat_service_sid": "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "default_messaging_service_sid": "MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "default_inactive_timer": "PT1M",
  "default_closed_timer": "PT10M",
  "url": "https://conversations.twilio.com/v1/Configuration",
  "links": {
    "service": "https://conversations.twilio.com/v1/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Configuration",
    "webhooks": "https://conversations.twilio.com/v1/Configuration/Webhooks"
  }
})json";

std::string Str(simdjson::dom::element obj, const char* key) {
  std::string_view s;
  EXPECT_EQ(obj[key].get(s), simdjson::SUCCESS) << key;
  return std::string(s);
}

std::optional<bool> OptionalBool(simdjson::dom::element obj, const char* key) {
  bool b = false;
  if (obj[key].get(b) != simdjson::SUCCESS) return std::nullopt;
  return b;
}

absl::Time Time(simdjson::dom::element obj, const char* key) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime("%Y-%m-%dT%H:%M:%SZ", Str(obj, key), &t, &err)) << err;
  return t;
}

// The User an example body describes.
User UserOf(simdjson::dom::element obj) {
  User u;
  u.sid = Str(obj, "sid");
  u.account_sid = Str(obj, "account_sid");
  u.service_sid = Str(obj, "chat_service_sid");
  u.role_sid = Str(obj, "role_sid");
  u.identity = Str(obj, "identity");
  u.friendly_name = Str(obj, "friendly_name");
  u.attributes = Str(obj, "attributes");
  u.is_online = OptionalBool(obj, "is_online");
  u.is_notifiable = OptionalBool(obj, "is_notifiable");
  u.date_created = Time(obj, "date_created");
  u.date_updated = Time(obj, "date_updated");
  return u;
}

// Parses an example and our rendering of it, and compares them; returns the
// keys compared.
int CompareBodies(const char* example, const std::string& ours) {
  simdjson::dom::parser expected_parser, ours_parser;
  simdjson::dom::element expected, actual;
  EXPECT_EQ(expected_parser.parse(example, std::strlen(example)).get(expected), simdjson::SUCCESS);
  EXPECT_EQ(ours_parser.parse(ours).get(actual), simdjson::SUCCESS) << ours;
  testing::JsonCompareStats stats;
  testing::ExpectSameJson(expected, actual, "", &stats);
  return stats.keys;
}

TEST(TwilioConversationsFixturesTest, SingleUserBodies) {
  struct Case {
    const char* name;
    const char* example;
    ConversationsPath path;
  } cases[] = {{"CreateServiceUser", kServiceUserCreate, ConversationsPath::kService},
               {"CreateUser", kUserCreate, ConversationsPath::kAccount},
               {"UpdateUser", kUserUpdate, ConversationsPath::kAccount}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    simdjson::dom::parser parser;
    simdjson::dom::element example;
    ASSERT_EQ(parser.parse(c.example, std::strlen(c.example)).get(example), simdjson::SUCCESS);
    const User user = UserOf(example);
    const std::string ours = ConversationsUserJson(user, kBase, c.path);
    // 13 keys and links.user_conversations.
    EXPECT_EQ(CompareBodies(c.example, ours), 14);
    // The view renders the same bytes.
    EXPECT_EQ(ConversationsUserJson(UserView(user), kBase, c.path), ours);
  }
}

TEST(TwilioConversationsFixturesTest, ListBodies) {
  struct Case {
    const char* name;
    const char* example;
    ConversationsPath path;
  } cases[] = {{"ListServiceUser", kServiceUserReadFull, ConversationsPath::kService},
               {"ListUser", kUserReadFull, ConversationsPath::kAccount}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    simdjson::dom::parser parser;
    simdjson::dom::element example;
    ASSERT_EQ(parser.parse(c.example, std::strlen(c.example)).get(example), simdjson::SUCCESS);
    Page page;
    page.page = 0;
    page.page_size = 50;
    simdjson::dom::array items;
    ASSERT_EQ(example["users"].get(items), simdjson::SUCCESS);
    for (simdjson::dom::element item : items) page.users.push_back(UserOf(item));
    ASSERT_EQ(page.users.size(), 2u);
    const std::string ours =
        ConversationsPageJson(page, "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", kBase, c.path);
    // meta (1 + 7), users (1), two users of 14.
    EXPECT_EQ(CompareBodies(c.example, ours), 8 + 1 + 2 * 14);
  }
}

TEST(TwilioConversationsFixturesTest, ConfigurationBody) {
  Configuration configuration;
  configuration.account_sid = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  configuration.default_chat_service_sid = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  configuration.default_messaging_service_sid = "MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  configuration.default_inactive_timer = "PT1M";
  configuration.default_closed_timer = "PT10M";
  // 7 keys and the two links.
  EXPECT_EQ(CompareBodies(kConfiguration, ConfigurationJson(configuration, kBase)), 9);
}

}  // namespace
}  // namespace userstore
