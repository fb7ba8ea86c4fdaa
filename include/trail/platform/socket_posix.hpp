// Plain TCP on POSIX sockets: the Transport (export/transport.hpp) under
// http:// endpoints and under TLS. Non-blocking sockets and poll() keep every
// step within the deadline; names resolve off the flusher (resolver.hpp).
#pragma once

#include "../config.hpp"
#include "../export/transport.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "resolver.hpp"

namespace trail::detail {

namespace posix {

inline std::string errno_text(int err) { return std::strerror(err); }

// Waits for `events` on fd. 1: ready (or an error to be read), 0: deadline passed, -1: poll failed.
inline int poll_until(int fd, short events, TransportDeadline deadline) noexcept {
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return 0;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(ms, INT_MAX)));
    if (r > 0) return 1;
    if (r < 0 && errno != EINTR) return -1;
  }
}

// getaddrinfo's signature; tests put a resolver that never answers here.
using Resolver = int (*)(const char*, const char*, const addrinfo*, addrinfo**);

inline std::string resolve_error_text(int rc, int err) {
  return rc == EAI_SYSTEM ? errno_text(err) : ::gai_strerror(rc);
}

}  // namespace posix

class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(posix::Resolver resolver = ::getaddrinfo) noexcept
      : resolver_(resolver, posix::resolve_error_text) {}
  ~TcpTransport() override { close(); }
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  TransportStatus connect(const std::string& host, std::uint16_t port, TransportDeadline deadline,
                          std::string& error) noexcept override {
    close();
    TRAIL_TRY {
      return connect_impl(host, port, deadline, error);
    } TRAIL_CATCH_ALL {  // bad_alloc, or no thread for the lookup
      error = "cannot connect: out of memory or no thread for name resolution";
      return TransportStatus::failed;
    }
  }

  TransportStatus write(const ConstBuffer* buffers, std::size_t count, TransportDeadline deadline,
                        std::string& error) noexcept override {
#ifdef MSG_NOSIGNAL
    constexpr int flags = MSG_NOSIGNAL;
#else
    constexpr int flags = 0;
#endif
    constexpr std::size_t max_iov = 16;
    iovec iov[max_iov];
    std::size_t first = 0, offset = 0;  // the next byte: buffers[first].data + offset
    for (;;) {
      while (first < count && offset == buffers[first].size) {
        ++first;
        offset = 0;
      }
      if (first == count) return TransportStatus::ok;
      std::size_t n_iov = 0;
      for (std::size_t i = first; i < count && n_iov < max_iov; ++i) {
        const std::size_t skip = i == first ? offset : 0;
        iov[n_iov++] = {const_cast<char*>(static_cast<const char*>(buffers[i].data)) + skip, buffers[i].size - skip};
      }
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<decltype(msg.msg_iovlen)>(n_iov);
      const ssize_t n = ::sendmsg(fd_, &msg, flags);
      if (n < 0) {
        const int err = errno;
        if (err == EINTR) continue;
        if (err == EAGAIN || err == EWOULDBLOCK) {
          const TransportStatus ready = wait(POLLOUT, deadline, error);
          if (ready != TransportStatus::ok) return ready;
          continue;
        }
        if (err == EPIPE) return TransportStatus::eof;
        if (err == ECONNRESET) return TransportStatus::reset;
        return fail(error, "send failed: " + posix::errno_text(err));
      }
      auto sent = static_cast<std::size_t>(n);
      while (sent > 0) {
        const std::size_t step = std::min(sent, buffers[first].size - offset);
        offset += step;
        sent -= step;
        if (offset == buffers[first].size && sent > 0) {
          ++first;
          offset = 0;
        }
      }
    }
  }

  TransportStatus read(void* data, std::size_t capacity, std::size_t& received, TransportDeadline deadline,
                       std::string& error) noexcept override {
    received = 0;
    for (;;) {
      const ssize_t n = ::recv(fd_, data, capacity, 0);
      if (n > 0) {
        received = static_cast<std::size_t>(n);
        return TransportStatus::ok;
      }
      if (n == 0) return TransportStatus::eof;
      const int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) {
        const TransportStatus ready = wait(POLLIN, deadline, error);
        if (ready != TransportStatus::ok) return ready;
        continue;
      }
      if (err == ECONNRESET || err == EPIPE) return TransportStatus::reset;
      return fail(error, "recv failed: " + posix::errno_text(err));
    }
  }

  // An idle connection with anything to read has been closed by the server
  // (or holds stray bytes): either way, do not send on it.
  bool idle_usable() noexcept override {
    if (fd_ < 0) return false;
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
  }

  void close() noexcept override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  static TransportStatus fail(std::string& error, std::string message) noexcept {
    TRAIL_TRY {
      error = std::move(message);
    } TRAIL_CATCH_ALL {
    }
    return TransportStatus::failed;
  }

  // After EAGAIN: ok once the socket is ready for `events`.
  TransportStatus wait(short events, TransportDeadline deadline, std::string& error) noexcept {
    const int ready = posix::poll_until(fd_, events, deadline);
    if (ready > 0) return TransportStatus::ok;
    if (ready == 0) return TransportStatus::timeout;
    return fail(error, "poll failed: " + posix::errno_text(errno));
  }

  TransportStatus connect_impl(const std::string& host, std::uint16_t port, TransportDeadline deadline,
                               std::string& error) {
    const std::string where = host_port_text(host, port);
    AddrinfoPtr found;
    const TransportStatus resolved = resolver_.resolve(host, std::to_string(port), deadline, found, error);
    if (resolved != TransportStatus::ok) return resolved;

    std::string last = "no address";
    bool all_refused = true;  // refused: nothing listens at any of the addresses
    for (const addrinfo* ai = found.get(); ai != nullptr; ai = ai->ai_next) {
      const int fd = ::socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
      if (fd < 0) {
        last = posix::errno_text(errno);
        all_refused = false;
        continue;
      }
      const int one = 1;
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#ifdef SO_NOSIGPIPE
      ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
      int err = 0;
      if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        err = errno;
        if (err == EINPROGRESS || err == EINTR) {
          const int ready = posix::poll_until(fd, POLLOUT, deadline);
          if (ready == 0) {
            ::close(fd);
            error = "timed out connecting to " + where;
            return TransportStatus::timeout;
          }
          socklen_t len = sizeof err;
          if (ready < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        }
      }
      if (err != 0) {
        ::close(fd);
        last = posix::errno_text(err);
        if (err != ECONNREFUSED) all_refused = false;
        continue;
      }
      fd_ = fd;
      return TransportStatus::ok;
    }
    error = "cannot connect to " + where + ": " + last;
    return all_refused && found != nullptr ? TransportStatus::refused : TransportStatus::failed;
  }

  HostResolver<posix::Resolver> resolver_;
  int fd_ = -1;
};

}  // namespace trail::detail
