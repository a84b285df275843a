// Fuzz target: the logical-replication stream decoder (src/shared/pgoutput.h).
//
// The input is used whole as a CopyData message (ParseCopyData), as a
// pgoutput message (DecodePgOutput), and, when it parses as XLogData, its
// payload is decoded too. Properties:
//   - no crash and no read outside the input on any bytes; every error is
//     500/20500 "PostgreSQL: pgoutput: ...";
//   - an accepted XLogData is 25 bytes of header and a payload that is the
//     rest of the input (a view of it); an accepted keepalive is 18 bytes;
//   - every string_view a decoded message holds points into the input;
//   - re-encoding a decoded message (a reference encoder here, from the
//     PostgreSQL 15 documentation, "Logical Replication Message Formats")
//     gives exactly as many bytes as the input, and decodes to the same
//     message field by field (the decoder consumes everything and keeps every
//     field; only an old tuple's 'K' / 'O' and a column's unused flag bits
//     are not kept);
//   - StandbyStatusUpdate is 34 bytes; FormatLsn / ParseLsn round trip.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "fuzz/fuzz_util.h"
#include "shared/pgoutput.h"
#include "userstore/error.h"

namespace userstore::fuzz {
namespace {

using internal::shared::PgColumn;
using internal::shared::PgMessage;
using internal::shared::PgValue;
using internal::shared::ReplicationMessage;

void CheckError(const absl::Status& status) {
  FUZZ_CHECK(HttpStatus(status) == 500 && TwilioCode(status) == 20500 &&
                 std::string(status.message()).starts_with("PostgreSQL: pgoutput: "),
             "%s", Describe(status).c_str());
}

bool Within(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

class Encoder {
 public:
  void U8(uint8_t v) { Big(v, 1); }
  void U16(size_t v) { Big(v, 2); }
  void U32(uint64_t v) { Big(v, 4); }
  void U64(uint64_t v) { Big(v, 8); }
  void CStr(std::string_view s) {
    out_.append(s);
    out_.push_back('\0');
  }
  void Counted(std::string_view s) {
    U32(s.size());
    out_.append(s);
  }
  void Tuple(char marker, const std::vector<PgValue>& tuple) {
    U8(static_cast<uint8_t>(marker));
    U16(tuple.size());
    for (const PgValue& v : tuple) {
      if (v.kind == PgValue::Kind::kText) {
        U8('t');
        Counted(v.text);
      } else {
        U8(v.kind == PgValue::Kind::kNull ? 'n' : 'u');
      }
    }
  }
  std::string& out() { return out_; }

 private:
  void Big(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out_.push_back(static_cast<char>(v >> (8 * i)));
  }
  std::string out_;
};

std::string Encode(const PgMessage& m) {
  using Kind = PgMessage::Kind;
  Encoder e;
  switch (m.kind) {
    case Kind::kBegin:
      e.U8('B');
      e.U64(m.final_lsn);
      e.U64(static_cast<uint64_t>(m.commit_time));
      e.U32(m.xid);
      break;
    case Kind::kCommit:
      e.U8('C');
      e.U8(0);
      e.U64(m.commit_lsn);
      e.U64(m.end_lsn);
      e.U64(static_cast<uint64_t>(m.commit_time));
      break;
    case Kind::kOrigin:
      e.U8('O');
      e.U64(m.origin_lsn);
      e.CStr(m.origin_name);
      break;
    case Kind::kType:
      e.U8('Y');
      e.U32(m.type_oid);
      e.CStr(m.namespace_name);
      e.CStr(m.type_name);
      break;
    case Kind::kRelation:
      e.U8('R');
      e.U32(m.relation_oid);
      e.CStr(m.namespace_name);
      e.CStr(m.relation_name);
      e.U8(static_cast<uint8_t>(m.replica_identity));
      e.U16(m.columns.size());
      for (const PgColumn& c : m.columns) {
        e.U8(c.key ? 1 : 0);
        e.CStr(c.name);
        e.U32(c.type_oid);
        e.U32(static_cast<uint32_t>(c.type_modifier));
      }
      break;
    case Kind::kInsert:
      e.U8('I');
      e.U32(m.relation_oid);
      e.Tuple('N', m.new_tuple);
      break;
    case Kind::kUpdate:
      e.U8('U');
      e.U32(m.relation_oid);
      if (!m.old_tuple.empty()) e.Tuple('K', m.old_tuple);
      e.Tuple('N', m.new_tuple);
      break;
    case Kind::kDelete:
      e.U8('D');
      e.U32(m.relation_oid);
      e.Tuple('K', m.old_tuple);
      break;
    case Kind::kTruncate:
      e.U8('T');
      e.U32(m.relation_oids.size());
      e.U8(m.truncate_options);
      for (uint32_t oid : m.relation_oids) e.U32(oid);
      break;
    case Kind::kMessage:
      e.U8('M');
      e.U8(m.transactional ? 1 : 0);
      e.U64(m.message_lsn);
      e.CStr(m.prefix);
      e.Counted(m.content);
      break;
  }
  return std::move(e.out());
}

bool SameValues(const std::vector<PgValue>& a, const std::vector<PgValue>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].kind != b[i].kind || a[i].text != b[i].text) return false;
  }
  return true;
}

