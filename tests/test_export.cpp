// The export pipeline end to end: spans recorded with the public API, exported
// by the flusher, received by a loopback OTLP receiver that parses what
// arrives. Each test runs one trail::init ... trail::shutdown cycle.
#include <doctest/doctest.h>

// First: settings.hpp calls an unqualified quoted(std::string) that <iomanip>'s
// std::quoted would hijack through ADL if it were already declared.
#include <trail/metrics.hpp>
#include <trail/platform/process.hpp>
#include <trail/runtime.hpp>
#include <trail/export/console_exporter.hpp>
#include <trail/export/memory_exporter.hpp>
#include <trail/export/otlp_http_exporter.hpp>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <map>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>


#include <nlohmann/json.hpp>

#include "support/environment.hpp"
#include "support/failing_transport.hpp"
#include "support/http_test_server.hpp"
#include "support/otlp_config.hpp"
#include "support/otlp_proto_decode.hpp"
#include "support/sanitizers.hpp"
#include "support/stats_identity.hpp"
#include "support/stderr_capture.hpp"

using namespace std::chrono_literals;
using trail::test::capture_stderr;
using trail::test::otlp_config;
using nlohmann::json;
using trail::test::HttpTestServer;
using trail::test::Reply;
using trail::test::Request;

namespace {

// Every span of every POST /v1/traces the server received, each with the
// resource and scope of its batch.
struct ReceivedSpan {
  json span, resource, scope;
};

// The POST /v1/traces requests (the metric reader may post /v1/metrics too).
std::vector<Request> trace_requests(const HttpTestServer& server) {
  std::vector<Request> out;
  for (Request& req : server.requests())
    if (req.target == "/v1/traces") out.push_back(std::move(req));
  return out;
}

std::size_t span_count(const Request& req) {
  return json::parse(req.body).at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").size();
}

std::vector<ReceivedSpan> received_spans(const HttpTestServer& server) {
  std::vector<ReceivedSpan> out;
  for (const Request& req : trace_requests(server)) {
    const json body = json::parse(req.body);  // throws (fails the test) on invalid JSON or UTF-8
    for (const json& rs : body.at("resourceSpans"))
      for (const json& ss : rs.at("scopeSpans"))
        for (const json& span : ss.at("spans")) out.push_back({span, rs.at("resource"), ss.at("scope")});
  }
  return out;
}

// The value object of attribute `key` in an OTLP KeyValue list, or null.
json attribute(const json& holder, const std::string& key) {
  if (!holder.contains("attributes")) return nullptr;
  for (const json& kv : holder.at("attributes"))
    if (kv.at("key") == key) return kv.at("value");
  return nullptr;
}

bool is_lower_hex(const json& v, std::size_t length) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  return s.size() == length && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The same through an exporter of our own, whose retries start after 20 ms.
trail::Config fast_retry_config(const HttpTestServer& server, std::chrono::milliseconds export_timeout) {
  trail::OtlpHttpOptions o;
  o.traces_endpoint = server.url("/v1/traces");
  o.metrics_endpoint = server.url("/v1/metrics");
  o.traces_timeout = 1000ms;
  o.initial_backoff = 20ms;
  o.max_backoff = 200ms;
  trail::Config c = otlp_config(server);
  c.settings.traces_exporters = {};
  c.settings.bsp_export_timeout = export_timeout;
  c.exporters.push_back(std::make_shared<trail::OtlpHttpExporter>(o));
  return c;
}

// An endpoint where nothing listens (connection refused).
std::string closed_endpoint() {
  HttpTestServer server;
  REQUIRE(server.ok());
  return server.url("/v1/traces");  // the port is free again once `server` is gone
}

// init in the constructor, shutdown in the destructor.
struct Running {
  explicit Running(const trail::Config& config) { REQUIRE(trail::init(config)); }
  ~Running() { trail::shutdown(); }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;
};

void record_spans(int n, const char* name = "work") {
  for (int i = 0; i < n; ++i) {
    trail::Span s(name);
    s.set("i", i);
  }
}

void check_accounting(const trail::Stats& s) {
  CHECK(trail::test::stats_identity_holds(s));
  CHECK(s.spans_pending == 0);
}

// Waits until pred() or the deadline.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds within = 10s) {
  const auto end = std::chrono::steady_clock::now() + within;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

}  // namespace

