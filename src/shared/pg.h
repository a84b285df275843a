// A tiny RAII layer over libpq for the shared mode (docs/scale-out.md):
// connections (PgConn), results (PgResult), parameterised statements only
// (Exec: PQexecParams with text parameters, never SQL built from data), a
// pool of connections (PgPool), one-transaction helpers (InTransaction), and
// the mapping of libpq / SQLSTATE failures to userstore's Twilio errors:
//
//   23505 on (service_sid, identity)   409/50201 "User already exists"
//   23505 on (service_sid, sequence)   409/20409 (PgFailure::kSequenceTaken)
//   23505 on a Service's or role's SID 409/20001 kAlreadyExists, as a memory
//                                      Store's duplicate
//   class 08, 57P01-03, 57014, 53xxx,
//   a lost connection                  503/20503 kUnavailable (retry later)
//   40001, 40P01                       409/20409 kAborted (retry)
//   anything else                      500/20500 kInternal
//
// Thread-safety: PgConn and PgResult are thread-compatible (one thread at a
// time per connection, as libpq requires); PgPool is thread-safe.
#ifndef USERSTORE_SRC_SHARED_PG_H_
#define USERSTORE_SRC_SHARED_PG_H_

#include <libpq-fe.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/mutex.h"

namespace userstore::internal::shared {

// The constraint names of schema v1 that Exec maps to specific errors.
inline constexpr std::string_view kIdentityConstraint = "userstore_users_service_sid_identity_key";
inline constexpr std::string_view kSequenceConstraint = "userstore_users_service_sid_sequence_key";
inline constexpr std::string_view kServiceConstraint = "userstore_services_pkey";
inline constexpr std::string_view kRoleConstraint = "userstore_roles_service_sid_sid_key";

// 503/20503 (kUnavailable) "PostgreSQL is unavailable: <why>".
absl::Status Unavailable(std::string_view why);
// 500/20500 (kInternal) "PostgreSQL: <why>".
absl::Status DatabaseError(std::string_view why);

// Drops the server's notices and asynchronous messages (libpq's default
// prints them to stderr: "FATAL: terminating connection ..." when the
// server dies). Errors still reach the caller through results and status.
void SilenceNotices(PGconn* conn);

// What failed, when Exec fails on the server (empty fields otherwise).
struct PgFailure {
  std::string sqlstate;    // e.g. "23505"
  std::string constraint;  // the violated constraint, when the server names one
};

// A statement's result. Move-only; frees the PGresult.
class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result) {}
  int rows() const { return PQntuples(result_.get()); }
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  // The text value of a cell; valid while this PgResult lives.
  std::string_view Get(int row, int column) const {
    return {PQgetvalue(result_.get(), row, column),
            static_cast<size_t>(PQgetlength(result_.get(), row, column))};
  }
  // The rows an INSERT, UPDATE or DELETE changed (0 for other statements).
  int affected() const;
  // The cell as a decimal integer. Errors: 500/20500 not one.
  absl::StatusOr<int64_t> GetInt(int row, int column) const;

 private:
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

// One libpq connection. Move-only; closes it.
class PgConn {
 public:
  // Connects (blocking) and sets the session's statement_timeout.
  // Errors: 503/20503 the server cannot be reached or refuses the login.
  static absl::StatusOr<PgConn> Connect(const std::string& conninfo,
                                        absl::Duration statement_timeout);

  // A text parameter; nullopt is SQL NULL. Text values must not contain a
  // NUL byte (PostgreSQL text cannot hold one): 400/20001 otherwise.
  using Param = std::optional<std::string_view>;

  // Runs one parameterised statement ($1, $2, ...). Results are text.
  // Errors per the table in this header; `failure` (optional) says which.
  absl::StatusOr<PgResult> Exec(const char* sql, std::initializer_list<Param> params,
                                PgFailure* failure = nullptr);
  absl::StatusOr<PgResult> Exec(const char* sql, const std::vector<Param>& params,
                                PgFailure* failure = nullptr);

  // Whether the connection is usable for another transaction (connected,
  // no transaction open).
  bool Reusable() const;

 private:
  struct Finish {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  explicit PgConn(PGconn* conn) : conn_(conn) {}
  std::unique_ptr<PGconn, Finish> conn_;
};

// Connections to one database, made on demand and kept for reuse (at most
// kMaxIdle idle). Thread-safe.
class PgPool {
 public:
  PgPool(std::string conninfo, absl::Duration statement_timeout)
      : conninfo_(std::move(conninfo)), statement_timeout_(statement_timeout) {}

  // Calls `work` with a connection inside BEGIN ... COMMIT (at `isolation`,
  // e.g. "REPEATABLE READ"; empty: READ COMMITTED). When `work` fails the
  // transaction is rolled back and its error returned. A failed COMMIT is
  // 503/20503 (the outcome is unknown: docs/scale-out.md, "The write path").
  // A pooled connection that fails at BEGIN (the server closed it while
  // idle) is replaced by a new one once: nothing was done yet.
  absl::Status InTransaction(absl::FunctionRef<absl::Status(PgConn&)> work,
                             std::string_view isolation = {});

 private:
  static constexpr size_t kMaxIdle = 16;
  // An idle connection (*pooled = true) or a new one.
  absl::StatusOr<PgConn> Acquire(bool* pooled);
  void Release(PgConn conn);

  const std::string conninfo_;
  const absl::Duration statement_timeout_;
  Mutex mu_;
  std::vector<PgConn> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace userstore::internal::shared

#endif  // USERSTORE_SRC_SHARED_PG_H_
