// Streaming OTLP/protobuf serializer for traces: one ExportTraceServiceRequest
// (opentelemetry-proto v1.4.0) written straight into a reused buffer, with
// the fields, omissions and string repairs of the OTLP/JSON writer
// (otlp_json.hpp); plus the decoding of receivers' protobuf answers.
//
// Field numbers are those of trace.proto, common.proto, resource.proto and
// trace_service.proto; each is named in a comment where it is written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protobuf_reader.hpp"
#include "protobuf_writer.hpp"
#include "span_data.hpp"

namespace trail {
namespace detail {

// AnyValue: string_value = 1, bool_value = 2, int_value = 3, double_value = 4,
// array_value = 5 (ArrayValue: values = 1). A oneof: zero values are written.
inline void write_proto_any_value(ProtoWriter& w, const AttributeValue& value) {
  struct Visitor {
    ProtoWriter& w;
    void operator()(const std::string& v) const { w.string_field(1, v); }
    void operator()(bool v) const { w.varint_field(2, v ? 1 : 0); }
    void operator()(std::int64_t v) const { w.int64_field(3, v); }
    void operator()(double v) const { w.double_field(4, v); }
    void operator()(const std::vector<std::string>& v) const {
      const auto array = w.open(5, 2);
      for (const std::string& s : v) {
        const auto item = w.open(1);
        w.string_field(1, s);
        w.close(item);
      }
      w.close(array);
    }
  };
  std::visit(Visitor{w}, value);
}

// repeated KeyValue (key = 1, value = 2) as field `field` of the enclosing message.
inline void write_proto_attributes(ProtoWriter& w, std::uint32_t field, const std::vector<Attribute>& attributes) {
  for (const Attribute& a : attributes) {
    const auto kv = w.open(field);
    w.string_field(1, a.key);
    const auto value = w.open(2);
    write_proto_any_value(w, a.value);
    w.close(value);
    w.close(kv);
  }
}

// Resource (attributes = 1) as field `field`.
inline void write_proto_resource(ProtoWriter& w, std::uint32_t field, const Resource& resource) {
  const auto m = w.open(field, 2);
  write_proto_attributes(w, 1, resource.attributes);
  w.close(m);
}

// InstrumentationScope (name = 1, version = 2) as field `field`.
inline void write_proto_scope(ProtoWriter& w, std::uint32_t field, const InstrumentationScope& scope) {
  const auto m = w.open(field);
  if (!scope.name.empty()) w.string_field(1, scope.name);
  if (!scope.version.empty()) w.string_field(2, scope.version);
  w.close(m);
}

// Ids are bytes fields, most significant byte first (the order of the hex form).
inline void write_proto_id(ProtoWriter& w, std::uint32_t field, std::uint64_t hi, std::uint64_t lo, bool has_hi) {
  char bytes[16];
  char* p = bytes;
  if (has_hi)
    for (int i = 7; i >= 0; --i) *p++ = static_cast<char>(static_cast<unsigned char>(hi >> (8 * i)));
  for (int i = 7; i >= 0; --i) *p++ = static_cast<char>(static_cast<unsigned char>(lo >> (8 * i)));
  w.bytes_field(field, bytes, static_cast<std::size_t>(p - bytes));
}

// Span, as field 2 (spans) of ScopeSpans.
inline void write_proto_span(ProtoWriter& w, const SpanData& span) {
  const auto m = w.open(2, 2);
  write_proto_id(w, 1, span.trace_id.hi, span.trace_id.lo, true);            // trace_id
  write_proto_id(w, 2, 0, span.span_id.value, false);                         // span_id
  if (!span.trace_state.empty()) w.string_field(3, span.trace_state);         // trace_state
  if (span.parent_span_id.valid()) write_proto_id(w, 4, 0, span.parent_span_id.value, false);  // parent_span_id
  w.string_field(5, span.name);                                               // name
  w.varint_field(6, static_cast<std::uint64_t>(span.kind));                   // kind
  w.fixed64_field(7, span.start_time_unix_nano);                              // start_time_unix_nano
  w.fixed64_field(8, span.end_time_unix_nano);                                // end_time_unix_nano
  write_proto_attributes(w, 9, span.attributes);                              // attributes
  if (span.dropped_attributes_count != 0) w.varint_field(10, span.dropped_attributes_count);
  for (const SpanEvent& event : span.events) {                                // events = 11
    const auto e = w.open(11, 2);
    w.fixed64_field(1, event.time_unix_nano);                                 // time_unix_nano
    w.string_field(2, event.name);                                            // name
    write_proto_attributes(w, 3, event.attributes);                           // attributes
    if (event.dropped_attributes_count != 0) w.varint_field(4, event.dropped_attributes_count);
    w.close(e);
  }
  if (span.dropped_events_count != 0) w.varint_field(12, span.dropped_events_count);  // dropped_events_count
  if (span.status_code != StatusCode::unset || !span.status_message.empty()) {        // status = 15
    const auto s = w.open(15);
    if (!span.status_message.empty()) w.string_field(2, span.status_message);        // message
    if (span.status_code != StatusCode::unset) w.varint_field(3, static_cast<std::uint64_t>(span.status_code));
    w.close(s);
  }
  if (span.flags != 0) w.fixed32_field(16, span.flags);                       // flags
  w.close(m);
}

// One ExportTraceServiceRequest (resource_spans = 1) with one ResourceSpans
// (resource = 1, scope_spans = 2) and one ScopeSpans (scope = 1, spans = 2),
// appended to `buffer` (which the caller clears and reuses between batches).
inline void write_trace_request_proto(std::string& buffer, const Resource& resource,
                                      const InstrumentationScope& scope, const SpanData* spans, std::size_t count) {
  ProtoWriter w(buffer);
  const auto resource_spans = w.open(1, 3);
  write_proto_resource(w, 1, resource);
  const auto scope_spans = w.open(2, 3);
  write_proto_scope(w, 1, scope);
  for (std::size_t i = 0; i < count; ++i) write_proto_span(w, spans[i]);
  w.close(scope_spans);
  w.close(resource_spans);
}

// partial_success (field 1) of an ExportTraceServiceResponse or
// ExportMetricsServiceResponse: rejected_spans / rejected_data_points
// (field 1, int64) and error_message (field 2). 0 when absent or malformed.
inline std::uint64_t proto_rejected_count(std::string_view body, std::string& message) {
  ProtoReader response(body);
  std::uint64_t rejected = 0;
  while (response.next()) {
    if (response.field() != 1 || response.type() != WireType::len) continue;
    ProtoReader partial(response.bytes());
    while (partial.next()) {
      if (partial.field() == 1 && partial.type() == WireType::varint) rejected = partial.value();
      else if (partial.field() == 2 && partial.type() == WireType::len) message = std::string(partial.bytes());
    }
    if (!partial.ok()) return 0;
  }
  if (!response.ok() || static_cast<std::int64_t>(rejected) < 0) return 0;
  return rejected;
}

// The message (field 2) of a google.rpc.Status (code = 1, message = 2,
// details = 3), "code N" when it has none; empty when the body is not one.
inline std::string proto_status_text(std::string_view body) {
  ProtoReader status(body);
  std::uint64_t code = 0;
  std::string message;
  bool any = false;
  while (status.next()) {
    any = true;
    if (status.field() == 1 && status.type() == WireType::varint) code = status.value();
    else if (status.field() == 2 && status.type() == WireType::len) message = std::string(status.bytes());
  }
  if (!status.ok() || !any) return {};
  return message.empty() ? "code " + std::to_string(static_cast<std::int32_t>(code)) : message;
}

}  // namespace detail

// The OTLP/protobuf body of a POST /v1/traces carrying these spans.
inline std::string to_otlp_protobuf(const Resource& resource, const InstrumentationScope& scope,
                                    const std::vector<SpanData>& spans) {
  std::string out;
  detail::write_trace_request_proto(out, resource, scope, spans.data(), spans.size());
  return out;
}

}  // namespace trail
