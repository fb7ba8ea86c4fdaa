// Streaming OTLP/JSON serializer for traces: one ExportTraceServiceRequest
// (opentelemetry-proto v1.4.0) written straight into a reused buffer.
//
// proto3 JSON mapping as OTLP/JSON uses it: lowerCamelCase field names,
// ids as lowercase hex, enums as integers, 64-bit integers as decimal
// strings. Zero and empty fields are omitted, output has no whitespace.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "json_writer.hpp"
#include "span_data.hpp"

namespace trail {
namespace detail {

// AnyValue: {"stringValue":..} / boolValue / intValue / doubleValue / arrayValue.
template <class Out>
void write_any_value(Out& out, const AttributeValue& value) {
  struct Visitor {
    Out& out;
    void operator()(const std::string& v) const {
      out += "{\"stringValue\":";
      append_json_string(out, v);
      out += '}';
    }
    void operator()(bool v) const {
      out += "{\"boolValue\":";
      append_json_bool(out, v);
      out += '}';
    }
    void operator()(std::int64_t v) const {
      out += "{\"intValue\":";
      append_json_i64_string(out, v);
      out += '}';
    }
    void operator()(double v) const {
      out += "{\"doubleValue\":";
      append_json_double(out, v);
      out += '}';
    }
    void operator()(const std::vector<std::string>& v) const {
      out += "{\"arrayValue\":{\"values\":[";
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out += ',';
        (*this)(v[i]);
      }
      out += "]}}";
    }
  };
  std::visit(Visitor{out}, value);
}

// Whether attribute i's key, invalid UTF-8 replaced, equals an earlier one's.
inline bool repeats_earlier_key(const std::vector<Attribute>& attributes, std::size_t i) {
  std::string key, earlier;
  append_json_string(key, attributes[i].key);
  for (std::size_t j = 0; j < i; ++j) {
    earlier.clear();
    append_json_string(earlier, attributes[j].key);
    if (earlier == key) return true;
  }
  return false;
}

// A KeyValue list: [{"key":..,"value":{..}},...]. Shared by resource, span,
// event and metric data point attributes. Out: std::string or StringSink.
// Receivers reject a whole request for one empty or repeated key: such
// attributes are left out (the first of equal keys stays) and counted in the
// result. `unique_keys`: the caller guarantees distinct keys (the collector
// does for spans), so only keys that UTF-8 repair changed are compared.
template <class Out>
std::uint32_t write_attributes(Out& out, const std::vector<Attribute>& attributes, bool unique_keys = false) {
  std::uint32_t dropped = 0;
  bool first = true;
  out += '[';
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    const std::string& key = attributes[i].key;
    if (key.empty()) {
      ++dropped;
      continue;
    }
    const std::size_t mark = out.size();
    if (!first) out += ',';
    out += "{\"key\":";
    const bool repaired = append_json_string(out, key);
    if ((repaired || !unique_keys) && i > 0 && repeats_earlier_key(attributes, i)) {
      truncate_output(out, mark);
      ++dropped;
      continue;
    }
    out += ",\"value\":";
    write_any_value(out, attributes[i].value);
    out += '}';
    first = false;
  }
  out += ']';
  return dropped;
}

// ,"attributes":[..] and ,"droppedAttributesCount":N, each only when non-empty.
template <class Out>
void write_attribute_fields(Out& out, const std::vector<Attribute>& attributes, std::uint32_t dropped) {
  if (!attributes.empty()) {
    out += ",\"attributes\":";
    dropped += write_attributes(out, attributes, /*unique_keys=*/true);
  }
  if (dropped != 0) {
    out += ",\"droppedAttributesCount\":";
    append_json_uint(out, dropped);
  }
}

// "resource":{..} (a Resource message); returns the attributes left out.
template <class Out>
std::uint32_t write_resource(Out& out, const Resource& resource) {
  out += "\"resource\":{";
  std::uint32_t dropped = 0;
  if (!resource.attributes.empty()) {
    out += "\"attributes\":";
    dropped = write_attributes(out, resource.attributes);
    if (dropped != 0) {
      out += ",\"droppedAttributesCount\":";
      append_json_uint(out, dropped);
    }
  }
  out += '}';
  return dropped;
}

// "scope":{..} (an InstrumentationScope message).
template <class Out>
void write_scope(Out& out, const InstrumentationScope& scope) {
  out += "\"scope\":{\"name\":";
  append_json_string(out, scope.name);
  if (!scope.version.empty()) {
    out += ",\"version\":";
    append_json_string(out, scope.version);
  }
  out += '}';
}

