// Spans: the scoped guard behind TRAIL_SPAN / TRAIL_FUNCTION, and AsyncSpan,
// which can be moved anywhere and ended on any thread.
//
// Hot path: a span reads the clock twice, draws a span id from the thread's
// generator and writes one record when it ends. A scoped span's scalar and
// short string attributes wait in the span object and go three to a record,
// written with the end record; other attributes, events and status add a
// record each. Nothing locks, allocates or blocks.
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string_view>
#include <type_traits>

#include "config.hpp"
#include "context.hpp"
#include "record.hpp"
#include "sampler.hpp"
#include "state.hpp"

namespace trail {

namespace detail {

struct SpanState {
  const SpanMeta* meta = nullptr;
  Context ctx;
  std::uint64_t parent = 0;
  std::uint64_t start = 0;
  std::uint16_t flags = 0;     // span_* flags of record.hpp
  std::uint16_t events = 0;
  std::uint16_t links = 0;
  SpanKind kind = SpanKind::internal;
  bool live = false;           // started and not yet ended
  // Attributes of the span not written yet (record.hpp attribute_pack): a
  // 3-attribute span costs two ring lines, not four.
  std::uint8_t packed = 0;
  std::uint32_t pack_tags = 0;
  PackedAttribute pack[pack_capacity]{};  // the first `packed` are set (zeroed: copied whole)
};

// Length kept of a string: the value length limit, a quarter of the ring, and
// never a cut inside a UTF-8 sequence.
inline std::uint32_t kept_length(const Ring& ring, std::string_view text) noexcept {
  std::uint64_t limit = g_settings.value_length_limit.load(std::memory_order_relaxed);
  const std::uint64_t ring_limit = std::uint64_t{ring.capacity()} * 16;
  if (ring_limit < limit) limit = ring_limit;
  if (text.size() <= limit) return static_cast<std::uint32_t>(text.size());
  auto len = static_cast<std::uint32_t>(limit);
  while (len > 0 && (static_cast<unsigned char>(text[len]) & 0xC0u) == 0x80u) --len;
  return len;
}

// This thread's ring, or nullptr when the thread cannot record.
TRAIL_FORCE_INLINE Ring* thread_ring() noexcept {
  ThreadState* ts = thread_state();
  return ts == nullptr ? nullptr : ts->ring;
}

// Reserves `count` lines; when they do not fit, the drop is counted.
TRAIL_FORCE_INLINE bool reserve_lines(Ring& ring, std::uint64_t count, std::uint64_t& pos) noexcept {
  if (TRAIL_LIKELY(count <= ring.capacity() && ring.reserve(static_cast<std::uint32_t>(count), pos))) return true;
  ring.count_dropped_record();
  return false;
}

// Puts `size` bytes of `text` into the record at `pos`, from `offset` on, and
// the rest into the continuation lines after it.
inline void place_text(Ring& ring, std::uint64_t pos, std::uint32_t offset, const char* text,
                       std::uint32_t size) noexcept {
  const std::uint32_t inline_bytes = 64 - offset;
  // An empty string_view may hold nullptr, which memcpy must not get.
  if (size > 0)
    std::memcpy(reinterpret_cast<char*>(&ring.slot(pos)) + offset, text, size < inline_bytes ? size : inline_bytes);
  if (size > inline_bytes) ring.write_bytes(pos + 1, text + inline_bytes, size - inline_bytes);
}

// Writes `head` with `text` starting `offset` bytes into it, spilling into
// continuation lines; all or nothing.
inline bool write_with_text(const Record& head, std::uint32_t offset, std::string_view text) noexcept {
  Ring* ring = thread_ring();
  if (ring == nullptr) return false;
  const std::uint32_t size = kept_length(*ring, text);
  const std::uint64_t count = 1 + continuation_count(size, 64 - offset);
  std::uint64_t pos;
  if (!reserve_lines(*ring, count, pos)) return false;
  Record& r = ring->slot(pos);
  r = head;
  r.size = size;
  place_text(*ring, pos, offset, text.data(), size);
  ring->commit(pos + count);
  return true;
}

inline bool write_record(const Record& record) noexcept {
  Ring* ring = thread_ring();
  std::uint64_t pos;
  if (ring == nullptr || !reserve_lines(*ring, 1, pos)) return false;
  ring->slot(pos) = record;
  ring->commit(pos + 1);
  return true;
}

// record.hpp RecordType::handoff: span_id's writes from here on in this
// thread's ring come after those numbered below `number`.
inline bool write_handoff(std::uint64_t span_id, std::uint32_t number) noexcept {
  Record r;
  r.type = RecordType::handoff;
  r.value_type = 0;
  r.slot = 0;
  r.size = number;
  r.span_id = span_id;
  return write_record(r);
}

inline Record attribute_head(std::uint64_t span_id, std::uint16_t slot, const char* key, ValueType type) noexcept {
  Record r;
  r.type = RecordType::attribute;
  r.value_type = static_cast<std::uint8_t>(type);
  r.slot = slot;
  r.size = 0;
  r.span_id = span_id;
  r.attr.key = key;
  return r;
}

// The pending attributes of `s` as an attribute_pack record.
inline void place_pack(Record& r, const SpanState& s) noexcept {
  r.type = RecordType::attribute_pack;
  r.value_type = s.packed;
  r.slot = 0;
  r.size = s.pack_tags;
  r.span_id = s.ctx.span_id.value;
  // All three, a fixed-size copy: a loop over `packed` becomes `rep movs`,
  // slower than the whole span.
  r.pack[0] = s.pack[0];
  r.pack[1] = s.pack[1];
  r.pack[2] = s.pack[2];
}

// Writes the pending attributes of `s` as a record of their own (a fourth
// attribute arrived, or one that must come after them); a full ring drops
// and counts it like any attribute record.
TRAIL_NOINLINE inline void write_pack(SpanState& s) noexcept {
  Ring* ring = thread_ring();
  std::uint64_t pos;
  if (ring != nullptr && reserve_lines(*ring, 1, pos)) {
    place_pack(ring->slot(pos), s);
    ring->commit(pos + 1);
    s.flags |= span_has_extras;
  }
  s.packed = 0;
  s.pack_tags = 0;
}

template <class T>
struct always_false : std::false_type {};

template <class T>
constexpr bool is_string_like = std::is_convertible_v<const T&, std::string_view>;

// Attribute values: string, bool, int64 (any integer), double (any floating).
template <class T>
void write_attribute(std::uint64_t span_id, std::uint16_t slot, const char* key, const T& value) noexcept {
  if constexpr (std::is_same_v<T, bool>) {
    Record r = attribute_head(span_id, slot, key, ValueType::boolean);
    r.attr.b = value;
    write_record(r);
  } else if constexpr (std::is_integral_v<T>) {
    Record r = attribute_head(span_id, slot, key, ValueType::int64);
    r.attr.i = static_cast<std::int64_t>(value);
    write_record(r);
  } else if constexpr (std::is_floating_point_v<T>) {
    Record r = attribute_head(span_id, slot, key, ValueType::float64);
    r.attr.d = static_cast<double>(value);
    write_record(r);
  } else if constexpr (is_string_like<T>) {
    write_with_text(attribute_head(span_id, slot, key, ValueType::string), attribute_text_offset,
                    std::string_view(value));
  } else {
    static_assert(always_false<T>::value, "trail: attribute values are strings, bool, integers or floating point");
  }
}

// Adds a bool, integer, floating point or string of at most 8 bytes (and
// within the value length limit) to the pending attributes of `s`; false
// for any other value, which the caller writes as a record of its own.
template <class T>
TRAIL_FORCE_INLINE bool pack_attribute(SpanState& s, const char* key, const T& value) noexcept {
  PackedAttribute a;
  a.key = key;
  std::uint8_t tag;
  if constexpr (std::is_same_v<T, bool>) {
    a.i = value ? 1 : 0;
    tag = pack_tag(ValueType::boolean);
  } else if constexpr (std::is_integral_v<T>) {
    a.i = static_cast<std::int64_t>(value);
    tag = pack_tag(ValueType::int64);
  } else if constexpr (std::is_floating_point_v<T>) {
    a.d = static_cast<double>(value);
    tag = pack_tag(ValueType::float64);
  } else if constexpr (is_string_like<T>) {
    const std::string_view text(value);
    if (text.size() > packed_text_max || text.size() > g_settings.value_length_limit.load(std::memory_order_relaxed))
      return false;
    a.i = 0;
    if (!text.empty()) std::memcpy(a.text, text.data(), text.size());
    tag = pack_tag(ValueType::string, static_cast<std::uint32_t>(text.size()));
  } else {
    return false;
  }
  if (TRAIL_UNLIKELY(s.packed == pack_capacity)) write_pack(s);
  s.pack[s.packed] = a;
  s.pack_tags |= std::uint32_t{tag} << (8 * s.packed);
  ++s.packed;
  return true;
}

// A string array: a header record with the element count, then one string
// record per element, reserved and published together. `item(i)` gives
// element i as a std::string_view.
template <class Item>
bool write_string_array_of(std::uint64_t span_id, std::uint16_t slot, const char* key, std::size_t count,
                           const Item& item) noexcept {
  Ring* ring = thread_ring();
  if (ring == nullptr) return false;
  constexpr std::uint32_t inline_bytes = 64 - attribute_text_offset;
  std::uint64_t total = 1;
  for (std::size_t i = 0; i < count; ++i) total += 1 + continuation_count(kept_length(*ring, item(i)), inline_bytes);
  std::uint64_t pos;
  if (!reserve_lines(*ring, total, pos)) return false;
  Record& head = ring->slot(pos);
  head = attribute_head(span_id, slot, key, ValueType::string_array);
  head.attr.i = static_cast<std::int64_t>(count);
  std::uint64_t at = pos + 1;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string_view text = item(i);
    const std::uint32_t size = kept_length(*ring, text);
    Record& r = ring->slot(at);
    r = attribute_head(span_id, slot, nullptr, ValueType::string);
    r.size = size;
    place_text(*ring, at, attribute_text_offset, text.data(), size);
    at += 1 + continuation_count(size, inline_bytes);
  }
  ring->commit(at);
  return true;
}

inline void write_string_array(std::uint64_t span_id, std::uint16_t slot, const char* key,
                               const std::string_view* items, std::size_t count) noexcept {
  write_string_array_of(span_id, slot, key, count, [items](std::size_t i) { return items[i]; });
}

// A link to `other` as link number `slot` of span `span_id`.
inline bool write_link(std::uint64_t span_id, std::uint16_t slot, const Context& other) noexcept {
  Record r;
  r.type = RecordType::link;
  r.value_type = 0;
  r.slot = slot;
  r.size = 0;
  r.span_id = span_id;
  r.link.trace_hi = other.trace_id.hi;
  r.link.trace_lo = other.trace_id.lo;
  r.link.span_id = other.span_id.value;
  r.link.annotation = other.annotation;
  r.link.trace_flags = other.trace_flags;
  r.link.remote = other.remote;
  return write_record(r);
}

// A fresh context annotation id (never 0).
inline std::uint32_t new_annotation() noexcept {
  std::uint32_t id = process().annotation_counter.fetch_add(1, std::memory_order_relaxed) + 1;
  if (id == 0) id = process().annotation_counter.fetch_add(1, std::memory_order_relaxed) + 1;  // wrapped
  return id;
}

// Writes what annotation `id` stands for (a tracestate, or a session id) to
// this thread's ring; false when it could not (no ring, ring full).
inline bool write_note(std::uint32_t id, NoteKind kind, TraceId session, std::string_view text) noexcept {
  Record r;
  r.type = RecordType::note;
  r.value_type = static_cast<std::uint8_t>(kind);
  r.slot = 0;
  r.size = 0;
  r.span_id = id;
  r.link.trace_hi = session.hi;
  r.link.trace_lo = session.lo;
  return kind == NoteKind::trace_state ? write_with_text(r, plain_text_offset, text) : write_record(r);
}

// A fresh context annotation id whose note is now in this thread's ring; 0
// when the note could not be written.
inline std::uint32_t record_note(NoteKind kind, TraceId session, std::string_view text) noexcept {
  const std::uint32_t id = new_annotation();
  return write_note(id, kind, session, text) ? id : 0;
}

// Fixes ids, parent and the sampling decision; reads the start time.
TRAIL_FORCE_INLINE void begin_span(SpanState& s, const Context& parent) noexcept {
  ThreadState* ts = thread_state();
  if (TRAIL_UNLIKELY(ts == nullptr)) return;
  s.ctx.annotation = parent.annotation;  // also from an invalid parent: a session's root
  bool sampled;
  if (parent.valid()) {
    s.ctx.trace_id = parent.trace_id;
    sampled = TRAIL_LIKELY(!parent.remote) ? parent.sampled() : should_sample(g_settings.sampler, parent, parent.trace_id);
    s.parent = parent.span_id.value;
    s.flags = parent.remote ? span_remote_parent : 0;
  } else {
    s.ctx.trace_id = ts->ids.trace_id();
    sampled = should_sample(g_settings.sampler, parent, s.ctx.trace_id);
  }
  s.ctx.span_id = ts->ids.span_id();
  s.ctx.trace_flags = sampled ? 1 : 0;
  s.live = true;
  if (sampled) {
    s.flags |= span_sampled;
    s.start = ticks();
  }
}

TRAIL_FORCE_INLINE void end_span(SpanState& s) noexcept {
  if (!s.live) return;
  s.live = false;
  if (!(s.flags & span_sampled)) return;
  const std::uint64_t end = ticks();
  ThreadState* ts = thread_state();
  if (TRAIL_UNLIKELY(ts == nullptr)) return;
  Ring& ring = *ts->ring;
  // The pending attributes and the end in one reservation: the span is
  // dropped (and counted) as a whole when they do not fit.
  const std::uint32_t lines = s.packed != 0 ? 2 : 1;
  std::uint64_t pos;
  if (TRAIL_UNLIKELY(!ring.reserve(lines, pos))) {
    ring.count_dropped_span();
    return;
  }
  std::uint16_t flags = s.flags;
  if (s.packed != 0) {
    place_pack(ring.slot(pos), s);
    flags |= span_has_extras;
  }
  Record& r = ring.slot(pos + lines - 1);
  r.type = RecordType::span_end;
  r.value_type = static_cast<std::uint8_t>(s.kind);
  r.slot = flags;
  r.size = s.ctx.annotation;
  r.span_id = s.ctx.span_id.value;
  r.span.meta = s.meta;
  r.span.parent_span_id = s.parent;
  r.span.trace_hi = s.ctx.trace_id.hi;
  r.span.trace_lo = s.ctx.trace_id.lo;
  r.span.start = s.start;
  r.span.end = end;
  ring.count_span();  // before the commit: the consumer never reads more spans than were counted
  ring.commit(pos + lines);
}

}  // namespace detail

