// Tests of `{{...}}` expansion (tools/http_vars.h).
#include "http_vars.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
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

std::string ExpandError(const VariableContext& context, absl::string_view text) {
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
  r.body = R"({"sid":"US0123","identity":"jing","is_online":null,)"
           R"("links":{"user_channels":"https://x/Channels"},"roles":["a","b"],)"
           R"("n":7,"a/b":"slash","t~":"tilde"})";
  return r;
}

TEST(HttpVarsTest, TextWithoutReferencesIsUnchanged) {
  VariableContext context;
  EXPECT_EQ(ExpandOk(context, ""), "");
  EXPECT_EQ(ExpandOk(context, "Identity=a&b={c}"), "Identity=a&b={c}");
  EXPECT_EQ(ExpandOk(context, "open {{ but never closed"), "open {{ but never closed");
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
  EXPECT_EQ(ExpandOk(context, "/Users/{{create.response.body.sid}}"), "/Users/US0123");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.$.identity}}"), "jing");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.links.user_channels}}"),
            "https://x/Channels");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.roles[1]}}"), "b");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.$.roles}}"), R"(["a","b"])");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.n}}"), "7");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.is_online}}"), "null");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.a/b}}"), "slash");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.t~}}"), "tilde");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.*}}"), CreatedUser().body);
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
  EXPECT_THAT(ExpandError(context, "{{create.response.body.missing}}"), HasSubstr("no such field"));
  EXPECT_THAT(ExpandError(context, "{{create.response.body.roles[5]}}"),
              HasSubstr("no such field"));
  // Indices are range-checked and canonical.
  EXPECT_THAT(ExpandError(context, "{{create.response.body.roles[99999999999999999999999]}}"),
              HasSubstr("index 99999999999999999999999 out of range"));
  EXPECT_THAT(ExpandError(context, "{{create.response.body.roles[4294967295]}}"),
              HasSubstr("no such field"));
  // 2^64 + 1 used to wrap around to 1 in simdjson: the field "b".
  EXPECT_EQ(ExpandError(context, "{{create.response.body.roles[18446744073709551617]}}"),
            "{{create.response.body.roles[18446744073709551617]}}: bad body path "
            "roles[18446744073709551617]: index 18446744073709551617 out of range");
  EXPECT_EQ(ExpandOk(context, "{{create.response.body.roles[01]}}"), "b");
  EXPECT_THAT(ExpandError(context, "{{deleted.response.body.sid}}"), HasSubstr("not JSON"));
  EXPECT_THAT(ExpandError(context, "{{create.request.body.sid}}"),
              HasSubstr("expected NAME.response"));
  EXPECT_THAT(ExpandError(context, "{{create.response.body}}"),
              HasSubstr("expected NAME.response"));
  EXPECT_THAT(ExpandError(context, "{{create.response.body.a..b}}"), HasSubstr("bad body path"));
}

// @v0 = `leaf`, and each @vK = 16 references to @v(K-1): {{vK}} would be
// 16^K copies of `leaf`.
VariableContext NestedSixteenfold(int levels, absl::string_view leaf) {
  std::vector<std::pair<std::string, std::string>> variables = {{"v0", std::string(leaf)}};
  for (int k = 1; k <= levels; ++k) {
    std::string value;
    for (int i = 0; i < 16; ++i) absl::StrAppend(&value, "{{v", k - 1, "}}");
    variables.emplace_back(absl::StrCat("v", k), value);
  }
  VariableContext context;
  context.AddFileVariables(variables);
  return context;
}

// Issue 10, item 8: a few hundred bytes of nested variables (8 levels of 16
// copies of 4 bytes: 17 GB) used to be expanded in full and die with
// std::bad_alloc. The expansion stops at a limit, before allocating past it:
// here the reference count (16^8 references)...
TEST(HttpVarsTest, NestedVariablesStopAtTheReferenceLimit) {
  const VariableContext context = NestedSixteenfold(8, "abcd");
  const absl::Time start = absl::Now();
  EXPECT_EQ(ExpandError(context, "/v2/{{v8}}"),
            "more than 4096 {{...}} references to expand in this request "
            "(nested ones included)");
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  // The leaf alone, and 16^2 copies of it, are fine.
  EXPECT_EQ(ExpandOk(context, "{{v0}}"), "abcd");
  EXPECT_EQ(ExpandOk(context, "{{v2}}").size(), 256u * 4);
}

