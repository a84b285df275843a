#include "durable/binding_codec.h"

#include <cstring>
#include <utility>

#include "common/big_endian.h"
#include "durable/codec.h"
#include "durable/errors.h"
#include "durable/value_io.h"

namespace userstore::internal::durable {
namespace {

// `kind` + the 16 bytes of `a` + `rest`.
std::string MakeKey(std::string_view kind, const SidBytes& a, std::string_view rest) {
  std::string key = ServicePrefix(kind, a);
  key.append(rest);
  return key;
}

// Strips `kind`, reads the Service SID; `rest` gets the `rest_size` bytes
// after it.
bool Split(std::string_view key, std::string_view kind, size_t rest_size, SidBytes* service,
           std::string_view* rest) {
  if (key.size() != kind.size() + 16 + rest_size || !key.starts_with(kind)) return false;
  std::memcpy(service->bytes.data(), key.data() + kind.size(), 16);
  *rest = key.substr(kind.size() + 16);
  return true;
}

std::string_view SidView(const SidBytes& sid) {
  return {reinterpret_cast<const char*>(sid.bytes.data()), sid.bytes.size()};
}

bool ParseSidKey(std::string_view key, std::string_view kind, SidBytes* service, SidBytes* sid) {
  std::string_view rest;
  if (!Split(key, kind, 16, service, &rest)) return false;
  std::memcpy(sid->bytes.data(), rest.data(), 16);
  return true;
}

}  // namespace

std::string BindingKey(const SidBytes& service, uint64_t sequence) {
  std::string be;
  PutBigEndian64(sequence, &be);
  return MakeKey(kBindingPrefix, service, be);  // big-endian: key order is creation order
}

bool ParseBindingKey(std::string_view key, SidBytes* service, uint64_t* sequence) {
  std::string_view rest;
  if (!Split(key, kBindingPrefix, 8, service, &rest)) return false;
  *sequence = 0;
  for (char c : rest) *sequence = (*sequence << 8) | static_cast<uint8_t>(c);
  return true;
}

std::string DeletedBindingKey(const SidBytes& service, const SidBytes& binding) {
  return MakeKey(kDeletedBindingPrefix, service, SidView(binding));
}

bool ParseDeletedBindingKey(std::string_view key, SidBytes* service, SidBytes* binding) {
  return ParseSidKey(key, kDeletedBindingPrefix, service, binding);
}

std::string NotifiedKey(const SidBytes& service, const SidBytes& user) {
  return MakeKey(kNotifiedPrefix, service, SidView(user));
}

bool ParseNotifiedKey(std::string_view key, SidBytes* service, SidBytes* user) {
  return ParseSidKey(key, kNotifiedPrefix, service, user);
}

void EncodeBinding(const BindingRecord& binding, std::string* out) {
  out->clear();
  Writer w(out);
  w.U8(kValueVersion);
  w.Sid(binding.sid);
  w.Sid(binding.user);
  w.U8(static_cast<uint8_t>(binding.type));
  w.U8(binding.credential ? 1 : 0);
  if (binding.credential) w.Sid(*binding.credential);
  w.I64(binding.date_created);
  w.I64(binding.date_updated);
  w.Str(binding.endpoint);
  w.U32(static_cast<uint32_t>(binding.message_types.size()));
  for (const std::string& type : binding.message_types) w.Str(type);
}

absl::StatusOr<BindingRecord> DecodeBinding(std::string_view value, uint64_t sequence) {
  auto corrupt = [&] { return Corrupt("malformed Binding " + std::to_string(sequence)); };
  Reader r(value);
  BindingRecord b;
  b.sequence = sequence;
  const uint8_t version = r.U8();
  b.sid = r.Sid();
  b.user = r.Sid();
  const uint8_t type = r.U8();
  const uint8_t has_credential = r.U8();
  if (!r.ok() || version != kValueVersion || type > static_cast<uint8_t>(BindingType::kFcm) ||
      has_credential > 1) {
    return corrupt();
  }
  b.type = static_cast<BindingType>(type);
  if (has_credential == 1) b.credential = r.Sid();
  b.date_created = r.I64();
  b.date_updated = r.I64();
  b.endpoint = std::string(r.Str());
  const uint32_t count = r.U32();
  // Each type takes at least its 4-byte length: a count beyond what is left
  // is corrupt (and never reserves memory for it).
  if (!r.ok() || count > value.size() / 4) return corrupt();
  b.message_types.reserve(count);
  for (uint32_t i = 0; i < count && r.ok(); ++i) b.message_types.emplace_back(r.Str());
  if (!r.done()) return corrupt();
  return b;
}

}  // namespace userstore::internal::durable