class SpanBase;

// One attribute given in a list, as in span.link(ctx, {{"reason", "retry"}, {"attempt", 2}}):
// a string (viewed, copied when recorded), bool, integer or floating point value.
class KeyValue {
 public:
  KeyValue(const char* key, std::string_view value) noexcept : key_(key), type_(detail::ValueType::string), s_(value) {}
  KeyValue(const char* key, const char* value) noexcept : KeyValue(key, std::string_view(value)) {}
  KeyValue(const char* key, bool value) noexcept : key_(key), type_(detail::ValueType::boolean), b_(value) {}
  template <class T, class = std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>>
  KeyValue(const char* key, T value) noexcept : key_(key), type_(detail::ValueType::int64), i_(static_cast<std::int64_t>(value)) {}
  KeyValue(const char* key, double value) noexcept : key_(key), type_(detail::ValueType::float64), d_(value) {}

  // Records it as attribute `slot` of span `span_id`.
  void write(std::uint64_t span_id, std::uint16_t slot) const noexcept {
    switch (type_) {
      case detail::ValueType::boolean: detail::write_attribute(span_id, slot, key_, b_); break;
      case detail::ValueType::int64: detail::write_attribute(span_id, slot, key_, i_); break;
      case detail::ValueType::float64: detail::write_attribute(span_id, slot, key_, d_); break;
      default: detail::write_attribute(span_id, slot, key_, s_); break;
    }
  }

