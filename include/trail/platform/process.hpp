// The running process: its id, its executable's base name (for service.name)
// and a hook for the child side of fork() (POSIX only; Windows has no fork).
#pragma once

#include <string>

#if defined(_WIN32)
#include "windows.hpp"
#else
#include <errno.h>  // program_invocation_short_name
#include <pthread.h>
#include <unistd.h>
#endif

namespace trail::detail::platform {

// The base name of the running executable ("game.exe", "robot"), empty when
// unknown. Semantic conventions: process.executable.name.
inline std::string executable_name() {
#if defined(_WIN32)
  wchar_t wide[4096];
  const DWORD n = ::GetModuleFileNameW(nullptr, wide, sizeof wide / sizeof wide[0]);
  if (n == 0 || n >= sizeof wide / sizeof wide[0]) return {};
  DWORD start = n;
  while (start > 0 && wide[start - 1] != L'\\' && wide[start - 1] != L'/') --start;
  const int chars = static_cast<int>(n - start);
  const int bytes = ::WideCharToMultiByte(CP_UTF8, 0, wide + start, chars, nullptr, 0, nullptr, nullptr);
  if (bytes <= 0) return {};
  std::string name(static_cast<std::size_t>(bytes), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, wide + start, chars, &name[0], bytes, nullptr, nullptr);
  // "game.exe" is "game", as on other systems (and as .NET's ProcessName).
  if (name.size() > 4 && ::CompareStringA(LOCALE_INVARIANT, NORM_IGNORECASE, name.c_str() + name.size() - 4, 4,
                                          ".exe", 4) == CSTR_EQUAL)
    name.resize(name.size() - 4);
  return name;
#else
  std::string name;
#if defined(__linux__)
  char path[4096];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n > 0) {
    std::string p(path, static_cast<std::size_t>(n));
    const std::string deleted = " (deleted)";  // binary replaced while running
    if (p.size() > deleted.size() && p.compare(p.size() - deleted.size(), deleted.size(), deleted) == 0)
      p.resize(p.size() - deleted.size());
    name = p.substr(p.rfind('/') + 1);
  }
#endif
#if defined(__GLIBC__)
  if (name.empty() && program_invocation_short_name) name = program_invocation_short_name;
#endif
  return name;
#endif
}

inline unsigned long process_id() noexcept {
#if defined(_WIN32)
  return ::GetCurrentProcessId();
#else
  return static_cast<unsigned long>(::getpid());
#endif
}

// True while Windows tears the process down (ExitProcess, then each DLL's
// DLL_PROCESS_DETACH with its atexit handlers): every other thread, the
// flusher included, has been terminated and the loader lock is held, so
// waiting for the flusher could only time out. Never true elsewhere: there,
// exit() runs the atexit handlers with every thread still alive.
inline bool threads_terminated_by_exit() noexcept {
#if defined(_WIN32)
  using Query = BOOLEAN(NTAPI*)();
  static const auto query = reinterpret_cast<Query>(
      reinterpret_cast<void*>(::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "RtlDllShutdownInProgress")));
  return query != nullptr && query() != 0;
#else
  return false;
#endif
}

// Runs `fn` in the child after every fork(); nothing where there is no fork.
inline void on_fork_child(void (*fn)()) noexcept {
#if defined(_WIN32)
  (void)fn;
#else
  ::pthread_atfork(nullptr, nullptr, fn);
#endif
}

}  // namespace trail::detail::platform
