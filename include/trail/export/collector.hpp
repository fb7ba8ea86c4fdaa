// The consumer side of the rings: drains every thread's ring and rebuilds
// finished spans (SpanData) with times in Unix nanoseconds.
//
// One Collector drains at a time (the flusher's, in a running program).
// A span's records all sit in one ring, before its end record, except for
// AsyncSpans, whose attributes may be set on other threads: those are
// finished one pass later, when every ring has been read again after their
// end was seen (so whatever happened before the end is visible).
//
// Spans are rebuilt into storage that is reused: spans handed back with
// recycle() after export, and the per-span scratch of attributes that wait
// for their span's end. Their strings and vectors keep their capacity, so
// once a program's span shapes repeat, rebuilding a span allocates nothing.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "../clock.hpp"
#include "../record.hpp"
#include "../ring.hpp"
#include "../state.hpp"
#include "genai_content.hpp"
#include "settings.hpp"
#include "span_data.hpp"

namespace trail::detail {

// OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT and friends, applied as spans are rebuilt.
struct SpanLimits {
  std::uint32_t attribute_count = 128;
  std::uint32_t event_count = 128;
  std::uint32_t event_attribute_count = 128;
  std::uint32_t link_count = 128;
  std::uint32_t link_attribute_count = 128;
};

// Drops the entries of `map` (values with a `touched` pass) untouched
// longest, about half of them, once it holds more than `bound`; entries
// touched in pass `now` stay. Returns how many were dropped.
template <class Map>
std::size_t drop_least_recent(Map& map, std::size_t bound, std::uint64_t now) {
  if (map.size() <= bound) return 0;
  std::vector<std::uint64_t> touched;
  touched.reserve(map.size());
  for (const auto& entry : map) touched.push_back(entry.second.touched);
  auto middle = touched.begin() + static_cast<std::ptrdiff_t>(touched.size() / 2);
  std::nth_element(touched.begin(), middle, touched.end());
  const std::uint64_t cutoff = *middle;
  std::size_t dropped = 0;
  for (auto it = map.begin(); it != map.end();) {
    if (it->second.touched <= cutoff && it->second.touched < now) {
      ++dropped;
      it = map.erase(it);
    } else {
      ++it;
    }
  }
  return dropped;
}

// Which code.* attributes spans get (Settings::code_attributes).
struct CodeOptions {
  CodeAttributes mode = CodeAttributes::basename;
  std::string source_root;
};

// code.file.path of `file` under `code`.
inline std::string code_file_path(std::string_view file, const CodeOptions& code) {
  if (code.mode == CodeAttributes::basename) {
    const auto slash = file.find_last_of("/\\");
    if (slash != std::string_view::npos) file.remove_prefix(slash + 1);
  } else if (code.mode == CodeAttributes::relative && !code.source_root.empty() &&
             file.substr(0, code.source_root.size()) == code.source_root) {
    file.remove_prefix(code.source_root.size());
    while (!file.empty() && (file.front() == '/' || file.front() == '\\')) file.remove_prefix(1);
  }
  return std::string(file);
}

// "int ns::Planner::plan(int) const" -> "ns::Planner::plan" (g++ and clang
// spellings of __PRETTY_FUNCTION__); best effort for lambdas and templates.
inline std::string short_function_name(std::string_view pretty) {
  std::string text(pretty.substr(0, pretty.find(" [")));  // g++ " [with T = int]", clang " [T = int]"
  for (const std::string_view anon : {std::string_view("(anonymous namespace)"), std::string_view("(anonymous class)")}) {
    for (auto at = text.find(anon); at != std::string::npos; at = text.find(anon, at))
      text.replace(at, anon.size(), anon[11] == 'n' ? "{anonymous}" : "{lambda}");
  }
  std::string_view head = text;
  // The parameter list is the parenthesis pair that closes last.
  const auto close = head.rfind(')');
  const bool ends_in_parameters =
      close != std::string_view::npos &&
      head.find_first_not_of("abcdefghijklmnopqrstuvwxyz &", close + 1) == std::string_view::npos;
  if (ends_in_parameters) {
    int depth = 0;
    for (std::size_t i = close + 1; i-- > 0;) {
      if (head[i] == ')') ++depth;
      else if (head[i] == '(' && --depth == 0) {
        head = head.substr(0, i);
        break;
      }
    }
  }
  // Drop the return type: everything up to the last space outside <...>.
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '<') ++depth;
    else if (head[i] == '>' && depth > 0) --depth;
    else if (head[i] == ' ' && depth == 0) start = i + 1;
  }
  head = head.substr(start);
  while (!head.empty() && (head.front() == '*' || head.front() == '&')) head.remove_prefix(1);
  return std::string(head.empty() ? std::string_view(text) : head);
}

// Value setters that reuse the storage of the value they replace.
inline std::string& string_value(AttributeValue& v) {
  if (auto* text = std::get_if<std::string>(&v)) return *text;
  return v.emplace<std::string>();
}
inline void set_string_value(AttributeValue& v, std::string_view text) { string_value(v).assign(text.data(), text.size()); }

