// Tests of the Twilio-shaped JSON renderers (json.h) and the internal writer
// (src/json/json_writer.h): exact bytes, key order, nulls, escapes, dates,
// paging URLs, error bodies and PrettyJson.
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/twilio_errors.h"
#include "gtest/gtest.h"
#include "json/json_dom.h"
#include "json/json_writer.h"
#include "tools/json_output.h"
#include "userstore/attributes.h"
#include "userstore/error.h"
#include "userstore/json.h"

namespace userstore {
namespace {

using cli::PrettyJson;
using internal::IsValidJson;

using internal::BadRequest;
using internal::Conflict;
using internal::NotFound;

constexpr char kBase[] = "https://chat.twilio.com/v2";
constexpr char kAccount[] = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kService[] = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kRole[] = "RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kUser[] = "USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

// 2016-03-24T21:05:19Z, the fixtures' date.
absl::Time FixtureTime() { return absl::FromUnixSeconds(1458853519); }

User FullUser() {
  User u;
  u.sid = kUser;
  u.account_sid = kAccount;
  u.service_sid = kService;
  u.role_sid = kRole;
  u.identity = "jing";
  u.attributes = R"({"a":1})";
  u.is_online = true;
  u.is_notifiable = false;
  u.friendly_name = "Jing";
  u.joined_channels_count = 3;
  u.date_created = FixtureTime();
  u.date_updated = FixtureTime() + absl::Seconds(61);
  return u;
}

const char kUserUrl[] =
    "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
    "Users/USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const char kUsersUrl[] =
    "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
    "Users";

std::string Links() {
  return std::string(R"("links":{"user_channels":")") + kUserUrl +
         R"(/Channels","user_bindings":")" + kUserUrl + R"(/Bindings"})";
}

// ---- dates ------------------------------------------------------------------

TEST(FormatTwilioDateTest, UtcSecondsWithZ) {
  EXPECT_EQ(FormatTwilioDate(FixtureTime()), "2016-03-24T21:05:19Z");
  EXPECT_EQ(FormatTwilioDate(absl::UnixEpoch()), "1970-01-01T00:00:00Z");
  // A fraction is dropped, never rounded.
  EXPECT_EQ(FormatTwilioDate(FixtureTime() + absl::Milliseconds(999)), "2016-03-24T21:05:19Z");
  EXPECT_EQ(FormatTwilioDate(
                absl::FromCivil(absl::CivilSecond(2024, 2, 29, 23, 59, 59), absl::UTCTimeZone())),
            "2024-02-29T23:59:59Z");
}

// The direct printer agrees with absl::FormatTime's "%Y-%m-%dT%H:%M:%SZ"
// everywhere: across the years it prints itself (1000-9999, fractions and
// times before 1970 included) and beyond them, where it defers to FormatTime
// (which does not pad years before 1000).
TEST(FormatTwilioDateTest, AgreesWithAbslFormatTime) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  auto reference = [&](absl::Time t) { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, utc); };
  std::vector<absl::Time> times = {
      absl::FromCivil(absl::CivilSecond(1000, 1, 1, 0, 0, 0), utc),
      absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), utc),
      absl::FromCivil(absl::CivilSecond(999, 12, 31, 23, 59, 59), utc),
      absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0), utc),
      absl::FromCivil(absl::CivilSecond(-1, 12, 31, 23, 59, 59), utc),
      absl::UnixEpoch() - absl::Milliseconds(1),
      absl::InfiniteFuture(),
      absl::InfinitePast(),
  };
  // A deterministic sweep of seconds over years 1000..9999.
  const int64_t lo = absl::ToUnixSeconds(times[0]);
  const int64_t hi = absl::ToUnixSeconds(times[1]);
  uint64_t x = 0x9E3779B97F4A7C15u;
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    times.push_back(
        absl::FromUnixSeconds(lo + static_cast<int64_t>(x % static_cast<uint64_t>(hi - lo + 1))));
  }
  for (absl::Time t : times) EXPECT_EQ(FormatTwilioDate(t), reference(t)) << t;
  EXPECT_EQ(FormatTwilioDate(times[0]), "1000-01-01T00:00:00Z");
  EXPECT_EQ(FormatTwilioDate(times[5]), "1969-12-31T23:59:59Z");
}

// ---- users ------------------------------------------------------------------

