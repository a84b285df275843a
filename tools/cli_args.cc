#include "cli_args.h"

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace userstore::cli {
namespace {

absl::Status UsageError(absl::string_view why) {
  return absl::InvalidArgumentError(why);
}

}  // namespace

std::string Usage() {
  return R"(usage: userstore [FLAGS] replay FILE.http
       userstore [FLAGS] stdio

Drives userstore's REST facade (Twilio Programmable Chat v2 Users) with no
network: an in-memory Store lives for the run of the program.

commands:
  replay FILE.http   run the requests of a VS Code REST Client / JetBrains
                     .http file; print each request line, then the status
                     line, headers and pretty-printed JSON body
  stdio              read one JSON request per line from stdin
                     ({"method","path","headers","body"}), write one JSON
                     response per line ({"status","headers","body"})

flags:
  --service IS...    create this Service (with its four default roles);
                     repeatable. Without any, unknown Service SIDs in
                     paths are created on first use.
  --role RL...       add this deployment-scope role to every --service;
                     repeatable; needs --service
  --account AC...    the Account SID (default: minted at random)
  --base-url URL     base of the `url` fields (default
                     https://chat.twilio.com/v2); paths below its path
                     are served
  --help, -h         print this help
  --version          print the version

exit status: 0 success (every request answered, 4xx included); 1 file
or parse error; 2 bad command line or a flag value the Store rejects.
)";
}

absl::StatusOr<CliOptions> ParseArgs(
    const std::vector<absl::string_view>& args) {
  CliOptions options;
  std::vector<absl::string_view> positional;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (flags_done || !absl::StartsWith(arg, "-") || arg == "-") {
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      options.help = true;
      return options;
    }
    if (arg == "--version") {
      options.version = true;
      return options;
    }
    absl::string_view name = arg;
    absl::string_view value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    if (name != "--service" && name != "--role" && name != "--account" &&
        name != "--base-url") {
      return UsageError(absl::StrCat("unknown flag ", name));
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        return UsageError(absl::StrCat(name, " needs a value"));
      }
      value = args[++i];
    }
    if (name == "--service") {
      options.services.emplace_back(value);
    } else if (name == "--role") {
      options.roles.emplace_back(value);
    } else if (name == "--account") {
      options.account_sid = std::string(value);
    } else {
      options.base_url = std::string(value);
    }
  }

  if (positional.empty())
    return UsageError("missing command (replay or stdio)");
  if (positional[0] == "replay") {
    options.command = Command::kReplay;
    if (positional.size() != 2) {
      return UsageError("replay takes exactly one FILE.http");
    }
    options.file = std::string(positional[1]);
  } else if (positional[0] == "stdio") {
    options.command = Command::kStdio;
    if (positional.size() != 1) return UsageError("stdio takes no argument");
  } else {
    return UsageError(absl::StrCat("unknown command ", positional[0]));
  }
  if (!options.roles.empty() && options.services.empty()) {
    return UsageError("--role needs at least one --service");
  }
  return options;
}

}  // namespace userstore::cli
