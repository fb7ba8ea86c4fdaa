// Streaming OTLP/protobuf serializer for metrics: one
// ExportMetricsServiceRequest (opentelemetry-proto v1.4.0 metrics.proto and
// metrics_service.proto) appended to a reused buffer, carrying what the
// OTLP/JSON writer (otlp_json_metrics.hpp) carries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "metrics_data.hpp"
#include "otlp_proto.hpp"
#include "protobuf_writer.hpp"

namespace trail {
namespace detail {

// NumberDataPoint, as field 1 (data_points) of Gauge / Sum.
inline void write_proto_number_point(ProtoWriter& w, const NumberDataPoint& p) {
  const auto m = w.open(1);
  w.fixed64_field(2, p.start_time_unix_nano);             // start_time_unix_nano
  w.fixed64_field(3, p.time_unix_nano);                   // time_unix_nano
  if (p.is_double) w.double_field(4, p.as_double);        // as_double (oneof: written when zero)
  else w.sfixed64_field(6, p.as_int);                     // as_int
  write_proto_attributes(w, 7, p.attributes);             // attributes
  w.close(m);
}

// HistogramDataPoint, as field 1 (data_points) of Histogram.
inline void write_proto_histogram_point(ProtoWriter& w, const HistogramDataPoint& p) {
  const auto m = w.open(1, 2);
  w.fixed64_field(2, p.start_time_unix_nano);  // start_time_unix_nano
  w.fixed64_field(3, p.time_unix_nano);        // time_unix_nano
  w.fixed64_field(4, p.count);                 // count
  w.double_field(5, p.sum);                    // sum (optional: present, as in the JSON)
  if (!p.bucket_counts.empty()) {              // bucket_counts: packed fixed64
    w.tag(6, WireType::len);
    w.varint(8 * p.bucket_counts.size());
    for (const std::uint64_t c : p.bucket_counts) w.fixed64(c);
  }
  if (!p.explicit_bounds.empty()) {            // explicit_bounds: packed double
    w.tag(7, WireType::len);
    w.varint(8 * p.explicit_bounds.size());
    for (const double b : p.explicit_bounds) w.double_value(b);
  }
  write_proto_attributes(w, 9, p.attributes);  // attributes
  if (p.count > 0) {                           // min, max: absent rather than made up
    w.double_field(11, p.min);
    w.double_field(12, p.max);
  }
  w.close(m);
}

// Metric, as field 2 (metrics) of ScopeMetrics.
inline void write_proto_metric(ProtoWriter& w, const MetricData& metric) {
  const auto m = w.open(2, 2);
  w.string_field(1, metric.name);                                       // name
  if (!metric.description.empty()) w.string_field(2, metric.description);  // description
  if (!metric.unit.empty()) w.string_field(3, metric.unit);             // unit
  const auto temporality = static_cast<std::uint64_t>(metric.temporality);
  switch (metric.type) {
    case MetricType::gauge: {  // gauge = 5 (data_points = 1)
      const auto g = w.open(5, 2);
      for (const auto& p : metric.number_points) write_proto_number_point(w, p);
      w.close(g);
      break;
    }
    case MetricType::sum: {  // sum = 7 (data_points = 1, aggregation_temporality = 2, is_monotonic = 3)
      const auto s = w.open(7, 2);
      for (const auto& p : metric.number_points) write_proto_number_point(w, p);
      if (temporality != 0) w.varint_field(2, temporality);
      if (metric.is_monotonic) w.varint_field(3, 1);
      w.close(s);
      break;
    }
    case MetricType::histogram: {  // histogram = 9 (data_points = 1, aggregation_temporality = 2)
      const auto h = w.open(9, 2);
      for (const auto& p : metric.histogram_points) write_proto_histogram_point(w, p);
      if (temporality != 0) w.varint_field(2, temporality);
      w.close(h);
      break;
    }
  }
  w.close(m);
}

// One ExportMetricsServiceRequest (resource_metrics = 1) with one
// ResourceMetrics (resource = 1, scope_metrics = 2) and one ScopeMetrics
// (scope = 1, metrics = 2), appended to `buffer`.
inline void write_metrics_request_proto(std::string& buffer, const Resource& resource,
                                        const InstrumentationScope& scope, const std::vector<MetricData>& metrics) {
  ProtoWriter w(buffer);
  const auto resource_metrics = w.open(1, 3);
  write_repaired(resource, [&](const Resource& r) { write_proto_resource(w, 1, r); });
  const auto scope_metrics = w.open(2, 3);
  write_proto_scope(w, 1, scope);
  for (const MetricData& metric : metrics)
    write_repaired(metric, [&](const MetricData& m) { write_proto_metric(w, m); });
  w.close(scope_metrics);
  w.close(resource_metrics);
}

}  // namespace detail
}  // namespace trail