TEST(UserJsonTest, EveryFieldInTwilioOrder) {
  const std::string expected = std::string(R"({"sid":"USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
                                           R"("account_sid":"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
                                           R"("service_sid":"ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
                                           R"("role_sid":"RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
                                           R"("identity":"jing",)"
                                           R"("attributes":"{\"a\":1}",)"
                                           R"("is_online":true,"is_notifiable":false,)"
                                           R"("friendly_name":"Jing",)"
                                           R"("joined_channels_count":3,)"
                                           R"("date_created":"2016-03-24T21:05:19Z",)"
                                           R"("date_updated":"2016-03-24T21:06:20Z",)") +
                               Links() + R"(,"url":")" + kUserUrl + R"("})";
  EXPECT_EQ(UserJson(FullUser(), kBase), expected);
}

TEST(UserJsonTest, NullsAndDefaults) {
  User u = FullUser();
  u.attributes = "{}";
  u.is_online.reset();
  u.is_notifiable.reset();
  u.friendly_name.reset();
  u.joined_channels_count = 0;
  const std::string json = UserJson(u, kBase);
  EXPECT_NE(json.find(R"("attributes":"{}","is_online":null,"is_notifiable":null,)"
                      R"("friendly_name":null,"joined_channels_count":0,)"),
            std::string::npos)
      << json;
}

