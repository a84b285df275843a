// Tests of RequestTarget (tools/request_target.h).
#include "request_target.h"

#include "gtest/gtest.h"

namespace userstore::cli {
namespace {

TEST(RequestTargetTest, AbsoluteUrlsGivePathAndQuery) {
  struct Case {
    const char* url;
    const char* target;
  } cases[] = {
      {"https://chat.twilio.com/v2/Services/IS1/Users", "/v2/Services/IS1/Users"},
      {"https://chat.twilio.com/v2/Services/IS1/Users?PageSize=20",
       "/v2/Services/IS1/Users?PageSize=20"},
      {"http://localhost:8080/v2/Services?a=1&b=%20#frag", "/v2/Services?a=1&b=%20"},
      {"https://chat.twilio.com", "/"},
      {"https://chat.twilio.com?x=1", "/?x=1"},
      {"https://chat.twilio.com/v2/Services/IS1/Users/team%2Falice",
       "/v2/Services/IS1/Users/team%2Falice"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> target = RequestTarget(c.url);
    ASSERT_TRUE(target.ok()) << c.url << ": " << target.status();
    EXPECT_EQ(*target, c.target) << c.url;
  }
}

TEST(RequestTargetTest, PathsAreKeptAsWritten) {
  absl::StatusOr<std::string> target =
      RequestTarget("/v2/Services/IS1/Users/a+b?PageSize=2&Page=0");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(*target, "/v2/Services/IS1/Users/a+b?PageSize=2&Page=0");
}

TEST(RequestTargetTest, Errors) {
  for (const char* bad : {"", "v2/Services", "/v2/Users/with space", "https://chat.twilio.com/{x}",
                          "/v2/Users/%zz", "/v2/Users/j\xc3\xbcrgen"}) {
    absl::StatusOr<std::string> target = RequestTarget(bad);
    EXPECT_FALSE(target.ok()) << bad;
    if (!target.ok()) {
      EXPECT_EQ(target.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace userstore::cli
