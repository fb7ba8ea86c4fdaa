// The flight recorder (TRAIL_FLIGHT_RECORDER): the window on its own with
// simulated time (60 s of a 1 kHz loop, a dump at t = 30 s), then through
// trail::init: nothing exported before trail::dump(reason), then exactly the
// window, with the reason and the resource.
#include <doctest/doctest.h>

#include <trail/runtime.hpp>
#include <trail/export/flight_recorder.hpp>
#include <trail/export/memory_exporter.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/stats_identity.hpp"
#include "support/stderr_capture.hpp"
#include "support/wait_until.hpp"

using namespace std::chrono_literals;
using trail::SpanData;
using trail::detail::FlightRecorder;
using trail::test::wait_until;

namespace {

constexpr std::uint64_t ms = 1000000;  // ns

SpanData span(std::uint64_t trace, std::uint64_t id, std::uint64_t parent, std::uint64_t start, std::uint64_t end,
              const char* name) {
  SpanData s;
  s.trace_id = trail::TraceId{0, trace};
  s.span_id = trail::SpanId{id};
  s.parent_span_id = trail::SpanId{parent};
  s.start_time_unix_nano = start;
  s.end_time_unix_nano = end;
  s.name = name;
  s.attributes.push_back({"tick", static_cast<std::int64_t>(id)});
  return s;
}

const trail::AttributeValue* find(const SpanData& s, const char* key) { return trail::find_attribute(s.attributes, key); }

}  // namespace

TEST_CASE("60 s of a 1 kHz loop, a dump at t = 30 s: exactly the window's spans") {
  // Trace 1: the mission, a session root from t = 0 to t = 30 s (its start is
  // far out of the window). Trace 2: episode 1, a root that ended at 5 s with
  // an upload that ended at 25 s. One tick a millisecond, children of the mission.
  const std::uint64_t t0 = 1700000000000 * ms;
  FlightRecorder recorder(10s, std::uint64_t{1} << 30);
  std::uint64_t gone = 0;
  const auto add = [&](SpanData s) { gone += recorder.add(std::move(s)); };
  std::uint64_t dumped_at = 0, gone_before_dump = 0;
  std::vector<SpanData> window;
  std::uint64_t discarded = 0;
  for (std::uint64_t i = 0; i < 60000; ++i) {
    add(span(1, 1000 + i, 1, t0 + i * ms, t0 + i * ms + ms / 2, "tick"));
    if (i == 4999) add(span(2, 2, 0, t0, t0 + 5000 * ms, "episode 1"));
    if (i == 24999) add(span(2, 3, 2, t0 + 4000 * ms, t0 + 25000 * ms, "upload"));
    if (i == 29999) {
      add(span(1, 1, 0, t0, t0 + 30000 * ms, "mission"));
      dumped_at = recorder.size();
      gone_before_dump = gone;
      window = recorder.take_window(discarded);
    }
  }
  // Window: [20 s, 30 s] of the newest end (the mission's, 30 s).
  std::set<std::uint64_t> ticks;
  std::set<std::string> others;
  for (const SpanData& s : window) {
    if (s.name == "tick") ticks.insert(s.span_id.value - 1000);
    else others.insert(s.name);
  }
  CHECK(ticks.size() == 10000);
  CHECK(*ticks.begin() == 20000);  // tick 19999 ended at 19.9995 s: out
  CHECK(*ticks.rbegin() == 29999);
  CHECK(others == std::set<std::string>{"mission", "upload", "episode 1"});
  for (const SpanData& s : window)
    if (s.name == "mission") CHECK(s.start_time_unix_nano == t0);  // whole, not cut at the window
  CHECK(window.size() == 10003);
  CHECK(gone_before_dump + discarded + window.size() == 30003);  // every span of the first 30 s accounted for
  CHECK(dumped_at >= window.size());
  CHECK(recorder.size() == 10001);  // ticks 49999..59999: the window of the second half, for a later dump
}

TEST_CASE("the byte bound holds, the oldest spans go first") {
  FlightRecorder recorder(3600s, 64 << 10);
  std::uint64_t gone = 0;
  for (std::uint64_t i = 0; i < 5000; ++i) gone += recorder.add(span(1, i + 1, 1, i * ms, i * ms + 1, "tick"));
  CHECK(recorder.bytes() <= 64 << 10);
  CHECK(gone > 0);
  CHECK(gone + recorder.size() == 5000);
  std::uint64_t discarded = 0;
  const auto window = recorder.take_window(discarded);
  REQUIRE(!window.empty());
  CHECK(window.back().span_id.value == 5000);
  CHECK(window.front().span_id.value == 5000 - window.size() + 1);
}

