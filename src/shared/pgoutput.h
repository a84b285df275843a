// A bounded decoder for PostgreSQL's logical-replication stream as the shared
// mode reads it (docs/scale-out.md, "Logical decoding: what the engine uses"):
// the CopyData framing of a START_REPLICATION stream ('w' XLogData, 'k'
// primary keepalive), the client's 'r' standby status update, LSN text, and
// the pgoutput messages of protocol version 1 (PostgreSQL 15 documentation,
// "Streaming Replication Protocol" and "Logical Replication Message
// Formats"). No network code and no libpq calls: the caller reads CopyData
// with libpq and hands the bytes here.
//
// Wire integers are big-endian. Every read is bounds-checked: malformed input
// of any kind (truncated, an unknown message byte, a C string with no NUL, a
// negative or oversized length, a count larger than what follows, trailing
// bytes) is 500/20500 kInternal "PostgreSQL: pgoutput: <what>" (DatabaseError
// of shared/pg.h), never a crash or a read out of bounds. Outputs hold
// std::string_view into the caller's input: see each function for lifetimes.
//
// Thread-safety: pure functions; thread-safe.
#ifndef USERSTORE_SRC_SHARED_PGOUTPUT_H_
#define USERSTORE_SRC_SHARED_PGOUTPUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace userstore::internal::shared {

// The framing of one CopyData message of a START_REPLICATION stream.
struct ReplicationMessage {
  enum class Kind { kXLogData, kKeepalive };
  Kind kind = Kind::kKeepalive;
  // XLogData: the LSN of the data. 0 for a message with no WAL position of
  // its own (pgoutput's Relation and Type messages), and for keepalives.
  uint64_t wal_start = 0;
  // The server's end of WAL. In a logical stream's XLogData PostgreSQL 15
  // sends wal_start again here (0 with it for Relation / Type); a keepalive's
  // is the server's current end of WAL.
  uint64_t wal_end = 0;
  int64_t send_time = 0;         // microseconds since 2000-01-01 UTC (FromPgTime)
  bool reply_requested = false;  // keepalive only: answer with StandbyStatusUpdate now
  std::string_view payload;      // XLogData: one pgoutput message; views `data`
};

// Reads one CopyData message: 'w' XLogData (1 + 3 * 8 bytes, then the
// payload, possibly empty) or 'k' primary keepalive (exactly 18 bytes; the
// reply byte 0 or 1). `payload` views `data`: valid while `data` is.
// Errors: 500/20500 empty, another first byte, too short, a keepalive with
// trailing bytes or a reply byte other than 0 / 1. O(1).
absl::StatusOr<ReplicationMessage> ParseCopyData(std::string_view data);

// The 'r' standby status update the client sends with PQputCopyData: 'r',
// the written, flushed and applied LSNs (the slot's confirmed_flush_lsn
// becomes `flushed`), `client_time` (microseconds since 2000-01-01 UTC,
// ToPgTime) and a byte asking the server to reply at once. Exactly 34 bytes.
std::string StandbyStatusUpdate(uint64_t written, uint64_t flushed, uint64_t applied,
                                int64_t client_time, bool reply_requested);

// PostgreSQL timestamps: microseconds since 2000-01-01 00:00:00 UTC.
// Sub-microsecond parts are truncated toward negative infinity. The infinite
// times map to INT64_MIN / INT64_MAX (PostgreSQL's -infinity / infinity), as
// do times beyond the range, and back.
int64_t ToPgTime(absl::Time t);
absl::Time FromPgTime(int64_t t);

// An LSN as PostgreSQL prints a pg_lsn: "X/Y", the high and the low 32 bits
// in upper-case hex without leading zeros ("0/1920B08").
std::string FormatLsn(uint64_t lsn);
// The inverse, as pg_lsn's input: 1 to 8 hex digits (either case, leading
// zeros allowed), '/', 1 to 8 hex digits, nothing else. nullopt otherwise.
std::optional<uint64_t> ParseLsn(std::string_view text);

