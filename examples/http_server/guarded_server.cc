#include "guarded_server.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "userstore/userstore.h"

namespace userstore_http {
namespace {

using Clock = std::chrono::steady_clock;

thread_local ConnectionState* current_connection = nullptr;

// Twilio's code for 503 Service Unavailable.
constexpr int kServiceUnavailable = 20503;

// Waits up to `wait` for `events` on `sock`; true when they (or an error or
// hang-up, which the following recv / send reports) happened.
bool Poll(socket_t sock, short events, Clock::duration wait) {
  const Clock::time_point until = Clock::now() + wait;
  while (true) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
    pollfd fd{sock, events, 0};
    int n = poll(&fd, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (n > 0) return true;
    if (n == 0 || errno != EINTR) return false;
  }
}

// The numeric address and port of the peer (`peer`) or of this end.
bool SocketAddress(socket_t sock, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr;
  socklen_t len = sizeof(addr);
  sockaddr* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((peer ? getpeername(sock, sa, &len) : getsockname(sock, sa, &len)) != 0) return false;
  std::array<char, NI_MAXHOST> host;
  std::array<char, NI_MAXSERV> service;
  if (getnameinfo(sa, len, host.data(), host.size(), service.data(), service.size(),
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return false;
  }
  ip = host.data();
  port = std::atoi(service.data());
  return true;
}

// httplib's SocketStream, with reads bounded by a deadline: each read waits
// for data at most min(read timeout, time left before the deadline), so a
// request must arrive whole by the deadline however its bytes trickle in.
// Small reads (httplib reads header lines byte by byte) are served from a
// buffer, which also keeps pipelined bytes for the next request.
//
// Fewer system calls than SocketStream, per request: the socket is read
// and written without a poll first (MSG_DONTWAIT; poll only when it would
// block), the peer's and this end's addresses are looked up once per
// connection, and a write is held until the next one or the end of the
// request (Flush), so that httplib's header block and body go out in one
// sendmsg and one TCP segment instead of two.
class DeadlineStream final : public httplib::Stream {
 public:
  DeadlineStream(socket_t sock, std::string remote_ip, int remote_port,
                 Clock::duration read_timeout, Clock::duration write_timeout,
                 ConnectionState* state)
      : sock_(sock),
        remote_ip_(std::move(remote_ip)),
        remote_port_(remote_port),
        read_timeout_(read_timeout),
        write_timeout_(write_timeout),
        state_(state) {}

  void StartRequest(Clock::duration timeout) { deadline_ = Clock::now() + timeout; }
  bool HasBuffered() const { return begin_ < end_; }

  bool is_readable() const override { return HasBuffered() || WaitReadable(); }
  bool is_writable() const override { return Poll(sock_, POLLOUT, write_timeout_); }

  ssize_t read(char* ptr, size_t size) override {
    if (!HasBuffered()) {
      // A response part may be held (e.g. "100 Continue"): the client may
      // wait for it before sending more.
      if (!Flush()) return -1;
      if (size >= buffer_.size()) return Receive(ptr, size);
      ssize_t n = Receive(buffer_.data(), buffer_.size());
      if (n <= 0) return n;
      begin_ = 0;
      end_ = static_cast<size_t>(n);
    }
    size_t n = std::min(size, end_ - begin_);
    std::memcpy(ptr, buffer_.data() + begin_, n);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }

  // Holds a small write until the next write (sent together with it) or
  // Flush; a large one goes out at once, with what is held.
  ssize_t write(const char* ptr, size_t size) override {
    if (held_.empty() && size <= kHoldBytes) {
      held_.assign(ptr, size);
      return static_cast<ssize_t>(size);
    }
    bool ok = SendAll(held_.data(), held_.size(), ptr, size);
    held_.clear();
    return ok ? static_cast<ssize_t>(size) : -1;
  }

  // Sends what write() holds; false when the connection failed.
  bool Flush() {
    if (held_.empty()) return true;
    bool ok = SendAll(held_.data(), held_.size(), nullptr, 0);
    held_.clear();
    return ok;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = remote_ip_;
    port = remote_port_;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    if (!local_known_) {
      SocketAddress(sock_, false, local_ip_, local_port_);
      local_known_ = true;
    }
    ip = local_ip_;
    port = local_port_;
  }
  socket_t socket() const override { return sock_; }

 private:
  static constexpr size_t kHoldBytes = 16384;

  bool WaitReadable() const {
    Clock::duration left = deadline_ - Clock::now();
    if (left <= Clock::duration::zero()) {
      state_->deadline_passed = true;
      return false;
    }
    if (Poll(sock_, POLLIN, std::min(left, read_timeout_))) return true;
    if (left <= read_timeout_) state_->deadline_passed = true;
    return false;
  }

  // recv, waiting (WaitReadable) only when nothing is there yet; nothing is
  // read once the deadline has passed.
  ssize_t Receive(char* ptr, size_t size) {
    if (Clock::now() >= deadline_) {
      state_->deadline_passed = true;
      return -1;
    }
    while (true) {
      ssize_t n = recv(sock_, ptr, size, MSG_DONTWAIT);
      if (n >= 0) return n;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      if (!WaitReadable()) return -1;
    }
  }

  // Sends [a, a + a_size) then [b, b + b_size), waiting at most the write
  // timeout each time the socket's buffer is full.
  bool SendAll(const char* a, size_t a_size, const char* b, size_t b_size) {
    std::array<iovec, 2> iov{iovec{const_cast<char*>(a), a_size},
                             iovec{const_cast<char*>(b), b_size}};
    size_t first = a_size == 0 ? 1 : 0;
    while (first < iov.size() && iov[first].iov_len > 0) {
      msghdr msg{};
      msg.msg_iov = iov.data() + first;
      msg.msg_iovlen = iov.size() - first;
      ssize_t n = sendmsg(sock_, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
        if (!Poll(sock_, POLLOUT, write_timeout_)) return false;
        continue;
      }
      size_t sent = static_cast<size_t>(n);
      while (first < iov.size() && sent >= iov[first].iov_len) {
        sent -= iov[first].iov_len;
        ++first;
      }
      if (first < iov.size()) {
        iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + sent;
        iov[first].iov_len -= sent;
      }
    }
    return true;
  }

  const socket_t sock_;
  const std::string remote_ip_;
  const int remote_port_;
  const Clock::duration read_timeout_;
  const Clock::duration write_timeout_;
  ConnectionState* const state_;
  Clock::time_point deadline_ = Clock::time_point::max();
  std::array<char, 4096> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  std::string held_;  // a write not sent yet
  mutable bool local_known_ = false;
  mutable std::string local_ip_;
  mutable int local_port_ = -1;
};

// After a response sent before the request was read whole: stop sending,
// and read and drop what the client still sends (at most 1 MiB, for at most
// 1 s), so that closing does not reset the connection before the client
// has read the response.
void DrainAndClose(socket_t sock) {
  shutdown(sock, SHUT_WR);
  const Clock::time_point until = Clock::now() + std::chrono::seconds(1);
  std::array<char, 16384> sink;
  size_t drained = 0;
  while (drained < (1u << 20) && Poll(sock, POLLIN, until - Clock::now())) {
    ssize_t n = httplib::detail::read_socket(sock, sink.data(), sink.size(), 0);
    if (n <= 0) break;
    drained += static_cast<size_t>(n);
  }
}

// 503 and close, without reading anything: the connection is over a cap.
void Refuse(socket_t sock, const std::string& ip, int port) {
  static const std::string* const kResponse = [] {
    std::string body = userstore::ErrorJson(
        userstore::TwilioError(absl::StatusCode::kUnavailable, 503, kServiceUnavailable,
                               "Too many connections; retry later"));
    return new std::string(
        absl::StrCat("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
                     "Content-Type: application/json; charset=utf-8\r\nContent-Length: ",
                     body.size(), "\r\nRetry-After: 1\r\n\r\n", body));
  }();
  // Never blocks: a spare worker must stay free for the next refusal.
  httplib::detail::send_socket(sock, kResponse->data(), kResponse->size(),
                               MSG_DONTWAIT | MSG_NOSIGNAL);
  std::string line = absl::StrCat(userstore::FormatTwilioDate(absl::Now()), " ", ip, ":", port,
                                  " - 503 0 refused: too many connections\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

ConnectionState* ConnectionState::Current() { return current_connection; }

bool GuardedServer::Gate::Admit(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t& mine = per_address_[address];
  if (total_ >= limits_.max_connections || mine >= limits_.max_connections_per_address) {
    if (mine == 0) per_address_.erase(address);
    return false;
  }
  ++mine;
  ++total_;
  return true;
}

void GuardedServer::Gate::Release(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  --total_;
  auto it = per_address_.find(address);
  if (--it->second == 0) per_address_.erase(it);
}

GuardedServer::GuardedServer(ConnectionLimits limits) : limits_(std::move(limits)) {
  // httplib's own pool, with a worker for every admitted connection and a
  // few more that refuse the connections over a cap.
  new_task_queue = [threads = limits_.max_connections + kSpareWorkers] {
    return new httplib::ThreadPool(threads);
  };
}

bool GuardedServer::SetListenBacklog(int backlog) {
  return svr_sock_ != INVALID_SOCKET && ::listen(svr_sock_, backlog) == 0;
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  std::string ip;
  int port = -1;
  SocketAddress(sock, true, ip, port);
  bool ret = false;
  if (!gate_.Admit(ip)) {
    Refuse(sock, ip, port);
  } else {
    absl::Cleanup release = [this, &ip] { gate_.Release(ip); };
    ConnectionState state;
    current_connection = &state;
    absl::Cleanup forget = [] { current_connection = nullptr; };
    using std::chrono::microseconds;
    using std::chrono::seconds;
    DeadlineStream strm(sock, ip, port,
                        seconds(read_timeout_sec_) + microseconds(read_timeout_usec_),
                        seconds(write_timeout_sec_) + microseconds(write_timeout_usec_), &state);
    // httplib's keep-alive loop (process_server_socket_core): up to
    // keep_alive_max_count_ requests, each awaited for at most the
    // keep-alive timeout, polled in short slices to notice stop().
    auto wait_for_request = [&] {
      const Clock::time_point until = Clock::now() + seconds(keep_alive_timeout_sec_);
      while (svr_sock_ != INVALID_SOCKET) {
        if (strm.HasBuffered()) return true;
        Clock::duration left = until - Clock::now();
        if (left <= Clock::duration::zero()) return false;
        if (Poll(sock, POLLIN, std::min<Clock::duration>(left, std::chrono::milliseconds(100)))) {
          return true;
        }
      }
      return false;
    };
    for (size_t count = keep_alive_max_count_; count > 0 && wait_for_request(); --count) {
      strm.StartRequest(limits_.request_timeout);
      bool connection_closed = false;
      ret = process_request(strm, count == 1, connection_closed, nullptr);
      if (!strm.Flush()) ret = false;
      if (!ret || connection_closed || state.close_after_response || state.deadline_passed) {
        break;
      }
    }
    if (state.close_after_response && state.drain_before_close && !state.deadline_passed) {
      DrainAndClose(sock);
    }
  }
  shutdown(sock, SHUT_RDWR);
  httplib::detail::close_socket(sock);
  return ret;
}

}  // namespace userstore_http
