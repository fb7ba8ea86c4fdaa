// The hot-path clock: raw ticks converted on the consumer side to Unix
// nanoseconds that never run backwards and agree with the wall clock.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <trail/platform/clock.hpp>
#include <trail/trail.hpp>

namespace {

using trail::detail::ClockSource;
using trail::detail::TickConverter;

const char* source_name(ClockSource s) {
  switch (s) {
    case ClockSource::counter: return "counter (rdtsc with invariant TSC / cntvct_el0)";
    case ClockSource::monotonic: return "monotonic (CLOCK_MONOTONIC)";
    case ClockSource::unknown: break;
  }
  return "unknown";
}

std::uint64_t system_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

constexpr std::uint64_t kSlackNs = 1'000'000;  // 1 ms

// A tick read bracketed by two system_clock reads converts to a time between
// them, give or take 1 ms.
void check_agrees_with_system_clock(const TickConverter& conv) {
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t before = system_ns();
    const std::uint64_t tick = trail::detail::ticks();
    const std::uint64_t after = system_ns();
    const std::uint64_t converted = conv.to_unix_ns(tick);
    CHECK(converted + kSlackNs >= before);
    CHECK(converted <= after + kSlackNs);
  }
}

// A tight loop of tick reads, converted as read, with refresh() every
// `refresh_every` reads: the converted times never decrease.
void check_monotonic(TickConverter& conv, int reads, int refresh_every) {
  std::uint64_t last = 0;
  int backwards = 0;
  for (int i = 0; i < reads; ++i) {
    if (refresh_every > 0 && i % refresh_every == 0) conv.refresh();
    const std::uint64_t now = conv.to_unix_ns(trail::detail::ticks());
    if (now < last) ++backwards;
    last = now;
  }
  CHECK(backwards == 0);
}

}  // namespace

TEST_CASE("the active clock source is resolved and reported") {
  trail::detail::ticks();
  const ClockSource source = trail::detail::g_clock_source.load();
  MESSAGE("clock source: " << std::string(source_name(source)));
  CHECK(source != ClockSource::unknown);
  CHECK(source == trail::detail::detect_clock_source());
  const TickConverter conv;
  MESSAGE("ns per tick: " << conv.ns_per_tick());
  if (source == ClockSource::counter) {
    // Any real counter runs between 10 MHz and 10 GHz.
    CHECK(conv.ns_per_tick() > 0.1);
    CHECK(conv.ns_per_tick() < 100.0);
  } else {
    CHECK(conv.ns_per_tick() == 1.0);
  }
}

TEST_CASE("converted timestamps are monotonic over a tight loop") {
  TickConverter conv;
  check_monotonic(conv, 300'000, 0);
}

TEST_CASE("converted timestamps stay monotonic across refresh()") {
  TickConverter conv;
  check_monotonic(conv, 300'000, 1'000);
  // Refreshes far apart (each starts a new segment of the mapping).
  std::uint64_t last = conv.to_unix_ns(trail::detail::ticks());
  for (int i = 0; i < 12; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(55));
    conv.refresh();
    const std::uint64_t now = conv.to_unix_ns(trail::detail::ticks());
    CHECK(now >= last);
    last = now;
  }
}

TEST_CASE("a tick converts to the same time before and after refresh()") {
  // The consumer converts a long span's start long after its children's:
  // the parent must still start first.
  TickConverter conv;
  std::vector<std::uint64_t> ticks;
  std::vector<std::uint64_t> first;
  for (int i = 0; i < 8; ++i) {
    ticks.push_back(trail::detail::ticks());
    first.push_back(conv.to_unix_ns(ticks.back()));
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    conv.refresh();
  }
  for (std::size_t i = 0; i < ticks.size(); ++i) CHECK(conv.to_unix_ns(ticks[i]) == first[i]);
}

TEST_CASE("conversion keeps nanosecond resolution") {
  // Unix nanoseconds held in a double step by 256 ns: a 100 ns span must not
  // come out as 0 or 256 ns long.
  TickConverter conv;
  const std::uint64_t t = trail::detail::ticks();
  const double rate = conv.ns_per_tick();
  for (std::uint64_t k = 1; k < 1000; k += 7) {
    const double expected = static_cast<double>(k) * rate;
    const double got = static_cast<double>(conv.to_unix_ns(t + k) - conv.to_unix_ns(t));
    CHECK(got >= expected - 1.5);
    CHECK(got <= expected + 1.5);
  }
}

TEST_CASE("converted timestamps agree with system_clock within 1 ms") {
  TickConverter conv;
  check_agrees_with_system_clock(conv);
  // Still true after the converter has been refreshed for a while.
  for (int i = 0; i < 30; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    conv.refresh();
  }
  check_agrees_with_system_clock(conv);
}

TEST_CASE("the CLOCK_MONOTONIC fallback converts as well") {
  const ClockSource saved = trail::detail::g_clock_source.load();
  trail::detail::g_clock_source.store(ClockSource::monotonic);
  {
    TickConverter conv;
    CHECK(conv.ns_per_tick() == 1.0);
    check_monotonic(conv, 100'000, 1'000);
    check_agrees_with_system_clock(conv);
  }
  trail::detail::g_clock_source.store(saved);
}

TEST_CASE("a counter whose frequency the hardware states is not calibrated by sleeping") {
  const double stated = trail::detail::platform::counter_ns_per_tick();
  if (stated <= 0) {
    MESSAGE("skipped: this counter states no frequency (only aarch64's cntfrq_el0 does)");
    return;
  }
  MESSAGE("cntfrq_el0: " << 1e9 / stated << " Hz");
  const auto before = std::chrono::steady_clock::now();
  TickConverter conv;
  const auto took = std::chrono::steady_clock::now() - before;
  CHECK(took < std::chrono::milliseconds(8));  // the calibration sleep is 10 ms
  if (trail::detail::g_clock_source.load() == ClockSource::counter) {
    CHECK(conv.ns_per_tick() == stated);
    conv.refresh();
    CHECK(conv.ns_per_tick() > 0);
  }
  check_agrees_with_system_clock(conv);
}
