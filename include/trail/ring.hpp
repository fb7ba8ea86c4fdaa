// The queue between one producer thread and the flusher: a bounded
// single-producer / single-consumer ring of 64-byte records.
//
// The producer never blocks, locks or allocates: when the ring is full the
// record is dropped and counted. Each side keeps its hot index on its own
// cache line; the producer caches the consumer's position and only re-reads
// it when the ring looks full (or past half, to request an early drain), and
// the consumer publishes its position once per drain, not per record
// (quill's lesson: keep the shared lines quiet).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>

#include "config.hpp"
#include "record.hpp"

namespace trail::detail {

using PressureWake = void (*)() noexcept;

// One per process (state.hpp), shared by every ring of every copy of trail.
struct RingPressure {
  // Set by any producer whose ring passed half full: the flusher drains early.
  std::atomic<bool> pending{false};
  // Called by the producer that sets `pending` (once per drain, not per
  // span): wakes the flusher instead of the flusher polling. Installed by
  // the export side; never blocks.
  std::atomic<PressureWake> wake{nullptr};
  // The flusher `wake` wakes (the first started, while it runs), and how
  // many wakes are in progress: its stop() waits for them.
  std::atomic<void*> target{nullptr};
  std::atomic<int> wakes_in_progress{0};
};

class Ring {
 public:
  // capacity: records, a power of two. With `touch`, the records are
  // zero-filled, so every page faults now rather than one fault per 64
  // records in the spans that follow (3 ms for a 1 MiB ring on a loaded VM:
  // too much to pay silently in a thread's first span, see prepare_thread).
  static Ring* create(std::uint32_t capacity, std::uint64_t thread_id, std::uint64_t serial, RingPressure& pressure,
                      bool touch = false) noexcept {
    auto* records = touch ? new (std::nothrow) Record[capacity]() : new (std::nothrow) Record[capacity];
    if (records == nullptr) return nullptr;
    auto* ring = new (std::nothrow) Ring(records, capacity, thread_id, serial, pressure, touch);
    if (ring == nullptr) delete[] records;
    return ring;
  }

  ~Ring() { delete[] records_; }
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // --- producer side -------------------------------------------------------

  // Reserves n consecutive records starting at `pos`; false when full.
  // This and the other producer calls are forced inline: with a span's
  // attribute code around them, g++ stops inlining them in a large TU.
  TRAIL_FORCE_INLINE bool reserve(std::uint32_t n, std::uint64_t& pos) noexcept {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail + n - cached_head_ > half_) {
      cached_head_ = head_.load(std::memory_order_acquire);
      const std::uint64_t used = tail + n - cached_head_;
      if (used > capacity_) return false;
      if (used > half_ && !pressure_.pending.load(std::memory_order_relaxed)) signal_pressure();
    }
    pos = tail;
    return true;
  }

  TRAIL_FORCE_INLINE Record& slot(std::uint64_t pos) noexcept { return records_[pos & mask_]; }

  // Copies bytes into the continuation lines starting at `pos`.
  void write_bytes(std::uint64_t pos, const char* data, std::uint32_t size) noexcept {
    for (; size > 0; ++pos) {
      const std::uint32_t chunk = size < 64 ? size : 64;
      Record& r = slot(pos);
      std::memcpy(static_cast<void*>(&r), data, chunk);
      data += chunk;
      size -= chunk;
    }
  }

  // Publishes everything reserved up to `end`.
  TRAIL_FORCE_INLINE void commit(std::uint64_t end) noexcept { tail_.store(end, std::memory_order_release); }

  // Single writer: a relaxed load and store, no locked instruction.
  TRAIL_FORCE_INLINE void count_span() noexcept { bump(spans_recorded_); }
  void count_dropped_span() noexcept { bump(spans_dropped_); }
  void count_dropped_record() noexcept { bump(records_dropped_); }

  // Called by the owning thread as it exits: the ring stays until drained.
  void mark_owner_exited() noexcept { owner_alive_.store(false, std::memory_order_release); }

  // --- consumer side -------------------------------------------------------

  std::uint64_t read_position() const noexcept { return head_.load(std::memory_order_relaxed); }
  std::uint64_t write_position() const noexcept { return tail_.load(std::memory_order_acquire); }
  const Record& at(std::uint64_t pos) const noexcept { return records_[pos & mask_]; }

