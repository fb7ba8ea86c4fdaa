// Metrics as the export side sees them: an owned snapshot of every
// instrument, taken by collect_metrics() on the flusher thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "span_data.hpp"

namespace trail {

enum class MetricType : std::uint8_t { sum, gauge, histogram };

// OTLP AggregationTemporality; trail keeps cumulative state only.
enum class AggregationTemporality : std::uint8_t { unspecified = 0, delta = 1, cumulative = 2 };

// A Sum or Gauge point: int or double as the instrument was declared.
struct NumberDataPoint {
  std::vector<Attribute> attributes;
  std::uint64_t start_time_unix_nano = 0;
  std::uint64_t time_unix_nano = 0;
  bool is_double = false;
  std::int64_t as_int = 0;
  double as_double = 0;
};

// An explicit-bucket histogram point: bucket_counts.size() ==
// explicit_bounds.size() + 1 and count == the sum of bucket_counts.
struct HistogramDataPoint {
  std::vector<Attribute> attributes;
  std::uint64_t start_time_unix_nano = 0;
  std::uint64_t time_unix_nano = 0;
  std::uint64_t count = 0;
  double sum = 0;
  double min = 0;  // min and max are meaningful only when count > 0
  double max = 0;
  std::vector<std::uint64_t> bucket_counts;
  std::vector<double> explicit_bounds;
};

struct MetricData {
  std::string name;
  std::string description;
  std::string unit;
  MetricType type = MetricType::sum;
  bool is_monotonic = false;  // sums only
  AggregationTemporality temporality = AggregationTemporality::cumulative;  // sums and histograms
  std::vector<NumberDataPoint> number_points;        // sum, gauge
  std::vector<HistogramDataPoint> histogram_points;  // histogram
};

}  // namespace trail
