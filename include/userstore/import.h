// Import: users, Services, roles and push Bindings carried into a Store exactly as they were
// elsewhere (another userstore, Twilio's hosted Programmable Chat), keeping
// their SIDs, identities, attribute bytes, names, counters and dates.
//
// The values here are plain (thread-compatible). Store::ImportUsers and
// Store::ImportService (store.h) are thread-safe like every Store call.
// docs/api.md ("Import and export") is the guide; docs/cli.md ("Moving from
// Twilio") the command-line walk-through.
#ifndef USERSTORE_IMPORT_H_
#define USERSTORE_IMPORT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "userstore/binding.h"
#include "userstore/service.h"

namespace userstore {

// One user to import: every stored field of Twilio's User resource but the
// Service (given to the call) and presence (runtime state, never imported).
// Each field is validated by the rules of CreateUser (same Twilio codes):
// sid "US" + 32 hex (400/20001 otherwise; upper-case hex is stored
// lower-case); identity as CreateUser's; role_sid a deployment-scope role
// of the Service, as CreateUser's RoleSid (unknown: twilio_code::
// kRoleNotFound, the message naming the SID; channel scope: kRoleWrongType;
// empty: the Service's default_service_role_sid, as CreateUser without
// RoleSid); attributes a JSON object within the limits
// (50303/50304; empty means "{}"), kept byte for byte; friendly_name 50003
// (an empty string is stored as null, as CreateUser does);
// joined_channels_count >= 0 (400/20001); date_updated >= date_created, both
// whole seconds between 1970 and 9999 (400/20001). Checked in that order:
// sid, identity, friendly_name, attributes, role_sid, count, dates.
struct UserImport {
  std::string sid;
  std::string identity;
  std::string role_sid;
  std::string attributes;
  std::optional<std::string> friendly_name;
  int64_t joined_channels_count = 0;
  absl::Time date_created;
  absl::Time date_updated;
};

// One push Binding to import (Store::ImportBindings; binding.h): every stored
// field of a Binding but the Service (given to the call) and the identity
// (its user's). sid "BS" + 32 hex (upper-case hex is stored lower-case;
// 400/20001 otherwise); user_key the user's SID or identity, a user of the
// Service (404/20404 otherwise: import the users first); binding_type,
// endpoint, credential_sid and message_types checked as
// Store::RegisterBinding checks them (400/20001); dates as UserImport's
// (whole seconds in 1970..9999, date_updated >= date_created; 400/20001).
// Checked in that order, the user last (under its lock).
struct BindingImport {
  std::string sid;
  std::string user_key;
  BindingType binding_type = BindingType::kApn;
  std::string endpoint;
  std::string credential_sid;
  std::vector<std::string> message_types;
  absl::Time date_created;
  absl::Time date_updated;
};

// What happens to a user whose SID or identity is already in the Service.
// "Already in" includes the rows of the same call before it in creation
// order (date_created, then input order): a SID given twice is the second
// row meeting the first. In every mode the SID of a deleted user is refused
// (409/20001): a SID never comes back into use.
enum class ImportMode {
  // Either taken: the row is rejected (409/50201 identity taken; 409/20001
  // SID taken).
  kInsert,
  // Either taken: the row is left as it is and counted as skipped, so an
  // interrupted import can be run again to completion.
  kSkip,
  // Same SID: the stored user is replaced by the row (its identity may
  // change if the new one is free); it keeps its place in the paging order
  // and its presence, and gets a new revision. The identity taken by
  // another SID: the row is rejected (409/50201).
  kUpsert,
};

struct ImportOptions {
  ImportMode mode = ImportMode::kInsert;
  // Validate every row and decide it against the store as it is (and the
  // rows before it), report as a real run would, but write nothing.
  bool dry_run = false;
  // Rows per write batch. A durable Store writes each batch as one RocksDB
  // WriteBatch, synced once (with DurableOptions::sync): a killed import
  // leaves a prefix of whole batches, never part of a user. Each batch
  // holds the Service's index exclusively while it is checked, written and
  // applied (other calls on that Service wait: about one sync). 1..10000;
  // 0 means the default (1000); above 10000: 400/20001.
  size_t batch_size = 0;
};

// A rejected row: its index in the call's input and its Twilio error
// (userstore::TwilioCode / HttpStatus / ErrorJson read it).
struct ImportRowError {
  size_t index = 0;
  absl::Status status;
};

struct ImportResult {
  size_t inserted = 0;
  size_t replaced = 0;                 // kUpsert only
  size_t skipped = 0;                  // kSkip only
  size_t rejected = 0;                 // == errors.size()
  std::vector<ImportRowError> errors;  // in input order
};

}  // namespace userstore

#endif  // USERSTORE_IMPORT_H_
