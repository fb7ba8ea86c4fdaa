// Spans as instrumented code records them, rebuilt by the consumer side.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include <trail/trail.hpp>

#include "support/recorded.hpp"

using trail::find_attribute;
using trail::test::find_span;
using trail::test::recorded;

namespace {

struct Planner {
  void plan() { TRAIL_FUNCTION(); }
};

}  // namespace

TEST_CASE("a scoped span has ids, times, name, kind and source location") {
  recorded();
  const std::uint64_t before = trail::detail::realtime_ns();
  { TRAIL_SPAN("expand"); }
  const std::uint64_t after = trail::detail::realtime_ns();
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  const trail::SpanData& s = spans[0];
  CHECK(s.name == "expand");
  CHECK(s.kind == trail::SpanKind::internal);
  CHECK(s.trace_id.valid());
  CHECK(s.span_id.valid());
  CHECK_FALSE(s.parent_span_id.valid());
  CHECK(s.start_time_unix_nano <= s.end_time_unix_nano);
  CHECK(s.start_time_unix_nano + 1'000'000 >= before);
  CHECK(s.end_time_unix_nano <= after + 1'000'000);
  CHECK(s.flags == 0x101u);  // sampled, parent known to be local
  CHECK(s.status_code == trail::StatusCode::unset);
  REQUIRE(find_attribute(s.attributes, "code.file.path") != nullptr);
  CHECK(std::get<std::string>(*find_attribute(s.attributes, "code.file.path")).find("test_spans.cpp") !=
        std::string::npos);
  CHECK(std::get<std::int64_t>(*find_attribute(s.attributes, "code.line.number")) > 0);
  CHECK(std::get<std::int64_t>(*find_attribute(s.attributes, "thread.id")) ==
        static_cast<std::int64_t>(trail::detail::current_thread_id()));
}

TEST_CASE("code.file.path: full, relative to the source root, basename; off drops every code.* attribute") {
  using trail::CodeAttributes;
  using trail::detail::code_file_path;
  CHECK(code_file_path("/src/game/ai/plan.cpp", {CodeAttributes::full, "/src/game"}) == "/src/game/ai/plan.cpp");
  CHECK(code_file_path("/src/game/ai/plan.cpp", {CodeAttributes::relative, "/src/game"}) == "ai/plan.cpp");
  CHECK(code_file_path("/src/game/ai/plan.cpp", {CodeAttributes::relative, "/src/game/"}) == "ai/plan.cpp");
  CHECK(code_file_path("/usr/include/x.hpp", {CodeAttributes::relative, "/src/game"}) == "/usr/include/x.hpp");
  CHECK(code_file_path("/src/game/ai/plan.cpp", {CodeAttributes::relative, ""}) == "/src/game/ai/plan.cpp");
  CHECK(code_file_path("/src/game/ai/plan.cpp", {CodeAttributes::basename, ""}) == "plan.cpp");
  CHECK(code_file_path("C:\\src\\plan.cpp", {CodeAttributes::basename, ""}) == "plan.cpp");
  CHECK(code_file_path("plan.cpp", {CodeAttributes::basename, ""}) == "plan.cpp");

  recorded();
  { TRAIL_FUNCTION(); }
  trail::detail::Collector off({}, {CodeAttributes::off, ""});
  std::vector<trail::SpanData> spans;
  off.collect_all(spans);
  REQUIRE(spans.size() == 1);
  CHECK(find_attribute(spans[0].attributes, "code.file.path") == nullptr);
  CHECK(find_attribute(spans[0].attributes, "code.function.name") == nullptr);
  CHECK(find_attribute(spans[0].attributes, "code.line.number") == nullptr);
  CHECK(find_attribute(spans[0].attributes, "thread.id") != nullptr);
  CHECK(spans[0].name != "unnamed");  // still named after the function
}

TEST_CASE("TRAIL_FUNCTION names the span after the qualified function") {
  recorded();
  Planner{}.plan();
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].name == "{anonymous}::Planner::plan");
  CHECK(std::get<std::string>(*find_attribute(spans[0].attributes, "code.function.name")) ==
        "{anonymous}::Planner::plan");
}

TEST_CASE("nested spans: the child's parent is the enclosing span, in the same trace") {
  recorded();
  {
    TRAIL_SPAN("outer");
    { TRAIL_SPAN("inner"); }
  }
  { TRAIL_SPAN("next root"); }
  const auto spans = recorded();
  const auto* outer = find_span(spans, "outer");
  const auto* inner = find_span(spans, "inner");
  const auto* next = find_span(spans, "next root");
  REQUIRE(outer);
  REQUIRE(inner);
  REQUIRE(next);
  CHECK(inner->parent_span_id == outer->span_id);
  CHECK(inner->trace_id == outer->trace_id);
  CHECK(next->trace_id != outer->trace_id);
  CHECK_FALSE(next->parent_span_id.valid());
  CHECK(outer->start_time_unix_nano <= inner->start_time_unix_nano);
  CHECK(inner->end_time_unix_nano <= outer->end_time_unix_nano);
  CHECK_FALSE(trail::current().valid());  // restored after the scopes
}

