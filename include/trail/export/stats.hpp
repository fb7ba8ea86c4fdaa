// trail::stats(): what happened to the spans recorded so far. Its own
// header so that runtime.hpp's declarations need no flusher.
#pragma once

#include <cstdint>

namespace trail {

// What happened to the spans recorded so far. At every call, and after
// shutdown, one identity holds:
//   spans_recorded == spans_exported + spans_dropped() + spans_pending
// (spans_dropped() sums the reasons below).
struct Stats {
  std::uint64_t spans_recorded = 0;                // ended while sampled since init, ring-full drops included;
                                                   // also those recorded before init() that this run exports
  std::uint64_t spans_exported = 0;                // accepted by every exporter
  std::uint64_t spans_dropped_ring_full = 0;       // the thread's ring was full at span end
  std::uint64_t spans_dropped_export_failed = 0;   // retries exhausted or deadline passed
  std::uint64_t spans_rejected = 0;                // refused by the receiver (4xx, partialSuccess)
  std::uint64_t spans_dropped_shutdown = 0;        // not yet exported when shutdown's deadline passed
  std::uint64_t spans_dropped_no_exporter = 0;     // no span exporter configured (OTEL_TRACES_EXPORTER=none)
  std::uint64_t records_dropped_ring_full = 0;     // attributes / events / status lost to a full ring
  std::uint64_t spans_pending = 0;                 // in the rings or queued, waiting for export
  std::uint64_t metric_exports = 0;
  std::uint64_t metric_exports_failed = 0;

  std::uint64_t spans_dropped() const noexcept {
    return spans_dropped_ring_full + spans_dropped_export_failed + spans_rejected + spans_dropped_shutdown +
           spans_dropped_no_exporter;
  }
};

}  // namespace trail
