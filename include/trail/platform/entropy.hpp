// Random bytes from the operating system, for trace and span id seeds.
// Linux: getrandom (non-blocking); Windows: BCryptGenRandom with the system
// RNG (link bcrypt; the CMake target and MSVC's #pragma do it).
#pragma once

#include <cstddef>

#if defined(_WIN32)
#include "windows.hpp"
#include <bcrypt.h>
#if defined(_MSC_VER)
#pragma comment(lib, "bcrypt.lib")
#endif
#else
#include <sys/random.h>
#include <sys/types.h>
#endif

namespace trail::detail::platform {

// Fills `size` bytes; false when the system could not (the caller mixes in
// other sources).
inline bool random_bytes(void* out, std::size_t size) noexcept {
#if defined(_WIN32)
  return BCRYPT_SUCCESS(::BCryptGenRandom(nullptr, static_cast<PUCHAR>(out), static_cast<ULONG>(size),
                                          BCRYPT_USE_SYSTEM_PREFERRED_RNG));
#else
  return ::getrandom(out, size, GRND_NONBLOCK) == static_cast<ssize_t>(size);
#endif
}

}  // namespace trail::detail::platform
