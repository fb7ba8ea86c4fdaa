// The Exporter interface: what the flusher hands finished spans and metric
// points to. Built-in exporters implement it; users may too, and pass theirs
// to trail::init in Config::exporters.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "../config.hpp"
#include "metrics_data.hpp"
#include "span_data.hpp"

namespace trail {

using Clock = std::chrono::steady_clock;

// The time an export may take. `deadline` bounds this call; `hard_deadline`
// (when set) is moved earlier by shutdown, so retries stop in time.
class ExportDeadline {
 public:
  explicit ExportDeadline(Clock::time_point deadline, const std::atomic<std::int64_t>* hard_deadline = nullptr) noexcept
      : deadline_(deadline), hard_(hard_deadline) {}

  Clock::time_point get() const noexcept {
    if (hard_ == nullptr) return deadline_;
    const Clock::time_point hard{Clock::duration{hard_->load(std::memory_order_relaxed)}};
    return hard < deadline_ ? hard : deadline_;
  }
  bool passed() const noexcept { return Clock::now() >= get(); }
  // Shutdown has set the hard deadline: the run is ending, a retry schedule
  // with no hope (nothing listening) need not be sat out.
  bool shutting_down() const noexcept {
    return hard_ != nullptr && hard_->load(std::memory_order_relaxed) != Clock::time_point::max().time_since_epoch().count();
  }

 private:
  Clock::time_point deadline_;
  const std::atomic<std::int64_t>* hard_;
};

struct ExportResult {
  enum class Status {
    success,   // delivered (maybe partly rejected: see `rejected`)
    failure,   // not delivered: retries exhausted, deadline passed, or not retryable
    rejected,  // the receiver refused the whole batch (a 4xx other than 429)
  };
  ExportResult() = default;
  ExportResult(Status s, std::uint64_t rejected_items = 0, std::string why = {})
      : status(s), rejected(rejected_items), message(std::move(why)) {}

  Status status = Status::success;
  std::uint64_t rejected = 0;  // items the receiver refused (partialSuccess)
  std::string message;         // why, for failure / rejected / partial success
  std::uint64_t failed = 0;    // with success: items of a split batch whose request failed
  // The exporter has told the user already (a refusal that repeats every
  // batch until the configuration changes, printed once per run): the
  // flusher counts the items and prints nothing.
  bool reported = false;
  std::uint64_t spilled = 0;   // with success: items not delivered but kept in the spill (TRAIL_SPILL_DIR)

  bool ok() const noexcept { return status == Status::success; }
};

struct SpanBatch {
  const Resource& resource;
  const InstrumentationScope& scope;
  const SpanData* data;  // size spans, valid for the call only
  std::size_t size;

  const SpanData* begin() const noexcept { return data; }
  const SpanData* end() const noexcept { return data + size; }
};

struct MetricBatch {
  const Resource& resource;
  const InstrumentationScope& scope;
  const std::vector<MetricData>& metrics;
};

// Called on the flusher thread only, one call at a time. An implementation
// must return by the deadline and must not throw (a throw counts as failure).
class Exporter {
 public:
  virtual ~Exporter() = default;
  virtual ExportResult export_spans(const SpanBatch& batch, const ExportDeadline& deadline) = 0;
  // Exporters that take no metrics keep this default.
  virtual ExportResult export_metrics(const MetricBatch&, const ExportDeadline&) { return {}; }
  // Called after the spans and metrics of a trail::flush() were exported:
  // exporters that hold data (a file written whole, trees waiting for their
  // root) write it out here.
  virtual ExportResult force_flush(const ExportDeadline&) { return {}; }
  // Called on the flusher thread between exports, at least every 200 ms
  // while running (not during a flush or shutdown): an exporter with work of
  // its own (the OTLP exporter replays its spill here) does a bounded part of
  // it by the deadline, and returns when it wants to be called again.
  virtual Clock::time_point background(const ExportDeadline&) { return Clock::time_point::max(); }
  // Last call, at shutdown; release resources here.
  virtual void shutdown() noexcept {}
};

namespace detail {

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

}  // namespace detail

}  // namespace trail
