// Plain TCP on Winsock (ws2_32): the Transport (export/transport.hpp) under
// http:// endpoints on Windows, the counterpart of socket_posix.hpp.
// Non-blocking sockets and WSAPoll keep every step within the deadline; names
// resolve off the flusher (resolver.hpp). Link ws2_32 (the CMake target does;
// MSVC also through the #pragma below).
#pragma once

#include "../config.hpp"
#include "../export/transport.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <string>

#include <winsock2.h>
#include <ws2tcpip.h>

#include "resolver.hpp"
#include "windows.hpp"

#if defined(_MSC_VER)
#pragma comment(lib, "ws2_32.lib")
#endif

namespace trail::detail {

namespace winsock {

// The message of a Winsock error code, without its trailing CR LF.
inline std::string error_text(int err) {
  char buffer[256];
  DWORD n = ::FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
                             static_cast<DWORD>(err), 0, buffer, sizeof buffer, nullptr);
  while (n > 0 && (buffer[n - 1] == '\r' || buffer[n - 1] == '\n' || buffer[n - 1] == ' ' || buffer[n - 1] == '.'))
    --n;
  return n > 0 ? std::string(buffer, n) + " (" + std::to_string(err) + ")" : "Winsock error " + std::to_string(err);
}

// WSAStartup once per process (reference counted by Winsock; never undone,
// so that a flusher still running at exit keeps working sockets).
inline bool started() noexcept {
  static const bool ok = [] {
    WSADATA data;
    return ::WSAStartup(MAKEWORD(2, 2), &data) == 0;
  }();
  return ok;
}

// Waits for `events` on s. 1: ready (or an error to be read), 0: deadline passed, -1: poll failed.
inline int poll_until(SOCKET s, short events, TransportDeadline deadline) noexcept {
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return 0;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    WSAPOLLFD p{s, events, 0};
    const int r = ::WSAPoll(&p, 1, static_cast<INT>(std::min<long long>(ms, INT_MAX)));
    if (r > 0) return 1;
    if (r < 0) return -1;
  }
}

// getaddrinfo's signature; tests may put a resolver that never answers here.
using Resolver = int(WSAAPI*)(const char*, const char*, const addrinfo*, addrinfo**);

inline std::string resolve_error_text(int rc, int) { return error_text(rc); }

}  // namespace winsock

