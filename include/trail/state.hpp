// Process-wide and per-thread recording state.
//
// All process-wide state of the recording side lives in the inline
// variables of this header and of clock.hpp, ring.hpp and sampler.hpp. A
// header-only library linked into several shared objects with hidden
// visibility gets one copy per object (opentelemetry-cpp #1520): instrument
// shared libraries with default visibility, or call init() in each.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "clock.hpp"
#include "config.hpp"
#include "context.hpp"
#include "ids.hpp"
#include "platform/entropy.hpp"
#include "platform/thread.hpp"
#include "ring.hpp"

namespace trail::detail {

struct GlobalState {
  // 1 on, 0 off, -1 not yet resolved from OTEL_SDK_DISABLED.
  std::atomic<int> enabled{-1};
  // Every ring ever registered and not yet reclaimed (lock-free push).
  std::atomic<Ring*> rings{nullptr};
  // Records per ring, for rings created from now on.
  std::atomic<std::uint32_t> ring_capacity{16384};
  // OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, applied as strings are copied.
  std::atomic<std::uint32_t> value_length_limit{UINT32_MAX};
  std::atomic<std::uint64_t> thread_counter{0};
  // trail::init() was called at least once (for the exit-time hint).
  std::atomic<bool> init_called{false};
};

inline GlobalState g_state;

struct ThreadState {
  Ring* ring;        // nullptr until the thread's first span, and after it exits
  bool exited;       // thread-local destructors ran: record nothing more
  Context current;   // the active context on this thread
  IdGenerator ids;
};

// Constant-initialized and trivially destructible: access is a plain
// thread-pointer-relative load, with no TLS guard.
inline thread_local ThreadState t_state{};

inline std::uint64_t current_thread_id() noexcept { return platform::thread_id(); }

// Runs when a thread that recorded exits: its ring is handed over to the
// flusher. The main thread keeps its ring: its thread-local destructors run
// in exit() before the atexit handlers, and shutdown() (one of them) still
// records there, ending the sessions left open.
inline void on_recording_thread_exit(void* ring) noexcept {
  if (platform::is_main_thread()) return;
  t_state.ring = nullptr;
  t_state.exited = true;
  static_cast<Ring*>(ring)->mark_owner_exited();
}

inline bool resolve_enabled() noexcept {
  int state = g_state.enabled.load(std::memory_order_relaxed);
  if (state < 0) {
    const char* v = std::getenv("OTEL_SDK_DISABLED");
    const bool disabled = v != nullptr && (v[0] == 't' || v[0] == 'T') && (v[1] == 'r' || v[1] == 'R') &&
                          (v[2] == 'u' || v[2] == 'U') && (v[3] == 'e' || v[3] == 'E') && v[4] == '\0';
    int expected = -1;
    g_state.enabled.compare_exchange_strong(expected, disabled ? 0 : 1, std::memory_order_relaxed);
    state = g_state.enabled.load(std::memory_order_relaxed);
  }
  return state == 1;
}

// A load and a branch when tracing is on; also when it is off.
TRAIL_FORCE_INLINE bool enabled() noexcept {
  const int state = g_state.enabled.load(std::memory_order_relaxed);
  return TRAIL_LIKELY(state == 1) || (TRAIL_UNLIKELY(state < 0) && resolve_enabled());
}

inline void register_ring(Ring* ring) noexcept {
  Ring* head = g_state.rings.load(std::memory_order_relaxed);
  do ring->next = head;
  while (!g_state.rings.compare_exchange_weak(head, ring, std::memory_order_release, std::memory_order_relaxed));
}

// Fresh entropy for a thread's id generator (also in a forked child, whose
// copy of the parent's state would repeat the parent's ids).
inline void seed_ids(ThreadState& ts) noexcept {
  std::uint64_t entropy = 0;
  if (!platform::random_bytes(&entropy, sizeof entropy)) entropy = 0;
  entropy ^= ticks() ^ monotonic_ns() ^ reinterpret_cast<std::uintptr_t>(&ts) ^
             (g_state.thread_counter.fetch_add(1, std::memory_order_relaxed) * 0x9e3779b97f4a7c15ull);
  ts.ids.seed(entropy);
}

// At exit: spans recorded while trail::init() was never called went nowhere.
inline void forgotten_init_hint() noexcept {
  if (g_state.init_called.load(std::memory_order_relaxed)) return;
  std::uint64_t spans = 0;
  for (const Ring* r = g_state.rings.load(std::memory_order_acquire); r != nullptr; r = r->next)
    spans += r->spans_recorded() + r->spans_dropped();
  if (spans == 0) return;
  std::fprintf(stderr,
               "trail: %llu span(s) were recorded but trail::init() was never called, so none was exported; "
               "call trail::init() in main (#include <trail/runtime.hpp>)\n",
               static_cast<unsigned long long>(spans));
}

// The thread's first span (or prepare_thread, which touches the ring's
// pages): seeds its id generator and registers its ring. The only
// allocation and the only shared write on the recording side.
TRAIL_NOINLINE inline bool thread_init(bool touch_pages = false) noexcept {
  ThreadState& ts = t_state;
  if (ts.ring != nullptr) return true;
  if (ts.exited) return false;
  static const bool hint_registered = std::atexit(forgotten_init_hint) == 0;
  (void)hint_registered;
  seed_ids(ts);
  std::uint32_t capacity = g_state.ring_capacity.load(std::memory_order_relaxed);
  Ring* ring = Ring::create(capacity, current_thread_id(), touch_pages);
  if (ring == nullptr) return false;
  register_ring(ring);
  ts.ring = ring;
  platform::on_thread_exit<on_recording_thread_exit>(ring);
  return true;
}

TRAIL_FORCE_INLINE ThreadState* thread_state() noexcept {
  ThreadState& ts = t_state;
  if (TRAIL_UNLIKELY(ts.ring == nullptr) && !thread_init()) return nullptr;
  return &ts;
}

}  // namespace trail::detail