TEST(UserJsonTest, EscapesQuotesBackslashesAndControlCharacters) {
  User u = FullUser();
  u.identity = std::string("a\"b\\c/d\n\r\t\b\f\x01\x1f\x7f", 15);
  u.friendly_name = std::string("nul\0end", 7);
  u.attributes = R"({"q":"x\"y","p":"a\\b","u":"\u00e9"})";
  const std::string json = UserJson(u, kBase);
  EXPECT_NE(json.find(R"("identity":"a\"b\\c/d\n\r\t\b\f\u0001\u001f)"
                      "\x7f\""),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("friendly_name":"nul\u0000end")"), std::string::npos) << json;
  // The stored text, byte-for-byte, inside a JSON string.
  EXPECT_NE(json.find(R"("attributes":"{\"q\":\"x\\\"y\",\"p\":\"a\\\\b\",)"
                      R"(\"u\":\"\\u00e9\"}")"),
            std::string::npos)
      << json;
  EXPECT_TRUE(IsValidJson(json));
}

TEST(UserJsonTest, Utf8IsKeptAsIs) {
  User u = FullUser();
  // é, 日本, 😀, U+2028 LINE SEPARATOR.
  u.identity = "\xC3\xA9\xE6\x97\xA5\xE6\x9C\xAC\xF0\x9F\x98\x80\xE2\x80\xA8";
  const std::string json = UserJson(u, kBase);
  EXPECT_NE(json.find("\"identity\":\"" + u.identity + "\""), std::string::npos) << json;
}

TEST(UserJsonTest, UrlsUseTheSidAndTheBaseUrl) {
  User u = FullUser();
  u.identity = "team/alice";
  const std::string json = UserJson(u, "http://localhost:8080/v2");
  EXPECT_NE(json.find(R"("url":"http://localhost:8080/v2/Services/)"
                      R"(ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users/)"
                      R"(USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("user_channels":"http://localhost:8080/v2/Services/)"), std::string::npos);
}

// ---- pages ------------------------------------------------------------------

std::string Meta(int page, int size, const std::string& prev, const std::string& url,
                 const std::string& next) {
  return std::string(R"({"meta":{"page":)") + std::to_string(page) + R"(,"page_size":)" +
         std::to_string(size) + R"(,"first_page_url":")" + kUsersUrl +
         "?PageSize=" + std::to_string(size) + R"(&Page=0","previous_page_url":)" + prev +
         R"(,"url":)" + url + R"(,"next_page_url":)" + next + R"(,"key":"users"},)";
}

std::string Quoted(const std::string& query) {
  return std::string("\"") + kUsersUrl + query + "\"";
}

TEST(PageJsonTest, EmptyFirstPage) {
  Page page;
  page.page_size = 50;
  EXPECT_EQ(PageJson(page, kService, kBase),
            Meta(0, 50, "null", Quoted("?PageSize=50&Page=0"), "null") + R"("users":[]})");
}

TEST(PageJsonTest, FirstPageWithNext) {
  Page page;
  page.page_size = 2;
  page.next_page_token = "tok_NEXT-1";
  EXPECT_EQ(PageJson(page, kService, kBase),
            Meta(0, 2, "null", Quoted("?PageSize=2&Page=0"),
                 Quoted("?PageSize=2&Page=1&PageToken=tok_NEXT-1")) +
                R"("users":[]})");
}

TEST(PageJsonTest, MiddlePageWithTokens) {
  Page page;
  page.page = 1;
  page.page_size = 2;
  page.page_token = "CUR";
  page.previous_page_token = "PREV";
  page.next_page_token = "NEXT";
  EXPECT_EQ(PageJson(page, kService, kBase), Meta(1, 2, Quoted("?PageSize=2&Page=0&PageToken=PREV"),
                                                  Quoted("?PageSize=2&Page=1&PageToken=CUR"),
                                                  Quoted("?PageSize=2&Page=2&PageToken=NEXT")) +
                                                 R"("users":[]})");
}

TEST(PageJsonTest, LastPageHasNoNext) {
  Page page;
  page.page = 3;
  page.page_size = 100;
  page.page_token = "CUR";
  page.previous_page_token = "PREV";
  EXPECT_EQ(PageJson(page, kService, kBase),
            Meta(3, 100, Quoted("?PageSize=100&Page=2&PageToken=PREV"),
                 Quoted("?PageSize=100&Page=3&PageToken=CUR"), "null") +
                R"("users":[]})");
}

TEST(PageJsonTest, TokensArePercentEncoded) {
  Page page;
  page.page_size = 5;
  page.next_page_token = "a+b/c=d e";
  const std::string json = PageJson(page, kService, kBase);
  EXPECT_NE(json.find("&PageToken=a%2Bb%2Fc%3Dd%20e\""), std::string::npos) << json;
}

TEST(PageJsonTest, ListItemsPutJoinedChannelsCountAfterDates) {
  Page page;
  page.page_size = 50;
  User u = FullUser();
  u.is_online.reset();
  u.is_notifiable.reset();
  page.users = {u, u};
  const std::string item = std::string(R"({"sid":"USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
                                       R"("account_sid":"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
                                       R"("service_sid":"ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
                                       R"("role_sid":"RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
                                       R"("identity":"jing","attributes":"{\"a\":1}",)"
                                       R"("is_online":null,"is_notifiable":null,)"
                                       R"("friendly_name":"Jing",)"
                                       R"("date_created":"2016-03-24T21:05:19Z",)"
                                       R"("date_updated":"2016-03-24T21:06:20Z",)"
                                       R"("joined_channels_count":3,)") +
                           Links() + R"(,"url":")" + kUserUrl + R"("})";
  EXPECT_EQ(PageJson(page, kService, kBase),
            Meta(0, 50, "null", Quoted("?PageSize=50&Page=0"), "null") + R"("users":[)" + item +
                "," + item + "]}");
}

// ---- services and roles -----------------------------------------------------

TEST(ServiceJsonTest, TwilioShape) {
  Service s;
  s.sid = kService;
  s.account_sid = kAccount;
  s.friendly_name = "my \"service\"";
  s.default_service_role_sid = "RL00000000000000000000000000000001";
  s.default_channel_role_sid = "RL00000000000000000000000000000002";
  s.default_channel_creator_role_sid = "RL00000000000000000000000000000003";
  s.reachability_enabled = true;
  s.date_created = FixtureTime();
  s.date_updated = FixtureTime();
  const std::string url = "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  const std::string expected =
      R"({"sid":"ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
      R"("account_sid":"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
      R"("friendly_name":"my \"service\"",)"
      R"("date_created":"2016-03-24T21:05:19Z",)"
      R"("date_updated":"2016-03-24T21:05:19Z",)"
      R"("default_service_role_sid":"RL00000000000000000000000000000001",)"
      R"("default_channel_role_sid":"RL00000000000000000000000000000002",)"
      R"("default_channel_creator_role_sid":"RL00000000000000000000000000000003",)"
      R"("read_status_enabled":true,"reachability_enabled":true,)"
      R"("typing_indicator_timeout":5,"consumption_report_interval":10,)"
      R"("limits":{"channel_members":100,"user_channels":250},)"
      R"("pre_webhook_url":null,"post_webhook_url":null,)"
      R"("webhook_method":null,"webhook_filters":null,)"
      R"("pre_webhook_retry_count":0,"post_webhook_retry_count":0,)"
      R"("notifications":{},)"
      R"("media":{"size_limit_mb":150,)"
      R"("compatibility_message":"Media messages are not supported by your client"},)"
      R"("url":")" +
      url +
      R"(",)"
      R"("links":{"channels":")" +
      url + R"(/Channels","users":")" + url + R"(/Users","roles":")" + url +
      R"(/Roles","bindings":")" + url + R"(/Bindings"}})";
  EXPECT_EQ(ServiceJson(s, kBase), expected);
}

