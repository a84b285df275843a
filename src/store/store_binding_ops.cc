// StoreImpl: push Bindings (include/userstore/binding.h; Store's contracts in
// store.h; the per-Service structure in binding_index.h).
//
// Every change of a user's Bindings runs under that user's SID shard lock,
// held exclusively (UserIndex::Modify), so it is one step with the user's
// is_notifiable (true while the user holds a Binding) and with a user
// delete (which deletes the user's Bindings under the same lock: no
// Binding outlives its user). Lock order: user index -> BindingIndex ->
// feed (binding_index.h).
#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/twilio_errors.h"
#include "common/utf8.h"
#include "store/binding_checks.h"
#include "store/store_impl.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

// BindingCreate::message_types: at most 16, each 1..64 bytes of [a-z_].
constexpr size_t kMaxMessageTypes = 16;
constexpr size_t kMaxMessageTypeBytes = 64;

absl::Status Invalid(std::string_view message) {
  return BadRequest(twilio_code::kInvalidParameter, message);
}

absl::Status BindingNotFound(const ServiceState& service, std::string_view user_key,
                             std::string_view binding_sid) {
  std::string path = "/Services/" + service.sid();
  if (!user_key.empty()) absl::StrAppend(&path, "/Users/", std::string(user_key));
  absl::StrAppend(&path, "/Bindings/", std::string(binding_sid));
  return NotFound("The requested resource " + path + " was not found");
}

// The bit of `type` in BindingFilter::types.
uint8_t TypeBit(BindingType type) {
  return static_cast<uint8_t>(1u << static_cast<unsigned>(type));
}

// What a list's page tokens are bound to besides the Service (the
// PageTokenCodec scope): the Bindings list, its user and its filters, in
// one canonical text (types as a bit set, identities sorted, each
// length-prefixed), so a token is accepted only by the list that minted it
// and never by the users list (whose scope is empty).
std::string ListScope(const BindingFilter& filter) {
  std::string scope = "Bindings";
  if (filter.user) absl::StrAppend(&scope, "/Users/", FormatSid("US", *filter.user));
  absl::StrAppend(&scope, "?BindingType=", filter.types, "&Identity=");
  for (const std::string& identity : filter.identities) {
    absl::StrAppend(&scope, identity.size(), ":", identity, ",");
  }
  return scope;
}

}  // namespace

bool IsBindingType(BindingType type) {
  switch (type) {
    case BindingType::kApn:
    case BindingType::kGcm:
    case BindingType::kFcm:
      return true;
  }
  return false;
}

