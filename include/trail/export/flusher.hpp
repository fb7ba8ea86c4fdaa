// The flusher: one thread that drains the rings, rebuilds spans, batches
// them and hands each batch to every exporter; and, on its own period, the
// metric points. Everything that allocates, formats or touches the network
// happens here, never on a recording thread. While it waits inside an
// exporter (a request in flight), a second thread, the drainer, keeps
// draining rings past half full into the queue, so that a burst during a
// slow request does not overflow them.
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
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../ring.hpp"
#include "../state.hpp"
#include "collector.hpp"
#include "exporter.hpp"
#include "flight_recorder.hpp"
#include "metrics_collect.hpp"
#include "settings.hpp"
#include "spill.hpp"
#include "stats.hpp"

namespace trail {
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
  GenAiOptions genai;
  std::shared_ptr<Spill> spill;  // the OTLP exporter's, for stats(); may be null
  std::chrono::milliseconds flight_recorder{0};  // 0: off
  std::uint64_t flight_recorder_max_bytes = std::uint64_t{64} << 20;
};

class Flusher {
 public:
  Flusher(FlusherOptions options, Resource resource, InstrumentationScope scope,
          std::vector<std::shared_ptr<Exporter>> span_exporters, std::vector<std::shared_ptr<Exporter>> metric_exporters)
      : options_(options),
        resource_(std::move(resource)),
        scope_(std::move(scope)),
        span_exporters_(std::move(span_exporters)),
        metric_exporters_(std::move(metric_exporters)),
        collector_(options.limits, options.code, options.genai),
        hard_deadline_(Clock::time_point::max().time_since_epoch().count()) {
    {
      // The ring counters are process-wide; stats are since init.
      std::lock_guard<std::mutex> lock(consumer_state()->mutex);
      baseline_ = collector_.counts();
    }
    queue_.reserve(std::min<std::size_t>(options_.max_queue_size, 4096));
    if (options_.flight_recorder.count() > 0) {
      recorder_ = std::make_unique<FlightRecorder>(options_.flight_recorder, options_.flight_recorder_max_bytes);
      dumps_seen_ = process().dumps.requests.load(std::memory_order_acquire);  // earlier requests had no recorder
      process().dumps.recorder_running.store(true, std::memory_order_relaxed);
    }
    // A member function, not a lambda: g++ may bind a lambda's std::thread
    // state to another shared object's copy of this header.
    thread_ = std::thread(&Flusher::run, this);
    RingPressure& pressure = process().ring_pressure;
    void* none = nullptr;
    if (pressure.target.compare_exchange_strong(none, this)) pressure.wake.store(&wake_on_pressure);
  }

