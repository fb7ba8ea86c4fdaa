#include <doctest/doctest.h>

#include <trail/export/http_client.hpp>
#include <trail/export/url.hpp>

#include "support/http_test_server.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using trail::detail::HttpClient;
using trail::detail::HttpHeader;
using trail::detail::HttpLimits;
using trail::detail::HttpResponse;
using trail::detail::Url;
using trail::test::HttpTestServer;
using trail::test::Reply;
using trail::test::Request;
using namespace std::chrono_literals;
namespace net = trail::test::net;

namespace {

using Clock = std::chrono::steady_clock;

Url url_of(const std::string& text) {
  Url url;
  std::string error;
  REQUIRE_MESSAGE(trail::detail::parse_url(text, url, error), error);
  return url;
}

HttpResponse post(HttpClient& client, const HttpTestServer& server, std::string_view body = "{}",
                  std::chrono::milliseconds timeout = 10s) {
  return client.post(url_of(server.url("/v1/traces")), {}, "application/json", body, Clock::now() + timeout);
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// A port with nothing listening on it (bound, then released).
std::uint16_t unused_port() {
  const net::socket_t fd = net::open_tcp(AF_INET);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  net::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

TEST_CASE("parse_url: valid URLs") {
  Url u = url_of("http://localhost:4318/v1/traces");
  CHECK(u.scheme == "http");
  CHECK(u.host == "localhost");
  CHECK(u.port == 4318);
  CHECK(u.target == "/v1/traces");

  u = url_of("http://example.com");
  CHECK(u.port == 80);
  CHECK(u.target == "/");

  u = url_of("HTTP://Example.com:8080?x=1#frag");
  CHECK(u.scheme == "http");
  CHECK(u.host == "Example.com");
  CHECK(u.port == 8080);
  CHECK(u.target == "/?x=1");

  u = url_of("http://h/a/b?c=d#e");
  CHECK(u.target == "/a/b?c=d");

  u = url_of("http://[::1]:4318/x");
  CHECK(u.host == "::1");
  CHECK(u.port == 4318);
  CHECK(u.target == "/x");

  u = url_of("http://[2001:db8::7]");
  CHECK(u.host == "2001:db8::7");
  CHECK(u.port == 80);

  u = url_of("https://collector.example:443/");
  CHECK(u.scheme == "https");
  CHECK(url_of("https://collector.example").port == 443);
  CHECK(url_of("http://h:65535").port == 65535);
}

TEST_CASE("parse_url: rejections say why and leave the output alone") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "empty"},
      {"localhost:4318", "no scheme"},
      {"://host", "no scheme"},
      {"ftp://host/", "unsupported URL scheme 'ftp'"},
      {"http://", "empty host"},
      {"http:///v1/traces", "empty host"},
      {"http://:4318", "empty host"},
      {"http://[]:80", "empty host"},
      {"http://host:", "empty port"},
      {"http://host:0", "out of range"},
      {"http://host:65536", "out of range"},
      {"http://host:99999999999999999999", "out of range"},
      {"http://host:80a", "not a number"},
      {"http://host:-1", "not a number"},
      {"http://user@host", "user information"},
      {"http://user:secret@host:4318/", "user information"},
      {"http://host /x", "whitespace or a control character at offset 11"},
      {" http://host", "whitespace"},
      {"http://host\t", "whitespace"},
      {"http://ho\x01st", "control character"},
      {"http://host\x7f", "control character"},
      {"http://[::1:4318/x", "unterminated '['"},
      {"http://[::1]x", "after the IPv6 address"},
      {"http://[host]", "invalid IPv6"},
      {"http://ho<st", "invalid character '<'"},
      {"http://::1:80", "without brackets"},
      {"http://fe80::1/x", "without brackets"},
  };
  for (const Case& c : cases) {
    const std::string text = c.text;
    CAPTURE(text);
    Url url;
    url.host = "untouched";
    std::string error;
    CHECK_FALSE(trail::detail::parse_url(c.text, url, error));
    CHECK_MESSAGE(contains(error, c.message), error);
    CHECK(url.host == "untouched");
  }
  // Credentials never leak into the message.
  Url url;
  std::string error;
  CHECK_FALSE(trail::detail::parse_url("http://user:secret@host", url, error));
  CHECK_FALSE(contains(error, "secret"));
}

