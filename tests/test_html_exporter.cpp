// The HTML timeline: the page embeds the viewer and the run's data in the
// compact form the viewer decodes (checked here field by field, without a
// browser; scripts/ci/timeline.sh opens it in Chromium).
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include <trail/export/html_exporter.hpp>
#include <trail/runtime.hpp>

#include "support/sample_run.hpp"

namespace {

using trail::test::sample_run;

std::string render(const trail::test::SampleRun& run) {
  trail::detail::TimelineStore store;
  store.add(run.resource, run.spans.data(), run.spans.size());
  for (const auto& m : run.metric_exports) store.add(run.resource, m);
  std::string html;
  trail::detail::append_timeline_html(store, html);
  return html;
}

nlohmann::json data_of(const std::string& html) {
  const std::string open = "<script id=\"trail-data\" type=\"application/json\">";
  const auto begin = html.find(open);
  REQUIRE(begin != std::string::npos);
  const auto end = html.find("</script>", begin);
  REQUIRE(end != std::string::npos);
  return nlohmann::json::parse(html.substr(begin + open.size(), end - begin - open.size()));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The value of `key` in attribute set `set` as the viewer reads it.
nlohmann::json attribute(const nlohmann::json& d, std::size_t set, const std::string& key) {
  const auto& a = d["attrsets"][set];
  for (std::size_t i = 0; i + 2 < a.size(); i += 3)
    if (d["strings"][a[i].get<std::size_t>()] == key)
      return a[i + 1] == 0 ? d["strings"][a[i + 2].get<std::size_t>()] : a[i + 2];
  return nullptr;
}

}  // namespace

TEST_CASE("the HTML page holds the viewer and the run, nothing from the network") {
  const std::string html = render(sample_run());
  CHECK(html.rfind("<!doctype html>", 0) == 0);
  CHECK(html.find("</html>") != std::string::npos);
  CHECK(html.find("Content-Security-Policy") != std::string::npos);
  for (const char* remote : {"http://", "https://", "//cdn", "@import", "src=\""}) {
    INFO(remote);
    CHECK(html.find(remote) == std::string::npos);
  }
  CHECK(html.find("@TRAIL_DATA@") == std::string::npos);
  CHECK(html.find("@VIEWER_JS@") == std::string::npos);
  CHECK(html.find("function draw()") != std::string::npos);
}

TEST_CASE("the embedded data: spans by start, delta-coded, parents as positions, ids, attributes, events") {
  const auto run = sample_run();
  const std::string html = render(run);
  // "</script>" inside an attribute cannot end the data element.
  CHECK(html.find("</script><b>") == std::string::npos);
  const auto d = data_of(html);
  CHECK(d["format"] == "trail-timeline");
  CHECK(d["resource"]["service.name"] == "sample");
  const auto& s = d["spans"];
  const std::size_t n = s["n"];
  REQUIRE(n == run.spans.size());
  CHECK(s["id"].get<std::string>().size() == 16 * n);
  CHECK(d["traces"].get<std::string>().size() == 32 * 3);
  CHECK(d["t0"] == "1700000000000000000");

  std::vector<std::uint64_t> start(n);
  std::uint64_t t = 0;
  for (std::size_t i = 0; i < n; ++i) start[i] = t += s["start"][i].get<std::uint64_t>();
  for (std::size_t i = 1; i < n; ++i) CHECK(start[i - 1] <= start[i]);
  auto position = [&](const char* span_hex) {
    const std::string ids = s["id"];
    const auto at = ids.find(span_hex);
    REQUIRE(at != std::string::npos);
    return at / 16;
  };
  auto name = [&](std::size_t p) { return d["strings"][s["name"][p].get<std::size_t>()].get<std::string>(); };
  // Ties on start: the longer (the parent) first.
  CHECK(name(0) == "session guard");
  CHECK(name(1) == "frame");
  const auto llm = position("0000000000000033");
  CHECK(name(llm) == "chat model-x");
  CHECK(start[llm] == 15'000'000);
  CHECK(s["dur"][llm] == 45'000'000);
  CHECK(s["parent"][llm] == position("0000000000000032"));
  CHECK(s["parent"][position("0000000000000031")] == -1);
  CHECK(s["kind"][llm] == static_cast<int>(trail::SpanKind::client));
  const std::size_t set = s["attrs"][llm];
  CHECK(attribute(d, set, "gen_ai.request.model") == "model-x");
  CHECK(attribute(d, set, "gen_ai.usage.input_tokens") == 812);
  CHECK(attribute(d, set, "note") == "</script><b>");
  CHECK(attribute(d, set, "thread.id") == 7);

  const auto tool = position("0000000000000035");
  CHECK(s["status"][tool] == 2);
  CHECK(attribute(d, s["attrs"][tool], "score") == 0.5);
  CHECK(attribute(d, s["attrs"][tool], "ok") == 0);
  bool message = false;
  for (const auto& m : s["msg"])
    if (m[0] == tool) message = d["strings"][m[1].get<std::size_t>()] == "no path";
  CHECK(message);
  REQUIRE(s["events"].size() == 1);
  CHECK(s["events"][0][0] == tool);
  CHECK(d["strings"][s["events"][0][1].get<std::size_t>()] == "exception");
  CHECK(s["events"][0][2] == 2'000'000);
  // Identical attribute sets are stored once: both "plan" spans share theirs.
  CHECK(s["attrs"][position("0000000000000032")] == s["attrs"][position("0000000000000034")]);
}

TEST_CASE("a parent outside the file is kept as its id") {
  auto run = sample_run();
  run.spans[1].parent_span_id = trail::SpanId{0x999};
  const auto d = data_of(render(run));
  const auto& s = d["spans"];
  REQUIRE(s["remote_parent"].size() == 1);
  const std::size_t p = s["remote_parent"][0][0];
  CHECK(s["parent"][p] == -2);
  CHECK(s["remote_parent"][0][1] == "0000000000000999");
}

TEST_CASE("metric series: one per name and attributes, a point per export, histogram buckets") {
  const auto d = data_of(render(sample_run()));
  REQUIRE(d["metrics"].size() == 2);
  const auto& gauge = d["metrics"][0];
  CHECK(gauge["name"] == "queue.depth");
  CHECK(gauge["type"] == "gauge");
  CHECK(gauge["v"] == nlohmann::json::array({3, 6}));
  CHECK(gauge["t"] == nlohmann::json::array({50'000'000, 100'000'000}));
  const auto& histogram = d["metrics"][1];
  CHECK(histogram["type"] == "histogram");
  CHECK(histogram["v"] == nlohmann::json::array({2, 4}));
  CHECK(histogram["sum"] == nlohmann::json::array({5, 10}));
  CHECK(histogram["bounds"] == nlohmann::json::array({1, 4}));
  CHECK(histogram["buckets"] == nlohmann::json::array({0, 2, 2}));
}

TEST_CASE("the HTML exporter writes the file at a flush and again at shutdown; bounded by max_spans") {
  const std::string path = "test_html_exporter.html";
  std::remove(path.c_str());
  const auto run = sample_run();
  trail::HtmlExporter exporter(path, /*max_spans=*/5);
  trail::test::export_sample(exporter, run);
  const trail::ExportDeadline deadline(trail::Clock::now() + std::chrono::seconds(5));
  REQUIRE(exporter.force_flush(deadline).ok());
  auto d = data_of(read_file(path));
  CHECK(d["spans"]["n"] == 5);
  CHECK(d["dropped"] == run.spans.size() - 5);
  std::remove(path.c_str());
  exporter.shutdown();  // nothing new since the flush, but the file is gone: not rewritten
  CHECK(read_file(path).empty());
  exporter.export_spans(trail::SpanBatch{run.resource, run.scope, run.spans.data(), 1}, deadline);
  exporter.shutdown();
  d = data_of(read_file(path));
  CHECK(d["dropped"] == run.spans.size() - 5 + 1);
  std::remove(path.c_str());
}

TEST_CASE("an unwritable path fails the flush with the reason, without throwing") {
  trail::HtmlExporter exporter("/nonexistent-dir/x.html");
  trail::test::export_sample(exporter, sample_run());
  const auto r = exporter.force_flush(trail::ExportDeadline(trail::Clock::now() + std::chrono::seconds(1)));
  CHECK_FALSE(r.ok());
  CHECK(r.message.find("/nonexistent-dir/x.html.tmp") != std::string::npos);
  exporter.shutdown();  // reports on stderr, does not throw
}

TEST_CASE("OTEL_TRACES_EXPORTER=html through trail::init: written at each flush and at shutdown, metrics included") {
  const std::string path = "test_html_runtime.html";
  std::remove(path.c_str());
  trail::Config config;
  config.settings.traces_exporters = {trail::ExporterKind::html};
  config.settings.metrics_exporters = {};  // the html file takes the metrics anyway
  config.settings.html_file = path;
  REQUIRE(trail::init(config));
  { TRAIL_SPAN("first"); }
  REQUIRE(trail::flush(std::chrono::seconds(5)));
  auto d = data_of(read_file(path));
  CHECK(d["spans"]["n"] == 1);
  bool health = false;
  for (const auto& m : d["metrics"]) health = health || m["name"] == "trail.spans.exported";
  CHECK(health);
  { TRAIL_SPAN("second"); }
  trail::shutdown();
  d = data_of(read_file(path));
  CHECK(d["spans"]["n"] == 2);
  std::remove(path.c_str());
}
