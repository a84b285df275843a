#include "json/render.h"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <charconv>

#include "common/utf8.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace userstore::internal {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// 0: copied as is; 1: escaped; 2: a byte >= 0x80 (copied when the text is
// valid UTF-8).
constexpr unsigned char ByteClass(unsigned c) {
  if (c >= 0x80) return 2;
  return c < 0x20 || c == '"' || c == '\\' ? 1 : 0;
}

struct ByteClasses {
  unsigned char of[256];
};

constexpr ByteClasses MakeByteClasses() {
  ByteClasses t{};
  for (unsigned c = 0; c < 256; ++c) t.of[c] = ByteClass(c);
  return t;
}

constexpr ByteClasses kClass = MakeByteClasses();

// The letter of the two-character escape of each ASCII byte that has one
// (\" \\ \b \f \n \r \t), 0 for the others.
struct ShortEscapes {
  char of[128];
};

constexpr ShortEscapes MakeShortEscapes() {
  ShortEscapes t{};
  t.of[static_cast<unsigned char>('"')] = '"';
  t.of[static_cast<unsigned char>('\\')] = '\\';
  t.of[static_cast<unsigned char>('\b')] = 'b';
  t.of[static_cast<unsigned char>('\f')] = 'f';
  t.of[static_cast<unsigned char>('\n')] = 'n';
  t.of[static_cast<unsigned char>('\r')] = 'r';
  t.of[static_cast<unsigned char>('\t')] = 't';
  return t;
}

constexpr ShortEscapes kShortEscape = MakeShortEscapes();

// Writes the escape of ASCII byte `c` (class 1) at `p`.
inline char* WriteEscape(unsigned char c, char* p) {
  p[0] = '\\';
  if (const char letter = kShortEscape.of[c]; letter != 0) {
    p[1] = letter;
    return p + 2;
  }
  p[1] = 'u';
  p[2] = '0';
  p[3] = '0';
  p[4] = kHex[c >> 4];
  p[5] = kHex[c & 0xF];
  return p + 6;
}

// The rest of a text that is not valid UTF-8, from `s`: AppendJsonString's
// per-sequence walk (each maximal ill-formed subpart becomes \ufffd).
char* WriteIllFormed(const char* s, const char* end, char* p) {
  while (s < end) {
    const auto c = static_cast<unsigned char>(*s);
    const unsigned char cls = kClass.of[c];
    if (cls == 0) {
      *p++ = *s++;
    } else if (cls == 1) {
      p = WriteEscape(c, p);
      ++s;
    } else {
      const Utf8Sequence sequence =
          NextUtf8Sequence(std::string_view(s, static_cast<size_t>(end - s)));
      if (sequence.valid) {
        std::memcpy(p, s, sequence.length);
        p += sequence.length;
      } else {
        std::memcpy(p, "\\ufffd", 6);
        p += 6;
      }
      s += sequence.length;
    }
  }
  return p;
}

// Two decimal digits of 0..99.
inline char* Put2(int v, char* p) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

inline char* PutInt(int64_t v, char* p) { return std::to_chars(p, p + 24, v).ptr; }

template <size_t N>
inline char* Lit(const char (&text)[N], char* p) {
  std::memcpy(p, text, N - 1);
  return p + N - 1;
}

inline char* Raw(std::string_view text, char* p) {
  if (!text.empty()) std::memcpy(p, text.data(), text.size());
  return p + text.size();
}

// Unix seconds of 1000-01-01T00:00:00Z and 10000-01-01T00:00:00Z.
constexpr int64_t kYear1000 = -30610224000;
constexpr int64_t kYear10000 = 253402300800;

// The room AppendUser reserves for `user`: every text escaped at worst.
size_t UserBound(const UserView& user, std::string_view base_url) {
  const size_t url = 6 * (base_url.size() + user.service_sid().size() + user.sid().size()) + 64;
  size_t texts = user.sid().size() + user.account_sid().size() + user.service_sid().size() +
                 user.role_sid().size() + user.identity().size() + user.attributes().size();
  if (user.friendly_name()) texts += user.friendly_name()->size();
  return 400 + 7 * JsonStringBound(0) + 6 * texts + 3 * url + 2 * kTwilioDateBound + 2 * 24;
}

// `"{list_url}?{filters}PageSize=N&Page=P[&PageToken=T]"`.
char* WritePageUrl(std::string_view list_url, std::string_view filters, int64_t page_size,
                   int64_t page, std::string_view token, char* p) {
  *p++ = '"';
  p = WriteJsonChars(list_url, Utf8::kUnchecked, p);
  *p++ = '?';
  p = WriteJsonChars(filters, Utf8::kUnchecked, p);
  p = Lit("PageSize=", p);
  p = PutInt(page_size, p);
  p = Lit("&Page=", p);
  p = PutInt(page, p);
  if (!token.empty()) {
    // Tokens are base64url already; they are percent-encoded anyway so any
    // token text yields a valid URL (and needs no JSON escape).
    p = Lit("&PageToken=", p);
    const boost::urls::string_view t(token.data(), token.size());
    p += boost::urls::encode(p, 3 * token.size(), t, boost::urls::unreserved_chars);
  }
  *p++ = '"';
  return p;
}

}  // namespace

