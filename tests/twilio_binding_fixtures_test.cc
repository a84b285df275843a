// BindingJson / UserBindingJson / BindingPageJson against Twilio's own
// examples: the response examples of twilio_chat_v2.json (twilio/twilio-oai,
// spec/json/twilio_chat_v2.json) for GET /v2/Services/{ServiceSid}/Bindings
// ("readFull", "readEmpty"), GET .../Bindings/{Sid} ("fetch"), GET
// .../Users/{UserSid}/Bindings ("readFull", "readEmpty") and GET
// .../Users/{UserSid}/Bindings/{Sid} ("fetch"), copied below as they are
// (compacted). As tests/twilio_fixtures_test.cc does for the User: a Binding
// is built from each example's values, rendered, and the two documents
// compared: the same keys in the same order, values of the same JSON type
// and equal. There is no documented difference.
#include <simdjson.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/support/json_compare.h"
#include "userstore/binding.h"
#include "userstore/json.h"

namespace userstore {
namespace {

constexpr char kBase[] = "https://chat.twilio.com/v2";
constexpr char kServiceSid[] = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

// "fetch" of /v2/Services/{ServiceSid}/Bindings/{Sid}.
constexpr char kBindingFetch[] = R"({
  "sid": "BSaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "service_sid": "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "date_created": "2016-10-21T11:37:03Z",
  "date_updated": "2016-10-21T11:37:03Z",
  "endpoint": "TestUser-endpoint",
  "identity": "TestUser",
  "binding_type": "gcm",
  "credential_sid": "CRaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "message_types": ["removed_from_channel", "new_message", "added_to_channel", "invited_to_channel"],
  "url": "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bindings/BSaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "links": {"user": "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/TestUser"}
})";

// "fetch" of /v2/Services/{ServiceSid}/Users/{UserSid}/Bindings/{Sid}.
constexpr char kUserBindingFetch[] = R"({
  "sid": "BSaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "service_sid": "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "date_created": "2016-10-21T11:37:03Z",
  "date_updated": "2016-10-21T11:37:03Z",
  "endpoint": "TestUser-endpoint",
  "identity": "TestUser",
  "user_sid": "USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "binding_type": "gcm",
  "credential_sid": "CRaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "message_types": ["removed_from_channel", "new_message", "added_to_channel", "invited_to_channel"],
  "url": "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bindings/BSaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
})";

// "readFull" / "readEmpty" of /v2/Services/{ServiceSid}/Bindings.
constexpr char kBindingsReadFull[] = R"({
  "meta": {
    "page": 0,
    "page_size": 50,
    "first_page_url": "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bindings?PageSize=50&Page=0",
    "previous_page_url": null,
    "url": "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bindings?PageSize=50&Page=0",
    "next_page_url": null,
    "key": "bindings"
  },
  "bindings": [
    {
      "sid": "BSaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "service_sid": "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "date_created": "2016-10-21T11:37:03Z",
      "date_updated": "2016-10-21T11:37:03Z",
      "endpoint": "TestUser-endpoint",
      "identity": "TestUser",
      "binding_type": "gcm",
      "credential_sid": "CRaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "message_types": ["removed_from_channel", "new_message", "added_to_channel", "invited_to_channel"],
      "url": "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bindings/BSaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "links": {"user": "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/TestUser"}
    }
  ]
})";
constexpr char kBindingsReadEmpty[] = R"({
  "meta": {
    "page": 0,
    "page_size": 50,
    "first_page_url": "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bindings?PageSize=50&Page=0",
    "previous_page_url": null,
    "url": "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bindings?PageSize=50&Page=0",
    "next_page_url": null,
    "key": "bindings"
  },
  "bindings": []
})";

