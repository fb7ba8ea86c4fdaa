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
  // Named padding: with it a copy is two aligned 16-byte moves. Without it g++
  // -O2 copies the used bytes with two overlapping moves, and the next
  // span's 16-byte load of the thread's context cannot be store-forwarded
  // (a ~10-cycle stall on every nested span).
  std::uint8_t padding_[2] = {};
  // What the export side adds to spans in this context, recorded once in a
  // ring (0: nothing): the tracestate it was extracted with, or the session
  // it belongs to. Children inherit it.
  std::uint32_t annotation = 0;

  constexpr bool valid() const noexcept { return trace_id.valid() && span_id.valid(); }
  constexpr bool sampled() const noexcept { return (trace_flags & 1u) != 0; }
};
static_assert(sizeof(Context) == 32, "Context is copied as two 16-byte halves");

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

// W3C `tracestate`: at most 32 comma-separated `key=value` members (empty
// members allowed), keys unique. Kept out of Context so that copying a
// Context stays cheap: the value is passed through as the caller's string.
inline bool valid_tracestate(std::string_view header) noexcept {
  constexpr std::size_t max_members = 32;
  std::string_view keys[max_members];
  std::size_t count = 0;
  const auto is_lcalpha = [](char c) { return c >= 'a' && c <= 'z'; };
  const auto is_key_char = [&](char c) {
    return is_lcalpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*' || c == '/';
  };
  while (true) {
    const std::size_t comma = header.find(',');
    std::string_view member = header.substr(0, comma);
    while (!member.empty() && (member.front() == ' ' || member.front() == '\t')) member.remove_prefix(1);
    while (!member.empty() && (member.back() == ' ' || member.back() == '\t')) member.remove_suffix(1);
    if (!member.empty()) {
      const std::size_t eq = member.find('=');
      if (eq == std::string_view::npos || count == max_members) return false;
      const std::string_view key = member.substr(0, eq);
      const std::string_view value = member.substr(eq + 1);
      // key: simple-key, or tenant-id "@" system-id (multi-tenant).
      const std::size_t at = key.find('@');
      const std::string_view tenant = at == std::string_view::npos ? key : key.substr(0, at);
      const std::string_view system = at == std::string_view::npos ? std::string_view{} : key.substr(at + 1);
      if (tenant.empty() || tenant.size() > (at == std::string_view::npos ? 256u : 241u)) return false;
      if (!is_lcalpha(tenant[0]) && !(at != std::string_view::npos && tenant[0] >= '0' && tenant[0] <= '9'))
        return false;
      for (char c : tenant)
        if (!is_key_char(c)) return false;
      if (at != std::string_view::npos) {
        if (system.empty() || system.size() > 14 || !is_lcalpha(system[0])) return false;
        for (char c : system)
          if (!is_key_char(c)) return false;
      }
      // value: 1 to 256 printable ASCII characters but ',' and '=' (trailing spaces are OWS).
      if (value.empty() || value.size() > 256) return false;
      for (char c : value)
        if (c < 0x20 || c > 0x7e || c == ',' || c == '=') return false;
      for (std::size_t i = 0; i < count; ++i)
        if (keys[i] == key) return false;
      keys[count++] = key;
    }
    if (comma == std::string_view::npos) return true;
    header.remove_prefix(comma + 1);
  }
}

}  // namespace trail