// ... and, with a longer leaf (1000 bytes: 4.3 TB in all), the byte limit.
TEST(HttpVarsTest, NestedVariablesStopAtTheByteLimit) {
  const VariableContext context = NestedSixteenfold(8, std::string(1000, 'x'));
  const absl::Time start = absl::Now();
  EXPECT_EQ(ExpandError(context, "/v2/{{v8}}"),
            "variables expand to more than 1048576 bytes in this request (the "
            "limit for its URL, headers and body together)");
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(ExpandOk(context, "{{v2}}"), std::string(256 * 1000, 'x'));
}

TEST(HttpVarsTest, ByteLimitIsInclusive) {
  static_assert(kMaxExpandedRequestBytes == 1024 * 1024);
  // 16 * 16 * 4096 bytes = exactly 1 MiB.
  const VariableContext context = NestedSixteenfold(2, std::string(4096, 'x'));
  const std::string at_limit = ExpandOk(context, "{{v2}}");
  EXPECT_EQ(at_limit.size(), kMaxExpandedRequestBytes);
  EXPECT_EQ(at_limit.find_first_not_of('x'), std::string::npos);
  EXPECT_THAT(ExpandError(context, "{{v2}}/"), HasSubstr("more than 1048576 bytes"));
  EXPECT_THAT(ExpandError(context, "/{{v2}}"), HasSubstr("more than 1048576 bytes"));
}

// References that expand to nothing cost no bytes, but are counted: 16^8
// empty references used to take exponential time.
TEST(HttpVarsTest, ReferencesAreCounted) {
  const VariableContext context = NestedSixteenfold(8, "");
  const absl::Time start = absl::Now();
  EXPECT_THAT(ExpandError(context, "{{v8}}"),
              HasSubstr("more than 4096 {{...}} references to expand in this "
                        "request"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  // 16 + 16^2 + 16 ^ 3 = 4368 references: one level fewer is 273.
  EXPECT_EQ(ExpandOk(context, "{{v2}}"), "");
}

TEST(HttpVarsTest, OneBudgetIsSharedByTheExpansionsOfARequest) {
  VariableContext context;
  context.AddFileVariables({{"five", "12345"}});
  context.RecordResponse("create", CreatedUser());
  ExpansionBudget budget;
  budget.max_bytes = 12;
  budget.max_references = 3;
  absl::StatusOr<std::string> a = context.Expand("{{five}}", &budget);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a, "12345");
  absl::StatusOr<std::string> b = context.Expand("/{{create.response.body.sid}}", &budget);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*b, "/US0123");
  EXPECT_EQ(budget.bytes, 12u);
  EXPECT_EQ(budget.references, 2u);
  absl::StatusOr<std::string> c = context.Expand("x", &budget);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "variables expand to more than 12 bytes in this request (the "
            "limit for its URL, headers and body together)");
  // Request variables are charged too, before they are appended.
  ExpansionBudget small;
  small.max_bytes = 20;
  absl::StatusOr<std::string> body = context.Expand("{{create.response.body.*}}", &small);
  ASSERT_FALSE(body.ok());
  EXPECT_THAT(body.status().message(), HasSubstr("more than 20 bytes"));
  EXPECT_EQ(small.bytes, 0u);
  ExpansionBudget one_reference;
  one_reference.max_references = 1;
  absl::StatusOr<std::string> two = context.Expand("{{five}}{{five}}", &one_reference);
  ASSERT_FALSE(two.ok());
  EXPECT_THAT(two.status().message(), HasSubstr("more than 1 {{...}}"));
}

TEST(BodyPathToJsonPointerTest, Conversions) {
  struct Case {
    const char* path;
    const char* pointer;
  } cases[] = {
      {"$", ""},          {"sid", "/sid"},
      {"$.sid", "/sid"},  {"a.b", "/a/b"},
      {"a[0]", "/a/0"},   {"a[0][12].b", "/a/0/12/b"},
      {"$[3]", "/3"},     {"x~y/z", "/x~0y~1z"},
      {"a[007]", "/a/7"}, {"a[4294967295]", "/a/4294967295"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> pointer = BodyPathToJsonPointer(c.path);
    ASSERT_TRUE(pointer.ok()) << c.path << ": " << pointer.status();
    EXPECT_EQ(*pointer, c.pointer) << c.path;
  }
  for (const char* bad : {"a.", ".a", "a..b", "a[", "a[]", "a[x]", "a[1]b", "$x", "a[-1]",
                          "a[4294967296]", "a[18446744073709551617]"}) {
    EXPECT_FALSE(BodyPathToJsonPointer(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace userstore::cli
