// Test helper: a small run as the whole-run exporters (HTML, Perfetto) see
// it: spans on two threads outside sessions, one session whose LLM call
// overlaps its next sibling without nesting and whose last child runs on
// the other thread, an error with an exception event, and two metric exports.
#pragma once

#include <string>
#include <vector>

#include <trail/export/exporter.hpp>

namespace trail::test {

struct SampleRun {
  Resource resource{{{"service.name", std::string("sample")}}};
  InstrumentationScope scope;
  std::vector<SpanData> spans;
  std::vector<std::vector<MetricData>> metric_exports;
};

inline SpanData sample_span(std::uint64_t trace, std::uint64_t id, std::uint64_t parent, const char* name,
                            std::uint64_t start_ms, std::uint64_t end_ms, std::int64_t thread) {
  SpanData s;
  s.trace_id = TraceId{0xabc, trace};
  s.span_id = SpanId{id};
  s.parent_span_id = SpanId{parent};
  s.name = name;
  s.start_time_unix_nano = 1'700'000'000'000'000'000ull + start_ms * 1'000'000;
  s.end_time_unix_nano = 1'700'000'000'000'000'000ull + end_ms * 1'000'000;
  s.attributes.push_back({"thread.id", thread});
  return s;
}

inline SampleRun sample_run() {
  SampleRun run;
  auto& v = run.spans;
  // Trace 1: a frame on thread 7 with a child; trace 2: a job on thread 8.
  v.push_back(sample_span(1, 0x11, 0, "frame", 0, 10, 7));
  v.push_back(sample_span(1, 0x12, 0x11, "update", 1, 9, 7));
  v.push_back(sample_span(2, 0x21, 0, "job", 2, 6, 8));
  // Trace 3: a session on thread 7.
  SpanData root = sample_span(3, 0x31, 0, "session guard", 0, 100, 7);
  root.attributes.push_back({"gen_ai.agent.id", std::string("npc-1")});
  root.attributes.push_back({"session.end_state", std::string("fail")});
  root.status_code = StatusCode::error;
  root.status_message = "too many failures";
  v.push_back(root);
  v.push_back(sample_span(3, 0x32, 0x31, "plan", 10, 20, 7));
  SpanData llm = sample_span(3, 0x33, 0x32, "chat model-x", 15, 60, 7);  // outlives its parent
  llm.kind = SpanKind::client;
  llm.attributes.push_back({"gen_ai.request.model", std::string("model-x")});
  llm.attributes.push_back({"gen_ai.usage.input_tokens", std::int64_t{812}});
  llm.attributes.push_back({"gen_ai.usage.output_tokens", std::int64_t{64}});
  llm.attributes.push_back({"note", std::string("</script><b>")});
  v.push_back(llm);
  v.push_back(sample_span(3, 0x34, 0x31, "plan", 30, 40, 7));
  SpanData tool = sample_span(3, 0x35, 0x34, "execute_tool find_path", 32, 35, 7);
  tool.status_code = StatusCode::error;
  tool.status_message = "no path";
  tool.events.push_back({"exception", tool.start_time_unix_nano + 2'000'000, {{"exception.type", std::string("PathBlocked")}}, 0});
  tool.attributes.push_back({"score", 0.5});
  tool.attributes.push_back({"ok", false});
  v.push_back(tool);
  v.push_back(sample_span(3, 0x36, 0x34, "worker", 36, 38, 8));  // the parent is on thread 7
  for (int e = 1; e <= 2; ++e) {
    std::vector<MetricData> metrics(2);
    metrics[0].name = "queue.depth";
    metrics[0].unit = "{item}";
    metrics[0].type = MetricType::gauge;
    NumberDataPoint p;
    p.time_unix_nano = 1'700'000'000'000'000'000ull + static_cast<std::uint64_t>(e) * 50'000'000;
    p.as_int = 3 * e;
    metrics[0].number_points.push_back(p);
    metrics[1].name = "frame.time";
    metrics[1].unit = "ms";
    metrics[1].type = MetricType::histogram;
    HistogramDataPoint h;
    h.time_unix_nano = p.time_unix_nano;
    h.count = static_cast<std::uint64_t>(2 * e);
    h.sum = 5.0 * e;
    h.explicit_bounds = {1, 4};
    h.bucket_counts = {0, static_cast<std::uint64_t>(e), static_cast<std::uint64_t>(e)};
    metrics[1].histogram_points.push_back(h);
    run.metric_exports.push_back(metrics);
  }
  return run;
}

// Feeds the run to `exporter` as the flusher would.
inline void export_sample(Exporter& exporter, const SampleRun& run) {
  const ExportDeadline deadline(Clock::now() + std::chrono::seconds(5));
  exporter.export_spans(SpanBatch{run.resource, run.scope, run.spans.data(), run.spans.size()}, deadline);
  for (const auto& m : run.metric_exports) exporter.export_metrics(MetricBatch{run.resource, run.scope, m}, deadline);
}

}  // namespace trail::test