TEST_CASE("attributes of every type, replaced keys, events and error status") {
  recorded();
  {
    TRAIL_SPAN_VAR(s, "score");
    s.set("nodes", 128);
    s.set("ok", true);
    s.set("cost", 2.5);
    s.set("nan", std::nan(""));
    s.set("target", std::string("home base"));
    s.set("literal", "static");
    s.set("reasons", {"stop", "length"});
    s.set("nodes", 256);  // replaces
    s.event("pruned");
    s.event(std::string("dynamic event")).set("depth", 3).set("why", std::string("bound"));
    s.error("no path");
  }
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  const trail::SpanData& s = spans[0];
  CHECK(std::get<std::int64_t>(*find_attribute(s.attributes, "nodes")) == 256);
  CHECK(std::get<bool>(*find_attribute(s.attributes, "ok")) == true);
  CHECK(std::get<double>(*find_attribute(s.attributes, "cost")) == 2.5);
  CHECK(std::isnan(std::get<double>(*find_attribute(s.attributes, "nan"))));
  CHECK(std::get<std::string>(*find_attribute(s.attributes, "target")) == "home base");
  CHECK(std::get<std::string>(*find_attribute(s.attributes, "literal")) == "static");
  CHECK(std::get<std::vector<std::string>>(*find_attribute(s.attributes, "reasons")) ==
        std::vector<std::string>{"stop", "length"});
  REQUIRE(s.events.size() == 2);
  CHECK(s.events[0].name == "pruned");
  CHECK(s.events[0].attributes.empty());
  CHECK(s.events[1].name == "dynamic event");
  CHECK(std::get<std::int64_t>(*find_attribute(s.events[1].attributes, "depth")) == 3);
  CHECK(std::get<std::string>(*find_attribute(s.events[1].attributes, "why")) == "bound");
  CHECK(s.events[0].time_unix_nano >= s.start_time_unix_nano);
  CHECK(s.events[1].time_unix_nano <= s.end_time_unix_nano);
  CHECK(s.status_code == trail::StatusCode::error);
  CHECK(s.status_message == "no path");
}

namespace {

// Ring lines a span with `n` attributes (cycling through bool, int, double,
// a short string) takes on this thread, and the attributes it comes back with.
std::uint64_t lines_of_span_with(int n) {
  static const char* keys[] = {"a0", "a1", "a2", "a3", "a4", "a5", "a6"};
  const trail::detail::Ring* ring = trail::detail::this_thread().ring;
  const std::uint64_t before = ring->write_position();
  {
    TRAIL_SPAN_VAR(s, "packed");
    for (int i = 0; i < n; ++i) {
      switch (i % 4) {
        case 0: s.set(keys[i], i % 8 == 0); break;
        case 1: s.set(keys[i], i); break;
        case 2: s.set(keys[i], i + 0.5); break;
        default: s.set(keys[i], std::string(static_cast<std::size_t>(i), 'x')); break;
      }
    }
  }
  return ring->write_position() - before;
}

}  // namespace

TEST_CASE("scalar and short string attributes go three to a ring line, written with the end") {
  recorded();
  { TRAIL_SPAN("registers the ring"); }
  for (const int n : {0, 1, 2, 3, 4, 7}) {
    CAPTURE(n);
    // 1 end line + one line per 3 attributes (the last pack shares the end's reservation).
    CHECK(lines_of_span_with(n) == 1 + static_cast<std::uint64_t>((n + 2) / 3));
    const auto spans = recorded();
    const auto* s = find_span(spans, "packed");
    REQUIRE(s != nullptr);
    CHECK(s->attributes.size() == static_cast<std::size_t>(n) + 4);  // + code.* and thread.id
    CHECK(s->dropped_attributes_count == 0);
    if (n >= 1) CHECK(std::get<bool>(*find_attribute(s->attributes, "a0")) == true);
    if (n >= 2) CHECK(std::get<std::int64_t>(*find_attribute(s->attributes, "a1")) == 1);
    if (n >= 3) CHECK(std::get<double>(*find_attribute(s->attributes, "a2")) == 2.5);
    if (n >= 4) CHECK(std::get<std::string>(*find_attribute(s->attributes, "a3")) == "xxx");
    if (n >= 7) {
      CHECK(std::get<bool>(*find_attribute(s->attributes, "a4")) == false);
      CHECK(std::get<std::int64_t>(*find_attribute(s->attributes, "a5")) == 5);
      CHECK(std::get<double>(*find_attribute(s->attributes, "a6")) == 6.5);
    }
  }
}