// The first `used` of `attrs` are attributes; elements past them are spare
// ones (left from a recycled span) whose strings are reused. Setting a key
// again replaces its value (OpenTelemetry); past the limit, new keys are
// dropped and counted. `set(AttributeValue&)` writes the value.
template <class Set>
void put_attribute(std::vector<Attribute>& attrs, std::size_t& used, std::uint32_t& dropped, std::string_view key,
                   std::uint32_t limit, Set&& set) {
  for (std::size_t i = 0; i < used; ++i) {
    if (attrs[i].key == key) {
      set(attrs[i].value);
      return;
    }
  }
  if (used >= limit) {
    ++dropped;
    return;
  }
  if (used == attrs.size()) attrs.emplace_back();
  Attribute& a = attrs[used++];
  a.key.assign(key.data(), key.size());
  set(a.value);
}

// What an exported span keeps for the next span rebuilt into it: strings
// up to kReusedStringBytes of capacity and up to kReusedAttributes
// attributes; larger ones (a burst of GenAI content) are freed, so that the
// recycled spans hold a few MB at most, not the largest burst ever seen.
inline constexpr std::size_t kReusedStringBytes = 4096, kReusedAttributes = 64;

inline void release_if_large(std::string& s) {
  if (s.capacity() > kReusedStringBytes) std::string().swap(s);
}

// Whether trim_for_reuse would free anything of `s`. Checked as a span is
// built (its storage is in cache then), so that recycling spans that hold
// nothing large does not walk their attributes again.
inline bool holds_large(const std::string& s) { return s.capacity() > kReusedStringBytes; }

inline bool holds_large(const std::vector<Attribute>& attributes) {
  if (attributes.capacity() > kReusedAttributes) return true;
  for (const Attribute& a : attributes) {
    if (holds_large(a.key)) return true;
    if (const auto* text = std::get_if<std::string>(&a.value)) {
      if (holds_large(*text)) return true;
    } else if (std::holds_alternative<std::vector<std::string>>(a.value)) {
      return true;
    }
  }
  return false;
}

inline bool holds_large(const SpanData& s) {
  if (holds_large(s.name) || holds_large(s.trace_state) || holds_large(s.status_message) ||
      s.events.capacity() > kReusedAttributes || s.links.capacity() > kReusedAttributes || holds_large(s.attributes))
    return true;
  for (const SpanEvent& e : s.events)
    if (holds_large(e.name) || holds_large(e.attributes)) return true;
  for (const SpanLink& l : s.links)
    if (holds_large(l.trace_state) || holds_large(l.attributes)) return true;
  return false;
}

inline void release_if_large(Attribute& a) {
  release_if_large(a.key);
  if (auto* text = std::get_if<std::string>(&a.value)) release_if_large(*text);
  else if (std::holds_alternative<std::vector<std::string>>(a.value)) a.value = std::int64_t{0};  // not reused
}
inline void release_if_large(SpanEvent& e);
inline void release_if_large(SpanLink& l);

// Attributes, events, links (and the collector's pending ones): freed whole
// past kReusedAttributes elements, else each element's large storage.
template <class T>
void release_if_large(std::vector<T>& items) {
  if (items.capacity() > kReusedAttributes) {
    std::vector<T>().swap(items);
    return;
  }
  for (T& item : items) release_if_large(item);
}

inline void release_if_large(SpanEvent& e) {
  release_if_large(e.name);
  release_if_large(e.attributes);
}
inline void release_if_large(SpanLink& l) {
  release_if_large(l.trace_state);
  release_if_large(l.attributes);
}

// Events and links are written over too (finish()): their storage is kept
// under the same bounds as attributes.
inline void trim_for_reuse(SpanData& s) {
  release_if_large(s.name);
  release_if_large(s.trace_state);
  release_if_large(s.status_message);
  release_if_large(s.attributes);
  release_if_large(s.events);
  release_if_large(s.links);
}

// Process-wide span counts of all rings, since the process started.
struct RingCounts {
  std::uint64_t spans_recorded = 0;       // written to a ring (ended while sampled)
  std::uint64_t spans_consumed = 0;       // of those, read by a consumer
  std::uint64_t spans_dropped_ring_full = 0;
  std::uint64_t records_dropped_ring_full = 0;  // attributes, events, status
  std::uint64_t orphaned_records = 0;     // extras whose span end never came (this collector)
};

// The rings have one consumer at a time: whoever holds this lock, for one
// drain pass at a time; the flusher also changes its span accounting under
// it, so that stats() sees one consistent state. Never destroyed (a
// detached flusher may still take it); a forked child gets a fresh one,
// since the parent's flusher may have held it at fork().
struct ConsumerState {
  std::mutex mutex;
  RingCounts retired;  // of the rings already deleted
};

// Process-wide, like the flusher that uses it (state.hpp).
inline ConsumerState* consumer_state() { return &process_object<ConsumerState>(&ProcessState::consumers); }

class Collector {
 public:
  using Counts = RingCounts;

  explicit Collector(SpanLimits limits = {}, CodeOptions code = {}, GenAiOptions genai = {})
      : limits_(limits), code_(std::move(code)), genai_(std::move(genai)) {}
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // One pass over every ring; appends the spans it finished to `out`, at
  // most about `limit` (the rest stays in the rings for the next pass).
  // Each ring gets an equal share of the limit, so that under load a busy
  // ring early in the list cannot starve the others.
  std::size_t collect(std::vector<SpanData>& out, std::size_t limit = SIZE_MAX) {
    const std::size_t before = out.size();
    complete_ = true;
    targets_reached_ = true;
    ++pass_;
    clock_.refresh();
    std::size_t rings = 0;
    for (Ring* r = process().rings.load(std::memory_order_acquire); r != nullptr; r = r->next) ++rings;
    const std::size_t share = rings <= 1 || limit == 0 ? limit : limit / rings + 1;
    Ring* prev = nullptr;
    Ring* ring = process().rings.load(std::memory_order_acquire);
    while (ring != nullptr) {
      Ring* next = ring->next;
      const bool alive = ring->owner_alive();  // read before draining: a final drain follows exit
      drain(*ring, out, share);
      if (!alive && unlink(prev, ring)) {
        retire(*ring);
        if (!offer_as_spare(ring)) delete ring;
      } else {
        prev = ring;
      }
      ring = next;
    }
    finish_deferred(out);
    bound_pending();
    return out.size() - before;
  }

