// Process-wide and per-thread recording state.
//
// One process, one trail: every copy of trail in the process (the
// executable's, and one per shared library built with it, whatever its
// visibility or dlopen mode) shares one ProcessState and one ThreadState per
// thread. The first copy to need them creates them and publishes them
// through the process anchor (platform/process_anchor.hpp); every other copy
// finds them there on first use. Copies of another ABI refuse to share: they
// say so once on stderr and record nothing.
//
// The hot path stays as cheap as with one copy: each copy caches the
// thread's ThreadState pointer in its own thread-local (resolved once per
// thread, not per span), and keeps a mirror of the settings read on every
// span (enabled, sampler, value length limit) that the process-wide setters
// update in every attached copy.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "clock.hpp"
#include "config.hpp"
#include "context.hpp"
#include "ids.hpp"
#include "platform/entropy.hpp"
#include "platform/process.hpp"
#include "platform/process_anchor.hpp"
#include "platform/thread.hpp"
#include "ring.hpp"
#include "sampler.hpp"
#include "version.hpp"

namespace trail {
class Session;
}

namespace trail::detail {

class MetricInstrument;

// Bump when the layout or meaning of anything shared between copies
// changes: ProcessState, ThreadState, Ring, Record, SpanMeta, Session,
// MetricInstrument, the runtime's Runtime and Flusher.
#ifndef TRAIL_DETAIL_PROCESS_ABI
#define TRAIL_DETAIL_PROCESS_ABI 10
#endif

#if defined(_LIBCPP_VERSION)
#define TRAIL_DETAIL_STDLIB "libc++"
#elif defined(__GLIBCXX__)
#define TRAIL_DETAIL_STDLIB "libstdc++"
#elif defined(_MSC_VER)
#define TRAIL_DETAIL_STDLIB "msvc"
#else
#define TRAIL_DETAIL_STDLIB "other"
#endif

#define TRAIL_DETAIL_STRINGIFY2(x) #x
#define TRAIL_DETAIL_STRINGIFY(x) TRAIL_DETAIL_STRINGIFY2(x)

// Copies share only when their keys are equal: same ABI, same standard
// library (runtime objects hold its types), same pointer size.
inline constexpr char process_abi_key[] = "trail abi " TRAIL_DETAIL_STRINGIFY(TRAIL_DETAIL_PROCESS_ABI) " " TRAIL_DETAIL_STDLIB
                                          " " TRAIL_DETAIL_STRINGIFY(__SIZEOF_POINTER__);
static_assert(sizeof process_abi_key <= sizeof platform::ProcessAnchor::key, "ABI key too long for the anchor");

struct ThreadState {
  Ring* ring;        // nullptr until the thread's first span, and after it exits
  bool exited;       // the thread-exit hook ran (or this copy cannot share): record nothing more
  Context current;   // the active context on this thread
  IdGenerator ids;
};

// The settings read on the hot path, mirrored into every attached copy.
struct HotSettings {
  // 1 on, 0 off, -1: this copy has not attached to the process state yet.
  std::atomic<int> enabled{-1};
  // OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, applied as strings are copied.
  std::atomic<std::uint32_t> value_length_limit{UINT32_MAX};
  // OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: GenAI message content is recorded.
  std::atomic<bool> capture_content{false};
  SamplerState sampler;
  HotSettings* next = nullptr;  // the process's list of mirrors
};

// For what is taken rarely and briefly: registering a session, changing a
// setting, attaching a copy.
struct SpinLock {
  std::atomic<bool> locked{false};

