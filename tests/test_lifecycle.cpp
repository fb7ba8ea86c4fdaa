// The edges of a program's life: init / shutdown cycles, a flusher stuck in
// an exporter, spans recorded before init or left at shutdown, sustained
// load (fork() and a forgotten init: test_fork.cpp). Every test checks the
// Stats identity: recorded == exported + spilled + dropped (by reason) + pending.
#include <doctest/doctest.h>

#include <trail/runtime.hpp>
#include <trail/export/memory_exporter.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/emulator.hpp"
#include "support/sanitizers.hpp"
#include "support/stats_identity.hpp"
#include "support/stderr_capture.hpp"
#include "support/wait_until.hpp"

using namespace std::chrono_literals;
using trail::test::capture_stderr;

namespace {

void check_identity(const trail::Stats& s) {
  CHECK(trail::test::stats_identity_holds(s));
}

void record_spans(int n, const char* name = "work") {
  for (int i = 0; i < n; ++i) {
    trail::Span s(name);
    s.set("i", i);
  }
}

// Records on a thread of its own that then exits (its ring is reclaimed).
void record_on_thread(int n, const char* name = "work") {
  std::thread([=] { record_spans(n, name); }).join();
}

trail::Config memory_config(std::shared_ptr<trail::Exporter> exporter) {
  trail::Config c;
  c.settings.traces_exporters = {};
  c.settings.metrics_exporters = {};
  c.settings.bsp_schedule_delay = 60s;
  c.settings.bsp_export_timeout = 2000ms;
  c.exporters.push_back(std::move(exporter));
  return c;
}

// Blocks every export until released; counts the calls.
class BlockingExporter : public trail::Exporter {
 public:
  trail::ExportResult export_spans(const trail::SpanBatch&, const trail::ExportDeadline&) override {
    std::unique_lock<std::mutex> lock(mutex_);
    ++calls_;
    max_inside_ = std::max(max_inside_, ++inside_);
    entered_.notify_all();
    released_.wait(lock, [&] { return open_; });
    --inside_;
    return {};
  }
  // The most threads ever inside export_spans at once.
  int max_inside() {
    std::lock_guard<std::mutex> lock(mutex_);
    return max_inside_;
  }
  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    released_.notify_all();
  }
  bool wait_entered(std::chrono::milliseconds within) {
    std::unique_lock<std::mutex> lock(mutex_);
    return entered_.wait_for(lock, within, [&] { return calls_ > 0; });
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable entered_, released_;
  bool open_ = false;
  int calls_ = 0;
  int inside_ = 0;
  int max_inside_ = 0;
};

// Counts and forgets (an InMemoryExporter would grow without bound under load).
class CountingExporter : public trail::Exporter {
 public:
  trail::ExportResult export_spans(const trail::SpanBatch& batch, const trail::ExportDeadline&) override {
    spans += batch.size;
    return {};
  }
  trail::ExportResult export_metrics(const trail::MetricBatch&, const trail::ExportDeadline&) override {
    ++metric_batches;
    return {};
  }
  std::atomic<std::uint64_t> spans{0};
  std::atomic<int> metric_batches{0};
};

}  // namespace

