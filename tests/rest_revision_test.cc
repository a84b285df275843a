// REST facade tests of userstore's additions (issue 13): the ETag header of
// single-user responses, the If-Match precondition of update and delete
// (412/20412), and the extension parameter X-Userstore-AttributesPatch,
// ignored unless FacadeOptions::enable_extensions. Over a real Store; the
// fixture is tests/support/rest_fixture.h.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "rest/conditional.h"
#include "rest/params.h"
#include "tests/support/rest_fixture.h"
#include "tests/support/test_store.h"
#include "userstore/events.h"
#include "userstore/rest.h"
#include "userstore/store.h"
#include "userstore/user.h"

namespace userstore {
namespace {

using testing::Headers;
using testing::Json;
using testing::kServiceSid;
using testing::kUsers;
using testing::RestFacadeTest;

// The response's ETag, or nullopt; at most one.
std::optional<std::string> ETagOf(const Response& r) {
  std::optional<std::string> etag;
  for (const auto& [name, value] : r.headers) {
    if (name != "ETag") continue;
    EXPECT_FALSE(etag.has_value()) << "two ETags";
    etag = value;
  }
  return etag;
}

std::string Quoted(uint64_t revision) { return "\"" + std::to_string(revision) + "\""; }

class RestRevisionTest : public RestFacadeTest {
 protected:
  explicit RestRevisionTest(FacadeOptions facade = {}) : RestFacadeTest({}, facade) {}