namespace trail {

// Turns recording on or off at run time; off, a span costs a load and a branch.
inline void set_enabled(bool on) noexcept { detail::g_state.enabled.store(on ? 1 : 0, std::memory_order_relaxed); }
inline bool is_enabled() noexcept { return detail::enabled(); }

// Records per thread ring (rounded up to a power of two, at least 64), for
// threads whose first span comes after the call. Each record is 64 bytes.
inline void set_ring_capacity(std::uint32_t records) noexcept {
  std::uint32_t capacity = 64;
  while (capacity < records && capacity < (1u << 24)) capacity <<= 1;
  detail::g_state.ring_capacity.store(capacity, std::memory_order_relaxed);
}

// Registers this thread's ring now, allocating it and touching every page,
// so that a thread that must not fault later (a control loop, a game's
// render thread) pays before its first span; without it, the first span
// registers the ring and the pages fault as spans first reach them. False
// when the thread cannot record (out of memory, or it is exiting).
inline bool prepare_thread() noexcept { return detail::thread_init(/*touch_pages=*/true); }

// OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: longer string values are truncated (at a
// UTF-8 boundary) as they are recorded.
inline void set_attribute_value_length_limit(std::uint32_t bytes) noexcept {
  detail::g_state.value_length_limit.store(bytes, std::memory_order_relaxed);
}

// The context spans opened now on this thread would be children of.
inline Context current() noexcept { return detail::t_state.current; }

// Makes `ctx` the current context for a scope: work handed to another thread
// or a job system parents to the span that scheduled it.
class ContextScope {
 public:
  explicit ContextScope(const Context& ctx) noexcept : saved_(detail::t_state.current) { detail::t_state.current = ctx; }
  ~ContextScope() { detail::t_state.current = saved_; }
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  Context saved_;
};

}  // namespace trail
