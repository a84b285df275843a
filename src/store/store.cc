// userstore::Store: option checks, then forwarding to internal::StoreImpl.
#include "userstore/store.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "common/twilio_errors.h"
#include "sid/sid.h"
#include "store/store_impl.h"
#include "userstore/error.h"

namespace userstore {
namespace {

using internal::BadRequest;

// An absolute http(s) URL with a host and no query or fragment (Boost.URL's
// RFC 3986 parser), so that "{base}/Services/..." is a URL too.
bool IsHttpBaseUrl(std::string_view text) {
  auto url = boost::urls::parse_absolute_uri(boost::urls::string_view(text.data(), text.size()));
  if (!url) return false;
  const bool http = url->scheme_id() == boost::urls::scheme::http ||
                    url->scheme_id() == boost::urls::scheme::https;
  return http && url->has_authority() && !url->encoded_host().empty() && !url->has_query() &&
         !url->has_fragment() && !url->has_userinfo();
}

// The decoded path segments of an URL IsHttpBaseUrl accepted, without the
// empty segment of a trailing slash: what the REST facade routes below.
std::vector<std::string> PathSegments(std::string_view text) {
  auto url = boost::urls::parse_absolute_uri(boost::urls::string_view(text.data(), text.size()));
  std::vector<std::string> segments;
  if (!url) return segments;
  for (const std::string& segment : url->segments()) segments.push_back(segment);
  if (!segments.empty() && segments.back().empty()) segments.pop_back();
  return segments;
}

}  // namespace

namespace internal {

absl::StatusOr<StoreOptions> CheckStoreOptions(StoreOptions options) {
  if (options.account_sid.empty()) {
    options.account_sid = MintSid("AC");
  } else if (auto sid = ParseSid(options.account_sid, "AC")) {
    options.account_sid = FormatSid("AC", *sid);
  } else {
    return BadRequest(twilio_code::kInvalidParameter, "account_sid must match ^AC[0-9a-fA-F]{32}$");
  }
  while (absl::EndsWith(options.base_url, "/")) options.base_url.pop_back();
  if (!IsHttpBaseUrl(options.base_url)) {
    return BadRequest(twilio_code::kInvalidParameter, "base_url must be an absolute http(s) URL");
  }
  while (absl::EndsWith(options.conversations_base_url, "/")) {
    options.conversations_base_url.pop_back();
  }
  if (!IsHttpBaseUrl(options.conversations_base_url)) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "conversations_base_url must be an absolute http(s) URL");
  }
  // A request path must name one API (the facade routes by the base path).
  if (PathSegments(options.base_url) == PathSegments(options.conversations_base_url)) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "conversations_base_url must have another path than base_url");
  }
  const Limits& l = options.limits;
  if (l.max_identity_chars == 0 || l.max_friendly_name_chars == 0 || l.max_attributes_bytes == 0 ||
      l.max_attributes_depth == 0 || l.default_page_size < 1 ||
      l.max_page_size < l.default_page_size || l.max_binding_endpoint_bytes == 0 ||
      l.max_bindings_per_user == 0 || l.max_binding_page_size < l.default_page_size) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "limits must be positive and default_page_size <= max_page_size, "
                      "max_binding_page_size");
  }
  // A code point is at most 4 bytes: a record keeps these sizes in 16 bits.
  constexpr size_t kMaxTextChars = UserRecord::kMaxShortTextBytes / 4;
  if (l.max_identity_chars > kMaxTextChars || l.max_friendly_name_chars > kMaxTextChars) {
    return BadRequest(
        twilio_code::kInvalidParameter,
        "limits.max_identity_chars and max_friendly_name_chars must be at most 16383");
  }
  if (options.record_memory != RecordMemory::kMalloc &&
      options.record_memory != RecordMemory::kHugePages) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "record_memory must be RecordMemory::kMalloc or kHugePages");
  }
  if (options.events.memory_window == 0) {
    return BadRequest(twilio_code::kInvalidParameter, "events.memory_window must be at least 1");
  }
  if (options.events.durable_window == 0 ||
      options.events.durable_max_age <= absl::ZeroDuration() ||
      options.events.trim_interval <= absl::ZeroDuration()) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "events.durable_window, durable_max_age and trim_interval must be positive");
  }
  if (options.page_token_key.empty()) {
    options.page_token_key.resize(32);
    RandomBytes(options.page_token_key.data(), options.page_token_key.size());
  }
  return options;
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<Store>> Store::Create(StoreOptions options) {
  absl::StatusOr<StoreOptions> checked = internal::CheckStoreOptions(std::move(options));
  if (!checked.ok()) return checked.status();
  return std::unique_ptr<Store>(
      new Store(std::make_unique<internal::StoreImpl>(*std::move(checked))));
}

