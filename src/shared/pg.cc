#include "shared/pg.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/twilio_errors.h"
#include "userstore/error.h"

namespace userstore::internal::shared {
namespace {

bool ConnectionLost(std::string_view sqlstate) {
  return sqlstate.starts_with("08") || sqlstate.starts_with("53") || sqlstate == "57014" ||
         sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
}

absl::Status MapFailure(PGconn* conn, PGresult* result, PgFailure* failure) {
  const char* state = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const char* constraint =
      result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_CONSTRAINT_NAME);
  const std::string_view sqlstate = state == nullptr ? "" : state;
  const std::string_view name = constraint == nullptr ? "" : constraint;
  if (failure != nullptr) {
    failure->sqlstate = std::string(sqlstate);
    failure->constraint = std::string(name);
  }
  const std::string message = PQerrorMessage(conn);
  if (sqlstate == "23505" && name == kIdentityConstraint) {
    return Conflict(twilio_code::kUserAlreadyExists, "User already exists");
  }
  if (sqlstate == "23505" && name == kServiceConstraint) {
    return TwilioError(absl::StatusCode::kAlreadyExists, 409, twilio_code::kInvalidParameter,
                       "Service already exists");
  }
  if (sqlstate == "23505" && name == kRoleConstraint) {
    return TwilioError(absl::StatusCode::kAlreadyExists, 409, twilio_code::kInvalidParameter,
                       "Role already exists");
  }
  if (sqlstate == "23505" && name == kSequenceConstraint) {
    return Conflict(twilio_code::kConflict,
                    "the creation sequence was taken on another host: retry");
  }
  if (PQstatus(conn) == CONNECTION_BAD || sqlstate.empty() || ConnectionLost(sqlstate)) {
    return Unavailable(message);
  }
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return TwilioError(absl::StatusCode::kAborted, 409, twilio_code::kConflict,
                       "the write conflicted with another host's: retry");
  }
  return DatabaseError(std::string(sqlstate) + " " + message);
}

}  // namespace

absl::Status Unavailable(std::string_view why) {
  return TwilioError(absl::StatusCode::kUnavailable, 503, twilio_code::kServiceUnavailable,
                     "PostgreSQL is unavailable: " + std::string(why));
}

absl::Status DatabaseError(std::string_view why) {
  return TwilioError(absl::StatusCode::kInternal, 500, twilio_code::kInternal,
                     "PostgreSQL: " + std::string(why));
}

int PgResult::affected() const {
  const char* text = PQcmdTuples(result_.get());
  int value = 0;
  std::from_chars(text, text + std::char_traits<char>::length(text), value);
  return value;
}

absl::StatusOr<int64_t> PgResult::GetInt(int row, int column) const {
  const std::string_view text = Get(row, column);
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return DatabaseError("not an integer: '" + std::string(text) + "'");
  }
  return value;
}

void SilenceNotices(PGconn* conn) {
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
}

absl::StatusOr<PgConn> PgConn::Connect(const std::string& conninfo,
                                       absl::Duration statement_timeout) {
  // The connection attempt is bounded too (libpq's connect_timeout: whole
  // seconds, at least 2); the conninfo's own setting is overridden.
  const std::string connect_timeout = absl::StrCat(
      std::max<int64_t>(2, absl::ToInt64Seconds(absl::Ceil(statement_timeout, absl::Seconds(1)))));
  const char* keys[] = {"dbname", "connect_timeout", nullptr};
  const char* values[] = {conninfo.c_str(), connect_timeout.c_str(), nullptr};
  PgConn conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (conn.conn_ == nullptr) return Unavailable("out of memory");
  if (PQstatus(conn.conn_.get()) != CONNECTION_OK) {
    return Unavailable(PQerrorMessage(conn.conn_.get()));
  }
  SilenceNotices(conn.conn_.get());
  const std::string ms = absl::StrCat(absl::ToInt64Milliseconds(statement_timeout));
  absl::StatusOr<PgResult> set =
      conn.Exec("SELECT set_config('statement_timeout', $1, false)", {ms});
  if (!set.ok()) return set.status();
  return conn;
}

absl::StatusOr<PgResult> PgConn::Exec(const char* sql, std::initializer_list<Param> params,
                                      PgFailure* failure) {
  return Exec(sql, std::vector<Param>(params), failure);
}

absl::StatusOr<PgResult> PgConn::Exec(const char* sql, const std::vector<Param>& params,
                                      PgFailure* failure) {
  // Text parameters are NUL-terminated C strings for libpq: copy each.
  std::vector<std::string> copies;
  copies.reserve(params.size());
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) {
    if (p && p->find('\0') != std::string_view::npos) {
      return BadRequest(twilio_code::kInvalidParameter,
                        "a shared store cannot hold a NUL byte in a text field");
    }
    copies.emplace_back(p.value_or(""));
  }
  for (size_t i = 0; i < params.size(); ++i) {
    values.push_back(params[i] ? copies[i].c_str() : nullptr);
  }
  PGresult* raw = PQexecParams(conn_.get(), sql, static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, /*resultFormat=*/0);
  PgResult result(raw);
  const ExecStatusType status = raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return MapFailure(conn_.get(), raw, failure);
  }
  return result;
}

bool PgConn::Reusable() const {
  return conn_ != nullptr && PQstatus(conn_.get()) == CONNECTION_OK &&
         PQtransactionStatus(conn_.get()) == PQTRANS_IDLE;
}

absl::StatusOr<PgConn> PgPool::Acquire(bool* pooled) {
  {
    MutexLock lock(&mu_);
    if (!idle_.empty()) {
      PgConn conn = std::move(idle_.back());
      idle_.pop_back();
      *pooled = true;
      return conn;
    }
  }
  return PgConn::Connect(conninfo_, statement_timeout_);
}

void PgPool::Release(PgConn conn) {
  if (!conn.Reusable()) return;  // closed here: the next Acquire connects afresh
  MutexLock lock(&mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(conn));
}

absl::Status PgPool::InTransaction(absl::FunctionRef<absl::Status(PgConn&)> work,
                                   std::string_view isolation) {
  bool pooled = false;
  absl::StatusOr<PgConn> conn = Acquire(&pooled);
  if (!conn.ok()) return conn.status();
  // `isolation` is one of this library's constants, never data.
  const std::string begin =
      isolation.empty() ? "BEGIN" : "BEGIN ISOLATION LEVEL " + std::string(isolation);
  absl::Status status = conn->Exec(begin.c_str(), {}).status();
  if (pooled && status.code() == absl::StatusCode::kUnavailable) {
    // An idle connection the server closed (a restart, a terminated
    // backend): nothing of this transaction was done, so retry once on a
    // new connection.
    conn = PgConn::Connect(conninfo_, statement_timeout_);
    if (!conn.ok()) return conn.status();
    status = conn->Exec(begin.c_str(), {}).status();
  }
  if (status.ok()) status = work(*conn);
  if (status.ok()) {
    status = conn->Exec("COMMIT", {}).status();
    if (!status.ok() && status.code() != absl::StatusCode::kUnavailable) {
      status = Unavailable("COMMIT failed, outcome unknown: " + std::string(status.message()));
    }
  } else {
    conn->Exec("ROLLBACK", {}).IgnoreError();  // fails harmlessly on a lost connection
  }
  Release(std::move(*conn));
  return status;
}

}  // namespace userstore::internal::shared
