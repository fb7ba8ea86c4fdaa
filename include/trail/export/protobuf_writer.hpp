// Protocol Buffers wire format, written by hand (no libprotobuf, no code
// generator): varints, tags, fixed64 / fixed32 / double, and length-delimited
// fields whose length is back-patched once their content is written. Appends
// to a caller-owned, reused std::string through the JSON writer's StringSink.
//
// https://protobuf.dev/programming-guides/encoding/
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "json_writer.hpp"

namespace trail::detail {

enum class WireType : std::uint32_t { varint = 0, fixed64 = 1, len = 2, fixed32 = 5 };

constexpr std::size_t varint_size(std::uint64_t v) noexcept {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// The put_* functions write at p (the caller made room) and return the end.
inline char* put_varint(char* p, std::uint64_t v) noexcept {
  while (v >= 0x80) {
    *p++ = static_cast<char>(static_cast<unsigned char>(v | 0x80));
    v >>= 7;
  }
  *p++ = static_cast<char>(static_cast<unsigned char>(v));
  return p;
}

inline char* put_tag(char* p, std::uint32_t field, WireType type) noexcept {
  return put_varint(p, (std::uint64_t{field} << 3) | static_cast<std::uint32_t>(type));
}

// Little-endian, whatever the host's byte order (compilers make it one store).
inline char* put_fixed64(char* p, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(static_cast<unsigned char>(v >> (8 * i)));
  return p + 8;
}

inline char* put_bytes(char* p, const char* data, std::size_t n) noexcept {
  if (n != 0) std::memcpy(p, data, n);  // data may be null when n is 0
  return p + n;
}

inline std::uint64_t double_bits(double v) noexcept {
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}

// True when `bytes` is well-formed UTF-8 (protobuf `string` fields must be).
inline bool utf8_valid(std::string_view bytes) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* const end = p + bytes.size();
  while (p < end) {
    while (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & 0x8080808080808080ull) break;
      p += 8;
    }
    if (p == end) break;
    if (*p < 0x80) {
      ++p;
      continue;
    }
    const int n = utf8_sequence(p, static_cast<std::size_t>(end - p));
    if (n < 0) return false;
    p += n;
  }
  return true;
}

// `bytes` with each maximal subpart of ill-formed UTF-8 replaced by U+FFFD:
// the repair append_json_string makes, so both encodings carry the same text.
inline void append_utf8_repaired(std::string& out, std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* const end = p + bytes.size();
  while (p < end) {
    if (*p < 0x80) {
      out += static_cast<char>(*p++);
      continue;
    }
    const int n = utf8_sequence(p, static_cast<std::size_t>(end - p));
    if (n > 0) {
      out.append(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
      p += n;
    } else {
      out += "\xEF\xBF\xBD";
      p += -n;
    }
  }
}

class ProtoWriter {
 public:
  // An open length-delimited field: where its length goes, and how many
  // bytes were set aside for it.
  struct Mark {
    std::size_t at;
    std::size_t reserved;
  };

  explicit ProtoWriter(std::string& out) : sink_(out) {}
  ProtoWriter(std::string& out, std::size_t at) : sink_(out, at) {}  // over out's bytes past at (StringSink)

  std::size_t size() const noexcept { return sink_.size(); }

  void varint(std::uint64_t v) { commit(put_varint(raw(10), v)); }
  void tag(std::uint32_t field, WireType type) { varint((std::uint64_t{field} << 3) | static_cast<std::uint32_t>(type)); }

  // Fields, always written (proto3 leaves zero values out; callers decide).
  void varint_field(std::uint32_t field, std::uint64_t v) {
    tag(field, WireType::varint);
    varint(v);
  }
  // int64 / int32: negative values are their 64-bit two's complement (10 bytes).
  void int64_field(std::uint32_t field, std::int64_t v) { varint_field(field, static_cast<std::uint64_t>(v)); }
  void fixed64_field(std::uint32_t field, std::uint64_t v) {
    tag(field, WireType::fixed64);
    fixed64(v);
  }
  void sfixed64_field(std::uint32_t field, std::int64_t v) { fixed64_field(field, static_cast<std::uint64_t>(v)); }
  void double_field(std::uint32_t field, double v) {
    tag(field, WireType::fixed64);
    fixed64(double_bits(v));
  }
  void fixed32_field(std::uint32_t field, std::uint32_t v) {
    tag(field, WireType::fixed32);
    char* p = sink_.reserve(4);
    for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(static_cast<unsigned char>(v >> (8 * i)));
    sink_.set_size(size() + 4);
  }
  void bytes_field(std::uint32_t field, const char* data, std::size_t n) {
    tag(field, WireType::len);
    varint(n);
    sink_.append(data, n);
  }
  // A `string` field: ill-formed UTF-8 is repaired as the JSON writer does.
  void string_field(std::uint32_t field, std::string_view s) {
    if (utf8_valid(s)) {
      bytes_field(field, s.data(), s.size());
      return;
    }
    repaired_.clear();
    append_utf8_repaired(repaired_, s);
    bytes_field(field, repaired_.data(), repaired_.size());
  }

  // Unframed values, for packed repeated fixed64 / double fields.
  void fixed64(std::uint64_t v) {
    commit(put_fixed64(raw(8), v));
  }
  void double_value(double v) { fixed64(double_bits(v)); }

  // A sub-message (or any length-delimited field) whose length is not known
  // yet: open() sets `reserve` bytes aside, close() writes the length there.
  // A length that needs more or fewer bytes moves the content once; choose
  // `reserve` for the usual size (1: < 128 bytes, 2: < 16 KiB, 3: < 2 MiB).
  Mark open(std::uint32_t field, std::size_t reserve = 1) {
    tag(field, WireType::len);
    const Mark m{size(), reserve};
    sink_.reserve(reserve);
    sink_.set_size(m.at + reserve);
    return m;
  }
  void close(Mark m) {
    const std::size_t content = m.at + m.reserved;
    const std::size_t length = size() - content;
    const std::size_t need = varint_size(length);
    if (need != m.reserved) {
      if (need > m.reserved) sink_.reserve(need - m.reserved);
      char* base = sink_.data();
      std::memmove(base + m.at + need, base + content, length);
      sink_.set_size(m.at + need + length);
    }
    put_varint(sink_.data() + m.at, length);
  }

  // For hot paths that know their sizes: room for n bytes at raw(n), written
  // with the put_* functions, then commit(the end they returned).
  char* raw(std::size_t n) { return sink_.reserve(n); }
  void commit(const char* end) noexcept { sink_.set_size(static_cast<std::size_t>(end - sink_.data())); }

 private:

  StringSink sink_;
  std::string repaired_;  // scratch for strings that need UTF-8 repair
};

}  // namespace trail::detail
