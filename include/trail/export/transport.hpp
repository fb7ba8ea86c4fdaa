// The byte stream under trail's HTTP client. HttpClient does all HTTP framing
// and parsing; a Transport only moves bytes to and from one server, so that
// plain TCP (POSIX or Winsock), TLS (tls_transport.hpp, layered on another
// Transport) and a user's own stream can slot in. This is the agreed, stable
// interface: keep it minimal.
//
// Contract, for every implementation:
// - One connection at a time, used by one thread (the flusher); no locking.
// - Every call is noexcept and returns by `deadline` (a steady_clock time):
//   name resolution, connecting and any handshake included. A deadline that
//   has already passed still allows one attempt that does not wait.
// - Errors are one line, in `error`, for a human (no trailing newline, no
//   secrets); the caller adds context. `error` is only written on failure.
// - connect() opens a connection to host:port, closing any previous one.
//   `host` is a DNS name or an IP literal (IPv6 without brackets). It returns
//   ok, or why not:
//     refused  nothing listens there: every address of the host refused the
//              connection outright (POSIX ECONNREFUSED, Winsock
//              WSAECONNREFUSED). The exporter does not sit out its retry
//              schedule at shutdown when every attempt was refused, so map
//              only that error here, never by matching message text;
//     timeout  the deadline passed (resolving, connecting or handshaking);
//     failed   anything else (cannot resolve, unreachable, TLS refused...).
//   A TLS transport passes its inner transport's status through.
// - write() sends every byte of `count` buffers, in order, or fails.
// - read() waits for at least one byte and returns what is available, up to
//   `capacity`. TransportStatus tells the cases the HTTP client handles
//   differently apart:
//     eof      the peer closed the connection in an orderly way
//              (for write(): the peer was gone, e.g. EPIPE);
//     reset    the peer reset the connection (ECONNRESET);
//     timeout  the deadline passed first;
//     failed   anything else; `error` says what.
//   After anything but ok the caller closes the connection (refused is
//   connect()'s only).
// - idle_usable(): called between requests on an open, idle connection.
//   False when the peer has closed it or sent bytes nobody asked for; the
//   client then reconnects instead of writing into a dead connection.
// - close() is idempotent and also runs from the destructor.
//
// Which Transport is used: a TransportFactory, called with the endpoint's
// scheme and the TLS settings. trail's default (make_transport in
// http_client.hpp) picks plain TCP for http and TLS for https; a user's own
// factory goes in trail::Config::transport (or OtlpHttpOptions::transport).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace trail {

using TransportDeadline = std::chrono::steady_clock::time_point;

struct ConstBuffer {
  const void* data;
  std::size_t size;
};

enum class TransportStatus : std::uint8_t { ok, eof, reset, timeout, failed, refused };

class Transport {
 public:
  virtual ~Transport() = default;
  virtual TransportStatus connect(const std::string& host, std::uint16_t port, TransportDeadline deadline,
                                  std::string& error) noexcept = 0;
  virtual TransportStatus write(const ConstBuffer* buffers, std::size_t count, TransportDeadline deadline,
                                std::string& error) noexcept = 0;
  virtual TransportStatus read(void* data, std::size_t capacity, std::size_t& received, TransportDeadline deadline,
                               std::string& error) noexcept = 0;
  virtual bool idle_usable() noexcept = 0;
  virtual void close() noexcept = 0;
};

// What a factory is asked for. The file names are those of the
// OTEL_EXPORTER_OTLP_*CERTIFICATE / *CLIENT_KEY variables (PEM files).
struct TransportOptions {
  std::string scheme;              // "http" or "https"
  std::string certificate;         // CA certificates to trust; empty: the system store
  std::string client_certificate;  // for mutual TLS, with client_key
  std::string client_key;
};

// Returns a transport, or nullptr with a one-line reason in `error` (for
// example: an unsupported scheme, an unreadable certificate file). Called
// when the exporter is made, so that such problems show at init().
using TransportFactory =
    std::function<std::unique_ptr<Transport>(const TransportOptions& options, std::string& error)>;

namespace detail {

// "host:port", "[v6]:port": where a connection went, for messages.
inline std::string host_port_text(const std::string& host, std::uint16_t port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace detail

}  // namespace trail
