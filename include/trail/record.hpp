// The boundary between the recording side and the export side: what a
// producer thread writes into its ring, and the static metadata it points to.
//
// Every record is one 64-byte cache line, laid out alike on 32- and 64-bit
// targets: each pointer sits in an 8-byte slot (alignas(8); also where i386
// would align 64-bit members to 4), checked by the asserts below. A span costs one `span_end` record
// (written when it ends); up to three scalar or short string attributes share
// one `attribute_pack` record (usually written with the end, in the same
// reservation); each other attribute, event, status or dynamic name adds a
// record before it, followed by raw `continuation` lines for long strings.
#pragma once

#include <cstddef>
#include <cstdint>

#include "enums.hpp"

namespace trail::detail {

// Static description of a span site, made at compile time (Tracy's
// SourceLocationData): only its address travels through the ring.
struct SpanMeta {
  const char* name;             // nullptr: named after `function` (TRAIL_FUNCTION)
  const char* function;         // TRAIL_FUNCTION_SIGNATURE of the site; the consumer shortens it
  const char* file;
  std::uint32_t line;
  SpanKind kind;
};

enum class RecordType : std::uint8_t {
  span_end = 1,     // a finished span: ids, times, metadata
  attribute,        // one attribute of a span (slot 0) or of its event number `slot`
  event,            // a span event
  status,           // error status with message
  span_name,        // a dynamic span name
  continuation,     // raw bytes of the previous record's string
  link,             // a span link (slot: its number; attributes use slot link_slot | number)
  note,             // what a context annotation id stands for (NoteKind in value_type)
  frame,            // a frame mark (TRAIL_FRAME): slot unused, span_id = frame number
  attribute_pack,   // 1-3 attributes of slot `slot` (value_type: how many; size: a pack_tag byte each)
  handoff,          // an AsyncSpan's writes continue in this ring: those after it (of span_id) are
                    // ordered after every write numbered lower (size: the number), in any ring, so a
                    // key set on two threads keeps the later value whichever ring is read first
};

// Attribute records of link n carry slot `link_slot | n`; events are 1..link_slot-1.
constexpr std::uint16_t link_slot = 0x8000u;

// What a `note` record says about the contexts carrying its id (Context::annotation).
enum class NoteKind : std::uint8_t {
  trace_state = 1,  // text: the W3C tracestate received with the context
  session,          // link body: the session id (trace_hi / trace_lo), for gen_ai.conversation.id
};

enum class ValueType : std::uint8_t { string = 1, boolean, int64, float64, string_array };

// span_end flags
enum : std::uint16_t {
  span_sampled = 1u << 0,
  span_has_extras = 1u << 1,      // attribute / event / status / name records precede the end
  span_deferred = 1u << 2,        // ended apart from where it started: extras may sit in other rings
  span_remote_parent = 1u << 3,
  span_dynamic_name = 1u << 4,
  span_genai = 1u << 5,           // a GenAI type's span: conversation id, content, older attribute names
};

struct SpanBody {
  alignas(8) const SpanMeta* meta;  // nullptr for a dynamic name
  alignas(8) std::uint64_t parent_span_id;
  std::uint64_t trace_hi, trace_lo;
  std::uint64_t start, end;     // raw ticks
};

struct AttributeBody {
  alignas(8) const char* key;
  union {
    bool b;
    alignas(8) std::int64_t i;
    double d;
    char text[40];              // first bytes of a string value
  };
};

// One attribute of an `attribute_pack` record: a bool (as 0 / 1), int64,
// double, or a string of at most 8 bytes held in place of the value.
struct PackedAttribute {
  alignas(8) const char* key;
  union {
    alignas(8) std::int64_t i;
    double d;
    char text[8];
  };
};

// Attribute n of a pack has tag byte n of the record's `size`: its ValueType
// in the low 4 bits, a string's length (0-8) in the high 4.
constexpr std::uint32_t pack_capacity = 3;
constexpr std::uint32_t packed_text_max = 8;
constexpr std::uint8_t pack_tag(ValueType type, std::uint32_t length = 0) noexcept {
  return static_cast<std::uint8_t>(static_cast<std::uint32_t>(type) | (length << 4));
}

struct EventBody {
  alignas(8) std::uint64_t time;  // raw ticks
  alignas(8) const char* name;    // static name, or nullptr: the dynamic name starts in text
  alignas(8) char text[32];
};

struct LinkBody {
  std::uint64_t trace_hi, trace_lo;
  std::uint64_t span_id;        // of the linked span
  std::uint32_t annotation;     // the linked context's (its tracestate)
  std::uint8_t trace_flags;
  bool remote;
};

struct FrameBody {
  alignas(8) const char* name;  // static frame set name
  alignas(8) std::uint64_t time;  // raw ticks
};

struct alignas(64) Record {
  RecordType type;
  std::uint8_t value_type;      // ValueType (attribute), SpanKind (span_end), StatusCode (status)
  std::uint16_t slot;           // span_end: flags; attribute: 0 = span, n = event n; event: its number
  std::uint32_t size;           // string length in bytes (attribute, event, status, span_name, note);
                                // span_end: the span context's annotation id (0: none)
  alignas(8) std::uint64_t span_id;

  union {
    SpanBody span;
    AttributeBody attr;
    EventBody event;
    LinkBody link;
    FrameBody frame;
    PackedAttribute pack[pack_capacity];
    char text[48];              // status message / span name
  };
};

static_assert(sizeof(Record) == 64, "a record is one cache line");
// The same offsets whatever the pointer size.
static_assert(sizeof(SpanBody) == 48 && offsetof(SpanBody, parent_span_id) == 8 && offsetof(SpanBody, end) == 40);
static_assert(sizeof(AttributeBody) == 48 && offsetof(AttributeBody, i) == 8);
static_assert(sizeof(EventBody) == 48 && offsetof(EventBody, name) == 8);
static_assert(sizeof(PackedAttribute) == 16 && sizeof(PackedAttribute) * pack_capacity == 48);
static_assert(sizeof(LinkBody) == 32 && sizeof(FrameBody) == 16);
static_assert(offsetof(Record, span_id) == 8 && offsetof(Record, span) == 16);

// Where a string starts inside its head record, by record type.
constexpr std::uint32_t attribute_text_offset = 24;
constexpr std::uint32_t event_text_offset = 32;
constexpr std::uint32_t plain_text_offset = 16;
static_assert(offsetof(Record, attr) + offsetof(AttributeBody, text) == attribute_text_offset);
static_assert(offsetof(Record, event) + offsetof(EventBody, text) == event_text_offset);
static_assert(offsetof(Record, text) == plain_text_offset);

// How many continuation lines a string of `size` bytes needs after the first
// `inline_bytes` that fit in its head record.
constexpr std::uint32_t continuation_count(std::uint32_t size, std::uint32_t inline_bytes) noexcept {
  return size <= inline_bytes ? 0 : (size - inline_bytes + 63) / 64;
}

}  // namespace trail::detail
