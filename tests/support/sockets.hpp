// Test-side BSD sockets on POSIX and Winsock alike, for the loopback test
// servers (the library's own socket code is in include/trail/platform/).
#pragma once

#include <cerrno>
#include <cstring>
#include <string>

#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace trail::test::net {

#if defined(_WIN32)
using socket_t = SOCKET;
inline const socket_t no_socket = INVALID_SOCKET;
constexpr int send_flags = 0;
constexpr int shut_write = SD_SEND;
inline bool started() {
  static const bool ok = [] {
    WSADATA data;
    return ::WSAStartup(MAKEWORD(2, 2), &data) == 0;
  }();
  return ok;
}
inline int poll(pollfd* fds, unsigned long n, int ms) { return ::WSAPoll(fds, n, ms); }
inline void close(socket_t s) { ::closesocket(s); }
inline void set_nonblocking(socket_t s) {
  u_long one = 1;
  ::ioctlsocket(s, FIONBIO, &one);
}
inline int last_error() { return ::WSAGetLastError(); }
inline bool would_block(int err) { return err == WSAEWOULDBLOCK; }
inline bool interrupted(int err) { return err == WSAEINTR; }
inline std::string error_text(int err) { return "Winsock error " + std::to_string(err); }
// wine's ntdll exports wine_get_version; Windows' does not.
inline bool under_wine() {
  const HMODULE ntdll = ::GetModuleHandleA("ntdll.dll");
  return ntdll != nullptr && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}
#else
using socket_t = int;
constexpr socket_t no_socket = -1;
#if defined(MSG_NOSIGNAL)
constexpr int send_flags = MSG_NOSIGNAL;
#else
constexpr int send_flags = 0;
#endif
constexpr int shut_write = SHUT_WR;
inline bool started() { return true; }
inline int poll(pollfd* fds, unsigned long n, int ms) { return ::poll(fds, static_cast<nfds_t>(n), ms); }
inline void close(socket_t s) { ::close(s); }
inline void set_nonblocking(socket_t s) {
  ::fcntl(s, F_SETFD, FD_CLOEXEC);
  ::fcntl(s, F_SETFL, ::fcntl(s, F_GETFL) | O_NONBLOCK);
#if defined(SO_NOSIGPIPE)
  const int one = 1;
  ::setsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
}
inline int last_error() { return errno; }
inline bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK; }
inline bool interrupted(int err) { return err == EINTR; }
inline std::string error_text(int err) { return std::strerror(err); }
inline bool under_wine() { return false; }
#endif

inline socket_t open_tcp(int family) { return started() ? ::socket(family, SOCK_STREAM, 0) : no_socket; }

}  // namespace trail::test::net
