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

#include "support/baselines.hpp"

namespace {

using trail::bench::SpanCounter;

inline constexpr trail::EventType<std::int64_t, double, std::string_view> nav_query{
    "nav.query", trail::SpanKind::internal, "nav.nodes", "nav.cost", "nav.target"};

BENCHMARK(trail::bench::TwoRawCounterReads);

void BM_SteadyClockNow(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(std::chrono::steady_clock::now());
}
BENCHMARK(BM_SteadyClockNow);

BENCHMARK(trail::bench::EmptySpan);

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
