// ApplyMergePatch: RFC 7396 JSON Merge Patch on the raw text of `attributes`.
//
// Source: RFC 7396 §2 (the MergePatch pseudo-code) and Appendix A (its
// examples, all of them in tests/merge_patch_test.cc). A patch object merges
// into the target object member by member: a null member removes the key, an
// object member merges recursively, any other member replaces the value; a
// patch that is not an object replaces the whole target.
//
// The result is built from the texts, not from re-serialized values, so what
// the patch does not touch keeps its bytes (docs/json.md, "Merge patch"):
//   - Every value the merge does not descend into is copied byte for byte:
//     untouched target members (1.0, 12345678901234567890123, escapes, inner
//     whitespace), and the patch's scalars and arrays.
//   - Keys are copied as written (escapes kept), but compared unescaped, so a
//     patch key "a" matches a target key "\u0061". Target members keep their
//     order; patch members the target lacks follow, in patch order.
//   - The objects the merge writes (the target objects it descends into, the
//     patch objects it adds with their nulls stripped) are compact: no
//     whitespace between their members or around ':'.
//   - Duplicate keys. In the patch, the last occurrence wins (as JSON.parse
//     and Boost.JSON read it), at the position of the first. In the target,
//     the patch applies to every occurrence of a key it names (so a reader
//     that keeps the first occurrence and one that keeps the last both see
//     the RFC result); a null removes every occurrence.
//
// Thread-safety: thread-safe (a pure function; each call uses parsers of its
// own, and the thread's reused DOM parser of json_dom.h for the checks).
#ifndef USERSTORE_SRC_JSON_MERGE_PATCH_H_
#define USERSTORE_SRC_JSON_MERGE_PATCH_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "userstore/options.h"

namespace userstore::internal {

// Sets `*out` to MergePatch(target, patch) (RFC 7396 §2), as described above.
//
// `target`: the stored attributes text; empty means "never set" and counts as
// {}. Any JSON type is merged (RFC 7396); the Store passes objects it
// validated. It is checked for syntax only (one more linear pass; numbers
// beyond range and any depth are accepted and copied), so that a corrupt
// stored text is reported, never merged.
// `patch`: untrusted; checked like attributes (json_dom.h) before use.
//
// Errors (on error `*out` is empty):
//   400/50304 (kInvalidArgument) "Attributes merge patch is not valid JSON
//     (RFC 8259, UTF-8)"; "... is valid JSON, but a number in it is beyond
//     the supported range ..." (an integer beyond 64 bits, or beyond a
//     double); "... is nested deeper than <limits.max_attributes_depth>
//     levels" (depth counted as for attributes).
//   400/50303 (kInvalidArgument) when the result would be longer than
//     limits.max_attributes_bytes; the merge stops there, so a target that
//     repeats a key the patch names cannot make it write more.
//   500/20500 (kInternal) "The stored Attributes are not valid JSON" (the
//     target); 500/20500 (kResourceExhausted) when a parser cannot allocate
//     its buffers. Other allocations throw std::bad_alloc, as the Store's do.
// The caller validates the result with ValidateAttributes, as any attributes
// text (size 50303, valid JSON object 50304, depth 50304); that is not
// repeated here beyond the size bound above. A non-object patch yields a
// non-object result; the result nests no deeper than the deeper input.
// `patch` has no size limit of its own: the request carrying it is bounded.
//
// Complexity: O(|target| + |patch|) time and extra memory: each text is
// checked (DOM), then read once with On-Demand: the patch to index its
// members by unescaped key (absl::flat_hash_map), the target forward,
// skipping every value the patch does not name. When the target repeats keys
// the patch names, also O(|*out|), which the size bound keeps at most
// limits.max_attributes_bytes. No recursion: any depth is safe on a small
// thread stack.
absl::Status ApplyMergePatch(std::string_view target, std::string_view patch, const Limits& limits,
                             std::string* out);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_JSON_MERGE_PATCH_H_
