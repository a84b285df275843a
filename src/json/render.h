// The fast writers behind json.h's user and page renderers, and the REST
// facade's bodies: JSON text written with raw stores into a buffer reserved
// ahead, no temporaries.
//
// - Strings: runs of bytes that need no escape are found 16 at a time (SSE2
//   where available) and copied whole; only `"`, `\`, U+0000..U+001F are
//   escaped (as AppendJsonString, json_writer.h, which uses the same code).
//   Text the Store validated (Utf8::kValid) is never checked for UTF-8; other
//   text is checked only from its first byte >= 0x80, and ill-formed text
//   gets AppendJsonString's \ufffd replacement.
// - Dates: Twilio's "YYYY-MM-DDTHH:MM:SSZ" from the Unix seconds by civil
//   arithmetic (years 1000-9999; absl::FormatTime beyond, as before).
// - URLs: written straight into the output, each part escaped in place.
//
// Thread-compatible: a JsonBuf is used by one thread.
#ifndef USERSTORE_SRC_JSON_RENDER_H_
#define USERSTORE_SRC_JSON_RENDER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "userstore/json.h"
#include "userstore/page.h"
#include "userstore/user_view.h"

namespace userstore::internal {

// Whether a text is known to be valid UTF-8 (the Store validated it at write).
enum class Utf8 { kUnchecked, kValid };

// Appends raw bytes to a std::string through a pointer: Reserve(n) makes
// room for n more bytes (growing the string's size, so new room is
// zero-filled once), the caller writes at most n bytes from the returned
// pointer and Commit()s the end it reached. While the buffer is in use the
// string's size is the room reserved; Finish() trims it to the bytes
// committed (the destructor does, unless Finish() was called: call it
// before moving the string away).
//
// kReuse: a scratch string reused across calls: writing starts at its
// beginning, over what it held, and its size is never trimmed, so a reuse
// zero-fills nothing; read the result with text(). O(1) amortised per byte.
class JsonBuf {
 public:
  enum Mode { kAppend, kReuse };

  explicit JsonBuf(std::string* out, Mode mode = kAppend)
      : out_(out),
        length_(mode == kAppend ? out->size() : 0),
        reuse_(mode == kReuse),
        finished_(reuse_) {}
  ~JsonBuf() {
    if (!finished_) Finish();
  }
  JsonBuf(const JsonBuf&) = delete;
  JsonBuf& operator=(const JsonBuf&) = delete;

  char* Reserve(size_t n) {
    if (out_->size() - length_ < n) Grow(n);
    return out_->data() + length_;
  }
  void Commit(const char* end) { length_ = static_cast<size_t>(end - out_->data()); }
  // Appends `text`.
  void Append(std::string_view text) {
    if (text.size() <= 64 || reuse_) {
      char* p = Reserve(text.size());
      if (!text.empty()) std::memcpy(p, text.data(), text.size());
      Commit(p + text.size());
      return;
    }
    // The string's own append: no zero fill, however long (kAppend only:
    // it trims).
    out_->resize(length_);
    out_->append(text.data(), text.size());
    length_ = out_->size();
  }
  size_t length() const { return length_; }
  std::string_view text() const { return std::string_view(out_->data(), length_); }
  // Trims the string to the bytes committed (kAppend).
  void Finish() {
    out_->resize(length_);
    finished_ = true;
  }

 private:
  void Grow(size_t n);

  std::string* out_;
  size_t length_;
  const bool reuse_;
  bool finished_;
};

// The bytes WriteJsonString / WriteJsonChars may write for `size` bytes of
// text (every byte may become a 6-byte escape), quotes and slack included.
constexpr size_t JsonStringBound(size_t size) { return 6 * size + 2 + 16; }

// Writes `text` escaped (as AppendJsonString, without the quotes) at `p` and
// returns the end. REQUIRES: JsonStringBound(|text|) bytes of room at `p`.
char* WriteJsonChars(std::string_view text, Utf8 utf8, char* p);

// WriteJsonChars between quotes.
inline char* WriteJsonString(std::string_view text, Utf8 utf8, char* p) {
  *p++ = '"';
  p = WriteJsonChars(text, utf8, p);
  *p++ = '"';
  return p;
}

// The room WriteTwilioDate needs.
inline constexpr size_t kTwilioDateBound = 48;

// Writes FormatTwilioDate(t) (json.h) at `p`, no quotes; returns the end.
char* WriteTwilioDate(absl::Time t, char* p);

// Appends one user (json.h, UserJson; as a list item when `list_item`:
// joined_channels_count after date_updated) to `*out`. `utf8` tells whether
// the view's texts are known valid UTF-8 (views the Store hands out are).
void AppendUser(const UserView& user, std::string_view base_url, bool list_item, Utf8 utf8,
                JsonBuf* out);

// Appends Twilio's list "meta" member (`"meta":{...}`, no comma around it)
// of the list {base_url}/Services/{service_sid}/{list_name} (list_name
// "Users", "Roles"); its URLs are
// {list}?PageSize=N&Page=P[&PageToken=T], T percent-encoded. `key` is the
// list's key ("users", "roles").
void AppendListMeta(std::string_view base_url, std::string_view service_sid,
                    std::string_view list_name, int64_t page, int64_t page_size,
                    std::string_view token, std::string_view previous_token,
                    std::string_view next_token, std::string_view key, JsonBuf* out);

// AppendListMeta for the list at `list_url` (absolute, unescaped: e.g.
// {base}/Users for Conversations' account-level list); its URLs are
// {list_url}?{filters}PageSize=N&Page=P[&PageToken=T]. `filters` is query
// text already percent-encoded, empty or ending with '&' (a filtered list's
// parameters, rest/user_extensions.h FilterQuery), so a client following
// the links keeps its filter.
void AppendListMetaAt(std::string_view list_url, int64_t page, int64_t page_size,
                      std::string_view token, std::string_view previous_token,
                      std::string_view next_token, std::string_view key, JsonBuf* out,
                      std::string_view filters = {});

// Twilio's list body from its parts: {"meta":{...},"users":[` + users + `]}
// where `users` is the comma-separated items (AppendUser with list_item).
// `links` gives every field but its users; `filters` goes into every URL of
// the meta (AppendListMetaAt).
void AppendUsersPage(const Page& links, std::string_view service_sid, std::string_view base_url,
                     std::string_view users, JsonBuf* out, std::string_view filters = {});

// Conversations v1 (conversations_render.cc): one user as
// ConversationsUserJson renders it (list items are the same shape), and the
// list body {"meta":{...},"users":[` + users + `]} whose URLs are
// {base_url}/Services/{service_sid}/Users?... (kService) or
// {base_url}/Users?... (kAccount).
void AppendConversationsUser(const UserView& user, std::string_view base_url,
                             ConversationsPath path, Utf8 utf8, JsonBuf* out);
void AppendConversationsUsersPage(const Page& links, std::string_view service_sid,
                                  std::string_view base_url, ConversationsPath path,
                                  std::string_view users, JsonBuf* out);

class JsonWriter;

// Twilio's error members "code", "message" and "more_info" of `status`
// (ErrorJson's body without its "status"), into an object `w` has open.
// REQUIRES: !status.ok().
void WriteErrorMembers(const absl::Status& status, JsonWriter* w);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_JSON_RENDER_H_