TEST_CASE("packed and unpacked attributes keep the order of sets: a key set again wins") {
  recorded();
  { TRAIL_SPAN("registers the ring"); }
  const trail::detail::Ring* ring = trail::detail::this_thread().ring;
  const std::uint64_t before = ring->write_position();
  const std::string nine(9, 'n');
  {
    TRAIL_SPAN_VAR(s, "mixed");
    s.set("eight", "12345678");           // 8 bytes: packed
    s.set("nine", nine);                  // 9 bytes: a record of its own, after the pending pack
    s.set("empty", "");
    s.set("nul", std::string_view("a\0b", 3));
    s.set("k", 1);
    s.set("k", std::string(20, 'k'));     // the string, set last, wins
    s.set("j", std::string(20, 'j'));
    s.set("j", 5);                        // the int, set last, wins
    for (int i = 0; i < 5; ++i) s.set("same", i);  // twice in one pack, and across packs
    s.set("arr", 1.5);
    s.set("arr", {"x", "y"});             // a string array after a pending double
    s.set("flag", true);
    s.set("flag", false);
  }
  // packs [eight] [empty nul k] [j same same] [same same same] [arr] [flag flag]+end, records nine,
  // k, j, and the array (a header and two items)
  CHECK(ring->write_position() - before == 13);
  const auto spans = recorded();
  const auto* s = find_span(spans, "mixed");
  REQUIRE(s != nullptr);
  CHECK(std::get<std::string>(*find_attribute(s->attributes, "eight")) == "12345678");
  CHECK(std::get<std::string>(*find_attribute(s->attributes, "nine")) == nine);
  CHECK(std::get<std::string>(*find_attribute(s->attributes, "empty")).empty());
  CHECK(std::get<std::string>(*find_attribute(s->attributes, "nul")) == std::string("a\0b", 3));
  CHECK(std::get<std::string>(*find_attribute(s->attributes, "k")) == std::string(20, 'k'));
  CHECK(std::get<std::int64_t>(*find_attribute(s->attributes, "j")) == 5);
  CHECK(std::get<std::int64_t>(*find_attribute(s->attributes, "same")) == 4);
  CHECK(std::get<std::vector<std::string>>(*find_attribute(s->attributes, "arr")) == std::vector<std::string>{"x", "y"});
  CHECK(std::get<bool>(*find_attribute(s->attributes, "flag")) == false);
  CHECK(s->attributes.size() == 9 + 4);
}

TEST_CASE("the attribute count limit cuts in the middle of a pack, and a replaced key is not a drop") {
  recorded();
  {
    TRAIL_SPAN_VAR(s, "limited");
    s.set("a", 1);
    s.set("b", 2);
    s.set("c", 3);  // the third of the pack: past the limit of 2
    s.set("a", 10); // the next pack: replaces, not dropped
  }
  trail::detail::Collector limited({/*attribute_count=*/2, 128, 128});
  std::vector<trail::SpanData> spans;
  limited.collect_all(spans);
  REQUIRE(spans.size() == 1);
  REQUIRE(spans[0].attributes.size() == 2);
  CHECK(std::get<std::int64_t>(*find_attribute(spans[0].attributes, "a")) == 10);
  CHECK(std::get<std::int64_t>(*find_attribute(spans[0].attributes, "b")) == 2);
  CHECK(find_attribute(spans[0].attributes, "c") == nullptr);
  CHECK(spans[0].dropped_attributes_count == 1 + 4);  // c, and the code.* and thread.id attributes
}

TEST_CASE("an attribute pack is built straight into its span only when the end after it is that span's, with nothing before") {
  recorded();
  { TRAIL_SPAN("registers the ring"); }
  recorded();
  {
    TRAIL_SPAN_VAR(parent, "parent");
    parent.set("a", 1);
    parent.set("b", 2);
    parent.set("c", 3);
    parent.set("d", 4);  // a fourth: the pack [a b c] is written now, before the child's end
    { TRAIL_SPAN("child"); }
    parent.set("a", 10);  // the pack [d a] and the end follow the pack read before
  }
  {
    TRAIL_SPAN_VAR(cut, "cut");  // one pack + end, past a limit of 2
    cut.set("x", 1);
    cut.set("y", 2);
    cut.set("z", 3);
  }
  trail::detail::Collector limited({/*attribute_count=*/6, 128, 128});
  std::vector<trail::SpanData> spans;
  limited.collect_all(spans);
  REQUIRE(spans.size() == 3);
  const auto* parent = find_span(spans, "parent");
  const auto* child = find_span(spans, "child");
  const auto* cut = find_span(spans, "cut");
  REQUIRE(parent);
  REQUIRE(child);
  REQUIRE(cut);
  CHECK(child->attributes.size() == 4);  // code.* and thread.id: none of the parent's
  CHECK(find_attribute(child->attributes, "a") == nullptr);
  CHECK(parent->attributes.size() == 6);
  CHECK(std::get<std::int64_t>(*find_attribute(parent->attributes, "a")) == 10);
  CHECK(std::get<std::int64_t>(*find_attribute(parent->attributes, "b")) == 2);
  CHECK(std::get<std::int64_t>(*find_attribute(parent->attributes, "c")) == 3);
  CHECK(std::get<std::int64_t>(*find_attribute(parent->attributes, "d")) == 4);
  CHECK(parent->dropped_attributes_count == 2);  // code.line.number, thread.id
  CHECK(cut->attributes.size() == 6);
  CHECK(cut->dropped_attributes_count == 1);

  // Rebuilt into the storage of those spans: text that starts like the old
  // one, or is shorter, is not left over from it.
  limited.recycle(spans.data(), spans.size());
  spans.clear();
  {
    TRAIL_SPAN_VAR(next, "cu");
    next.set("x", "hom");
    next.set("xy", "homey");
  }
  limited.collect_all(spans);
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].name == "cu");
  CHECK(spans[0].attributes[0].key == "x");
  CHECK(std::get<std::string>(spans[0].attributes[0].value) == "hom");
  CHECK(spans[0].attributes[1].key == "xy");
  CHECK(std::get<std::string>(spans[0].attributes[1].value) == "homey");
}

