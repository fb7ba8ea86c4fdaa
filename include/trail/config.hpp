// Compiler portability macros (compiler features, not operating systems:
// OS-specific code lives in platform/).
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define TRAIL_LIKELY(x) __builtin_expect(!!(x), 1)
#define TRAIL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TRAIL_NOINLINE __attribute__((noinline))
#define TRAIL_FORCE_INLINE inline __attribute__((always_inline))
#define TRAIL_FUNCTION_SIGNATURE __PRETTY_FUNCTION__
#else
#define TRAIL_LIKELY(x) (x)
#define TRAIL_UNLIKELY(x) (x)
#define TRAIL_NOINLINE __declspec(noinline)
#define TRAIL_FORCE_INLINE __forceinline
#define TRAIL_FUNCTION_SIGNATURE __FUNCSIG__
#endif

// Exceptions may be off (-fno-exceptions, /EHs-c-, game engines): trail never
// throws itself, and guards code that could (allocation, user callbacks) with
//   TRAIL_TRY { ... } TRAIL_CATCH_ALL { ... }
// Without exceptions the handler is compiled but never runs, and a failure
// that would have thrown terminates, as the standard library does there.
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define TRAIL_EXCEPTIONS 1
#define TRAIL_TRY try
#define TRAIL_CATCH_ALL catch (...)
#else
#define TRAIL_EXCEPTIONS 0
#define TRAIL_TRY if (true)
#define TRAIL_CATCH_ALL else
#endif
