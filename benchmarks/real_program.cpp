// Recording and exporting as a real program sees them (issue: "performance as
// a real program sees it"). Built twice, at -O2 (what users build with) and
// -O3: real_program_O2, real_program_O3.
//
// Unlike the micro-benchmarks beside it, everything here runs with trail
// initialised as a program would: the default ring (16,384 records), the real
// flusher reading every record, rebuilding spans and exporting OTLP/JSON over
// HTTP to a loopback receiver that discards. Spans are children of a frame
// span, recorded in bursts with a pause between bursts (a frame's work), and
// every case is measured in the same run as its baseline, two raw counter
// reads, so only ratios are quoted.
//
// Sections (each prints its own lines):
//   burst      mean cost of a span inside a burst, median over bursts
//   latency    single-operation latency percentiles, rdtsc fenced, 1e6 samples
//   new-thread first 1000 spans of a fresh thread against the same thread warm
//   drop       a span into a full ring against a span that fits
//   export     flusher thread CPU per span, bytes per span on the wire
//   flat-out   delivered spans/s and drops, one producer, 3 attributes
//   paced      1 M spans/s target for 1 s: drops and flusher share of a core
//   remote     bursts of 11,000 spans at 200 k/s while every request takes
//              20 ms (a remote collector), queue 2048 and 16384: drops at
//              the ring
//   idle       wake-ups per second of trail's threads with nothing recorded
//
// Options: --quick (fewer samples, for CI smoke runs); --burst-only (only
// the burst section: for repeated runs when comparing two builds);
// --export-only (only the export side: paced at 200 k spans/s, which the
// flusher keeps up with, then flat out, then spans with an event and a link
// paced at 200 k/s; for comparing two builds);
// --pinned (the producer on one CPU, trail's flusher and the receiver on the
// others: the recording rows without the program's own preemptions);
// --protobuf (export OTLP/HTTP protobuf instead of JSON);
// --remote-only (only the remote section).
//
// The export rows count the flusher thread's heap allocations (operator new,
// replaced below; malloc called directly, as by zlib or OpenSSL, is not seen).
#include <trail/runtime.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <sched.h>
#include <cstdlib>
#include <fstream>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "../tests/support/http_test_server.hpp"

// Heap allocations of the calling thread (operator new replaced for the process).
thread_local std::uint64_t t_allocations = 0;

