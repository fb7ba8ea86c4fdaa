// OTLP/protobuf: the wire format writer against byte sequences computed by
// hand from the encoding rules and the .proto field numbers, the trace and
// metrics serializers against the OTLP/JSON ones (decoded field by field with
// tests/support/otlp_proto_decode.hpp), and the decoding of protobuf answers.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <trail/export/otlp_json.hpp>
#include <trail/export/otlp_json_metrics.hpp>
#include <trail/export/otlp_proto.hpp>
#include <trail/export/otlp_proto_metrics.hpp>

#include "support/otlp_proto_decode.hpp"

using nlohmann::json;
using trail::detail::ProtoWriter;
using trail::detail::WireType;

namespace {

// "0a 01 ff" -> bytes
std::string bytes(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i < hex.size();) {
    if (hex[i] == ' ') {
      ++i;
      continue;
    }
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    i += 2;
  }
  return out;
}

std::string hex(const std::string& b) {
  std::string out;
  for (unsigned char c : b) out += fmt::format("{}{:02x}", out.empty() ? "" : " ", c);
  return out;
}

template <class F>
std::string written(F f) {
  std::string out;
  {
    ProtoWriter w(out);
    f(w);
  }
  return out;
}

std::string json_text(std::string_view s) {
  std::string out;
  trail::detail::append_json_string(out, s);
  return json::parse(out).get<std::string>();
}

// A batch that uses every field both writers know, odd values included.
std::vector<trail::SpanData> rich_spans() {
  std::vector<trail::SpanData> spans(3);
  trail::SpanData& a = spans[0];
  a.trace_id = {0x0123456789abcdefull, 0xfedcba9876543210ull};
  a.span_id = {0xa1};
  a.trace_state = "vendor=a:1";
  a.flags = 0x301;
  a.name = "episode";
  a.kind = trail::SpanKind::server;
  a.start_time_unix_nano = 1700000000000000000ull;
  a.end_time_unix_nano = 18446744073709551615ull;
  a.attributes = {{"agent.name", std::string("npc \"7\"")},
                  {"done", true},
                  {"off", false},
                  {"zero", std::int64_t{0}},
                  {"nodes", std::numeric_limits<std::int64_t>::min()},
                  {"big", std::numeric_limits<std::int64_t>::max()},
                  {"score", 0.25},
                  {"negzero", -0.0},
                  {"nan", std::nan("")},
                  {"pinf", std::numeric_limits<double>::infinity()},
                  {"tools", std::vector<std::string>{"search", "caf\xC3\xA9", "", "bad \xE0\x80"}},
                  {"empty", std::vector<std::string>{}},
                  {"blank", std::string()},
                  {"bad \xFF key", std::string("bad \xF4\x90\x80\x80 value")}};
  a.status_code = trail::StatusCode::ok;

  trail::SpanData& b = spans[1];
  b.trace_id = a.trace_id;
  b.span_id = {0xffffffffffffffffull};
  b.parent_span_id = a.span_id;
  b.name = "tool\ncall";
  b.kind = trail::SpanKind::client;
  b.start_time_unix_nano = 5;
  b.end_time_unix_nano = 6;
  b.dropped_attributes_count = 3;
  b.events.push_back({"retry", 1234567890123456789ull, {{"attempt", std::int64_t{2}}, {"why", std::string("t \xFF")}}, 1});
  b.events.push_back({"bare", 7, {}, 0});
  b.dropped_events_count = 4;
  b.links.push_back({{0x1111, 0x2222}, {0x3333}, "vendor=b:2", {{"link.reason", std::string("retry")}}, 1, 0x301});
  b.links.push_back({{7, 8}, {9}, "", {}, 0, 0});
  b.dropped_links_count = 5;
  b.status_code = trail::StatusCode::error;
  b.status_message = "no path";

  trail::SpanData& c = spans[2];  // a big one: lengths of 2 and 3 bytes
  c.trace_id = {1, 2};
  c.span_id = {3};
  c.name = std::string(300, 'n');
  c.start_time_unix_nano = 1;
  c.end_time_unix_nano = 2;
  c.attributes = {{"long", std::string(70000, 'x')}, {"medium", std::string(200, 'y')}};
  c.status_message = "message without a code";
  return spans;
}

}  // namespace

