// Tests of the import parser (tools/import_parse.h): one fixture per input
// shape (tests/cli/import_fixtures/, written for these tests from the shapes
// of Twilio's User page), record values, locations and errors.
#include "import_parse.h"

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "userstore/error.h"

namespace userstore::cli {
namespace {

using ::testing::HasSubstr;

constexpr char kIS[] = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kAC[] = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kRL[] = "RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kUS1[] = "USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kUS2[] = "USbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr char kUS3[] = "UScccccccccccccccccccccccccccccccc";

std::string Fixture(const std::string& name) {
  const char* root = std::getenv("USERSTORE_SOURCE_DIR");
  const std::string path =
      std::string(root != nullptr ? root : ".") + "/tests/cli/import_fixtures/" + name;
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file.good()) << path;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

struct Parsed {
  ImportFormat format = ImportFormat::kEmpty;
  std::vector<ImportItem> items;

  std::vector<const ImportItem*> Of(ImportItem::Kind kind) const {
    std::vector<const ImportItem*> out;
    for (const ImportItem& item : items) {
      if (item.kind == kind) out.push_back(&item);
    }
    return out;
  }
};

Parsed Parse(std::string_view name, std::string_view text) {
  Parsed parsed;
  parsed.format = ParseImport(name, text, [&](const ImportItem& item) {
    parsed.items.push_back(item);
    return true;
  });
  return parsed;
}

absl::Time At(const char* text) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &error)) << error;
  return t;
}

// The three users every Twilio-shaped fixture holds, in order.
void ExpectTheThreeUsers(const Parsed& parsed) {
  const std::vector<const ImportItem*> users = parsed.Of(ImportItem::Kind::kUser);
  ASSERT_EQ(users.size(), 3u);
  EXPECT_TRUE(parsed.Of(ImportItem::Kind::kError).empty())
      << parsed.Of(ImportItem::Kind::kError)[0]->location << " "
      << parsed.Of(ImportItem::Kind::kError)[0]->error;

  const UserImport& jing = users[0]->user;
  EXPECT_EQ(jing.sid, kUS1);
  EXPECT_EQ(jing.identity, "jing");
  EXPECT_EQ(jing.role_sid, kRL);
  EXPECT_EQ(jing.attributes, "");  // null: never set
  EXPECT_FALSE(jing.friendly_name.has_value());
  EXPECT_EQ(jing.joined_channels_count, 0);
  EXPECT_EQ(jing.date_created, At("2016-03-24T21:05:19+00:00"));
  EXPECT_EQ(jing.date_updated, At("2016-03-24T21:05:19+00:00"));
  EXPECT_EQ(users[0]->service_sid, kIS);
  EXPECT_EQ(users[0]->account_sid, kAC);

  const UserImport& zoe = users[1]->user;
  EXPECT_EQ(zoe.sid, kUS2);
  EXPECT_EQ(zoe.identity, "zo\xC3\xAB@example.com");
  EXPECT_EQ(zoe.attributes, R"({"test":"test"})");
  EXPECT_EQ(zoe.friendly_name, "friendly_name");
  EXPECT_EQ(zoe.joined_channels_count, 3);
  EXPECT_EQ(zoe.date_created, At("2016-03-24T21:05:20+00:00"));
  EXPECT_EQ(zoe.date_updated, At("2016-03-25T08:00:00+00:00"));

  const UserImport& carol = users[2]->user;
  EXPECT_EQ(carol.sid, kUS3);
  // The string's value, escapes of the JSON inside it kept as they were.
  EXPECT_EQ(carol.attributes, R"({"nested":{"a":[1,2,3]},"s":"\u00e9\n"})");
  EXPECT_EQ(carol.friendly_name, "Carol \"C\"");
  EXPECT_EQ(carol.joined_channels_count, 12);
}