TEST_CASE("nested spans from several threads arrive with every field, resource, scope and headers") {
  HttpTestServer server;
  REQUIRE(server.ok());
  trail::Config config = otlp_config(server);
  for (auto& a : config.settings.resource)
    if (a.key == "service.name") a.value = std::string("export-test");
  {
    Running running(config);
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([t] {
        trail::Span outer("outer");
        outer.set("worker", t);
        trail::Span inner("inner");
        inner.set("text", "plain").set("flag", true).set("count", 42).set("ratio", 0.25);
        inner.set("nan", std::nan("")).set("inf", HUGE_VAL).set("tags", {"a", "b"});
        inner.event("checkpoint").set("step", 7).set("why", std::string("because"));
        inner.error("it broke");
      });
    }
    for (auto& th : threads) th.join();
    REQUIRE(trail::flush(5s));
    check_accounting(trail::stats());
    CHECK(trail::stats().spans_exported == 6);
  }

  const auto requests = trace_requests(server);
  REQUIRE_FALSE(requests.empty());
  for (const Request& req : requests) {
    CHECK(req.method == "POST");
    CHECK(req.target == "/v1/traces");
    REQUIRE(req.header("Content-Type") != nullptr);
    CHECK(*req.header("Content-Type") == "application/json");
    REQUIRE(req.header("User-Agent") != nullptr);  // the OTel spec: exporters SHOULD send one
    CHECK(*req.header("User-Agent") == std::string("trail/") + trail::version_string);
  }

  const auto spans = received_spans(server);
  REQUIRE(spans.size() == 6);
  for (const auto& r : spans) {
    CHECK(attribute(r.resource, "service.name") == json{{"stringValue", "export-test"}});
    CHECK(attribute(r.resource, "telemetry.sdk.name") == json{{"stringValue", "trail"}});
    CHECK(attribute(r.resource, "telemetry.sdk.language") == json{{"stringValue", "cpp"}});
    CHECK(attribute(r.resource, "telemetry.sdk.version") == json{{"stringValue", trail::version_string}});
    CHECK(r.scope.at("name") == "trail");
    CHECK(r.scope.at("version") == trail::version_string);

    const json& s = r.span;
    CHECK(is_lower_hex(s.at("traceId"), 32));
    CHECK(is_lower_hex(s.at("spanId"), 16));
    CHECK(s.at("kind") == 1);  // SPAN_KIND_INTERNAL
    CHECK(s.at("flags") == 0x101);
    // 64-bit times are decimal strings (proto3 JSON).
    const auto start = std::stoull(s.at("startTimeUnixNano").get<std::string>());
    const auto end = std::stoull(s.at("endTimeUnixNano").get<std::string>());
    CHECK(start > 0);
    CHECK(start <= end);
  }

  int inner_count = 0;
  for (const auto& r : spans) {
    if (r.span.at("name") != "inner") continue;
    ++inner_count;
    const json& inner = r.span;
    // Its parent is the outer span of the same thread, in the same trace.
    const ReceivedSpan* parent = nullptr;
    for (const auto& o : spans)
      if (o.span.at("name") == "outer" && o.span.at("spanId") == inner.at("parentSpanId")) parent = &o;
    REQUIRE(parent != nullptr);
    CHECK_FALSE(parent->span.contains("parentSpanId"));
    CHECK(parent->span.at("traceId") == inner.at("traceId"));
    CHECK(attribute(parent->span, "thread.id") == attribute(inner, "thread.id"));
    CHECK(attribute(parent->span, "worker").at("intValue").is_string());

    CHECK(attribute(inner, "text") == json{{"stringValue", "plain"}});
    CHECK(attribute(inner, "flag") == json{{"boolValue", true}});
    CHECK(attribute(inner, "count") == json{{"intValue", "42"}});
    CHECK(attribute(inner, "ratio") == json{{"doubleValue", 0.25}});
    CHECK(attribute(inner, "nan") == json{{"doubleValue", "NaN"}});
    CHECK(attribute(inner, "inf") == json{{"doubleValue", "Infinity"}});
    CHECK(attribute(inner, "tags") ==
          json::parse(R"({"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":"b"}]}})"));

    REQUIRE(inner.at("events").size() == 1);
    const json& event = inner.at("events")[0];
    CHECK(event.at("name") == "checkpoint");
    const auto at = std::stoull(event.at("timeUnixNano").get<std::string>());
    CHECK(at >= std::stoull(inner.at("startTimeUnixNano").get<std::string>()));
    CHECK(at <= std::stoull(inner.at("endTimeUnixNano").get<std::string>()));
    CHECK(attribute(event, "step") == json{{"intValue", "7"}});
    CHECK(attribute(event, "why") == json{{"stringValue", "because"}});

    CHECK(inner.at("status") == json{{"code", 2}, {"message", "it broke"}});  // STATUS_CODE_ERROR
  }
  CHECK(inner_count == 3);
}

TEST_CASE("odd strings arrive as valid JSON: quotes, control characters, invalid UTF-8, a 1 MB value") {
  HttpTestServer server;
  REQUIRE(server.ok());
  const std::string odd = "say \"hi\" \\ back\nslash\t\x01\x1f end";
  const std::string big(1 << 20, 'x');
  {
    Running running(otlp_config(server));
    trail::set_ring_capacity(1 << 16);  // after init (which sets it), before the thread's first span
    std::thread([&] {
      trail::Span s("odd");
      s.set("odd", odd);
      s.set("invalid utf8", std::string("a\xff" "b"));
      s.set("big", big);
      s.error(odd);
    }).join();
    REQUIRE(trail::flush(10s));
    CHECK(trail::stats().spans_exported == 1);
  }
  const auto spans = received_spans(server);
  REQUIRE(spans.size() == 1);
  const json& s = spans[0].span;
  CHECK(attribute(s, "odd").at("stringValue") == odd);
  CHECK(attribute(s, "invalid utf8").at("stringValue") == "a\xEF\xBF\xBD" "b");  // U+FFFD
  CHECK(attribute(s, "big").at("stringValue") == big);
  CHECK(s.at("status").at("message") == odd);
}

TEST_CASE("faults: a receiver that drops every connection, then comes up, gets the spans recorded meanwhile") {
  std::atomic<bool> up{false};
  HttpTestServer server([&](const Request&) { return up ? Reply::ok("{}") : Reply::hang_up(); });
  REQUIRE(server.ok());
  Running running(fast_retry_config(server, 8000ms));
  record_spans(20);
  std::thread operator_([&] {
    eventually([&] { return server.request_count() >= 2; });  // a few failed attempts first
    up = true;
  });
  const bool flushed = trail::flush(10s);
  operator_.join();
  CHECK(flushed);
  const auto requests = trace_requests(server);
  REQUIRE(requests.size() >= 3);
  CHECK(span_count(requests.back()) == 20);  // the last attempt, answered
  const auto s = trail::stats();
  CHECK(s.spans_exported == 20);
  CHECK(s.spans_dropped_export_failed == 0);
  check_accounting(s);
}

TEST_CASE("faults: 503 is retried and the retry delivers the same batch") {
  std::atomic<int> calls{0};
  HttpTestServer server([&](const Request& req) {
    return req.target == "/v1/traces" && ++calls == 1 ? Reply::with_status(503) : Reply::ok("{}");
  });
  REQUIRE(server.ok());
  Running running(fast_retry_config(server, 5000ms));
  record_spans(5);
  CHECK(trail::flush(5s));
  const auto requests = trace_requests(server);
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].body == requests[1].body);
  CHECK(received_spans(server).size() == 10);  // the same 5 spans, twice
  CHECK(trail::stats().spans_exported == 5);
  check_accounting(trail::stats());
}

