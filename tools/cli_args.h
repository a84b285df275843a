// Command-line arguments of the `userstore` program.
//
//   userstore [FLAGS] replay FILE.http
//   userstore [FLAGS] stdio
//   userstore check DIR
//   userstore stats DIR
//   userstore get DIR KEY [--service IS...] [--base-url URL]
//   userstore list DIR [--service IS...]... [--limit N] [--base-url URL]
//   userstore export (--data-dir DIR | --postgres CONNINFO) [--service IS...]... [-o FILE]
//                    [--base-url URL]
//   userstore import (--data-dir DIR | --postgres CONNINFO) [--service IS...]...
//                    [--mode insert|skip|upsert] [--dry-run] [--create-services]
//                    [--sync|--no-sync] FILE...
//   userstore events --data-dir DIR [--service IS...]... [--after N] [--follow]
//                    [--limit N] [--base-url URL]
// replay and stdio take --postgres CONNINFO as well (a shared Store instead
// of --data-dir's durable one). Flags may come before or after the command; `--flag value` and
// `--flag=value` are both accepted; `--` ends the flags. `--sync`,
// `--no-sync`, `--create-services`, `--dry-run` and `--follow` take no value; `-o FILE`
// is `--output FILE`.
//
// Thread-safety: pure functions, thread-safe.
#ifndef USERSTORE_TOOLS_CLI_ARGS_H_
#define USERSTORE_TOOLS_CLI_ARGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "userstore/import.h"

namespace userstore::cli {

// The command, the first positional argument.
enum class Command {
  kNone,
  kReplay,
  kStdio,
  kCheck,
  kStats,
  kGet,
  kList,
  kExport,
  kImport,
  kEvents
};

// Everything the command line says; each field is used by the commands its
// comment names.
struct CliOptions {
  Command command = Command::kNone;
  std::string file;  // replay: the .http file
  std::string dir;   // check, stats, get, list: the store directory
  std::string key;   // get: a User SID or identity
  // import: the input files, in order ("-": standard input).
  std::vector<std::string> files;
  std::string output;                     // export: -o / --output FILE; empty: standard output
  ImportMode mode = ImportMode::kInsert;  // import: --mode insert|skip|upsert
  bool dry_run = false;                   // import: --dry-run
  // --data-dir: replay / stdio open a durable Store there (Store::Open);
  // empty: an in-memory Store (Store::Create). export reads it (StoreReader),
  // import writes into it; both require it.
  std::string data_dir;
  // --postgres: replay / stdio / export / import open the shared Store of
  // this libpq connection string (Store::OpenShared) instead; exclusive with
  // --data-dir.
  std::string postgres;
  bool sync = true;                   // --sync (default) / --no-sync
  std::vector<std::string> services;  // --service (repeatable), in order
  // --create-services: replay / stdio create an unknown Service named in the
  // path of a create (POST) on first use. Off: such a write is 404/20404.
  bool create_services = false;
  uint64_t limit = 0;                   // list, events: --limit N; 0: no limit
  std::optional<uint64_t> after;        // events: --after N (0 allowed)
  bool follow = false;                  // events: --follow
  std::vector<std::string> roles;       // --role (repeatable), in order
  std::string account_sid;              // --account; empty: minted
  std::optional<std::string> base_url;  // --base-url
  bool help = false;                    // --help / -h
  bool version = false;                 // --version
};

// Parses the arguments after argv[0]. With --help or --version nothing else
// is checked. Errors: kInvalidArgument for an unknown flag, a flag without
// its value (or --sync / --no-sync / --create-services with one), a missing
// or unknown command, replay without exactly one FILE, stdio with an
// argument, check or stats without exactly one DIR or with any flag, get
// without exactly DIR and KEY, list without exactly one DIR, a flag the
// command does not take (get: --service at most once, --base-url; list:
// --service, --limit, --base-url; replay and stdio: all but --limit),
// export with a positional argument or without --data-dir or --postgres,
// import without --data-dir or --postgres or without a FILE, --data-dir and
// --postgres together, --postgres for another command than replay, stdio,
// export and import, --mode not insert, skip or upsert, -o given
// twice or with an empty value,
// --limit not a positive integer, --after not a non-negative integer or
// given twice, events without --data-dir, with a positional argument, or
// with --after but not exactly one --service, --role without any --service (roles are
// added to the Services named by --service), --sync / --no-sync without
// --data-dir, an empty value of any flag (--service=, --role=, --account=,
// --base-url=, --data-dir=, --postgres=, --limit=), or --account,
// --base-url, --data-dir, --postgres or --limit given twice. SIDs are checked later: repeats by
// MakeSession (session.h) and RunList, the rest by the Store.
// Complexity: O(total length of the arguments).
absl::StatusOr<CliOptions> ParseArgs(const std::vector<absl::string_view>& args);

// The usage text (ends with a newline).
std::string Usage();

}  // namespace userstore::cli

#endif  // USERSTORE_TOOLS_CLI_ARGS_H_