TEST_CASE("post: Content-Length response, headers case-insensitive") {
  HttpTestServer server([](const Request&) {
    Reply r = Reply::ok(R"({"partialSuccess":{}})");
    r.headers.push_back({"X-Trail-Test", "yes"});
    return r;
  });
  REQUIRE(server.ok());
  HttpClient client;
  const HttpResponse r = post(client, server, R"({"resourceSpans":[]})");
  REQUIRE_MESSAGE(r.transport_ok, r.error);
  CHECK(r.status == 200);
  CHECK(r.body == R"({"partialSuccess":{}})");
  REQUIRE(r.header("content-type") != nullptr);
  CHECK(*r.header("CONTENT-TYPE") == "application/json");
  REQUIRE(r.header("x-trail-test") != nullptr);
  CHECK(*r.header("x-trail-test") == "yes");
  CHECK(r.header("x-missing") == nullptr);
  CHECK(r.error.empty());
}

TEST_CASE("post: request bytes as the server receives them") {
  HttpTestServer server;
  REQUIRE(server.ok());
  HttpClient client;
  const std::vector<HttpHeader> headers = {
      {"Authorization", "Bearer abc"},
      {"x-tenant", " blue "},
      {"Content-Length", "999"},  // framing headers from the caller are ignored
      {"connection", "close"},
  };
  const std::string body(100000, 'b');  // large enough for partial writes
  const HttpResponse r =
      client.post(url_of(server.url("/v1/traces?q=1")), headers, "application/json", body, Clock::now() + 10s);
  REQUIRE_MESSAGE(r.transport_ok, r.error);
  REQUIRE(server.wait_for_requests(1, 5s));
  const Request req = server.requests().at(0);
  const std::string port = std::to_string(server.port());
  CHECK(req.head.rfind("POST /v1/traces?q=1 HTTP/1.1\r\n", 0) == 0);
  CHECK(contains(req.head, "\r\nHost: 127.0.0.1:" + port + "\r\n"));
  CHECK(contains(req.head, "\r\nContent-Type: application/json\r\n"));
  CHECK(contains(req.head, "\r\nContent-Length: 100000\r\n"));
  CHECK(contains(req.head, "\r\nConnection: keep-alive\r\n"));
  CHECK(contains(req.head, "\r\nAuthorization: Bearer abc\r\n"));
  CHECK(contains(req.head, "\r\nx-tenant: blue\r\n"));
  CHECK_FALSE(contains(req.head, "999"));
  CHECK_FALSE(contains(req.head, "close"));
  CHECK(req.body == body);

  // Header injection is refused before anything is sent.
  const HttpResponse bad = client.post(url_of(server.url("/")), {{"X-Evil", "a\r\nInjected: 1"}}, "application/json",
                                       "{}", Clock::now() + 5s);
  CHECK_FALSE(bad.transport_ok);
  CHECK(contains(bad.error, "invalid value for HTTP header 'X-Evil'"));
  const HttpResponse bad_name =
      client.post(url_of(server.url("/")), {{"Bad Name", "v"}}, "application/json", "{}", Clock::now() + 5s);
  CHECK(contains(bad_name.error, "invalid HTTP header name"));
  CHECK(server.request_count() == 1);
}

