// Test support: decodes an OTLP protobuf request into its OTLP/JSON form
// (nlohmann::json), driven by a table of the opentelemetry-proto v1.4.0 field
// numbers written out here from the .proto files, so that a protobuf body can
// be compared field by field with the JSON writer's body for the same batch.
// Unknown fields and wrong wire types fail the decode (they would be encoder bugs).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <trail/export/protobuf_reader.hpp>

namespace trail::test {

enum class Kind { message, string, id, uint32, enumeration, fixed32, fixed64, int64, sfixed64, boolean, dbl,
                  packed_fixed64, packed_double };

struct FieldSpec {
  const char* json;
  Kind kind;
  bool repeated = false;
  const char* type = nullptr;  // message type name for Kind::message
};

using MessageSpec = std::map<std::uint32_t, FieldSpec>;

inline const std::map<std::string, MessageSpec>& otlp_schema() {
  static const std::map<std::string, MessageSpec> schema = {
      {"ExportTraceServiceRequest", {{1, {"resourceSpans", Kind::message, true, "ResourceSpans"}}}},
      {"ResourceSpans", {{1, {"resource", Kind::message, false, "Resource"}},
                         {2, {"scopeSpans", Kind::message, true, "ScopeSpans"}},
                         {3, {"schemaUrl", Kind::string}}}},
      {"ScopeSpans", {{1, {"scope", Kind::message, false, "InstrumentationScope"}},
                      {2, {"spans", Kind::message, true, "Span"}},
                      {3, {"schemaUrl", Kind::string}}}},
      {"Resource", {{1, {"attributes", Kind::message, true, "KeyValue"}}, {2, {"droppedAttributesCount", Kind::uint32}}}},
      {"InstrumentationScope", {{1, {"name", Kind::string}},
                                {2, {"version", Kind::string}},
                                {3, {"attributes", Kind::message, true, "KeyValue"}},
                                {4, {"droppedAttributesCount", Kind::uint32}}}},
      {"KeyValue", {{1, {"key", Kind::string}}, {2, {"value", Kind::message, false, "AnyValue"}}}},
      {"AnyValue", {{1, {"stringValue", Kind::string}},
                    {2, {"boolValue", Kind::boolean}},
                    {3, {"intValue", Kind::int64}},
                    {4, {"doubleValue", Kind::dbl}},
                    {5, {"arrayValue", Kind::message, false, "ArrayValue"}}}},
      {"ArrayValue", {{1, {"values", Kind::message, true, "AnyValue"}}}},
      {"Span", {{1, {"traceId", Kind::id}},
                {2, {"spanId", Kind::id}},
                {3, {"traceState", Kind::string}},
                {4, {"parentSpanId", Kind::id}},
                {16, {"flags", Kind::fixed32}},
                {5, {"name", Kind::string}},
                {6, {"kind", Kind::enumeration}},
                {7, {"startTimeUnixNano", Kind::fixed64}},
                {8, {"endTimeUnixNano", Kind::fixed64}},
                {9, {"attributes", Kind::message, true, "KeyValue"}},
                {10, {"droppedAttributesCount", Kind::uint32}},
                {11, {"events", Kind::message, true, "Event"}},
                {12, {"droppedEventsCount", Kind::uint32}},
                {13, {"links", Kind::message, true, "Link"}},
                {14, {"droppedLinksCount", Kind::uint32}},
                {15, {"status", Kind::message, false, "Status"}}}},
      {"Link", {{1, {"traceId", Kind::id}},
                {2, {"spanId", Kind::id}},
                {3, {"traceState", Kind::string}},
                {4, {"attributes", Kind::message, true, "KeyValue"}},
                {5, {"droppedAttributesCount", Kind::uint32}},
                {6, {"flags", Kind::fixed32}}}},
      {"Event", {{1, {"timeUnixNano", Kind::fixed64}},
                 {2, {"name", Kind::string}},
                 {3, {"attributes", Kind::message, true, "KeyValue"}},
                 {4, {"droppedAttributesCount", Kind::uint32}}}},
      {"Status", {{2, {"message", Kind::string}}, {3, {"code", Kind::enumeration}}}},
      {"ExportMetricsServiceRequest", {{1, {"resourceMetrics", Kind::message, true, "ResourceMetrics"}}}},
      {"ResourceMetrics", {{1, {"resource", Kind::message, false, "Resource"}},
                           {2, {"scopeMetrics", Kind::message, true, "ScopeMetrics"}}}},
      {"ScopeMetrics", {{1, {"scope", Kind::message, false, "InstrumentationScope"}},
                        {2, {"metrics", Kind::message, true, "Metric"}}}},
      {"Metric", {{1, {"name", Kind::string}},
                  {2, {"description", Kind::string}},
                  {3, {"unit", Kind::string}},
                  {5, {"gauge", Kind::message, false, "Gauge"}},
                  {7, {"sum", Kind::message, false, "Sum"}},
                  {9, {"histogram", Kind::message, false, "Histogram"}}}},
      {"Gauge", {{1, {"dataPoints", Kind::message, true, "NumberDataPoint"}}}},
      {"Sum", {{1, {"dataPoints", Kind::message, true, "NumberDataPoint"}},
               {2, {"aggregationTemporality", Kind::enumeration}},
               {3, {"isMonotonic", Kind::boolean}}}},
      {"Histogram", {{1, {"dataPoints", Kind::message, true, "HistogramDataPoint"}},
                     {2, {"aggregationTemporality", Kind::enumeration}}}},
      {"NumberDataPoint", {{7, {"attributes", Kind::message, true, "KeyValue"}},
                           {2, {"startTimeUnixNano", Kind::fixed64}},
                           {3, {"timeUnixNano", Kind::fixed64}},
                           {4, {"asDouble", Kind::dbl}},
                           {6, {"asInt", Kind::sfixed64}},
                           {8, {"flags", Kind::uint32}}}},
      {"HistogramDataPoint", {{9, {"attributes", Kind::message, true, "KeyValue"}},
                              {2, {"startTimeUnixNano", Kind::fixed64}},
                              {3, {"timeUnixNano", Kind::fixed64}},
                              {4, {"count", Kind::fixed64}},
                              {5, {"sum", Kind::dbl}},
                              {6, {"bucketCounts", Kind::packed_fixed64}},
                              {7, {"explicitBounds", Kind::packed_double}},
                              {10, {"flags", Kind::uint32}},
                              {11, {"min", Kind::dbl}},
                              {12, {"max", Kind::dbl}}}},
  };
  return schema;
}

inline nlohmann::json proto_double(std::uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return d;
}

inline detail::WireType wire_type_of(Kind kind) {
  switch (kind) {
    case Kind::uint32: case Kind::enumeration: case Kind::int64: case Kind::boolean: return detail::WireType::varint;
    case Kind::fixed64: case Kind::sfixed64: case Kind::dbl: return detail::WireType::fixed64;
    case Kind::fixed32: return detail::WireType::fixed32;
    default: return detail::WireType::len;
  }
}

// Decodes `bytes` as message `type`; throws std::runtime_error on anything unexpected.
inline nlohmann::json decode_otlp(std::string_view bytes, const std::string& type) {
  const MessageSpec& spec = otlp_schema().at(type);
  nlohmann::json out = nlohmann::json::object();
  detail::ProtoReader r(bytes);
  while (r.next()) {
    const auto it = spec.find(r.field());
    if (it == spec.end()) throw std::runtime_error(type + ": unknown field " + std::to_string(r.field()));
    const FieldSpec& f = it->second;
    if (r.type() != wire_type_of(f.kind))
      throw std::runtime_error(type + "." + f.json + ": wire type " + std::to_string(static_cast<int>(r.type())));
    nlohmann::json v;
    switch (f.kind) {
      case Kind::message: v = decode_otlp(r.bytes(), f.type); break;
      case Kind::string: v = std::string(r.bytes()); break;
      case Kind::id: {
        static const char hex[] = "0123456789abcdef";
        std::string h;
        for (unsigned char c : r.bytes()) h += {hex[c >> 4], hex[c & 15]};
        v = h;
        break;
      }
      case Kind::uint32: case Kind::enumeration: case Kind::fixed32: v = r.value(); break;
      case Kind::fixed64: v = std::to_string(r.value()); break;
      case Kind::int64: case Kind::sfixed64: v = std::to_string(static_cast<std::int64_t>(r.value())); break;
      case Kind::boolean: v = r.value() != 0; break;
      case Kind::dbl: v = proto_double(r.value()); break;
      case Kind::packed_fixed64: case Kind::packed_double: {
        if (r.bytes().size() % 8 != 0) throw std::runtime_error(std::string(f.json) + ": packed length");
        v = nlohmann::json::array();
        for (std::size_t at = 0; at < r.bytes().size(); at += 8) {
          std::uint64_t u = 0;
          for (int i = 0; i < 8; ++i) u |= std::uint64_t{static_cast<unsigned char>(r.bytes()[at + i])} << (8 * i);
          if (f.kind == Kind::packed_fixed64) v.push_back(std::to_string(u));
          else v.push_back(proto_double(u));
        }
        break;
      }
    }
    if (f.repeated) out[f.json].push_back(std::move(v));
    else out[f.json] = std::move(v);
  }
  if (!r.ok()) throw std::runtime_error(type + ": malformed protobuf");
  return out;
}

// proto3 semantics for comparing the two encodings: a field holding its
// default (false, 0, "0", "", []) equals an absent one, except inside a
// oneof (AnyValue members, asInt / asDouble), where presence is meaning.
inline void strip_defaults(nlohmann::json& j) {
  if (j.is_array()) {
    for (auto& e : j) strip_defaults(e);
    return;
  }
  if (!j.is_object()) return;
  static const char* const oneof[] = {"stringValue", "boolValue", "intValue", "doubleValue", "asInt", "asDouble"};
  for (auto it = j.begin(); it != j.end();) {
    bool keep = false;
    for (const char* k : oneof) keep = keep || it.key() == k;
    nlohmann::json& v = it.value();
    strip_defaults(v);
    const bool is_default = v == false || v == 0 || v == "0" || v == "" || (v.is_array() && v.empty());
    if (!keep && is_default) it = j.erase(it);
    else ++it;
  }
}

}  // namespace trail::test
