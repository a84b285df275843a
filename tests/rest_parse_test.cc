// Unit tests of the REST facade's parsing layer: request targets (segments,
// escapes, '+'), form/query decoding (plus, malformed escapes, repeats,
// valueless and empty-named parameters), routing, paging parameters, the
// webhook header and the request bounds. No Store involved.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rest/form.h"
#include "rest/params.h"
#include "rest/router.h"
#include "rest/target.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

using Segments = std::vector<std::string>;

void ExpectInvalid(const absl::Status& status) {
  EXPECT_EQ(HttpStatus(status), 400) << status;
  EXPECT_EQ(TwilioCode(status), 20001) << status;
}

// ---- ParseTarget -----------------------------------------------------------

TEST(ParseTarget, SplitsBeforeDecoding) {
  absl::StatusOr<Target> t = ParseTarget("/v2/Services/IS1/Users/team%2Falice", 64);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->segments, (Segments{"v2", "Services", "IS1", "Users", "team/alice"}));
  EXPECT_EQ(t->encoded_path, "/v2/Services/IS1/Users/team%2Falice");
  EXPECT_TRUE(t->query.empty());
}

TEST(ParseTarget, DecodesEachSegmentExactlyOnce) {
  absl::StatusOr<Target> t = ParseTarget("/a%2525b/%C3%A9/%2e%2e", 64);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->segments, (Segments{"a%25b", "\xC3\xA9", ".."}));
}

TEST(ParseTarget, PlusInPathIsLiteral) {
  absl::StatusOr<Target> t = ParseTarget("/Users/a+b", 64);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->segments, (Segments{"Users", "a+b"}));
  t = ParseTarget("/Users/a%20b", 64);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->segments.back(), "a b");
}

TEST(ParseTarget, NulEscapeDecodesToNulByte) {
  absl::StatusOr<Target> t = ParseTarget("/a%00b", 64);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->segments.back(), std::string("a\0b", 3));
}

TEST(ParseTarget, EmptySegmentsAreKept) {
  absl::StatusOr<Target> t = ParseTarget("/v2/Users/", 64);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->segments, (Segments{"v2", "Users", ""}));
  t = ParseTarget("/v2//Users", 64);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->segments, (Segments{"v2", "", "Users"}));
  t = ParseTarget("/", 64);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->segments.empty());
}

TEST(ParseTarget, MalformedEscapesAreRejected) {
  for (const char* target : {"/Users/a%4", "/Users/a%zz", "/Users/%", "/Users/%G0", "/Users/x?a=%4",
                             "/Users/x?a=%zz", "/Users/x?%"}) {
    SCOPED_TRACE(target);
    ExpectInvalid(ParseTarget(target, 64).status());
  }
}

TEST(ParseTarget, NonOriginFormIsRejected) {
  for (const char* target :
       {"", "*", "v2/Services", "http://h/v2/Services", "/a b", "/a#frag", "/a?x=a b", "/a?x={}"}) {
    SCOPED_TRACE(target);
    ExpectInvalid(ParseTarget(target, 64).status());
  }
}

TEST(ParseTarget, QueryIsFormDecoded) {
  absl::StatusOr<Target> t = ParseTarget("/v2/Services/IS/Users?PageSize=5&x=a+b%2Bc&Page=0", 64);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->segments.size(), 4u);
  EXPECT_EQ(t->query, (FormParams{{"PageSize", "5"}, {"x", "a b+c"}, {"Page", "0"}}));
  t = ParseTarget("/v2?", 64);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->segments, (Segments{"v2"}));
  EXPECT_TRUE(t->query.empty());
}

TEST(ParseTarget, QueryParamCountIsBounded) {
  EXPECT_TRUE(ParseTarget("/x?a=1&b=2", 2).ok());
  ExpectInvalid(ParseTarget("/x?a=1&b=2&c=3", 2).status());
}

