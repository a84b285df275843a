// Tests of the .http file parser (tools/http_file.h).
#include "http_file.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace userstore::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

HttpFile ParseOk(absl::string_view text) {
  absl::StatusOr<HttpFile> file = ParseHttpFile(text);
  EXPECT_TRUE(file.ok()) << file.status();
  return file.ok() ? *file : HttpFile{};
}

TEST(HttpFileTest, RequestLineHeadersAndBody) {
  HttpFile file = ParseOk(
      "POST https://chat.twilio.com/v2/Services/IS1/Users HTTP/1.1\n"
      "Content-Type: application/x-www-form-urlencoded\n"
      "X-Twilio-Webhook-Enabled:  true \n"
      "\n"
      "Identity=alice\n");
  ASSERT_EQ(file.requests.size(), 1u);
  const HttpFileRequest& r = file.requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://chat.twilio.com/v2/Services/IS1/Users");
  EXPECT_EQ(r.line, 1);
  EXPECT_THAT(r.headers, ElementsAre(Pair("Content-Type", "application/x-www-form-urlencoded"),
                                     Pair("X-Twilio-Webhook-Enabled", "true")));
  EXPECT_EQ(r.body, "Identity=alice");
  EXPECT_EQ(r.name, "");
}

TEST(HttpFileTest, SeparatorsCommentsAndLineNumbers) {
  HttpFile file = ParseOk(
      "# a comment\n"
      "// another\n"
      "GET /v2/Services/IS1/Users/alice\n"
      "\n"
      "### second request\n"
      "\n"
      "delete /v2/Services/IS1/Users/alice   HTTP/1.1\n"
      "###\n"
      "### only comments here\n"
      "# nothing\n");
  ASSERT_EQ(file.requests.size(), 2u);
  EXPECT_EQ(file.requests[0].method, "GET");
  EXPECT_EQ(file.requests[0].url, "/v2/Services/IS1/Users/alice");
  EXPECT_EQ(file.requests[0].line, 3);
  EXPECT_EQ(file.requests[0].body, "");
  EXPECT_EQ(file.requests[1].method, "DELETE");
  EXPECT_EQ(file.requests[1].url, "/v2/Services/IS1/Users/alice");
  EXPECT_EQ(file.requests[1].line, 7);
}

TEST(HttpFileTest, LoneUrlIsGet) {
  HttpFile file = ParseOk("https://chat.twilio.com/v2/Services/IS1\n");
  ASSERT_EQ(file.requests.size(), 1u);
  EXPECT_EQ(file.requests[0].method, "GET");
  EXPECT_EQ(file.requests[0].url, "https://chat.twilio.com/v2/Services/IS1");
}

TEST(HttpFileTest, BodyIsVerbatimWithTrailingBlankLinesTrimmed) {
  HttpFile file = ParseOk(
      "POST /x\n"
      "Content-Type: application/json\n"
      "\n"
      "{\n"
      "  # not a comment inside a body\n"
      "\n"
      "  \"a\": 1\n"
      "}\n"
      "\n"
      "   \n"
      "###\n");
  ASSERT_EQ(file.requests.size(), 1u);
  EXPECT_EQ(file.requests[0].body, "{\n  # not a comment inside a body\n\n  \"a\": 1\n}");
}

TEST(HttpFileTest, BodyWithoutHeaders) {
  HttpFile file = ParseOk("POST /x\n\nA=1\n");
  ASSERT_EQ(file.requests.size(), 1u);
  EXPECT_TRUE(file.requests[0].headers.empty());
  EXPECT_EQ(file.requests[0].body, "A=1");
}

TEST(HttpFileTest, CrlfLineEnds) {
  HttpFile file = ParseOk("POST /x HTTP/1.1\r\nA: b\r\n\r\nline1\r\nline2\r\n");
  ASSERT_EQ(file.requests.size(), 1u);
  EXPECT_THAT(file.requests[0].headers, ElementsAre(Pair("A", "b")));
  EXPECT_EQ(file.requests[0].body, "line1\nline2");
}

TEST(HttpFileTest, FormBodyLinesStartingWithAmpersandAreJoined) {
  HttpFile file = ParseOk(
      "POST /x\n"
      "content-type: application/x-www-form-urlencoded; charset=utf-8\n"
      "\n"
      "Identity=jing\n"
      "&FriendlyName=Jing\n"
      "&Attributes=%7B%7D\n");
  ASSERT_EQ(file.requests.size(), 1u);
  EXPECT_EQ(file.requests[0].body, "Identity=jing&FriendlyName=Jing&Attributes=%7B%7D");
}

TEST(HttpFileTest, NonFormBodyKeepsNewlinesBeforeAmpersand) {
  HttpFile file = ParseOk("POST /x\nContent-Type: text/plain\n\na\n&b\n");
  ASSERT_EQ(file.requests.size(), 1u);
  EXPECT_EQ(file.requests[0].body, "a\n&b");
}

TEST(HttpFileTest, QueryContinuationLines) {
  HttpFile file = ParseOk(
      "GET /v2/Services/IS1/Users\n"
      "    ?PageSize=20\n"
      "    &Page=0\n"
      "Accept: application/json\n");
  ASSERT_EQ(file.requests.size(), 1u);
  EXPECT_EQ(file.requests[0].url, "/v2/Services/IS1/Users?PageSize=20&Page=0");
  EXPECT_THAT(file.requests[0].headers, ElementsAre(Pair("Accept", "application/json")));
}

