// The Store and REST facade a `userstore` command runs against, built from
// the command-line flags.
//
// Thread-safety: a Session is not copyable; its facade is thread-safe.
#ifndef USERSTORE_TOOLS_SESSION_H_
#define USERSTORE_TOOLS_SESSION_H_

#include <memory>

#include "absl/status/statusor.h"
#include "cli_args.h"
#include "userstore/rest.h"
#include "userstore/store.h"

namespace userstore::cli {

struct Session {
  std::unique_ptr<Store> store;
  std::unique_ptr<RestFacade> facade;  // uses *store
};

// Makes a Store (account and base URL from the flags), creates each
// --service and adds each --role to each of them (deployment scope), and a
// facade over it that auto-creates Services when no --service was given.
// Errors: those of Store::Create (400/20001 bad --account or --base-url),
// Store::CreateService (400/20001 malformed, 409/20001 repeated SID) and
// Store::AddRole (400/20001 malformed, 409/20001 repeated SID).
// Complexity: O(#services * #roles).
absl::StatusOr<Session> MakeSession(const CliOptions& options);

}  // namespace userstore::cli

#endif  // USERSTORE_TOOLS_SESSION_H_
