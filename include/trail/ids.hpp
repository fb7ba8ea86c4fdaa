// Trace and span identifiers (W3C Trace Context / OTLP), and the fast
// per-thread generator that makes them.
#pragma once

#include <cstdint>

namespace trail {

// 128-bit trace id; all-zero is invalid (W3C Trace Context).
struct TraceId {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;

  constexpr bool valid() const noexcept { return (hi | lo) != 0; }
  friend constexpr bool operator==(TraceId a, TraceId b) noexcept { return a.hi == b.hi && a.lo == b.lo; }
  friend constexpr bool operator!=(TraceId a, TraceId b) noexcept { return !(a == b); }

  // Lowercase hex, 32 characters, not NUL-terminated.
  void to_hex(char* out) const noexcept;
};

// 64-bit span id; zero is invalid (and means "no parent").
struct SpanId {
  std::uint64_t value = 0;

  constexpr bool valid() const noexcept { return value != 0; }
  friend constexpr bool operator==(SpanId a, SpanId b) noexcept { return a.value == b.value; }
  friend constexpr bool operator!=(SpanId a, SpanId b) noexcept { return !(a == b); }

  // Lowercase hex, 16 characters, not NUL-terminated.
  void to_hex(char* out) const noexcept;
};

namespace detail {

// Eight nibbles at a time: each spread to its own byte (the lowest nibble
// in the lowest byte), turned into '0'-'9' / 'a'-'f' without a branch, then
// stored highest first (a shift per byte: one byte-swapped store, whatever
// the host's byte order). The collector writes three ids per exported span.
inline void u32_to_hex(std::uint32_t v, char* out) noexcept {
  std::uint64_t x = v;
  x = ((x & 0xFFFF0000u) << 16) | (x & 0xFFFFu);
  x = ((x & 0x0000FF000000FF00ull) << 8) | (x & 0x000000FF000000FFull);
  x = ((x & 0x00F000F000F000F0ull) << 4) | (x & 0x000F000F000F000Full);
  const std::uint64_t letters = ((x + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull;  // nibble > 9
  x += 0x3030303030303030ull + letters * ('a' - '0' - 10);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(x >> (8 * (7 - i)));
}

inline void u64_to_hex(std::uint64_t v, char* out) noexcept {
  u32_to_hex(static_cast<std::uint32_t>(v >> 32), out);
  u32_to_hex(static_cast<std::uint32_t>(v), out + 8);
}

// Parses exactly 16 lowercase hex digits; false on anything else.
inline bool u64_from_hex(const char* in, std::uint64_t& out) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 16; ++i) {
    const char c = in[i];
    unsigned d;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else return false;
    v = (v << 4) | d;
  }
  out = v;
  return true;
}

inline std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// xoshiro256** (Blackman & Vigna): a few cycles per id, 2^256 period.
// Not cryptographic; W3C only asks ids to be random enough to be unique.
struct IdGenerator {
  std::uint64_t s[4];

  void seed(std::uint64_t entropy) noexcept {
    for (auto& w : s) w = splitmix64(entropy);
  }

  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }

  std::uint64_t next_nonzero() noexcept {
    std::uint64_t v;
    do v = next();
    while (v == 0);
    return v;
  }

  SpanId span_id() noexcept { return SpanId{next_nonzero()}; }
  TraceId trace_id() noexcept { return TraceId{next(), next_nonzero()}; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
};

}  // namespace detail

inline void TraceId::to_hex(char* out) const noexcept {
  detail::u64_to_hex(hi, out);
  detail::u64_to_hex(lo, out + 16);
}

inline void SpanId::to_hex(char* out) const noexcept { detail::u64_to_hex(value, out); }

}  // namespace trail
