#include "cli_args.h"

#include <cstddef>
#include <cstdint>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
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
       userstore get DIR KEY [--service IS...] [--base-url URL]
       userstore list DIR [--service IS...]... [--limit N] [--base-url URL]
       userstore export --data-dir DIR [--service IS...]... [-o FILE]
       userstore import --data-dir DIR [--service IS...]... [--mode MODE]
                        [--dry-run] [--create-services] FILE...
       (replay, stdio, export and import take --postgres CONNINFO instead
        of --data-dir DIR: a shared store in PostgreSQL)
       userstore events --data-dir DIR [--service IS...]... [--after N]
                        [--follow] [--limit N]

Drives userstore's REST facade (Twilio Programmable Chat v2 Users) with no
network. Without --data-dir, an in-memory Store lives for the run of the
program; with it, a durable Store in DIR keeps users between runs; with
--postgres CONNINFO, the shared Store kept in that PostgreSQL database (the
one userstore-http --postgres hosts serve; docs/scale-out.md).

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
  get DIR KEY        print the user KEY (a User SID or identity) of the
                     store in DIR as the REST API's fetch returns it
                     (read-only; works beside a running store); --service
                     may be left out when the store has one Service
  list DIR           print the users of the store in DIR, one JSON object
                     per line (read-only; works beside a running store):
                     each --service in the order given, or every Service
                     in SID order; users in creation order
  export             write the Services, roles and users of --data-dir as
                     NDJSON ({"type":"service"|"role"|"user","item":{...}},
                     items as the API's fetch returns them) to -o FILE or
                     stdout (read-only; works beside a running store)
  import FILE...     load users (with their SIDs, dates and counters),
                     Services and roles into --data-dir from export's
                     NDJSON, Twilio list pages, the Twilio CLI's -o json or
                     NDJSON of user objects (the shape is detected; FILE -
                     is stdin); progress on stderr
  events             print the change feed of --data-dir as NDJSON, one
                     event per line ({"sequence","service_sid","type",
                     "time","changed","webhook_enabled","origin","user"}):
                     each --service in the order given, or every Service
                     in SID order, each from its oldest kept event
                     (read-only; works beside a running store)

flags (export and import):
  --data-dir DIR     the store (this or --postgres is required)
  --postgres CONNINFO
                     the shared store in this PostgreSQL database (a libpq
                     connection string such as "host=/run/pg dbname=users
                     user=userstore", or a postgresql:// URI); import
                     creates its schema in an empty database, with the
                     account of the first record. Not with --data-dir
  --service IS...    only this Service's records (repeatable); import: the
                     Service of records that name none (given once)
  -o, --output FILE  export: write to FILE instead of stdout
  --mode MODE        import: a user whose SID or identity exists is an error
                     (insert, the default), left as it is (skip), or
                     replaced when the SID is the same (upsert)
  --dry-run          import: validate everything, write nothing
  --create-services  import: create a Service the input names but does not
                     carry (with default roles); otherwise an error
  --sync, --no-sync  import with --data-dir: as for replay (each batch
                     synced by default)

flags (replay and stdio):
  --data-dir DIR     open (or create) the durable store in DIR; recovery
                     progress and "opened DIR: N users in S s" go to stderr
  --sync             with --data-dir: each acknowledged write is fsync'ed
                     (survives a power cut; the default)
  --no-sync          with --data-dir: writes reach the OS only (survive a
                     crash of the program, not of the machine); faster
  --postgres CONNINFO
                     open the shared store in this PostgreSQL database
                     (created on first use; several programs and
                     userstore-http hosts may use it at once); "opened
                     PostgreSQL ...: N users in S s" goes to stderr. Not
                     with --data-dir
  --service IS...    create this Service (with its four default roles);
                     repeatable. With --data-dir or --postgres, one that
                     exists is kept.
  --create-services  a create (POST) naming an unknown Service creates it
                     (with its default roles) on first use; without this
                     flag it is a 404 and creates nothing
  --role RL...       add this deployment-scope role to every --service;
                     repeatable; needs --service. With --data-dir or
                     --postgres, one that exists is kept.
  --account AC...    the Account SID (default: minted at random, or the
                     one stored in --data-dir or --postgres)
  --base-url URL     base of the `url` fields (default
                     https://chat.twilio.com/v2); paths below its path
                     are served (also taken by get and list)
  --help, -h         print this help
  --version          print the version

flags (events):
  --data-dir DIR     the store (required; a --postgres store keeps no feed
                     to read: its change feed is each process's memory)
  --service IS...    only this Service's events (repeatable)
  --after N          start after position N (needs exactly one --service)
  --follow           after the events kept, wait for new ones (checked
                     every 200 ms) until SIGINT, SIGTERM or stdout closes
  --limit N          print at most N events in all
  --base-url URL     as above

check, stats, get and list read a store directory; they take no
--postgres (read a shared store with export --postgres or stdio --postgres).

flags (get and list):
  --service IS...    the Service to read (get: once; list: repeatable)
  --limit N          list: print at most N users in all
  --base-url URL     as above

exit status: 0 success (every request answered, 4xx included; check: the
store is sound; get: the user was printed; import: no record rejected); 1
file or parse error (check: problems found; get, list, export: a user or
Service not found, with Twilio's error body on stderr; import: a record
rejected or a file unreadable; events: a Service not found, or a feed
error such as 410/20410, events trimmed); 2 bad command line, a flag value the Store rejects, or a
store that cannot be opened.
)";
}

namespace {

// The flags each command takes besides --help and --version.
bool Takes(Command command, absl::string_view flag) {
  switch (command) {
    case Command::kReplay:
    case Command::kStdio:
      return flag != "--limit" && flag != "--output" && flag != "--mode" && flag != "--dry-run" &&
             flag != "--after" && flag != "--follow";
    case Command::kGet:
      return flag == "--service" || flag == "--base-url";
    case Command::kList:
      return flag == "--service" || flag == "--limit" || flag == "--base-url";
    case Command::kExport:
      return flag == "--data-dir" || flag == "--postgres" || flag == "--service" ||
             flag == "--output" || flag == "--base-url";
    case Command::kImport:
      return flag == "--data-dir" || flag == "--postgres" || flag == "--service" ||
             flag == "--mode" || flag == "--dry-run" || flag == "--create-services" ||
             flag == "--sync" || flag == "--no-sync";
    case Command::kEvents:
      return flag == "--data-dir" || flag == "--service" || flag == "--after" ||
             flag == "--follow" || flag == "--limit" || flag == "--base-url";
    case Command::kCheck:
    case Command::kStats:
    case Command::kNone:
      return false;
  }
  return false;
}

const char* FlagsOf(Command command) {
  switch (command) {
    case Command::kGet:
      return "--service, --base-url";
    case Command::kExport:
      return "--data-dir or --postgres, --service, -o, --base-url";
    case Command::kImport:
      return "--data-dir or --postgres, --service, --mode, --dry-run, --create-services, "
             "--sync, --no-sync";
    case Command::kEvents:
      return "--data-dir, --service, --after, --follow, --limit, --base-url";
    default:
      return "--service, --limit, --base-url";
  }
}

// The command a flag of no replay / stdio belongs to.
const char* OwnerOf(absl::string_view flag) {
  if (flag == "--limit") return "list";
  if (flag == "--after" || flag == "--follow") return "events";
  if (flag == "--output") return "export";
  return "import";
}

// What a flag's value must be, for the message of an empty one.
const char* ValueKind(absl::string_view flag) {
  if (flag == "--data-dir") return "a directory";
  if (flag == "--postgres") return "a connection string";
  if (flag == "--base-url") return "a URL";
  if (flag == "--limit" || flag == "--after") return "a number";
  if (flag == "--output") return "a file";
  if (flag == "--mode") return "insert, skip or upsert";
  return "a SID";
}

absl::StatusOr<uint64_t> ParseLimit(absl::string_view value) {
  uint64_t n = 0;
  if (value.find_first_not_of("0123456789") != absl::string_view::npos ||
      !absl::SimpleAtoi(value, &n) || n == 0) {
    return UsageError(absl::StrCat("--limit needs a positive integer, not ", value));
  }
  return n;
}

}  // namespace

absl::StatusOr<CliOptions> ParseArgs(const std::vector<absl::string_view>& args) {
  CliOptions options;
  std::vector<absl::string_view> positional;
  std::vector<absl::string_view> given;  // the flags given, in order
  bool flags_done = false;
  bool sync_given = false;
  bool data_dir_given = false;
  // --account, --base-url, --data-dir, --postgres, --limit, --output,
  // --mode: given at most once.
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
    if (name == "-o") name = "--output";
    if (name == "--sync" || name == "--no-sync" || name == "--create-services" ||
        name == "--dry-run" || name == "--follow") {
      if (has_value) return UsageError(absl::StrCat(name, " takes no value"));
      given.push_back(name);
      if (name == "--follow") {
        options.follow = true;
      } else if (name == "--create-services") {
        options.create_services = true;
      } else if (name == "--dry-run") {
        options.dry_run = true;
      } else {
        options.sync = name == "--sync";
        sync_given = true;
      }
      continue;
    }
    if (name != "--service" && name != "--role" && name != "--account" && name != "--base-url" &&
        name != "--data-dir" && name != "--postgres" && name != "--limit" && name != "--output" &&
        name != "--mode" && name != "--after") {
      return UsageError(absl::StrCat("unknown flag ", name));
    }
    given.push_back(name);
    if (!has_value) {
      if (i + 1 >= args.size()) {
        return UsageError(absl::StrCat(name, " needs a value"));
      }
      value = args[++i];
    }
    // An empty value would silently mean "none" (a minted Service, role or
    // account), so every value flag refuses it.
    if (value.empty()) {
      return UsageError(absl::StrCat(name, " needs ", ValueKind(name), " (the value is empty)"));
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
    } else if (name == "--postgres") {
      options.postgres = std::string(value);
    } else if (name == "--output") {
      options.output = std::string(value);
    } else if (name == "--mode") {
      if (value == "insert") {
        options.mode = ImportMode::kInsert;
      } else if (value == "skip") {
        options.mode = ImportMode::kSkip;
      } else if (value == "upsert") {
        options.mode = ImportMode::kUpsert;
      } else {
        return UsageError(absl::StrCat("--mode needs insert, skip or upsert, not ", value));
      }
    } else if (name == "--after") {
      uint64_t after = 0;
      if (value.find_first_not_of("0123456789") != absl::string_view::npos ||
          !absl::SimpleAtoi(value, &after)) {
        return UsageError(absl::StrCat("--after needs a non-negative integer, not ", value));
      }
      options.after = after;
    } else if (name == "--limit") {
      absl::StatusOr<uint64_t> limit = ParseLimit(value);
      if (!limit.ok()) return limit.status();
      options.limit = *limit;
    } else {
      options.base_url = std::string(value);
    }
  }

  if (positional.empty()) {
    return UsageError(
        "missing command (replay, stdio, check, stats, get, list, export, import or events)");
  }
  const absl::string_view command = positional[0];
  const bool postgres_given = !options.postgres.empty();
  if (postgres_given && data_dir_given) {
    return UsageError(
        "--data-dir and --postgres exclude each other (the store is a directory or a "
        "PostgreSQL database)");
  }
  if (postgres_given && (command == "check" || command == "stats" || command == "get" ||
                         command == "list" || command == "events")) {
    return UsageError(absl::StrCat(
        command, " does not take --postgres: ",
        command == "events"
            ? "a shared store keeps no change feed to read (each process's is in memory)"
            : "it reads a store directory (read a shared store with export --postgres or "
              "stdio --postgres)"));
  }
  if (command == "replay") {
    options.command = Command::kReplay;
    if (positional.size() != 2) {
      return UsageError("replay takes exactly one FILE.http");
    }
    options.file = std::string(positional[1]);
  } else if (command == "stdio") {
    options.command = Command::kStdio;
    if (positional.size() != 1) return UsageError("stdio takes no argument");
  } else if (command == "check" || command == "stats") {
    options.command = command == "check" ? Command::kCheck : Command::kStats;
    if (positional.size() != 2) {
      return UsageError(absl::StrCat(command, " takes exactly one DIR (a store directory)"));
    }
    if (!given.empty()) {
      return UsageError(absl::StrCat(command, " takes no flag: userstore ", command, " DIR"));
    }
    options.dir = std::string(positional[1]);
    return options;
  } else if (command == "get" || command == "list") {
    const bool get = command == "get";
    options.command = get ? Command::kGet : Command::kList;
    if (positional.size() != (get ? 3u : 2u)) {
      return UsageError(get ? "get takes exactly a DIR (a store directory) and a KEY (a User "
                              "SID or identity; put -- before one that starts with -)"
                            : "list takes exactly one DIR (a store directory)");
    }
    for (absl::string_view flag : given) {
      if (!Takes(options.command, flag)) {
        return UsageError(absl::StrCat(command, " does not take ", flag, " (it reads DIR ",
                                       "read-only; its flags: ", FlagsOf(options.command), ")"));
      }
    }
    if (get && options.services.size() > 1) {
      return UsageError("get takes one --service (the Service of KEY)");
    }
    options.dir = std::string(positional[1]);
    if (get) options.key = std::string(positional[2]);
    return options;
  } else if (command == "export" || command == "import") {
    const bool is_export = command == "export";
    options.command = is_export ? Command::kExport : Command::kImport;
    for (absl::string_view flag : given) {
      if (!Takes(options.command, flag)) {
        return UsageError(absl::StrCat(command, " does not take ", flag,
                                       " (its flags: ", FlagsOf(options.command), ")"));
      }
    }
    if (!data_dir_given && !postgres_given) {
      return UsageError(
          absl::StrCat(command, " needs --data-dir DIR or --postgres CONNINFO (the store)"));
    }
    if (sync_given && !data_dir_given) {
      return UsageError("--sync / --no-sync need --data-dir");
    }
    if (is_export && positional.size() != 1) {
      return UsageError("export takes no argument (write to a file with -o FILE)");
    }
    if (!is_export && positional.size() < 2) {
      return UsageError("import needs at least one FILE (- for standard input)");
    }
    for (size_t i = 1; i < positional.size(); ++i) options.files.emplace_back(positional[i]);
    return options;
  } else if (command == "events") {
    options.command = Command::kEvents;
    for (absl::string_view flag : given) {
      if (!Takes(options.command, flag)) {
        return UsageError(absl::StrCat("events does not take ", flag,
                                       " (its flags: ", FlagsOf(options.command), ")"));
      }
    }
    if (!data_dir_given) return UsageError("events needs --data-dir DIR (the store)");
    if (positional.size() != 1) return UsageError("events takes no argument");
    if (options.after && options.services.size() != 1) {
      return UsageError("--after needs exactly one --service (a position is one Service's)");
    }
    return options;
  } else {
    return UsageError(absl::StrCat("unknown command ", command));
  }
  for (absl::string_view flag : given) {
    if (!Takes(options.command, flag)) {
      return UsageError(
          absl::StrCat(command, " does not take ", flag, " (it is for ", OwnerOf(flag), ")"));
    }
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
