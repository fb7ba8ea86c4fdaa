// Reads Protocol Buffers wire format one field at a time, for the small
// messages OTLP receivers answer with (Export*ServiceResponse,
// google.rpc.Status). Never reads past its input; malformed input stops it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protobuf_writer.hpp"

namespace trail::detail {

class ProtoReader {
 public:
  explicit ProtoReader(std::string_view bytes) noexcept : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  // Moves to the next field; false at the end of the input or on malformed
  // input (then ok() is false). Groups (wire types 3, 4) count as malformed.
  bool next() noexcept {
    if (p_ == end_ || !ok_) return false;
    std::uint64_t key;
    if (!read_varint(key) || (key >> 3) == 0 || (key >> 3) > 0x1fffffff) return fail();
    field_ = static_cast<std::uint32_t>(key >> 3);
    type_ = static_cast<WireType>(key & 7);
    switch (type_) {
      case WireType::varint: return read_varint(value_) || fail();
      case WireType::fixed64: return read_fixed(8) || fail();
      case WireType::fixed32: return read_fixed(4) || fail();
      case WireType::len: {
        std::uint64_t n;
        if (!read_varint(n) || n > static_cast<std::uint64_t>(end_ - p_)) return fail();
        bytes_ = std::string_view(p_, static_cast<std::size_t>(n));
        p_ += n;
        return true;
      }
    }
    return fail();
  }

  std::uint32_t field() const noexcept { return field_; }
  WireType type() const noexcept { return type_; }
  std::uint64_t value() const noexcept { return value_; }        // varint, fixed64, fixed32
  std::string_view bytes() const noexcept { return bytes_; }     // len
  bool ok() const noexcept { return ok_; }

 private:
  bool fail() noexcept {
    ok_ = false;
    return false;
  }
  bool read_varint(std::uint64_t& out) noexcept {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64 && p_ != end_; shift += 7) {
      const auto b = static_cast<unsigned char>(*p_++);
      v |= std::uint64_t{b & 0x7fu} << shift;
      if (b < 0x80) {
        out = v;
        return true;
      }
    }
    return false;
  }
  bool read_fixed(int n) noexcept {
    if (end_ - p_ < n) return false;
    value_ = 0;
    for (int i = 0; i < n; ++i) value_ |= std::uint64_t{static_cast<unsigned char>(p_[i])} << (8 * i);
    p_ += n;
    return true;
  }

  const char* p_;
  const char* end_;
  std::uint32_t field_ = 0;
  WireType type_ = WireType::varint;
  std::uint64_t value_ = 0;
  std::string_view bytes_;
  bool ok_ = true;
};

}  // namespace trail::detail
