// Frames (TRAIL_FRAME): what frame.number costs a span, against the same
// spans recorded without frames, in the same run.
//
// Each iteration records a batch of 512 spans named "update" (with frames: a
// TRAIL_FRAME every 64 spans, 8 frames), then a Collector of the case's own
// rebuilds them. BM_Record times the recording only, BM_Collect the
// collector only (where frame.number is added), per "update" span. Both
// report what the "update" spans take in OTLP/JSON and OTLP/protobuf
// (bytes per span; the frame spans themselves are left out of that count).
// Not covered: the exporter's HTTP path (bytes decide it), spans of other
// threads (their loop lookup is the same scan).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include <trail/export/collector.hpp>
#include <trail/export/otlp_json.hpp>
#include <trail/export/otlp_proto.hpp>
#include <trail/frame.hpp>
#include <trail/trail.hpp>

#include "support/collected_batch.hpp"

namespace {

constexpr int kSpans = 512, kSpansPerFrame = 64;

void frame_of_spans(int count) {
  TRAIL_FRAME("bench");
  for (int i = 0; i < count; ++i) {
    TRAIL_SPAN("update");
  }
}

void record_batch(bool frames) {
  if (frames) {
    for (int f = 0; f < kSpans / kSpansPerFrame; ++f) frame_of_spans(kSpansPerFrame);
  } else {
    for (int i = 0; i < kSpans; ++i) {
      TRAIL_SPAN("update");
    }
  }
}

// Bytes per "update" span in both encodings (frame spans left out).
void report_bytes(benchmark::State& state, const std::vector<trail::SpanData>& spans) {
  std::vector<trail::SpanData> updates;
  for (const auto& s : spans)
    if (s.name == "update") updates.push_back(s);
  if (updates.empty()) return;
  std::string json, proto;
  trail::detail::write_trace_request(json, trail::bench::resource(), trail::bench::scope, updates.data(),
                                     updates.size());
  trail::detail::write_trace_request_proto(proto, trail::bench::resource(), trail::bench::scope, updates.data(),
                                           updates.size());
  const auto n = static_cast<double>(updates.size());
  state.counters["json_B_per_span"] = static_cast<double>(json.size()) / n;
  state.counters["proto_B_per_span"] = static_cast<double>(proto.size()) / n;
  state.counters["frame_number"] = trail::find_attribute(updates.back().attributes, "frame.number") != nullptr;
}

// The thread's ring and the frame histogram's series, made and read before
// a case's collector starts (which must not see this frame mark).
void warm_up() {
  frame_of_spans(1);
  std::vector<trail::SpanData> spans;
  trail::detail::Collector().collect_all(spans);
}

void BM_Record(benchmark::State& state) {
  const bool frames = state.range(0) != 0;
  warm_up();
  trail::detail::Collector collector;
  std::vector<trail::SpanData> spans;
  for (auto _ : state) {
    record_batch(frames);
    state.PauseTiming();
    spans.clear();
    collector.collect_all(spans);
    state.ResumeTiming();
  }
  report_bytes(state, spans);
  state.SetItemsProcessed(state.iterations() * kSpans);
}
BENCHMARK(BM_Record)->ArgName("frames")->Arg(0)->Arg(1);

void BM_Collect(benchmark::State& state) {
  const bool frames = state.range(0) != 0;
  warm_up();
  trail::detail::Collector collector;
  std::vector<trail::SpanData> spans;
  for (auto _ : state) {
    state.PauseTiming();
    spans.clear();
    record_batch(frames);
    state.ResumeTiming();
    collector.collect_all(spans);
  }
  report_bytes(state, spans);
  state.SetItemsProcessed(state.iterations() * kSpans);
}
BENCHMARK(BM_Collect)->ArgName("frames")->Arg(0)->Arg(1);

}  // namespace
