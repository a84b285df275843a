// The bad-input matrix (issue 4): every client-controlled field of the REST
// facade walked through hostile values, one table row each.
//
// Fields: the form body parameters Identity, FriendlyName, Attributes and
// RoleSid (create and update), the path's {key} and Service SID, the query's
// PageSize, Page and PageToken, the headers (X-Twilio-Webhook-Enabled, count),
// the method, and the request bounds of src/rest/params.h (target, body,
// parameter count); and the same through the Conversations v1 routes
// (/v1/Services/{IS}/Users, /v1/Users on the default Service,
// /v1/Configuration's parameters), tokens of one API used on the other; on
// the push Binding routes (issue 17), the path's Binding SID and user, the
// filters BindingType and Identity, their paging, and the registration
// extension's form (BindingType, Address, CredentialSid, MessageTypes; rows
// marked `extensions` go through a facade with
// FacadeOptions::enable_extensions); issue 18's list filters, count and batch
// upsert (X-Userstore-*, with and without extensions). Values: empty,
// whitespace only, exactly
// at and one unit over each limit, NUL bytes, invalid and overlong UTF-8,
// lone surrogate escapes, percent-escapes truncated or decoding to / ? # ..,
// repeated parameters, parameters without '=', SIDs of the wrong prefix,
// length or case, tokens from another Service, truncated or with one
// character changed.
//
// Each row gives the exact HTTP status and Twilio code. A rejected row must
// leave the store exactly as it was (every user of both Services, fetched
// and rendered, compared before and after); an accepted create must add
// exactly the one user its body shows (with the identity bytes the row
// expects), an accepted update must change only its user, and a GET nothing.
// The snapshot holds every Binding of both Services too: an accepted
// registration adds exactly the Binding its body shows (or, 200, changes only
// it).
//
// Also here: deeply nested attributes validated on a 256 KiB thread stack, and
// the heap one request may use (this binary counts every operator new).
#include <malloc.h>
#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "json/json_dom.h"
#include "rest/params.h"
#include "simdjson.h"
#include "tests/support/test_store.h"
#include "tools/json_output.h"
#include "userstore/attributes.h"
#include "userstore/binding.h"
#include "userstore/json.h"
#include "userstore/rest.h"
#include "userstore/store.h"

// ---- heap accounting: every operator new / delete of this binary -----------
// Sanitizer runtimes define operator new/delete themselves; under them the
// accounting is left out and the memory-bound test skips.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define USERSTORE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define USERSTORE_SANITIZED 1
#endif
#endif
#ifndef USERSTORE_SANITIZED
namespace heap {

std::atomic<int64_t> current{0};
std::atomic<int64_t> peak{0};

void Add(void* p) {
  const int64_t now = current += static_cast<int64_t>(malloc_usable_size(p));
  int64_t seen = peak.load();
  while (now > seen && !peak.compare_exchange_weak(seen, now)) {
  }
}
void Remove(void* p) {
  if (p != nullptr) current -= static_cast<int64_t>(malloc_usable_size(p));
}
void* Allocate(size_t n, size_t align) {
  void* p = align <= alignof(std::max_align_t)
                ? std::malloc(n == 0 ? 1 : n)
                : std::aligned_alloc(align, (n + align - 1) / align * align);
  if (p != nullptr) Add(p);
  return p;
}
// This file's operator new allocates with malloc, so free is the match; at
// -O3 gcc 12 inlines Free into operator delete and warns anyway.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void Free(void* p) {
  Remove(p);
  std::free(p);
}
#pragma GCC diagnostic pop

}  // namespace heap

