// StoreImpl: importing Services, roles and users (Store::ImportService,
// Store::ImportUsers; docs/api.md, "Import and export").
//
// ImportUsers in three steps:
//   1. every row is validated on its own, with no lock (CreateUser's rules,
//      plus the SID's shape, the dates and the joined count);
//   2. the valid rows are sorted by date_created (stably: input order breaks
//      ties), the order they take their creation sequences in;
//   3. batch by batch: records are built with no lock; then, under every lock
//      of the Service's index (UserIndex::Exclusive), each row is decided
//      against the index and the rows before it in the batch (insert, replace,
//      skip or reject), the batch is journaled as one write (durable), and
//      only then applied to memory. Memory and disk agree batch by batch; a
//      failed write leaves memory as it was before that batch.
// A dry run decides every row the same way against the index as it is (one
// overlay for the whole input) and changes nothing.
#include <algorithm>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/twilio_errors.h"
#include "store/import_action.h"
#include "store/store_impl.h"
#include "store/validate.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

constexpr size_t kDefaultBatchSize = 1000;
constexpr size_t kMaxBatchSize = 10000;
absl::Status Invalid(std::string_view message) {
  return BadRequest(twilio_code::kInvalidParameter, message);
}

// The per-row conflicts (docs/errors.md, "Import").
absl::Status SidTaken(const SidBytes& sid) {
  return Conflict(twilio_code::kInvalidParameter,
                  "A user with SID " + FormatSid("US", sid) + " already exists");
}

absl::Status SidDeleted(const SidBytes& sid) {
  return Conflict(twilio_code::kInvalidParameter,
                  "User SID " + FormatSid("US", sid) +
                      " belonged to a deleted user: a SID never comes back into use");
}

absl::Status IdentityTaken(std::string_view identity) {
  return Conflict(twilio_code::kUserAlreadyExists,
                  "User already exists: identity " + std::string(identity) + " is taken");
}

}  // namespace

// ---- users -------------------------------------------------------------------

namespace {

// A row that passed validation: what the batches need of it.
struct ValidRow {
  size_t index = 0;  // in the input
  SidBytes sid;
  SidBytes role;
  int64_t date_created = 0;
  int64_t date_updated = 0;
};

// What happens to one row.
using Action = ImportAction;

// Decides rows one after another, seeing the index (through `Lookup`) as the
// rows decided before have changed it: an overlay of the SIDs and identities
// they took or freed. Lookup provides:
//   std::optional<std::string_view> IdentityOfSid(const SidBytes&)  // a live user's
//   std::optional<SidBytes> HolderOf(std::string_view identity)
//   bool WasDeleted(const SidBytes&)
// Thread-compatible; views it returns must outlive the Planner (identities
// freed by a replacement are copied).
class Planner {
 public:
  explicit Planner(ImportMode mode) : mode_(mode) {}

  // The action for `row` (its identity `identity`, which must outlive the
  // Planner), or kReject with `*error`.
  template <typename Lookup>
  Action Decide(const ValidRow& row, std::string_view identity, Lookup& index,
                absl::Status* error) {
    if (index.WasDeleted(row.sid)) {
      *error = SidDeleted(row.sid);
      return Action::kReject;
    }
    std::optional<std::string_view> current;  // the identity the SID holds now
    if (auto it = sids_.find(row.sid); it != sids_.end()) {
      current = it->second;
    } else {
      current = index.IdentityOfSid(row.sid);
    }
    std::optional<SidBytes> holder;  // who holds `identity` now
    if (auto it = identities_.find(identity); it != identities_.end()) {
      holder = it->second;
    } else {
      holder = index.HolderOf(identity);
    }
    Action action = Action::kInsert;
    switch (mode_) {
      case ImportMode::kInsert:
        if (current) {
          *error = SidTaken(row.sid);
          return Action::kReject;
        }
        if (holder) {
          *error = IdentityTaken(identity);
          return Action::kReject;
        }
        break;
      case ImportMode::kSkip:
        if (current || holder) return Action::kSkip;
        break;
      case ImportMode::kUpsert:
        if (holder && *holder != row.sid) {
          *error = IdentityTaken(identity);
          return Action::kReject;
        }
        if (current) action = Action::kReplace;
        break;
    }
    if (action == Action::kReplace && *current != identity) {
      owned_.emplace_back(*current);  // may view a record about to be replaced
      identities_[owned_.back()] = std::nullopt;
    }
    sids_[row.sid] = identity;
    identities_[identity] = row.sid;
    return action;
  }

