// The process's one rendezvous point for every copy of trail in it.
//
// A header-only library gets one copy of its globals per executable or
// shared library it is compiled into. To share one trail, each copy looks
// up a named, process-local anchor at run time: the first copy creates it,
// every later one finds it, whatever its visibility or how it was loaded.
//
// Linux / POSIX: an exported extern "C" symbol found with dlsym() would miss
// an executable not linked with -rdynamic (the usual host, which calls
// init() first) and, through RTLD_DEFAULT, every RTLD_LOCAL plugin (how ROS 2
// loads components); walking dl_iterate_phdr and dlsym on each handle still
// misses the executable. A named memory mapping does not: the anchor is one
// page of a memfd named "trail-process", found by its name in
// /proc/self/maps. It needs no environment variable, leaves nothing in the
// file system, is private to the process (fork gives the child its own copy,
// as it does for every global) and vanishes at exit or exec. Creation is
// serialized by the dynamic loader's lock, which glibc holds across
// dl_iterate_phdr callbacks (the same lock keeps the list of objects stable).
//
// Windows: a named file mapping "Local\trail-process-<pid>", created or
// opened atomically by CreateFileMapping.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "windows.hpp"

#if !defined(_WIN32)
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace trail::detail::platform {

// The anchor's layout is fixed forever: any version of trail can read the
// key of another, and refuse to share when it differs.
struct ProcessAnchor {
  std::atomic<std::uint32_t> ready;  // 1 once key and state are set
  char key[52];                      // the creator's ABI key, NUL-terminated
  void* state;                       // the creator's process state
};

#if defined(_WIN32)

// Found or created zeroed; `created` tells which. nullptr: no anchor.
inline ProcessAnchor* open_process_anchor(bool& created) noexcept {
  wchar_t name[48] = L"Local\\trail-process-";
  std::size_t n = 0;
  while (name[n] != L'\0') ++n;
  wchar_t digits[16];
  std::size_t d = 0;
  for (unsigned long pid = GetCurrentProcessId(); d == 0 || pid != 0; pid /= 10) digits[d++] = wchar_t(L'0' + pid % 10);
  while (d > 0) name[n++] = digits[--d];
  name[n] = L'\0';
  // Never closed: the anchor lives as long as the process.
  HANDLE mapping = CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE, 0, sizeof(ProcessAnchor), name);
  if (mapping == nullptr) return nullptr;
  created = GetLastError() != ERROR_ALREADY_EXISTS;
  return static_cast<ProcessAnchor*>(MapViewOfFile(mapping, FILE_MAP_ALL_ACCESS, 0, 0, sizeof(ProcessAnchor)));
}

// Keeps the module holding `address` loaded until the process exits: the
// process state and records point into it.
inline void pin_module_of(const void* address) noexcept {
  HMODULE module = nullptr;
  GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                     static_cast<LPCWSTR>(address), &module);
}

#else

// The start address of the mapping named /memfd:trail-process, or 0.
inline std::uintptr_t find_anchor_mapping() noexcept {
  const int fd = ::open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  static constexpr char name[] = "/memfd:trail-process (deleted)";
  char buffer[4096];
  std::size_t used = 0;
  std::uintptr_t found = 0;
  for (;;) {
    const ssize_t got = ::read(fd, buffer + used, sizeof buffer - used);
    if (got <= 0) break;
    used += static_cast<std::size_t>(got);
    std::size_t start = 0;
    for (std::size_t i = 0; i < used; ++i) {
      if (buffer[i] != '\n') continue;
      // "start-end perms offset dev inode   path": the path ends the line.
      const std::size_t length = i - start;
      const std::size_t name_length = sizeof name - 1;
      bool match = length > name_length;
      for (std::size_t k = 0; match && k < name_length; ++k) match = buffer[i - name_length + k] == name[k];
      if (match && found == 0) {
        std::uintptr_t address = 0;
        for (std::size_t k = start; k < i; ++k) {
          const char c = buffer[k];
          const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
          if (digit < 0) break;
          address = address * 16 + static_cast<std::uintptr_t>(digit);
        }
        found = address;
      }
      start = i + 1;
    }
    // Lines are shorter than the buffer, except paths of absurd length: skip those.
    if (start == 0 && used == sizeof buffer) start = used;
    for (std::size_t k = start; k < used; ++k) buffer[k - start] = buffer[k];
    used -= start;
  }
  ::close(fd);
  return found;
}

inline ProcessAnchor* create_anchor_mapping() noexcept {
  const int fd = ::memfd_create("trail-process", MFD_CLOEXEC);
  if (fd < 0) return nullptr;
  void* page = MAP_FAILED;
  if (::ftruncate(fd, sizeof(ProcessAnchor)) == 0)
    page = ::mmap(nullptr, sizeof(ProcessAnchor), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  ::close(fd);  // the mapping keeps the memfd, and its name, alive
  return page == MAP_FAILED ? nullptr : static_cast<ProcessAnchor*>(page);
}

struct AnchorSearch {
  ProcessAnchor* anchor = nullptr;
  bool created = false;
};

// Runs once, for the first object, with the loader's lock held: two copies
// of trail starting on two threads cannot both create an anchor.
inline int find_or_create_anchor(dl_phdr_info*, std::size_t, void* data) noexcept {
  auto& search = *static_cast<AnchorSearch*>(data);
  search.anchor = reinterpret_cast<ProcessAnchor*>(find_anchor_mapping());
  if (search.anchor == nullptr) {
    search.anchor = create_anchor_mapping();
    search.created = search.anchor != nullptr;
  }
  return 1;
}

// Found or created zeroed; `created` tells which. nullptr: no anchor (no
// /proc, or no memfd_create: Linux before 3.17).
inline ProcessAnchor* open_process_anchor(bool& created) noexcept {
  AnchorSearch search;
  dl_iterate_phdr(find_or_create_anchor, &search);
  created = search.created;
  return search.anchor;
}

// Keeps the shared object holding `address` loaded until the process exits
// (dlclose leaves it): the process state and records point into it.
inline void pin_module_of(const void* address) noexcept {
  Dl_info info{};
  if (dladdr(address, &info) == 0 || info.dli_fname == nullptr) return;
  // RTLD_NOLOAD only takes a reference, never released; the executable
  // (which cannot be unloaded anyway) may not be found by its path.
  static_cast<void>(dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE));
}

#endif

}  // namespace trail::detail::platform