TEST_CASE("shutdown that gives up on a stuck flusher fences it off: a new init owns the rings alone") {
  auto stuck = std::make_shared<BlockingExporter>();
  trail::Config first = memory_config(stuck);
  first.settings.bsp_export_timeout = 300ms;
  first.settings.bsp_max_export_batch_size = 1;  // one span per export call
  REQUIRE(trail::init(first));
  record_on_thread(3, "first run");
  std::thread flusher_client([] { trail::flush(200ms); });
  REQUIRE(stuck->wait_entered(5s));
  flusher_client.join();

  const auto before = std::chrono::steady_clock::now();
  trail::shutdown();  // gives up after the export timeout (+1 s) and detaches the flusher
  CHECK(std::chrono::steady_clock::now() - before < 5s);
  const trail::Stats first_stats = trail::stats();
  CHECK(first_stats.spans_recorded == 3);
  CHECK(first_stats.spans_pending == 0);
  CHECK(first_stats.spans_dropped_shutdown == 3);  // one stuck in the exporter, two queued
  check_identity(first_stats);

  auto memory = std::make_shared<trail::InMemoryExporter>();
  REQUIRE(trail::init(memory_config(memory)));
  for (int i = 0; i < 4; ++i) record_on_thread(50, "second run");  // rings come and go
  stuck->release();  // the old flusher wakes: it must touch nothing
  for (int i = 0; i < 4; ++i) record_on_thread(50, "second run");
  REQUIRE(trail::flush(5s));
  std::this_thread::sleep_for(100ms);
  CHECK(stuck->calls() == 1);  // no export after the fence
  const auto spans = memory->spans();
  CHECK(spans.size() == 400);
  for (const auto& s : spans) CHECK(s.name == "second run");
  const trail::Stats s = trail::stats();
  CHECK(s.spans_recorded == 400);
  CHECK(s.spans_exported == 400);
  check_identity(s);
  trail::shutdown();
  CHECK(first_stats.spans_exported == 0);
}

TEST_CASE("init refuses an exporter a fenced flusher is still calling, and takes it once that call returned") {
  auto stuck = std::make_shared<BlockingExporter>();
  trail::Config config = memory_config(stuck);
  config.settings.bsp_export_timeout = 300ms;
  REQUIRE(trail::init(config));
  record_on_thread(3, "first run");
  std::thread flusher_client([] { trail::flush(200ms); });
  REQUIRE(stuck->wait_entered(5s));
  flusher_client.join();
  trail::shutdown();  // detaches the flusher, still inside stuck->export_spans
  check_identity(trail::stats());

  std::string err = trail::test::capture_stderr([&] { CHECK_FALSE(trail::init(config)); });
  CHECK(err.find("init() refused: one of its exporters is still inside a call") != std::string::npos);
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);

  stuck->release();  // the fenced thread leaves the call and never enters another
  bool started = false;
  trail::test::capture_stderr([&] {
    for (int i = 0; i < 250 && !(started = trail::init(config)); ++i) std::this_thread::sleep_for(20ms);
  });
  REQUIRE(started);
  record_on_thread(2, "second run");
  REQUIRE(trail::flush(5s));
  CHECK(stuck->max_inside() == 1);
  CHECK(stuck->calls() == 2);  // the stuck call, then one batch of the second run
  const trail::Stats s = trail::stats();
  CHECK(s.spans_recorded == 2);
  CHECK(s.spans_exported == 2);
  check_identity(s);
  trail::shutdown();
}

TEST_CASE("while an export is in flight the rings are still drained: bursts past a ring's size lose nothing") {
  auto slow = std::make_shared<BlockingExporter>();  // a request that takes until the test releases it
  trail::Config config = memory_config(slow);
  config.settings.ring_capacity = 1024;
  config.settings.bsp_max_export_batch_size = 64;
  config.settings.bsp_max_queue_size = 4096;
  config.settings.bsp_export_timeout = 30000ms;
  REQUIRE(trail::init(config));
  std::thread producer([&] {
    record_spans(1, "first");
    trail::detail::Ring* ring = trail::detail::this_thread().ring;
    const std::uint64_t per_span = ring->write_position();  // records
    // Records unread: at most half, which a producer does not signal.
    const auto below_half = [&] { return ring->write_position() - ring->read_position() <= 512; };
    record_spans(static_cast<int>(600 / per_span), "wake");  // past half: the flusher collects, then blocks exporting
    const bool blocked = slow->wait_entered(5s);
    CHECK(blocked);
    if (!blocked) return;
    // Bursts of 480 records: with what a drain left (at most half), at most
    // 992 of the ring's 1024. Each burst that takes the ring past half
    // wakes the drainer; without it, the second burst would find the first
    // unread and overflow the ring.
    for (int i = 0; i < 8; ++i) {
      const bool drained = trail::test::wait_until(below_half, 5000ms);
      INFO("burst ", i);
      CHECK(drained);
      if (!drained) break;
      record_spans(static_cast<int>(480 / per_span), "burst");
    }
    CHECK(slow->calls() == 1);  // all of it while the first export is still in flight
    CHECK(ring->spans_dropped() == 0);
    const trail::Stats during = trail::stats();
    CHECK(during.spans_pending == during.spans_recorded);
    check_identity(during);
  });
  producer.join();
  slow->release();
  REQUIRE(trail::flush(10s));
  const trail::Stats s = trail::stats();
  CHECK(s.spans_dropped() == 0);
  CHECK(s.spans_exported == s.spans_recorded);
  check_identity(s);
  trail::shutdown();
}

