// Replacing a file with another in one step, so that a reader sees either
// the old file or the new one, never half of one.
#pragma once

#include <string>

#if defined(_WIN32)
#include "windows.hpp"
#else
#include <cerrno>
#include <cstdio>
#include <cstring>
#endif

namespace trail::detail::platform {

// Renames `from` to `to`, replacing `to` if it exists. Empty on success, else
// the reason. (std::rename replaces on POSIX but fails on Windows when `to`
// exists; the ANSI forms match the paths fopen takes there.)
inline std::string replace_file(const char* from, const char* to) {
#if defined(_WIN32)
  if (::MoveFileExA(from, to, MOVEFILE_REPLACE_EXISTING) != 0) return {};
  return "Windows error " + std::to_string(::GetLastError());
#else
  if (std::rename(from, to) == 0) return {};
  return std::strerror(errno);
#endif
}

}  // namespace trail::detail::platform