TEST(ImportParseTest, BareUserObjectsNdjson) {
  const Parsed parsed = Parse("users.ndjson", Fixture("users.ndjson"));
  EXPECT_EQ(parsed.format, ImportFormat::kObjects);
  ExpectTheThreeUsers(parsed);
  EXPECT_EQ(parsed.items[0].location, "users.ndjson:1");
  EXPECT_EQ(parsed.items[2].location, "users.ndjson:3");
}

TEST(ImportParseTest, TwilioCliJsonArrayWithCamelCaseKeys) {
  const Parsed parsed = Parse("cli.json", Fixture("twilio_cli.json"));
  EXPECT_EQ(parsed.format, ImportFormat::kCliArray);
  ExpectTheThreeUsers(parsed);
  EXPECT_EQ(parsed.items[0].location, "cli.json [0]");
  EXPECT_EQ(parsed.items[2].location, "cli.json [2]");
}

TEST(ImportParseTest, TwilioCliEmptyOutputIsNoUser) {
  const std::string empty_file = Fixture("twilio_cli_empty.json");
  for (std::string_view text :
       {std::string_view(empty_file), std::string_view(" \n\t\r\n"), std::string_view("[]")}) {
    const Parsed parsed = Parse("empty.json", text);
    EXPECT_TRUE(parsed.items.empty()) << text;
  }
  EXPECT_EQ(Parse("e", "").format, ImportFormat::kEmpty);
}

TEST(ImportParseTest, ConcatenatedPrettyPagesWithNextPageUrl) {
  const std::string text = Fixture("twilio_pages.json");
  const Parsed parsed = Parse("pages.json", text);
  EXPECT_EQ(parsed.format, ImportFormat::kPages);
  ExpectTheThreeUsers(parsed);
  // The second page starts on the line after the first one's closing brace.
  const size_t second = text.find("\n{") + 1;
  const size_t line = static_cast<size_t>(std::count(
                          text.begin(), text.begin() + static_cast<std::ptrdiff_t>(second), '\n')) +
                      1;
  EXPECT_EQ(parsed.items[0].location, "pages.json:1 users[0]");
  EXPECT_EQ(parsed.items[1].location, "pages.json:1 users[1]");
  EXPECT_EQ(parsed.items[2].location, absl::StrCat("pages.json:", line, " users[0]"));
  EXPECT_GT(parsed.items[2].offset, parsed.items[1].offset);
}

TEST(ImportParseTest, PagesOnePerLine) {
  const Parsed parsed = Parse("pages.ndjson", Fixture("twilio_pages.ndjson"));
  EXPECT_EQ(parsed.format, ImportFormat::kPages);
  ExpectTheThreeUsers(parsed);
  EXPECT_EQ(parsed.items[2].location, "pages.ndjson:2 users[0]");
}

TEST(ImportParseTest, TheSeedPagesListExample) {
  const Parsed parsed = Parse("page.json", Fixture("twilio_page_single.json"));
  EXPECT_EQ(parsed.format, ImportFormat::kPages);
  ASSERT_EQ(parsed.items.size(), 1u);
  EXPECT_EQ(parsed.items[0].kind, ImportItem::Kind::kUser);
  EXPECT_EQ(parsed.items[0].user.identity, "jing");
}

