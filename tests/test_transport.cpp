// The Transport interface: a user's own transport slots in under the HTTP
// client and the OTLP exporter; the plain TCP transport keeps its promises
// (bounded name resolution, eof vs reset, scatter writes).
#include <doctest/doctest.h>

#include <trail/runtime.hpp>
#include <trail/export/otlp_http_exporter.hpp>
#include <trail/platform/socket.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>


#include <nlohmann/json.hpp>

#include "support/failing_transport.hpp"
#include "support/sockets.hpp"
#include "support/stderr_capture.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// What the in-memory transports of one factory saw.
struct Wire {
  std::mutex mutex;
  std::vector<trail::TransportOptions> made;    // one per transport the factory made
  std::vector<std::string> connects;            // "host:port"
  std::vector<std::string> requests;            // one per write() call
  std::string reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
};

// Answers every request (one write() call) with wire->reply.
class MemoryTransport final : public trail::Transport {
 public:
  explicit MemoryTransport(std::shared_ptr<Wire> wire) : wire_(std::move(wire)) {}
  trail::TransportStatus connect(const std::string& host, std::uint16_t port, trail::TransportDeadline,
                                 std::string&) noexcept override {
    std::lock_guard<std::mutex> lock(wire_->mutex);
    wire_->connects.push_back(host + ":" + std::to_string(port));
    open_ = true;
    return trail::TransportStatus::ok;
  }
  trail::TransportStatus write(const trail::ConstBuffer* buffers, std::size_t count, trail::TransportDeadline,
                               std::string&) noexcept override {
    std::string request;
    for (std::size_t i = 0; i < count; ++i) request.append(static_cast<const char*>(buffers[i].data), buffers[i].size);
    std::lock_guard<std::mutex> lock(wire_->mutex);
    wire_->requests.push_back(std::move(request));
    pending_ += wire_->reply;
    return trail::TransportStatus::ok;
  }
  trail::TransportStatus read(void* data, std::size_t capacity, std::size_t& received, trail::TransportDeadline,
                              std::string&) noexcept override {
    received = std::min(capacity, pending_.size());
    if (received == 0) return trail::TransportStatus::timeout;
    pending_.copy(static_cast<char*>(data), received);
    pending_.erase(0, received);
    return trail::TransportStatus::ok;
  }
  bool idle_usable() noexcept override { return open_ && pending_.empty(); }
  void close() noexcept override { open_ = false; }

 private:
  std::shared_ptr<Wire> wire_;
  std::string pending_;
  bool open_ = false;
};

trail::TransportFactory memory_factory(const std::shared_ptr<Wire>& wire) {
  return [wire](const trail::TransportOptions& options, std::string&) -> std::unique_ptr<trail::Transport> {
    std::lock_guard<std::mutex> lock(wire->mutex);
    wire->made.push_back(options);
    return std::make_unique<MemoryTransport>(wire);
  };
}

// A loopback listener on an ephemeral port.
namespace net = trail::test::net;

struct Listener {
  net::socket_t fd = net::no_socket;
  std::uint16_t port = 0;
  Listener() {
    fd = net::open_tcp(AF_INET);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
  }
  ~Listener() { net::close(fd); }
  net::socket_t accept_one() {
    pollfd p{fd, POLLIN, 0};
    if (net::poll(&p, 1, 5000) <= 0) return net::no_socket;
    return ::accept(fd, nullptr, nullptr);
  }
};

}  // namespace

