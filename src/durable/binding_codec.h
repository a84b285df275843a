// The on-disk layout of push Bindings (issue 17) in a durable store: keys
// and the value of a Binding, beside durable/codec.h's (docs/durable.md has
// the whole key table):
//   b/<IS><seq BE64>  a Binding (EncodeBinding), keyed by its creation
//                     sequence (the Service's counter, as users'), so
//                     recovery reads them in creation order
//   g/<IS><BS>        1 byte (kValueVersion): the SID of a deleted Binding,
//                     never used again; written with the delete
//   n/<IS><US>        1 byte (kValueVersion): the user had Bindings and
//                     holds none (is_notifiable false rather than null after
//                     a reopen); put when its last Binding goes, removed by
//                     its next registration and by the user's delete
// A Binding's value: version (kValueVersion), its SID, its user's SID,
// binding_type (u8: 0 apn, 1 gcm, 2 fcm), a credential flag (u8) and the CR
// SID when set, date_created and date_updated (Unix seconds), the endpoint
// (string), the message-type count (u32) and each type (string). The
// identity is not stored: recovery takes the user's.
//
// Thread-safety: pure functions; thread-safe.
#ifndef USERSTORE_SRC_DURABLE_BINDING_CODEC_H_
#define USERSTORE_SRC_DURABLE_BINDING_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "sid/sid.h"
#include "store/binding_index.h"

namespace userstore::internal::durable {

inline constexpr std::string_view kBindingPrefix = "b/";
inline constexpr std::string_view kDeletedBindingPrefix = "g/";
inline constexpr std::string_view kNotifiedPrefix = "n/";

// ---- keys (O(1)) -----------------------------------------------------------
std::string BindingKey(const SidBytes& service, uint64_t sequence);
bool ParseBindingKey(std::string_view key, SidBytes* service, uint64_t* sequence);
std::string DeletedBindingKey(const SidBytes& service, const SidBytes& binding);
bool ParseDeletedBindingKey(std::string_view key, SidBytes* service, SidBytes* binding);
std::string NotifiedKey(const SidBytes& service, const SidBytes& user);
bool ParseNotifiedKey(std::string_view key, SidBytes* service, SidBytes* user);
// (The values of g/ and n/ keys are codec.h's EncodeDeleted / DecodeDeleted.)

// ---- the value (O(size)) ---------------------------------------------------
// Writes `binding` without its sequence (the key holds it) and identity.
void EncodeBinding(const BindingRecord& binding, std::string* out);
// The Binding with `sequence` (from the key), identity empty. Errors:
// kDataLoss (500/20500) naming what is wrong.
absl::StatusOr<BindingRecord> DecodeBinding(std::string_view value, uint64_t sequence);

}  // namespace userstore::internal::durable

#endif  // USERSTORE_SRC_DURABLE_BINDING_CODEC_H_
