#include "store/user_record.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

namespace userstore::internal {

UserRecord::Ptr UserRecord::Make(const Text& text, const UserRecord* base) {
  const size_t friendly = text.friendly_name ? text.friendly_name->size() : 0;
  const size_t tail = text.identity.size() + text.attributes.size() + friendly;
  // malloc (not operator new) so that malloc_usable_size is defined for the
  // block whatever operator new the host links in.
  void* block = std::malloc(sizeof(UserRecord) + tail);
  if (block == nullptr) throw std::bad_alloc();
  auto* r = new (block) UserRecord();
  if (base != nullptr) {
    r->sequence = base->sequence;
    r->sid = base->sid;
    r->role_sid = base->role_sid;
    r->date_created = base->date_created;
    r->date_updated = base->date_updated;
    r->joined_channels_count = base->joined_channels_count;
    r->online = base->online;
    r->notifiable = base->notifiable;
  }
  r->identity_size_ = static_cast<uint32_t>(text.identity.size());
  r->attributes_size_ = static_cast<uint32_t>(text.attributes.size());
  r->friendly_name_size_ = static_cast<uint32_t>(friendly);
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
  const size_t capacity = malloc_usable_size(this) - sizeof(UserRecord);
  if (identity_size_ + attributes.size() + friendly > capacity) return false;
  // Either input may view the text being overwritten: the attributes move
  // with memmove; the friendly name is copied aside first when it lives here.
  std::string saved;
  if (friendly_name && friendly > 0 && friendly_name->data() >= tail() &&
      friendly_name->data() < tail() + capacity) {
    saved.assign(*friendly_name);
    friendly_name = saved;
  }
  char* out = tail() + identity_size_;
  if (!attributes.empty()) std::memmove(out, attributes.data(), attributes.size());
  out += attributes.size();
  if (friendly > 0) std::memcpy(out, friendly_name->data(), friendly);
  attributes_size_ = static_cast<uint32_t>(attributes.size());
  friendly_name_size_ = static_cast<uint32_t>(friendly);
  has_friendly_name_ = friendly_name.has_value();
  return true;
}

void UserRecord::Deleter::operator()(UserRecord* record) const {
  record->~UserRecord();
  std::free(record);
}

}  // namespace userstore::internal
