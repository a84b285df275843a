// Fuzz target: RFC 7396 merge patch (src/json/merge_patch.h) against a
// reference model.
//
// Input: the target text up to the first '\n', the patch text after it (no
// '\n': an empty target, "never set", and the whole input as the patch).
// Properties, with limits loose enough that only the depth bound applies
// (64 MiB, depth 128), then tight ones (64 bytes, depth 3):
//   - the verdict follows independent oracles: a patch Boost.JSON rejects
//     gives 400/50304; one a separate simdjson DOM parser finds a number out
//     of range in may give the range message; one nested deeper than the limit
//     (string-aware bracket count) the depth message; no other 400/50304. A
//     target Boost.JSON rejects gives 500/20500 (once the patch is valid); a
//     target it accepts never does;
//   - a result is JSON, and Boost.JSON reads it as the same value as the
//     reference: RFC 7396's MergePatch applied to Boost.JSON's reading of the
//     target and the patch. Boost.JSON keeps the last of duplicate keys, as
//     the documented rules do. Every number of the result is the text of an
//     input number, read again by Boost.JSON; its readings of one text can
//     differ slightly (SameDouble), so doubles are compared with a 1e-9
//     relative tolerance and no input is skipped;
//   - applying the patch again to the result gives the result back, byte for
//     byte (idempotence; untouched bytes, key order and compact writing);
//     checked for every input, including those with an exponent Boost.JSON
//     cannot read ("exponent overflow"), where only the codes are checked;
//   - under the tight limits, a result is the loose result when it fits in 64
//     bytes, and 400/50303 exactly when it does not.
#include <simdjson.h>

#include <algorithm>
#include <boost/json/error.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "json/merge_patch.h"
#include "userstore/error.h"
#include "userstore/options.h"

