// CRC-32 (IEEE 802.3, the polynomial of zlib, gzip and PNG) for the spill's
// record checksums. Table-driven, built at compile time: zlib is optional in
// trail, and the spill must work without it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace trail::detail {

inline constexpr std::array<std::uint32_t, 256> crc32_table = [] {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}();

// Continues `crc` (0 to start) over `size` bytes.
inline std::uint32_t crc32(const void* data, std::size_t size, std::uint32_t crc = 0) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (std::size_t i = 0; i < size; ++i) crc = crc32_table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

}  // namespace trail::detail
