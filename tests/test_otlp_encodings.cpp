// The OTLP/HTTP exporter's encodings against the loopback test server:
// http/protobuf requests, gzip bodies, protobuf answers, and the switch to
// protobuf when a receiver answers 415 to JSON.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <trail/export/gzip.hpp>
#include <trail/export/otlp_http_exporter.hpp>

#if TRAIL_WITH_ZLIB
#include <zlib.h>
#endif

#include "support/http_test_server.hpp"
#include "support/otlp_proto_decode.hpp"
#include "support/stderr_capture.hpp"

using namespace std::chrono_literals;
using trail::OtlpProtocol;
using trail::test::HttpTestServer;
using trail::test::Reply;
using trail::test::Request;

namespace {

std::vector<trail::SpanData> some_spans(int n) {
  std::vector<trail::SpanData> spans(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto& s = spans[static_cast<std::size_t>(i)];
    s.trace_id = {1, static_cast<std::uint64_t>(i + 1)};
    s.span_id = {static_cast<std::uint64_t>(100 + i)};
    s.name = "work";
    s.start_time_unix_nano = 1000;
    s.end_time_unix_nano = 2000;
    s.attributes = {{"i", std::int64_t{i}}, {"text", std::string(50, 'a' + i % 26)}};
  }
  return spans;
}

std::vector<trail::MetricData> some_metrics() {
  trail::MetricData m;
  m.name = "agent.tokens";
  m.type = trail::MetricType::sum;
  m.is_monotonic = true;
  m.number_points.push_back({{{"model", std::string("m")}}, 1, 2, false, 42, 0});
  return {m};
}

const trail::Resource resource{{{"service.name", std::string("encodings")}}};
const trail::InstrumentationScope scope{"trail", "test"};

trail::OtlpHttpOptions options_for(const HttpTestServer& server) {
  trail::OtlpHttpOptions o;
  o.traces_endpoint = server.url("/v1/traces");
  o.metrics_endpoint = server.url("/v1/metrics");
  o.traces_timeout = o.metrics_timeout = 2000ms;
  o.initial_backoff = 10ms;
  return o;
}

trail::ExportResult send_spans(trail::OtlpHttpExporter& e, const std::vector<trail::SpanData>& spans) {
  const trail::SpanBatch batch{resource, scope, spans.data(), spans.size()};
  return e.export_spans(batch, trail::ExportDeadline(trail::Clock::now() + 5s));
}

trail::ExportResult send_metrics(trail::OtlpHttpExporter& e, const std::vector<trail::MetricData>& metrics) {
  const trail::MetricBatch batch{resource, scope, metrics};
  return e.export_metrics(batch, trail::ExportDeadline(trail::Clock::now() + 5s));
}

std::string header(const Request& r, const char* name) {
  const std::string* v = r.header(name);
  return v ? *v : std::string("<absent>");
}

#if TRAIL_WITH_ZLIB
std::string gunzip(const std::string& in) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);  // gzip only
  std::string out(in.size() * 20 + 1024, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int r = inflate(&z, Z_FINISH);
  inflateEnd(&z);
  REQUIRE(r == Z_STREAM_END);
  CHECK(z.avail_in == 0);  // one member, nothing after it
  out.resize(z.total_out);
  return out;
}
#endif

}  // namespace