TEST_CASE("a user's transport carries the OTLP requests, https included, whatever trail was built with") {
  auto wire = std::make_shared<Wire>();
  trail::Config config;
  config.settings.traces_exporters = {trail::ExporterKind::otlp};
  config.settings.metrics_exporters = {};
  config.settings.traces_endpoint = "https://collector.example:4443/v1/traces";
  config.settings.traces_certificate = "/etc/ca.pem";
  config.settings.traces_client_certificate = "/etc/client.pem";
  config.settings.traces_client_key = "/etc/client.key";
  config.settings.bsp_schedule_delay = 60s;
  config.transport = memory_factory(wire);
  REQUIRE(trail::init(config));
  {
    TRAIL_SPAN("over the user's transport");
  }
  REQUIRE(trail::flush(5s));
  {
    TRAIL_SPAN("second batch, same connection");
  }
  REQUIRE(trail::flush(5s));
  trail::shutdown();
  CHECK(trail::stats().spans_exported == 2);

  std::lock_guard<std::mutex> lock(wire->mutex);
  // Made at init for each signal, with the scheme and the signal's TLS files.
  REQUIRE(wire->made.size() == 2);
  CHECK(wire->made[0].scheme == "https");
  CHECK(wire->made[0].certificate == "/etc/ca.pem");
  CHECK(wire->made[0].client_certificate == "/etc/client.pem");
  CHECK(wire->made[0].client_key == "/etc/client.key");
  REQUIRE(wire->connects.size() == 1);  // keep-alive: both requests on one connection
  CHECK(wire->connects[0] == "collector.example:4443");
  REQUIRE(wire->requests.size() == 2);
  const std::string& req = wire->requests[0];
  CHECK(req.rfind("POST /v1/traces HTTP/1.1\r\nHost: collector.example:4443\r\n", 0) == 0);
  const auto body = nlohmann::json::parse(req.substr(req.find("\r\n\r\n") + 4));
  CHECK(body.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").at(0).at("name") ==
        "over the user's transport");
}

TEST_CASE("a transport factory that refuses makes init fail with its reason") {
  trail::Config config;
  config.settings.traces_exporters = {trail::ExporterKind::otlp};
  config.settings.metrics_exporters = {};
  config.transport = [](const trail::TransportOptions& o, std::string& error) -> std::unique_ptr<trail::Transport> {
    error = "no route for " + o.scheme + " on this robot";
    return nullptr;
  };
  bool started = true;
  const std::string message = trail::test::capture_stderr([&] { started = trail::init(config); });
  trail::shutdown();
  CHECK_FALSE(started);
  CHECK(contains(message, "no route for http on this robot"));
  CHECK(std::count(message.begin(), message.end(), '\n') == 1);
}

namespace {
// A resolver that answers only when released (like an unreachable DNS server).
std::mutex g_resolver_mutex;
std::condition_variable g_resolver_cv;
bool g_resolver_released = false;
std::atomic<int> g_resolver_calls{0};

int stuck_resolver(const char*, const char*, const addrinfo*, addrinfo** out) {
  ++g_resolver_calls;
  std::unique_lock<std::mutex> lock(g_resolver_mutex);
  g_resolver_cv.wait(lock, [] { return g_resolver_released; });
  *out = nullptr;
  return EAI_AGAIN;
}
}  // namespace

TEST_CASE("name resolution is bounded by the deadline; a stuck lookup is waited for, not repeated") {
  trail::detail::TcpTransport transport(stuck_resolver);
  std::string error;
  auto start = Clock::now();
  CHECK(transport.connect("collector.example", 4318, start + 200ms, error) == trail::TransportStatus::timeout);
  auto took = Clock::now() - start;
  CHECK(took >= 200ms);
  CHECK(took < 2s);
  CHECK(error == "timed out resolving 'collector.example'");

  start = Clock::now();
  CHECK(transport.connect("collector.example", 4318, start + 100ms, error) == trail::TransportStatus::timeout);
  CHECK(Clock::now() - start < 2s);
  CHECK(g_resolver_calls == 1);  // the same lookup, still running

  {
    std::lock_guard<std::mutex> lock(g_resolver_mutex);
    g_resolver_released = true;
  }
  g_resolver_cv.notify_all();
  error.clear();
  CHECK(transport.connect("collector.example", 4318, Clock::now() + 5s, error) == trail::TransportStatus::failed);
  CHECK_MESSAGE(contains(error, "cannot resolve 'collector.example'"), error);
  CHECK(g_resolver_calls == 1);

  // IP literals never need the resolver.
  Listener listener;
  CHECK(transport.connect("127.0.0.1", listener.port, Clock::now() + 5s, error) == trail::TransportStatus::ok);
  CHECK(g_resolver_calls == 1);
}

