// Compiler portability macros shared by the recording side.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define TRAIL_LIKELY(x) __builtin_expect(!!(x), 1)
#define TRAIL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TRAIL_NOINLINE __attribute__((noinline))
#define TRAIL_FORCE_INLINE inline __attribute__((always_inline))
#else
#define TRAIL_LIKELY(x) (x)
#define TRAIL_UNLIKELY(x) (x)
#define TRAIL_NOINLINE
#define TRAIL_FORCE_INLINE inline
#endif
