// Command-line flags of the example HTTP host (userstore-http).
//
//   userstore-http [--host ADDR] [--port N] [--base-url URL]
//                  [--conversations-base-url URL]
//                  [--data-dir DIR [--sync | --no-sync] |
//                   --postgres CONNINFO [--replica-name NAME]
//                   [--read-consistency local|after-own-writes]]
//                  [--service IS...]... [--role RL...]... [--reachability]
//                  [--account-sid AC...] [--auth-token TOKEN]
//                  [--request-timeout S] [--max-connections N]
//                  [--max-connections-per-address N] [--log on|off]
//                  [--extensions]
//                  [--post-webhook-url URL] [--pre-webhook-url URL]
//                  [--webhook-filter NAME,...] [--webhook-timeout S]
//                  [--webhook-retries N] [--pre-webhook-on-timeout allow|reject]
//
// `--flag value` and `--flag=value` are both accepted (`--sync`,
// `--no-sync`, `--extensions` and `--reachability` take no value). The account SID and
// auth token default to the environment variables Twilio's helper libraries
// read, TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN. Thread-safety: pure
// functions, thread-safe.
#ifndef USERSTORE_EXAMPLES_HTTP_SERVER_HOST_FLAGS_H_
#define USERSTORE_EXAMPLES_HTTP_SERVER_HOST_FLAGS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "webhook_params.h"

namespace userstore_http {

struct HostFlags {
  std::string host = "127.0.0.1";       // --host: the address to bind
  int port = 8080;                      // --port: 0 picks a free port
  std::optional<std::string> base_url;  // --base-url; default http://HOST:PORT/v2
  std::vector<std::string> services;    // --service (repeatable)
  std::vector<std::string> roles;       // --role (repeatable, needs --service)
  // --reachability: the --service Services have reachability on (Twilio's
  // ReachabilityEnabled: users show is_online and is_notifiable).
  bool reachability = false;
  std::string account_sid;  // --account-sid / $TWILIO_ACCOUNT_SID
  std::string auth_token;   // --auth-token / $TWILIO_AUTH_TOKEN
  // --conversations-base-url; default http://HOST:PORT/v1 (its path must
  // differ from the Chat base's: Store::Create refuses it otherwise).
  std::optional<std::string> conversations_base_url;
  // --data-dir: serve the durable Store kept in this directory
  // (Store::Open); empty: an in-memory Store that lives as long as the host.
  std::string data_dir;
  bool sync = true;  // --sync (default) / --no-sync
  // --postgres: serve a shared Store whose source of truth is the
  // PostgreSQL database of this libpq connection string
  // (Store::OpenShared, docs/scale-out.md); exclusive with --data-dir.
  std::string postgres;
  // --replica-name: SharedOptions::replica_name (empty: a random name).
  std::string replica_name;
  // --read-consistency after-own-writes (true) / local (false, the default):
  // SharedOptions::consistency.
  bool after_own_writes = false;
  // Limits against slow or numerous clients (GuardedServer):
  int request_timeout_seconds = 10;      // --request-timeout: headers + body
  int max_connections = 128;             // --max-connections
  int max_connections_per_address = 32;  // --max-connections-per-address
  bool log_requests = true;              // --log on (default) / --log off
  // --extensions: serve userstore's REST extension parameters
  // (FacadeOptions::enable_extensions; docs/rest.md, "Extensions").
  bool extensions = false;
  // Webhooks (docs/events.md, "Webhooks"). Empty URL: none of that kind.
  std::string post_webhook_url;                        // --post-webhook-url
  std::string pre_webhook_url;                         // --pre-webhook-url
  WebhookEventSet webhook_events = kAllWebhookEvents;  // --webhook-filter
  int webhook_timeout_seconds = 5;                     // --webhook-timeout, 1..60
  int webhook_retries = 0;                             // --webhook-retries, 0..10
  // --pre-webhook-on-timeout reject (true) / allow (false, the default:
  // Twilio processes the action when its pre-event webhook times out).
  bool pre_webhook_reject_on_timeout = false;
  bool help = false;
  bool version = false;
};

// Parses the arguments after argv[0]; `env` reads an environment variable
// (nullptr when unset), so tests can pass a fake. With --help or --version
// nothing else is checked.
// Errors: kInvalidArgument for an unknown flag or argument, a flag without
// its value (or --sync / --no-sync / --extensions / --reachability with
// one), a --port that is not an
// integer in [0, 65535], a --request-timeout not in [1, 3600], a
// --max-connections not in [1, 4096], a --max-connections-per-address not
// in [1, --max-connections], a --log other than on / off, --role without
// --service, an empty --data-dir,
// --sync / --no-sync without --data-dir, --postgres with --data-dir, an
// empty --postgres, a --replica-name not 1..40 characters of [a-z0-9_], a
// --read-consistency other than local / after-own-writes, --replica-name or
// --read-consistency without --postgres, --reachability without --service,
// an empty --service or --role, a
// --service or --role given twice (also in another hex case), or a missing
// account SID or auth token (flag and environment both unset or empty); a
// --post-webhook-url / --pre-webhook-url that is not an http:// or https://
// URL with a host (ParseWebhookUrl), a --webhook-filter naming an unknown
// event, a --webhook-timeout not in [1, 60], a --webhook-retries not in
// [0, 10], a --pre-webhook-on-timeout other than allow / reject, and any
// other --webhook-* flag without a webhook URL (or
// --pre-webhook-on-timeout without --pre-webhook-url).
// SID-shaped values (PP + 32 hex digits, any case) are returned in canonical
// form, PP + lowercase hex: --account-sid ACAAAA... becomes ACaaaa...; other
// values are kept as given and checked later, by the Store.
// Complexity: O(total length of the arguments).
absl::StatusOr<HostFlags> ParseHostFlags(const std::vector<std::string>& args,
                                         const char* (*env)(const char*));

// The usage text (ends with a newline).
std::string HostUsage();

}  // namespace userstore_http

#endif  // USERSTORE_EXAMPLES_HTTP_SERVER_HOST_FLAGS_H_
