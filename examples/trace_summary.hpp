// Shared by the demos: where traces go, a summary a person can read, and
// self-checks whose failures make the demo exit non-zero (CI checks the
// output, not just that the demo ran).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <trail/export/summary.hpp>
#include <trail/runtime.hpp>

namespace demo {

inline bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0';
}

// With an OTLP endpoint or an exporter choice in the environment, the run goes
// where the OTEL_* variables say; otherwise to trail-traces.jsonl and
// trail-metrics.jsonl (TRAIL_TRACES_FILE / TRAIL_METRICS_FILE), started afresh,
// and the timeline to trail-run.html (TRAIL_HTML_FILE).
// `memory` also receives everything, for the summary and the checks. The
// service is named `service` unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES name it.
inline trail::Config make_config(const std::shared_ptr<trail::InMemoryExporter>& memory, const char* service) {
  trail::Config config;
  const char* attrs = std::getenv("OTEL_RESOURCE_ATTRIBUTES");
  const bool named = env_set("OTEL_SERVICE_NAME") ||
                     (attrs != nullptr && std::string_view(attrs).find("service.name") != std::string_view::npos);
  if (!named)
    for (auto& a : config.settings.resource)
      if (a.key == "service.name") a.value = std::string(service);
  const bool from_env = env_set("OTEL_EXPORTER_OTLP_ENDPOINT") || env_set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") ||
                        env_set("OTEL_TRACES_EXPORTER");
  if (!from_env) {
    config.settings.traces_exporters = {trail::ExporterKind::file, trail::ExporterKind::html};
    config.settings.metrics_exporters = {trail::ExporterKind::file};
    std::remove(config.settings.traces_file.c_str());
    std::remove(config.settings.metrics_file.c_str());
  }
  // A frame loop records in bursts: room for a few frames between drains.
  config.settings.ring_capacity = std::max<std::uint32_t>(config.settings.ring_capacity, 1u << 18);
  config.exporters.push_back(memory);
  return config;
}

inline void print_destination(const trail::Config& config) {
  const auto& s = config.settings;
  for (auto kind : s.traces_exporters) {
    if (kind == trail::ExporterKind::file)
      std::printf("traces:  %s (OTLP JSON lines)\nmetrics: %s\n", s.traces_file.c_str(), s.metrics_file.c_str());
    if (kind == trail::ExporterKind::otlp) std::printf("traces:  OTLP/HTTP %s\n", s.traces_endpoint.c_str());
    if (kind == trail::ExporterKind::console) std::printf("traces:  console\n");
    if (kind == trail::ExporterKind::html) std::printf("timeline: %s (open it in a browser)\n", s.html_file.c_str());
    if (kind == trail::ExporterKind::perfetto)
      std::printf("perfetto: %s (open it in ui.perfetto.dev)\n", s.perfetto_file.c_str());
  }
}

inline std::int64_t int_attribute(const trail::SpanData& span, std::string_view key) {
  const auto* v = trail::find_attribute(span.attributes, key);
  return v != nullptr && std::holds_alternative<std::int64_t>(*v) ? std::get<std::int64_t>(*v) : 0;
}

inline std::string string_attribute(const trail::SpanData& span, std::string_view key) {
  const auto* v = trail::find_attribute(span.attributes, key);
  return v != nullptr && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : std::string();
}

inline bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The last metric export (cumulative: the totals) from the in-memory exporter.
inline std::vector<trail::MetricData> final_metrics(const trail::InMemoryExporter& memory) {
  auto exports = memory.metric_exports();
  return exports.empty() ? std::vector<trail::MetricData>{} : exports.back();
}

inline const trail::MetricData* find_metric(const std::vector<trail::MetricData>& metrics, std::string_view name) {
  for (const auto& m : metrics)
    if (m.name == name) return &m;
  return nullptr;
}

// Sum of a counter's points (all attribute sets); 0 when absent.
inline std::int64_t counter_total(const std::vector<trail::MetricData>& metrics, std::string_view name) {
  std::int64_t total = 0;
  if (const auto* m = find_metric(metrics, name))
    for (const auto& p : m->number_points) total += p.is_double ? static_cast<std::int64_t>(p.as_double) : p.as_int;
  return total;
}

inline std::uint64_t histogram_count(const std::vector<trail::MetricData>& metrics, std::string_view name) {
  std::uint64_t count = 0;
  if (const auto* m = find_metric(metrics, name))
    for (const auto& p : m->histogram_points) count += p.count;
  return count;
}

