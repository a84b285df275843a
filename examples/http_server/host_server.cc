#include "host_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "userstore/userstore.h"

namespace userstore_http {
namespace {

// Twilio's answer to a missing or wrong credential.
void Unauthorized(httplib::Response& res) {
  res.status = 401;
  res.set_header("WWW-Authenticate", "Basic realm=\"Twilio API\"");
  res.set_content(userstore::ErrorJson(userstore::TwilioError(
                      absl::StatusCode::kUnauthenticated, 401,
                      userstore::twilio_code::kAuthenticationFailed, "Authenticate")),
                  kJsonContentType);
}

// Errors httplib produces itself (malformed request line, URI over 8 KiB,
// body over kMaxPayloadBytes, unsupported method, and a request not read
// whole by its deadline, which httplib sees as a malformed one and this
// turns into 408) get a Twilio error body too. Responses that already have
// a body (the facade's, a 401) are left alone.
httplib::Server::HandlerResponse HttplibError(const httplib::Request&, httplib::Response& res) {
  if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
  if (ConnectionState* connection = ConnectionState::Current();
      connection != nullptr && connection->deadline_passed) {
    res.status = 408;
    res.set_header("Connection", "close");
    connection->close_after_response = true;
  }
  int code = userstore::twilio_code::kInvalidParameter;
  std::string message = absl::StrCat("HTTP error ", res.status);
  switch (res.status) {
    case 400:
      message = "Bad request";
      break;
    case 404:
      code = userstore::twilio_code::kNotFound;
      message = "The requested resource was not found";
      break;
    case 408:
      message = "Request timeout: the request did not arrive in time";
      break;
    case 413:
      message = "Request body too large";
      break;
    case 414:
      message = "Request target too long";
      break;
  }
  res.set_content(userstore::ErrorJson(userstore::TwilioError(absl::StatusCode::kInvalidArgument,
                                                              res.status, code, message)),
                  kJsonContentType);
  return httplib::Server::HandlerResponse::Handled;
}

// Start of the request the current worker thread is serving (set by the
// pre-routing handler, read by the logger; each connection is served by one
// thread, one request at a time).
thread_local std::optional<std::chrono::steady_clock::time_point> request_start;

// The log line's time: FormatTwilioDate of now, formatted again only when
// the second changes (per thread).
const std::string& LogDate() {
  thread_local int64_t second = std::numeric_limits<int64_t>::min();
  thread_local std::string text;
  const absl::Time now = absl::Now();
  if (const int64_t s = absl::ToUnixSeconds(now); s != second) {
    text = userstore::FormatTwilioDate(now);
    second = s;
  }
  return text;
}

// Appends absl::CHexEscape(`bytes`), without a copy when nothing needs
// escaping (printable ASCII other than ", ' and \).
void AppendEscaped(std::string& out, std::string_view bytes) {
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e || c == '"' || c == '\'' || c == '\\') {
      out += absl::CHexEscape(absl::string_view(bytes.data(), bytes.size()));
      return;
    }
  }
  out += bytes;
}

// One line per request on stderr, written with a single write(2) so that
// lines of concurrent requests do not interleave:
//   2016-03-24T21:05:19Z 127.0.0.1:53124 "GET /v2/Services/IS.../Users HTTP/1.1" 200 1024 0.31ms
void LogRequest(const httplib::Request& req, const httplib::Response& res) {
  std::string line;
  line.reserve(128 + req.target.size());
  line += LogDate();
  line += ' ';
  // A request httplib could not parse has no method, target or peer. Every
  // byte that came from the client is C-escaped (\x1b, \r, \", \\, \x7f,
  // bytes >= 0x80 as \xNN): a request target cannot write terminal escape
  // sequences, a second line or an unbalanced quote into the log.
  if (req.remote_addr.empty()) {
    line += '-';
  } else {
    AppendEscaped(line, req.remote_addr);
    absl::StrAppend(&line, ":", req.remote_port);
  }
  line += ' ';
  if (req.method.empty()) {
    line += '-';
  } else {
    line += '"';
    AppendEscaped(line, req.method);
    line += ' ';
    AppendEscaped(line, req.target);
    line += ' ';
    AppendEscaped(line, req.version);
    line += '"';
  }
  absl::StrAppend(&line, " ", res.status, " ",
                  req.method == "HEAD" ? 0 : res.body.size(),  // sent
                  " ");
  if (request_start.has_value()) {
    // Milliseconds with two decimals, rounded.
    const int64_t centi = (std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now() - *request_start)
                               .count() +
                           5000) /
                          10000;
    absl::StrAppend(&line, centi / 100, ".", centi % 100 < 10 ? "0" : "", centi % 100, "ms\n");
    request_start.reset();
  } else {
    line += "-\n";
  }
  // stderr is unbuffered: this is what fwrite would do, without its lock.
  for (size_t done = 0; done < line.size();) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::string Authority(const std::string& host, int port) {
  bool ipv6 = host.find(':') != std::string::npos;
  return absl::StrCat(ipv6 ? "[" : "", host, ipv6 ? "]" : "", ":", port);
}

void ConfigureSocket(GuardedServer& server) {
  server.set_tcp_nodelay(true);
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
}

int Bind(GuardedServer& server, const std::string& host, int port, const char* program) {
  if (port == 0) {
    port = server.bind_to_any_port(host);
    if (port < 0) {
      std::fprintf(stderr, "%s: cannot bind %s\n", program, host.c_str());
      return -1;
    }
  } else if (!server.bind_to_port(host, port)) {
    std::fprintf(stderr, "%s: cannot bind %s\n", program, Authority(host, port).c_str());
    return -1;
  }
  server.SetListenBacklog(SOMAXCONN);
  return port;
}

void ConfigureHandling(GuardedServer& server, const BasicAuth& auth, bool log_requests,
                       size_t max_payload_bytes) {
  // Runs once the headers are in, before any body is read: a request
  // without the right credentials is answered 401 at once, without waiting
  // for or buffering its body, and its connection is closed (a request with
  // a body after draining what the client still sends, bounded, so that
  // the client reads the 401 rather than a reset).
  server.set_pre_routing_handler(
      [&auth, log_requests](const httplib::Request& req, httplib::Response& res) {
        if (log_requests) request_start = std::chrono::steady_clock::now();
        if (auth.Check(req.get_header_value("Authorization"))) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        Unauthorized(res);
        const bool has_body =
            req.has_header("Transfer-Encoding") ||
            (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0");
        // Always closed: a client without credentials must not keep a
        // connection slot (the caps of --max-connections*) with cheap
        // requests.
        if (ConnectionState* connection = ConnectionState::Current(); connection != nullptr) {
          res.set_header("Connection", "close");
          connection->close_after_response = true;
          connection->drain_before_close = has_body;
        }
        return httplib::Server::HandlerResponse::Handled;
      });
  server.set_error_handler(httplib::Server::HandlerWithResponse(HttplibError));
  if (log_requests) server.set_logger(LogRequest);
  server.set_payload_max_length(max_payload_bytes);
  server.set_keep_alive_max_count(1000);
}

}  // namespace userstore_http
