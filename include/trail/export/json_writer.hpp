// Low-level JSON output: appends to a caller-owned, reused std::string.
// No DOM and no allocation beyond the buffer's own growth; the OTLP/JSON
// serializers (traces, metrics) are built from these pieces.
#pragma once

#include <algorithm>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "../config.hpp"

namespace trail::detail {

// Appends to a std::string through a raw cursor, so that the hot path is
// inline pointer bumps instead of out-of-line std::string::append calls
// (measured: about 40% of serializer time; g++ -O2 did not inline them on its
// own, so they are forced, the growth kept out of line). The string is grown
// geometrically (its new bytes zero-filled once) and trimmed back to what was
// written when the sink is destroyed; until then its size is not meaningful.
// The JSON writers below take either a std::string or a StringSink.
class StringSink {
 public:
  explicit StringSink(std::string& out) noexcept : StringSink(out, std::string::npos) {}
  // Writes from `at` (past out.size(): appends) over what the string holds
  // past it: a buffer reused batch after batch keeps its bytes as room,
  // instead of being cleared and zero-filled again as it grows (4 % of the flusher).
  StringSink(std::string& out, std::size_t at) noexcept
      : out_(out), begin_(out.data()), pos_(begin_ + std::min(at, out.size())), end_(begin_ + out.size()) {}
  ~StringSink() { out_.resize(size()); }
  StringSink(const StringSink&) = delete;
  StringSink& operator=(const StringSink&) = delete;

  std::size_t size() const noexcept { return static_cast<std::size_t>(pos_ - begin_); }

  TRAIL_FORCE_INLINE void append(const char* s, std::size_t n) {
    if (n == 0) return;  // s may be null (empty string_view); memcpy forbids it
    if (TRAIL_UNLIKELY(static_cast<std::size_t>(end_ - pos_) < n)) grow(n);
    std::memcpy(pos_, s, n);
    pos_ += n;
  }
  TRAIL_FORCE_INLINE void push_back(char c) {
    if (TRAIL_UNLIKELY(pos_ == end_)) grow(1);
    *pos_++ = c;
  }
  TRAIL_FORCE_INLINE StringSink& operator+=(std::string_view s) {
    append(s.data(), s.size());
    return *this;
  }
  TRAIL_FORCE_INLINE StringSink& operator+=(char c) {
    push_back(c);
    return *this;
  }

  // For writers that patch what they wrote (the protobuf writer's lengths):
  // room for n more bytes at data() + size(), then set_size() to commit.
  char* reserve(std::size_t n) {
    if (static_cast<std::size_t>(end_ - pos_) < n) grow(n);
    return pos_;
  }
  char* data() noexcept { return begin_; }
  void set_size(std::size_t n) noexcept { pos_ = begin_ + n; }  // n <= what reserve() made room for

 private:
  // Past the capacity, geometric; within it, only a little more than asked
  // for, so that a reused buffer zero-fills about what is written next
  // (resize cannot extend a std::string without writing its new bytes).
  TRAIL_NOINLINE void grow(std::size_t n) {
    const std::size_t used = size(), need = used + n;
    out_.resize(need > out_.capacity() ? std::max(need, 2 * used + 256)
                                       : std::max(need, std::min(out_.capacity(), used + used / 8 + 4096)));
    begin_ = out_.data();
    pos_ = begin_ + used;
    end_ = begin_ + out_.size();
  }