TEST(ImportParseTest, ExportNdjsonCarriesServiceRolesAndUsers) {
  const Parsed parsed = Parse("export.ndjson", Fixture("export.ndjson"));
  EXPECT_EQ(parsed.format, ImportFormat::kExport);
  ASSERT_EQ(parsed.items.size(), 9u);
  const std::vector<const ImportItem*> services = parsed.Of(ImportItem::Kind::kService);
  ASSERT_EQ(services.size(), 1u);
  const Service& service = services[0]->service;
  EXPECT_EQ(service.sid, kIS);
  EXPECT_EQ(service.account_sid, kAC);
  EXPECT_EQ(service.friendly_name, "friendly_name");
  EXPECT_EQ(service.default_service_role_sid, "RLbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
  EXPECT_EQ(service.default_channel_role_sid, "RLcccccccccccccccccccccccccccccccc");
  EXPECT_EQ(service.default_channel_creator_role_sid, "RLdddddddddddddddddddddddddddddddd");
  EXPECT_FALSE(service.reachability_enabled);
  EXPECT_EQ(service.date_created, At("2015-07-30T20:00:00+00:00"));
  EXPECT_EQ(services[0]->service_sid, kIS);

  const std::vector<const ImportItem*> roles = parsed.Of(ImportItem::Kind::kRole);
  ASSERT_EQ(roles.size(), 5u);
  EXPECT_EQ(roles[0]->role.friendly_name, "service admin");
  EXPECT_EQ(roles[2]->role.type, RoleScope::kChannel);
  EXPECT_EQ(roles[4]->role.sid, kRL);
  EXPECT_EQ(roles[4]->role.type, RoleScope::kDeployment);
  EXPECT_EQ(roles[4]->role.permissions, std::vector<std::string>{"editAnyMessage"});
  EXPECT_EQ(roles[4]->service_sid, kIS);
  ExpectTheThreeUsers(parsed);
  EXPECT_EQ(parsed.items[6].location, "export.ndjson:7");
}

TEST(ImportParseTest, BadLinesAreReportedAndTheNextOnesRead) {
  const std::string good = R"({"sid":"USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","identity":"a",)"
                           R"("date_created":"2020-01-01T00:00:00Z","date_updated":)"
                           R"("2020-01-01T00:00:00Z"})";
  const std::string text =
      good + "\n{\"sid\": oops}\n\n" + good + "\r\n[1]\n" +
      R"({"sid":"USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","date_created":"2020-01-01T00:00:00Z"})" +
      "\n" + R"({"hello":"world"})" + "\n" + good;
  const Parsed parsed = Parse("f", text);
  ASSERT_EQ(parsed.items.size(), 7u);
  EXPECT_EQ(parsed.items[0].kind, ImportItem::Kind::kUser);
  EXPECT_EQ(parsed.items[1].kind, ImportItem::Kind::kError);
  EXPECT_EQ(parsed.items[1].location, "f:2");
  EXPECT_THAT(parsed.items[1].error.message(), HasSubstr("not valid JSON"));
  EXPECT_EQ(TwilioCode(parsed.items[1].error), twilio_code::kInvalidParameter);
  EXPECT_EQ(HttpStatus(parsed.items[1].error), 400);
  EXPECT_EQ(parsed.items[2].kind, ImportItem::Kind::kUser);  // CRLF line
  EXPECT_EQ(parsed.items[2].location, "f:4");
  EXPECT_EQ(parsed.items[3].location, "f:5");
  EXPECT_THAT(parsed.items[3].error.message(), HasSubstr("not a JSON object"));
  EXPECT_EQ(parsed.items[4].location, "f:6");
  EXPECT_THAT(parsed.items[4].error.message(), HasSubstr("missing \"identity\""));
  EXPECT_THAT(parsed.items[5].error.message(), HasSubstr("no \"sid\""));
  EXPECT_EQ(parsed.items[6].kind, ImportItem::Kind::kUser);
  EXPECT_EQ(parsed.items[6].location, "f:8");
}

TEST(ImportParseTest, FieldErrorsNameTheField) {
  auto error_of = [](const std::string& members) {
    const Parsed parsed = Parse(
        "f", R"({"sid":"USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","identity":"a",)" + members + "}");
    EXPECT_EQ(parsed.items.size(), 1u);
    return parsed.items.empty() ? std::string() : std::string(parsed.items[0].error.message());
  };
  const std::string dates =
      R"("date_created":"2020-01-01T00:00:00Z","date_updated":"2020-01-01T00:00:00Z")";
  EXPECT_EQ(error_of(dates), "");
  EXPECT_THAT(error_of(R"("date_created":"2020-01-01","date_updated":"2020-01-01T00:00:00Z")"),
              HasSubstr("\"date_created\" is not a date"));
  EXPECT_THAT(error_of(R"("date_created":"2020-01-01T00:00:00Z")"),
              HasSubstr("missing \"date_updated\""));
  EXPECT_THAT(error_of(dates + R"(,"joined_channels_count":"3")"),
              HasSubstr("\"joined_channels_count\" must be an integer"));
  EXPECT_THAT(error_of(dates + R"(,"joined_channels_count":1.5)"),
              HasSubstr("\"joined_channels_count\" must be an integer"));
  EXPECT_THAT(error_of(dates + R"(,"attributes":7)"), HasSubstr("\"attributes\" must be a string"));
  EXPECT_THAT(error_of(dates + R"(,"friendly_name":false)"),
              HasSubstr("\"friendly_name\" must be a string"));
  EXPECT_THAT(error_of(dates + R"(,"role_sid":["x"])"), HasSubstr("\"role_sid\" must be a string"));
}

TEST(ImportParseTest, AttributesAsAnObjectAreMinified) {
  const Parsed parsed = Parse(
      "f",
      R"({"sid":"USaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","identity":"a","attributes": { "k" : [1, "x"] },)"
      R"("date_created":"2020-01-01T00:00:00Z","date_updated":"2020-01-01T00:00:00Z"})");
  ASSERT_EQ(parsed.items.size(), 1u);
  EXPECT_EQ(parsed.items[0].user.attributes, R"({"k":[1,"x"]})");
}

TEST(ImportParseTest, Dates) {
  absl::StatusOr<absl::Time> t = ParseImportDate("2016-03-24T21:05:19.000Z", "d");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, absl::FromUnixSeconds(1458853519));
  t = ParseImportDate("2016-03-24T21:05:19.999Z", "d");  // rounded down
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, absl::FromUnixSeconds(1458853519));
  t = ParseImportDate("2016-03-24T22:05:19+01:00", "d");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, absl::FromUnixSeconds(1458853519));
  for (const char* bad : {"", "2016-03-24", "2016-03-24 21:05:19Z", "yesterday",
                          "2016-13-24T21:05:19Z", "infinite-future", "2016-03-24T21:05:19"}) {
    absl::StatusOr<absl::Time> r = ParseImportDate(bad, "date_created");
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("\"date_created\"")) << bad;
  }
}

