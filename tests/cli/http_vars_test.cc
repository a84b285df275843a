// Tests of `{{...}}` expansion (tools/http_vars.h).
#include "http_vars.h"

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace userstore::cli {
namespace {

using ::testing::HasSubstr;

std::string ExpandOk(const VariableContext& context, absl::string_view text) {
  absl::StatusOr<std::string> out = context.Expand(text);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : "<error>";
}

std::string ExpandError(const VariableContext& context,
                        absl::string_view text) {
  absl::StatusOr<std::string> out = context.Expand(text);
  EXPECT_FALSE(out.ok()) << text << " gave " << *out;
  if (out.ok()) return "";
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(out.status().message());
}

Response CreatedUser() {
  Response r;
  r.status = 201;
  r.headers = {{"Content-Type", "application/json; charset=utf-8"}};
  r.body =
      R"({"sid":"US0123","identity":"jing","is_online":null,)"
      R"("links":{"user_channels":"https://x/Channels"},"roles":["a","b"],)"
      R"("n":7,"a/b":"slash","t~":"tilde"})";
  return r;
}

TEST(HttpVarsTest, TextWithoutReferencesIsUnchanged) {
  VariableContext context;
  EXPECT_EQ(ExpandOk(context, ""), "");
  EXPECT_EQ(ExpandOk(context, "Identity=a&b={c}"), "Identity=a&b={c}");
  EXPECT_EQ(ExpandOk(context, "open {{ but never closed"),
            "open {{ but never closed");
}

TEST(HttpVarsTest, FileVariablesExpandRecursivelyAndLaterWins) {
  VariableContext context;
  context.AddFileVariables({{"host", "https://chat.twilio.com"},
                            {"base", "{{host}}/v2"},
                            {"service", "IS1"},
                            {"service", "IS2"}});
  EXPECT_EQ(ExpandOk(context, "{{base}}/Services/{{ service }}/Users"),
            "https://chat.twilio.com/v2/Services/IS2/Users");
}

TEST(HttpVarsTest, UnknownAndCyclicVariablesAreErrors) {
  VariableContext context;
  context.AddFileVariables({{"a", "{{b}}"}, {"b", "{{a}}"}});
  EXPECT_THAT(ExpandError(context, "x{{nope}}"), HasSubstr("unknown variable"));
  EXPECT_THAT(ExpandError(context, "{{a}}"), HasSubstr("too deep"));
  EXPECT_THAT(ExpandError(context, "{{$guid}}"), HasSubstr("system variables"));
}

TEST(HttpVarsTest, ResponseBodyFields) {
  VariableContext context;
  context.RecordResponse("create", CreatedUser());
  EXPECT_EQ(ExpandOk(context, "/Users/{{create.response.body.sid}}"),
            "/Users/US0123");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.$.identity}}"), "jing");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.links.user_channels}}"),
            "https://x/Channels");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.roles[1]}}"), "b");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.$.roles}}"),
            R"(["a","b"])");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.n}}"), "7");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.is_online}}"), "null");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.a/b}}"), "slash");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.t~}}"), "tilde");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.*}}"),
            CreatedUser().body);
}

TEST(HttpVarsTest, ResponseHeadersAnyCase) {
  VariableContext context;
  context.RecordResponse("create", CreatedUser());
  EXPECT_EQ(ExpandOk(context, "{{create.response.headers.content-type}}"),
            "application/json; charset=utf-8");
  EXPECT_THAT(ExpandError(context, "{{create.response.headers.X-None}}"),
              HasSubstr("no such response header"));
}

TEST(HttpVarsTest, LaterResponseReplacesEarlier) {
  VariableContext context;
  context.RecordResponse("r", CreatedUser());
  Response second;
  second.body = R"({"sid":"US9999"})";
  context.RecordResponse("r", second);
  EXPECT_EQ(ExpandOk(context, "{{r.response.body.sid}}"), "US9999");
}

TEST(HttpVarsTest, RequestVariableErrors) {
  VariableContext context;
  context.RecordResponse("create", CreatedUser());
  Response empty;
  empty.status = 204;
  context.RecordResponse("deleted", empty);
  EXPECT_THAT(ExpandError(context, "{{later.response.body.sid}}"),
              HasSubstr("no earlier request named 'later'"));
  EXPECT_THAT(ExpandError(context, "{{create.response.body.missing}}"),
              HasSubstr("no such field"));
  EXPECT_THAT(ExpandError(context, "{{create.response.body.roles[5]}}"),
              HasSubstr("no such field"));
  EXPECT_THAT(ExpandError(context, "{{deleted.response.body.sid}}"),
              HasSubstr("not JSON"));
  EXPECT_THAT(ExpandError(context, "{{create.request.body.sid}}"),
              HasSubstr("expected NAME.response"));
  EXPECT_THAT(ExpandError(context, "{{create.response.body}}"),
              HasSubstr("expected NAME.response"));
  EXPECT_THAT(ExpandError(context, "{{create.response.body.a..b}}"),
              HasSubstr("bad body path"));
}

TEST(BodyPathToJsonPointerTest, Conversions) {
  struct Case {
    const char* path;
    const char* pointer;
  } cases[] = {
      {"$", ""},       {"sid", "/sid"},       {"$.sid", "/sid"},
      {"a.b", "/a/b"}, {"a[0]", "/a/0"},      {"a[0][12].b", "/a/0/12/b"},
      {"$[3]", "/3"},  {"x~y/z", "/x~0y~1z"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> pointer = BodyPathToJsonPointer(c.path);
    ASSERT_TRUE(pointer.ok()) << c.path << ": " << pointer.status();
    EXPECT_EQ(*pointer, c.pointer) << c.path;
  }
  for (const char* bad :
       {"a.", ".a", "a..b", "a[", "a[]", "a[x]", "a[1]b", "$x"}) {
    EXPECT_FALSE(BodyPathToJsonPointer(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace userstore::cli