void* operator new(std::size_t n) {
  ++t_allocations;
  if (void* p = std::malloc(n != 0 ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
// Not inlined: g++ would then see free() of what `new` returned (-Wmismatched-new-delete).
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace std::chrono_literals;
using trail::test::HttpTestServer;
using trail::test::Reply;
using trail::test::Request;

bool g_quick = false;
bool g_protobuf = false;  // --protobuf: OTLP/HTTP protobuf instead of JSON

// rdtsc with fences on both sides, so that the timed operation cannot move
// across it (the percentiles below measure one operation).
inline std::uint64_t fenced_rdtsc() noexcept {
  __builtin_ia32_lfence();
  const std::uint64_t t = __builtin_ia32_rdtsc();
  __builtin_ia32_lfence();
  return t;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double ticks_per_ns() {
  static const double value = [] {
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t c0 = __builtin_ia32_rdtsc();
    std::this_thread::sleep_for(50ms);
    const std::uint64_t c1 = __builtin_ia32_rdtsc();
    const auto t1 = std::chrono::steady_clock::now();
    return static_cast<double>(c1 - c0) / static_cast<double>(std::chrono::nanoseconds(t1 - t0).count());
  }();
  return value;
}

void spin_ns(double ns) {
  const std::uint64_t until = __builtin_ia32_rdtsc() + static_cast<std::uint64_t>(ns * ticks_per_ns());
  while (__builtin_ia32_rdtsc() < until) __builtin_ia32_pause();
}

template <class T>
T percentile(std::vector<T> v, double p) {
  if (v.empty()) return T{};
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// The operations measured. Each is what one loop iteration of a program does.
struct RawReads {
  static constexpr const char* name = "two raw counter reads";
  TRAIL_FORCE_INLINE static void run(std::int64_t) {
    std::uint64_t a = trail::detail::raw_counter();
    std::uint64_t b = trail::detail::raw_counter();
    asm volatile("" : : "r"(a), "r"(b) : "memory");
  }
};

struct EmptySpan {
  static constexpr const char* name = "empty child span";
  TRAIL_FORCE_INLINE static void run(std::int64_t) { TRAIL_SPAN("child"); }
};

struct ThreeAttributes {
  static constexpr const char* name = "child span + 3 attributes";
  TRAIL_FORCE_INLINE static void run(std::int64_t i) {
    TRAIL_SPAN_VAR(s, "score");
    s.set("nodes", i);
    s.set("cost", 2.5);
    s.set("target", "home");
  }
};

// A span with an event and a link, each with attributes (strings longer than
// the small-string buffer): what the export side rebuilds beyond attributes.
struct EventAndLink {
  static constexpr const char* name = "child span + event + link";
  TRAIL_FORCE_INLINE static void run(std::int64_t i) {
    static const trail::Context previous{trail::TraceId{1, 2}, trail::SpanId{3}, 1};
    TRAIL_SPAN_VAR(s, "retry");
    s.set("attempt", i);
    s.event("a retry after the planner's timeout").set("backoff", "exponential, capped");
    s.link(previous, {{"link.reason", "the request this retries"}});
  }
};

std::uint64_t spans_dropped() {
  const trail::Stats s = trail::stats();
  return s.spans_dropped_ring_full;
}

// --- burst: mean cost per operation inside bursts --------------------------

// A burst of spans, then a pause (the rest of a frame): 100 spans every
// 500 us is 200 k spans/s, which the flusher keeps up with on a shared core,
// so the recording numbers are not the drop path's.
constexpr int kBurst = 100;
constexpr double kPauseNs = 500000;

template <class Op>
double burst_ticks(std::int64_t& counter) {
  TRAIL_SPAN("frame");
  const std::uint64_t t0 = fenced_rdtsc();
  for (int i = 0; i < kBurst; ++i) Op::run(++counter);
  const std::uint64_t t1 = fenced_rdtsc();
  return static_cast<double>(t1 - t0) / kBurst;
}

struct BurstResult {
  double raw = 0, empty = 0, attrs = 0;
  std::uint64_t dropped = 0, spans = 0;
};

// Interleaves the three cases so that drift in the machine's load hits them alike.
BurstResult run_bursts(int rounds, double pause_ns) {
  std::vector<double> raw, empty, attrs;
  std::int64_t counter = 0;
  const std::uint64_t dropped0 = spans_dropped();
  for (int r = 0; r < rounds; ++r) {
    raw.push_back(burst_ticks<RawReads>(counter));
    spin_ns(pause_ns);
    empty.push_back(burst_ticks<EmptySpan>(counter));
    spin_ns(pause_ns);
    attrs.push_back(burst_ticks<ThreeAttributes>(counter));
    spin_ns(pause_ns);
  }
  BurstResult out;
  out.raw = percentile(raw, 0.5);
  out.empty = percentile(empty, 0.5);
  out.attrs = percentile(attrs, 0.5);
  out.dropped = spans_dropped() - dropped0;
  out.spans = static_cast<std::uint64_t>(rounds) * (2 * kBurst + 3);
  return out;
}

// --- latency: one operation, fenced ----------------------------------------

template <class Op>
std::vector<double> latency_samples(int samples, double pause_ns) {
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(samples));
  std::int64_t counter = 0;
  TRAIL_SPAN("frame");
  for (int i = 0; i < samples; ++i) {
    const std::uint64_t t0 = fenced_rdtsc();
    Op::run(++counter);
    const std::uint64_t t1 = fenced_rdtsc();
    out.push_back(static_cast<double>(t1 - t0) / ticks_per_ns());
    if (i % kBurst == kBurst - 1) spin_ns(pause_ns);
  }
  return out;
}

void print_latency(const char* name, const std::vector<double>& v, const std::vector<double>& base) {
  const double p50 = percentile(v, 0.5), p99 = percentile(v, 0.99), p999 = percentile(v, 0.999);
  std::printf("latency  %-28s p50 %6.1f ns  p99 %6.1f ns  p99.9 %7.1f ns   x raw: %.2f / %.2f / %.2f\n", name, p50,
              p99, p999, p50 / percentile(base, 0.5), p99 / percentile(base, 0.99), p999 / percentile(base, 0.999));
}

// --- new thread: first 1000 spans against warm --------------------------------

struct NewThreadResult {
  double first_span_ns, first_1000_ns, warm_1000_ns;
};

NewThreadResult new_thread_once(bool prepare) {
  NewThreadResult r{};
  std::thread t([&] {
    if (prepare) trail::prepare_thread();
    std::int64_t counter = 0;
    const std::uint64_t t0 = fenced_rdtsc();
    EmptySpan::run(0);
    const std::uint64_t t1 = fenced_rdtsc();
    for (int i = 1; i < 1000; ++i) EmptySpan::run(++counter);
    const std::uint64_t t2 = fenced_rdtsc();
    // Warm: the ring's pages touched, caches and predictors trained. Enough
    // spans to go once around the ring, paced so that nothing drops.
    for (int b = 0; b < 200; ++b) {
      for (int i = 0; i < kBurst; ++i) EmptySpan::run(++counter);
      spin_ns(kPauseNs);
    }
    const std::uint64_t t3 = fenced_rdtsc();
    for (int i = 0; i < 1000; ++i) EmptySpan::run(++counter);
    const std::uint64_t t4 = fenced_rdtsc();
    r.first_span_ns = static_cast<double>(t1 - t0) / ticks_per_ns();
    r.first_1000_ns = static_cast<double>(t2 - t0) / ticks_per_ns();
    r.warm_1000_ns = static_cast<double>(t4 - t3) / ticks_per_ns();
  });
  t.join();
  return r;
}

void run_new_threads(int threads, bool prepare) {
  std::vector<double> first, ratio, first_1000, warm;
  for (int i = 0; i < threads; ++i) {
    const NewThreadResult r = new_thread_once(prepare);
    first.push_back(r.first_span_ns);
    first_1000.push_back(r.first_1000_ns);
    warm.push_back(r.warm_1000_ns);
    ratio.push_back(r.first_1000_ns / r.warm_1000_ns);
  }
  std::printf("new-thread %-26s first span %7.0f ns  first 1000 %7.0f ns  warm 1000 %7.0f ns  ratio %.2f (median of %d threads)\n",
              prepare ? "after prepare_thread()" : "plain", percentile(first, 0.5), percentile(first_1000, 0.5),
              percentile(warm, 0.5), percentile(ratio, 0.5), threads);
}

// --- drop path: a span into a full ring -------------------------------------

void run_drop_path(int rounds) {
  // A thread with the smallest ring, recording 3-attribute spans back to back
  // between drains: after the first few bursts nearly every span is dropped.
  std::vector<double> full, fits;
  std::uint64_t dropped = 0, recorded = 0;
  std::thread t([&] {
    trail::set_ring_capacity(64);
    std::int64_t counter = 0;
    EmptySpan::run(0);  // registers the 64-record ring
    trail::set_ring_capacity(16384);
    const auto* ring = trail::detail::this_thread().ring;
    for (int r = 0; r < rounds; ++r) {
      const std::uint64_t d0 = ring->spans_dropped(), n0 = ring->spans_recorded();
      const std::uint64_t t0 = fenced_rdtsc();
      for (int i = 0; i < kBurst; ++i) ThreeAttributes::run(++counter);
      const std::uint64_t t1 = fenced_rdtsc();
      dropped += ring->spans_dropped() - d0;
      recorded += ring->spans_recorded() - n0;
      full.push_back(static_cast<double>(t1 - t0) / kBurst);
      spin_ns(2000);
    }
  });
  t.join();
  std::int64_t counter = 0;
  for (int r = 0; r < rounds; ++r) {
    fits.push_back(burst_ticks<ThreeAttributes>(counter));
    spin_ns(kPauseNs);
  }
  const double f = percentile(full, 0.5), ok = percentile(fits, 0.5);
  std::printf("drop     3-attribute span, ring full: %.1f ns (%.0f%% of its spans dropped); fits: %.1f ns; ratio %.2f\n",
              f / ticks_per_ns(), 100.0 * static_cast<double>(dropped) / static_cast<double>(dropped + recorded + 1),
              ok / ticks_per_ns(), f / ok);
}

// --- export side --------------------------------------------------------------

// Called on the flusher thread with every batch (after the OTLP exporter):
// the flusher thread's CPU time and heap allocations, and the spans it has
// handed on so far.
class Probe : public trail::Exporter {
 public:
  trail::ExportResult export_spans(const trail::SpanBatch& batch, const trail::ExportDeadline&) override {
    spans_.fetch_add(batch.size, std::memory_order_relaxed);
    cpu_.store(thread_cpu_seconds(), std::memory_order_relaxed);
    allocations_.store(t_allocations, std::memory_order_relaxed);
    return {};
  }
  std::uint64_t spans() const { return spans_.load(std::memory_order_relaxed); }
  double cpu() const { return cpu_.load(std::memory_order_relaxed); }
  std::uint64_t allocations() const { return allocations_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> spans_{0};
  std::atomic<double> cpu_{0};
  std::atomic<std::uint64_t> allocations_{0};
};

struct Receiver {
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<int> reply_after_ms{0};  // a remote collector's round trip
  HttpTestServer server{[this](const Request& r) {
                          bytes.fetch_add(r.body.size(), std::memory_order_relaxed);
                          if (const int ms = reply_after_ms.load()) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
                          // An empty ExportTraceServiceResponse in either encoding.
                          return g_protobuf ? Reply::ok({}, "application/x-protobuf") : Reply::ok("{}");
                        },
                        trail::test::ServerOptions{false, /*keep_requests=*/false}};
};

trail::Config program_config(const std::shared_ptr<Probe>& probe, const HttpTestServer* server) {
  trail::Config c;  // defaults, as a program gets them (ring 16,384 records, 5 s schedule)
  c.settings.metrics_exporters = {};
  c.settings.traces_exporters = {};
  if (server != nullptr) {
    c.settings.traces_exporters = {trail::ExporterKind::otlp};
    c.settings.traces_endpoint = server->url("/v1/traces");
    if (g_protobuf) c.settings.traces_protocol = trail::OtlpProtocol::http_protobuf;
  }
  c.exporters = {probe};
  return c;
}

// Flat out or paced (spans_per_second > 0) for `seconds`, spans of Op (3 attributes unless told).
template <class Op = ThreeAttributes>
void run_producer(const char* label, double seconds, double spans_per_second, Probe& probe, Receiver& receiver) {
  trail::flush(30s);
  const trail::Stats s0 = trail::stats();
  const std::uint64_t bytes0 = receiver.bytes.load(), probe0 = probe.spans(), allocations0 = probe.allocations();
  const double flusher0 = probe.cpu();
  const double tpn = ticks_per_ns();
  const std::uint64_t start = __builtin_ia32_rdtsc();
  const auto end = start + static_cast<std::uint64_t>(seconds * 1e9 * tpn);
  const double ticks_per_span = spans_per_second > 0 ? 1e9 * tpn / spans_per_second : 0;
  std::int64_t n = 0;
  {
    TRAIL_SPAN("frame");
    for (std::uint64_t now = start; now < end; now = __builtin_ia32_rdtsc()) {
      if (ticks_per_span > 0 && static_cast<double>(now - start) < static_cast<double>(n) * ticks_per_span) continue;
      Op::run(++n);
    }
  }
  const std::uint64_t recorded_end = __builtin_ia32_rdtsc();
  trail::flush(60s);
  const std::uint64_t delivered_end = __builtin_ia32_rdtsc();
  const trail::Stats s1 = trail::stats();
  const double exported = static_cast<double>(s1.spans_exported - s0.spans_exported);
  const double dropped = static_cast<double>(s1.spans_dropped_ring_full - s0.spans_dropped_ring_full);
  const double wall = static_cast<double>(delivered_end - start) / tpn * 1e-9;
  const double flusher = probe.cpu() - flusher0;
  const double handed_on = static_cast<double>(probe.spans() - probe0);
  std::printf("%-8s recorded %.2f M spans/s, delivered %.0f k spans/s, %.1f%% dropped at the ring; flusher %.0f ns CPU a span, "
              "%.0f%% of a core, %.2f heap allocations a span; %.0f bytes a span on the wire\n",
              label, static_cast<double>(n) / (static_cast<double>(recorded_end - start) / tpn * 1e-9) * 1e-6,
              exported / wall * 1e-3, 100.0 * dropped / static_cast<double>(n), flusher / exported * 1e9,
              100.0 * flusher / wall, static_cast<double>(probe.allocations() - allocations0) / handed_on,
              static_cast<double>(receiver.bytes.load() - bytes0) / handed_on);
}

// Bursts of spans while each request takes 20 ms (a remote collector), with
// the default export queue and a larger one (OTEL_BSP_MAX_QUEUE_SIZE, the
// setting for a remote collector): what the ring and the queue absorb while
// the flusher waits on a reply. Restarts trail with each queue size.
void run_remote(Receiver& receiver, const std::shared_ptr<Probe>& probe) {
  constexpr int kBursts = 5, kSpans = 11000;
  constexpr double kSpansPerSecond = 200e3;  // 55 ms a burst, under three requests' time
  const auto ticks_per_span = static_cast<std::uint64_t>(1e9 * ticks_per_ns() / kSpansPerSecond);
  for (const std::uint32_t queue : {2048u, 16384u}) {
    trail::shutdown();
    trail::Config config = program_config(probe, &receiver.server);
    config.settings.bsp_max_queue_size = queue;
    if (!trail::init(config)) return;
    receiver.reply_after_ms = 20;
    for (int b = 0; b < kBursts; ++b) {
      {
        TRAIL_SPAN("frame");
        const std::uint64_t start = __builtin_ia32_rdtsc();
        for (int i = 0; i < kSpans; ++i) {
          while (__builtin_ia32_rdtsc() - start < static_cast<std::uint64_t>(i) * ticks_per_span) {
          }
          ThreeAttributes::run(i);
        }
      }
      std::this_thread::sleep_for(300ms);
    }
    trail::flush(60s);
    receiver.reply_after_ms = 0;
    const trail::Stats s = trail::stats();
    std::printf("remote   replies after 20 ms, queue %5u: %d bursts of %d spans at %.0f k/s, 300 ms apart: %.1f%% dropped at the ring\n",
                queue, kBursts, kSpans, kSpansPerSecond * 1e-3,
                100.0 * static_cast<double>(s.spans_dropped_ring_full) / static_cast<double>(s.spans_recorded));
  }
}

// Calls f(tid) for every thread of the process but the calling one.
template <class F>
void for_each_other_thread(F&& f) {
  const long self = static_cast<long>(trail::detail::current_thread_id());
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.' || std::atol(e->d_name) == self) continue;
    f(e->d_name);
  }
  closedir(dir);
}

// Context switches of every thread but the calling one: each is a wake-up.
std::uint64_t other_threads_switches() {
  std::uint64_t total = 0;
  for_each_other_thread([&](const char* tid) {
    std::ifstream status(std::string("/proc/self/task/") + tid + "/status");
    std::string line;
    while (std::getline(status, line))
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0 || line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
        total += std::strtoull(line.c_str() + line.find(':') + 1, nullptr, 10);
  });
  return total;
}

// --pinned: the producer (this thread, and the threads it starts from now
// on) on the first CPU it may use, every other thread (the flusher, the
// receiver) on the others, so that the program's own threads do not preempt
// the producer inside a timed window. Other processes still can.
bool pin_threads() {
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) < 2) return false;
  cpu_set_t producer, others = allowed;
  CPU_ZERO(&producer);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    CPU_SET(cpu, &producer);
    CPU_CLR(cpu, &others);
    break;
  }
  bool ok = sched_setaffinity(0, sizeof producer, &producer) == 0;
  for_each_other_thread([&](const char* tid) {
    ok = sched_setaffinity(static_cast<pid_t>(std::atol(tid)), sizeof others, &others) == 0 && ok;
  });
  return ok;
}

void run_idle() {
  auto probe = std::make_shared<Probe>();
  trail::init(program_config(probe, nullptr));
  std::this_thread::sleep_for(200ms);
  const std::uint64_t s0 = other_threads_switches();
  const double seconds = g_quick ? 1.0 : 3.0;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const std::uint64_t s1 = other_threads_switches();
  trail::shutdown();
  std::printf("idle     initialised, nothing recorded: %.1f wake-ups a second\n", static_cast<double>(s1 - s0) / seconds);
}

}  // namespace

