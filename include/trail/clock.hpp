// The hot-path clock: raw ticks of the cheapest invariant counter, converted
// to Unix nanoseconds later, on the consumer side (as Tracy does). Which
// counter, per platform: platform/clock.hpp.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "config.hpp"
#include "platform/clock.hpp"

namespace trail::detail {

enum class ClockSource : std::uint8_t { unknown, counter, monotonic };

inline std::atomic<ClockSource> g_clock_source{ClockSource::unknown};

using platform::monotonic_ns;
using platform::realtime_ns;

inline std::uint64_t raw_counter() noexcept { return platform::counter(); }

inline ClockSource detect_clock_source() noexcept {
  return platform::counter_is_invariant() ? ClockSource::counter : ClockSource::monotonic;
}

TRAIL_NOINLINE inline std::uint64_t ticks_slow() noexcept {
  ClockSource source = g_clock_source.load(std::memory_order_relaxed);
  if (source == ClockSource::unknown) {
    source = detect_clock_source();
    g_clock_source.store(source, std::memory_order_relaxed);
  }
  return source == ClockSource::counter ? raw_counter() : monotonic_ns();
}

// One load and a predictable branch besides the counter read itself.
TRAIL_FORCE_INLINE std::uint64_t ticks() noexcept {
  if (TRAIL_LIKELY(g_clock_source.load(std::memory_order_relaxed) == ClockSource::counter)) return raw_counter();
  return ticks_slow();
}

// Maps ticks to Unix nanoseconds. Lives on the consumer side. The tick rate
// is the counter's stated frequency where the hardware gives one (aarch64),
// else measured: the first calibration sleeps 10 ms, and refresh() keeps the
// mapping continuous while it converges on the measured rate (so converted
// times never jump back).
//
// The mapping is piecewise linear: each refresh starts a new segment where
// the previous one ends, and a tick is converted with the segment it falls
// in, so a tick converts to the same time before and after a refresh (an
// old span start read after a refresh stays before its children). Anchors
// are integers: a double holding Unix nanoseconds has a 256 ns step.
class TickConverter {
 public:
  TickConverter() noexcept {
    ticks_slow();  // resolves the clock source before the first sample
    source_ = g_clock_source.load(std::memory_order_relaxed);
    const Sample first = sample();
    double rate = 1.0;
    if (source_ == ClockSource::counter) {
      stated_rate_ = platform::counter_ns_per_tick();
      rate = stated_rate_;
      if (rate <= 0) {
        platform::sleep_ms(10);
        const Sample second = sample();
        rate = static_cast<double>(second.mono - first.mono) / static_cast<double>(second.tick - first.tick);
      }
    }
    origin_ = first;
    segments_[0] = Segment{first.tick, first.real, rate};
    count_ = 1;
  }

  std::uint64_t to_unix_ns(std::uint64_t tick) const noexcept {
    // Newest first: almost every tick falls in the newest segment or the one before.
    std::size_t i = count_ - 1;
    while (i > 0 && static_cast<std::int64_t>(tick - segments_[i].tick) < 0) --i;
    return segments_[i].convert(tick);
  }

  // Re-measures the tick rate over the whole time since construction and
  // slews towards the wall clock over the next second instead of stepping.
  // Calls closer than kMinSegmentNs to the last refresh change nothing.
  void refresh() noexcept {
    const Sample now = sample();
    const Segment& last = segments_[count_ - 1];
    if (static_cast<double>(static_cast<std::int64_t>(now.tick - last.tick)) * last.rate < kMinSegmentNs) return;
    double measured = stated_rate_ > 0 ? stated_rate_ : 1.0;
    if (source_ == ClockSource::counter && stated_rate_ <= 0 && now.tick > origin_.tick && now.mono > origin_.mono)
      measured = static_cast<double>(now.mono - origin_.mono) / static_cast<double>(now.tick - origin_.tick);
    const std::uint64_t here = last.convert(now.tick);
    const double slew_ticks = 1e9 / measured;  // one second of ticks
    double rate = (static_cast<double>(static_cast<std::int64_t>(now.real - here)) + 1e9) / slew_ticks;
    // Never run backwards or more than 10 % off the measured rate.
    if (rate < measured * 0.9) rate = measured * 0.9;
    if (rate > measured * 1.1) rate = measured * 1.1;
    if (count_ == kSegments) {
      // Ticks older than the history are extrapolated from the oldest segment kept.
      for (std::size_t i = 1; i < kSegments; ++i) segments_[i - 1] = segments_[i];
      --count_;
    }
    segments_[count_++] = Segment{now.tick, here, rate};
  }

  // The end of tick `tick`: not before any instant the tick covers, and at
  // least 1 ns after its start (ticks shorter than 1 ns convert alike).
  // Monotonic in `tick`, so intervals nested in ticks stay nested in ns.
  std::uint64_t end_of_tick_ns(std::uint64_t tick) const noexcept {
    const std::uint64_t next = to_unix_ns(tick + 1);
    const std::uint64_t after_start = to_unix_ns(tick) + 1;
    return next > after_start ? next : after_start;
  }

  double ns_per_tick() const noexcept { return segments_[count_ - 1].rate; }

 private:
  // 64 segments at least 50 ms apart: ticks up to 3 s old (more when refresh
  // is called less often) convert exactly as they did when they were new.
  static constexpr std::size_t kSegments = 64;
  static constexpr double kMinSegmentNs = 50e6;

  struct Sample {
    std::uint64_t tick, mono, real;
  };

  struct Segment {
    std::uint64_t tick;  // first tick of the segment
    std::uint64_t ns;    // its Unix time
    double rate;         // ns per tick from there on

    std::uint64_t convert(std::uint64_t t) const noexcept {
      // Truncation is monotonic, so each segment is, and they join end to end.
      const auto delta = static_cast<std::int64_t>(static_cast<double>(static_cast<std::int64_t>(t - tick)) * rate);
      if (delta < 0 && static_cast<std::uint64_t>(-delta) > ns) return 0;
      return ns + static_cast<std::uint64_t>(delta);
    }
  };

  // Brackets the clock reads with two counter reads and keeps the midpoint.
  Sample sample() const noexcept {
    const std::uint64_t before = ticks();
    const std::uint64_t mono = monotonic_ns();
    const std::uint64_t real = realtime_ns();
    const std::uint64_t after = ticks();
    return Sample{before + (after - before) / 2, mono, real};
  }

  ClockSource source_ = ClockSource::monotonic;
  double stated_rate_ = 0;  // ns per tick the hardware states; 0: measured
  Sample origin_{};
  Segment segments_[kSegments]{};
  std::size_t count_ = 0;
};

}  // namespace trail::detail
