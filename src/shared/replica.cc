#include "shared/replica.h"

#include <poll.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "userstore/error.h"

namespace userstore::internal::shared {
namespace {

constexpr absl::Duration kStatusInterval = absl::Seconds(1);
constexpr int kPollMillis = 20;
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::string ErrorOf(PGconn* conn, const PGresult* r) {
  std::string message = r != nullptr ? PQresultErrorMessage(r) : "";
  if (message.empty()) message = PQerrorMessage(conn);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return message;
}

std::string SqlStateOf(const PGresult* r) {
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  return state != nullptr ? state : "";
}

// A replication command (simple query protocol). `sqlstate` gets the error's.
absl::StatusOr<ResultPtr> Command(PGconn* conn, const std::string& sql, ExecStatusType expected,
                                  std::string* sqlstate = nullptr) {
  ResultPtr r(PQexec(conn, sql.c_str()));
  if (r != nullptr && PQresultStatus(r.get()) == expected) return r;
  if (sqlstate != nullptr) *sqlstate = SqlStateOf(r.get());
  if (PQstatus(conn) != CONNECTION_OK) return Unavailable(ErrorOf(conn, r.get()));
  return DatabaseError(absl::StrCat("replication: ", ErrorOf(conn, r.get())));
}

Replicator::Table TableOf(std::string_view name) {
  using T = Replicator::Table;
  if (name == "userstore_users") return T::kUsers;
  if (name == "userstore_deleted_sids") return T::kDeleted;
  if (name == "userstore_services") return T::kServices;
  if (name == "userstore_roles") return T::kRoles;
  if (name == "userstore_configuration") return T::kConfiguration;
  return T::kOther;
}

absl::Span<const std::string_view> ColumnsOf(Replicator::Table table) {
  using T = Replicator::Table;
  switch (table) {
    case T::kUsers:
      return kUserColumns;
    case T::kDeleted:
      return kDeletedColumns;
    case T::kServices:
      return kServiceColumns;
    case T::kRoles:
      return kRoleColumns;
    case T::kConfiguration:
      return kConfigurationColumns;
    case T::kOther:
      break;
  }
  return {};
}

}  // namespace

absl::StatusOr<Replicator::ConnPtr> Replicator::Connect(const std::string& conninfo) {
  const char* keys[] = {"dbname", "replication", "connect_timeout", nullptr};
  const char* values[] = {conninfo.c_str(), "database", "10", nullptr};
  ConnPtr conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (conn == nullptr) return Unavailable("out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) return Unavailable(ErrorOf(conn.get(), nullptr));
  SilenceNotices(conn.get());
  return conn;
}

absl::StatusOr<std::unique_ptr<Replicator>> Replicator::Start(
    const std::string& conninfo, const std::string& slot, const std::string& account_sid,
    ReplicaTarget* target, absl::FunctionRef<absl::Status(const std::string&)> load) {
  USERSTORE_ASSIGN_OR_RETURN(ConnPtr conn, Connect(conninfo));
  // Slot names are the cluster's: one of another database is not ours to
  // drop. (A replication connection runs plain SQL too; `slot` is
  // [a-z0-9_] only.)
  USERSTORE_ASSIGN_OR_RETURN(
      ResultPtr owner, Command(conn.get(),
                               "SELECT database FROM pg_replication_slots WHERE slot_name = '" +
                                   slot + "' AND database IS DISTINCT FROM current_database()",
                               PGRES_TUPLES_OK));
  if (PQntuples(owner.get()) > 0) {
    return TwilioError(absl::StatusCode::kAlreadyExists, 409, twilio_code::kConflict,
                       "replica_name is in use: slot " + slot + " belongs to database " +
                           PQgetvalue(owner.get(), 0, 0) + " of this PostgreSQL cluster");
  }
  std::string state;
  absl::StatusOr<ResultPtr> dropped =
      Command(conn.get(), "DROP_REPLICATION_SLOT " + slot, PGRES_COMMAND_OK, &state);
  if (!dropped.ok() && state == "55006") {
    return TwilioError(absl::StatusCode::kAlreadyExists, 409, twilio_code::kConflict,
                       "replica_name is in use: a running Store streams from slot " + slot);
  }
  if (!dropped.ok() && state != "42704") return dropped.status();  // 42704: no such slot
  USERSTORE_ASSIGN_OR_RETURN(ResultPtr created, Command(conn.get(),
                                                        "CREATE_REPLICATION_SLOT " + slot +
                                                            " LOGICAL pgoutput (SNAPSHOT 'export')",
                                                        PGRES_TUPLES_OK));
  if (PQntuples(created.get()) != 1 || PQnfields(created.get()) < 3) {
    return DatabaseError("replication: CREATE_REPLICATION_SLOT returned no slot");
  }
  std::optional<uint64_t> consistent = ParseLsn(PQgetvalue(created.get(), 0, 1));
  const std::string snapshot = PQgetvalue(created.get(), 0, 2);
  if (!consistent) return DatabaseError("replication: a malformed consistent point");
  if (absl::Status loaded = load(snapshot); !loaded.ok()) {
    Command(conn.get(), "DROP_REPLICATION_SLOT " + slot, PGRES_COMMAND_OK).IgnoreError();
    return loaded;
  }
  return std::unique_ptr<Replicator>(
      new Replicator(conninfo, slot, account_sid, target, std::move(conn), *consistent));
}

Replicator::Replicator(std::string conninfo, std::string slot, std::string account_sid,
                       ReplicaTarget* target, ConnPtr conn, uint64_t start)
    : conninfo_(std::move(conninfo)),
      slot_(std::move(slot)),
      account_sid_(std::move(account_sid)),
      target_(target),
      pool_(conninfo_, absl::Seconds(10)),
      conn_(std::move(conn)) {
  {
    MutexLock lock(&mu_);
    status_.applied = start;
  }
}

void Replicator::Begin() {
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

Replicator::~Replicator() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
    changed_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
  DropSlot();
}

bool Replicator::Stopping() const {
  MutexLock lock(&mu_);
  return stop_;
}

void Replicator::NoteError(const absl::Status& s, bool apply) {
  MutexLock lock(&mu_);
  if (apply) ++status_.apply_errors;
  status_.last_error = std::string(s.message());
}

void Replicator::Advance(uint64_t position) {
  MutexLock lock(&mu_);
  if (position > status_.applied) {
    status_.applied = position;
    changed_.SignalAll();
  }
}

void Replicator::Run() {
  absl::Duration backoff = kFirstBackoff;
  while (!Stopping()) {
    if (conn_ == nullptr) {
      absl::StatusOr<ConnPtr> conn = Connect(conninfo_);
      if (conn.ok())
        conn_ = *std::move(conn);
      else
        NoteError(conn.status(), false);
    }
    if (conn_ != nullptr) {
      const absl::Time began = absl::Now();
      const absl::Status s = Stream();
      if (Stopping()) return;  // conn_ stays for DropSlot
      if (absl::Now() - began > kMaxBackoff) backoff = kFirstBackoff;
      NoteError(s, false);
      streaming_ = false;
      conn_.reset();
    }
    MutexLock lock(&mu_);
    status_.connected = false;
    ++status_.reconnects;
    if (!stop_) changed_.WaitFor(&mu_, backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

absl::Status Replicator::Stream() {
  uint64_t start;
  {
    MutexLock lock(&mu_);
    start = status_.applied;
  }
  in_transaction_ = false;
  pending_.clear();
  relations_.clear();
  USERSTORE_RETURN_IF_ERROR(Command(conn_.get(),
                                    "START_REPLICATION SLOT " + slot_ + " LOGICAL " +
                                        FormatLsn(start) +
                                        " (proto_version '1', publication_names 'userstore')",
                                    PGRES_COPY_BOTH)
                                .status());
  streaming_ = true;
  {
    MutexLock lock(&mu_);
    status_.connected = true;
  }
  while (!Stopping()) {
    char* buffer = nullptr;
    const int n = PQgetCopyData(conn_.get(), &buffer, /*async=*/1);
    if (n > 0) {
      const absl::Status s = Receive(std::string_view(buffer, static_cast<size_t>(n)));
      PQfreemem(buffer);
      USERSTORE_RETURN_IF_ERROR(s);
      continue;
    }
    if (n == -1) {
      streaming_ = false;
      ResultPtr(PQgetResult(conn_.get()));
      return Unavailable("the server ended the replication stream");
    }
    if (n == -2) return Unavailable(ErrorOf(conn_.get(), nullptr));
    bool reply;
    {
      MutexLock lock(&mu_);
      reply = want_reply_;
      want_reply_ = false;
    }
    if (reply || absl::Now() - last_status_sent_ >= kStatusInterval) {
      USERSTORE_RETURN_IF_ERROR(SendStatus(reply));
    }
    pollfd fd{PQsocket(conn_.get()), POLLIN, 0};
    if (poll(&fd, 1, kPollMillis) < 0 && errno != EINTR) return Unavailable("poll failed");
    if (PQconsumeInput(conn_.get()) == 0) return Unavailable(ErrorOf(conn_.get(), nullptr));
  }
  return absl::OkStatus();
}

absl::Status Replicator::SendStatus(bool reply_requested) {
  uint64_t applied;
  {
    MutexLock lock(&mu_);
    applied = status_.applied;
  }
  const std::string update =
      StandbyStatusUpdate(applied, applied, applied, ToPgTime(absl::Now()), reply_requested);
  if (PQputCopyData(conn_.get(), update.data(), static_cast<int>(update.size())) != 1 ||
      PQflush(conn_.get()) != 0) {
    return Unavailable(ErrorOf(conn_.get(), nullptr));
  }
  last_status_sent_ = absl::Now();
  return absl::OkStatus();
}

absl::Status Replicator::Receive(std::string_view data) {
  USERSTORE_ASSIGN_OR_RETURN(const ReplicationMessage message, ParseCopyData(data));
  {
    MutexLock lock(&mu_);
    status_.last_heard = absl::Now();
    if (message.kind == ReplicationMessage::Kind::kKeepalive) {
      status_.server = std::max(status_.server, message.wal_end);
    }
  }
  if (message.kind == ReplicationMessage::Kind::kKeepalive) {
    // Outside a transaction, every commit before the server's position has
    // been sent, and applied.
    if (!in_transaction_) Advance(message.wal_end);
    if (message.reply_requested) return SendStatus(false);
    return absl::OkStatus();
  }
  USERSTORE_ASSIGN_OR_RETURN(const PgMessage m, DecodePgOutput(message.payload));
  return OnMessage(m, message.wal_start);
}

absl::Status Replicator::OnMessage(const PgMessage& m, uint64_t /*wal_start*/) {
  using K = PgMessage::Kind;
  switch (m.kind) {
    case K::kBegin:
      in_transaction_ = true;
      pending_.clear();
      return absl::OkStatus();
    case K::kCommit: {
      ApplyTransaction(FromPgTime(m.commit_time));
      in_transaction_ = false;
      {
        MutexLock lock(&mu_);
        ++status_.transactions;
        status_.applied_commit = FromPgTime(m.commit_time);
        status_.server = std::max(status_.server, m.end_lsn);
      }
      Advance(m.end_lsn);
      return absl::OkStatus();
    }
    case K::kRelation: {
      Relation& relation = relations_[m.relation_oid];
      relation.table = TableOf(m.relation_name);
      const absl::Span<const std::string_view> columns = ColumnsOf(relation.table);
      relation.width = columns.size();
      relation.canonical.assign(m.columns.size(), -1);
      for (size_t i = 0; i < m.columns.size(); ++i) {
        auto it = std::find(columns.begin(), columns.end(), m.columns[i].name);
        if (it != columns.end()) relation.canonical[i] = static_cast<int>(it - columns.begin());
      }
      return absl::OkStatus();
    }
    case K::kInsert:
    case K::kUpdate:
    case K::kDelete: {
      auto it = relations_.find(m.relation_oid);
      if (it == relations_.end()) {
        return DatabaseError("replication: a change to a relation never described");
      }
      const Relation& relation = it->second;
      if (relation.table == Table::kOther) return absl::OkStatus();
      const std::vector<PgValue>& tuple = m.kind == K::kDelete ? m.old_tuple : m.new_tuple;
      Change change{relation.table, m.kind, {}, {}};
      change.kinds.assign(relation.width, Cell::Kind::kNull);
      change.texts.resize(relation.width);
      for (size_t i = 0; i < tuple.size() && i < relation.canonical.size(); ++i) {
        if (relation.canonical[i] < 0) continue;
        const size_t c = static_cast<size_t>(relation.canonical[i]);
        change.kinds[c] = tuple[i].kind == PgValue::Kind::kNull        ? Cell::Kind::kNull
                          : tuple[i].kind == PgValue::Kind::kUnchanged ? Cell::Kind::kUnchanged
                                                                       : Cell::Kind::kText;
        change.texts[c] = std::string(tuple[i].text);
      }
      pending_.push_back(std::move(change));
      return absl::OkStatus();
    }
    case K::kTruncate:
      NoteError(DatabaseError("replication: a TRUNCATE of a userstore table is not applied"), true);
      return absl::OkStatus();
    case K::kMessage:
    case K::kType:
    case K::kOrigin:
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

void Replicator::ApplyTransaction(absl::Time commit_time) {
  auto cells = [](const Change& c) {
    std::vector<Cell> out(c.kinds.size());
    for (size_t i = 0; i < out.size(); ++i) out[i] = Cell{c.kinds[i], c.texts[i]};
    return out;
  };
  auto report = [&](const absl::Status& s) {
    if (!s.ok()) NoteError(s, true);
  };
  // Services first (a new one with the roles inserted beside it), then
  // roles added later, then the Configuration, then users in commit order.
  std::vector<Service> services;
  absl::flat_hash_set<std::string> new_services;
  for (const Change& c : pending_) {
    if (c.table != Table::kServices || c.kind == PgMessage::Kind::kDelete) continue;
    absl::StatusOr<Service> service = ParseService(cells(c), account_sid_);
    if (!service.ok()) {
      report(service.status());
      continue;
    }
    if (c.kind == PgMessage::Kind::kInsert) new_services.insert(service->sid);
    services.push_back(*std::move(service));
  }
  std::vector<Role> roles;
  for (const Change& c : pending_) {
    if (c.table != Table::kRoles || c.kind != PgMessage::Kind::kInsert) continue;
    absl::StatusOr<Role> role = ParseRole(cells(c), account_sid_);
    if (!role.ok()) {
      report(role.status());
      continue;
    }
    roles.push_back(*std::move(role));
  }
  for (const Service& service : services) {
    std::vector<Role> own;
    if (new_services.contains(service.sid)) {
      for (const Role& r : roles) {
        if (r.service_sid == service.sid) own.push_back(r);
      }
    }
    report(target_->ApplyService(service, own).status());
  }
  for (const Role& r : roles) {
    if (!new_services.contains(r.service_sid)) report(target_->ApplyRole(r).status());
  }
  // The Configuration (its row is never deleted), after the Services it
  // may name.
  for (const Change& c : pending_) {
    if (c.table != Table::kConfiguration || c.kind == PgMessage::Kind::kDelete) continue;
    absl::StatusOr<ConfigurationRow> row = ParseConfiguration(cells(c));
    if (!row.ok()) {
      report(row.status());
      continue;
    }
    report(target_->ApplyConfiguration(row->configuration, row->revision).status());
  }
  for (const Change& c : pending_) {
    if (c.table == Table::kUsers && c.kind != PgMessage::Kind::kDelete) {
      absl::StatusOr<UserRow> row = ParseUser(cells(c));
      if (!row.ok()) {
        report(row.status());
        continue;
      }
      report(target_
                 ->ApplyUser(row->service_sid, std::move(row->record), row->keep_attributes,
                             row->keep_friendly_name, commit_time)
                 .status());
    } else if (c.table == Table::kDeleted && c.kind == PgMessage::Kind::kInsert) {
      // A user's DELETE sends only its key; the deleted-SID row inserted in
      // the same transaction names its Service.
      absl::StatusOr<DeletedRow> row = ParseDeleted(cells(c));
      if (!row.ok()) {
        report(row.status());
        continue;
      }
      report(target_->ApplyDelete(row->service_sid, row->sid, commit_time).status());
    }
  }
  pending_.clear();
}

absl::StatusOr<uint64_t> Replicator::SharedPosition() {
  uint64_t position = 0;
  USERSTORE_RETURN_IF_ERROR(pool_.InTransaction([&](PgConn& conn) -> absl::Status {
    USERSTORE_ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT pg_current_wal_flush_lsn()", {}));
    std::optional<uint64_t> lsn = ParseLsn(r.Get(0, 0));
    if (!lsn) return DatabaseError("a malformed WAL position");
    position = *lsn;
    return absl::OkStatus();
  }));
  return position;
}

absl::Status Replicator::WaitForPosition(uint64_t position, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  MutexLock lock(&mu_);
  while (status_.applied < position) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration() || stop_) {
      return TwilioError(absl::StatusCode::kDeadlineExceeded, 503, twilio_code::kServiceUnavailable,
                         absl::StrCat("the replica has not reached position ", FormatLsn(position),
                                      " (it is at ", FormatLsn(status_.applied), ")"));
    }
    want_reply_ = true;  // the server's keepalive answer moves `applied` when idle
    changed_.WaitFor(&mu_, std::min(left, absl::Milliseconds(50)));
  }
  return absl::OkStatus();
}

ReplicaStatus Replicator::Status() const {
  MutexLock lock(&mu_);
  return status_;
}

void Replicator::DropSlot() {
  if (conn_ != nullptr && streaming_) {
    // End COPY BOTH: CopyDone, then read until the server's own CopyDone.
    if (PQputCopyEnd(conn_.get(), nullptr) == 1 && PQflush(conn_.get()) == 0) {
      char* buffer = nullptr;
      int n;
      while ((n = PQgetCopyData(conn_.get(), &buffer, /*async=*/0)) > 0) PQfreemem(buffer);
      while (PGresult* r = PQgetResult(conn_.get())) PQclear(r);
      streaming_ = false;
    } else {
      conn_.reset();
    }
  }
  if (conn_ != nullptr && !streaming_ &&
      Command(conn_.get(), "DROP_REPLICATION_SLOT " + slot_ + " WAIT", PGRES_COMMAND_OK).ok()) {
    return;
  }
  conn_.reset();
  // The server may not have noticed the stream's end yet: the slot is
  // active for a moment. Retry for up to 2 s, then leave it (docs).
  for (int attempt = 0; attempt < 40; ++attempt) {
    PgFailure failure;
    const absl::Status dropped = pool_.InTransaction([&](PgConn& conn) {
      return conn.Exec("SELECT pg_drop_replication_slot($1)", {slot_}, &failure).status();
    });
    if (dropped.ok() || failure.sqlstate == "42704") return;
    absl::SleepFor(absl::Milliseconds(50));
  }
}

}  // namespace userstore::internal::shared
