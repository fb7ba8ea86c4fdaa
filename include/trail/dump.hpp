// trail::dump(reason): the flight recorder's trigger (TRAIL_FLIGHT_RECORDER).
// Callable from any thread, any copy of trail in the process; it never
// blocks: the request is left for the flusher, which exports the recorder's
// window (the last N seconds of spans) with `reason` on every span.
#pragma once

#include <cstdint>
#include <string_view>

#include "state.hpp"

namespace trail {

// True when a flight recorder is running to take the request. The reason is
// cut to 119 bytes (at a UTF-8 boundary); of two dumps at the same instant,
// both are served with one of their reasons.
inline bool dump(std::string_view reason = "dump") noexcept {
  detail::ProcessState& p = detail::process();
  detail::DumpMailbox& m = p.dumps;
  if (!m.busy.exchange(true, std::memory_order_acquire)) {
    std::size_t n = reason.size() < sizeof m.reason ? reason.size() : sizeof m.reason - 1;
    if (n < reason.size())
      while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0u) == 0x80u) --n;
    for (std::size_t i = 0; i < n; ++i) m.reason[i] = reason[i];
    m.reason_size = static_cast<std::uint32_t>(n);
    m.busy.store(false, std::memory_order_release);
  }
  m.requests.fetch_add(1, std::memory_order_release);
  // Wake the flusher as a ring past half full does.
  p.ring_pressure.pending.store(true, std::memory_order_relaxed);
  if (detail::PressureWake wake = p.ring_pressure.wake.load(std::memory_order_acquire)) wake();
  return m.recorder_running.load(std::memory_order_relaxed);
}

}  // namespace trail
