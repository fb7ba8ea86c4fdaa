// A finished span as the export side sees it: rebuilt from ring records by
// the collector, owned, with times already in Unix nanoseconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "../enums.hpp"
#include "../ids.hpp"

namespace trail {

using AttributeValue = std::variant<std::string, bool, std::int64_t, double, std::vector<std::string>>;

struct Attribute {
  std::string key;
  AttributeValue value;
};

// The value of `key` among `attributes`, or null.
inline const AttributeValue* find_attribute(const std::vector<Attribute>& attributes, std::string_view key) {
  for (const auto& a : attributes)
    if (a.key == key) return &a.value;
  return nullptr;
}

struct SpanEvent {
  std::string name;
  std::uint64_t time_unix_nano = 0;
  std::vector<Attribute> attributes;
  std::uint32_t dropped_attributes_count = 0;
};

// A link to another span (OpenTelemetry Span.Link).
struct SpanLink {
  TraceId trace_id;
  SpanId span_id;
  std::string trace_state;
  std::vector<Attribute> attributes;
  std::uint32_t dropped_attributes_count = 0;
  std::uint32_t flags = 0;        // OTLP SpanFlags of the linked context
};

struct SpanData {
  TraceId trace_id;
  SpanId span_id;
  SpanId parent_span_id;          // invalid (zero) for a root span
  std::string trace_state;        // W3C tracestate passed through, may be empty
  std::string name;
  SpanKind kind = SpanKind::internal;
  std::uint64_t start_time_unix_nano = 0;
  std::uint64_t end_time_unix_nano = 0;
  std::vector<Attribute> attributes;
  std::uint32_t dropped_attributes_count = 0;
  std::vector<SpanEvent> events;
  std::uint32_t dropped_events_count = 0;
  std::vector<SpanLink> links;
  std::uint32_t dropped_links_count = 0;
  StatusCode status_code = StatusCode::unset;
  std::string status_message;
  std::uint32_t flags = 0;        // OTLP SpanFlags: W3C trace flags | HAS_IS_REMOTE | IS_REMOTE
};

// For unordered containers keyed by trace (ids are random: mixing suffices).
struct TraceIdHash {
  std::size_t operator()(const TraceId& t) const noexcept {
    return static_cast<std::size_t>(t.hi ^ (t.lo * 0x9E3779B97F4A7C15ull));
  }
};

// What identifies the producer of a batch (OTLP Resource + InstrumentationScope).
struct Resource {
  std::vector<Attribute> attributes;
  std::uint32_t dropped_attributes_count = 0;
};

struct InstrumentationScope {
  std::string name = "trail";
  std::string version;
};

}  // namespace trail