TEST_CASE("event and link attributes are recorded as they are set, beside the span's pending ones") {
  recorded();
  const trail::Context target = [] {
    TRAIL_SPAN("link target");
    return trail::current();
  }();
  {
    TRAIL_SPAN_VAR(s, "with event");
    s.set("before", 1);
    s.event("hit").set("damage", 7).set("where", "head");
    s.link(target, {{"why", "cause"}});
    s.set("after", 2.0);
    s.event("miss").set("damage", 0);
  }
  const auto spans = recorded();
  const auto* s = find_span(spans, "with event");
  REQUIRE(s != nullptr);
  CHECK(std::get<std::int64_t>(*find_attribute(s->attributes, "before")) == 1);
  CHECK(std::get<double>(*find_attribute(s->attributes, "after")) == 2.0);
  CHECK(find_attribute(s->attributes, "damage") == nullptr);
  REQUIRE(s->events.size() == 2);
  CHECK(std::get<std::int64_t>(*find_attribute(s->events[0].attributes, "damage")) == 7);
  CHECK(std::get<std::string>(*find_attribute(s->events[0].attributes, "where")) == "head");
  CHECK(std::get<std::int64_t>(*find_attribute(s->events[1].attributes, "damage")) == 0);
  REQUIRE(s->links.size() == 1);
  CHECK(std::get<std::string>(*find_attribute(s->links[0].attributes, "why")) == "cause");
}

TEST_CASE("dynamic names and long strings are copied through continuation records") {
  recorded();
  std::string long_value(5000, 'x');
  for (std::size_t i = 0; i < long_value.size(); ++i) long_value[i] = static_cast<char>('a' + i % 26);
  std::string name = "agent-" + std::to_string(42);
  {
    trail::Span s(name);
    name.assign("overwritten");  // the span keeps its own copy
    s.set("long", long_value);
    s.set("embedded nul", std::string_view("a\0b", 3));
  }
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].name == "agent-42");
  CHECK(std::get<std::string>(*find_attribute(spans[0].attributes, "long")) == long_value);
  CHECK(std::get<std::string>(*find_attribute(spans[0].attributes, "embedded nul")) == std::string("a\0b", 3));
}

TEST_CASE("the attribute count limit drops and counts what it cuts") {
  recorded();
  {
    TRAIL_SPAN_VAR(s, "many");
    static const char* keys[] = {"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"};
    for (const char* k : keys) s.set(k, 1);
  }
  trail::detail::Collector limited({/*attribute_count=*/4, 128, 128});
  std::vector<trail::SpanData> spans;
  limited.collect_all(spans);
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].attributes.size() == 4);
  // 10 user attributes + 4 source/thread attributes, 4 kept
  CHECK(spans[0].dropped_attributes_count == 10);
}

TEST_CASE("the value length limit truncates at a UTF-8 boundary") {
  recorded();
  trail::set_attribute_value_length_limit(4);
  {
    TRAIL_SPAN_VAR(s, "truncated");
    s.set("ascii", "abcdefgh");
    s.set("utf8", "ab\xC3\xA9\xC3\xA9");  // "abéé": cut before the second é's lead byte
    s.set("utf8 mid", "abc\xC3\xA9");     // cut inside é: back off to "abc"
  }
  trail::set_attribute_value_length_limit(UINT32_MAX);
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  CHECK(std::get<std::string>(*find_attribute(spans[0].attributes, "ascii")) == "abcd");
  CHECK(std::get<std::string>(*find_attribute(spans[0].attributes, "utf8")) == "ab\xC3\xA9");
  CHECK(std::get<std::string>(*find_attribute(spans[0].attributes, "utf8 mid")) == "abc");
}

