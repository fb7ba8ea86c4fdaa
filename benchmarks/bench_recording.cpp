// Recording side: what a span costs the thread that records it, against two
// raw counter reads (the budget's unit) and steady_clock::now() in the same run.
//
// A background thread drains every ring while the benchmarks run; otherwise
// rings fill and the numbers measure the (cheaper) drop path. It releases
// what was written without reading it: a Collector (~200 ns a span) or even
// a thread reading every line (a 3-attribute span writes 256 bytes, ~10 GB/s
// at this rate) cannot keep up with back-to-back spans on 2 shared cores.
// The rings are 32 MiB, so the producer's writes miss its caches as they
// would with a real flusher. Each case reports the spans it dropped per
// iteration ("dropped"), which should be 0, and the spans it recorded.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>
#include <thread>

#include <trail/trail.hpp>

namespace {

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
      for (auto* ring = trail::detail::g_state.rings.load(std::memory_order_acquire); ring; ring = ring->next)
        ring->release(ring->write_position());
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }

  std::atomic<bool> stop_{false};
  std::thread thread_;
};

BackgroundDrain g_drain;

// Spans this thread recorded and dropped (ring full) while a case ran, per
// iteration: "recorded" proves the work was done, "dropped" should be 0.
class SpanCounter {
 public:
  SpanCounter() {
    trail::detail::thread_state();  // the thread's first span registers its ring: not timed
    ring_ = trail::detail::t_state.ring;
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

inline constexpr trail::EventType<std::int64_t, double, std::string_view> nav_query{
    "nav.query", trail::SpanKind::internal, "nav.nodes", "nav.cost", "nav.target"};

void BM_TwoRawCounterReads(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(trail::detail::raw_counter());
    benchmark::DoNotOptimize(trail::detail::raw_counter());
  }
}
BENCHMARK(BM_TwoRawCounterReads);

void BM_SteadyClockNow(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(std::chrono::steady_clock::now());
}
BENCHMARK(BM_SteadyClockNow);

void BM_EmptySpan(benchmark::State& state) {
  SpanCounter spans;
  for (auto _ : state) {
    TRAIL_SPAN("empty");
  }
  spans.report(state);
}
BENCHMARK(BM_EmptySpan);

void BM_SpanWith3Attributes(benchmark::State& state) {
  SpanCounter spans;
  std::int64_t nodes = 0;
  for (auto _ : state) {
    TRAIL_SPAN_VAR(s, "score");
    s.set("nodes", ++nodes);
    s.set("cost", 2.5);
    s.set("target", "home");
  }
  spans.report(state);
}
BENCHMARK(BM_SpanWith3Attributes);

__attribute__((noinline)) void instrumented_function() {
  TRAIL_FUNCTION();
  benchmark::ClobberMemory();
}

void BM_TrailFunction(benchmark::State& state) {
  SpanCounter spans;
  for (auto _ : state) instrumented_function();
  spans.report(state);
}
BENCHMARK(BM_TrailFunction);

void BM_EventTypeWith3Attributes(benchmark::State& state) {
  SpanCounter spans;
  std::int64_t nodes = 0;
  for (auto _ : state) {
    TRAIL_EVENT(q, nav_query, ++nodes, 2.5, "home");
  }
  spans.report(state);
}
BENCHMARK(BM_EventTypeWith3Attributes);

void BM_DisabledAtRunTime(benchmark::State& state) {
  trail::set_enabled(false);
  for (auto _ : state) {
    TRAIL_SPAN("off");
  }
  trail::set_enabled(true);
}
BENCHMARK(BM_DisabledAtRunTime);

void BM_EmptySpan_TwoThreads(benchmark::State& state) {
  SpanCounter spans;
  for (auto _ : state) {
    TRAIL_SPAN("empty");
  }
  spans.report(state);
}
BENCHMARK(BM_EmptySpan_TwoThreads)->Threads(2);

}  // namespace
