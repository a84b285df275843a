// StoreImpl::ImportBindings: push Bindings carried in with their SIDs and
// dates (Store::ImportBindings in store.h; BindingImport in import.h).
//
// Each row is checked on its own (no lock), the valid rows are put in
// date_created order (stably), then each is decided and applied under its
// user's SID shard lock, as RegisterBinding is (binding_index.h), and
// journaled on its own. A dry run decides every row the same way against a
// copy of the Service's Bindings, changed as the rows before it would.
#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/twilio_errors.h"
#include "store/binding_checks.h"
#include "store/import_action.h"
#include "store/store_impl.h"
#include "store/validate.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

// What happens to one row.
using Action = ImportAction;

// A row that passed its own checks: the Binding it would be (no sequence,
// user or identity yet).
struct ValidRow {
  size_t index = 0;
  BindingRecord record;
};

absl::Status Taken(std::string_view what) { return Conflict(twilio_code::kInvalidParameter, what); }

// What to do with `row` for user `user` against `index` (the Service's
// Bindings or a dry run's copy); `deleted(sid)` says whether a SID belonged
// to a deleted Binding. Sets `*error` for kReject; for kReplace, `*replaced`
// is the Binding the row replaces.
template <typename Deleted>
Action Decide(const BindingRecord& row, const SidBytes& user, const BindingIndex& index,
              Deleted deleted, ImportMode mode, size_t max_per_user, absl::Status* error,
              BindingRecord* replaced) {
  const std::string sid = FormatSid("BS", row.sid);
  const std::optional<BindingRecord> same_sid = index.Find(row.sid);
  if (!same_sid && deleted(row.sid)) {
    *error = Taken("Binding SID " + sid +
                   " belonged to a deleted Binding: a SID never comes back into use");
    return Action::kReject;
  }
  const std::optional<BindingRecord> same_key = index.FindByKey(user, row.type, row.endpoint);
  if (same_sid) {
    if (mode == ImportMode::kSkip) return Action::kSkip;
    if (mode == ImportMode::kInsert) {
      *error = Taken("A Binding with SID " + sid + " already exists");
      return Action::kReject;
    }
    if (same_sid->user != user) {
      *error = Taken("Binding " + sid + " belongs to another user");
      return Action::kReject;
    }
    if (same_key && same_key->sid != row.sid) {
      *error = Taken("The user already holds a Binding of that type and endpoint: " +
                     FormatSid("BS", same_key->sid));
      return Action::kReject;
    }
    *replaced = *same_sid;
    return Action::kReplace;
  }
  if (same_key) {
    if (mode == ImportMode::kSkip) return Action::kSkip;
    *error = Taken("The user already holds a Binding of that type and endpoint: " +
                   FormatSid("BS", same_key->sid));
    return Action::kReject;
  }
  if (index.CountOf(user) >= max_per_user) {
    *error = TwilioError(
        absl::StatusCode::kResourceExhausted, 403, twilio_code::kForbidden,
        absl::StrCat("Binding limit reached: a user holds at most ", max_per_user, " Bindings"));
    return Action::kReject;
  }
  return Action::kInsert;
}

}  // namespace

