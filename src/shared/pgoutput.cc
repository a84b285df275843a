#include "shared/pgoutput.h"

#include <charconv>
#include <cstddef>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "shared/pg.h"

namespace userstore::internal::shared {
namespace {

// 2000-01-01 00:00:00 UTC.
absl::Time PgEpoch() { return absl::FromUnixSeconds(946'684'800); }
constexpr size_t kStandbyStatusUpdateSize = 1 + 4 * 8 + 1;

absl::Status Malformed(std::string_view what) {
  return DatabaseError("pgoutput: " + std::string(what));
}

// "'w'" for a printable byte, "0x00" otherwise.
std::string ByteName(char c) {
  if (c > ' ' && c < 0x7f) return absl::StrFormat("'%c'", c);
  return absl::StrFormat("0x%02x", static_cast<unsigned char>(c));
}

// Reads big-endian integers, C strings and counted bytes. The first failure
// is kept (what, and the offset of the read); every later read yields zeros
// or "", so a decoder checks ok() once at the end.
class Reader {
 public:
  // `base`: the offset of `in` in the message, for error texts.
  Reader(std::string_view in, size_t base) : in_(in), end_(base + in.size()) {}
  bool ok() const { return error_ == nullptr; }
  size_t remaining() const { return in_.size(); }
  std::string Error() const { return absl::StrCat(error_, " at byte ", error_offset_); }

  void Fail(const char* what) {
    if (error_ != nullptr) return;
    error_ = what;
    error_offset_ = end_ - in_.size();
    in_ = {};
  }
  uint8_t U8() { return static_cast<uint8_t>(Big(1)); }
  uint16_t U16() { return static_cast<uint16_t>(Big(2)); }
  uint32_t U32() { return static_cast<uint32_t>(Big(4)); }
  int32_t I32() { return static_cast<int32_t>(U32()); }
  uint64_t U64() { return Big(8); }
  int64_t I64() { return static_cast<int64_t>(U64()); }

  // A NUL-terminated string, without its NUL.
  std::string_view CString() {
    const size_t end = in_.find('\0');
    if (end == std::string_view::npos) {
      Fail("string without terminator");
      return {};
    }
    return Take(end + 1).substr(0, end);
  }
  // An Int32 length, then that many bytes.
  std::string_view Counted() {
    const int32_t n = I32();
    if (n < 0) Fail("negative length");
    if (ok() && static_cast<size_t>(n) > in_.size()) Fail("length exceeds the message");
    return ok() ? Take(static_cast<size_t>(n)) : std::string_view();
  }
  // Checks that `count` items of at least `min_size` bytes each can follow
  // (so a vector may reserve `count`).
  bool Fits(size_t count, size_t min_size) {
    if (ok() && count > in_.size() / min_size) Fail("count exceeds the message");
    return ok();
  }

 private:
  std::string_view Take(size_t n) {
    if (!ok() || in_.size() < n) {
      Fail("truncated");
      return {};
    }
    std::string_view bytes = in_.substr(0, n);
    in_.remove_prefix(n);
    return bytes;
  }
  uint64_t Big(size_t n) {
    uint64_t v = 0;
    for (char c : Take(n)) v = (v << 8) | static_cast<uint8_t>(c);
    return v;
  }

