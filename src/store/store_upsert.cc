// StoreImpl::UpsertUsers (store.h; docs/api.md, "Batch upsert").
//
// In three steps, as ImportUsers (store_import.cc):
//   1. every row is validated on its own, with no lock (the rules CreateUser
//      and UpdateUser share: identity, role, attributes, friendly name), and
//      an identity that repeats an earlier row is refused; a row whose
//      identity no user holds now gets its new record built here;
//   2. under every lock of the Service's index (UserIndex::Exclusive), each
//      valid row is decided against the index: create (its record, or one
//      built now when the identity went meanwhile), update (a replacement
//      built from the current record) or unchanged. The rows' identities are
//      distinct, so no row sees another's change;
//   3. still under the locks, the changed rows are journaled as one write
//      (durable: one synced WriteBatch, with their feed events), and only
//      then applied to memory. A failed write fails the call and leaves
//      memory as it was. Listeners fire after the locks are released.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/twilio_errors.h"
#include "store/store_impl.h"
#include "store/user_changes.h"
#include "store/validate.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

// A row that passed step 1.
struct UpsertRow {
  size_t index = 0;                 // in the input
  std::optional<SidBytes> role;     // set when the row gives role_sid
  UserRecord::Ptr created;          // built in step 1 when the identity was free
  UserRecord::Ptr write;            // step 2: the record to write (null: unchanged)
  const UserRecord* old = nullptr;  // step 2: the record an update replaces
};

}  // namespace

