#include "json_output.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "simdjson.h"
#include "userstore/json.h"

namespace userstore::cli {
namespace {

void AppendInt(int64_t value, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, end);
}

void AppendUint(uint64_t value, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, end);
}

// The shortest text that reads back as `value`, with ".0" added when it would
// look like an integer. A parsed number is always finite.
void AppendDouble(double value, std::string* out) {
  if (!std::isfinite(value)) {
    out->append("null");
    return;
  }
  char buf[40];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  const std::string_view text(buf, static_cast<size_t>(end - buf));
  out->append(text);
  if (text.find_first_of(".e") == std::string_view::npos) out->append(".0");
}

void AppendScalar(simdjson::dom::element e, std::string* out) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::INT64:
      AppendInt(e.get_int64().value_unsafe(), out);
      break;
    case element_type::UINT64:
      AppendUint(e.get_uint64().value_unsafe(), out);
      break;
    case element_type::DOUBLE:
      AppendDouble(e.get_double().value_unsafe(), out);
      break;
    case element_type::STRING:
      out->append(JsonString(e.get_string().value_unsafe()));
      break;
    case element_type::BOOL:
      out->append(e.get_bool().value_unsafe() ? "true" : "false");
      break;
    case element_type::NULL_VALUE:
    default:
      out->append("null");
      break;
  }
}

void NewlineAndIndent(size_t level, std::string* out) {
  out->push_back('\n');
  out->append(2 * level, ' ');
}

}  // namespace

std::string JsonString(std::string_view text) { return JsonQuote(text); }

std::string PrettyJson(std::string_view json) {
  // simdjson limits the depth of non-empty containers only; one level of
  // slack, and the exact check (every container counts) is the stack below.
  simdjson::dom::parser parser;
  if (parser.allocate(json.size(), kPrettyMaxDepth + 1) != simdjson::SUCCESS) {
    return std::string(json);
  }
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size(), /*realloc_if_needed=*/true).get(root) !=
      simdjson::SUCCESS) {
    return std::string(json);
  }
  struct Frame {
    bool is_object;
    bool has_members;
    simdjson::dom::array::iterator array_it, array_end;
    simdjson::dom::object::iterator object_it, object_end;
  };
  std::vector<Frame> stack;
  std::string out;
  // Writes `e`: a scalar at once, a container opened and pushed. False when
  // that container is one level too deep.
  auto write_value = [&](simdjson::dom::element e) {
    simdjson::dom::array array;
    simdjson::dom::object object;
    Frame f{};
    if (e.get(array) == simdjson::SUCCESS) {
      out.push_back('[');
      f.array_it = array.begin();
      f.array_end = array.end();
    } else if (e.get(object) == simdjson::SUCCESS) {
      out.push_back('{');
      f.is_object = true;
      f.object_it = object.begin();
      f.object_end = object.end();
    } else {
      AppendScalar(e, &out);
      return true;
    }
    stack.push_back(f);
    return stack.size() <= kPrettyMaxDepth;
  };
  if (!write_value(root)) return std::string(json);
  while (!stack.empty()) {
    Frame& top = stack.back();
    const bool at_end =
        top.is_object ? top.object_it == top.object_end : top.array_it == top.array_end;
    if (at_end) {
      const bool had_members = top.has_members;
      const char close = top.is_object ? '}' : ']';
      stack.pop_back();
      if (had_members) NewlineAndIndent(stack.size(), &out);
      out.push_back(close);
      continue;
    }
    if (top.has_members) out.push_back(',');
    top.has_members = true;
    NewlineAndIndent(stack.size(), &out);
    simdjson::dom::element value;
    if (top.is_object) {
      const simdjson::dom::key_value_pair field = *top.object_it;
      ++top.object_it;
      out.append(JsonString(field.key));
      out.append(": ");
      value = field.value;
    } else {
      value = *top.array_it;
      ++top.array_it;
    }
    if (!write_value(value)) return std::string(json);  // `top` may dangle now
  }
  return out;
}

}  // namespace userstore::cli
