// Reads OTLP/JSON back: one ExportTraceServiceRequest or
// ExportMetricsServiceRequest per line, as trail's file exporter and the
// Collector's otlpjsonfile exporter write them. Used by tools/trail-timeline
// to turn a JSON lines file into the HTML timeline or a Perfetto trace.
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics_data.hpp"
#include "span_data.hpp"

namespace trail {

// What one line held: spans and metrics, each group with its resource.
struct OtlpJsonLine {
  struct Spans {
    Resource resource;
    std::vector<SpanData> spans;
  };
  struct Metrics {
    Resource resource;
    std::vector<MetricData> metrics;
  };
  std::vector<Spans> spans;
  std::vector<Metrics> metrics;
};

namespace detail {

using json = nlohmann::json;

// proto3 JSON: 64-bit integers as decimal strings, also accepted as numbers.
inline std::uint64_t otlp_u64(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return 0;
  if (it->is_string()) return std::stoull(it->get<std::string>());
  return it->get<std::uint64_t>();
}

inline double otlp_double(const json& j) {
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    return s == "NaN" ? std::numeric_limits<double>::quiet_NaN()
           : s == "Infinity" ? std::numeric_limits<double>::infinity()
           : s == "-Infinity" ? -std::numeric_limits<double>::infinity()
                              : std::stod(s);
  }
  return j.get<double>();
}

inline AttributeValue otlp_any_value(const json& v) {
  if (const auto s = v.find("stringValue"); s != v.end()) return s->get<std::string>();
  if (const auto b = v.find("boolValue"); b != v.end()) return b->get<bool>();
  if (const auto i = v.find("intValue"); i != v.end())
    return i->is_string() ? static_cast<std::int64_t>(std::stoll(i->get<std::string>())) : i->get<std::int64_t>();
  if (const auto d = v.find("doubleValue"); d != v.end()) return otlp_double(*d);
  if (const auto a = v.find("arrayValue"); a != v.end()) {
    std::vector<std::string> items;
    for (const json& item : a->value("values", json::array())) {
      const AttributeValue x = otlp_any_value(item);
      if (const auto* s = std::get_if<std::string>(&x)) items.push_back(*s);
      else items.push_back(item.dump());
    }
    return items;
  }
  return v.dump();  // kvlistValue, bytesValue: shown as their JSON
}

inline std::vector<Attribute> otlp_attributes(const json& j) {
  std::vector<Attribute> out;
  for (const json& a : j.value("attributes", json::array()))
    out.push_back({a.at("key").get<std::string>(), otlp_any_value(a.value("value", json::object()))});
  return out;
}

inline TraceId otlp_trace_id(const json& j, const char* key) {
  TraceId id;
  const std::string hex = j.value(key, std::string());
  if (hex.empty()) return id;
  if (hex.size() != 32 || !u64_from_hex(hex.data(), id.hi) || !u64_from_hex(hex.data() + 16, id.lo))
    throw std::invalid_argument(std::string(key) + " is not 32 lowercase hex digits");
  return id;
}

inline SpanId otlp_span_id(const json& j, const char* key) {
  SpanId id;
  const std::string hex = j.value(key, std::string());
  if (hex.empty()) return id;
  if (hex.size() != 16 || !u64_from_hex(hex.data(), id.value))
    throw std::invalid_argument(std::string(key) + " is not 16 lowercase hex digits");
  return id;
}

inline SpanData otlp_span(const json& j) {
  SpanData s;
  s.trace_id = otlp_trace_id(j, "traceId");
  s.span_id = otlp_span_id(j, "spanId");
  s.parent_span_id = otlp_span_id(j, "parentSpanId");
  s.trace_state = j.value("traceState", std::string());
  s.name = j.value("name", std::string());
  s.kind = static_cast<SpanKind>(j.value("kind", 1));
  s.start_time_unix_nano = otlp_u64(j, "startTimeUnixNano");
  s.end_time_unix_nano = otlp_u64(j, "endTimeUnixNano");
  s.attributes = otlp_attributes(j);
  s.dropped_attributes_count = j.value("droppedAttributesCount", 0u);
  for (const json& e : j.value("events", json::array()))
    s.events.push_back({e.value("name", std::string()), otlp_u64(e, "timeUnixNano"), otlp_attributes(e),
                        e.value("droppedAttributesCount", 0u)});
  s.dropped_events_count = j.value("droppedEventsCount", 0u);
  for (const json& l : j.value("links", json::array())) {
    SpanLink& link = s.links.emplace_back();
    link.trace_id = otlp_trace_id(l, "traceId");
    link.span_id = otlp_span_id(l, "spanId");
    link.trace_state = l.value("traceState", std::string());
    link.attributes = otlp_attributes(l);
    link.dropped_attributes_count = l.value("droppedAttributesCount", 0u);
    link.flags = l.value("flags", 0u);
  }
  s.dropped_links_count = j.value("droppedLinksCount", 0u);
  const json status = j.value("status", json::object());
  s.status_code = static_cast<StatusCode>(status.value("code", 0));
  s.status_message = status.value("message", std::string());
  s.flags = j.value("flags", 0u);
  return s;
}

inline MetricData otlp_metric(const json& j) {
  MetricData m;
  m.name = j.value("name", std::string());
  m.unit = j.value("unit", std::string());
  m.description = j.value("description", std::string());
  auto numbers = [&](const json& data) {
    for (const json& p : data.value("dataPoints", json::array())) {
      NumberDataPoint n;
      n.attributes = otlp_attributes(p);
      n.start_time_unix_nano = otlp_u64(p, "startTimeUnixNano");
      n.time_unix_nano = otlp_u64(p, "timeUnixNano");
      if (const auto d = p.find("asDouble"); d != p.end()) {
        n.is_double = true;
        n.as_double = otlp_double(*d);
      } else {
        n.as_int = static_cast<std::int64_t>(otlp_u64(p, "asInt"));
      }
      m.number_points.push_back(std::move(n));
    }
  };
  if (const auto sum = j.find("sum"); sum != j.end()) {
    m.type = MetricType::sum;
    m.is_monotonic = sum->value("isMonotonic", false);
    numbers(*sum);
  } else if (const auto gauge = j.find("gauge"); gauge != j.end()) {
    m.type = MetricType::gauge;
    numbers(*gauge);
  } else if (const auto histogram = j.find("histogram"); histogram != j.end()) {
    m.type = MetricType::histogram;
    for (const json& p : histogram->value("dataPoints", json::array())) {
      HistogramDataPoint h;
      h.attributes = otlp_attributes(p);
      h.start_time_unix_nano = otlp_u64(p, "startTimeUnixNano");
      h.time_unix_nano = otlp_u64(p, "timeUnixNano");
      h.count = otlp_u64(p, "count");
      h.sum = p.contains("sum") ? otlp_double(p["sum"]) : 0.0;
      h.min = p.contains("min") ? otlp_double(p["min"]) : 0.0;
      h.max = p.contains("max") ? otlp_double(p["max"]) : 0.0;
      for (const json& c : p.value("bucketCounts", json::array()))
        h.bucket_counts.push_back(c.is_string() ? std::stoull(c.get<std::string>()) : c.get<std::uint64_t>());
      for (const json& b : p.value("explicitBounds", json::array())) h.explicit_bounds.push_back(otlp_double(b));
      m.histogram_points.push_back(std::move(h));
    }
  }
  return m;
}

}  // namespace detail