  std::string UserPath(std::string_view key) const {
    return std::string(kUsers) + "/" + std::string(key);
  }
  uint64_t Revision(std::string_view key) {
    absl::StatusOr<userstore::User> user = t_->FetchUser(kServiceSid, key);
    EXPECT_TRUE(user.ok()) << user.status();
    return user.ok() ? user->revision : 0;
  }
  std::string Attributes(std::string_view key) {
    absl::StatusOr<userstore::User> user = t_->FetchUser(kServiceSid, key);
    EXPECT_TRUE(user.ok()) << user.status();
    return user.ok() ? user->attributes : "";
  }
  Response Delete(std::string_view key, Headers headers = {}) {
    return Do("DELETE", UserPath(key), "", std::move(headers));
  }
  static Headers IfMatch(std::string value) { return {{"If-Match", std::move(value)}}; }
};

TEST_F(RestRevisionTest, ETagIsTheRevisionOfEverySingleUserResponse) {
  Response created = Create("Identity=alice");
  ASSERT_EQ(created.status, 201) << created.body;
  const uint64_t first = Revision("alice");
  EXPECT_EQ(ETagOf(created), Quoted(first));
  // Content-Type stays the first header; the ETag follows it.
  ASSERT_EQ(created.headers.size(), 2u);
  EXPECT_EQ(created.headers[1].first, "ETag");

  Response fetched = Get(UserPath("alice"));
  ASSERT_EQ(fetched.status, 200);
  EXPECT_EQ(ETagOf(fetched), Quoted(first));
  EXPECT_EQ(ETagOf(Get(UserPath(Json(created.body).Str("/sid")))), Quoted(first));
  Response head = Do("HEAD", UserPath("alice"));
  EXPECT_EQ(head.headers, fetched.headers);  // GET's headers, ETag included

  Response updated = Post(UserPath("alice"), "FriendlyName=A");
  ASSERT_EQ(updated.status, 200) << updated.body;
  const uint64_t second = Revision("alice");
  EXPECT_GT(second, first);
  EXPECT_EQ(ETagOf(updated), Quoted(second));
  EXPECT_EQ(ETagOf(Get(UserPath("alice"))), Quoted(second));
  // The body is Twilio's: no revision in it.
  EXPECT_EQ(updated.body.find("revision"), std::string::npos);

  // Lists, errors and 204s carry none.
  EXPECT_FALSE(ETagOf(Get(kUsers)).has_value());
  EXPECT_FALSE(ETagOf(Get(UserPath("nobody"))).has_value());
  EXPECT_FALSE(ETagOf(Create("Identity=alice")).has_value());  // 409
  EXPECT_FALSE(ETagOf(Delete("alice")).has_value());
}

TEST_F(RestRevisionTest, IfMatchOnUpdate) {
  ASSERT_EQ(Create("Identity=bob&FriendlyName=Bob").status, 201);
  const uint64_t revision = Revision("bob");
  const std::string etag = ETagOf(Get(UserPath("bob"))).value_or("");

  // A stale tag: 412/20412 and nothing changed.
  const std::string before = Get(UserPath("bob")).body;
  ExpectError(Post(UserPath("bob"), "FriendlyName=Stale", IfMatch(Quoted(revision + 1))), 412,
              20412);
  Response after = Get(UserPath("bob"));
  EXPECT_EQ(after.body, before);
  EXPECT_EQ(Json(after.body).Str("/friendly_name"), "Bob");
  EXPECT_EQ(ETagOf(after), etag);

  // The current tag (OWS around it ignored): applied, and the ETag moves.
  Response ok = Post(UserPath("bob"), "FriendlyName=New", IfMatch(" " + etag + "\t"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Json(ok.body).Str("/friendly_name"), "New");
  ASSERT_NE(ETagOf(ok), etag);
  // The old tag no longer matches; the new one does.
  ExpectError(Post(UserPath("bob"), "FriendlyName=Late", IfMatch(etag)), 412, 20412);
  EXPECT_EQ(Post(UserPath("bob"), "FriendlyName=Next", IfMatch(*ETagOf(ok))).status, 200);
  // "*" is no precondition.
  EXPECT_EQ(Post(UserPath("bob"), "FriendlyName=Any", IfMatch("*")).status, 200);
  EXPECT_EQ(Json(Get(UserPath("bob")).body).Str("/friendly_name"), "Any");
  // An unknown user is 404 whatever the tag.
  ExpectError(Post(UserPath("nobody"), "FriendlyName=x", IfMatch(etag)), 404, 20404);
  // The header name is case-insensitive.
  ExpectError(Post(UserPath("bob"), "FriendlyName=x", {{"if-match", etag}}), 412, 20412);
}

TEST_F(RestRevisionTest, IfMatchOnDelete) {
  ASSERT_EQ(Create("Identity=carol").status, 201);
  const std::string etag = Quoted(Revision("carol"));
  ExpectError(Delete("carol", IfMatch(Quoted(Revision("carol") + 7))), 412, 20412);
  EXPECT_EQ(Get(UserPath("carol")).status, 200);  // still there
  EXPECT_EQ(Delete("carol", IfMatch(etag)).status, 204);
  ExpectError(Get(UserPath("carol")), 404, 20404);
  ExpectError(Delete("carol", IfMatch(etag)), 404, 20404);
  // "*" deletes whatever the revision.
  ASSERT_EQ(Create("Identity=carol").status, 201);
  EXPECT_EQ(Delete("carol", IfMatch("*")).status, 204);
  EXPECT_EQ(CountUsers(), 0);
}

TEST_F(RestRevisionTest, MalformedIfMatchIs400AndChangesNothing) {
  ASSERT_EQ(Create("Identity=dave&FriendlyName=Dave").status, 201);
  const uint64_t revision = Revision("dave");
  const std::string digits = std::to_string(revision);
  for (const std::string& bad : std::vector<std::string>{
           std::string(), digits, "W/\"" + digits + "\"", "\"" + digits + "\", \"1\"",
           "\"0" + digits + "\"", "\"\"", "\"x\"", "\"" + digits, "\"-1\"", "\"+1\"",
           std::string("\"18446744073709551616\""), "**", "\"1 \""}) {
    SCOPED_TRACE(bad);
    ExpectError(Post(UserPath("dave"), "FriendlyName=x", IfMatch(bad)), 400, 20001,
                "Invalid value for header If-Match (expected * or one ETag of this user, "
                "\"<revision>\" as the ETag header gives it)");
    ExpectError(Delete("dave", IfMatch(bad)), 400, 20001);
  }
  EXPECT_EQ(Revision("dave"), revision);
  EXPECT_EQ(Json(Get(UserPath("dave")).body).Str("/friendly_name"), "Dave");
  // An unknown Service still comes first (docs/rest.md, order of checks).
  const std::string unknown = "/v2/Services/IS" + testing::Hex32('9') + "/Users/dave";
  ExpectError(Post(unknown, "FriendlyName=x", IfMatch("nope")), 404, 20404);
  ExpectError(Do("DELETE", unknown, "", IfMatch("nope")), 404, 20404);
}

TEST_F(RestRevisionTest, IfMatchIsReadOnlyByUpdateAndDelete) {
  // A create and a fetch ignore it, even when it is malformed.
  ASSERT_EQ(Create("Identity=erin", IfMatch("nope")).status, 201);
  EXPECT_EQ(Do("GET", UserPath("erin"), "", IfMatch("\"999999\"")).status, 200);
  EXPECT_EQ(Do("GET", kUsers, "", IfMatch("nope")).status, 200);
}

TEST(ConditionalTest, ParseIfMatchBounds) {
  EXPECT_EQ(internal::EntityTag(0), "\"0\"");
  EXPECT_EQ(internal::EntityTag(UINT64_MAX), "\"18446744073709551615\"");
  EXPECT_EQ(internal::ParseIfMatch("\"0\"").value(), std::optional<uint64_t>(0));
  EXPECT_EQ(internal::ParseIfMatch("\"18446744073709551615\"").value(),
            std::optional<uint64_t>(UINT64_MAX));
  EXPECT_EQ(internal::ParseIfMatch("*").value(), std::nullopt);
  EXPECT_FALSE(internal::ParseIfMatch("\"00\"").ok());
  EXPECT_TRUE(
      std::string_view(internal::kAttributesPatchParam).starts_with(internal::kExtensionPrefix));
}

// ---- the extension parameter ------------------------------------------------------

constexpr char kPatch[] = "X-Userstore-AttributesPatch";

TEST_F(RestRevisionTest, ExtensionParameterIsIgnoredByDefault) {
  ASSERT_EQ(Create("Identity=fay&Attributes=%7B%22a%22%3A1%7D").status, 201);
  const uint64_t revision = Revision("fay");
  // Alone it is an update without parameters, as Twilio answers one with an
  // unknown parameter.
  ExpectError(Post(UserPath("fay"), std::string(kPatch) + "=%7B%22b%22%3A2%7D"), 400, 20161);
  // Beside a Twilio parameter it changes nothing of the attributes.
  Response r = Post(UserPath("fay"), std::string(kPatch) + "=%7B%22b%22%3A2%7D&FriendlyName=F");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r.body).Str("/attributes"), R"({"a":1})");
  EXPECT_EQ(Attributes("fay"), R"({"a":1})");
  EXPECT_GT(Revision("fay"), revision);
  // Nor does it clash with Attributes.
  EXPECT_EQ(Post(UserPath("fay"), std::string(kPatch) + "=x&Attributes=%7B%7D").status, 200);
  EXPECT_EQ(Attributes("fay"), "{}");
}

class RestExtensionsTest : public RestRevisionTest {
 protected:
  static FacadeOptions Extensions() {
    FacadeOptions options;
    options.enable_extensions = true;
    return options;
  }
  RestExtensionsTest() : RestRevisionTest(Extensions()) {}
};

TEST_F(RestExtensionsTest, AttributesPatchMergesOneKeyAndKeepsTheOthers) {
  ASSERT_EQ(
      Create("Identity=gus&Attributes=%7B%22a%22%3A1%2C%22b%22%3A%7B%22c%22%3A2%7D%7D").status,
      201);
  // {"b":{"d":3},"e":true}
  Response r = Post(UserPath("gus"),
                    std::string(kPatch) + "=%7B%22b%22%3A%7B%22d%22%3A3%7D%2C%22e%22%3Atrue%7D");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r.body).Str("/attributes"), R"({"a":1,"b":{"c":2,"d":3},"e":true})");
  EXPECT_EQ(Attributes("gus"), R"({"a":1,"b":{"c":2,"d":3},"e":true})");
  EXPECT_EQ(ETagOf(r), Quoted(Revision("gus")));
  // null removes a key; with If-Match, the merge is conditional.
  const std::string etag = *ETagOf(r);
  ExpectError(Post(UserPath("gus"), std::string(kPatch) + "=%7B%22a%22%3Anull%7D",
                   {{"If-Match", Quoted(Revision("gus") + 1)}}),
              412, 20412);
  EXPECT_EQ(Attributes("gus"), R"({"a":1,"b":{"c":2,"d":3},"e":true})");
  r = Post(UserPath("gus"), std::string(kPatch) + "=%7B%22a%22%3Anull%7D", {{"If-Match", etag}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Attributes("gus"), R"({"b":{"c":2,"d":3},"e":true})");
  // A patch is an update parameter of its own, beside the others.
  r = Post(UserPath("gus"), std::string(kPatch) + "=%7B%22e%22%3Afalse%7D&FriendlyName=Gus");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r.body).Str("/friendly_name"), "Gus");
  EXPECT_EQ(Attributes("gus"), R"({"b":{"c":2,"d":3},"e":false})");
  // A create ignores it.
  r = Create("Identity=hal&" + std::string(kPatch) + "=%7B%22a%22%3A1%7D");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Json(r.body).Str("/attributes"), "{}");
  // The name is case-sensitive, as every parameter's.
  ExpectError(Post(UserPath("gus"), "x-userstore-attributespatch=%7B%7D"), 400, 20161);
}

