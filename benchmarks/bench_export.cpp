// The export pipeline end to end (budget from DESIGN.md: >= 1 M spans/s
// exported with zero drops), and what recording costs while the flusher
// exports, against the same empty span with the flusher idle.
//
// The receiver is trail's loopback test server answering 200 at once (it still
// reads every body); its CPU time is taken at each request on its own thread,
// so the flusher's share is process CPU - producer CPU - receiver CPU.
#include <benchmark/benchmark.h>

#include <trail/runtime.hpp>

#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <thread>

#include <sys/resource.h>

#include "../tests/support/http_test_server.hpp"

namespace {

using namespace std::chrono_literals;
using trail::test::HttpTestServer;
using trail::test::Reply;
using trail::test::Request;

constexpr std::uint32_t kRing = 1u << 20;  // records (64 MiB): a run never fills it

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// A receiver that discards, and remembers its own thread's CPU time.
struct DiscardingReceiver {
  std::atomic<double> cpu{0};
  HttpTestServer server{[this](const Request&) {
                          cpu.store(thread_cpu_seconds(), std::memory_order_relaxed);
                          return Reply::ok("{}");
                        },
                        trail::test::ServerOptions{false, /*keep_requests=*/false}};
};

trail::Config otlp_to(const HttpTestServer& server, std::chrono::milliseconds schedule_delay) {
  trail::Config c;
  c.settings.traces_exporters = {trail::ExporterKind::otlp};
  c.settings.metrics_exporters = {};
  c.settings.traces_endpoint = server.url("/v1/traces");
  c.settings.bsp_schedule_delay = schedule_delay;
  c.settings.ring_capacity = kRing;
  return c;
}

// One producer records empty spans as fast as it can; the flusher drains every
// millisecond and exports batches of 512 to the discarding receiver. Each
// iteration is 64 Ki spans, all exported (flush) before it ends.
void BM_EndToEnd_Export(benchmark::State& state) {
  constexpr int kSpans = 1 << 16;
  DiscardingReceiver receiver;
  if (!receiver.server.ok()) return state.SkipWithError("no loopback server");
  trail::init(otlp_to(receiver.server, 1ms));
  bool flushed = true;
  const double cpu0 = process_cpu_seconds(), producer0 = thread_cpu_seconds(), receiver0 = receiver.cpu.load();
  for (auto _ : state) {
    for (int i = 0; i < kSpans; ++i) {
      TRAIL_SPAN("work");
    }
    flushed = trail::flush(30s) && flushed;
  }
  const double producer = thread_cpu_seconds() - producer0;
  const double total = process_cpu_seconds() - cpu0;
  const double receiver_cpu = receiver.cpu.load() - receiver0;
  const trail::Stats s = trail::stats();
  trail::shutdown();
  if (!flushed) state.SkipWithError("a flush failed");
  const double spans = static_cast<double>(state.iterations()) * kSpans;
  state.SetItemsProcessed(static_cast<std::int64_t>(spans));
  state.counters["dropped"] = static_cast<double>(s.spans_dropped());
  state.counters["exported"] = static_cast<double>(s.spans_exported);
  state.counters["flusher_ns_per_span"] = (total - producer - receiver_cpu) / spans * 1e9;
  state.counters["producer_ns_per_span"] = producer / spans * 1e9;
  state.counters["receiver_ns_per_span"] = receiver_cpu / spans * 1e9;
}
BENCHMARK(BM_EndToEnd_Export)->UseRealTime()->Unit(benchmark::kMillisecond)->Repetitions(5)->ReportAggregatesOnly(true);

// An empty span, with the flusher in one of three states:
//   0  idle (nothing to export until the run ends),
//   1  waiting on a slow receiver (a 2 s answer) for an earlier batch,
//   2  busy draining and exporting these very spans to the discarding receiver.
// A fixed iteration count keeps every run inside the ring: no span takes the
// drop path, so the three numbers compare the same work.
void BM_EmptySpan_Flusher(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  DiscardingReceiver fast;
  HttpTestServer slow([](const Request&) {
    Reply r = Reply::ok("{}");
    r.delay = 2000ms;
    return r;
  });
  if (!fast.server.ok() || !slow.ok()) return state.SkipWithError("no loopback server");
  trail::init(mode == 1 ? otlp_to(slow, 60s) : otlp_to(fast.server, mode == 2 ? 1ms : 60s));

  std::atomic<bool> outstanding{false};
  std::thread backlog;
  if (mode == 1) {  // an export in flight to the slow receiver
    for (int i = 0; i < 512; ++i) {
      TRAIL_SPAN("backlog");
    }
    backlog = std::thread([&] {
      outstanding = true;
      trail::flush(30s);
      outstanding = false;
    });
    while (slow.request_count() == 0 && outstanding) std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(20ms);  // the request is on the wire, the flusher waits
  }
  for (auto _ : state) {
    TRAIL_SPAN("empty");
  }
  const bool still_outstanding = outstanding;
  slow.set_handler([](const Request&) { return Reply::ok("{}"); });  // shutdown exports the rest at once
  if (backlog.joinable()) backlog.join();
  const trail::Stats s = trail::stats();
  trail::shutdown();
  if (mode == 1 && !still_outstanding) state.SkipWithError("the slow export ended before the loop did");
  state.counters["dropped"] = static_cast<double>(s.spans_dropped());
}
BENCHMARK(BM_EmptySpan_Flusher)
    ->ArgName("flusher")  // 0 idle, 1 waiting on a slow receiver, 2 exporting
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Iterations(400000)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

}  // namespace
