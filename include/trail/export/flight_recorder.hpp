// The flight recorder (TRAIL_FLIGHT_RECORDER=SECONDS): the flusher keeps
// the finished spans of the last N seconds, within a byte bound, instead of
// exporting them, and hands over that window when trail::dump(reason) asks
// (dump.hpp). The window is measured on the spans' own clock: it ends at the
// latest span end seen, so it is "the last N seconds of activity" however
// long after it the dump comes.
//
// A span is in the window when it ended there; it is kept whole, its start
// may be older (a session root that ran for an hour). Root spans of traces
// that still have spans in the window are kept past it (at most 64), so a
// dump can show what its spans belong to.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <unordered_set>
#include <vector>

#include "span_data.hpp"

namespace trail::detail {

// About what a span holds in memory (the byte bound's measure).
inline std::uint64_t span_bytes(const SpanData& s) {
  const auto attributes = [](const std::vector<Attribute>& list) {
    std::uint64_t n = list.capacity() * sizeof(Attribute);
    for (const auto& a : list) {
      n += a.key.capacity();
      if (const auto* v = std::get_if<std::string>(&a.value)) n += v->capacity();
      if (const auto* items = std::get_if<std::vector<std::string>>(&a.value)) {
        n += items->capacity() * sizeof(std::string);
        for (const auto& item : *items) n += item.capacity();
      }
    }
    return n;
  };
  std::uint64_t n = sizeof(SpanData) + s.name.capacity() + s.trace_state.capacity() + s.status_message.capacity() +
                    attributes(s.attributes) + s.events.capacity() * sizeof(SpanEvent);
  for (const auto& e : s.events) n += e.name.capacity() + attributes(e.attributes);
  return n;
}

class FlightRecorder {
 public:
  static constexpr std::size_t max_roots = 64;

  FlightRecorder(std::chrono::nanoseconds window, std::uint64_t max_bytes)
      : window_(static_cast<std::uint64_t>(window.count())), max_bytes_(max_bytes) {}

  // Keeps `span`; returns how many spans left the recorder for good (out of
  // the window, or over the byte bound: the oldest go first).
  std::uint64_t add(SpanData&& span) {
    newest_end_ = std::max(newest_end_, span.end_time_unix_nano);
    bytes_ += span_bytes(span);
    spans_.push_back(std::move(span));
    std::uint64_t gone = 0;
    const std::uint64_t cutoff = newest_end_ > window_ ? newest_end_ - window_ : 0;
    while (!spans_.empty() && (spans_.front().end_time_unix_nano < cutoff || bytes_ > max_bytes_)) {
      SpanData& old = spans_.front();
      bytes_ -= std::min(bytes_, span_bytes(old));
      if (!old.parent_span_id.valid()) {
        keep_root(std::move(old));
      } else {
        ++gone;
      }
      spans_.pop_front();
    }
    while (!roots_.empty() && (roots_.size() > max_roots || (bytes_ > max_bytes_ && spans_.empty()))) {
      bytes_ -= std::min(bytes_, span_bytes(roots_.front()));
      roots_.pop_front();
      ++gone;
    }
    return gone;
  }

  // The window, oldest first: the spans that ended within it and the roots
  // of their traces (kept whole, whenever they started). Everything else
  // leaves too (counted in `discarded`): the recorder is empty afterwards.
  std::vector<SpanData> take_window(std::uint64_t& discarded) {
    const std::uint64_t cutoff = newest_end_ > window_ ? newest_end_ - window_ : 0;
    std::unordered_set<TraceId, TraceIdHash> traces;
    for (const SpanData& s : spans_)
      if (s.end_time_unix_nano >= cutoff) traces.insert(s.trace_id);
    std::vector<SpanData> out;
    const auto wanted = [&](const SpanData& s) {
      return s.end_time_unix_nano >= cutoff || (!s.parent_span_id.valid() && traces.count(s.trace_id) != 0);
    };
    discarded = 0;
    for (auto* list : {&roots_, &spans_}) {
      for (SpanData& s : *list) {
        if (wanted(s)) out.push_back(std::move(s));
        else ++discarded;
      }
      list->clear();
    }
    bytes_ = 0;
    return out;
  }

  std::size_t size() const noexcept { return spans_.size() + roots_.size(); }
  std::uint64_t bytes() const noexcept { return bytes_; }

 private:
  void keep_root(SpanData&& root) {
    bytes_ += span_bytes(root);
    roots_.push_back(std::move(root));
  }

  const std::uint64_t window_;  // ns
  const std::uint64_t max_bytes_;
  std::uint64_t newest_end_ = 0;
  std::uint64_t bytes_ = 0;
  std::deque<SpanData> spans_;  // in the order they finished, about oldest first
  std::deque<SpanData> roots_;  // root spans that left the window, oldest first
};

}  // namespace trail::detail