Role ChannelUserRole() {
  Role r;
  r.sid = kRole;
  r.account_sid = kAccount;
  r.service_sid = kService;
  r.friendly_name = "channel user";
  r.type = RoleScope::kChannel;
  r.permissions = {"sendMessage", "leaveChannel"};
  r.date_created = FixtureTime();
  r.date_updated = FixtureTime();
  return r;
}

const char kRoleJson[] =
    R"({"sid":"RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
    R"("account_sid":"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
    R"("service_sid":"ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
    R"("friendly_name":"channel user","type":"channel",)"
    R"("permissions":["sendMessage","leaveChannel"],)"
    R"("date_created":"2016-03-24T21:05:19Z",)"
    R"("date_updated":"2016-03-24T21:05:19Z",)"
    R"("url":"https://chat.twilio.com/v2/Services/)"
    R"(ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Roles/RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})";

TEST(RoleJsonTest, TwilioShape) {
  EXPECT_EQ(RoleJson(ChannelUserRole(), kBase), kRoleJson);
  Role r = ChannelUserRole();
  r.type = RoleScope::kDeployment;
  r.permissions.clear();
  const std::string json = RoleJson(r, kBase);
  EXPECT_NE(json.find(R"("type":"deployment","permissions":[],)"), std::string::npos) << json;
}

TEST(RolesPageJsonTest, OnePageOfAllRoles) {
  const std::string roles_url =
      "https://chat.twilio.com/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
      "Roles?PageSize=50&Page=0";
  const std::string meta = R"({"meta":{"page":0,"page_size":50,"first_page_url":")" + roles_url +
                           R"(","previous_page_url":null,"url":")" + roles_url +
                           R"(","next_page_url":null,"key":"roles"},)";
  EXPECT_EQ(RolesPageJson({}, kService, kBase), meta + R"("roles":[]})");
  EXPECT_EQ(RolesPageJson({ChannelUserRole(), ChannelUserRole()}, kService, kBase),
            meta + R"("roles":[)" + kRoleJson + "," + kRoleJson + "]}");
}

// ---- errors -----------------------------------------------------------------

TEST(ErrorJsonTest, TwilioErrorBody) {
  EXPECT_EQ(ErrorJson(BadRequest(twilio_code::kInvalidParameter,
                                 "Missing required parameter Identity in the "
                                 "post body")),
            R"({"code":20001,"message":"Missing required parameter Identity )"
            R"(in the post body","more_info":)"
            R"("https://www.twilio.com/docs/errors/20001","status":400})");
  EXPECT_EQ(ErrorJson(Conflict(twilio_code::kUserAlreadyExists, "User already exists")),
            R"({"code":50201,"message":"User already exists","more_info":)"
            R"("https://www.twilio.com/docs/errors/50201","status":409})");
}

TEST(ErrorJsonTest, EchoedInputIsEscaped) {
  const std::string json =
      ErrorJson(NotFound("The requested resource /Services/IS1/Users/a\"b\\c\n\xFF was not found"));
  EXPECT_EQ(json, R"({"code":20404,"message":"The requested resource /Services/IS1/)"
                  R"(Users/a\"b\\c\n\ufffd was not found","more_info":)"
                  R"("https://www.twilio.com/docs/errors/20404","status":404})");
  EXPECT_TRUE(IsValidJson(json));
}

