// Command-line arguments of the `userstore` program.
//
//   userstore [FLAGS] replay FILE.http
//   userstore [FLAGS] stdio
// Flags may come before or after the command; `--flag value` and
// `--flag=value` are both accepted; `--` ends the flags.
//
// Thread-safety: pure functions, thread-safe.
#ifndef USERSTORE_TOOLS_CLI_ARGS_H_
#define USERSTORE_TOOLS_CLI_ARGS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace userstore::cli {

enum class Command { kNone, kReplay, kStdio };

struct CliOptions {
  Command command = Command::kNone;
  std::string file;                     // replay: the .http file
  std::vector<std::string> services;    // --service (repeatable), in order
  std::vector<std::string> roles;       // --role (repeatable), in order
  std::string account_sid;              // --account; empty: minted
  std::optional<std::string> base_url;  // --base-url
  bool help = false;                    // --help / -h
  bool version = false;                 // --version
};

// Parses the arguments after argv[0]. With --help or --version nothing else
// is checked. Errors: kInvalidArgument for an unknown flag, a flag without
// its value, a missing or unknown command, replay without exactly one FILE,
// stdio with an argument, or --role without any --service (roles are added
// to the Services named by --service). SIDs are checked later, by the Store.
// Complexity: O(total length of the arguments).
absl::StatusOr<CliOptions> ParseArgs(
    const std::vector<absl::string_view>& args);

// The usage text (ends with a newline).
std::string Usage();

}  // namespace userstore::cli

#endif  // USERSTORE_TOOLS_CLI_ARGS_H_