  // Two passes: everything recorded before the call, AsyncSpans included.
  std::size_t collect_all(std::vector<SpanData>& out) {
    const std::size_t n = collect(out);
    return n + collect(out);
  }

  // Takes back the first `n` of `spans` (moved out) once exported: the next
  // passes rebuild spans into their storage, kept only up to a bound
  // (trim_for_reuse). Spans come back in the order collect() appended them
  // (the flusher's queue), so the ones built before the last span that held
  // something large are trimmed; spans that never come back only make more
  // of them trimmed. Call holding the consumer lock.
  void recycle(SpanData* spans, std::size_t n) {
    if (spare_.capacity() == 0) spare_.reserve(kSpareSpans);
    for (std::size_t i = 0; i < n; ++i) {
      const bool large = recycled_++ < large_until_;
      if (spare_.size() == kSpareSpans) continue;
      if (large) trim_for_reuse(spans[i]);
      spare_.push_back(std::move(spans[i]));
    }
  }

  // Spans an AsyncSpan end was read for, finished by the next pass.
  std::size_t deferred() const noexcept { return deferred_.size(); }

  // From now on, last_targets_reached() tells whether everything written so
  // far (on every ring) has been read: flush's "recorded before the call".
  void mark_targets() noexcept {
    for (Ring* r = process().rings.load(std::memory_order_acquire); r != nullptr; r = r->next)
      r->flush_target = r->write_position();
  }
  bool last_targets_reached() const noexcept { return targets_reached_; }

  // Process-wide counts; call holding the consumer lock (or alone).
  Counts counts() const {
    Counts c = consumer_state()->retired;
    for (Ring* r = process().rings.load(std::memory_order_acquire); r != nullptr; r = r->next) {
      c.spans_recorded += r->spans_recorded();
      c.spans_consumed += r->spans_consumed();
      c.spans_dropped_ring_full += r->spans_dropped();
      c.records_dropped_ring_full += r->records_dropped();
    }
    c.orphaned_records = orphaned_;
    return c;
  }

  const TickConverter& clock() const noexcept { return clock_; }

  // Whether the last collect() read every ring to its end (no limit hit).
  bool last_pass_complete() const noexcept { return complete_; }

  // Makes the spare ring when there is none: a new thread's first span then
  // takes a ring whose pages are faulted, here, off that thread. The
  // spare's capacity is checked by the thread that takes it.
  // Only for rings of at most kSpareRingBytes: a larger spare would keep that
  // much memory resident in a program that may start no other thread (those
  // rings are still recycled from exited threads).
  static void prepare_spare_ring() noexcept {
    ProcessState& p = process();
    const std::uint32_t capacity = p.ring_capacity.load(std::memory_order_relaxed);
    if (p.spare_ring.load(std::memory_order_relaxed) != nullptr || std::uint64_t{capacity} * sizeof(Record) > kSpareRingBytes)
      return;
    Ring* ring = Ring::create(capacity, 0, 0, p.ring_pressure, /*touch=*/true);
    Ring* none = nullptr;
    if (ring != nullptr && !p.spare_ring.compare_exchange_strong(none, ring, std::memory_order_release, std::memory_order_relaxed))
      delete ring;
  }

 private:
  // An event or a link until its span's end: its attributes are the first
  // attribute_count (recycled ones, capacity kept, may follow).
  struct PendingEvent {
    std::uint16_t slot = 0;  // the event number
    std::size_t attribute_count = 0;
    SpanEvent event;
    friend void release_if_large(PendingEvent& e) { detail::release_if_large(e.event); }
  };
  struct PendingLink {
    std::uint16_t number = 0;
    std::uint32_t annotation = 0;  // the linked context's, for its trace state
    std::size_t attribute_count = 0;
    SpanLink link;
    friend void release_if_large(PendingLink& l) { detail::release_if_large(l.link); }
  };

  // The marks of one TRAIL_FRAME site on one thread: (time, frame number),
  // oldest first, the last kFrameMarks.
  struct FrameLoop {
    const char* name;
    std::uint64_t thread_id;
    std::deque<std::pair<std::uint64_t, std::uint64_t>> marks;
  };
  static constexpr std::size_t kFrameMarks = 4096, kFrameLoops = 64;
  // Bounds of the reused storage: about a queue of spans, and the spans
  // whose extras wait for their end at one time in a busy program.
  static constexpr std::size_t kSpareSpans = 4096, kSparePending = 1024;
  static constexpr std::uint64_t kSpareRingBytes = std::uint64_t{4} << 20;

  // What an annotation id stands for (record.hpp NoteKind).
  struct Note {
    std::string trace_state;
    TraceId session;
    std::uint64_t touched = 0;  // pass
  };