TEST_CASE("varints, tags and fixed-width values have their wire bytes") {
  CHECK(hex(written([](ProtoWriter& w) { w.varint(0); })) == "00");
  CHECK(hex(written([](ProtoWriter& w) { w.varint(1); })) == "01");
  CHECK(hex(written([](ProtoWriter& w) { w.varint(127); })) == "7f");
  CHECK(hex(written([](ProtoWriter& w) { w.varint(128); })) == "80 01");
  CHECK(hex(written([](ProtoWriter& w) { w.varint(300); })) == "ac 02");
  CHECK(hex(written([](ProtoWriter& w) { w.varint(~0ull); })) == "ff ff ff ff ff ff ff ff ff 01");
  // int64 -1: ten bytes of two's complement, as protoc writes it.
  CHECK(hex(written([](ProtoWriter& w) { w.int64_field(3, -1); })) == "18 ff ff ff ff ff ff ff ff ff 01");
  CHECK(hex(written([](ProtoWriter& w) { w.varint_field(6, 2); })) == "30 02");      // Span.kind = SERVER
  CHECK(hex(written([](ProtoWriter& w) { w.fixed32_field(16, 0x301); })) == "85 01 01 03 00 00");  // Span.flags
  CHECK(hex(written([](ProtoWriter& w) { w.fixed64_field(7, 0x0102030405060708ull); })) ==
        "39 08 07 06 05 04 03 02 01");
  CHECK(hex(written([](ProtoWriter& w) { w.sfixed64_field(6, -2); })) == "31 fe ff ff ff ff ff ff ff");
  CHECK(hex(written([](ProtoWriter& w) { w.double_field(4, 1.0); })) == "21 00 00 00 00 00 00 f0 3f");
  CHECK(hex(written([](ProtoWriter& w) { w.double_field(4, -2.5); })) == "21 00 00 00 00 00 00 04 c0");
  CHECK(hex(written([](ProtoWriter& w) { w.string_field(1, "hi"); })) == "0a 02 68 69");
  CHECK(hex(written([](ProtoWriter& w) { w.string_field(1, ""); })) == "0a 00");
  CHECK(hex(written([](ProtoWriter& w) { w.tag(536870911, WireType::len); })) == "fa ff ff ff 0f");
  CHECK(trail::detail::varint_size(0) == 1);
  CHECK(trail::detail::varint_size(16383) == 2);
  CHECK(trail::detail::varint_size(16384) == 3);
  CHECK(trail::detail::varint_size(~0ull) == 10);
}

TEST_CASE("a back-patched length is exact whatever was reserved for it") {
  for (std::size_t reserve : {1, 2, 3}) {
    for (std::size_t n : {0, 1, 127, 128, 300, 16383, 16384, 2097152}) {
      CAPTURE(reserve);
      CAPTURE(n);
      const std::string content(n, 'c');
      const std::string out = written([&](ProtoWriter& w) {
        w.varint(7);  // something before, which must stay
        const auto m = w.open(2, reserve);
        w.string_field(1, content);  // nested
        w.close(m);
        w.varint(9);  // and after
      });
      std::string inner = written([&](ProtoWriter& w) { w.string_field(1, content); });
      std::string want = written([&](ProtoWriter& w) {
        w.varint(7);
        w.tag(2, WireType::len);
        w.varint(inner.size());
        w.varint(9);
      });
      want.insert(want.size() - 1, inner);
      CHECK(out == want);
    }
  }
  // Nested opens where the inner one grows: the outer length counts the move.
  const std::string out = written([](ProtoWriter& w) {
    const auto outer = w.open(1, 1);
    const auto inner = w.open(2, 1);
    w.string_field(3, std::string(200, 'z'));
    w.close(inner);
    w.close(outer);
  });
  CHECK(hex(out.substr(0, 9)) == "0a ce 01 12 cb 01 1a c8 01");
  CHECK(out.size() == 9 + 200);
}

