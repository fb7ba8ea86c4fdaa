// The run as one self-contained HTML file: the timeline viewer
// (html_viewer.hpp, no network access, works from file://) with every span
// and metric series of the run embedded as compact JSON: string tables,
// interned attribute sets and numeric arrays (start times delta-coded).
// Written whole at each trail::flush() and at shutdown.
#pragma once

#include <cstring>
#include <initializer_list>
#include <string>
#include <unordered_map>
#include <vector>

#include "exporter.hpp"
#include "html_viewer.hpp"
#include "json_writer.hpp"
#include "timeline_store.hpp"

namespace trail {
namespace detail {

inline void append_json_hex(std::string& out, const TraceId& id) {
  char hex[32];
  id.to_hex(hex);
  out.append(hex, sizeof hex);
}

inline void append_json_hex(std::string& out, const SpanId& id) {
  char hex[16];
  id.to_hex(hex);
  out.append(hex, sizeof hex);
}

// The data the viewer reads (its format: tools/timeline/viewer.js, `decode`).
inline void append_timeline_json(const TimelineStore& store, std::string& out) {
  const auto& spans = store.spans();
  const std::vector<std::uint32_t> order = store.order_by_start();
  const std::uint64_t t0 = order.empty() ? 0 : spans[order.front()].start;

  out += "{\"format\":\"trail-timeline\",\"version\":1,\"t0\":";
  append_json_u64_string(out, t0);
  out += ",\"dropped\":";
  append_json_uint(out, store.dropped());
  out += ",\"resource\":{";
  for (std::size_t i = 0; i < store.resource().size(); ++i) {
    const Attribute& a = store.resource()[i];
    if (i) out += ',';
    append_json_string(out, a.key);
    out += ':';
    std::string text;
    append_attribute_value(a.value, text);
    append_json_string(out, text);
  }
  out += "},\"strings\":[";
  bool first = true;
  for (const std::string& s : store.strings()) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, s);
  }
  out += "],\"attrsets\":[";
  for (std::size_t i = 0; i < store.attribute_sets().size(); ++i) {
    if (i) out += ',';
    out += '[';
    bool first_value = true;
    for (const auto& a : store.attribute_sets()[i]) {
      if (!first_value) out += ',';
      first_value = false;
      append_json_uint(out, a.key);
      out += ',';
      append_json_uint(out, static_cast<std::uint64_t>(a.type));
      out += ',';
      if (a.type == TimelineStore::ValueType::floating) append_json_double(out, a.d);
      else append_json_decimal(out, a.i);
    }
    out += ']';
  }
  out += ']';

  // Traces and span ids by position; parents as positions (-1: root,
  // -2: a parent not in the file, its id in "remote_parent").
  std::unordered_map<std::uint64_t, std::uint32_t> position;  // span id -> position
  std::unordered_map<TraceId, std::uint32_t, TraceIdHash> trace_index;
  std::vector<TraceId> traces;
  position.reserve(order.size());
  for (std::uint32_t p = 0; p < order.size(); ++p) position.emplace(spans[order[p]].span_id.value, p);
  std::vector<std::uint32_t> trace_of(order.size());
  for (std::uint32_t p = 0; p < order.size(); ++p) {
    const TraceId& t = spans[order[p]].trace_id;
    const auto [it, added] = trace_index.emplace(t, static_cast<std::uint32_t>(traces.size()));
    if (added) traces.push_back(t);
    trace_of[p] = it->second;
  }
  out += ",\"traces\":\"";
  for (const TraceId& t : traces) append_json_hex(out, t);
  out += "\",\"spans\":{\"n\":";
  append_json_uint(out, order.size());

