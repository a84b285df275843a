#include "store/user_record.h"

#include <cstring>
#include <new>

namespace userstore::internal {

UserRecord::Ptr UserRecord::Make(const Text& text, const UserRecord* base) {
  const size_t friendly = text.friendly_name ? text.friendly_name->size() : 0;
  const size_t tail = text.identity.size() + text.attributes.size() + friendly;
  void* block = ::operator new(sizeof(UserRecord) + tail);
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

void UserRecord::Deleter::operator()(UserRecord* record) const {
  record->~UserRecord();
  ::operator delete(static_cast<void*>(record));
}

}  // namespace userstore::internal