  // Appends `size` bytes held in continuation lines from `pos` to out.
  template <class String>
  void read_bytes(std::uint64_t pos, std::uint32_t size, String& out) const {
    for (; size > 0; ++pos) {
      const std::uint32_t chunk = size < 64 ? size : 64;
      out.append(reinterpret_cast<const char*>(&at(pos)), chunk);
      size -= chunk;
    }
  }

  void release(std::uint64_t pos) noexcept { head_.store(pos, std::memory_order_release); }

  // Span end records the consumer has read: recorded - consumed are still in
  // the ring (count_span comes before the commit, so never negative).
  void count_consumed() noexcept { bump(spans_consumed_); }
  std::uint64_t spans_consumed() const noexcept { return spans_consumed_.load(std::memory_order_relaxed); }

  // Makes a drained ring of an exited thread new for the thread `thread_id`
  // (the process's spare ring, state.hpp): the records keep their faulted
  // pages. Called by the new owner before it registers the ring.
  void reuse(std::uint64_t thread_id, std::uint64_t serial) noexcept {
    tail_.store(0, std::memory_order_relaxed);
    cached_head_ = 0;
    spans_recorded_.store(0, std::memory_order_relaxed);
    spans_dropped_.store(0, std::memory_order_relaxed);
    records_dropped_.store(0, std::memory_order_relaxed);
    head_.store(0, std::memory_order_relaxed);
    spans_consumed_.store(0, std::memory_order_relaxed);
    owner_alive_.store(true, std::memory_order_relaxed);
    thread_id_ = thread_id;
    serial_ = serial;
    next = nullptr;
    flush_target = 0;
  }

  // In a forked child, where no producer runs: everything counts as read.
  void skip_all() noexcept {
    release(write_position());
    spans_consumed_.store(spans_recorded(), std::memory_order_relaxed);
  }

  bool owner_alive() const noexcept { return owner_alive_.load(std::memory_order_acquire); }
  std::uint64_t thread_id() const noexcept { return thread_id_; }
  // Unique in the process, unlike thread ids, which the OS reuses (Windows
  // quickly): what tells one writer's ring from another's.
  std::uint64_t serial() const noexcept { return serial_; }
  std::uint32_t capacity() const noexcept { return capacity_; }
  // Consumer only, like `next`: whether every record's page has been touched.
  bool pages_faulted() noexcept {
    if (write_position() >= capacity_) faulted_ = true;
    return faulted_;
  }
  std::uint64_t spans_recorded() const noexcept { return spans_recorded_.load(std::memory_order_relaxed); }
  std::uint64_t spans_dropped() const noexcept { return spans_dropped_.load(std::memory_order_relaxed); }
  std::uint64_t records_dropped() const noexcept { return records_dropped_.load(std::memory_order_relaxed); }

  // Registry link: set before publication, then changed by the consumer only.
  Ring* next = nullptr;
  // Consumer only: the write position a flush must read past.
  std::uint64_t flush_target = 0;

 private:
  Ring(Record* records, std::uint32_t capacity, std::uint64_t thread_id, std::uint64_t serial, RingPressure& pressure,
       bool faulted) noexcept
      : records_(records),
        mask_(capacity - 1),
        capacity_(capacity),
        half_(capacity / 2),
        pressure_(pressure),
        thread_id_(thread_id),
        serial_(serial),
        faulted_(faulted) {}

  TRAIL_FORCE_INLINE static void bump(std::atomic<std::uint64_t>& counter) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  // Rare (a ring crossing half full): kept out of reserve()'s inlined body.
  TRAIL_NOINLINE void signal_pressure() noexcept {
    pressure_.pending.store(true, std::memory_order_relaxed);
    if (PressureWake wake = pressure_.wake.load(std::memory_order_acquire)) wake();
  }

  // Producer's line.
  alignas(64) std::atomic<std::uint64_t> tail_{0};
  std::uint64_t cached_head_ = 0;
  Record* const records_;
  const std::uint64_t mask_;
  const std::uint32_t capacity_;
  const std::uint32_t half_;
  RingPressure& pressure_;
  std::atomic<std::uint64_t> spans_recorded_{0};
  std::atomic<std::uint64_t> spans_dropped_{0};
  std::atomic<std::uint64_t> records_dropped_{0};

  // Consumer's line.
  alignas(64) std::atomic<std::uint64_t> head_{0};
  std::atomic<std::uint64_t> spans_consumed_{0};

  alignas(64) std::atomic<bool> owner_alive_{true};
  std::uint64_t thread_id_;
  std::uint64_t serial_;
  bool faulted_;  // every record's page touched (at creation, or by a writer that went round)
};

}  // namespace trail::detail
