// Streaming OTLP/JSON serializer for metrics: one ExportMetricsServiceRequest
// (opentelemetry-proto v1.4.0 metrics.proto) appended to a reused buffer,
// with the same conventions as the trace writer (otlp_json.hpp): 64-bit
// integers as decimal strings, enums as integers, empty fields omitted.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "json_writer.hpp"
#include "metrics_data.hpp"
#include "otlp_json.hpp"

namespace trail {
namespace detail {

// "attributes", "startTimeUnixNano", "timeUnixNano": the fields every point opens with.
inline void write_point_header(std::string& out, const std::vector<Attribute>& attributes, std::uint64_t start,
                               std::uint64_t time) {
  out += '{';
  if (!attributes.empty()) {
    out += "\"attributes\":";
    write_attributes(out, attributes);
    out += ',';
  }
  out += "\"startTimeUnixNano\":";
  append_json_u64_string(out, start);
  out += ",\"timeUnixNano\":";
  append_json_u64_string(out, time);
}

inline void write_number_points(std::string& out, const std::vector<NumberDataPoint>& points) {
  out += "\"dataPoints\":[";
  for (std::size_t i = 0; i < points.size(); ++i) {
    const NumberDataPoint& p = points[i];
    if (i) out += ',';
    write_point_header(out, p.attributes, p.start_time_unix_nano, p.time_unix_nano);
    if (p.is_double) {
      out += ",\"asDouble\":";
      append_json_double(out, p.as_double);
    } else {
      out += ",\"asInt\":";
      append_json_i64_string(out, p.as_int);
    }
    out += '}';
  }
  out += ']';
}

inline void write_histogram_points(std::string& out, const std::vector<HistogramDataPoint>& points) {
  out += "\"dataPoints\":[";
  for (std::size_t i = 0; i < points.size(); ++i) {
    const HistogramDataPoint& p = points[i];
    if (i) out += ',';
    write_point_header(out, p.attributes, p.start_time_unix_nano, p.time_unix_nano);
    out += ",\"count\":";
    append_json_u64_string(out, p.count);
    out += ",\"sum\":";
    append_json_double(out, p.sum);
    out += ",\"bucketCounts\":[";
    for (std::size_t b = 0; b < p.bucket_counts.size(); ++b) {
      if (b) out += ',';
      append_json_u64_string(out, p.bucket_counts[b]);
    }
    out += "],\"explicitBounds\":[";
    for (std::size_t b = 0; b < p.explicit_bounds.size(); ++b) {
      if (b) out += ',';
      append_json_double(out, p.explicit_bounds[b]);
    }
    out += ']';
    if (p.count > 0) {  // optional fields: absent rather than a made-up value
      out += ",\"min\":";
      append_json_double(out, p.min);
      out += ",\"max\":";
      append_json_double(out, p.max);
    }
    out += '}';
  }
  out += ']';
}

inline void write_metric(std::string& out, const MetricData& m) {
  out += "{\"name\":";
  append_json_string(out, m.name);
  if (!m.description.empty()) {
    out += ",\"description\":";
    append_json_string(out, m.description);
  }
  if (!m.unit.empty()) {
    out += ",\"unit\":";
    append_json_string(out, m.unit);
  }
  switch (m.type) {
    case MetricType::sum:
      out += ",\"sum\":{";
      write_number_points(out, m.number_points);
      out += ",\"aggregationTemporality\":";
      append_json_uint(out, static_cast<std::uint64_t>(m.temporality));
      out += ",\"isMonotonic\":";  // written even when false: clearer to readers, valid proto3 JSON
      append_json_bool(out, m.is_monotonic);
      out += '}';
      break;
    case MetricType::gauge:
      out += ",\"gauge\":{";
      write_number_points(out, m.number_points);
      out += '}';
      break;
    case MetricType::histogram:
      out += ",\"histogram\":{";
      write_histogram_points(out, m.histogram_points);
      out += ",\"aggregationTemporality\":";
      append_json_uint(out, static_cast<std::uint64_t>(m.temporality));
      out += '}';
      break;
  }
  out += '}';
}

}  // namespace detail

// One ExportMetricsServiceRequest (one ResourceMetrics, one ScopeMetrics)
// appended to out: the body of a POST /v1/metrics.
inline void write_metrics_request(std::string& out, const Resource& resource, const InstrumentationScope& scope,
                                  const std::vector<MetricData>& metrics) {
  out += "{\"resourceMetrics\":[{";
  detail::write_repaired(resource, [&](const Resource& r) { detail::write_resource(out, r); });
  out += ",\"scopeMetrics\":[{";
  detail::write_scope(out, scope);
  out += ",\"metrics\":[";
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    if (i) out += ',';
    detail::write_repaired(metrics[i], [&](const MetricData& m) { detail::write_metric(out, m); });
  }
  out += "]}]}]}";
}

}  // namespace trail
