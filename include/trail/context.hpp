// trail::Context: what identifies a span to its children (OpenTelemetry's
// SpanContext), and its W3C Trace Context form, the `traceparent` header.
#pragma once

#include <cstdint>
#include <string_view>

#include "ids.hpp"

namespace trail {

struct Context {
  TraceId trace_id;
  SpanId span_id;
  std::uint8_t trace_flags = 0;  // W3C trace-flags; bit 0 = sampled
  bool remote = false;           // extracted from another process

  constexpr bool valid() const noexcept { return trace_id.valid() && span_id.valid(); }
  constexpr bool sampled() const noexcept { return (trace_flags & 1u) != 0; }
};

// A traceparent value: "00-<trace-id>-<parent-id>-<flags>", NUL-terminated.
struct Traceparent {
  static constexpr std::size_t size = 55;
  char text[size + 1] = {};

  std::string_view view() const noexcept { return std::string_view(text, text[0] ? size : 0); }
  const char* c_str() const noexcept { return text; }
  bool empty() const noexcept { return text[0] == '\0'; }
};

// Empty for an invalid context.
inline Traceparent inject_traceparent(const Context& ctx) noexcept {
  Traceparent out;
  if (!ctx.valid()) return out;
  char* p = out.text;
  *p++ = '0';
  *p++ = '0';
  *p++ = '-';
  ctx.trace_id.to_hex(p);
  p += 32;
  *p++ = '-';
  ctx.span_id.to_hex(p);
  p += 16;
  *p++ = '-';
  constexpr char digits[] = "0123456789abcdef";
  *p++ = digits[ctx.trace_flags >> 4];
  *p++ = digits[ctx.trace_flags & 0xf];
  *p = '\0';
  return out;
}

namespace detail {

inline int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // W3C: upper-case hex is invalid
}

}  // namespace detail

// Parses a traceparent as W3C Trace Context level 1 says; any violation
// (length, separators, upper-case or non-hex digits, version ff, all-zero
// trace or parent id) gives an invalid Context, so a new trace starts.
inline Context extract_traceparent(std::string_view header) noexcept {
  // Surrounding optional whitespace (OWS) is allowed in HTTP header values.
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t')) header.remove_prefix(1);
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t')) header.remove_suffix(1);
  if (header.size() < Traceparent::size) return {};
  const int v_hi = detail::hex_digit(header[0]);
  const int v_lo = detail::hex_digit(header[1]);
  if (v_hi < 0 || v_lo < 0) return {};
  const int version = v_hi * 16 + v_lo;
  if (version == 0xff) return {};
  // Version 00 is exactly 55 characters; a later version may append "-...".
  if (version == 0 && header.size() != Traceparent::size) return {};
  if (header.size() > Traceparent::size && header[Traceparent::size] != '-') return {};
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') return {};
  Context ctx;
  if (!detail::u64_from_hex(header.data() + 3, ctx.trace_id.hi) ||
      !detail::u64_from_hex(header.data() + 19, ctx.trace_id.lo) ||
      !detail::u64_from_hex(header.data() + 36, ctx.span_id.value))
    return {};
  const int f_hi = detail::hex_digit(header[53]);
  const int f_lo = detail::hex_digit(header[54]);
  if (f_hi < 0 || f_lo < 0) return {};
  if (!ctx.valid()) return {};
  ctx.trace_flags = static_cast<std::uint8_t>(f_hi * 16 + f_lo);
  // Unknown versions: only the sampled bit is defined for us to keep.
  if (version != 0) ctx.trace_flags &= 1u;
  ctx.remote = true;
  return ctx;
}

}  // namespace trail