 private:
  const char* key_;
  detail::ValueType type_;
  bool b_ = false;
  std::int64_t i_ = 0;
  double d_ = 0;
  std::string_view s_;
};

// A span link, returned by SpanBase::link() to attach attributes to it.
class LinkRef {
 public:
  template <class T>
  LinkRef& set(const char* key, const T& value) noexcept {
    if (slot_ != 0) detail::write_attribute(span_id_, slot_, key, value);
    return *this;
  }

 private:
  friend class SpanBase;
  LinkRef(std::uint64_t span_id, std::uint16_t slot) noexcept : span_id_(span_id), slot_(slot) {}
  std::uint64_t span_id_;
  std::uint16_t slot_;  // 0: not recorded
};

// A span event, returned by SpanBase::event() to attach attributes to it.
class EventRef {
 public:
  template <class T>
  EventRef& set(const char* key, const T& value) noexcept;

 private:
  friend class SpanBase;
  EventRef(SpanBase* span, std::uint16_t slot) noexcept : span_(span), slot_(slot) {}
  SpanBase* span_;
  std::uint16_t slot_;
};

// What every span offers. Keys are not copied: they must outlive the program
// (string literals); string values are copied.
class SpanBase {
 public:
  // Sets an attribute: string, bool, integer (stored as int64) or floating point.
  template <class T>
  SpanBase& set(const char* key, const T& value) noexcept {
    // An AsyncSpan may move to another thread: held back, its attributes
    // could reach a later ring than a later value of the same key.
    if (is_recording() && ((s_.flags & detail::span_deferred) || !detail::pack_attribute(s_, key, value)) &&
        prepare_write()) {
      detail::write_attribute(s_.ctx.span_id.value, 0, key, value);
      s_.flags |= detail::span_has_extras;
    }
    return *this;
  }

