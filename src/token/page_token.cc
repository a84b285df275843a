// Page tokens (see page_token.h and docs/design.md, "Page tokens").
//
// Binary layout, 22 bytes, then base64url without padding (30 characters):
//   [0]      version, 1
//   [1]      direction, 0 = after, 1 = before
//   [2..9]   sequence, 64-bit big-endian
//   [10..21] MAC: the first 12 bytes of
//            HMAC-SHA-256(key, domain || service_sid || [0..9]
//                              [|| scope size BE64 || scope, when scope is not empty])
// A cursor with a key (PageCursor::key: filtered lists in identity or date
// order, issue 18) has version 2 and the key between header and MAC:
//   [0] 2, [1] direction, [2..9] sequence, [10..10+k) key, then the MAC of
//   (domain || service_sid || [0..10+k) [|| scope ...]); k is the decoded
//   size less 22, 1..PageCursor::kMaxKeyBytes. Version 1 tokens (no key)
//   are exactly as before.
// where domain is "userstore-page-token-v1" for Chat v2 lists and
// "userstore-page-token-c1" for Conversations v1 lists (PageApi). The domain
// strings, the Service SID (canonical, 34 characters) and the header have
// fixed lengths and the scope is length-prefixed, so the MAC input determines
// the API, service_sid and scope uniquely; the users list's empty scope adds
// nothing, so its tokens are those of before scopes existed.
//
// Thread-safety: each thread keeps its own HMAC context (thread_local), keyed
// with the key it last served; codecs hold no mutable state.
#include "token/page_token.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "common/strings.h"
#include "common/twilio_errors.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

constexpr uint8_t kVersion = 1;
constexpr uint8_t kKeyedVersion = 2;
constexpr size_t kHeaderBytes = 10;
constexpr size_t kMacBytes = 12;
constexpr size_t kTokenBytes = kHeaderBytes + kMacBytes;  // 22
// base64url without padding: 4 characters per 3 bytes, 2 for the last byte.
constexpr size_t kTokenChars = (kTokenBytes / 3) * 4 + 2;  // 30
static_assert(kTokenBytes % 3 == 1, "kTokenChars assumes one trailing byte");
// One domain per API, all of one length (see the layout above).
constexpr std::string_view kChatMacDomain = "userstore-page-token-v1";
constexpr std::string_view kConversationsMacDomain = "userstore-page-token-c1";
static_assert(kChatMacDomain.size() == kConversationsMacDomain.size());

std::string_view MacDomain(PageApi api) {
  return api == PageApi::kConversations ? kConversationsMacDomain : kChatMacDomain;
}

using Mac = std::array<uint8_t, kMacBytes>;

[[noreturn]] void DieOnOpenSslFailure(const char* what) {
  std::fprintf(stderr, "userstore: OpenSSL %s failed (error %lu)\n", what, ERR_get_error());
  std::abort();
}

// One HMAC-SHA-256 context per thread. Fetching the algorithm and setting the
// key cost more than MACing 40 bytes, so both are kept: the context is reset
// with the key already set when the same key comes back (the common case: one
// Store per process), and re-keyed otherwise.
class ThreadHmac {
 public:
  ThreadHmac() {
    mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac_ == nullptr) DieOnOpenSslFailure("EVP_MAC_fetch(HMAC)");
    ctx_ = EVP_MAC_CTX_new(mac_);
    if (ctx_ == nullptr) DieOnOpenSslFailure("EVP_MAC_CTX_new");
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (EVP_MAC_CTX_set_params(ctx_, params) != 1) {
      DieOnOpenSslFailure("EVP_MAC_CTX_set_params(SHA256)");
    }
  }
  ~ThreadHmac() {
    OPENSSL_cleanse(key_.data(), key_.size());
    EVP_MAC_CTX_free(ctx_);
    EVP_MAC_free(mac_);
  }
  ThreadHmac(const ThreadHmac&) = delete;
  ThreadHmac& operator=(const ThreadHmac&) = delete;

  // The truncated MAC of (domain || service_sid || header) under `key`.
  // Aborts if OpenSSL fails (only on allocation failure or a broken install):
  // a token must never be issued or accepted without its MAC.
  Mac Compute(std::string_view key, std::string_view domain, std::string_view service_sid,
              std::string_view header, std::string_view scope) {
    // EVP_MAC_init with a null key restarts with the key already set.
    const bool rekey = !keyed_ || key != key_;
    const int init = rekey ? EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(key.data()),
                                          key.size(), nullptr)
                           : EVP_MAC_init(ctx_, nullptr, 0, nullptr);
    if (init != 1) DieOnOpenSslFailure("EVP_MAC_init");
    if (rekey) {
      OPENSSL_cleanse(key_.data(), key_.size());
      key_.assign(key);
      keyed_ = true;
    }
    if (EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(domain.data()),
                       domain.size()) != 1 ||
        EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(service_sid.data()),
                       service_sid.size()) != 1 ||
        EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(header.data()),
                       header.size()) != 1) {
      DieOnOpenSslFailure("EVP_MAC_update");
    }
    if (!scope.empty()) {
      std::array<unsigned char, 8> size;
      for (size_t i = 0; i < 8; ++i)
        size[i] = static_cast<unsigned char>(scope.size() >> (56 - 8 * i));
      if (EVP_MAC_update(ctx_, size.data(), size.size()) != 1 ||
          EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(scope.data()),
                         scope.size()) != 1) {
        DieOnOpenSslFailure("EVP_MAC_update");
      }
    }
    unsigned char full[EVP_MAX_MD_SIZE];
    size_t full_len = 0;
    if (EVP_MAC_final(ctx_, full, &full_len, sizeof(full)) != 1 || full_len < kMacBytes) {
      DieOnOpenSslFailure("EVP_MAC_final");
    }
    Mac mac;
    std::copy(full, full + kMacBytes, mac.begin());
    OPENSSL_cleanse(full, sizeof(full));
    return mac;
  }

 private:
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;
  bool keyed_ = false;
  std::string key_;  // the key ctx_ holds
};

