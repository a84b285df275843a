#include "durable/codec.h"

#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "common/big_endian.h"
#include "common/status_macros.h"
#include "durable/errors.h"
#include "durable/value_io.h"
#include "userstore/error.h"

namespace userstore::internal::durable {
namespace {

std::string Key(std::string_view kind, const SidBytes& a) {
  std::string key(kind);
  Writer(&key).Sid(a);
  return key;
}

// Strips `kind` and reads one SID; `rest` gets what follows.
bool SplitKey(std::string_view key, std::string_view kind, size_t rest_size, SidBytes* sid,
              std::string_view* rest) {
  if (key.size() != kind.size() + 16 + rest_size || key.substr(0, kind.size()) != kind) {
    return false;
  }
  std::memcpy(sid->bytes.data(), key.data() + kind.size(), 16);
  *rest = key.substr(kind.size() + 16);
  return true;
}

SidBytes RoleBytes(const std::string& sid) { return ParseSid(sid, "RL").value_or(SidBytes{}); }

}  // namespace

std::string ServiceKey(const SidBytes& service) { return Key(kServicePrefix, service); }
std::string HighWaterKey(const SidBytes& service) { return Key(kHighWaterPrefix, service); }
std::string ServicePrefix(std::string_view kind, const SidBytes& service) {
  return Key(kind, service);
}

std::string RoleKey(const SidBytes& service, uint64_t index) {
  std::string key = Key(kRolePrefix, service);
  PutBigEndian64(index, &key);  // big-endian: key order is index order
  return key;
}

std::string UserRecordKey(const SidBytes& service, uint64_t sequence) {
  std::string key = Key(kUserPrefix, service);
  PutBigEndian64(sequence, &key);  // big-endian: key order is creation order
  return key;
}

bool ParseServiceKey(std::string_view key, SidBytes* service) {
  std::string_view rest;
  return SplitKey(key, kServicePrefix, 0, service, &rest);
}

bool ParseHighWaterKey(std::string_view key, SidBytes* service) {
  std::string_view rest;
  return SplitKey(key, kHighWaterPrefix, 0, service, &rest);
}

std::string IndexedAttributeKey(const SidBytes& service) {
  return Key(kIndexedAttributePrefix, service);
}

bool ParseIndexedAttributeKey(std::string_view key, SidBytes* service) {
  std::string_view rest;
  return SplitKey(key, kIndexedAttributePrefix, 0, service, &rest);
}

std::string EncodeIndexedAttribute(std::string_view key) {
  std::string value(1, static_cast<char>(kValueVersion));
  value.append(key);
  return value;
}

bool DecodeIndexedAttribute(std::string_view value, std::string* key) {
  if (value.size() < 2 || value.size() > 129 || static_cast<uint8_t>(value[0]) != kValueVersion) {
    return false;
  }
  key->assign(value.substr(1));
  return true;
}

std::string DeletedKey(const SidBytes& service, const SidBytes& user) {
  std::string key = Key(kDeletedPrefix, service);
  Writer(&key).Sid(user);
  return key;
}

bool ParseDeletedKey(std::string_view key, SidBytes* service, SidBytes* user) {
  std::string_view rest;
  if (!SplitKey(key, kDeletedPrefix, 16, service, &rest)) return false;
  std::memcpy(user->bytes.data(), rest.data(), 16);
  return true;
}

std::string EncodeDeleted() { return std::string(1, static_cast<char>(kValueVersion)); }

bool DecodeDeleted(std::string_view value) {
  return value.size() == 1 && static_cast<uint8_t>(value[0]) == kValueVersion;
}

bool ParseRoleKey(std::string_view key, SidBytes* service, uint64_t* index) {
  std::string_view rest;
  if (!SplitKey(key, kRolePrefix, 8, service, &rest)) return false;
  *index = GetBigEndian64(rest);
  return true;
}

bool ParseUserRecordKey(std::string_view key, SidBytes* service, uint64_t* sequence) {
  std::string_view rest;
  if (!SplitKey(key, kUserPrefix, 8, service, &rest)) return false;
  *sequence = GetBigEndian64(rest);
  return true;
}

// Service v1: version, reachability (0/1), date_created, date_updated,
// default service / channel / channel-creator role SIDs, friendly_name.
std::string EncodeService(const Service& service) {
  std::string out;
  Writer w(&out);
  w.U8(kValueVersion);
  w.U8(service.reachability_enabled ? 1 : 0);
  w.I64(absl::ToUnixSeconds(service.date_created));
  w.I64(absl::ToUnixSeconds(service.date_updated));
  w.Sid(RoleBytes(service.default_service_role_sid));
  w.Sid(RoleBytes(service.default_channel_role_sid));
  w.Sid(RoleBytes(service.default_channel_creator_role_sid));
  w.Str(service.friendly_name);
  return out;
}

absl::StatusOr<Service> DecodeService(std::string_view value, const SidBytes& sid,
                                      const std::string& account_sid) {
  Reader r(value);
  const uint8_t version = r.U8();
  if (r.ok() && version != kValueVersion) return Corrupt("unknown Service value version");
  Service s;
  s.sid = FormatSid("IS", sid);
  s.account_sid = account_sid;
  const uint8_t reachability = r.U8();
  s.date_created = absl::FromUnixSeconds(r.I64());
  s.date_updated = absl::FromUnixSeconds(r.I64());
  s.default_service_role_sid = FormatSid("RL", r.Sid());
  s.default_channel_role_sid = FormatSid("RL", r.Sid());
  s.default_channel_creator_role_sid = FormatSid("RL", r.Sid());
  s.friendly_name = r.Str();
  if (!r.done() || reachability > 1) return Corrupt("malformed Service " + s.sid);
  s.reachability_enabled = reachability == 1;
  return s;
}

// Role v1: version, sid, type (0 deployment, 1 channel), date_created,
// date_updated, friendly_name, permission count, permissions.
std::string EncodeRole(const Role& role) {
  std::string out;
  Writer w(&out);
  w.U8(kValueVersion);
  w.Sid(RoleBytes(role.sid));
  w.U8(role.type == RoleScope::kDeployment ? 0 : 1);
  w.I64(absl::ToUnixSeconds(role.date_created));
  w.I64(absl::ToUnixSeconds(role.date_updated));
  w.Str(role.friendly_name);
  w.U32(static_cast<uint32_t>(role.permissions.size()));
  for (const std::string& p : role.permissions) w.Str(p);
  return out;
}

absl::StatusOr<Role> DecodeRole(std::string_view value, const std::string& service_sid,
                                const std::string& account_sid) {
  Reader r(value);
  const uint8_t version = r.U8();
  if (r.ok() && version != kValueVersion) return Corrupt("unknown Role value version");
  Role role;
  role.sid = FormatSid("RL", r.Sid());
  role.account_sid = account_sid;
  role.service_sid = service_sid;
  const uint8_t type = r.U8();
  role.type = type == 0 ? RoleScope::kDeployment : RoleScope::kChannel;
  role.date_created = absl::FromUnixSeconds(r.I64());
  role.date_updated = absl::FromUnixSeconds(r.I64());
  role.friendly_name = r.Str();
  const uint32_t count = r.U32();
  // Each permission takes at least its 4-byte length: a count beyond what
  // the value can hold is corruption, not a reason to reserve memory.
  if (r.ok() && count <= value.size() / 4) {
    for (uint32_t i = 0; i < count && r.ok(); ++i) role.permissions.emplace_back(r.Str());
  } else {
    return Corrupt("malformed Role " + role.sid + " of " + service_sid);
  }
  if (!r.done() || type > 1) return Corrupt("malformed Role " + role.sid + " of " + service_sid);
  return role;
}

// User v1: version, sid, role_sid, date_created, date_updated,
// joined_channels_count, flags (bit 0: friendly_name set), identity,
// attributes (empty: never set), friendly_name. The sequence is the key's.
namespace {

void AppendUser(const UserRecord& record, std::string* out) {
  const std::optional<std::string_view> friendly = record.friendly_name();
  out->reserve(out->size() + 1 + 16 + 16 + 8 * 4 + 1 + 12 + record.identity().size() +
               record.attributes().size() + (friendly ? friendly->size() : 0));
  Writer w(out);
  w.U8(kUserValueVersion);
  w.Sid(record.sid);
  w.Sid(record.role_sid);
  w.I64(record.date_created);
  w.I64(record.date_updated);
  w.I64(record.joined_channels_count);
  w.U64(record.revision);
  w.U8(friendly ? 1 : 0);
  w.Str(record.identity());
  w.Str(record.attributes());
  w.Str(friendly.value_or(std::string_view()));
}

}  // namespace

void EncodeUser(const UserRecord& record, std::string* out) {
  out->clear();
  AppendUser(record, out);
}

absl::Status DecodeUserFields(std::string_view value, uint64_t sequence, UserFields* fields) {
  Reader r(value);
  const uint8_t version = r.U8();
  if (r.ok() && version != kValueVersion && version != kUserValueVersion) {
    return Corrupt("unknown User value version");
  }
  fields->sid = r.Sid();
  fields->role_sid = r.Sid();
  fields->date_created = r.I64();
  fields->date_updated = r.I64();
  fields->joined_channels_count = r.I64();
  // Version 1 had no revision: the user's creation sequence stands for it.
  fields->revision = version == kValueVersion ? sequence : r.U64();
  const uint8_t flags = r.U8();
  fields->identity = r.Str();
  fields->attributes = r.Str();
  const std::string_view friendly = r.Str();
  if (!r.done() || flags > 1 || (flags == 0 && !friendly.empty())) {
    return Corrupt("malformed User with sequence " + std::to_string(sequence) +
                   (r.ok() ? " (" + FormatSid("US", fields->sid) + ")" : std::string()));
  }
  fields->friendly_name.reset();
  if (flags == 1) fields->friendly_name = friendly;
  const UserRecord::Text text{fields->identity, fields->attributes, fields->friendly_name};
  if (!UserRecord::Fits(text)) {
    return Corrupt("User with sequence " + std::to_string(sequence) + " (" +
                   FormatSid("US", fields->sid) +
                   ") has an identity or friendly name over 65535 bytes");
  }
  return absl::OkStatus();
}

absl::StatusOr<UserRecord::Ptr> DecodeUser(std::string_view value, uint64_t sequence) {
  UserFields fields;
  USERSTORE_RETURN_IF_ERROR(DecodeUserFields(value, sequence, &fields));
  UserRecord::Ptr record =
      UserRecord::Make(UserRecord::Text{fields.identity, fields.attributes, fields.friendly_name});
  record->sequence = sequence;
  record->sid = fields.sid;
  record->role_sid = fields.role_sid;
  record->date_created = fields.date_created;
  record->date_updated = fields.date_updated;
  record->joined_channels_count = fields.joined_channels_count;
  record->revision = fields.revision;
  return record;
}

std::string EncodeSequence(uint64_t sequence) {
  std::string out;
  Writer(&out).U64(sequence);
  return out;
}

bool DecodeSequence(std::string_view value, uint64_t* sequence) {
  Reader r(value);
  *sequence = r.U64();
  return r.done();
}

std::string EventKey(const SidBytes& service, uint64_t sequence) {
  std::string key = Key(kEventPrefix, service);
  PutBigEndian64(sequence, &key);  // big-endian: key order is feed order
  return key;
}

bool ParseEventKey(std::string_view key, SidBytes* service, uint64_t* sequence) {
  std::string_view rest;
  if (!SplitKey(key, kEventPrefix, 8, service, &rest)) return false;
  *sequence = GetBigEndian64(rest);
  return true;
}

std::string FeedKey(const SidBytes& service) { return Key(kFeedPrefix, service); }

bool ParseFeedKey(std::string_view key, SidBytes* service) {
  std::string_view rest;
  return SplitKey(key, kFeedPrefix, 0, service, &rest);
}

std::string EncodeFeedMark(const FeedMark& mark) {
  std::string out;
  Writer w(&out);
  w.U8(kValueVersion);
  w.U64(mark.first);
  w.U64(mark.checkpoint);
  return out;
}

bool DecodeFeedMark(std::string_view value, FeedMark* mark) {
  Reader r(value);
  const uint8_t version = r.U8();
  mark->first = r.U64();
  mark->checkpoint = r.U64();
  return r.done() && version == kValueVersion && mark->first >= 1;
}

namespace {
constexpr size_t kEventHeader = 1 + 1 + 1 + 1 + 4 + 8 + 1 + 1;
}  // namespace

void EncodeEvent(const EventMeta& meta, const UserRecord& record, std::string* out) {
  out->clear();
  Writer w(out);
  w.U8(kValueVersion);
  w.U8(static_cast<uint8_t>(meta.type));
  w.U8(static_cast<uint8_t>(meta.origin));
  w.U8(meta.webhook_enabled ? 1 : 0);
  w.U32(meta.changed);
  w.I64(meta.time_micros);
  w.U8(static_cast<uint8_t>(record.online));
  w.U8(static_cast<uint8_t>(record.notifiable));
  AppendUser(record, out);
}

absl::Status DecodeEvent(std::string_view value, uint64_t sequence, FeedEvent* event) {
  Reader r(value.substr(0, kEventHeader));
  const uint8_t version = r.U8();
  const uint8_t type = r.U8();
  const uint8_t origin = r.U8();
  const uint8_t flags = r.U8();
  event->meta.changed = r.U32();
  event->meta.time_micros = r.I64();
  const uint8_t online = r.U8();
  const uint8_t notifiable = r.U8();
  if (!r.done() || version != kValueVersion ||
      type > static_cast<uint8_t>(UserEvent::Type::kUserRemoved) ||
      origin > static_cast<uint8_t>(WriteOrigin::kReplica) || flags > 1 ||
      online > static_cast<uint8_t>(Presence::kTrue) ||
      notifiable > static_cast<uint8_t>(Presence::kTrue)) {
    return Corrupt("malformed event " + std::to_string(sequence));
  }
  event->sequence = sequence;
  event->meta.type = static_cast<UserEvent::Type>(type);
  event->meta.origin = static_cast<WriteOrigin>(origin);
  event->meta.webhook_enabled = flags == 1;
  event->online = static_cast<Presence>(online);
  event->notifiable = static_cast<Presence>(notifiable);
  if (absl::Status s = DecodeUserFields(value.substr(kEventHeader), 0, &event->user); !s.ok()) {
    return Corrupt("malformed user in event " + std::to_string(sequence) + ": " +
                   std::string(s.message()));
  }
  return absl::OkStatus();
}

std::string EncodeConfiguration(const Configuration& c, uint64_t revision) {
  const std::optional<SidBytes> chat = ParseSid(c.default_chat_service_sid, "IS");
  const std::optional<SidBytes> messaging = ParseSid(c.default_messaging_service_sid, "MG");
  std::string out;
  Writer w(&out);
  w.U8(kValueVersion);
  w.U64(revision);
  w.U8(static_cast<uint8_t>((chat ? 1 : 0) | (messaging ? 2 : 0)));
  if (chat) w.Sid(*chat);
  if (messaging) w.Sid(*messaging);
  w.Str(c.default_inactive_timer);
  w.Str(c.default_closed_timer);
  return out;
}

absl::Status DecodeConfiguration(std::string_view value, Configuration* c, uint64_t* revision) {
  Reader r(value);
  const uint8_t version = r.U8();
  *revision = r.U64();
  const uint8_t flags = r.U8();
  *c = Configuration();
  if (r.ok() && (flags & 1) != 0) c->default_chat_service_sid = FormatSid("IS", r.Sid());
  if (r.ok() && (flags & 2) != 0) c->default_messaging_service_sid = FormatSid("MG", r.Sid());
  c->default_inactive_timer = r.Str();
  c->default_closed_timer = r.Str();
  if (!r.done() || version != kValueVersion || flags > 3 || *revision == 0) {
    return Corrupt("malformed Configuration (" + std::string(kConfigurationKey) + ")");
  }
  return absl::OkStatus();
}

}  // namespace userstore::internal::durable
