#include "shared/pg_journal.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/twilio_errors.h"
#include "shared/schema.h"
#include "sid/sid.h"
#include "userstore/error.h"

namespace userstore::internal::shared {
namespace {

using Param = PgConn::Param;

std::string Int(int64_t v) { return absl::StrCat(v); }

absl::Status ChangedElsewhere() {
  return Conflict(twilio_code::kConflict, "the user changed on another host: retry");
}

// The user columns in the order of kInsertUser's parameters $1..$11.
struct UserParams {
  explicit UserParams(std::string_view service_sid, const UserRecord& r)
      : sid(FormatSid("US", r.sid)),
        role(FormatSid("RL", r.role_sid)),
        sequence(Int(static_cast<int64_t>(r.sequence))),
        revision(Int(static_cast<int64_t>(r.revision))),
        joined(Int(r.joined_channels_count)),
        created(Int(r.date_created)),
        updated(Int(r.date_updated)),
        params{sid,    service_sid,       r.identity(),   sequence, revision,
               role,   r.friendly_name(), r.attributes(), joined,   created,
               updated} {}
  std::string sid, role, sequence, revision, joined, created, updated;
  std::vector<Param> params;
};

constexpr const char* kInsertUser =
    "INSERT INTO userstore_users (sid, service_sid, identity, sequence, revision, role_sid, "
    "friendly_name, attributes, joined_channels, date_created, date_updated) "
    "VALUES ($1, $2, $3, $4::bigint, $5::bigint, $6, $7, $8, $9::bigint, $10::bigint, "
    "$11::bigint)";

constexpr const char* kUpsertUser =
    "INSERT INTO userstore_users (sid, service_sid, identity, sequence, revision, role_sid, "
    "friendly_name, attributes, joined_channels, date_created, date_updated) "
    "VALUES ($1, $2, $3, $4::bigint, $5::bigint, $6, $7, $8, $9::bigint, $10::bigint, "
    "$11::bigint) ON CONFLICT (sid) DO UPDATE SET identity = EXCLUDED.identity, "
    "date_created = EXCLUDED.date_created, revision = EXCLUDED.revision, "
    "role_sid = EXCLUDED.role_sid, friendly_name = EXCLUDED.friendly_name, "
    "attributes = EXCLUDED.attributes, joined_channels = EXCLUDED.joined_channels, "
    "date_updated = EXCLUDED.date_updated";

// $12: the revision the writer's replica held.
constexpr const char* kUpdateUser =
    "UPDATE userstore_users SET revision = $5::bigint, role_sid = $6, friendly_name = $7, "
    "attributes = $8, joined_channels = $9::bigint, date_updated = $11::bigint "
    "WHERE sid = $1 AND service_sid = $2 AND identity = $3 AND sequence = $4::bigint "
    "AND date_created = $10::bigint AND revision = $12::bigint";

std::string Micros(absl::Time t) { return Int(absl::ToUnixMicros(t)); }

absl::Status InsertRole(PgConn& conn, const Role& role) {
  for (const std::string& p : role.permissions) {
    if (p.find('\n') != std::string::npos) {
      return BadRequest(twilio_code::kInvalidParameter, "a permission name holds a newline");
    }
  }
  const std::string permissions = absl::StrJoin(role.permissions, "\n");
  return conn
      .Exec(
          "INSERT INTO userstore_roles (service_sid, sid, friendly_name, channel_scope, "
          "permissions, date_created, date_updated) VALUES ($1, $2, $3, $4::boolean, $5, "
          "$6::bigint, $7::bigint)",
          {role.service_sid, role.sid, role.friendly_name,
           role.type == RoleScope::kChannel ? "true" : "false", permissions,
           Micros(role.date_created), Micros(role.date_updated)})
      .status();
}

}  // namespace

absl::Status PgJournal::PutService(const Service& service, const std::vector<Role>& roles) {
  return pool_->InTransaction([&](PgConn& conn) -> absl::Status {
    const std::string reachable = service.reachability_enabled ? "true" : "false";
    if (roles.empty()) {
      USERSTORE_ASSIGN_OR_RETURN(
          PgResult changed,
          conn.Exec("UPDATE userstore_services SET friendly_name = $2, reachability_enabled = "
                    "$3::boolean, date_updated = $4::bigint WHERE sid = $1 RETURNING sid",
                    {service.sid, service.friendly_name, reachable, Micros(service.date_updated)}));
      if (changed.rows() != 1) return NotFound("The Service was deleted on another host");
      return absl::OkStatus();
    }
    USERSTORE_RETURN_IF_ERROR(
        conn.Exec("INSERT INTO userstore_services (sid, friendly_name, default_service_role_sid, "
                  "default_channel_role_sid, default_channel_creator_role_sid, "
                  "reachability_enabled, date_created, date_updated) VALUES ($1, $2, $3, $4, $5, "
                  "$6::boolean, $7::bigint, $8::bigint)",
                  {service.sid, service.friendly_name, service.default_service_role_sid,
                   service.default_channel_role_sid, service.default_channel_creator_role_sid,
                   reachable, Micros(service.date_created), Micros(service.date_updated)})
            .status());
    for (const Role& role : roles) USERSTORE_RETURN_IF_ERROR(InsertRole(conn, role));
    return absl::OkStatus();
  });
}

absl::Status PgJournal::PutRole(const Role& role) {
  return pool_->InTransaction([&](PgConn& conn) { return InsertRole(conn, role); });
}

absl::Status PgJournal::PutConfiguration(const Configuration& c, uint64_t revision) {
  const std::string next = Int(static_cast<int64_t>(revision));
  const std::string previous = Int(static_cast<int64_t>(revision) - 1);
  return pool_->InTransaction([&](PgConn& conn) -> absl::Status {
    // The first update inserts the row; any other replaces the revision
    // this Store held. Either finds another Store's write first: no row.
    absl::StatusOr<PgResult> written =
        revision == 1
            ? conn.Exec(
                  "INSERT INTO userstore_configuration (revision, default_chat_service_sid, "
                  "default_messaging_service_sid, default_inactive_timer, default_closed_timer) "
                  "VALUES ($1::bigint, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
                  {next, c.default_chat_service_sid, c.default_messaging_service_sid,
                   c.default_inactive_timer, c.default_closed_timer})
            : conn.Exec(
                  "UPDATE userstore_configuration SET revision = $1::bigint, "
                  "default_chat_service_sid = $2, default_messaging_service_sid = $3, "
                  "default_inactive_timer = $4, default_closed_timer = $5 "
                  "WHERE revision = $6::bigint",
                  {next, c.default_chat_service_sid, c.default_messaging_service_sid,
                   c.default_inactive_timer, c.default_closed_timer, previous});
    if (!written.ok()) return written.status();
    if (written->affected() != 1) {
      return Conflict(twilio_code::kConflict, "the Configuration changed on another host: retry");
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<uint64_t> PgJournal::ReserveSequences(std::string_view /*service_sid*/,
                                                     uint64_t* count) {
  int64_t last = 0;
  const absl::Status reserved = pool_->InTransaction([&](PgConn& conn) -> absl::Status {
    // pg_current_xact_id() gives the transaction an ID, so its COMMIT is
    // written and flushed, and with it the sequence's WAL record: without
    // one, a crash of the server right after could hand out the block
    // again (a transaction without an ID commits without a flush).
    USERSTORE_ASSIGN_OR_RETURN(
        PgResult block,
        conn.Exec("SELECT nextval('userstore_sequence_blocks'), pg_current_xact_id()", {}));
    USERSTORE_ASSIGN_OR_RETURN(last, block.GetInt(0, 0));
    return absl::OkStatus();
  });
  if (!reserved.ok()) return reserved;
  if (last < static_cast<int64_t>(kSequenceBlock)) return DatabaseError("a bad sequence block");
  *count = kSequenceBlock;
  return static_cast<uint64_t>(last) - kSequenceBlock + 1;
}

absl::Status PgJournal::PutUser(std::string_view service_sid, const UserRecord& record,
                                const JournalEvent* /*event*/) {
  const UserParams user(service_sid, record);
  return pool_->InTransaction(
      [&](PgConn& conn) { return conn.Exec(kInsertUser, user.params).status(); });
}

absl::Status PgJournal::UpdateUser(std::string_view service_sid, const UserRecord& record,
                                   uint64_t previous_revision, const JournalEvent* /*event*/) {
  const UserParams user(service_sid, record);
  std::vector<Param> params = user.params;
  const std::string previous = Int(static_cast<int64_t>(previous_revision));
  params.push_back(previous);
  return pool_->InTransaction([&](PgConn& conn) -> absl::Status {
    USERSTORE_ASSIGN_OR_RETURN(PgResult updated, conn.Exec(kUpdateUser, params));
    if (updated.affected() != 1) return ChangedElsewhere();
    return absl::OkStatus();
  });
}

absl::Status PgJournal::PutUsers(std::string_view service_sid,
                                 const std::vector<const UserRecord*>& records,
                                 const std::vector<JournalEvent>& /*events*/) {
  return pool_->InTransaction([&](PgConn& conn) -> absl::Status {
    for (const UserRecord* record : records) {
      const UserParams user(service_sid, *record);
      USERSTORE_RETURN_IF_ERROR(conn.Exec(kUpsertUser, user.params).status());
    }
    return absl::OkStatus();
  });
}

absl::Status PgJournal::DeleteUser(std::string_view service_sid, const UserRecord& record,
                                   const JournalEvent* /*event*/) {
  const std::string sid = FormatSid("US", record.sid);
  const std::string revision = Int(static_cast<int64_t>(record.revision));
  return pool_->InTransaction([&](PgConn& conn) -> absl::Status {
    USERSTORE_ASSIGN_OR_RETURN(
        PgResult deleted,
        conn.Exec("DELETE FROM userstore_users WHERE sid = $1 AND revision = $2::bigint",
                  {sid, revision}));
    if (deleted.affected() != 1) return ChangedElsewhere();
    return conn
        .Exec(
            "INSERT INTO userstore_deleted_sids (service_sid, sid, revision) VALUES ($1, $2, "
            "$3::bigint)",
            {service_sid, sid, revision})
        .status();
  });
}

absl::Status PgJournal::PutEvent(std::string_view, const UserRecord&, const JournalEvent&) {
  return absl::OkStatus();  // the shared feed is memory-only in this slice
}

absl::StatusOr<uint64_t> PgJournal::ReadEvents(std::string_view, uint64_t after, size_t,
                                               absl::FunctionRef<void(const FeedEvent&)>) const {
  return after;  // nothing stored
}

absl::StatusOr<uint64_t> PgJournal::FirstEventSince(std::string_view, uint64_t, uint64_t to,
                                                    int64_t) const {
  return to + 1;
}

absl::Status PgJournal::TrimEvents(std::string_view, uint64_t, uint64_t) {
  return absl::OkStatus();
}

}  // namespace userstore::internal::shared
