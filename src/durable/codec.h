// The on-disk layout of a durable store: RocksDB keys and value encodings.
//
// Every key starts with a one-letter kind and '/'; SIDs are their 16 raw
// bytes (docs/durable.md has the table):
//   m/format            1 byte: the directory's format version (kFormatVersion)
//   m/account_sid       16 bytes: the AC SID every Service belongs to
//   m/page_token_key    the page-token HMAC key (StoreOptions::page_token_key)
//   s/<IS>              a Service (EncodeService)
//   r/<IS><index BE64>  its roles, index 0, 1, ... in the order they were added
//   u/<IS><seq BE64>    a user (EncodeUser), keyed by its creation sequence
//                       (so recovery reads users in creation order): every
//                       field but presence, with its revision
//   h/<IS>              8 bytes LE: the highest sequence or revision of a
//                       deleted user
//                       (merged with max, see MaxSequenceMergeOperator), so
//                       sequence numbers are never reused after a restart
//   d/<IS><US>          1 byte (kValueVersion): a user SID deleted from the
//                       Service, never used again (Store::ImportUsers refuses
//                       it); written with the delete, never removed
//   e/<IS><seq BE64>    an event of the Service's change feed (EncodeEvent),
//                       written in the same batch as the change it records
//   f/<IS>              the feed's marks (EncodeFeedMark): the oldest event
//                       kept and a checkpoint (events up to it have no hole)
//   c/configuration     the account's Conversations Configuration
//                       (EncodeConfiguration); absent until first updated
//   a/<IS>              the Service's indexed attribute key (issue 18,
//                       EncodeIndexedAttribute); absent when none declared
// Every value starts with a version byte (kValueVersion); integers are
// little-endian fixed width, strings a 32-bit length then the bytes. A value
// must be consumed exactly: trailing bytes are corruption.
//
// Thread-safety: pure functions; thread-safe.
#ifndef USERSTORE_SRC_DURABLE_CODEC_H_
#define USERSTORE_SRC_DURABLE_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sid/sid.h"
#include "store/event_feed.h"
#include "store/user_record.h"
#include "userstore/configuration.h"
#include "userstore/service.h"