TEST_CASE("strings are repaired to valid UTF-8 exactly as the JSON writer repairs them") {
  const std::string cases[] = {"plain",
                               "caf\xC3\xA9 \xF0\x9F\xA4\x96",
                               "\xFF",
                               "a\xC3",
                               "\xE0\x80\xAF",
                               "\xED\xA0\x80 surrogate",
                               "\xF4\x90\x80\x80",
                               "\xF0\x9F\xA4",
                               "\x80\x80x",
                               std::string("nul\0inside", 10)};
  for (const std::string& s : cases) {
    CAPTURE(hex(s));
    const std::string out = written([&](ProtoWriter& w) { w.string_field(1, s); });
    trail::detail::ProtoReader r(out);
    REQUIRE(r.next());
    CHECK(std::string(r.bytes()) == json_text(s));
    CHECK(trail::detail::utf8_valid(r.bytes()));
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 3 == 0 ? rng() % 256 : 'a' + rng() % 26);
    const std::string out = written([&](ProtoWriter& w) { w.string_field(1, s); });
    trail::detail::ProtoReader r(out);
    REQUIRE(r.next());
    REQUIRE(std::string(r.bytes()) == json_text(s));
  }
}

TEST_CASE("a small ExportTraceServiceRequest is byte for byte what the .proto field numbers give") {
  trail::SpanData s;
  s.trace_id = {0x0102030405060708ull, 0x090a0b0c0d0e0f10ull};
  s.span_id = {0x1112131415161718ull};
  s.name = "a";
  s.kind = trail::SpanKind::internal;
  s.start_time_unix_nano = 1;
  s.end_time_unix_nano = 2;
  s.attributes = {{"k", std::int64_t{5}}};
  const std::string out = trail::to_otlp_protobuf({}, trail::InstrumentationScope{"t", ""}, {s});
  const std::string want = bytes(
      "0a 47"                          // ExportTraceServiceRequest.resource_spans, 71 bytes
      " 0a 00"                         //  ResourceSpans.resource: empty Resource
      " 12 43"                         //  ResourceSpans.scope_spans, 67 bytes
      " 0a 03 0a 01 74"                //   ScopeSpans.scope: InstrumentationScope.name "t"
      " 12 3c"                         //   ScopeSpans.spans, 60 bytes
      " 0a 10 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10"  // Span.trace_id
      " 12 08 11 12 13 14 15 16 17 18"  // Span.span_id
      " 2a 01 61"                      // Span.name "a"
      " 30 01"                         // Span.kind INTERNAL
      " 39 01 00 00 00 00 00 00 00"    // Span.start_time_unix_nano
      " 41 02 00 00 00 00 00 00 00"    // Span.end_time_unix_nano
      " 4a 07 0a 01 6b 12 02 18 05");  // Span.attributes: KeyValue{key "k", value AnyValue{int_value 5}}
  CHECK(hex(out) == hex(want));
}

TEST_CASE("a gauge point with int value 0 keeps its oneof member; a histogram packs its arrays") {
  trail::MetricData g;
  g.name = "g";
  g.type = trail::MetricType::gauge;
  g.number_points.push_back({{}, 1, 2, false, 0, 0});
  trail::MetricData h;
  h.name = "h";
  h.type = trail::MetricType::histogram;
  trail::HistogramDataPoint p;
  p.start_time_unix_nano = 1;
  p.time_unix_nano = 2;
  p.count = 1;
  p.sum = 1.0;
  p.min = p.max = 1.0;
  p.bucket_counts = {0, 1};
  p.explicit_bounds = {0.5};
  h.histogram_points.push_back(p);
  std::string out;
  trail::detail::write_metrics_request_proto(out, {}, trail::InstrumentationScope{"", ""}, {g, h});
  const std::string gauge = bytes(
      "12 22 0a 01 67"                                     // Metric.name "g"
      " 2a 1d 0a 1b"                                       // gauge, data_points (27 bytes)
      " 11 01 00 00 00 00 00 00 00 19 02 00 00 00 00 00 00 00"  // start, time
      " 31 00 00 00 00 00 00 00 00");                      // as_int 0 (sfixed64)
  CHECK(hex(out).find(hex(gauge)) != std::string::npos);
  const std::string packed = bytes(
      "21 01 00 00 00 00 00 00 00"                         // count 1
      " 29 00 00 00 00 00 00 f0 3f"                        // sum 1.0
      " 32 10 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00"  // bucket_counts [0, 1], packed
      " 3a 08 00 00 00 00 00 00 e0 3f"                     // explicit_bounds [0.5], packed
      " 59 00 00 00 00 00 00 f0 3f 61 00 00 00 00 00 00 f0 3f");  // min, max
  CHECK(hex(out).find(hex(packed)) != std::string::npos);
  CHECK(hex(out).substr(0, 2) == "0a");
}