void* operator new(size_t n) {
  if (void* p = heap::Allocate(n, 0)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return heap::Allocate(n, 0); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return heap::Allocate(n, 0); }
void* operator new(size_t n, std::align_val_t a) {
  if (void* p = heap::Allocate(n, static_cast<size_t>(a))) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { heap::Free(p); }
void operator delete[](void* p) noexcept { heap::Free(p); }
void operator delete(void* p, size_t) noexcept { heap::Free(p); }
void operator delete[](void* p, size_t) noexcept { heap::Free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { heap::Free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { heap::Free(p); }
void operator delete(void* p, std::align_val_t) noexcept { heap::Free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { heap::Free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { heap::Free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { heap::Free(p); }
#endif  // USERSTORE_SANITIZED

namespace userstore {
namespace {

using cli::PrettyJson;
using internal::IsValidJson;

using testing::kRoleSid;
using testing::kServiceSid;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kOtherService[] = "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr char kS[] = "/v2/Services/{IS}";
constexpr char kU[] = "/v2/Services/{IS}/Users";
constexpr char kV1[] = "/v1/Services/{IS}/Users";          // Conversations v1
constexpr char kV1Account[] = "/v1/Users";                 // its default Service: {IS}
constexpr int kBadParam = twilio_code::kInvalidParameter;  // 20001
constexpr int kNotFound = twilio_code::kNotFound;          // 20404

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out.append(s);
  return out;
}

// One row of the matrix. Placeholders, expanded by the fixture in the target,
// header values and body: {IS} the Service, {IS2} another Service, {ALICE}
// alice's SID, {BOB2} the SID of a user of {IS2}, {TOKEN} a valid next-page
// token of {IS} (PageSize=1), {TOKEN2} one of {IS2}, {TOKENV1} one of {IS}'s
// Conversations list, {CHANNEL_ROLE} {IS}'s channel-scope role; {BS}
// alice's first Binding (apn, address "tok-a"), {BS_UPPER} the same with
// uppercase hex, {BS2} a Binding of {IS2}, {BTOKEN} a valid next-page token
// of {IS}'s Bindings list (PageSize=1).
struct Row {
  std::string name;
  std::string method;
  std::string target;
  std::string body;
  int status = 0;
  int code = 0;  // 0 for a success
  Headers headers;
  // For a 201: the identity the created user must have, byte for byte.
  std::optional<std::string> identity;
  // Served through the facade with FacadeOptions::enable_extensions.
  bool extensions = false;
};

// gtest prints a failing row by its name, not its bytes.
void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

Row Get(std::string name, std::string target, int status, int code) {
  return Row{std::move(name), "GET", std::move(target), "", status, code, {}, std::nullopt};
}

Row Post(std::string name, std::string target, std::string body, int status, int code) {
  return Row{std::move(name), "POST", std::move(target), std::move(body), status, code, {},
             std::nullopt};
}

// A create that must succeed with `identity` (through `target`: Chat's by
// default).
Row Created(std::string name, std::string body, std::string identity, std::string target = kU) {
  Row r = Post(std::move(name), std::move(target), std::move(body), 201, 0);
  r.identity = std::move(identity);
  return r;
}

Row Delete(std::string name, std::string target, int status, int code, Headers headers) {
  return Row{std::move(name), "DELETE", std::move(target),  "",
             status,          code,     std::move(headers), std::nullopt};
}

Row WithHeaders(Row r, Headers headers) {
  r.headers = std::move(headers);
  return r;
}

// A body of exactly `size` bytes: `prefix` then "&Pad=xxx...".
std::string BodyOfSize(std::string_view prefix, size_t size) {
  std::string body = absl::StrCat(absl::string_view(prefix.data(), prefix.size()), "&Pad=");
  body.append(size - body.size(), 'x');
  return body;
}

// A target of exactly `size` bytes: `path` then "?PageSize=1&Pad=xxx...".
std::string TargetOfSize(std::string_view path, size_t size) {
  std::string target =
      absl::StrCat(absl::string_view(path.data(), path.size()), "?PageSize=1&Pad=");
  target.append(size - target.size(), 'x');
  return target;
}

std::string Params(size_t n, std::string_view first) {
  std::string body(first);
  for (size_t i = 1; i < n; ++i) absl::StrAppend(&body, "&P", i, "=1");
  return body;
}

std::vector<Row> IdentityRows() {
  const std::string x256(256, 'x'), x257(257, 'x');
  const std::string e256 = Repeat("%C3%A9", 256), e257 = Repeat("%C3%A9", 257);
  const std::string hex32(32, 'a');
  return {
      Post("Identity_Missing", kU, "FriendlyName=x", 400, kBadParam),
      Post("Identity_NameWrongCase", kU, "identity=x", 400, kBadParam),
      Post("Identity_Empty", kU, "Identity=", 400, twilio_code::kIdentityEmpty),
      Post("Identity_NoEquals", kU, "Identity", 400, twilio_code::kIdentityEmpty),
      Post("Identity_NoEqualsBeforeValue", kU, "Identity&Identity=late", 400,
           twilio_code::kIdentityEmpty),
      Created("Identity_WhitespaceOnly", "Identity=%20%20", "  "),
      Created("Identity_PlusIsSpace", "Identity=+", " "),
      Created("Identity_Tab", "Identity=%09", "\t"),
      Created("Identity_AtLimitAscii", "Identity=" + x256, x256),
      Post("Identity_OverLimitAscii", kU, "Identity=" + x257, 400, twilio_code::kIdentityTooLong),
      Created("Identity_AtLimitTwoByteChars", "Identity=" + e256, Repeat("\xc3\xa9", 256)),
      Post("Identity_OverLimitTwoByteChars", kU, "Identity=" + e257, 400,
           twilio_code::kIdentityTooLong),
      Created("Identity_AtLimitFourByteChars", "Identity=" + Repeat("%F0%9F%98%80", 256),
              Repeat("\xf0\x9f\x98\x80", 256)),
      Post("Identity_OverLimitFourByteChars", kU, "Identity=" + Repeat("%F0%9F%98%80", 257), 400,
           twilio_code::kIdentityTooLong),
      Post("Identity_NulEscaped", kU, "Identity=a%00b", 400, kBadParam),
      Post("Identity_NulRaw", kU, std::string("Identity=a\0b", 12), 400, kBadParam),
      Post("Identity_NulOnly", kU, "Identity=%00", 400, kBadParam),
      Post("Identity_InvalidUtf8Escaped", kU, "Identity=a%FFb", 400, kBadParam),
      Post("Identity_InvalidUtf8Raw", kU,
           "Identity=a\xff"
           "b",
           400, kBadParam),
      Post("Identity_LoneContinuationByte", kU, "Identity=%80", 400, kBadParam),
      Post("Identity_TruncatedUtf8", kU, "Identity=%C3", 400, kBadParam),
      Post("Identity_Overlong2Byte", kU, "Identity=%C0%AF", 400, kBadParam),
      Post("Identity_Overlong3Byte", kU, "Identity=%E0%80%AF", 400, kBadParam),
      Post("Identity_OverlongNul", kU, "Identity=%C0%80", 400, kBadParam),
      Post("Identity_Utf8Surrogate", kU, "Identity=%ED%A0%80", 400, kBadParam),
      Post("Identity_AboveMaxCodePoint", kU, "Identity=%F4%90%80%80", 400, kBadParam),
      Created("Identity_SurrogateEscapeIsLiteral", "Identity=%5Cud800", "\\ud800"),
      Post("Identity_EscapeTruncatedAlone", kU, "Identity=%", 400, kBadParam),
      Post("Identity_EscapeTruncatedOneDigit", kU, "Identity=ab%4", 400, kBadParam),
      Post("Identity_EscapeNotHex", kU, "Identity=%zz", 400, kBadParam),
      Post("Identity_EscapeBadInOtherParam", kU, "Identity=ok&FriendlyName=%G0", 400, kBadParam),
      Created("Identity_DecodesToSlash", "Identity=team%2Fcarol", "team/carol"),
      Created("Identity_DecodesToQuestionMark", "Identity=c%3Fd", "c?d"),
      Created("Identity_DecodesToHash", "Identity=a%23b", "a#b"),
      Created("Identity_DecodesToDotDot", "Identity=%2E%2E", ".."),
      Created("Identity_DoubleEncodedOnceDecoded", "Identity=a%252Fb", "a%2Fb"),
      Created("Identity_RepeatedFirstWins", "Identity=first&Identity=second", "first"),
      Created("Identity_EmptyPiecesIgnored", "&&Identity=amp&&", "amp"),
      Created("Identity_EqualsInValue", "Identity=a=b", "a=b"),
      Post("Identity_SidShaped", kU, "Identity=US" + hex32, 400, twilio_code::kIdentityIsSid),
      Post("Identity_SidShapedUpperHex", kU, "Identity=US" + std::string(32, 'A'), 400,
           twilio_code::kIdentityIsSid),
      Created("Identity_SidLowercasePrefix", "Identity=us" + hex32, "us" + hex32),
      Created("Identity_SidTooShort", "Identity=US" + std::string(31, 'a'),
              "US" + std::string(31, 'a')),
      Created("Identity_SidTooLong", "Identity=US" + std::string(33, 'a'),
              "US" + std::string(33, 'a')),
      Created("Identity_SidNotHex", "Identity=US" + std::string(32, 'g'),
              "US" + std::string(32, 'g')),
      Post("Identity_Duplicate", kU, "Identity=alice", 409, twilio_code::kUserAlreadyExists),
      Created("Identity_OtherCaseIsDistinct", "Identity=ALICE", "ALICE"),
      Post("Identity_JsonBodyIgnored", kU, R"({"Identity":"json"})", 400, kBadParam),
  };
}

std::vector<Row> FriendlyNameRows() {
  const std::string n256(256, 'n'), n257(257, 'n');
  auto create = [](std::string fn) { return "Identity=fn&FriendlyName=" + fn; };
  return {
      Created("FriendlyName_EmptyOnCreate", create(""), "fn"),
      Created("FriendlyName_NoEquals", "Identity=fn&FriendlyName", "fn"),
      Created("FriendlyName_WhitespaceOnly", create("%20"), "fn"),
      Created("FriendlyName_AtLimit", create(n256), "fn"),
      Post("FriendlyName_OverLimit", kU, create(n257), 400, twilio_code::kFriendlyNameTooLong),
      Created("FriendlyName_AtLimitTwoByteChars", create(Repeat("%C3%A9", 256)), "fn"),
      Post("FriendlyName_OverLimitTwoByteChars", kU, create(Repeat("%C3%A9", 257)), 400,
           twilio_code::kFriendlyNameTooLong),
      Post("FriendlyName_Nul", kU, create("a%00"), 400, kBadParam),
      Post("FriendlyName_InvalidUtf8", kU, create("%FE"), 400, kBadParam),
      Post("FriendlyName_Overlong", kU, create("%C1%BF"), 400, kBadParam),
      Post("FriendlyName_Utf8Surrogate", kU, create("%ED%BF%BF"), 400, kBadParam),
      Post("FriendlyName_EscapeTruncated", kU, create("ab%"), 400, kBadParam),
      Created("FriendlyName_RepeatedFirstWins", "Identity=fn&FriendlyName=ok&FriendlyName=" + n257,
              "fn"),
      Post("FriendlyName_RepeatedFirstInvalid", kU,
           "Identity=fn&FriendlyName=" + n257 + "&FriendlyName=ok", 400,
           twilio_code::kFriendlyNameTooLong),
      Post("FriendlyName_UpdateEmptyClears", "/v2/Services/{IS}/Users/bob", "FriendlyName=", 200,
           0),
      Post("FriendlyName_UpdateAtLimit", "/v2/Services/{IS}/Users/bob", "FriendlyName=" + n256, 200,
           0),
      Post("FriendlyName_UpdateOverLimit", "/v2/Services/{IS}/Users/bob", "FriendlyName=" + n257,
           400, twilio_code::kFriendlyNameTooLong),
      Post("FriendlyName_UpdateNul", "/v2/Services/{IS}/Users/bob", "FriendlyName=%00", 400,
           kBadParam),
      Post("FriendlyName_UpdateInvalidUtf8", "/v2/Services/{IS}/Users/bob", "FriendlyName=\xc3",
           400, kBadParam),
  };
}

std::vector<Row> AttributesRows() {
  const std::string at_limit = "{\"k\":\"" + std::string(16384 - 8, 'v') + "\"}";
  const std::string over_limit = "{\"k\":\"" + std::string(16385 - 8, 'v') + "\"}";
  const std::string depth128 = Repeat("{\"a\":", 127) + "{}" + std::string(127, '}');
  const std::string depth129 = Repeat("{\"a\":", 128) + "{}" + std::string(128, '}');
  auto create = [](std::string a) { return "Identity=at&Attributes=" + a; };
  const int kInvalid = twilio_code::kAttributesInvalid;
  const int kTooLong = twilio_code::kAttributesTooLong;
  return {
      Post("Attributes_Empty", kU, create(""), 400, kInvalid),
      Post("Attributes_NoEquals", kU, "Identity=at&Attributes", 400, kInvalid),
      Post("Attributes_WhitespaceOnly", kU, create("%20%0A%09"), 400, kInvalid),
      Created("Attributes_WhitespaceAroundObject", create("%20%7B%7D%0A"), "at"),
      Created("Attributes_AtSizeLimit", create(at_limit), "at"),
      Post("Attributes_OverSizeLimit", kU, create(over_limit), 400, kTooLong),
      Post("Attributes_OverSizeLimitInvalidToo", kU, create(std::string(16385, '[')), 400,
           kTooLong),
      Created("Attributes_AtDepthLimit", create(depth128), "at"),
      Post("Attributes_OverDepthLimit", kU, create(depth129), 400, kInvalid),
      Post("Attributes_DeepOpenBrackets", kU, create(std::string(16000, '[')), 400, kInvalid),
      Post("Attributes_DeepBalancedArrays", kU,
           create(std::string(8000, '[') + std::string(8000, ']')), 400, kInvalid),
      Post("Attributes_DeepObjects", kU, create(Repeat("{\"a\":", 3000)), 400, kInvalid),
      Post("Attributes_NulRaw", kU, create(std::string("{\"a\":\"\0\"}", 9)), 400, kInvalid),
      Post("Attributes_NulEscapedInString", kU, create("{\"a\":\"%00\"}"), 400, kInvalid),
      Created("Attributes_NulJsonEscape", create("{\"a\":\"\\u0000\"}"), "at"),
      Post("Attributes_NulOutsideString", kU, create("{}%00"), 400, kInvalid),
      Post("Attributes_InvalidUtf8", kU, create("{\"a\":\"%FF\"}"), 400, kInvalid),
      Post("Attributes_Overlong", kU, create("{\"a\":\"%C0%AF\"}"), 400, kInvalid),
      Post("Attributes_Utf8Surrogate", kU, create("{\"a\":\"%ED%A0%80\"}"), 400, kInvalid),
      Post("Attributes_LoneHighSurrogateEscape", kU, create("{\"a\":\"\\ud800\"}"), 400, kInvalid),
      Post("Attributes_LoneLowSurrogateEscape", kU, create("{\"a\":\"\\udc00\"}"), 400, kInvalid),
      Post("Attributes_LoneSurrogateInKey", kU, create("{\"\\ud800\":1}"), 400, kInvalid),
      Post("Attributes_ReversedSurrogatePair", kU, create("{\"a\":\"\\udc00\\ud800\"}"), 400,
           kInvalid),
      Created("Attributes_SurrogatePairOk", create("{\"a\":\"\\ud83d\\ude00\"}"), "at"),
      Post("Attributes_TopLevelArray", kU, create("[]"), 400, kInvalid),
      Post("Attributes_TopLevelString", kU, create("%22%7B%7D%22"), 400, kInvalid),
      Post("Attributes_TopLevelNumber", kU, create("1"), 400, kInvalid),
      Post("Attributes_Truncated", kU, create("{\"a\":"), 400, kInvalid),
      Post("Attributes_TrailingGarbage", kU, create("{}x"), 400, kInvalid),
      Post("Attributes_Bom", kU, create("%EF%BB%BF%7B%7D"), 400, kInvalid),
      Post("Attributes_EscapeTruncated", kU, create("%7"), 400, kBadParam),
      Created("Attributes_PlusIsSpaceInside", create("{\"a\":\"x+y\"}"), "at"),
      Created("Attributes_RepeatedFirstWins", "Identity=at&Attributes={}&Attributes=[", "at"),
      Post("Attributes_RepeatedFirstInvalid", kU, "Identity=at&Attributes=[&Attributes={}", 400,
           kInvalid),
      Post("Attributes_UpdateInvalid", "/v2/Services/{IS}/Users/bob", "Attributes=[]", 400,
           kInvalid),
      Post("Attributes_UpdateOverLimit", "/v2/Services/{IS}/Users/bob", "Attributes=" + over_limit,
           400, kTooLong),
      Post("Attributes_UpdateAtLimit", "/v2/Services/{IS}/Users/bob", "Attributes=" + at_limit, 200,
           0),
  };
}

std::vector<Row> RoleSidRows() {
  const std::string hex(32, 'a');
  auto create = [](std::string r) { return "Identity=rl&RoleSid=" + r; };
  return {
      Post("RoleSid_Empty", kU, create(""), 400, kBadParam),
      Post("RoleSid_NoEquals", kU, "Identity=rl&RoleSid", 400, kBadParam),
      Post("RoleSid_WhitespaceOnly", kU, create("%20"), 400, kBadParam),
      Post("RoleSid_PaddedWithSpace", kU, create("%20" + std::string(kRoleSid)), 400, kBadParam),
      Post("RoleSid_WrongPrefix", kU, create("XX" + hex), 400, kBadParam),
      Post("RoleSid_UserSid", kU, create("US" + hex), 400, kBadParam),
      Post("RoleSid_LowercasePrefix", kU, create("rl" + hex), 400, kBadParam),
      Post("RoleSid_TooShort", kU, create("RL" + std::string(31, 'a')), 400, kBadParam),
      Post("RoleSid_TooLong", kU, create("RL" + std::string(33, 'a')), 400, kBadParam),
      Post("RoleSid_NotHex", kU, create("RL" + std::string(32, 'z')), 400, kBadParam),
      Post("RoleSid_Nul", kU, create("RL" + std::string(31, 'a') + "%00"), 400, kBadParam),
      Post("RoleSid_InvalidUtf8", kU, create("RL%FF"), 400, kBadParam),
      Created("RoleSid_UpperHexAccepted", create("RL" + std::string(32, 'A')), "rl"),
      Post("RoleSid_Unknown", kU, create("RL" + std::string(32, '0')), 400,
           twilio_code::kRoleNotFound),
      Post("RoleSid_ChannelRole", kU, create("{CHANNEL_ROLE}"), 400, twilio_code::kRoleWrongType),
      Post("RoleSid_RepeatedFirstWins", kU, create("RLbad&RoleSid=" + std::string(kRoleSid)), 400,
           kBadParam),
      Post("RoleSid_UpdateUnknown", "/v2/Services/{IS}/Users/bob",
           "RoleSid=RL" + std::string(32, '0'), 400, twilio_code::kRoleNotFound),
      Post("RoleSid_UpdateMalformed", "/v2/Services/{IS}/Users/bob", "RoleSid=RL", 400, kBadParam),
  };
}

std::vector<Row> PathKeyRows() {
  const std::string u = "/v2/Services/{IS}/Users/";
  const std::string hex(32, 'a');
  std::vector<Row> rows = {
      Get("Key_EmptyTrailingSlash", u, 404, kNotFound),
      Get("Key_Whitespace", u + "%20", 404, kNotFound),
      Get("Key_RawSpace", u + "a b", 400, kBadParam),
      Get("Key_Nul", u + "%00", 404, kNotFound),
      Get("Key_NulInside", u + "ali%00ce", 404, kNotFound),
      Get("Key_InvalidUtf8Escaped", u + "%FF", 404, kNotFound),
      Get("Key_InvalidUtf8Raw", u + "\xff", 400, kBadParam),
      Get("Key_Overlong", u + "%C0%AF", 404, kNotFound),
      Get("Key_EscapeTruncatedAlone", u + "%", 400, kBadParam),
      Get("Key_EscapeTruncatedOneDigit", u + "ali%6", 400, kBadParam),
      Get("Key_EscapeNotHex", u + "%zz", 400, kBadParam),
      Get("Key_DecodesToSlash", u + "team%2Falice", 200, 0),
      Get("Key_DecodesToSlashLowercaseHex", u + "team%2falice", 200, 0),
      Get("Key_RawSlashIsAnotherSegment", u + "team/alice", 404, kNotFound),
      Get("Key_DecodesToQuestionMark", u + "a%3Fb", 200, 0),
      Get("Key_RawQuestionMarkStartsQuery", u + "alice?x=1", 200, 0),
      Get("Key_DecodesToHash", u + "a%23b", 404, kNotFound),
      Get("Key_RawHashIsFragment", u + "alice#x", 400, kBadParam),
      Get("Key_DecodesToDotDot", u + "%2E%2E", 404, kNotFound),
      Get("Key_RawDotDotNotResolved", u + "..", 404, kNotFound),
      Get("Key_DotDotSegmentNotResolved", u + "../Users", 404, kNotFound),
      Get("Key_DoubleEncoded", u + "team%252Falice", 404, kNotFound),
      Get("Key_PlusIsLiteral", u + "a+b", 404, kNotFound),
      Get("Key_Percent20IsSpace", u + "a%20b", 200, 0),
      Get("Key_IdentityOtherCase", u + "ALICE", 404, kNotFound),
      Get("Key_SidLowercase", u + "{ALICE}", 200, 0),
      Get("Key_SidUppercaseHex", u + "{ALICE_UPPER}", 200, 0),
      Get("Key_SidLowercasePrefix", u + "{alice_lowerprefix}", 404, kNotFound),
      Get("Key_SidWrongPrefix", u + "XX" + hex, 404, kNotFound),
      Get("Key_SidTooShort", u + "US" + std::string(31, 'a'), 404, kNotFound),
      Get("Key_SidTooLong", u + "US" + std::string(33, 'a'), 404, kNotFound),
      Get("Key_SidUnknown", u + "US" + hex, 404, kNotFound),
      Get("Key_SidOfOtherService", u + "{BOB2}", 404, kNotFound),
      Get("Key_IdentityAtLimitUnknown", u + std::string(256, 'k'), 404, kNotFound),
      Get("Key_IdentityOverLimitUnknown", u + std::string(257, 'k'), 404, kNotFound),
      Row{"Key_DeleteUnknown", "DELETE", u + "nobody", "", 404, kNotFound, {}, std::nullopt},
      Row{"Key_DeleteSidOfOtherService",
          "DELETE",
          u + "{BOB2}",
          "",
          404,
          kNotFound,
          {},
          std::nullopt},
      Row{"Key_DeleteEncodedSlashRawSlash",
          "DELETE",
          u + "team/alice",
          "",
          404,
          kNotFound,
          {},
          std::nullopt},
      Post("Key_UpdateUnknown", u + "nobody", "FriendlyName=x", 404, kNotFound),
      Post("Key_UpdateNoParameters", u + "alice", "", 400, twilio_code::kUpdateWithoutParameters),
      Post("Key_UpdateOnlyUnknownParameters", u + "alice", "Identity=x&Foo=1", 400,
           twilio_code::kUpdateWithoutParameters),
  };
  return rows;
}

std::vector<Row> ServiceSidRows() {
  const std::string hex(32, 'a');
  return {
      Get("Service_Empty", "/v2/Services//Users", 404, kNotFound),
      Get("Service_Whitespace", "/v2/Services/%20/Users", 404, kNotFound),
      Get("Service_WrongPrefix", "/v2/Services/XX" + hex + "/Users", 404, kNotFound),
      Get("Service_LowercasePrefix", "/v2/Services/is" + hex + "/Users", 404, kNotFound),
      Get("Service_UppercaseHex", "/v2/Services/IS" + std::string(32, 'A') + "/Users", 200, 0),
      Get("Service_TooShort", "/v2/Services/IS" + std::string(31, 'a') + "/Users", 404, kNotFound),
      Get("Service_TooLong", "/v2/Services/IS" + std::string(33, 'a') + "/Users", 404, kNotFound),
      Get("Service_UnknownWellFormed", "/v2/Services/IS" + std::string(32, 'c') + "/Users", 404,
          kNotFound),
      Get("Service_Nul", "/v2/Services/%00/Users", 404, kNotFound),
      Get("Service_InvalidUtf8", "/v2/Services/%FF/Users", 404, kNotFound),
      Get("Service_EscapeTruncated", "/v2/Services/IS%/Users", 400, kBadParam),
      Get("Service_DecodesToSlash", "/v2/Services/IS%2Faaa/Users", 404, kNotFound),
      Get("Service_DotDot", "/v2/Services/../Services/{IS}/Users", 404, kNotFound),
      // docs/rest.md: '.' segments are ordinary segments, so the path is unknown.
      Get("Service_LeadingDotSegment", "/./v2/Services/{IS}/Users", 404, kNotFound),
      Get("Service_InnerDotSegment", "/v2/./Services/{IS}/Users", 404, kNotFound),
      Post("Service_UnknownBeforeBody", "/v2/Services/IS" + std::string(32, 'c') + "/Users",
           "Identity=", 404, kNotFound),
      Get("Service_Roles_WrongPrefix", "/v2/Services/RL" + hex + "/Roles", 404, kNotFound),
      Get("Service_LiteralWrongCase", "/v2/services/{IS}/Users", 404, kNotFound),
      Get("Service_UsersWrongCase", "/v2/Services/{IS}/users", 404, kNotFound),
  };
}

std::vector<Row> QueryRows() {
  const std::string q = std::string(kU) + "?";
  return {
      Get("PageSize_Empty", q + "PageSize=", 400, kBadParam),
      Get("PageSize_NoEquals", q + "PageSize", 400, kBadParam),
      Get("PageSize_Whitespace", q + "PageSize=%20", 400, kBadParam),
      Get("PageSize_LeadingSpace", q + "PageSize=%205", 400, kBadParam),
      Get("PageSize_PlusSign", q + "PageSize=%2B5", 400, kBadParam),
      Get("PageSize_PlusIsSpace", q + "PageSize=+5", 400, kBadParam),
      Get("PageSize_Zero", q + "PageSize=0", 400, kBadParam),
      Get("PageSize_Negative", q + "PageSize=-1", 400, kBadParam),
      Get("PageSize_One", q + "PageSize=1", 200, 0),
      Get("PageSize_AtMax", q + "PageSize=100", 200, 0),
      Get("PageSize_OverMaxClamped", q + "PageSize=101", 200, 0),
      Get("PageSize_Int64Max", q + "PageSize=9223372036854775807", 200, 0),
      Get("PageSize_OverInt64Clamped", q + "PageSize=9223372036854775808", 200, 0),
      Get("PageSize_ThirtyDigitsClamped", q + "PageSize=123456789012345678901234567890", 200, 0),
      Get("PageSize_NegativeBeyondInt64", q + "PageSize=-99999999999999999999", 400, kBadParam),
      Get("PageSize_Exponent", q + "PageSize=1e2", 400, kBadParam),
      Get("PageSize_Hex", q + "PageSize=0x10", 400, kBadParam),
      Get("PageSize_Nul", q + "PageSize=5%00", 400, kBadParam),
      Get("PageSize_FullwidthDigit", q + "PageSize=%EF%BC%91", 400, kBadParam),
      Get("PageSize_RepeatedFirstWins", q + "PageSize=2&PageSize=x", 200, 0),
      Get("PageSize_RepeatedFirstInvalid", q + "PageSize=x&PageSize=2", 400, kBadParam),
      Get("PageSize_EscapeTruncated", q + "PageSize=%3", 400, kBadParam),
      Get("PageSize_NameWrongCase", q + "pagesize=x", 200, 0),
      Get("Page_Empty", q + "Page=", 400, kBadParam),
      Get("Page_NoEquals", q + "Page", 400, kBadParam),
      Get("Page_Negative", q + "Page=-1", 400, kBadParam),
      Get("Page_Zero", q + "Page=0", 200, 0),
      Get("Page_PositiveWithoutToken", q + "Page=1", 400, kBadParam),
      Get("Page_PositiveWithEmptyToken", q + "Page=1&PageToken=", 400, kBadParam),
      Get("Page_OverInt64", q + "Page=9223372036854775808&PageToken={TOKEN}", 400, kBadParam),
      Get("Page_Int64Max", q + "Page=9223372036854775807&PageToken={TOKEN}", 400, kBadParam),
      Get("Page_LargestIndex", q + "PageSize=1&Page=9223372036854775806&PageToken={TOKEN}", 200, 0),
      Get("Page_WithToken", q + "PageSize=1&Page=1&PageToken={TOKEN}", 200, 0),
      Get("PageToken_Empty", q + "PageToken=", 200, 0),
      Get("PageToken_NoEquals", q + "PageToken", 200, 0),
      Get("PageToken_Whitespace", q + "Page=1&PageToken=%20", 400, kBadParam),
      Get("PageToken_Garbage", q + "Page=1&PageToken=abc", 400, kBadParam),
      Get("PageToken_Truncated", q + "Page=1&PageToken={TOKEN_TRUNCATED}", 400, kBadParam),
      Get("PageToken_OneCharChanged", q + "Page=1&PageToken={TOKEN_CHANGED}", 400, kBadParam),
      Get("PageToken_LastCharChanged", q + "Page=1&PageToken={TOKEN_LAST_CHANGED}", 400, kBadParam),
      Get("PageToken_Extended", q + "Page=1&PageToken={TOKEN}A", 400, kBadParam),
      Get("PageToken_Padded", q + "Page=1&PageToken={TOKEN}%3D%3D", 400, kBadParam),
      Get("PageToken_Nul", q + "Page=1&PageToken={TOKEN}%00", 400, kBadParam),
      Get("PageToken_OtherService", q + "Page=1&PageToken={TOKEN2}", 400, kBadParam),
      Get("PageToken_PercentEncodedIsDecoded", q + "PageSize=1&Page=1&PageToken={TOKEN_PCT}", 200,
          0),
      Get("PageToken_RepeatedFirstWins", q + "PageSize=1&Page=1&PageToken={TOKEN}&PageToken=x", 200,
          0),
      Get("Query_EscapeTruncated", q + "x=%", 400, kBadParam),
      Get("Query_RawSpace", q + "PageSize=1 2", 400, kBadParam),
      Get("Query_EmptyPiecesIgnored", q + "&&PageSize=1&&", 200, 0),
      Get("Query_AtParamLimit", q + Params(64, "PageSize=1"), 200, 0),
      Get("Query_OverParamLimit", q + Params(65, "PageSize=1"), 400, kBadParam),
  };
}

std::vector<Row> HeaderRows() {
  const std::string body = "Identity=hd";
  auto hook = [&](std::string name, Headers headers, int status, int code) {
    Row r = Post(std::move(name), kU, body, status, code);
    if (status == 201) r.identity = "hd";
    return WithHeaders(std::move(r), std::move(headers));
  };
  const std::string h = "X-Twilio-Webhook-Enabled";
  Headers hundred(100, {"X-Pad", "1"});
  Headers hundred_one(101, {"X-Pad", "1"});
  return {
      hook("Webhook_Empty", {{h, ""}}, 400, kBadParam),
      hook("Webhook_Whitespace", {{h, " "}}, 400, kBadParam),
      // Leading / trailing SP and HTAB are not part of the value (RFC 9110 §5.5).
      hook("Webhook_TrailingSpace", {{h, "true "}}, 201, 0),
      hook("Webhook_LeadingSpace", {{h, " true"}}, 201, 0),
      hook("Webhook_LeadingTab", {{h, "\ttrue"}}, 201, 0),
      hook("Webhook_SurroundingOws", {{h, " \t false\t "}}, 201, 0),
      hook("Webhook_LeadingNewline", {{h, "\ntrue"}}, 400, kBadParam),
      hook("Webhook_TrailingCr", {{h, "true\r"}}, 400, kBadParam),
      hook("Webhook_InnerSpace", {{h, "tr ue"}}, 400, kBadParam),
      hook("Webhook_Nul", {{h, std::string("true\0", 5)}}, 400, kBadParam),
      hook("Webhook_Yes", {{h, "yes"}}, 400, kBadParam),
      hook("Webhook_One", {{h, "1"}}, 400, kBadParam),
      hook("Webhook_InvalidUtf8", {{h, "tru\xc3"}}, 400, kBadParam),
      hook("Webhook_True", {{h, "true"}}, 201, 0),
      hook("Webhook_UpperCase", {{h, "TRUE"}}, 201, 0),
      hook("Webhook_False", {{h, "false"}}, 201, 0),
      hook("Webhook_NameLowercase", {{"x-twilio-webhook-enabled", "maybe"}}, 400, kBadParam),
      hook("Webhook_RepeatedFirstCounts", {{h, "maybe"}, {h, "true"}}, 400, kBadParam),
      hook("Webhook_RepeatedFirstValid", {{h, "true"}, {h, "maybe"}}, 201, 0),
      hook("Headers_AtLimit", hundred, 201, 0),
      hook("Headers_OverLimit", hundred_one, 400, kBadParam),
      hook("Headers_NulAndInvalidUtf8Ignored",
           {{std::string("X-\0", 3), "\xff"}, {"", ""}, {"Content-Type", "text/plain"}}, 201, 0),
      WithHeaders(Get("Webhook_IgnoredOnGet", kU, 200, 0), {{h, "maybe"}}),
  };
}

std::vector<Row> BoundsAndMethodRows() {
  const std::string path = std::string("/v2/Services/") + kServiceSid + "/Users";
  const size_t max_target = internal::kMaxTargetBytes, max_body = internal::kMaxBodyBytes;
  return {
      Get("Target_AtLimit", TargetOfSize(path, max_target), 200, 0),
      Get("Target_OverLimit", TargetOfSize(path, max_target + 1), 400, kBadParam),
      Get("Target_Empty", "", 400, kBadParam),
      Get("Target_NoLeadingSlash", "v2/Services/{IS}/Users", 400, kBadParam),
      Get("Target_AbsoluteForm", "https://chat.twilio.com/v2/Services/{IS}/Users", 400, kBadParam),
      Get("Target_Asterisk", "*", 400, kBadParam),
      Get("Target_Nul", std::string("/v2/Services/\0", 14), 400, kBadParam),
      Created("Body_AtLimit", BodyOfSize("Identity=bd", max_body), "bd"),
      Post("Body_OverLimit", kU, BodyOfSize("Identity=bd", max_body + 1), 400, kBadParam),
      Created("Body_AtParamLimit", Params(64, "Identity=bp"), "bp"),
      Post("Body_OverParamLimit", kU, Params(65, "Identity=bp"), 400, kBadParam),
      Post("Body_OnlySeparators", kU, "&&&&=&=", 400, kBadParam),
      Post("Body_NameEscapeTruncated", kU, "Identity=x&%=1", 400, kBadParam),
      Row{"Method_Lowercase", "get", kU, "", 405, kBadParam, {}, std::nullopt},
      Row{"Method_Empty", "", kU, "", 405, kBadParam, {}, std::nullopt},
      Row{"Method_HeadLowercase", "head", kU, "", 405, kBadParam, {}, std::nullopt},
      Row{"Method_Put",
          "PUT",
          std::string(kU) + "/alice",
          "FriendlyName=x",
          405,
          kBadParam,
          {},
          std::nullopt},
      Row{"Method_WithNul", std::string("GET\0", 4), kU, "", 405, kBadParam, {}, std::nullopt},
      Row{"Method_DeleteCollection", "DELETE", kU, "", 405, kBadParam, {}, std::nullopt},
      Row{"Method_PostService", "POST", kS, "FriendlyName=x", 405, kBadParam, {}, std::nullopt},
  };
}

// Conversations v1: the same checks through its routes (docs/rest.md), its
// PageSize maximum, tokens bound to the API, the webhook header on a delete,
// the default Service's routes and the Configuration's parameters.
std::vector<Row> ConversationsRows() {
  const std::string v1 = kV1, account = kV1Account;
  const std::string unknown = "/v1/Services/IS" + std::string(32, 'c') + "/Users";
  const std::string configuration = "/v1/Configuration";
  const Headers bad_webhook = {{"X-Twilio-Webhook-Enabled", "yes"}};
  return {
      Post("V1_Identity_Missing", v1, "FriendlyName=x", 400, kBadParam),
      Post("V1_Identity_Empty", v1, "Identity=", 400, twilio_code::kIdentityEmpty),
      Post("V1_Identity_SidShaped", v1, "Identity=US" + std::string(32, 'a'), 400,
           twilio_code::kIdentityIsSid),
      Post("V1_Identity_Duplicate", v1, "Identity=alice", 409, twilio_code::kUserAlreadyExists),
      Post("V1_Identity_Nul", v1, "Identity=a%00b", 400, kBadParam),
      Created("V1_Identity_DecodesToSlash", "Identity=team%2Fv1", "team/v1", v1),
      Created("V1_Identity_PlusIsSpace", "Identity=v+1", "v 1", v1),
      Post("V1_Attributes_OverSizeLimit", v1,
           "Identity=at&Attributes={\"k\":\"" + std::string(16385 - 8, 'v') + "\"}", 400,
           twilio_code::kAttributesTooLong),
      Post("V1_Attributes_NotAnObject", v1, "Identity=at&Attributes=%5B%5D", 400,
           twilio_code::kAttributesInvalid),
      Post("V1_RoleSid_ChannelRole", v1, "Identity=r&RoleSid={CHANNEL_ROLE}", 400,
           twilio_code::kRoleWrongType),
      Post("V1_RoleSid_Unknown", v1, "Identity=r&RoleSid=RL" + std::string(32, '9'), 400,
           twilio_code::kRoleNotFound),
      Post("V1_Update_NoParameters", v1 + "/alice", "", 400, twilio_code::kUpdateWithoutParameters),
      Post("V1_Update_FriendlyNameOverLimit", v1 + "/bob", "FriendlyName=" + std::string(257, 'n'),
           400, twilio_code::kFriendlyNameTooLong),
      Post("V1_Update_Ok", v1 + "/bob", "FriendlyName=B", 200, 0),
      Get("V1_Key_Unknown", v1 + "/nobody", 404, kNotFound),
      Get("V1_Key_EncodedSlash", v1 + "/team%2Falice", 200, 0),
      Get("V1_Key_RawSlash", v1 + "/team/alice", 404, kNotFound),
      Get("V1_Key_OtherServicesUser", v1 + "/{BOB2}", 404, kNotFound),
      Get("V1_Service_Unknown", unknown, 404, kNotFound),
      Post("V1_Service_UnknownBeforeBody", unknown, "FriendlyName=x", 404, kNotFound),
      Get("V1_Service_Malformed", "/v1/Services/nope/Users", 404, kNotFound),
      Get("V1_PageSize_Zero", v1 + "?PageSize=0", 400, kBadParam),
      Get("V1_PageSize_AtMax", v1 + "?PageSize=50", 200, 0),
      Get("V1_PageSize_OverMaxClamped", v1 + "?PageSize=51", 200, 0),
      Get("V1_PageSize_OverInt64Clamped", v1 + "?PageSize=9223372036854775808", 200, 0),
      Get("V1_Page_PositiveWithoutToken", v1 + "?Page=1", 400, kBadParam),
      Get("V1_PageToken_Valid", v1 + "?PageSize=1&Page=1&PageToken={TOKENV1}", 200, 0),
      Get("V1_PageToken_Chats", v1 + "?PageSize=1&Page=1&PageToken={TOKEN}", 400, kBadParam),
      Get("V1_PageToken_OnChat", std::string(kU) + "?PageSize=1&Page=1&PageToken={TOKENV1}", 400,
          kBadParam),
      Get("V1_PageToken_OtherService", "/v1/Services/{IS2}/Users?Page=1&PageToken={TOKENV1}", 400,
          kBadParam),
      Get("V1_PageToken_Garbage", v1 + "?Page=1&PageToken=abc", 400, kBadParam),
      Delete("V1_Delete_WebhookHeaderInvalid", v1 + "/alice", 400, kBadParam, bad_webhook),
      Delete("V1_Delete_WebhookHeaderNul", v1 + "/alice", 400, kBadParam,
             {{"X-Twilio-Webhook-Enabled", std::string("true\0", 5)}}),
      Delete("V1_Delete_UnknownServiceFirst", unknown + "/alice", 404, kNotFound, bad_webhook),
      Delete("V1_Delete_Unknown", v1 + "/nobody", 404, kNotFound, {}),
      WithHeaders(Post("V1_Create_WebhookHeaderInvalid", v1, "Identity=w", 400, kBadParam),
                  bad_webhook),
      WithHeaders(
          Post("V1_Update_WebhookHeaderInvalid", v1 + "/bob", "FriendlyName=w", 400, kBadParam),
          bad_webhook),
      Created("V1Account_Create", "Identity=acct", "acct", account),
      Post("V1Account_Identity_Missing", account, "FriendlyName=x", 400, kBadParam),
      Get("V1Account_Fetch", account + "/alice", 200, 0),
      Get("V1Account_Unknown", account + "/nobody", 404, kNotFound),
      Get("V1Account_PageToken", account + "?PageSize=1&Page=1&PageToken={TOKENV1}", 200, 0),
      Get("V1Account_PageSizeClamped", account + "?PageSize=1000", 200, 0),
      Post("V1Account_Update_NoParameters", account + "/alice", "", 400,
           twilio_code::kUpdateWithoutParameters),
      Post("V1Configuration_ServiceMalformed", configuration, "DefaultChatServiceSid=nope", 400,
           kBadParam),
      Post("V1Configuration_ServiceEscapeTruncated", configuration, "DefaultChatServiceSid=IS%",
           400, kBadParam),
      Post("V1Configuration_ServiceUnknown", configuration,
           "DefaultChatServiceSid=IS" + std::string(32, 'c'), 404, kNotFound),
      Post("V1Configuration_MessagingServiceMalformed", configuration,
           "DefaultMessagingServiceSid={IS}", 400, kBadParam),
      Post("V1Configuration_TimerMalformed", configuration, "DefaultClosedTimer=10%20minutes", 400,
           kBadParam),
      Get("V1Configuration_Fetch", configuration, 200, 0),
      Row{"V1Configuration_Delete", "DELETE", configuration, "", 405, kBadParam, {}, std::nullopt},
      Row{"V1_Method_Put", "PUT", v1 + "/alice", "", 405, kBadParam, {}, std::nullopt},
      Row{"V1_Method_DeleteCollection", "DELETE", account, "", 405, kBadParam, {}, std::nullopt},
      Get("V1_UserConversations", v1 + "/alice/Conversations", 404, kNotFound),
      Get("V1_Roles", "/v1/Roles", 404, kNotFound),
      Get("V1_ServiceRoles", "/v1/Services/{IS}/Roles", 404, kNotFound),
      Get("V1_TrailingSlash", account + "/", 404, kNotFound),
  };
}

constexpr char kB[] = "/v2/Services/{IS}/Bindings";

Row Method(std::string name, std::string method, std::string target, int status, int code) {
  return Row{std::move(name), std::move(method), std::move(target), "", status, code, {},
             std::nullopt};
}

std::vector<Row> BindingPathRows() {
  const std::string b = std::string(kB) + "/";
  const std::string ub = "/v2/Services/{IS}/Users/";
  return {
      Get("Binding_List", kB, 200, 0),
      Get("Binding_Fetch", b + "{BS}", 200, 0),
      Get("Binding_FetchUppercaseHex", b + "{BS_UPPER}", 200, 0),
      Get("Binding_TrailingSlash", b, 404, kNotFound),
      Get("Binding_ListTrailingSlash", ub + "alice/Bindings/", 404, kNotFound),
      Get("Binding_ExtraSegment", b + "{BS}/x", 404, kNotFound),
      Get("Binding_LiteralWrongCase", "/v2/Services/{IS}/bindings", 404, kNotFound),
      Get("Binding_SidTooShort", b + "BS" + std::string(31, 'a'), 404, kNotFound),
      Get("Binding_SidTooLong", b + "BS" + std::string(33, 'a'), 404, kNotFound),
      Get("Binding_SidNotHex", b + "BS" + std::string(32, 'z'), 404, kNotFound),
      Get("Binding_SidLowercasePrefix", b + "bs" + std::string(32, 'a'), 404, kNotFound),
      Get("Binding_SidUnknown", b + "BS" + std::string(32, 'f'), 404, kNotFound),
      Get("Binding_UserSid", b + "{ALICE}", 404, kNotFound),
      Get("Binding_Nul", b + "%00", 404, kNotFound),
      Get("Binding_InvalidUtf8", b + "%FF", 404, kNotFound),
      Get("Binding_EscapeTruncated", b + "BS%", 400, kBadParam),
      Get("Binding_OfOtherService", b + "{BS2}", 404, kNotFound),
      Get("Binding_InOtherService", "/v2/Services/{IS2}/Bindings/{BS}", 404, kNotFound),
      Get("Binding_ServiceUnknown", "/v2/Services/IS" + std::string(32, 'c') + "/Bindings", 404,
          kNotFound),
      Get("Binding_ServiceMalformed", "/v2/Services/XX/Bindings", 404, kNotFound),
      Get("Binding_UserList", ub + "alice/Bindings", 200, 0),
      Get("Binding_UserListBySid", ub + "{ALICE}/Bindings", 200, 0),
      Get("Binding_UserListEncodedSlash", ub + "team%2Falice/Bindings", 200, 0),
      Get("Binding_UserListUnknown", ub + "nobody/Bindings", 404, kNotFound),
      Get("Binding_UserListNul", ub + "%00/Bindings", 404, kNotFound),
      Get("Binding_UserFetch", ub + "{ALICE}/Bindings/{BS}", 200, 0),
      Get("Binding_UserFetchOtherUser", ub + "bob/Bindings/{BS}", 404, kNotFound),
      Get("Binding_UserFetchUnknownUser", ub + "nobody/Bindings/{BS}", 404, kNotFound),
      Method("Binding_DeleteUnknown", "DELETE", b + "BS" + std::string(32, 'f'), 404, kNotFound),
      Method("Binding_DeleteOtherUsers", "DELETE", ub + "bob/Bindings/{BS}", 404, kNotFound),
      Method("Binding_DeleteOfOtherService", "DELETE", b + "{BS2}", 404, kNotFound),
      Method("Binding_DeleteMalformed", "DELETE", b + "BS", 404, kNotFound),
      Method("Binding_PostList", "POST", kB, 405, kBadParam),
      Method("Binding_DeleteList", "DELETE", kB, 405, kBadParam),
      Method("Binding_PostBinding", "POST", b + "{BS}", 405, kBadParam),
      Method("Binding_PutBinding", "PUT", b + "{BS}", 405, kBadParam),
      Method("Binding_DeleteUserList", "DELETE", ub + "alice/Bindings", 405, kBadParam),
      Method("Binding_HeadLowercase", "head", b + "{BS}", 405, kBadParam),
      Post("Binding_RegisterWithoutExtensions", ub + "alice/Bindings",
           "BindingType=apn&Address=tok-new", 405, kBadParam),
  };
}

std::vector<Row> BindingQueryRows() {
  const std::string q = std::string(kB) + "?";
  const std::string uq = "/v2/Services/{IS}/Users/alice/Bindings?";
  return {
      Get("BindingType_Empty", q + "BindingType=", 400, kBadParam),
      Get("BindingType_NoEquals", q + "BindingType", 400, kBadParam),
      Get("BindingType_UpperCase", q + "BindingType=APN", 400, kBadParam),
      Get("BindingType_Unknown", q + "BindingType=sms", 400, kBadParam),
      Get("BindingType_Padded", q + "BindingType=apn%20", 400, kBadParam),
      Get("BindingType_Nul", q + "BindingType=apn%00", 400, kBadParam),
      Get("BindingType_CommaList", q + "BindingType=apn,fcm", 400, kBadParam),
      Get("BindingType_SecondInvalid", q + "BindingType=apn&BindingType=x", 400, kBadParam),
      Get("BindingType_Repeated", q + "BindingType=apn&BindingType=apn&BindingType=fcm", 200, 0),
      Get("BindingType_NameWrongCase", q + "bindingtype=x", 200, 0),
      Get("BindingType_UserListInvalid", uq + "BindingType=x", 400, kBadParam),
      Get("BindingType_EscapeTruncated", q + "BindingType=%6", 400, kBadParam),
      Get("Identity_FilterEmpty", q + "Identity=", 200, 0),
      Get("Identity_FilterNul", q + "Identity=%00", 200, 0),
      Get("Identity_FilterInvalidUtf8", q + "Identity=%FF", 200, 0),
      Get("Identity_FilterLong", q + "Identity=" + std::string(4000, 'i'), 200, 0),
      Get("Identity_FilterRepeated", q + "Identity=alice&Identity=bob&Identity=alice", 200, 0),
      Get("Identity_FilterIgnoredOnUserList", uq + "Identity=%FF", 200, 0),
      Get("Identity_FilterEscapeTruncated", q + "Identity=%", 400, kBadParam),
      Get("BindingPage_SizeZero", q + "PageSize=0", 400, kBadParam),
      Get("BindingPage_SizeOverMaxClamped", q + "PageSize=1001", 200, 0),
      Get("BindingPage_SizeBeyondInt64Clamped", q + "PageSize=99999999999999999999", 200, 0),
      Get("BindingPage_WithoutToken", q + "Page=1", 400, kBadParam),
      Get("BindingPage_WithToken", q + "PageSize=1&Page=1&PageToken={BTOKEN}", 200, 0),
      Get("BindingPage_UsersToken", q + "PageSize=1&Page=1&PageToken={TOKEN}", 400, kBadParam),
      Get("BindingPage_TokenOnUserList", uq + "PageSize=1&Page=1&PageToken={BTOKEN}", 400,
          kBadParam),
      Get("BindingPage_TokenWithOtherFilter",
          q + "BindingType=apn&PageSize=1&Page=1&PageToken={BTOKEN}", 400, kBadParam),
      Get("BindingPage_TokenOfOtherService",
          "/v2/Services/{IS2}/Bindings?PageSize=1&Page=1&PageToken={BTOKEN}", 400, kBadParam),
      Get("BindingPage_TokenGarbage", q + "Page=1&PageToken=abc", 400, kBadParam),
      Get("BindingQuery_AtParamLimit", q + Params(64, "BindingType=apn"), 200, 0),
      Get("BindingQuery_OverParamLimit", q + Params(65, "BindingType=apn"), 400, kBadParam),
  };
}

// The registration extension (POST .../Users/{key}/Bindings).
std::vector<Row> RegistrationRows() {
  const std::string u = "/v2/Services/{IS}/Users/alice/Bindings";
  auto reg = [&](std::string name, std::string body, int status, int code,
                 std::string target = "") {
    Row r = Post(std::move(name), target.empty() ? u : target, std::move(body), status, code);
    r.extensions = true;
    return r;
  };
  const std::string ok = "BindingType=fcm&Address=";
  std::string sixteen = ok + "t16", seventeen = ok + "t17";
  for (size_t i = 1; i <= 16; ++i)
    absl::StrAppend(&sixteen, "&MessageTypes=m", std::string(i, 'a'));
  for (size_t i = 1; i <= 17; ++i) {
    absl::StrAppend(&seventeen, "&MessageTypes=m", std::string(i, 'a'));
  }
  return {
      reg("Register_New", ok + "new-token&MessageTypes=new_message", 201, 0),
      reg("Register_BySid", ok + "by-sid", 201, 0, "/v2/Services/{IS}/Users/{ALICE}/Bindings"),
      reg("Register_SameTypeAndAddressUpdates", "BindingType=apn&Address=tok-a", 200, 0),
      reg("Register_MissingBindingType", "Address=x", 400, kBadParam),
      reg("Register_BindingTypeEmpty", "BindingType=&Address=x", 400, kBadParam),
      reg("Register_BindingTypeUnknown", "BindingType=sms&Address=x", 400, kBadParam),
      reg("Register_BindingTypeUpperCase", "BindingType=FCM&Address=x", 400, kBadParam),
      reg("Register_BindingTypeRepeatedFirstWins", "BindingType=x&BindingType=apn&Address=x", 400,
          kBadParam),
      reg("Register_MissingAddress", "BindingType=apn", 400, kBadParam),
      reg("Register_EndpointIsNotAddress", "BindingType=apn&Endpoint=x", 400, kBadParam),
      reg("Register_AddressEmpty", "BindingType=apn&Address=", 400, kBadParam),
      reg("Register_AddressNoEquals", "BindingType=apn&Address", 400, kBadParam),
      reg("Register_AddressAtLimit", ok + std::string(1024, 'e'), 201, 0),
      reg("Register_AddressOverLimit", ok + std::string(1025, 'e'), 400, kBadParam),
      reg("Register_AddressEscapeTruncated", ok + "a%", 400, kBadParam),
      reg("Register_CredentialMalformed", ok + "c&CredentialSid=CR123", 400, kBadParam),
      reg("Register_CredentialWrongPrefix", ok + "c&CredentialSid=US" + std::string(32, 'a'), 400,
          kBadParam),
      reg("Register_CredentialWellFormed", ok + "c&CredentialSid=CR" + std::string(32, 'a'), 201,
          0),
      reg("Register_MessageTypeUpperCase", ok + "m&MessageTypes=New_message", 400, kBadParam),
      reg("Register_MessageTypeEmpty", ok + "m&MessageTypes=", 400, kBadParam),
      reg("Register_MessageTypeTooLong", ok + "m&MessageTypes=" + std::string(65, 'm'), 400,
          kBadParam),
      reg("Register_MessageTypesAtLimit", sixteen, 201, 0),
      reg("Register_MessageTypesOverLimit", seventeen, 400, kBadParam),
      reg("Register_UnknownUser", ok + "x", 404, kNotFound,
          "/v2/Services/{IS}/Users/nobody/Bindings"),
      reg("Register_UnknownServiceBeforeBody", "x", 404, kNotFound,
          "/v2/Services/IS" + std::string(32, 'c') + "/Users/alice/Bindings"),
      reg("Register_BodyOverLimit", BodyOfSize(ok + "x", internal::kMaxBodyBytes + 1), 400,
          kBadParam),
      reg("Register_OnBinding", ok + "x", 405, kBadParam,
          "/v2/Services/{IS}/Users/alice/Bindings/{BS}"),
      reg("Register_OnServiceList", ok + "x", 405, kBadParam, kB),
  };
}

// Issue 18's extensions on the Users collection: the list filters, the
// count and the batch upsert (rows marked `extensions`), and the batch
// without them (the normal create). The attribute rows need the Store's
// filter validation (no attribute is indexed here: every key is refused).
std::vector<Row> UserExtensionRows() {
  auto ext = [](Row r) {
    r.extensions = true;
    return r;
  };
  const std::string q = std::string(kU) + "?";
  const std::string batch = "X-Userstore-Batch=";
  std::string rows101 = "%5B";
  for (int i = 0; i <= 100; ++i) {
    absl::StrAppend(&rows101, i ? "%2C" : "", "%7B%22identity%22%3A%22r", i, "%22%7D");
  }
  rows101 += "%5D";
  std::string huge = batch + "%5B%5D&Pad=";
  huge.resize(8 * 1024 * 1024 + 1, 'x');
  return {
      ext(Get("Filter_DateMalformed", q + "X-Userstore-DateCreatedFrom=2015-07-30", 400,
              kBadParam)),
      ext(Get("Filter_DateNoZone", q + "X-Userstore-DateCreatedFrom=2015-07-30T20:00:00", 400,
              kBadParam)),
      ext(Get("Filter_DateEmpty", q + "X-Userstore-DateCreatedBefore=", 400, kBadParam)),
      ext(Get("Filter_DateTrailingSpace",
              q + "X-Userstore-DateCreatedBefore=2015-07-30T20:00:00Z%20", 400, kBadParam)),
      ext(Get("Filter_DateOk", q + "X-Userstore-DateCreatedFrom=2015-07-30T20:00:00Z", 200, 0)),
      ext(Get("Filter_PrefixEmpty", q + "X-Userstore-IdentityPrefix=", 400, kBadParam)),
      ext(Get("Filter_RoleMalformed", q + "X-Userstore-RoleSid=RL123", 400, kBadParam)),
      ext(Get("Filter_AttributeValueNotJson",
              q + "X-Userstore-AttributeKey=tier&X-Userstore-AttributeValue=gold", 400, kBadParam)),
      ext(Get("Filter_AttributeValueWithoutKey", q + "X-Userstore-AttributeValue=5", 400,
              kBadParam)),
      ext(Get("Filter_TwoCriteria",
              q + "X-Userstore-IdentityPrefix=a&X-Userstore-DateCreatedFrom=2015-07-30T20:00:00Z",
              400, kBadParam)),
      Get("Filter_DateMalformedWithoutExtensions", q + "X-Userstore-DateCreatedFrom=x", 200, 0),
      ext(Get("Count_False", q + "X-Userstore-Count=false", 400, kBadParam)),
      ext(Get("Count_Empty", q + "X-Userstore-Count", 400, kBadParam)),
      ext(Get("Count_Ok", q + "X-Userstore-Count=true", 200, 0)),
      ext(Get("Count_UnknownServiceFirst",
              "/v2/Services/IS" + std::string(32, 'c') + "/Users?X-Userstore-Count=no", 404,
              kNotFound)),
      ext(Post("Batch_NotJson", kU, batch + "%5B", 400, kBadParam)),
      ext(Post("Batch_Empty", kU, batch, 400, kBadParam)),
      ext(Post("Batch_NotAnArray", kU, batch + "%7B%22identity%22%3A%22a%22%7D", 400, kBadParam)),
      ext(Post("Batch_NoRows", kU, batch + "%5B%5D", 400, kBadParam)),
      ext(Post("Batch_ElementNotObject", kU, batch + "%5B1%5D", 400, kBadParam)),
      ext(Post("Batch_101Rows", kU, batch + rows101, 400, kBadParam)),
      ext(Post("Batch_WithIdentity", kU, batch + "%5B%5D&Identity=a", 400, kBadParam)),
      ext(Post("Batch_BodyOverLimit", kU, huge, 400, kBadParam)),
      ext(Post("Batch_OnAUser", std::string(kU) + "/alice", huge.substr(0, 70000), 400, kBadParam)),
      Post("Batch_WithoutExtensions", kU, batch + "%5B%5D", 400, kBadParam),
  };
}

std::vector<Row> AllRows() {
  std::vector<Row> all;
  for (auto rows :
       {IdentityRows(), FriendlyNameRows(), AttributesRows(), RoleSidRows(), PathKeyRows(),
        ServiceSidRows(), QueryRows(), HeaderRows(), BoundsAndMethodRows(), ConversationsRows(),
        BindingPathRows(), BindingQueryRows(), RegistrationRows(), UserExtensionRows()}) {
    for (Row& r : rows) all.push_back(std::move(r));
  }
  return all;
}

// ---- the fixture ---------------------------------------------------------------

class BadInputTest : public ::testing::TestWithParam<Row> {
 protected:
  void SetUp() override {
    ServiceCreate other;
    other.sid = kOtherService;
    ASSERT_OK(store_->CreateService(other));
    absl::StatusOr<Service> service = store_->FetchService(kServiceSid);
    ASSERT_OK(service);
    channel_role_ = service->default_channel_role_sid;
    for (const char* identity : {"alice", "bob", "team/alice", "a?b", "a b"}) {
      UserCreate create;
      create.identity = identity;
      if (create.identity == "bob") {
        create.attributes = R"({"team":"blue"})";
        create.friendly_name = "Bob";
      }
      absl::StatusOr<User> user = store_->CreateUser(kServiceSid, create);
      ASSERT_OK(user);
      if (create.identity == "alice") alice_ = user->sid;
    }
    UserCreate bob2;
    bob2.identity = "bob2";
    absl::StatusOr<User> other_user = store_->CreateUser(kOtherService, bob2);
    ASSERT_OK(other_user);
    bob2_ = other_user->sid;
    UserCreate carol2;
    carol2.identity = "carol2";
    ASSERT_OK(store_->CreateUser(kOtherService, carol2));
    PageRequest first;
    first.page_size = 1;
    absl::StatusOr<Page> a = store_->ListUsers(kServiceSid, first);
    absl::StatusOr<Page> b = store_->ListUsers(kOtherService, first);
    ASSERT_OK(a);
    ASSERT_OK(b);
    token_ = a->next_page_token;
    token2_ = b->next_page_token;
    ASSERT_EQ(token_.size(), 30u);
    first.api = PageApi::kConversations;
    absl::StatusOr<Page> v1 = store_->ListUsers(kServiceSid, first);
    ASSERT_OK(v1);
    token_v1_ = v1->next_page_token;
    ConfigurationUpdate configuration;  // /v1/Users addresses kServiceSid
    configuration.default_chat_service_sid = kServiceSid;
    ASSERT_OK(store_->UpdateConfiguration(configuration));
    BindingCreate apn;
    apn.endpoint = "tok-a";
    ASSERT_OK_AND_ASSIGN(Binding alices, store_->RegisterBinding(kServiceSid, "alice", apn));
    binding_ = alices.sid;
    BindingCreate fcm;
    fcm.binding_type = BindingType::kFcm;
    fcm.endpoint = "tok-b";
    ASSERT_OK(store_->RegisterBinding(kServiceSid, "alice", fcm));
    ASSERT_OK_AND_ASSIGN(Binding bob2s, store_->RegisterBinding(kOtherService, "bob2", apn));
    binding2_ = bob2s.sid;
    BindingListRequest bindings;
    bindings.page_size = 1;
    ASSERT_OK_AND_ASSIGN(BindingPage page, store_->ListBindings(kServiceSid, bindings));
    binding_token_ = page.next_page_token;
    ASSERT_FALSE(binding_token_.empty());
    store_->AddPostEventListener([this](const UserEvent&) { ++events_; });
  }

  // Alters character `i` of the token to another alphabet character.
  std::string Changed(size_t i) const {
    std::string t = token_;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    return t;
  }

  std::string Expand(std::string_view text) const {
    std::string upper = alice_;
    for (size_t i = 2; i < upper.size(); ++i)
      upper[i] = absl::ascii_toupper(static_cast<unsigned char>(upper[i]));
    std::string binding_upper = binding_;
    for (size_t i = 2; i < binding_upper.size(); ++i)
      binding_upper[i] = absl::ascii_toupper(static_cast<unsigned char>(binding_upper[i]));
    std::string pct;
    for (char c : token_) absl::StrAppend(&pct, absl::StrFormat("%%%02X", c));
    return absl::StrReplaceAll(absl::string_view(text.data(), text.size()),
                               {{"{IS}", kServiceSid},
                                {"{IS2}", kOtherService},
                                {"{ALICE}", alice_},
                                {"{ALICE_UPPER}", upper},
                                {"{alice_lowerprefix}", "us" + alice_.substr(2)},
                                {"{BOB2}", bob2_},
                                {"{TOKENV1}", token_v1_},
                                {"{TOKEN}", token_},
                                {"{TOKEN2}", token2_},
                                {"{TOKEN_TRUNCATED}", token_.substr(0, token_.size() - 1)},
                                {"{TOKEN_CHANGED}", Changed(10)},
                                {"{TOKEN_LAST_CHANGED}", Changed(token_.size() - 1)},
                                {"{TOKEN_PCT}", pct},
                                {"{CHANNEL_ROLE}", channel_role_},
                                {"{BS_UPPER}", binding_upper},
                                {"{BS2}", binding2_},
                                {"{BS}", binding_},
                                {"{BTOKEN}", binding_token_}});
  }

  // Every user of both Services, fetched by SID and rendered, then every
  // Binding of both Services, rendered.
  std::vector<std::pair<std::string, std::string>> Snapshot() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const char* service : {kServiceSid, kOtherService}) {
      PageRequest request;
      request.page_size = 100;
      absl::StatusOr<Page> page = store_->ListUsers(service, request);
      EXPECT_TRUE(page.ok());
      if (!page.ok()) return out;
      EXPECT_TRUE(page->next_page_token.empty());
      for (const User& listed : page->users) {
        absl::StatusOr<User> user = store_->FetchUser(service, listed.sid);
        EXPECT_TRUE(user.ok());
        if (user.ok()) out.emplace_back(user->sid, UserJson(*user, kBase));
      }
    }
    for (const char* service : {kServiceSid, kOtherService}) {
      BindingListRequest request;
      request.page_size = 1000;
      absl::StatusOr<BindingPage> page = store_->ListBindings(service, request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return out;
      EXPECT_TRUE(page->next_page_token.empty());
      for (const Binding& binding : page->bindings) {
        out.emplace_back(binding.sid, BindingJson(binding, kBase));
      }
    }
    return out;
  }

  static constexpr char kBase[] = "https://chat.twilio.com/v2";
  testing::TestStore store_{[] {
    StoreOptions options;
    options.page_token_key = "bad-input-test-key";
    return options;
  }()};
  RestFacade facade_{store_.store.get()};
  RestFacade extensions_facade_{store_.store.get(), [] {
                                  FacadeOptions options;
                                  options.enable_extensions = true;
                                  return options;
                                }()};
  std::string alice_, bob2_, token_, token2_, token_v1_, channel_role_;
  std::string binding_, binding2_, binding_token_;
  int events_ = 0;
};

TEST_P(BadInputTest, ExactStatusAndStoreUnchanged) {
  const Row& row = GetParam();
  Request request;
  request.method = row.method;
  request.target = Expand(row.target);
  request.body = Expand(row.body);
  for (const auto& [name, value] : row.headers) {
    request.headers.emplace_back(name, Expand(value));
  }
  const auto before = Snapshot();
  const Response response = (row.extensions ? extensions_facade_ : facade_).Handle(request);
  const auto after = Snapshot();

  ASSERT_EQ(response.status, row.status) << response.body;
  simdjson::dom::parser parser;
  simdjson::dom::element body;
  ASSERT_EQ(parser.parse(response.body).get(body), simdjson::SUCCESS) << response.body;
  if (row.code != 0) {
    int64_t code = 0, status = 0;
    ASSERT_EQ(body["code"].get(code), simdjson::SUCCESS) << response.body;
    ASSERT_EQ(body["status"].get(status), simdjson::SUCCESS) << response.body;
    EXPECT_EQ(code, row.code) << response.body;
    EXPECT_EQ(status, row.status);
    EXPECT_EQ(after, before) << "a rejected request changed the store";
    EXPECT_EQ(events_, 0);
    return;
  }

  std::string_view sid;
  if (row.method == "POST") {
    ASSERT_EQ(body["sid"].get(sid), simdjson::SUCCESS);
  }
  auto without = [&](std::vector<std::pair<std::string, std::string>> users) {
    std::erase_if(users, [&](const auto& u) { return u.first == sid; });
    return users;
  };
  if (row.status == 201 && sid.substr(0, 2) == "BS") {
    // A registered Binding: in the Store as the body shows it, nothing else
    // changed.
    ASSERT_EQ(after.size(), before.size() + 1);
    EXPECT_EQ(without(after), before) << "a registration changed something else";
    absl::StatusOr<Binding> registered = store_->FetchBinding(kServiceSid, "", sid);
    ASSERT_OK(registered);
    EXPECT_EQ(UserBindingJson(*registered, kBase), response.body);
  } else if (row.status == 201) {
    ASSERT_EQ(after.size(), before.size() + 1);
    EXPECT_EQ(without(after), before) << "a create changed other users";
    absl::StatusOr<User> created = store_->FetchUser(kServiceSid, sid);
    ASSERT_OK(created);
    ASSERT_TRUE(row.identity.has_value()) << "a 201 row must name its identity";
    EXPECT_EQ(created->identity, *row.identity);
    std::string_view identity;
    ASSERT_EQ(body["identity"].get(identity), simdjson::SUCCESS);
    EXPECT_EQ(identity, *row.identity);
  } else if (row.method == "POST") {
    ASSERT_EQ(after.size(), before.size());
    EXPECT_EQ(without(after), without(before)) << "an update changed other users";
  } else {
    EXPECT_EQ(after, before) << "a GET changed the store";
  }
}

std::string RowName(const ::testing::TestParamInfo<Row>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Matrix, BadInputTest, ::testing::ValuesIn(AllRows()), RowName);

// The accepted creates above fire listeners only with the header.
TEST_F(BadInputTest, WebhookHeaderFiresListenerOnce) {
  Request request{"POST", Expand(kU), {{"X-Twilio-Webhook-Enabled", "true"}}, "Identity=w"};
  EXPECT_EQ(facade_.Handle(request).status, 201);
  EXPECT_EQ(events_, 1);
  request.headers = {{"X-Twilio-Webhook-Enabled", "false"}};
  request.body = "Identity=w2";
  EXPECT_EQ(facade_.Handle(request).status, 201);
  EXPECT_EQ(events_, 1);
}

// ---- host configuration: StoreOptions::base_url -------------------------------

// store.h: Store::Create fails with 400/20001 when base_url "is not an
// absolute http(s) URL". Texts that are not URLs at all must be refused there,
// not accepted and then answered with 400 "base_url is not an absolute URL"
// on every request, which blames each client for the host's mistake.
TEST(BaseUrlTest, CreateRefusesTextsThatAreNotAbsoluteUrls) {
  for (const char* base : {"https://host/v2 x", "https://a b/v2", "https://host/v2#frag",
                           "https://host/%zz", "https:///v2", "http://"}) {
    SCOPED_TRACE(base);
    StoreOptions options;
    options.base_url = base;
    EXPECT_TWILIO_ERROR(Store::Create(options), 400, kBadParam);
  }
}

// store.h: Store::Create fails with 400/20001 when a limit is 0 (and the
// default page size must fit under the maximum).
TEST(StoreOptionsTest, CreateRefusesZeroLimits) {
  std::vector<std::pair<const char*, std::function<void(Limits&)>>> cases = {
      {"identity", [](Limits& l) { l.max_identity_chars = 0; }},
      {"friendly_name", [](Limits& l) { l.max_friendly_name_chars = 0; }},
      {"attributes_bytes", [](Limits& l) { l.max_attributes_bytes = 0; }},
      {"attributes_depth", [](Limits& l) { l.max_attributes_depth = 0; }},
      {"default_page_size", [](Limits& l) { l.default_page_size = 0; }},
      {"max_page_size", [](Limits& l) { l.max_page_size = 0; }},
      {"default_over_max", [](Limits& l) { l.default_page_size = l.max_page_size + 1; }},
      {"binding_page_size", [](Limits& l) { l.max_binding_page_size = l.default_page_size - 1; }},
  };
  for (const auto& [name, mutate] : cases) {
    SCOPED_TRACE(name);
    StoreOptions options;
    mutate(options.limits);
    EXPECT_TWILIO_ERROR(Store::Create(options), 400, kBadParam);
  }
  StoreOptions ones;
  ones.limits = {1, 1, 1, 1, 1, 1};
  EXPECT_TRUE(Store::Create(ones).ok());
}

// options.h: identity and friendly name limits are at most 16383 code points
// (a record keeps their byte sizes in 16 bits); at the bound a 65532-byte
// identity is stored and read back whole.
TEST(StoreOptionsTest, CreateRefusesTextLimitsOver16383) {
  for (int which = 0; which < 2; ++which) {
    SCOPED_TRACE(which);
    StoreOptions options;
    (which == 0 ? options.limits.max_identity_chars : options.limits.max_friendly_name_chars) =
        16384;
    EXPECT_TWILIO_ERROR(Store::Create(options), 400, kBadParam);
  }
  StoreOptions at_bound;
  at_bound.limits.max_identity_chars = 16383;
  at_bound.limits.max_friendly_name_chars = 16383;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Create(at_bound);
  ASSERT_TRUE(store.ok()) << store.status();
  ServiceCreate service;
  ASSERT_TRUE((*store)->CreateService(service).ok());
  const std::string service_sid = (*store)->ListServices()[0].sid;
  std::string identity;
  for (int i = 0; i < 16383; ++i) identity += "\xF0\x9F\x98\x80";  // U+1F600, 4 bytes
  UserCreate create;
  create.identity = identity;
  create.friendly_name = identity;
  ASSERT_TRUE((*store)->CreateUser(service_sid, create).ok());
  absl::StatusOr<User> user = (*store)->FetchUser(service_sid, identity);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->identity.size(), 65532u);
  EXPECT_EQ(user->identity, identity);
  EXPECT_EQ(user->friendly_name, std::optional<std::string>(identity));
  create.identity += "\xF0\x9F\x98\x80";
  EXPECT_TWILIO_ERROR((*store)->CreateUser(service_sid, create), 400, 50207);
}

// ---- deep nesting on a small stack ------------------------------------------------

constexpr size_t kSmallStack = 256 * 1024;

// Runs `fn` on a thread whose stack is 256 KiB. A stack overflow crashes the
// test binary (ASan reports it), which fails the test.
void RunOnSmallStack(const std::function<void()>& fn) {
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, kSmallStack), 0);
  size_t size = 0;
  ASSERT_EQ(pthread_attr_getstacksize(&attr, &size), 0);
  ASSERT_EQ(size, kSmallStack);
  pthread_t thread;
  auto trampoline = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, trampoline, const_cast<std::function<void()>*>(&fn)), 0);
  ASSERT_EQ(pthread_join(thread, nullptr), 0);
  pthread_attr_destroy(&attr);
}

struct DeepCase {
  std::string name;
  std::string text;
  bool balanced;  // valid JSON apart from its depth
};

std::vector<DeepCase> DeepCases() {
  const size_t n = 100000;
  return {
      {"open_brackets", std::string(n, '['), false},
      {"open_objects", Repeat("{\"a\":", n), false},
      {"balanced_arrays", std::string(n, '[') + std::string(n, ']'), true},
      {"balanced_objects", Repeat("{\"a\":", n) + "1" + std::string(n, '}'), true},
      {"mixed", Repeat("{\"a\":[", n / 2) + "1" + Repeat("]}", n / 2), true},
  };
}

TEST(DeepNestingTest, ValidateAttributesOnSmallStack) {
  Limits limits;
  limits.max_attributes_bytes = 16 << 20;  // let the text reach the parser
  for (const DeepCase& c : DeepCases()) {
    SCOPED_TRACE(c.name);
    absl::Status status;
    RunOnSmallStack([&] { status = ValidateAttributes(c.text, limits); });
    EXPECT_EQ(HttpStatus(status), 400) << status;
    EXPECT_EQ(TwilioCode(status), twilio_code::kAttributesInvalid) << status;
  }
}

TEST(DeepNestingTest, IsValidJsonAndPrettyJsonOnSmallStack) {
  for (const DeepCase& c : DeepCases()) {
    SCOPED_TRACE(c.name);
    bool valid_unbounded = false, valid_default = true;
    std::string pretty;
    RunOnSmallStack([&] {
      valid_unbounded = IsValidJson(c.text, c.text.size());
      valid_default = IsValidJson(c.text);
      pretty = PrettyJson(c.text);  // depth > 1024: returned unchanged
    });
    EXPECT_EQ(valid_unbounded, c.balanced);
    EXPECT_FALSE(valid_default);
    EXPECT_EQ(pretty, c.text);
  }
  // At PrettyJson's depth limit it re-indents, still on the small stack.
  const std::string deep1024 = std::string(1024, '[') + std::string(1024, ']');
  std::string pretty;
  RunOnSmallStack([&] { pretty = PrettyJson(deep1024); });
  EXPECT_NE(pretty, deep1024);
  EXPECT_TRUE(IsValidJson(pretty));
}

TEST(DeepNestingTest, StoreAndFacadeOnSmallStack) {
  testing::TestStore store;
  RestFacade facade(store.store.get());
  const std::string deep(16384, '[');  // at the size limit: parsed
  RunOnSmallStack([&] {
    UserCreate create;
    create.identity = "deep";
    create.attributes = deep;
    EXPECT_TWILIO_ERROR(store->CreateUser(kServiceSid, create), 400,
                        twilio_code::kAttributesInvalid);
    Request request{"POST",
                    std::string("/v2/Services/") + kServiceSid + "/Users",
                    {},
                    "Identity=deep&Attributes=" + std::string(16000, '[')};
    const Response response = facade.Handle(request);
    EXPECT_EQ(response.status, 400) << response.body;
  });
}

// ---- memory per request ---------------------------------------------------------

struct MemoryCase {
  std::string name;
  Request request;
};

size_t RequestBytes(const Request& r) {
  size_t n = r.method.size() + r.target.size() + r.body.size();
  for (const auto& [name, value] : r.headers) n += name.size() + value.size();
  return n;
}

std::string PercentEncodeAll(std::string_view s) {
  std::string out;
  for (char c : s) absl::StrAppend(&out, absl::StrFormat("%%%02X", static_cast<unsigned char>(c)));
  return out;
}

// Peak heap during one Handle <= 16 x (request bytes + response body bytes)
// + 256 KiB. The constant covers the per-thread JSON parser (simdjson sizes
// its buffers at ~15x the largest text a thread has parsed, at most 16 KiB of
// attributes here); the response term covers list pages, whose size the
// request does not bound (100 users of 16 KiB attributes each).
TEST(RequestMemoryTest, PeakHeapIsASmallMultipleOfRequestAndResponse) {
  testing::TestStore store;
  RestFacade facade(store.store.get());
  const std::string users = std::string("/v2/Services/") + kServiceSid + "/Users";
  const std::string attributes = "{\"k\":\"" + std::string(16384 - 8, 'v') + "\"}";
  std::vector<MemoryCase> cases = {
      {"create_16k_attributes_percent_encoded",
       {"POST", users, {}, "Identity=m1&Attributes=" + PercentEncodeAll(attributes)}},
      {"create_16k_attributes_raw", {"POST", users, {}, "Identity=m2&Attributes=" + attributes}},
      {"deep_attributes", {"POST", users, {}, "Identity=m3&Attributes=" + std::string(16384, '[')}},
      {"body_64k_of_params", {"POST", users, {}, BodyOfSize(Params(63, "X=1"), 65536)}},
      {"body_64k_escapes", {"POST", users, {}, "Identity=" + Repeat("%41", 21800)}},
      {"target_8k", {"GET", TargetOfSize(users, 8192), {}, ""}},
      {"query_64_params", {"GET", users + "?" + Params(64, "PageSize=2"), {}, ""}},
      {"headers_100",
       {"POST", users, Headers(100, {"X-Twilio-Webhook-Enabled", std::string(1024, 't')}),
        "Identity=m4"}},
      {"list_100_users_of_16k", {"GET", users + "?PageSize=100", {}, ""}},
  };
  for (const MemoryCase& c : cases) {
    if (c.name == "list_100_users_of_16k") {
      for (int i = 0; i < 100; ++i) {
        UserCreate create;
        create.identity = absl::StrCat("big", i);
        create.attributes = attributes;
        ASSERT_OK(store->CreateUser(kServiceSid, create));
      }
    }
    int64_t used = 0;
    Response response;
    // A fresh thread: its thread-local JSON parser is allocated inside the
    // measurement, as for the first request a server thread serves.
#ifdef USERSTORE_SANITIZED
    GTEST_SKIP() << "heap accounting is off under sanitizers";
#else
    std::thread([&] {
      const int64_t base = heap::current.load();
      heap::peak = base;
      response = facade.Handle(c.request);
      used = heap::peak.load() - base;
    }).join();
#endif
    const size_t bytes = RequestBytes(c.request) + response.body.size();
    std::printf("%-38s %7zu request + %7zu response bytes, status %d: peak heap %8lld (%.1fx)\n",
                c.name.c_str(), RequestBytes(c.request), response.body.size(), response.status,
                static_cast<long long>(used),
                static_cast<double>(used) / static_cast<double>(bytes));
    EXPECT_LE(used, static_cast<int64_t>(16 * bytes + 256 * 1024)) << c.name;
  }
}

}  // namespace
}  // namespace userstore
