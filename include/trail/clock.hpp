// The hot-path clock: raw ticks of the cheapest invariant counter, converted
// to Unix nanoseconds later, on the consumer side (as Tracy does).
//
//   x86-64   rdtsc, only when CPUID reports an invariant TSC
//   aarch64  cntvct_el0
//   other    CLOCK_MONOTONIC nanoseconds
#pragma once

#include <atomic>
#include <cstdint>
#include <time.h>

#include "config.hpp"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace trail::detail {

enum class ClockSource : std::uint8_t { unknown, counter, monotonic };

inline std::atomic<ClockSource> g_clock_source{ClockSource::unknown};

inline std::uint64_t monotonic_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

inline std::uint64_t realtime_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

inline std::uint64_t raw_counter() noexcept {
#if defined(__x86_64__)
  return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
  std::uint64_t v;
  asm volatile("mrs %0, cntvct_el0" : "=r"(v));
  return v;
#else
  return monotonic_ns();
#endif
}

inline ClockSource detect_clock_source() noexcept {
#if defined(__x86_64__)
  unsigned eax, ebx, ecx, edx;
  // CPUID.80000007H:EDX[8] = invariant TSC: constant rate in every P-/C-state.
  if (__get_cpuid(0x80000007u, &eax, &ebx, &ecx, &edx) && (edx & (1u << 8))) return ClockSource::counter;
  return ClockSource::monotonic;
#elif defined(__aarch64__)
  return ClockSource::counter;
#else
  return ClockSource::monotonic;
#endif
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

// Maps ticks to Unix nanoseconds. Lives on the consumer side: the first
// calibration sleeps 10 ms, and refresh() keeps the mapping continuous while
// it converges on the measured rate (so converted times never jump back).
class TickConverter {
 public:
  TickConverter() noexcept {
    ticks_slow();  // resolves the clock source before the first sample
    source_ = g_clock_source.load(std::memory_order_relaxed);
    const Sample first = sample();
    if (source_ == ClockSource::counter) {
      const timespec pause{0, 10'000'000};
      nanosleep(&pause, nullptr);
      const Sample second = sample();
      ns_per_tick_ = static_cast<double>(second.mono - first.mono) / static_cast<double>(second.tick - first.tick);
    }
    measured_ns_per_tick_ = ns_per_tick_;
    origin_ = first;
    anchor_tick_ = first.tick;
    anchor_ns_ = static_cast<double>(first.real);
  }

  std::uint64_t to_unix_ns(std::uint64_t tick) const noexcept {
    const double delta = static_cast<double>(static_cast<std::int64_t>(tick - anchor_tick_)) * ns_per_tick_;
    const double ns = anchor_ns_ + delta;
    return ns <= 0 ? 0 : static_cast<std::uint64_t>(ns);
  }

  // Re-measures the tick rate over the whole time since construction and
  // slews towards the wall clock over the next second instead of stepping.
  void refresh() noexcept {
    const Sample now = sample();
    if (source_ == ClockSource::counter && now.tick - origin_.tick > 0 && now.mono > origin_.mono) {
      measured_ns_per_tick_ = static_cast<double>(now.mono - origin_.mono) / static_cast<double>(now.tick - origin_.tick);
    } else if (source_ != ClockSource::counter) {
      measured_ns_per_tick_ = 1.0;
    }
    const double here = static_cast<double>(to_unix_ns(now.tick));
    const double slew_ticks = 1e9 / measured_ns_per_tick_;  // one second of ticks
    const double target = static_cast<double>(now.real) + 1e9;
    double rate = (target - here) / slew_ticks;
    // Never run backwards or more than 10 % off the measured rate.
    if (rate < measured_ns_per_tick_ * 0.9) rate = measured_ns_per_tick_ * 0.9;
    if (rate > measured_ns_per_tick_ * 1.1) rate = measured_ns_per_tick_ * 1.1;
    anchor_tick_ = now.tick;
    anchor_ns_ = here;
    ns_per_tick_ = rate;
  }

  double ns_per_tick() const noexcept { return ns_per_tick_; }

 private:
  struct Sample {
    std::uint64_t tick, mono, real;
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
  Sample origin_{};
  std::uint64_t anchor_tick_ = 0;
  double anchor_ns_ = 0;
  double ns_per_tick_ = 1.0;
  double measured_ns_per_tick_ = 1.0;
};

}  // namespace trail::detail
