#include "store/user_record.h"

#include <boost/container/small_vector.hpp>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <functional>
#include <new>
#include <string>

#include "arena/record_arena.h"
#include "userstore/user.h"

namespace userstore::internal {

// The header is 88 bytes with no padding (user_record.h orders the fields).
static_assert(sizeof(UserRecord) == 88);

UserRecord::Ptr UserRecord::Make(const Text& text, const UserRecord* base, RecordArena* arena) {
  assert(Fits(text));  // every caller validated the text (limits, or the codec)
  const size_t friendly = text.friendly_name ? text.friendly_name->size() : 0;
  const size_t tail = text.identity.size() + text.attributes.size() + friendly;
  // glibc's malloc serves a request of n bytes from a chunk of
  // round_up(n + 8, 16) bytes; asking for all of it costs nothing there and
  // leaves room for in-place updates (AssignTextInPlace).
  const size_t needed = sizeof(UserRecord) + tail;
  const size_t arena_size = arena != nullptr ? RecordArena::BlockSize(needed) : 0;
  const size_t size = arena_size != 0 ? arena_size : ((needed + 8 + 15) & ~size_t{15}) - 8;
  void* block = arena_size != 0 ? arena->Allocate(size) : ::operator new(size);
  auto* r = new (block) UserRecord();
  r->in_arena_ = arena_size != 0;
  r->slack_ = static_cast<uint8_t>(size - needed);
  if (base != nullptr) {
    r->sequence = base->sequence;
    r->sid = base->sid;
    r->role_sid = base->role_sid;
    r->date_created = base->date_created;
    r->date_updated = base->date_updated;
    r->joined_channels_count = base->joined_channels_count;
    r->online = base->online;
    r->notifiable = base->notifiable;
    r->revision = base->revision;
    r->connections = base->connections;
  }
  r->identity_size_ = static_cast<uint16_t>(text.identity.size());
  r->attributes_size_ = static_cast<uint32_t>(text.attributes.size());
  r->friendly_name_size_ = static_cast<uint16_t>(friendly);
  r->has_friendly_name_ = text.friendly_name.has_value();
  char* out = r->tail();
  if (!text.identity.empty()) std::memcpy(out, text.identity.data(), text.identity.size());
  out += text.identity.size();
  if (!text.attributes.empty()) std::memcpy(out, text.attributes.data(), text.attributes.size());
  out += text.attributes.size();
  if (friendly > 0) std::memcpy(out, text.friendly_name->data(), friendly);
  return Ptr(r);
}

bool UserRecord::AssignTextInPlace(std::string_view attributes,
                                   std::optional<std::string_view> friendly_name) {
  const size_t friendly = friendly_name ? friendly_name->size() : 0;
  const size_t capacity = identity_size_ + attributes_size_ + friendly_name_size_ + slack_;
  const size_t text = identity_size_ + attributes.size() + friendly;
  // Too big, or so much smaller that over 255 bytes would sit unused (a
  // fresh, smaller record gives them back).
  if (text > capacity || capacity - text > UINT8_MAX) return false;
  // Either input may view the text being overwritten: the attributes move
  // with memmove; the friendly name is copied aside first when it lives here.
  // (On the stack for names up to 128 bytes: an attributes-only update
  // keeps the name, and must not allocate for it.)
  boost::container::small_vector<char, 128> saved;
  const std::less<const char*> before;  // a total order, even across objects
  if (friendly_name && friendly > 0 && !before(friendly_name->data(), tail()) &&
      before(friendly_name->data(), tail() + capacity)) {
    saved.assign(friendly_name->begin(), friendly_name->end());
    friendly_name = std::string_view(saved.data(), saved.size());
  }
  char* out = tail() + identity_size_;
  if (!attributes.empty()) std::memmove(out, attributes.data(), attributes.size());
  out += attributes.size();
  if (friendly > 0) std::memcpy(out, friendly_name->data(), friendly);
  attributes_size_ = static_cast<uint32_t>(attributes.size());
  friendly_name_size_ = static_cast<uint16_t>(friendly);
  has_friendly_name_ = friendly_name.has_value();
  slack_ = static_cast<uint8_t>(capacity - identity_size_ - attributes_size_ - friendly_name_size_);
  return true;
}

void UserRecord::Deleter::operator()(UserRecord* record) const {
  const bool in_arena = record->in_arena_;
  const size_t size = record->allocated_size();
  record->~UserRecord();
  if (in_arena) {
    RecordArena::Free(record, size);
  } else {
    ::operator delete(static_cast<void*>(record));
  }
}

uint32_t ChangedFields(const UserRecord& old, const UserRecord& next) {
  uint32_t changed = 0;
  if (old.role_sid != next.role_sid) changed |= user_field::kRoleSid;
  if (old.attributes() != next.attributes()) changed |= user_field::kAttributes;
  if (old.friendly_name() != next.friendly_name()) changed |= user_field::kFriendlyName;
  if (old.joined_channels_count != next.joined_channels_count) {
    changed |= user_field::kJoinedChannelsCount;
  }
  return changed;
}

}  // namespace userstore::internal