TEST_CASE("faults: 429 with Retry-After: 1 waits about a second before retrying") {
  std::mutex mutex;
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  HttpTestServer server([&](const Request& req) {
    if (req.target != "/v1/traces") return Reply::ok("{}");
    std::lock_guard<std::mutex> lock(mutex);
    arrivals.push_back(std::chrono::steady_clock::now());
    if (arrivals.size() > 1) return Reply::ok("{}");
    Reply r = Reply::with_status(429);
    r.headers.push_back({"Retry-After", "1"});
    return r;
  });
  REQUIRE(server.ok());
  Running running(fast_retry_config(server, 6000ms));
  record_spans(3);
  CHECK(trail::flush(8s));
  std::lock_guard<std::mutex> lock(mutex);
  REQUIRE(arrivals.size() == 2);
  CHECK(arrivals[1] - arrivals[0] >= 900ms);  // the backoff alone would retry after 10-20 ms
  CHECK(trail::stats().spans_exported == 3);
}

TEST_CASE("faults: 400 is not retried and the spans count as rejected") {
  HttpTestServer server([](const Request&) { return Reply::with_status(400, "bad"); });
  REQUIRE(server.ok());
  Running running(fast_retry_config(server, 3000ms));
  record_spans(4);
  CHECK_FALSE(trail::flush(5s));
  CHECK(trace_requests(server).size() == 1);
  const auto s = trail::stats();
  CHECK(s.spans_rejected == 4);
  CHECK(s.spans_exported == 0);
  check_accounting(s);
}

TEST_CASE("faults: partialSuccess rejectedSpans is counted") {
  HttpTestServer server([](const Request&) {
    return Reply::ok(R"({"partialSuccess":{"rejectedSpans":"1","errorMessage":"one span was bad"}})");
  });
  REQUIRE(server.ok());
  Running running(otlp_config(server));
  record_spans(3);
  CHECK_FALSE(trail::flush(5s));  // not everything was delivered
  const auto s = trail::stats();
  CHECK(s.spans_rejected == 1);
  CHECK(s.spans_exported == 2);
  check_accounting(s);
}

TEST_CASE("faults: recording never blocks while an export waits on a slow receiver") {
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false;
  std::atomic<bool> arrived{false};
  HttpTestServer server([&](const Request& req) {
    if (req.target != "/v1/traces") return Reply::ok("{}");
    arrived = true;
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait_for(lock, 20s, [&] { return release; });  // the receiver answers when the test says so
    return Reply::ok("{}");
  });
  REQUIRE(server.ok());
  trail::Config config = otlp_config(server);
  config.settings.traces_timeout = 30000ms;
  config.settings.bsp_export_timeout = 30000ms;
  Running running(config);
  record_spans(1, "first");
  std::atomic<bool> flush_returned{false};
  std::thread flusher_client([&] {
    trail::flush(30s);
    flush_returned = true;
  });
  REQUIRE(eventually([&] { return arrived.load(); }));

  std::thread([] { record_spans(2000, "meanwhile"); }).join();  // more than fits one batch
  CHECK_FALSE(flush_returned.load());  // the export is still outstanding

  {
    std::lock_guard<std::mutex> lock(mutex);
    release = true;
  }
  cv.notify_all();
  flusher_client.join();
  CHECK(trail::flush(10s));
  const auto s = trail::stats();
  CHECK(s.spans_recorded == 2001);
  check_accounting(s);
}

TEST_CASE("faults: a connection closed mid-response is retried; when it persists the spans count as failed") {
  std::atomic<bool> always{false};
  std::atomic<int> calls{0};
  HttpTestServer server([&](const Request& req) {
    Reply r = Reply::ok("{}");
    if (req.target == "/v1/traces" && (always || ++calls == 1)) r.truncate_at = 12;  // "HTTP/1.1 200", then close
    return r;
  });
  REQUIRE(server.ok());
  Running running(fast_retry_config(server, 1000ms));
  record_spans(3);
  CHECK(trail::flush(5s));
  CHECK(trace_requests(server).size() == 2);
  CHECK(trail::stats().spans_exported == 3);

  always = true;
  record_spans(2);
  CHECK_FALSE(trail::flush(5s));
  const auto s = trail::stats();
  CHECK(s.spans_exported == 3);
  CHECK(s.spans_dropped_export_failed == 2);
  check_accounting(s);
}

TEST_CASE("faults: a garbage response counts the spans as failed, without crashing") {
  HttpTestServer server([](const Request&) { return Reply::raw("NOT HTTP AT ALL\r\n\x01\x02\r\n\r\n"); });
  REQUIRE(server.ok());
  Running running(fast_retry_config(server, 800ms));
  record_spans(3);
  CHECK_FALSE(trail::flush(5s));
  CHECK(server.request_count() >= 1);
  const auto s = trail::stats();
  CHECK(s.spans_dropped_export_failed == 3);
  check_accounting(s);
}

TEST_CASE("shutdown with the receiver down returns within the export timeout and counts the spans as failed") {
  trail::Config config;
  config.settings.traces_exporters = {trail::ExporterKind::otlp};
  config.settings.metrics_exporters = {};
  config.settings.traces_endpoint = closed_endpoint();
  config.settings.bsp_schedule_delay = 60s;
  config.settings.bsp_export_timeout = 1500ms;
  REQUIRE(trail::init(config));
  record_spans(10);
  const auto before = std::chrono::steady_clock::now();
  trail::shutdown();
  CHECK(std::chrono::steady_clock::now() - before < 10s);
  const auto s = trail::stats();  // the final counts of the run
  CHECK(s.spans_recorded == 10);
  CHECK(s.spans_dropped_export_failed == 10);
  check_accounting(s);
  trail::shutdown();  // idempotent
}

