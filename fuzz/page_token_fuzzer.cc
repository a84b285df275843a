// Fuzz target: page-token encoding and decoding (src/token/page_token.h).
//
// Input: [key selector][direction][sequence: 8 bytes][edit position][edit
// byte] then the rest as a candidate token. Properties:
//   - Decode of any bytes never crashes, and returns 400/20001 or a cursor
//     whose re-encoding is exactly the token (one token per cursor, so an
//     accepted token was issued by this codec);
//   - decode(encode(x)) == x for the fuzzed cursor, and the token is 30
//     characters of [A-Za-z0-9_-];
//   - the token is rejected by another Service, by another key, through the
//     other API (PageApi), truncated, extended, or with any one character
//     replaced by any other byte; the same cursor's Conversations token
//     round-trips through its API only.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "fuzz/fuzz_util.h"
#include "token/page_token.h"
#include "userstore/error.h"
#include "userstore/page.h"

namespace userstore::fuzz {
namespace {

using internal::PageCursor;
using internal::PageTokenCodec;

constexpr char kService[] = "IS00000000000000000000000000000001";
constexpr char kOtherService[] = "IS00000000000000000000000000000002";
constexpr size_t kTokenChars = 30;

bool IsTokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

void ExpectRejected(const PageTokenCodec& codec, std::string_view service, std::string_view token,
                    const char* what, PageApi api = PageApi::kChat) {
  absl::StatusOr<PageCursor> decoded = codec.Decode(service, token, api);
  FUZZ_CHECK(!decoded.ok(), "%s token accepted: %.*s", what, static_cast<int>(token.size()),
             token.data());
  FUZZ_CHECK(HttpStatus(decoded.status()) == 400 &&
                 TwilioCode(decoded.status()) == twilio_code::kInvalidParameter,
             "%s token: %s", what, Describe(decoded.status()).c_str());
}

}  // namespace
}  // namespace userstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace userstore;
  using namespace userstore::fuzz;
  static const PageTokenCodec* const codecs[] = {
      new PageTokenCodec("page-token-fuzzer-key"),
      new PageTokenCodec(std::string("\0\x01\xff", 3)),
      new PageTokenCodec(""),
  };
  static const PageTokenCodec other_key("another-key");

  ByteReader in(data, size);
  const PageTokenCodec& codec = *codecs[in.Pick(3)];
  PageCursor cursor;
  cursor.direction = in.Bool() ? PageCursor::Direction::kBefore : PageCursor::Direction::kAfter;
  cursor.sequence = in.U64();
  const size_t edit_pos = in.Byte();
  const uint8_t edit_byte = in.Byte();
  const std::string_view candidate = in.Rest();

  // Arbitrary bytes: rejected, or exactly the canonical token of a cursor.
  absl::StatusOr<PageCursor> any = codec.Decode(kService, candidate);
  if (any.ok()) {
    FUZZ_CHECK(codec.Encode(kService, *any) == candidate,
               "accepted a token that is not the canonical encoding of its cursor");
  } else {
    FUZZ_CHECK(HttpStatus(any.status()) == 400 &&
                   TwilioCode(any.status()) == twilio_code::kInvalidParameter,
               "%s", Describe(any.status()).c_str());
  }

  // Round trip.
  const std::string token = codec.Encode(kService, cursor);
  FUZZ_CHECK(token.size() == kTokenChars, "token length %zu", token.size());
  for (char c : token) FUZZ_CHECK(IsTokenChar(c), "token char 0x%02x", c & 0xff);
  absl::StatusOr<PageCursor> back = codec.Decode(kService, token);
  FUZZ_CHECK(back.ok(), "own token rejected: %s", Describe(back.status()).c_str());
  FUZZ_CHECK(*back == cursor, "round trip changed the cursor");
  FUZZ_CHECK(codec.Encode(kService, cursor) == token, "Encode not deterministic");

  // Bound to the Service and the key.
  ExpectRejected(codec, kOtherService, token, "other-Service");
  ExpectRejected(other_key, kService, token, "other-key");

  // Bound to the API: the same cursor, another MAC domain.
  ExpectRejected(codec, kService, token, "other-API", PageApi::kConversations);
  const std::string conversations = codec.Encode(kService, cursor, PageApi::kConversations);
  FUZZ_CHECK(conversations.size() == kTokenChars && conversations != token,
             "Conversations token %s", conversations.c_str());
  absl::StatusOr<PageCursor> conversations_back =
      codec.Decode(kService, conversations, PageApi::kConversations);
  FUZZ_CHECK(conversations_back.ok() && *conversations_back == cursor,
             "own Conversations token: %s", Describe(conversations_back.status()).c_str());
  ExpectRejected(codec, kService, conversations, "Conversations token as Chat's");

  // Any truncation, any extension, any single-character change.
  ExpectRejected(codec, kService, std::string_view(token).substr(0, edit_pos % kTokenChars),
                 "truncated");
  ExpectRejected(codec, kService, token + static_cast<char>(edit_byte), "extended");
  std::string altered = token;
  const size_t pos = edit_pos % kTokenChars;
  if (static_cast<char>(edit_byte) != altered[pos]) {
    altered[pos] = static_cast<char>(edit_byte);
    ExpectRejected(codec, kService, altered, "altered");
  }
  return 0;
}
