// Test-side loading of shared libraries (dlopen on POSIX, LoadLibrary on
// Windows) for the plugin matrix, and the attribute that exports a plugin's
// entry points.
#pragma once

#include <string>

#if defined(_WIN32)
#include <windows.h>
#define TRAIL_TEST_EXPORT extern "C" __declspec(dllexport)
#else
#include <dlfcn.h>
#define TRAIL_TEST_EXPORT extern "C" __attribute__((visibility("default")))
#endif

namespace trail::test {

// nullptr with the reason in `error`. `global` is RTLD_GLOBAL; Windows has
// no such choice (a DLL's names are always its own).
inline void* open_library(const char* path, bool global, std::string& error) {
#if defined(_WIN32)
  (void)global;
  void* handle = reinterpret_cast<void*>(::LoadLibraryA(path));
  if (handle == nullptr) error = "LoadLibrary failed with error " + std::to_string(::GetLastError());
#else
  void* handle = ::dlopen(path, RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL));
  if (handle == nullptr) error = ::dlerror();
#endif
  return handle;
}

template <class F>
F library_function(void* handle, const char* name) {
#if defined(_WIN32)
  return reinterpret_cast<F>(reinterpret_cast<void*>(::GetProcAddress(static_cast<HMODULE>(handle), name)));
#else
  return reinterpret_cast<F>(::dlsym(handle, name));
#endif
}

}  // namespace trail::test
