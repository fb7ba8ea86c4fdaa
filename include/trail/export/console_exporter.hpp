// A readable trace tree on stderr (or any FILE*): one block per trace,
// children indented under their parents, durations, attributes and errors.
#pragma once

#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "exporter.hpp"

namespace trail {

class ConsoleExporter : public Exporter {
 public:
  explicit ConsoleExporter(std::FILE* out = stderr) : out_(out) {}

  ExportResult export_spans(const SpanBatch& batch, const ExportDeadline&) override {
    text_.clear();
    render(batch.data, batch.size, text_);
    std::fwrite(text_.data(), 1, text_.size(), out_);
    std::fflush(out_);
    return {};
  }

  ExportResult export_metrics(const MetricBatch& batch, const ExportDeadline&) override {
    text_.clear();
    for (const MetricData& m : batch.metrics) {
      text_ += fmt::format("metric {} [{}]: {} point(s)\n", m.name, m.unit,
                     m.number_points.size() + m.histogram_points.size());
    }
    std::fwrite(text_.data(), 1, text_.size(), out_);
    std::fflush(out_);
    return {};
  }

  // The tree for a batch: spans whose parent is not in the batch are roots.
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
  static void render_span(const SpanData& s, const std::unordered_map<std::uint64_t, std::vector<const SpanData*>>& children,
                          int depth, std::string& out) {
    const auto indent = static_cast<std::size_t>(depth) * 2;
    const double ms = static_cast<double>(s.end_time_unix_nano - s.start_time_unix_nano) / 1e6;
    out += fmt::format("{:{}}{}  {:.3f} ms", "", indent, s.name, ms);
    bool first = true;
    for (const Attribute& a : s.attributes) {
      if (a.key.rfind("code.", 0) == 0 || a.key == "thread.id") continue;
      out += first ? "  {" : ", ";
      first = false;
      out += a.key;
      out += '=';
      append_value(a.value, out);
    }
    if (!first) out += '}';
    if (s.status_code == StatusCode::error) out += fmt::format("  ERROR: {}", s.status_message);
    out += '\n';
    for (const SpanEvent& e : s.events) {
      const double at = static_cast<double>(e.time_unix_nano - s.start_time_unix_nano) / 1e6;
      out += fmt::format("{:{}}- event {} at +{:.3f} ms\n", "", indent + 2, e.name, at);
    }
    if (auto it = children.find(s.span_id.value); it != children.end())
      for (const SpanData* child : it->second) render_span(*child, children, depth + 1, out);
  }

  static void append_value(const AttributeValue& v, std::string& out) {
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

  std::FILE* out_;
  std::string text_;
};

}  // namespace trail