TEST_CASE("a ring left past half full for want of queue room is drained on, without a new wake or the schedule") {
  // Each export takes 30 ms: a 50 ms drain slice ends with most of the ring
  // still unread, and its producer, done recording, never wakes the flusher again.
  class SlowExporter : public trail::Exporter {
   public:
    trail::ExportResult export_spans(const trail::SpanBatch& batch, const trail::ExportDeadline&) override {
      std::this_thread::sleep_for(30ms);
      spans += batch.size;
      return {};
    }
    std::atomic<std::uint64_t> spans{0};
  };
  auto slow = std::make_shared<SlowExporter>();
  trail::Config config = memory_config(slow);
  config.settings.ring_capacity = 1024;
  config.settings.bsp_max_queue_size = 64;
  config.settings.bsp_max_export_batch_size = 64;
  REQUIRE(trail::init(config));  // schedule delay 60 s
  record_on_thread(300, "burst");  // 600 records: past half of the ring
  // Without the fix, two batches (128) and then the schedule. With it, at
  // least three full batches, also when the first passes split their room
  // among several rings (what is left under half a ring and under a batch
  // waits for the schedule or a flush).
  const bool drained_on = trail::test::wait_until([&] { return slow->spans.load() >= 192; }, 10000ms);
  INFO("exported ", slow->spans.load());
  CHECK(drained_on);
  REQUIRE(trail::flush(10s));
  const trail::Stats s = trail::stats();
  CHECK(s.spans_exported == 300);
  check_identity(s);
  trail::shutdown();
}

TEST_CASE("the stats identity holds with a full ring, spans recorded before init, and at shutdown") {
  SUBCASE("ring-full drops count as recorded") {
    auto counting = std::make_shared<CountingExporter>();
    REQUIRE(trail::init(memory_config(counting)));
    trail::set_ring_capacity(64);
    std::thread([] { record_spans(20000); }).join();
    trail::set_ring_capacity(16384);
    REQUIRE(trail::flush(5s));
    const trail::Stats s = trail::stats();
    CHECK(s.spans_recorded == 20000);
    CHECK(s.spans_dropped_ring_full > 0);
    CHECK(s.spans_exported == counting->spans.load());
    CHECK(s.spans_pending == 0);
    check_identity(s);
    trail::shutdown();
    check_identity(trail::stats());
  }
  SUBCASE("spans recorded before init are this run's: exported never exceeds recorded") {
    record_on_thread(5, "early");
    auto memory = std::make_shared<trail::InMemoryExporter>();
    REQUIRE(trail::init(memory_config(memory)));
    record_on_thread(3, "late");
    REQUIRE(trail::flush(5s));
    const trail::Stats s = trail::stats();
    CHECK(s.spans_exported == 8);
    CHECK(s.spans_recorded == 8);
    check_identity(s);
    trail::shutdown();
  }
  SUBCASE("what shutdown's deadline leaves is dropped with reason shutdown, not exported by the next run") {
    auto stuck = std::make_shared<BlockingExporter>();
    trail::Config config = memory_config(stuck);
    config.settings.bsp_export_timeout = 200ms;
    REQUIRE(trail::init(config));
    record_on_thread(5000);  // 10,000 records: fits the default ring
    trail::shutdown();
    const trail::Stats s = trail::stats();
    CHECK(s.spans_recorded == 5000);
    CHECK(s.spans_dropped_shutdown == 5000);
    CHECK(s.spans_pending == 0);
    check_identity(s);
    stuck->release();

    auto memory = std::make_shared<trail::InMemoryExporter>();
    REQUIRE(trail::init(memory_config(memory)));
    REQUIRE(trail::flush(5s));
    CHECK(memory->spans().empty());
    CHECK(trail::stats().spans_recorded == 0);
    trail::shutdown();
  }
  SUBCASE("no span exporter: spans are dropped with reason no_exporter") {
    trail::Config config = memory_config(nullptr);
    config.exporters.clear();
    config.settings.metrics_exporters = {trail::ExporterKind::console};  // something works
    std::string err = capture_stderr([&] { REQUIRE(trail::init(config)); });
    record_on_thread(4);
    REQUIRE(trail::flush(5s));
    const trail::Stats s = trail::stats();
    CHECK(s.spans_recorded == 4);
    CHECK(s.spans_exported == 0);
    CHECK(s.spans_dropped_no_exporter == 4);
    check_identity(s);
    err = capture_stderr([] { trail::shutdown(); });  // the console exporter prints metrics
  }
}