TEST(BasePathSegments, FromBaseUrl) {
  EXPECT_EQ(*BasePathSegments("https://chat.twilio.com/v2"), (Segments{"v2"}));
  EXPECT_EQ(*BasePathSegments("https://h"), Segments{});
  EXPECT_EQ(*BasePathSegments("https://h/"), Segments{});
  EXPECT_EQ(*BasePathSegments("http://h:8080/a/b/v2"), (Segments{"a", "b", "v2"}));
  EXPECT_EQ(*BasePathSegments("http://h/v2/"), (Segments{"v2"}));
  EXPECT_EQ(*BasePathSegments("http://h/a%20b"), (Segments{"a b"}));
  ExpectInvalid(BasePathSegments("/v2").status());
}

// ---- ParseForm -------------------------------------------------------------

TEST(ParseForm, PlusIsSpaceAndEscapesDecodeOnce) {
  absl::StatusOr<FormParams> p =
      ParseForm("Identity=a+b&Attributes=%7B%22k%22%3A1%7D&F=%2B%2525", 64);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, (FormParams{{"Identity", "a b"}, {"Attributes", "{\"k\":1}"}, {"F", "+%25"}}));
}

TEST(ParseForm, NamesAreDecodedToo) {
  absl::StatusOr<FormParams> p = ParseForm("Friendly%4Eame=x&a+b=y", 64);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (FormParams{{"FriendlyName", "x"}, {"a b", "y"}}));
}

TEST(ParseForm, OnlyTheFirstEqualsSplits) {
  absl::StatusOr<FormParams> p = ParseForm("a=b=c", 64);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (FormParams{{"a", "b=c"}}));
}

TEST(ParseForm, ValuelessParamHasEmptyValue) {
  absl::StatusOr<FormParams> p = ParseForm("FriendlyName&b=", 64);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (FormParams{{"FriendlyName", ""}, {"b", ""}}));
  ASSERT_TRUE(FindParam(*p, "FriendlyName").has_value());
  EXPECT_EQ(*FindParam(*p, "FriendlyName"), "");
}

TEST(ParseForm, EmptyPiecesAndEmptyNamesAreDropped) {
  absl::StatusOr<FormParams> p = ParseForm("&&=x&a=1&&=&", 64);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (FormParams{{"a", "1"}}));
  p = ParseForm("", 64);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->empty());
}

TEST(ParseForm, RepeatedNamesFirstWins) {
  absl::StatusOr<FormParams> p = ParseForm("a=1&b=2&a=3", 64);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size(), 3u);
  EXPECT_EQ(*FindParam(*p, "a"), "1");
  EXPECT_EQ(*FindParam(*p, "b"), "2");
  EXPECT_FALSE(FindParam(*p, "A").has_value());  // names are case-sensitive
  EXPECT_FALSE(FindParam(*p, "c").has_value());
}

TEST(ParseForm, RawBytesOutsideTheQueryGrammarAreLiteral) {
  absl::StatusOr<FormParams> p = ParseForm("Attributes={\"k\": [1]}&FriendlyName=\xC3\xA9 #?/", 64);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, (FormParams{{"Attributes", "{\"k\": [1]}"}, {"FriendlyName", "\xC3\xA9 #?/"}}));
}

TEST(ParseForm, MalformedEscapeRejectsTheWholeText) {
  for (const char* text : {"a=%4", "a=%zz", "a=%", "%=1", "ok=1&Identity=x%2", "a%g=1", "a=%%41"}) {
    SCOPED_TRACE(text);
    absl::StatusOr<FormParams> p = ParseForm(text, 64);
    ExpectInvalid(p.status());
  }
  absl::Status s = ParseForm("Identity=%zz", 64).status();
  EXPECT_EQ(s.message(), "Malformed percent-encoding in parameter Identity");
}

TEST(ParseForm, ParamCountIsBoundedBeforeDecoding) {
  std::string text;
  for (int i = 0; i < 64; ++i) text += "a=1&";
  EXPECT_TRUE(ParseForm(text, 64).ok());
  text += "b=%zz";  // the 65th: rejected for the count, not the escape
  absl::Status s = ParseForm(text, 64).status();
  ExpectInvalid(s);
  EXPECT_EQ(s.message(), "Too many parameters (limit 64)");
}

// ---- Router ----------------------------------------------------------------