class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(winsock::Resolver resolver = ::getaddrinfo) noexcept
      : resolver_(resolver, winsock::resolve_error_text) {}
  ~TcpTransport() override { close(); }
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  TransportStatus connect(const std::string& host, std::uint16_t port, TransportDeadline deadline,
                          std::string& error) noexcept override {
    close();
    TRAIL_TRY {
      if (!winsock::started()) {
        error = "cannot connect: Winsock did not start";
        return TransportStatus::failed;
      }
      return connect_impl(host, port, deadline, error);
    }
    TRAIL_CATCH_ALL {  // bad_alloc, or no thread for the lookup
      error = "cannot connect: out of memory or no thread for name resolution";
    }
    return TransportStatus::failed;
  }

  TransportStatus write(const ConstBuffer* buffers, std::size_t count, TransportDeadline deadline,
                        std::string& error) noexcept override {
    constexpr std::size_t max_bufs = 16;
    WSABUF bufs[max_bufs];
    std::size_t first = 0, offset = 0;  // the next byte: buffers[first].data + offset
    for (;;) {
      while (first < count && offset == buffers[first].size) {
        ++first;
        offset = 0;
      }
      if (first == count) return TransportStatus::ok;
      std::size_t n_bufs = 0;
      for (std::size_t i = first; i < count && n_bufs < max_bufs; ++i) {
        const std::size_t skip = i == first ? offset : 0;
        // WSABUF lengths are 32-bit: a longer buffer goes out in several sends.
        const std::size_t len = std::min<std::size_t>(buffers[i].size - skip, 1u << 30);
        bufs[n_bufs++] = {static_cast<ULONG>(len), const_cast<char*>(static_cast<const char*>(buffers[i].data)) + skip};
        if (len != buffers[i].size - skip) break;
      }
      DWORD n = 0;
      if (::WSASend(socket_, bufs, static_cast<DWORD>(n_bufs), &n, 0, nullptr, nullptr) != 0) {
        const int err = ::WSAGetLastError();
        if (err == WSAEINTR) continue;
        if (err == WSAEWOULDBLOCK) {
          const int ready = winsock::poll_until(socket_, POLLWRNORM, deadline);
          if (ready == 0) return TransportStatus::timeout;
          if (ready < 0) return fail(error, "poll failed: " + winsock::error_text(::WSAGetLastError()));
          continue;
        }
        if (err == WSAESHUTDOWN || err == WSAENOTCONN) return TransportStatus::eof;
        if (err == WSAECONNRESET || err == WSAECONNABORTED) return TransportStatus::reset;
        return fail(error, "send failed: " + winsock::error_text(err));
      }
      std::size_t sent = n;
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
    const int want = static_cast<int>(std::min<std::size_t>(capacity, INT_MAX));
    for (;;) {
      const int n = ::recv(socket_, static_cast<char*>(data), want, 0);
      if (n > 0) {
        received = static_cast<std::size_t>(n);
        return TransportStatus::ok;
      }
      if (n == 0) return TransportStatus::eof;
      const int err = ::WSAGetLastError();
      if (err == WSAEINTR) continue;
      if (err == WSAEWOULDBLOCK) {
        const int ready = winsock::poll_until(socket_, POLLRDNORM, deadline);
        if (ready == 0) return TransportStatus::timeout;
        if (ready < 0) return fail(error, "poll failed: " + winsock::error_text(::WSAGetLastError()));
        continue;
      }
      if (err == WSAECONNRESET || err == WSAECONNABORTED) return TransportStatus::reset;
      return fail(error, "recv failed: " + winsock::error_text(err));
    }
  }

  // An idle connection with anything to read has been closed by the server
  // (or holds stray bytes): either way, do not send on it.
  bool idle_usable() noexcept override {
    if (socket_ == INVALID_SOCKET) return false;
    WSAPOLLFD p{socket_, POLLRDNORM, 0};
    return ::WSAPoll(&p, 1, 0) == 0;
  }

  void close() noexcept override {
    if (socket_ != INVALID_SOCKET) ::closesocket(socket_);
    socket_ = INVALID_SOCKET;
  }

 private:
  static TransportStatus fail(std::string& error, std::string message) noexcept {
    TRAIL_TRY { error = std::move(message); }
    TRAIL_CATCH_ALL {}
    return TransportStatus::failed;
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
      // Not inherited by child processes (the POSIX side's FD_CLOEXEC).
      const SOCKET s = ::WSASocketW(ai->ai_family, ai->ai_socktype, ai->ai_protocol, nullptr, 0,
                                    WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
      if (s == INVALID_SOCKET) {
        last = winsock::error_text(::WSAGetLastError());
        all_refused = false;
        continue;
      }
      u_long non_blocking = 1;
      ::ioctlsocket(s, FIONBIO, &non_blocking);
      const BOOL one = TRUE;
      ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one), sizeof one);
      int err = 0;
      if (::connect(s, ai->ai_addr, static_cast<int>(ai->ai_addrlen)) != 0) {
        err = ::WSAGetLastError();
        if (err == WSAEWOULDBLOCK || err == WSAEINPROGRESS || err == WSAEINTR) {
          const int ready = winsock::poll_until(s, POLLWRNORM, deadline);
          if (ready == 0) {
            ::closesocket(s);
            error = "timed out connecting to " + where;
            return TransportStatus::timeout;
          }
          // A refused connection shows as POLLERR / POLLHUP; SO_ERROR says why.
          int so_error = 0;
          int len = sizeof so_error;
          if (ready < 0) err = ::WSAGetLastError();
          else if (::getsockopt(s, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&so_error), &len) != 0)
            err = ::WSAGetLastError();
          else err = so_error;
        }
      }
      if (err != 0) {
        ::closesocket(s);
        last = winsock::error_text(err);
        if (err != WSAECONNREFUSED) all_refused = false;
        continue;
      }
      socket_ = s;
      return TransportStatus::ok;
    }
    error = "cannot connect to " + where + ": " + last;
    return all_refused && found != nullptr ? TransportStatus::refused : TransportStatus::failed;
  }

  HostResolver<winsock::Resolver> resolver_;
  SOCKET socket_ = INVALID_SOCKET;
};

}  // namespace trail::detail