TEST_CASE("init returns false with one clear line when no exporter can work, and records nothing") {
  trail::Config config;
  config.settings.traces_exporters = {trail::ExporterKind::file};
  config.settings.metrics_exporters = {};
  config.settings.traces_file = "/nonexistent-trail-dir/traces.jsonl";
  bool started = true;
  const std::string err = capture_stderr([&] { started = trail::init(config); });
  CHECK_FALSE(started);
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
  CHECK(err.find("no exporter can work") != std::string::npos);
  CHECK(err.find("/nonexistent-trail-dir/traces.jsonl") != std::string::npos);
  CHECK_FALSE(trail::is_enabled());
  trail::set_enabled(true);
}

TEST_CASE("under sustained load metrics are exported, flush returns and shutdown is in time") {
  auto counting = std::make_shared<CountingExporter>();
  trail::Config config = memory_config(counting);
  config.settings.metric_export_interval = 200ms;
  REQUIRE(trail::init(config));
  std::atomic<bool> stop{false};
  std::vector<std::thread> producers;
  // Under qemu-user, four emulated producers flat out leave the emulated
  // flusher too little of 2 cores to drain a flush's backlog in 10 s.
  const int producer_count = trail::test::under_emulator() ? 1 : 4;
  if (trail::test::under_emulator()) MESSAGE("under an emulator: 1 producer instead of 4");
  for (int t = 0; t < producer_count; ++t)
    producers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) record_spans(64);
    });
  std::this_thread::sleep_for(1500ms);
  CHECK(counting->metric_batches.load() >= 2);  // about 7 due
  const auto before = std::chrono::steady_clock::now();
  CHECK(trail::flush(10s));  // everything recorded before the call, while recording goes on
  CHECK(std::chrono::steady_clock::now() - before < 10s);
  check_identity(trail::stats());
  stop = true;
  for (auto& p : producers) p.join();
  trail::shutdown();
  const trail::Stats s = trail::stats();
  CHECK(s.spans_pending == 0);
  check_identity(s);
}

TEST_CASE("a Config with a huge queue or a zero metric interval is clamped: init never aborts, the flusher never spins") {
  auto counting = std::make_shared<CountingExporter>();
  trail::Config config = memory_config(counting);
  config.settings.bsp_max_queue_size = 2147483647;  // was reserved up front: bad_alloc
  config.settings.metric_export_interval = std::chrono::milliseconds(0);
  bool started = false;
  const std::string err = capture_stderr([&] { started = trail::init(config); });
  REQUIRE(started);
  CHECK(err.find("OTEL_BSP_MAX_QUEUE_SIZE") != std::string::npos);
  CHECK(err.find("OTEL_METRIC_EXPORT_INTERVAL") != std::string::npos);
  std::this_thread::sleep_for(1000ms);
  CHECK(counting->metric_batches.load() <= 12);  // every 100 ms at most (was one per 2 ms wake)
  record_on_thread(10);
  CHECK(trail::flush(5s));
  trail::shutdown();
  check_identity(trail::stats());
}