// Parses one line. Throws std::exception (nlohmann's parse / type errors,
// std::invalid_argument) with the reason when the line is not OTLP/JSON.
inline OtlpJsonLine read_otlp_json_line(std::string_view line) {
  using detail::json;
  const json j = json::parse(line.begin(), line.end());
  if (!j.is_object() || (!j.contains("resourceSpans") && !j.contains("resourceMetrics")))
    throw std::invalid_argument("neither resourceSpans nor resourceMetrics");
  OtlpJsonLine out;
  for (const json& rs : j.value("resourceSpans", json::array())) {
    auto& group = out.spans.emplace_back();
    group.resource.attributes = detail::otlp_attributes(rs.value("resource", json::object()));
    for (const json& ss : rs.value("scopeSpans", json::array()))
      for (const json& s : ss.value("spans", json::array())) group.spans.push_back(detail::otlp_span(s));
  }
  for (const json& rm : j.value("resourceMetrics", json::array())) {
    auto& group = out.metrics.emplace_back();
    group.resource.attributes = detail::otlp_attributes(rm.value("resource", json::object()));
    for (const json& sm : rm.value("scopeMetrics", json::array()))
      for (const json& m : sm.value("metrics", json::array())) group.metrics.push_back(detail::otlp_metric(m));
  }
  return out;
}

}  // namespace trail
