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
#include "otlp_repair.hpp"
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

// A KeyValue list: [{"key":..,"value":{..}},...]. Shared by resource, span,
// event and metric data point attributes. Out: std::string or StringSink.
// Keys receivers reject were left out before (otlp_repair.hpp), except for
// spans, which are checked as they are written: false when a key was empty
// or had its UTF-8 repaired.
template <class Out>
bool write_attributes(Out& out, const std::vector<Attribute>& attributes) {
  bool keys_ok = true;
  out += '[';
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    if (i) out += ',';
    out += "{\"key\":";
    const std::string& key = attributes[i].key;
    if (append_json_string(out, key) || key.empty()) keys_ok = false;
    out += ",\"value\":";
    write_any_value(out, attributes[i].value);
    out += '}';
  }
  out += ']';
  return keys_ok;
}

// ,"attributes":[..] and ,"droppedAttributesCount":N, each only when
// non-empty; false as write_attributes.
template <class Out>
bool write_attribute_fields(Out& out, const std::vector<Attribute>& attributes, std::uint32_t dropped) {
  bool keys_ok = true;
  if (!attributes.empty()) {
    out += ",\"attributes\":";
    keys_ok = write_attributes(out, attributes);
  }
  if (dropped != 0) {
    out += ",\"droppedAttributesCount\":";
    append_json_uint(out, dropped);
  }
  return keys_ok;
}

// "resource":{..} (a Resource message).
template <class Out>
void write_resource(Out& out, const Resource& resource) {
  out += "\"resource\":{";
  if (!resource.attributes.empty()) {
    out += "\"attributes\":";
    write_attributes(out, resource.attributes);
    if (resource.dropped_attributes_count != 0) out += ',';
  }
  if (resource.dropped_attributes_count != 0) {
    out += "\"droppedAttributesCount\":";
    append_json_uint(out, resource.dropped_attributes_count);
  }
  out += '}';
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

// False when the span holds something receivers reject (otlp_repair.hpp
// needs_repair: an empty key or event name, or a key whose UTF-8 was
// repaired, the only way the collector's distinct keys can collide): found
// while writing, so that a clean span is scanned once, not checked first.
template <class Out>
bool write_span(Out& out, const SpanData& span) {
  bool ok = true;
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
  ok = write_attribute_fields(out, span.attributes, span.dropped_attributes_count);

  if (!span.events.empty()) {
    out += ",\"events\":[";
    for (std::size_t i = 0; i < span.events.size(); ++i) {
      const SpanEvent& event = span.events[i];
      if (i) out += ',';
      out += "{\"timeUnixNano\":";
      append_json_u64_string(out, event.time_unix_nano);
      out += ",\"name\":";
      append_json_string(out, event.name);
      if (event.name.empty()) ok = false;
      if (!write_attribute_fields(out, event.attributes, event.dropped_attributes_count)) ok = false;
      out += '}';
    }
    out += ']';
  }
  if (span.dropped_events_count != 0) {
    out += ",\"droppedEventsCount\":";
    append_json_uint(out, span.dropped_events_count);
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
      if (!write_attribute_fields(out, link.attributes, link.dropped_attributes_count)) ok = false;
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
  return ok;
}

// One ExportTraceServiceRequest with one ResourceSpans and one ScopeSpans,
// appended to `buffer`, or written from `at` over what it holds past that
// (a buffer reused between batches: StringSink).
inline void write_trace_request(std::string& buffer, const Resource& resource, const InstrumentationScope& scope,
                                const SpanData* spans, std::size_t count, std::size_t at = std::string::npos) {
  StringSink out(buffer, at);
  out += "{\"resourceSpans\":[{";
  write_repaired(resource, [&](const Resource& r) { write_resource(out, r); });
  out += ",\"scopeSpans\":[{";
  write_scope(out, scope);
  out += ",\"spans\":[";
  for (std::size_t i = 0; i < count; ++i) {
    if (i) out += ',';
    const std::size_t at = out.size();
    if (write_span(out, spans[i])) continue;
    out.set_size(at);  // rare: written again, repaired (what write_repaired does)
    SpanData copy = spans[i];
    repair(copy);
    write_span(out, copy);
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