TEST_CASE("http/protobuf: traces and metrics go out as application/x-protobuf and decode to the batch") {
  HttpTestServer server([](const Request&) { return Reply::ok("", "application/x-protobuf"); });
  REQUIRE(server.ok());
  auto o = options_for(server);
  o.traces_protocol = o.metrics_protocol = OtlpProtocol::http_protobuf;
  trail::OtlpHttpExporter exporter(o);
  const auto spans = some_spans(5);
  const auto metrics = some_metrics();
  CHECK(send_spans(exporter, spans).ok());
  CHECK(send_metrics(exporter, metrics).ok());
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(header(requests[0], "Content-Type") == "application/x-protobuf");
  CHECK(header(requests[0], "Content-Encoding") == "<absent>");
  CHECK(requests[0].body == trail::to_otlp_protobuf(resource, scope, spans));
  const auto decoded = trail::test::decode_otlp(requests[0].body, "ExportTraceServiceRequest");
  CHECK(decoded["resourceSpans"][0]["scopeSpans"][0]["spans"].size() == 5);
  CHECK(requests[1].target == "/v1/metrics");
  CHECK(header(requests[1], "Content-Type") == "application/x-protobuf");
  const auto m = trail::test::decode_otlp(requests[1].body, "ExportMetricsServiceRequest");
  CHECK(m["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["sum"]["dataPoints"][0]["asInt"] == "42");
}

TEST_CASE("the default stays http/json") {
  HttpTestServer server([](const Request&) { return Reply::ok("{}"); });
  REQUIRE(server.ok());
  trail::OtlpHttpExporter exporter(options_for(server));
  CHECK(exporter.traces_protocol() == OtlpProtocol::http_json);
  CHECK(send_spans(exporter, some_spans(1)).ok());
  REQUIRE(server.requests().size() == 1);
  CHECK(header(server.requests()[0], "Content-Type") == "application/json");
  CHECK(nlohmann::json::parse(server.requests()[0].body).contains("resourceSpans"));
}

TEST_CASE("gzip: the body is one gzip member that inflates to the uncompressed encoding") {
  if (!trail::detail::gzip_available) {
    MESSAGE("built without zlib: gzip not tested here (see test_gzip_absent)");
    return;
  }
#if TRAIL_WITH_ZLIB
  HttpTestServer server([](const Request&) { return Reply::ok("{}"); });
  REQUIRE(server.ok());
  for (OtlpProtocol protocol : {OtlpProtocol::http_json, OtlpProtocol::http_protobuf}) {
    CAPTURE(static_cast<int>(protocol));
    auto o = options_for(server);
    o.traces_protocol = o.metrics_protocol = protocol;
    o.traces_compression = trail::Compression::gzip;  // metrics: uncompressed
    trail::OtlpHttpExporter exporter(o);
    const auto spans = some_spans(40);
    const auto before = server.requests().size();
    CHECK(send_spans(exporter, spans).ok());
    CHECK(send_spans(exporter, spans).ok());  // the compressor is reused
    CHECK(send_metrics(exporter, some_metrics()).ok());
    const auto requests = server.requests();
    REQUIRE(requests.size() == before + 3);
    const Request& r = requests[before];
    CHECK(header(r, "Content-Encoding") == "gzip");
    std::string plain;
    if (protocol == OtlpProtocol::http_json) plain = trail::to_otlp_json(resource, scope, spans);
    else plain = trail::to_otlp_protobuf(resource, scope, spans);
    CHECK(gunzip(r.body) == plain);
    CHECK(r.body.size() * 3 < plain.size());  // repetitive spans compress well
    CHECK(requests[before + 1].body == r.body);
    CHECK(header(requests[before + 2], "Content-Encoding") == "<absent>");
  }
  // A body that does not compress (random bytes) still round-trips.
  std::string noise(100000, '\0');
  std::uint64_t x = 88172645463325252ull;
  for (char& c : noise) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  trail::detail::GzipCompressor gzip;
  std::string out, error;
  REQUIRE(gzip.compress(noise, out, error));
  CHECK(gunzip(out) == noise);
  REQUIRE(gzip.compress("", out, error));
  CHECK(gunzip(out).empty());
#endif
}

TEST_CASE("a 415 to JSON switches that signal to protobuf for the rest of the run, said once") {
  HttpTestServer server([](const Request& r) {
    const std::string* type = r.header("Content-Type");
    if (r.target == "/v1/traces" && type && *type == "application/json")
      return Reply::with_status(415, R"({"code":3,"message":"unsupported content type"})");
    return Reply::ok("", type ? *type : "application/json");
  });
  REQUIRE(server.ok());
  trail::OtlpHttpExporter exporter(options_for(server));
  const auto spans = some_spans(3);
  trail::ExportResult first, second, metrics;
  const std::string said = trail::test::capture_stderr([&] {
    first = send_spans(exporter, spans);
    second = send_spans(exporter, spans);
    metrics = send_metrics(exporter, some_metrics());
  });
  CHECK(first.ok());
  CHECK(second.ok());
  CHECK(metrics.ok());
  CHECK(exporter.traces_protocol() == OtlpProtocol::http_protobuf);
  CHECK(exporter.metrics_protocol() == OtlpProtocol::http_json);  // its endpoint took JSON
  const auto requests = server.requests();
  REQUIRE(requests.size() == 4);
  CHECK(header(requests[0], "Content-Type") == "application/json");
  CHECK(header(requests[1], "Content-Type") == "application/x-protobuf");
  CHECK(requests[1].body == trail::to_otlp_protobuf(resource, scope, spans));
  CHECK(header(requests[2], "Content-Type") == "application/x-protobuf");  // straight away the next time
  CHECK(header(requests[3], "Content-Type") == "application/json");
  CAPTURE(said);
  CHECK(said.find("415") != std::string::npos);
  CHECK(said.find("traces") != std::string::npos);
  CHECK(said.find("http/protobuf") != std::string::npos);
  CHECK(std::count(said.begin(), said.end(), '\n') == 1);
}

TEST_CASE("a 415 to protobuf is a rejection, not a loop") {
  HttpTestServer server([](const Request&) { return Reply::with_status(415); });
  REQUIRE(server.ok());
  auto o = options_for(server);
  o.traces_protocol = OtlpProtocol::http_protobuf;
  trail::OtlpHttpExporter exporter(o);
  const auto r = send_spans(exporter, some_spans(1));
  CHECK(r.status == trail::ExportResult::Status::rejected);
  CHECK(server.requests().size() == 1);
}

TEST_CASE("protobuf answers: partial_success is counted, a Status body is shown by its message") {
  int calls = 0;
  HttpTestServer server([&](const Request&) {
    ++calls;
    if (calls == 1) {  // ExportTraceServiceResponse{partial_success{rejected_spans 2, error_message "bad"}}
      return Reply::ok(std::string("\x0a\x07\x08\x02\x12\x03" "bad", 9), "application/x-protobuf");
    }
    Reply r = Reply::with_status(400, std::string("\x08\x03\x12\x0c" "invalid span", 16));  // google.rpc.Status
    r.headers.push_back({"Content-Type", "application/x-protobuf"});
    return r;
  });
  REQUIRE(server.ok());
  auto o = options_for(server);
  o.traces_protocol = OtlpProtocol::http_protobuf;
  trail::OtlpHttpExporter exporter(o);
  const auto partial = send_spans(exporter, some_spans(3));
  CHECK(partial.ok());
  CHECK(partial.rejected == 2);
  CHECK(partial.message == "bad");
  const auto refused = send_spans(exporter, some_spans(3));
  CHECK(refused.status == trail::ExportResult::Status::rejected);
  CAPTURE(refused.message);
  CHECK(refused.message.find("HTTP 400") != std::string::npos);
  CHECK(refused.message.find("invalid span") != std::string::npos);
  CHECK(refused.message.find('\x08') == std::string::npos);  // not the raw bytes
}
