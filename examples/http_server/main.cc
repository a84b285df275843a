// userstore-http: a small HTTP/1.1 host for userstore's REST facade.
//
// Every request is checked for HTTP Basic credentials (the account SID and
// auth token, as Twilio's API wants them) as soon as its headers are in,
// then handed unchanged (method,
// raw request target, headers, body) to RestFacade::Handle, whose Response is
// written back. The network lives here only: the library has no socket code,
// and the examples are the only targets that link cpp-httplib. One log line
// per request goes to stderr (--log off: none). What the host shares with
// the throughput ceiling (ceiling_server.cc) is in host_server.h. SIGINT / SIGTERM stop the server
// cleanly. With
// --data-dir the Store is durable (Store::Open): Services, roles and users
// survive a restart of the host. With --postgres it is shared
// (Store::OpenShared): several hosts serve one PostgreSQL database. GuardedServer
// (guarded_server.h) bounds the time a request may take to arrive and the connections per client
// address.
//
// Usage: see HostUsage() in host_flags.cc, or docs/api.md.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "basic_auth.h"
#include "guarded_server.h"
#include "host_flags.h"
#include "host_server.h"
#include "httplib.h"
#include "userstore/userstore.h"
#include "webhook_client.h"
#include "webhook_params.h"
#include "webhook_sender.h"