TEST_CASE("a span rebuilt into a recycled span's storage carries nothing over from it") {
  recorded();
  trail::detail::Collector collector;
  std::vector<trail::SpanData> spans;
  const std::string long_value(100, 'x');
  {
    TRAIL_SPAN_VAR(big, "big");
    for (const char* key : {"a0", "a1", "a2", "a3", "a4", "a5", "a6"}) big.set(key, long_value);
    big.event("happened");
    big.error("broken");
  }
  collector.collect(spans);
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].attributes.size() == 7 + 4);
  CHECK(spans[0].events.size() == 1);
  collector.recycle(spans.data(), spans.size());
  spans.clear();
  {
    TRAIL_SPAN_VAR(small, "small");
    small.set("a0", 1);
  }
  { TRAIL_SPAN("bare"); }
  collector.collect(spans);
  REQUIRE(spans.size() == 2);
  const auto* small = find_span(spans, "small");
  const auto* bare = find_span(spans, "bare");
  REQUIRE(small);
  REQUIRE(bare);
  for (const auto* s : {small, bare}) {
    CHECK(s->attributes.size() == (s == small ? 5u : 4u));  // + code.* and thread.id
    CHECK(find_attribute(s->attributes, "a1") == nullptr);
    CHECK(s->events.empty());
    CHECK(s->status_code == trail::StatusCode::unset);
    CHECK(s->status_message.empty());
    CHECK(s->trace_state.empty());
    CHECK(s->dropped_attributes_count == 0);
  }
  CHECK(std::get<std::int64_t>(*find_attribute(small->attributes, "a0")) == 1);
  CHECK(find_attribute(bare->attributes, "a0") == nullptr);
  CHECK(std::get<std::string>(*find_attribute(bare->attributes, "code.file.path")) == "test_spans.cpp");
}

TEST_CASE("a recycled span keeps strings up to 4 KiB and up to 64 attributes; larger storage is freed") {
  using trail::detail::kReusedAttributes;
  using trail::detail::kReusedStringBytes;
  trail::SpanData span;
  span.name.reserve(kReusedStringBytes + 1);
  // Kept ones a little under the bound: reserve() may round the capacity up
  // (libc++ makes 4096 into 4111).
  span.status_message.reserve(kReusedStringBytes - 64);
  span.attributes.reserve(kReusedAttributes);
  span.attributes.resize(3);
  std::get<std::string>(span.attributes[0].value).reserve(kReusedStringBytes - 64);
  std::get<std::string>(span.attributes[1].value).reserve(kReusedStringBytes + 1);
  span.attributes[1].key.reserve(kReusedStringBytes + 1);
  span.attributes[2].value = std::vector<std::string>(100, std::string(100, 'x'));
  span.events.resize(kReusedAttributes);
  span.events[0].name.reserve(kReusedStringBytes + 1);
  span.events[1].attributes.resize(kReusedAttributes + 1);
  span.links.resize(kReusedAttributes + 1);
  const std::size_t kept_status = span.status_message.capacity(), kept_value =
      std::get<std::string>(span.attributes[0].value).capacity();
  trail::detail::trim_for_reuse(span);
  CHECK(span.name.capacity() < kReusedStringBytes);
  CHECK(span.status_message.capacity() == kept_status);
  REQUIRE(span.attributes.size() == 3);
  CHECK(span.attributes.capacity() == kReusedAttributes);
  CHECK(std::get<std::string>(span.attributes[0].value).capacity() == kept_value);
  CHECK(std::get<std::string>(span.attributes[1].value).capacity() < kReusedStringBytes);
  CHECK(span.attributes[1].key.capacity() < kReusedStringBytes);
  CHECK_FALSE(std::holds_alternative<std::vector<std::string>>(span.attributes[2].value));
  CHECK(span.events.size() == kReusedAttributes);  // written over by the next spans, as attributes are
  CHECK(span.events[0].name.capacity() < kReusedStringBytes);
  CHECK(span.events[1].attributes.capacity() == 0);
  CHECK(span.links.capacity() == 0);
  span.attributes.resize(kReusedAttributes + 1);
  trail::detail::trim_for_reuse(span);
  CHECK(span.attributes.capacity() == 0);

  // Through the collector: a burst of large spans, then small ones rebuilt
  // into their storage (a span's storage comes back a pass or two later,
  // through the scratch of attributes that wait for their span's end).
  recorded();
  trail::detail::Collector collector;
  std::vector<trail::SpanData> spans;
  const std::string content(10000, 'c');
  const std::string medium(1000, 'm');
  static const std::vector<std::string> keys = [] {  // keys must outlive the program
    std::vector<std::string> k;
    for (int i = 0; i < 100; ++i) k.push_back("key" + std::to_string(i));
    return k;
  }();
  for (int i = 0; i < 4; ++i) {
    TRAIL_SPAN_VAR(big, "big");
    big.set("content", content);
    big.set("medium", medium);
    if (i % 2 == 0)
      for (const std::string& key : keys) big.set(key.c_str(), medium);
  }
  collector.collect(spans);
  REQUIRE(spans.size() == 4);
  CHECK(spans[0].attributes.size() == 102 + 4);
  CHECK(spans[1].attributes.size() == 2 + 4);
  std::size_t kept_medium = 0;  // rebuilt spans whose value reused a kept 1000-byte string
  for (int round = 0; round < 4; ++round) {
    collector.recycle(spans.data(), spans.size());
    spans.clear();
    for (int i = 0; i < 4; ++i) {
      TRAIL_SPAN_VAR(small, "small");
      small.set("content", "a value longer than the packed eight bytes");
      small.set("medium", "another value longer than eight bytes");
    }
    collector.collect(spans);
    REQUIRE(spans.size() == 4);
    for (const trail::SpanData& s : spans) {
      CHECK(s.attributes.capacity() <= kReusedAttributes);
      for (const trail::Attribute& a : s.attributes) {
        const auto& text = std::get_if<std::string>(&a.value);
        if (text == nullptr) continue;
        CHECK(text->capacity() <= kReusedStringBytes);
        if (text->capacity() >= medium.size()) ++kept_medium;
      }
    }
  }
  CHECK(kept_medium > 0);
}