  std::string& out_;
  char* begin_;
  char* pos_;
  char* end_;
};

// Decimal digits of v at p, returning the end: the common case of trail's
// output is a 19-digit nanosecond timestamp, two a span, which std::to_chars
// writes as a chain of nine 64-bit divisions by 100 (its largest item in the
// flusher's profile, 5 %). Here the value is split into 8-digit parts first,
// written two digits at a time in 32-bit arithmetic. Same text as to_chars.
inline constexpr char decimal_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

inline void put_two_digits(char* p, std::uint32_t v) noexcept { std::memcpy(p, decimal_pairs + 2 * v, 2); }

// v < 10^8 as exactly 8 digits (leading zeros kept).
inline void put_eight_digits(char* p, std::uint32_t v) noexcept {
  const std::uint32_t high = v / 10000, low = v % 10000;
  put_two_digits(p, high / 100);
  put_two_digits(p + 2, high % 100);
  put_two_digits(p + 4, low / 100);
  put_two_digits(p + 6, low % 100);
}

// v < 10^8 without leading zeros.
inline char* put_short_decimal(char* p, std::uint32_t v) noexcept {
  const int digits = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4
                   : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : 8;
  char* const end = p + digits;
  char* q = end;
  for (; v >= 100; v /= 100) {
    q -= 2;
    put_two_digits(q, v % 100);
  }
  if (v >= 10) put_two_digits(q - 2, v);
  else q[-1] = static_cast<char>('0' + v);
  return end;
}

inline char* put_decimal(char* p, std::uint64_t v) noexcept {
  constexpr std::uint64_t e8 = 100000000, e16 = e8 * e8;
  if (v < e8) return put_short_decimal(p, static_cast<std::uint32_t>(v));
  if (v < e16) {
    p = put_short_decimal(p, static_cast<std::uint32_t>(v / e8));
  } else {
    p = put_short_decimal(p, static_cast<std::uint32_t>(v / e16));  // at most 1844
    put_eight_digits(p, static_cast<std::uint32_t>(v / e8 % e8));
    p += 8;
  }
  put_eight_digits(p, static_cast<std::uint32_t>(v % e8));
  return p + 8;
}

// v with a '-' when negative; up to 20 digits and a sign.
template <class Int>
char* put_decimal_signed(char* p, Int v) noexcept {
  if constexpr (std::is_signed_v<Int>) {
    if (v < 0) {
      *p++ = '-';
      return put_decimal(p, std::uint64_t{0} - static_cast<std::uint64_t>(v));
    }
  }
  return put_decimal(p, static_cast<std::uint64_t>(v));
}

// Unquoted decimal: counts, enums, flags. Into a StringSink the digits are
// written in place, not copied after.
template <class Out, class Int>
void append_json_decimal(Out& out, Int v) {
  static_assert(std::is_integral_v<Int> && sizeof(Int) <= 8, "64-bit integers at most");
  constexpr std::size_t most = 21;  // 20 digits and a sign
  if constexpr (std::is_same_v<Out, StringSink>) {
    char* const at = out.reserve(most);
    out.set_size(out.size() + static_cast<std::size_t>(put_decimal_signed(at, v) - at));
  } else {
    char digits[most];
    out.append(digits, static_cast<std::size_t>(put_decimal_signed(digits, v) - digits));
  }
}

template <class Out>
void append_json_uint(Out& out, std::uint64_t v) {
  append_json_decimal(out, v);
}

// 64-bit integers are decimal strings in OTLP/JSON (proto3 JSON mapping).
template <class Out>
void append_json_u64_string(Out& out, std::uint64_t v) {
  out += '"';
  append_json_decimal(out, v);
  out += '"';
}

template <class Out>
void append_json_i64_string(Out& out, std::int64_t v) {
  out += '"';
  append_json_decimal(out, v);
  out += '"';
}

// proto3 JSON: non-finite doubles are the strings "NaN", "Infinity",
// "-Infinity"; finite ones the shortest text that round-trips. std::to_chars
// gives only JSON-valid forms for finite values ("1", "-0", "1.5e-07", "1e+300"),
// and is compiled in the standard library: fmt's format_to_n instantiated
// fmt's whole formatter (~1 s) in the translation unit that includes runtime.hpp.
// The shortest round-trip text of v when it has at most 6 decimals and
// 0.001 <= |v| < 1e9 (2.5, 0.25, 1234.125: the values programs set), which
// std::to_chars would write in fixed notation too; 0 otherwise. Exact: m =
// v * 10^6 is an integer below 2^50, and m / 10^6 == v (a correctly rounded
// division of two exact values: what parsing the text gives back); below
// 2^50 two texts with 6 decimals are more than an ulp of v apart, so no
// other text with as few digits reads back as v. One multiply for the
// values that do not qualify, against ~50 ns for std::to_chars. Only where
// double arithmetic is done in double (FLT_EVAL_METHOD 0): the x87 unit of
// i686 builds keeps 80-bit intermediates, under which the exactness checks
// do not hold, so there every value goes to std::to_chars.
inline std::size_t short_decimal(double v, char* buf) noexcept {
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
  static_cast<void>(v);
  static_cast<void>(buf);
  return 0;
#else
  constexpr double scale = 1e6;
  const double a = v < 0 ? -v : v;
  if (!(a >= 0.001 && a < 1e9)) return 0;  // also NaN
  const double scaled = a * scale;
  const auto m = static_cast<std::uint64_t>(scaled);
  if (static_cast<double>(m) != scaled || static_cast<double>(m) / scale != a) return 0;
  std::uint64_t whole = m / 1000000, fraction = m % 1000000;
  int decimals = 6;
  if (fraction == 0) {
    decimals = 0;
    if (whole >= 100000) return 0;  // "1e+05" is shorter than "100000": to_chars' choice
  } else {
    while (fraction % 10 == 0) {
      fraction /= 10;
      --decimals;
    }
  }
  char* p = buf;
  if (v < 0) *p++ = '-';
  p = put_decimal(p, whole);
  if (decimals != 0) {
    *p++ = '.';
    for (int i = decimals - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    p += decimals;
  }
  return static_cast<std::size_t>(p - buf);
#endif
}

template <class Out>
void append_json_double(Out& out, double v) {
  char buf[32];  // the longest shortest form, "-2.2250738585072014e-308", is 24
  if (const std::size_t n = short_decimal(v, buf)) {
    out.append(buf, n);
  } else if (std::isnan(v)) {
    out += "\"NaN\"";
  } else if (std::isinf(v)) {
    out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<std::size_t>(r.ptr - buf));
  }
}

template <class Out>
void append_json_bool(Out& out, bool v) {
  out += v ? std::string_view("true") : std::string_view("false");
}

// Length of the well-formed UTF-8 sequence (2..4 bytes, Unicode Table 3-7)
// starting at the non-ASCII byte p[0], or minus the length of its maximal
// subpart (1..3 bytes) when it is ill-formed: overlongs, surrogates,
// > U+10FFFF, stray continuation bytes and truncated sequences.
inline int utf8_sequence(const unsigned char* p, std::size_t avail) noexcept {
  const unsigned lead = p[0];
  std::size_t len;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    if (lead == 0xE0) lo = 0xA0;       // overlong
    else if (lead == 0xED) hi = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    if (lead == 0xF0) lo = 0x90;       // overlong
    else if (lead == 0xF4) hi = 0x8F;  // > U+10FFFF
  } else {
    return -1;
  }
  if (avail < 2 || p[1] < lo || p[1] > hi) return -1;
  for (std::size_t i = 2; i < len; ++i) {
    if (i >= avail || (p[i] & 0xC0) != 0x80) return -static_cast<int>(i);
  }
  return static_cast<int>(len);
}

