// Fuzz target: attributes validation (include/userstore/attributes.h).
//
// Input: the attributes text, any bytes. Properties:
//   - ValidateAttributes never crashes and its verdict (code and message) is
//     the same on a second call (thread-local parser reuse must not leak
//     state between calls);
//   - the verdict matches an independent oracle: a separate simdjson parser
//     with a depth limit far above any input decides syntax, a string-aware
//     bracket count gives the depth, and the rule of attributes.h (size, then
//     syntax, depth, object) gives the expected code; checked with the default
//     Limits and with tight ones (64 bytes, depth 3) so both bounds are hit;
//   - IsValidJson agrees with the oracle;
//   - PrettyJson (tools/json_output.h) returns an invalid or too deep (> 1024) text
//     unchanged, and re-indents a valid one into JSON with the same minified
//     form;
//   - an accepted text is stored by Store::CreateUser, read back by FetchUser
//     and rendered by UserJson byte-for-byte; a rejected one makes CreateUser
//     fail with the same code and leaves the Service empty.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "json/json_dom.h"
#include "tools/json_output.h"
#include "userstore/attributes.h"
#include "userstore/error.h"
#include "userstore/json.h"
#include "userstore/store.h"

namespace userstore::fuzz {
namespace {

using cli::PrettyJson;
using internal::IsValidJson;

constexpr char kService[] = "IS00000000000000000000000000000001";

// Syntax oracle: one parser for the whole run, deep enough for any input
// (n bytes nest at most n / 2 containers).
struct Oracle {
  static constexpr size_t kCapacity = 1 << 20;
  simdjson::dom::parser parser;
  Oracle() {
    FUZZ_CHECK(parser.allocate(kCapacity, kCapacity / 2 + 2) == simdjson::SUCCESS,
               "oracle allocation failed");
  }
};

// Nesting depth of a VALID JSON text: '[' and '{' outside strings.
size_t BracketDepth(std::string_view text) {
  size_t depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

struct Facts {
  bool valid_json = false;
  bool is_object = false;
  size_t depth = 0;
};

Oracle* oracle() {
  static Oracle* o = new Oracle;
  return o;
}

Facts Examine(std::string_view text) {
  Facts facts;
  if (text.size() > Oracle::kCapacity) return facts;  // never: inputs are small
  simdjson::dom::element root;
  const simdjson::error_code error =
      oracle()->parser.parse(text.data(), text.size(), true).get(root);
  FUZZ_CHECK(
      error != simdjson::DEPTH_ERROR && error != simdjson::CAPACITY && error != simdjson::MEMALLOC,
      "oracle limits hit: %s", simdjson::error_message(error));
  if (error != simdjson::SUCCESS) return facts;
  facts.valid_json = true;
  facts.is_object = root.type() == simdjson::dom::element_type::OBJECT;
  facts.depth = BracketDepth(text);
  return facts;
}

// The Twilio code attributes.h prescribes (0: accepted).
int ExpectedCode(std::string_view text, const Facts& facts, const Limits& limits) {
  if (text.size() > limits.max_attributes_bytes) return twilio_code::kAttributesTooLong;
  if (!facts.valid_json || facts.depth > limits.max_attributes_depth || !facts.is_object) {
    return twilio_code::kAttributesInvalid;
  }
  return 0;
}

void CheckVerdict(std::string_view text, const Facts& facts, const Limits& limits) {
  const absl::Status first = ValidateAttributes(text, limits);
  const absl::Status second = ValidateAttributes(text, limits);
  FUZZ_CHECK(first == second, "verdict changed: %s then %s", Describe(first).c_str(),
             Describe(second).c_str());
  const int expected = ExpectedCode(text, facts, limits);
  FUZZ_CHECK(TwilioCode(first) == expected,
             "limits (%zu bytes, depth %zu), oracle (valid %d, object %d, depth %zu): "
             "expected code %d, got %s",
             limits.max_attributes_bytes, limits.max_attributes_depth, facts.valid_json,
             facts.is_object, facts.depth, expected, Describe(first).c_str());
  if (!first.ok()) FUZZ_CHECK(HttpStatus(first) == 400, "%s", Describe(first).c_str());
}

void CheckPretty(std::string_view text, const Facts& facts) {
  const std::string pretty = PrettyJson(text);
  if (!facts.valid_json || facts.depth > 1024) {
    FUZZ_CHECK(pretty == text, "PrettyJson changed an invalid text");
    return;
  }
  static Oracle* second = new Oracle;  // a DOM lives as long as its parser
  simdjson::dom::element original, reindented;
  FUZZ_CHECK(
      oracle()->parser.parse(text.data(), text.size(), true).get(original) == simdjson::SUCCESS,
      "oracle parse");
  FUZZ_CHECK(second->parser.parse(pretty).get(reindented) == simdjson::SUCCESS,
             "PrettyJson output is not JSON: %s", pretty.c_str());
  FUZZ_CHECK(simdjson::minify(reindented) == simdjson::minify(original),
             "PrettyJson changed the value");
}

Store& TheStore() {
  static Store* store = [] {
    StoreOptions options;
    options.account_sid = "AC00000000000000000000000000000001";
    options.page_token_key = "attributes-fuzzer";
    options.clock = [] { return absl::FromUnixSeconds(1458853519); };
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Create(options);
    FUZZ_CHECK(s.ok(), "Store::Create: %s", Describe(s.status()).c_str());
    ServiceCreate service;
    service.sid = kService;
    absl::Status created = (*s)->CreateService(service).status();
    FUZZ_CHECK(created.ok(), "CreateService: %s", Describe(created).c_str());
    return s->release();
  }();
  return *store;
}

size_t UserCount(Store& store) {
  PageRequest request;
  request.page_size = 100;
  absl::StatusOr<Page> page = store.ListUsers(kService, request);
  FUZZ_CHECK(page.ok(), "ListUsers: %s", Describe(page.status()).c_str());
  return page->users.size();
}

void CheckStoreRoundTrip(std::string_view text, const absl::Status& verdict) {
  Store& store = TheStore();
  UserCreate create;
  create.identity = "fuzz-user";
  create.attributes = std::string(text);
  absl::StatusOr<User> user = store.CreateUser(kService, create);
  if (!verdict.ok()) {
    FUZZ_CHECK(!user.ok() && TwilioCode(user.status()) == TwilioCode(verdict),
               "CreateUser of rejected attributes: %s, validation said %s",
               Describe(user.status()).c_str(), Describe(verdict).c_str());
    FUZZ_CHECK(UserCount(store) == 0, "failed create left a user");
    return;
  }
  FUZZ_CHECK(user.ok(), "CreateUser of accepted attributes: %s", Describe(user.status()).c_str());
  FUZZ_CHECK(user->attributes == text, "create echoed different attributes");
  absl::StatusOr<User> fetched = store.FetchUser(kService, user->sid);
  FUZZ_CHECK(fetched.ok() && fetched->attributes == text,
             "fetched attributes differ from the stored text");

  // Rendered as a JSON string holding the exact text.
  const std::string json = UserJson(*fetched, store.options().base_url);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  FUZZ_CHECK(parser.parse(json).get(root) == simdjson::SUCCESS, "UserJson not JSON: %s",
             json.c_str());
  std::string_view rendered;
  FUZZ_CHECK(root["attributes"].get(rendered) == simdjson::SUCCESS, "no attributes string in %s",
             json.c_str());
  FUZZ_CHECK(rendered == text, "rendered attributes differ from the stored text");

  // An update with the same text is accepted too, and keeps it exactly.
  UserUpdate update;
  update.attributes = std::string(text);
  absl::StatusOr<User> updated = store.UpdateUser(kService, "fuzz-user", update);
  FUZZ_CHECK(updated.ok() && updated->attributes == text, "update: %s",
             Describe(updated.status()).c_str());

  const absl::Status deleted = store.DeleteUser(kService, user->sid);
  FUZZ_CHECK(deleted.ok(), "DeleteUser: %s", Describe(deleted).c_str());
}

}  // namespace
}  // namespace userstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace userstore;
  using namespace userstore::fuzz;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const Facts facts = Examine(text);

  const Limits defaults;
  CheckVerdict(text, facts, defaults);
  Limits tight;
  tight.max_attributes_bytes = 64;
  tight.max_attributes_depth = 3;
  CheckVerdict(text, facts, tight);

  FUZZ_CHECK(IsValidJson(text) == (facts.valid_json && facts.depth <= 1024),
             "IsValidJson disagrees with the oracle (valid %d, depth %zu)", facts.valid_json,
             facts.depth);

  CheckPretty(text, facts);
  CheckStoreRoundTrip(text, ValidateAttributes(text, defaults));
  return 0;
}