  struct Pending {
    std::string name;
    bool has_name = false;
    std::vector<Attribute> attributes;  // the first attribute_count; spare ones after them
    std::size_t attribute_count = 0;
    std::uint32_t dropped_attributes = 0;
    // The first event_count / link_count; spare ones after them (their
    // strings and attribute vectors keep capacity for the next spans).
    std::vector<PendingEvent> events;
    std::size_t event_count = 0;
    std::vector<PendingLink> links;
    std::size_t link_count = 0;
    StatusCode status = StatusCode::unset;
    std::string status_message;
    std::uint64_t touched = 0;  // pass
    // An AsyncSpan written from several threads (record.hpp handoff): the
    // hand-off number each thread's ring is at, and the number each
    // attribute (and the status) was written under; a write numbered lower
    // than the value it would replace is older and loses.
    bool sequenced = false;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> ring_handoffs;  // Ring::serial(), number
    std::vector<std::uint32_t> attribute_handoffs;                       // with the first attribute_count
    std::uint32_t status_handoff = 0;

    std::uint32_t* find_handoff(const Ring& ring) {
      for (auto& [serial, number] : ring_handoffs)
        if (serial == ring.serial()) return &number;
      return nullptr;
    }
    std::uint32_t handoff_of(const Ring& ring) {
      const std::uint32_t* number = find_handoff(ring);
      return number != nullptr ? *number : 0;
    }

    // For reuse by another span; keeps what has capacity.
    void reset() {
      name.clear();
      has_name = false;
      attribute_count = 0;
      dropped_attributes = 0;
      event_count = 0;
      link_count = 0;
      status = StatusCode::unset;
      status_message.clear();
      sequenced = false;
      ring_handoffs.clear();
      attribute_handoffs.clear();
      status_handoff = 0;
    }
  };
  using PendingMap = std::unordered_map<std::uint64_t, Pending>;

  struct Deferred {
    Record end;
    std::uint64_t thread_id;
    std::uint64_t pass;
  };

  // The note of `id` (touched now), or nullptr when none was read (yet).
  const Note* note(std::uint32_t id) {
    auto it = notes_.find(id);
    if (it == notes_.end()) return nullptr;
    it->second.touched = pass_;
    return &it->second;
  }

  void drain(Ring& ring, std::vector<SpanData>& out, std::size_t limit) {
    const std::size_t before = out.size();
    std::uint64_t pos = ring.read_position();
    const std::uint64_t end = ring.write_position();
    while (pos < end) {
      if (out.size() - before >= limit) {
        complete_ = false;
        break;
      }
      pos += consume(ring, pos, end, out);
    }
    ring.release(pos);
    if (pos < ring.flush_target) targets_reached_ = false;
  }

  // Handles the record at `pos` (of the records before `end`); returns how
  // many lines it used.
  std::uint64_t consume(Ring& ring, std::uint64_t pos, std::uint64_t end, std::vector<SpanData>& out) {
    const Record& r = ring.at(pos);
    switch (r.type) {
      case RecordType::span_end: {
        ring.count_consumed();
        // An AsyncSpan, or a span whose context's note (or a linked
        // context's) sits in a ring not read yet.
        const bool link_waits = !links_awaiting_note_.empty() && links_awaiting_note_.erase(r.span_id) != 0;
        if ((r.slot & span_deferred) || link_waits || (r.size != 0 && notes_.find(r.size) == notes_.end())) {
          deferred_.push_back(Deferred{r, ring.thread_id(), pass_});
        } else {
          finish(r, ring.thread_id(), out);
        }
        return 1;
      }
      case RecordType::attribute:
        return consume_attribute(ring, pos);
      case RecordType::attribute_pack: {
        // Most spans: their only extras, written with their end in one
        // reservation. Those go straight into the span, without the round
        // trip through a pending entry (a third of rebuilding such a span).
        if (pos + 1 < end && finishes_with(r, ring.at(pos + 1))) {
          ring.count_consumed();
          finish(ring.at(pos + 1), ring.thread_id(), out, &r);
          return 2;
        }
        Pending& p = pending(r.span_id);
        for_each_packed(r, [&](std::string_view key, auto&& set) { add_to_slot(p, ring, r.slot, key, set); });
        return 1;
      }
      case RecordType::event: {
        Pending& p = pending(r.span_id);
        if (p.event_count == p.events.size()) p.events.emplace_back();
        PendingEvent& e = p.events[p.event_count++];
        e.slot = r.slot;
        e.attribute_count = 0;
        SpanEvent& ev = e.event;
        ev.time_unix_nano = clock_.to_unix_ns(r.event.time);
        ev.dropped_attributes_count = 0;
        ev.name.clear();
        if (r.event.name != nullptr) ev.name = r.event.name;
        else read_text(ring, pos, event_text_offset, ev.name);
        return 1 + continuation_count(r.size, 64 - event_text_offset);
      }
      case RecordType::status: {
        Pending& p = pending(r.span_id);
        const std::uint32_t handoff = p.handoff_of(ring);
        if (handoff >= p.status_handoff) {
          p.status_handoff = handoff;
          p.status = static_cast<StatusCode>(r.value_type);
          p.status_message.clear();
          read_text(ring, pos, plain_text_offset, p.status_message);
        }
        return 1 + continuation_count(r.size, 64 - plain_text_offset);
      }
      case RecordType::handoff: {
        Pending& p = pending(r.span_id);
        if (!p.sequenced) p.attribute_handoffs.assign(p.attribute_count, 0);
        p.sequenced = true;
        if (std::uint32_t* number = p.find_handoff(ring)) *number = r.size;
        else p.ring_handoffs.emplace_back(ring.serial(), r.size);
        return 1;
      }
      case RecordType::span_name: {
        Pending& p = pending(r.span_id);
        p.name.clear();
        read_text(ring, pos, plain_text_offset, p.name);
        p.has_name = true;
        return 1 + continuation_count(r.size, 64 - plain_text_offset);
      }
      case RecordType::link: {
        Pending& p = pending(r.span_id);
        if (p.link_count == p.links.size()) p.links.emplace_back();
        PendingLink& l = p.links[p.link_count++];
        l.number = r.slot;
        l.annotation = r.link.annotation;
        l.attribute_count = 0;
        l.link.trace_id = TraceId{r.link.trace_hi, r.link.trace_lo};
        l.link.span_id = SpanId{r.link.span_id};
        l.link.trace_state.clear();
        l.link.dropped_attributes_count = 0;
        l.link.flags = (r.link.trace_flags & 0xffu) | 0x100u | (r.link.remote ? 0x200u : 0u);
        if (r.link.annotation != 0 && notes_.find(r.link.annotation) == notes_.end())
          links_awaiting_note_.insert(r.span_id);
        return 1;
      }
      case RecordType::note: {
        Note& n = notes_[static_cast<std::uint32_t>(r.span_id)];
        n.touched = pass_;
        if (static_cast<NoteKind>(r.value_type) == NoteKind::session) {
          n.session = TraceId{r.link.trace_hi, r.link.trace_lo};
          return 1;
        }
        n.trace_state.clear();
        read_text(ring, pos, plain_text_offset, n.trace_state);
        return 1 + continuation_count(r.size, 64 - plain_text_offset);
      }
      case RecordType::frame:
        add_frame_mark(r.frame.name, ring.thread_id(), clock_.to_unix_ns(r.frame.time), r.span_id);
        return 1;
      case RecordType::continuation:
        break;
    }
    return 1;  // unreachable with a well-formed ring
  }