TEST_CASE("an AsyncSpan started on one thread is ended on another, with attributes from both") {
  recorded();
  trail::Context parent;
  trail::AsyncSpan call;
  {
    TRAIL_SPAN("frame 1");
    parent = trail::current();
    call = trail::AsyncSpan("llm call", trail::SpanKind::client);
    call.set("started.on", "main");
  }
  std::thread worker([&] {
    call.set("finished.on", "worker");
    {
      trail::ContextScope scope(call.context());
      TRAIL_SPAN("parse reply");
    }
    call.end();
  });
  worker.join();
  const auto spans = recorded();
  const auto* frame = find_span(spans, "frame 1");
  const auto* llm = find_span(spans, "llm call");
  const auto* parse = find_span(spans, "parse reply");
  REQUIRE(frame);
  REQUIRE(llm);
  REQUIRE(parse);
  CHECK(llm->parent_span_id == parent.span_id);
  CHECK(llm->kind == trail::SpanKind::client);
  CHECK(parse->parent_span_id == llm->span_id);
  CHECK(parse->trace_id == frame->trace_id);
  CHECK(std::get<std::string>(*find_attribute(llm->attributes, "started.on")) == "main");
  CHECK(std::get<std::string>(*find_attribute(llm->attributes, "finished.on")) == "worker");
  CHECK(llm->end_time_unix_nano >= frame->end_time_unix_nano);
}

TEST_CASE("an AsyncSpan's attributes are recorded as they are set, so a later set on its thread wins after a move") {
  recorded();
  std::int64_t starter = 0;
  trail::AsyncSpan call;
  {
    call = trail::AsyncSpan("moved");
    starter = static_cast<std::int64_t>(trail::detail::current_thread_id());
    for (int i = 0; i < 4; ++i) call.set(i % 2 ? "odd" : "even", i);  // all in this thread's ring
  }
  std::thread([&] {
    trail::AsyncSpan moved = std::move(call);
    moved.set("on.worker", true);
  }).join();  // ended by its destructor on the worker
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  CHECK(std::get<std::int64_t>(*find_attribute(spans[0].attributes, "even")) == 2);
  CHECK(std::get<std::int64_t>(*find_attribute(spans[0].attributes, "odd")) == 3);
  CHECK(std::get<bool>(*find_attribute(spans[0].attributes, "on.worker")) == true);
  CHECK(std::get<std::int64_t>(*find_attribute(spans[0].attributes, "thread.id")) == starter);
}

TEST_CASE("an AsyncSpan key set on one thread, then on another, keeps the later value whichever ring is read first") {
  { TRAIL_SPAN("main's ring exists"); }
  recorded();
  trail::AsyncSpan call("handed over");
  call.set("owner", "main");
  call.error("main failed");
  call.set("steps", 1);
  std::thread([&] {
    call.set("owner", "worker");  // the worker's ring is newer: the collector reads it before main's
    call.set_status(trail::StatusCode::ok);
    call.set("steps", 2);
  }).join();
  call.set("steps", 3);  // back on main, after the worker's
  call.end();
  const auto spans = recorded();
  const auto* s = find_span(spans, "handed over");
  REQUIRE(s);
  CHECK(std::get<std::string>(*find_attribute(s->attributes, "owner")) == "worker");
  CHECK(s->status_code == trail::StatusCode::ok);
  CHECK(s->status_message.empty());
  CHECK(std::get<std::int64_t>(*find_attribute(s->attributes, "steps")) == 3);
  CHECK(s->attributes.size() == 3);  // owner, steps, thread.id (a dynamic name has no code.*): no key twice
}