// The demo's own instruments (trail.* health metrics are in the stats line).
inline void print_metrics(const std::vector<trail::MetricData>& metrics) {
  std::string text = "metrics:\n";
  for (const auto& m : metrics)
    if (!starts_with(m.name, "trail.")) trail::append_metric_values(m, text);
  std::fputs(text.c_str(), stdout);
}

inline void print_stats(const trail::Stats& st) {
  std::printf("trail stats: recorded %llu  exported %llu  dropped %llu (ring full %llu, export failed %llu, "
              "rejected %llu)  records dropped %llu\n",
              static_cast<unsigned long long>(st.spans_recorded), static_cast<unsigned long long>(st.spans_exported),
              static_cast<unsigned long long>(st.spans_dropped()),
              static_cast<unsigned long long>(st.spans_dropped_ring_full),
              static_cast<unsigned long long>(st.spans_dropped_export_failed),
              static_cast<unsigned long long>(st.spans_rejected),
              static_cast<unsigned long long>(st.records_dropped_ring_full));
}

// g++ checks formats against glibc's printf (gnu_printf), which mingw's C++
// runtime also provides; its plain `printf` archetype there is the Windows CRT's.
#if defined(__GNUC__) && !defined(__clang__)
#define TRAIL_EXAMPLE_PRINTF_FORMAT __attribute__((format(gnu_printf, 3, 4)))
#else
#define TRAIL_EXAMPLE_PRINTF_FORMAT __attribute__((format(printf, 3, 4)))
#endif

// Self-checks: one "check ok|FAILED: ..." line each, then the exit code.
class Checks {
 public:
  void expect(bool ok, const char* format, ...) TRAIL_EXAMPLE_PRINTF_FORMAT {
    std::va_list args;
    va_start(args, format);
    std::printf("check %s: ", ok ? "ok" : "FAILED");
    std::vprintf(format, args);
    std::printf("\n");
    va_end(args);
    failed_ += ok ? 0 : 1;
  }

  // The pipeline lost nothing: every recorded span reached every exporter.
  void pipeline(const trail::Stats& st, std::size_t in_memory) {
    expect(st.spans_dropped() == 0 && st.records_dropped_ring_full == 0, "nothing dropped (%llu spans, %llu records)",
           static_cast<unsigned long long>(st.spans_dropped()),
           static_cast<unsigned long long>(st.records_dropped_ring_full));
    expect(st.spans_exported == st.spans_recorded && in_memory == st.spans_recorded,
           "exported == recorded == in memory (%llu, %llu, %zu)", static_cast<unsigned long long>(st.spans_exported),
           static_cast<unsigned long long>(st.spans_recorded), in_memory);
  }

  int finish(const char* demo) const {
    if (failed_ == 0) std::printf("%s: all checks passed\n", demo);
    else std::printf("%s: %d check(s) FAILED\n", demo, failed_);
    return failed_ == 0 ? 0 : 1;
  }

 private:
  int failed_ = 0;
};

// Every span whose parent is set has that parent among the spans, in its trace.
inline std::size_t orphan_count(const std::vector<trail::SpanData>& spans) {
  std::set<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>> ids;  // (trace id, span id)
  for (const auto& s : spans) ids.insert({s.trace_id.hi, s.trace_id.lo, s.span_id.value});
  std::size_t orphans = 0;
  for (const auto& s : spans)
    if (s.parent_span_id.valid() && !ids.count({s.trace_id.hi, s.trace_id.lo, s.parent_span_id.value})) ++orphans;
  return orphans;
}

// What a demo run left: everything exported, read back for the summary and
// the checks.
struct Outcome {
  std::vector<trail::SpanData> spans;
  std::vector<trail::MetricData> metrics;
  trail::Summary summary;
  Checks check;
};

// Exports everything, stops trail, prints the summary, metrics and stats, and
// runs the checks every demo shares (the counts are read before shutdown).
inline Outcome finish_run(const trail::InMemoryExporter& memory, const trail::Config& config) {
  // A generous bound: flush() returns as soon as everything is out, and a
  // schema-validating receiver on a busy machine takes seconds per request.
  const bool flushed = trail::flush(std::chrono::seconds(60));
  const trail::Stats st = trail::stats();
  trail::shutdown();
  Outcome out;
  out.spans = memory.spans();
  out.metrics = final_metrics(memory);
  out.summary = trail::summarize(out.spans);
  print_destination(config);
  trail::print_summary(out.summary);
  print_metrics(out.metrics);
  print_stats(st);
  out.check.expect(flushed, "flush delivered everything");
  out.check.pipeline(st, out.spans.size());
  const std::size_t orphans = orphan_count(out.spans);
  out.check.expect(orphans == 0, "every parent is in its span's trace (%zu orphans)", orphans);
  return out;
}

}  // namespace demo
