// PgJournal: the Journal of a shared Store (Store::OpenShared,
// docs/scale-out.md, "The write path"). Every call is one PostgreSQL
// transaction on a pooled connection; the Store changes its in-memory index
// only after the call succeeded, so nothing is acknowledged that PostgreSQL
// did not commit.
//
//   PutService   INSERT the Service and its roles (a new Service) or UPDATE
//                its row (a change: `roles` empty)
//   PutRole      INSERT the role
//   ReserveSequences  nextval of the SEQUENCE userstore_sequence_blocks: a
//                block of kSequenceBlock creation sequences / revisions no
//                other Store of the database gets (the Store mints from it)
//   PutUser      INSERT the new user. A taken (service, identity) is
//                409/50201 "User already exists"; a taken (service, sequence)
//                (cannot happen with reserved blocks) 409/20409
//   UpdateUser   UPDATE ... WHERE sid = $1 AND revision = <previous>: no row
//                (another host changed or deleted the user since this Store
//                loaded it) is 409/20409 "the user changed on another host:
//                retry", and nothing is written
//   DeleteUser   DELETE guarded the same way, plus the deleted_sids row
//   PutConfiguration  INSERT the Configuration row (revision 1: ON CONFLICT
//                DO NOTHING) or UPDATE ... WHERE revision = <previous>; no
//                row (another host updated it first) is 409/20409 "the
//                Configuration changed on another host: retry"
//   PutUsers     one transaction per batch, each row an upsert by SID
//                (not revision-guarded: TODO next slice)
//   events       the shared feed is not built: PutEvent and TrimEvents do
//                nothing, ReadEvents finds nothing stored, FirstEventSince
//                returns to + 1. The Store's memory window is the feed.
//
// Errors of every call: 503/20503 PostgreSQL unreachable or the write timed
// out; 500/20500 another database error.
//
// Thread-safety: thread-safe (each call takes its own connection from the
// pool).
#ifndef USERSTORE_SRC_SHARED_PG_JOURNAL_H_
#define USERSTORE_SRC_SHARED_PG_JOURNAL_H_

#include <memory>
#include <string_view>
#include <vector>

#include "shared/pg.h"
#include "store/journal.h"

namespace userstore::internal::shared {

class PgJournal final : public Journal {
 public:
  explicit PgJournal(std::unique_ptr<PgPool> pool) : pool_(std::move(pool)) {}

  bool ReservesSequences() const override { return true; }
  bool ChecksIdentities() const override { return true; }
  bool StoresEvents() const override { return false; }
  absl::StatusOr<uint64_t> ReserveSequences(std::string_view service_sid, uint64_t* count) override;
  absl::Status PutService(const Service& service, const std::vector<Role>& roles) override;
  absl::Status PutRole(const Role& role) override;
  absl::Status PutConfiguration(const Configuration& configuration, uint64_t revision) override;
  absl::Status PutUser(std::string_view service_sid, const UserRecord& record,
                       const JournalEvent* event) override;
  absl::Status UpdateUser(std::string_view service_sid, const UserRecord& record,
                          uint64_t previous_revision, const JournalEvent* event) override;
  absl::Status PutUsers(std::string_view service_sid, const std::vector<const UserRecord*>& records,
                        const std::vector<JournalEvent>& events) override;
  absl::Status DeleteUser(std::string_view service_sid, const UserRecord& record,
                          const JournalEvent* event) override;
  absl::Status PutEvent(std::string_view service_sid, const UserRecord& record,
                        const JournalEvent& event) override;
  absl::StatusOr<uint64_t> ReadEvents(
      std::string_view service_sid, uint64_t after, size_t max,
      absl::FunctionRef<void(const FeedEvent&)> visit) const override;
  absl::StatusOr<uint64_t> FirstEventSince(std::string_view service_sid, uint64_t from, uint64_t to,
                                           int64_t cutoff_micros) const override;
  absl::Status TrimEvents(std::string_view service_sid, uint64_t first,
                          uint64_t checkpoint) override;

 private:
  const std::unique_ptr<PgPool> pool_;
};

}  // namespace userstore::internal::shared

#endif  // USERSTORE_SRC_SHARED_PG_JOURNAL_H_