bool Same(const PgMessage& a, const PgMessage& b) {
  if (a.columns.size() != b.columns.size()) return false;
  for (size_t i = 0; i < a.columns.size(); ++i) {
    const PgColumn &x = a.columns[i], &y = b.columns[i];
    if (x.name != y.name || x.type_oid != y.type_oid || x.type_modifier != y.type_modifier ||
        x.key != y.key) {
      return false;
    }
  }
  return a.kind == b.kind && a.final_lsn == b.final_lsn && a.commit_lsn == b.commit_lsn &&
         a.end_lsn == b.end_lsn && a.commit_time == b.commit_time && a.xid == b.xid &&
         a.relation_oid == b.relation_oid && a.namespace_name == b.namespace_name &&
         a.relation_name == b.relation_name && a.replica_identity == b.replica_identity &&
         SameValues(a.new_tuple, b.new_tuple) && SameValues(a.old_tuple, b.old_tuple) &&
         a.transactional == b.transactional && a.message_lsn == b.message_lsn &&
         a.prefix == b.prefix && a.content == b.content && a.relation_oids == b.relation_oids &&
         a.truncate_options == b.truncate_options && a.type_oid == b.type_oid &&
         a.type_name == b.type_name && a.origin_lsn == b.origin_lsn &&
         a.origin_name == b.origin_name;
}

void CheckPgOutput(std::string_view payload) {
  absl::StatusOr<PgMessage> m = internal::shared::DecodePgOutput(payload);
  if (!m.ok()) return CheckError(m.status());
  for (const auto* tuple : {&m->new_tuple, &m->old_tuple}) {
    for (const PgValue& v : *tuple) {
      FUZZ_CHECK(Within(v.text, payload), "a value's text is not in the payload");
      FUZZ_CHECK(v.kind == PgValue::Kind::kText || v.text.empty(), "text on a non-text value");
    }
  }
  FUZZ_CHECK(Within(m->content, payload), "the content is not in the payload");
  std::string again = Encode(*m);
  // An Update whose old tuple ('K' or 'O') had zero columns decodes like one
  // without: put the 3 bytes back.
  if (m->kind == PgMessage::Kind::kUpdate && again.size() + 3 == payload.size()) {
    again.insert(5, std::string("K\0\0", 3));
  }
  FUZZ_CHECK(again.size() == payload.size(), "re-encoded %zu bytes, decoded %zu", again.size(),
             payload.size());
  absl::StatusOr<PgMessage> back = internal::shared::DecodePgOutput(again);
  FUZZ_CHECK(back.ok(), "the re-encoding does not decode: %s", Describe(back.status()).c_str());
  FUZZ_CHECK(Same(*m, *back), "the re-encoding decodes to another message");
}

}  // namespace
}  // namespace userstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace userstore::fuzz;
  using namespace userstore::internal::shared;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<ReplicationMessage> frame = ParseCopyData(input);
  if (!frame.ok()) {
    CheckError(frame.status());
  } else if (frame->kind == ReplicationMessage::Kind::kXLogData) {
    FUZZ_CHECK(size >= 25 && frame->payload.data() == input.data() + 25 &&
                   frame->payload.size() == size - 25,
               "XLogData payload is not the rest of the input");
    CheckPgOutput(frame->payload);
  } else {
    FUZZ_CHECK(size == 18 && frame->payload.empty(), "keepalive of %zu bytes", size);
  }
  CheckPgOutput(input);

  // The status update and LSN text, from the first bytes.
  ByteReader in(data, size);
  const uint64_t lsn = in.U64();
  FUZZ_CHECK(StandbyStatusUpdate(lsn, lsn, lsn, 0, in.Bool()).size() == 34, "status update size");
  FUZZ_CHECK(ParseLsn(FormatLsn(lsn)) == lsn, "LSN %s does not round trip", FormatLsn(lsn).c_str());
  const std::optional<uint64_t> parsed = ParseLsn(input);
  if (parsed.has_value()) {
    FUZZ_CHECK(ParseLsn(FormatLsn(*parsed)) == parsed, "parsed LSN does not round trip");
  }
  return 0;
}