TEST(MatchRoute, AllRoutes) {
  const Segments base = {"v2"};
  // A Route views the segments: each list lives as long as its route.
  const Segments service = {"v2", "Services", "IS1"};
  std::optional<Route> r = MatchRoute(service, base);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, RouteKind::kService);
  EXPECT_EQ(r->service_sid, "IS1");
  EXPECT_EQ(ResourcePath(*r), "/Services/IS1");

  const Segments roles = {"v2", "Services", "IS1", "Roles"};
  r = MatchRoute(roles, base);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, RouteKind::kRoles);
  EXPECT_EQ(ResourcePath(*r), "/Services/IS1/Roles");

  const Segments users = {"v2", "Services", "IS1", "Users"};
  r = MatchRoute(users, base);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, RouteKind::kUsers);
  EXPECT_EQ(ResourcePath(*r), "/Services/IS1/Users");

  const Segments user = {"v2", "Services", "IS1", "Users", "team/alice"};
  r = MatchRoute(user, base);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, RouteKind::kUser);
  EXPECT_EQ(r->service_sid, "IS1");
  EXPECT_EQ(r->user_key, "team/alice");
  EXPECT_EQ(ResourcePath(*r), "/Services/IS1/Users/team/alice");
}

TEST(MatchRoute, UnknownPaths) {
  const Segments base = {"v2"};
  for (const Segments& s : std::vector<Segments>{
           {},
           {"v2"},
           {"v2", "Services"},
           {"v1", "Services", "IS1"},
           {"Services", "IS1"},
           {"v2", "services", "IS1"},
           {"v2", "Services", "IS1", "users"},
           {"v2", "Services", "IS1", "Roles", "RL1"},
           {"v2", "Services", "IS1", "Channels"},
           {"v2", "Services", "IS1", "Users", "a", "Channels"},
           {"v2", "Services", "IS1", "Users", ""},  // trailing slash
           {"v2", "Services", "", "Users"},
           {"v2", "Services", "IS1", ""},
       }) {
    SCOPED_TRACE(testing::PrintToString(s));
    EXPECT_FALSE(MatchRoute(s, base).has_value());
  }
}

TEST(MatchRoute, EmptyAndLongerBases) {
  const Segments users = {"Services", "IS1", "Users"};
  std::optional<Route> r = MatchRoute(users, {});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, RouteKind::kUsers);
  const Segments service = {"api", "chat", "v2", "Services", "IS1"};
  r = MatchRoute(service, {"api", "chat", "v2"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, RouteKind::kService);
  EXPECT_EQ(r->service_sid, "IS1");
  const Segments short_base = {"api", "v2", "Services", "IS1"};
  EXPECT_FALSE(MatchRoute(short_base, {"api", "chat", "v2"}));
}

TEST(MethodAllowed, PerRoute) {
  EXPECT_TRUE(MethodAllowed(RouteKind::kService, "GET"));
  EXPECT_FALSE(MethodAllowed(RouteKind::kService, "POST"));
  EXPECT_TRUE(MethodAllowed(RouteKind::kRoles, "GET"));
  EXPECT_FALSE(MethodAllowed(RouteKind::kRoles, "DELETE"));
  EXPECT_TRUE(MethodAllowed(RouteKind::kUsers, "POST"));
  EXPECT_FALSE(MethodAllowed(RouteKind::kUsers, "DELETE"));
  EXPECT_TRUE(MethodAllowed(RouteKind::kUser, "DELETE"));
  EXPECT_FALSE(MethodAllowed(RouteKind::kUser, "PUT"));
  EXPECT_FALSE(MethodAllowed(RouteKind::kUser, "get"));  // methods are case-sensitive
  // HEAD wherever GET (RFC 9110 §9.3.2).
  for (RouteKind kind :
       {RouteKind::kService, RouteKind::kRoles, RouteKind::kUsers, RouteKind::kUser}) {
    EXPECT_TRUE(MethodAllowed(kind, "HEAD"));
    EXPECT_FALSE(MethodAllowed(kind, "head"));
  }
  EXPECT_EQ(AllowedMethods(RouteKind::kUser), "GET, HEAD, POST, DELETE");
  EXPECT_EQ(AllowedMethods(RouteKind::kUsers), "GET, HEAD, POST");
  EXPECT_EQ(AllowedMethods(RouteKind::kService), "GET, HEAD");
  EXPECT_EQ(AllowedMethods(RouteKind::kRoles), "GET, HEAD");
}