void JsonBuf::Grow(size_t n) {
  // resize() past the capacity grows it geometrically; the new bytes are
  // zero-filled once and then written over.
  out_->resize(length_ + n);
}

char* WriteJsonChars(std::string_view text, Utf8 utf8, char* p) {
  const char* s = text.data();
  const char* const end = s + text.size();
  bool valid = utf8 == Utf8::kValid;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i control_max = _mm_set1_epi8(0x1F);
  while (end - s >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
    const __m128i special =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                     _mm_cmpeq_epi8(_mm_max_epu8(v, control_max), control_max));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(special));
    if (!valid) mask |= static_cast<unsigned>(_mm_movemask_epi8(v));  // bytes >= 0x80
    if (mask == 0) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
      s += 16;
      p += 16;
      continue;
    }
    // Every special byte of the block in turn (no reload between them):
    // the run before it, then its escape. The loop then goes on from the
    // byte after the last one.
    size_t done = 0;  // bytes of the block written
    do {
      const auto at = static_cast<size_t>(__builtin_ctz(mask));
      mask &= mask - 1;
      const size_t run = at - done;
      if (end - (s + done) >= 16) {  // 16 bytes copied, `run` of them kept
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p),
                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + done)));
      } else {
        std::memcpy(p, s + done, run);
      }
      p += run;
      const auto c = static_cast<unsigned char>(s[at]);
      if (c >= 0x80) {  // only while the text is unchecked
        if (!IsValidUtf8(std::string_view(s + at, static_cast<size_t>(end - (s + at))))) {
          return WriteIllFormed(s + at, end, p);
        }
        valid = true;
        done = at;  // the block again from here, high bytes now plain
        break;
      }
      p = WriteEscape(c, p);
      done = at + 1;
    } while (mask != 0);
    s += done;
  }
#endif
  while (s < end) {
    const auto c = static_cast<unsigned char>(*s);
    const unsigned char cls = kClass.of[c];
    if (cls == 0 || (cls == 2 && valid)) {
      *p++ = *s++;
      continue;
    }
    if (cls == 2) {
      if (!IsValidUtf8(std::string_view(s, static_cast<size_t>(end - s)))) {
        return WriteIllFormed(s, end, p);
      }
      valid = true;
      continue;
    }
    p = WriteEscape(c, p);
    ++s;
  }
  return p;
}

char* WriteTwilioDate(absl::Time t, char* p) {
  const int64_t seconds = absl::ToUnixSeconds(t);  // floors a fraction
  if (seconds < kYear1000 || seconds >= kYear10000) {
    // absl::FormatTime does not pad years before 1000 and prints infinite
    // times by name; FormatTwilioDate always did the same.
    const std::string text = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
    return Raw(text.substr(0, kTwilioDateBound), p);
  }
  // Days since 1970-01-01 (floor) and the second of the day.
  int64_t days = seconds / 86400;
  int64_t second_of_day = seconds % 86400;
  if (second_of_day < 0) {
    second_of_day += 86400;
    --days;
  }
  // H. Hinnant's civil_from_days (proleptic Gregorian), eras of 400 years.
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                       // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const auto day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const auto year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
  const auto sod = static_cast<int>(second_of_day);
  p = Put2(year / 100, p);
  p = Put2(year % 100, p);
  *p++ = '-';
  p = Put2(month, p);
  *p++ = '-';
  p = Put2(day, p);
  *p++ = 'T';
  p = Put2(sod / 3600, p);
  *p++ = ':';
  p = Put2(sod / 60 % 60, p);
  *p++ = ':';
  p = Put2(sod % 60, p);
  *p++ = 'Z';
  return p;
}