#if !defined(TRAIL_WITH_TLS)
TEST_CASE("post: https without TLS compiled in is refused with a clear message") {
  HttpClient client;
  const HttpResponse r = client.post(url_of("https://127.0.0.1:1/v1/traces"), {}, "application/json", "{}",
                                     Clock::now() + 1s);
  CHECK_FALSE(r.transport_ok);
  CHECK(contains(r.error, "https needs TLS, which this build of trail does not have"));
}
#endif

TEST_CASE("post: chunked responses") {
  SUBCASE("extensions and trailers; the stream stays usable") {
    HttpTestServer server([](const Request& req) {
      if (req.body == "second") return Reply::ok("after");
      return Reply::raw(
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
          "5;name=value\r\nhello\r\n"
          "7 ; another\r\n, world\r\n"
          "A\r\n0123456789\r\n"
          "0;last\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n",
          false);
    });
    REQUIRE(server.ok());
    HttpClient client;
    HttpResponse r = post(client, server, "first");
    REQUIRE_MESSAGE(r.transport_ok, r.error);
    CHECK(r.body == "hello, world0123456789");
    CHECK(r.header("x-trailer") == nullptr);  // trailers are read and dropped
    r = post(client, server, "second");
    REQUIRE_MESSAGE(r.transport_ok, r.error);
    CHECK(r.body == "after");
    CHECK(server.connection_count() == 1);
  }
  SUBCASE("server-encoded, many small chunks") {
    HttpTestServer server([](const Request&) {
      Reply r = Reply::ok("abcdefghijklmnopqrstuvwxyz");
      r.chunked = true;
      r.chunk_size = 3;
      return r;
    });
    REQUIRE(server.ok());
    HttpClient client;
    const HttpResponse r = post(client, server);
    REQUIRE_MESSAGE(r.transport_ok, r.error);
    CHECK(r.body == "abcdefghijklmnopqrstuvwxyz");
  }
  SUBCASE("bad chunk size") {
    HttpTestServer server([](const Request&) {
      return Reply::raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    });
    REQUIRE(server.ok());
    HttpClient client;
    const HttpResponse r = post(client, server);
    CHECK_FALSE(r.transport_ok);
    CHECK(contains(r.error, "invalid HTTP chunk size"));
  }
}

TEST_CASE("post: keep-alive reuses one connection") {
  HttpTestServer server([](const Request& req) { return Reply::ok(req.body); });
  REQUIRE(server.ok());
  HttpClient client;
  for (int i = 0; i < 3; ++i) {
    const HttpResponse r = post(client, server, "n" + std::to_string(i));
    REQUIRE_MESSAGE(r.transport_ok, r.error);
    CHECK(r.body == "n" + std::to_string(i));
  }
  CHECK(server.connection_count() == 1);
  for (const Request& req : server.requests()) CHECK(req.connection == 1);

  // A new host or port, or close(), means a new connection.
  client.close();
  REQUIRE(post(client, server).transport_ok);
  CHECK(server.connection_count() == 2);
}