  // Whether `end` is the end of the span of the attribute pack `pack`, to be
  // finished now (not deferred: see consume()), with no extras read before.
  bool finishes_with(const Record& pack, const Record& end) const {
    return end.type == RecordType::span_end && end.span_id == pack.span_id && pack.slot == 0 &&
           !(end.slot & span_deferred) && links_awaiting_note_.empty() &&
           (end.size == 0 || notes_.find(end.size) != notes_.end()) &&
           (pending_.empty() || pending_.find(pack.span_id) == pending_.end());
  }

  // Calls put(key, set) for each attribute of the attribute pack `r`, where
  // set(AttributeValue&) writes its value.
  template <class Put>
  static void for_each_packed(const Record& r, Put&& put) {
    for (std::uint32_t i = 0; i < r.value_type && i < pack_capacity; ++i) {
      const PackedAttribute& item = r.pack[i];
      const auto tag = static_cast<std::uint8_t>(r.size >> (8 * i));
      const std::string_view key = item.key != nullptr ? item.key : "";
      switch (static_cast<ValueType>(tag & 0x0fu)) {
        case ValueType::boolean: put(key, [&](AttributeValue& v) { v = item.i != 0; }); break;
        case ValueType::int64: put(key, [&](AttributeValue& v) { v = item.i; }); break;
        case ValueType::float64: put(key, [&](AttributeValue& v) { v = item.d; }); break;
        case ValueType::string: {
          const std::uint32_t length = tag >> 4;
          const std::string_view text(item.text, length < packed_text_max ? length : packed_text_max);
          put(key, [&](AttributeValue& v) { set_string_value(v, text); });
          break;
        }
        case ValueType::string_array: break;  // never packed
      }
    }
  }

  std::uint64_t consume_attribute(const Ring& ring, std::uint64_t pos) {
    const Record& r = ring.at(pos);
    const auto type = static_cast<ValueType>(r.value_type);
    const std::string_view key = r.attr.key != nullptr ? r.attr.key : "";
    Pending& p = pending(r.span_id);
    std::uint64_t used = 1;
    switch (type) {
      case ValueType::boolean: add_to_slot(p, ring, r.slot, key, [&](AttributeValue& v) { v = r.attr.b; }); break;
      case ValueType::int64: add_to_slot(p, ring, r.slot, key, [&](AttributeValue& v) { v = r.attr.i; }); break;
      case ValueType::float64: add_to_slot(p, ring, r.slot, key, [&](AttributeValue& v) { v = r.attr.d; }); break;
      case ValueType::string: {
        add_to_slot(p, ring, r.slot, key, [&](AttributeValue& v) {
          std::string& text = string_value(v);
          text.clear();
          read_text(ring, pos, attribute_text_offset, text);
        });
        used += continuation_count(r.size, 64 - attribute_text_offset);
        break;
      }
      case ValueType::string_array: {
        std::vector<std::string> items(static_cast<std::size_t>(r.attr.i));
        for (auto& item : items) {
          read_text(ring, pos + used, attribute_text_offset, item);
          used += 1 + continuation_count(ring.at(pos + used).size, 64 - attribute_text_offset);
        }
        add_to_slot(p, ring, r.slot, key, [&](AttributeValue& v) { v = std::move(items); });
        break;
      }
    }
    return used;
  }

