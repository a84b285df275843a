// userstore-http-ceiling: the throughput ceiling of userstore-http. The same
// cpp-httplib server as the host (GuardedServer, the same socket options,
// Basic auth check, error handler, request log and limits: host_server.h),
// whose one handler answers every GET (and HEAD) with a constant body read
// from a file, instead of asking the REST facade. Given the bytes of a real
// response, the difference between the two is what the facade, and the
// host's forwarding to it, cost (docs/benchmarks.md, "HTTP host throughput
// (wrk)"; scripts/bench-http.sh runs both).
//
//   userstore-http-ceiling --body-file FILE [--content-type TYPE]
//                          [the host's flags: --host, --port, --log,
//                           --max-connections..., credentials]
//
// The host's flags mean the same here (--service and --role are accepted
// and ignored; --data-dir is refused). Prints "listening on http://ADDR:PORT"
// as the host does; SIGTERM ends it.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "basic_auth.h"
#include "guarded_server.h"
#include "host_flags.h"
#include "host_server.h"
#include "httplib.h"

namespace userstore_http {
namespace {

constexpr char kProgram[] = "userstore-http-ceiling";

int Run(const HostFlags& flags, const std::string& body, const std::string& content_type) {
  ConnectionLimits limits;
  limits.request_timeout = std::chrono::seconds(flags.request_timeout_seconds);
  limits.max_connections = static_cast<size_t>(flags.max_connections);
  limits.max_connections_per_address = static_cast<size_t>(flags.max_connections_per_address);
  GuardedServer server(limits);
  ConfigureSocket(server);
  const int port = Bind(server, flags.host, flags.port, kProgram);
  if (port < 0) return 1;
  BasicAuth auth(flags.account_sid, flags.auth_token);
  server.Get(R"([\s\S]*)", [&body, &content_type](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    res.set_content(body, content_type);
  });
  ConfigureHandling(server, auth, flags.log_requests);
  std::printf("listening on http://%s\n", Authority(flags.host, port).c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "%s: %zu-byte body\n", kProgram, body.size());
  return server.listen_after_bind() ? 0 : 1;
}

const char* GetEnv(const char* name) { return std::getenv(name); }

}  // namespace
}  // namespace userstore_http

int main(int argc, char** argv) {
  using userstore_http::kProgram;
  signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> host_args;
  std::string body_file;
  std::string content_type = userstore_http::kJsonContentType;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string* own = arg == "--body-file"      ? &body_file
                       : arg == "--content-type" ? &content_type
                                                 : nullptr;
    if (own == nullptr) {
      host_args.push_back(std::move(arg));
    } else if (i + 1 < argc) {
      *own = argv[++i];
    } else {
      std::fprintf(stderr, "%s: %s needs a value\n", kProgram, arg.c_str());
      return 2;
    }
  }
  absl::StatusOr<userstore_http::HostFlags> flags =
      userstore_http::ParseHostFlags(host_args, userstore_http::GetEnv);
  if (!flags.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, std::string(flags.status().message()).c_str());
    return 2;
  }
  if (flags->help || flags->version || body_file.empty() || !flags->data_dir.empty() ||
      !flags->postgres.empty()) {
    std::fprintf(stderr,
                 "usage: %s --body-file FILE [--content-type TYPE] [userstore-http's flags, "
                 "but --data-dir and --postgres]\n",
                 kProgram);
    return flags->help ? 0 : 2;
  }
  std::ifstream in(body_file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot read %s\n", kProgram, body_file.c_str());
    return 2;
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  return userstore_http::Run(*flags, contents.str(), content_type);
}