TEST_CASE("an AsyncSpan written through a SpanBase& is ordered across threads the same way") {
  { TRAIL_SPAN("main's ring exists"); }
  recorded();
  trail::AsyncSpan call("through SpanBase");
  std::thread([&] { call.set("owner", "first worker"); }).join();
  call.set("owner", "main");  // hand-off 2, in main's ring
  call.set_status(trail::StatusCode::ok);
  std::thread([&] {  // the newest ring: the collector reads it first
    trail::SpanBase& base = call;  // as a helper taking any span sees it
    base.set("owner", "second worker");
    base.error("failed last");
  }).join();
  call.end();
  const auto spans = recorded();
  const auto* s = find_span(spans, "through SpanBase");
  REQUIRE(s);
  CHECK(std::get<std::string>(*find_attribute(s->attributes, "owner")) == "second worker");
  CHECK(s->status_code == trail::StatusCode::error);
  CHECK(s->status_message == "failed last");
}

TEST_CASE("an AsyncSpan written on a thread that reuses an exited writer's thread id is ordered all the same") {
  // The OS reuses thread ids (Windows within moments): two workers' rings
  // with one thread id are told apart by their serial, so the second worker
  // marks its hand-off like any other.
  { TRAIL_SPAN("main's ring exists"); }
  recorded();
  trail::AsyncSpan call("reused thread id");
  call.set("owner", "main");
  auto write_on_thread_4242 = [&](const char* owner) {
    bool had_ring = false;
    std::thread([&] {
      auto& p = trail::detail::process();
      trail::detail::Ring* ring =
          trail::detail::Ring::create(64, 4242, p.ring_serials.fetch_add(1) + 1, p.ring_pressure);
      if (ring == nullptr) return;
      had_ring = true;
      trail::detail::register_ring(p, ring);
      trail::detail::this_thread().ring = ring;
      call.set("owner", owner);
      trail::detail::this_thread().ring = nullptr;
      ring->mark_owner_exited();  // the collector reclaims it once drained
    }).join();
    REQUIRE(had_ring);
  };
  write_on_thread_4242("first worker");
  write_on_thread_4242("second worker");  // the newest ring: the collector reads it first
  call.end();
  const auto spans = recorded();
  const auto* s = find_span(spans, "reused thread id");
  REQUIRE(s);
  CHECK(std::get<std::string>(*find_attribute(s->attributes, "owner")) == "second worker");
}

TEST_CASE("an AsyncSpan destroyed without end() is ended, never lost") {
  recorded();
  { trail::AsyncSpan forgotten("forgotten"); }
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].name == "forgotten");
}

TEST_CASE("a thread that exits loses nothing, and its ring is reclaimed once drained") {
  recorded();
  std::thread([] {
    for (int i = 0; i < 100; ++i) {
      TRAIL_SPAN("short-lived thread");
    }
  }).join();
  std::size_t rings_before = 0;
  for (auto* r = trail::detail::process().rings.load(); r; r = r->next) ++rings_before;
  const auto spans = recorded();
  std::size_t rings_after = 0;
  for (auto* r = trail::detail::process().rings.load(); r; r = r->next) ++rings_after;
  CHECK(spans.size() == 100);
  CHECK(rings_after == rings_before - 1);
}

namespace {

// Empties the spare-ring slot (state.hpp), for tests that need to know
// whether a thread's ring is a new one.
void drop_spare_ring() { delete trail::detail::process().spare_ring.exchange(nullptr); }

}  // namespace

TEST_CASE("prepare_thread registers the thread's ring before its first span, zero-filled") {
  recorded();
  drop_spare_ring();
  std::thread([] {
    CHECK(trail::detail::this_thread().ring == nullptr);
    REQUIRE(trail::prepare_thread());
    const trail::detail::Ring* ring = trail::detail::this_thread().ring;
    REQUIRE(ring != nullptr);
    CHECK(ring->write_position() == 0);
    const auto& last = ring->at(ring->capacity() - 1);  // touched: written with zeros
    CHECK(static_cast<int>(last.type) == 0);
    CHECK(last.span_id == 0);
    CHECK(trail::prepare_thread());  // again: the same ring
    CHECK(trail::detail::this_thread().ring == ring);
    TRAIL_SPAN("after prepare");
  }).join();
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].name == "after prepare");
}

