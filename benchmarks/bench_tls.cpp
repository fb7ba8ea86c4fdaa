// TLS against plain HTTP through the real OTLP/HTTP exporter (OtlpHttpExporter
// on trail's own TCP and TLS transports) to a loopback server: delivered
// spans/s and the exporting thread's CPU per span. Both sides run in the same
// benchmark, one batch each in turn, so that the load of a shared machine
// falls on both alike; the counters give the ratios.
//
// The server is this file's own (a thread per connection, keep-alive, reads
// each whole request, answers 200 "{}"), the same code with and without
// OpenSSL, so the difference is TLS on both ends. Its certificate (ECDSA
// P-256, self-signed for IP 127.0.0.1, trusted through the exporter's CA file
// option) is made at run time with the `openssl` command; without that
// command, or without TLS in trail, the benchmark skips with a message.
//
// Not covered: the handshake (one per kept-alive connection, done before the
// timed loop), gzip, a real network's latency and bandwidth, the recording
// side and the flusher's draining (see bench_export.cpp for those).
#include <benchmark/benchmark.h>

#include <trail/export/otlp_http_exporter.hpp>

#if defined(TRAIL_WITH_TLS)
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "support/collected_batch.hpp"
#endif

namespace {

#if defined(TRAIL_WITH_TLS)

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// A key and a self-signed certificate for 127.0.0.1 in a temporary directory.
struct Certificate {
  std::string dir, cert, key, error;

  Certificate() {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
      error = "the openssl command is not installed (Debian: openssl); it makes the test certificate";
      return;
    }
    char pattern[] = "/tmp/trail-bench-tls-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
      error = "cannot make a temporary directory";
      return;
    }
    dir = pattern;
    cert = dir + "/cert.pem";
    key = dir + "/key.pem";
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + cert + " >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) error = "openssl req failed: " + command;
  }
  ~Certificate() {
    if (dir.empty()) return;
    std::remove(cert.c_str());
    std::remove(key.c_str());
    ::rmdir(dir.c_str());
  }
  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;
};

using SslCtx = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