// True when any of the 8 bytes in w is a control char, '"', '\\' or
// non-ASCII. Exact for "any", which is all the fast loop asks.
constexpr bool json_word_needs_care(std::uint64_t w) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull;
  constexpr std::uint64_t highs = 0x8080808080808080ull;
  const std::uint64_t quote = w ^ (ones * '"');
  const std::uint64_t backslash = w ^ (ones * '\\');
  const std::uint64_t t = ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
                          ((backslash - ones) & ~backslash) | w;
  return (t & highs) != 0;
}

constexpr bool json_byte_plain(unsigned char c) noexcept { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

// Whether the last bytes [p, end), fewer than 8, of a string `size` long
// are all plain, in one word test instead of a loop over them (keys and
// names are mostly short): the last 8 bytes of the string when it has
// them (the ones before p were handled already: a test that also covers
// them is only more cautious), else two overlapping 4-byte reads. False
// means "look at each byte", not "not plain".
inline bool plain_tail(const unsigned char* p, const unsigned char* end, std::size_t size) noexcept {
  std::uint64_t w;
  if (size >= 8) {
    std::memcpy(&w, end - 8, 8);
  } else if (end - p >= 4) {
    std::uint32_t head, tail;
    std::memcpy(&head, p, 4);
    std::memcpy(&tail, end - 4, 4);
    w = head | (std::uint64_t{tail} << 32);
  } else {
    return false;
  }
  return !json_word_needs_care(w);
}

// Quoted, escaped JSON string valid for ANY input bytes (RFC 8259): '"',
// '\\' and control characters escaped, DEL passed, valid UTF-8 copied as is,
// each maximal subpart of ill-formed UTF-8 replaced by U+FFFD (the
// WHATWG / Unicode "substitution of maximal subparts" practice). Runs of
// plain bytes are found 8 at a time and appended in bulk. True when some
// invalid UTF-8 was replaced (two different strings may then read the same).
template <class Out>
bool append_json_string(Out& out, std::string_view bytes) {
  bool repaired = false;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* const end = p + bytes.size();
  const auto* run = p;  // start of the bytes not yet appended
  auto flush = [&] { out.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run)); };

  out += '"';
  while (p < end) {
    while (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (json_word_needs_care(w)) break;
      p += 8;
    }
    if (p != end && end - p < 8 && plain_tail(p, end, bytes.size())) p = end;
    while (p < end && json_byte_plain(*p)) ++p;
    if (p == end) break;

    const unsigned char c = *p;
    if (c >= 0x80) {
      const int n = utf8_sequence(p, static_cast<std::size_t>(end - p));
      if (n > 0) {  // well-formed: stays in the run
        p += n;
        continue;
      }
      flush();
      out += "\xEF\xBF\xBD";  // U+FFFD
      repaired = true;
      p += -n;
      run = p;
      continue;
    }

    flush();
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: {
        constexpr char hex[] = "0123456789abcdef";
        const char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
        out.append(esc, sizeof esc);
      }
    }
    ++p;
    run = p;
  }
  flush();
  out += '"';
  return repaired;
}

}  // namespace trail::detail
