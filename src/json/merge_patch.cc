// ApplyMergePatch (json/merge_patch.h): RFC 7396 over raw text with simdjson.
//
// Both texts are first checked with JsonDocument (the DOM, as attributes
// are). The patch is then read once with simdjson's On-Demand API into a
// PatchTree: per object, its members in order of first occurrence (last value
// wins), each with the raw text of its key and of its value, and a hash index
// from (object, unescaped key) to the member. The target is read once,
// forward, with On-Demand: a member the patch does not name is copied as raw
// text (raw_json() / raw_json_token(), which skip the value without decoding
// it); a named one is dropped (null), replaced (non-object) or, when both
// sides are objects, merged by descending into it. Both walks keep an
// explicit stack instead of recursing.
//
// On-Demand is compiled for simdjson's built-in kernel (the fallback one,
// without -march flags); the DOM checks pick the best kernel at run time.
#include "json/merge_patch.h"

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/twilio_errors.h"
#include "json/json_dom.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

namespace od = simdjson::ondemand;

constexpr uint32_t kNone = UINT32_MAX;

// A member of an object of the patch.
struct PatchMember {
  std::string_view raw_key;  // as written, quotes included
  std::string_view raw;      // the value as written, when not an object
  uint32_t object = kNone;   // the value's PatchTree node, when an object
  bool is_null = false;
  uint32_t next = kNone;       // the object's next member (first-occurrence order)
  uint32_t next_kept = kNone;  // the object's next member that is not null
  uint32_t seen = 0;           // the last merge visit whose target object had the key
};

// An object of the patch: its member lists.
struct PatchNode {
  uint32_t first = kNone;
  uint32_t last = kNone;
  uint32_t first_kept = kNone;
};

// The member the object iterator `it` is at: its key (raw and unescaped) and
// value. The raw key runs from the opening quote to the last quote before the
// value (only whitespace and ':' lie between the two).
struct Field {
  std::string_view raw_key;
  std::string_view key;
  od::value value;
};

simdjson::error_code ReadField(od::object_iterator& it, Field* out) {
  od::field field;
  SIMDJSON_TRY((*it).get(field));
  const char* key_start = field.key().raw() - 1;
  SIMDJSON_TRY(field.unescaped_key().get(out->key));
  out->value = std::move(field).value();
  const char* value_start = out->value.raw_json_token().data();
  const std::string_view between(key_start, static_cast<size_t>(value_start - key_start));
  out->raw_key = between.substr(0, between.find_last_of('"') + 1);
  return simdjson::SUCCESS;
}

// A comma unless `out` has just opened an object (no JSON value ends in '{').
void AppendMemberStart(std::string_view raw_key, std::string* out) {
  if (out->back() != '{') out->push_back(',');
  out->append(raw_key);
  out->push_back(':');
}

// The patch's objects, read from On-Demand. Views point into the patch's
// padded text and its parser's string buffer, which must outlive the tree.
class PatchTree {
 public:
  // Reads `root` (node 0) and every object below it. REQUIRES: the patch was
  // validated (errors are then only allocation failures).
  simdjson::error_code Build(od::object root);

  // The member of node `node` whose unescaped key is `key`, or kNone.
  uint32_t Find(uint32_t node, std::string_view key) const {
    auto it = index_.find(std::make_pair(node, key));
    return it == index_.end() ? kNone : it->second;
  }
  PatchMember& member(uint32_t m) { return members_[m]; }
  const PatchNode& node(uint32_t n) const { return nodes_[n]; }

  // Appends node `node` with its nulls stripped (RFC 7396 merging it into a
  // non-object). Stops once `out` is longer than `cap`.
  void AppendStripped(uint32_t node, size_t cap, std::string* out);

 private:
  uint32_t NewNode() {
    nodes_.emplace_back();
    return static_cast<uint32_t>(nodes_.size() - 1);
  }
  // The member of `node` for `key` (a new one at the end, or the existing
  // one of a duplicate key, its value reset: the last occurrence wins).
  uint32_t MemberFor(uint32_t node, std::string_view raw_key, std::string_view key);

  std::vector<PatchNode> nodes_;
  std::vector<PatchMember> members_;
  absl::flat_hash_map<std::pair<uint32_t, std::string_view>, uint32_t> index_;
  std::vector<uint32_t> pending_;  // AppendStripped's stack, reused
};

uint32_t PatchTree::MemberFor(uint32_t node, std::string_view raw_key, std::string_view key) {
  const auto [it, inserted] =
      index_.try_emplace(std::make_pair(node, key), static_cast<uint32_t>(members_.size()));
  if (!inserted) {
    PatchMember& m = members_[it->second];
    m.raw = {};
    m.object = kNone;
    m.is_null = false;
    return it->second;
  }
  members_.emplace_back().raw_key = raw_key;
  PatchNode& n = nodes_[node];
  (n.last == kNone ? n.first : members_[n.last].next) = it->second;
  n.last = it->second;
  return it->second;
}

