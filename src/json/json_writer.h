// JsonWriter: a small streaming writer of JSON text (RFC 8259).
//
// The writer appends tokens to a std::string and inserts the separators:
// commas between members, ':' after keys and, in pretty mode, newlines and
// indentation. Keys come out in the order they are written, which is how the
// renderers in json.h produce Twilio's key order. Strings are escaped per RFC
// 8259 §7 (see AppendJsonString). The writer does not check that calls are
// balanced; callers write well-formed sequences (Key before each object value,
// End* matching Begin*). Thread-compatible: one writer per thread.
#ifndef USERSTORE_SRC_JSON_JSON_WRITER_H_
#define USERSTORE_SRC_JSON_JSON_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace userstore::internal {

// Appends `text` to `*out` as a JSON string literal, quotes included:
// '"' -> \", '\' -> \\, the control characters U+0000..U+001F as \b \f \n \r
// \t or \u00XX; every other byte is copied as is (so UTF-8 text, including
// U+007F, U+2028 and U+2029, stays byte-for-byte). If `text` is not valid
// UTF-8 (e.g. an unvalidated key echoed in an error message), each maximal
// subpart of an ill-formed sequence is written as \ufffd (Unicode 15 §3.9;
// NextUtf8Sequence in common/utf8.h) and every well-formed sequence is still
// copied as is, so the output is always valid JSON and keeps the valid text.
// Complexity: O(|text|).
void AppendJsonString(std::string_view text, std::string* out);

// The JSON string literal for `text` (AppendJsonString into a new string).
std::string JsonQuote(std::string_view text);

class JsonWriter {
 public:
  // `indent` 0: compact output, no whitespace at all. `indent` n > 0: each
  // member / element on its own line indented n spaces per level, "key": value
  // with one space after the colon; empty objects and arrays stay "{}" / "[]".
  explicit JsonWriter(int indent = 0) : indent_(indent) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // The key of the next object member.
  void Key(std::string_view key);

  void String(std::string_view value);
  void Int(int64_t value);
  void Uint(uint64_t value);
  // The shortest text that reads back as `value` (std::to_chars), with ".0"
  // added when that text would look like an integer. REQUIRES: finite value
  // (JSON has no NaN or infinity; null is written for them).
  void Double(double value);
  void Bool(bool value);
  void Null();
  // A value already rendered as JSON (e.g. a UserJson body), copied as is.
  // REQUIRES: `json` is one valid compact JSON text.
  void Raw(std::string_view json);
  // A string, or null when `value` is nullopt.
  void OptionalString(const std::optional<std::string>& value);
  // A bool, or null when `value` is nullopt.
  void OptionalBool(const std::optional<bool>& value);

  // Shorthands for Key(key) followed by the value.
  void Member(std::string_view key, std::string_view value) {
    Key(key);
    String(value);
  }
  void MemberInt(std::string_view key, int64_t value) {
    Key(key);
    Int(value);
  }

  // The text written so far (complete once every Begin* has its End*).
  const std::string& text() const { return out_; }
  // Moves the text out; the writer is then empty.
  std::string Release();

 private:
  // Writes the separator (comma, newline, indentation) before a value, unless
  // the value follows a key.
  void BeforeValue();
  void Open(char bracket);
  void Close(char bracket);
  void NewlineAndIndent();

  const int indent_;
  std::string out_;
  // One entry per open container: whether it already holds a member.
  std::vector<bool> has_members_;
  bool after_key_ = false;
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_JSON_JSON_WRITER_H_