TEST(ErrorJsonTest, ForeignStatusIsInternal) {
  EXPECT_EQ(ErrorJson(absl::InternalError("boom")),
            R"({"code":20500,"message":"boom","more_info":)"
            R"("https://www.twilio.com/docs/errors/20500","status":500})");
}

// ---- PrettyJson -------------------------------------------------------------

TEST(PrettyJsonTest, IndentsTwoSpaces) {
  EXPECT_EQ(PrettyJson(R"({"a":1,"b":[true,null,"x"],"c":{},"d":[],"e":{"f":{"g":-2}}})"),
            "{\n"
            "  \"a\": 1,\n"
            "  \"b\": [\n"
            "    true,\n"
            "    null,\n"
            "    \"x\"\n"
            "  ],\n"
            "  \"c\": {},\n"
            "  \"d\": [],\n"
            "  \"e\": {\n"
            "    \"f\": {\n"
            "      \"g\": -2\n"
            "    }\n"
            "  }\n"
            "}");
}

TEST(PrettyJsonTest, ScalarsAndEmptyContainers) {
  EXPECT_EQ(PrettyJson("  1 "), "1");
  EXPECT_EQ(PrettyJson("\"s\""), "\"s\"");
  EXPECT_EQ(PrettyJson("{}"), "{}");
  EXPECT_EQ(PrettyJson("[ ]"), "[]");
  EXPECT_EQ(PrettyJson("[[]]"), "[\n  []\n]");
}

TEST(PrettyJsonTest, KeepsKeyOrderAndStringContent) {
  // Keys in input order (not sorted), duplicate keys kept, escapes normalised
  // (\/ and \u00e9 decode; ", \ and control characters are escaped again).
  EXPECT_EQ(PrettyJson(R"({"z":"a\"b\\c\/d\u00e9\n\u0001","a":1,"z":2})"),
            "{\n"
            "  \"z\": \"a\\\"b\\\\c/d\xC3\xA9\\n\\u0001\",\n"
            "  \"a\": 1,\n"
            "  \"z\": 2\n"
            "}");
}

TEST(PrettyJsonTest, Numbers) {
  // Integers come out as written (simdjson reads "-0" as the integer 0);
  // other numbers in their shortest round-trip form, always with a "." or "e".
  EXPECT_EQ(PrettyJson("[0,-0,18446744073709551615,-9223372036854775808,1.5,"
                       "1.0,1e2,2.5e-3,1e300]"),
            "[\n  0,\n  0,\n  18446744073709551615,\n"
            "  -9223372036854775808,\n  1.5,\n  1.0,\n  100.0,\n  0.0025,\n"
            "  1e+300\n]");
}

TEST(PrettyJsonTest, InvalidInputIsReturnedUnchanged) {
  for (const char* text : {"", "{", "not json", "{\"a\":1,}", "\xFF"}) {
    EXPECT_EQ(PrettyJson(text), text);
  }
}

TEST(PrettyJsonTest, DeepInputDoesNotRecurse) {
  const std::string deep = std::string(1000, '[') + std::string(1000, ']');
  const std::string pretty = PrettyJson(deep);
  EXPECT_NE(pretty, deep);
  EXPECT_TRUE(IsValidJson(pretty));
  EXPECT_EQ(pretty.substr(pretty.size() - 2), "\n]");
  // The innermost array sits at level 999, indented 1998 spaces.
  EXPECT_NE(pretty.find("\n" + std::string(1998, ' ') + "[]\n"), std::string::npos);
}

TEST(PrettyJsonTest, RenderedBodiesRoundTrip) {
  Page page;
  page.page_size = 50;
  page.users = {FullUser()};
  for (const std::string& json : {UserJson(FullUser(), kBase), PageJson(page, kService, kBase),
                                  RoleJson(ChannelUserRole(), kBase)}) {
    const std::string pretty = PrettyJson(json);
    EXPECT_NE(pretty, json);
    EXPECT_TRUE(IsValidJson(pretty));
    // Removing the layout gives back the compact text exactly.
    std::string compact;
    bool in_string = false;
    for (size_t i = 0; i < pretty.size(); ++i) {
      const char c = pretty[i];
      if (in_string) {
        compact += c;
        if (c == '\\') {
          compact += pretty[++i];
        } else if (c == '"') {
          in_string = false;
        }
      } else if (c == '"') {
        in_string = true;
        compact += c;
      } else if (c != ' ' && c != '\n') {
        compact += c;
      }
    }
    EXPECT_EQ(compact, json);
  }
}

// ---- JsonWriter -------------------------------------------------------------

