// GuardedServer: httplib::Server with the limits a host on an open network
// needs against slow and numerous clients (slowloris), which Debian 12's
// cpp-httplib 0.11 does not enforce by itself:
//
//  - a total deadline for reading a request (headers and body), counted
//    from its first byte. httplib has only a per-read timeout, so a client
//    sending one header line every few seconds holds a worker forever;
//  - a cap on open connections, overall and per client address. A worker
//    thread is reserved for every admitted connection (the thread pool,
//    httplib's own ThreadPool through `new_task_queue`, has max_connections
//    + kSpareWorkers threads), so connections within the caps never wait
//    for a worker held by others; a connection over a cap is answered 503
//    and closed at once by a spare worker.
//
// How: httplib calls the virtual process_and_close_socket() for each
// accepted socket on a worker. This class overrides it with httplib's own
// keep-alive loop around the protected Server::process_request(), giving it
// a DeadlineStream (an httplib::Stream whose reads wait at most until the
// request's deadline) instead of httplib's SocketStream. Everything else
// (parsing, routing, handlers, writing responses) is httplib's. The stream
// also makes fewer system calls than httplib's: no poll before a read or
// write that does not block, the peer's address looked up once per
// connection, and a response's header block and body sent in one sendmsg.
//
// Per connection, the handlers can reach ConnectionState::Current() (the
// connection is served by one thread, one request at a time): to know that
// the deadline passed (answer 408) or to close the connection after the
// response (a 401 sent before the body was read).
//
// Thread-safety: as httplib::Server.
#ifndef USERSTORE_EXAMPLES_HTTP_SERVER_GUARDED_SERVER_H_
#define USERSTORE_EXAMPLES_HTTP_SERVER_GUARDED_SERVER_H_

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "httplib.h"

namespace userstore_http {

struct ConnectionLimits {
  // Reading a request's headers and body must end this long after its first
  // byte arrived; past it the request gets 408 and the connection closes.
  std::chrono::milliseconds request_timeout{10000};
  size_t max_connections = 128;             // open connections, overall
  size_t max_connections_per_address = 32;  // from one client IP address
};

// What the handlers of a request may know about, and ask of, its connection.
struct ConnectionState {
  bool deadline_passed = false;  // a read failed because the deadline passed
  // Set by a handler: close the connection once the response is written.
  bool close_after_response = false;
  // With close_after_response: before closing, read and drop what the
  // client still sends (bounded), so that it gets the response rather than
  // a reset (a 401 answered before the request body was read).
  bool drain_before_close = false;

  // The state of the connection the calling thread serves; nullptr outside
  // GuardedServer's workers.
  static ConnectionState* Current();
};

class GuardedServer : public httplib::Server {
 public:
  static constexpr size_t kSpareWorkers = 4;

  explicit GuardedServer(ConnectionLimits limits);

  // After bind_to_port / bind_to_any_port: lets `backlog` connections wait
  // to be accepted (listen(2) again). httplib listens with a backlog of 5:
  // a burst of new connections (a load generator opening 64 at once) then
  // overflows the accept queue, and the kernel drops the excess handshakes,
  // which the clients retry after 1 s or more. False when not bound.
  bool SetListenBacklog(int backlog);

 private:
  // Counts open connections per client address; Admit is false over a cap.
  class Gate {
   public:
    explicit Gate(const ConnectionLimits& limits) : limits_(limits) {}
    bool Admit(const std::string& address);
    void Release(const std::string& address);

   private:
    const ConnectionLimits& limits_;
    // std::mutex, not absl::Mutex: ThreadSanitizer cannot see the locks of
    // Debian's (uninstrumented) Abseil and would report false races.
    std::mutex mu_;
    size_t total_ = 0;                                      // guarded by mu_
    absl::flat_hash_map<std::string, size_t> per_address_;  // guarded by mu_
  };

  bool process_and_close_socket(socket_t sock) override;

  const ConnectionLimits limits_;
  Gate gate_{limits_};
};

}  // namespace userstore_http

#endif  // USERSTORE_EXAMPLES_HTTP_SERVER_GUARDED_SERVER_H_
