// Tests of page token encoding and validation (src/token/page_token.h).
#include "token/page_token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

using Direction = PageCursor::Direction;

constexpr char kService[] = "IS0123456789abcdef0123456789abcdef";
constexpr char kOtherService[] = "IS0123456789abcdef0123456789abcdee";
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// The one error every bad token gets.
void ExpectInvalid(const absl::StatusOr<PageCursor>& result, const std::string& what) {
  ASSERT_FALSE(result.ok()) << what;
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << what;
  EXPECT_EQ(result.status().message(), "Invalid PageToken") << what;
  EXPECT_EQ(TwilioCode(result.status()), 20001) << what;
  EXPECT_EQ(HttpStatus(result.status()), 400) << what;
}

class PageTokenTest : public ::testing::Test {
 protected:
  PageTokenCodec codec_{"0123456789abcdef0123456789abcdef"};
  const std::string token_ = codec_.Encode(kService, PageCursor{Direction::kAfter, 123456789});
};

TEST_F(PageTokenTest, RoundTripsBothDirectionsAndEdgeSequences) {
  const uint64_t sequences[] = {0,
                                1,
                                255,
                                256,
                                123456789,
                                1ull << 32,
                                1ull << 63,
                                std::numeric_limits<uint64_t>::max() - 1,
                                std::numeric_limits<uint64_t>::max()};
  for (Direction d : {Direction::kAfter, Direction::kBefore}) {
    for (uint64_t seq : sequences) {
      const PageCursor cursor{d, seq};
      const std::string token = codec_.Encode(kService, cursor);
      absl::StatusOr<PageCursor> decoded = codec_.Decode(kService, token);
      ASSERT_TRUE(decoded.ok()) << token << " " << decoded.status();
      EXPECT_EQ(decoded->direction, d);
      EXPECT_EQ(decoded->sequence, seq);
    }
  }
}

TEST_F(PageTokenTest, DistinctCursorsGiveDistinctTokens) {
  const std::string a = codec_.Encode(kService, {Direction::kAfter, 7});
  const std::string b = codec_.Encode(kService, {Direction::kBefore, 7});
  const std::string c = codec_.Encode(kService, {Direction::kAfter, 8});
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(b, c);
  // Deterministic: the same cursor always gives the same token.
  EXPECT_EQ(a, codec_.Encode(kService, {Direction::kAfter, 7}));
}

TEST_F(PageTokenTest, AlphabetAndLength) {
  for (uint64_t seq : {uint64_t{0}, uint64_t{42}, std::numeric_limits<uint64_t>::max()}) {
    for (Direction d : {Direction::kAfter, Direction::kBefore}) {
      const std::string token = codec_.Encode(kService, {d, seq});
      EXPECT_EQ(token.size(), 30u) << token;
      EXPECT_EQ(token.find_first_not_of(kAlphabet), std::string::npos) << token;
    }
  }
}

TEST_F(PageTokenTest, EverySingleCharacterChangeIsRejected) {
  ASSERT_TRUE(codec_.Decode(kService, token_).ok());
  std::string replacements = kAlphabet;
  replacements += "=+/ .%\n";
  replacements.push_back('\0');
  replacements.push_back('\xff');
  int tried = 0;
  for (size_t i = 0; i < token_.size(); ++i) {
    for (char c : replacements) {
      if (c == token_[i]) continue;
      std::string altered = token_;
      altered[i] = c;
      ExpectInvalid(codec_.Decode(kService, altered),
                    "position " + std::to_string(i) + " -> " + std::to_string(int(c)));
      ++tried;
    }
  }
  EXPECT_EQ(tried, 30 * (64 + 9 - 1));
}

TEST_F(PageTokenTest, EveryTruncationIsRejected) {
  for (size_t n = 0; n < token_.size(); ++n) {
    ExpectInvalid(codec_.Decode(kService, token_.substr(0, n)), "prefix " + std::to_string(n));
    ExpectInvalid(codec_.Decode(kService, token_.substr(token_.size() - n)),
                  "suffix " + std::to_string(n));
  }
}