  // An attribute of the span (slot 0), of its link or of its event `slot`,
  // read from `ring`.
  template <class Set>
  void add_to_slot(Pending& p, const Ring& ring, std::uint16_t slot, std::string_view key, Set&& set) {
    if (slot == 0 && p.sequenced) {
      add_sequenced(p, p.handoff_of(ring), key, set);
    } else if (slot == 0) {
      put_attribute(p.attributes, p.attribute_count, p.dropped_attributes, key, limits_.attribute_count, set);
    } else if (slot & link_slot) {
      const auto number = static_cast<std::uint16_t>(slot & ~link_slot);
      for (std::size_t i = p.link_count; i-- > 0;) {  // the latest first
        PendingLink& l = p.links[i];
        if (l.number != number) continue;
        put_attribute(l.link.attributes, l.attribute_count, l.link.dropped_attributes_count, key,
                      limits_.link_attribute_count, set);
        break;
      }
    } else {
      for (std::size_t i = p.event_count; i-- > 0;) {  // the latest first
        PendingEvent& e = p.events[i];
        if (e.slot != slot) continue;
        put_attribute(e.event.attributes, e.attribute_count, e.event.dropped_attributes_count, key,
                      limits_.event_attribute_count, set);
        break;
      }
    }
  }

  // An attribute of an AsyncSpan written from several threads: a value
  // written under a lower hand-off number than the one it would replace is
  // older and left out.
  template <class Set>
  void add_sequenced(Pending& p, std::uint32_t handoff, std::string_view key, Set&& set) {
    for (std::size_t i = 0; i < p.attribute_count; ++i) {
      if (p.attributes[i].key != key) continue;
      if (handoff >= p.attribute_handoffs[i]) {
        set(p.attributes[i].value);
        p.attribute_handoffs[i] = handoff;
      }
      return;
    }
    const std::size_t before = p.attribute_count;
    put_attribute(p.attributes, p.attribute_count, p.dropped_attributes, key, limits_.attribute_count, set);
    if (p.attribute_count != before) p.attribute_handoffs.push_back(handoff);
  }

  static void read_text(const Ring& ring, std::uint64_t pos, std::uint32_t offset, std::string& out) {
    const Record& r = ring.at(pos);
    const std::uint32_t inline_bytes = 64 - offset;
    out.append(reinterpret_cast<const char*>(&r) + offset, r.size < inline_bytes ? r.size : inline_bytes);
    if (r.size > inline_bytes) ring.read_bytes(pos + 1, r.size - inline_bytes, out);
  }

  // The extras of `span_id`, in a reused entry when one is spare.
  Pending& pending(std::uint64_t span_id) {
    auto it = pending_.find(span_id);
    if (it == pending_.end()) {
      if (spare_pending_.empty()) {
        it = pending_.emplace(span_id, Pending{}).first;
      } else {
        PendingMap::node_type node = std::move(spare_pending_.back());
        spare_pending_.pop_back();
        node.key() = span_id;
        node.mapped().reset();
        it = pending_.insert(std::move(node)).position;
      }
    }
    it->second.touched = pass_;
    return it->second;
  }

  // Kept for reuse under the recycled spans' bounds (trim_for_reuse): the
  // events and links past a span's limits stay here, not in the span.
  void release_pending(PendingMap::iterator it) {
    if (spare_pending_.size() >= kSparePending) {
      pending_.erase(it);
      return;
    }
    release_if_large(it->second.events);
    release_if_large(it->second.links);
    if (spare_pending_.capacity() == 0) spare_pending_.reserve(kSparePending);
    spare_pending_.push_back(pending_.extract(it));
  }

  // A span to rebuild into: a recycled one (cleared, storage kept) or a new one.
  SpanData& next_span(std::vector<SpanData>& out) {
    if (spare_.empty()) return out.emplace_back();
    SpanData& s = out.emplace_back(std::move(spare_.back()));
    spare_.pop_back();
    s.trace_state.clear();
    s.name.clear();
    s.dropped_attributes_count = 0;
    s.dropped_events_count = 0;
    s.dropped_links_count = 0;
    s.status_code = StatusCode::unset;
    s.status_message.clear();
    return s;  // attributes, events, links: finish() swaps or writes over them and trims
  }