TEST_CASE("a ring past half full is drained and exported without a flush, long before the schedule delay") {
  auto memory = std::make_shared<trail::InMemoryExporter>();
  trail::Config config;
  config.settings.traces_exporters = {};
  config.settings.metrics_exporters = {};
  config.settings.bsp_schedule_delay = 60s;
  config.settings.bsp_max_export_batch_size = 64;
  config.settings.ring_capacity = 1024;
  config.exporters = {memory};
  Running running(config);
  CHECK(bool(trail::detail::process().ring_pressure.wake.load()));  // producers wake the flusher
  // 3 records a span (dynamic name, attribute, end): the 171st span passes
  // half of 1024 and wakes the flusher, which exports two full batches of 64.
  std::thread([] { record_spans(300); }).join();
  const bool exported = eventually([&] { return memory->spans().size() >= 128; }, 20s);
  const trail::Stats s = trail::stats();
  INFO("exported ", memory->spans().size(), " recorded ", s.spans_recorded, " pending ", s.spans_pending);
  CHECK(exported);
  CHECK(s.spans_dropped() == 0);
}

TEST_CASE("flush returns true when everything was delivered, and stats add up") {
  HttpTestServer server;
  REQUIRE(server.ok());
  Running running(otlp_config(server));
  record_spans(100);
  CHECK(trail::flush(5s));
  const auto s = trail::stats();
  CHECK(s.spans_recorded == 100);
  CHECK(s.spans_exported == 100);
  CHECK(s.spans_dropped() == 0);
  check_accounting(s);
  CHECK(received_spans(server).size() == 100);
}

TEST_CASE("flush returns false when the receiver is down, and stats add up") {
  trail::Config config;
  config.settings.traces_exporters = {trail::ExporterKind::otlp};
  config.settings.metrics_exporters = {};
  config.settings.traces_endpoint = closed_endpoint();
  config.settings.bsp_schedule_delay = 60s;
  config.settings.bsp_export_timeout = 500ms;
  Running running(config);
  record_spans(7);
  CHECK_FALSE(trail::flush(5s));
  const auto s = trail::stats();
  CHECK(s.spans_recorded == 7);
  CHECK(s.spans_dropped_export_failed == 7);
  check_accounting(s);
}

TEST_CASE("the file exporter writes one ExportTraceServiceRequest JSON object per line") {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("trail-test-export-" + std::to_string(trail::detail::platform::process_id()) + ".jsonl"))
                               .string();
  std::remove(path.c_str());
  {
    trail::Config config;
    config.settings.traces_exporters = {trail::ExporterKind::file};
    config.settings.metrics_exporters = {};
    config.settings.traces_file = path;
    config.settings.bsp_schedule_delay = 60s;
    config.settings.bsp_max_export_batch_size = 2;
    Running running(config);
    record_spans(5, "filed");
    CHECK(trail::flush(5s));
  }
  std::ifstream in(path);
  REQUIRE(in.good());
  std::string line;
  int lines = 0;
  std::size_t spans = 0;
  while (std::getline(in, line)) {
    ++lines;
    const json request = json::parse(line);
    for (const json& span : request.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans")) {
      CHECK(span.at("name") == "filed");
      ++spans;
    }
  }
  CHECK(lines == 3);  // batches of at most 2
  CHECK(spans == 5);
  // Binary mode: lines end in "\n" alone on every platform (no CRLF on Windows).
  std::ifstream raw(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(raw)), std::istreambuf_iterator<char>());
  CHECK(bytes.find('\r') == std::string::npos);
  CHECK(std::count(bytes.begin(), bytes.end(), '\n') == 3);
  raw.close();
  std::remove(path.c_str());
}

TEST_CASE("the console exporter renders a trace as an indented tree") {
  std::vector<trail::SpanData> spans(3);
  const char* names[] = {"root", "child", "grandchild"};
  for (std::size_t i = 0; i < spans.size(); ++i) {
    spans[i].trace_id = trail::TraceId{0x1234, 0x5678};
    spans[i].span_id = trail::SpanId{i + 1};
    if (i > 0) spans[i].parent_span_id = trail::SpanId{i};
    spans[i].name = names[i];
    spans[i].start_time_unix_nano = 1'000'000;
    spans[i].end_time_unix_nano = 3'500'000;
  }
  spans[2].status_code = trail::StatusCode::error;
  spans[2].status_message = "boom";
  std::string text;
  trail::ConsoleExporter::render(spans.data(), spans.size(), text);
  CHECK(text ==
        "trace 00000000000012340000000000005678\n"
        "  root  2.50 ms\n"
        "    child  2.50 ms\n"
        "      grandchild  2.50 ms  ERROR: boom\n");
}

TEST_CASE("OTEL_TRACES_EXPORTER=none exports nothing") {
  HttpTestServer server;
  REQUIRE(server.ok());
  trail::test::set_env("OTEL_TRACES_EXPORTER", "none");
  trail::Config config;  // reads the environment
  trail::test::unset_env("OTEL_TRACES_EXPORTER");
  CHECK(config.settings.traces_exporters.empty());
  config.settings.metrics_exporters = {};
  config.settings.traces_endpoint = server.url("/v1/traces");
  Running running(config);
  record_spans(3);
  trail::flush(2s);
  CHECK(trace_requests(server).empty());
}

TEST_CASE("an unusable OTLP endpoint makes init fail with one clear line") {
  const auto init_message = [](const trail::Config& config, bool& started) {
    std::string message = trail::test::capture_stderr([&] { started = trail::init(config); });
    trail::shutdown();
    return message;
  };
  trail::Config config;
  config.settings.traces_exporters = {trail::ExporterKind::otlp};
  config.settings.metrics_exporters = {};
  config.settings.bsp_schedule_delay = 60s;
  bool started = true;
#if !defined(TRAIL_WITH_TLS)
  config.settings.traces_endpoint = "https://x:4318/v1/traces";
  std::string message = init_message(config, started);
  CHECK_FALSE(started);  // no other exporter: nothing can work
  CHECK(std::count(message.begin(), message.end(), '\n') == 1);
  CHECK(message.find("https needs TLS") != std::string::npos);
  CHECK(message.find("-DTRAIL_WITH_TLS=ON") != std::string::npos);
#endif
  config.settings.traces_endpoint = "ftp://x/v1/traces";
  std::string bad = init_message(config, started);
  CHECK_FALSE(started);
  CHECK(std::count(bad.begin(), bad.end(), '\n') == 1);
  CHECK(bad.find("unsupported URL scheme") != std::string::npos);
  CHECK_FALSE(trail::is_enabled());
  trail::set_enabled(true);
}

