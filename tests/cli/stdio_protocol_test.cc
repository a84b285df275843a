// Tests of the `userstore stdio` line protocol (tools/stdio_protocol.h).
#include "stdio_protocol.h"

#include <string_view>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "userstore/error.h"

namespace userstore::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(ParseStdioRequestTest, FullRequest) {
  absl::StatusOr<Request> request = ParseStdioRequest(
      R"({"method":"POST","path":"/v2/Services/IS1/Users?x=1",)"
      R"("headers":{"Content-Type":"application/x-www-form-urlencoded",)"
      R"("X-Twilio-Webhook-Enabled":"true"},)"
      R"("body":"Identity=j%C3%BCrgen&Attributes=%7B%22a%22%3A1%7D","extra":[1]})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->method, "POST");
  EXPECT_EQ(request->target, "/v2/Services/IS1/Users?x=1");
  EXPECT_THAT(request->headers,
              ElementsAre(Pair("Content-Type", "application/x-www-form-urlencoded"),
                          Pair("X-Twilio-Webhook-Enabled", "true")));
  EXPECT_EQ(request->body, "Identity=j%C3%BCrgen&Attributes=%7B%22a%22%3A1%7D");
}

TEST(ParseStdioRequestTest, OptionalFieldsAndEscapes) {
  absl::StatusOr<Request> request =
      ParseStdioRequest(R"(  {"path":"/v2/Services/IS1/Users/caf\u00e9","method":"GET",)"
                        R"("headers":null,"body":null}  )");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->method, "GET");
  EXPECT_EQ(request->target, "/v2/Services/IS1/Users/caf\xc3\xa9");
  EXPECT_TRUE(request->headers.empty());
  EXPECT_EQ(request->body, "");

  request = ParseStdioRequest(R"({"method":"POST","path":"/a","body":"x\n\"y\""})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->body, "x\n\"y\"");
}

TEST(ParseStdioRequestTest, MalformedLinesAre400With20001) {
  for (const char* line : {
           "", "not json",
           R"({"method":"GET","path":"/a")",      // truncated
           R"({"method":"GET","path":"/a"} {})",  // two values
           R"(["GET","/a"])",                     // not an object
           R"({"path":"/a"})",                    // no method
           R"({"method":"GET"})",                 // no path
           R"({"method":"","path":"/a"})",        // empty method
           R"({"method":"GET","path":7})",        // path not a string
           R"({"method":"GET","path":"/a","headers":[]})",
           R"({"method":"GET","path":"/a","headers":{"A":1}})",
           R"({"method":"GET","path":"/a","body":{"Identity":"x"}})",
           "{\"method\":\"GET\",\"path\":\"/\xff\"}",  // invalid UTF-8
       }) {
    absl::StatusOr<Request> request = ParseStdioRequest(line);
    ASSERT_FALSE(request.ok()) << line;
    EXPECT_EQ(HttpStatus(request.status()), 400) << line;
    EXPECT_EQ(TwilioCode(request.status()), 20001) << line;
  }
}

// Issue 10 (one more pass): simdjson's parse takes several times the size of
// a line, so lines over 1 MiB are refused before it.
TEST(ParseStdioRequestTest, LinesOverOneMebibyteAreRefused) {
  static_assert(kMaxStdioLineBytes == 1024 * 1024);
  const std::string head = R"({"method":"POST","path":"/a","body":")";
  const std::string tail = R"("})";
  std::string line = head + std::string(kMaxStdioLineBytes - head.size() - tail.size(), 'x') + tail;
  ASSERT_EQ(line.size(), kMaxStdioLineBytes);
  absl::StatusOr<Request> request = ParseStdioRequest(line);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->body.size(), kMaxStdioLineBytes - head.size() - tail.size());
  line.insert(head.size(), "x");
  request = ParseStdioRequest(line);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(HttpStatus(request.status()), 400);
  EXPECT_EQ(TwilioCode(request.status()), 20001);
  EXPECT_EQ(request.status().message(),
            "Malformed stdio request line: longer than 1048576 bytes (the "
            "limit of a line)");
}

TEST(FormatStdioResponseTest, IsOneLineOfJsonThatRoundTrips) {
  Response response;
  response.status = 201;
  response.headers = {{"Content-Type", "application/json; charset=utf-8"},
                      {"X-Odd", "quote\" back\\slash"}};
  response.body = "{\"identity\":\"j\xc3\xbcrgen\ttab\"}\n\x01";
  const std::string line = FormatStdioResponse(response);
  EXPECT_EQ(line.find('\n'), std::string::npos);

  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(simdjson::padded_string(line)).get(root), simdjson::SUCCESS) << line;
  EXPECT_EQ(int64_t(root["status"]), 201);
  EXPECT_EQ(std::string_view(root["headers"]["Content-Type"]), "application/json; charset=utf-8");
  EXPECT_EQ(std::string_view(root["headers"]["X-Odd"]), "quote\" back\\slash");
  EXPECT_EQ(std::string_view(root["body"]), response.body);
}

TEST(FormatStdioResponseTest, EmptyBodyAndHeaders) {
  Response response;
  response.status = 204;
  EXPECT_EQ(FormatStdioResponse(response), R"({"status":204,"headers":{},"body":""})");
}

TEST(FormatStdioResponseTest, InvalidUtf8StillGivesValidJson) {
  Response response;
  response.status = 400;
  response.body = "bad \xff byte";
  const std::string line = FormatStdioResponse(response);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(simdjson::padded_string(line)).get(root), simdjson::SUCCESS) << line;
  EXPECT_EQ(std::string_view(root["body"]), "bad \xef\xbf\xbd byte");
}

}  // namespace
}  // namespace userstore::cli
