// StoreReader (userstore/inspect.h): the Services, Conversations
// Configuration, users and change feed of a store directory, read-only, for `userstore get`,
// `list`, `export` and `events`.
//
// The directory is opened as CheckStore opens it (OpenRocks read-only: no
// lock, nothing written). Services are read once at Open; users are
// streamed from their keys, u/<IS><sequence BE64> (codec.h), which RocksDB
// keeps in creation order within a Service: the order of the facade's pages.
#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/twilio_errors.h"
#include "durable/binding_codec.h"
#include "durable/codec.h"
#include "durable/directory.h"
#include "durable/feed_recovery.h"
#include "durable/meta.h"
#include "durable/rocks_journal.h"
#include "store/event_feed.h"
#include "store/feed_errors.h"
#include "store/user_view_access.h"
#include "userstore/error.h"
#include "userstore/inspect.h"
#include "userstore/sid.h"

namespace userstore {

using internal::FormatSid;
using internal::ParseSid;
using internal::Quoted;
using internal::SidBytes;
using namespace internal::durable;  // the store layout of codec.h

struct StoreReader::Impl {
  Impl(std::string p, bool used, StoreDb d) : path(std::move(p)), in_use(used), db(std::move(d)) {}

  const std::string path;
  const bool in_use;
  const StoreDb db;
  std::string account_sid;
  std::vector<Service> services;  // ordered by SID
  Configuration configuration;
};

namespace {

absl::Status Corrupt(std::string_view key) {
  return TwilioError(absl::StatusCode::kDataLoss, 500, twilio_code::kInternal,
                     "userstore data is corrupt: bad key " + Quoted(key) + " (run check)");
}

// Appends every Service of `db` to `*services` (the s/ keys, in SID order).
absl::Status ReadServices(rocksdb::DB* db, const std::string& path, const std::string& account_sid,
                          std::vector<Service>* services) {
  const rocksdb::Slice prefix(kServicePrefix.data(), kServicePrefix.size());
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ScanOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    SidBytes sid;
    if (!ParseServiceKey(it->key().ToStringView(), &sid)) return Corrupt(it->key().ToStringView());
    USERSTORE_ASSIGN_OR_RETURN(Service service,
                               DecodeService(it->value().ToStringView(), sid, account_sid));
    services->push_back(std::move(service));
  }
  return FromRocks(it->status(), "reading " + path);
}

// c/configuration into `*configuration`, when stored (else left as it is).
absl::Status ReadConfiguration(rocksdb::DB* db, const std::string& path,
                               Configuration* configuration) {
  std::string value;
  const rocksdb::Status got =
      db->Get(rocksdb::ReadOptions(), rocksdb::Slice(kConfigurationKey), &value);
  if (got.IsNotFound()) return absl::OkStatus();
  USERSTORE_RETURN_IF_ERROR(FromRocks(got, "reading " + path));
  uint64_t revision = 0;
  return DecodeConfiguration(value, configuration, &revision);
}

// The Service of `services` that `service_sid` names (either hex case).
const Service* FindService(const std::vector<Service>& services, std::string_view service_sid) {
  const std::optional<std::string> canonical = CanonicalSid(service_sid, "IS");
  if (!canonical) return nullptr;
  for (const Service& service : services) {
    if (service.sid == *canonical) return &service;
  }
  return nullptr;
}

// `*user` set to the user of `record`, in Service `service`, as the Store
// shows it after an open (no presence), by the Store's own view of a record.
// Reuses the capacity of its strings.
void Fill(const Service& service, const internal::UserFields& fields, User* user) {
  UserView view = internal::UserViewAccess::Blank();
  internal::UserViewAccess::FillWithoutPresence(service.account_sid, service.sid, fields, &view);
  view.CopyTo(user);
}

// Calls `visit` with each stored user of `service` (its fields view the
// iterator's bytes: valid during the call), in creation order, until it
// returns false.
template <typename Visit>
absl::Status ScanUsers(rocksdb::DB* db, const std::string& path, const Service& service,
                       Visit visit) {
  const std::string prefix = ServicePrefix(kUserPrefix, *ParseSid(service.sid, "IS"));
  const rocksdb::Slice prefix_slice(prefix);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ScanOptions()));
  internal::UserFields fields;
  for (it->Seek(prefix_slice); it->Valid() && it->key().starts_with(prefix_slice); it->Next()) {
    SidBytes sid;
    uint64_t sequence;
    const std::string_view key = it->key().ToStringView();
    if (!ParseUserRecordKey(key, &sid, &sequence)) return Corrupt(key);
    USERSTORE_RETURN_IF_ERROR(DecodeUserFields(it->value().ToStringView(), sequence, &fields));
    if (!visit(fields)) return absl::OkStatus();
  }
  return FromRocks(it->status(), "reading " + path);
}