TEST_F(PageTokenTest, AppendedCharactersAreRejected) {
  for (const char* extra : {"A", "AA", "AAA", "AAAA", "-", "_", "=", "==", " ", "\n"}) {
    ExpectInvalid(codec_.Decode(kService, token_ + extra), std::string("+") + extra);
    ExpectInvalid(codec_.Decode(kService, extra + token_), std::string(extra) + "+");
  }
  ExpectInvalid(codec_.Decode(kService, token_ + token_), "doubled");
  ExpectInvalid(codec_.Decode(kService, std::string(1 << 20, 'A')), "1 MiB");
}

TEST_F(PageTokenTest, EmptyIsRejected) { ExpectInvalid(codec_.Decode(kService, ""), "empty"); }

TEST_F(PageTokenTest, PaddingIsRejected) {
  // Standard base64url with padding of the same 22 bytes.
  std::string padded = token_ + "==";
  ExpectInvalid(codec_.Decode(kService, padded), "padded");
  // Same length as a real token, but ending in padding.
  std::string same_length = token_.substr(0, 28) + "==";
  ExpectInvalid(codec_.Decode(kService, same_length), "28 + ==");
}

TEST_F(PageTokenTest, NonCanonicalEncodingIsRejected) {
  // The last character carries 2 bits of the last byte and 4 unused zero bits.
  // Setting an unused bit yields a string that decodes to the same bytes.
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token_, &raw));
  ASSERT_EQ(raw.size(), 22u);
  const char last = token_.back();
  const size_t index = std::string(kAlphabet).find(last);
  ASSERT_NE(index, std::string::npos);
  ASSERT_EQ(index & 0x0f, 0u) << "canonical final character has zero low bits";
  int variants = 0;
  for (size_t low = 1; low < 16; ++low) {
    std::string alt = token_;
    alt.back() = kAlphabet[index | low];
    std::string alt_raw;
    // Abseil accepts it and yields the same bytes: only canonicality catches it.
    if (absl::WebSafeBase64Unescape(alt, &alt_raw) && alt_raw == raw) ++variants;
    ExpectInvalid(codec_.Decode(kService, alt), "low bits " + std::to_string(low));
  }
  EXPECT_GT(variants, 0) << "test no longer exercises non-canonical input";
  // Standard-alphabet characters are not base64url.
  std::string std_alphabet = absl::Base64Escape(raw);  // with '+', '/', '='
  ExpectInvalid(codec_.Decode(kService, std_alphabet), "standard base64");
}

TEST_F(PageTokenTest, TokenFromAnotherServiceIsRejected) {
  ExpectInvalid(codec_.Decode(kOtherService, token_), "other service");
  ExpectInvalid(codec_.Decode("", token_), "empty service");
  // The service SID is bound byte-exactly.
  ExpectInvalid(codec_.Decode("IS0123456789ABCDEF0123456789ABCDEF", token_), "uppercase service");
  const std::string other = codec_.Encode(kOtherService, {Direction::kAfter, 123456789});
  EXPECT_NE(other, token_);
  ExpectInvalid(codec_.Decode(kService, other), "token of other service");
  EXPECT_TRUE(codec_.Decode(kOtherService, other).ok());
}

TEST_F(PageTokenTest, TokenFromAnotherKeyIsRejected) {
  PageTokenCodec other_key("0123456789abcdef0123456789abcdeF");
  ExpectInvalid(other_key.Decode(kService, token_), "other key");
  PageTokenCodec empty_key("");
  ExpectInvalid(empty_key.Decode(kService, token_), "empty key");
  // Keys interleaved on one thread (the per-thread MAC context is re-keyed).
  const std::string t2 = other_key.Encode(kService, {Direction::kAfter, 123456789});
  EXPECT_NE(t2, token_);
  EXPECT_TRUE(other_key.Decode(kService, t2).ok());
  ExpectInvalid(codec_.Decode(kService, t2), "back to first key");
  EXPECT_TRUE(codec_.Decode(kService, token_).ok());
  const std::string t3 = empty_key.Encode(kService, {Direction::kBefore, 1});
  absl::StatusOr<PageCursor> c3 = empty_key.Decode(kService, t3);
  ASSERT_TRUE(c3.ok());
  EXPECT_EQ(*c3, (PageCursor{Direction::kBefore, 1}));
}

TEST_F(PageTokenTest, KeyWithNulBytesIsWholeKey) {
  PageTokenCodec a(std::string("k\0a", 3));
  PageTokenCodec b(std::string("k\0b", 3));
  const std::string token = a.Encode(kService, {Direction::kAfter, 5});
  EXPECT_TRUE(a.Decode(kService, token).ok());
  ExpectInvalid(b.Decode(kService, token), "key differing after NUL");
}

