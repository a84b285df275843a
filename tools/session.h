// The Store and REST facade a `userstore` command runs against, built from
// the command-line flags: in memory (Store::Create), durable in --data-dir
// (Store::Open), or shared in the PostgreSQL database of --postgres
// (Store::OpenShared).
//
// Thread-safety: a Session is not copyable; its facade is thread-safe.
#ifndef USERSTORE_TOOLS_SESSION_H_
#define USERSTORE_TOOLS_SESSION_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli_args.h"
#include "progress.h"
#include "userstore/rest.h"
#include "userstore/store.h"

namespace userstore::cli {

struct Session {
  std::unique_ptr<Store> store;
  std::unique_ptr<RestFacade> facade;  // uses *store
};

// Makes a Store (account and base URL from the flags): with --data-dir,
// Store::Open(data_dir) with DurableOptions{sync, progress reports to
// `*progress`, then its Finish line}; with --postgres, OpenSharedStore
// (then the Finish line "opened PostgreSQL "CONNINFO": N users in S s", the
// connection string redacted); else Store::Create. Then creates each
// --service and adds each --role to each of them (deployment scope), and a
// facade over it that auto-creates Services only with --create-services
// (FacadeOptions::auto_create_services; without it a write naming an
// unknown Service is 404/20404 and creates nothing).
// With --data-dir or --postgres, a Service or role that already exists is
// left as it is (409 from CreateService / AddRole is not an error), so the
// same command line can be run again against the same store.
// `progress` may be null (no reports; ignored without --data-dir).
// Errors: those of Store::Create (400/20001 bad --account or --base-url) or
// Store::Open (also: an --account other than the stored one, a directory in
// use or not a store, corruption, I/O errors) or Store::OpenShared (also:
// an --account other than the database's, PostgreSQL unreachable 503/20503); 400/20001
// (kInvalidArgument) a
// --service or --role given twice (SIDs compared in canonical form: either
// hex case is the same SID); Store::CreateService (400/20001
// malformed) and Store::AddRole (400/20001 malformed; 409/20001 repeated SID
// in memory). Each message names the flag or the directory.
// Complexity: O(#services * #roles), plus the recovery of --data-dir
// (O(users) time and memory).
absl::StatusOr<Session> MakeSession(const CliOptions& options,
                                    RecoveryProgress* progress = nullptr);

// Store::OpenShared(options.postgres, store_options) with the default
// SharedOptions (a random replica name: the replication slot is dropped
// when the Store closes). Errors: Store::OpenShared's, the message prefixed
// by "--postgres". Complexity: O(everything stored) (the load).
absl::StatusOr<std::unique_ptr<Store>> OpenSharedStore(const CliOptions& options,
                                                       StoreOptions store_options);

// What messages call the store of the flags: --data-dir's DIR, or
// PostgreSQL "CONNINFO" (RedactConninfo). O(length).
std::string StoreName(const CliOptions& options);

// A libpq connection string fit to print: the value of a password keyword
// (key=value form), the password of a postgresql:// or postgres:// URI's
// user information and its password= query parameter become "***".
// Anything else is kept as written. O(length).
std::string RedactConninfo(std::string_view conninfo);

// kInvalidArgument naming the first SID given twice in `values` (the values
// of `flag`), if any: "--service IS...: given twice". SIDs are compared in
// canonical form (the Store's: `prefix` and lowercase hex), so ISAB... and
// ISab... are the same Service; values that are not `prefix` SIDs are
// compared as written (the Store rejects them later). O(|values|).
absl::Status NoRepeatedSids(const std::vector<std::string>& values, absl::string_view flag,
                            std::string_view prefix);

}  // namespace userstore::cli

#endif  // USERSTORE_TOOLS_SESSION_H_
