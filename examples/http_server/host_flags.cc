#include "host_flags.h"

#include <charconv>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace userstore_http {
namespace {

// `value` in the canonical spelling of a SID (Twilio's: the two-letter
// prefix, then 32 lowercase hex digits) when it is `prefix` followed by 32
// hex digits in any case; otherwise unchanged (the Store rejects it later
// with its own message). So "ISAAAA..." and "ISaaaa..." are one Service.
std::string CanonicalSid(std::string value, std::string_view prefix) {
  if (value.size() != prefix.size() + 32 || !value.starts_with(prefix)) return value;
  for (size_t i = prefix.size(); i < value.size(); ++i) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(value[i]))) return value;
  }
  absl::AsciiStrToLower(&value);
  value.replace(0, prefix.size(), prefix);
  return value;
}

// kInvalidArgument naming the first value given twice in `values` (already
// canonical), if any.
absl::Status NoRepeats(const std::vector<std::string>& values, const char* flag) {
  absl::flat_hash_set<std::string_view> seen;
  for (const std::string& value : values) {
    if (!seen.insert(value).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, " ", value, ": given twice (SIDs are compared in lowercase)"));
    }
  }
  return absl::OkStatus();
}

// `value` as an integer in [min, max], else kInvalidArgument naming `flag`.
absl::StatusOr<int> IntInRange(const std::string& flag, const std::string& value, int min,
                               int max) {
  int n = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, n);
  if (ec != std::errc() || ptr != end || n < min || n > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " must be an integer in [", min, ", ", max, "], not '", value, "'"));
  }
  return n;
}

}  // namespace

