// Test helpers for the REST facade: a Json reader of response bodies and the
// RestFacadeTest fixture (a TestStore behind a RestFacade, with request
// helpers that check the headers every response must have).
#ifndef USERSTORE_TESTS_SUPPORT_REST_FIXTURE_H_
#define USERSTORE_TESTS_SUPPORT_REST_FIXTURE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "simdjson.h"
#include "tests/support/test_store.h"
#include "userstore/rest.h"
#include "userstore/store.h"

namespace userstore::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

inline constexpr char kUsers[] = "/v2/Services/ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Users";
inline constexpr char kBase[] = "https://chat.twilio.com/v2";
inline constexpr char kJsonType[] = "application/json; charset=utf-8";

// A parsed JSON body; fields read by JSON pointer.
class Json {
 public:
  explicit Json(const std::string& text) {
    ok_ = parser_.parse(text).get(root_) == simdjson::SUCCESS;
    EXPECT_TRUE(ok_) << "not JSON: " << text;
  }
  bool ok() const { return ok_; }
  std::string Str(std::string_view pointer) const {
    std::string_view s;
    EXPECT_EQ(root_.at_pointer(pointer).get(s), simdjson::SUCCESS) << pointer;
    return std::string(s);
  }
  int64_t Int(std::string_view pointer) const {
    int64_t v = -999;
    EXPECT_EQ(root_.at_pointer(pointer).get(v), simdjson::SUCCESS) << pointer;
    return v;
  }
  bool IsNull(std::string_view pointer) const {
    simdjson::dom::element e;
    if (root_.at_pointer(pointer).get(e) != simdjson::SUCCESS) return false;
    return e.is_null();
  }
  size_t ArraySize(std::string_view pointer) const {
    simdjson::dom::array a;
    EXPECT_EQ(root_.at_pointer(pointer).get(a), simdjson::SUCCESS) << pointer;
    return a.size();
  }

 private:
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
  bool ok_ = false;
};

inline std::string Hex32(char c) { return std::string(32, c); }

class RestFacadeTest : public ::testing::Test {
 protected:
  explicit RestFacadeTest(StoreOptions options = {}, FacadeOptions facade = {})
      : t_(std::move(options)), facade_(t_.store.get(), facade) {}

  Response Do(std::string method, std::string target, std::string body = "", Headers headers = {}) {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    r.headers = std::move(headers);
    Response response = facade_.Handle(r);
    if (response.status == 204) {
      EXPECT_TRUE(response.headers.empty());
      EXPECT_TRUE(response.body.empty());
    } else {
      EXPECT_FALSE(response.headers.empty());
      if (!response.headers.empty()) {
        EXPECT_EQ(response.headers[0].first, "Content-Type");
        EXPECT_EQ(response.headers[0].second, kJsonType);
      }
    }
    return response;
  }
  Response Get(std::string target) { return Do("GET", std::move(target)); }
  Response Post(std::string target, std::string body, Headers headers = {}) {
    return Do("POST", std::move(target), std::move(body), std::move(headers));
  }
  Response Create(std::string body, Headers headers = {}) {
    return Post(kUsers, std::move(body), std::move(headers));
  }
  std::string CreateOk(std::string body) {  // returns the new user's SID
    Response r = Create(body);
    EXPECT_EQ(r.status, 201) << body << " -> " << r.body;
    return Json(r.body).Str("/sid");
  }
  // Expects an error response with these HTTP status and Twilio code (and
  // message, when given); the body must be Twilio's error shape.
  void ExpectError(const Response& r, int status, int code, std::string_view message = {}) {
    EXPECT_EQ(r.status, status) << r.body;
    Json j(r.body);
    if (!j.ok()) return;
    EXPECT_EQ(j.Int("/status"), status);
    EXPECT_EQ(j.Int("/code"), code) << r.body;
    EXPECT_EQ(j.Str("/more_info"), "https://www.twilio.com/docs/errors/" + std::to_string(code));
    if (!message.empty()) {
      EXPECT_EQ(j.Str("/message"), message);
    }
  }
  int64_t CountUsers() {
    Response r = Get(std::string(kUsers) + "?PageSize=100");
    EXPECT_EQ(r.status, 200);
    return static_cast<int64_t>(Json(r.body).ArraySize("/users"));
  }

  TestStore t_;
  RestFacade facade_;
};

}  // namespace userstore::testing

#endif  // USERSTORE_TESTS_SUPPORT_REST_FIXTURE_H_