simdjson::error_code PatchTree::Build(od::object root) {
  struct Frame {
    od::object_iterator it, end;
    uint32_t node;
  };
  std::vector<Frame> stack;
  auto push = [&](od::object object, uint32_t node) {
    Frame frame{{}, {}, node};
    SIMDJSON_TRY(object.begin().get(frame.it));
    SIMDJSON_TRY(object.end().get(frame.end));
    stack.push_back(frame);
    return simdjson::SUCCESS;
  };
  SIMDJSON_TRY(push(root, NewNode()));
  while (!stack.empty()) {
    Frame& frame = stack.back();
    if (!(frame.it != frame.end)) {  // the object is done
      stack.pop_back();
      if (!stack.empty()) ++stack.back().it;
      continue;
    }
    Field field;
    SIMDJSON_TRY(ReadField(frame.it, &field));
    od::json_type type;
    SIMDJSON_TRY(field.value.type().get(type));
    const uint32_t m = MemberFor(frame.node, field.raw_key, field.key);
    if (type == od::json_type::object) {
      od::object child;
      SIMDJSON_TRY(field.value.get_object().get(child));
      const uint32_t child_node = NewNode();
      members_[m].object = child_node;
      SIMDJSON_TRY(push(child, child_node));  // `frame` is invalid from here
      continue;
    }
    if (type == od::json_type::null) {
      members_[m].is_null = true;
    } else {
      SIMDJSON_TRY(simdjson::to_json_string(field.value).get(members_[m].raw));
    }
    ++frame.it;
  }
  // Chain each object's non-null members: the only ones ever written.
  for (PatchNode& n : nodes_) {
    uint32_t* link = &n.first_kept;
    for (uint32_t m = n.first; m != kNone; m = members_[m].next) {
      if (members_[m].is_null) continue;
      *link = m;
      link = &members_[m].next_kept;
    }
  }
  return simdjson::SUCCESS;
}

void PatchTree::AppendStripped(uint32_t node, size_t cap, std::string* out) {
  pending_.clear();  // per open object: its next member to write
  out->push_back('{');
  pending_.push_back(nodes_[node].first_kept);
  while (!pending_.empty()) {
    const uint32_t m = pending_.back();
    if (m == kNone) {
      out->push_back('}');
      pending_.pop_back();
      continue;
    }
    const PatchMember& member = members_[m];
    pending_.back() = member.next_kept;
    AppendMemberStart(member.raw_key, out);
    if (member.object != kNone) {
      out->push_back('{');
      pending_.push_back(nodes_[member.object].first_kept);
    } else {
      out->append(member.raw);
    }
    if (out->size() > cap) return;
  }
}

// Appends MergePatch(target object `root`, patch node 0) to `out`. Stops
// early, with SUCCESS, once `out` is longer than `cap`; an error means the
// target is not valid JSON.
simdjson::error_code MergeObjects(od::object root, PatchTree& tree, size_t cap, std::string* out) {
  struct Frame {
    od::object_iterator it, end;
    uint32_t node;   // the patch object merged into this target object
    uint32_t visit;  // PatchMember::seen of the patch members this object has
  };
  std::vector<Frame> stack;
  uint32_t visits = 0;
  auto push = [&](od::object object, uint32_t node) {
    Frame frame{{}, {}, node, ++visits};
    SIMDJSON_TRY(object.begin().get(frame.it));
    SIMDJSON_TRY(object.end().get(frame.end));
    stack.push_back(frame);
    out->push_back('{');
    return simdjson::SUCCESS;
  };
  SIMDJSON_TRY(push(root, 0));
  while (!stack.empty()) {
    Frame& frame = stack.back();
    if (!(frame.it != frame.end)) {
      // The patch's members this object lacks, in patch order.
      for (uint32_t m = tree.node(frame.node).first_kept; m != kNone;) {
        const PatchMember& member = tree.member(m);
        m = member.next_kept;
        if (member.seen == frame.visit) continue;
        AppendMemberStart(member.raw_key, out);
        if (member.object == kNone) {
          out->append(member.raw);
        } else {
          tree.AppendStripped(member.object, cap, out);
        }
        if (out->size() > cap) return simdjson::SUCCESS;
      }
      out->push_back('}');
      stack.pop_back();
      if (!stack.empty()) ++stack.back().it;
      continue;
    }
    Field field;
    SIMDJSON_TRY(ReadField(frame.it, &field));
    const uint32_t m = tree.Find(frame.node, field.key);
    if (m == kNone) {  // untouched: copied as written
      std::string_view raw;
      SIMDJSON_TRY(simdjson::to_json_string(field.value).get(raw));
      AppendMemberStart(field.raw_key, out);
      out->append(raw);
    } else {
      PatchMember& member = tree.member(m);
      member.seen = frame.visit;
      if (!member.is_null) {  // a null drops the member
        AppendMemberStart(field.raw_key, out);
        od::json_type type = od::json_type::null;
        if (member.object != kNone) SIMDJSON_TRY(field.value.type().get(type));
        if (member.object == kNone) {
          out->append(member.raw);
        } else if (type != od::json_type::object) {
          tree.AppendStripped(member.object, cap, out);  // RFC 7396: as if merged into {}
        } else {
          od::object child;
          SIMDJSON_TRY(field.value.get_object().get(child));
          SIMDJSON_TRY(push(child, member.object));
          continue;  // `frame` is invalid from here; popping the child advances it
        }
      }
    }
    if (out->size() > cap) return simdjson::SUCCESS;
    ++frame.it;
  }
  return simdjson::SUCCESS;
}