namespace userstore_http {
namespace {

// httplib adds these pseudo-headers to every request; they never came from
// the client, so the facade does not see them.
bool IsHttplibPseudoHeader(const std::string& name) {
  return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
         name == "LOCAL_PORT";
}

// `status` with its message prefixed by `what`.
absl::Status Prefixed(const absl::Status& status, const std::string& what) {
  return absl::Status(status.code(), absl::StrCat(what, ": ", status.message()));
}

// Users in all the Store's Services.
uint64_t CountAllUsers(const userstore::Store& store) {
  uint64_t users = 0;
  for (const userstore::Service& service : store.ListServices()) {
    absl::StatusOr<uint64_t> count = store.CountUsers(service.sid);
    if (count.ok()) users += *count;
  }
  return users;
}

// The shared Store of --postgres (Store::OpenShared), which then logs
// "opened shared store (replica NAME, consistency C): N users in S s". The
// connection string is not logged: it may hold a password.
absl::StatusOr<std::unique_ptr<userstore::Store>> OpenSharedStore(const HostFlags& flags,
                                                                  userstore::StoreOptions options) {
  userstore::SharedOptions shared;
  shared.replica_name = flags.replica_name;
  shared.consistency = flags.after_own_writes
                           ? userstore::SharedOptions::Consistency::kAfterOwnWrites
                           : userstore::SharedOptions::Consistency::kLocal;
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<userstore::Store>> store =
      userstore::Store::OpenShared(flags.postgres, std::move(options), std::move(shared));
  if (!store.ok()) return Prefixed(store.status(), "--postgres");
  std::fprintf(stderr,
               "userstore-http: opened shared store (replica %s, read consistency %s): %llu "
               "users in %.2f s\n",
               flags.replica_name.empty() ? "of a random name" : flags.replica_name.c_str(),
               flags.after_own_writes ? "after-own-writes" : "local",
               static_cast<unsigned long long>(CountAllUsers(**store)),
               absl::ToDoubleSeconds(absl::Now() - start));
  return store;
}

// In memory (Store::Create), with --data-dir the durable Store kept there
// (Store::Open), which then logs "opened DIR: N users in S s", or with
// --postgres a shared Store (OpenSharedStore).
absl::StatusOr<std::unique_ptr<userstore::Store>> OpenStore(const HostFlags& flags,
                                                            userstore::StoreOptions options) {
  if (!flags.postgres.empty()) return OpenSharedStore(flags, std::move(options));
  if (flags.data_dir.empty()) return userstore::Store::Create(std::move(options));
  uint64_t users = 0;
  userstore::DurableOptions durable;
  durable.sync = flags.sync;
  durable.progress = [&users](uint64_t loaded, uint64_t) { users = loaded; };
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<userstore::Store>> store =
      userstore::Store::Open(flags.data_dir, std::move(options), std::move(durable));
  if (!store.ok()) return Prefixed(store.status(), "--data-dir " + flags.data_dir);
  std::fprintf(stderr, "userstore-http: opened %s: %llu users in %.2f s%s\n",
               flags.data_dir.c_str(), static_cast<unsigned long long>(users),
               absl::ToDoubleSeconds(absl::Now() - start), flags.sync ? "" : " (--no-sync)");
  return store;
}

// Waits (10 s at most) until a shared Store's replica holds every write
// committed so far by any host. Errors: SharedPosition's and
// WaitForPosition's.
absl::Status CatchUp(userstore::Store& store) {
  absl::StatusOr<uint64_t> position = store.SharedPosition();
  if (!position.ok()) return position.status();
  return store.WaitForPosition(*position, absl::Seconds(10));
}

// The Store the host serves, with the --service Services (reachability on
// with --reachability) and --role roles.
// A reopened durable store (--data-dir) or a shared one (--postgres) may hold
// them already: there, 409 from CreateService / AddRole leaves the existing
// one as it is. A shared Store first catches up with the database, and
// tries a Service or role once more after catching up again when it fails
// otherwise: another host starting at the same time may have created it
// after this one's replica was loaded (PostgreSQL then refuses the
// duplicate before the replica knows it).
absl::StatusOr<std::unique_ptr<userstore::Store>> MakeStore(const HostFlags& flags,
                                                            std::string base_url,
                                                            std::string conversations_base_url) {
  userstore::StoreOptions options;
  options.account_sid = flags.account_sid;
  options.base_url = std::move(base_url);
  options.conversations_base_url = std::move(conversations_base_url);
  absl::StatusOr<std::unique_ptr<userstore::Store>> store = OpenStore(flags, std::move(options));
  if (!store.ok()) return store.status();
  const bool shared = !flags.postgres.empty();
  const bool keep_existing = !flags.data_dir.empty() || shared;
  auto tolerated = [keep_existing](const absl::Status& status) {
    return status.ok() || (keep_existing && status.code() == absl::StatusCode::kAlreadyExists);
  };
  if (shared && !flags.services.empty()) {
    if (absl::Status s = CatchUp(**store); !s.ok()) return Prefixed(s, "--postgres");
  }
  // `write`, retried once after a catch-up on a shared Store.
  auto attempt = [&](auto write) {
    auto result = write();
    if (shared && !tolerated(result.status()) && CatchUp(**store).ok()) result = write();
    return result;
  };
  for (const std::string& service_sid : flags.services) {
    userstore::ServiceCreate service;
    service.sid = service_sid;
    absl::StatusOr<userstore::Service> created =
        attempt([&] { return (*store)->CreateService(service); });
    if (!tolerated(created.status())) {
      return Prefixed(created.status(), "--service " + service_sid);
    }
    if (flags.reachability) {  // also in a Service that exists already
      absl::StatusOr<userstore::Service> reachable =
          attempt([&] { return (*store)->SetReachabilityEnabled(service_sid, true); });
      if (!reachable.ok()) return Prefixed(reachable.status(), "--reachability");
    }
    for (const std::string& role_sid : flags.roles) {
      userstore::RoleCreate role;
      role.sid = role_sid;
      role.friendly_name = role_sid;
      role.type = userstore::RoleScope::kDeployment;
      absl::StatusOr<userstore::Role> added =
          attempt([&] { return (*store)->AddRole(service_sid, role); });
      if (!tolerated(added.status())) {
        return Prefixed(added.status(), "--role " + role_sid);
      }
    }
  }
  return store;
}

// Every authenticated request (the pre-routing handler checked the
// credentials): the facade. `body` is the request body (req.body is empty
// when the body came through a ContentReader).
void Serve(const userstore::RestFacade& facade, const httplib::Request& req, std::string body,
           httplib::Response& res) {
  userstore::Request request;
  request.method = req.method;
  request.target = req.target;  // raw: the facade decodes it itself
  request.headers.reserve(req.headers.size());
  for (const auto& [name, value] : req.headers) {
    if (!IsHttplibPseudoHeader(name)) request.headers.emplace_back(name, value);
  }
  request.body = std::move(body);
  userstore::Response response = facade.Handle(request);
  if (request.method == "HEAD") {
    // RFC 9110 §9.3.2: HEAD gets GET's status and header fields, and a
    // Content-Length, when sent, must be the GET content's length
    // (§8.6). The facade decides whether HEAD is served and answers it
    // without content; httplib would then send "Content-Length: 0". So
    // when the facade gave neither content nor a Content-Length, ask it the
    // same request as a GET and keep that content when the status agrees:
    // httplib sends its length and never a HEAD response's content. (When
    // a write changed the answer in between, the HEAD answer is sent.)
    bool has_length = false;
    for (const auto& header : response.headers) {
      has_length |= absl::EqualsIgnoreCase(header.first, "Content-Length");
    }
    if (response.body.empty() && !has_length && response.status != 204 && response.status != 304) {
      request.method = "GET";
      userstore::Response get = facade.Handle(request);
      if (get.status == response.status) response.body = std::move(get.body);
    }
  }
  res.status = response.status;
  std::string content_type = kJsonContentType;
  std::string content_type_given;
  for (const auto& [name, value] : response.headers) {
    if (absl::EqualsIgnoreCase(name, "Content-Type")) {
      content_type = value;
      content_type_given = value;
    } else {
      res.set_header(name, value);
    }
  }
  if (!response.body.empty()) {
    // What res.set_content does, without copying the body.
    res.body = std::move(response.body);
    res.set_header("Content-Type", content_type);
  } else if (!content_type_given.empty()) {  // e.g. HEAD, whose GET has one
    res.set_header("Content-Type", content_type_given);
  }
}

int Run(const HostFlags& flags) {
  // SIGINT / SIGTERM are blocked in every thread and taken by one waiting
  // thread, which stops the server. Block them first: every thread started
  // later inherits the mask, httplib's workers and also the storage
  // engine's background threads of a --data-dir Store (one of those with
  // the signals unblocked would take SIGTERM's default action and kill the
  // host without closing the store).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ConnectionLimits limits;
  limits.request_timeout = std::chrono::seconds(flags.request_timeout_seconds);
  limits.max_connections = static_cast<size_t>(flags.max_connections);
  limits.max_connections_per_address = static_cast<size_t>(flags.max_connections_per_address);
  GuardedServer server(limits);
  ConfigureSocket(server);
  const int port = Bind(server, flags.host, flags.port, "userstore-http");
  if (port < 0) return 1;
  std::string origin = absl::StrCat("http://", Authority(flags.host, port));
  absl::StatusOr<std::unique_ptr<userstore::Store>> store =
      MakeStore(flags, flags.base_url.value_or(origin + "/v2"),
                flags.conversations_base_url.value_or(origin + "/v1"));
  if (!store.ok()) {
    std::fprintf(stderr, "userstore-http: %s\n", std::string(store.status().message()).c_str());
    return 2;
  }
  userstore::FacadeOptions facade_options;
  facade_options.auto_create_services = flags.services.empty();
  facade_options.enable_extensions = flags.extensions;
  userstore::RestFacade facade(store->get(), facade_options);
  // Webhooks (docs/events.md, "Webhooks"). The delivery thread reads the
  // feed; the listener only wakes it. It stops (and is joined) before the
  // Store closes: declared after it, and stopped explicitly below.
  std::unique_ptr<PostWebhookSender> sender;
  if (!flags.post_webhook_url.empty()) {
    PostWebhookOptions options;
    options.target = *ParseWebhookUrl(flags.post_webhook_url);  // checked by ParseHostFlags
    options.auth_token = flags.auth_token;
    options.timeout_seconds = flags.webhook_timeout_seconds;
    options.retries = flags.webhook_retries;
    options.events = flags.webhook_events;
    options.data_dir = flags.data_dir;
    sender = std::make_unique<PostWebhookSender>(store->get(), std::move(options));
    (*store)->AddPostEventListener(sender->Waker());
    if (absl::Status started = sender->Start(); !started.ok()) {
      std::fprintf(stderr, "userstore-http: --post-webhook-url: %s\n",
                   std::string(started.message()).c_str());
      return 2;
    }
    std::fprintf(stderr, "userstore-http: post-event webhooks to %s\n",
                 flags.post_webhook_url.c_str());
  }
  if (!flags.pre_webhook_url.empty()) {
    PreWebhookOptions options;
    options.target = *ParseWebhookUrl(flags.pre_webhook_url);
    options.auth_token = flags.auth_token;
    options.timeout_seconds = flags.webhook_timeout_seconds;
    options.reject_without_answer = flags.pre_webhook_reject_on_timeout;
    options.events = flags.webhook_events;
    (*store)->AddPreEventListener(MakePreWebhookListener(std::move(options)));
    std::fprintf(stderr, "userstore-http: pre-event webhooks to %s (no answer: %s)\n",
                 flags.pre_webhook_url.c_str(),
                 flags.pre_webhook_reject_on_timeout ? "reject" : "allow");
  }
  // The Store's account SID is the canonical spelling (AC + lowercase hex)
  // whatever case --account-sid was given in: clients authenticate as that.
  BasicAuth auth((*store)->options().account_sid, flags.auth_token);

  // Every path, every method httplib accepts ([\s\S] also matches a decoded
  // %0A, which '.' would not); routing is the facade's job.
  constexpr char kAnyPath[] = R"([\s\S]*)";
  auto handler = [&](const httplib::Request& req, httplib::Response& res) {
    Serve(facade, req, req.body, res);
  };
  // Methods with a body read it through a ContentReader: httplib's own
  // reading refuses form bodies over 8 KiB
  // (CPPHTTPLIB_FORM_URL_ENCODED_PAYLOAD_MAX_LENGTH, compiled into Debian's
  // libcpp-httplib), and a 16 KiB Attributes is 48 KiB once encoded.
  const size_t max_payload_bytes = flags.extensions ? kMaxExtensionsPayloadBytes : kMaxPayloadBytes;
  auto body_handler = [&](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& read) {
    std::string body;
    bool too_large = false;
    bool ok = read([&](const char* data, size_t size) {
      if (body.size() + size > max_payload_bytes) {
        too_large = true;
        return false;
      }
      body.append(data, size);
      return true;
    });
    if (!ok) {  // httplib has set 413 or 400; the error handler adds a body
      if (too_large) res.status = 413;
      if (res.status < 400) res.status = 400;
      return;
    }
    Serve(facade, req, std::move(body), res);
  };
  server.Get(kAnyPath, handler);  // GET and HEAD (httplib routes HEAD here)
  server.Post(kAnyPath, body_handler);
  server.Put(kAnyPath, body_handler);
  server.Patch(kAnyPath, body_handler);
  server.Delete(kAnyPath, body_handler);
  server.Options(kAnyPath, handler);
  ConfigureHandling(server, auth, flags.log_requests, max_payload_bytes);

  std::atomic<bool> listen_returned{false};
  std::thread stopper([&server, &listen_returned, stop_signals] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    // stop() does nothing before listen_after_bind runs: wait for that (or
    // for it to have failed), then stop once.
    while (!listen_returned.load() && !server.is_running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    server.stop();
  });

  std::printf("listening on %s\n", origin.c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "userstore-http: base URL %s, Conversations base URL %s, account %s%s%s\n",
               (*store)->options().base_url.c_str(),
               (*store)->options().conversations_base_url.c_str(),
               (*store)->options().account_sid.c_str(),
               facade_options.auto_create_services ? ", Services created on first use" : "",
               facade_options.enable_extensions ? ", extensions on" : "");
  bool ok = server.listen_after_bind();
  listen_returned.store(true);
  if (!ok) {
    std::fprintf(stderr, "userstore-http: the server failed\n");
    kill(getpid(), SIGTERM);  // wake the stopper (the signal is blocked)
  }
  stopper.join();
  if (sender != nullptr) sender->Stop();  // before the Store closes
  return ok ? 0 : 1;
}

const char* GetEnv(const char* name) { return std::getenv(name); }

}  // namespace
}  // namespace userstore_http

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up is not fatal
  std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<userstore_http::HostFlags> flags =
      userstore_http::ParseHostFlags(args, userstore_http::GetEnv);
  if (!flags.ok()) {
    std::fprintf(stderr, "userstore-http: %s\n\n%s", std::string(flags.status().message()).c_str(),
                 userstore_http::HostUsage().c_str());
    return 2;
  }
  if (flags->help) {
    std::fputs(userstore_http::HostUsage().c_str(), stdout);
    return 0;
  }
  if (flags->version) {
    std::printf("userstore-http %s\n", USERSTORE_VERSION);
    return 0;
  }
  return userstore_http::Run(*flags);
}
