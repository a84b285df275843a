#include "cli_args.h"

#include <cstddef>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace userstore::cli {
namespace {

absl::Status UsageError(absl::string_view why) { return absl::InvalidArgumentError(why); }

}  // namespace

std::string Usage() {
  return R"(usage: userstore [FLAGS] replay FILE.http
       userstore [FLAGS] stdio
       userstore check DIR
       userstore stats DIR

Drives userstore's REST facade (Twilio Programmable Chat v2 Users) with no
network. Without --data-dir, an in-memory Store lives for the run of the
program; with it, a durable Store in DIR keeps users between runs.

commands:
  replay FILE.http   run the requests of a VS Code REST Client / JetBrains
                     .http file; print each request line, then the status
                     line, headers and pretty-printed JSON body
  stdio              read one JSON request per line from stdin
                     ({"method","path","headers","body"}), write one JSON
                     response per line ({"status","headers","body"})
  check DIR          verify the invariants of the durable store in DIR
                     (read-only; works beside a running store)
  stats DIR          per-Service counts and bytes of the store in DIR

flags (replay and stdio):
  --data-dir DIR     open (or create) the durable store in DIR; recovery
                     progress and "opened DIR: N users in S s" go to stderr
  --sync             with --data-dir: each acknowledged write is fsync'ed
                     (survives a power cut; the default)
  --no-sync          with --data-dir: writes reach the OS only (survive a
                     crash of the program, not of the machine); faster
  --service IS...    create this Service (with its four default roles);
                     repeatable. With --data-dir, one that exists is kept.
                     Without any, unknown Service SIDs in paths are
                     created on first use.
  --role RL...       add this deployment-scope role to every --service;
                     repeatable; needs --service. With --data-dir, one
                     that exists is kept.
  --account AC...    the Account SID (default: minted at random, or the
                     one stored in --data-dir)
  --base-url URL     base of the `url` fields (default
                     https://chat.twilio.com/v2); paths below its path
                     are served
  --help, -h         print this help
  --version          print the version

exit status: 0 success (every request answered, 4xx included; check: the
store is sound); 1 file or parse error (check: problems found); 2 bad
command line, a flag value the Store rejects, or a store that cannot be
opened.
)";
}

absl::StatusOr<CliOptions> ParseArgs(const std::vector<absl::string_view>& args) {
  CliOptions options;
  std::vector<absl::string_view> positional;
  bool flags_done = false;
  bool any_flag = false;
  bool sync_given = false;
  bool data_dir_given = false;
  // --account, --base-url, --data-dir: given at most once.
  absl::flat_hash_set<absl::string_view> single_valued;
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
    any_flag = true;
    if (name == "--sync" || name == "--no-sync") {
      if (has_value) return UsageError(absl::StrCat(name, " takes no value"));
      options.sync = name == "--sync";
      sync_given = true;
      continue;
    }
    if (name != "--service" && name != "--role" && name != "--account" && name != "--base-url" &&
        name != "--data-dir") {
      return UsageError(absl::StrCat("unknown flag ", name));
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        return UsageError(absl::StrCat(name, " needs a value"));
      }
      value = args[++i];
    }
    // An empty value would silently mean "none" (a minted Service, role or
    // account), so every value flag refuses it.
    if (value.empty()) {
      return UsageError(absl::StrCat(name, " needs ",
                                     name == "--data-dir"   ? "a directory"
                                     : name == "--base-url" ? "a URL"
                                                            : "a SID",
                                     " (the value is empty)"));
    }
    if (name == "--service") {
      options.services.emplace_back(value);
    } else if (name == "--role") {
      options.roles.emplace_back(value);
    } else if (!single_valued.insert(name).second) {
      return UsageError(absl::StrCat(name, " given twice (it takes one value)"));
    } else if (name == "--account") {
      options.account_sid = std::string(value);
    } else if (name == "--data-dir") {
      options.data_dir = std::string(value);
      data_dir_given = true;
    } else {
      options.base_url = std::string(value);
    }
  }

  if (positional.empty()) {
    return UsageError("missing command (replay, stdio, check or stats)");
  }
  if (positional[0] == "replay") {
    options.command = Command::kReplay;
    if (positional.size() != 2) {
      return UsageError("replay takes exactly one FILE.http");
    }
    options.file = std::string(positional[1]);
  } else if (positional[0] == "stdio") {
    options.command = Command::kStdio;
    if (positional.size() != 1) return UsageError("stdio takes no argument");
  } else if (positional[0] == "check" || positional[0] == "stats") {
    options.command = positional[0] == "check" ? Command::kCheck : Command::kStats;
    if (positional.size() != 2) {
      return UsageError(absl::StrCat(positional[0], " takes exactly one DIR (a store directory)"));
    }
    if (any_flag) {
      return UsageError(
          absl::StrCat(positional[0], " takes no flag: userstore ", positional[0], " DIR"));
    }
    options.dir = std::string(positional[1]);
    return options;
  } else {
    return UsageError(absl::StrCat("unknown command ", positional[0]));
  }
  if (!options.roles.empty() && options.services.empty()) {
    return UsageError("--role needs at least one --service");
  }
  if (sync_given && !data_dir_given) {
    return UsageError("--sync / --no-sync need --data-dir");
  }
  return options;
}

}  // namespace userstore::cli
