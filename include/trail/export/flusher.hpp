// The flusher: one thread that drains the rings, rebuilds spans, batches
// them and hands each batch to every exporter; and, on its own period, the
// metric points. Everything that allocates, formats or touches the network
// happens here, never on a recording thread.
//
// Every wait has a deadline: flush(timeout) returns by its timeout, and
// shutdown returns within the export timeout even with the collector down.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../ring.hpp"
#include "../state.hpp"
#include "collector.hpp"
#include "exporter.hpp"
#include "metrics_collect.hpp"
#include "settings.hpp"

namespace trail {

// What happened to the spans recorded so far.
struct Stats {
  std::uint64_t spans_recorded = 0;                // ended while sampled (kept or not)
  std::uint64_t spans_exported = 0;                // accepted by every exporter
  std::uint64_t spans_dropped_ring_full = 0;       // the thread's ring was full at span end
  std::uint64_t spans_dropped_export_failed = 0;   // retries exhausted or deadline passed
  std::uint64_t spans_rejected = 0;                // refused by the receiver (4xx, partialSuccess)
  std::uint64_t records_dropped_ring_full = 0;     // attributes / events / status lost to a full ring
  std::uint64_t spans_pending = 0;                 // rebuilt, waiting for export
  std::uint64_t metric_exports = 0;
  std::uint64_t metric_exports_failed = 0;

  std::uint64_t spans_dropped() const noexcept {
    return spans_dropped_ring_full + spans_dropped_export_failed + spans_rejected;
  }
};

namespace detail {

struct FlusherOptions {
  std::chrono::milliseconds schedule_delay{5000};
  std::chrono::milliseconds export_timeout{30000};
  std::size_t max_queue_size = 2048;
  std::size_t max_export_batch_size = 512;
  std::chrono::milliseconds metric_export_interval{60000};
  std::chrono::milliseconds metric_export_timeout{30000};
  SpanLimits limits;
  CodeOptions code;
};

// Inside a handler: what the caught exception says.
#if TRAIL_EXCEPTIONS
inline std::string current_exception_text() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "not a std::exception";
  }
}
#else
inline std::string current_exception_text() { return {}; }  // never called: nothing throws
#endif

class Flusher {
 public:
  Flusher(FlusherOptions options, Resource resource, InstrumentationScope scope,
          std::vector<std::shared_ptr<Exporter>> span_exporters, std::vector<std::shared_ptr<Exporter>> metric_exporters)
      : options_(options),
        resource_(std::move(resource)),
        scope_(std::move(scope)),
        span_exporters_(std::move(span_exporters)),
        metric_exporters_(std::move(metric_exporters)),
        collector_(options.limits, options.code),
        hard_deadline_(Clock::time_point::max().time_since_epoch().count()) {
    baseline_ = collector_.counts();  // the ring counters are process-wide; stats are since init
    queue_.reserve(options_.max_queue_size);
    thread_ = std::thread([this] { run(); });
    Flusher* none = nullptr;
    if (pressure_target().compare_exchange_strong(none, this)) g_pressure_wake.store(&wake_on_pressure);
  }

  ~Flusher() {
    if (!stop()) std::abort();  // unreachable: a detached flusher is never destroyed
  }
  Flusher(const Flusher&) = delete;
  Flusher& operator=(const Flusher&) = delete;