  // Forgets the overlay (its rows are now in the index).
  void Clear() {
    sids_.clear();
    identities_.clear();
    owned_.clear();
  }

 private:
  const ImportMode mode_;
  absl::flat_hash_map<SidBytes, std::string_view> sids_;  // SID -> identity it holds now
  // identity -> the SID holding it now; nullopt: freed by a replacement.
  absl::flat_hash_map<std::string_view, std::optional<SidBytes>> identities_;
  std::deque<std::string> owned_;  // freed identities (stable addresses)
};

// The Planner's view of an index under UserIndex::Exclusive.
class LockedLookup {
 public:
  explicit LockedLookup(const UserIndex::Locked& index) : index_(index) {}
  std::optional<std::string_view> IdentityOfSid(const SidBytes& sid) const {
    const UserRecord* r = index_.FindSid(sid);
    if (r == nullptr) return std::nullopt;
    return r->identity();
  }
  std::optional<SidBytes> HolderOf(std::string_view identity) const {
    const SidBytes* sid = index_.FindIdentity(identity);
    if (sid == nullptr) return std::nullopt;
    return *sid;
  }
  bool WasDeleted(const SidBytes& sid) const { return index_.WasDeleted(sid); }

 private:
  const UserIndex::Locked& index_;
};

// The Planner's view of a live index, one lookup at a time (dry runs):
// identities are copied, since the record may go once its lock is released.
class SharedLookup {
 public:
  explicit SharedLookup(const UserIndex& index) : index_(index) {}
  std::optional<std::string_view> IdentityOfSid(const SidBytes& sid) {
    UserKey key;
    key.sid = sid;
    std::string identity;
    if (!index_.Read(key, [&](const UserRecord& r) { identity.assign(r.identity()); })) {
      return std::nullopt;
    }
    copies_.push_back(std::move(identity));
    return std::string_view(copies_.back());
  }
  std::optional<SidBytes> HolderOf(std::string_view identity) const {
    UserKey key;
    key.identity = identity;
    std::optional<SidBytes> sid;
    index_.Read(key, [&](const UserRecord& r) { sid = r.sid; });
    return sid;
  }
  bool WasDeleted(const SidBytes& sid) const { return index_.WasDeleted(sid); }

 private:
  const UserIndex& index_;
  std::deque<std::string> copies_;
};

}  // namespace

