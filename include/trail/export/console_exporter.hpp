// A readable trace tree on stderr (or any FILE*): one block per trace,
// printed when the trace's root span ends (or at a flush), children indented
// under their parents, human durations, attributes, events and errors; and
// the metrics' values at each metric export.
#pragma once

#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/core.h>

#include "exporter.hpp"
#include "summary.hpp"

namespace trail {

class ConsoleExporter : public Exporter {
 public:
  // Spans held while their root is open; past `max_pending` everything held
  // is printed, so memory stays bounded.
  explicit ConsoleExporter(std::FILE* out = stderr, std::size_t max_pending = 100000)
      : out_(out), max_pending_(max_pending) {}

  ExportResult export_spans(const SpanBatch& batch, const ExportDeadline&) override {
    text_.clear();
    for (const SpanData& s : batch) {
      pending_[s.trace_id].push_back(s);
      ++pending_count_;
    }
    // A trace is printed when its root has ended (it arrives last, or later
    // spans of the trace are printed at the next flush).
    for (const SpanData& s : batch) {
      if (s.parent_span_id.valid()) continue;
      auto it = pending_.find(s.trace_id);
      if (it == pending_.end()) continue;
      print_trace(it->second);
      pending_count_ -= it->second.size();
      pending_.erase(it);
    }
    if (pending_count_ > max_pending_) print_pending();
    return write();
  }

  ExportResult export_metrics(const MetricBatch& batch, const ExportDeadline&) override {
    text_.clear();
    text_ += "metrics\n";
    for (const MetricData& m : batch.metrics) append_metric_values(m, text_);
    return write();
  }

  ExportResult force_flush(const ExportDeadline&) override {
    text_.clear();
    print_pending();
    return write();
  }

  void shutdown() noexcept override {
    text_.clear();
    print_pending();
    write();
  }

  // The trees of `count` spans: spans whose parent is not among them are
  // roots, each trace under a "trace <id>" line.
  static void render(const SpanData* spans, std::size_t count, std::string& out) {
    std::unordered_map<std::uint64_t, std::vector<const SpanData*>> children;
    std::unordered_map<std::uint64_t, bool> present;
    for (std::size_t i = 0; i < count; ++i) present[spans[i].span_id.value] = true;
    std::vector<const SpanData*> roots;
    for (std::size_t i = 0; i < count; ++i) {
      const SpanData& s = spans[i];
      if (s.parent_span_id.valid() && present.count(s.parent_span_id.value)) children[s.parent_span_id.value].push_back(&s);
      else roots.push_back(&s);
    }
    TraceId last{};
    for (const SpanData* root : roots) {
      if (root->trace_id != last) {
        char hex[32];
        root->trace_id.to_hex(hex);
        out += fmt::format("trace {}\n", std::string_view(hex, 32));
        last = root->trace_id;
      }
      render_span(*root, children, 1, out);
    }
  }

 private:
  void print_trace(const std::vector<SpanData>& spans) { render(spans.data(), spans.size(), text_); }

  void print_pending() {
    for (const auto& [trace, spans] : pending_) print_trace(spans);
    pending_.clear();
    pending_count_ = 0;
  }

  ExportResult write() {
    if (text_.empty()) return {};
    std::fwrite(text_.data(), 1, text_.size(), out_);
    std::fflush(out_);
    return {};
  }

  static void render_span(const SpanData& s, const std::unordered_map<std::uint64_t, std::vector<const SpanData*>>& children,
                          int depth, std::string& out) {
    const auto indent = static_cast<std::size_t>(depth) * 2;
    const std::uint64_t ns = s.end_time_unix_nano > s.start_time_unix_nano ? s.end_time_unix_nano - s.start_time_unix_nano : 0;
    out += fmt::format("{:{}}{}  {}", "", indent, s.name, human_duration(ns));
    bool first = true;
    for (const Attribute& a : s.attributes) {
      if (a.key.rfind("code.", 0) == 0 || a.key == "thread.id") continue;
      out += first ? "  {" : ", ";
      first = false;
      out += a.key;
      out += '=';
      append_attribute_value(a.value, out);
    }
    if (!first) out += '}';
    if (s.status_code == StatusCode::error) out += fmt::format("  ERROR: {}", s.status_message);
    out += '\n';
    for (const SpanEvent& e : s.events) {
      const std::uint64_t at = e.time_unix_nano > s.start_time_unix_nano ? e.time_unix_nano - s.start_time_unix_nano : 0;
      out += fmt::format("{:{}}- event {} at +{}\n", "", indent + 2, e.name, human_duration(at));
    }
    if (auto it = children.find(s.span_id.value); it != children.end())
      for (const SpanData* child : it->second) render_span(*child, children, depth + 1, out);
  }

  std::FILE* out_;
  std::size_t max_pending_;
  std::unordered_map<TraceId, std::vector<SpanData>, TraceIdHash> pending_;
  std::size_t pending_count_ = 0;
  std::string text_;
};

}  // namespace trail
