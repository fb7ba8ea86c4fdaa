// trail::stats(): what happened to the spans recorded so far. Its own
// header so that runtime.hpp's declarations need no flusher.
#pragma once

#include <cstdint>

namespace trail {

// What happened to the spans recorded so far. At every call, and after
// shutdown, one identity holds:
//   spans_recorded == spans_exported + spans_spilled + spans_dropped() + spans_pending
// (spans_dropped() sums the reasons below). Spilled is this run's last word
// on a span: it is on disk, and the spill delivers it later, in this run or
// the next; what the spill then does is counted apart (the spill_ fields),
// since it also sends what earlier runs left.
struct Stats {
  std::uint64_t spans_recorded = 0;                // ended while sampled since init, ring-full drops included;
                                                   // also those recorded before init() that this run exports
  std::uint64_t spans_exported = 0;                // accepted by every exporter
  std::uint64_t spans_dropped_ring_full = 0;       // the thread's ring was full at span end
  std::uint64_t spans_dropped_export_failed = 0;   // retries exhausted or deadline passed
  std::uint64_t spans_rejected = 0;                // refused by the receiver (4xx, partialSuccess)
  std::uint64_t spans_dropped_shutdown = 0;        // not yet exported when shutdown's deadline passed
  std::uint64_t spans_dropped_no_exporter = 0;     // no span exporter configured (OTEL_TRACES_EXPORTER=none)
  std::uint64_t spans_dropped_flight_recorder = 0; // flight recorder: left its window (or bound) without a dump
  std::uint64_t records_dropped_ring_full = 0;     // attributes / events / status lost to a full ring
  std::uint64_t spans_pending = 0;                 // in the rings, queued, or in the flight recorder's window
  std::uint64_t spans_spilled = 0;                 // not delivered, written to the spill (TRAIL_SPILL_DIR)
  std::uint64_t metric_exports = 0;
  std::uint64_t metric_exports_failed = 0;
  std::uint64_t dumps = 0;                         // flight recorder windows exported (trail::dump)
  std::uint64_t flight_recorder_bytes = 0;         // what the flight recorder holds now (its bound's measure)

  // The spill directory, this process's work on it (any run's spans):
  std::uint64_t spans_replayed = 0;            // sent from the spill and accepted by the receiver
  std::uint64_t spans_replay_rejected = 0;     // sent from the spill and refused by the receiver (not sent again)
  std::uint64_t spans_dropped_spill_full = 0;  // removed with the oldest segments to stay under TRAIL_SPILL_MAX_BYTES
  std::uint64_t spill_records_corrupt = 0;     // torn or corrupt stretches skipped (their spans are unknown)
  std::uint64_t spans_spill_backlog = 0;       // in the spill directory now, waiting for the endpoint
  std::uint64_t spill_bytes = 0;               // the spill directory's size now

  std::uint64_t spans_dropped() const noexcept {
    return spans_dropped_ring_full + spans_dropped_export_failed + spans_rejected + spans_dropped_shutdown +
           spans_dropped_no_exporter + spans_dropped_flight_recorder;
  }
};

}  // namespace trail
