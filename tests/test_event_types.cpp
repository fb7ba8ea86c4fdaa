// Compile-time event types: a span name, kind and typed attribute keys
// declared once, recorded as scoped (TRAIL_EVENT) or async spans.
// (A value of the wrong type not compiling is tests/compile's job.)
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

#include <trail/trail.hpp>

#include "support/recorded.hpp"

using trail::find_attribute;
using trail::test::find_span;
using trail::test::recorded;

namespace {

inline constexpr trail::EventType<std::int64_t, double, std::string_view> nav_query{
    "nav.query", trail::SpanKind::internal, "nav.nodes", "nav.cost", "nav.target"};

inline constexpr trail::EventType<std::string_view, std::int64_t, bool> llm_call{
    "chat", trail::SpanKind::client, "gen_ai.request.model", "gen_ai.usage.input_tokens", "gen_ai.stream"};

inline constexpr trail::EventType<> heartbeat{"heartbeat", trail::SpanKind::producer};

static_assert(nav_query.arity == 3);
static_assert(heartbeat.arity == 0);

template <class T>
const T& value(const trail::SpanData& s, std::string_view key) {
  const trail::AttributeValue* v = find_attribute(s.attributes, key);
  REQUIRE(v != nullptr);
  REQUIRE(std::holds_alternative<T>(*v));
  return std::get<T>(*v);
}

}  // namespace

TEST_CASE("an event type's declaration: name, kind, keys") {
  CHECK(std::string_view(nav_query.meta.name) == "nav.query");
  CHECK(nav_query.meta.kind == trail::SpanKind::internal);
  CHECK(std::string_view(nav_query.key(0)) == "nav.nodes");
  CHECK(std::string_view(nav_query.key(2)) == "nav.target");
  CHECK(llm_call.meta.kind == trail::SpanKind::client);
}

TEST_CASE("TRAIL_EVENT records name, kind and typed attributes") {
  recorded();
  const std::string target = "north gate";
  std::int64_t nodes = 128;
  {
    TRAIL_EVENT(q, nav_query, nodes, 3.5, target);
    q.set("extra", true);  // an event type span is still a span
    q.event("expanded");
  }
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  const trail::SpanData& s = spans[0];
  CHECK(s.name == "nav.query");
  CHECK(s.kind == trail::SpanKind::internal);
  CHECK(value<std::int64_t>(s, "nav.nodes") == 128);
  CHECK(value<double>(s, "nav.cost") == 3.5);
  CHECK(value<std::string>(s, "nav.target") == "north gate");
  CHECK(value<bool>(s, "extra") == true);
  REQUIRE(s.events.size() == 1);
  CHECK(s.events[0].name == "expanded");
  // Event types carry no source location: no code.* attributes.
  CHECK(find_attribute(s.attributes, "code.file.path") == nullptr);
}

TEST_CASE("an int literal is accepted where a double is declared, and stored as a double") {
  recorded();
  { TRAIL_EVENT(q, nav_query, 1, 2, "home"); }
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  CHECK(value<std::int64_t>(spans[0], "nav.nodes") == 1);
  CHECK(value<double>(spans[0], "nav.cost") == 2.0);
  CHECK(value<std::string>(spans[0], "nav.target") == "home");
}

TEST_CASE("other integer widths convert to the declared int64") {
  recorded();
  const std::uint16_t small = 7;
  const unsigned long long big = 1ull << 40;  // unsigned long is 32 bits on Windows and 32-bit targets
  { TRAIL_EVENT(a, llm_call, "m", small, false); }
  { TRAIL_EVENT(b, llm_call, std::string("m2"), big, true); }
  const auto spans = recorded();
  REQUIRE(spans.size() == 2);
  CHECK(value<std::int64_t>(spans[0], "gen_ai.usage.input_tokens") == 7);
  CHECK(value<bool>(spans[0], "gen_ai.stream") == false);
  CHECK(value<std::int64_t>(spans[1], "gen_ai.usage.input_tokens") == (std::int64_t{1} << 40));
  CHECK(value<std::string>(spans[1], "gen_ai.request.model") == "m2");
}

TEST_CASE("an event type as an AsyncSpan, ended on another thread, parented to the current span") {
  recorded();
  trail::AsyncSpan call;
  trail::Context frame;
  {
    TRAIL_SPAN("frame");
    frame = trail::current();
    call = trail::AsyncSpan(llm_call, "claude-3-haiku", 812, true);
  }
  std::thread([&] {
    call.set("gen_ai.usage.output_tokens", 64);
    call.end();
  }).join();
  const auto spans = recorded();
  const auto* chat = find_span(spans, "chat");
  REQUIRE(chat != nullptr);
  CHECK(chat->kind == trail::SpanKind::client);
  CHECK(chat->parent_span_id == frame.span_id);
  CHECK(chat->trace_id == frame.trace_id);
  CHECK(value<std::string>(*chat, "gen_ai.request.model") == "claude-3-haiku");
  CHECK(value<std::int64_t>(*chat, "gen_ai.usage.input_tokens") == 812);
  CHECK(value<bool>(*chat, "gen_ai.stream") == true);
  CHECK(value<std::int64_t>(*chat, "gen_ai.usage.output_tokens") == 64);
}

TEST_CASE("an event type without attributes") {
  recorded();
  { trail::AsyncSpan beat(heartbeat); }
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].name == "heartbeat");
  CHECK(spans[0].kind == trail::SpanKind::producer);
}

TEST_CASE("event types nest like spans") {
  recorded();
  {
    TRAIL_SPAN("plan");
    TRAIL_EVENT(q, nav_query, 3, 0.5, "a");
    { TRAIL_SPAN("inner"); }
  }
  const auto spans = recorded();
  const auto* plan = find_span(spans, "plan");
  const auto* query = find_span(spans, "nav.query");
  const auto* inner = find_span(spans, "inner");
  REQUIRE(plan);
  REQUIRE(query);
  REQUIRE(inner);
  CHECK(query->parent_span_id == plan->span_id);
  CHECK(inner->parent_span_id == query->span_id);
}

TEST_CASE("disabled at run time, an event type records nothing") {
  recorded();
  trail::set_enabled(false);
  {
    TRAIL_EVENT(q, nav_query, 1, 1.0, "x");
    CHECK_FALSE(q.is_recording());
  }
  trail::set_enabled(true);
  CHECK(recorded().empty());
}