TEST(HttpFileTest, FileVariablesInOrder) {
  HttpFile file = ParseOk(
      "@service = ISaaaa\n"
      "@base=https://chat.twilio.com/v2  \n"
      "\n"
      "GET {{base}}/Services/{{service}}\n"
      "###\n"
      "@service = ISbbbb\n");
  EXPECT_THAT(file.variables,
              ElementsAre(Pair("service", "ISaaaa"), Pair("base", "https://chat.twilio.com/v2"),
                          Pair("service", "ISbbbb")));
  ASSERT_EQ(file.requests.size(), 1u);
  EXPECT_EQ(file.requests[0].url, "{{base}}/Services/{{service}}");
}

TEST(HttpFileTest, RequestNames) {
  HttpFile file = ParseOk(
      "# @name create\n"
      "POST /a\n"
      "###\n"
      "// @name=fetch_1\n"
      "GET /b\n"
      "###\n"
      "# @name dropped\n"
      "###\n"
      "GET /c\n");
  ASSERT_EQ(file.requests.size(), 3u);
  EXPECT_EQ(file.requests[0].name, "create");
  EXPECT_EQ(file.requests[1].name, "fetch_1");
  EXPECT_EQ(file.requests[2].name, "");  // a name does not cross `###`
}

TEST(HttpFileTest, CommentsAmongHeadersAreSkipped) {
  HttpFile file = ParseOk("GET /a\n# note\nA: 1\n// note\nB: 2\n");
  ASSERT_EQ(file.requests.size(), 1u);
  EXPECT_THAT(file.requests[0].headers, ElementsAre(Pair("A", "1"), Pair("B", "2")));
}

TEST(HttpFileTest, HeaderValueMayContainColons) {
  HttpFile file = ParseOk("GET /a\nReferer: https://x.test:8080/p\n");
  ASSERT_EQ(file.requests.size(), 1u);
  EXPECT_THAT(file.requests[0].headers, ElementsAre(Pair("Referer", "https://x.test:8080/p")));
}

TEST(HttpFileTest, EmptyAndCommentOnlyFilesHaveNoRequests) {
  EXPECT_TRUE(ParseOk("").requests.empty());
  EXPECT_TRUE(ParseOk("# nothing\n\n###\n").requests.empty());
}

TEST(HttpFileTest, Errors) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"\n\nFETCH /a b\n", "line 3: expected a request line"},
      {"GET /a HTTP/1.1 extra\n", "line 1: expected a request line"},
      {"GET /a\nno colon here\n", "line 2: expected a header line"},
      {"GET /a\n: empty name\n", "line 2: expected a header line"},
      {"@novalue\n", "line 1: expected a file variable"},
      {"@ = x\n", "line 1: a variable name"},
      {"@a.b = x\n", "line 1: a variable name"},
      {"# @name bad.name\nGET /a\n", "line 1: a request name"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<HttpFile> file = ParseHttpFile(c.text);
    ASSERT_FALSE(file.ok()) << c.text;
    EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(file.status().message(), HasSubstr(c.message)) << c.text;
  }
}

// Issue 10 (one more pass): a file's lines used to be split into a vector
// (16 bytes per line: a file of newlines took 16 times its size) and counted
// in an int with no bound. Files over 64 MiB are refused; lines are visited
// one at a time.
TEST(HttpFileTest, FilesOverTheSizeLimitAreRefused) {
  static_assert(kMaxHttpFileBytes == 64 * 1024 * 1024);
  std::string text = "POST /v2/Services\n\n";
  const size_t head = text.size();
  text.resize(kMaxHttpFileBytes, 'x');  // exactly at the limit: parsed
  absl::StatusOr<HttpFile> file = ParseHttpFile(text);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->requests.size(), 1u);
  EXPECT_EQ(file->requests[0].url, "/v2/Services");
  EXPECT_EQ(file->requests[0].body.size(), kMaxHttpFileBytes - head);
  text.push_back('x');
  file = ParseHttpFile(text);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(file.status().message(),
            "the file is larger than 67108864 bytes (64 MiB), the limit of a "
            ".http file");
}

TEST(HttpFileTest, ManyBlankLinesKeepLineNumbersAndInnerBodyLines) {
  std::string text(1000000, '\n');
  absl::StrAppend(&text,
                  "POST /v2/Services/IS1/Users\n"
                  "Content-Type: application/x-www-form-urlencoded\n\n"
                  "\n  \nIdentity=a\n&FriendlyName=b\n\n\n",
                  std::string(1000, '\n'), "### next\n", "GET /v2/x\n");
  HttpFile file = ParseOk(text);
  ASSERT_EQ(file.requests.size(), 2u);
  EXPECT_EQ(file.requests[0].line, 1000001);
  EXPECT_EQ(file.requests[0].body, "\n  \nIdentity=a&FriendlyName=b");
  EXPECT_EQ(file.requests[1].line, 1000001 + 10 + 1000);
}

TEST(HttpFileTest, ParsesTheTwilioDocsExample) {
  const char* dir = std::getenv("USERSTORE_SOURCE_DIR");
  ASSERT_NE(dir, nullptr);
  std::ifstream in(std::string(dir) + "/examples/twilio-docs.http");
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  HttpFile file = ParseOk(text.str());
  ASSERT_EQ(file.requests.size(), 6u);
  EXPECT_EQ(file.requests[0].method, "POST");
  EXPECT_EQ(file.requests[0].name, "create");
  EXPECT_THAT(file.requests[0].body, HasSubstr("&RoleSid={{role}}&"));
  EXPECT_EQ(file.requests[5].method, "DELETE");
}

}  // namespace
}  // namespace userstore::cli
