// Tests of ApplyMergePatch (src/json/merge_patch.h): RFC 7396's examples, the
// bytes kept verbatim, duplicate keys, errors and limits. Every expectation
// is the exact output text.
#include "json/merge_patch.h"

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "userstore/error.h"
#include "userstore/options.h"

namespace userstore {
namespace {

using internal::ApplyMergePatch;

// The result text, or "error <http>/<twilio code>: <message>".
std::string Merge(std::string_view target, std::string_view patch,
                  const Limits& limits = Limits()) {
  std::string out = "stale";
  const absl::Status status = ApplyMergePatch(target, patch, limits, &out);
  if (status.ok()) return out;
  EXPECT_EQ(out, "") << "output left behind on error";
  return "error " + std::to_string(HttpStatus(status)) + "/" + std::to_string(TwilioCode(status)) +
         ": " + std::string(status.message());
}

struct Case {
  const char* target;
  const char* patch;
  const char* result;
};

// RFC 7396 Appendix A, all 15 rows, in order. The RFC lays some out over
// several lines; they are written compactly here (whitespace: below).
constexpr Case kAppendixA[] = {
    {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
    {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
    {R"({"a":"b"})", R"({"a":null})", R"({})"},
    {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
    {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
    {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
    {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
    {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
    {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
    {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
    {R"({"a":"foo"})", R"(null)", R"(null)"},
    {R"({"a":"foo"})", R"("bar")", R"("bar")"},
    {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
    {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
    {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
};

TEST(MergePatchTest, Rfc7396AppendixA) {
  int row = 0;
  for (const Case& c : kAppendixA) {
    ++row;
    EXPECT_EQ(Merge(c.target, c.patch), c.result)
        << "Appendix A row " << row << ": " << c.target << " + " << c.patch;
  }
}

// Appendix A rows as the RFC lays them out, over several lines.
TEST(MergePatchTest, Rfc7396AppendixAWithTheRfcLayout) {
  EXPECT_EQ(Merge("{\"a\": {\n  \"b\": \"c\"}\n}", "{\"a\": {\n  \"b\": \"d\",\n  \"c\": null}\n}"),
            R"({"a":{"b":"d"}})");
  EXPECT_EQ(Merge("{\"a\": [\n  {\"b\":\"c\"}\n ]\n}", R"({"a": [1]})"), R"({"a":[1]})");
  EXPECT_EQ(Merge("[1,2]", "{\"a\":\"b\",\n \"c\":null}"), R"({"a":"b"})");
  EXPECT_EQ(Merge("{}", "{\"a\":\n {\"bb\":\n  {\"ccc\":\n   null}}}"), R"({"a":{"bb":{}}})");
}

// The examples of RFC 7396 §1 and §3, laid out as in the RFC: untouched values
// keep their bytes, what the patch brings is copied as written (the array).
TEST(MergePatchTest, Rfc7396Sections1And3) {
  EXPECT_EQ(Merge(R"({
     "a": "b",
     "c": {
       "d": "e",
       "f": "g"
     }
   })",
                  R"({
     "a":"z",
     "c": {
       "f": null
     }
   })"),
            R"({"a":"z","c":{"d":"e"}})");
  EXPECT_EQ(Merge(R"({
     "title": "Goodbye!",
     "author" : {
       "givenName" : "John",
       "familyName" : "Doe"
     },
     "tags":[ "example", "sample" ],
     "content": "This will be unchanged"
   })",
                  R"({
     "title": "Hello!",
     "phoneNumber": "+01-123-456-7890",
     "author": {
       "familyName": null
     },
     "tags": [ "example" ]
   })"),
            R"({"title":"Hello!","author":{"givenName":"John"},"tags":[ "example" ],)"
            R"("content":"This will be unchanged","phoneNumber":"+01-123-456-7890"})");
}

// ---- bytes kept ------------------------------------------------------------

TEST(MergePatchTest, UntouchedNumbersAndStringsKeepTheirBytes) {
  const std::string target =
      R"({"big":12345678901234567890123,"one":1.0,"exp":1E+2,"neg":-0,"huge":1e400,)"
      R"("s":"\u00e9\/\"\ud834\udd1e","t":true})";
  EXPECT_EQ(Merge(target, R"({"x":1})"), target.substr(0, target.size() - 1) + R"(,"x":1})");
  EXPECT_EQ(Merge(target, R"({"t":null})"),
            R"({"big":12345678901234567890123,"one":1.0,"exp":1E+2,"neg":-0,"huge":1e400,)"
            R"("s":"\u00e9\/\"\ud834\udd1e"})");
}

TEST(MergePatchTest, PatchValuesAreCopiedAsWritten) {
  EXPECT_EQ(Merge(R"({"a":1})", R"({"a":1.0,"b":1E+2,"c":"\u0041\/","d":[1.50, {"e":null}]})"),
            R"({"a":1.0,"b":1E+2,"c":"\u0041\/","d":[1.50, {"e":null}]})");
}

TEST(MergePatchTest, KeysAreComparedUnescapedAndWrittenAsWritten) {
  // The target's spelling of a key it has is kept; the patch's for a new key.
  EXPECT_EQ(Merge(R"({"\u0061":1,"b":2})", R"({"a":3})"), R"({"\u0061":3,"b":2})");
  EXPECT_EQ(Merge(R"({"a":1,"b":2})", R"({"\u0061":null})"), R"({"b":2})");
  EXPECT_EQ(Merge(R"({"a":1})", R"({"\u0062":2})"), R"({"a":1,"\u0062":2})");
  EXPECT_EQ(Merge(R"({"é":1})", R"({"\u00e9":2,"\u00E9x":3})"), R"({"é":2,"\u00E9x":3})");
  EXPECT_EQ(Merge(R"({"a\"b":1,"a\\b":2})", R"({"a\u0022b":null,"a\u005cb":3})"), R"({"a\\b":3})");
  // Keys that differ only after unescaping stay apart.
  EXPECT_EQ(Merge(R"({"\u0061b":1})", R"({"ab ":2})"), R"({"\u0061b":1,"ab ":2})");
}

TEST(MergePatchTest, TargetOrderKeptAndNewKeysAppendedInPatchOrder) {
  EXPECT_EQ(Merge(R"({"z":1,"a":2,"m":3})", R"({"m":30,"b":4,"a":20,"c":5,"y":null})"),
            R"({"z":1,"a":20,"m":30,"b":4,"c":5})");
}

TEST(MergePatchTest, NestedMerges) {
  EXPECT_EQ(Merge(R"({"a":{"b":{"c":1,"d":2},"e":3},"f":4})",
                  R"({"a":{"b":{"c":null,"g":{"h":null,"i":1}},"e":{"j":null}}})"),
            R"({"a":{"b":{"d":2,"g":{"i":1}},"e":{}},"f":4})");
  // A patch object replacing a non-object value loses its nulls at every level.
  EXPECT_EQ(Merge(R"({"a":[1]})", R"({"a":{"b":null,"c":{"d":null},"e":[null]}})"),
            R"({"a":{"c":{},"e":[null]}})");
  // Deep on both sides (128 levels, the limit): the merge keeps an explicit stack.
  std::string target, patch, expected;
  for (int i = 0; i < 127; ++i) {
    target += R"({"k":1,"n":)";
    patch += R"({"n":)";
    expected += R"({"k":1,"n":)";
  }
  target += R"({"k":1,"n":0})" + std::string(127, '}');
  patch += R"({"x":true})" + std::string(127, '}');
  expected += R"({"k":1,"n":0,"x":true})" + std::string(127, '}');
  Limits limits;
  limits.max_attributes_bytes = 1 << 20;
  EXPECT_EQ(Merge(target, patch, limits), expected);
}

TEST(MergePatchTest, WhitespaceInTheTarget) {
  // Between members and around ':' of the objects written: dropped. Inside
  // values copied as written: kept.
  EXPECT_EQ(
      Merge(" \t{ \"a\" : { \"x\" : [ 1 , 2 ] , \"y\" : 1.50 } ,\n \"b\" : { \"k\" : 1 } }\r\n",
            R"({"a":{"y":2}})"),
      R"({"a":{"x":[ 1 , 2 ],"y":2},"b":{ "k" : 1 }})");
  EXPECT_EQ(Merge(" { \"a\" : 1 } ", "{}"), R"({"a":1})");
}

TEST(MergePatchTest, WhitespaceInThePatch) {
  EXPECT_EQ(Merge("{}", " { \"a\" : [ 1 , 2 ] ,\n \"b\" : { \"c\" : null , \"d\" : 1 } } "),
            R"({"a":[ 1 , 2 ],"b":{"d":1}})");
  EXPECT_EQ(Merge(R"({"a":1})", "\n [ 1 , {\"b\": null} ] \t"), R"([ 1 , {"b": null} ])");
  EXPECT_EQ(Merge(R"({"a":1})", " \"x\" "), R"("x")");
}

TEST(MergePatchTest, EmptyTargetCountsAsEmptyObject) {
  EXPECT_EQ(Merge("", R"({"a":1,"b":null,"c":{"d":null}})"), R"({"a":1,"c":{}})");
  EXPECT_EQ(Merge("", "{}"), "{}");
  EXPECT_EQ(Merge("", R"({"a":null})"), "{}");
  EXPECT_EQ(Merge("", "[1]"), "[1]");
}

TEST(MergePatchTest, AnyTargetType) {
  EXPECT_EQ(Merge("true", R"({"a":1})"), R"({"a":1})");
  EXPECT_EQ(Merge(R"("s")", R"({"a":null})"), "{}");
  EXPECT_EQ(Merge("null", "2"), "2");
  EXPECT_EQ(Merge("[{\"a\":1}]", R"({"a":2})"), R"({"a":2})");
}

// ---- duplicate keys --------------------------------------------------------

TEST(MergePatchTest, TargetDuplicatesEachGetThePatch) {
  EXPECT_EQ(Merge(R"({"a":{"x":1},"b":0,"a":{"y":2}})", R"({"a":{"z":3}})"),
            R"({"a":{"x":1,"z":3},"b":0,"a":{"y":2,"z":3}})");
  EXPECT_EQ(Merge(R"({"a":1,"b":2,"\u0061":3})", R"({"a":null})"), R"({"b":2})");
  EXPECT_EQ(Merge(R"({"a":1,"b":2,"a":3})", R"({"a":4})"), R"({"a":4,"b":2,"a":4})");
  EXPECT_EQ(Merge(R"({"a":1,"a":2})", R"({"b":3})"), R"({"a":1,"a":2,"b":3})");
}

TEST(MergePatchTest, PatchDuplicatesLastWinsAtFirstPosition) {
  EXPECT_EQ(Merge("{}", R"({"a":1,"b":2,"a":3})"), R"({"a":3,"b":2})");
  EXPECT_EQ(Merge(R"({"a":0,"c":0})", R"({"a":1,"b":2,"a":null})"), R"({"c":0,"b":2})");
  EXPECT_EQ(Merge(R"({"a":{"w":0}})", R"({"a":{"x":1},"a":{"y":2}})"), R"({"a":{"w":0,"y":2}})");
  EXPECT_EQ(Merge(R"({"a":{"w":0}})", R"({"a":null,"\u0061":{"y":2}})"), R"({"a":{"w":0,"y":2}})");
  EXPECT_EQ(Merge("{}", R"({"a":{"x":1},"b":1,"a":[2]})"), R"({"a":[2],"b":1})");
}

// ---- errors and limits -----------------------------------------------------

TEST(MergePatchTest, InvalidPatchIs50304) {
  const std::string error =
      "error 400/50304: Attributes merge patch is not valid JSON (RFC 8259, UTF-8)";
  for (const char* patch : {"", " ", "{", R"({"a":})", R"({"a":1}x)", R"({'a':1})", "nul",
                            R"({"a":"\ud800"})", "{\"a\":\"\xff\"}", "\xef\xbb\xbf{}", "[1,]"}) {
    EXPECT_EQ(Merge(R"({"a":1})", patch), error) << patch;
  }
  std::string out;
  EXPECT_EQ(ApplyMergePatch("{}", "{", Limits(), &out).code(), absl::StatusCode::kInvalidArgument);
}

TEST(MergePatchTest, PatchNumbersBeyondRangeAre50304) {
  EXPECT_EQ(Merge("{}", R"({"a":12345678901234567890123})"),
            "error 400/50304: Attributes merge patch is valid JSON, but a number in it is beyond "
            "the supported range (integers must fit in 64 bits, other numbers in a double)");
  EXPECT_EQ(Merge("{}", "1e400").substr(0, 16), "error 400/50304:");
}

TEST(MergePatchTest, PatchDepthIsLimitedAsAttributes) {
  std::string deep128, deep129;
  for (int i = 0; i < 128; ++i) deep128 += R"({"a":)";
  deep129 = R"({"a":)" + deep128;
  deep128 += "1" + std::string(128, '}');
  deep129 += "1" + std::string(129, '}');
  Limits limits;
  limits.max_attributes_bytes = 1 << 20;
  EXPECT_EQ(Merge("", deep128, limits), deep128);
  EXPECT_EQ(Merge("", deep129, limits),
            "error 400/50304: Attributes merge patch is nested deeper than 128 levels");
  limits.max_attributes_depth = 2;
  EXPECT_EQ(Merge("", R"({"a":[]})", limits), R"({"a":[]})");
  EXPECT_EQ(Merge("", R"({"a":[[]]})", limits),
            "error 400/50304: Attributes merge patch is nested deeper than 2 levels");
}

TEST(MergePatchTest, ResultLongerThanTheLimitIs50303) {
  Limits limits;
  limits.max_attributes_bytes = 16;
  EXPECT_EQ(Merge(R"({"a":1})", R"({"b":"xx"})", limits), R"({"a":1,"b":"xx"})");  // 16 bytes
  EXPECT_EQ(Merge(R"({"a":1})", R"({"b":"xxx"})", limits),
            "error 400/50303: Attributes must be at most 16 bytes long (the merge patch makes "
            "them longer)");
  EXPECT_EQ(Merge("{}", R"("xxxxxxxxxxxxxxxxxxx")", limits).substr(0, 16), "error 400/50303:");
  EXPECT_EQ(Merge("", R"({"b":{"c":{"d":"xxxxxxxxxx"}}})", limits).substr(0, 16),
            "error 400/50303:");
}

TEST(MergePatchTest, RepeatedTargetKeysCannotBlowUpTheOutput) {
  std::string target = "{";
  for (int i = 0; i < 2000; ++i) target += R"("a":0,)";
  target.back() = '}';
  const std::string patch = R"({"a":")" + std::string(8000, 'x') + R"("})";
  // 2000 copies of an 8 KB value would be 16 MB; the merge stops at 16 KiB.
  EXPECT_EQ(Merge(target, patch).substr(0, 16), "error 400/50303:");
  Limits limits;
  limits.max_attributes_bytes = 100 << 20;
  EXPECT_EQ(Merge(target, patch, limits).size(), 2 + 2000 * (4 + 8002) + 1999);
}

TEST(MergePatchTest, UntouchedDeepTargetValueIsCopied) {
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_EQ(Merge(R"({"d":)" + deep + "}", R"({"e":1})"), R"({"d":)" + deep + R"(,"e":1})");
}

TEST(MergePatchTest, MalformedTargetIs500) {
  // The Store passes validated text; a corrupt one is reported, not merged.
  for (const char* target : {"{", R"({"a":1 "b":2})", R"({"a")", R"({"a":tru})", R"({"a":1}})",
                             R"({"b":{"a":1})", "{\"a\":\"\xff\"}", " ", "\xef\xbb\xbf{}"}) {
    std::string out = "stale";
    for (const char* patch : {R"({"a":2})", "[]"}) {
      const absl::Status status = ApplyMergePatch(target, patch, Limits(), &out);
      EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << target;
      EXPECT_EQ(TwilioCode(status), twilio_code::kInternal) << target;
      EXPECT_EQ(HttpStatus(status), 500) << target;
      EXPECT_EQ(status.message(), "The stored Attributes are not valid JSON");
      EXPECT_EQ(out, "");
    }
  }
  // A bad patch is the client's error, reported first.
  EXPECT_EQ(Merge("{", "{").substr(0, 16), "error 400/50304:");
}

}  // namespace
}  // namespace userstore
