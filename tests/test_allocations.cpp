// Zero heap allocations on the recording side after a thread's first span:
// global operator new / delete are replaced here by counting versions.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <trail/frame.hpp>
#include <trail/trail.hpp>

#include "support/allocation_counter.hpp"
#include "support/recorded.hpp"

namespace {

inline constexpr trail::EventType<std::int64_t, double, std::string_view> nav_query{
    "nav.query", trail::SpanKind::internal, "nav.nodes", "nav.cost", "nav.target"};

struct Agent {
  void think() { TRAIL_FUNCTION(); }
};

// One frame of a loop (its first one per thread makes the histogram series).
void frame() {
  TRAIL_FRAME("allocation loop");
  TRAIL_SPAN("in a frame");
}

// Everything the recording side offers, once.
void record_everything(int i, const std::string& target) {
  frame();
  {
    TRAIL_SPAN_VAR(s, "score");
    s.set("nodes", i);
    s.set("cost", 2.5);
    s.set("target", target);  // a std::string: copied into the ring
    s.event("pruned");
    s.event(std::string_view("dynamic event")).set("depth", 3).set("why", "bound");
    s.set("reasons", {"stop", "length"});
    s.error("no path");
    Agent{}.think();
  }
  {
    trail::Span dynamic{std::string_view(target)};
    dynamic.set_status(trail::StatusCode::ok);
  }
  trail::AsyncSpan call("llm call", trail::SpanKind::client);
  call.set("gen_ai.request.model", "small");
  trail::AsyncSpan moved(std::move(call));
  trail::AsyncSpan assigned;
  assigned = std::move(moved);
  assigned.end();
  { TRAIL_EVENT(q, nav_query, i, 3, target); }  // an int literal for the double
  trail::AsyncSpan async_event(nav_query, 7, 1.5, "home");
  {
    trail::ContextScope scope(async_event.context());
    TRAIL_SPAN_VAR(child, "child of async");
    child.link(async_event.context(), {{"link.reason", "follows"}, {"attempt", 2}});
    child.link(call.context()).set("dynamic", target);
  }
  {
    // A received tracestate is recorded in the ring, not copied to the heap.
    const trail::ExtractedContext in = trail::extract("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "rojo=00f067aa0ba902b7");
    TRAIL_SPAN_VAR(remote_child, "under a remote parent");
    static_cast<void>(remote_child);
    trail::Span explicit_parent(in.context, std::string_view("explicit parent"));
  }
}

}  // namespace

TEST_CASE("recording performs no heap allocation after the thread's first span" * doctest::skip(!trail::test::counts_allocations)) {
  trail::test::recorded();
  const std::string target = "north gate";  // short: fits std::string's inline buffer too
  { TRAIL_SPAN("first"); }                  // registers the ring: the one allocation allowed
  frame();                                  // and the frame histogram's series

  constexpr int kIterations = 2000;
  const std::uint64_t before = trail::test::allocations();
  for (int i = 0; i < kIterations; ++i) record_everything(i, target);
  const std::uint64_t during = trail::test::allocations() - before;
  CHECK(during == 0);

  // The work was real: spans were recorded (and, once the ring filled, dropped:
  // the drop path must not allocate either).
  trail::detail::Collector collector;
  std::vector<trail::SpanData> spans;
  collector.collect_all(spans);
  const auto counts = collector.counts();
  MESSAGE("recorded " << counts.spans_recorded << ", dropped " << counts.spans_dropped_ring_full);
  CHECK(counts.spans_recorded > 100);
  CHECK(counts.spans_recorded + counts.spans_dropped_ring_full >= 1 + 7 * kIterations);
  CHECK(trail::test::find_span(spans, "nav.query") != nullptr);
  CHECK(trail::test::find_span(spans, "north gate") != nullptr);
}

// Records `record` 500 times, rebuilds the spans twice with recycling (the
// storage is made), then a third time: the heap allocations of that last
// collect, and its spans.
template <class Record>
std::uint64_t allocations_of_a_recycled_collect(Record&& record, std::vector<trail::SpanData>& spans) {
  trail::test::recorded();
  trail::detail::Collector collector;
  spans.reserve(512);
  for (int round = 0; round < 3; ++round) {
    spans.clear();
    for (int i = 0; i < 500; ++i) record(i);
    if (round == 2) break;
    collector.collect(spans);
    collector.recycle(spans.data(), spans.size());
  }
  const std::uint64_t before = trail::test::allocations();
  collector.collect(spans);
  return trail::test::allocations() - before;
}

TEST_CASE("the collector rebuilds spans into recycled storage: no heap allocation per span" *
          doctest::skip(!trail::test::counts_allocations)) {
  std::vector<trail::SpanData> spans;
  const std::uint64_t during = allocations_of_a_recycled_collect(
      [](int i) {
        TRAIL_SPAN_VAR(s, "score");
        s.set("nodes", i);
        s.set("cost", 2.5);
        s.set("target", "home");
      },
      spans);
  REQUIRE(spans.size() == 500);
  CHECK(during == 0);
  const trail::SpanData& last = spans.back();
  CHECK(last.name == "score");
  CHECK(last.attributes.size() == 7);  // 3 set + code.function.name, code.file.path, code.line.number, thread.id
  CHECK(std::get<std::int64_t>(*trail::find_attribute(last.attributes, "nodes")) == 499);
  CHECK(std::get<double>(*trail::find_attribute(last.attributes, "cost")) == 2.5);
  CHECK(std::get<std::string>(*trail::find_attribute(last.attributes, "target")) == "home");
  CHECK(std::get<std::string>(*trail::find_attribute(last.attributes, "code.file.path")) == "test_allocations.cpp");
}

TEST_CASE("events and links are rebuilt into recycled storage too" * doctest::skip(!trail::test::counts_allocations)) {
  const trail::Context target{trail::TraceId{1, 2}, trail::SpanId{3}, 1};
  std::vector<trail::SpanData> spans;
  const std::uint64_t during = allocations_of_a_recycled_collect(
      [&](int i) {
        TRAIL_SPAN_VAR(s, "retried");
        s.event("a retry after the planner's timeout").set("attempt", i).set("backoff", "exponential, capped");
        s.link(target, {{"link.reason", "the request this retries"}});
      },
      spans);
  REQUIRE(spans.size() == 500);
  CHECK(during == 0);
  const trail::SpanData& last = spans.back();
  REQUIRE(last.events.size() == 1);
  CHECK(last.events[0].name == "a retry after the planner's timeout");
  REQUIRE(last.events[0].attributes.size() == 2);
  CHECK(std::get<std::int64_t>(*trail::find_attribute(last.events[0].attributes, "attempt")) == 499);
  CHECK(std::get<std::string>(*trail::find_attribute(last.events[0].attributes, "backoff")) == "exponential, capped");
  REQUIRE(last.links.size() == 1);
  CHECK(last.links[0].span_id == trail::SpanId{3});
  REQUIRE(last.links[0].attributes.size() == 1);
  CHECK(std::get<std::string>(last.links[0].attributes[0].value) == "the request this retries");
}

TEST_CASE("events past the span's event limit keep no large storage for the next spans" *
          doctest::skip(!trail::test::counts_allocations)) {
  // Events of just over 4 KiB: a recycled span frees them, so rebuilding the
  // same span allocates every event's string again. Past
  // OTEL_SPAN_EVENT_COUNT_LIMIT (128) the dropped events stay in the
  // collector's scratch; were their strings kept there, 180 events would
  // cost what 128 do (a burst held for good), not 180/128 of it.
  const std::string chunk(4100, 'c');
  std::vector<trail::SpanData> spans;
  const auto streamed = [&](int events) {
    return allocations_of_a_recycled_collect(
        [&](int i) {
          if (i != 0) return;
          TRAIL_SPAN_VAR(s, "streamed");
          for (int e = 0; e < events; ++e) s.event("chunk").set("content", chunk);
        },
        spans);
  };
  const std::uint64_t at_limit = streamed(128);
  const std::uint64_t past_limit = streamed(180);
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].events.size() == 128);
  CHECK(spans[0].dropped_events_count == 52);
  CAPTURE(at_limit);
  CHECK(past_limit * 10 > at_limit * 12);
}