  auto column = [&](const char* name, auto&& value) {
    out += ",\"";
    out += name;
    out += "\":[";
    for (std::uint32_t p = 0; p < order.size(); ++p) {
      if (p) out += ',';
      value(p, spans[order[p]]);
    }
    out += ']';
  };
  std::uint64_t previous = t0;
  column("start", [&](std::uint32_t, const TimelineStore::StoredSpan& s) {
    append_json_uint(out, s.start - previous);
    previous = s.start;
  });
  column("dur", [&](std::uint32_t, const TimelineStore::StoredSpan& s) { append_json_uint(out, s.end - s.start); });
  column("name", [&](std::uint32_t, const TimelineStore::StoredSpan& s) { append_json_uint(out, s.name); });
  column("trace", [&](std::uint32_t p, const TimelineStore::StoredSpan&) { append_json_uint(out, trace_of[p]); });
  std::vector<std::uint32_t> remote;
  column("parent", [&](std::uint32_t p, const TimelineStore::StoredSpan& s) {
    if (!s.parent_span_id.valid()) {
      out += "-1";
      return;
    }
    const auto it = position.find(s.parent_span_id.value);
    if (it != position.end() && spans[order[it->second]].trace_id == s.trace_id) {
      append_json_uint(out, it->second);
    } else {
      out += "-2";
      remote.push_back(p);
    }
  });
  column("kind", [&](std::uint32_t, const TimelineStore::StoredSpan& s) { append_json_uint(out, static_cast<std::uint64_t>(s.kind)); });
  column("status", [&](std::uint32_t, const TimelineStore::StoredSpan& s) { append_json_uint(out, static_cast<std::uint64_t>(s.status)); });
  column("attrs", [&](std::uint32_t, const TimelineStore::StoredSpan& s) { append_json_uint(out, s.attributes); });
  out += ",\"id\":\"";
  for (std::uint32_t p = 0; p < order.size(); ++p) append_json_hex(out, spans[order[p]].span_id);
  out += "\",\"remote_parent\":[";
  for (std::size_t k = 0; k < remote.size(); ++k) {
    if (k) out += ',';
    out += '[';
    append_json_uint(out, remote[k]);
    out += ",\"";
    append_json_hex(out, spans[order[remote[k]]].parent_span_id);
    out += "\"]";
  }
  bool first_row = true;  // sparse tables: a row of integers per entry
  auto row = [&](std::initializer_list<std::int64_t> values) {
    out += first_row ? "[" : ",[";
    first_row = false;
    bool first_value = true;
    for (std::int64_t v : values) {
      if (!first_value) out += ',';
      first_value = false;
      append_json_decimal(out, v);
    }
    out += ']';
  };
  out += "],\"msg\":[";  // [position, message]
  for (std::uint32_t p = 0; p < order.size(); ++p)
    if (spans[order[p]].status_message != 0) row({p, spans[order[p]].status_message});
  out += "],\"events\":[";  // [position, name, offset from the span's start, attribute set]
  first_row = true;
  for (std::uint32_t p = 0; p < order.size(); ++p) {
    const auto& s = spans[order[p]];
    for (std::uint32_t e = s.events_begin; e < s.events_begin + s.events_count; ++e) {
      const auto& ev = store.events()[e];
      row({p, ev.name, static_cast<std::int64_t>(ev.time_unix_nano - s.start), ev.attributes});
    }
  }
  out += "]},\"metrics\":[";
  for (std::size_t m = 0; m < store.metrics().size(); ++m) {
    const auto& series = store.metrics()[m];
    if (m) out += ',';
    out += "{\"name\":";
    append_json_string(out, series.name);
    out += ",\"unit\":";
    append_json_string(out, series.unit);
    out += ",\"description\":";
    append_json_string(out, series.description);
    out += ",\"type\":";
    out += series.type == MetricType::sum ? "\"sum\"" : series.type == MetricType::gauge ? "\"gauge\"" : "\"histogram\"";
    out += ",\"attrs\":{";
    for (std::size_t i = 0; i < series.attributes.size(); ++i) {
      if (i) out += ',';
      append_json_string(out, series.attributes[i].key);
      out += ':';
      std::string text;
      append_attribute_value(series.attributes[i].value, text);
      append_json_string(out, text);
    }
    auto numbers = [&](const char* name, auto&& value) {
      out += "],\"";
      out += name;
      out += "\":[";
      for (std::size_t i = 0; i < series.points.size(); ++i) {
        if (i) out += ',';
        value(series.points[i]);
      }
    };
    out += "},\"t\":[";
    for (std::size_t i = 0; i < series.points.size(); ++i) {
      if (i) out += ',';
      append_json_decimal(out, static_cast<std::int64_t>(series.points[i].time_unix_nano - t0));
    }
    numbers("v", [&](const TimelineStore::MetricPoint& p) { append_json_double(out, p.value); });
    numbers("sum", [&](const TimelineStore::MetricPoint& p) { append_json_double(out, p.sum); });
    out += "],\"bounds\":[";
    for (std::size_t i = 0; i < series.bounds.size(); ++i) {
      if (i) out += ',';
      append_json_double(out, series.bounds[i]);
    }
    out += "],\"buckets\":[";
    for (std::size_t i = 0; i < series.buckets.size(); ++i) {
      if (i) out += ',';
      append_json_uint(out, series.buckets[i]);
    }
    out += "]}";
  }
  out += "]}";
}

// The whole HTML file. '<' in the data is written as \u003c, so no string
// can end the <script> element that holds it.
inline void append_timeline_html(const TimelineStore& store, std::string& out) {
  for (std::string_view part : viewer_head) out += part;
  const std::size_t data_begin = out.size();
  append_timeline_json(store, out);
  std::size_t lt = 0;
  for (std::size_t i = data_begin; i < out.size(); ++i) lt += out[i] == '<';
  if (lt) {
    const std::size_t old_size = out.size();
    out.resize(old_size + lt * 5);
    std::size_t w = out.size();
    for (std::size_t r = old_size; r-- > data_begin;) {
      if (out[r] == '<') {
        w -= 6;
        std::memcpy(&out[w], "\\u003c", 6);
      } else {
        out[--w] = out[r];
      }
    }
  }
  for (std::string_view part : viewer_tail) out += part;
}

}  // namespace detail

// OTEL_TRACES_EXPORTER=html: the timeline file (TRAIL_HTML_FILE, default
// trail-run.html). Give the same instance the spans and the metrics.
class HtmlExporter : public detail::RunFileExporter {
 public:
  explicit HtmlExporter(std::string path, std::size_t max_spans = 4000000)
      : RunFileExporter("html exporter", std::move(path), max_spans) {}

 private:
  void render(const detail::TimelineStore& store, std::string& out) const override {
    detail::append_timeline_html(store, out);
  }
};

}  // namespace trail