absl::StatusOr<ImportResult> StoreImpl::ImportUsers(std::string_view service_sid,
                                                    const std::vector<UserImport>& users,
                                                    const ImportOptions& options) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  if (options.mode != ImportMode::kInsert && options.mode != ImportMode::kSkip &&
      options.mode != ImportMode::kUpsert) {
    return Invalid("ImportOptions::mode must be kInsert, kSkip or kUpsert");
  }
  if (options.batch_size > kMaxBatchSize) {
    return Invalid("ImportOptions::batch_size must be at most " + std::to_string(kMaxBatchSize));
  }
  const size_t batch_size = options.batch_size == 0 ? kDefaultBatchSize : options.batch_size;

  // 1. Each row on its own.
  ImportResult result;
  std::vector<ValidRow> rows;
  rows.reserve(users.size());
  for (size_t i = 0; i < users.size(); ++i) {
    const UserImport& u = users[i];
    ValidRow row;
    row.index = i;
    row.role = service->default_role();
    absl::Status s = [&]() -> absl::Status {
      std::optional<SidBytes> sid = ParseSid(u.sid, "US");
      if (!sid) return Invalid("Invalid user SID: must match ^US[0-9a-fA-F]{32}$");
      row.sid = *sid;
      std::optional<std::string_view> role_sid;
      if (!u.role_sid.empty()) role_sid = u.role_sid;
      std::optional<std::string_view> attributes;
      if (!u.attributes.empty()) attributes = u.attributes;
      absl::Status valid = ValidateNewUser(*service, u.identity, role_sid, attributes,
                                           OptionalView(u.friendly_name), &row.role);
      if (TwilioCode(valid) == twilio_code::kRoleNotFound) {
        return BadRequest(twilio_code::kRoleNotFound,
                          "Role " + u.role_sid + " not found in Service " + service->sid());
      }
      USERSTORE_RETURN_IF_ERROR(valid);
      if (u.joined_channels_count < 0) return Invalid("joined_channels_count must not be negative");
      return CheckDates(u.date_created, u.date_updated, "", &row.date_created, &row.date_updated);
    }();
    if (s.ok()) {
      rows.push_back(row);
    } else {
      result.errors.push_back({i, std::move(s)});
    }
  }

  // 2. Creation order: date_created, then input order.
  // (An export is usually in that order already: then nothing moves.)
  auto earlier = [](const ValidRow& a, const ValidRow& b) {
    return a.date_created < b.date_created;
  };
  if (!std::is_sorted(rows.begin(), rows.end(), earlier)) {
    std::stable_sort(rows.begin(), rows.end(), earlier);
  }

  Planner planner(options.mode);
  absl::Status error;
  if (options.dry_run) {
    SharedLookup lookup(service->users());
    for (const ValidRow& row : rows) {
      const Action action = planner.Decide(row, users[row.index].identity, lookup, &error);
      if (action == Action::kReject) result.errors.push_back({row.index, error});
      CountImportAction(action, &result);
    }
  } else {
    // 3. Batch by batch.
    std::vector<UserRecord::Ptr> records;
    std::vector<Action> actions;
    std::vector<const UserRecord*> writes;
    std::vector<size_t> write_rows;         // each write's row in the batch
    std::vector<UserRecord::Ptr> replaced;  // freed after each batch, with no lock held
    // The batch's latest write of each SID (what a later row replaces).
    absl::flat_hash_map<SidBytes, const UserRecord*> latest;
    std::vector<Emission> emissions;  // one per write
    for (size_t start = 0; start < rows.size(); start += batch_size) {
      const size_t end = std::min(rows.size(), start + batch_size);
      records.clear();
      for (size_t k = start; k < end; ++k) {
        const ValidRow& row = rows[k];
        const UserImport& u = users[row.index];
        UserRecord::Text text;
        text.identity = u.identity;
        text.attributes = u.attributes;
        if (u.friendly_name && !u.friendly_name->empty()) text.friendly_name = *u.friendly_name;
        UserRecord::Ptr r = UserRecord::Make(text, nullptr, service->records());
        r->sid = row.sid;
        r->role_sid = row.role;
        r->date_created = row.date_created;
        r->date_updated = row.date_updated;
        r->joined_channels_count = u.joined_channels_count;
        records.push_back(std::move(r));
      }
      actions.assign(end - start, Action::kSkip);
      absl::Status written = service->users().Exclusive([&](UserIndex::Locked& index) {
        LockedLookup lookup(index);
        writes.clear();
        write_rows.clear();
        latest.clear();
        emissions.clear();
        for (size_t k = start; k < end; ++k) {
          const ValidRow& row = rows[k];
          UserRecord& r = *records[k - start];
          Action& action = actions[k - start];
          action = planner.Decide(row, r.identity(), lookup, &error);
          if (action == Action::kReject) {
            result.errors.push_back({row.index, error});
            continue;
          }
          if (action == Action::kSkip) continue;
          // Every write moves the revision. An insert takes a new place in
          // the creation order; a replacement keeps the replaced user's (its
          // durable key too): that of a row of this batch, or the index's.
          absl::StatusOr<uint64_t> revision = NextSequence(*service);
          if (!revision.ok()) {
            planner.Clear();
            return revision.status();  // nothing of the batch is applied
          }
          r.revision = *revision;
          Emission& emission = emissions.emplace_back(Emission{
              service, UserEvent::Type::kUserAdded, user_field::kAll, false, WriteOrigin::kImport});
          if (action == Action::kInsert) {
            r.sequence = r.revision;
          } else {
            auto it = latest.find(r.sid);
            const UserRecord& old = it != latest.end() ? *it->second : *index.FindSid(r.sid);
            r.sequence = old.sequence;
            // Above the replaced revision (NextRevision's rule: a shared
            // Store's block may be behind it).
            r.revision = std::max(r.revision, old.revision + 1);
            emission.type = UserEvent::Type::kUserUpdated;
            emission.changed = ChangedFields(old, r);
            // Replace keeps the old presence: the event shows it too.
            r.online = old.online;
            r.notifiable = old.notifiable;
          }
          latest[r.sid] = &r;
          writes.push_back(&r);
          write_rows.push_back(k - start);
        }
        planner.Clear();  // its views end with the batch
        return CommitBatch(*service, writes, emissions, [&](size_t w) {
          UserRecord::Ptr& r = records[write_rows[w]];
          if (actions[write_rows[w]] == Action::kInsert) {
            index.Insert(std::move(r));
          } else {
            const UserRecord& next = *r;
            replaced.push_back(index.Replace(std::move(r)));
            // Its push Bindings show its identity, which the row may
            // change (lock order: the index's locks, then the Bindings').
            service->bindings().Rename(next.sid, next.identity());
          }
        });
      });
      replaced.clear();
      if (!written.ok()) return written;  // earlier batches stay
      for (Action action : actions) CountImportAction(action, &result);
    }
  }
  result.rejected = result.errors.size();
  std::sort(result.errors.begin(), result.errors.end(),
            [](const ImportRowError& a, const ImportRowError& b) { return a.index < b.index; });
  return result;
}