TEST_CASE("post: a keep-alive connection the server dropped is replaced transparently") {
  SUBCASE("closed while idle") {
    HttpTestServer server([](const Request&) {
      Reply r = Reply::ok("ok");
      r.close_silently = true;  // like a server's idle timeout
      return r;
    });
    REQUIRE(server.ok());
    HttpClient client;
    REQUIRE(post(client, server).transport_ok);
    const HttpResponse r = post(client, server);
    REQUIRE_MESSAGE(r.transport_ok, r.error);
    CHECK(r.body == "ok");
    CHECK(server.connection_count() == 2);
    CHECK(server.request_count() == 2);
  }
  SUBCASE("closed after the request arrived, before any response byte: resent once") {
    std::atomic<int> seen{0};
    HttpTestServer server([&seen](const Request&) { return ++seen == 2 ? Reply::hang_up() : Reply::ok("ok"); });
    REQUIRE(server.ok());
    HttpClient client;
    REQUIRE(post(client, server, "one").transport_ok);
    const HttpResponse r = post(client, server, "two");
    REQUIRE_MESSAGE(r.transport_ok, r.error);
    CHECK(r.body == "ok");
    const std::vector<Request> reqs = server.requests();
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[1].body == "two");
    CHECK(reqs[1].connection == 1);
    CHECK(reqs[2].body == "two");
    CHECK(reqs[2].connection == 2);
  }
  SUBCASE("a fresh connection is not retried") {
    HttpTestServer server([](const Request&) { return Reply::hang_up(); });
    REQUIRE(server.ok());
    HttpClient client;
    const HttpResponse r = post(client, server);
    CHECK_FALSE(r.transport_ok);
    CHECK(contains(r.error, "closed by the server before it sent a response"));
    CHECK(server.request_count() == 1);
  }
  SUBCASE("Connection: close is honoured") {
    HttpTestServer server([](const Request&) {
      Reply r = Reply::ok("bye");
      r.close = true;
      return r;
    });
    REQUIRE(server.ok());
    HttpClient client;
    REQUIRE(post(client, server).transport_ok);
    REQUIRE(post(client, server).transport_ok);
    CHECK(server.connection_count() == 2);
  }
}

TEST_CASE("post: connection refused fails fast") {
  HttpClient client;
  const Url url = url_of("http://127.0.0.1:" + std::to_string(unused_port()) + "/v1/traces");
  const auto start = Clock::now();
  const HttpResponse r = client.post(url, {}, "application/json", "{}", start + 20s);
  CHECK_FALSE(r.transport_ok);
  CHECK_MESSAGE(contains(r.error, "cannot connect to 127.0.0.1:"), r.error);
  CHECK(Clock::now() - start < 10s);  // loose: refused, not timed out

  std::string error;
  Url bad;
  REQUIRE(trail::detail::parse_url("http://no-such-host.invalid/", bad, error));
  const HttpResponse unresolved = client.post(bad, {}, "application/json", "{}", Clock::now() + 20s);
  CHECK_FALSE(unresolved.transport_ok);
  CHECK(contains(unresolved.error, "cannot resolve 'no-such-host.invalid'"));
}

TEST_CASE("post: deadlines are honoured") {
  SUBCASE("server answers too late") {
    HttpTestServer server([](const Request&) {
      Reply r = Reply::ok("late");
      r.delay = 5s;
      return r;
    });
    REQUIRE(server.ok());
    HttpClient client;
    const auto start = Clock::now();
    const HttpResponse r = post(client, server, "{}", 200ms);
    CHECK_FALSE(r.transport_ok);
    CHECK_MESSAGE(contains(r.error, "timed out waiting for the HTTP response"), r.error);
    CHECK(Clock::now() - start < 4s);  // loose: well before the server would answer
  }
  SUBCASE("connect does not complete") {
    // A listener that never accepts and whose queue is full drops new SYNs, so
    // a connect hangs. If the kernel does not behave that way, skip.
    const net::socket_t listener = net::open_tcp(AF_INET);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&a), len) == 0);
    REQUIRE(::listen(listener, 0) == 0);
    REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    std::vector<net::socket_t> fillers;
    bool hanging = false;
    for (int i = 0; i < 32 && !hanging; ++i) {
      const net::socket_t fd = net::open_tcp(AF_INET);
      net::set_nonblocking(fd);
      ::connect(fd, reinterpret_cast<sockaddr*>(&a), len);
      fillers.push_back(fd);
      pollfd p{fd, POLLOUT, 0};
      hanging = net::poll(&p, 1, 100) == 0;
    }
    if (hanging) {
      HttpClient client;
      const auto start = Clock::now();
      const HttpResponse r =
          client.post(url_of("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/"), {}, "application/json",
                      "{}", start + 200ms);
      CHECK_FALSE(r.transport_ok);
      CHECK_MESSAGE(contains(r.error, "timed out connecting to 127.0.0.1:"), r.error);
      CHECK(Clock::now() - start < 4s);
    } else {
      MESSAGE("skipped: could not make a connect hang on this kernel");
    }
    for (net::socket_t fd : fillers) net::close(fd);
    net::close(listener);
  }
}