SslCtx server_context(const Certificate& c, std::string& error) {
  SslCtx ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (ctx == nullptr || SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1 ||
      SSL_CTX_use_certificate_chain_file(ctx.get(), c.cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx.get(), c.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = "cannot set up the server's TLS context";
    ctx.reset();
  }
  return ctx;
}

// Answers every POST with 200 "{}", over TLS when given a context.
class LoopbackServer {
 public:
  explicit LoopbackServer(SSL_CTX* tls) : tls_(tls) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::listen(listen_fd_, 8) != 0 || ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      return;
    port_ = ntohs(a.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    if (accept_thread_.joinable()) accept_thread_.join();
    for (auto& t : connections_) t.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  bool ok() const { return port_ != 0; }
  std::string url() const {
    return std::string(tls_ != nullptr ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + "/v1/traces";
  }
  // CPU time of the threads serving connections, so far.
  double cpu_seconds() const { return static_cast<double>(cpu_ns_.load()) * 1e-9; }
  int connections() const { return accepted_.load(); }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++accepted_;
      connections_.emplace_back([this, fd] { serve(fd); });
    }
  }

  bool read_some(int fd, SSL* ssl, std::string& in) {
    char buf[64 * 1024];
    while (!stop_) {
      if (ssl == nullptr || SSL_pending(ssl) == 0) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
      }
      const int n = ssl != nullptr ? SSL_read(ssl, buf, sizeof buf) : static_cast<int>(::recv(fd, buf, sizeof buf, 0));
      if (n > 0) {
        in.append(buf, static_cast<std::size_t>(n));
        return true;
      }
      if (ssl != nullptr && SSL_get_error(ssl, n) == SSL_ERROR_WANT_READ) continue;
      return false;
    }
    return false;
  }

  static bool write_all(int fd, SSL* ssl, const std::string& out) {
    std::size_t sent = 0;
    while (sent < out.size()) {
      const int n = ssl != nullptr ? SSL_write(ssl, out.data() + sent, static_cast<int>(out.size() - sent))
                                   : static_cast<int>(::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL));
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Content-Length of a request head (trail always sends one).
  static std::size_t content_length(const std::string& head) {
    std::string lower = head;
    for (char& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const std::size_t at = lower.find("\r\ncontent-length:");
    return at == std::string::npos ? 0 : std::strtoull(head.c_str() + at + 17, nullptr, 10);
  }

  void serve(int fd) {
    static const std::string reply =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    SSL* ssl = nullptr;
    double last = thread_cpu_seconds();
    bool up = true;
    if (tls_ != nullptr) {
      ssl = SSL_new(tls_);
      up = ssl != nullptr && SSL_set_fd(ssl, fd) == 1 && SSL_accept(ssl) == 1;
    }
    std::string in;
    while (up) {
      std::size_t end;
      while (up && (end = in.find("\r\n\r\n")) == std::string::npos) up = read_some(fd, ssl, in);
      if (!up) break;
      const std::size_t total = end + 4 + content_length(in.substr(0, end));
      while (up && in.size() < total) up = read_some(fd, ssl, in);
      if (!up) break;
      in.erase(0, total);
      up = write_all(fd, ssl, reply);
      const double now = thread_cpu_seconds();
      cpu_ns_ += static_cast<std::int64_t>((now - last) * 1e9);
      last = now;
    }
    if (ssl != nullptr) SSL_free(ssl);
    ::close(fd);
  }

  SSL_CTX* tls_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> cpu_ns_{0};
  std::atomic<int> accepted_{0};
  std::thread accept_thread_;
  std::vector<std::thread> connections_;  // the accept thread's, joined after it
};

// One side of the comparison: its exporter and what its exports took.
struct Side {
  trail::OtlpHttpExporter exporter;
  double wall = 0, cpu = 0;
  bool failed = false;

  explicit Side(trail::OtlpHttpOptions options) : exporter(std::move(options)) {}
  void send(const trail::SpanBatch& batch) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = thread_cpu_seconds();
    const trail::ExportResult r =
        exporter.export_spans(batch, trail::ExportDeadline(std::chrono::steady_clock::now() + std::chrono::seconds(30)));
    cpu += thread_cpu_seconds() - c0;
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    failed = failed || !r.ok() || r.rejected != 0;
  }
};

trail::OtlpHttpOptions options_for(const LoopbackServer& server, trail::OtlpProtocol protocol, const Certificate& c) {
  trail::OtlpHttpOptions o;
  o.traces_endpoint = server.url();
  o.metrics_endpoint = server.url();
  o.traces_protocol = protocol;
  o.traces_tls.certificate = c.cert;
  o.metrics_tls.certificate = c.cert;
  return o;
}

// Each iteration exports the 512-span batch once in plain HTTP, once over TLS.
void BM_TlsVsPlain(benchmark::State& state) {
  static const Certificate certificate;
  if (!certificate.error.empty()) return state.SkipWithError(certificate.error.c_str());
  std::string error;
  const SslCtx ctx = server_context(certificate, error);
  if (ctx == nullptr) return state.SkipWithError(error.c_str());
  const LoopbackServer plain_server(nullptr), tls_server(ctx.get());
  if (!plain_server.ok() || !tls_server.ok()) return state.SkipWithError("no loopback server");
  const auto protocol = state.range(0) == 0 ? trail::OtlpProtocol::http_json : trail::OtlpProtocol::http_protobuf;
  Side plain(options_for(plain_server, protocol, certificate));
  Side tls(options_for(tls_server, protocol, certificate));
  if (!plain.exporter.error().empty()) return state.SkipWithError(plain.exporter.error().c_str());
  if (!tls.exporter.error().empty()) return state.SkipWithError(tls.exporter.error().c_str());

  const auto spans = trail::bench::collected_batch();
  const trail::SpanBatch batch{trail::bench::resource(), trail::bench::scope, spans.data(), spans.size()};
  plain.send(batch);  // connect (and handshake) outside the timed loop
  tls.send(batch);
  plain.wall = plain.cpu = tls.wall = tls.cpu = 0;
  const double plain_server0 = plain_server.cpu_seconds(), tls_server0 = tls_server.cpu_seconds();
  for (auto _ : state) {
    plain.send(batch);
    tls.send(batch);
  }
  if (plain.failed || tls.failed) return state.SkipWithError("an export failed");
  const double n = static_cast<double>(state.iterations()) * static_cast<double>(spans.size());
  state.SetItemsProcessed(static_cast<std::int64_t>(2 * n));
  state.counters["plain_spans_per_s"] = n / plain.wall;
  state.counters["tls_spans_per_s"] = n / tls.wall;
  state.counters["tls_over_plain_spans_per_s"] = plain.wall / tls.wall;
  state.counters["plain_cpu_ns_per_span"] = plain.cpu / n * 1e9;
  state.counters["tls_cpu_ns_per_span"] = tls.cpu / n * 1e9;
  state.counters["tls_over_plain_cpu"] = tls.cpu / plain.cpu;
  state.counters["plain_server_ns_per_span"] = (plain_server.cpu_seconds() - plain_server0) / n * 1e9;
  state.counters["tls_server_ns_per_span"] = (tls_server.cpu_seconds() - tls_server0) / n * 1e9;
  state.counters["connections"] = plain_server.connections() + tls_server.connections();  // 2: kept alive
}

#else

void BM_TlsVsPlain(benchmark::State& state) {
  state.SkipWithError("trail was built without TLS (CMake TRAIL_WITH_TLS=ON needs OpenSSL, Debian libssl-dev)");
}

#endif  // TRAIL_WITH_TLS

BENCHMARK(BM_TlsVsPlain)
    ->ArgName("protobuf")  // 0: http/json (the default), 1: http/protobuf
    ->Arg(0)
    ->Arg(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(1.0)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

}  // namespace
