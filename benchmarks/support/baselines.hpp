// What the recording-side benchmarks share: a background thread that keeps
// the rings drained, a per-case count of spans recorded and dropped, and the
// baselines every budget is stated against (two raw counter reads, an empty
// span), so that each benchmark binary measures them in the same run.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include <benchmark/benchmark.h>
#include <trail/trail.hpp>

namespace trail::bench {

// Releases what the rings hold without reading it: a Collector (~200 ns a
// span) cannot keep up with back-to-back spans on 2 shared cores. Rings are
// 32 MiB, so the producer's writes miss its caches as with a real flusher.
class BackgroundDrain {
 public:
  BackgroundDrain() {
    trail::set_ring_capacity(1u << 19);  // 32 MiB a thread: milliseconds of spans between drains
    thread_ = std::thread([this] { run(); });
  }
  ~BackgroundDrain() {
    stop_.store(true);
    thread_.join();
  }

 private:
  void run() {
    while (!stop_.load(std::memory_order_relaxed)) {
      for (auto* ring = trail::detail::process().rings.load(std::memory_order_acquire); ring; ring = ring->next)
        ring->release(ring->write_position());
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }

  std::atomic<bool> stop_{false};
  std::thread thread_;
};

inline BackgroundDrain g_drain;

// Spans this thread recorded and dropped (ring full) while a case ran, per
// iteration: "recorded" proves the work was done, "dropped" should be 0.
class SpanCounter {
 public:
  SpanCounter() {
    trail::detail::thread_state();  // the thread's first span registers its ring: not timed
    ring_ = trail::detail::this_thread().ring;
    recorded_ = ring_->spans_recorded();
    dropped_ = ring_->spans_dropped();
  }
  void report(benchmark::State& state) const {
    using benchmark::Counter;
    const auto per_iteration = [](std::uint64_t n) { return Counter(static_cast<double>(n), Counter::kAvgIterations); };
    state.counters["recorded"] = per_iteration(ring_->spans_recorded() - recorded_);
    state.counters["dropped"] = per_iteration(ring_->spans_dropped() - dropped_);
  }

 private:
  const trail::detail::Ring* ring_;
  std::uint64_t recorded_, dropped_;
};


inline void TwoRawCounterReads(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(trail::detail::raw_counter());
    benchmark::DoNotOptimize(trail::detail::raw_counter());
  }
}

inline void EmptySpan(benchmark::State& state) {
  SpanCounter spans;
  for (auto _ : state) {
    TRAIL_SPAN("empty");
  }
  spans.report(state);
}

}  // namespace trail::bench