// Builds a token the way docs/design.md specifies, straight from OpenSSL, so
// the format is pinned and headers the codec never emits can be MACed.
// `header` is MACed whole; the token holds its first `header_bytes` (the
// rest: a scope's suffix of the MAC input).
std::string ForgeWithKey(const std::string& key, const std::string& service,
                         const std::string& header, size_t header_bytes = 10) {
  const std::string input = "userstore-page-token-v1" + service + header;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  EXPECT_NE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                 reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len),
            nullptr);
  EXPECT_EQ(mac_len, 32u);
  return absl::WebSafeBase64Escape(header.substr(0, header_bytes) +
                                   std::string(reinterpret_cast<char*>(mac), 12));
}

TEST_F(PageTokenTest, FormatMatchesSpecification) {
  std::string header("\x01\x00\x00\x00\x00\x00\x07\x5b\xcd\x15", 10);  // 123456789
  EXPECT_EQ(ForgeWithKey("0123456789abcdef0123456789abcdef", kService, header), token_);
  header[1] = 1;
  EXPECT_EQ(ForgeWithKey("0123456789abcdef0123456789abcdef", kService, header),
            codec_.Encode(kService, {Direction::kBefore, 123456789}));
}

// A scope (another list of the Service: Bindings, its user, its filters)
// is MACed after the header with its length, so a token verifies only for
// its own scope, and the users list's empty scope keeps the format above.
TEST_F(PageTokenTest, ScopeBindsTheTokenToOneList) {
  const PageCursor cursor{Direction::kAfter, 123456789};
  const std::string scoped =
      codec_.Encode(kService, cursor, PageApi::kChat, "Bindings?BindingType=1");
  EXPECT_NE(scoped, token_);
  EXPECT_EQ(codec_.Encode(kService, cursor, PageApi::kChat, ""), token_);
  ASSERT_TRUE(codec_.Decode(kService, scoped, PageApi::kChat, "Bindings?BindingType=1").ok());
  EXPECT_EQ(*codec_.Decode(kService, scoped, PageApi::kChat, "Bindings?BindingType=1"), cursor);
  ExpectInvalid(codec_.Decode(kService, scoped), "scoped token, empty scope");
  ExpectInvalid(codec_.Decode(kService, token_, PageApi::kChat, "Bindings?BindingType=1"),
                "users token, scope");
  ExpectInvalid(codec_.Decode(kService, scoped, PageApi::kChat, "Bindings?BindingType=2"),
                "other scope");
  ExpectInvalid(codec_.Decode(kService, scoped, PageApi::kChat, "Bindings?BindingType=1 "),
                "longer scope");
  ExpectInvalid(codec_.Decode(kOtherService, scoped, PageApi::kChat, "Bindings?BindingType=1"),
                "other service");
  // The specified input: ... || header || scope size (8 bytes, big-endian) || scope.
  const std::string header("\x01\x00\x00\x00\x00\x00\x07\x5b\xcd\x15", 10);
  const std::string scope = "Bindings";
  EXPECT_EQ(ForgeWithKey("0123456789abcdef0123456789abcdef", kService,
                         header + std::string("\0\0\0\0\0\0\0\x08", 8) + scope, 10),
            codec_.Encode(kService, cursor, PageApi::kChat, scope));
}

TEST_F(PageTokenTest, AuthenticatedButUnknownVersionOrDirectionIsRejected) {
  const std::string key = "0123456789abcdef0123456789abcdef";
  std::string good("\x01\x01\x00\x00\x00\x00\x00\x00\x00\x2a", 10);
  absl::StatusOr<PageCursor> ok = codec_.Decode(kService, ForgeWithKey(key, kService, good));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, (PageCursor{Direction::kBefore, 42}));
  for (int v : {0, 2, 255}) {
    std::string bad = good;
    bad[0] = static_cast<char>(v);
    ExpectInvalid(codec_.Decode(kService, ForgeWithKey(key, kService, bad)),
                  "version " + std::to_string(v));
  }
  for (int d : {2, 3, 128, 255}) {
    std::string bad = good;
    bad[1] = static_cast<char>(d);
    ExpectInvalid(codec_.Decode(kService, ForgeWithKey(key, kService, bad)),
                  "direction " + std::to_string(d));
  }
}

