// Schema v2 of a shared store in PostgreSQL (docs/scale-out.md, "Schema"):
// created by the first Store that opens an empty database, versioned by the
// one row of userstore_meta, which also holds the account SID and the
// page-token key every Store of the database uses. v2 (issue 17) is v1 plus
// the table userstore_configuration (in the publication); a Store of this
// library upgrades a v1 database when it opens it, and a library of v1 then
// refuses the database (its schema is newer).
//
// Thread-safety: EnsureSchema may run in many processes at once: the check
// and the creation are one transaction under an advisory lock, so exactly one
// creates and the others read what it stored.
#ifndef USERSTORE_SRC_SHARED_SCHEMA_H_
#define USERSTORE_SRC_SHARED_SCHEMA_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "shared/pg.h"

namespace userstore::internal::shared {

// The schema version this library creates and reads.
inline constexpr int kSchemaVersion = 2;

// The size of the blocks of creation sequences / revisions a Store reserves
// at a time (PgJournal::ReserveSequences): the INCREMENT of the SEQUENCE
// userstore_sequence_blocks, so part of schema v1 (every Store of a database
// must use the same). nextval returning v reserves v - kSequenceBlock + 1 .. v.
inline constexpr uint64_t kSequenceBlock = 128;

// What userstore_meta holds besides the version.
struct SharedMeta {
  std::string account_sid;     // "AC" + 32 hex
  std::string page_token_key;  // raw bytes (bytea)
};

// Creates the schema (v1, then the upgrade to v2) with `proposed` as its
// metadata when the database has no userstore_meta table, or upgrades a v1
// schema to v2, in one transaction under pg_advisory_xact_lock(kSchemaLock);
// returns the metadata stored (the proposal when it created the schema).
// Errors: 500/20500
// (kFailedPrecondition) "schema version N is newer than this library's (2)"
// or a malformed meta table; 503/20503 PostgreSQL unreachable; 500/20500
// another database error (e.g. the role may not create tables).
absl::StatusOr<SharedMeta> EnsureSchema(PgPool& pool, const SharedMeta& proposed);

}  // namespace userstore::internal::shared

#endif  // USERSTORE_SRC_SHARED_SCHEMA_H_