TEST_CASE("a new thread's first span takes the spare ring: pages already touched, counts and serial its own") {
  using trail::detail::process;
  using trail::detail::Ring;
  recorded();
  drop_spare_ring();
  trail::detail::Collector::prepare_spare_ring();  // the flusher's job, off the recording threads
  Ring* spare = process().spare_ring.load();
  REQUIRE(spare != nullptr);
  CHECK(spare->capacity() == process().ring_capacity.load());
  CHECK(static_cast<int>(spare->at(spare->capacity() - 1).type) == 0);  // touched: written with zeros
  const std::uint64_t last_serial = process().ring_serials.load();
  std::uint64_t thread_id = 0;
  std::thread([&] {
    thread_id = trail::detail::current_thread_id();
    { TRAIL_SPAN("on the spare ring"); }
    const Ring* ring = trail::detail::this_thread().ring;
    CHECK(ring == spare);
    CHECK(ring->spans_recorded() == 1);
    CHECK(ring->serial() == last_serial + 1);
    CHECK(ring->thread_id() == thread_id);
  }).join();
  CHECK(process().spare_ring.load() == nullptr);  // taken
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  CHECK(std::get<std::int64_t>(*find_attribute(spans[0].attributes, "thread.id")) ==
        static_cast<std::int64_t>(thread_id));
  // Drained, its thread gone, the ring (pages all touched) is the spare again,
  // as new: the next thread's counts start from zero.
  REQUIRE(process().spare_ring.load() == spare);
  std::thread([&] {
    { TRAIL_SPAN("second owner"); }
    CHECK(trail::detail::this_thread().ring == spare);
    CHECK(spare->spans_recorded() == 1);
    CHECK(spare->serial() == last_serial + 2);
  }).join();
  const auto second = recorded();
  REQUIRE(second.size() == 1);
  CHECK(second[0].name == "second owner");
  CHECK(second[0].trace_id != spans[0].trace_id);
}

TEST_CASE("an exited thread's ring becomes the spare only when all its pages were touched") {
  using trail::detail::process;
  recorded();
  drop_spare_ring();
  std::thread([] { TRAIL_SPAN("a few records, most pages never touched"); }).join();
  CHECK(recorded().size() == 1);
  CHECK(process().spare_ring.load() == nullptr);  // freed, not kept: a thread taking it would fault
  const trail::detail::Ring* lapped = nullptr;
  std::size_t spans = 0;
  std::thread([&] {
    // Once round the ring, drained between bursts (no flusher here).
    do {
      for (int i = 0; i < 16; ++i) {
        TRAIL_SPAN("lap");
      }
      spans += recorded().size();
      lapped = trail::detail::this_thread().ring;
    } while (lapped->write_position() < lapped->capacity());
  }).join();
  spans += recorded().size();
  CHECK(spans % 16 == 0);
  CHECK(process().spare_ring.load() == lapped);
}

TEST_CASE("set_enabled(false) records nothing and keeps no context") {
  recorded();
  trail::set_enabled(false);
  {
    TRAIL_SPAN_VAR(s, "off");
    s.set("k", 1);
    CHECK_FALSE(s.is_recording());
    CHECK_FALSE(trail::current().valid());
  }
  trail::set_enabled(true);
  CHECK(recorded().empty());
}

TEST_CASE("a span shorter than one clock tick lasts one tick, and still nests in its parent") {
  using trail::detail::Record;
  using trail::detail::RecordType;
  recorded();
  // A coarse counter (aarch64: 52 ns a tick at 19.2 MHz) reads the same tick
  // at both ends of a short span. Crafted records: the parent spans ticks
  // t .. t+1, its child starts and ends within tick t+1.
  static const trail::detail::SpanMeta parent_meta{"coarse parent", nullptr, __FILE__, 1, trail::SpanKind::internal};
  static const trail::detail::SpanMeta child_meta{"sub-tick child", nullptr, __FILE__, 2, trail::SpanKind::internal};
  trail::detail::Ring* ring = trail::detail::Ring::create(64, 4242, trail::detail::process().ring_serials.fetch_add(1) + 1,
                                                              trail::detail::process().ring_pressure);
  REQUIRE(ring != nullptr);
  const std::uint64_t t = trail::detail::ticks();
  auto push = [&](const trail::detail::SpanMeta* meta, std::uint64_t id, std::uint64_t parent, std::uint64_t start,
                  std::uint64_t end) {
    std::uint64_t pos = 0;
    REQUIRE(ring->reserve(1, pos));
    Record& r = ring->slot(pos);
    r = Record{};
    r.type = RecordType::span_end;
    r.slot = trail::detail::span_sampled;
    r.span_id = id;
    r.span.meta = meta;
    r.span.parent_span_id = parent;
    r.span.trace_hi = 1;
    r.span.trace_lo = 2;
    r.span.start = start;
    r.span.end = end;
    ring->commit(pos + 1);
  };
  push(&child_meta, 0x22, 0x11, t + 1, t + 1);
  push(&parent_meta, 0x11, 0, t, t + 1);
  trail::detail::register_ring(trail::detail::process(), ring);
  ring->mark_owner_exited();  // the collector reclaims it once drained
  const auto spans = recorded();
  const auto* parent = find_span(spans, "coarse parent");
  const auto* child = find_span(spans, "sub-tick child");
  REQUIRE(parent != nullptr);
  REQUIRE(child != nullptr);
  CHECK(child->end_time_unix_nano > child->start_time_unix_nano);
  CHECK(child->start_time_unix_nano >= parent->start_time_unix_nano);
  CHECK(child->end_time_unix_nano <= parent->end_time_unix_nano);
}