// Keyed cursors (filtered lists in identity or date order, issue 18):
// version 2, the key between the header and the MAC; version 1 tokens are
// unchanged.
TEST_F(PageTokenTest, KeyedCursorsRoundTripInTheSpecifiedFormat) {
  const std::string key = "0123456789abcdef0123456789abcdef";
  const PageCursor cursor{Direction::kBefore, 7, "bob\xff"};
  const std::string token = codec_.Encode(kService, cursor, PageApi::kChat, "f:p:b");
  absl::StatusOr<PageCursor> back = codec_.Decode(kService, token, PageApi::kChat, "f:p:b");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, cursor);
  EXPECT_EQ(back->key, "bob\xff");
  ExpectInvalid(codec_.Decode(kService, token, PageApi::kChat, "f:p:c"), "other scope");
  ExpectInvalid(codec_.Decode(kService, token), "no scope");
  for (size_t n = 1; n < token.size(); ++n) {
    ExpectInvalid(codec_.Decode(kService, token.substr(0, n), PageApi::kChat, "f:p:b"),
                  "prefix " + std::to_string(n));
  }
  const std::string header = std::string("\x02\x01\0\0\0\0\0\0\0\x07", 10) + "bob\xff";
  const std::string scope = "f:p:b";
  EXPECT_EQ(ForgeWithKey(key, kService, header + std::string("\0\0\0\0\0\0\0\x05", 8) + scope,
                         header.size()),
            token);
  // A key with version 1, or version 2 without a key: refused.
  std::string v1 = header;
  v1[0] = 1;
  ExpectInvalid(codec_.Decode(kService, ForgeWithKey(key, kService, v1, v1.size())), "v1 + key");
  const std::string v2 = header.substr(0, 10);
  ExpectInvalid(codec_.Decode(kService, ForgeWithKey(key, kService, v2)), "v2 without key");
  // The longest key decodes; one byte more is refused.
  const std::string longest =
      std::string("\x02\0\0\0\0\0\0\0\0\x01", 10) + std::string(PageCursor::kMaxKeyBytes, 'k');
  EXPECT_TRUE(codec_.Decode(kService, ForgeWithKey(key, kService, longest, longest.size())).ok());
  ExpectInvalid(
      codec_.Decode(kService, ForgeWithKey(key, kService, longest + "k", longest.size() + 1)),
      "key too long");
}

TEST_F(PageTokenTest, ConcurrentUseAcrossThreads) {
  PageTokenCodec other("another key");
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < 2000; ++i) {
        const PageTokenCodec& c = (i + t) % 2 ? codec_ : other;
        const PageCursor cursor{i % 3 ? Direction::kAfter : Direction::kBefore, i * 7919};
        std::string tok = c.Encode(kService, cursor);
        absl::StatusOr<PageCursor> back = c.Decode(kService, tok);
        if (!back.ok() || !(*back == cursor)) ++failures[t];
        const PageTokenCodec& wrong = &c == &codec_ ? other : codec_;
        if (wrong.Decode(kService, tok).ok()) ++failures[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

// Not a benchmark harness, just the figure docs/design-token.md quotes; prints
// ns per call (RelWithDebInfo). Asserts only a very loose bound.
TEST_F(PageTokenTest, CostPerCall) {
  constexpr int kIters = 200000;
  std::vector<std::string> tokens;
  tokens.reserve(kIters);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kIters; ++i) {
    tokens.push_back(codec_.Encode(kService, {Direction::kAfter, uint64_t(i)}));
  }
  auto t1 = std::chrono::steady_clock::now();
  int ok = 0;
  for (size_t i = 0; i < tokens.size(); ++i) ok += codec_.Decode(kService, tokens[i]).ok();
  auto t2 = std::chrono::steady_clock::now();
  EXPECT_EQ(ok, kIters);
  const double enc = std::chrono::duration<double, std::nano>(t1 - t0).count() / kIters;
  const double dec = std::chrono::duration<double, std::nano>(t2 - t1).count() / kIters;
  std::printf("page token: Encode %.0f ns/call, Decode %.0f ns/call\n", enc, dec);
  EXPECT_LT(enc, 100000.0);
  EXPECT_LT(dec, 100000.0);
}

}  // namespace
}  // namespace userstore::internal