  // Sets a string-array attribute.
  SpanBase& set(const char* key, std::initializer_list<std::string_view> values) noexcept {
    return set_array(key, values.begin(), values.size());
  }
  SpanBase& set_array(const char* key, const std::string_view* values, std::size_t count) noexcept {
    if (is_recording() && prepare_write()) {
      detail::write_string_array(s_.ctx.span_id.value, 0, key, values, count);
      s_.flags |= detail::span_has_extras;
    }
    return *this;
  }

  // Adds a span event now; the name is copied unless it is a string literal
  // (pass literals directly, they are kept by address).
  template <std::size_t N>
  EventRef event(const char (&name)[N]) noexcept {
    return add_event(name, {});
  }
  EventRef event(std::string_view name) noexcept { return add_event(nullptr, name); }

  // Sets the status to error with a description (OpenTelemetry Status).
  void error(std::string_view message) noexcept { set_status(StatusCode::error, message); }

  void set_status(StatusCode code, std::string_view description = {}) noexcept {
    if (!is_recording() || ((s_.flags & detail::span_deferred) && !hand_over())) return;
    detail::Record r;
    r.type = detail::RecordType::status;
    r.value_type = static_cast<std::uint8_t>(code);
    r.slot = 0;
    r.span_id = s_.ctx.span_id.value;
    detail::write_with_text(r, detail::plain_text_offset, code == StatusCode::error ? description : std::string_view{});
    s_.flags |= detail::span_has_extras;
  }