namespace userstore::internal::durable {

// Value of m/format. 2 since issue 13: user values may be version 2 (with a
// revision), which a version-1 reader cannot decode; a version-1 store is
// read as it is and marked 2 when opened for writing (durable/open.cc).
inline constexpr uint8_t kFormatVersion = 2;
inline constexpr uint8_t kOldestFormatVersion = 1;  // the oldest m/format read
inline constexpr uint8_t kValueVersion = 1;         // first byte of s/, r/ values
// First byte of the u/ values written now: version 1 plus the revision
// (User::revision). Version 1 values are still read (revision = sequence).
inline constexpr uint8_t kUserValueVersion = 2;

inline constexpr std::string_view kMetaPrefix = "m/";
inline constexpr std::string_view kServicePrefix = "s/";
inline constexpr std::string_view kRolePrefix = "r/";
inline constexpr std::string_view kUserPrefix = "u/";
inline constexpr std::string_view kHighWaterPrefix = "h/";
inline constexpr std::string_view kDeletedPrefix = "d/";
inline constexpr std::string_view kEventPrefix = "e/";
inline constexpr std::string_view kFeedPrefix = "f/";
inline constexpr std::string_view kConfigurationPrefix = "c/";
inline constexpr std::string_view kIndexedAttributePrefix = "a/";

inline constexpr std::string_view kMetaFormat = "m/format";
inline constexpr std::string_view kMetaAccountSid = "m/account_sid";
inline constexpr std::string_view kMetaPageTokenKey = "m/page_token_key";
// The one key of kind c/.
inline constexpr std::string_view kConfigurationKey = "c/configuration";

// ---- keys (O(1)) -----------------------------------------------------------
std::string ServiceKey(const SidBytes& service);
std::string RoleKey(const SidBytes& service, uint64_t index);
std::string UserRecordKey(const SidBytes& service, uint64_t sequence);
std::string HighWaterKey(const SidBytes& service);
std::string DeletedKey(const SidBytes& service, const SidBytes& user);
// The prefix of every key of `kind` (one of the k*Prefix) for one Service.
std::string ServicePrefix(std::string_view kind, const SidBytes& service);

// Each parser: false unless `key` has exactly that kind's shape.
bool ParseServiceKey(std::string_view key, SidBytes* service);
bool ParseRoleKey(std::string_view key, SidBytes* service, uint64_t* index);
bool ParseUserRecordKey(std::string_view key, SidBytes* service, uint64_t* sequence);
bool ParseHighWaterKey(std::string_view key, SidBytes* service);
// a/<IS>: the Service's indexed attribute (Store::SetIndexedAttribute).
std::string IndexedAttributeKey(const SidBytes& service);
bool ParseIndexedAttributeKey(std::string_view key, SidBytes* service);
// Value: kValueVersion, then the key's bytes (1..128). Decode: false when
// malformed.
std::string EncodeIndexedAttribute(std::string_view key);
bool DecodeIndexedAttribute(std::string_view value, std::string* key);
bool ParseDeletedKey(std::string_view key, SidBytes* service, SidBytes* user);
// The value of a d/ key, and its check (exactly kValueVersion).
std::string EncodeDeleted();
bool DecodeDeleted(std::string_view value);

// ---- values (O(size)) ------------------------------------------------------
// Decoders fail with kDataLoss (500/20500) naming what is wrong.

// REQUIRES: the default role SIDs of `service` are well-formed RL SIDs.
std::string EncodeService(const Service& service);
// `sid` and `account_sid` come from the key and the metadata.
absl::StatusOr<Service> DecodeService(std::string_view value, const SidBytes& sid,
                                      const std::string& account_sid);

// REQUIRES: role.sid is a well-formed RL SID.
std::string EncodeRole(const Role& role);
absl::StatusOr<Role> DecodeRole(std::string_view value, const std::string& service_sid,
                                const std::string& account_sid);

// Writes `record` without presence (runtime state) and without its sequence
// (the key holds it) into `*out`.
void EncodeUser(const UserRecord& record, std::string* out);
// A record with `sequence` (from the key), presence unknown.
absl::StatusOr<UserRecord::Ptr> DecodeUser(std::string_view value, uint64_t sequence);
// The same checks, with no record made: `*fields` views `value`. Errors as
// DecodeUser; on an error `*fields` is unspecified. O(|value|), no
// allocation.
absl::Status DecodeUserFields(std::string_view value, uint64_t sequence, UserFields* fields);

std::string EncodeSequence(uint64_t sequence);
bool DecodeSequence(std::string_view value, uint64_t* sequence);

// ---- the change feed (docs/events.md, "Durable feed") ----------------------
std::string EventKey(const SidBytes& service, uint64_t sequence);
bool ParseEventKey(std::string_view key, SidBytes* service, uint64_t* sequence);
std::string FeedKey(const SidBytes& service);
bool ParseFeedKey(std::string_view key, SidBytes* service);

// The f/ value. Events `first`..last are kept on disk (first: the oldest
// after trimming, 1 before any; last: the highest e/ key, or first - 1 when
// there is none); events first..checkpoint have no hole (a hole can only
// follow a crash, among the writes in flight: recovery looks after the
// checkpoint only).
struct FeedMark {
  uint64_t first = 1;
  uint64_t checkpoint = 0;
};
std::string EncodeFeedMark(const FeedMark& mark);
bool DecodeFeedMark(std::string_view value, FeedMark* mark);

// Event v1: version, type, origin, flags (bit 0: webhook_enabled), changed
// (u32), time (Unix microseconds), online, notifiable, then the user as
// EncodeUser writes it (the user after the write; before it, for a removal).
void EncodeEvent(const EventMeta& meta, const UserRecord& record, std::string* out);
// `*event` (but its sequence, set from `sequence`) views `value`. Errors:
// kDataLoss (500/20500) naming the sequence. O(|value|), no allocation.
absl::Status DecodeEvent(std::string_view value, uint64_t sequence, FeedEvent* event);

// ---- the Conversations Configuration (c/configuration) ----------------------
// v1: version, revision (u64, 1 or more), flags (bit 0: a chat Service SID,
// bit 1: a Messaging Service SID), those SIDs (16 bytes each, only when
// flagged), default_inactive_timer, default_closed_timer. account_sid is the
// metadata's.
std::string EncodeConfiguration(const Configuration& configuration, uint64_t revision);
// Errors: kDataLoss (500/20500) when `value` does not decode exactly (the
// fields' content is the Store's check: ValidateConfiguration).
absl::Status DecodeConfiguration(std::string_view value, Configuration* configuration,
                                 uint64_t* revision);

}  // namespace userstore::internal::durable

#endif  // USERSTORE_SRC_DURABLE_CODEC_H_