TEST(PathForNotFound, StripsTheBaseOnly) {
  EXPECT_EQ(PathForNotFound("/v2/Services/IS1/Users/a/b",
                            {"v2", "Services", "IS1", "Users", "a", "b"}, {"v2"}),
            "/Services/IS1/Users/a/b");
  EXPECT_EQ(PathForNotFound("/v2/Nope%2Fx", {"v2", "Nope/x"}, {"v2"}), "/Nope%2Fx");
  EXPECT_EQ(PathForNotFound("/v1/Services", {"v1", "Services"}, {"v2"}), "/v1/Services");
  EXPECT_EQ(PathForNotFound("/v2", {"v2"}, {"v2"}), "/");
  EXPECT_EQ(PathForNotFound("/", {}, {"v2"}), "/");
  EXPECT_EQ(PathForNotFound("/a/b/v2/X", {"a", "b", "v2", "X"}, {"a", "b", "v2"}), "/X");
  EXPECT_EQ(PathForNotFound("/Services/", {"Services", ""}, {}), "/Services/");
}

// ---- Paging parameters, header, bounds -------------------------------------

TEST(ParsePageRequest, Defaults) {
  absl::StatusOr<PageRequest> r = ParsePageRequest({});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->page_size, 0);  // the store's default
  EXPECT_EQ(r->page, 0);
  EXPECT_EQ(r->page_token, "");
}

TEST(ParsePageRequest, Values) {
  absl::StatusOr<PageRequest> r =
      ParsePageRequest({{"PageSize", "1000"}, {"Page", "3"}, {"PageToken", "tok"}, {"Other", "x"}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->page_size, 1000);  // clamping is the store's
  EXPECT_EQ(r->page, 3);
  EXPECT_EQ(r->page_token, "tok");
  r = ParsePageRequest({{"PageSize", "7"}, {"PageSize", "x"}});  // first wins
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->page_size, 7);
}

TEST(ParsePageRequest, BadPageSize) {
  for (const char* v : {"0", "-1", "", "abc", "1.5", "+5", " 5", "5 ", "1e2", "0x10",
                        "-99999999999999999999", "00", "-9223372036854775809"}) {
    SCOPED_TRACE(v);
    absl::Status s = ParsePageRequest({{"PageSize", v}}).status();
    ExpectInvalid(s);
    EXPECT_EQ(s.message(), "Invalid PageSize: must be an integer of at least 1");
  }
}

// A PageSize above the maximum is clamped whatever its size: digits beyond
// int64 are the largest request, not an error and not "below 1".
TEST(ParsePageRequest, PageSizeBeyondInt64IsTheLargestRequest) {
  for (const char* v : {"9223372036854775807", "9223372036854775808", "18446744073709551616",
                        "99999999999999999999", "123456789012345678901234567890",
                        "0000000000000000000000000000009223372036854775808"}) {
    SCOPED_TRACE(v);
    absl::StatusOr<PageRequest> r = ParsePageRequest({{"PageSize", v}});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->page_size, 9223372036854775807);
  }
  absl::StatusOr<PageRequest> r = ParsePageRequest({{"PageSize", "0000000000000000000000007"}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->page_size, 7);
}

TEST(ParsePageRequest, BadPage) {
  for (const char* v :
       {"-1", "", "x", "+1", "1.0", "99999999999999999999", "9223372036854775807",
        "9223372036854775808", "123456789012345678901234567890", "-99999999999999999999"}) {
    SCOPED_TRACE(v);
    absl::Status s = ParsePageRequest({{"Page", v}, {"PageToken", "t"}}).status();
    ExpectInvalid(s);
    EXPECT_EQ(s.message(), "Invalid Page: must be an integer from 0 to 9223372036854775806");
  }
  absl::StatusOr<PageRequest> max =
      ParsePageRequest({{"Page", "9223372036854775806"}, {"PageToken", "t"}});
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->page, 9223372036854775806);
  absl::Status s = ParsePageRequest({{"Page", "1"}}).status();
  ExpectInvalid(s);
  EXPECT_EQ(s.message(), "Page greater than 0 requires a PageToken");
  ExpectInvalid(ParsePageRequest({{"Page", "2"}, {"PageToken", ""}}).status());
  EXPECT_TRUE(ParsePageRequest({{"Page", "0"}}).ok());
  EXPECT_TRUE(ParsePageRequest({{"Page", "000"}}).ok());
}