absl::StatusOr<std::vector<UpsertResult>> StoreImpl::UpsertUsers(
    std::string_view service_sid, const std::vector<UserUpsert>& rows,
    const UpsertOptions& options) {
  // A shared database would need each update guarded by its revision and
  // each create by the identity's uniqueness across Stores, in one
  // transaction (PgJournal::PutUsers upserts by SID only).
  USERSTORE_RETURN_IF_ERROR(RefuseShared("batch upsert is not available"));
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  if (rows.empty() || rows.size() > kMaxUpsertRows) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "A batch upsert takes 1 to " + std::to_string(kMaxUpsertRows) +
                          " users, not " + std::to_string(rows.size()));
  }
  const absl::Time now_time = Clock();
  const int64_t now = absl::ToUnixSeconds(now_time);

  // 1. Each row on its own.
  std::vector<UpsertResult> results(rows.size());
  std::vector<UpsertRow> valid;
  valid.reserve(rows.size());
  absl::flat_hash_set<std::string_view> identities;
  for (size_t i = 0; i < rows.size(); ++i) {
    const UserUpsert& u = rows[i];
    UpsertRow row;
    row.index = i;
    absl::Status s = [&]() -> absl::Status {
      USERSTORE_RETURN_IF_ERROR(ValidateIdentity(u.identity, options_.limits));
      if (!identities.insert(u.identity).second) {
        return BadRequest(twilio_code::kInvalidParameter,
                          "Identity " + u.identity + " appears twice in the batch");
      }
      SidBytes role;
      USERSTORE_RETURN_IF_ERROR(ValidateCommon(*service, OptionalView(u.role_sid),
                                               OptionalView(u.attributes),
                                               OptionalView(u.friendly_name), &role));
      if (u.role_sid) row.role = role;
      return absl::OkStatus();
    }();
    if (!s.ok()) {
      results[i].status = std::move(s);
      continue;
    }
    valid.push_back(std::move(row));
  }
  // New records for the identities no user holds now (most likely still
  // free under the locks), built with no lock held.
  auto build_new = [&](const UserUpsert& u, const UpsertRow& row) {
    UserRecord::Text text;
    text.identity = u.identity;
    if (u.attributes) text.attributes = *u.attributes;
    if (u.friendly_name && !u.friendly_name->empty()) text.friendly_name = *u.friendly_name;
    UserRecord::Ptr r = UserRecord::Make(text, nullptr, service->records());
    r->role_sid = row.role ? *row.role : service->default_role();
    r->date_created = r->date_updated = now;
    return r;
  };
  for (UpsertRow& row : valid) {
    UserKey key;
    key.identity = rows[row.index].identity;
    if (!service->users().Read(key, UserIndex::Ignore)) {
      row.created = build_new(rows[row.index], row);
    }
  }

  // 2 and 3, under every lock of the index.
  std::vector<const UserRecord*> writes;
  std::vector<UpsertRow*> written_rows;   // each write's row
  std::vector<Emission> emissions;        // one per write
  std::vector<UserRecord::Ptr> replaced;  // freed once the locks are released
  absl::Status written = service->users().Exclusive([&](UserIndex::Locked& index) {
    absl::flat_hash_set<SidBytes> minted;  // the new SIDs of this batch
    for (UpsertRow& row : valid) {
      const UserUpsert& u = rows[row.index];
      UpsertResult& result = results[row.index];
      Emission& emission =
          emissions.emplace_back(Emission{service, UserEvent::Type::kUserAdded, user_field::kAll,
                                          options.webhook_enabled, WriteOrigin::kServer});
      emission.time_micros = absl::ToUnixMicros(now_time);  // the event's time is the write's
      const SidBytes* holder = index.FindIdentity(u.identity);
      if (holder == nullptr) {
        if (row.created == nullptr) row.created = build_new(u, row);
        UserRecord& r = *row.created;
        do {
          r.sid = RandomSidBytes();  // a collision has 2^-128 odds: mint again
        } while (index.FindSid(r.sid) != nullptr || index.WasDeleted(r.sid) ||
                 !minted.insert(r.sid).second);
        USERSTORE_ASSIGN_OR_RETURN(const uint64_t sequence, NextSequence(*service));
        r.sequence = r.revision = sequence;
        result.outcome = UpsertOutcome::kCreated;
        row.write = std::move(row.created);
      } else {
        const UserRecord& old = *index.FindSid(*holder);
        UserRecord::Text text = old.text();
        if (u.attributes) text.attributes = *u.attributes;
        if (u.friendly_name) {
          text.friendly_name = u.friendly_name->empty()
                                   ? std::nullopt
                                   : std::optional<std::string_view>(*u.friendly_name);
        }
        emission.type = UserEvent::Type::kUserUpdated;
        emission.changed = Changes(old, text, row.role);
        if (emission.changed == 0) {
          emissions.pop_back();
          result.outcome = UpsertOutcome::kUnchanged;
          CopyUser(*service, old, UserShape::kResource, &result.user);
          continue;
        }
        UserRecord::Ptr next = UserRecord::Make(text, &old, service->records());
        USERSTORE_ASSIGN_OR_RETURN(next->revision, NextRevision(*service, old.revision));
        if (row.role) next->role_sid = *row.role;
        next->date_updated = std::max(now, old.date_created);
        emission.previous_revision = old.revision;
        row.old = &old;
        result.outcome = UpsertOutcome::kUpdated;
        row.write = std::move(next);
      }
      writes.push_back(row.write.get());
      written_rows.push_back(&row);
    }
    return CommitBatch(*service, writes, emissions, [&](size_t w) {
      UpsertRow& row = *written_rows[w];
      CopyUser(*service, *row.write, UserShape::kResource, &results[row.index].user);
      if (row.old == nullptr) {
        index.Insert(std::move(row.write));
      } else {
        replaced.push_back(index.Replace(std::move(row.write)));
      }
    });
  });
  replaced.clear();
  if (!written.ok()) return written;
  if (options.webhook_enabled) {
    size_t w = 0;
    for (const UpsertRow& row : valid) {
      const UpsertResult& result = results[row.index];
      if (result.outcome != UpsertOutcome::kCreated && result.outcome != UpsertOutcome::kUpdated) {
        continue;
      }
      Fire(emissions[w++], result.user);
    }
  }
  return results;
}

}  // namespace userstore::internal
