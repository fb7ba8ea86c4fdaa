// Clocks: the cheapest invariant hardware counter for the hot path, and the
// system's monotonic and real-time clocks in nanoseconds.
//
//   x86 (g++, clang)  rdtsc, usable only when CPUID reports an invariant TSC
//   x86-64 (MSVC)     __rdtsc / __cpuid
//   aarch64           isb; mrs cntvct_el0 (the isb keeps the read from being
//                     executed ahead of earlier instructions); its frequency
//                     is cntfrq_el0, so no calibration is needed
//   other             no counter: the monotonic clock
//   monotonic / real  clock_gettime, or QueryPerformanceCounter and
//                     GetSystemTimePreciseAsFileTime on Windows
#pragma once

#include <cstdint>

#if defined(_WIN32)
#include "windows.hpp"
#else
#include <time.h>
#endif

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define TRAIL_COUNTER_X86_GNU 1
#elif defined(_MSC_VER) && defined(_M_X64)
#include <intrin.h>
#define TRAIL_COUNTER_X86_MSVC 1
#elif defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
#define TRAIL_COUNTER_AARCH64 1
#endif

namespace trail::detail::platform {

#if defined(_WIN32)

inline std::uint64_t monotonic_ns() noexcept {
  static const std::uint64_t frequency = [] {
    LARGE_INTEGER f;
    ::QueryPerformanceFrequency(&f);  // never fails since Windows XP
    return static_cast<std::uint64_t>(f.QuadPart);
  }();
  LARGE_INTEGER c;
  ::QueryPerformanceCounter(&c);
  const auto count = static_cast<std::uint64_t>(c.QuadPart);
  // Split so that count * 1e9 cannot overflow.
  return count / frequency * 1000000000u + count % frequency * 1000000000u / frequency;
}

inline std::uint64_t realtime_ns() noexcept {
  FILETIME ft;
  ::GetSystemTimePreciseAsFileTime(&ft);  // 100 ns units since 1601-01-01
  const std::uint64_t t = (static_cast<std::uint64_t>(ft.dwHighDateTime) << 32) | ft.dwLowDateTime;
  return (t - 116444736000000000u) * 100u;
}

inline void sleep_ms(unsigned ms) noexcept { ::Sleep(ms); }

#else

inline std::uint64_t monotonic_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

inline std::uint64_t realtime_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

inline void sleep_ms(unsigned ms) noexcept {
  const timespec pause{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000L};
  nanosleep(&pause, nullptr);
}

#endif

// Raw ticks of the hardware counter (the monotonic clock where there is none).
inline std::uint64_t counter() noexcept {
#if defined(TRAIL_COUNTER_X86_GNU)
  return __builtin_ia32_rdtsc();
#elif defined(TRAIL_COUNTER_X86_MSVC)
  return __rdtsc();
#elif defined(TRAIL_COUNTER_AARCH64)
  std::uint64_t v;
  asm volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
  return v;
#else
  return monotonic_ns();
#endif
}

// True when counter() ticks at a constant rate on every core in every power
// state, so that it can stand for time.
inline bool counter_is_invariant() noexcept {
#if defined(TRAIL_COUNTER_X86_GNU)
  unsigned eax, ebx, ecx, edx;
  // CPUID.80000007H:EDX[8] = invariant TSC: constant rate in every P-/C-state.
  return __get_cpuid(0x80000007u, &eax, &ebx, &ecx, &edx) && (edx & (1u << 8));
#elif defined(TRAIL_COUNTER_X86_MSVC)
  int regs[4];
  __cpuid(regs, static_cast<int>(0x80000000u));
  if (static_cast<unsigned>(regs[0]) < 0x80000007u) return false;
  __cpuid(regs, static_cast<int>(0x80000007u));
  return (static_cast<unsigned>(regs[3]) & (1u << 8)) != 0;
#elif defined(TRAIL_COUNTER_AARCH64)
  return true;  // the architected generic timer has a fixed frequency
#else
  return false;
#endif
}

// Nanoseconds per counter tick when the hardware states it (aarch64's
// cntfrq_el0), 0 when it must be measured.
inline double counter_ns_per_tick() noexcept {
#if defined(TRAIL_COUNTER_AARCH64)
  std::uint64_t hz;
  asm volatile("mrs %0, cntfrq_el0" : "=r"(hz));
  return hz != 0 ? 1e9 / static_cast<double>(hz) : 0.0;
#else
  return 0.0;
#endif
}

}  // namespace trail::detail::platform
