// Tests of attribute validation (attributes.h), the JSON parsing layer under it
// (src/json/json_dom.h) and the UTF-8 helpers (src/common/utf8.h).
//
// The JSONTestSuite-like cases are inline so that a clone without
// ../shared still covers them; jsontestsuite_test.cc runs the whole suite.
#include "userstore/attributes.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "common/utf8.h"
#include "gtest/gtest.h"
#include "json/json_dom.h"
#include "userstore/error.h"
#include "userstore/options.h"

namespace userstore {
namespace {

using internal::IsValidJson;

// {"a":{"a":...{"a":1}...}} with `levels` objects.
std::string NestedObjects(int levels, const std::string& innermost = "1") {
  std::string s;
  for (int i = 0; i < levels; ++i) s += "{\"a\":";
  s += innermost;
  for (int i = 0; i < levels; ++i) s += "}";
  return s;
}

// {"a":[[...[]...]]}: one object holding `arrays` nested arrays, the
// innermost one empty; depth 1 + arrays.
std::string ObjectOfNestedArrays(size_t arrays) {
  return "{\"a\":" + std::string(arrays, '[') + std::string(arrays, ']') + "}";
}

// An object of exactly `size` bytes: {"k":"xxx...x"}.
std::string ObjectOfSize(size_t size) {
  const std::string head = "{\"k\":\"";
  const std::string tail = "\"}";
  return head + std::string(size - head.size() - tail.size(), 'x') + tail;
}

int Code(std::string_view text, const Limits& limits = Limits()) {
  return TwilioCode(ValidateAttributes(text, limits));
}

// ---- size -------------------------------------------------------------------

TEST(AttributesTest, SizeExactlyAtLimitIsAccepted) {
  const std::string text = ObjectOfSize(16384);
  ASSERT_EQ(text.size(), 16384u);
  EXPECT_TRUE(ValidateAttributes(text, Limits()).ok());
}

TEST(AttributesTest, OneByteOverLimitIs50303) {
  const std::string text = ObjectOfSize(16385);
  absl::Status s = ValidateAttributes(text, Limits());
  EXPECT_EQ(TwilioCode(s), 50303);
  EXPECT_EQ(HttpStatus(s), 400);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("16384"), absl::string_view::npos) << s.message();
}

TEST(AttributesTest, SizeIsCheckedBeforeSyntax) {
  // Not JSON at all, but too long: the size error wins.
  EXPECT_EQ(Code(std::string(16385, '[')), 50303);
  EXPECT_EQ(Code(std::string(16384, '[')), 50304);
}

TEST(AttributesTest, CustomSizeLimit) {
  Limits limits;
  limits.max_attributes_bytes = 8;
  EXPECT_EQ(Code("{\"a\":12}", limits), 0);       // 8 bytes
  EXPECT_EQ(Code("{\"a\":123}", limits), 50303);  // 9 bytes
  EXPECT_EQ(Code("  {}    ", limits), 0);
}

// ---- depth ------------------------------------------------------------------

TEST(AttributesTest, DepthOfNestedObjectsHoldingScalar) {
  // "An object holding a scalar is depth 1": 128 such levels pass, 129 fail.
  EXPECT_EQ(Code(NestedObjects(1)), 0);
  EXPECT_EQ(Code(NestedObjects(128)), 0);
  absl::Status s = ValidateAttributes(NestedObjects(129), Limits());
  EXPECT_EQ(TwilioCode(s), 50304);
  EXPECT_NE(s.message().find("128"), absl::string_view::npos) << s.message();
}

TEST(AttributesTest, EmptyInnermostContainerCountsAsALevel) {
  // simdjson alone does not count an empty container; userstore does.
  EXPECT_EQ(Code(NestedObjects(127, "{}")), 0);       // depth 128
  EXPECT_EQ(Code(NestedObjects(128, "{}")), 50304);   // depth 129
  EXPECT_EQ(Code(ObjectOfNestedArrays(127)), 0);      // depth 128
  EXPECT_EQ(Code(ObjectOfNestedArrays(128)), 50304);  // depth 129
  EXPECT_EQ(Code(NestedObjects(127, "[1]")), 0);      // depth 128
  EXPECT_EQ(Code(NestedObjects(128, "[1]")), 50304);  // depth 129
}

TEST(AttributesTest, DepthIsTheDeepestBranch) {
  // Depth 4 in the second member only (object, object, array, object).
  const std::string text = R"({"a":1,"b":{"c":[{}]},"d":[]})";
  Limits limits;
  limits.max_attributes_depth = 4;
  EXPECT_EQ(Code(text, limits), 0);
  limits.max_attributes_depth = 3;
  EXPECT_EQ(Code(text, limits), 50304);
}

TEST(AttributesTest, SmallDepthLimits) {
  Limits limits;
  limits.max_attributes_depth = 1;
  EXPECT_EQ(Code("{}", limits), 0);
  EXPECT_EQ(Code(R"({"a":1,"b":"x","c":null})", limits), 0);
  EXPECT_EQ(Code(R"({"a":{}})", limits), 50304);
  EXPECT_EQ(Code(R"({"a":[]})", limits), 50304);
  limits.max_attributes_depth = 0;
  EXPECT_EQ(Code("{}", limits), 50304);
}

TEST(AttributesTest, BracketsInStringsAndSiblingsDoNotCountAsDepth) {
  // More '[' / '{' bytes than the limit (so the exact walk runs), depth 2.
  Limits limits;
  limits.max_attributes_depth = 2;
  EXPECT_EQ(Code(R"({"a":"[[[{{{","b":[],"c":{},"d":[1]})", limits), 0);
  EXPECT_EQ(Code(R"({"a":"[[[{{{","b":[[]]})", limits), 50304);  // depth 3
  // Exactly as many openers as the limit allows: no walk needed, still exact.
  EXPECT_EQ(Code(R"({"a":[]})", limits), 0);
  EXPECT_EQ(Code(R"({"a":"]]]]]]]]"})", limits), 0);
}

TEST(AttributesTest, VeryDeepInputIsRejectedWithoutCrashing) {
  // Within the size limit, far beyond the depth limit.
  EXPECT_EQ(Code(NestedObjects(2500)), 50304);  // 15,001 bytes
  EXPECT_EQ(Code("{\"a\":" + std::string(8000, '[') + std::string(8000, ']') + "}"), 50304);
}

// ---- top-level type ---------------------------------------------------------

TEST(AttributesTest, TopLevelMustBeAnObject) {
  for (const char* text : {"[]", "[{}]", "\"{}\"", "1", "-0.5", "true", "false", "null", "\"\""}) {
    absl::Status s = ValidateAttributes(text, Limits());
    EXPECT_EQ(TwilioCode(s), 50304) << text;
    EXPECT_NE(s.message().find("object"), absl::string_view::npos) << s.message();
  }
}

TEST(AttributesTest, JsonWhitespaceAroundTheObjectIsAllowed) {
  EXPECT_EQ(Code(" \t\r\n{ \"a\" : [ 1 , 2 ] }\r\n\t "), 0);
  // Only the four RFC 8259 whitespace characters.
  EXPECT_EQ(Code("\f{}"), 50304);
  EXPECT_EQ(Code("\v{}"), 50304);
  EXPECT_EQ(Code("{}\xC2\xA0"), 50304);  // U+00A0
}

// ---- syntax (y_ / n_ style) -------------------------------------------------

TEST(AttributesTest, AcceptsValidObjects) {
  for (const char* text : {
           "{}",
           R"({"a":1})",
           R"({"":0})",
           R"({"a":[1,2.5,-3e-2,true,false,null,"s",{},[]]})",
           R"({"a":"\"\\\/\b\f\n\r\t\u0041\u00e9"})",
           R"({"a":1,"a":2})",  // duplicate keys are valid RFC 8259
           R"({"asd":"sdf", "dfg":"fgh"})",
           R"({"\u00e9":"\u65e5\u672c"})",
           "{\"\xC3\xA9\":\"\xE6\x97\xA5\xE6\x9C\xAC\xF0\x9F\x98\x80\"}",
           R"({"a":-0,"b":0e+1,"c":1E-2,"d":-123.456e-789})",
       }) {
    EXPECT_EQ(Code(text), 0) << text;
  }
}

TEST(AttributesTest, RejectsInvalidJson) {
  for (const char* text : {
           "",
           "   ",
           "{",
           "}",
           "{}}",
           "{} {}",
           "{}x",
           "{'a':1}",
           R"({a:1})",
           R"({"a":1,})",
           R"({"a"})",
           R"({"a":})",
           R"({"a" 1})",
           R"({"a":1 "b":2})",
           R"({"a":01})",
           R"({"a":.5})",
           R"({"a":1.})",
           R"({"a":+1})",
           R"({"a":NaN})",
           R"({"a":Infinity})",
           R"({"a":0x10})",
           R"({"a":tru})",
           R"({"a":"\x41"})",
           R"({"a":"\u00G0"})",
           R"({"a":"abc)",
           "{\"a\":\"tab\there\"}",  // raw control character
           "{\"a\":\"line\nbreak\"}",
           "/* comment */ {}",
           "{} // comment",
       }) {
    EXPECT_EQ(Code(text), 50304) << text;
  }
}

// ---- Unicode ----------------------------------------------------------------

TEST(AttributesTest, LoneSurrogateEscapesAreRejected) {
  for (const char* text : {
           R"({"a":"\ud800"})", R"({"a":"\udc00"})", R"({"a":"\uDFFF"})", R"({"a":"\ud800\ud800"})",
           R"({"a":"\ud800\u0041"})", R"({"a":"\ud800x"})", R"({"a":"\ud800\n"})",
           R"({"a":"\udd1e\ud834"})",  // inverted pair
           R"({"\ud800":1})",          // in a key
       }) {
    EXPECT_EQ(Code(text), 50304) << text;
  }
  // A proper pair is fine.
  EXPECT_EQ(Code(R"({"a":"\ud834\udd1e"})"), 0);
  EXPECT_EQ(Code(R"({"a":"\uD83D\uDE00"})"), 0);
}

TEST(AttributesTest, InvalidUtf8IsRejected) {
  for (const char* text : {
           "{\"a\":\"\xFF\"}",              // never valid
           "{\"a\":\"\xC0\xAF\"}",          // overlong '/'
           "{\"a\":\"\xE0\x80\xAF\"}",      // overlong, 3 bytes
           "{\"a\":\"\xED\xA0\x80\"}",      // UTF-8 encoded U+D800
           "{\"a\":\"\xE2\x82\"}",          // truncated
           "{\"a\":\"\x80\"}",              // lone continuation byte
           "{\"a\":\"\xF4\x90\x80\x80\"}",  // above U+10FFFF
           "{\"a\":\"\xE9\"}",              // ISO-8859-1 'e acute'
       }) {
    EXPECT_EQ(Code(text), 50304) << text;
  }
}

TEST(AttributesTest, ByteOrderMarkIsRejected) { EXPECT_EQ(Code("\xEF\xBB\xBF{}"), 50304); }

TEST(AttributesTest, NulCharacters) {
  // The escape is valid JSON (and stored as written).
  EXPECT_EQ(Code(R"({"a":"x\u0000y"})"), 0);
  // A raw NUL byte is not: inside a string it is an unescaped control
  // character, outside it is not whitespace.
  EXPECT_EQ(Code(std::string("{\"a\":\"x\0y\"}", 11)), 50304);
  EXPECT_EQ(Code(std::string("{}\0", 3)), 50304);
  EXPECT_EQ(Code(std::string("\0{}", 3)), 50304);
}

// ---- numbers ----------------------------------------------------------------

TEST(AttributesTest, NumbersWithin64BitsAreAccepted) {
  EXPECT_EQ(Code(R"({"a":18446744073709551615})"), 0);    // UINT64_MAX
  EXPECT_EQ(Code(R"({"a":-9223372036854775808})"), 0);    // INT64_MIN
  EXPECT_EQ(Code(R"({"a":1.7976931348623157e308})"), 0);  // DBL_MAX
  EXPECT_EQ(Code(R"({"a":1e-400})"), 0);                  // underflows to 0: accepted
  EXPECT_EQ(Code(R"({"a":123.456e-789})"), 0);
}

TEST(AttributesTest, NumbersBeyond64BitsAreRejected) {
  EXPECT_EQ(Code(R"({"a":18446744073709551616})"), 50304);  // UINT64_MAX + 1
  EXPECT_EQ(Code(R"({"a":-9223372036854775809})"), 50304);  // INT64_MIN - 1
  EXPECT_EQ(Code(R"({"a":100000000000000000000000000000})"), 50304);
  EXPECT_EQ(Code(R"({"a":1e400})"), 50304);  // overflows a double
  EXPECT_EQ(Code(R"({"a":-1e400})"), 50304);
  EXPECT_EQ(Code(R"({"a":1.8e308})"), 50304);
}

// A number beyond the supported range is valid JSON (RFC 8259 §9 lets an
// implementation limit the range): the message says so, not "not valid JSON".
// A malformed number, or a big one in a text that is invalid elsewhere, is
// still "not valid JSON". Code 50304 either way.
TEST(AttributesTest, OutOfRangeNumbersAreReportedAsSuch) {
  const std::string range =
      "Attributes must be a valid JSON object: the text is valid JSON, but a number in it is "
      "beyond the supported range (integers must fit in 64 bits, other numbers in a double)";
  const std::string syntax =
      "Attributes must be a valid JSON object: the text is not valid JSON (RFC 8259, UTF-8)";
  for (const char* text :
       {R"({"a":18446744073709551616})", R"({"a":-9223372036854775809})",
        R"({"a":123456789012345678901234567890})", R"({"a":[1,{"b":100000000000000000000}]})",
        R"({"a":1e400})", R"({"a":-1.5e+9999})", R"({"a":1e400,"a":1})"}) {
    SCOPED_TRACE(text);
    absl::Status s = ValidateAttributes(text, Limits());
    EXPECT_EQ(TwilioCode(s), 50304);
    EXPECT_EQ(HttpStatus(s), 400);
    EXPECT_EQ(s.message(), range);
  }
  for (const char* text : {R"({"a":01})", R"({"a":1.})", R"({"a":-})", R"({"a":1e})", R"({"a":.5})",
                           R"({"a":100000000000000000000,"b":tru})", R"({"a":1e400,"b":"\ud800"})",
                           R"([18446744073709551616,])", "{\"a\":1e400} x"}) {
    SCOPED_TRACE(text);
    absl::Status s = ValidateAttributes(text, Limits());
    EXPECT_EQ(TwilioCode(s), 50304);
    EXPECT_EQ(s.message(), syntax);
  }
  // Not an object: the range is reported first (the value is never read).
  EXPECT_EQ(ValidateAttributes("[18446744073709551616]", Limits()).message(), range);
  EXPECT_FALSE(IsValidJson("[18446744073709551616]"));  // valid, but not accepted
  internal::JsonDocument doc;
  EXPECT_EQ(doc.Parse("[18446744073709551616]", 10), internal::JsonError::kNumberRange);
}

// ---- IsValidJson ------------------------------------------------------------

TEST(IsValidJsonTest, AnyTopLevelType) {
  for (const char* text :
       {"{}", "[]", "1", "-1.5e3", "\"s\"", "true", "false", "null", " [1, {\"a\": null}] "}) {
    EXPECT_TRUE(IsValidJson(text)) << text;
  }
  for (const char* text : {"", "[", "]", "[1,]", "nul", "'s'", "[1] [2]"}) {
    EXPECT_FALSE(IsValidJson(text)) << text;
  }
}

TEST(IsValidJsonTest, MaxDepthIsInclusiveAndCountsEmptyContainers) {
  EXPECT_TRUE(IsValidJson("1", 0));
  EXPECT_FALSE(IsValidJson("[]", 0));
  EXPECT_TRUE(IsValidJson("[]", 1));
  EXPECT_TRUE(IsValidJson("[1]", 1));
  EXPECT_FALSE(IsValidJson("[[]]", 1));
  EXPECT_TRUE(IsValidJson("[[]]", 2));
  EXPECT_TRUE(IsValidJson(std::string(1024, '[') + std::string(1024, ']')));
  EXPECT_FALSE(IsValidJson(std::string(1025, '[') + std::string(1025, ']')));
  EXPECT_TRUE(IsValidJson(std::string(1025, '[') + std::string(1025, ']'), 1025));
}

TEST(IsValidJsonTest, HugeMaxDepthIsHarmless) {
  EXPECT_TRUE(IsValidJson("[[[]]]", static_cast<size_t>(-1)));
  EXPECT_FALSE(IsValidJson("[[[]]", static_cast<size_t>(-1)));
}

TEST(IsValidJsonTest, LargeDocumentsUseTheirOwnParser) {
  // Larger than JsonDocument::kReusedParserBytes.
  std::string big = "[";
  while (big.size() < 3 * internal::JsonDocument::kReusedParserBytes) {
    big += "12345,";
  }
  big += "0]";
  EXPECT_TRUE(IsValidJson(big));
  big.back() = ',';
  EXPECT_FALSE(IsValidJson(big));
  // The thread's reused parser still works afterwards.
  EXPECT_TRUE(IsValidJson("{\"a\":[]}"));
}

TEST(IsValidJsonTest, ConcurrentCallsAreIndependent) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 300; ++i) {
        const bool valid = (i + t) % 2 == 0;
        const std::string text = valid ? NestedObjects(1 + i % 128) : NestedObjects(129 + i % 50);
        if (ValidateAttributes(text, Limits()).ok() != valid) ++failures;
        if (IsValidJson(valid ? "[1,2]" : "[1,2") != valid) ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// ---- JsonDocument -----------------------------------------------------------

TEST(JsonDocumentTest, TwoLiveDocumentsOnOneThread) {
  internal::JsonDocument a;
  ASSERT_EQ(a.Parse(R"({"x":"first"})", 10), internal::JsonError::kOk);
  internal::JsonDocument b;
  ASSERT_EQ(b.Parse(R"({"x":"second"})", 10), internal::JsonError::kOk);
  std::string_view x;
  ASSERT_EQ(a.root()["x"].get(x), simdjson::SUCCESS);
  EXPECT_EQ(x, "first");
  ASSERT_EQ(b.root()["x"].get(x), simdjson::SUCCESS);
  EXPECT_EQ(x, "second");
}

TEST(JsonDocumentTest, ErrorKinds) {
  internal::JsonDocument syntax;
  EXPECT_EQ(syntax.Parse("[1,]", 10), internal::JsonError::kSyntax);
  internal::JsonDocument deep;
  EXPECT_EQ(deep.Parse("[[[1]]]", 2), internal::JsonError::kTooDeep);
  internal::JsonDocument ok;
  EXPECT_EQ(ok.Parse("[[[1]]]", 3), internal::JsonError::kOk);
  EXPECT_STREQ(internal::JsonErrorName(internal::JsonError::kTooDeep), "nested too deeply");
}

TEST(JsonDepthTest, CountsEveryContainer) {
  struct Case {
    const char* text;
    size_t depth;
  } cases[] = {
      {"1", 0},         {"\"s\"", 0},      {"{}", 1},          {"[]", 1},
      {"{\"a\":1}", 1}, {"{\"a\":{}}", 2}, {"[[],[[]],1]", 3}, {"[{\"a\":[{}]}]", 4},
  };
  for (const Case& c : cases) {
    internal::JsonDocument doc;
    ASSERT_EQ(doc.Parse(c.text, 100), internal::JsonError::kOk) << c.text;
    EXPECT_EQ(internal::JsonDepth(doc.root(), 100), c.depth) << c.text;
  }
}

// ---- UTF-8 helpers ----------------------------------------------------------

TEST(Utf8Test, IsValidUtf8) {
  using internal::IsValidUtf8;
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80"));
  EXPECT_TRUE(IsValidUtf8(std::string_view("a\0b", 3)));  // U+0000 is UTF-8
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));           // U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("abc\xE2\x82"));       // truncated at the end
  EXPECT_FALSE(IsValidUtf8("\x80"));
}

TEST(Utf8Test, CountCodePoints) {
  using internal::CountCodePoints;
  EXPECT_EQ(CountCodePoints(""), 0u);
  EXPECT_EQ(CountCodePoints("abc"), 3u);
  EXPECT_EQ(CountCodePoints("\xC3\xA9"), 1u);                  // é
  EXPECT_EQ(CountCodePoints("\xE6\x97\xA5\xE6\x9C\xAC"), 2u);  // 日本
  EXPECT_EQ(CountCodePoints("a\xF0\x9F\x98\x80z"), 3u);        // a😀z
  // 256 two-byte characters: 512 bytes, 256 code points.
  std::string s;
  for (int i = 0; i < 256; ++i) s += "\xC3\xA9";
  EXPECT_EQ(s.size(), 512u);
  EXPECT_EQ(CountCodePoints(s), 256u);
}

}  // namespace
}  // namespace userstore