  std::string_view in_;
  const size_t end_;
  const char* error_ = nullptr;
  size_t error_offset_ = 0;
};

// TupleData: Int16 column count, then per column 'n', 'u' or 't' + Counted.
void ReadTuple(Reader& r, std::vector<PgValue>* out) {
  const uint16_t n = r.U16();
  if (!r.Fits(n, 1)) return;
  out->reserve(n);
  for (uint16_t i = 0; i < n && r.ok(); ++i) {
    PgValue value;
    switch (r.U8()) {
      case 'n':
        value.kind = PgValue::Kind::kNull;
        break;
      case 'u':
        value.kind = PgValue::Kind::kUnchanged;
        break;
      case 't':
        value.kind = PgValue::Kind::kText;
        value.text = r.Counted();
        break;
      case 'b':
        r.Fail("binary column value (not negotiated)");
        break;
      default:
        r.Fail("unknown column value kind");
    }
    out->push_back(value);
  }
}

void ReadRelation(Reader& r, PgMessage* m) {
  m->relation_oid = r.U32();
  m->namespace_name = r.CString();
  m->relation_name = r.CString();
  m->replica_identity = static_cast<char>(r.U8());
  const uint16_t n = r.U16();
  // Each column: flags, a name of at least its NUL, type OID, modifier.
  if (!r.Fits(n, 1 + 1 + 4 + 4)) return;
  m->columns.reserve(n);
  for (uint16_t i = 0; i < n && r.ok(); ++i) {
    PgColumn column;
    column.key = (r.U8() & 1) != 0;
    column.name = r.CString();
    column.type_oid = r.U32();
    column.type_modifier = r.I32();
    m->columns.push_back(std::move(column));
  }
}

const char* KindName(PgMessage::Kind kind) {
  static constexpr const char* kNames[] = {"Begin",  "Commit",  "Relation", "Insert", "Update",
                                           "Delete", "Message", "Type",     "Origin", "Truncate"};
  return kNames[static_cast<int>(kind)];
}

}  // namespace

absl::StatusOr<ReplicationMessage> ParseCopyData(std::string_view data) {
  if (data.empty()) return Malformed("empty CopyData message");
  Reader r(data.substr(1), 1);
  ReplicationMessage m;
  if (data[0] == 'w') {
    m.kind = ReplicationMessage::Kind::kXLogData;
    m.wal_start = r.U64();
    m.wal_end = r.U64();
    m.send_time = r.I64();
    if (!r.ok()) return Malformed("XLogData header truncated");
    m.payload = data.substr(1 + 3 * 8);
    return m;
  }
  if (data[0] == 'k') {
    m.kind = ReplicationMessage::Kind::kKeepalive;
    m.wal_end = r.U64();
    m.send_time = r.I64();
    const uint8_t reply = r.U8();
    if (!r.ok()) return Malformed("keepalive truncated");
    if (r.remaining() != 0) return Malformed("trailing bytes after keepalive");
    if (reply > 1) return Malformed("keepalive reply byte not 0 or 1");
    m.reply_requested = reply == 1;
    return m;
  }
  return Malformed(absl::StrCat("unknown CopyData message ", ByteName(data[0])));
}

std::string StandbyStatusUpdate(uint64_t written, uint64_t flushed, uint64_t applied,
                                int64_t client_time, bool reply_requested) {
  std::string out;
  out.reserve(kStandbyStatusUpdateSize);
  out.push_back('r');
  for (uint64_t v : {written, flushed, applied, static_cast<uint64_t>(client_time)}) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
  }
  out.push_back(reply_requested ? 1 : 0);
  return out;
}

int64_t ToPgTime(absl::Time t) {
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  // Floor, then saturate beyond int64 microseconds.
  return absl::ToInt64Microseconds(absl::Floor(t - PgEpoch(), absl::Microseconds(1)));
}

absl::Time FromPgTime(int64_t t) {
  if (t == std::numeric_limits<int64_t>::max()) return absl::InfiniteFuture();
  if (t == std::numeric_limits<int64_t>::min()) return absl::InfinitePast();
  return PgEpoch() + absl::Microseconds(t);
}

std::string FormatLsn(uint64_t lsn) {
  return absl::StrFormat("%X/%X", static_cast<uint32_t>(lsn >> 32), static_cast<uint32_t>(lsn));
}

std::optional<uint64_t> ParseLsn(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  uint64_t lsn = 0;
  for (std::string_view half : {text.substr(0, slash), text.substr(slash + 1)}) {
    // 1 to 8 hex digits and nothing else (from_chars takes no sign, space or 0x).
    uint32_t v = 0;
    const char* end = half.data() + half.size();
    if (half.empty() || half.size() > 8 || std::from_chars(half.data(), end, v, 16).ptr != end) {
      return std::nullopt;
    }
    lsn = (lsn << 32) | v;
  }
  return lsn;
}