TEST_CASE("every span field decodes to what the OTLP/JSON writer writes") {
  trail::Resource resource;
  resource.attributes = {{"service.name", std::string("bot")}, {"service.instance.id", std::int64_t{42}}};
  const trail::InstrumentationScope scope{"trail", "0.1.0"};
  const auto spans = rich_spans();

  const std::string proto = trail::to_otlp_protobuf(resource, scope, spans);
  json from_proto;
  REQUIRE_NOTHROW(from_proto = trail::test::decode_otlp(proto, "ExportTraceServiceRequest"));
  json from_json = json::parse(trail::to_otlp_json(resource, scope, spans));
  // Before stripping defaults: the big values made it through.
  const json& big = from_proto["resourceSpans"][0]["scopeSpans"][0]["spans"][2];
  CHECK(big["attributes"][0]["value"]["stringValue"].get<std::string>().size() == 70000);
  CHECK(from_proto["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"][3] ==
        json::parse(R"({"key":"zero","value":{"intValue":"0"}})"));
  trail::test::strip_defaults(from_proto);
  trail::test::strip_defaults(from_json);
  CHECK(from_proto == from_json);
  if (from_proto != from_json) MESSAGE(from_proto.dump() << "\n" << from_json.dump());
}

TEST_CASE("an empty batch and the buffer's reuse") {
  std::string out = "x";
  trail::detail::write_trace_request_proto(out, {}, trail::InstrumentationScope{"s", ""}, nullptr, 0);
  CHECK(hex(out) == "78 0a 09 0a 00 12 05 0a 03 0a 01 73");  // "x", then resource_spans{resource{}, scope_spans{scope{name "s"}}}
  const auto spans = rich_spans();
  std::string a, b;
  trail::detail::write_trace_request_proto(a, {}, {}, spans.data(), spans.size());
  trail::detail::write_trace_request_proto(b, {}, {}, spans.data(), spans.size());
  b.clear();
  trail::detail::write_trace_request_proto(b, {}, {}, spans.data(), spans.size());
  CHECK(a == b);
  for (const std::size_t held : {std::size_t{3}, a.size(), 2 * a.size() + 5000}) {  // over a reused buffer's bytes
    std::string reused(held, '\x7f');
    trail::detail::write_trace_request_proto(reused, {}, {}, spans.data(), spans.size(), 0);
    CHECK(reused == a);
  }
}