namespace {

bool IsMessageType(std::string_view type) {
  if (type.empty() || type.size() > kMaxMessageTypeBytes) return false;
  return std::all_of(type.begin(), type.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

}  // namespace

absl::StatusOr<CheckedBinding> CheckBindingCreate(const BindingCreate& params,
                                                  const Limits& limits) {
  if (!IsBindingType(params.binding_type)) {
    return Invalid("BindingType must be one of apn, gcm, fcm");
  }
  if (params.endpoint.empty()) return Invalid("Endpoint must not be empty");
  if (params.endpoint.size() > limits.max_binding_endpoint_bytes) {
    return Invalid(absl::StrCat("Endpoint must be at most ", limits.max_binding_endpoint_bytes,
                                " bytes long (got ", params.endpoint.size(), " bytes)"));
  }
  if (!IsValidUtf8(params.endpoint)) return Invalid("Endpoint must be valid UTF-8");
  if (params.endpoint.find('\0') != std::string::npos) {
    return Invalid("Endpoint must not contain U+0000");
  }
  CheckedBinding checked;
  if (!params.credential_sid.empty()) {
    checked.credential = ParseSid(params.credential_sid, "CR");
    if (!checked.credential)
      return Invalid("Invalid CredentialSid: must match ^CR[0-9a-fA-F]{32}$");
  }
  if (params.message_types.size() > kMaxMessageTypes) {
    return Invalid(absl::StrCat("At most ", kMaxMessageTypes, " message types may be given"));
  }
  for (const std::string& type : params.message_types) {
    if (!IsMessageType(type)) {
      return Invalid(absl::StrCat("Invalid message type: each is 1 to ", kMaxMessageTypeBytes,
                                  " characters of a-z and _"));
    }
    if (std::find(checked.message_types.begin(), checked.message_types.end(), type) ==
        checked.message_types.end()) {
      checked.message_types.push_back(type);
    }
  }
  return checked;
}

absl::StatusOr<ServiceState*> StoreImpl::BindingService(std::string_view service_sid) const {
  USERSTORE_RETURN_IF_ERROR(RefuseShared("push Bindings are not stored"));
  return FindService(service_sid);
}

absl::Status StoreImpl::RefuseShared(std::string_view what) const {
  if (replica_ == nullptr) return absl::OkStatus();
  return TwilioError(absl::StatusCode::kUnimplemented, 501, twilio_code::kNotImplemented,
                     absl::StrCat(std::string(what), " in shared mode yet"));
}

Binding StoreImpl::ToBinding(const ServiceState& service, const BindingRecord& r) const {
  Binding b;
  b.sid = FormatSid("BS", r.sid);
  b.account_sid = service.account_sid();
  b.service_sid = service.sid();
  b.user_sid = FormatSid("US", r.user);
  b.identity = r.identity;
  b.binding_type = r.type;
  b.endpoint = r.endpoint;
  if (r.credential) b.credential_sid = FormatSid("CR", *r.credential);
  b.message_types = r.message_types;
  b.date_created = absl::FromUnixSeconds(r.date_created);
  b.date_updated = absl::FromUnixSeconds(r.date_updated);
  return b;
}

absl::Status StoreImpl::CommitBindingChange(
    Emission* emission, UserRecord& r, const PresenceBefore& before,
    absl::FunctionRef<absl::Status(const JournalEvent*)> write) const {
  emission->changed = r.notifiable != before.notifiable ? user_field::kIsNotifiable : 0;
  if (journal_ == nullptr) {
    if (emission->changed != 0) Emit(emission, r);
    return absl::OkStatus();
  }
  const absl::Status s = emission->changed != 0 ? Journaled(emission, r, write) : write(nullptr);
  if (!s.ok()) r.notifiable = before.notifiable;  // nothing changes
  return s;
}

absl::StatusOr<Binding> StoreImpl::RegisterBinding(std::string_view service_sid,
                                                   std::string_view user_key,
                                                   const BindingCreate& params, bool* created) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, BindingService(service_sid));
  USERSTORE_ASSIGN_OR_RETURN(CheckedBinding checked, CheckBindingCreate(params, options_.limits));
  const int64_t now = absl::ToUnixSeconds(Now());
  Binding out;
  bool made = false;
  absl::Status failed;
  Emission emission{service, UserEvent::Type::kUserUpdated};
  BindingIndex& bindings = service->bindings();
  const bool found = service->users().Modify(ParseUserKey(user_key), [&](UserRecord& r) {
    failed = [&]() -> absl::Status {
      BindingRecord record;
      if (std::optional<BindingRecord> existing =
              bindings.FindByKey(r.sid, params.binding_type, params.endpoint)) {
        record = *std::move(existing);
        record.date_updated = std::max(now, record.date_created);
      } else {
        const size_t held = bindings.CountOf(r.sid);
        if (held >= options_.limits.max_bindings_per_user) {
          return TwilioError(absl::StatusCode::kResourceExhausted, 403, twilio_code::kForbidden,
                             absl::StrCat("Binding limit reached: a user holds at most ",
                                          options_.limits.max_bindings_per_user, " Bindings"));
        }
        USERSTORE_ASSIGN_OR_RETURN(record.sequence, NextSequence(*service));
        do {
          record.sid = RandomSidBytes();  // again on a (2^-128) collision
        } while (bindings.InUse(record.sid));
        record.user = r.sid;
        record.identity.assign(r.identity());
        record.type = params.binding_type;
        record.endpoint = params.endpoint;
        record.date_created = record.date_updated = now;
        made = true;
      }
      record.credential = checked.credential;
      record.message_types = checked.message_types;
      const PresenceBefore before = PresenceOf(r);
      r.notifiable = Presence::kTrue;
      USERSTORE_RETURN_IF_ERROR(
          CommitBindingChange(&emission, r, before, [&](const JournalEvent* event) {
            return journal_->PutBinding(service->sid(), record, r, event);
          }));
      out = ToBinding(*service, record);
      bindings.Put(std::move(record));
      return absl::OkStatus();
    }();
  });
  if (!found) return UserNotFound(*service, user_key);
  USERSTORE_RETURN_IF_ERROR(failed);
  if (created != nullptr) *created = made;
  return out;
}

