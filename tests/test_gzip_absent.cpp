// A build without zlib (as when zlib is not installed): gzip asked for gets
// one clear line on stderr and requests go out uncompressed. This translation
// unit turns zlib off whatever the build found.
#undef TRAIL_WITH_ZLIB
#define TRAIL_WITH_ZLIB 0

#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include <trail/export/otlp_http_exporter.hpp>

#include "support/http_test_server.hpp"
#include "support/stderr_capture.hpp"

using namespace std::chrono_literals;

TEST_CASE("without zlib, compression=gzip is said once and requests go out uncompressed") {
  static_assert(!trail::detail::gzip_available);
  trail::test::HttpTestServer server([](const trail::test::Request&) { return trail::test::Reply::ok("{}"); });
  REQUIRE(server.ok());
  trail::OtlpHttpOptions o;
  o.traces_endpoint = server.url("/v1/traces");
  o.metrics_endpoint = server.url("/v1/metrics");
  o.traces_compression = o.metrics_compression = trail::Compression::gzip;
  std::string said;
  {
    trail::OtlpHttpExporter* exporter = nullptr;
    said = trail::test::capture_stderr([&] { exporter = new trail::OtlpHttpExporter(o); });
    std::vector<trail::SpanData> spans(1);
    spans[0].trace_id = {1, 2};
    spans[0].span_id = {3};
    spans[0].name = "s";
    spans[0].start_time_unix_nano = 1;
    spans[0].end_time_unix_nano = 2;
    const trail::Resource resource;
    const trail::InstrumentationScope scope;
    CHECK(exporter->export_spans({resource, scope, spans.data(), 1}, trail::ExportDeadline(trail::Clock::now() + 5s))
              .ok());
    delete exporter;
    REQUIRE(server.requests().size() == 1);
    CHECK(server.requests()[0].header("Content-Encoding") == nullptr);
    CHECK(server.requests()[0].body == trail::to_otlp_json(resource, scope, spans));
  }
  CAPTURE(said);
  CHECK(said.find("zlib") != std::string::npos);
  CHECK(said.find("uncompressed") != std::string::npos);
  CHECK(std::count(said.begin(), said.end(), '\n') == 1);
}
