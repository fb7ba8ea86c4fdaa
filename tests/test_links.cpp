// Span links (span.link(context, attributes)), their limits, and the W3C
// tracestate of an extracted context exported as traceState on the spans
// under it: recorded, rebuilt by the collector, and written by both encoders.
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <trail/export/otlp_json.hpp>
#include <trail/export/otlp_proto.hpp>
#include <trail/trail.hpp>

#include "support/otlp_proto_decode.hpp"
#include "support/recorded.hpp"

using nlohmann::json;
using trail::find_attribute;
using trail::test::find_span;
using trail::test::recorded;

namespace {

constexpr const char* traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

std::string hex(trail::TraceId id) {
  char text[32];
  id.to_hex(text);
  return std::string(text, sizeof text);
}

std::string hex(trail::SpanId id) {
  char text[16];
  id.to_hex(text);
  return std::string(text, sizeof text);
}

}  // namespace

TEST_CASE("span.link(context, attributes) links to a span of another trace, with its attributes") {
  recorded();
  trail::AsyncSpan earlier("earlier");
  const trail::Context target = earlier.context();
  earlier.end();
  {
    TRAIL_SPAN_VAR(s, "later");
    s.link(target, {{"link.reason", "follows"}, {"attempt", 2}, {"final", true}, {"weight", 0.5}});
    s.link(target).set("chained", "yes");
    s.link(trail::Context{}, {{"ignored", 1}});  // invalid: no link
  }
  const auto spans = recorded();
  const trail::SpanData* later = find_span(spans, "later");
  REQUIRE(later != nullptr);
  CHECK(later->trace_id != target.trace_id);
  REQUIRE(later->links.size() == 2);
  const trail::SpanLink& l = later->links[0];
  CHECK(l.trace_id == target.trace_id);
  CHECK(l.span_id == target.span_id);
  CHECK(l.flags == 0x101u);  // sampled, parent remoteness known: local
  REQUIRE(l.attributes.size() == 4);
  CHECK(std::get<std::string>(*find_attribute(l.attributes, "link.reason")) == "follows");
  CHECK(std::get<std::int64_t>(*find_attribute(l.attributes, "attempt")) == 2);
  CHECK(std::get<bool>(*find_attribute(l.attributes, "final")));
  CHECK(std::get<double>(*find_attribute(l.attributes, "weight")) == 0.5);
  CHECK(std::get<std::string>(*find_attribute(later->links[1].attributes, "chained")) == "yes");
  CHECK(later->dropped_links_count == 0);
  // Link attributes are not span attributes.
  CHECK(find_attribute(later->attributes, "link.reason") == nullptr);
}

TEST_CASE("links past the link limit are counted as dropped; link attributes have their own limit") {
  recorded();
  trail::detail::SpanLimits limits;
  limits.link_count = 2;
  limits.link_attribute_count = 1;
  trail::detail::Collector limited(limits);
  trail::AsyncSpan other("other");
  other.end();
  {
    TRAIL_SPAN_VAR(s, "many links");
    for (int i = 0; i < 5; ++i) s.link(other.context(), {{"i", i}, {"extra", "x"}});
  }
  std::vector<trail::SpanData> spans;
  limited.collect_all(spans);
  const trail::SpanData* s = find_span(spans, "many links");
  REQUIRE(s != nullptr);
  REQUIRE(s->links.size() == 2);
  CHECK(s->dropped_links_count == 3);
  CHECK(std::get<std::int64_t>(s->links[1].attributes.at(0).value) == 1);  // in the order they were added
  CHECK(s->links[0].attributes.size() == 1);
  CHECK(s->links[0].dropped_attributes_count == 1);
}

TEST_CASE("a link set on an AsyncSpan from another thread is kept") {
  recorded();
  trail::AsyncSpan target("target");
  target.end();
  trail::AsyncSpan span("linked async");
  std::thread([&] {
    span.link(target.context(), {{"from", "worker"}});
    span.end();
  }).join();
  const auto spans = recorded();
  const trail::SpanData* s = find_span(spans, "linked async");
  REQUIRE(s != nullptr);
  REQUIRE(s->links.size() == 1);
  CHECK(s->links[0].span_id == target.context().span_id);
}