TEST(ImportParseTest, BrokenArrayOrPageEndsTheFileWithOneError) {
  Parsed parsed = Parse("a.json", "[{\"sid\": \"USa\"");
  ASSERT_EQ(parsed.items.size(), 1u);
  EXPECT_EQ(parsed.items[0].kind, ImportItem::Kind::kError);
  EXPECT_EQ(parsed.items[0].location, "a.json:1");

  const std::string page = Fixture("twilio_page_single.json");
  parsed = Parse("p.json", page + page.substr(0, page.size() / 2));
  ASSERT_EQ(parsed.items.size(), 2u);
  EXPECT_EQ(parsed.items[0].kind, ImportItem::Kind::kUser);
  EXPECT_EQ(parsed.items[1].kind, ImportItem::Kind::kError);
}

TEST(ImportParseTest, ByteOrderMarkAndRolesPagesAndMixedKeys) {
  const Parsed parsed = Parse(
      "r",
      "\xEF\xBB\xBF"
      R"({"meta":{"key":"roles"},"roles":[{"sid":"RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
      R"("serviceSid":"ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","friendlyName":"mod","type":"deployment",)"
      R"("permissions":["a","b"],"dateCreated":"2020-01-01T00:00:00Z","date_updated":"2020-01-02T00:00:00Z"}]})");
  ASSERT_EQ(parsed.items.size(), 1u);
  ASSERT_EQ(parsed.items[0].kind, ImportItem::Kind::kRole) << parsed.items[0].error;
  EXPECT_EQ(parsed.items[0].location, "r:1 roles[0]");
  EXPECT_EQ(parsed.items[0].role.permissions, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(parsed.items[0].service_sid, kIS);
}

TEST(ImportParseTest, TheSinkCanStop) {
  int calls = 0;
  ParseImport("users.ndjson", Fixture("users.ndjson"), [&](const ImportItem&) {
    ++calls;
    return false;
  });
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace userstore::cli
