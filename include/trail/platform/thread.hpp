// The calling thread: its id, whether it is the process's main thread, a
// hook that runs when it exits, and a polite spin-wait yield.
//
// Thread exit on Windows is a fiber-local-storage callback (FlsAlloc), not a
// thread_local destructor: mingw-w64's emulated TLS is freed before
// thread_local destructors run, so such a destructor touching thread-local
// state crashes. FLS callbacks run earlier in thread exit, with TLS intact.
#pragma once

#include <cstdint>

#if defined(_WIN32)
#include "windows.hpp"
#else
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace trail::detail::platform {

#if defined(_WIN32)

inline std::uint64_t thread_id() noexcept { return ::GetCurrentThreadId(); }

// Windows has no "main thread" query: the thread that ran this copy's static
// initializers stands for it (the main thread for an executable; for a DLL
// loaded later, the loading thread, which then merely keeps its ring).
inline const DWORD g_main_thread_id = ::GetCurrentThreadId();
inline bool is_main_thread() noexcept { return ::GetCurrentThreadId() == g_main_thread_id; }

inline void yield() noexcept { ::SwitchToThread(); }

template <void (*Fn)(void*)>
void NTAPI fls_trampoline(void* arg) {
  if (arg != nullptr) Fn(arg);
}

// Calls Fn(arg) when the calling thread exits (arg != nullptr; one hook per
// Fn and thread: a second call replaces the argument). False when the
// process is out of FLS slots: the thread then simply never reports its exit.
template <void (*Fn)(void*)>
bool on_thread_exit(void* arg) noexcept {
  static const DWORD index = ::FlsAlloc(&fls_trampoline<Fn>);
  return index != FLS_OUT_OF_INDEXES && ::FlsSetValue(index, arg) != 0;
}

#else

inline std::uint64_t thread_id() noexcept { return static_cast<std::uint64_t>(::syscall(SYS_gettid)); }
inline bool is_main_thread() noexcept { return ::syscall(SYS_gettid) == ::getpid(); }
inline void yield() noexcept { ::sched_yield(); }

template <void (*Fn)(void*)>
struct ThreadExitHook {
  void* arg = nullptr;
  ~ThreadExitHook() {
    if (arg != nullptr) Fn(arg);
  }
};

// A pthread key, not a thread_local with a destructor: registering one of
// those (__cxa_thread_atexit_impl) allocates and takes the dynamic loader's
// lock, half of a new thread's first span. Key destructors run after the
// thread_local destructors, so spans recorded in those still land. The
// thread_local stays for when the process is out of keys.
template <void (*Fn)(void*)>
bool on_thread_exit(void* arg) noexcept {
  struct Key {
    pthread_key_t key{};
    bool ok = ::pthread_key_create(&key, Fn) == 0;
  };
  static const Key k;
  if (k.ok && ::pthread_setspecific(k.key, arg) == 0) return true;
  static thread_local ThreadExitHook<Fn> hook;  // function-local: only code that records pays its TLS guard
  hook.arg = arg;
  return true;
}

#endif

}  // namespace trail::detail::platform