absl::StatusOr<Binding> StoreImpl::FetchBinding(std::string_view service_sid,
                                                std::string_view user_key,
                                                std::string_view binding_sid) const {
  USERSTORE_ASSIGN_OR_RETURN(const ServiceState* service, BindingService(service_sid));
  const std::optional<SidBytes> sid = ParseSid(binding_sid, "BS");
  std::optional<BindingRecord> record;
  if (user_key.empty()) {
    if (sid) record = service->bindings().Find(*sid);
  } else {
    // Under the user's lock: the Binding is the user's at one instant.
    if (!service->users().Read(ParseUserKey(user_key), [&](const UserRecord& r) {
          if (sid) record = service->bindings().Find(*sid);
          if (record && record->user != r.sid) record.reset();
        })) {
      return UserNotFound(*service, user_key);
    }
  }
  if (!record) return BindingNotFound(*service, user_key, binding_sid);
  return ToBinding(*service, *record);
}

absl::Status StoreImpl::DeleteBinding(std::string_view service_sid, std::string_view user_key,
                                      std::string_view binding_sid) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, BindingService(service_sid));
  const std::optional<SidBytes> sid = ParseSid(binding_sid, "BS");
  if (!sid) {
    if (!user_key.empty() && !service->users().Read(ParseUserKey(user_key), UserIndex::Ignore)) {
      return UserNotFound(*service, user_key);
    }
    return BindingNotFound(*service, user_key, binding_sid);
  }
  BindingIndex& bindings = service->bindings();
  UserKey key;
  if (user_key.empty()) {
    // The Service-level route: the Binding names its user.
    const std::optional<BindingRecord> record = bindings.Find(*sid);
    if (!record) return BindingNotFound(*service, user_key, binding_sid);
    key.sid = record->user;
  } else {
    key = ParseUserKey(user_key);
  }
  absl::Status failed;
  Emission emission{service, UserEvent::Type::kUserUpdated};
  const bool found = service->users().Modify(key, [&](UserRecord& r) {
    failed = [&]() -> absl::Status {
      const std::optional<BindingRecord> record = bindings.Find(*sid);
      if (!record || record->user != r.sid) return BindingNotFound(*service, user_key, binding_sid);
      const PresenceBefore before = PresenceOf(r);
      if (bindings.CountOf(r.sid) == 1) r.notifiable = Presence::kFalse;  // its last
      USERSTORE_RETURN_IF_ERROR(
          CommitBindingChange(&emission, r, before, [&](const JournalEvent* event) {
            return journal_->DeleteBinding(service->sid(), *record, r, event);
          }));
      bindings.Erase(*sid);
      return absl::OkStatus();
    }();
  });
  if (!found) {
    // By the Binding's user: deleted meanwhile, with its Bindings.
    return user_key.empty() ? BindingNotFound(*service, user_key, binding_sid)
                            : UserNotFound(*service, user_key);
  }
  return failed;
}

