// UserJson / PageJson / ErrorJson against the response bodies of Twilio's
// helper-library tests (../shared/conformance/twilio-fixtures).
//
// Runs when USERSTORE_TWILIO_FIXTURES_DIR names the fixtures folder; skipped
// otherwise. For each source (twilio-python, twilio-node, twilio-java,
// twilio-oai) a User is built from the fixture's values, rendered, and the
// two documents compared: the same keys in the same order, values of the same
// JSON type and equal. The one documented difference: the fixtures have
// "attributes": null, while userstore always returns a string ("{}" when never
// set; behaviour.md §2).
#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "common/twilio_errors.h"
#include "gtest/gtest.h"
#include "tests/support/json_compare.h"
#include "userstore/error.h"
#include "userstore/json.h"
#include "userstore/page.h"
#include "userstore/user.h"

namespace userstore {
namespace {

using internal::BadRequest;
using internal::Conflict;
using internal::NotFound;

constexpr char kBase[] = "https://chat.twilio.com/v2";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string GetString(simdjson::dom::element obj, const char* key) {
  std::string_view s;
  EXPECT_EQ(obj[key].get(s), simdjson::SUCCESS) << key;
  return std::string(s);
}

std::optional<std::string> GetOptionalString(simdjson::dom::element obj, const char* key) {
  if (obj[key].is_null()) return std::nullopt;
  return GetString(obj, key);
}

std::optional<bool> GetOptionalBool(simdjson::dom::element obj, const char* key) {
  bool b = false;
  if (obj[key].get(b) != simdjson::SUCCESS) return std::nullopt;
  return b;
}

absl::Time GetTime(simdjson::dom::element obj, const char* key) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime("%Y-%m-%dT%H:%M:%SZ", GetString(obj, key), &t, &err)) << err;
  return t;
}

// The User a fixture body describes. `attributes` null becomes "{}" (what
// userstore stores for never-set attributes).
User UserFromFixture(simdjson::dom::element obj) {
  User u;
  u.sid = GetString(obj, "sid");
  u.account_sid = GetString(obj, "account_sid");
  u.service_sid = GetString(obj, "service_sid");
  u.role_sid = GetString(obj, "role_sid");
  u.identity = GetString(obj, "identity");
  u.attributes = GetOptionalString(obj, "attributes").value_or("{}");
  u.is_online = GetOptionalBool(obj, "is_online");
  u.is_notifiable = GetOptionalBool(obj, "is_notifiable");
  u.friendly_name = GetOptionalString(obj, "friendly_name");
  int64_t count = -1;
  EXPECT_EQ(obj["joined_channels_count"].get(count), simdjson::SUCCESS);
  u.joined_channels_count = count;
  u.date_created = GetTime(obj, "date_created");
  u.date_updated = GetTime(obj, "date_updated");
  return u;
}

class TwilioFixturesTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("USERSTORE_TWILIO_FIXTURES_DIR");
    if (dir == nullptr || *dir == '\0') {
      GTEST_SKIP() << "USERSTORE_TWILIO_FIXTURES_DIR is not set";
    }
    dir_ = std::filesystem::path(dir);
    ASSERT_TRUE(std::filesystem::is_directory(dir_ / GetParam())) << dir_;
  }

  // Parses a fixture into `fixture_parser_`.
  simdjson::dom::element Fixture(const std::string& name) {
    fixture_text_ = ReadFile(dir_ / GetParam() / name);
    simdjson::dom::element root;
    EXPECT_EQ(fixture_parser_.parse(fixture_text_).get(root), simdjson::SUCCESS) << name;
    return root;
  }

  // Parses our output into `ours_parser_`.
  simdjson::dom::element Ours(const std::string& json) {
    ours_text_ = json;
    simdjson::dom::element root;
    EXPECT_EQ(ours_parser_.parse(ours_text_).get(root), simdjson::SUCCESS) << json;
    return root;
  }

  std::filesystem::path dir_;
  std::string fixture_text_, ours_text_;
  simdjson::dom::parser fixture_parser_, ours_parser_;
};