Mac ComputeMac(std::string_view key, PageApi api, std::string_view service_sid,
               std::string_view header, std::string_view scope) {
  thread_local ThreadHmac hmac;
  return hmac.Compute(key, MacDomain(api), service_sid, header, scope);
}

// The header bytes and, for a keyed cursor, its key after them.
std::string MakeHeader(const PageCursor& cursor) {
  std::string h(kHeaderBytes, '\0');
  h[0] = static_cast<char>(cursor.key.empty() ? kVersion : kKeyedVersion);
  h[1] = static_cast<char>(cursor.direction);
  for (size_t i = 0; i < 8; ++i) {
    h[2 + i] = static_cast<char>(static_cast<uint8_t>(cursor.sequence >> (56 - 8 * i)));
  }
  h.append(cursor.key);
  return h;
}

absl::Status InvalidToken() {
  return BadRequest(twilio_code::kInvalidParameter, "Invalid PageToken");
}

}  // namespace

PageTokenCodec::PageTokenCodec(std::string key) : key_(std::move(key)) {}

std::string PageTokenCodec::Encode(std::string_view service_sid, const PageCursor& cursor,
                                   PageApi api, std::string_view scope) const {
  std::string raw = MakeHeader(cursor);
  const Mac mac = ComputeMac(key_, api, service_sid, raw, scope);
  raw.append(reinterpret_cast<const char*>(mac.data()), mac.size());
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<PageCursor> PageTokenCodec::Decode(std::string_view service_sid,
                                                  std::string_view token, PageApi api,
                                                  std::string_view scope) const {
  // Length first: nothing of the wrong size (including anything huge) is
  // ever decoded. Version 1 tokens have exactly kTokenChars characters.
  constexpr size_t kMaxChars = (kTokenBytes + PageCursor::kMaxKeyBytes) / 3 * 4 + 4;
  if (token.size() < kTokenChars || token.size() > kMaxChars) return InvalidToken();
  std::string raw;
  // (Debian's Abseil has its own absl::string_view: convert explicitly.)
  if (!absl::WebSafeBase64Unescape(ToAbsl(token), &raw) || raw.size() < kTokenBytes ||
      raw.size() > kTokenBytes + PageCursor::kMaxKeyBytes) {
    return InvalidToken();
  }
  // One token per cursor: reject padding, and final characters whose unused
  // low bits are set, by re-encoding.
  if (std::string_view(absl::WebSafeBase64Escape(raw)) != token) {
    return InvalidToken();
  }

  const size_t header_bytes = raw.size() - kMacBytes;
  const std::string_view header(raw.data(), header_bytes);
  const Mac expected = ComputeMac(key_, api, service_sid, header, scope);
  if (CRYPTO_memcmp(expected.data(), raw.data() + header_bytes, kMacBytes) != 0) {
    return InvalidToken();
  }
  // Authenticated from here on; still check the values this version knows.
  const uint8_t version = static_cast<uint8_t>(header[0]);
  if (header_bytes == kHeaderBytes ? version != kVersion : version != kKeyedVersion) {
    return InvalidToken();
  }
  const uint8_t direction = static_cast<uint8_t>(header[1]);
  if (direction != static_cast<uint8_t>(PageCursor::Direction::kAfter) &&
      direction != static_cast<uint8_t>(PageCursor::Direction::kBefore)) {
    return InvalidToken();
  }
  PageCursor cursor;
  cursor.direction = static_cast<PageCursor::Direction>(direction);
  cursor.sequence = 0;
  for (size_t i = 0; i < 8; ++i) {
    cursor.sequence = (cursor.sequence << 8) | static_cast<uint8_t>(header[2 + i]);
  }
  cursor.key.assign(header.substr(kHeaderBytes));
  return cursor;
}

}  // namespace userstore::internal