Store::Store(std::unique_ptr<internal::StoreImpl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

const StoreOptions& Store::options() const { return impl_->options(); }

namespace {

bool IsOk(const absl::Status& s) { return s.ok(); }
template <typename T>
bool IsOk(const absl::StatusOr<T>& s) {
  return s.ok();
}

// A write's result, once a shared Store with Consistency::kAfterOwnWrites
// has seen it come back on its own stream (StoreImpl::AfterOwnWrite).
template <typename T>
T Settled(internal::StoreImpl& impl, T result) {
  if (IsOk(result)) impl.AfterOwnWrite();
  return result;
}

const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// What a write retries after its Store's replica caught up (CaughtUp).
enum class Retry {
  // A create (or get-or-create): 409/50201, the replica held an identity
  // another host has deleted, or had not applied one another host created
  // (the retry then finds it) (once).
  kCreate,
  // An update or delete: 409/20409, the replica held an older copy of the
  // user than PostgreSQL (another host's write not applied yet), or
  // 404/20404, it had not applied the user's create yet (twice).
  kChange,
};

// `write()`, and in a shared Store, once the replica has caught up with the
// database, `write()` again while it fails as `retry` says. The retry is
// built from the caught-up replica, as the caller's own retry would be;
// preconditions (if_revision) are checked again.
template <typename F>
auto CaughtUp(internal::StoreImpl& impl, Retry retry, F write) {
  auto result = write();
  auto stale = [&] {
    if (IsOk(result)) return false;
    const int code = TwilioCode(StatusOf(result));
    return retry == Retry::kCreate
               ? code == twilio_code::kUserAlreadyExists
               : code == twilio_code::kConflict || code == twilio_code::kNotFound;
  };
  for (int i = 0; i < (retry == Retry::kCreate ? 1 : 2) && stale() && impl.CatchUpReplica(); ++i) {
    result = write();
  }
  return result;
}

}  // namespace

absl::StatusOr<Service> Store::CreateService(const ServiceCreate& params) {
  return Settled(*impl_, impl_->CreateService(params));
}
absl::StatusOr<Service> Store::EnsureService(const ServiceCreate& params, bool* created) {
  return Settled(*impl_, impl_->EnsureService(params, created));
}
absl::StatusOr<Service> Store::FetchService(std::string_view service_sid) const {
  return impl_->FetchService(service_sid);
}
std::vector<Service> Store::ListServices() const { return impl_->ListServices(); }
absl::StatusOr<Service> Store::SetReachabilityEnabled(std::string_view service_sid, bool enabled) {
  return Settled(*impl_, impl_->SetReachabilityEnabled(service_sid, enabled));
}
absl::StatusOr<Role> Store::AddRole(std::string_view service_sid, const RoleCreate& params) {
  return Settled(*impl_, impl_->AddRole(service_sid, params));
}
absl::StatusOr<std::vector<Role>> Store::ListRoles(std::string_view service_sid) const {
  return impl_->ListRoles(service_sid);
}
absl::StatusOr<Service> Store::ImportService(const Service& service, const std::vector<Role>& roles,
                                             bool* created) {
  return Settled(*impl_, impl_->ImportService(service, roles, created));
}
absl::StatusOr<ImportResult> Store::ImportUsers(std::string_view service_sid,
                                                const std::vector<UserImport>& users,
                                                const ImportOptions& options) {
  return Settled(*impl_, impl_->ImportUsers(service_sid, users, options));
}
absl::StatusOr<User> Store::CreateUser(std::string_view service_sid, const UserCreate& params) {
  return Settled(*impl_, CaughtUp(*impl_, Retry::kCreate,
                                  [&] { return impl_->CreateUser(service_sid, params); }));
}
absl::Status Store::CreateUser(std::string_view service_sid, const UserCreate& params, User* out) {
  return Settled(*impl_, CaughtUp(*impl_, Retry::kCreate,
                                  [&] { return impl_->CreateUser(service_sid, params, out); }));
}
absl::StatusOr<User> Store::FetchUser(std::string_view service_sid, std::string_view key) const {
  return impl_->FetchUser(service_sid, key);
}
absl::Status Store::FetchUser(std::string_view service_sid, std::string_view key, User* out) const {
  return impl_->FetchUser(service_sid, key, out);
}
absl::Status Store::ReadUser(std::string_view service_sid, std::string_view key,
                             UserVisitor visit) const {
  return impl_->ReadUser(service_sid, key, visit);
}
absl::StatusOr<User> Store::UpdateUser(std::string_view service_sid, std::string_view key,
                                       const UserUpdate& params) {
  return Settled(*impl_, CaughtUp(*impl_, Retry::kChange,
                                  [&] { return impl_->UpdateUser(service_sid, key, params); }));
}
absl::Status Store::UpdateUser(std::string_view service_sid, std::string_view key,
                               const UserUpdate& params, User* out) {
  return Settled(*impl_, CaughtUp(*impl_, Retry::kChange, [&] {
    return impl_->UpdateUser(service_sid, key, params, out);
  }));
}
absl::Status Store::DeleteUser(std::string_view service_sid, std::string_view key,
                               std::optional<uint64_t> if_revision) {
  UserDelete params;
  params.if_revision = if_revision;
  return Settled(*impl_, CaughtUp(*impl_, Retry::kChange,
                                  [&] { return impl_->DeleteUser(service_sid, key, params); }));
}
absl::StatusOr<bool> Store::UserExists(std::string_view service_sid, std::string_view key) const {
  return impl_->UserExists(service_sid, key);
}
absl::StatusOr<uint64_t> Store::CountUsers(std::string_view service_sid) const {
  return impl_->CountUsers(service_sid);
}
absl::StatusOr<uint64_t> Store::CountUsers(std::string_view service_sid,
                                           const UserFilter& filter) const {
  return impl_->CountUsers(service_sid, filter);
}
absl::Status Store::SetIndexedAttribute(std::string_view service_sid, std::string_view key) {
  return impl_->SetIndexedAttribute(service_sid, key);
}
absl::StatusOr<std::string> Store::IndexedAttribute(std::string_view service_sid) const {
  return impl_->IndexedAttribute(service_sid);
}
absl::StatusOr<std::vector<UpsertResult>> Store::UpsertUsers(std::string_view service_sid,
                                                             const std::vector<UserUpsert>& rows,
                                                             const UpsertOptions& options) {
  return impl_->UpsertUsers(service_sid, rows, options);
}
absl::StatusOr<Page> Store::ListUsers(std::string_view service_sid,
                                      const PageRequest& request) const {
  return impl_->ListUsers(service_sid, request);
}
absl::Status Store::ListUsers(std::string_view service_sid, const PageRequest& request,
                              Page* out) const {
  return impl_->ListUsers(service_sid, request, out);
}
absl::Status Store::VisitUsers(std::string_view service_sid, const PageRequest& request,
                               UserVisitor visit, Page* links) const {
  return impl_->VisitUsers(service_sid, request, visit, links);
}
absl::StatusOr<GetOrCreateResult> Store::GetOrCreateUser(std::string_view service_sid,
                                                         const UserCreate& params) {
  return Settled(*impl_, CaughtUp(*impl_, Retry::kCreate,
                                  [&] { return impl_->GetOrCreateUser(service_sid, params); }));
}
absl::StatusOr<User> Store::GetOrCreateUser(std::string_view service_sid,
                                            std::string_view identity) {
  UserCreate params;
  params.identity = identity;
  absl::StatusOr<GetOrCreateResult> result = Settled(*impl_, CaughtUp(*impl_, Retry::kCreate, [&] {
    return impl_->GetOrCreateUser(service_sid, params);
  }));
  if (!result.ok()) return result.status();
  return std::move(result->user);
}
absl::StatusOr<UserConnection> Store::ConnectUser(std::string_view service_sid,
                                                  std::string_view key) {
  return impl_->ConnectUser(service_sid, key);
}
absl::StatusOr<UserConnection> Store::ConnectOrCreateUser(std::string_view service_sid,
                                                          const UserCreate& params) {
  return Settled(*impl_, CaughtUp(*impl_, Retry::kCreate,
                                  [&] { return impl_->ConnectOrCreateUser(service_sid, params); }));
}
absl::StatusOr<UserConnection> Store::DisconnectUser(std::string_view service_sid,
                                                     std::string_view key) {
  return impl_->DisconnectUser(service_sid, key);
}
absl::StatusOr<User> Store::SetUserOnline(std::string_view service_sid, std::string_view key,
                                          bool online) {
  return impl_->SetPresence(service_sid, key, internal::PresenceField::kOnline,
                            online ? internal::Presence::kTrue : internal::Presence::kFalse);
}
absl::StatusOr<User> Store::AddJoinedChannels(std::string_view service_sid, std::string_view key,
                                              int64_t delta) {
  return Settled(*impl_, CaughtUp(*impl_, Retry::kChange, [&] {
    return impl_->AddJoinedChannels(service_sid, key, delta);
  }));
}
absl::Status Store::DeleteUser(std::string_view service_sid, std::string_view key,
                               const UserDelete& params) {
  return Settled(*impl_, CaughtUp(*impl_, Retry::kChange,
                                  [&] { return impl_->DeleteUser(service_sid, key, params); }));
}

void Store::AddPreEventListener(PreEventListener listener) {
  impl_->AddPreEventListener(std::move(listener));
}

absl::StatusOr<EventPage> Store::ReadEvents(std::string_view service_sid, uint64_t after_sequence,
                                            size_t max) const {
  return impl_->ReadEvents(service_sid, after_sequence, max);
}

absl::StatusOr<uint64_t> Store::EventPosition(std::string_view service_sid) const {
  return impl_->EventPosition(service_sid);
}
absl::StatusOr<uint64_t> Store::OldestEvent(std::string_view service_sid) const {
  return impl_->OldestEvent(service_sid);
}

void Store::AddPostEventListener(PostEventListener listener) {
  impl_->AddPostEventListener(std::move(listener));
}
uint64_t Store::listener_failures() const { return impl_->listener_failures(); }

namespace {
absl::Status NotShared() {
  return TwilioError(absl::StatusCode::kFailedPrecondition, 400, twilio_code::kInvalidParameter,
                     "not a shared Store (Store::OpenShared)");
}
}  // namespace

absl::StatusOr<uint64_t> Store::SharedPosition() {
  if (impl_->replica() == nullptr) return NotShared();
  return impl_->replica()->SharedPosition();
}
absl::Status Store::WaitForPosition(uint64_t position, absl::Duration timeout) {
  if (impl_->replica() == nullptr) return NotShared();
  return impl_->replica()->WaitForPosition(position, timeout);
}
std::optional<ReplicaStatus> Store::Replica() const {
  if (impl_->replica() == nullptr) return std::nullopt;
  return impl_->replica()->Status();
}

}  // namespace userstore
