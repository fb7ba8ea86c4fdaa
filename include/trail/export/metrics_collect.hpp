// Snapshots the live instruments (include/trail/metrics.hpp) into owned
// MetricData: cumulative temporality, read with atomics while producers keep
// recording. Runs on the flusher thread; allocates freely.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../metrics.hpp"
#include "metrics_data.hpp"

namespace trail {
namespace detail {

inline Attribute to_attribute(const MetricAttribute& a) {
  switch (a.type()) {
    case MetricAttribute::Type::string: return {std::string(a.key()), std::string(a.as_string())};
    case MetricAttribute::Type::boolean: return {std::string(a.key()), a.as_bool()};
    case MetricAttribute::Type::int64: return {std::string(a.key()), a.as_int64()};
    default: return {std::string(a.key()), a.as_double()};
  }
}

// Keys are meant to be distinct within a set; if a caller repeated one, the
// last value wins, as OTel attribute collections require.
inline std::vector<Attribute> to_attributes(const MetricSeries& s) {
  std::vector<Attribute> out;
  out.reserve(s.attribute_count);
  for (std::uint32_t i = 0; i < s.attribute_count; ++i) {
    Attribute a = to_attribute(s.attributes[i]);
    bool replaced = false;
    for (Attribute& prev : out) {
      if (prev.key == a.key) {
        prev.value = std::move(a.value);
        replaced = true;
      }
    }
    if (!replaced) out.push_back(std::move(a));
  }
  return out;
}

inline double metric_cell_as_double(const std::atomic<std::uint64_t>& cell, bool is_double) {
  const std::uint64_t bits = cell.load(std::memory_order_relaxed);
  return is_double ? metric_bits_double(bits) : static_cast<double>(static_cast<std::int64_t>(bits));
}

inline HistogramDataPoint collect_histogram_point(const MetricInstrument& inst, const MetricSeries& s) {
  HistogramDataPoint p;
  const auto* cells = s.cells();
  const std::uint32_t buckets = inst.bound_count() + 1;
  // Buckets first, with acquire: each record bumps its bucket last with
  // release, so sum/min/max read afterwards cover every counted value.
  p.bucket_counts.resize(buckets);
  for (std::uint32_t b = 0; b < buckets; ++b) {
    p.bucket_counts[b] = cells[3 + b].load(std::memory_order_acquire);
    p.count += p.bucket_counts[b];
  }
  p.sum = metric_cell_as_double(cells[0], inst.is_double());
  if (p.count > 0) {
    p.min = metric_cell_as_double(cells[1], inst.is_double());
    p.max = metric_cell_as_double(cells[2], inst.is_double());
  }
  p.explicit_bounds.assign(inst.bounds(), inst.bounds() + inst.bound_count());
  return p;
}

// Appends one MetricData for inst if it has at least one point.
inline void collect_instrument(const MetricInstrument& inst, std::uint64_t now_unix_nano, std::vector<MetricData>& out) {
  const MetricSeries* head = inst.series_head();
  if (head == nullptr) return;
  MetricData m;
  m.name = std::string(inst.name());
  m.description = std::string(inst.description());
  m.unit = std::string(inst.unit());
  switch (inst.kind()) {
    case InstrumentKind::counter: m.type = MetricType::sum; m.is_monotonic = true; break;
    case InstrumentKind::up_down_counter: m.type = MetricType::sum; break;
    case InstrumentKind::gauge: m.type = MetricType::gauge; break;
    case InstrumentKind::histogram: m.type = MetricType::histogram; break;
  }
  for (const MetricSeries* s = head; s != nullptr; s = s->next) {
    const auto* cells = s->cells();
    if (inst.kind() == InstrumentKind::histogram) {
      HistogramDataPoint p = collect_histogram_point(inst, *s);
      p.attributes = to_attributes(*s);
      p.start_time_unix_nano = s->start_unix_nano;
      p.time_unix_nano = now_unix_nano;
      m.histogram_points.push_back(std::move(p));
      continue;
    }
    if (inst.kind() == InstrumentKind::gauge && cells[1].load(std::memory_order_acquire) == 0) continue;
    NumberDataPoint p;
    p.attributes = to_attributes(*s);
    p.start_time_unix_nano = s->start_unix_nano;
    p.time_unix_nano = now_unix_nano;
    p.is_double = inst.is_double();
    const std::uint64_t bits = cells[0].load(std::memory_order_relaxed);
    if (p.is_double) p.as_double = metric_bits_double(bits);
    else p.as_int = static_cast<std::int64_t>(bits);
    m.number_points.push_back(std::move(p));
  }
  if (m.number_points.empty() && m.histogram_points.empty()) return;
  out.push_back(std::move(m));
}

}  // namespace detail

// Every registered instrument with at least one point, cumulative since each
// series' first use; time_unix_nano = now_unix_nano on every point.
inline std::vector<MetricData> collect_metrics(std::uint64_t now_unix_nano) {
  std::vector<MetricData> out;
  for (const detail::MetricInstrument* inst = detail::metric_instruments().load(std::memory_order_acquire);
       inst != nullptr; inst = inst->next_instrument()) {
    detail::collect_instrument(*inst, now_unix_nano, out);
  }
  return out;
}

}  // namespace trail