  // Rebuilds the span of end record `r`: from its pending extras, or when
  // `pack` is given (finishes_with), from that attribute pack alone.
  void finish(const Record& r, std::uint64_t thread_id, std::vector<SpanData>& out, const Record* pack = nullptr) {
    SpanData& s = next_span(out);
    // Used elements of s.attributes, s.events, s.links; spare ones follow until trimmed.
    std::size_t attributes = 0, events = 0, links = 0;
    s.trace_id = TraceId{r.span.trace_hi, r.span.trace_lo};
    s.span_id = SpanId{r.span_id};
    s.parent_span_id = SpanId{r.span.parent_span_id};
    s.kind = static_cast<SpanKind>(r.value_type);
    s.start_time_unix_nano = clock_.to_unix_ns(r.span.start);
    // The end of the tick the span ended in: the reported interval always
    // contains the true one, so a span shorter than a tick (52 ns at 19.2 MHz
    // on aarch64) lasts one tick instead of zero, and nesting holds.
    s.end_time_unix_nano = clock_.end_of_tick_ns(r.span.end);
    if (s.end_time_unix_nano < s.start_time_unix_nano) s.end_time_unix_nano = s.start_time_unix_nano;
    // OTLP SpanFlags: W3C flags, and whether the parent's remoteness is known.
    s.flags = 0x01u | 0x100u | ((r.slot & span_remote_parent) ? 0x200u : 0u);
    const SpanMeta* meta = r.span.meta;
    if (meta != nullptr) s.name = meta->name != nullptr ? meta->name : code_site(meta).function;
    const auto put = [&](std::string_view key, auto&& set) {
      put_attribute(s.attributes, attributes, s.dropped_attributes_count, key, limits_.attribute_count, set);
    };
    if (pack != nullptr) {
      for_each_packed(*pack, put);
    } else if (r.slot & span_has_extras) {
      auto it = pending_.find(r.span_id);
      if (it != pending_.end()) {
        Pending& p = it->second;
        if (p.has_name) s.name.swap(p.name);
        s.attributes.swap(p.attributes);  // p keeps the recycled span's for reuse
        attributes = p.attribute_count;
        s.dropped_attributes_count = p.dropped_attributes;
        // By event number: out of order only when an AsyncSpan's events
        // came from several rings (stable_sort's buffer is an allocation).
        const auto events_end = p.events.begin() + static_cast<std::ptrdiff_t>(p.event_count);
        const auto by_number = [](const PendingEvent& a, const PendingEvent& b) { return a.slot < b.slot; };
        if (!std::is_sorted(p.events.begin(), events_end, by_number))
          std::stable_sort(p.events.begin(), events_end, by_number);
        for (auto it = p.events.begin(); it != events_end; ++it) {
          if (events == limits_.event_count) {
            ++s.dropped_events_count;
            continue;
          }
          it->event.attributes.resize(it->attribute_count);
          take_into(s.events, events, it->event);
        }
        for (std::size_t i = 0; i < p.link_count; ++i) {
          PendingLink& l = p.links[i];
          if (links == limits_.link_count) {
            ++s.dropped_links_count;
            continue;
          }
          if (l.annotation != 0)
            if (const Note* n = note(l.annotation)) l.link.trace_state = n->trace_state;
          l.link.attributes.resize(l.attribute_count);
          take_into(s.links, links, l.link);
        }
        s.status_code = p.status;
        s.status_message.swap(p.status_message);
        release_pending(it);
      }
    }
    s.events.resize(events);
    s.links.resize(links);
    if (r.size != 0) annotate(s, r.size, (r.slot & span_genai) != 0, attributes);
    if (r.slot & span_genai) {
      s.attributes.resize(attributes);
      rewrite_genai_span(s, genai_);
      attributes = s.attributes.size();
    }
    if (s.name.empty()) s.name = "unnamed";
    if (!frames_.empty()) add_frame_number(s, thread_id, attributes);
    if (meta != nullptr && meta->function != nullptr && code_.mode != CodeAttributes::off) {
      const Site& site = code_site(meta);
      put("code.function.name", [&](AttributeValue& v) { set_string_value(v, site.function); });
      put("code.file.path", [&](AttributeValue& v) { set_string_value(v, site.file); });
      put("code.line.number", [&](AttributeValue& v) { v = static_cast<std::int64_t>(meta->line); });
    }
    // An AsyncSpan ended on another thread recorded its starter's thread.id.
    if (!has_attribute(s.attributes, attributes, "thread.id"))
      put("thread.id", [&](AttributeValue& v) { v = static_cast<std::int64_t>(thread_id); });
    s.attributes.resize(attributes);  // drops spare ones only when this span has fewer than the last
    if (holds_large(s)) large_until_ = built_ + 1;
    ++built_;
  }

  // Puts `item` at `used` (the recycled element there goes back to the
  // pending storage `item` came from, capacity kept) and counts it.
  template <class T>
  static void take_into(std::vector<T>& into, std::size_t& used, T& item) {
    if (used < into.size()) std::swap(into[used], item);
    else into.push_back(std::move(item));
    ++used;
  }

  static bool has_attribute(const std::vector<Attribute>& attrs, std::size_t used, std::string_view key) {
    for (std::size_t i = 0; i < used; ++i)
      if (attrs[i].key == key) return true;
    return false;
  }

  // A TRAIL_FRAME mark. Loops are per site and thread; past kFrameLoops the
  // one marked longest ago is forgotten (threads that ended).
  void add_frame_mark(const char* name, std::uint64_t thread_id, std::uint64_t time, std::uint64_t number) {
    auto it = std::find_if(frames_.begin(), frames_.end(),
                           [&](const FrameLoop& l) { return l.name == name && l.thread_id == thread_id; });
    if (it == frames_.end()) {
      if (frames_.size() == kFrameLoops)
        frames_.erase(std::min_element(frames_.begin(), frames_.end(), [](const FrameLoop& a, const FrameLoop& b) {
          return a.marks.back().first < b.marks.back().first;
        }));
      it = frames_.insert(frames_.end(), FrameLoop{name, thread_id, {}});
    }
    it->marks.emplace_back(time, number);
    if (it->marks.size() > kFrameMarks) it->marks.pop_front();
  }

