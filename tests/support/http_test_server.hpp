// A loopback HTTP/1.1 server for trail's tests (test support, not part of the library).
//
// It runs on its own thread, bound to 127.0.0.1 (or ::1) on a port the kernel picks,
// and serves keep-alive connections one at a time, in accept order. Every request is
// recorded (method, target, headers, body, raw head, connection number) and answered
// by a scriptable handler, called on the server thread:
//
//   using namespace trail::test;
//   HttpTestServer server([](const Request& req) {
//     if (req.target != "/v1/traces") return Reply::with_status(404);
//     return Reply::ok("{}");                       // 200, Content-Length framing
//   });
//   REQUIRE(server.ok());                           // else server.error() says why
//   ... POST to server.url("/v1/traces") ...
//   REQUIRE(server.wait_for_requests(1, std::chrono::seconds(5)));
//   CHECK(server.requests()[0].body == ...);
//
// Replies can also: use chunked encoding (`chunked`, `chunk_size`), wait before
// answering (`delay`), ask to close (`close`, sends "Connection: close"), close
// without saying so after answering (`close_silently`, like an idle timeout), close
// without answering (`Reply::hang_up()`), close after N bytes of the response
// (`truncate_at`), or send hand-made or garbage bytes (`Reply::raw(bytes)`).
//
// Limits: request bodies must use Content-Length (no chunked requests); a request
// head is at most 1 MiB. Every wait on the server thread polls in short slices, so
// stop() (and the destructor) join within ~50 ms unless a handler itself blocks.
// With ServerOptions::keep_requests = false only the count is kept (for benchmarks).
#pragma once

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "sockets.hpp"

namespace trail::test {

struct Header {
  std::string name, value;
};

inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

struct Request {
  std::string method, target, version;
  std::vector<Header> headers;
  std::string body;
  std::string head;    // request line and headers exactly as received, through the empty line
  int connection = 0;  // 1 for the first accepted connection, 2 for the next, ...

  // First header with this name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const {
    for (const Header& h : headers)
      if (iequals(h.name, name)) return &h.value;
    return nullptr;
  }
};

struct Reply {
  enum class Kind { respond, hang_up, raw };
  Kind kind = Kind::respond;
  int status = 200;
  std::vector<Header> headers;   // extra headers; framing headers are added by the server
  std::string body;
  bool chunked = false;          // Transfer-Encoding: chunked instead of Content-Length
  std::size_t chunk_size = 0;    // bytes per chunk; 0: the whole body in one chunk
  bool close = false;            // send "Connection: close", then close
  bool close_silently = false;   // close after the reply without announcing it
  std::size_t truncate_at = std::string::npos;  // send only this many bytes of the reply, then close
  std::chrono::milliseconds delay{0};           // wait this long before answering (or hanging up)
  std::string raw_bytes;         // Kind::raw: sent as is