TEST_CASE("metrics reach POST /v1/metrics as a cumulative ExportMetricsServiceRequest, retried like traces") {
  static trail::Counter<std::int64_t> tool_failures{"test.tool.failures", "{failure}", "Tool calls that failed"};
  static trail::Histogram<double> frame_ms{"test.frame.time", "ms", "Frame time", {5, 10}};
  std::atomic<int> metric_posts{0};
  HttpTestServer server([&](const Request& req) {
    // The first metrics request is refused with 503: the exporter retries it.
    if (req.target == "/v1/metrics" && metric_posts.fetch_add(1) == 0) return Reply::with_status(503, "busy");
    return Reply::ok("{}");
  });
  REQUIRE(server.ok());
  trail::Config config = fast_retry_config(server, 3000ms);
  config.settings.metrics_exporters = {};  // fast_retry_config's own exporter takes both signals
  Running running(config);
  tool_failures.add(2, {{"tool", "find_path"}});
  tool_failures.add(1, {{"tool", "find_path"}});
  frame_ms.record(7.5);
  frame_ms.record(12.0);
  REQUIRE(trail::flush(5s));

  std::vector<Request> posts;
  for (Request& req : server.requests())
    if (req.target == "/v1/metrics") posts.push_back(std::move(req));
  REQUIRE(posts.size() >= 2);  // the 503, then the retry
  CHECK(posts[0].body == posts[1].body);
  const json body = json::parse(posts.back().body);
  const json& scope_metrics = body.at("resourceMetrics").at(0).at("scopeMetrics").at(0);
  CHECK(scope_metrics.at("scope").at("name") == "trail");
  json counter, histogram, recorded;
  for (const json& m : scope_metrics.at("metrics")) {
    if (m.at("name") == "test.tool.failures") counter = m;
    if (m.at("name") == "test.frame.time") histogram = m;
    if (m.at("name") == "trail.spans.recorded") recorded = m;
  }
  REQUIRE(counter.is_object());
  CHECK(counter.at("unit") == "{failure}");
  CHECK(counter.at("description") == "Tool calls that failed");
  const json& sum = counter.at("sum");
  CHECK(sum.at("aggregationTemporality") == 2);
  CHECK(sum.at("isMonotonic") == true);
  const json& point = sum.at("dataPoints").at(0);
  CHECK(point.at("asInt") == "3");
  CHECK(attribute(point, "tool").at("stringValue") == "find_path");
  CHECK(point.at("startTimeUnixNano").is_string());
  CHECK(std::stoull(point.at("timeUnixNano").get<std::string>()) >=
        std::stoull(point.at("startTimeUnixNano").get<std::string>()));

  REQUIRE(histogram.is_object());
  const json& hp = histogram.at("histogram").at("dataPoints").at(0);
  CHECK(histogram.at("histogram").at("aggregationTemporality") == 2);
  CHECK(hp.at("count") == "2");
  CHECK(hp.at("sum") == 19.5);
  CHECK(hp.at("min") == 7.5);
  CHECK(hp.at("max") == 12.0);
  CHECK(hp.at("bucketCounts") == json::array({"0", "1", "1"}));
  CHECK(hp.at("explicitBounds") == json::array({5.0, 10.0}));
  CHECK(recorded.is_object());  // trail's own health rides along
}

namespace {

std::vector<trail::SpanData> big_spans(int n, std::size_t value_bytes) {
  std::vector<trail::SpanData> spans(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto& s = spans[static_cast<std::size_t>(i)];
    s.trace_id = trail::TraceId{1, static_cast<std::uint64_t>(i + 1)};
    s.span_id = trail::SpanId{static_cast<std::uint64_t>(i + 1)};
    s.name = "big";
    s.start_time_unix_nano = s.end_time_unix_nano = 1;
    s.attributes.push_back({"payload", std::string(value_bytes, 'x')});
    s.attributes.push_back({"small", std::string("kept")});
  }
  return spans;
}

trail::ExportDeadline in(std::chrono::milliseconds d) { return trail::ExportDeadline(std::chrono::steady_clock::now() + d); }

}  // namespace

