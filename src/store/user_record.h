// UserRecord: how one user is held inside a Service's index.
//
// One heap block per user: a fixed header followed by the identity, the
// attributes and the friendly name bytes (no per-field std::string). The
// block is sized up to the next multiple of 16 bytes less 8 (what glibc's
// malloc hands out anyway), and the record remembers that slack, so a
// change of attributes or friendly name either rewrites the text in place
// when it fits the block
// (AssignTextInPlace; memory-only stores) or builds a new record
// (UserRecord::Make with the old one as base) that replaces the old under
// the index's locks. The identity never changes.
//
// The block comes from malloc, or from the Store's RecordArena when it keeps
// records in huge-page-eligible memory (StoreOptions::record_memory): then
// it is sized to the arena's class (up to 15 bytes spare, 127 past 1 KiB)
// and a header bit says so, so the Deleter returns it to its arena (found
// from the block's address) without a pointer per record. Header fields and the text
// change only under the record's SID-shard lock, held exclusively.
//
// Thread-compatible: the UserIndex's locks guard every access
// (see user_index.h).
#ifndef USERSTORE_SRC_STORE_USER_RECORD_H_
#define USERSTORE_SRC_STORE_USER_RECORD_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "sid/sid.h"

namespace userstore::internal {

class RecordArena;

// Tri-state presence as the host reported it: never reported, false, true.
enum class Presence : uint8_t { kUnknown = 0, kFalse = 1, kTrue = 2 };

class UserRecord {
 public:
  struct Deleter {
    void operator()(UserRecord* record) const;
  };
  using Ptr = std::unique_ptr<UserRecord, Deleter>;

  // The text fields of a record. `attributes` empty means never set.
  struct Text {
    std::string_view identity;
    std::string_view attributes;
    std::optional<std::string_view> friendly_name;
  };

  // A new record holding `text`, with header fields copied from `base` when
  // given (zero otherwise). One allocation of sizeof(UserRecord) + the text:
  // from `arena` when given and the record fits its largest block (rounded
  // up to the arena's size class), else from malloc, rounded up to glibc's
  // chunk size (up to 15 spare bytes). Throws std::bad_alloc as new does.
  static Ptr Make(const Text& text, const UserRecord* base = nullptr, RecordArena* arena = nullptr);

  std::string_view identity() const { return {tail(), identity_size_}; }
  std::string_view attributes() const { return {tail() + identity_size_, attributes_size_}; }
  std::optional<std::string_view> friendly_name() const {
    if (!has_friendly_name_) return std::nullopt;
    return std::string_view(tail() + identity_size_ + attributes_size_, friendly_name_size_);
  }
  Text text() const { return {identity(), attributes(), friendly_name()}; }

  // Replaces the attributes and friendly name with `attributes` and
  // `friendly_name` (which may view this record's own text) when the
  // identity and the new text fit the record's block and leave at most 255
  // bytes of it unused; returns false and changes nothing otherwise (the
  // caller then builds a new record). O(record size).
  bool AssignTextInPlace(std::string_view attributes,
                         std::optional<std::string_view> friendly_name);

  // Whether the block came from a RecordArena (else from malloc).
  bool in_arena() const { return in_arena_; }

  // Bytes of heap this record's block holds (header, text and spare bytes).
  size_t allocated_size() const {
    return sizeof(UserRecord) + identity_size_ + attributes_size_ + friendly_name_size_ + slack_;
  }

  // Header fields.
  uint64_t sequence = 0;  // position in the Service's creation order, from 1
  // User::revision: from the Service's sequence counter (ServiceState::
  // NextSequence), so it never repeats in the Service; set to the sequence
  // at creation, moved by every durable write of the user.
  uint64_t revision = 0;
  SidBytes sid;
  SidBytes role_sid;
  int64_t date_created = 0;  // Unix seconds, UTC
  int64_t date_updated = 0;  // Unix seconds, UTC
  int64_t joined_channels_count = 0;
  uint32_t connections = 0;  // live connections (Store::ConnectUser); memory only

  // The most bytes an identity or a friendly name may have in a record
  // (16-bit sizes keep the header at 88 bytes). Store::Create refuses limits
  // that would allow more (16,383 code points of up to 4 bytes each); the
  // durable codec refuses a stored record over it as corrupt.
  static constexpr size_t kMaxShortTextBytes = 65535;
  static bool Fits(const Text& text) {
    return text.identity.size() <= kMaxShortTextBytes &&
           (!text.friendly_name || text.friendly_name->size() <= kMaxShortTextBytes) &&
           text.attributes.size() <= UINT32_MAX;
  }

 private:
  UserRecord() = default;
  ~UserRecord() = default;
  const char* tail() const { return reinterpret_cast<const char*>(this + 1); }
  char* tail() { return reinterpret_cast<char*>(this + 1); }

  // Declared between connections and the presence bytes, so that the header
  // packs into 88 bytes with no padding.
  uint32_t attributes_size_ = 0;
  uint16_t identity_size_ = 0;
  uint16_t friendly_name_size_ = 0;
  bool has_friendly_name_ : 1 = false;
  bool in_arena_ : 1 = false;  // the block is a RecordArena's
  uint8_t slack_ = 0;          // block bytes past the text, 0..255

 public:
  // After the private sizes, so that the header has no padding.
  Presence online = Presence::kUnknown;
  Presence notifiable = Presence::kUnknown;
};

// A stored user's fields, viewing bytes held elsewhere (a record, or a value
// read from the durable store's directory).
struct UserFields {
  SidBytes sid{};
  SidBytes role_sid{};
  std::string_view identity;
  std::string_view attributes;  // "" when never set
  std::optional<std::string_view> friendly_name;
  int64_t joined_channels_count = 0;
  int64_t date_created = 0;  // Unix seconds
  int64_t date_updated = 0;  // Unix seconds
  uint64_t revision = 0;
};

// The user_field bits (userstore/events.h) a replacement `next` changes in
// `old`: role, attributes, friendly name, joined-channels count (what an
// import or an applied change shows in its event).
uint32_t ChangedFields(const UserRecord& old, const UserRecord& next);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_USER_RECORD_H_