  static Reply ok(std::string body = {}, std::string content_type = "application/json") {
    Reply r;
    r.body = std::move(body);
    r.headers.push_back({"Content-Type", std::move(content_type)});
    return r;
  }
  static Reply with_status(int status, std::string body = {}) {
    Reply r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  static Reply hang_up() {
    Reply r;
    r.kind = Kind::hang_up;
    return r;
  }
  // Hand-made bytes; by default the connection closes after them, which also ends
  // a response framed by "read until close".
  static Reply raw(std::string bytes, bool then_close = true) {
    Reply r;
    r.kind = Kind::raw;
    r.raw_bytes = std::move(bytes);
    r.close_silently = then_close;
    return r;
  }

  // The bytes a Kind::respond reply puts on the wire.
  std::string encode() const {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
    for (const Header& h : headers) out += h.name + ": " + h.value + "\r\n";
    out += chunked ? std::string("Transfer-Encoding: chunked\r\n") : "Content-Length: " + std::to_string(body.size()) + "\r\n";
    if (close) out += "Connection: close\r\n";
    out += "\r\n";
    if (!chunked) return out + body;
    const std::size_t step = chunk_size == 0 ? std::max<std::size_t>(body.size(), 1) : chunk_size;
    for (std::size_t at = 0; at < body.size(); at += step) {
      const std::size_t n = std::min(step, body.size() - at);
      char size[32];
      std::snprintf(size, sizeof size, "%zx\r\n", n);
      out += size;
      out.append(body, at, n);
      out += "\r\n";
    }
    return out + "0\r\n\r\n";
  }

  static const char* reason(int status) {
    switch (status) {
      case 100: return "Continue";
      case 200: return "OK";
      case 204: return "No Content";
      case 400: return "Bad Request";
      case 404: return "Not Found";
      case 413: return "Payload Too Large";
      case 429: return "Too Many Requests";
      case 500: return "Internal Server Error";
      case 502: return "Bad Gateway";
      case 503: return "Service Unavailable";
      case 504: return "Gateway Timeout";
      default: return "Status";
    }
  }
};

struct ServerOptions {
  bool ipv6 = false;          // bind ::1 instead of 127.0.0.1
  bool keep_requests = true;  // false: count requests only
};

class HttpTestServer {
 public:
  using Handler = std::function<Reply(const Request&)>;
  using Options = ServerOptions;

  explicit HttpTestServer(Handler handler = nullptr, Options options = {})
      : handler_(std::move(handler)), options_(options) {
    if (!listen_on_loopback()) return;
    thread_ = std::thread([this] { run(); });
  }
  ~HttpTestServer() { stop(); }
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  bool ok() const { return port_ != 0; }
  const std::string& error() const { return error_; }
  std::uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT/path" (or "http://[::1]:PORT/path").
  std::string url(std::string_view path = "/") const {
    return std::string(options_.ipv6 ? "http://[::1]:" : "http://127.0.0.1:") + std::to_string(port_) +
           std::string(path);
  }