TEST(JsonWriterTest, EscapesEveryControlCharacter) {
  std::string all;
  for (int c = 0; c < 0x20; ++c) all += static_cast<char>(c);
  EXPECT_EQ(internal::JsonQuote(all),
            "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
            "\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
            "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
            "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"");
  EXPECT_EQ(internal::JsonQuote(" !\"#\\/~\x7f"), "\" !\\\"#\\\\/~\x7f\"");
  EXPECT_EQ(internal::JsonQuote(""), "\"\"");
}

TEST(JsonWriterTest, InvalidUtf8BecomesReplacementCharacters) {
  // Only the ill-formed sequences are replaced; valid text around them stays.
  EXPECT_EQ(internal::JsonQuote("a\xC3\xA9\xFF"), "\"a\xC3\xA9\\ufffd\"");
  EXPECT_EQ(internal::JsonQuote("a\xC3\xA9"), "\"a\xC3\xA9\"");
}

// One U+FFFD per maximal subpart (Unicode 15 §3.9, "U+FFFD Substitution of
// Maximal Subparts"; the W3C/WHATWG decoder's practice): a truncated but so
// far valid sequence is one replacement, a byte that cannot start or continue
// one is one replacement each.
TEST(JsonWriterTest, ReplacesMaximalSubpartsOnly) {
  constexpr char R[] = "\\ufffd";  // the escape as written
  struct Case {
    std::string in, out;
  };
  const std::string nihon = "\xE6\x97\xA5\xE6\x9C\xAC";  // 日本
  const std::string go = "\xE8\xAA\x9E";                 // 語
  const std::string emoji = "\xF0\x9F\x98\x80";          // U+1F600
  for (const Case& c : std::vector<Case>{
           {nihon + "\xFF" + go, nihon + R + go},
           {"caf\xC3\xA9 \xC3", "caf\xC3\xA9 " + std::string(R)},  // truncated at the end
           {"\xE6\x97x" + go, std::string(R) + "x" + go},          // truncated 3-byte: one
           {"\xF0\x9F\x98" + emoji, std::string(R) + emoji},       // truncated 4-byte: one
           {"\xF0\x9F\x98", R},
           {"\xC0\xAF", std::string(R) + R},          // overlong: C0 never starts one
           {"\xE0\x80\xAF", std::string(R) + R + R},  // overlong 3-byte
           {"\xF0\x80\x80\xAF", std::string(R) + R + R + R},
           {"\xED\xA0\x80" + nihon, std::string(R) + R + R + nihon},  // surrogate D800
           {"\xED\x9F\xBF", "\xED\x9F\xBF"},                          // U+D7FF is fine
           {"\xF4\x90\x80\x80", std::string(R) + R + R + R},          // above U+10FFFF
           {"\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"},                  // U+10FFFF is fine
           {"\x80\xBF" + emoji, std::string(R) + R + emoji},          // lone continuations
           {"\xF5\xFE\xFF", std::string(R) + R + R},
           {"\xE1\x80\n\xC3\xA9", std::string(R) + "\\n\xC3\xA9"},  // escapes still apply
           // Unicode 15 Table 3-8.
           {"\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64",
            std::string("a") + R + R + R + "b" + R + "c" + R + R + "d"},
       }) {
    SCOPED_TRACE(c.in);
    const std::string quoted = internal::JsonQuote(c.in);
    EXPECT_EQ(quoted, "\"" + c.out + "\"");
    EXPECT_TRUE(IsValidJson(quoted));
  }
}

TEST(JsonWriterTest, CompactAndPretty) {
  for (int indent : {0, 4}) {
    internal::JsonWriter w(indent);
    w.BeginObject();
    w.MemberInt("n", -5);
    w.Key("list");
    w.BeginArray();
    w.Uint(7);
    w.Double(0.5);
    w.OptionalString(std::nullopt);
    w.OptionalBool(false);
    w.EndArray();
    w.EndObject();
    if (indent == 0) {
      EXPECT_EQ(w.text(), R"({"n":-5,"list":[7,0.5,null,false]})");
    } else {
      EXPECT_EQ(w.text(),
                "{\n    \"n\": -5,\n    \"list\": [\n        7,\n        0.5,\n"
                "        null,\n        false\n    ]\n}");
    }
  }
}

TEST(JsonWriterTest, NonFiniteDoublesAreNull) {
  internal::JsonWriter w;
  w.BeginArray();
  w.Double(std::numeric_limits<double>::infinity());
  w.Double(std::numeric_limits<double>::quiet_NaN());
  w.Double(-2.0);
  w.EndArray();
  EXPECT_EQ(w.Release(), "[null,null,-2.0]");
}

}  // namespace
}  // namespace userstore
