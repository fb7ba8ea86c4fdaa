// A run summary any program can print: span counts, total / p50 / p99 / max
// duration by span name, errors, and sessions by end state. Built from
// finished spans (e.g. an InMemoryExporter's), on any thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <variant>

#include <fmt/core.h>

#include "metrics_data.hpp"
#include "span_data.hpp"

namespace trail {

struct NameStats {
  std::string name;
  std::size_t count = 0;
  std::size_t errors = 0;
  std::uint64_t total_ns = 0;
  std::uint64_t p50_ns = 0;
  std::uint64_t p99_ns = 0;
  std::uint64_t max_ns = 0;
};

struct Summary {
  std::size_t spans = 0;
  std::size_t traces = 0;
  std::size_t sessions = 0;  // root spans named "session ..."
  std::size_t errors = 0;    // spans with status ERROR
  std::map<std::string, std::size_t> sessions_by_end_state;  // session.end_state -> count ("" when not ended)
  std::vector<NameStats> by_name;  // most frequent first
};

namespace detail {

// Nearest-rank percentile of sorted values.
inline std::uint64_t percentile(const std::vector<std::uint64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::min(std::max<std::size_t>(rank, 1), sorted.size());
  return sorted[rank - 1];
}

}  // namespace detail

inline bool is_session_root(const SpanData& span) {
  return !span.parent_span_id.valid() && std::string_view(span.name).substr(0, 8) == "session ";
}

inline Summary summarize(const SpanData* spans, std::size_t count) {
  Summary s;
  s.spans = count;
  std::set<std::pair<std::uint64_t, std::uint64_t>> traces;
  std::map<std::string, std::pair<std::vector<std::uint64_t>, std::size_t>> by_name;  // durations, errors
  for (std::size_t i = 0; i < count; ++i) {
    const SpanData& span = spans[i];
    traces.insert({span.trace_id.hi, span.trace_id.lo});
    const bool error = span.status_code == StatusCode::error;
    if (error) ++s.errors;
    if (is_session_root(span)) {
      ++s.sessions;
      const auto* state = find_attribute(span.attributes, "session.end_state");
      ++s.sessions_by_end_state[state != nullptr && std::holds_alternative<std::string>(*state)
                                    ? std::get<std::string>(*state)
                                    : std::string()];
    }
    auto& entry = by_name[span.name];
    entry.first.push_back(span.end_time_unix_nano > span.start_time_unix_nano
                              ? span.end_time_unix_nano - span.start_time_unix_nano
                              : 0);
    entry.second += error ? 1 : 0;
  }
  s.traces = traces.size();
  for (auto& [name, entry] : by_name) {
    auto& d = entry.first;
    std::sort(d.begin(), d.end());
    NameStats n;
    n.name = name;
    n.count = d.size();
    n.errors = entry.second;
    for (std::uint64_t v : d) n.total_ns += v;
    n.p50_ns = detail::percentile(d, 50);
    n.p99_ns = detail::percentile(d, 99);
    n.max_ns = d.back();
    s.by_name.push_back(std::move(n));
  }
  std::stable_sort(s.by_name.begin(), s.by_name.end(),
                   [](const NameStats& a, const NameStats& b) { return a.count > b.count; });
  return s;
}

inline Summary summarize(const std::vector<SpanData>& spans) { return summarize(spans.data(), spans.size()); }

// A duration as a person reads it: "850 ns", "12.4 us", "3.21 ms", "1.50 s".
inline std::string human_duration(std::uint64_t ns) {
  const auto d = static_cast<double>(ns);
  if (ns < 1000) return fmt::format("{} ns", ns);
  if (ns < 1000000) return fmt::format("{:.{}f} us", d / 1e3, d < 1e4 ? 2 : 1);
  if (ns < 1000000000) return fmt::format("{:.{}f} ms", d / 1e6, d < 1e7 ? 2 : 1);
  return fmt::format("{:.2f} s", d / 1e9);
}

// The summary as a table; `top` span names, most frequent first.
inline std::string format_summary(const Summary& s, std::size_t top = 10) {
  std::string out = fmt::format("sessions: {}  traces: {}  spans: {}  errors: {}\n", s.sessions, s.traces, s.spans,
                                s.errors);
  if (!s.sessions_by_end_state.empty()) {
    out += "  sessions by end state:";
    for (const auto& [state, n] : s.sessions_by_end_state) out += fmt::format(" {} {}", state.empty() ? "open" : state, n);
    out += '\n';
  }
  out += fmt::format("  {:<32} {:>8} {:>7} {:>11} {:>11} {:>11} {:>11}\n", "span name", "count", "errors", "total",
                     "p50", "p99", "max");
  for (std::size_t i = 0; i < s.by_name.size() && i < top; ++i) {
    const NameStats& n = s.by_name[i];
    out += fmt::format("  {:<32} {:>8} {:>7} {:>11} {:>11} {:>11} {:>11}\n", n.name, n.count, n.errors,
                       human_duration(n.total_ns), human_duration(n.p50_ns), human_duration(n.p99_ns),
                       human_duration(n.max_ns));
  }
  if (s.by_name.size() > top) out += fmt::format("  ({} more span names)\n", s.by_name.size() - top);
  return out;
}

// An attribute value as text: strings bare, arrays in brackets.
inline void append_attribute_value(const AttributeValue& v, std::string& out) {
  struct Visitor {
    std::string& out;
    void operator()(const std::string& s) const { out += s; }
    void operator()(bool b) const { out += b ? "true" : "false"; }
    void operator()(std::int64_t i) const { out += fmt::format("{}", i); }
    void operator()(double d) const { out += fmt::format("{}", d); }
    void operator()(const std::vector<std::string>& items) const {
      out += '[';
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        out += items[i];
      }
      out += ']';
    }
  };
  std::visit(Visitor{out}, v);
}

// One line per point: "name{k=v} value unit"; histograms with count, mean,
// min and max.
inline void append_metric_values(const MetricData& m, std::string& out) {
  auto labels = [&](const std::vector<Attribute>& attributes) {
    out += m.name;
    if (attributes.empty()) return;
    out += '{';
    for (std::size_t i = 0; i < attributes.size(); ++i) {
      if (i) out += ", ";
      out += attributes[i].key;
      out += '=';
      append_attribute_value(attributes[i].value, out);
    }
    out += '}';
  };
  for (const NumberDataPoint& p : m.number_points) {
    out += "  ";
    labels(p.attributes);
    if (p.is_double) out += fmt::format(" {} {}\n", p.as_double, m.unit);
    else out += fmt::format(" {} {}\n", p.as_int, m.unit);
  }
  for (const HistogramDataPoint& p : m.histogram_points) {
    out += "  ";
    labels(p.attributes);
    const double mean = p.count ? p.sum / static_cast<double>(p.count) : 0.0;
    out += fmt::format(" count {} sum {:.6g} mean {:.6g} min {:.6g} max {:.6g} {}\n", p.count,
                   p.sum, mean, p.min, p.max, m.unit);
  }
}

inline void print_summary(const Summary& s, std::size_t top = 10, std::FILE* out = stdout) {
  const std::string text = format_summary(s, top);
  std::fwrite(text.data(), 1, text.size(), out);
}

}  // namespace trail