  void set_handler(Handler handler) {
    std::lock_guard<std::mutex> lock(mutex_);
    handler_ = std::move(handler);
  }
  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  std::size_t request_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return request_count_;
  }
  int connection_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return connection_count_;
  }
  // True once at least n requests have arrived; false if `timeout` passes first.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return request_count_ >= n; });
  }

  void stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ != net::no_socket) net::close(listen_fd_);
    listen_fd_ = net::no_socket;
  }

 private:
  static constexpr int slice_ms = 20;
  static constexpr std::size_t max_head = 1 << 20;

  bool listen_on_loopback() {
    const int family = options_.ipv6 ? AF_INET6 : AF_INET;
    listen_fd_ = net::open_tcp(family);
    if (listen_fd_ == net::no_socket) return fail("socket");
    net::set_nonblocking(listen_fd_);
    sockaddr_storage addr{};
    socklen_t len = 0;
    if (options_.ipv6) {
      const int one = 1;
      ::setsockopt(listen_fd_, IPPROTO_IPV6, IPV6_V6ONLY, reinterpret_cast<const char*>(&one), sizeof one);
      auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&addr);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *a;
    }
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0) return fail("bind");
    if (::listen(listen_fd_, 16) != 0) return fail("listen");
    if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return fail("getsockname");
    port_ = ntohs(options_.ipv6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    return true;
  }
  bool fail(const char* what) {
    error_ = std::string(what) + ": " + net::error_text(net::last_error());
    if (listen_fd_ != net::no_socket) net::close(listen_fd_);
    listen_fd_ = net::no_socket;
    return false;
  }

  // Waits for `events` in short slices. False once stopping.
  bool wait(net::socket_t fd, short events) const {
    while (!stop_.load()) {
      pollfd p{fd, events, 0};
      if (net::poll(&p, 1, slice_ms) > 0) return true;
    }
    return false;
  }

  void run() {
    while (wait(listen_fd_, POLLIN)) {
      const net::socket_t fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd == net::no_socket) continue;
      net::set_nonblocking(fd);
      int number = 0;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        number = ++connection_count_;
      }
      serve(fd, number);
      ::shutdown(fd, net::shut_write);
      net::close(fd);
    }
  }

  // Appends received bytes to `in`. False on EOF, error or stop.
  bool receive(net::socket_t fd, std::string& in) const {
    char buf[64 * 1024];
    for (;;) {
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        in.append(buf, static_cast<std::size_t>(n));
        return true;
      }
      if (n == 0) return false;
      const int err = net::last_error();
      if (net::interrupted(err)) continue;
      if (!net::would_block(err)) return false;
      if (!wait(fd, POLLIN)) return false;
    }
  }

  bool send_all(net::socket_t fd, std::string_view bytes) const {
    while (!bytes.empty()) {
      const auto n = ::send(fd, bytes.data(), static_cast<int>(std::min<std::size_t>(bytes.size(), 1 << 30)),
                            net::send_flags);
      if (n > 0) {
        bytes.remove_prefix(static_cast<std::size_t>(n));
      } else if (n < 0 && !net::interrupted(net::last_error())) {
        if (!net::would_block(net::last_error())) return false;
        if (!wait(fd, POLLOUT)) return false;
      }
    }
    return true;
  }

  // Parses one request from `in` (receiving more as needed) and removes it from `in`.
  bool read_request(net::socket_t fd, std::string& in, Request& req) const {
    std::size_t end;
    while ((end = in.find("\r\n\r\n")) == std::string::npos) {
      if (in.size() > max_head || !receive(fd, in)) return false;
    }
    req.head = in.substr(0, end + 4);
    std::string_view rest(req.head);
    const auto next_line = [&rest] {
      const std::size_t eol = rest.find("\r\n");
      const std::string_view line = rest.substr(0, eol);
      rest.remove_prefix(eol + 2);
      return line;
    };
    const std::string_view request_line = next_line();
    const std::size_t s1 = request_line.find(' ');
    const std::size_t s2 = request_line.rfind(' ');
    if (s1 == std::string_view::npos || s1 == s2) return false;
    req.method = std::string(request_line.substr(0, s1));
    req.target = std::string(request_line.substr(s1 + 1, s2 - s1 - 1));
    req.version = std::string(request_line.substr(s2 + 1));
    std::size_t length = 0;
    for (std::string_view line = next_line(); !line.empty(); line = next_line()) {
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) return false;
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
      req.headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
      if (iequals(req.headers.back().name, "transfer-encoding")) return false;  // not supported
      if (iequals(req.headers.back().name, "content-length")) length = std::stoull(req.headers.back().value);
    }
    in.erase(0, end + 4);
    while (in.size() < length)
      if (!receive(fd, in)) return false;
    req.body = in.substr(0, length);
    in.erase(0, length);
    return true;
  }

  void serve(net::socket_t fd, int number) {
    std::string in;
    for (;;) {
      Request req;
      try {
        if (!read_request(fd, in, req)) return;
      } catch (const std::exception&) {  // bad Content-Length
        return;
      }
      req.connection = number;
      Handler handler;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        handler = handler_;
      }
      const Reply reply = handler ? handler(req) : Reply::ok();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++request_count_;
        if (options_.keep_requests) requests_.push_back(std::move(req));
      }
      cv_.notify_all();

      const auto until = std::chrono::steady_clock::now() + reply.delay;
      while (std::chrono::steady_clock::now() < until) {
        if (stop_.load()) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min<long long>(
            slice_ms, std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count())));
      }
      if (reply.kind == Reply::Kind::hang_up) return;
      std::string bytes = reply.kind == Reply::Kind::raw ? reply.raw_bytes : reply.encode();
      const bool truncated = reply.truncate_at < bytes.size();
      if (truncated) bytes.resize(reply.truncate_at);
      if (!send_all(fd, bytes) || truncated || reply.close || reply.close_silently) return;
    }
  }

  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  Handler handler_;
  std::vector<Request> requests_;
  std::size_t request_count_ = 0;
  int connection_count_ = 0;

  Options options_;
  std::string error_;
  net::socket_t listen_fd_ = net::no_socket;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace trail::test