TEST_CASE("post: broken and invalid responses") {
  struct Case {
    const char* name;
    Reply reply;
    const char* message;
  };
  Reply truncated_body = Reply::ok("0123456789");
  truncated_body.truncate_at = truncated_body.encode().size() - 4;
  Reply truncated_head = Reply::ok("0123456789");
  truncated_head.truncate_at = 20;
  Reply truncated_status = Reply::ok();
  truncated_status.truncate_at = 6;
  Reply truncated_chunk = Reply::ok("0123456789");
  truncated_chunk.chunked = true;
  truncated_chunk.truncate_at = truncated_chunk.encode().size() - 3;
  const Case cases[] = {
      {"closed mid-body", truncated_body, "connection closed by the server in the middle of the response body"},
      {"closed mid-headers", truncated_head, "in the middle of the HTTP headers"},
      {"closed mid-status line", truncated_status, "in the middle of the HTTP status line"},
      {"closed mid-chunked", truncated_chunk, "connection closed by the server in the middle of"},
      {"garbage, then close", Reply::raw("SSH-2.0-OpenSSH_9.2\r\n"), "not an HTTP response (received \"SSH-2.0"},
      {"binary garbage, no close", Reply::raw(std::string("\x16\x03\x01\x00\xa5", 5), false),
       "not an HTTP response (received \"\\x16\\x03\\x01\\x00\\xa5\")"},
      {"malformed status", Reply::raw("HTTP/1.1 abc OK\r\n\r\n"), "malformed HTTP status line"},
      {"HTTP/2 preface", Reply::raw("HTTP/2 200\r\n\r\n"), "malformed HTTP status line"},
      {"malformed header", Reply::raw("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"), "malformed HTTP header line"},
      {"bad Content-Length", Reply::raw("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n"), "invalid HTTP Content-Length"},
      {"conflicting Content-Length",
       Reply::raw("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"), "conflicting"},
      {"gzip", Reply::raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"), "unsupported HTTP Transfer-Encoding"},
      {"101", Reply::raw("HTTP/1.1 101 Switching Protocols\r\n\r\n"), "101"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    HttpTestServer server([&c](const Request&) { return c.reply; });
    REQUIRE(server.ok());
    HttpClient client;
    const auto start = Clock::now();
    const HttpResponse r = post(client, server, "{}", 20s);
    CHECK_FALSE(r.transport_ok);
    CHECK_MESSAGE(contains(r.error, c.message), r.error);
    CHECK(Clock::now() - start < 10s);  // loose: detected, not timed out
    // The client recovers on a fresh connection.
    server.set_handler([](const Request&) { return Reply::ok("fine"); });
    const HttpResponse again = post(client, server);
    REQUIRE_MESSAGE(again.transport_ok, again.error);
    CHECK(again.body == "fine");
    CHECK(server.connection_count() == 2);
  }
}

TEST_CASE("post: limits") {
  HttpLimits small;
  small.max_status_line = 64;
  small.max_header_bytes = 256;
  small.max_body = 1024;
  struct Case {
    const char* name;
    Reply reply;
    const char* message;
  };
  Reply long_status = Reply::raw("HTTP/1.1 200 " + std::string(100, 'x') + "\r\n\r\n", false);
  Reply long_header = Reply::ok();
  long_header.headers.push_back({"X-Big", std::string(300, 'h')});
  Reply many_headers = Reply::ok();
  for (int i = 0; i < 20; ++i) many_headers.headers.push_back({"X-H" + std::to_string(i), "0123456789"});
  Reply big_body = Reply::ok(std::string(2000, 'b'));
  Reply big_chunked = Reply::ok(std::string(2000, 'b'));
  big_chunked.chunked = true;
  big_chunked.chunk_size = 100;
  Reply big_until_close = Reply::raw("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + std::string(2000, 'b'));
  Reply big_trailer = Reply::raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: " +
                                 std::string(300, 't') + "\r\n\r\n");
  const Case cases[] = {
      {"status line", long_status, "HTTP status line longer than 64 bytes"},
      {"one long header", long_header, "HTTP headers longer than 256 bytes"},
      {"many headers", many_headers, "HTTP headers longer than 256 bytes"},
      {"Content-Length body", big_body, "HTTP response body larger than 1024 bytes"},
      {"chunked body", big_chunked, "HTTP response body larger than 1024 bytes"},
      {"read-until-close body", big_until_close, "HTTP response body larger than 1024 bytes"},
      {"trailers", big_trailer, "HTTP trailers longer than 256 bytes"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    HttpTestServer server([&c](const Request&) { return c.reply; });
    REQUIRE(server.ok());
    HttpClient client(small);
    const HttpResponse r = post(client, server);
    CHECK_FALSE(r.transport_ok);
    CHECK_MESSAGE(contains(r.error, c.message), r.error);
  }
  SUBCASE("default limits, and exactly at the limit is fine") {
    HttpTestServer server([](const Request& req) {
      if (req.body == "long") return Reply::raw("HTTP/1.1 200 " + std::string(9000, 'x') + "\r\n\r\n", false);
      return Reply::ok(std::string(1024, 'b'));
    });
    REQUIRE(server.ok());
    HttpClient client;
    HttpResponse r = post(client, server, "long");
    CHECK(contains(r.error, "HTTP status line longer than 8192 bytes"));
    HttpClient limited(small);
    r = post(limited, server, "exact");
    REQUIRE_MESSAGE(r.transport_ok, r.error);
    CHECK(r.body.size() == 1024);
  }
}

TEST_CASE("post: interim 1xx responses are skipped; other framings") {
  HttpTestServer server([](const Request& req) {
    if (req.body == "1xx")
      return Reply::raw(
          "HTTP/1.1 100 Continue\r\n\r\n"
          "HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
          "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok",
          false);
    if (req.body == "close") return Reply::raw("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close");
    if (req.body == "1.0") return Reply::raw("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold", false);
    if (req.body == "204") return Reply::raw("HTTP/1.1 204 No Content\r\n\r\n", false);
    if (req.body == "folded") return Reply::raw("HTTP/1.1 200 OK\r\nX-F: a\r\n  b\r\nContent-Length: 0\r\n\r\n", false);
    return Reply::ok("plain");
  });
  REQUIRE(server.ok());
  HttpClient client;

  HttpResponse r = post(client, server, "1xx");
  REQUIRE_MESSAGE(r.transport_ok, r.error);
  CHECK(r.status == 202);
  CHECK(r.body == "ok");
  CHECK(r.header("link") == nullptr);
  CHECK(post(client, server).body == "plain");
  CHECK(server.connection_count() == 1);

  r = post(client, server, "close");
  REQUIRE_MESSAGE(r.transport_ok, r.error);
  CHECK(r.body == "until close");
  CHECK(post(client, server).body == "plain");
  CHECK(server.connection_count() == 2);

  r = post(client, server, "1.0");  // HTTP/1.0 without keep-alive: closed after
  REQUIRE_MESSAGE(r.transport_ok, r.error);
  CHECK(r.body == "old");
  CHECK(post(client, server).body == "plain");
  CHECK(server.connection_count() == 3);

  r = post(client, server, "204");
  REQUIRE_MESSAGE(r.transport_ok, r.error);
  CHECK(r.status == 204);
  CHECK(r.body.empty());
  r = post(client, server, "folded");
  REQUIRE_MESSAGE(r.transport_ok, r.error);
  REQUIRE(r.header("x-f") != nullptr);
  CHECK(*r.header("x-f") == "a b");
  CHECK(post(client, server).body == "plain");
  CHECK(server.connection_count() == 3);
}

TEST_CASE("post: a peer that closes while we send raises no SIGPIPE") {
  const net::socket_t listener = net::open_tcp(AF_INET);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&a), len) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  std::thread closer([listener] {  // accept, then close with the request unread (sends RST)
    pollfd p{listener, POLLIN, 0};
    if (net::poll(&p, 1, 5000) <= 0) return;
    const net::socket_t fd = ::accept(listener, nullptr, nullptr);
    pollfd q{fd, POLLIN, 0};
    net::poll(&q, 1, 5000);
    net::close(fd);
  });
  HttpClient client;
  const std::string body(16 * 1024 * 1024, 'x');
  const HttpResponse r = client.post(url_of("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/"), {},
                                     "application/json", body, Clock::now() + 10s);
  closer.join();
  net::close(listener);
  CHECK_FALSE(r.transport_ok);
  CHECK_MESSAGE((contains(r.error, "closed by the server") || contains(r.error, "reset by the server")), r.error);
}

TEST_CASE("post: IPv6 loopback") {
  HttpTestServer::Options options;
  options.ipv6 = true;
  HttpTestServer server(nullptr, options);
  if (!server.ok()) {
    MESSAGE("skipped: ::1 unavailable (" << server.error() << ")");
    return;
  }
  HttpClient client;
  const HttpResponse r = post(client, server);
  REQUIRE_MESSAGE(r.transport_ok, r.error);
  CHECK(r.status == 200);
  REQUIRE(server.wait_for_requests(1, 5s));
  const Request req = server.requests().at(0);
  REQUIRE(req.header("host") != nullptr);
  CHECK(*req.header("host") == "[::1]:" + std::to_string(server.port()));
}

TEST_CASE("parse_retry_after") {
  using trail::detail::parse_retry_after;
  using std::chrono::milliseconds;
  const std::int64_t when = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
  CHECK(parse_retry_after("120", when) == milliseconds(120000));
  CHECK(parse_retry_after(" 5 ", when) == milliseconds(5000));
  CHECK(parse_retry_after("0", when) == milliseconds(0));
  CHECK(parse_retry_after("99999999999999999999999", when) == milliseconds(1'000'000'000'000));

  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", when - 30) == milliseconds(30000));
  CHECK(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", when - 30) == milliseconds(30000));
  CHECK(parse_retry_after("Sun Nov  6 08:49:37 1994", when - 30) == milliseconds(30000));
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", when + 100) == milliseconds(0));  // past: no wait
  CHECK(parse_retry_after("Tue, 29 Feb 2000 00:00:00 GMT", 951782400 - 1) == milliseconds(1000));
  CHECK(parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", 0) == milliseconds(0));
  // RFC 850 two-digit years: at most 50 years ahead of now.
  const std::int64_t y2024 = 1704067200;  // 2024-01-01T00:00:00Z
  CHECK(parse_retry_after("Tuesday, 01-Jan-30 00:00:00 GMT", y2024) == milliseconds((1893456000 - y2024) * 1000));
  CHECK(parse_retry_after("Wednesday, 01-Jan-80 00:00:00 GMT", y2024) == milliseconds(0));  // 1980, past

  const char* garbage[] = {
      "", "   ", "soon", "-5", "1.5", "5s", "0x10",
      "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
      "Tue, 29 Feb 2001 00:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 PST", "Sun, 06 Nov 1994 08:49:37",
      "Sun, 6 Nov 1994 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-1994 08:49:37 GMT",
      "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 1994 GMT", "Sun, 06 Nov 1994 08:49:37 GMT trailing",
  };
  for (const char* g : garbage) {
    const std::string text = g;
    CAPTURE(text);
    CHECK_FALSE(parse_retry_after(g, when).has_value());
  }
}