absl::StatusOr<BindingPage> StoreImpl::ListBindings(std::string_view service_sid,
                                                    const BindingListRequest& request) const {
  USERSTORE_ASSIGN_OR_RETURN(const ServiceState* service, BindingService(service_sid));
  const Limits& limits = options_.limits;
  if (request.page_size < 0) return Invalid("PageSize must be at least 1");
  if (request.page < 0) return Invalid("Page must be at least 0");
  if (request.page > kMaxPageIndex) {
    return Invalid(absl::StrCat("Page must be at most ", kMaxPageIndex));
  }
  if (request.page > 0 && request.page_token.empty()) {
    return Invalid("Page > 0 requires a PageToken");
  }
  BindingFilter filter;
  for (BindingType type : request.binding_types) {
    if (!IsBindingType(type)) return Invalid("BindingType must be one of apn, gcm, fcm");
    filter.types |= TypeBit(type);
  }
  if (!request.user_key.empty()) {
    if (!request.identities.empty()) {
      return Invalid("The Identity filter applies to the Service's Bindings list only");
    }
    if (!service->users().Read(ParseUserKey(request.user_key),
                               [&](const UserRecord& r) { filter.user = r.sid; })) {
      return UserNotFound(*service, request.user_key);
    }
  }
  filter.identities = request.identities;
  std::sort(filter.identities.begin(), filter.identities.end());
  filter.identities.erase(std::unique(filter.identities.begin(), filter.identities.end()),
                          filter.identities.end());
  const std::string scope = ListScope(filter);
  PageCursor cursor;  // after sequence 0: the start
  if (!request.page_token.empty()) {
    USERSTORE_ASSIGN_OR_RETURN(
        cursor, tokens_.Decode(service->sid(), request.page_token, PageApi::kChat, scope));
  }
  BindingPage page;
  page.page = request.page;
  page.page_token = request.page_token;
  page.page_size = request.page_size == 0
                       ? limits.default_page_size
                       : std::min(request.page_size, limits.max_binding_page_size);

  // As ScanPage (store_list.cc): n + 1 read, nearest first; links only
  // where a Binding is there to show.
  const size_t n = static_cast<size_t>(page.page_size);
  const bool forward = cursor.direction == PageCursor::Direction::kAfter;
  const BindingIndex& bindings = service->bindings();
  const BindingIndex::Direction direction =
      forward ? BindingIndex::Direction::kForward : BindingIndex::Direction::kBackward;
  std::vector<uint64_t> seqs =
      bindings.Scan(direction, cursor.sequence, n + 1, filter, [&](const BindingRecord& r) {
        if (page.bindings.size() < n) page.bindings.push_back(ToBinding(*service, r));
      });
  const bool more_beyond = seqs.size() > n;
  if (more_beyond) seqs.pop_back();
  uint64_t last = cursor.sequence;
  if (!seqs.empty()) {
    last = forward ? seqs.back() : seqs.front();
  } else if (!forward && last > 0) {
    last -= 1;
  }
  const bool has_next =
      forward ? more_beyond : bindings.Any(BindingIndex::Direction::kForward, last, filter);
  if (has_next && page.page < kMaxPageIndex) {
    page.next_page_token = tokens_.Encode(service->sid(), {PageCursor::Direction::kAfter, last},
                                          PageApi::kChat, scope);
  }
  if (page.page > 0) {
    uint64_t first = cursor.sequence;
    if (!seqs.empty()) {
      first = forward ? seqs.front() : seqs.back();
    } else if (forward && first < std::numeric_limits<uint64_t>::max()) {
      first += 1;
    }
    const bool has_previous =
        forward ? bindings.Any(BindingIndex::Direction::kBackward, first, filter) : more_beyond;
    if (has_previous) {
      page.previous_page_token = tokens_.Encode(
          service->sid(), {PageCursor::Direction::kBefore, first}, PageApi::kChat, scope);
    }
  }
  if (!forward) std::reverse(page.bindings.begin(), page.bindings.end());
  return page;
}

// ---- recovery (restore.h) -------------------------------------------------

absl::StatusOr<bool> StoreImpl::RestoreBinding(std::string_view service_sid,
                                               BindingRecord binding) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  BindingIndex& bindings = service->bindings();
  UserKey key;
  key.sid = binding.user;
  bool found = false;
  absl::Status failed;
  service->users().Modify(key, [&](UserRecord& r) {
    found = true;
    if (bindings.InUse(binding.sid) || bindings.FindByKey(r.sid, binding.type, binding.endpoint)) {
      failed = Conflict(twilio_code::kInvalidParameter,
                        "Restored Binding " + FormatSid("BS", binding.sid) +
                            " is a duplicate, or holds the SID of a deleted Binding");
      return;
    }
    binding.identity.assign(r.identity());
    r.notifiable = Presence::kTrue;
    // Sequences come from the Service's counter, as users' do.
    service->EnsureSequenceAbove(binding.sequence);
    bindings.Put(std::move(binding));
  });
  USERSTORE_RETURN_IF_ERROR(failed);
  return found;
}

absl::Status StoreImpl::RestoreDeletedBinding(std::string_view service_sid, const SidBytes& sid) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  service->bindings().RestoreDeleted(sid);
  return absl::OkStatus();
}

absl::StatusOr<bool> StoreImpl::RestoreNotifiedMark(std::string_view service_sid,
                                                    const SidBytes& user) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  UserKey key;
  key.sid = user;
  return service->users().Modify(key, [&](UserRecord& r) {
    if (r.notifiable == Presence::kUnknown) r.notifiable = Presence::kFalse;
  });
}

}  // namespace userstore::internal