namespace userstore::fuzz {
namespace {

namespace bj = boost::json;

// Boost.JSON's reading of a text: the value, none (not JSON), or none and
// `unreadable` (valid JSON with an exponent beyond what Boost.JSON reads, such
// as 0e4018446744073709551616: "exponent overflow"; simdjson reads it).
struct Reading {
  std::optional<bj::value> value;
  bool unreadable = false;
};

// Reads `text` into `resource` (iterative parser; a monotonic resource makes
// destroying a deep tree O(1)).
Reading BoostParse(std::string_view text, bj::monotonic_resource* resource) {
  bj::parse_options options;
  options.max_depth = text.size() + 1;
  boost::system::error_code error;
  bj::value v = bj::parse(bj::string_view(text.data(), text.size()), error, resource, options);
  Reading r;
  if (!error) {
    r.value = std::move(v);
  } else {
    r.unreadable = error == bj::error::exponent_overflow;
  }
  return r;
}

// RFC 7396 §2, MergePatch(Target, Patch), on Boost.JSON values. Recursion is
// bounded by the patch's depth, which the merge's own check keeps <= 128.
void MergePatch(bj::value& target, const bj::value& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target.emplace_object();
  bj::object& t = target.as_object();
  for (const bj::key_value_pair& member : patch.as_object()) {
    if (member.value().is_null()) {
      t.erase(member.key());
    } else {
      MergePatch(t[member.key()], member.value());
    }
  }
}

// Two readings of one number text by Boost.JSON 1.81. Its number parsing is
// not exact (no number_precision option before 1.83), and not even the same
// for the same text in another context: 11.0567890123456790123 reads one ULP
// apart inside {"g":…} and inside {"g":…,"one":1}; 0e400 reads as NaN (0
// times an infinite power of ten); near the overflow bound one reading may be
// infinite. So doubles are equal here when they are within 1e-9 of each other
// relatively (a number the merge took from elsewhere would almost never be),
// both NaN, both tiny, or both huge with one sign.
bool SameDouble(double x, double y) {
  if (x == y || (std::isnan(x) && std::isnan(y))) return true;
  if (std::isnan(x) || std::isnan(y)) return false;
  const double ax = std::fabs(x), ay = std::fabs(y);
  if (std::isinf(x) || std::isinf(y))
    return std::signbit(x) == std::signbit(y) && std::min(ax, ay) > 1e307;
  return std::fabs(x - y) <= 1e-9 * std::max(ax, ay) || (ax < 1e-300 && ay < 1e-300);
}

// Boost.JSON's value equality, with doubles compared by SameDouble. Every
// number of the result is the text of an input number, read again.
// Iterative: results may nest deeper than any stack allows.
bool SameValue(const bj::value& a, const bj::value& b) {
  std::vector<std::pair<const bj::value*, const bj::value*>> pending{{&a, &b}};
  while (!pending.empty()) {
    const auto [x, y] = pending.back();
    pending.pop_back();
    if (x->is_double() && y->is_double()) {
      if (!SameDouble(x->get_double(), y->get_double())) return false;
    } else if (x->is_object() && y->is_object()) {
      const bj::object &ox = x->get_object(), &oy = y->get_object();
      if (ox.size() != oy.size()) return false;
      for (const bj::key_value_pair& member : ox) {
        const auto it = oy.find(member.key());
        if (it == oy.end()) return false;
        pending.emplace_back(&member.value(), &it->value());
      }
    } else if (x->is_array() && y->is_array()) {
      const bj::array &ax = x->get_array(), &ay = y->get_array();
      if (ax.size() != ay.size()) return false;
      for (size_t i = 0; i < ax.size(); ++i) pending.emplace_back(&ax[i], &ay[i]);
    } else if (*x != *y) {  // scalars (int64 and uint64 of one value are equal)
      return false;
    }
  }
  return true;
}

// Nesting depth of a VALID JSON text ('[' and '{' outside strings), as
// userstore counts it; unlike a walk of Boost.JSON's value, it sees the
// subtrees of duplicate keys Boost.JSON drops.
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

// True when simdjson's DOM finds a number it cannot represent in `text`
// (which Boost.JSON accepted). A parser of its own, deep enough for any input.
bool NumberOutOfRange(std::string_view text) {
  static simdjson::dom::parser* parser = new simdjson::dom::parser;
  if (parser->capacity() < text.size() || parser->max_depth() < text.size() / 2 + 2) {
    FUZZ_CHECK(parser->allocate(std::max<size_t>(text.size(), 64), text.size() / 2 + 2) ==
                   simdjson::SUCCESS,
               "oracle allocation failed");
  }
  simdjson::dom::element root;
  const simdjson::error_code error = parser->parse(text.data(), text.size(), true).get(root);
  FUZZ_CHECK(error == simdjson::SUCCESS || error == simdjson::NUMBER_ERROR,
             "simdjson rejects what Boost.JSON accepts: %s", simdjson::error_message(error));
  return error == simdjson::NUMBER_ERROR;
}

constexpr std::string_view kRangeMessage =
    "Attributes merge patch is valid JSON, but a number in it is beyond the supported range";
constexpr std::string_view kDepthMessage = "Attributes merge patch is nested deeper than ";

struct Outcome {
  absl::Status status;
  std::string out;
};

Outcome Run(std::string_view target, std::string_view patch, const Limits& limits) {
  Outcome o;
  o.out = "stale";
  o.status = internal::ApplyMergePatch(target, patch, limits, &o.out);
  if (!o.status.ok()) FUZZ_CHECK(o.out.empty(), "output left on error");
  return o;
}

// Checks the verdict of `o` under `limits` against the oracles. Returns true
// when `o` holds a result.
bool CheckVerdict(const Outcome& o, bool patch_valid, bool target_valid, bool range,
                  size_t patch_depth, const Limits& limits) {
  const std::string message(o.status.message());
  if (!patch_valid) {
    FUZZ_CHECK(
        TwilioCode(o.status) == twilio_code::kAttributesInvalid && HttpStatus(o.status) == 400,
        "invalid patch gave %s", Describe(o.status).c_str());
    return false;
  }
  const bool too_deep = patch_depth > limits.max_attributes_depth;
  if (TwilioCode(o.status) == twilio_code::kAttributesInvalid) {
    const bool is_range = message.rfind(kRangeMessage, 0) == 0;
    const bool is_depth = message.rfind(kDepthMessage, 0) == 0;
    FUZZ_CHECK((is_range && range) || (is_depth && too_deep),
               "valid patch (range %d, depth %zu) gave %s", range, patch_depth,
               Describe(o.status).c_str());
    return false;
  }
  FUZZ_CHECK(!range && !too_deep, "patch (range %d, depth %zu) not rejected: %s", range,
             patch_depth, Describe(o.status).c_str());
  if (!target_valid) {
    FUZZ_CHECK(TwilioCode(o.status) == twilio_code::kInternal && HttpStatus(o.status) == 500,
               "invalid target gave %s", Describe(o.status).c_str());
    return false;
  }
  if (TwilioCode(o.status) == twilio_code::kAttributesTooLong) return false;  // checked by caller
  FUZZ_CHECK(o.status.ok(), "valid inputs gave %s", Describe(o.status).c_str());
  return true;
}

}  // namespace
}  // namespace userstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace userstore;
  using namespace userstore::fuzz;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view target = newline == std::string_view::npos ? "" : input.substr(0, newline);
  const std::string_view patch =
      newline == std::string_view::npos ? input : input.substr(newline + 1);

  bj::monotonic_resource resource;
  const Reading patch_reading = BoostParse(patch, &resource);
  const Reading target_reading =
      target.empty() ? Reading{bj::value(bj::object(&resource))} : BoostParse(target, &resource);
  const std::optional<bj::value>& boost_patch = patch_reading.value;
  const std::optional<bj::value>& boost_target = target_reading.value;

  Limits loose;
  loose.max_attributes_bytes = 64 << 20;
  const Outcome full = Run(target, patch, loose);
  // Idempotent when the reference reads both inputs. A number that one
  // parser takes and the other does not (simdjson reads 0e40184467440737095516160
  // as 0, Boost.JSON refuses its exponent) can make a text that mixes it with
  // a number simdjson refuses (an integer beyond 64 bits) read as invalid
  // rather than out of range (json_dom.cc, ClassifyNumberError). A stored
  // target never holds the second kind: ValidateAttributes refuses it.
  if (full.status.ok() && boost_patch && boost_target) {
    const Outcome again = Run(full.out, patch, loose);
    FUZZ_CHECK(again.status.ok() && again.out == full.out, "not idempotent: %s then %s (%s)",
               full.out.c_str(), again.out.c_str(), Describe(again.status).c_str());
  }
  Limits tight;
  tight.max_attributes_bytes = 64;
  tight.max_attributes_depth = 3;
  const Outcome small = Run(target, patch, tight);

  if (patch_reading.unreadable || target_reading.unreadable) {  // no oracle: codes only
    for (const Outcome* o : {&full, &small}) {
      const int code = TwilioCode(o->status);
      FUZZ_CHECK(code == 0 || code == twilio_code::kAttributesInvalid ||
                     code == twilio_code::kAttributesTooLong || code == twilio_code::kInternal,
                 "unexpected %s", Describe(o->status).c_str());
    }
    FUZZ_CHECK(!small.status.ok() || small.out == full.out, "tight result differs");
    return 0;
  }

  const bool range = boost_patch && NumberOutOfRange(patch);
  const size_t patch_depth = boost_patch ? BracketDepth(patch) : 0;
  if (CheckVerdict(full, boost_patch.has_value(), boost_target.has_value(), range, patch_depth,
                   loose)) {
    const Reading result = BoostParse(full.out, &resource);
    FUZZ_CHECK(result.value.has_value(), "result is not JSON: %s", full.out.c_str());
    bj::value expected(*boost_target, &resource);
    MergePatch(expected, *boost_patch);
    FUZZ_CHECK(SameValue(*result.value, expected), "result %s, reference %s", full.out.c_str(),
               bj::serialize(expected).c_str());
  } else {
    FUZZ_CHECK(TwilioCode(full.status) != twilio_code::kAttributesTooLong || size > (1 << 16),
               "64 MiB exceeded by a %zu-byte input", size);
  }

  if (CheckVerdict(small, boost_patch.has_value(), boost_target.has_value(), range, patch_depth,
                   tight)) {
    FUZZ_CHECK(full.status.ok() && small.out == full.out && small.out.size() <= 64,
               "tight result %s differs from %s", small.out.c_str(), full.out.c_str());
  } else if (TwilioCode(small.status) == twilio_code::kAttributesTooLong) {
    FUZZ_CHECK((full.status.ok() && full.out.size() > 64) ||
                   TwilioCode(full.status) == twilio_code::kAttributesTooLong,
               "50303 for a %zu-byte result", full.out.size());
  }
  return 0;
}