  ~Flusher() {
    if (!stop()) std::abort();  // unreachable: a detached flusher is never destroyed
    close();
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
  // the caller must then keep this object alive and close() it.
  bool stop() noexcept {
    std::unique_lock<std::mutex> lock(mutex_);
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
        stop_drainer();
        return false;
      }
      for (auto& e : span_exporters_) e->shutdown();
      for (auto& e : metric_exporters_) e->shutdown();
    }
    stop_drainer();
    return !thread_.joinable();
  }

  // Ends this flusher's part: from now on it never touches the rings, its
  // exporters or its counts again (a detached thread that wakes later just
  // exits), so a new init() has the rings to itself. What it had not
  // exported, and what is still in the rings, counts as dropped at shutdown
  // (the next run must not export it under its own counts). Returns the
  // final counts; idempotent.
  Stats close() {
    std::lock_guard<std::mutex> lock(consumer_state()->mutex);
    if (closed_) return final_;
    closed_ = true;
    if (recorder_) process().dumps.recorder_running.store(false, std::memory_order_relaxed);
    Collector sweeper(options_.limits);
    std::vector<SpanData> swept;
    sweeper.collect(swept);
    shutdown_dropped_ += swept.size() + sweeper.deferred();
    final_ = stats_locked();
    const std::uint64_t unsent = queued_ + collector_.deferred();
    final_.spans_dropped_shutdown += unsent;
    final_.spans_pending -= unsent;  // what remains: spans racing with shutdown, for the next run
    final_.spans_dropped_flight_recorder += held_;  // never dumped
    final_.spans_pending -= held_;
    return final_;
  }

  Stats stats() {
    std::lock_guard<std::mutex> lock(consumer_state()->mutex);
    return closed_ ? final_ : stats_locked();
  }

  // Whether this flusher's thread is inside a call of `exporter` now. Once
  // closed it never enters one again, so false then stays false: init()
  // refuses a Config whose exporter a fenced flusher is still calling.
  bool calling(const Exporter* exporter) {
    std::lock_guard<std::mutex> lock(consumer_state()->mutex);
    return calling_ == exporter;
  }

 private:
  // Call holding the consumer lock.
  Stats stats_locked() const {
    const RingCounts c = collector_.counts();
    Stats s;
    s.spans_dropped_ring_full = c.spans_dropped_ring_full - baseline_.spans_dropped_ring_full;
    // Everything not consumed before init is this run's, spans recorded before it included.
    s.spans_recorded = c.spans_recorded - baseline_.spans_consumed + s.spans_dropped_ring_full;
    s.records_dropped_ring_full = c.records_dropped_ring_full - baseline_.records_dropped_ring_full;
    s.spans_exported = exported_;
    s.spans_dropped_export_failed = export_failed_;
    s.spans_rejected = rejected_;
    s.spans_dropped_shutdown = shutdown_dropped_;
    s.spans_dropped_no_exporter = no_exporter_;
    s.spans_pending = (c.spans_recorded - c.spans_consumed) + collector_.deferred() + queued_ + held_;
    s.spans_dropped_flight_recorder = recorder_dropped_;
    s.dumps = dumps_;
    s.flight_recorder_bytes = recorder_bytes_;
    s.spans_spilled = spilled_;
    if (options_.spill) {
      const SpillCounts spill = options_.spill->counts();
      s.spans_replayed = spill.spans_replayed;
      s.spans_replay_rejected = spill.spans_replay_rejected;
      s.spans_dropped_spill_full = spill.spans_dropped_spill_full;
      s.spill_records_corrupt = spill.records_corrupt;
      s.spans_spill_backlog = spill.spans_backlog;
      s.spill_bytes = spill.bytes;
    }
    s.metric_exports = metric_exports_.load(std::memory_order_relaxed);
    s.metric_exports_failed = metric_exports_failed_.load(std::memory_order_relaxed);
    return s;
  }

  // The flusher producers wake when a ring passes half full (the first one
  // started, while it runs), and how many wakes are in progress: stop()
  // waits for them before this object may go.
  // Process-wide (RingPressure): every copy of trail's producers call it.
  static void wake_on_pressure() noexcept {
    RingPressure& pressure = process().ring_pressure;
    pressure.wakes_in_progress.fetch_add(1);
    if (void* f = pressure.target.load()) {
      auto* self = static_cast<Flusher*>(f);
      self->wake_.notify_one();
      // Pairs with the fence in begin_export(): `pending` (stored before
      // this call) or `exporting_` is seen by the other side.
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (self->exporting_.load(std::memory_order_relaxed)) self->drainer_wake_.notify_one();
    }
    pressure.wakes_in_progress.fetch_sub(1);
  }

  void stop_pressure_wakes() noexcept {
    RingPressure& pressure = process().ring_pressure;
    void* self = this;
    if (!pressure.target.compare_exchange_strong(self, nullptr)) return;
    while (pressure.wakes_in_progress.load() != 0) std::this_thread::yield();
  }

  // Runs f() on the counts, under the consumer lock; false (f not run) once closed.
  template <class F>
  bool account(F&& f) {
    std::lock_guard<std::mutex> lock(consumer_state()->mutex);
    if (closed_) return false;
    f();
    return true;
  }

  bool is_closed() {
    return !account([] {});
  }

  // result = f(exporter), guarded; false (not called) once closed. The
  // check and calling_ change under the consumer lock, atomically with close().
  template <class F>
  bool call(Exporter& exporter, F&& f, ExportResult& result) {
    if (!account([&] { calling_ = &exporter; })) return false;
    if (!flushing_) begin_export();  // a flush drains on its own, to targets it can reach
    result = guarded([&] { return f(exporter); });
    if (!flushing_) end_export();
    std::lock_guard<std::mutex> lock(consumer_state()->mutex);
    calling_ = nullptr;
    return true;
  }

  // The drainer may collect while the flusher is inside an exporter; its
  // spans join the queue at the flusher's next pass (take_drained). Started
  // at the first export; a thread that cannot start only leaves it out.
  void begin_export() {
    std::lock_guard<std::mutex> lock(drainer_mutex_);
    if (drainer_stop_) return;
    if (!drainer_.joinable()) {
      TRAIL_TRY { drainer_ = std::thread(&Flusher::run_drainer, this); }
      TRAIL_CATCH_ALL {
        drainer_stop_ = true;
        return;
      }
    }
    const std::size_t waiting = queue_.size() - queue_taken_ + drained_.size();
    drained_room_ = options_.max_queue_size - std::min(waiting, options_.max_queue_size);
    exporting_.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // see wake_on_pressure
    if (process().ring_pressure.pending.load(std::memory_order_relaxed)) drainer_wake_.notify_one();
  }

  // Waits for a drain in progress to end.
  void end_export() {
    std::lock_guard<std::mutex> lock(drainer_mutex_);
    exporting_.store(false, std::memory_order_relaxed);
  }

  // Moves what the drainer collected to the end of the queue.
  void take_drained() {
    std::lock_guard<std::mutex> lock(drainer_mutex_);
    queue_.insert(queue_.end(), std::make_move_iterator(drained_.begin()), std::make_move_iterator(drained_.end()));
    drained_.clear();
    drained_any_.store(false, std::memory_order_relaxed);
  }

  // The drainer thread: while the flusher is inside an exporter and a ring
  // is past half full (`pending`), collects into drained_ up to the queue's
  // bound; drained_any_ tells the flusher. `pending` is cleared before the
  // pass, as the flusher does, so a ring crossing half during it signals again.
  void run_drainer() {
    std::atomic<bool>& pending = process().ring_pressure.pending;
    std::unique_lock<std::mutex> lock(drainer_mutex_);
    while (!drainer_stop_) {
      if (!exporting_.load(std::memory_order_relaxed) || drained_room_ == 0) {
        drainer_wake_.wait(lock);  // until the next export (begin_export) or stop
        continue;
      }
      if (pending.exchange(false)) {
        std::size_t n = 0;
        bool complete = false;
        if (!account([&] {
              n = collector_.collect(drained_, drained_room_);
              complete = collector_.last_pass_complete();
              queued_ += n;
            }))
          return;  // closed: the rings are no longer this flusher's
        drained_room_ -= std::min(n, drained_room_);
        if (n != 0) drained_any_.store(true, std::memory_order_relaxed);
        if (!complete) {  // a limit hit (room, or a ring's share): more to read
          pending.store(true, std::memory_order_relaxed);
          continue;
        }
      }
      // A wake lost between the check and the wait costs at most 20 ms.
      drainer_wake_.wait_for(lock, std::chrono::milliseconds(20));
    }
  }

  void stop_drainer() noexcept {
    std::thread drainer;
    {
      std::lock_guard<std::mutex> lock(drainer_mutex_);
      drainer_stop_ = true;
      drainer = std::move(drainer_);
    }
    drainer_wake_.notify_one();
    if (drainer.joinable()) drainer.join();
  }

  void run() {
    auto next_export = Clock::now() + options_.schedule_delay;
    auto next_metrics = Clock::now() + options_.metric_export_interval;
    auto next_background = Clock::now();
    std::uint64_t ticket = 0;
    int passes_past_targets = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      // Wake for a flush, shutdown, the schedule, or a ring past half full
      // (its producer notifies; the 200 ms fallback covers a notify that
      // comes between the check and the wait, or a second flusher's rings).
      if (!flushing_) {
        const auto wake_at =
            std::min({next_export, next_metrics, next_background, Clock::now() + std::chrono::milliseconds(200)});
        wake_.wait_until(lock, wake_at, [&] {
          return stopping_ || flush_requested_ > flush_done_ || backlog_ || drained_any_.load(std::memory_order_relaxed) ||
                 process().ring_pressure.pending.load(std::memory_order_relaxed) ||
                 (recorder_ && process().dumps.requests.load(std::memory_order_acquire) != dumps_seen_);
        });
      }
      if (recorder_) take_dump_request();
      const bool stopping = stopping_;
      const bool start_flush = !flushing_ && (stopping || flush_requested_ > flush_done_);
      if (start_flush) ticket = flush_requested_;
      lock.unlock();

      if (start_flush) {
        // Everything written so far, and no more: a flush ends under any load.
        if (!account([&] { collector_.mark_targets(); })) break;
        flushing_ = true;
        flush_ok_ = true;
        passes_past_targets = 0;
      }
      const auto now = Clock::now();
      const bool pressure = process().ring_pressure.pending.exchange(false, std::memory_order_relaxed);
      const bool scheduled = now >= next_export;
      bool finished = false;
      if (flushing_ || pressure || scheduled || backlog_ || drained_any_.load(std::memory_order_relaxed)) {
        finished = drain_slice(flushing_ || scheduled, passes_past_targets);
        if (scheduled) next_export = now + options_.schedule_delay;
      }
      if (finished || Clock::now() >= next_metrics) {
        export_metrics();  // flush() reports on spans; metric failures are counted in stats()
        next_metrics = Clock::now() + options_.metric_export_interval;
      }
      if (is_closed()) break;  // shutdown gave up on this thread: it owns nothing any more
      if (finished && dump_pending_ && ticket >= dump_ticket_) {
        dump_pending_ = false;
        dump_window();
      }
      if (finished && !stopping && !force_flush_exporters()) flush_ok_ = false;  // at stop, shutdown() writes out
      if (!flushing_ && !stopping && Clock::now() >= next_background)  // and at least every 200 ms (Exporter)
        next_background = std::min(background(), Clock::now() + std::chrono::milliseconds(200));
      if (!flushing_ && !stopping) Collector::prepare_spare_ring();

      lock.lock();
      if (finished || (flushing_ && stopping && hard_deadline_passed())) {
        flush_done_ = ticket;
        last_flush_ok_ = finished && flush_ok_;
        flushing_ = false;
        flushed_.notify_all();
        if (stopping) break;
      }
    }
    if (!lock.owns_lock()) lock.lock();
    exited_ = true;
    flushed_.notify_all();
  }

  // Moves spans from the rings into the queue (never past its bound: what
  // does not fit waits in the rings) and exports full batches (with `all`,
  // the last partial batch too), pass after pass for at most a slice of
  // time, so that flush, shutdown and metric export are served under any
  // load. While flushing, true once everything written before the flush
  // started is exported (one pass after the targets were reached finishes
  // the AsyncSpans).
  bool drain_slice(bool all, int& passes_past_targets) {
    const auto slice_end = Clock::now() + std::chrono::milliseconds(50);
    for (;;) {
      take_drained();  // collected during the last export
      bool complete = true;
      bool reached = false;
      const bool owned = account([&] {
        const std::size_t room = options_.max_queue_size - std::min(queue_.size(), options_.max_queue_size);
        queued_ += collector_.collect(queue_, room);
        complete = collector_.last_pass_complete();
        reached = collector_.last_targets_reached();
      });
      if (!owned) return false;
      if (flushing_ && reached) ++passes_past_targets;
      const bool done = flushing_ && passes_past_targets >= 2;
      export_queue(done || (all && !flushing_) || !complete);
      backlog_ = !complete;
      if (done) return true;
      if (!flushing_ && complete) return false;
      if (Clock::now() >= slice_end || hard_deadline_passed()) return false;
    }
  }

  bool hard_deadline_passed() const {
    return Clock::now().time_since_epoch().count() >= hard_deadline_.load(std::memory_order_relaxed);
  }

  // Holding mutex_: a trail::dump() since the last look starts a flush
  // (everything recorded before it enters the recorder), the dump follows it.
  void take_dump_request() {
    DumpMailbox& m = process().dumps;
    const std::uint64_t requests = m.requests.load(std::memory_order_acquire);
    if (requests == dumps_seen_) return;
    dumps_seen_ = requests;
    while (m.busy.exchange(true, std::memory_order_acquire)) std::this_thread::yield();  // a copy of <= 120 bytes
    dump_reason_.assign(m.reason, m.reason_size);
    m.busy.store(false, std::memory_order_release);
    if (dump_pending_) return;  // one dump serves both
    dump_pending_ = true;
    dump_ticket_ = ++flush_requested_;
  }

  // The flight recorder's window, through the exporters, with the reason on every span.
  void dump_window() {
    std::uint64_t discarded = 0;
    std::vector<SpanData> window = recorder_->take_window(discarded);
    for (SpanData& span : window) span.attributes.push_back({"trail.dump.reason", dump_reason_});
    if (!account([&] {
          recorder_dropped_ += discarded;
          held_ = 0;
          recorder_bytes_ = 0;
          queued_ += window.size();
          ++dumps_;
        }))
      return;
    for (std::size_t done = 0; done < window.size(); done += options_.max_export_batch_size)
      if (!export_batch(window.data() + done, std::min(options_.max_export_batch_size, window.size() - done)))
        flush_ok_ = false;
  }

  // Flight recorder on: the queue goes into its window instead of out.
  void hold_queue() {
    std::uint64_t gone = 0;
    for (SpanData& span : queue_) gone += recorder_->add(std::move(span));
    const std::size_t n = queue_.size();
    queue_.clear();
    account([&] {
      queued_ -= n;
      recorder_dropped_ += gone;
      held_ = recorder_->size();
      recorder_bytes_ = recorder_->bytes();
    });
  }

  void export_queue(bool all) {
    if (recorder_) {
      hold_queue();
      return;
    }
    std::size_t done = 0;
    while (queue_.size() - done >= options_.max_export_batch_size || (all && done < queue_.size())) {
      const std::size_t n = std::min(options_.max_export_batch_size, queue_.size() - done);
      queue_taken_ = done + n;  // out of the queue's bound from now on, as OpenTelemetry's batch processor does
      if (!export_batch(queue_.data() + done, n)) flush_ok_ = false;
      done += n;
    }
    queue_taken_ = 0;
    if (done != 0) account([&] { collector_.recycle(queue_.data(), done); });  // their storage, for the next spans
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(done));
  }

  bool export_batch(const SpanData* spans, std::size_t n) {
    if (span_exporters_.empty()) {
      account([&] {
        no_exporter_ += n;
        queued_ -= n;
      });
      return true;
    }
    const ExportDeadline deadline(Clock::now() + options_.export_timeout, &hard_deadline_);
    const SpanBatch batch{resource_, scope_, spans, n};
    ExportResult worst;
    for (auto& exporter : span_exporters_) {
      ExportResult r;
      if (!call(*exporter, [&](Exporter& e) { return e.export_spans(batch, deadline); }, r)) return false;
      if (!r.ok() && worst.ok()) worst = std::move(r);
      else if (r.ok() && worst.ok() && r.rejected + r.failed + r.spilled > worst.rejected + worst.failed + worst.spilled)
        worst = std::move(r);  // with its errorMessage
    }
    const std::uint64_t rejected =
        worst.status == ExportResult::Status::success ? std::min<std::uint64_t>(worst.rejected, n) : n;
    const std::uint64_t failed = worst.status == ExportResult::Status::success ? std::min(worst.failed, n - rejected) : 0;
    const std::uint64_t spilled =
        worst.status == ExportResult::Status::success ? std::min(worst.spilled, n - rejected - failed) : 0;
    const bool counted = account([&] {
      queued_ -= n;
      switch (worst.status) {
        case ExportResult::Status::success:
          exported_ += n - rejected - failed - spilled;
          spilled_ += spilled;
          rejected_ += rejected;
          export_failed_ += failed;
          break;
        case ExportResult::Status::rejected: rejected_ += n; break;
        case ExportResult::Status::failure: export_failed_ += n; break;
      }
    });
    if (!counted) return false;
    if (worst.ok()) {
      if (worst.reported) return rejected == 0 && failed == 0;
      if (rejected) report("receiver rejected " + std::to_string(rejected) + " span(s): " + worst.message);
      else if (failed) report("dropped " + std::to_string(failed) + " span(s): " + worst.message);
      else if (spilled) report("spilled " + std::to_string(spilled) + " span(s) to disk: " + worst.message);
      return rejected == 0 && failed == 0 && spilled == 0;
    }
    if (!worst.reported) report("dropped " + std::to_string(n) + " span(s): " + worst.message);
    return false;
  }

  // The exporters' own work (replaying the spill); when they want to be called again.
  Clock::time_point background() {
    const ExportDeadline deadline(Clock::now() + options_.export_timeout, &hard_deadline_);
    auto next = Clock::time_point::max();
    std::vector<Exporter*> seen;
    for (const auto* list : {&span_exporters_, &metric_exporters_}) {
      for (const auto& exporter : *list) {
        if (std::find(seen.begin(), seen.end(), exporter.get()) != seen.end()) continue;
        seen.push_back(exporter.get());
        ExportResult r;
        auto wanted = Clock::time_point::max();
        if (!call(*exporter, [&](Exporter& e) { wanted = e.background(deadline); return ExportResult{}; }, r))
          return next;
        if (!r.ok()) report(r.message + " (in background())");
        next = std::min(next, wanted);
      }
    }
    return next;
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
      ExportResult r;
      if (!call(*exporter, [&](Exporter& e) { return e.export_metrics(batch, deadline); }, r)) return false;
      if (!r.ok()) {
        ok = false;
        if (!r.reported) report("metric export failed: " + r.message);
      }
    }
    (ok ? metric_exports_ : metric_exports_failed_).fetch_add(1, std::memory_order_relaxed);
    return ok;
  }

  // Each exporter once, also when it takes both spans and metrics.
  bool force_flush_exporters() {
    if (is_closed()) return false;
    const ExportDeadline deadline(Clock::now() + options_.export_timeout, &hard_deadline_);
    std::vector<Exporter*> seen;
    bool ok = true;
    for (const auto* list : {&span_exporters_, &metric_exporters_}) {
      for (const auto& exporter : *list) {
        if (std::find(seen.begin(), seen.end(), exporter.get()) != seen.end()) continue;
        seen.push_back(exporter.get());
        ExportResult r;
        if (!call(*exporter, [&](Exporter& e) { return e.force_flush(deadline); }, r)) return false;
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
    if (options_.spill) {
      sum("trail.spans.spilled", "Spans not delivered, written to the spill directory", {{nullptr, st.spans_spilled}});
      sum("trail.spans.replayed", "Spans sent from the spill directory and accepted", {{nullptr, st.spans_replayed}});
    }
    std::vector<std::pair<const char*, std::uint64_t>> dropped = {{"ring_full", st.spans_dropped_ring_full},
                                                                   {"export_failed", st.spans_dropped_export_failed},
                                                                   {"rejected", st.spans_rejected},
                                                                   {"shutdown", st.spans_dropped_shutdown},
                                                                   {"no_exporter", st.spans_dropped_no_exporter}};
    if (options_.spill) dropped.push_back({"spill_full", st.spans_dropped_spill_full});
    if (recorder_) dropped.push_back({"flight_recorder", st.spans_dropped_flight_recorder});
    sum("trail.spans.dropped", "Spans lost, by reason", std::move(dropped));
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
  std::vector<SpanData> queue_;  // flusher thread only
  std::size_t queue_taken_ = 0;  // flusher thread only: the first ones, handed to the exporters

  // Under consumer_state()->mutex: the collector and the span counts.
  Collector collector_;
  RingCounts baseline_;  // counts() when this flusher started
  std::uint64_t queued_ = 0;  // spans in queue_
  std::uint64_t exported_ = 0;
  std::uint64_t export_failed_ = 0;
  std::uint64_t rejected_ = 0;
  std::uint64_t shutdown_dropped_ = 0;
  std::uint64_t no_exporter_ = 0;
  std::uint64_t spilled_ = 0;
  std::uint64_t held_ = 0;  // in the flight recorder
  std::uint64_t recorder_dropped_ = 0;
  std::uint64_t recorder_bytes_ = 0;
  std::uint64_t dumps_ = 0;
  bool closed_ = false;
  Stats final_;
  const Exporter* calling_ = nullptr;  // the exporter the flusher thread is inside

  std::mutex mutex_;  // the fields below
  std::condition_variable wake_;
  std::condition_variable flushed_;
  bool stopping_ = false;
  bool exited_ = false;
  std::uint64_t flush_requested_ = 0;
  std::uint64_t flush_done_ = 0;
  bool last_flush_ok_ = false;

  bool flush_ok_ = true;  // flusher thread only: no batch of the current flush failed
  bool flushing_ = false;  // flusher thread only: serving a flush (or the final one), no sleeping until it is done
  // Flusher thread only: the last pass left spans in the rings for want of
  // room in the queue (their producers, past half full, will not wake the
  // flusher again): the next pass follows without sleeping.
  bool backlog_ = false;
  std::unique_ptr<FlightRecorder> recorder_;  // flusher thread only; null: off
  std::uint64_t dumps_seen_ = 0;    // flusher thread only: DumpMailbox::requests already taken
  bool dump_pending_ = false;       // flusher thread only: dump once the flush of dump_ticket_ is done
  std::uint64_t dump_ticket_ = 0;
  std::string dump_reason_;
  const std::uint64_t started_unix_nano_ = realtime_ns();
  std::atomic<std::int64_t> hard_deadline_;
  std::atomic<std::uint64_t> metric_exports_{0};
  std::atomic<std::uint64_t> metric_exports_failed_{0};
  Clock::time_point next_report_{};
  std::uint64_t suppressed_ = 0;

  std::mutex drainer_mutex_;  // the fields below, and a drain in progress
  std::condition_variable drainer_wake_;
  std::vector<SpanData> drained_;  // counted in queued_
  std::size_t drained_room_ = 0;  // how many more the queue's bound allows
  bool drainer_stop_ = false;
  std::atomic<bool> exporting_{false};  // the flusher is inside an exporter, not flushing
  std::atomic<bool> drained_any_{false};  // drained_ holds spans: the flusher's next pass takes them

  std::thread drainer_;  // started by the first export
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace detail
}  // namespace trail
