// Beyond Twilio: filtered lists, counts and batch upsert (docs/api.md,
// "Filtered lists, counts and batch upsert"; issue 18).
//
// Twilio's Users list has no filter, no count and no bulk write: a client
// that wants "the admins" or "the users of team red" pages through every
// user. userstore keeps ordered indexes beside its SID and identity maps so
// that a filtered page costs O(log n + page_size) whatever its offset, and a
// count of a role or an indexed attribute value is O(1). These are
// extensions: the REST facade serves them only with
// FacadeOptions::enable_extensions (docs/rest.md, "Extensions").
//
// Values; thread-compatible.
#ifndef USERSTORE_FILTER_H_
#define USERSTORE_FILTER_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "userstore/user.h"

namespace userstore {

// Which users a list (PageRequest::filter) or a count (Store::CountUsers)
// takes. Empty (every field unset): every user. At most one criterion may be
// set: the identity prefix, the role, the date range (created_from and/or
// created_before count as one), or the attribute (attribute_key with
// attribute_value); two or more are 400/20001 "At most one filter may be
// given" (each criterion walks its own index, so a page stays
// O(log n + page_size); a conjunction could not).
//
// A filtered list walks its index's order, with keyset page tokens as the
// unfiltered list's (page.h), bound to the filter: a token replayed with
// another filter (or none) is 400/20001 "Invalid PageToken".
//   - identity_prefix: identity byte order (bytewise, as memcmp);
//   - role_sid, attribute: creation order (the unfiltered list's);
//   - date range: date_created, then creation order.
// A walk with tokens sees each user that matches the filter during the whole
// walk exactly once, and a user whose change moves it into or out of the
// filter during the walk (a re-role, an attribute change, a delete) at most
// once, whatever writes run meanwhile. (Store::ImportUsers may replace a
// user's identity or date_created, which moves it in identity or date
// order: a prefix or date walk running across such an import may see that
// user twice. Bulk writes (ImportUsers, UpsertUsers) are seen by a filtered
// page or count wholly or not at all.) A page or count of an attribute
// filter racing a SetIndexedAttribute that replaces the key finds no user
// rather than another key's; the next request is refused (400/20001).
struct UserFilter {
  // Non-empty: users whose identity starts with these bytes (case-sensitive,
  // as identities are). At most Limits::max_identity_chars code points,
  // valid UTF-8 without U+0000 (else 400/20001).
  std::string identity_prefix;
  // Non-empty: users holding this role, "RL" + 32 hex (either case).
  // Malformed: 400/20001; not a role of the Service: 400/50100; a channel
  // role (no user holds one): 400/50105 — as UserCreate::role_sid.
  std::string role_sid;
  // Set: users with date_created >= created_from (inclusive) and/or
  // date_created < created_before (exclusive). date_created has whole
  // seconds: a bound with a fraction is rounded up to the next second
  // (the same users match). created_from >= created_before: no user
  // matches (not an error).
  std::optional<absl::Time> created_from;
  std::optional<absl::Time> created_before;
  // Non-empty: users whose attributes hold the top-level member
  // `attribute_key` with a value equal to `attribute_value`. attribute_key
  // must be the Service's indexed attribute (Store::SetIndexedAttribute):
  // another key is 400/20001, never scanned. attribute_value is the JSON
  // text of a string or a number ("\"gold\"", "5", "2.5e1"), else 400/20001
  // (so is an empty value with a key, or a value without one). Strings
  // match strings with the same decoded text (escapes decoded: "\u0061"
  // equals "a"); numbers match numbers equal as IEEE doubles (1, 1.0 and
  // 1e0 are one value); a member that is not a string or a number (object,
  // array, true, false, null), or absent, never matches. At most
  // Limits::max_attributes_bytes bytes.
  std::string attribute_key;
  std::string attribute_value;

  // True when no criterion is set (the unfiltered list).
  bool empty() const {
    return identity_prefix.empty() && role_sid.empty() && !created_from && !created_before &&
           attribute_key.empty() && attribute_value.empty();
  }
};

// The most rows Store::UpsertUsers takes in one call.
inline constexpr size_t kMaxUpsertRows = 100;

// One row of Store::UpsertUsers: create the user with `identity`, or update
// it when the identity exists. Field names are Twilio's (as UserCreate and
// UserUpdate): an unset field keeps the stored value on update and takes
// the default on create.
struct UserUpsert {
  std::string identity;                      // required; the row's key
  std::optional<std::string> role_sid;       // create: default role when unset
  std::optional<std::string> attributes;     // the whole text (JSON object)
  std::optional<std::string> friendly_name;  // "" clears (update) / unset (create)
};

// What one row of Store::UpsertUsers did.
enum class UpsertOutcome : uint8_t {
  kCreated = 0,    // a new user (REST: 201)
  kUpdated = 1,    // the user existed and the row changed it (REST: 200)
  kUnchanged = 2,  // the user existed and already had the row's values
                   // (or the row set no field): nothing written, no event,
                   // revision kept (REST: 200)
  kFailed = 3,     // the row was refused: see UpsertResult::status
};

// The result of one row, in input order.
struct UpsertResult {
  UpsertOutcome outcome = UpsertOutcome::kFailed;
  // OK unless kFailed: then the Twilio error the single call would give
  // (error.h: HttpStatusOf, TwilioCodeOf), e.g. 400/50304 attributes not a
  // JSON object, 400/50100 unknown role, 400/20001 the identity repeats an
  // earlier row of the call.
  absl::Status status;
  // The user as the row left it (kCreated, kUpdated, kUnchanged); empty
  // when kFailed.
  User user;
};

// Options of Store::UpsertUsers.
struct UpsertOptions {
  // As UserCreate::webhook_enabled: post-event listeners fire for each
  // created or updated user (one event per changed user, in input order).
  bool webhook_enabled = false;
};

}  // namespace userstore

#endif  // USERSTORE_FILTER_H_