// ---- Services ------------------------------------------------------------------

absl::StatusOr<Service> StoreImpl::ImportService(const Service& given,
                                                 const std::vector<Role>& given_roles,
                                                 bool* created) {
  if (created != nullptr) *created = false;
  const std::optional<SidBytes> sid = ParseSid(given.sid, "IS");
  if (!sid) return Invalid("Invalid Service SID: must match ^IS[0-9a-fA-F]{32}$");
  USERSTORE_RETURN_IF_ERROR(CheckDates(given.date_created, given.date_updated, "Service "));
  Service service = given;
  service.sid = FormatSid("IS", *sid);
  service.account_sid = options_.account_sid;
  std::vector<Role> roles;
  roles.reserve(given_roles.size());
  absl::flat_hash_map<SidBytes, RoleScope> scopes;
  for (const Role& given_role : given_roles) {
    const std::optional<SidBytes> role_sid = ParseSid(given_role.sid, "RL");
    if (!role_sid) return Invalid("Invalid Role SID " + given_role.sid);
    if (given_role.type != RoleScope::kDeployment && given_role.type != RoleScope::kChannel) {
      return Invalid("Role " + given_role.sid + " has an unknown type");
    }
    USERSTORE_RETURN_IF_ERROR(CheckDates(given_role.date_created, given_role.date_updated,
                                         "Role " + given_role.sid + " "));
    if (!scopes.emplace(*role_sid, given_role.type).second) {
      return Invalid("Role " + given_role.sid + " is given twice");
    }
    Role role = given_role;
    role.sid = FormatSid("RL", *role_sid);
    role.account_sid = service.account_sid;
    role.service_sid = service.sid;
    roles.push_back(std::move(role));
  }
  // Each default role among `roles`, of its scope; stored canonical.
  auto check_default = [&](std::string* role_sid, RoleScope scope,
                           std::string_view field) -> absl::Status {
    const std::optional<SidBytes> parsed = ParseSid(*role_sid, "RL");
    auto it = parsed ? scopes.find(*parsed) : scopes.end();
    if (it == scopes.end()) {
      return Invalid(std::string(field) + " " + *role_sid + " is not one of the Service's roles");
    }
    if (it->second != scope) {
      return Invalid(std::string(field) + " " + *role_sid + " has the wrong scope");
    }
    *role_sid = FormatSid("RL", *parsed);
    return absl::OkStatus();
  };
  USERSTORE_RETURN_IF_ERROR(check_default(&service.default_service_role_sid, RoleScope::kDeployment,
                                          "default_service_role_sid"));
  USERSTORE_RETURN_IF_ERROR(check_default(&service.default_channel_role_sid, RoleScope::kChannel,
                                          "default_channel_role_sid"));
  USERSTORE_RETURN_IF_ERROR(check_default(&service.default_channel_creator_role_sid,
                                          RoleScope::kChannel, "default_channel_creator_role_sid"));

  WriterLock lock(&services_mu_);
  if (ServiceState* existing = FindServiceLocked(*sid)) {
    // Kept as it is; the roles it lacks are added, in the given order.
    for (const Role& role : roles) {
      if (existing->HasRole(*ParseSid(role.sid, "RL"))) continue;
      if (journal_) USERSTORE_RETURN_IF_ERROR(journal_->PutRole(role));
      USERSTORE_RETURN_IF_ERROR(existing->AddRole(role));
    }
    return existing->Snapshot();
  }
  USERSTORE_RETURN_IF_ERROR(AddNewService(service, roles));
  if (created != nullptr) *created = true;
  return service;
}

}  // namespace userstore::internal