  // frame.number: the frame that the span started in, of the loop marked
  // last on the span's thread, else of the loop marked last anywhere; none
  // when it started before the oldest mark remembered or set its own.
  void add_frame_number(SpanData& s, std::uint64_t thread_id, std::size_t& attributes) {
    const FrameLoop* loop = nullptr;
    bool own_thread = false;
    for (const FrameLoop& l : frames_) {
      const bool mine = l.thread_id == thread_id;
      if (own_thread && !mine) continue;
      if (loop == nullptr || (mine && !own_thread) || l.marks.back().first > loop->marks.back().first) loop = &l;
      own_thread = own_thread || mine;
    }
    if (loop == nullptr || s.start_time_unix_nano < loop->marks.front().first) return;
    if (has_attribute(s.attributes, attributes, "frame.number")) return;
    const auto after = std::upper_bound(loop->marks.begin(), loop->marks.end(), s.start_time_unix_nano,
                                        [](std::uint64_t t, const auto& mark) { return t < mark.first; });
    put_attribute(s.attributes, attributes, s.dropped_attributes_count, "frame.number", limits_.attribute_count,
                  [&](AttributeValue& v) { v = static_cast<std::int64_t>(std::prev(after)->second); });
  }

  // What the span's context annotation stands for: the tracestate it was
  // extracted with, or its session (gen_ai.conversation.id on GenAI spans,
  // however the session's context became current). An annotation whose
  // note was never read (dropped with a full ring) adds nothing.
  void annotate(SpanData& s, std::uint32_t id, bool genai, std::size_t& attributes) {
    const Note* n = note(id);
    if (n == nullptr) return;
    if (!n->trace_state.empty()) s.trace_state = n->trace_state;
    if (genai && n->session.valid() && !has_attribute(s.attributes, attributes, "gen_ai.conversation.id")) {
      char hex[32];
      n->session.to_hex(hex);
      put_attribute(s.attributes, attributes, s.dropped_attributes_count, "gen_ai.conversation.id",
                    limits_.attribute_count,
                    [&](AttributeValue& v) { set_string_value(v, std::string_view(hex, sizeof hex)); });
    }
  }

  // A span site's code.* strings, worked out once per site.
  struct Site {
    std::string function, file;
  };
  const Site& code_site(const SpanMeta* meta) {
    auto it = code_sites_.find(meta);
    if (it == code_sites_.end())
      it = code_sites_.emplace(meta, Site{short_function_name(meta->function), code_file_path(meta->file, code_)}).first;
    return it->second;
  }

  void finish_deferred(std::vector<SpanData>& out) {
    std::size_t kept = 0;
    for (auto& d : deferred_) {
      if (d.pass < pass_) {
        // A link read after its span's end (an AsyncSpan linked on another
        // thread) left an entry that no end record would erase.
        if (!links_awaiting_note_.empty()) links_awaiting_note_.erase(d.end.span_id);
        finish(d.end, d.thread_id, out);
      } else {
        deferred_[kept++] = d;
      }
    }
    deferred_.resize(kept);
  }

  // Extras whose end record was dropped (ring full) would otherwise pile up:
  // past the bound, the entries untouched longest are counted and dropped.
  // Notes are bounded too: one per extracted context or session episode.
  void bound_pending() {
    orphaned_ += drop_least_recent(pending_, 1u << 16, pass_);
    drop_least_recent(notes_, 1u << 12, pass_);
    if (links_awaiting_note_.size() > (1u << 12)) links_awaiting_note_.clear();  // their ends were lost
  }

  // Removes a drained ring whose thread exited; the list head is left for a
  // later pass if a new ring was pushed meanwhile.
  bool unlink(Ring* prev, Ring* ring) {
    if (ring->read_position() != ring->write_position()) return false;
    if (prev != nullptr) {
      prev->next = ring->next;
      return true;
    }
    Ring* expected = ring;
    return process().rings.compare_exchange_strong(expected, ring->next, std::memory_order_acq_rel);
  }

  // An exited thread's ring, drained and unlinked, becomes the spare when
  // there is none and its pages are all faulted already.
  static bool offer_as_spare(Ring* ring) noexcept {
    ProcessState& p = process();
    if (ring->capacity() != p.ring_capacity.load(std::memory_order_relaxed) || !ring->pages_faulted()) return false;
    Ring* none = nullptr;
    return p.spare_ring.compare_exchange_strong(none, ring, std::memory_order_release, std::memory_order_relaxed);
  }

  static void retire(const Ring& ring) {
    RingCounts& retired = consumer_state()->retired;
    retired.spans_recorded += ring.spans_recorded();
    retired.spans_consumed += ring.spans_consumed();
    retired.spans_dropped_ring_full += ring.spans_dropped();
    retired.records_dropped_ring_full += ring.records_dropped();
  }

  SpanLimits limits_;
  CodeOptions code_;
  GenAiOptions genai_;
  TickConverter clock_;
  std::uint64_t pass_ = 0;
  PendingMap pending_;
  std::vector<PendingMap::node_type> spare_pending_;  // entries of finished spans, for reuse
  std::vector<SpanData> spare_;                       // exported spans, for reuse (recycle())
  std::unordered_map<std::uint32_t, Note> notes_;
  // Spans with a link whose context's note was not read yet: they wait a pass.
  std::unordered_set<std::uint64_t> links_awaiting_note_;
  std::vector<FrameLoop> frames_;
  std::vector<Deferred> deferred_;
  std::unordered_map<const SpanMeta*, Site> code_sites_;
  std::uint64_t orphaned_ = 0;
  // Spans finish() built and recycle() was handed, in order; those built
  // before large_until_ may hold large storage (recycle()).
  std::uint64_t built_ = 0, recycled_ = 0, large_until_ = 0;
  bool complete_ = true;
  bool targets_reached_ = true;
};

}  // namespace trail::detail