std::string HostUsage() {
  return R"(usage: userstore-http [FLAGS]

Serves Twilio's Programmable Chat v2 and Conversations v1 User APIs
(userstore's REST facade, both on the same users) over HTTP/1.1. Clients
authenticate with HTTP Basic: the account SID and the auth token.

  --host ADDR          address to bind (default 127.0.0.1)
  --port N             TCP port (default 8080; 0 picks a free port); the
                       first line on stdout is "listening on http://ADDR:PORT"
  --base-url URL       base of the Chat v2 API: its paths, and every url,
                       links and paging URL of its responses
                       (default http://ADDR:PORT/v2, i.e. this host)
  --conversations-base-url URL
                       the same for the Conversations v1 API (/v1/Users,
                       /v1/Services/IS.../Users, /v1/Configuration); its
                       path must differ from --base-url's
                       (default http://ADDR:PORT/v1)
  --data-dir DIR       keep Services, roles and users in the durable store
                       in DIR (created when missing), so they survive
                       restarts; one process at a time. Default: in memory,
                       lost when the host stops
  --sync               with --data-dir: each acknowledged write is fsync'ed
                       (survives a power cut; the default)
  --no-sync            with --data-dir: writes reach the OS only (survive a
                       crash of the host, not of the machine); faster
  --postgres CONNINFO  serve a shared store kept in the PostgreSQL database
                       of this libpq connection string (e.g. "host=/run/pg
                       dbname=users user=userstore", or a postgresql:// URI):
                       several hosts on one database serve the same users,
                       each from its own in-memory replica that follows the
                       database (docs/scale-out.md). Not with --data-dir
  --replica-name NAME  with --postgres: this host's name among those sharing
                       the database, 1..40 of [a-z0-9_] (its replication
                       slot is userstore_NAME; a restart under the same name
                       drops the slot its previous run left). Default: a
                       random name
  --read-consistency local|after-own-writes
                       with --postgres: local (the default) answers a write
                       once committed; after-own-writes also waits until
                       this host's replica has received it, so the replica
                       then holds every write committed before it, by any
                       host
  --service IS...      create this Service (repeatable); without any,
                       a Service is created the first time a request names it.
                       With --data-dir or --postgres, one that exists is kept
  --role RL...         add this deployment-scope role to every --service
                       (repeatable); with --data-dir or --postgres, one that
                       exists is kept
  --reachability       turn reachability on in every --service (Twilio's
                       ReachabilityEnabled: users show is_online, and
                       is_notifiable, which follows their push Bindings)
  --account-sid AC...  the account (default $TWILIO_ACCOUNT_SID); with
                       --data-dir or --postgres it must be the store's own
                       (the first host to open a database stores it). Hex
                       digits are taken in lowercase: clients authenticate
                       as ACabcd... also when ACABCD... is given
  --auth-token TOKEN   the auth token (default $TWILIO_AUTH_TOKEN; prefer the
                       environment: flags are visible to other local users)
  --request-timeout S  a request's headers and body must arrive within S
                       seconds of its first byte, else 408 and the
                       connection closes (default 10; 1..3600)
  --max-connections N  open connections at most (default 128; 1..4096);
                       one more is answered 503 and closed
  --max-connections-per-address N
                       open connections from one client address at most
                       (default 32; at most --max-connections)
  --log on|off         one line per request on stderr (default on); off
                       leaves only the start-up and refusal lines
  --extensions         serve userstore's extension parameters (form
                       parameters X-Userstore-..., e.g.
                       X-Userstore-AttributesPatch: a JSON merge patch of
                       a user's attributes). Default off: they are ignored,
                       as Twilio ignores unknown parameters; and the
                       X-Userstore-Origin: client header, which marks a
                       create, update or delete as a chat client's; and
                       POST .../Users/{key}/Bindings (BindingType, Address,
                       CredentialSid, MessageTypes), which registers a
                       push Binding as Twilio's client SDK does; and the
                       Users list's filters and count (X-Userstore-RoleSid,
                       X-Userstore-Count=true, ...) and batch upsert
                       (X-Userstore-Batch, bodies up to 9 MiB)
  --post-webhook-url URL
                       send Twilio's post-event webhooks (onUserAdded,
                       onUserUpdated; userstore's onUserRemoved) to URL
                       (http:// or https://), signed with X-Twilio-Signature
                       (the auth token), for writes with the header
                       X-Twilio-Webhook-Enabled: true or from a client; at
                       least once, in order per Service, retried with
                       backoff (docs/events.md, "Webhooks"). With
                       --data-dir, the delivered position is kept in
                       DIR.webhooks/; otherwise (--postgres included) in
                       memory only: a restarted host starts at the feed's
                       end
  --pre-webhook-url URL
                       ask URL before each client's create (onUserAdd,
                       userstore's) or update (onUserUpdate): 200 lets it
                       go on, any other answer rejects it (403/50056)
  --webhook-filter NAME,...
                       send only these events (default: all five)
  --webhook-timeout S  seconds to connect and to answer (default 5, as
                       Twilio; 1..60)
  --webhook-retries N  post-event retries right after a failure, as Twilio's
                       post_webhook_retry_count (default 0; 0..10); later
                       retries back off, up to 30 s apart, until delivered
  --pre-webhook-on-timeout allow|reject
                       a pre-event webhook that does not answer in time
                       (or cannot be reached) lets the write go on (allow,
                       the default, as Twilio) or rejects it
  --help, --version
)";
}

absl::StatusOr<HostFlags> ParseHostFlags(const std::vector<std::string>& args,
                                         const char* (*env)(const char*)) {
  HostFlags flags;
  std::optional<std::string> account_sid;
  std::optional<std::string> auth_token;
  bool sync_given = false;
  bool webhook_flag_given = false;
  bool pre_timeout_given = false;
  bool shared_flag_given = false;  // --replica-name, --read-consistency
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      flags.help = true;
      return flags;
    }
    if (arg == "--version") {
      flags.version = true;
      return flags;
    }
    if (arg.substr(0, 2) != "--") {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "'"));
    }
    std::string name = arg;
    std::optional<std::string> value;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
    }
    if (name == "--sync" || name == "--no-sync") {
      if (value.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat("flag ", name, " takes no value"));
      }
      flags.sync = name == "--sync";
      sync_given = true;
      continue;
    }
    if (name == "--extensions") {
      if (value.has_value()) {
        return absl::InvalidArgumentError("flag --extensions takes no value");
      }
      flags.extensions = true;
      continue;
    }
    if (name == "--reachability") {
      if (value.has_value()) {
        return absl::InvalidArgumentError("flag --reachability takes no value");
      }
      flags.reachability = true;
      continue;
    }
    if (name != "--host" && name != "--port" && name != "--base-url" &&
        name != "--conversations-base-url" && name != "--service" && name != "--role" &&
        name != "--account-sid" && name != "--auth-token" && name != "--data-dir" &&
        name != "--request-timeout" && name != "--max-connections" &&
        name != "--max-connections-per-address" && name != "--log" &&
        name != "--post-webhook-url" && name != "--pre-webhook-url" && name != "--webhook-filter" &&
        name != "--webhook-timeout" && name != "--webhook-retries" &&
        name != "--pre-webhook-on-timeout" && name != "--postgres" && name != "--replica-name" &&
        name != "--read-consistency") {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag '", name, "'"));
    }
    if (!value.has_value()) {
      if (i + 1 == args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("flag ", name, " needs a value"));
      }
      value = args[++i];
    }
    if (name == "--request-timeout" || name == "--max-connections" ||
        name == "--max-connections-per-address") {
      const int max = name == "--request-timeout" ? 3600 : 4096;
      absl::StatusOr<int> n = IntInRange(name, *value, 1, max);
      if (!n.ok()) return n.status();
      (name == "--request-timeout"   ? flags.request_timeout_seconds
       : name == "--max-connections" ? flags.max_connections
                                     : flags.max_connections_per_address) = *n;
    } else if (name == "--post-webhook-url" || name == "--pre-webhook-url") {
      absl::StatusOr<WebhookTarget> target = ParseWebhookUrl(*value);
      if (!target.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(name, ": ", target.status().message()));
      }
      (name == "--post-webhook-url" ? flags.post_webhook_url : flags.pre_webhook_url) = *value;
    } else if (name == "--webhook-filter") {
      absl::StatusOr<WebhookEventSet> events = ParseWebhookFilter(*value);
      if (!events.ok()) return events.status();
      flags.webhook_events = *events;
      webhook_flag_given = true;
    } else if (name == "--webhook-timeout" || name == "--webhook-retries") {
      const bool timeout = name == "--webhook-timeout";
      absl::StatusOr<int> n = IntInRange(name, *value, timeout ? 1 : 0, timeout ? 60 : 10);
      if (!n.ok()) return n.status();
      (timeout ? flags.webhook_timeout_seconds : flags.webhook_retries) = *n;
      webhook_flag_given = true;
    } else if (name == "--pre-webhook-on-timeout") {
      if (*value != "allow" && *value != "reject") {
        return absl::InvalidArgumentError(absl::StrCat(
            "--pre-webhook-on-timeout must be 'allow' or 'reject', not '", *value, "'"));
      }
      flags.pre_webhook_reject_on_timeout = *value == "reject";
      pre_timeout_given = true;
    } else if (name == "--log") {
      if (*value != "on" && *value != "off") {
        return absl::InvalidArgumentError(
            absl::StrCat("--log must be 'on' or 'off', not '", *value, "'"));
      }
      flags.log_requests = *value == "on";
    } else if (name == "--host") {
      flags.host = *value;
    } else if (name == "--port") {
      int port = -1;
      const char* end = value->data() + value->size();
      auto [ptr, ec] = std::from_chars(value->data(), end, port);
      if (ec != std::errc() || ptr != end || port < 0 || port > 65535) {
        return absl::InvalidArgumentError(
            absl::StrCat("--port must be an integer in [0, 65535], not '", *value, "'"));
      }
      flags.port = port;
    } else if (name == "--base-url") {
      flags.base_url = *value;
    } else if (name == "--conversations-base-url") {
      flags.conversations_base_url = *value;
    } else if (name == "--data-dir") {
      if (value->empty()) return absl::InvalidArgumentError("--data-dir needs a directory");
      flags.data_dir = *value;
    } else if (name == "--postgres") {
      if (value->empty()) {
        return absl::InvalidArgumentError("--postgres needs a libpq connection string");
      }
      flags.postgres = *value;
    } else if (name == "--replica-name") {
      if (value->empty() || value->size() > 40 ||
          value->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--replica-name must be 1 to 40 characters of [a-z0-9_], not '", *value, "'"));
      }
      flags.replica_name = *value;
      shared_flag_given = true;
    } else if (name == "--read-consistency") {
      if (*value != "local" && *value != "after-own-writes") {
        return absl::InvalidArgumentError(absl::StrCat(
            "--read-consistency must be 'local' or 'after-own-writes', not '", *value, "'"));
      }
      flags.after_own_writes = *value == "after-own-writes";
      shared_flag_given = true;
    } else if (name == "--service" || name == "--role") {
      if (value->empty()) {
        return absl::InvalidArgumentError(absl::StrCat(name, " needs a SID, not an empty value"));
      }
      if (name == "--service") {
        flags.services.push_back(CanonicalSid(*value, "IS"));
      } else {
        flags.roles.push_back(CanonicalSid(*value, "RL"));
      }
    } else if (name == "--account-sid") {
      account_sid = *value;
    } else {
      auth_token = *value;
    }
  }
  if (flags.max_connections_per_address > flags.max_connections) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max-connections-per-address (", flags.max_connections_per_address,
                     ") must not exceed --max-connections (", flags.max_connections, ")"));
  }
  if (absl::Status s = NoRepeats(flags.services, "--service"); !s.ok()) return s;
  if (absl::Status s = NoRepeats(flags.roles, "--role"); !s.ok()) return s;
  if (!flags.roles.empty() && flags.services.empty()) {
    return absl::InvalidArgumentError("--role needs at least one --service");
  }
  if (flags.reachability && flags.services.empty()) {
    return absl::InvalidArgumentError("--reachability needs at least one --service");
  }
  if (!flags.postgres.empty() && !flags.data_dir.empty()) {
    return absl::InvalidArgumentError(
        "--postgres and --data-dir exclude each other: the store is either a PostgreSQL "
        "database or a directory");
  }
  if (sync_given && flags.data_dir.empty()) {
    return absl::InvalidArgumentError("--sync / --no-sync need --data-dir");
  }
  if (shared_flag_given && flags.postgres.empty()) {
    return absl::InvalidArgumentError("--replica-name / --read-consistency need --postgres");
  }
  if (webhook_flag_given && flags.post_webhook_url.empty() && flags.pre_webhook_url.empty()) {
    return absl::InvalidArgumentError(
        "--webhook-filter / --webhook-timeout / --webhook-retries need --post-webhook-url or "
        "--pre-webhook-url");
  }
  if (pre_timeout_given && flags.pre_webhook_url.empty()) {
    return absl::InvalidArgumentError("--pre-webhook-on-timeout needs --pre-webhook-url");
  }
  auto from_env = [env](const char* name) {
    const char* value = env != nullptr ? env(name) : nullptr;
    return std::string(value != nullptr ? value : "");
  };
  flags.account_sid = CanonicalSid(account_sid.value_or(from_env("TWILIO_ACCOUNT_SID")), "AC");
  flags.auth_token = auth_token.value_or(from_env("TWILIO_AUTH_TOKEN"));
  if (flags.account_sid.empty()) {
    return absl::InvalidArgumentError(
        "no account SID: pass --account-sid or set TWILIO_ACCOUNT_SID");
  }
  if (flags.auth_token.empty()) {
    return absl::InvalidArgumentError("no auth token: set TWILIO_AUTH_TOKEN or pass --auth-token");
  }
  return flags;
}

}  // namespace userstore_http
