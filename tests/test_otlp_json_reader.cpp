// OTLP/JSON lines read back (what tools/trail-timeline converts): every
// field trail writes survives the round trip, and a bad line is an error
// with a reason, not a crash.
#include <doctest/doctest.h>

#include <string>

#include <trail/export/html_exporter.hpp>
#include <trail/export/otlp_json.hpp>
#include <trail/export/otlp_json_metrics.hpp>
#include <trail/export/otlp_json_reader.hpp>

#include "support/sample_run.hpp"

TEST_CASE("spans written as OTLP/JSON read back equal, field by field") {
  const auto run = trail::test::sample_run();
  std::string line;
  trail::detail::write_trace_request(line, run.resource, run.scope, run.spans.data(), run.spans.size());
  const trail::OtlpJsonLine parsed = trail::read_otlp_json_line(line);
  REQUIRE(parsed.spans.size() == 1);
  CHECK(parsed.metrics.empty());
  const auto& back = parsed.spans[0].spans;
  REQUIRE(back.size() == run.spans.size());
  CHECK(parsed.spans[0].resource.attributes.size() == run.resource.attributes.size());
  for (std::size_t i = 0; i < back.size(); ++i) {
    const auto& a = run.spans[i];
    const auto& b = back[i];
    INFO(a.name);
    CHECK(a.trace_id == b.trace_id);
    CHECK(a.span_id == b.span_id);
    CHECK(a.parent_span_id == b.parent_span_id);
    CHECK(a.name == b.name);
    CHECK(a.kind == b.kind);
    CHECK(a.start_time_unix_nano == b.start_time_unix_nano);
    CHECK(a.end_time_unix_nano == b.end_time_unix_nano);
    CHECK(a.status_code == b.status_code);
    CHECK(a.status_message == b.status_message);
    REQUIRE(a.attributes.size() == b.attributes.size());
    for (std::size_t k = 0; k < a.attributes.size(); ++k) {
      CHECK(a.attributes[k].key == b.attributes[k].key);
      CHECK(a.attributes[k].value == b.attributes[k].value);
    }
    REQUIRE(a.events.size() == b.events.size());
    for (std::size_t k = 0; k < a.events.size(); ++k) {
      CHECK(a.events[k].name == b.events[k].name);
      CHECK(a.events[k].time_unix_nano == b.events[k].time_unix_nano);
      CHECK(a.events[k].attributes.size() == b.events[k].attributes.size());
    }
  }
}

TEST_CASE("metrics written as OTLP/JSON read back: sums, gauges, histograms") {
  const auto run = trail::test::sample_run();
  std::string line;
  trail::write_metrics_request(line, run.resource, run.scope, run.metric_exports[1]);
  const auto parsed = trail::read_otlp_json_line(line);
  REQUIRE(parsed.metrics.size() == 1);
  const auto& m = parsed.metrics[0].metrics;
  REQUIRE(m.size() == 2);
  CHECK(m[0].name == "queue.depth");
  CHECK(m[0].type == trail::MetricType::gauge);
  REQUIRE(m[0].number_points.size() == 1);
  CHECK(m[0].number_points[0].as_int == 6);
  CHECK(m[1].type == trail::MetricType::histogram);
  REQUIRE(m[1].histogram_points.size() == 1);
  CHECK(m[1].histogram_points[0].count == 4);
  CHECK(m[1].histogram_points[0].sum == 10.0);
  CHECK(m[1].histogram_points[0].bucket_counts == std::vector<std::uint64_t>{0, 2, 2});
  CHECK(m[1].histogram_points[0].explicit_bounds == std::vector<double>{1, 4});
}

TEST_CASE("converted to the timeline, the span count is the file's") {
  const auto run = trail::test::sample_run();
  std::string line;
  trail::detail::write_trace_request(line, run.resource, run.scope, run.spans.data(), run.spans.size());
  trail::detail::TimelineStore store;
  for (const auto& group : trail::read_otlp_json_line(line).spans)
    store.add(trail::Resource{group.resource}, group.spans.data(), group.spans.size());
  std::string html;
  trail::detail::append_timeline_html(store, html);
  CHECK(html.find("\"spans\":{\"n\":9,") != std::string::npos);
}

TEST_CASE("lines that are not OTLP/JSON throw with a reason") {
  CHECK_THROWS(trail::read_otlp_json_line("{not json"));
  CHECK_THROWS_WITH(trail::read_otlp_json_line("{\"x\":1}"), "neither resourceSpans nor resourceMetrics");
  CHECK_THROWS_WITH(trail::read_otlp_json_line(
                        R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz","spanId":"0000000000000001"}]}]}]})"),
                    "traceId is not 32 lowercase hex digits");
  CHECK_THROWS(trail::read_otlp_json_line(
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]})"));
}
