// Cost of one measurement on an existing series, against two raw counter
// reads and an empty span in the same run (the budget: at most an empty span).
#include <trail/metrics.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>

#include "support/baselines.hpp"

namespace {

trail::Counter<std::int64_t> counter{"bench.counter", "{op}", ""};
trail::Counter<double> dcounter{"bench.dcounter"};
trail::Histogram<double> histogram{"bench.histogram", "ms", ""};
trail::Gauge<double> gauge{"bench.gauge", "ms", ""};

BENCHMARK(trail::bench::TwoRawCounterReads);
BENCHMARK(trail::bench::EmptySpan);

void BM_CounterAdd(benchmark::State& state) {
  for (auto _ : state) counter.add(1);
}
BENCHMARK(BM_CounterAdd);

void BM_CounterAdd_Double(benchmark::State& state) {
  for (auto _ : state) dcounter.add(0.5);
}
BENCHMARK(BM_CounterAdd_Double);

void BM_CounterAdd_2Attrs(benchmark::State& state) {
  for (auto _ : state) counter.add(1, {{"model", "gpt-4o"}, {"ok", true}});
}
BENCHMARK(BM_CounterAdd_2Attrs);

void BM_CounterAdd_4Attrs(benchmark::State& state) {
  for (auto _ : state)
    counter.add(1, {{"gen_ai.request.model", "gpt-4o-mini"}, {"ok", true}, {"retries", 2}, {"temperature", 0.7}});
}
BENCHMARK(BM_CounterAdd_4Attrs);

void BM_HistogramRecord(benchmark::State& state) {
  double v = 0;
  for (auto _ : state) {
    histogram.record(v);
    v = v < 12000 ? v + 7.25 : 0;  // walks every bucket
  }
}
BENCHMARK(BM_HistogramRecord);

void BM_HistogramRecord_2Attrs(benchmark::State& state) {
  double v = 0;
  for (auto _ : state) {
    histogram.record(v, {{"model", "gpt-4o"}, {"ok", true}});
    v = v < 12000 ? v + 7.25 : 0;
  }
}
BENCHMARK(BM_HistogramRecord_2Attrs);

// The same series bound once: no attribute hashing per record.
void BM_CounterAdd_2Attrs_Bound(benchmark::State& state) {
  auto bound = counter.bind({{"model", "gpt-4o"}, {"ok", true}});
  for (auto _ : state) bound.add(1);
}
BENCHMARK(BM_CounterAdd_2Attrs_Bound);

void BM_HistogramRecord_2Attrs_Bound(benchmark::State& state) {
  auto bound = histogram.bind({{"model", "gpt-4o"}, {"ok", true}});
  double v = 0;
  for (auto _ : state) {
    bound.record(v);
    v = v < 12000 ? v + 7.25 : 0;
  }
}
BENCHMARK(BM_HistogramRecord_2Attrs_Bound);

void BM_GaugeRecord(benchmark::State& state) {
  double v = 0;
  for (auto _ : state) gauge.record(v += 1);
}
BENCHMARK(BM_GaugeRecord);

void BM_GaugeRecord_2Attrs(benchmark::State& state) {
  double v = 0;
  for (auto _ : state) gauge.record(v += 1, {{"scene", "menu"}, {"lod", 2}});
}
BENCHMARK(BM_GaugeRecord_2Attrs);

}  // namespace