TEST_CASE("a recycled span with more events or links than the next one keeps none of them") {
  const trail::Context target{trail::TraceId{1, 2}, trail::SpanId{3}, 1};
  trail::test::recorded();
  trail::detail::Collector collector;
  std::vector<trail::SpanData> spans;
  {
    TRAIL_SPAN_VAR(s, "busy");
    s.event("one").set("n", 1);
    s.event("two");
    s.link(target).set("why", "first");
    s.link(target);
  }
  collector.collect(spans);
  REQUIRE(spans.size() == 1);
  collector.recycle(spans.data(), spans.size());
  spans.clear();
  {
    TRAIL_SPAN_VAR(s, "quiet");
    s.event("only");
  }
  { TRAIL_SPAN("plain"); }
  collector.collect(spans);
  REQUIRE(spans.size() == 2);
  const auto* quiet = trail::test::find_span(spans, "quiet");
  const auto* plain = trail::test::find_span(spans, "plain");
  REQUIRE(quiet);
  REQUIRE(plain);
  REQUIRE(quiet->events.size() == 1);
  CHECK(quiet->events[0].name == "only");
  CHECK(quiet->events[0].attributes.empty());
  CHECK(quiet->links.empty());
  CHECK(plain->events.empty());
  CHECK(plain->links.empty());
}

TEST_CASE("disabled at run time: no allocation either" * doctest::skip(!trail::test::counts_allocations)) {
  trail::set_enabled(false);
  const std::uint64_t before = trail::test::allocations();
  for (int i = 0; i < 100; ++i) record_everything(i, "off");
  const std::uint64_t during = trail::test::allocations() - before;
  trail::set_enabled(true);
  CHECK(during == 0);
}

TEST_CASE("the counter sees allocations (control)" * doctest::skip(!trail::test::counts_allocations)) {
  const std::uint64_t before = trail::test::allocations();
  // Through a volatile: a new/delete pair the compiler can see whole may be
  // elided (g++ -O1 for mingw-w64 does).
  static std::vector<int>* volatile escaped = nullptr;
  escaped = new std::vector<int>(1000);
  delete escaped;
  CHECK(trail::test::allocations() - before >= 2);
}
