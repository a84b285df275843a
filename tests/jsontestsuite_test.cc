// JSONTestSuite (https://github.com/nst/JSONTestSuite, test_parsing/) against
// IsValidJson and ValidateAttributes.
//
// Runs when USERSTORE_JSONTESTSUITE_DIR names the test_parsing folder (e.g.
// ../shared/conformance/JSONTestSuite/test_parsing); skipped otherwise.
// y_ files must be accepted, n_ files rejected; the implementation-defined i_
// files must get the verdicts in kImplementationDefined, which is the table
// in docs/json.md.
#include <simdjson.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "json/json_dom.h"
#include "userstore/attributes.h"
#include "userstore/error.h"
#include "userstore/options.h"

namespace userstore {
namespace {

using internal::IsValidJson;

// The i_ verdicts (true: accepted), as measured with simdjson 3.0.1 and
// documented in docs/json.md.
const std::map<std::string, bool>& ImplementationDefined() {
  static const auto* table = new std::map<std::string, bool>{
      {"i_number_double_huge_neg_exp.json", true},
      {"i_number_huge_exp.json", false},
      {"i_number_neg_int_huge_exp.json", false},
      {"i_number_pos_double_huge_exp.json", false},
      {"i_number_real_neg_overflow.json", false},
      {"i_number_real_pos_overflow.json", false},
      {"i_number_real_underflow.json", true},
      {"i_number_too_big_neg_int.json", false},
      {"i_number_too_big_pos_int.json", false},
      {"i_number_very_big_negative_int.json", false},
      {"i_object_key_lone_2nd_surrogate.json", false},
      {"i_string_1st_surrogate_but_2nd_missing.json", false},
      {"i_string_1st_valid_surrogate_2nd_invalid.json", false},
      {"i_string_UTF-16LE_with_BOM.json", false},
      {"i_string_UTF-8_invalid_sequence.json", false},
      {"i_string_UTF8_surrogate_U+D800.json", false},
      {"i_string_incomplete_surrogate_and_escape_valid.json", false},
      {"i_string_incomplete_surrogate_pair.json", false},
      {"i_string_incomplete_surrogates_escape_valid.json", false},
      {"i_string_invalid_lonely_surrogate.json", false},
      {"i_string_invalid_surrogate.json", false},
      {"i_string_invalid_utf-8.json", false},
      {"i_string_inverted_surrogates_U+1D11E.json", false},
      {"i_string_iso_latin_1.json", false},
      {"i_string_lone_second_surrogate.json", false},
      {"i_string_lone_utf8_continuation_byte.json", false},
      {"i_string_not_in_unicode_range.json", false},
      {"i_string_overlong_sequence_2_bytes.json", false},
      {"i_string_overlong_sequence_6_bytes.json", false},
      {"i_string_overlong_sequence_6_bytes_null.json", false},
      {"i_string_truncated-utf-8.json", false},
      {"i_string_utf16BE_no_BOM.json", false},
      {"i_string_utf16LE_no_BOM.json", false},
      {"i_structure_500_nested_arrays.json", true},
      {"i_structure_UTF-8_BOM_empty_object.json", false},
  };
  return *table;
}

struct SuiteFile {
  std::string name;
  std::string bytes;
};

// Every file of the suite, sorted by name, read as raw bytes.
std::vector<SuiteFile> ReadSuite(const std::filesystem::path& dir) {
  std::vector<SuiteFile> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    files.push_back(
        {entry.path().filename().string(), std::string(std::istreambuf_iterator<char>(in), {})});
  }
  std::sort(files.begin(), files.end(),
            [](const SuiteFile& a, const SuiteFile& b) { return a.name < b.name; });
  return files;
}

class JsonTestSuiteTest : public testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("USERSTORE_JSONTESTSUITE_DIR");
    if (dir == nullptr || *dir == '\0') {
      GTEST_SKIP() << "USERSTORE_JSONTESTSUITE_DIR is not set";
    }
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
    files_ = ReadSuite(dir);
    ASSERT_EQ(files_.size(), 318u);
  }

  std::vector<SuiteFile> files_;
};

TEST_F(JsonTestSuiteTest, IsValidJsonVerdicts) {
  int y_accepted = 0, n_rejected = 0, i_as_documented = 0, i_accepted = 0;
  for (const SuiteFile& f : files_) {
    const bool accepted = IsValidJson(f.bytes);
    switch (f.name[0]) {
      case 'y':
        EXPECT_TRUE(accepted) << f.name;
        y_accepted += accepted;
        break;
      case 'n':
        EXPECT_FALSE(accepted) << f.name;
        n_rejected += !accepted;
        break;
      case 'i': {
        auto it = ImplementationDefined().find(f.name);
        ASSERT_NE(it, ImplementationDefined().end()) << f.name;
        EXPECT_EQ(accepted, it->second) << f.name;
        i_as_documented += accepted == it->second;
        i_accepted += accepted;
        break;
      }
      default:
        ADD_FAILURE() << "unexpected file " << f.name;
    }
  }
  EXPECT_EQ(y_accepted, 95);
  EXPECT_EQ(n_rejected, 188);
  EXPECT_EQ(i_as_documented, 35);
  EXPECT_EQ(i_accepted, 3);
}

// Each file as an attributes text: accepted exactly when it is accepted JSON
// whose top level is an object; otherwise 50304, or 50303 when too long.
TEST_F(JsonTestSuiteTest, ValidateAttributesVerdicts) {
  const Limits limits;
  simdjson::dom::parser reference;  // to learn the top-level type
  int accepted_objects = 0, too_long = 0, invalid = 0;
  for (const SuiteFile& f : files_) {
    bool valid_json = f.name[0] == 'y';
    if (f.name[0] == 'i') valid_json = ImplementationDefined().at(f.name);
    bool is_object = false;
    if (valid_json) {
      simdjson::dom::element root;
      ASSERT_EQ(reference.parse(f.bytes).get(root), simdjson::SUCCESS) << f.name;
      is_object = root.type() == simdjson::dom::element_type::OBJECT;
    }
    const int code = TwilioCode(ValidateAttributes(f.bytes, limits));
    if (f.bytes.size() > limits.max_attributes_bytes) {
      EXPECT_EQ(code, 50303) << f.name;
      ++too_long;
    } else if (valid_json && is_object) {
      EXPECT_EQ(code, 0) << f.name;
      ++accepted_objects;
    } else {
      EXPECT_EQ(code, 50304) << f.name;
      ++invalid;
    }
  }
  // Measured: 12 y_ files (y_object*.json) have an object at the top; two
  // files are over 16,384 bytes (n_structure_100000_opening_arrays.json,
  // n_structure_open_array_object.json). No i_ file accepted is an object.
  EXPECT_EQ(accepted_objects, 12);
  EXPECT_EQ(too_long, 2);
  EXPECT_EQ(invalid, 318 - 12 - 2);
}

// Every y_ value, whatever its type, is accepted as a member of an object.
TEST_F(JsonTestSuiteTest, EveryValidValueIsAcceptedInsideAnObject) {
  int accepted = 0;
  for (const SuiteFile& f : files_) {
    if (f.name[0] != 'y') continue;
    const std::string wrapped = "{\"v\":" + f.bytes + "}";
    const absl::Status s = ValidateAttributes(wrapped, Limits());
    EXPECT_TRUE(s.ok()) << f.name << ": " << s;
    accepted += s.ok();
  }
  EXPECT_EQ(accepted, 95);
}

}  // namespace
}  // namespace userstore