  // Links this span to `other`, a span it relates to outside the parent
  // chain (the previous episode of a session, the messages a batch handles),
  // in this trace or another. Invalid contexts are ignored; past
  // OTEL_SPAN_LINK_COUNT_LIMIT links are counted as dropped on export.
  LinkRef link(const Context& other) noexcept {
    if (!is_recording() || !other.valid() || s_.links == detail::link_slot - 1) return LinkRef(0, 0);
    const auto number = static_cast<std::uint16_t>(s_.links + 1);
    if (!detail::write_link(s_.ctx.span_id.value, number, other)) return LinkRef(0, 0);
    s_.links = number;
    s_.flags |= detail::span_has_extras;
    return LinkRef(s_.ctx.span_id.value, static_cast<std::uint16_t>(detail::link_slot | number));
  }
  SpanBase& link(const Context& other, std::initializer_list<KeyValue> attributes) noexcept {
    LinkRef ref = link(other);
    if (ref.slot_ != 0)
      for (const KeyValue& a : attributes) a.write(ref.span_id_, ref.slot_);
    return *this;
  }

  bool is_recording() const noexcept { return s_.live && (s_.flags & detail::span_sampled); }
  const Context& context() const noexcept { return s_.ctx; }

 protected:
  SpanBase() noexcept = default;