template <class Out>
void write_span(Out& out, const SpanData& span) {
  char hex[32];
  out += "{\"traceId\":\"";
  span.trace_id.to_hex(hex);
  out.append(hex, 32);
  out += "\",\"spanId\":\"";
  span.span_id.to_hex(hex);
  out.append(hex, 16);
  out += '"';
  if (span.parent_span_id.valid()) {
    out += ",\"parentSpanId\":\"";
    span.parent_span_id.to_hex(hex);
    out.append(hex, 16);
    out += '"';
  }
  if (!span.trace_state.empty()) {
    out += ",\"traceState\":";
    append_json_string(out, span.trace_state);
  }
  if (span.flags != 0) {
    out += ",\"flags\":";
    append_json_uint(out, span.flags);
  }
  out += ",\"name\":";
  append_json_string(out, span.name);
  out += ",\"kind\":";
  append_json_uint(out, static_cast<std::uint64_t>(span.kind));
  out += ",\"startTimeUnixNano\":";
  append_json_u64_string(out, span.start_time_unix_nano);
  out += ",\"endTimeUnixNano\":";
  append_json_u64_string(out, span.end_time_unix_nano);
  write_attribute_fields(out, span.attributes, span.dropped_attributes_count);

  // An event without a name is rejected by receivers: left out, counted.
  std::uint32_t dropped_events = span.dropped_events_count;
  if (!span.events.empty()) {
    out += ",\"events\":[";
    bool first = true;
    for (const SpanEvent& event : span.events) {
      if (event.name.empty()) {
        ++dropped_events;
        continue;
      }
      if (!first) out += ',';
      first = false;
      out += "{\"timeUnixNano\":";
      append_json_u64_string(out, event.time_unix_nano);
      out += ",\"name\":";
      append_json_string(out, event.name);
      write_attribute_fields(out, event.attributes, event.dropped_attributes_count);
      out += '}';
    }
    out += ']';
  }
  if (dropped_events != 0) {
    out += ",\"droppedEventsCount\":";
    append_json_uint(out, dropped_events);
  }

  if (!span.links.empty()) {
    out += ",\"links\":[";
    for (std::size_t i = 0; i < span.links.size(); ++i) {
      const SpanLink& link = span.links[i];
      if (i) out += ',';
      out += "{\"traceId\":\"";
      link.trace_id.to_hex(hex);
      out.append(hex, 32);
      out += "\",\"spanId\":\"";
      link.span_id.to_hex(hex);
      out.append(hex, 16);
      out += '"';
      if (!link.trace_state.empty()) {
        out += ",\"traceState\":";
        append_json_string(out, link.trace_state);
      }
      write_attribute_fields(out, link.attributes, link.dropped_attributes_count);
      if (link.flags != 0) {
        out += ",\"flags\":";
        append_json_uint(out, link.flags);
      }
      out += '}';
    }
    out += ']';
  }
  if (span.dropped_links_count != 0) {
    out += ",\"droppedLinksCount\":";
    append_json_uint(out, span.dropped_links_count);
  }

  if (span.status_code != StatusCode::unset || !span.status_message.empty()) {
    out += ",\"status\":{\"code\":";
    append_json_uint(out, static_cast<std::uint64_t>(span.status_code));
    if (!span.status_message.empty()) {
      out += ",\"message\":";
      append_json_string(out, span.status_message);
    }
    out += '}';
  }
  out += '}';
}

// One ExportTraceServiceRequest with one ResourceSpans and one ScopeSpans,
// appended to out (which the caller clears and reuses between batches).
inline void write_trace_request(std::string& buffer, const Resource& resource, const InstrumentationScope& scope,
                                const SpanData* spans, std::size_t count) {
  StringSink out(buffer);
  out += "{\"resourceSpans\":[{";
  write_resource(out, resource);
  out += ",\"scopeSpans\":[{";
  write_scope(out, scope);
  out += ",\"spans\":[";
  for (std::size_t i = 0; i < count; ++i) {
    if (i) out += ',';
    write_span(out, spans[i]);
  }
  out += "]}]}]}";
}

}  // namespace detail

// The OTLP/JSON body of a POST /v1/traces carrying these spans: for
// user-defined exporters and tools that want the wire form of a batch.
inline std::string to_otlp_json(const Resource& resource, const InstrumentationScope& scope,
                                const std::vector<SpanData>& spans) {
  std::string out;
  detail::write_trace_request(out, resource, scope, spans.data(), spans.size());
  return out;
}

}  // namespace trail
