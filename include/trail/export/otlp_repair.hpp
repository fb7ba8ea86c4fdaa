// The one repair both OTLP encoders (otlp_json.hpp, otlp_proto.hpp) rely on:
// receivers reject a whole request for a single attribute (of a span, event,
// link, resource or data point) with an empty key or with a key equal to an
// earlier one once ill-formed UTF-8 is replaced, or for an event without a
// name. Such items are left out and counted in the data's own dropped counts
// (droppedAttributesCount, droppedEventsCount); keys get their UTF-8
// repaired. Items that need it are repaired on a copy just before encoding
// (write_repaired), so both encodings carry the same.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "metrics_data.hpp"
#include "protobuf_writer.hpp"
#include "span_data.hpp"

namespace trail::detail {

// Whether `attributes` holds a key receivers reject. `unique_keys`: the caller
// guarantees distinct keys (the collector does for spans and events), so
// only keys that UTF-8 repair changes can collide.
inline bool attributes_need_repair(const std::vector<Attribute>& attributes, bool unique_keys) noexcept {
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    const std::string& key = attributes[i].key;
    if (key.empty() || !utf8_valid(key)) return true;
    if (!unique_keys)
      for (std::size_t j = 0; j < i; ++j)
        if (attributes[j].key == key) return true;
  }
  return false;
}

// Repairs the keys' UTF-8 and leaves out empty and repeated keys (the first
// of equal keys stays); returns how many were left out.
inline std::uint32_t repair_attributes(std::vector<Attribute>& attributes) {
  std::string repaired;
  for (Attribute& a : attributes) {
    if (utf8_valid(a.key)) continue;
    repaired.clear();
    append_utf8_repaired(repaired, a.key);
    a.key.swap(repaired);
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    const std::string& key = attributes[i].key;
    const auto end = attributes.begin() + static_cast<std::ptrdiff_t>(kept);
    if (key.empty() || std::any_of(attributes.begin(), end, [&](const Attribute& a) { return a.key == key; }))
      continue;
    if (kept != i) attributes[kept] = std::move(attributes[i]);
    ++kept;
  }
  const auto left_out = static_cast<std::uint32_t>(attributes.size() - kept);
  attributes.resize(kept);
  return left_out;
}

inline bool needs_repair(const SpanData& span) noexcept {
  if (attributes_need_repair(span.attributes, true)) return true;
  for (const SpanEvent& event : span.events)
    if (event.name.empty() || attributes_need_repair(event.attributes, true)) return true;
  for (const SpanLink& link : span.links)
    if (attributes_need_repair(link.attributes, true)) return true;
  return false;
}

inline void repair(SpanData& span) {
  span.dropped_attributes_count += repair_attributes(span.attributes);
  const auto nameless = std::remove_if(span.events.begin(), span.events.end(),
                                       [](const SpanEvent& e) { return e.name.empty(); });
  span.dropped_events_count += static_cast<std::uint32_t>(span.events.end() - nameless);
  span.events.erase(nameless, span.events.end());
  for (SpanEvent& event : span.events) event.dropped_attributes_count += repair_attributes(event.attributes);
  for (SpanLink& link : span.links) link.dropped_attributes_count += repair_attributes(link.attributes);
}

inline bool needs_repair(const Resource& resource) noexcept {
  return attributes_need_repair(resource.attributes, false);
}

inline void repair(Resource& resource) {
  resource.dropped_attributes_count += repair_attributes(resource.attributes);
}

// Data points have no dropped count in OTLP: their bad attributes just go.
inline bool needs_repair(const MetricData& metric) noexcept {
  for (const auto& p : metric.number_points)
    if (attributes_need_repair(p.attributes, false)) return true;
  for (const auto& p : metric.histogram_points)
    if (attributes_need_repair(p.attributes, false)) return true;
  return false;
}

inline void repair(MetricData& metric) {
  for (auto& p : metric.number_points) repair_attributes(p.attributes);
  for (auto& p : metric.histogram_points) repair_attributes(p.attributes);
}

// write(item), or write(a repaired copy) when `item` needs repair (rare: no
// copy otherwise).
template <class T, class Write>
void write_repaired(const T& item, Write&& write) {
  if (!needs_repair(item)) {
    write(item);
    return;
  }
  T copy = item;
  repair(copy);
  write(static_cast<const T&>(copy));
}

}  // namespace trail::detail