  void begin(const detail::SpanMeta* meta, SpanKind kind, const Context& parent) noexcept {
    s_.meta = meta;
    s_.kind = kind;
    if (detail::enabled()) detail::begin_span(s_, parent);
  }

  void set_dynamic_name(std::string_view name) noexcept {
    if (!is_recording()) return;
    detail::Record r;
    r.type = detail::RecordType::span_name;
    r.value_type = 0;
    r.slot = 0;
    r.span_id = s_.ctx.span_id.value;
    if (detail::write_with_text(r, detail::plain_text_offset, name))
      s_.flags |= detail::span_has_extras | detail::span_dynamic_name;
  }

  // Before an attribute written as a record of its own: the pending ones
  // go first, so that a key set again still wins; an AsyncSpan (deferred)
  // writes a hand-off mark first when another thread wrote last. False when
  // that mark did not fit (ring full): the write is then left out, as a
  // full ring drops it, rather than ordered before an older value.
  bool prepare_write() noexcept {
    if (s_.flags & detail::span_deferred) return hand_over();
    if (s_.packed != 0) detail::write_pack(s_);
    return true;
  }
  inline bool hand_over() noexcept;  // AsyncSpan's, defined after it

  detail::SpanState s_;

 private:
  friend class EventRef;

  EventRef add_event(const char* static_name, std::string_view name) noexcept {
    if (!is_recording() || s_.events == detail::link_slot - 1) return EventRef(this, 0);
    const auto slot = static_cast<std::uint16_t>(++s_.events);
    detail::Record r;
    r.type = detail::RecordType::event;
    r.value_type = 0;
    r.slot = slot;
    r.span_id = s_.ctx.span_id.value;
    r.event.time = detail::ticks();
    r.event.name = static_name;
    if (static_name != nullptr) {
      r.size = 0;
      detail::write_record(r);
    } else {
      detail::write_with_text(r, detail::event_text_offset, name);
    }
    s_.flags |= detail::span_has_extras;
    return EventRef(this, slot);
  }
};

template <class T>
EventRef& EventRef::set(const char* key, const T& value) noexcept {
  if (slot_ != 0 && span_->is_recording()) detail::write_attribute(span_->context().span_id.value, slot_, key, value);
  return *this;
}

// A scoped span: the current span of its thread from construction to
// destruction, which ends it. Made by TRAIL_SPAN / TRAIL_FUNCTION.
class Span : public SpanBase {
 public:
  TRAIL_FORCE_INLINE explicit Span(const detail::SpanMeta& meta) noexcept { start(&meta, meta.kind); }

  // A child of `parent` (e.g. a context handed over from another thread or
  // extracted from a request) instead of the current span; current for its scope.
  Span(const Context& parent, const detail::SpanMeta& meta) noexcept { start(&meta, meta.kind, &parent); }

  // A span with a run-time name (copied).
  explicit Span(std::string_view name, SpanKind kind = SpanKind::internal) noexcept {
    start(nullptr, kind);
    set_dynamic_name(name);
  }
  Span(const Context& parent, std::string_view name, SpanKind kind = SpanKind::internal) noexcept {
    start(nullptr, kind, &parent);
    set_dynamic_name(name);
  }

