// Tests of SID shape checks, parsing, formatting and minting (src/sid/sid.h).
#include "sid/sid.h"

#include <regex.h>

#include <optional>
#include <set>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace userstore::internal {
namespace {

constexpr char kHex[] = "0123456789abcdef0123456789abcdef";

// POSIX extended regex match (std::regex trips GCC 12's -Wmaybe-uninitialized
// in sanitizer builds).
bool FullMatch(const std::string& text, const char* pattern) {
  regex_t re;
  EXPECT_EQ(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0) << pattern;
  const bool match = regexec(&re, text.c_str(), 0, nullptr, 0) == 0;
  regfree(&re);
  return match;
}

TEST(SidTest, FullMatchHelperWorks) {
  EXPECT_TRUE(FullMatch("US0123456789abcdef0123456789abcdef", "^US[0-9a-f]{32}$"));
  EXPECT_FALSE(FullMatch("US0123456789abcdef0123456789abcdeF", "^US[0-9a-f]{32}$"));
  EXPECT_FALSE(FullMatch("US0123456789abcdef0123456789abcdef0", "^US[0-9a-f]{32}$"));
}

TEST(SidTest, ShapedAcceptsPrefixAnd32Hex) {
  EXPECT_TRUE(IsSidShaped(std::string("US") + kHex, "US"));
  EXPECT_TRUE(IsSidShaped("US0123456789ABCDEFabcdef0123456789", "US"));
  EXPECT_TRUE(IsSidShaped("IS00000000000000000000000000000000", "IS"));
  EXPECT_TRUE(IsSidShaped("RLffffffffffffffffffffffffffffffff", "RL"));
}

TEST(SidTest, ShapedRejectsWrongPrefix) {
  const std::string digits = kHex;
  EXPECT_FALSE(IsSidShaped("IS" + digits, "US"));
  EXPECT_FALSE(IsSidShaped("us" + digits, "US"));  // prefix is case-sensitive
  EXPECT_FALSE(IsSidShaped("Us" + digits, "US"));
  EXPECT_FALSE(IsSidShaped("XUS" + digits.substr(1), "US"));
}

TEST(SidTest, ShapedRejectsWrongLength) {
  const std::string digits = kHex;
  EXPECT_FALSE(IsSidShaped("US" + digits.substr(0, 31), "US"));  // 31 digits
  EXPECT_FALSE(IsSidShaped("US" + digits + "0", "US"));          // 33 digits
  EXPECT_FALSE(IsSidShaped("US", "US"));
  EXPECT_FALSE(IsSidShaped("", "US"));
  EXPECT_FALSE(IsSidShaped(" US" + digits, "US"));
  EXPECT_FALSE(IsSidShaped("US" + digits + " ", "US"));
}

TEST(SidTest, ShapedRejectsNonHexAtEveryPosition) {
  const std::string good = std::string("US") + kHex;
  for (size_t i = 2; i < good.size(); ++i) {
    for (char bad : {'g', 'G', 'z', ' ', '-', '\0', '\xff', 'x'}) {
      std::string s = good;
      s[i] = bad;
      EXPECT_FALSE(IsSidShaped(s, "US")) << i << " " << int(bad);
      EXPECT_FALSE(ParseSid(s, "US").has_value()) << i;
    }
  }
}

// Every byte value at every digit position: accepted exactly when it is a
// hex digit, and then read as that digit's value.
TEST(SidTest, ParseChecksEveryByteValueAtEveryPosition) {
  for (size_t i = 2; i < 34; ++i) {
    for (int c = 0; c < 256; ++c) {
      std::string s = std::string("US") + std::string(32, '0');
      s[i] = static_cast<char>(c);
      const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      std::optional<SidBytes> sid = ParseSid(s, "US");
      ASSERT_EQ(sid.has_value(), hex) << i << " " << c;
      ASSERT_EQ(IsSidShaped(s, "US"), hex) << i << " " << c;
      if (!hex) continue;
      const int value = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
      const size_t byte = (i - 2) / 2;
      const int expected = (i % 2 == 0) ? value << 4 : value;
      for (size_t b = 0; b < 16; ++b) EXPECT_EQ(sid->bytes[b], b == byte ? expected : 0);
    }
  }
}

// Equality and hashing see every byte.
TEST(SidTest, EqualityAndHashSeeEveryByte) {
  const SidBytes zero;
  absl::flat_hash_set<SidBytes> set = {zero};
  for (size_t b = 0; b < 16; ++b) {
    SidBytes other;
    other.bytes[b] = 1;
    EXPECT_FALSE(other == zero) << b;
    EXPECT_TRUE(other != zero) << b;
    EXPECT_TRUE(zero < other) << b;
    EXPECT_TRUE(set.insert(other).second) << b;
  }
  EXPECT_EQ(set.size(), 17u);
  EXPECT_TRUE(set.contains(SidBytes{}));
}

TEST(SidTest, ParseReadsBytes) {
  std::optional<SidBytes> sid = ParseSid("US000102030405060708090a0b0c0d0e0f", "US");
  ASSERT_TRUE(sid.has_value());
  for (size_t i = 0; i < 16; ++i) EXPECT_EQ(sid->bytes[i], i);
}

TEST(SidTest, ParseAcceptsEitherCaseAsTheSameSid) {
  std::optional<SidBytes> lower = ParseSid("USabcdef0123456789abcdef0123456789", "US");
  std::optional<SidBytes> upper = ParseSid("USABCDEF0123456789ABCDEF0123456789", "US");
  std::optional<SidBytes> mixed = ParseSid("USaBcDeF0123456789AbCdEf0123456789", "US");
  ASSERT_TRUE(lower && upper && mixed);
  EXPECT_EQ(*lower, *upper);
  EXPECT_EQ(*lower, *mixed);
  EXPECT_EQ(upper->bytes[0], 0xab);
  EXPECT_EQ(upper->bytes[15], 0x89);
}

TEST(SidTest, ParseRejectsWrongShape) {
  EXPECT_FALSE(ParseSid("IS0123456789abcdef0123456789abcdef", "US").has_value());
  EXPECT_FALSE(ParseSid("US0123456789abcdef0123456789abcde", "US").has_value());
  EXPECT_FALSE(ParseSid("US0123456789abcdef0123456789abcdef0", "US").has_value());
  EXPECT_FALSE(ParseSid("alice", "US").has_value());
}

TEST(SidTest, FormatIsLowercaseAndRoundTrips) {
  std::optional<SidBytes> sid = ParseSid("USABCDEF0123456789ABCDEF0123456789", "US");
  ASSERT_TRUE(sid.has_value());
  EXPECT_EQ(FormatSid("US", *sid), "USabcdef0123456789abcdef0123456789");
  EXPECT_EQ(FormatSid("RL", *sid), "RLabcdef0123456789abcdef0123456789");
  SidBytes zero;
  EXPECT_EQ(FormatSid("IS", zero), "IS00000000000000000000000000000000");
  SidBytes ff;
  ff.bytes.fill(0xff);
  EXPECT_EQ(FormatSid("AC", ff), "ACffffffffffffffffffffffffffffffff");
  EXPECT_EQ(ParseSid(FormatSid("AC", ff), "AC"), ff);
}

TEST(SidTest, MintMatchesFormat) {
  for (int i = 0; i < 1000; ++i) {
    std::string sid = MintSid("US");
    EXPECT_TRUE(FullMatch(sid, "^US[0-9a-f]{32}$")) << sid;
    EXPECT_TRUE(IsSidShaped(sid, "US")) << sid;
    std::optional<SidBytes> bytes = ParseSid(sid, "US");
    ASSERT_TRUE(bytes.has_value());
    EXPECT_EQ(FormatSid("US", *bytes), sid);
  }
  EXPECT_TRUE(FullMatch(MintSid("IS"), "^IS[0-9a-f]{32}$"));
}

TEST(SidTest, MintIsUniqueOver100k) {
  constexpr int kCount = 100000;
  absl::flat_hash_set<std::string> seen;
  seen.reserve(kCount);
  for (int i = 0; i < kCount; ++i) seen.insert(MintSid("US"));
  EXPECT_EQ(seen.size(), static_cast<size_t>(kCount));
}

TEST(SidTest, RandomBytesFillsBuffers) {
  // Every byte position takes several values across draws (a stuck or
  // unfilled position would show one value; chance of a false failure for
  // 64 draws is 256^-63 per position).
  constexpr int kDraws = 64;
  std::set<uint8_t> values[40];
  for (int d = 0; d < kDraws; ++d) {
    uint8_t buf[40] = {};
    RandomBytes(buf, sizeof(buf));
    for (int i = 0; i < 40; ++i) values[i].insert(buf[i]);
  }
  for (int i = 0; i < 40; ++i) EXPECT_GT(values[i].size(), 1u) << i;
  RandomBytes(nullptr, 0);  // no-op
}

TEST(SidTest, RandomSidBytesDiffer) { EXPECT_NE(RandomSidBytes(), RandomSidBytes()); }

}  // namespace
}  // namespace userstore::internal