TEST_F(RestExtensionsTest, AttributesPatchErrors) {
  ASSERT_EQ(Create("Identity=ivy&Attributes=%7B%22a%22%3A1%7D").status, 201);
  const uint64_t revision = Revision("ivy");
  const std::string patch = std::string(kPatch) + "=";
  ExpectError(Post(UserPath("ivy"), patch + "%7B%7D&Attributes=%7B%7D"), 400, 20001);
  ExpectError(Post(UserPath("ivy"), patch + "nope"), 400, 50304);
  ExpectError(Post(UserPath("ivy"), patch), 400, 50304);              // empty: not JSON
  ExpectError(Post(UserPath("ivy"), patch + "%5B1%5D"), 400, 50304);  // [1]: not an object
  std::string deep(200, '[');
  deep = "%7B%22k%22%3A" + deep + std::string(200, ']') + "%7D";  // {"k":[[[...]]]}
  ExpectError(Post(UserPath("ivy"), patch + deep), 400, 50304);
  const std::string big = "%7B%22k%22%3A%22" + std::string(16400, 'x') + "%22%7D";
  ExpectError(Post(UserPath("ivy"), patch + big), 400, 50303);
  EXPECT_EQ(Revision("ivy"), revision);
  EXPECT_EQ(Attributes("ivy"), R"({"a":1})");
}