// The Store's 404 for an unknown Service (StoreImpl::FindService).
absl::Status NoService(std::string_view service_sid) {
  return internal::NotFound("The requested resource /Services/" + std::string(service_sid) +
                            " was not found");
}

// The readable part of the stored feed of `service`: never past a hole (a
// crash's, closed by the next writable open; no reader ever saw past it).
absl::StatusOr<StoredFeed> ReadableFeed(rocksdb::DB* db, const Service& service) {
  USERSTORE_ASSIGN_OR_RETURN(StoredFeed feed, ReadStoredFeed(db, *ParseSid(service.sid, "IS")));
  if (feed.hole != 0) feed.last = feed.hole - 1;
  return feed;
}

}  // namespace

StoreReader::StoreReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StoreReader::~StoreReader() = default;

absl::StatusOr<std::unique_ptr<StoreReader>> StoreReader::Open(std::string_view path) {
  std::string dir(path);
  // Asked, never taken (as CheckStore): a reader must not keep a Store from
  // opening.
  const bool in_use = DirectoryClaim::InUse(dir);
  RocksOpen how;
  how.read_only = true;
  USERSTORE_ASSIGN_OR_RETURN(StoreDb db, OpenRocks(dir, how));
  USERSTORE_ASSIGN_OR_RETURN(const std::optional<Meta> meta, ReadMeta(db.get()));
  auto impl = std::make_unique<Impl>(std::move(dir), in_use, std::move(db));
  if (meta) {
    impl->account_sid = meta->account_sid;
    USERSTORE_RETURN_IF_ERROR(
        ReadServices(impl->db.get(), impl->path, impl->account_sid, &impl->services));
    USERSTORE_RETURN_IF_ERROR(ReadConfiguration(impl->db.get(), impl->path, &impl->configuration));
    impl->configuration.account_sid = impl->account_sid;
  }
  return std::unique_ptr<StoreReader>(new StoreReader(std::move(impl)));
}

const std::string& StoreReader::path() const { return impl_->path; }
bool StoreReader::in_use() const { return impl_->in_use; }
const std::string& StoreReader::account_sid() const { return impl_->account_sid; }
const std::vector<Service>& StoreReader::services() const { return impl_->services; }
const Configuration& StoreReader::configuration() const { return impl_->configuration; }

absl::StatusOr<std::vector<Role>> StoreReader::ListRoles(std::string_view service_sid) const {
  const Service* service = FindService(impl_->services, service_sid);
  if (service == nullptr) {
    return internal::NotFound("The requested resource /Services/" + std::string(service_sid) +
                              "/Roles was not found");
  }
  // r/<IS><index BE64>: the key order is the order the roles were added.
  const std::string prefix = ServicePrefix(kRolePrefix, *ParseSid(service->sid, "IS"));
  const rocksdb::Slice prefix_slice(prefix);
  std::vector<Role> roles;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ScanOptions()));
  for (it->Seek(prefix_slice); it->Valid() && it->key().starts_with(prefix_slice); it->Next()) {
    SidBytes sid;
    uint64_t role_index;
    const std::string_view key = it->key().ToStringView();
    if (!ParseRoleKey(key, &sid, &role_index)) return Corrupt(key);
    USERSTORE_ASSIGN_OR_RETURN(
        Role role, DecodeRole(it->value().ToStringView(), service->sid, impl_->account_sid));
    roles.push_back(std::move(role));
  }
  USERSTORE_RETURN_IF_ERROR(FromRocks(it->status(), "reading " + impl_->path));
  return roles;
}