  // A span of a compile-time event type, with its typed attribute values.
  template <class Type, class... Values, class = decltype(&Type::template record<Span, Values...>)>
  explicit Span(const Type& type, const Values&... values) noexcept {
    start(&type.meta, type.meta.kind);
    type.record(*this, values...);
  }
  template <class Type, class... Values, class = decltype(&Type::template record<Span, Values...>)>
  Span(const Context& parent, const Type& type, const Values&... values) noexcept {
    start(&type.meta, type.meta.kind, &parent);
    type.record(*this, values...);
  }

  // Off at run time, a span is the enabled() load and branch in start() and
  // the `live` test here: nothing else is read, nothing is called.
  TRAIL_FORCE_INLINE ~Span() {
    if (s_.live) finish();
  }

  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

 private:
  TRAIL_FORCE_INLINE void start(const detail::SpanMeta* meta, SpanKind kind, const Context* parent = nullptr) noexcept {
    if (!detail::enabled()) return;
    s_.meta = meta;
    s_.kind = kind;
    detail::ThreadState& ts = detail::this_thread();
    saved_ = ts.current;
    detail::begin_span(s_, parent != nullptr ? *parent : saved_);
    if (s_.live) ts.current = s_.ctx;
  }

  // Forced inline: g++ -O2 otherwise calls it, and the call is a tenth of a span.
  TRAIL_FORCE_INLINE void finish() noexcept {
    detail::end_span(s_);
    detail::this_thread().current = saved_;
  }

  Context saved_;
};

// A span not tied to a scope or a thread: started explicitly, moved anywhere,
// ended explicitly on any thread (or by its destructor, so it is never lost).
// Its parent is fixed when it starts. It does not become current; use
// ContextScope(span.context()) to parent work to it. One thread at a time.
class AsyncSpan : public SpanBase {
 public:
  AsyncSpan() noexcept = default;

  explicit AsyncSpan(const detail::SpanMeta& meta, const Context& parent = current()) noexcept {
    start(&meta, meta.kind, parent);
  }
  AsyncSpan(const Context& parent, const detail::SpanMeta& meta) noexcept { start(&meta, meta.kind, parent); }

  explicit AsyncSpan(std::string_view name, SpanKind kind = SpanKind::internal,
                     const Context& parent = current()) noexcept {
    start(nullptr, kind, parent);
    set_dynamic_name(name);
  }
  AsyncSpan(const Context& parent, std::string_view name, SpanKind kind = SpanKind::internal) noexcept
      : AsyncSpan(name, kind, parent) {}

  template <class Type, class... Values, class = decltype(&Type::template record<AsyncSpan, Values...>)>
  explicit AsyncSpan(const Type& type, const Values&... values) noexcept {
    start(&type.meta, type.meta.kind, current());
    type.record(*this, values...);
  }
  template <class Type, class... Values, class = decltype(&Type::template record<AsyncSpan, Values...>)>
  AsyncSpan(const Context& parent, const Type& type, const Values&... values) noexcept {
    start(&type.meta, type.meta.kind, parent);
    type.record(*this, values...);
  }

  AsyncSpan(AsyncSpan&& other) noexcept { take(other); }
  AsyncSpan& operator=(AsyncSpan&& other) noexcept {
    if (this != &other) {
      end();
      take(other);
    }
    return *this;
  }
  AsyncSpan(const AsyncSpan&) = delete;
  AsyncSpan& operator=(const AsyncSpan&) = delete;
  ~AsyncSpan() { end(); }

  // Ended on another thread than the one that started it, the span keeps
  // the starter's thread.id.
  void end() noexcept {
    if (!is_recording()) return detail::end_span(s_);
    const detail::Ring* ring = detail::thread_ring();
    if (ring != nullptr && ring->thread_id() != thread_) {
      hand_over_here();
      detail::write_attribute(s_.ctx.span_id.value, 0, "thread.id", static_cast<std::int64_t>(thread_));
      s_.flags |= detail::span_has_extras;
    }
    detail::end_span(s_);
  }