TEST_CASE("every metric field decodes to what the OTLP/JSON writer writes") {
  std::vector<trail::MetricData> metrics(5);
  metrics[0].name = "tokens";
  metrics[0].description = "Tokens";
  metrics[0].unit = "{token}";
  metrics[0].type = trail::MetricType::sum;
  metrics[0].is_monotonic = true;
  metrics[0].number_points.push_back({{{"model", std::string("m")}}, 10, 20, false, -7, 0});
  metrics[0].number_points.push_back({{}, 10, 20, false, 0, 0});
  metrics[1].name = "queue";
  metrics[1].type = trail::MetricType::sum;  // up-down: not monotonic
  metrics[1].number_points.push_back({{}, 1, 2, true, 0, 0.0});
  metrics[2].name = "temp";
  metrics[2].type = trail::MetricType::gauge;
  metrics[2].number_points.push_back({{{"k", true}}, 0, 5, true, 0, -1.5e300});
  metrics[3].name = "frame";
  metrics[3].unit = "ms";
  metrics[3].type = trail::MetricType::histogram;
  trail::HistogramDataPoint h;
  h.attributes = {{"loop", std::string("control")}};
  h.start_time_unix_nano = 1;
  h.time_unix_nano = 2;
  h.count = 3;
  h.sum = 7.5;
  h.min = 0.5;
  h.max = 4;
  h.bucket_counts = {1, 0, 2};
  h.explicit_bounds = {1, 2.5};
  metrics[3].histogram_points.push_back(h);
  trail::HistogramDataPoint empty;  // count 0: no min / max; no buckets at all
  empty.start_time_unix_nano = 1;
  empty.time_unix_nano = 2;
  empty.bucket_counts = {0};
  metrics[3].histogram_points.push_back(empty);
  metrics[4].name = "no points";
  metrics[4].type = trail::MetricType::gauge;

  trail::Resource resource{{{"service.name", std::string("bot")}}};
  const trail::InstrumentationScope scope{"trail", "0.1.0"};
  std::string proto, text;
  trail::detail::write_metrics_request_proto(proto, resource, scope, metrics);
  trail::write_metrics_request(text, resource, scope, metrics);
  json from_proto;
  REQUIRE_NOTHROW(from_proto = trail::test::decode_otlp(proto, "ExportMetricsServiceRequest"));
  json from_json = json::parse(text);
  const json& points = from_proto["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["sum"]["dataPoints"];
  CHECK(points[1]["asInt"] == "0");  // a oneof member: present although zero
  const json& hist = from_proto["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][3]["histogram"]["dataPoints"];
  CHECK_FALSE(hist[1].contains("min"));
  CHECK(hist[1]["sum"] == 0.0);  // optional double sum: present as in the JSON
  trail::test::strip_defaults(from_proto);
  trail::test::strip_defaults(from_json);
  CHECK(from_proto == from_json);
  if (from_proto != from_json) MESSAGE(from_proto.dump() << "\n" << from_json.dump());
}

TEST_CASE("protobuf answers: partial_success and google.rpc.Status") {
  std::string message;
  // ExportTraceServiceResponse{partial_success{rejected_spans 3, error_message "bad"}}
  CHECK(trail::detail::proto_rejected_count(bytes("0a 07 08 03 12 03 62 61 64"), message) == 3);
  CHECK(message == "bad");
  message.clear();
  CHECK(trail::detail::proto_rejected_count("", message) == 0);  // the usual empty answer
  CHECK(trail::detail::proto_rejected_count(bytes("0a 00"), message) == 0);
  CHECK(trail::detail::proto_rejected_count(bytes("0a 07 08 03"), message) == 0);  // truncated
  CHECK(trail::detail::proto_rejected_count(bytes("0a 02 08 ff"), message) == 0);  // truncated varint inside
  CHECK(trail::detail::proto_rejected_count(bytes("12 01 00 0a 02 08 02"), message) == 2);  // unknown field skipped
  CHECK(trail::detail::proto_rejected_count(bytes("0a 0b 08 ff ff ff ff ff ff ff ff ff 01"), message) == 0);  // -1
  CHECK(message.empty());
  // google.rpc.Status{code 3, message "oops"}
  CHECK(trail::detail::proto_status_text(bytes("08 03 12 04 6f 6f 70 73")) == "oops");
  CHECK(trail::detail::proto_status_text(bytes("08 10")) == "code 16");
  CHECK(trail::detail::proto_status_text("") == "");
  CHECK(trail::detail::proto_status_text("not protobuf at all") == "");
  CHECK(trail::detail::proto_status_text(bytes("0b 00")) == "");  // a group: refused
}

TEST_CASE("items a receiver rejects the whole request for are left out and counted in protobuf as in JSON") {
  trail::SpanData span;
  span.trace_id = trail::TraceId{1, 2};
  span.span_id = trail::SpanId{3};
  span.name = "repaired";
  span.dropped_attributes_count = 1;  // the collector's own count adds up
  span.attributes.push_back({"", std::string("empty key")});
  span.attributes.push_back({"a\xff", std::string("first")});
  span.attributes.push_back({"a\xfe", std::string("same key after UTF-8 repair")});
  span.attributes.push_back({"ok", std::int64_t{1}});
  span.events.resize(3);
  span.events[0].name = "";  // no name: rejected by receivers
  span.events[1].name = "named";
  span.events[1].attributes.push_back({"", true});
  span.events[2].name = "";
  span.links.resize(1);
  span.links[0].trace_id = trail::TraceId{5, 6};
  span.links[0].span_id = trail::SpanId{7};
  span.links[0].attributes = {{"", std::string("empty key")}, {"l", std::int64_t{2}}};
  trail::SpanData clean;
  clean.trace_id = trail::TraceId{1, 2};
  clean.span_id = trail::SpanId{4};
  clean.name = "clean";
  clean.attributes.push_back({"k", std::string("v")});
  trail::Resource resource;
  resource.attributes.push_back({"service.name", std::string("svc")});
  resource.attributes.push_back({"", std::string("bad entry")});
  resource.attributes.push_back({"service.name", std::string("repeated")});
  const std::vector<trail::SpanData> spans{span, clean};

  json from_proto;
  REQUIRE_NOTHROW(from_proto = trail::test::decode_otlp(trail::to_otlp_protobuf(resource, {}, spans),
                                                        "ExportTraceServiceRequest"));
  const json& res = from_proto["resourceSpans"][0]["resource"];
  REQUIRE(res["attributes"].size() == 1);
  CHECK(res["attributes"][0]["value"]["stringValue"] == "svc");
  CHECK(res["droppedAttributesCount"] == 2);
  const json& s = from_proto["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  REQUIRE(s["attributes"].size() == 2);
  CHECK(s["attributes"][0]["key"] == "a\xEF\xBF\xBD");
  CHECK(s["attributes"][0]["value"]["stringValue"] == "first");
  CHECK(s["attributes"][1]["key"] == "ok");
  CHECK(s["droppedAttributesCount"] == 3);
  REQUIRE(s["events"].size() == 1);
  CHECK(s["events"][0]["name"] == "named");
  CHECK_FALSE(s["events"][0].contains("attributes"));
  CHECK(s["events"][0]["droppedAttributesCount"] == 1);
  CHECK(s["droppedEventsCount"] == 2);
  REQUIRE(s["links"].size() == 1);
  REQUIRE(s["links"][0]["attributes"].size() == 1);
  CHECK(s["links"][0]["attributes"][0]["key"] == "l");
  CHECK(s["links"][0]["droppedAttributesCount"] == 1);
  CHECK(from_proto["resourceSpans"][0]["scopeSpans"][0]["spans"][1]["name"] == "clean");
  CHECK(spans[0].attributes.size() == 4);  // repaired on a copy: the batch is the caller's

  json from_json = json::parse(trail::to_otlp_json(resource, {}, spans));
  trail::test::strip_defaults(from_proto);
  trail::test::strip_defaults(from_json);
  CHECK(from_proto == from_json);
  if (from_proto != from_json) MESSAGE(from_proto.dump() << "\n" << from_json.dump());

  std::vector<trail::MetricData> metrics(1);
  metrics[0].name = "m";
  metrics[0].type = trail::MetricType::gauge;
  metrics[0].number_points.resize(1);
  metrics[0].number_points[0].attributes = {{"", std::string("x")}, {"k", std::string("v")}, {"k", std::string("w")}};
  std::string proto, text;
  trail::detail::write_metrics_request_proto(proto, resource, {}, metrics);
  trail::write_metrics_request(text, resource, {}, metrics);
  json metrics_proto;
  REQUIRE_NOTHROW(metrics_proto = trail::test::decode_otlp(proto, "ExportMetricsServiceRequest"));
  const json& point = metrics_proto["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["gauge"]["dataPoints"][0];
  REQUIRE(point["attributes"].size() == 1);
  CHECK(point["attributes"][0]["value"]["stringValue"] == "v");
  CHECK(metrics_proto["resourceMetrics"][0]["resource"]["droppedAttributesCount"] == 2);
  json metrics_json = json::parse(text);
  trail::test::strip_defaults(metrics_proto);
  trail::test::strip_defaults(metrics_json);
  CHECK(metrics_proto == metrics_json);
}