void AppendUser(const UserView& user, std::string_view base_url, bool list_item, Utf8 utf8,
                JsonBuf* out) {
  char* p = out->Reserve(UserBound(user, base_url));
  // SIDs and the base URL are checked like any text (a view of a User value
  // may hold anything); the Store's are plain ASCII and take the fast path.
  p = Lit("{\"sid\":", p);
  p = WriteJsonString(user.sid(), Utf8::kUnchecked, p);
  p = Lit(",\"account_sid\":", p);
  p = WriteJsonString(user.account_sid(), Utf8::kUnchecked, p);
  p = Lit(",\"service_sid\":", p);
  p = WriteJsonString(user.service_sid(), Utf8::kUnchecked, p);
  p = Lit(",\"role_sid\":", p);
  p = WriteJsonString(user.role_sid(), Utf8::kUnchecked, p);
  p = Lit(",\"identity\":", p);
  p = WriteJsonString(user.identity(), utf8, p);
  p = Lit(",\"attributes\":", p);
  p = WriteJsonString(user.attributes(), utf8, p);
  p = Lit(",\"is_online\":", p);
  const std::optional<bool> online = user.is_online();
  p = online ? (*online ? Lit("true", p) : Lit("false", p)) : Lit("null", p);
  p = Lit(",\"is_notifiable\":", p);
  const std::optional<bool> notifiable = user.is_notifiable();
  p = notifiable ? (*notifiable ? Lit("true", p) : Lit("false", p)) : Lit("null", p);
  p = Lit(",\"friendly_name\":", p);
  if (const std::optional<std::string_view> name = user.friendly_name()) {
    p = WriteJsonString(*name, utf8, p);
  } else {
    p = Lit("null", p);
  }
  if (!list_item) {
    p = Lit(",\"joined_channels_count\":", p);
    p = PutInt(user.joined_channels_count(), p);
  }
  p = Lit(",\"date_created\":\"", p);
  p = WriteTwilioDate(user.date_created(), p);
  p = Lit("\",\"date_updated\":\"", p);
  p = WriteTwilioDate(user.date_updated(), p);
  *p++ = '"';
  if (list_item) {
    p = Lit(",\"joined_channels_count\":", p);
    p = PutInt(user.joined_channels_count(), p);
  }
  // The user's URL is written once, then copied for the links.
  p = Lit(",\"links\":{\"user_channels\":\"", p);
  const char* const url = p;
  p = WriteJsonChars(base_url, Utf8::kUnchecked, p);
  p = Lit("/Services/", p);
  p = WriteJsonChars(user.service_sid(), Utf8::kUnchecked, p);
  p = Lit("/Users/", p);
  p = WriteJsonChars(user.sid(), Utf8::kUnchecked, p);
  const auto url_size = static_cast<size_t>(p - url);
  p = Lit("/Channels\",\"user_bindings\":\"", p);
  std::memcpy(p, url, url_size);
  p += url_size;
  p = Lit("/Bindings\"},\"url\":\"", p);
  std::memcpy(p, url, url_size);
  p += url_size;
  p = Lit("\"}", p);
  out->Commit(p);
}

void AppendListMeta(std::string_view base_url, std::string_view service_sid,
                    std::string_view list_name, int64_t page, int64_t page_size,
                    std::string_view token, std::string_view previous_token,
                    std::string_view next_token, std::string_view key, JsonBuf* out) {
  std::string list_url;
  list_url.reserve(base_url.size() + service_sid.size() + list_name.size() + 11);
  list_url.append(base_url).append("/Services/").append(service_sid).append("/").append(list_name);
  AppendListMetaAt(list_url, page, page_size, token, previous_token, next_token, key, out);
}

void AppendListMetaAt(std::string_view list_url, int64_t page, int64_t page_size,
                      std::string_view token, std::string_view previous_token,
                      std::string_view next_token, std::string_view key, JsonBuf* out,
                      std::string_view filters) {
  const size_t url = 6 * (list_url.size() + filters.size()) + 96;
  char* p = out->Reserve(256 + 4 * url +
                         3 * (token.size() + previous_token.size() + 2 * next_token.size()) +
                         JsonStringBound(key.size()));
  p = Lit("\"meta\":{\"page\":", p);
  p = PutInt(page, p);
  p = Lit(",\"page_size\":", p);
  p = PutInt(page_size, p);
  p = Lit(",\"first_page_url\":", p);
  p = WritePageUrl(list_url, filters, page_size, 0, "", p);
  p = Lit(",\"previous_page_url\":", p);
  if (previous_token.empty()) {
    p = Lit("null", p);
  } else {
    p = WritePageUrl(list_url, filters, page_size, page > 0 ? page - 1 : 0, previous_token, p);
  }
  p = Lit(",\"url\":", p);
  p = WritePageUrl(list_url, filters, page_size, page, token, p);
  p = Lit(",\"next_page_url\":", p);
  // No index follows kMaxPageIndex (the Store never issues a next token
  // there; a hand-built Page must not overflow page + 1 either).
  if (next_token.empty() || page >= kMaxPageIndex) {
    p = Lit("null", p);
  } else {
    p = WritePageUrl(list_url, filters, page_size, page + 1, next_token, p);
  }
  p = Lit(",\"key\":", p);
  p = WriteJsonString(key, Utf8::kUnchecked, p);
  *p++ = '}';
  out->Commit(p);
}

void AppendUsersPage(const Page& links, std::string_view service_sid, std::string_view base_url,
                     std::string_view users, JsonBuf* out, std::string_view filters) {
  out->Append("{");
  if (filters.empty()) {
    AppendListMeta(base_url, service_sid, "Users", links.page, links.page_size, links.page_token,
                   links.previous_page_token, links.next_page_token, "users", out);
  } else {
    const std::string list_url =
        std::string(base_url).append("/Services/").append(service_sid).append("/Users");
    AppendListMetaAt(list_url, links.page, links.page_size, links.page_token,
                     links.previous_page_token, links.next_page_token, "users", out, filters);
  }
  out->Append(",\"users\":[");
  out->Append(users);
  out->Append("]}");
}

}  // namespace userstore::internal