// One column of a TupleData.
struct PgValue {
  enum class Kind {
    kNull,       // 'n': SQL NULL; also every non-key column of an old 'K' tuple
    kUnchanged,  // 'u': an unchanged TOASTed value the server did not send
    kText,       // 't': the value in PostgreSQL's text output format
  };
  Kind kind = Kind::kNull;
  std::string_view text;  // kText only (may be empty); views the payload
};

// One column of a Relation message.
struct PgColumn {
  std::string name;
  uint32_t type_oid = 0;
  int32_t type_modifier = 0;  // atttypmod: -1 none; varchar(n) is n + 4
  bool key = false;           // part of the replica identity (every column under FULL)
};

// One pgoutput message (protocol version 1; the fields of `kind` are set,
// the others keep their defaults).
struct PgMessage {
  enum class Kind {
    kBegin,     // 'B'
    kCommit,    // 'C'
    kRelation,  // 'R': sent before a transaction's first change to a relation
                // (once per stream, and again after its schema changed)
    kInsert,    // 'I'
    kUpdate,    // 'U'
    kDelete,    // 'D'
    kMessage,   // 'M': pg_logical_emit_message (option messages 'true')
    kType,      // 'Y': a non-built-in type a Relation's column uses
    kOrigin,    // 'O': the transaction came from a replication origin
    kTruncate,  // 'T'
  };
  Kind kind = Kind::kBegin;
  // Begin: final_lsn (the commit record's LSN), commit_time, xid.
  // Commit: commit_lsn, end_lsn (the LSN to confirm once applied),
  // commit_time. Times in microseconds since 2000-01-01 UTC.
  uint64_t final_lsn = 0, commit_lsn = 0, end_lsn = 0;
  int64_t commit_time = 0;
  uint32_t xid = 0;
  // Relation: relation_oid, namespace_name (empty: pg_catalog),
  // relation_name, replica_identity ('d' default, 'n' nothing, 'f' full,
  // 'i' index; not checked), columns.
  // Insert / Update / Delete: relation_oid.
  uint32_t relation_oid = 0;
  std::string namespace_name, relation_name;
  char replica_identity = 0;
  std::vector<PgColumn> columns;
  // Insert: new_tuple. Update: new_tuple, and old_tuple when the server sent
  // one ('K': the key changed, every column present with the non-key ones
  // kNull; 'O': REPLICA IDENTITY FULL, the whole old row), else empty.
  // Delete: old_tuple ('K' or 'O' as for Update). Tuples are not checked
  // against the Relation's column count (the decoder keeps no state).
  std::vector<PgValue> new_tuple, old_tuple;
  // Message: transactional (flag bit 1; a non-transactional message comes
  // outside Begin / Commit), message_lsn, prefix, content (views the payload).
  bool transactional = false;
  uint64_t message_lsn = 0;
  std::string prefix;
  std::string_view content;
  // Truncate: relation_oids, truncate_options (bit 1 CASCADE, bit 2
  // RESTART IDENTITY).
  std::vector<uint32_t> relation_oids;
  uint8_t truncate_options = 0;
  // Type: type_oid, namespace_name (empty: pg_catalog), type_name.
  uint32_t type_oid = 0;
  std::string type_name;
  // Origin: origin_lsn (the commit's LSN on the origin server), origin_name.
  uint64_t origin_lsn = 0;
  std::string origin_name;
};

// Decodes one pgoutput message (an XLogData payload) of protocol version 1.
// PgValue::text and `content` view `payload`: valid while `payload` is.
// Errors: 500/20500 for any malformed message (see the top of this header,
// plus: an Insert without 'N', an Update whose old tuple is not 'K' / 'O'
// or whose new tuple is not 'N', a Delete without 'K' / 'O', a Commit or
// Message with unknown flag bits, a binary ('b') column value); the
// streaming ('S', 'E', 'c', 'A') and two-phase ('b', 'P', 'K', 'r', 'p')
// messages of later protocol versions are "not negotiated". Vectors are
// reserved only up to what the remaining bytes can hold. O(payload size).
absl::StatusOr<PgMessage> DecodePgOutput(std::string_view payload);

}  // namespace userstore::internal::shared

#endif  // USERSTORE_SRC_SHARED_PGOUTPUT_H_
