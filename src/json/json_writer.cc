#include "json/json_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

#include "json/render.h"

namespace userstore::internal {

namespace {

// The input AppendJsonString escapes per reservation: bounds the room
// reserved ahead (6 bytes per input byte at worst).
constexpr size_t kChunkBytes = 4096;

// The length of the next chunk of `text`: kChunkBytes or less, never ending
// inside a UTF-8 sequence or an ill-formed subpart (Unicode 15 §3.9), so
// chunks escape exactly as the whole text would. A chunk ends before a byte
// that is not a continuation byte (80..BF), found among the last four; when
// all four are continuation bytes the last of them is a subpart of its own.
size_t ChunkLength(std::string_view text) {
  if (text.size() <= kChunkBytes) return text.size();
  for (size_t n = kChunkBytes; n > kChunkBytes - 4; --n) {
    if ((static_cast<unsigned char>(text[n]) & 0xC0) != 0x80) return n;
  }
  return kChunkBytes;
}

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  JsonBuf buf(out);
  char* p = buf.Reserve(JsonStringBound(std::min(text.size(), kChunkBytes)));
  *p++ = '"';
  for (;;) {
    const size_t n = ChunkLength(text);
    p = WriteJsonChars(text.substr(0, n), Utf8::kUnchecked, p);
    text.remove_prefix(n);
    if (text.empty()) break;
    buf.Commit(p);
    p = buf.Reserve(JsonStringBound(std::min(text.size(), kChunkBytes)));
  }
  *p++ = '"';
  buf.Commit(p);
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

void JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_.append(json);
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
