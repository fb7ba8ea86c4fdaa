// Which sanitizer a test program runs under (g++ and clang spell it apart).
#pragma once

#if defined(__SANITIZE_THREAD__)
#define TRAIL_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TRAIL_TEST_TSAN 1
#endif
#endif

#if defined(__SANITIZE_ADDRESS__)
#define TRAIL_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TRAIL_TEST_ASAN 1
#endif
#endif

#if defined(TRAIL_TEST_ASAN)
#include <sanitizer/lsan_interface.h>
#endif

namespace trail::test {

#if defined(TRAIL_TEST_TSAN)
// TSan supports neither threads started after a multi-threaded fork() nor
// replacing operator new (clang's runtime defines it).
inline constexpr bool under_thread_sanitizer = true;
#else
inline constexpr bool under_thread_sanitizer = false;
#endif

// Whether LeakSanitizer finds unreachable memory now (false without ASan).
inline bool leaks_found() {
#if defined(TRAIL_TEST_ASAN)
  return __lsan_do_recoverable_leak_check() != 0;
#else
  return false;
#endif
}

}  // namespace trail::test