// "readFull" / "readEmpty" of /v2/Services/{ServiceSid}/Users/{UserSid}/Bindings.
constexpr char kUserBindingsReadFull[] = R"({
  "meta": {
    "page": 0,
    "page_size": 50,
    "first_page_url": "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bindings?PageSize=50&Page=0",
    "previous_page_url": null,
    "url": "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bindings?PageSize=50&Page=0",
    "next_page_url": null,
    "key": "bindings"
  },
  "bindings": [
    {
      "sid": "BSaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "service_sid": "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "date_created": "2016-10-21T11:37:03Z",
      "date_updated": "2016-10-21T11:37:03Z",
      "endpoint": "TestUser-endpoint",
      "identity": "TestUser",
      "user_sid": "USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "binding_type": "gcm",
      "credential_sid": "CRaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "message_types": ["removed_from_channel", "new_message", "added_to_channel", "invited_to_channel"],
      "url": "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bindings/BSaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    }
  ]
})";
constexpr char kUserBindingsReadEmpty[] = R"({
  "meta": {
    "page": 0,
    "page_size": 50,
    "first_page_url": "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bindings?PageSize=50&Page=0",
    "previous_page_url": null,
    "url": "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bindings?PageSize=50&Page=0",
    "next_page_url": null,
    "key": "bindings"
  },
  "bindings": []
})";

std::string Str(simdjson::dom::element obj, const char* key) {
  std::string_view s;
  EXPECT_EQ(obj[key].get(s), simdjson::SUCCESS) << key;
  return std::string(s);
}

absl::Time Time(simdjson::dom::element obj, const char* key) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime("%Y-%m-%dT%H:%M:%SZ", Str(obj, key), &t, &err)) << err;
  return t;
}

// The Binding an example describes (the Service-level examples have no
// user_sid: any SID renders the same there).
Binding FromExample(simdjson::dom::element obj) {
  Binding b;
  b.sid = Str(obj, "sid");
  b.account_sid = Str(obj, "account_sid");
  b.service_sid = Str(obj, "service_sid");
  std::string_view user_sid;
  b.user_sid = obj["user_sid"].get(user_sid) == simdjson::SUCCESS
                   ? std::string(user_sid)
                   : std::string("USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  b.identity = Str(obj, "identity");
  const std::string type = Str(obj, "binding_type");
  b.binding_type = type == "gcm"   ? BindingType::kGcm
                   : type == "fcm" ? BindingType::kFcm
                                   : BindingType::kApn;
  b.endpoint = Str(obj, "endpoint");
  b.credential_sid = Str(obj, "credential_sid");
  simdjson::dom::array types;
  EXPECT_EQ(obj["message_types"].get(types), simdjson::SUCCESS);
  for (simdjson::dom::element t : types) {
    std::string_view name;
    EXPECT_EQ(t.get(name), simdjson::SUCCESS);
    b.message_types.emplace_back(name);
  }
  b.date_created = Time(obj, "date_created");
  b.date_updated = Time(obj, "date_updated");
  return b;
}

// Compares `ours` with the example `fixture`; returns the keys compared.
int CompareTexts(const char* fixture, const std::string& ours) {
  simdjson::dom::parser p1, p2;
  simdjson::dom::element expected, actual;
  EXPECT_EQ(p1.parse(std::string(fixture)).get(expected), simdjson::SUCCESS);
  EXPECT_EQ(p2.parse(ours).get(actual), simdjson::SUCCESS) << ours;
  testing::JsonCompareStats stats;
  testing::ExpectSameJson(expected, actual, "", &stats);
  return stats.keys;
}

TEST(TwilioBindingFixturesTest, SingleBindingBodies) {
  simdjson::dom::parser parser;
  simdjson::dom::element binding;
  ASSERT_EQ(parser.parse(std::string(kBindingFetch)).get(binding), simdjson::SUCCESS);
  EXPECT_EQ(CompareTexts(kBindingFetch, BindingJson(FromExample(binding), kBase)), 13);

  simdjson::dom::parser parser2;
  simdjson::dom::element user_binding;
  ASSERT_EQ(parser2.parse(std::string(kUserBindingFetch)).get(user_binding), simdjson::SUCCESS);
  EXPECT_EQ(CompareTexts(kUserBindingFetch, UserBindingJson(FromExample(user_binding), kBase)), 12);
}

TEST(TwilioBindingFixturesTest, ListBodies) {
  struct Case {
    const char* name;
    const char* fixture;
    std::string user_key;  // the list's user, "" for the Service's list
    int keys;              // meta + its 7 keys + bindings, and each item's
  };
  const Case cases[] = {
      {"service_read_full", kBindingsReadFull, "", 9 + 13},
      {"service_read_empty", kBindingsReadEmpty, "", 9},
      {"user_read_full", kUserBindingsReadFull, "USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 9 + 12},
      {"user_read_empty", kUserBindingsReadEmpty, "USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 9},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    simdjson::dom::parser parser;
    simdjson::dom::element fixture;
    ASSERT_EQ(parser.parse(std::string(c.fixture)).get(fixture), simdjson::SUCCESS);
    BindingPage page;
    ASSERT_EQ(fixture["meta"]["page"].get(page.page), simdjson::SUCCESS);
    ASSERT_EQ(fixture["meta"]["page_size"].get(page.page_size), simdjson::SUCCESS);
    simdjson::dom::array items;
    ASSERT_EQ(fixture["bindings"].get(items), simdjson::SUCCESS);
    for (simdjson::dom::element item : items) page.bindings.push_back(FromExample(item));
    BindingListRequest list;
    list.user_key = c.user_key;
    EXPECT_EQ(CompareTexts(c.fixture, BindingPageJson(page, kServiceSid, list, kBase)), c.keys);
  }
}

// Beyond the examples: the shapes' value types when a field is empty (no
// credential: null, as the schema's nullable SID; no message types: []),
// and a user link that needs percent-encoding.
TEST(TwilioBindingFixturesTest, EmptyFieldsAndEncodedIdentity) {
  Binding b;
  b.sid = "BSbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  b.account_sid = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  b.service_sid = kServiceSid;
  b.user_sid = "USbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  b.identity = "team/a b+\"q\"";
  b.binding_type = BindingType::kFcm;
  b.endpoint = "e";
  b.date_created = b.date_updated = absl::FromUnixSeconds(1477049823);
  EXPECT_EQ(BindingJson(b, kBase),
            R"({"sid":"BSbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","account_sid":)"
            R"("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","service_sid":)"
            R"("ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","date_created":"2016-10-21T11:37:03Z",)"
            R"("date_updated":"2016-10-21T11:37:03Z","endpoint":"e","identity":"team/a b+\"q\"",)"
            R"("binding_type":"fcm","credential_sid":null,"message_types":[],"url":)"
            R"("https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bindings/)"
            R"(BSbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","links":{"user":)"
            R"("https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/)"
            R"(team%2Fa%20b%2B%22q%22"}})");
  EXPECT_EQ(UserBindingJson(b, kBase),
            R"({"sid":"BSbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","account_sid":)"
            R"("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","service_sid":)"
            R"("ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","date_created":"2016-10-21T11:37:03Z",)"
            R"("date_updated":"2016-10-21T11:37:03Z","endpoint":"e","identity":"team/a b+\"q\"",)"
            R"("user_sid":"USbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","binding_type":"fcm",)"
            R"("credential_sid":null,"message_types":[],"url":)"
            R"("https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/)"
            R"(USbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/Bindings/BSbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"})");
}