TEST_CASE("the tracestate of an extracted context is the traceState of every span under it") {
  recorded();
  const trail::ExtractedContext in = trail::extract(traceparent, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  REQUIRE(in.context.valid());
  CHECK(in.context.annotation != 0);
  trail::Context handed;
  {
    trail::ContextScope scope(in.context);
    TRAIL_SPAN("server work");
    { TRAIL_SPAN("nested"); }
    handed = trail::current();
  }
  std::thread([&] {
    trail::Span worker(handed, std::string_view("worker"));  // a thread read maybe before the note's
  }).join();
  { TRAIL_SPAN("unrelated"); }
  const auto linked = trail::extract(traceparent);  // without tracestate
  { trail::Span plain(linked.context, std::string_view("no state")); }
  const auto spans = recorded();
  for (const char* name : {"server work", "nested", "worker"}) {
    const trail::SpanData* s = find_span(spans, name);
    REQUIRE_MESSAGE(s != nullptr, name);
    CHECK_MESSAGE(s->trace_state == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", name);
    CHECK(hex(s->trace_id) == "0af7651916cd43dd8448eb211c80319c");
  }
  CHECK(find_span(spans, "unrelated")->trace_state.empty());
  CHECK(find_span(spans, "no state")->trace_state.empty());
  // An invalid tracestate is dropped (W3C), so nothing is recorded for it.
  CHECK(trail::extract(traceparent, "Bad Key=1").context.annotation == 0);
}

TEST_CASE("a link to an extracted context carries its tracestate") {
  recorded();
  const auto in = trail::extract(traceparent, "vendor=v1");
  {
    TRAIL_SPAN_VAR(s, "batch");
    s.link(in.context);
  }
  const auto spans = recorded();
  const trail::SpanData* s = find_span(spans, "batch");
  REQUIRE(s != nullptr);
  REQUIRE(s->links.size() == 1);
  CHECK(s->links[0].trace_state == "vendor=v1");
  CHECK(s->links[0].flags == 0x301u);  // sampled, remote
  CHECK(s->trace_state.empty());
}

TEST_CASE("a link carries the tracestate of a context under an extracted one, linked from any thread") {
  recorded();
  const auto in = trail::extract(traceparent, "vendor=v2");  // the note sits in this thread's ring
  trail::Context child;
  {
    trail::ContextScope scope(in.context);
    TRAIL_SPAN("child");
    child = trail::current();
  }
  std::thread([&] {  // a newer ring, read before the one with the note
    TRAIL_SPAN_VAR(s, "linker");
    s.link(in.context);
    s.link(child);
  }).join();
  const auto spans = recorded();
  const trail::SpanData* s = find_span(spans, "linker");
  REQUIRE(s != nullptr);
  REQUIRE(s->links.size() == 2);
  CHECK(s->links[0].trace_state == "vendor=v2");
  CHECK(s->links[1].trace_state == "vendor=v2");
  CHECK(s->links[1].span_id == child.span_id);
  CHECK(s->trace_state.empty());
}

TEST_CASE("links and traceState in OTLP/JSON and OTLP/protobuf") {
  recorded();
  const auto in = trail::extract(traceparent, "rojo=1");
  {
    trail::ContextScope scope(in.context);
    TRAIL_SPAN_VAR(s, "encoded");
    s.link(in.context, {{"link.reason", "caller"}});
  }
  const auto spans = recorded();
  REQUIRE(find_span(spans, "encoded") != nullptr);
  const std::vector<trail::SpanData> batch{*find_span(spans, "encoded")};
  const trail::Resource resource;
  const trail::InstrumentationScope scope{"trail", "test"};

  const json from_json = json::parse(trail::to_otlp_json(resource, scope, batch));
  const json& span = from_json["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  CHECK(span["traceState"] == "rojo=1");
  REQUIRE(span["links"].size() == 1);
  CHECK(span["links"][0]["traceId"] == "0af7651916cd43dd8448eb211c80319c");
  CHECK(span["links"][0]["spanId"] == "b7ad6b7169203331");
  CHECK(span["links"][0]["traceState"] == "rojo=1");
  CHECK(span["links"][0]["flags"] == 0x301);
  CHECK(span["links"][0]["attributes"][0]["key"] == "link.reason");
  CHECK_FALSE(span.contains("droppedLinksCount"));

  json from_proto = trail::test::decode_otlp(trail::to_otlp_protobuf(resource, scope, batch), "ExportTraceServiceRequest");
  json expected = from_json;
  trail::test::strip_defaults(from_proto);
  trail::test::strip_defaults(expected);
  CHECK(from_proto == expected);
  CHECK(hex(batch[0].links[0].span_id) == "b7ad6b7169203331");
}