 private:
  void start(const detail::SpanMeta* meta, SpanKind kind, const Context& parent) noexcept {
    begin(meta, kind, parent);
    s_.flags |= detail::span_deferred;
    if (!is_recording()) return;
    thread_ = detail::thread_ring()->thread_id();
    writer_ = detail::thread_ring()->serial();
  }

  void take(AsyncSpan& other) noexcept {
    s_ = other.s_;
    thread_ = other.thread_;
    writer_ = other.writer_;
    handoffs_ = other.handoffs_;
    other.s_.live = false;
  }

  friend class SpanBase;

  // A mark in this thread's ring when another thread wrote last (every
  // writer of SpanBase, and the GenAI content writers, go through here, also
  // when called on a SpanBase&). False when it did not fit (ring full): the
  // next write tries again.
  bool hand_over_here() noexcept {
    const detail::Ring* ring = detail::thread_ring();
    if (ring == nullptr || ring->serial() == writer_) return true;
    if (!detail::write_handoff(s_.ctx.span_id.value, handoffs_ + 1)) return false;
    ++handoffs_;
    writer_ = ring->serial();
    s_.flags |= detail::span_has_extras;
    return true;
  }

  std::uint64_t thread_ = 0;    // of the ring the span started on
  std::uint64_t writer_ = 0;    // Ring::serial() of the ring written last
  std::uint32_t handoffs_ = 0;  // numbers the hand-off marks
};

// Only an AsyncSpan is deferred (its start() sets the flag).
inline bool SpanBase::hand_over() noexcept { return static_cast<AsyncSpan*>(this)->hand_over_here(); }

namespace detail {

// Stands in for a span when TRAIL_DISABLED compiles tracing out.
struct NoopSpan {
  template <class... Args>
  constexpr NoopSpan& set(const Args&...) noexcept { return *this; }
  template <class... Args>
  constexpr NoopSpan& event(const Args&...) noexcept { return *this; }
  constexpr void error(std::string_view) const noexcept {}
  constexpr void set_status(StatusCode, std::string_view = {}) const noexcept {}
  constexpr bool is_recording() const noexcept { return false; }
};

}  // namespace detail

}  // namespace trail

#define TRAIL_DETAIL_CAT2(a, b) a##b
#define TRAIL_DETAIL_CAT(a, b) TRAIL_DETAIL_CAT2(a, b)

#if defined(TRAIL_DISABLED)

#define TRAIL_SPAN_VAR(var, name) [[maybe_unused]] ::trail::detail::NoopSpan var
#define TRAIL_SPAN(name) static_cast<void>(0)
#define TRAIL_FUNCTION() static_cast<void>(0)
#define TRAIL_EVENT(var, type, ...) [[maybe_unused]] ::trail::detail::NoopSpan var

#else

#define TRAIL_DETAIL_SITE(site, name)                                                                   \
  static constexpr ::trail::detail::SpanMeta site {                                                     \
    name, TRAIL_FUNCTION_SIGNATURE, __FILE__, static_cast<std::uint32_t>(__LINE__), ::trail::SpanKind::internal \
  }
#define TRAIL_DETAIL_SPAN(var, name, site) \
  TRAIL_DETAIL_SITE(site, name);           \
  ::trail::Span var(site)

// A scoped span named `name` (a string literal), reachable as `var`.
#define TRAIL_SPAN_VAR(var, name) TRAIL_DETAIL_SPAN(var, "" name "", TRAIL_DETAIL_CAT(trail_site_, __COUNTER__))

// A scoped span named `name` (a string literal) until the end of the scope.
#define TRAIL_SPAN(name) TRAIL_SPAN_VAR(TRAIL_DETAIL_CAT(trail_span_, __COUNTER__), name)

// A scoped span named after the enclosing function.
#define TRAIL_FUNCTION()                                                     \
  TRAIL_DETAIL_SPAN(TRAIL_DETAIL_CAT(trail_span_, __COUNTER__), nullptr,     \
                    TRAIL_DETAIL_CAT(trail_site_, __COUNTER__))

// A scoped span of a compile-time event type with its attribute values.
#define TRAIL_EVENT(var, type, ...) ::trail::Span var(type, __VA_ARGS__)

#endif