  void lock() noexcept {
    while (locked.exchange(true, std::memory_order_acquire)) platform::yield();
  }
  void unlock() noexcept { locked.store(false, std::memory_order_release); }
};

// Open, sampled sessions, so that shutdown can end them.
struct SessionRegistry : SpinLock {
  Session* head = nullptr;
};

// trail::dump() requests for the flight recorder (dump.hpp), taken by the
// flusher: a count and the latest reason. A request never waits: when
// another holds `busy`, its reason stands for both.
struct DumpMailbox {
  std::atomic<bool> busy{false};  // guards reason and reason_size
  std::atomic<std::uint64_t> requests{0};
  std::atomic<bool> recorder_running{false};  // set by the flusher
  std::uint32_t reason_size = 0;
  char reason[120] = {};
};

struct ProcessState {
  // The process-wide settings; copies read their mirrors.
  HotSettings settings;
  // Guards settings, mirrors and the lazily made objects below.
  SpinLock lock;
  // Every ring ever registered and not yet reclaimed (lock-free push).
  std::atomic<Ring*> rings{nullptr};
  // Records per ring, for rings created from now on.
  std::atomic<std::uint32_t> ring_capacity{16384};
  // A ring whose pages are already faulted, for the next thread's first
  // span: kept ready by the flusher (a fresh one, or an exited thread's,
  // drained), so that a new thread's first spans allocate nothing and take
  // no page fault. Taken with an exchange; may be null.
  std::atomic<Ring*> spare_ring{nullptr};
  // Drawn from the OS once (and again in a forked child): a thread's first
  // span mixes it into its id seed instead of making a system call.
  std::uint64_t id_seed = 0;
  std::atomic<std::uint64_t> thread_counter{0};
  std::atomic<std::uint64_t> ring_serials{0};  // the last Ring::serial() handed out
  // The last context annotation id handed out (Context::annotation).
  std::atomic<std::uint32_t> annotation_counter{0};
  // trail::init() was called at least once (for the exit-time hint).
  std::atomic<bool> init_called{false};
  RingPressure ring_pressure;
  SessionRegistry sessions;
  DumpMailbox dumps;
  // Every metric instrument of every copy, for the one collector.
  std::atomic<MetricInstrument*> metric_instruments{nullptr};
  // The creator's functions: the calling thread's ThreadState (its
  // thread-local), and its first-span setup (ring, exit hook).
  ThreadState* (*thread_state)() noexcept = nullptr;
  bool (*thread_init)(ThreadState&, bool touch_pages) noexcept = nullptr;
  // Made on first use by whichever copy needs them: the runtime's export
  // state and the GenAI client metrics.
  void* runtime = nullptr;
  void* consumers = nullptr;  // the export side's ConsumerState
  void* genai_metrics = nullptr;
  // False in the private state of a copy that could not share (ABI mismatch).
  bool shared = true;
};

// This copy's view. Constant-initialized and trivially destructible: access
// is a plain load, with no TLS guard.
inline HotSettings g_settings;
inline std::atomic<ProcessState*> g_process{nullptr};
// The ThreadState of the copy that created the process state, for each thread.
inline thread_local ThreadState t_own{};
// This copy's cache of the process's ThreadState for this thread.
inline thread_local ThreadState* t_state = nullptr;


inline std::uint64_t current_thread_id() noexcept { return platform::thread_id(); }

// Runs when a thread that recorded exits: its ring is handed over to the
// flusher. The main thread keeps its ring: where the hook runs in exit()
// before the atexit handlers, shutdown() (one of them) still records there,
// ending the sessions left open. Registered by the creating
// copy, whose t_own is the thread's state.
inline void on_recording_thread_exit(void* ring) noexcept {
  if (platform::is_main_thread()) return;
  t_own.ring = nullptr;
  t_own.exited = true;
  static_cast<Ring*>(ring)->mark_owner_exited();
}

// What the creating copy publishes: its thread-local, and its thread setup.
inline ThreadState* own_thread_state() noexcept { return &t_own; }

// Fresh entropy for a thread's id generator (also in a forked child, whose
// copy of the parent's state would repeat the parent's ids).
inline void seed_ids(ThreadState& ts) noexcept {
  ProcessState& p = *g_process.load(std::memory_order_acquire);
  // The counter makes every thread's seed distinct within the process; the
  // process seed, across processes.
  ts.ids.seed(p.id_seed ^ ticks() ^ reinterpret_cast<std::uintptr_t>(&ts) ^
              (p.thread_counter.fetch_add(1, std::memory_order_relaxed) * 0x9e3779b97f4a7c15ull));
}

// The process's id seed, from the OS (a zero seed still leaves the clocks
// and the thread counter when it has none).
inline void draw_id_seed(ProcessState& p) noexcept {
  if (!platform::random_bytes(&p.id_seed, sizeof p.id_seed)) p.id_seed = 0;
}

// The spare ring, when it has the capacity wanted (one made before a
// set_ring_capacity() is freed). Whoever exchanges it out owns it.
inline Ring* take_spare_ring(ProcessState& p, std::uint32_t capacity) noexcept {
  Ring* spare = p.spare_ring.exchange(nullptr, std::memory_order_acquire);
  if (spare == nullptr || spare->capacity() == capacity) return spare;
  delete spare;
  return nullptr;
}

// At exit: spans recorded while trail::init() was never called went nowhere.
inline void forgotten_init_hint() noexcept {
  if (g_process.load(std::memory_order_acquire)->init_called.load(std::memory_order_relaxed)) return;
  std::uint64_t spans = 0;
  for (const Ring* r = g_process.load(std::memory_order_acquire)->rings.load(std::memory_order_acquire); r != nullptr; r = r->next)
    spans += r->spans_recorded() + r->spans_dropped();
  if (spans == 0) return;
  std::fprintf(stderr,
               "trail: %llu span(s) were recorded but trail::init() was never called, so none was exported; "
               "call trail::init() in main (#include <trail/runtime.hpp>)\n",
               static_cast<unsigned long long>(spans));
}

inline void register_ring(ProcessState& p, Ring* ring) noexcept {
  Ring* head = p.rings.load(std::memory_order_relaxed);
  do ring->next = head;
  while (!p.rings.compare_exchange_weak(head, ring, std::memory_order_release, std::memory_order_relaxed));
}

// The thread's first span (or prepare_thread, which touches the ring's
// pages), run by the creating copy's code: seeds the id generator and
// registers the ring. The only allocation and the only shared write on the
// recording side.
inline bool own_thread_init(ThreadState& ts, bool touch_pages) noexcept {
  if (ts.ring != nullptr) return true;
  if (ts.exited) return false;
  ProcessState& p = *g_process.load(std::memory_order_acquire);
  static const bool hint_registered = std::atexit(forgotten_init_hint) == 0;
  (void)hint_registered;
  seed_ids(ts);
  const std::uint32_t capacity = p.ring_capacity.load(std::memory_order_relaxed);
  const std::uint64_t serial = p.ring_serials.fetch_add(1, std::memory_order_relaxed) + 1;
  // prepare_thread() touches its own ring: its pages then belong to this
  // thread's NUMA node, and are not shared copy-on-write with a forked child.
  Ring* ring = touch_pages ? nullptr : take_spare_ring(p, capacity);
  if (ring != nullptr)
    ring->reuse(current_thread_id(), serial);
  else
    ring = Ring::create(capacity, current_thread_id(), serial, p.ring_pressure, touch_pages);
  if (ring == nullptr) return false;
  register_ring(p, ring);
  ts.ring = ring;
  platform::on_thread_exit<on_recording_thread_exit>(ring);
  return true;
}

inline bool sdk_disabled_by_env() noexcept {
  const char* v = std::getenv("OTEL_SDK_DISABLED");
  return v != nullptr && (v[0] == 't' || v[0] == 'T') && (v[1] == 'r' || v[1] == 'R') &&
         (v[2] == 'u' || v[2] == 'U') && (v[3] == 'e' || v[3] == 'E') && v[4] == '\0';
}

// Copies the process-wide settings into a mirror; under the process lock.
inline void copy_settings(const HotSettings& from, HotSettings& to) noexcept {
  to.value_length_limit.store(from.value_length_limit.load(std::memory_order_relaxed), std::memory_order_relaxed);
  to.capture_content.store(from.capture_content.load(std::memory_order_relaxed), std::memory_order_relaxed);
  to.sampler.threshold.store(from.sampler.threshold.load(std::memory_order_relaxed), std::memory_order_relaxed);
  to.sampler.kind.store(from.sampler.kind.load(std::memory_order_relaxed), std::memory_order_relaxed);
  to.enabled.store(from.enabled.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

// A process state that this copy's code serves.
inline ProcessState* new_process_state() noexcept {
  auto* p = new ProcessState();
  p->thread_state = own_thread_state;
  p->thread_init = own_thread_init;
  draw_id_seed(*p);
  // A forked child's threads must not draw the parent's ids, init() or not.
  platform::on_fork_child([] { draw_id_seed(*g_process.load(std::memory_order_acquire)); });
  return p;
}

// Finds the process state, or creates and publishes it when this copy is
// the first; then adds this copy's mirror. Once per copy.
TRAIL_NOINLINE inline ProcessState* attach_process() noexcept {
  static SpinLock attaching;  // this copy's threads: one attaches, the others wait
  attaching.lock();
  ProcessState* p = g_process.load(std::memory_order_acquire);
  if (p == nullptr) {
    bool created = false;
    platform::ProcessAnchor* anchor = platform::open_process_anchor(created);
    if (anchor != nullptr && created) {
      p = new_process_state();
      std::memcpy(anchor->key, process_abi_key, sizeof process_abi_key);
      anchor->state = p;
      anchor->ready.store(1, std::memory_order_release);
    } else if (anchor != nullptr) {
      while (anchor->ready.load(std::memory_order_acquire) == 0) platform::yield();
      if (std::strncmp(anchor->key, process_abi_key, sizeof anchor->key) == 0) {
        p = static_cast<ProcessState*>(anchor->state);
      } else {
        char theirs[sizeof anchor->key + 1] = {};
        std::memcpy(theirs, anchor->key, sizeof anchor->key);
        std::fprintf(stderr,
                     "trail: this copy of trail (%s) does not match the one already in the process (%s): "
                     "it records nothing\n",
                     process_abi_key, theirs);
      }
    } else {
      std::fputs("trail: no process anchor (/proc/self/maps unreadable?): this copy of trail keeps its own state\n",
                 stderr);
      p = new_process_state();
    }
    if (p == nullptr) {  // a foreign trail owns the process: a private, silent state
      p = new ProcessState();
      p->shared = false;
      p->settings.enabled.store(0, std::memory_order_relaxed);
      p->thread_state = own_thread_state;
      p->thread_init = [](ThreadState&, bool) noexcept { return false; };
    }
    // Records point to this copy's static metadata: it must stay loaded.
    platform::pin_module_of(&g_settings);
    p->lock.lock();
    if (p->settings.enabled.load(std::memory_order_relaxed) < 0)
      p->settings.enabled.store(sdk_disabled_by_env() ? 0 : 1, std::memory_order_relaxed);
    copy_settings(p->settings, g_settings);
    g_settings.next = p->settings.next;
    p->settings.next = &g_settings;
    p->lock.unlock();
    g_process.store(p, std::memory_order_release);
  }
  attaching.unlock();
  return p;
}

// The process state (found or made on first use).
TRAIL_FORCE_INLINE ProcessState& process() noexcept {
  ProcessState* p = g_process.load(std::memory_order_acquire);
  return *(TRAIL_LIKELY(p != nullptr) ? p : attach_process());
}

// The process-wide object in `slot`, made by the first copy that asks for it
// and never destroyed (exporting at exit may still use it).
template <class T>
T& process_object(void* ProcessState::*slot) {
  ProcessState& p = process();
  p.lock.lock();
  if (p.*slot == nullptr) p.*slot = new T();
  void* object = p.*slot;
  p.lock.unlock();
  return *static_cast<T*>(object);
}

// Changes a process-wide setting in the process state and every mirror.
template <class F>
void update_settings(F&& change) noexcept {
  ProcessState& p = process();
  if (!p.shared) return;
  p.lock.lock();
  change(p.settings);
  for (HotSettings* m = p.settings.next; m != nullptr; m = m->next) copy_settings(p.settings, *m);
  p.lock.unlock();
}

// Slow path of enabled(): attaches this copy, which sets its mirror.
TRAIL_NOINLINE inline bool resolve_enabled() noexcept {
  process();
  return g_settings.enabled.load(std::memory_order_relaxed) == 1;
}

// A load and a branch when tracing is on; also when it is off.
TRAIL_FORCE_INLINE bool enabled() noexcept {
  const int state = g_settings.enabled.load(std::memory_order_relaxed);
  return TRAIL_LIKELY(state == 1) || (TRAIL_UNLIKELY(state < 0) && resolve_enabled());
}

// Resolves this copy's cache of the thread's ThreadState: once per thread.
TRAIL_NOINLINE inline ThreadState* attach_thread() noexcept {
  ThreadState* ts = process().thread_state();
  t_state = ts;
  return ts;
}

// The calling thread's state, for its current context (never null).
TRAIL_FORCE_INLINE ThreadState& this_thread() noexcept {
  ThreadState* ts = t_state;
  return *(TRAIL_LIKELY(ts != nullptr) ? ts : attach_thread());
}

TRAIL_NOINLINE inline ThreadState* thread_init(bool touch_pages = false) noexcept {
  ThreadState& ts = this_thread();
  return process().thread_init(ts, touch_pages) ? &ts : nullptr;
}

// The calling thread's state with its ring; nullptr when it cannot record.
TRAIL_FORCE_INLINE ThreadState* thread_state() noexcept {
  ThreadState* ts = t_state;
  if (TRAIL_UNLIKELY(ts == nullptr || ts->ring == nullptr)) return thread_init();
  return ts;
}

}  // namespace trail::detail

namespace trail {

// Turns recording on or off at run time; off, a span costs a load and a branch.
inline void set_enabled(bool on) noexcept {
  detail::update_settings([on](detail::HotSettings& s) { s.enabled.store(on ? 1 : 0, std::memory_order_relaxed); });
}
inline bool is_enabled() noexcept { return detail::enabled(); }

// Sets the sampler for traces started from now on, in the whole process.
// `ratio` is used by the traceidratio kinds and clamped to [0, 1].
inline void set_sampler(SamplerKind kind, double ratio = 1.0) noexcept {
  detail::update_settings([kind, ratio](detail::HotSettings& s) {
    s.sampler.threshold.store(detail::rejection_threshold(ratio), std::memory_order_relaxed);
    s.sampler.kind.store(kind, std::memory_order_relaxed);
  });
}

// Records per thread ring (rounded up to a power of two, at least 64), for
// threads whose first span comes after the call. Each record is 64 bytes.
inline void set_ring_capacity(std::uint32_t records) noexcept {
  std::uint32_t capacity = 64;
  while (capacity < records && capacity < (1u << 24)) capacity <<= 1;
  detail::process().ring_capacity.store(capacity, std::memory_order_relaxed);
}

// Registers this thread's ring now, allocating it and touching every page,
// so that a thread that must not fault later (a control loop, a game's
// render thread) pays before its first span; without it, the first span
// registers the ring and the pages fault as spans first reach them. False
// when the thread cannot record (out of memory, or it is exiting).
inline bool prepare_thread() noexcept { return detail::thread_init(/*touch_pages=*/true) != nullptr; }

// OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: longer string values are truncated (at a
// UTF-8 boundary) as they are recorded.
inline void set_attribute_value_length_limit(std::uint32_t bytes) noexcept {
  detail::update_settings([bytes](detail::HotSettings& s) { s.value_length_limit.store(bytes, std::memory_order_relaxed); });
}

// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: whether the GenAI
// types record message content (system instructions, input and output
// messages, tool arguments and results). Off by default: content may hold
// personal data. trail::init() sets it from Settings.
inline void set_capture_message_content(bool on) noexcept {
  detail::update_settings([on](detail::HotSettings& s) { s.capture_content.store(on, std::memory_order_relaxed); });
}
inline bool capture_message_content() noexcept {
  return detail::enabled() && detail::g_settings.capture_content.load(std::memory_order_relaxed);
}

// The context spans opened now on this thread would be children of.
inline Context current() noexcept { return detail::this_thread().current; }

// Makes `ctx` the current context for a scope: work handed to another thread
// or a job system parents to the span that scheduled it.
class ContextScope {
 public:
  explicit ContextScope(const Context& ctx) noexcept : saved_(detail::this_thread().current) {
    detail::this_thread().current = ctx;
  }
  ~ContextScope() { detail::this_thread().current = saved_; }
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  Context saved_;
};

}  // namespace trail
