// Frame and tick loops: TRAIL_FRAME("main") at the top of the body of a
// game's frame loop (a robot's control tick) makes the rest of that scope
// frame n of the loop.
//
//   while (running) {
//     TRAIL_FRAME("main");      // frame n starts here ...
//     update_npcs();            // spans that start here get frame.number = n
//     render();
//   }                           // ... and ends here
//
// Each frame
//   - writes a frame mark into the thread's ring: on export, spans that start
//     at or after mark n (and before mark n+1) get the attribute
//     `frame.number` = n (of the loop marked last on their own thread, else
//     of the loop marked last anywhere); a span that sets frame.number itself
//     keeps its own;
//   - is a span `frame {name}` from the mark to the end of the scope, the
//     root of a trace of its own (not the parent of the spans in it), with
//     `frame.number` (the timeline viewer draws frame marks from these);
//   - records its duration in the histogram `trail.frame.duration` (seconds,
//     attribute frame.name) when the scope ends.
// The frame ends with its scope, like TRAIL_SPAN, so the last frame is
// exported too; a frame still open at trail::shutdown() is not (nor is any
// open span). Frame numbers count per thread and site from 1: two threads
// running the same loop number their own frames. Recording a frame takes no
// lock and, after a thread's first frame of a loop (the histogram series),
// allocates nothing. Not included by trail.hpp (which stays light): include
// <trail/frame.hpp>.
#pragma once

#include <cstdint>

#include "clock.hpp"
#include "metrics.hpp"
#include "record.hpp"
#include "span.hpp"
#include "state.hpp"

namespace trail::detail {

// trail.frame.duration (static storage, as instruments need). One per copy
// of trail: a program whose shared libraries each mark frames gets one
// series per copy under the same name.
inline Histogram<double> frame_duration{"trail.frame.duration", "s", "Duration of a TRAIL_FRAME frame",
                                        {0.001, 0.002, 0.004, 0.008, 0.0125, 0.0167, 0.025, 0.0333, 0.05, 0.1, 0.25,
                                         0.5, 1}};

// The frames a thread has started at one TRAIL_FRAME site. A thread_local:
// constant-initialized and trivially destructible, so no TLS guard.
struct FrameCounter {
  std::uint64_t count = 0;
};

// One frame, from the mark to the end of the scope.
class Frame {
 public:
  Frame(FrameCounter& counter, const SpanMeta& meta, const char* name) noexcept : name_(name) {
    const auto number = static_cast<std::int64_t>(++counter.count);
    if (!enabled()) return;
    start_ns_ = monotonic_ns();
    s_.meta = &meta;
    begin_span(s_, Context{});  // a root: frames are not children of whatever is current
    const bool recording = s_.live && (s_.flags & span_sampled);
    Record r;
    r.type = RecordType::frame;
    r.value_type = 0;
    r.slot = 0;
    r.size = 0;
    r.span_id = static_cast<std::uint64_t>(number);
    r.frame.name = name_;
    r.frame.time = recording ? s_.start : ticks();
    write_record(r);
    if (recording) {
      write_attribute(s_.ctx.span_id.value, 0, "frame.number", number);
      s_.flags |= span_has_extras;
    }
  }
  ~Frame() {
    if (start_ns_ == 0) return;
    end_span(s_);
    const MetricAttribute attrs[] = {{"frame.name", name_}};
    frame_duration.record(static_cast<double>(monotonic_ns() - start_ns_) / 1e9, attrs, 1);
  }
  Frame(const Frame&) = delete;
  Frame& operator=(const Frame&) = delete;

 private:
  SpanState s_;
  const char* name_;
  std::uint64_t start_ns_ = 0;  // 0: tracing was off at the mark
};

}  // namespace trail::detail

#if defined(TRAIL_DISABLED)
#define TRAIL_FRAME(name) static_cast<void>(0)
#else
#define TRAIL_DETAIL_FRAME(name, id)                                                                         \
  static constexpr ::trail::detail::SpanMeta TRAIL_DETAIL_CAT(id, _meta){                                    \
      "frame " name, nullptr, __FILE__, static_cast<std::uint32_t>(__LINE__), ::trail::SpanKind::internal};  \
  static thread_local ::trail::detail::FrameCounter TRAIL_DETAIL_CAT(id, _count);                            \
  ::trail::detail::Frame id(TRAIL_DETAIL_CAT(id, _count), TRAIL_DETAIL_CAT(id, _meta), "" name "")
// Starts a frame of the loop `name` (a string literal) that lasts until the
// end of the scope; see above.
#define TRAIL_FRAME(name) TRAIL_DETAIL_FRAME(name, TRAIL_DETAIL_CAT(trail_frame_, __COUNTER__))
#endif
