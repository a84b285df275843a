#include "json/json_writer.h"

#include <charconv>
#include <cmath>
#include <system_error>

#include "common/utf8.h"

namespace userstore::internal {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// Appends the escape for byte `c` if it needs one and returns true; returns
// false for bytes that are copied as they are.
bool AppendEscape(unsigned char c, std::string* out) {
  switch (c) {
    case '"':
      out->append("\\\"");
      return true;
    case '\\':
      out->append("\\\\");
      return true;
    case '\b':
      out->append("\\b");
      return true;
    case '\f':
      out->append("\\f");
      return true;
    case '\n':
      out->append("\\n");
      return true;
    case '\r':
      out->append("\\r");
      return true;
    case '\t':
      out->append("\\t");
      return true;
    default:
      if (c < 0x20) {
        const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out->append(esc, sizeof(esc));
        return true;
      }
      return false;
  }
}

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  const bool utf8 = IsValidUtf8(text);  // the common case: no sequence checks
  out->reserve(out->size() + text.size() + 2);
  out->push_back('"');
  size_t run_start = 0;  // start of the pending run of bytes copied verbatim
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      if (utf8) {
        ++i;
        continue;
      }
      const Utf8Sequence sequence = NextUtf8Sequence(text.substr(i));
      if (!sequence.valid) {
        // One U+FFFD per maximal subpart of an ill-formed sequence.
        out->append(text.data() + run_start, i - run_start);
        out->append("\\ufffd");
        run_start = i + sequence.length;
      }
      i += sequence.length;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out->append(text.data() + run_start, i - run_start);
    AppendEscape(c, out);
    run_start = ++i;
  }
  out->append(text.data() + run_start, text.size() - run_start);
  out->push_back('"');
}

std::string JsonQuote(std::string_view text) {
  std::string out;
  AppendJsonString(text, &out);
  return out;
}

void JsonWriter::NewlineAndIndent() {
  out_.push_back('\n');
  out_.append(has_members_.size() * static_cast<size_t>(indent_), ' ');
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (has_members_.empty()) return;  // the top-level value
  if (has_members_.back()) out_.push_back(',');
  has_members_.back() = true;
  if (indent_ > 0) NewlineAndIndent();
}

void JsonWriter::Open(char bracket) {
  BeforeValue();
  out_.push_back(bracket);
  has_members_.push_back(false);
}

void JsonWriter::Close(char bracket) {
  const bool had_members = !has_members_.empty() && has_members_.back();
  if (!has_members_.empty()) has_members_.pop_back();
  if (indent_ > 0 && had_members) NewlineAndIndent();
  out_.push_back(bracket);
}

void JsonWriter::BeginObject() { Open('{'); }
void JsonWriter::EndObject() { Close('}'); }
void JsonWriter::BeginArray() { Open('['); }
void JsonWriter::EndArray() { Close(']'); }

void JsonWriter::Key(std::string_view key) {
  BeforeValue();
  AppendJsonString(key, &out_);
  out_.push_back(':');
  if (indent_ > 0) out_.push_back(' ');
  after_key_ = true;
}

void JsonWriter::String(std::string_view value) {
  BeforeValue();
  AppendJsonString(value, &out_);
}

void JsonWriter::Int(int64_t value) {
  BeforeValue();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out_.append(buf, end);
}

void JsonWriter::Uint(uint64_t value) {
  BeforeValue();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out_.append(buf, end);
}

void JsonWriter::Double(double value) {
  BeforeValue();
  if (!std::isfinite(value)) {
    out_.append("null");
    return;
  }
  char buf[40];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  const std::string_view text(buf, static_cast<size_t>(end - buf));
  out_.append(text);
  if (text.find_first_of(".e") == std::string_view::npos) out_.append(".0");
}

void JsonWriter::Bool(bool value) {
  BeforeValue();
  out_.append(value ? "true" : "false");
}

void JsonWriter::Null() {
  BeforeValue();
  out_.append("null");
}

void JsonWriter::OptionalString(const std::optional<std::string>& value) {
  if (value.has_value()) {
    String(*value);
  } else {
    Null();
  }
}

void JsonWriter::OptionalBool(const std::optional<bool>& value) {
  if (value.has_value()) {
    Bool(*value);
  } else {
    Null();
  }
}

std::string JsonWriter::Release() {
  std::string result = std::move(out_);
  out_.clear();
  has_members_.clear();
  after_key_ = false;
  return result;
}

}  // namespace userstore::internal