// X-Userstore-Origin: client marks a create, update or delete as a chat
// client's: the pre-event listeners judge it (a veto is 403/50056) and the
// post-event listeners see it without X-Twilio-Webhook-Enabled. Without the
// header, and without --extensions, writes stay kServer.
TEST_F(RestExtensionsTest, OriginHeaderMarksClientWrites) {
  std::vector<std::string> judged;
  std::vector<WriteOrigin> seen;
  t_.store->AddPreEventListener([&judged](const PreEvent& e) {
    judged.push_back(e.user.identity);
    return e.user.identity.starts_with("deny") ? absl::PermissionDeniedError("no")
                                               : absl::OkStatus();
  });
  t_.store->AddPostEventListener([&seen](const UserEvent& e) { seen.push_back(e.origin); });
  const Headers client = {{"X-Userstore-Origin", " Client "}};
  ASSERT_EQ(Create("Identity=kim", client).status, 201);
  ExpectError(Create("Identity=deny-1", client), 403, 50056);
  EXPECT_EQ(Get(UserPath("deny-1")).status, 404);
  ASSERT_EQ(Create("Identity=deny-2").status, 201);  // kServer: never judged
  ASSERT_EQ(Post(UserPath("kim"), "FriendlyName=K", client).status, 200);
  ASSERT_EQ(Post(UserPath("kim"), "FriendlyName=L", {{"X-Userstore-Origin", "server"}}).status,
            200);
  EXPECT_EQ(Delete("kim", client).status, 204);
  EXPECT_EQ(judged, (std::vector<std::string>{"kim", "deny-1", "kim"}));
  EXPECT_EQ(seen, (std::vector<WriteOrigin>{WriteOrigin::kClient, WriteOrigin::kClient,
                                            WriteOrigin::kClient}));
  ExpectError(Create("Identity=x", {{"X-Userstore-Origin", "import"}}), 400, 20001);
  ExpectError(Delete("deny-2", {{"X-Userstore-Origin", "sdk"}}), 400, 20001);
}

TEST_F(RestRevisionTest, OriginHeaderIsIgnoredByDefault) {
  std::vector<std::string> judged;
  t_.store->AddPreEventListener([&judged](const PreEvent& e) {
    judged.push_back(e.user.identity);
    return absl::PermissionDeniedError("no");
  });
  ASSERT_EQ(Create("Identity=kim", {{"X-Userstore-Origin", "client"}}).status, 201);
  ASSERT_EQ(Create("Identity=lee", {{"X-Userstore-Origin", "bogus"}}).status, 201);
  EXPECT_EQ(Delete("kim", {{"X-Userstore-Origin", "client"}}).status, 204);
  EXPECT_TRUE(judged.empty());
}

}  // namespace
}  // namespace userstore