TEST_CASE("shutdown returns in time when the endpoint's name never resolves") {
  // The exporter's own TcpTransport would use the system resolver; give it the stuck one.
  {
    std::lock_guard<std::mutex> lock(g_resolver_mutex);
    g_resolver_released = false;
  }
  trail::Config config;
  config.settings.traces_exporters = {trail::ExporterKind::otlp};
  config.settings.metrics_exporters = {};
  config.settings.traces_endpoint = "http://collector.example:4318/v1/traces";
  config.settings.traces_timeout = 300ms;
  config.settings.bsp_export_timeout = 800ms;
  config.transport = [](const trail::TransportOptions&, std::string&) -> std::unique_ptr<trail::Transport> {
    return std::make_unique<trail::detail::TcpTransport>(stuck_resolver);
  };
  REQUIRE(trail::init(config));
  for (int i = 0; i < 10; ++i) {
    TRAIL_SPAN("never delivered");
  }
  const auto start = Clock::now();
  trail::shutdown();
  const auto took = Clock::now() - start;
  CHECK_MESSAGE(took < 3s, "shutdown took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                                            << " ms");
  CHECK(trail::stats().spans_exported == 0);
  CHECK(trail::stats().spans_dropped_export_failed == 10);  // counted, not lost
  {
    std::lock_guard<std::mutex> lock(g_resolver_mutex);
    g_resolver_released = true;
  }
  g_resolver_cv.notify_all();
}

TEST_CASE("TcpTransport: an orderly close is eof, an abortive one is reset") {
  Listener listener;
  trail::detail::TcpTransport transport;
  std::string error;
  char buf[64];
  std::size_t got = 0;

  REQUIRE(transport.connect("127.0.0.1", listener.port, Clock::now() + 5s, error) == trail::TransportStatus::ok);
  net::socket_t peer = listener.accept_one();
  REQUIRE(peer != net::no_socket);
  CHECK(transport.idle_usable());
  net::close(peer);
  CHECK(transport.read(buf, sizeof buf, got, Clock::now() + 5s, error) == trail::TransportStatus::eof);
  CHECK_FALSE(transport.idle_usable());

  REQUIRE(transport.connect("127.0.0.1", listener.port, Clock::now() + 5s, error) == trail::TransportStatus::ok);
  peer = listener.accept_one();
  REQUIRE(peer != net::no_socket);
  const linger abort_on_close{1, 0};  // close() sends RST
  ::setsockopt(peer, SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&abort_on_close), sizeof abort_on_close);
  net::close(peer);
  if (net::under_wine()) {
    // wine's recv() reports a reset connection as an orderly close; its
    // send() says WSAECONNRESET.
    MESSAGE("under wine: the reset is seen by write(), read() sees eof");
    CHECK(transport.read(buf, sizeof buf, got, Clock::now() + 5s, error) == trail::TransportStatus::eof);
    const trail::ConstBuffer more{"x", 1};
    CHECK(transport.write(&more, 1, Clock::now() + 5s, error) == trail::TransportStatus::reset);
  } else {
    CHECK(transport.read(buf, sizeof buf, got, Clock::now() + 5s, error) == trail::TransportStatus::reset);
  }

  REQUIRE(transport.connect("127.0.0.1", listener.port, Clock::now() + 5s, error) == trail::TransportStatus::ok);
  peer = listener.accept_one();
  REQUIRE(peer != net::no_socket);
  const auto start = Clock::now();
  CHECK(transport.read(buf, sizeof buf, got, start + 100ms, error) == trail::TransportStatus::timeout);
  CHECK(Clock::now() - start >= 100ms);
  net::close(peer);
  transport.close();
  transport.close();  // idempotent
}