  // Exports everything recorded before the call; true when all of it was
  // delivered within `timeout`.
  bool flush(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopping_) return false;
    const std::uint64_t ticket = ++flush_requested_;
    wake_.notify_one();
    const bool done = flushed_.wait_until(lock, Clock::now() + timeout, [&] { return flush_done_ >= ticket || exited_; });
    return done && flush_done_ >= ticket && last_flush_ok_;
  }

  // Final export within the export timeout, then joins; never hangs: a
  // flusher stuck past its deadline is detached and reported (false), and
  // the caller must then keep this object alive.
  bool stop() noexcept {
    std::unique_lock<std::mutex> lock(mutex_);
    bool joined = true;
    if (thread_.joinable() && !stopping_) {
      stopping_ = true;
      stop_pressure_wakes();
      hard_deadline_.store((Clock::now() + options_.export_timeout).time_since_epoch().count(), std::memory_order_relaxed);
      wake_.notify_one();
      const bool exited = flushed_.wait_until(lock, Clock::now() + options_.export_timeout + std::chrono::seconds(1),
                                              [&] { return exited_; });
      lock.unlock();
      if (exited) {
        thread_.join();
      } else {
        std::fputs("trail: the flusher did not stop within the export timeout; exiting without it\n", stderr);
        thread_.detach();
        return false;
      }
      for (auto& e : span_exporters_) e->shutdown();
      for (auto& e : metric_exporters_) e->shutdown();
    }
    return joined;
  }

  Stats stats() {
    Stats s;
    {
      std::lock_guard<std::mutex> lock(collect_mutex_);
      const auto counts = collector_.counts();
      s.spans_recorded = counts.spans_recorded - baseline_.spans_recorded;
      s.spans_dropped_ring_full = counts.spans_dropped_ring_full - baseline_.spans_dropped_ring_full;
      s.records_dropped_ring_full = counts.records_dropped_ring_full - baseline_.records_dropped_ring_full;
    }
    s.spans_exported = exported_.load(std::memory_order_relaxed);
    s.spans_dropped_export_failed = export_failed_.load(std::memory_order_relaxed);
    s.spans_rejected = rejected_.load(std::memory_order_relaxed);
    s.spans_pending = pending_.load(std::memory_order_relaxed);
    s.metric_exports = metric_exports_.load(std::memory_order_relaxed);
    s.metric_exports_failed = metric_exports_failed_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  // The flusher producers wake when a ring passes half full (the first one
  // started, while it runs), and how many wakes are in progress: stop()
  // waits for them before this object may go.
  static std::atomic<Flusher*>& pressure_target() noexcept {
    static std::atomic<Flusher*> target{nullptr};
    return target;
  }
  static std::atomic<int>& pressure_wakes_in_progress() noexcept {
    static std::atomic<int> count{0};
    return count;
  }

  static void wake_on_pressure() noexcept {
    pressure_wakes_in_progress().fetch_add(1);
    if (Flusher* f = pressure_target().load()) f->wake_.notify_one();
    pressure_wakes_in_progress().fetch_sub(1);
  }

  void stop_pressure_wakes() noexcept {
    Flusher* self = this;
    if (!pressure_target().compare_exchange_strong(self, nullptr)) return;
    while (pressure_wakes_in_progress().load() != 0) std::this_thread::yield();
  }

  void run() {
    auto next_export = Clock::now() + options_.schedule_delay;
    auto next_metrics = Clock::now() + options_.metric_export_interval;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      // Wake for a flush, shutdown, the schedule, or a ring past half full
      // (its producer notifies; the 200 ms fallback covers a notify that
      // comes between the check and the wait, or a second flusher's rings).
      const auto wake_at = std::min({next_export, next_metrics, Clock::now() + std::chrono::milliseconds(200)});
      wake_.wait_until(lock, wake_at, [&] {
        return stopping_ || flush_requested_ > flush_done_ || g_ring_pressure.load(std::memory_order_relaxed);
      });
      const bool stopping = stopping_;
      const std::uint64_t ticket = flush_requested_;
      lock.unlock();

      const auto now = Clock::now();
      const bool flushing = stopping || ticket > flush_done_;
      const bool pressure = g_ring_pressure.exchange(false, std::memory_order_relaxed);
      const bool scheduled = now >= next_export;
      bool ok = true;
      if (flushing || pressure || scheduled) {
        ok = drain_and_export(/*everything=*/flushing || scheduled, flushing);
        if (scheduled) next_export = now + options_.schedule_delay;
      }
      if (flushing || now >= next_metrics) {
        export_metrics();  // flush() reports on spans; metric failures are counted in stats()
        next_metrics = now + options_.metric_export_interval;
      }
      if (flushing && !stopping) ok = force_flush_exporters() && ok;  // at stop, shutdown() writes out

      lock.lock();
      if (flushing) {
        flush_done_ = ticket;
        last_flush_ok_ = ok;
        flushed_.notify_all();
      }
      if (stopping) break;
    }
    exited_ = true;
    flushed_.notify_all();
  }

  // Moves spans from the rings into the queue (never past its bound: what
  // does not fit waits in the rings) and exports full batches; with
  // `everything`, the last partial batch too. `until_empty` repeats until a
  // pass read every ring to the end, plus one for AsyncSpans.
  bool drain_and_export(bool everything, bool until_empty) {
    bool ok = true;
    int complete_passes = 0;
    do {
      bool complete;
      {
        std::lock_guard<std::mutex> lock(collect_mutex_);
        collector_.collect(queue_, options_.max_queue_size - std::min(queue_.size(), options_.max_queue_size));
        complete = collector_.last_pass_complete();
      }
      pending_.store(queue_.size(), std::memory_order_relaxed);
      if (complete) ++complete_passes;
      const bool all = everything || !complete;
      ok = export_queue(all) && ok;
      if (!until_empty && complete) break;
      if (hard_deadline_passed()) break;
    } while (complete_passes < 2);
    return ok;
  }

  bool hard_deadline_passed() const {
    return Clock::now().time_since_epoch().count() >= hard_deadline_.load(std::memory_order_relaxed);
  }

  bool export_queue(bool all) {
    bool ok = true;
    std::size_t done = 0;
    while (queue_.size() - done >= options_.max_export_batch_size || (all && done < queue_.size())) {
      const std::size_t n = std::min(options_.max_export_batch_size, queue_.size() - done);
      ok = export_batch(queue_.data() + done, n) && ok;
      done += n;
    }
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(done));
    pending_.store(queue_.size(), std::memory_order_relaxed);
    return ok;
  }

  bool export_batch(const SpanData* spans, std::size_t n) {
    const ExportDeadline deadline(Clock::now() + options_.export_timeout, &hard_deadline_);
    const SpanBatch batch{resource_, scope_, spans, n};
    ExportResult worst;
    for (auto& exporter : span_exporters_) {
      ExportResult r = guarded([&] { return exporter->export_spans(batch, deadline); });
      if (!r.ok() && worst.ok()) worst = std::move(r);
      else if (r.ok() && r.rejected > worst.rejected) worst.rejected = r.rejected;
    }
    switch (worst.status) {
      case ExportResult::Status::success: {
        const std::uint64_t rejected = std::min<std::uint64_t>(worst.rejected, n);
        exported_.fetch_add(n - rejected, std::memory_order_relaxed);
        rejected_.fetch_add(rejected, std::memory_order_relaxed);
        if (rejected) report("receiver rejected " + std::to_string(rejected) + " span(s): " + worst.message);
        return rejected == 0;
      }
      case ExportResult::Status::rejected:
        rejected_.fetch_add(n, std::memory_order_relaxed);
        break;
      case ExportResult::Status::failure:
        export_failed_.fetch_add(n, std::memory_order_relaxed);
        break;
    }
    report("dropped " + std::to_string(n) + " span(s): " + worst.message);
    return false;
  }

  bool export_metrics() {
    if (metric_exporters_.empty()) return true;
    const std::uint64_t now = realtime_ns();
    auto metrics = collect_metrics(now);
    append_health_metrics(stats(), now, metrics);
    const ExportDeadline deadline(Clock::now() + options_.metric_export_timeout, &hard_deadline_);
    const MetricBatch batch{resource_, scope_, metrics};
    bool ok = true;
    for (auto& exporter : metric_exporters_) {
      ExportResult r = guarded([&] { return exporter->export_metrics(batch, deadline); });
      if (!r.ok()) {
        ok = false;
        report("metric export failed: " + r.message);
      }
    }
    (ok ? metric_exports_ : metric_exports_failed_).fetch_add(1, std::memory_order_relaxed);
    return ok;
  }

  // Each exporter once, also when it takes both spans and metrics.
  bool force_flush_exporters() {
    const ExportDeadline deadline(Clock::now() + options_.export_timeout, &hard_deadline_);
    std::vector<Exporter*> seen;
    bool ok = true;
    for (const auto* list : {&span_exporters_, &metric_exporters_}) {
      for (const auto& exporter : *list) {
        if (std::find(seen.begin(), seen.end(), exporter.get()) != seen.end()) continue;
        seen.push_back(exporter.get());
        ExportResult r = guarded([&] { return exporter->force_flush(deadline); });
        if (!r.ok()) {
          ok = false;
          report("flush failed: " + r.message);
        }
      }
    }
    return ok;
  }

  // trail's own health as cumulative sums: what the pipeline did with spans.
  void append_health_metrics(const Stats& st, std::uint64_t now, std::vector<MetricData>& out) const {
    auto sum = [&](const char* name, const char* description, std::vector<std::pair<const char*, std::uint64_t>> points) {
      MetricData& m = out.emplace_back();
      m.name = name;
      m.description = description;
      m.unit = "{span}";
      m.type = MetricType::sum;
      m.is_monotonic = true;
      for (const auto& [reason, value] : points) {
        NumberDataPoint& p = m.number_points.emplace_back();
        if (reason != nullptr) p.attributes.push_back({"reason", std::string(reason)});
        p.start_time_unix_nano = started_unix_nano_;
        p.time_unix_nano = now;
        p.as_int = static_cast<std::int64_t>(value);
      }
    };
    sum("trail.spans.recorded", "Spans ended while sampled", {{nullptr, st.spans_recorded}});
    sum("trail.spans.exported", "Spans accepted by every exporter", {{nullptr, st.spans_exported}});
    sum("trail.spans.dropped", "Spans lost, by reason",
        {{"ring_full", st.spans_dropped_ring_full},
         {"export_failed", st.spans_dropped_export_failed},
         {"rejected", st.spans_rejected}});
  }

  // An exporter that throws fails its export; the flusher goes on.
  template <class F>
  static ExportResult guarded(F&& f) noexcept {
    TRAIL_TRY { return f(); }
    TRAIL_CATCH_ALL { return {ExportResult::Status::failure, 0, "exporter threw: " + current_exception_text()}; }
  }

  // One line per problem, at most one a second, so a dead collector cannot
  // flood stderr.
  void report(const std::string& message) {
    const auto now = Clock::now();
    if (now < next_report_) {
      ++suppressed_;
      return;
    }
    next_report_ = now + std::chrono::seconds(1);
    std::string line = "trail: " + message;
    if (suppressed_) line += " (" + std::to_string(suppressed_) + " similar messages suppressed)";
    suppressed_ = 0;
    line += '\n';
    std::fputs(line.c_str(), stderr);
  }

  const FlusherOptions options_;
  const Resource resource_;
  const InstrumentationScope scope_;
  const std::vector<std::shared_ptr<Exporter>> span_exporters_;
  const std::vector<std::shared_ptr<Exporter>> metric_exporters_;

  std::mutex collect_mutex_;  // the collector: flusher and stats()
  Collector collector_;
  Collector::Counts baseline_;  // counts() when this flusher started
  std::vector<SpanData> queue_;  // flusher thread only

  std::mutex mutex_;  // the fields below
  std::condition_variable wake_;
  std::condition_variable flushed_;
  bool stopping_ = false;
  bool exited_ = false;
  std::uint64_t flush_requested_ = 0;
  std::uint64_t flush_done_ = 0;
  bool last_flush_ok_ = false;

  const std::uint64_t started_unix_nano_ = realtime_ns();
  std::atomic<std::int64_t> hard_deadline_;
  std::atomic<std::uint64_t> exported_{0};
  std::atomic<std::uint64_t> export_failed_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> pending_{0};
  std::atomic<std::uint64_t> metric_exports_{0};
  std::atomic<std::uint64_t> metric_exports_failed_{0};
  Clock::time_point next_report_{};
  std::uint64_t suppressed_ = 0;

  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace detail
}  // namespace trail