TEST_CASE("through init: nothing goes out until trail::dump, then the window with the reason and the resource") {
  auto memory = std::make_shared<trail::InMemoryExporter>();
  trail::Config config;
  config.settings.traces_exporters = {};
  config.settings.metrics_exporters = {};
  config.settings.flight_recorder = 500ms;
  config.settings.bsp_schedule_delay = 20ms;
  config.settings.resource.push_back({"robot.id", std::string("r2")});
  config.exporters.push_back(memory);
  REQUIRE(trail::init(config));
  {
    trail::Session mission("mission");
    auto on = mission.activate();
    for (int i = 0; i < 100; ++i) {
      TRAIL_SPAN("early");
    }
    trail::flush(5s);
    std::this_thread::sleep_for(800ms);  // "early" leaves the 0.5 s window
    for (int i = 0; i < 50; ++i) {
      TRAIL_SPAN("late");
    }
    trail::flush(5s);
    CHECK(memory->spans().empty());  // recorded, held, not exported
    CHECK(trail::stats().spans_pending >= 50);
  }  // the mission ends: its root is in the window, its start is not
  CHECK(trail::dump("arm stalled"));
  CHECK(wait_until([] { return trail::stats().dumps == 1; }, 10s));
  trail::shutdown();
  const auto spans = memory->spans();
  std::size_t late = 0, early = 0, root = 0;
  for (const SpanData& s : spans) {
    late += s.name == "late";
    early += s.name == "early";
    root += s.name == "session mission";
    const auto* reason = find(s, "trail.dump.reason");
    REQUIRE(reason != nullptr);
    CHECK(std::get<std::string>(*reason) == "arm stalled");
  }
  CHECK(late == 50);
  CHECK(early == 0);
  CHECK(root == 1);
  const trail::Resource resource = memory->resource();
  const auto* robot = trail::find_attribute(resource.attributes, "robot.id");
  REQUIRE(robot != nullptr);
  CHECK(std::get<std::string>(*robot) == "r2");
  const trail::Stats s = trail::stats();
  CHECK(s.spans_exported == 51);
  CHECK(s.spans_dropped_flight_recorder == 100);
  CHECK(trail::test::stats_identity_holds(s));
  CHECK(s.spans_pending == 0);
}

TEST_CASE("without a flight recorder, dump says so and nothing changes") {
  auto memory = std::make_shared<trail::InMemoryExporter>();
  trail::Config config;
  config.settings.traces_exporters = {};
  config.settings.metrics_exporters = {};
  config.exporters.push_back(memory);
  REQUIRE(trail::init(config));
  { TRAIL_SPAN("live"); }
  CHECK_FALSE(trail::dump("no recorder"));
  CHECK(trail::flush(5s));
  trail::shutdown();
  REQUIRE(memory->spans().size() == 1);
  CHECK(find(memory->spans()[0], "trail.dump.reason") == nullptr);
  CHECK(trail::stats().dumps == 0);
}

TEST_CASE("TRAIL_FLIGHT_RECORDER takes seconds") {
  trail::detail::ErrorSink errors;
  const auto env = [](const char* name) -> const char* {
    const std::string n = name;
    if (n == "TRAIL_FLIGHT_RECORDER") return "2.5";
    if (n == "TRAIL_FLIGHT_RECORDER_MAX_BYTES") return "1048576";
    return nullptr;
  };
  const trail::Settings s = trail::detail::settings_from_env(env, errors);
  CHECK(s.flight_recorder == 2500ms);
  CHECK(s.flight_recorder_max_bytes == 1048576);
  CHECK(errors.empty());
  trail::detail::ErrorSink bad;
  const trail::Settings d = trail::detail::settings_from_env(
      [](const char* name) -> const char* { return std::string(name) == "TRAIL_FLIGHT_RECORDER" ? "-3" : nullptr; }, bad);
  CHECK(d.flight_recorder == 0ms);
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].find("TRAIL_FLIGHT_RECORDER") != std::string::npos);
}