TEST_CASE("TcpTransport: many buffers arrive whole and in order") {
  Listener listener;
  trail::detail::TcpTransport transport;
  std::string error;
  REQUIRE(transport.connect("127.0.0.1", listener.port, Clock::now() + 5s, error) == trail::TransportStatus::ok);
  const net::socket_t peer = listener.accept_one();
  REQUIRE(peer != net::no_socket);
  std::vector<std::string> parts;
  std::vector<trail::ConstBuffer> buffers;
  std::string expected;
  for (int i = 0; i < 40; ++i) parts.push_back(std::string(i % 3 == 0 ? 0 : 50000 + i, static_cast<char>('a' + i % 26)));
  for (const auto& p : parts) {
    buffers.push_back({p.data(), p.size()});
    expected += p;
  }
  std::string received;
  std::thread reader([&] {
    char buf[65536];
    while (received.size() < expected.size()) {
      const ssize_t n = ::recv(peer, buf, sizeof buf, 0);
      if (n <= 0) break;
      received.append(buf, static_cast<std::size_t>(n));
    }
  });
  CHECK(transport.write(buffers.data(), buffers.size(), Clock::now() + 10s, error) == trail::TransportStatus::ok);
  reader.join();
  CHECK(received == expected);
  net::close(peer);
}

TEST_CASE("TcpTransport: nothing listening is TransportStatus::refused") {
  std::uint16_t port = 0;
  {
    Listener listener;
    port = listener.port;
  }  // closed: the port refuses now
  trail::detail::TcpTransport transport;
  std::string error;
  CHECK(transport.connect("127.0.0.1", port, Clock::now() + 5s, error) == trail::TransportStatus::refused);
  CHECK_MESSAGE(contains(error, "cannot connect to 127.0.0.1:" + std::to_string(port)), error);
  // A name with several addresses (::1 and 127.0.0.1): refused only when every one refuses.
  error.clear();
  CHECK(transport.connect("localhost", port, Clock::now() + 5s, error) == trail::TransportStatus::refused);
  CHECK_FALSE(transport.idle_usable());
}


TEST_CASE("at shutdown, only TransportStatus::refused skips the retry schedule, whatever the error text says") {
  const trail::Resource resource;
  const trail::InstrumentationScope scope;
  std::vector<trail::SpanData> spans(1);
  spans[0].name = "s";
  // Shutdown has set the hard deadline: ExportDeadline::shutting_down().
  const std::atomic<std::int64_t> hard{(Clock::now() + 10s).time_since_epoch().count()};
  const auto attempts_with = [&](trail::TransportStatus status, const char* message, std::string& result) {
    auto connects = std::make_shared<std::atomic<int>>(0);
    trail::OtlpHttpOptions o;
    o.traces_endpoint = "http://collector.example:4318/v1/traces";
    o.initial_backoff = 10ms;
    o.max_backoff = 20ms;
    o.transport = trail::test::failing_factory(status, message, connects);
    trail::OtlpHttpExporter exporter(o);
    trail::test::capture_stderr([&] {
      result = exporter.export_spans(trail::SpanBatch{resource, scope, spans.data(), 1},
                                     trail::ExportDeadline(Clock::now() + 400ms, &hard))
                   .message;
    });
    return connects->load();
  };
  std::string message;
  // Refused in words that are not strerror(ECONNREFUSED)'s: one attempt.
  CHECK(attempts_with(trail::TransportStatus::refused, "no one home (WSAECONNREFUSED 10061)", message) == 1);
  CHECK_MESSAGE(contains(message, "not retrying at shutdown"), message);
  // A failure whose text merely looks like a refusal is retried until the deadline.
  CHECK(attempts_with(trail::TransportStatus::failed, "Connection refused", message) > 1);
  CHECK_MESSAGE(contains(message, "gave up after"), message);
}
