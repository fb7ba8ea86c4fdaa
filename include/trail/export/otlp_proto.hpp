// Streaming OTLP/protobuf serializer for traces: one ExportTraceServiceRequest
// (opentelemetry-proto v1.4.0) written straight into a reused buffer, with
// the fields, omissions and string repairs of the OTLP/JSON writer
// (otlp_json.hpp) and the same repair of items receivers reject
// (otlp_repair.hpp); plus the decoding of receivers' protobuf answers.
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

#include "otlp_repair.hpp"
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

// The size of a scalar AnyValue whose strings need no repair, 0 otherwise
// (string arrays and ill-formed UTF-8 take the back-patching path).
inline std::size_t scalar_any_value_size(const AttributeValue& value) noexcept {
  if (const auto* s = std::get_if<std::string>(&value)) return utf8_valid(*s) ? 1 + varint_size(s->size()) + s->size() : 0;
  if (std::holds_alternative<bool>(value)) return 2;
  if (const auto* i = std::get_if<std::int64_t>(&value)) return 1 + varint_size(static_cast<std::uint64_t>(*i));
  if (std::holds_alternative<double>(value)) return 9;
  return 0;
}

// repeated KeyValue (key = 1, value = 2) as field `field` of the enclosing
// message. Most attributes are scalars with valid UTF-8: their sizes are
// known up front and they are written in one go (with the span's fixed
// fields below: 8.3 M spans/s against 4.5 M when every KeyValue and AnyValue
// was back-patched, benchmarks/bench_encodings.cpp).
inline void write_proto_attributes(ProtoWriter& w, std::uint32_t field, const std::vector<Attribute>& attributes) {
  for (const Attribute& a : attributes) {
    const std::size_t value_size = scalar_any_value_size(a.value);
    if (value_size == 0 || !utf8_valid(a.key)) {
      const auto kv = w.open(field);
      w.string_field(1, a.key);
      const auto value = w.open(2);
      write_proto_any_value(w, a.value);
      w.close(value);
      w.close(kv);
      continue;
    }
    const std::size_t key = a.key.size();
    const std::size_t kv_size = 1 + varint_size(key) + key + 1 + varint_size(value_size) + value_size;
    char* p = w.raw(kv_size + 15);  // + the KeyValue's tag and length
    p = put_tag(p, field, WireType::len);
    p = put_varint(p, kv_size);
    p = put_tag(p, 1, WireType::len);
    p = put_varint(p, key);
    p = put_bytes(p, a.key.data(), key);
    p = put_tag(p, 2, WireType::len);
    p = put_varint(p, value_size);
    switch (a.value.index()) {
      case 0: {  // string_value = 1
        const auto& s = std::get<std::string>(a.value);
        p = put_tag(p, 1, WireType::len);
        p = put_varint(p, s.size());
        p = put_bytes(p, s.data(), s.size());
        break;
      }
      case 1:  // bool_value = 2
        p = put_tag(p, 2, WireType::varint);
        p = put_varint(p, std::get<bool>(a.value) ? 1 : 0);
        break;
      case 2:  // int_value = 3
        p = put_tag(p, 3, WireType::varint);
        p = put_varint(p, static_cast<std::uint64_t>(std::get<std::int64_t>(a.value)));
        break;
      default:  // double_value = 4
        p = put_tag(p, 4, WireType::fixed64);
        p = put_fixed64(p, double_bits(std::get<double>(a.value)));
        break;
    }
    w.commit(p);
  }
}

// Resource (attributes = 1, dropped_attributes_count = 2) as field `field`.
inline void write_proto_resource(ProtoWriter& w, std::uint32_t field, const Resource& resource) {
  const auto m = w.open(field, 2);
  write_proto_attributes(w, 1, resource.attributes);
  if (resource.dropped_attributes_count != 0) w.varint_field(2, resource.dropped_attributes_count);
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
inline char* put_id_bytes(char* p, std::uint64_t v) noexcept {
  for (int i = 7; i >= 0; --i) *p++ = static_cast<char>(static_cast<unsigned char>(v >> (8 * i)));
  return p;
}

// Span, as field 2 (spans) of ScopeSpans.
inline void write_proto_span(ProtoWriter& w, const SpanData& span) {
  const auto m = w.open(2, 2);
  char* p = w.raw(2 + 16 + 2 + 8);
  p = put_bytes(p, "\x0a\x10", 2);                                              // trace_id, 16 bytes
  p = put_id_bytes(put_id_bytes(p, span.trace_id.hi), span.trace_id.lo);
  p = put_bytes(p, "\x12\x08", 2);                                              // span_id, 8 bytes
  w.commit(put_id_bytes(p, span.span_id.value));
  if (!span.trace_state.empty()) w.string_field(3, span.trace_state);         // trace_state
  if (span.parent_span_id.valid()) {                                          // parent_span_id
    p = put_bytes(w.raw(10), "\x22\x08", 2);
    w.commit(put_id_bytes(p, span.parent_span_id.value));
  }
  w.string_field(5, span.name);                                               // name
  p = w.raw(2 + 9 + 9);
  p = put_tag(p, 6, WireType::varint);                                        // kind
  p = put_varint(p, static_cast<std::uint64_t>(span.kind));
  p = put_tag(p, 7, WireType::fixed64);                                       // start_time_unix_nano
  p = put_fixed64(p, span.start_time_unix_nano);
  p = put_tag(p, 8, WireType::fixed64);                                       // end_time_unix_nano
  w.commit(put_fixed64(p, span.end_time_unix_nano));
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
  for (const SpanLink& link : span.links) {                                   // links = 13
    const auto l = w.open(13, 2);
    p = w.raw(2 + 16 + 2 + 8);
    p = put_bytes(p, "\x0a\x10", 2);                                            // trace_id, 16 bytes
    p = put_id_bytes(put_id_bytes(p, link.trace_id.hi), link.trace_id.lo);
    p = put_bytes(p, "\x12\x08", 2);                                            // span_id, 8 bytes
    w.commit(put_id_bytes(p, link.span_id.value));
    if (!link.trace_state.empty()) w.string_field(3, link.trace_state);       // trace_state
    write_proto_attributes(w, 4, link.attributes);                            // attributes
    if (link.dropped_attributes_count != 0) w.varint_field(5, link.dropped_attributes_count);
    if (link.flags != 0) w.fixed32_field(6, link.flags);                      // flags
    w.close(l);
  }
  if (span.dropped_links_count != 0) w.varint_field(14, span.dropped_links_count);    // dropped_links_count
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
// appended to `buffer`, or written from `at` over what it holds past that
// (a buffer reused between batches: StringSink).
inline void write_trace_request_proto(std::string& buffer, const Resource& resource,
                                      const InstrumentationScope& scope, const SpanData* spans, std::size_t count,
                                      std::size_t at = std::string::npos) {
  ProtoWriter w(buffer, at);
  const auto resource_spans = w.open(1, 3);
  write_repaired(resource, [&](const Resource& r) { write_proto_resource(w, 1, r); });
  const auto scope_spans = w.open(2, 3);
  write_proto_scope(w, 1, scope);
  for (std::size_t i = 0; i < count; ++i)
    write_repaired(spans[i], [&](const SpanData& span) { write_proto_span(w, span); });
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
