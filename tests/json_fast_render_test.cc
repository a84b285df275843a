// Tests of the fast renderers (src/json/render.h) against the renderers they
// replaced, kept here as references: UserJson and PageJson as JsonWriter +
// absl::FormatTime + StrCat wrote them, AppendJsonString as its byte loop
// was. Random users (escapes, controls, Unicode, ill-formed UTF-8, null
// friendly names, odd dates) must render byte for byte as before, through
// every entry point (UserJson(User), UserJson(UserView), AppendUserJson,
// the Utf8::kValid path the facade uses).
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/utf8.h"
#include "gtest/gtest.h"
#include "json/json_writer.h"
#include "json/render.h"
#include "userstore/json.h"
#include "userstore/user_view.h"

namespace userstore {
namespace {

using internal::JsonWriter;

constexpr char kBase[] = "https://chat.twilio.com/v2";

// ---- the references ------------------------------------------------------------

std::string ReferenceDate(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// AppendJsonString before the fast path: validity of the whole text first,
// then byte by byte.
void ReferenceAppendJsonString(std::string_view text, std::string* out) {
  const bool utf8 = internal::IsValidUtf8(text);
  out->push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      if (utf8) {
        out->push_back(text[i++]);
        continue;
      }
      const internal::Utf8Sequence sequence = internal::NextUtf8Sequence(text.substr(i));
      if (sequence.valid) {
        out->append(text.substr(i, sequence.length));
      } else {
        out->append("\\ufffd");
      }
      i += sequence.length;
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          out->append(absl::StrCat("\\u00", absl::Hex(c, absl::kZeroPad2)));
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

std::string RefQuote(std::string_view text) {
  std::string out;
  ReferenceAppendJsonString(text, &out);
  return out;
}

void RefMember(std::string_view key, std::string_view value, std::string* out) {
  absl::StrAppend(out, RefQuote(key), ":", RefQuote(value));
}

std::string RefBool(const std::optional<bool>& b) {
  return b.has_value() ? (*b ? "true" : "false") : "null";
}

std::string ReferenceUserJson(const User& user, std::string_view base_url, bool list_item) {
  const std::string url = absl::StrCat(absl::string_view(base_url.data(), base_url.size()),
                                       "/Services/", user.service_sid, "/Users/", user.sid);
  std::string out = "{";
  RefMember("sid", user.sid, &out);
  out += ",";
  RefMember("account_sid", user.account_sid, &out);
  out += ",";
  RefMember("service_sid", user.service_sid, &out);
  out += ",";
  RefMember("role_sid", user.role_sid, &out);
  out += ",";
  RefMember("identity", user.identity, &out);
  out += ",";
  RefMember("attributes", user.attributes, &out);
  absl::StrAppend(&out, ",\"is_online\":", RefBool(user.is_online),
                  ",\"is_notifiable\":", RefBool(user.is_notifiable), ",\"friendly_name\":",
                  user.friendly_name ? RefQuote(*user.friendly_name) : "null");
  if (!list_item) absl::StrAppend(&out, ",\"joined_channels_count\":", user.joined_channels_count);
  out += ",";
  RefMember("date_created", ReferenceDate(user.date_created), &out);
  out += ",";
  RefMember("date_updated", ReferenceDate(user.date_updated), &out);
  if (list_item) absl::StrAppend(&out, ",\"joined_channels_count\":", user.joined_channels_count);
  out += ",\"links\":{";
  RefMember("user_channels", url + "/Channels", &out);
  out += ",";
  RefMember("user_bindings", url + "/Bindings", &out);
  out += "},";
  RefMember("url", url, &out);
  out += "}";
  return out;
}

std::string RefPageUrl(std::string_view list_url, int64_t page_size, int64_t page,
                       std::string_view token) {
  std::string url = absl::StrCat(absl::string_view(list_url.data(), list_url.size()),
                                 "?PageSize=", page_size, "&Page=", page);
  if (!token.empty()) {
    absl::StrAppend(&url, "&PageToken=",
                    boost::urls::encode(boost::urls::string_view(token.data(), token.size()),
                                        boost::urls::unreserved_chars));
  }
  return url;
}

std::string ReferencePageJson(const Page& page, std::string_view service_sid,
                              std::string_view base_url) {
  const std::string list_url =
      absl::StrCat(absl::string_view(base_url.data(), base_url.size()), "/Services/",
                   absl::string_view(service_sid.data(), service_sid.size()), "/Users");
  std::string out =
      absl::StrCat("{\"meta\":{\"page\":", page.page, ",\"page_size\":", page.page_size, ",");
  RefMember("first_page_url", RefPageUrl(list_url, page.page_size, 0, ""), &out);
  out += ",\"previous_page_url\":";
  out += page.previous_page_token.empty()
             ? "null"
             : RefQuote(RefPageUrl(list_url, page.page_size, page.page > 0 ? page.page - 1 : 0,
                                   page.previous_page_token));
  out += ",";
  RefMember("url", RefPageUrl(list_url, page.page_size, page.page, page.page_token), &out);
  out += ",\"next_page_url\":";
  out += page.next_page_token.empty() || page.page >= kMaxPageIndex
             ? "null"
             : RefQuote(RefPageUrl(list_url, page.page_size, page.page + 1, page.next_page_token));
  out += ",\"key\":\"users\"},\"users\":[";
  for (size_t i = 0; i < page.users.size(); ++i) {
    if (i > 0) out += ",";
    out += ReferenceUserJson(page.users[i], base_url, /*list_item=*/true);
  }
  out += "]}";
  return out;
}

// ---- random inputs ---------------------------------------------------------------

class Random {
 public:
  explicit Random(uint64_t seed) : rng_(seed) {}

  uint64_t Below(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }

  // Text of `n` bytes drawn from pieces that stress the escaper: plain
  // runs, every escaped ASCII byte, DEL, multi-byte UTF-8 (U+2028
  // included), and (when `ill_formed`) stray, truncated and overlong bytes.
  std::string Text(size_t n, bool ill_formed) {
    static const std::vector<std::string> kPieces = {
        "a",
        "plain text run ",
        "0123456789abcdef",
        "\"",
        "\\",
        "\n",
        "\t",
        "\b",
        "\f",
        "\r",
        "\x01",
        "\x1f",
        "\x7f",
        "/",
        "\xC3\xA9",
        "\xE2\x80\xA8",
        "\xF0\x9F\x98\x80",
        "{\"k\":\"v\"}",
    };
    static const std::vector<std::string> kBad = {
        "\x80", "\xC3", "\xE2\x80", "\xF0\x9F\x98", "\xC0\xAF", "\xED\xA0\x80", "\xFF"};
    std::string out;
    while (out.size() < n) {
      if (ill_formed && Below(8) == 0) {
        out += kBad[Below(kBad.size())];
      } else {
        out += kPieces[Below(kPieces.size())];
      }
    }
    return out;
  }

  absl::Time Date() {
    switch (Below(6)) {
      case 0:
        return absl::FromUnixSeconds(static_cast<int64_t>(Below(uint64_t{1} << 36)) -
                                     (int64_t{1} << 35));
      case 1:
        return absl::FromUnixSeconds(-30610224000 - static_cast<int64_t>(Below(1000)));  // < 1000
      case 2:
        return absl::FromUnixSeconds(253402300800 - 500 + static_cast<int64_t>(Below(1000)));
      case 3:
        return absl::FromUnixMillis(static_cast<int64_t>(Below(4000)) - 2000);  // fractions
      default:
        return absl::FromUnixSeconds(1458853519 + static_cast<int64_t>(Below(1000000000)));
    }
  }

  User NewUser(bool ill_formed) {
    User u;
    const bool odd_sids = Below(4) == 0;
    u.sid = odd_sids ? Text(34, ill_formed) : "US" + std::string(32, 'a');
    u.account_sid = "AC" + std::string(32, 'b');
    u.service_sid = odd_sids ? Text(10, ill_formed) : "IS" + std::string(32, 'c');
    u.role_sid = "RL" + std::string(32, 'd');
    u.identity = Text(Below(60) + 1, ill_formed);
    u.attributes = Below(5) == 0 ? "{}" : Text(Below(400), ill_formed);
    if (Below(3) != 0) u.friendly_name = Text(Below(40), ill_formed);
    if (Below(2) == 0) u.is_online = Below(2) == 0;
    if (Below(2) == 0) u.is_notifiable = Below(2) == 0;
    u.joined_channels_count = static_cast<int64_t>(Below(1000000));
    u.date_created = Date();
    u.date_updated = Date();
    return u;
  }

 private:
  std::mt19937_64 rng_;
};

// ---- strings ---------------------------------------------------------------------

TEST(FastJsonStringTest, AgreesWithTheByteLoop) {
  Random random(1);
  for (int i = 0; i < 20000; ++i) {
    const bool ill_formed = i % 2 == 1;
    const std::string text = random.Text(random.Below(80), ill_formed);
    std::string out = "prefix";
    internal::AppendJsonString(text, &out);
    ASSERT_EQ(out, "prefix" + RefQuote(text)) << absl::CEscape(text);
    if (internal::IsValidUtf8(text)) {
      // The Store's texts: no UTF-8 check, the same bytes.
      std::string fast(internal::JsonStringBound(text.size()), '\0');
      char* end = internal::WriteJsonString(text, internal::Utf8::kValid, fast.data());
      fast.resize(static_cast<size_t>(end - fast.data()));
      ASSERT_EQ(fast, RefQuote(text)) << absl::CEscape(text);
    }
  }
}

// AppendJsonString escapes long texts in chunks of 4096 bytes; a sequence
// or an ill-formed subpart across a chunk's end comes out as in one piece.
TEST(FastJsonStringTest, LongTextsAcrossChunks) {
  Random random(2);
  const std::vector<std::string> around = {"\xE2\x82\xAC",
                                           "\xF0\x9F\x98\x80",
                                           "\xF0\x9F\x98",
                                           "\x80\x80\x80\x80\x80",
                                           "\xC3",
                                           "\"\\",
                                           ""};
  for (size_t at = 4090; at <= 4100; ++at) {
    for (const std::string& piece : around) {
      for (size_t tail : {size_t{0}, size_t{1}, size_t{5}, size_t{5000}}) {
        std::string text(at, 'x');
        text += piece + std::string(tail, 'y');
        ASSERT_EQ(JsonQuote(text), RefQuote(text)) << at << " " << absl::CEscape(piece);
      }
    }
  }
  for (int i = 0; i < 50; ++i) {
    const std::string text = random.Text(random.Below(20000), i % 2 == 1);
    ASSERT_EQ(JsonQuote(text), RefQuote(text));
  }
}

// ---- dates -----------------------------------------------------------------------

TEST(FastDateTest, AgreesWithFormatTimeAtTheEdges) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const std::vector<absl::Time> times = {
      absl::FromCivil(absl::CivilSecond(0, 1, 1, 0, 0, 0), utc),
      absl::FromCivil(absl::CivilSecond(999, 12, 31, 23, 59, 59), utc),
      absl::FromCivil(absl::CivilSecond(1000, 1, 1, 0, 0, 0), utc) - absl::Milliseconds(1),
      absl::FromCivil(absl::CivilSecond(1000, 1, 1, 0, 0, 0), utc),
      absl::FromCivil(absl::CivilSecond(1600, 2, 29, 12, 0, 0), utc),
      absl::FromCivil(absl::CivilSecond(1900, 2, 28, 23, 59, 59), utc),
      absl::FromCivil(absl::CivilSecond(1900, 3, 1, 0, 0, 0), utc),
      absl::FromCivil(absl::CivilSecond(2000, 2, 29, 0, 0, 0), utc),
      absl::FromCivil(absl::CivilSecond(2100, 3, 1, 0, 0, 0), utc),
      absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), utc),
      absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), utc) + absl::Milliseconds(999),
      absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0), utc),
      absl::FromCivil(absl::CivilSecond(-1, 12, 31, 23, 59, 59), utc),
      absl::UnixEpoch() - absl::Nanoseconds(1),
      absl::UnixEpoch() - absl::Seconds(86400),
      absl::UnixEpoch() - absl::Seconds(86401),
      absl::InfiniteFuture(),
      absl::InfinitePast(),
  };
  for (absl::Time t : times) EXPECT_EQ(FormatTwilioDate(t), ReferenceDate(t)) << t;
  // What those print, so a change of either is seen.
  EXPECT_EQ(FormatTwilioDate(times[0]), "0-01-01T00:00:00Z");
  EXPECT_EQ(FormatTwilioDate(times[1]), "999-12-31T23:59:59Z");
  EXPECT_EQ(FormatTwilioDate(times[2]), "999-12-31T23:59:59Z");
  EXPECT_EQ(FormatTwilioDate(times[3]), "1000-01-01T00:00:00Z");
  EXPECT_EQ(FormatTwilioDate(times[10]), "9999-12-31T23:59:59Z");
  EXPECT_EQ(FormatTwilioDate(times[11]), "10000-01-01T00:00:00Z");
  EXPECT_EQ(FormatTwilioDate(times[13]), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatTwilioDate(absl::InfiniteFuture()), "infinite-future");
  EXPECT_EQ(FormatTwilioDate(absl::InfinitePast()), "infinite-past");
  // Every day boundary of a 400-year cycle and some.
  for (int64_t day = -200000; day <= 200000; day += 7) {
    const absl::Time t = absl::FromUnixSeconds(day * 86400 + (day * 7919 % 86400 + 86400) % 86400);
    ASSERT_EQ(FormatTwilioDate(t), ReferenceDate(t)) << day;
  }
}

