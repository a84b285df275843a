// Page tokens: opaque, URL-safe, authenticated keyset positions.
//
// A token names a position in a Service's creation order: "after" or
// "before" the user with creation sequence number `sequence` (that user may
// since have been deleted). It is bound to the Service it was issued for and
// carries a keyed MAC (HMAC-SHA-256, truncated), so any change, truncation or
// reuse against another Service, another list of it (the scope), or through
// the other REST API (PageApi: each API MACs under its own domain string), is
// detected. Alphabet: [A-Za-z0-9_-] (base64url
// without padding). Format in docs/design.md. Thread-safe (const methods).
#ifndef USERSTORE_SRC_TOKEN_PAGE_TOKEN_H_
#define USERSTORE_SRC_TOKEN_PAGE_TOKEN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "userstore/page.h"

namespace userstore::internal {

struct PageCursor {
  enum class Direction : uint8_t { kAfter = 0, kBefore = 1 };
  PageCursor() = default;
  PageCursor(Direction d, uint64_t s, std::string k = {})
      : direction(d), sequence(s), key(std::move(k)) {}
  Direction direction = Direction::kAfter;
  uint64_t sequence = 0;
  // Empty for creation order (the token of before issue 18, unchanged).
  // Filtered lists in another order (filter.h) add their key: the last
  // identity for identity order, the 8-byte date for date order. At most
  // kMaxKeyBytes: the longest identity any Limits allow (16,383 code points
  // of up to 4 bytes, UserRecord::kMaxShortTextBytes) plus the one byte a
  // successor position appends, so every identity-order position encodes.
  std::string key;
  static constexpr size_t kMaxKeyBytes = 4 * 16383 + 1;

  friend bool operator==(const PageCursor& a, const PageCursor& b) {
    return a.direction == b.direction && a.sequence == b.sequence && a.key == b.key;
  }
};

class PageTokenCodec {
 public:
  // `key`: the MAC key (any bytes; StoreOptions::page_token_key).
  explicit PageTokenCodec(std::string key);

  // The token for `cursor` in Service `service_sid` (its canonical SID, 34
  // characters), for lists of `api`. `scope` binds it further to one list
  // of that Service: empty for the users list; any other text names another
  // list (e.g. the Bindings list with its user and filters), and the MAC
  // covers it, so a token verifies only for the same service_sid, api and
  // scope. O(|scope|).
  std::string Encode(std::string_view service_sid, const PageCursor& cursor,
                     PageApi api = PageApi::kChat, std::string_view scope = {}) const;

  // The cursor a token from Encode(service_sid, ..., api, scope) holds.
  // Errors: 400/20001 "Invalid PageToken" when the token is malformed,
  // truncated, altered, not canonical, or was issued for another Service,
  // API or scope. O(|token| + |scope|).
  absl::StatusOr<PageCursor> Decode(std::string_view service_sid, std::string_view token,
                                    PageApi api = PageApi::kChat,
                                    std::string_view scope = {}) const;

 private:
  std::string key_;
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_TOKEN_PAGE_TOKEN_H_