int main(int argc, char** argv) {
  bool burst_only = false, export_only = false, pinned = false, remote_only = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) g_quick = true;
    if (std::strcmp(argv[i], "--burst-only") == 0) burst_only = true;
    if (std::strcmp(argv[i], "--export-only") == 0) export_only = true;
    if (std::strcmp(argv[i], "--pinned") == 0) pinned = true;
    if (std::strcmp(argv[i], "--protobuf") == 0) g_protobuf = true;
    if (std::strcmp(argv[i], "--remote-only") == 0) remote_only = true;
  }
  std::printf("real_program (%s, %s), %.2f ticks/ns, load average: ", TRAIL_BENCH_OPT,
              g_protobuf ? "OTLP/protobuf" : "OTLP/JSON", ticks_per_ns());
  std::fflush(stdout);
  {
    std::ifstream load("/proc/loadavg");
    std::string line;
    std::getline(load, line);
    std::printf("%s\n", line.c_str());
  }

  if (!burst_only && !export_only) run_idle();

  Receiver receiver;
  if (!receiver.server.ok()) {
    std::fprintf(stderr, "real_program: no loopback server\n");
    return 1;
  }
  auto probe = std::make_shared<Probe>();
  if (!trail::init(program_config(probe, &receiver.server))) return 1;
  if (pinned) {
    if (!pin_threads()) {
      std::fprintf(stderr, "real_program: --pinned needs two CPUs and sched_setaffinity\n");
      return 1;
    }
    std::printf("pinned   the producer on one CPU, the flusher and the receiver on the others\n");
  }
  if (remote_only) {
    run_remote(receiver, probe);
    trail::shutdown();
    return 0;
  }
  if (export_only) {
    run_producer("warm-up", 0.2, 2e5, *probe, receiver);
    run_producer("paced200k", g_quick ? 0.5 : 2.0, 2e5, *probe, receiver);
    run_producer("flat-out", g_quick ? 0.3 : 1.0, 0, *probe, receiver);
    run_producer<EventAndLink>("events", g_quick ? 0.5 : 2.0, 2e5, *probe, receiver);
    trail::shutdown();
    return 0;
  }

  const int rounds = g_quick ? 300 : 3000;
  const BurstResult b = run_bursts(rounds, kPauseNs);
  std::printf("burst    %d-span bursts, %.0f us apart, median over %d: raw %.1f ns, empty %.1f ns (x%.2f), 3 attributes %.1f ns (x%.2f); "
              "%llu of %llu spans dropped\n",
              kBurst, kPauseNs / 1000, rounds, b.raw / ticks_per_ns(), b.empty / ticks_per_ns(), b.empty / b.raw,
              b.attrs / ticks_per_ns(), b.attrs / b.raw, static_cast<unsigned long long>(b.dropped),
              static_cast<unsigned long long>(b.spans));
  if (burst_only) {
    trail::shutdown();
    return 0;
  }

  const int samples = g_quick ? 100000 : 1000000;
  const std::uint64_t d0 = spans_dropped();
  const auto raw = latency_samples<RawReads>(samples, kPauseNs);
  const auto empty = latency_samples<EmptySpan>(samples, kPauseNs);
  const auto attrs = latency_samples<ThreeAttributes>(samples, kPauseNs);
  print_latency(RawReads::name, raw, raw);
  print_latency(EmptySpan::name, empty, raw);
  print_latency(ThreeAttributes::name, attrs, raw);
  std::printf("latency  %llu spans dropped during the latency runs\n",
              static_cast<unsigned long long>(spans_dropped() - d0));

  run_new_threads(g_quick ? 5 : 21, false);
  run_new_threads(g_quick ? 5 : 21, true);
  run_drop_path(g_quick ? 100 : 1000);

  run_producer("paced", g_quick ? 0.3 : 1.0, 1e6, *probe, receiver);
  run_producer("flat-out", g_quick ? 0.3 : 1.0, 0, *probe, receiver);
  run_remote(receiver, probe);
  trail::shutdown();
  return 0;
}