absl::StatusOr<ImportResult> StoreImpl::ImportBindings(std::string_view service_sid,
                                                       const std::vector<BindingImport>& bindings,
                                                       const ImportOptions& options) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, BindingService(service_sid));
  if (options.mode != ImportMode::kInsert && options.mode != ImportMode::kSkip &&
      options.mode != ImportMode::kUpsert) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "ImportOptions::mode must be kInsert, kSkip or kUpsert");
  }
  // 1. Each row on its own.
  ImportResult result;
  std::vector<ValidRow> rows;
  rows.reserve(bindings.size());
  for (size_t i = 0; i < bindings.size(); ++i) {
    const BindingImport& b = bindings[i];
    ValidRow row;
    row.index = i;
    absl::Status s = [&]() -> absl::Status {
      const std::optional<SidBytes> sid = ParseSid(b.sid, "BS");
      if (!sid) {
        return BadRequest(twilio_code::kInvalidParameter,
                          "Invalid Binding SID: must match ^BS[0-9a-fA-F]{32}$");
      }
      row.record.sid = *sid;
      BindingCreate params;
      params.binding_type = b.binding_type;
      params.endpoint = b.endpoint;
      params.credential_sid = b.credential_sid;
      params.message_types = b.message_types;
      USERSTORE_ASSIGN_OR_RETURN(CheckedBinding checked,
                                 CheckBindingCreate(params, options_.limits));
      row.record.type = b.binding_type;
      row.record.endpoint = b.endpoint;
      row.record.credential = checked.credential;
      row.record.message_types = std::move(checked.message_types);
      return CheckDates(b.date_created, b.date_updated, "", &row.record.date_created,
                        &row.record.date_updated);
    }();
    if (s.ok()) {
      rows.push_back(std::move(row));
    } else {
      result.errors.push_back({i, std::move(s)});
    }
  }
  // 2. Creation order: date_created, then input order.
  std::stable_sort(rows.begin(), rows.end(), [](const ValidRow& a, const ValidRow& b) {
    return a.record.date_created < b.record.date_created;
  });

  // 3. Row by row.
  BindingIndex& live = service->bindings();
  auto deleted = [&](const SidBytes& sid) { return live.InUse(sid) && !live.Find(sid); };
  BindingIndex scratch;  // a dry run's copy
  uint64_t scratch_sequence = std::numeric_limits<uint64_t>::max() / 2;
  if (options.dry_run) live.ForEach([&](const BindingRecord& r) { scratch.Put(r); });
  const size_t max_per_user = options_.limits.max_bindings_per_user;
  for (ValidRow& row : rows) {
    const std::string& user_key = bindings[row.index].user_key;
    absl::Status error;
    BindingRecord replaced;
    Action action = Action::kReject;
    absl::Status failed;  // the call's: a journal write
    bool found;
    if (options.dry_run) {
      found = service->users().Read(ParseUserKey(user_key), [&](const UserRecord& r) {
        action = Decide(row.record, r.sid, scratch, deleted, options.mode, max_per_user, &error,
                        &replaced);
        if (action != Action::kInsert && action != Action::kReplace) return;
        BindingRecord next = row.record;
        next.user = r.sid;
        next.sequence = action == Action::kReplace ? replaced.sequence : scratch_sequence++;
        scratch.Put(std::move(next));
      });
    } else {
      Emission emission{service, UserEvent::Type::kUserUpdated, 0, false, WriteOrigin::kImport};
      found = service->users().Modify(ParseUserKey(user_key), [&](UserRecord& r) {
        action =
            Decide(row.record, r.sid, live, deleted, options.mode, max_per_user, &error, &replaced);
        if (action != Action::kInsert && action != Action::kReplace) return;
        BindingRecord next = row.record;
        next.user = r.sid;
        next.identity.assign(r.identity());
        if (action == Action::kReplace) {
          next.sequence = replaced.sequence;
        } else {
          absl::StatusOr<uint64_t> sequence = NextSequence(*service);
          if (!sequence.ok()) {
            failed = sequence.status();
            return;
          }
          next.sequence = *sequence;
        }
        const PresenceBefore before = PresenceOf(r);
        r.notifiable = Presence::kTrue;
        failed = CommitBindingChange(&emission, r, before, [&](const JournalEvent* event) {
          return journal_->PutBinding(service->sid(), next, r, event);
        });
        if (failed.ok()) live.Put(std::move(next));
      });
    }
    if (!found) {
      action = Action::kReject;
      error = UserNotFound(*service, user_key);
    }
    USERSTORE_RETURN_IF_ERROR(failed);  // the rows before it are in
    if (action == Action::kReject) result.errors.push_back({row.index, std::move(error)});
    CountImportAction(action, &result);
  }
  result.rejected = result.errors.size();
  std::sort(result.errors.begin(), result.errors.end(),
            [](const ImportRowError& a, const ImportRowError& b) { return a.index < b.index; });
  return result;
}

}  // namespace userstore::internal