// ---- users and pages --------------------------------------------------------------

TEST(FastUserJsonTest, EveryEntryPointRendersAsBefore) {
  Random random(3);
  for (int i = 0; i < 3000; ++i) {
    const bool ill_formed = i % 3 == 2;
    const User user = random.NewUser(ill_formed);
    const std::string expected = ReferenceUserJson(user, kBase, /*list_item=*/false);
    ASSERT_EQ(UserJson(user, kBase), expected) << i;
    const UserView view(user);
    ASSERT_EQ(UserJson(view, kBase), expected) << i;
    std::string appended = "[1,";
    AppendUserJson(view, kBase, &appended);
    ASSERT_EQ(appended, "[1," + expected) << i;
    if (!ill_formed) {
      // As the facade renders stored users (no UTF-8 check).
      std::string fast;
      {
        internal::JsonBuf buf(&fast);
        internal::AppendUser(view, kBase, /*list_item=*/false, internal::Utf8::kValid, &buf);
      }
      ASSERT_EQ(fast, expected) << i;
    }
  }
}

TEST(FastUserJsonTest, OtherBaseUrls) {
  Random random(4);
  const User user = random.NewUser(false);
  for (std::string_view base :
       {"https://chat.twilio.com/v2", "http://localhost:8080", "https://h/a\"b\\c", ""}) {
    EXPECT_EQ(UserJson(user, base), ReferenceUserJson(user, base, false)) << base;
  }
}

TEST(FastPageJsonTest, PagesRenderAsBefore) {
  Random random(5);
  for (int i = 0; i < 300; ++i) {
    Page page;
    const size_t n = random.Below(8);
    for (size_t k = 0; k < n; ++k) page.users.push_back(random.NewUser(i % 2 == 1));
    page.page = random.Below(4) == 0 ? kMaxPageIndex : static_cast<int64_t>(random.Below(5));
    page.page_size = static_cast<int64_t>(random.Below(100) + 1);
    if (random.Below(2) == 0) page.page_token = random.Text(random.Below(60), i % 2 == 1);
    if (random.Below(2) == 0) page.next_page_token = random.Text(random.Below(60), false);
    if (random.Below(2) == 0) page.previous_page_token = "AbC-_x" + std::to_string(i);
    const std::string service =
        random.Below(3) == 0 ? random.Text(12, i % 2 == 1) : "IS" + std::string(32, 'c');
    ASSERT_EQ(PageJson(page, service, kBase), ReferencePageJson(page, service, kBase)) << i;
  }
}

}  // namespace
}  // namespace userstore
