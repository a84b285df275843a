// What userstore-http (main.cc) and userstore-http-ceiling (ceiling_server.cc)
// share: the socket options, the Basic auth check before routing, the Twilio
// error bodies for httplib's own errors, the request log and the limits. A
// ceiling measurement (docs/benchmarks.md, "HTTP host throughput (wrk)") then
// differs from the host by the request handler alone.
//
// Thread-safety: configure before listening; the handlers installed are
// thread-safe as long as `auth` outlives the server.
#ifndef USERSTORE_EXAMPLES_HTTP_SERVER_HOST_SERVER_H_
#define USERSTORE_EXAMPLES_HTTP_SERVER_HOST_SERVER_H_

#include <cstddef>
#include <string>

#include "basic_auth.h"
#include "guarded_server.h"
#include "httplib.h"

namespace userstore_http {

inline constexpr char kJsonContentType[] = "application/json; charset=utf-8";

// The largest body the host reads. The facade's own limit (64 KiB) is lower,
// so a body between the two gets the facade's Twilio 400; a larger one a 413.
inline constexpr size_t kMaxPayloadBytes = 1 << 20;
// The same with --extensions: a batch upsert (X-Userstore-Batch) may take up
// to 8 MiB (the facade's kMaxBatchBodyBytes, docs/rest.md "Request
// bounds"); 9 MiB lets the facade answer a body just over it with its 400.
inline constexpr size_t kMaxExtensionsPayloadBytes = 9 << 20;

// Before binding: TCP_NODELAY (httplib writes a response's headers and body
// separately: without it, Nagle's algorithm and the client's delayed ACK
// hold the body back ~40 ms), and SO_REUSEADDR alone (httplib's default
// also sets SO_REUSEPORT, which lets a second host bind the same port and
// silently take half the connections).
void ConfigureSocket(GuardedServer& server);

// Binds `host`:`port` (0: any free port) and listens with a backlog of
// SOMAXCONN (GuardedServer::SetListenBacklog). Returns the port, or -1
// (after a "cannot bind" line on stderr naming `program`).
int Bind(GuardedServer& server, const std::string& host, int port, const char* program);

// "HOST:PORT", with an IPv6 host in brackets.
std::string Authority(const std::string& host, int port);

// Installs, on a server that has not started listening:
//  - the pre-routing handler: a request without `auth`'s credentials is
//    answered 401 (Twilio's body) from its headers alone and its connection
//    closed (after draining, bounded, a body the client still sends);
//  - the error handler: httplib's own errors (400, 404, 408 after the
//    request deadline, 413, 414, ...) get a Twilio error body;
//  - with `log_requests`, one log line per request on stderr (LogRequest);
//  - the body limit (`max_payload_bytes`) and 1000 requests per keep-alive
//    connection.
void ConfigureHandling(GuardedServer& server, const BasicAuth& auth, bool log_requests,
                       size_t max_payload_bytes = kMaxPayloadBytes);

}  // namespace userstore_http

#endif  // USERSTORE_EXAMPLES_HTTP_SERVER_HOST_SERVER_H_