absl::StatusOr<User> StoreReader::FetchUser(std::string_view service_sid,
                                            std::string_view key) const {
  const absl::Status not_found =
      internal::NotFound("The requested resource /Services/" + std::string(service_sid) +
                         "/Users/" + std::string(key) + " was not found");
  const Service* service = FindService(impl_->services, service_sid);
  if (service == nullptr) return not_found;
  // As the Store's ParseUserKey: SID-shaped keys are SIDs (an identity can
  // never be SID-shaped), the rest identities.
  const std::optional<SidBytes> sid = ParseSid(key, "US");
  std::optional<User> found;
  USERSTORE_RETURN_IF_ERROR(
      ScanUsers(impl_->db.get(), impl_->path, *service, [&](const internal::UserFields& fields) {
        if (sid ? fields.sid != *sid : fields.identity != key) return true;
        found.emplace();
        Fill(*service, fields, &*found);
        return false;
      }));
  if (!found) return not_found;
  return *std::move(found);
}

absl::Status StoreReader::VisitUsers(std::string_view service_sid,
                                     const std::function<bool(const User&)>& visitor) const {
  const Service* service = FindService(impl_->services, service_sid);
  if (service == nullptr) {
    return internal::NotFound("The requested resource /Services/" + std::string(service_sid) +
                              "/Users was not found");
  }
  User user;  // reused: its strings keep their capacity from user to user
  return ScanUsers(impl_->db.get(), impl_->path, *service, [&](const internal::UserFields& fields) {
    Fill(*service, fields, &user);
    return visitor(user);
  });
}

absl::Status StoreReader::ReadUsers(std::string_view service_sid,
                                    absl::FunctionRef<bool(const UserView&)> visitor) const {
  const Service* service = FindService(impl_->services, service_sid);
  if (service == nullptr) {
    return internal::NotFound("The requested resource /Services/" + std::string(service_sid) +
                              "/Users was not found");
  }
  UserView view = internal::UserViewAccess::Blank();
  return ScanUsers(impl_->db.get(), impl_->path, *service, [&](const internal::UserFields& fields) {
    internal::UserViewAccess::FillWithoutPresence(service->account_sid, service->sid, fields,
                                                  &view);
    return visitor(view);
  });
}

absl::Status StoreReader::ReadBindings(std::string_view service_sid,
                                       absl::FunctionRef<bool(const Binding&)> visitor) const {
  const Service* service = FindService(impl_->services, service_sid);
  if (service == nullptr) {
    return internal::NotFound("The requested resource /Services/" + std::string(service_sid) +
                              "/Bindings was not found");
  }
  rocksdb::DB* db = impl_->db.get();
  const std::string prefix = ServicePrefix(kBindingPrefix, *ParseSid(service->sid, "IS"));
  const rocksdb::Slice prefix_slice(prefix);
  // b/<IS><sequence BE64>, in creation order; `visit` sees each decoded.
  auto scan = [&](auto visit) -> absl::Status {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ScanOptions()));
    for (it->Seek(prefix_slice); it->Valid() && it->key().starts_with(prefix_slice); it->Next()) {
      SidBytes sid;
      uint64_t sequence;
      const std::string_view key = it->key().ToStringView();
      if (!ParseBindingKey(key, &sid, &sequence)) return Corrupt(key);
      USERSTORE_ASSIGN_OR_RETURN(internal::BindingRecord binding,
                                 DecodeBinding(it->value().ToStringView(), sequence));
      if (!visit(binding)) return absl::OkStatus();
    }
    return FromRocks(it->status(), "reading " + impl_->path);
  };
  // The identities of the users holding Bindings (the values store none).
  absl::flat_hash_map<SidBytes, std::string> identities;
  USERSTORE_RETURN_IF_ERROR(scan([&](const internal::BindingRecord& b) {
    identities.emplace(b.user, std::string());
    return true;
  }));
  if (identities.empty()) return absl::OkStatus();
  USERSTORE_RETURN_IF_ERROR(
      ScanUsers(db, impl_->path, *service, [&](const internal::UserFields& fields) {
        if (auto it = identities.find(fields.sid); it != identities.end()) {
          it->second.assign(fields.identity);
        }
        return true;
      }));
  return scan([&](const internal::BindingRecord& b) {
    auto holder = identities.find(b.user);
    if (holder->second.empty()) return true;  // no such user (identities are never empty)
    Binding out;
    out.sid = FormatSid("BS", b.sid);
    out.account_sid = service->account_sid;
    out.service_sid = service->sid;
    out.user_sid = FormatSid("US", b.user);
    out.identity = holder->second;
    out.binding_type = b.type;
    out.endpoint = b.endpoint;
    if (b.credential) out.credential_sid = FormatSid("CR", *b.credential);
    out.message_types = b.message_types;
    out.date_created = absl::FromUnixSeconds(b.date_created);
    out.date_updated = absl::FromUnixSeconds(b.date_updated);
    return visitor(out);
  });
}