TEST_P(TwilioFixturesTest, SingleUserBodies) {
  for (const char* name : {"fetch_response.json", "create_response.json", "update_response.json"}) {
    SCOPED_TRACE(name);
    simdjson::dom::element fixture = Fixture(name);
    const User user = UserFromFixture(fixture);
    ASSERT_EQ(user.is_online, std::optional<bool>(true));  // as in the fixture
    testing::JsonCompareStats stats;
    testing::ExpectSameJson(fixture, Ours(UserJson(user, kBase)), "", &stats,
                            /*null_attributes_may_be_text=*/true);
    // 14 user keys + 2 link keys; attributes the one difference.
    EXPECT_EQ(stats.keys, 16);
    EXPECT_EQ(stats.attribute_differences, 1);
  }
}

TEST_P(TwilioFixturesTest, ListBodies) {
  struct Case {
    const char* file;
    size_t users;
  };
  for (const Case& c : {Case{"read_full_response.json", 1}, Case{"read_empty_response.json", 0}}) {
    SCOPED_TRACE(c.file);
    simdjson::dom::element fixture = Fixture(c.file);
    Page page;
    int64_t n = -1;
    ASSERT_EQ(fixture["meta"]["page"].get(n), simdjson::SUCCESS);
    page.page = n;
    ASSERT_EQ(fixture["meta"]["page_size"].get(n), simdjson::SUCCESS);
    page.page_size = n;
    simdjson::dom::array users;
    ASSERT_EQ(fixture["users"].get(users), simdjson::SUCCESS);
    for (simdjson::dom::element u : users) page.users.push_back(UserFromFixture(u));
    ASSERT_EQ(page.users.size(), c.users);
    const std::string service_sid =
        c.users > 0 ? page.users[0].service_sid : std::string("ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    testing::JsonCompareStats stats;
    testing::ExpectSameJson(fixture, Ours(PageJson(page, service_sid, kBase)), "", &stats,
                            /*null_attributes_may_be_text=*/true);
    // meta + its 7 keys + users, and 16 keys per user.
    EXPECT_EQ(stats.keys, 9 + 16 * static_cast<int>(c.users));
    EXPECT_EQ(stats.attribute_differences, static_cast<int>(c.users));
  }
}

INSTANTIATE_TEST_SUITE_P(Sources, TwilioFixturesTest,
                         ::testing::Values("twilio-python", "twilio-node", "twilio-java",
                                           "twilio-oai"),
                         [](const ::testing::TestParamInfo<const char*>& param_info) {
                           std::string name = param_info.param;
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

// The error bodies in errors/: same keys, order and values.
TEST(TwilioErrorFixturesTest, ErrorBodies) {
  const char* dir = std::getenv("USERSTORE_TWILIO_FIXTURES_DIR");
  if (dir == nullptr || *dir == '\0') {
    GTEST_SKIP() << "USERSTORE_TWILIO_FIXTURES_DIR is not set";
  }
  struct Case {
    const char* file;
    absl::Status status;
  };
  const Case cases[] = {
      {"chat_v2_missing_identity_400.json",
       BadRequest(twilio_code::kInvalidParameter,
                  "Missing required parameter Identity in the post body")},
      {"not_found_20404_reconstructed.json",
       NotFound("The requested resource /Services/"
                "ISXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Users/some-identity/"
                "Channels was not found")},
      {"twilio_go_error_test_20001.json",
       BadRequest(twilio_code::kInvalidParameter, "Bad request")},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    const std::string fixture_text = ReadFile(std::filesystem::path(dir) / "errors" / c.file);
    const std::string ours_text = ErrorJson(c.status);
    simdjson::dom::parser p1, p2;
    simdjson::dom::element fixture, ours;
    ASSERT_EQ(p1.parse(fixture_text).get(fixture), simdjson::SUCCESS);
    ASSERT_EQ(p2.parse(ours_text).get(ours), simdjson::SUCCESS);
    testing::JsonCompareStats stats;
    testing::ExpectSameJson(fixture, ours, "", &stats, /*null_attributes_may_be_text=*/true);
    EXPECT_EQ(stats.keys, 4);
  }
}

}  // namespace
}  // namespace userstore
