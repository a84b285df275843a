// Structural comparison of two JSON documents for the fixture tests
// (tests/twilio_*fixtures_test.cc): our rendering against Twilio's example.
// Header-only; GoogleTest assertions. Thread-compatible.
#ifndef USERSTORE_TESTS_SUPPORT_JSON_COMPARE_H_
#define USERSTORE_TESTS_SUPPORT_JSON_COMPARE_H_

#include <simdjson.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace userstore::testing {

// A JSON type's name, numbers of every kind as "number".
inline const char* JsonTypeName(simdjson::dom::element_type t) {
  using simdjson::dom::element_type;
  switch (t) {
    case element_type::ARRAY:
      return "array";
    case element_type::OBJECT:
      return "object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "number";
    case element_type::STRING:
      return "string";
    case element_type::BOOL:
      return "bool";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "?";
}

// Equal scalars of one type. The fixtures and our output hold only small
// non-negative integers, so numbers compare as int64.
inline bool SameJsonScalar(simdjson::dom::element a, simdjson::dom::element b) {
  using simdjson::dom::element_type;
  switch (a.type()) {
    case element_type::STRING:
      return a.get_string().value_unsafe() == b.get_string().value_unsafe();
    case element_type::BOOL:
      return a.get_bool().value_unsafe() == b.get_bool().value_unsafe();
    case element_type::NULL_VALUE:
      return true;
    default:
      return a.get_int64().value_unsafe() == b.get_int64().value_unsafe();
  }
}

// What ExpectSameJson saw, so a test can assert the walk really ran.
struct JsonCompareStats {
  int keys = 0;                   // object keys compared, at every depth
  int attribute_differences = 0;  // tolerated null attributes (see below)
};

// Expects `actual` to match `expected`: the same keys in the same order,
// values of the same JSON type, equal scalars. `path` names the value in
// failure messages (e.g. ".users[0].links"). With
// `null_attributes_may_be_text`, an expected null at a path ending in
// ".attributes" matches any string (Twilio's Chat fixtures hold null where
// userstore renders "{}"), and is counted in attribute_differences.
inline void ExpectSameJson(simdjson::dom::element expected, simdjson::dom::element actual,
                           const std::string& path, JsonCompareStats* stats,
                           bool null_attributes_may_be_text = false) {
  using simdjson::dom::element_type;
  const bool is_attributes =
      path.size() >= 11 && path.compare(path.size() - 11, 11, ".attributes") == 0;
  if (null_attributes_may_be_text && is_attributes && expected.type() == element_type::NULL_VALUE) {
    EXPECT_EQ(actual.type(), element_type::STRING) << path;
    ++stats->attribute_differences;
    return;
  }
  ASSERT_STREQ(JsonTypeName(actual.type()), JsonTypeName(expected.type())) << path;
  if (expected.type() == element_type::OBJECT) {
    std::vector<std::pair<std::string_view, simdjson::dom::element>> e, a;
    simdjson::dom::object expected_object, actual_object;
    ASSERT_EQ(expected.get(expected_object), simdjson::SUCCESS);
    ASSERT_EQ(actual.get(actual_object), simdjson::SUCCESS);
    for (auto field : expected_object) e.emplace_back(field.key, field.value);
    for (auto field : actual_object) a.emplace_back(field.key, field.value);
    ASSERT_EQ(a.size(), e.size()) << path;
    for (size_t i = 0; i < e.size(); ++i) {
      ASSERT_EQ(a[i].first, e[i].first) << path << " key #" << i;
      ++stats->keys;
      ExpectSameJson(e[i].second, a[i].second, path + "." + std::string(e[i].first), stats,
                     null_attributes_may_be_text);
    }
  } else if (expected.type() == element_type::ARRAY) {
    std::vector<simdjson::dom::element> e, a;
    simdjson::dom::array expected_array, actual_array;
    ASSERT_EQ(expected.get(expected_array), simdjson::SUCCESS);
    ASSERT_EQ(actual.get(actual_array), simdjson::SUCCESS);
    for (auto v : expected_array) e.push_back(v);
    for (auto v : actual_array) a.push_back(v);
    ASSERT_EQ(a.size(), e.size()) << path;
    for (size_t i = 0; i < e.size(); ++i) {
      ExpectSameJson(e[i], a[i], path + "[" + std::to_string(i) + "]", stats,
                     null_attributes_may_be_text);
    }
  } else {
    EXPECT_TRUE(SameJsonScalar(expected, actual))
        << path << ": expected " << expected << ", got " << actual;
  }
}

}  // namespace userstore::testing

#endif  // USERSTORE_TESTS_SUPPORT_JSON_COMPARE_H_