absl::StatusOr<EventPage> StoreReader::ReadEvents(std::string_view service_sid,
                                                  uint64_t after_sequence, size_t max) const {
  const Service* service = FindService(impl_->services, service_sid);
  if (service == nullptr) return NoService(service_sid);
  if (max > internal::kMaxEventsPerRead) return internal::FeedTooMany(max);
  if (max == 0) max = internal::kDefaultEventsPerRead;
  USERSTORE_ASSIGN_OR_RETURN(const StoredFeed feed, ReadableFeed(impl_->db.get(), *service));
  if (after_sequence > feed.last) return internal::FeedBeyond(after_sequence, feed.last);
  if (after_sequence + 1 < feed.first) {
    return internal::FeedTrimmed(after_sequence, feed.first, feed.last);
  }
  EventPage page;
  page.next_after = after_sequence;
  const size_t want = static_cast<size_t>(std::min<uint64_t>(max, feed.last - after_sequence));
  if (want == 0) return page;
  page.events.reserve(want);
  UserView view = internal::UserViewAccess::Blank();
  USERSTORE_ASSIGN_OR_RETURN(
      page.next_after, ReadStoredEvents(impl_->db.get(), *ParseSid(service->sid, "IS"),
                                        after_sequence, want, [&](const internal::FeedEvent& kept) {
                                          UserEvent& event = page.events.emplace_back();
                                          internal::CopyEventMeta(kept, &event);
                                          internal::UserViewAccess::FillFeedUser(
                                              service->account_sid, service->sid,
                                              service->reachability_enabled, kept.user, kept.online,
                                              kept.notifiable, &view);
                                          view.CopyTo(&event.user);
                                        }));
  // The marks and keys come from one snapshot: the events first..last are
  // all there, unless the store is damaged.
  if (page.events.size() != want) {
    return Corrupt(EventKey(*ParseSid(service->sid, "IS"), page.next_after + 1));
  }
  return page;
}

absl::StatusOr<uint64_t> StoreReader::EventPosition(std::string_view service_sid) const {
  const Service* service = FindService(impl_->services, service_sid);
  if (service == nullptr) return NoService(service_sid);
  USERSTORE_ASSIGN_OR_RETURN(const StoredFeed feed, ReadableFeed(impl_->db.get(), *service));
  return feed.last;
}

absl::StatusOr<uint64_t> StoreReader::OldestEvent(std::string_view service_sid) const {
  const Service* service = FindService(impl_->services, service_sid);
  if (service == nullptr) return NoService(service_sid);
  USERSTORE_ASSIGN_OR_RETURN(const StoredFeed feed, ReadableFeed(impl_->db.get(), *service));
  return std::min(feed.first, feed.last + 1);
}

}  // namespace userstore
