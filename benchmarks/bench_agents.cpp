// Agent-level recording costs against an empty span in the same run:
// GenAI event type spans, session activation, sampled vs unsampled spans.
// A background thread drains the rings with a Collector, as the flusher
// would; `dropped` counts spans per iteration lost to a full ring.
#include <trail/export/collector.hpp>
#include <trail/trail.hpp>
#include <trail/genai.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace {

class Drainer {
 public:
  Drainer() : thread_([this] { run(); }) {}
  ~Drainer() {
    stop_.store(true);
    thread_.join();
  }

 private:
  void run() {
    std::vector<trail::SpanData> spans;
    while (!stop_.load()) {
      spans.clear();
      if (collector_.collect(spans) == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }

  trail::detail::Collector collector_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Started by the first benchmark; the ring is sized so the drainer keeps up.
void start_drainer() {
  static const bool ring_sized = (trail::set_ring_capacity(1u << 18), true);
  static Drainer drainer;
  (void)ring_sized;
}

// Runs a benchmark body in batches; between batches, with the clock stopped,
// waits for the drainer to empty this thread's ring (it is slower than a tight
// loop of spans), so that no span is dropped and every one pays for its
// writes. `dropped` reports spans per iteration lost anyway.
class Paced {
 public:
  static constexpr benchmark::IterationCount batch = 1024;

  explicit Paced(benchmark::State& state) : state_(state) {
    start_drainer();
    { TRAIL_SPAN("warm-up"); }  // the thread's ring exists from here on
    ring_ = trail::detail::this_thread().ring;
    before_ = ring_->spans_dropped();
  }
  ~Paced() {
    state_.counters["dropped"] = benchmark::Counter(static_cast<double>(ring_->spans_dropped() - before_),
                                                    benchmark::Counter::kAvgIterations);
  }

  bool next_batch() {
    if (!state_.KeepRunningBatch(batch)) return false;
    if (ring_->write_position() - ring_->read_position() > ring_->capacity() / 4) {
      state_.PauseTiming();
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      while (ring_->write_position() - ring_->read_position() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::yield();
      state_.ResumeTiming();
    }
    return true;
  }

 private:
  benchmark::State& state_;
  const trail::detail::Ring* ring_ = nullptr;
  std::uint64_t before_ = 0;
};

#define TRAIL_BENCH_LOOP(paced) \
  while ((paced).next_batch())  \
    for (benchmark::IterationCount i_ = 0; i_ < Paced::batch; ++i_)

void BM_Baseline_EmptySpan(benchmark::State& state) {
  Paced paced(state);
  TRAIL_BENCH_LOOP(paced) {
    TRAIL_SPAN("empty");
  }
}
BENCHMARK(BM_Baseline_EmptySpan);

void BM_Baseline_ContextScope(benchmark::State& state) {
  Paced paced(state);
  TRAIL_SPAN("parent");
  const trail::Context ctx = trail::current();
  TRAIL_BENCH_LOOP(paced) {
    trail::ContextScope scope(ctx);
    benchmark::DoNotOptimize(trail::detail::this_thread().current);
  }
}
BENCHMARK(BM_Baseline_ContextScope);

void BM_SessionActivate(benchmark::State& state) {
  Paced paced(state);
  trail::Session session("bench", "npc");
  TRAIL_BENCH_LOOP(paced) {
    auto on = session.activate();
    benchmark::DoNotOptimize(trail::detail::this_thread().current);
  }
}
BENCHMARK(BM_SessionActivate);

// The game's pattern: 500 NPC sessions on one thread, each activated in
// turn for one span.
void BM_SessionActivate_Span_500Sessions(benchmark::State& state) {
  Paced paced(state);
  std::vector<trail::Session> npcs;
  npcs.reserve(500);
  for (int i = 0; i < 500; ++i) npcs.emplace_back("npc", "npc");
  std::size_t next = 0;
  TRAIL_BENCH_LOOP(paced) {
    auto on = npcs[next].activate();
    TRAIL_SPAN("tick");
    next = next + 1 == npcs.size() ? 0 : next + 1;
  }
}
BENCHMARK(BM_SessionActivate_Span_500Sessions);

void BM_SessionStartEnd(benchmark::State& state) {
  Paced paced(state);
  TRAIL_BENCH_LOOP(paced) {
    trail::Session session("episode", "npc", "npc-1", {"bench"});
    session.end(trail::EndState::success);
  }
}
BENCHMARK(BM_SessionStartEnd);

void BM_LlmCall_StartFinish(benchmark::State& state) {
  Paced paced(state);
  TRAIL_BENCH_LOOP(paced) {
    trail::genai::LlmCall call(trail::genai::Operation::chat, "openai", "gpt-4o");
    call.finish("gpt-4o-2024-08-06", {"stop"}, 812, 64);
  }
}
BENCHMARK(BM_LlmCall_StartFinish);

void BM_ToolCall(benchmark::State& state) {
  Paced paced(state);
  TRAIL_BENCH_LOOP(paced) {
    trail::genai::ToolCall tool("find_path", "call-17", "function");
  }
}
BENCHMARK(BM_ToolCall);

void BM_Action_2Params(benchmark::State& state) {
  Paced paced(state);
  TRAIL_BENCH_LOOP(paced) {
    trail::genai::Action move("move");
    move.set("target.x", 3.5).set("target.y", -1.0);
  }
}
BENCHMARK(BM_Action_2Params);

// Root spans: the sampler decides each one.
void BM_RootSpan_Sampled(benchmark::State& state) {
  Paced paced(state);
  trail::set_sampler(trail::SamplerKind::always_on);
  TRAIL_BENCH_LOOP(paced) {
    TRAIL_SPAN("sampled");
  }
  trail::set_sampler(trail::SamplerKind::parentbased_always_on);
}
BENCHMARK(BM_RootSpan_Sampled);

void BM_RootSpan_Unsampled(benchmark::State& state) {
  Paced paced(state);
  trail::set_sampler(trail::SamplerKind::always_off);
  TRAIL_BENCH_LOOP(paced) {
    TRAIL_SPAN("unsampled");
  }
  trail::set_sampler(trail::SamplerKind::parentbased_always_on);
}
BENCHMARK(BM_RootSpan_Unsampled);

// Children inherit: no sampler call, an unsampled child writes nothing.
void BM_ChildSpan_Sampled(benchmark::State& state) {
  Paced paced(state);
  trail::set_sampler(trail::SamplerKind::always_on);
  TRAIL_SPAN("sampled parent");
  TRAIL_BENCH_LOOP(paced) {
    TRAIL_SPAN("child");
  }
  trail::set_sampler(trail::SamplerKind::parentbased_always_on);
}
BENCHMARK(BM_ChildSpan_Sampled);

void BM_ChildSpan_Unsampled(benchmark::State& state) {
  Paced paced(state);
  trail::set_sampler(trail::SamplerKind::always_off);
  TRAIL_SPAN("unsampled parent");
  TRAIL_BENCH_LOOP(paced) {
    TRAIL_SPAN("child");
  }
  trail::set_sampler(trail::SamplerKind::parentbased_always_on);
}
BENCHMARK(BM_ChildSpan_Unsampled);

}  // namespace