absl::StatusOr<PgMessage> DecodePgOutput(std::string_view payload) {
  if (payload.empty()) return Malformed("empty message");
  const char tag = payload[0];
  if (std::string_view("SEcA").find(tag) != std::string_view::npos) {
    return Malformed(absl::StrCat("streaming message ", ByteName(tag), " not negotiated",
                                  " (protocol version 1)"));
  }
  if (std::string_view("bPKrp").find(tag) != std::string_view::npos) {
    return Malformed(absl::StrCat("two-phase message ", ByteName(tag), " not negotiated",
                                  " (protocol version 1)"));
  }
  Reader r(payload.substr(1), 1);
  PgMessage m;
  switch (tag) {
    case 'B':
      m.kind = PgMessage::Kind::kBegin;
      m.final_lsn = r.U64();
      m.commit_time = r.I64();
      m.xid = r.U32();
      break;
    case 'C':
      m.kind = PgMessage::Kind::kCommit;
      if (r.U8() != 0) r.Fail("unknown flags");
      m.commit_lsn = r.U64();
      m.end_lsn = r.U64();
      m.commit_time = r.I64();
      break;
    case 'O':
      m.kind = PgMessage::Kind::kOrigin;
      m.origin_lsn = r.U64();
      m.origin_name = r.CString();
      break;
    case 'R':
      m.kind = PgMessage::Kind::kRelation;
      ReadRelation(r, &m);
      break;
    case 'Y':
      m.kind = PgMessage::Kind::kType;
      m.type_oid = r.U32();
      m.namespace_name = r.CString();
      m.type_name = r.CString();
      break;
    case 'I':
      m.kind = PgMessage::Kind::kInsert;
      m.relation_oid = r.U32();
      if (r.U8() != 'N') r.Fail("new tuple not marked 'N'");
      ReadTuple(r, &m.new_tuple);
      break;
    case 'U': {
      m.kind = PgMessage::Kind::kUpdate;
      m.relation_oid = r.U32();
      uint8_t marker = r.U8();
      if (marker == 'K' || marker == 'O') {
        ReadTuple(r, &m.old_tuple);
        marker = r.U8();
      }
      if (marker != 'N') r.Fail("new tuple not marked 'N'");
      ReadTuple(r, &m.new_tuple);
      break;
    }
    case 'D': {
      m.kind = PgMessage::Kind::kDelete;
      m.relation_oid = r.U32();
      const uint8_t marker = r.U8();
      if (marker != 'K' && marker != 'O') r.Fail("old tuple not marked 'K' or 'O'");
      ReadTuple(r, &m.old_tuple);
      break;
    }
    case 'T': {
      m.kind = PgMessage::Kind::kTruncate;
      const int32_t n = r.I32();
      if (n < 0) r.Fail("negative relation count");
      m.truncate_options = r.U8();
      if (!r.Fits(static_cast<size_t>(n), 4)) break;
      m.relation_oids.reserve(static_cast<size_t>(n));
      for (int32_t i = 0; i < n && r.ok(); ++i) m.relation_oids.push_back(r.U32());
      break;
    }
    case 'M': {
      m.kind = PgMessage::Kind::kMessage;
      const uint8_t flags = r.U8();
      if (flags > 1) r.Fail("unknown flags");
      m.transactional = flags == 1;
      m.message_lsn = r.U64();
      m.prefix = r.CString();
      m.content = r.Counted();
      break;
    }
    default:
      return Malformed(absl::StrCat("unknown message ", ByteName(tag)));
  }
  if (r.ok() && r.remaining() != 0) r.Fail("trailing bytes");
  if (!r.ok()) {
    return Malformed(absl::StrCat(KindName(m.kind), " message: ", r.Error()));
  }
  return m;
}

}  // namespace userstore::internal::shared