absl::Status PatchError(JsonError error, const Limits& limits) {
  switch (error) {
    case JsonError::kOk:
      break;
    case JsonError::kSyntax:
      return BadRequest(twilio_code::kAttributesInvalid,
                        "Attributes merge patch is not valid JSON (RFC 8259, UTF-8)");
    case JsonError::kNumberRange:
      return BadRequest(twilio_code::kAttributesInvalid,
                        "Attributes merge patch is valid JSON, but a number in it is beyond the "
                        "supported range (integers must fit in 64 bits, other numbers in a "
                        "double)");
    case JsonError::kTooDeep:
      return BadRequest(twilio_code::kAttributesInvalid,
                        absl::StrCat("Attributes merge patch is nested deeper than ",
                                     limits.max_attributes_depth, " levels"));
    case JsonError::kNoMemory:
      return TwilioError(absl::StatusCode::kResourceExhausted, 500, twilio_code::kInternal,
                         "Out of memory while checking the Attributes merge patch");
  }
  return absl::OkStatus();
}

absl::Status TooLong(const Limits& limits) {
  return BadRequest(twilio_code::kAttributesTooLong,
                    absl::StrCat("Attributes must be at most ", limits.max_attributes_bytes,
                                 " bytes long (the merge patch makes them longer)"));
}

}  // namespace

absl::Status ApplyMergePatch(std::string_view target, std::string_view patch, const Limits& limits,
                             std::string* out) {
  out->clear();
  bool patch_is_object;
  {
    JsonDocument doc;
    if (absl::Status status = PatchError(doc.Parse(patch, limits.max_attributes_depth), limits);
        !status.ok()) {
      return status;
    }
    patch_is_object = doc.root().type() == simdjson::dom::element_type::OBJECT;
  }
  if (!target.empty()) {  // empty: never set, so {}
    // Syntax only (numbers beyond range pass, depth is unlimited): a corrupt
    // stored text is reported rather than merged. A target deeper than
    // attributes may be (never a stored one) is checked again without a depth
    // limit, by a parser of its own, so the thread's parser does not deepen.
    JsonDocument doc;
    JsonError error = doc.Parse(target, limits.max_attributes_depth);
    if (error == JsonError::kTooDeep) error = JsonDocument().Parse(target, target.size());
    if (error == JsonError::kNoMemory) {
      return TwilioError(absl::StatusCode::kResourceExhausted, 500, twilio_code::kInternal,
                         "Out of memory while reading the stored Attributes");
    }
    if (error != JsonError::kOk && error != JsonError::kNumberRange) {
      return TwilioError(absl::StatusCode::kInternal, 500, twilio_code::kInternal,
                         "The stored Attributes are not valid JSON");
    }
  }
  const size_t cap = limits.max_attributes_bytes;
  if (!patch_is_object) {  // RFC 7396: a non-object patch replaces the target
    const std::string_view value = simdjson::trim(patch);
    if (value.size() > cap) return TooLong(limits);
    out->assign(value);
    return absl::OkStatus();
  }

  // On-Demand reads padded text (SIMDJSON_PADDING readable bytes past the end).
  const simdjson::padded_string padded_patch(patch);
  od::parser patch_parser;
  od::document patch_doc;
  od::object patch_root;
  PatchTree tree;
  simdjson::error_code error = patch_parser.iterate(padded_patch).get(patch_doc);
  if (!error) error = patch_doc.get_object().get(patch_root);
  if (!error) error = tree.Build(patch_root);
  if (error) {  // the patch was validated: only an allocation can fail
    return TwilioError(absl::StatusCode::kResourceExhausted, 500, twilio_code::kInternal,
                       absl::StrCat("Could not read the Attributes merge patch: ",
                                    simdjson::error_message(error)));
  }

  const simdjson::padded_string padded_target(target);
  od::parser target_parser;
  od::document target_doc;
  od::json_type target_type = od::json_type::null;
  if (!target.empty()) {
    error = target_parser.iterate(padded_target).get(target_doc);
    if (!error) error = target_doc.type().get(target_type);
  }
  if (!error && target_type == od::json_type::object) {
    od::object target_root;
    error = target_doc.get_object().get(target_root);
    if (!error) error = MergeObjects(target_root, tree, cap, out);
  } else if (!error) {
    tree.AppendStripped(0, cap, out);  // RFC 7396: a non-object target counts as {}
  }
  if (error) {  // the target was checked: only an allocation can fail
    out->clear();
    return TwilioError(
        absl::StatusCode::kResourceExhausted, 500, twilio_code::kInternal,
        absl::StrCat("Could not read the stored Attributes: ", simdjson::error_message(error)));
  }
  if (out->size() > cap) {
    out->clear();
    return TooLong(limits);
  }
  return absl::OkStatus();
}

}  // namespace userstore::internal