// The links of a middle page: previous and next with their tokens
// (percent-encoded), the filters before the paging parameters, and none at
// kMaxPageIndex.
TEST(TwilioBindingFixturesTest, PageLinksCarryFiltersAndTokens) {
  BindingPage page;
  page.page = 3;
  page.page_size = 2;
  page.page_token = "tok_3";
  page.previous_page_token = "prev";
  page.next_page_token = "a+b";
  BindingListRequest list;
  list.binding_types = {BindingType::kGcm, BindingType::kApn};
  list.identities = {"x y", "z"};
  const std::string list_url =
      "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bindings?"
      "BindingType=gcm&BindingType=apn&Identity=x%20y&Identity=z&PageSize=2&Page=";
  EXPECT_EQ(BindingPageJson(page, kServiceSid, list, kBase),
            R"({"meta":{"page":3,"page_size":2,"first_page_url":")" + list_url +
                R"(0","previous_page_url":")" + list_url + R"(2&PageToken=prev","url":")" +
                list_url + R"(3&PageToken=tok_3","next_page_url":")" + list_url +
                R"(4&PageToken=a%2Bb","key":"bindings"},"bindings":[]})");
  // A user's list has no Identity filter in its links.
  list.user_key = "team/alice";
  page.page = kMaxPageIndex;
  const std::string user_url =
      "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/team%2Falice/"
      "Bindings?BindingType=gcm&BindingType=apn&PageSize=2&Page=";
  const std::string json = BindingPageJson(page, kServiceSid, list, kBase);
  EXPECT_NE(json.find(R"("first_page_url":")" + user_url + R"(0")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("next_page_url":null)"), std::string::npos) << json;
}

}  // namespace
}  // namespace userstore
