// TRAIL_FRAME: frames numbering the spans that start in them, a span per
// frame (the last one too), per-thread frame numbers, the frame-time
// histogram.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include <trail/export/metrics_collect.hpp>
#include <trail/frame.hpp>
#include <trail/trail.hpp>

#include "support/recorded.hpp"

using trail::find_attribute;
using trail::test::find_span;
using trail::test::recorded;

namespace {

std::int64_t int_of(const trail::SpanData& s, const char* key) {
  const auto* v = find_attribute(s.attributes, key);
  return v == nullptr ? -1 : std::get<std::int64_t>(*v);
}
std::int64_t frame_of(const trail::SpanData& s) { return int_of(s, "frame.number"); }

void game_loop(int frames) {
  for (int f = 0; f < frames; ++f) {
    TRAIL_FRAME("test loop");
    TRAIL_SPAN_VAR(update, "update");
    update.set("f", f);
    { TRAIL_SPAN("render"); }
  }
}

std::vector<const trail::SpanData*> named(const std::vector<trail::SpanData>& spans, const std::string& name) {
  std::vector<const trail::SpanData*> out;
  for (const auto& s : spans)
    if (s.name == name) out.push_back(&s);
  return out;
}

std::uint64_t frame_durations() {
  std::uint64_t n = 0;
  for (const auto& m : trail::collect_metrics(1'700'000'000'000'000'000ull))
    if (m.name == "trail.frame.duration")
      for (const auto& p : m.histogram_points) n += p.count;
  return n;
}

}  // namespace

TEST_CASE("spans get the number of the frame they start in; every frame is a span, the last one too") {
  recorded();
  { TRAIL_SPAN("before any frame"); }
  game_loop(4);
  const auto spans = recorded();
  CHECK(frame_of(*find_span(spans, "before any frame")) == -1);
  const auto frames = named(spans, "frame test loop");
  const auto updates = named(spans, "update");
  REQUIRE(frames.size() == 4);  // the frame ends with its scope: the last one is exported
  REQUIRE(updates.size() == 4);
  const std::int64_t first = frame_of(*frames[0]);  // earlier test cases may have run this loop
  CHECK(first >= 1);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const trail::SpanData& frame = *frames[i];
    const trail::SpanData& update = *updates[i];
    CHECK(frame_of(frame) == first + static_cast<std::int64_t>(i));
    CHECK(frame.attributes.size() == 2);  // frame.number (once) and thread.id
    CHECK_FALSE(frame.parent_span_id.valid());  // a root: frames are not children of what is current
    CHECK_FALSE(update.parent_span_id.valid());  // nor parents of the spans in them
    if (i > 0) CHECK_FALSE(frame.trace_id == frames[i - 1]->trace_id);
    CHECK(int_of(update, "f") == static_cast<std::int64_t>(i));
    CHECK(frame_of(update) == frame_of(frame));
    // The frame covers its spans, and ends before the next one starts.
    CHECK(frame.start_time_unix_nano <= update.start_time_unix_nano);
    CHECK(update.end_time_unix_nano <= frame.end_time_unix_nano);
    if (i + 1 < frames.size()) CHECK(frame.end_time_unix_nano <= frames[i + 1]->start_time_unix_nano);
  }
  for (const auto* render : named(spans, "render")) CHECK(frame_of(*render) >= first);
}

TEST_CASE("two threads running the same loop number their own frames") {
  recorded();
  constexpr int kFrames = 50;
  std::thread a([] { game_loop(kFrames); });
  std::thread b([] { game_loop(kFrames); });
  a.join();
  b.join();
  const auto spans = recorded();
  const auto frames = named(spans, "frame test loop");
  REQUIRE(frames.size() == 2 * kFrames);
  // Per thread: frames 1..kFrames (new threads start at 1), and each update
  // has the number of its own thread's frame that covers it.
  std::vector<std::int64_t> threads;
  for (const auto* f : frames) {
    const std::int64_t t = int_of(*f, "thread.id");
    if (std::find(threads.begin(), threads.end(), t) == threads.end()) threads.push_back(t);
  }
  REQUIRE(threads.size() == 2);
  for (const std::int64_t t : threads) {
    std::vector<const trail::SpanData*> mine;
    for (const auto* f : frames)
      if (int_of(*f, "thread.id") == t) mine.push_back(f);
    REQUIRE(mine.size() == kFrames);
    for (std::size_t i = 0; i < mine.size(); ++i) CHECK(frame_of(*mine[i]) == static_cast<std::int64_t>(i + 1));
    int checked = 0;
    for (const auto* u : named(spans, "update")) {
      if (int_of(*u, "thread.id") != t) continue;
      const trail::SpanData& frame = *mine[static_cast<std::size_t>(frame_of(*u) - 1)];
      CHECK(frame.start_time_unix_nano <= u->start_time_unix_nano);
      CHECK(u->end_time_unix_nano <= frame.end_time_unix_nano);
      CHECK(int_of(*u, "f") == frame_of(*u) - 1);
      ++checked;
    }
    CHECK(checked == kFrames);
  }
}

TEST_CASE("spans on a thread without frames get the number of the loop marked last; a span's own number stays") {
  recorded();
  game_loop(2);
  // Read the marks first: a span on another thread is numbered by the marks
  // the flusher has read when it reads the span (documented).
  const std::int64_t last = frame_of(*named(recorded(), "frame test loop").back());
  std::thread([] {
    TRAIL_SPAN("worker job");
    TRAIL_SPAN_VAR(own, "own number");
    own.set("frame.number", 7);
  }).join();
  const auto spans = recorded();
  CHECK(frame_of(*find_span(spans, "worker job")) == last);
  const trail::SpanData& own = *find_span(spans, "own number");
  CHECK(frame_of(own) == 7);
  CHECK(std::count_if(own.attributes.begin(), own.attributes.end(),
                      [](const trail::Attribute& kv) { return kv.key == "frame.number"; }) == 1);
}

TEST_CASE("the frame-time histogram counts every frame, the last one too") {
  const std::uint64_t before = frame_durations();
  game_loop(5);
  recorded();
  CHECK(frame_durations() - before == 5);
}

TEST_CASE("TRAIL_FRAME records nothing while tracing is off, and still counts the frames") {
  recorded();
  game_loop(1);
  const std::int64_t before = frame_of(*find_span(recorded(), "frame test loop"));
  trail::set_enabled(false);
  const std::uint64_t durations = frame_durations();
  game_loop(3);
  CHECK(frame_durations() == durations);
  trail::set_enabled(true);
  CHECK(recorded().empty());
  game_loop(1);
  CHECK(frame_of(*find_span(recorded(), "frame test loop")) == before + 4);  // aligned with the loop's own count
}