TEST_CASE("requests stay under the byte limit: a large batch is split, a single huge span has its longest value cut") {
  HttpTestServer server;
  REQUIRE(server.ok());
  trail::OtlpHttpOptions o;
  o.traces_endpoint = server.url("/v1/traces");
  o.metrics_endpoint = server.url("/v1/metrics");
  o.max_request_bytes = 1 << 20;
  trail::OtlpHttpExporter exporter(o);
  const trail::Resource resource;
  const trail::InstrumentationScope scope;

  const auto spans = big_spans(20, 200 * 1024);  // about 4 MB as one request
  const auto r = exporter.export_spans(trail::SpanBatch{resource, scope, spans.data(), spans.size()}, in(5s));
  CHECK(r.ok());
  CHECK(r.rejected + r.failed == 0);
  std::size_t arrived = 0;
  for (const Request& req : trace_requests(server)) {
    CHECK(req.body.size() <= o.max_request_bytes);
    arrived += span_count(req);
  }
  CHECK(arrived == 20);
  CHECK(trace_requests(server).size() >= 4);

  const auto huge = big_spans(1, 3 << 20);
  std::string err;
  err = capture_stderr([&] {
    CHECK(exporter.export_spans(trail::SpanBatch{resource, scope, huge.data(), 1}, in(5s)).ok());
  });
  CHECK(exporter.values_cut() == 1);
  CHECK(err.find("cut 1 value") != std::string::npos);
  const Request last = trace_requests(server).back();
  CHECK(last.body.size() <= o.max_request_bytes);
  const json span = json::parse(last.body)["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  CHECK(attribute(span, "small") == json{{"stringValue", "kept"}});
  CHECK(attribute(span, "payload")["stringValue"].get<std::string>().size() < (1u << 20));
}

TEST_CASE("metric requests stay under the byte limit in both encodings: metrics, then points, split; a huge point cut") {
  for (const auto protocol : {trail::OtlpProtocol::http_json, trail::OtlpProtocol::http_protobuf}) {
    CAPTURE(static_cast<int>(protocol));
    HttpTestServer server;
    REQUIRE(server.ok());
    trail::OtlpHttpOptions o;
    o.traces_endpoint = server.url("/v1/traces");
    o.metrics_endpoint = server.url("/v1/metrics");
    o.metrics_protocol = protocol;
    o.max_request_bytes = 256 * 1024;
    trail::OtlpHttpExporter exporter(o);
    const trail::Resource resource;
    const trail::InstrumentationScope scope;
    const auto decoded = [&](const Request& req) {
      return protocol == trail::OtlpProtocol::http_json
                 ? json::parse(req.body)
                 : trail::test::decode_otlp(req.body, "ExportMetricsServiceRequest");
    };
    const auto metric_requests = [&] {
      std::vector<Request> out;
      for (Request& req : server.requests())
        if (req.target == "/v1/metrics") out.push_back(std::move(req));
      return out;
    };

    // 8 gauges of 20 points with a 16 KB attribute each: 2.6 MB as one
    // request, 330 KB for one gauge (so its points are split too).
    std::vector<trail::MetricData> metrics(8);
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      metrics[i].name = "m" + std::to_string(i);
      metrics[i].type = trail::MetricType::gauge;
      for (int j = 0; j < 20; ++j)
        metrics[i].number_points.push_back(
            {{{"payload", std::string(16 * 1024, static_cast<char>('a' + j))}}, 1, 2, false, j, 0});
    }
    const auto r = exporter.export_metrics(trail::MetricBatch{resource, scope, metrics}, in(5s));
    CHECK(r.ok());
    CHECK(r.rejected + r.failed == 0);
    std::map<std::string, std::vector<std::int64_t>> points;  // per metric, the values that arrived
    const auto requests = metric_requests();
    for (const Request& req : requests) {
      CHECK(req.body.size() <= o.max_request_bytes);
      const json body = decoded(req);
      for (const json& m : body["resourceMetrics"][0]["scopeMetrics"][0]["metrics"])
        for (const json& p : m["gauge"]["dataPoints"])
          points[m["name"].get<std::string>()].push_back(std::stoll(p.value("asInt", std::string("0"))));
    }
    CHECK(requests.size() >= 11);
    REQUIRE(points.size() == 8);
    for (const auto& entry : points) {
      const std::vector<std::int64_t>& values = entry.second;
      CAPTURE(entry.first);
      REQUIRE(values.size() == 20);
      for (std::size_t j = 0; j < values.size(); ++j) CHECK(values[j] == static_cast<std::int64_t>(j));
    }

    std::vector<trail::MetricData> huge(1);
    huge[0].name = "huge";
    huge[0].type = trail::MetricType::gauge;
    huge[0].number_points.push_back(
        {{{"small", std::string("kept")}, {"payload", std::string(1 << 20, 'x')}}, 1, 2, false, 7, 0});
    const std::string err = capture_stderr([&] {
      CHECK(exporter.export_metrics(trail::MetricBatch{resource, scope, huge}, in(5s)).ok());
    });
    CHECK(exporter.values_cut() == 1);
    CHECK(err.find("metric \"huge\"") != std::string::npos);
    CHECK(err.find("cut 1 value") != std::string::npos);
    const Request last = metric_requests().back();
    CHECK(last.body.size() <= o.max_request_bytes);
    const json point = decoded(last)["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["gauge"]["dataPoints"][0];
    CHECK(attribute(point, "small") == json{{"stringValue", "kept"}});
    CHECK(attribute(point, "payload")["stringValue"].get<std::string>().size() < o.max_request_bytes);
    CHECK(huge[0].number_points[0].attributes[1].value == trail::AttributeValue(std::string(1 << 20, 'x')));
  }
}

TEST_CASE("stderr stays clean: response bodies escaped and bounded, no URL userinfo or query, errorMessage kept") {
  HttpTestServer server([](const Request& req) {
    if (req.target.rfind("/v1/traces", 0) == 0)
      return Reply::with_status(400, "\x1b[2J\ntrail: forged line\n" + std::string(5000, 'A'));
    return Reply::ok("{}");
  });
  REQUIRE(server.ok());
  trail::OtlpHttpOptions o;
  o.traces_endpoint = server.url("/v1/traces");
  o.metrics_endpoint = server.url("/v1/metrics");
  trail::OtlpHttpExporter exporter(o);
  const trail::Resource resource;
  const trail::InstrumentationScope scope;
  const auto spans = big_spans(1, 10);
  const auto r = exporter.export_spans(trail::SpanBatch{resource, scope, spans.data(), 1}, in(5s));
  CHECK(r.status == trail::ExportResult::Status::rejected);
  CHECK(r.message.find('\x1b') == std::string::npos);
  CHECK(r.message.find('\n') == std::string::npos);
  CHECK(r.message.find("\\x1b") != std::string::npos);
  CHECK(r.message.size() < 400);
  CHECK(exporter.attempts() == 1);  // not retryable

  for (const char* endpoint : {"https://user:hunter2@example.com/v1/traces?api_key=SECRETKEY",
                               "http://user:hunter2@example.com/v1/traces", "ftp://example.com/v1/traces?api_key=SECRETKEY"}) {
    trail::OtlpHttpOptions bad;
    bad.traces_endpoint = endpoint;
    const trail::OtlpHttpExporter e(bad);
    CAPTURE(e.error());
    CHECK_FALSE(e.error().empty());
    CHECK(e.error().find("hunter2") == std::string::npos);
    CHECK(e.error().find("SECRETKEY") == std::string::npos);
  }

  trail::OtlpHttpOptions query;
  query.traces_endpoint = closed_endpoint() + "?api_key=SECRETKEY";
  query.initial_backoff = 10ms;
  trail::OtlpHttpExporter refused(query);
  const std::string err = capture_stderr([&] {
    refused.export_spans(trail::SpanBatch{resource, scope, spans.data(), 1}, in(300ms));
  });
  CHECK(err.find("cannot export to http://127.0.0.1:") != std::string::npos);
  CHECK(err.find("SECRETKEY") == std::string::npos);
}

TEST_CASE("permanent errors are not retried: a header with CR/LF set through Config, a 404") {
  HttpTestServer server([](const Request&) { return Reply::with_status(404, "no such path"); });
  REQUIRE(server.ok());
  trail::OtlpHttpOptions o;
  o.traces_endpoint = server.url("/v1/traces");
  o.metrics_endpoint = server.url("/v1/metrics");
  o.traces_headers = {{"X-Api-Key", "abc\r\nX-Injected: 1"}};
  trail::OtlpHttpExporter injected(o);
  CHECK(injected.error().find("X-Api-Key") != std::string::npos);
  CHECK(injected.error().find("abc") == std::string::npos);  // values are secrets
  const trail::Resource resource;
  const trail::InstrumentationScope scope;
  const auto spans = big_spans(1, 10);
  const auto before = std::chrono::steady_clock::now();
  CHECK_FALSE(injected.export_spans(trail::SpanBatch{resource, scope, spans.data(), 1}, in(3s)).ok());
  CHECK(std::chrono::steady_clock::now() - before < 1s);
  CHECK(server.request_count() == 0);

  o.traces_headers.clear();
  trail::OtlpHttpExporter plain(o);
  CHECK(plain.export_spans(trail::SpanBatch{resource, scope, spans.data(), 1}, in(3s)).status ==
        trail::ExportResult::Status::rejected);
  CHECK(plain.attempts() == 1);
}

TEST_CASE("the receiver's partialSuccess errorMessage reaches the log line") {
  HttpTestServer server([](const Request&) {
    return Reply::ok(R"({"partialSuccess":{"rejectedSpans":"1","errorMessage":"span 7 had no name"}})");
  });
  REQUIRE(server.ok());
  Running running(otlp_config(server));
  record_spans(2);
  const std::string err = capture_stderr([] { trail::flush(5s); });
  CHECK(err.find("span 7 had no name") != std::string::npos);
}

TEST_CASE("nothing listening with default timeouts: the first failure is reported at once, shutdown is quick") {
  trail::Config config;
  config.settings.traces_exporters = {trail::ExporterKind::otlp};
  config.settings.metrics_exporters = {trail::ExporterKind::otlp};
  config.settings.traces_endpoint = closed_endpoint();
  config.settings.metrics_endpoint = config.settings.traces_endpoint;
  std::string expected = "cannot export to http://127.0.0.1:";
  SUBCASE("trail's TCP transport") {}
  SUBCASE("a transport that says refused in its own words (as Winsock's does)") {
    // TransportStatus::refused, not the error text, is what the shortcut needs.
    config.transport = trail::test::failing_factory(trail::TransportStatus::refused, "WSAECONNREFUSED (10061)",
                                                    std::make_shared<std::atomic<int>>(0));
    expected = "WSAECONNREFUSED (10061)";
  }
  REQUIRE(trail::init(config));  // export timeout 30 s, request timeout 10 s: the defaults
  record_spans(5);
  std::string err = capture_stderr([] { CHECK_FALSE(trail::flush(1500ms)); });
  CHECK_MESSAGE(err.find(expected) != std::string::npos, err);
  CHECK(err.find("OTEL_EXPORTER_OTLP_ENDPOINT") != std::string::npos);
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
  const auto before = std::chrono::steady_clock::now();
  err = capture_stderr([] { trail::shutdown(); });
  CHECK(std::chrono::steady_clock::now() - before < 3s);  // was the whole 30 s retry schedule
  const auto s = trail::stats();
  CHECK(s.spans_recorded == 5);
  CHECK(s.spans_dropped_export_failed == 5);
  CHECK(trail::test::stats_identity_holds(s));
}

namespace {
std::size_t lines(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

std::size_t header_count(const Request& req, std::string_view name) {
  return static_cast<std::size_t>(std::count_if(req.headers.begin(), req.headers.end(), [&](const auto& h) {
    return trail::test::iequals(h.name, name);
  }));
}
}  // namespace

TEST_CASE("a header provider gives each request fresh headers, replacing configured ones of the same name") {
  HttpTestServer server;
  REQUIRE(server.ok());
  trail::Config config = otlp_config(server);
  config.settings.traces_headers = {{"authorization", "Bearer static"}, {"X-Team", "planner"}};
  std::atomic<int> calls{0};
  std::atomic<bool> deadline_ahead{true}, traces_signal{true};
  config.header_provider = [&](const trail::HeaderRequest& request, trail::Headers& headers, std::string&) {
    deadline_ahead = deadline_ahead && request.deadline > std::chrono::steady_clock::now();
    traces_signal = traces_signal && std::string_view(request.signal) == "traces";
    headers.emplace_back("Authorization", "Bearer token-" + std::to_string(++calls));
    return true;
  };
  Running running(config);
  for (int batch = 0; batch < 2; ++batch) {
    record_spans(2);
    REQUIRE(trail::flush(5s));
  }
  const auto requests = trace_requests(server);
  REQUIRE(requests.size() == 2);
  CHECK(calls == 2);  // on the flusher, once per request
  CHECK(deadline_ahead);
  CHECK(traces_signal);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    CAPTURE(requests[i].head);
    CHECK(header_count(requests[i], "Authorization") == 1);
    REQUIRE(requests[i].header("Authorization") != nullptr);
    CHECK(*requests[i].header("Authorization") == "Bearer token-" + std::to_string(i + 1));
    REQUIRE(requests[i].header("X-Team") != nullptr);
    CHECK(*requests[i].header("X-Team") == "planner");
    REQUIRE(requests[i].header("User-Agent") != nullptr);
    CHECK(*requests[i].header("User-Agent") == std::string("trail/") + trail::version_string);
  }
  CHECK(trail::stats().spans_exported == 4);
}

TEST_CASE("a header provider that fails: one line, nothing sent, nothing crashes, the spans are counted") {
  HttpTestServer server;
  REQUIRE(server.ok());
  trail::Config config = otlp_config(server);
  std::string expected;
  SUBCASE("it throws") {
    config.header_provider = [](const trail::HeaderRequest&, trail::Headers&, std::string&) -> bool {
      throw std::runtime_error("token endpoint answered 503");
    };
    expected = "header provider failed for traces: it threw: token endpoint answered 503; the request was not sent";
  }
  SUBCASE("it says why not") {
    config.header_provider = [](const trail::HeaderRequest&, trail::Headers&, std::string& error) {
      error = "API key refused by the token endpoint";
      return false;
    };
    expected = "header provider failed for traces: API key refused by the token endpoint";
  }
  SUBCASE("it returns a value with CR/LF") {
    config.header_provider = [](const trail::HeaderRequest&, trail::Headers& headers, std::string&) {
      headers.emplace_back("Authorization", "Bearer SECRET-TOKEN\r\nX-Injected: 1");
      return true;
    };
    expected = "OTLP header \"Authorization\" has CR, LF or another control character in its value";
  }
  SUBCASE("it returns a bad header name") {
    config.header_provider = [](const trail::HeaderRequest&, trail::Headers& headers, std::string&) {
      headers.emplace_back("Bad Name:", "SECRET-TOKEN");
      return true;
    };
    expected = "is not a valid token";
  }
  Running running(config);
  record_spans(3);
  const std::string err = capture_stderr([] { CHECK_FALSE(trail::flush(5s)); });
  CAPTURE(err);
  CHECK(err.find(expected) != std::string::npos);
  CHECK(lines(err) == 1);
  CHECK(err.find("SECRET-TOKEN") == std::string::npos);
  CHECK(server.request_count() == 0);
  const auto s = trail::stats();
  CHECK(s.spans_dropped_export_failed == 3);
  CHECK(trail::test::stats_identity_holds(s));
}

TEST_CASE("401 and 403 are not retried and are reported once per run, naming what to set, never a header value") {
  int status = 0;
  SUBCASE("401") { status = 401; }
  SUBCASE("403") { status = 403; }
  HttpTestServer server([status](const Request&) { return Reply::with_status(status, "invalid API token"); });
  REQUIRE(server.ok());
  trail::Config config = otlp_config(server);
  config.settings.metrics_exporters = {trail::ExporterKind::otlp};  // metrics are refused too: still one line
  config.settings.traces_headers = {{"Authorization", "Bearer SECRET-TOKEN"}};
  config.settings.metrics_headers = config.settings.traces_headers;
  std::string err;
  {
    Running running(config);
    err = capture_stderr([] {
      for (int batch = 0; batch < 3; ++batch) {
        if (batch > 0) std::this_thread::sleep_for(1100ms);  // past the flusher's one-line-a-second limit
        record_spans(2);
        CHECK_FALSE(trail::flush(5s));
      }
      trail::shutdown();
    });
  }
  CAPTURE(err);
  CHECK(lines(err) == 1);
  CHECK(err.find("HTTP " + std::to_string(status)) != std::string::npos);
  CHECK(err.find("OTEL_EXPORTER_OTLP_HEADERS") != std::string::npos);
  CHECK(err.find("header_provider") != std::string::npos);
  CHECK(err.find("headers sent: Authorization") != std::string::npos);
  CHECK(err.find("invalid API token") != std::string::npos);
  CHECK(err.find("SECRET-TOKEN") == std::string::npos);
  CHECK(trace_requests(server).size() == 3);  // one per batch: never retried
  const auto s = trail::stats();
  CHECK(s.spans_rejected == 6);
  CHECK(trail::test::stats_identity_holds(s));
}

TEST_CASE("a redirect is never followed and is reported once, with the Location's host and no secrets") {
  HttpTestServer target;
  REQUIRE(target.ok());
  const std::string location = "http://user:PASSWORD@127.0.0.1:" + std::to_string(target.port()) +
                               "/v1/traces?api_key=SECRETKEY";
  HttpTestServer server([location](const Request&) {
    Reply r = Reply::with_status(308, "<html>moved</html>");
    r.headers.push_back({"Location", location});
    return r;
  });
  REQUIRE(server.ok());
  std::string err;
  {
    Running running(otlp_config(server));
    err = capture_stderr([] {
      for (int batch = 0; batch < 2; ++batch) {
        if (batch > 0) std::this_thread::sleep_for(1100ms);  // past the flusher's one-line-a-second limit
        record_spans(2);
        CHECK_FALSE(trail::flush(5s));
      }
    });
  }
  CAPTURE(err);
  CHECK(lines(err) == 1);
  CHECK(err.find("HTTP 308") != std::string::npos);
  CHECK(err.find("to host 127.0.0.1:" + std::to_string(target.port())) != std::string::npos);
  CHECK(err.find("OTEL_EXPORTER_OTLP_ENDPOINT") != std::string::npos);
  CHECK(err.find("PASSWORD") == std::string::npos);
  CHECK(err.find("SECRETKEY") == std::string::npos);
  CHECK(err.find("<html>") == std::string::npos);
  CHECK(server.request_count() == 2);  // one per batch
  CHECK(target.request_count() == 0);  // never followed
  CHECK(trail::stats().spans_rejected == 4);

  CHECK(trail::detail::redirect_target(nullptr) == "without a Location");
  const std::string same_host = "/v2/traces?token=SECRETKEY";
  CHECK(trail::detail::redirect_target(&same_host) == "to \"/v2/traces?***\" on the same host");
  const std::string hostile = "https://evil.example\x1b[31m/x";
  CHECK(trail::detail::redirect_target(&hostile).find('\x1b') == std::string::npos);
}