TEST(WebhookEnabled, Values) {
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_FALSE(*WebhookEnabled({}));
  EXPECT_TRUE(*WebhookEnabled(Headers{{"X-Twilio-Webhook-Enabled", "true"}}));
  EXPECT_TRUE(*WebhookEnabled(Headers{{"x-twilio-webhook-enabled", "TRUE"}}));
  EXPECT_FALSE(*WebhookEnabled(Headers{{"X-TWILIO-WEBHOOK-ENABLED", "false"}}));
  EXPECT_TRUE(*WebhookEnabled(Headers{{"Other", "x"},
                                      {"X-Twilio-Webhook-Enabled", "true"},
                                      {"X-Twilio-Webhook-Enabled", "false"}}));
  // Optional whitespace (SP, HTAB) around a field value is not part of it
  // (RFC 9110 §5.5).
  for (const char* v : {" true", "true ", "\ttrue", " \t true\t ", "\tTrue\t"}) {
    SCOPED_TRACE(v);
    absl::StatusOr<bool> enabled = WebhookEnabled(Headers{{"X-Twilio-Webhook-Enabled", v}});
    ASSERT_TRUE(enabled.ok()) << enabled.status();
    EXPECT_TRUE(*enabled);
  }
  absl::StatusOr<bool> disabled = WebhookEnabled(Headers{{"X-Twilio-Webhook-Enabled", " false\t"}});
  ASSERT_TRUE(disabled.ok());
  EXPECT_FALSE(*disabled);
  // Other whitespace is not OWS; inner spaces stay.
  for (const char* v : {"", " ", "\t \t", "1", "yes", "\ntrue", "true\r", "\vtrue", "true\f",
                        "tr ue", "\xc2\xa0true"}) {
    SCOPED_TRACE(v);
    ExpectInvalid(WebhookEnabled(Headers{{"X-Twilio-Webhook-Enabled", v}}).status());
  }
}

TEST(FindHeader, CaseInsensitiveFirstWins) {
  std::vector<std::pair<std::string, std::string>> h = {{"content-type", "a"},
                                                        {"Content-Type", "b"}};
  EXPECT_EQ(*FindHeader(h, "CONTENT-TYPE"), "a");
  EXPECT_FALSE(FindHeader(h, "Content-Length").has_value());
}

// Every header the facade reads goes through FindHeader, which drops the
// optional whitespace (SP and HTAB only) around the value (RFC 9110 §5.5).
TEST(FindHeader, TrimsOptionalWhitespaceOnly) {
  std::vector<std::pair<std::string, std::string>> h = {
      {"A", " \t a \t b\t "}, {"B", "\r\n\v\fx\f"}, {"C", " \t "}, {"D", ""}};
  EXPECT_EQ(*FindHeader(h, "a"), "a \t b");
  EXPECT_EQ(*FindHeader(h, "B"), "\r\n\v\fx\f");
  EXPECT_EQ(*FindHeader(h, "C"), "");
  EXPECT_EQ(*FindHeader(h, "D"), "");
}

TEST(CheckRequestBounds, InclusiveLimits) {
  std::string target(kMaxTargetBytes, 'a');
  EXPECT_TRUE(CheckRequestBounds(target, kMaxBodyBytes, kMaxHeaders).ok());
  target.push_back('a');
  absl::Status s = CheckRequestBounds(target, 0, 0);
  ExpectInvalid(s);
  EXPECT_EQ(s.message(), "Request target too long (limit 8192 bytes)");
  s = CheckRequestBounds("/", kMaxBodyBytes + 1, 0);
  ExpectInvalid(s);
  EXPECT_EQ(s.message(), "Request body too long (limit 65536 bytes)");
  s = CheckRequestBounds("/", 0, kMaxHeaders + 1);
  ExpectInvalid(s);
  EXPECT_EQ(s.message(), "Too many request headers (limit 100)");
}

}  // namespace
}  // namespace userstore::internal
