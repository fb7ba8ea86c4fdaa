// Files beyond what <cstdio> and <filesystem> do the same everywhere:
// replacing a file in one step (a reader sees the old file or the new one,
// never half of one); for the spill directory, data on the disk before a
// record counts as written (power loss loses at most the record being
// written), and a lock that says which process owns a directory (released by
// the OS when the process dies, kill -9 included).
#pragma once

#include <cstdio>
#include <string>
#include <system_error>

#if defined(_WIN32)
#include <io.h>

#include "windows.hpp"
#else
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
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

// Writes what stdio buffered for `f` and asks the OS to put it on the disk.
inline bool sync_file(std::FILE* f) noexcept {
  if (std::fflush(f) != 0) return false;
#if defined(_WIN32)
  return ::_commit(::_fileno(f)) == 0;
#else
  return ::fsync(::fileno(f)) == 0;
#endif
}

// Makes the creation or removal of files in `dir` durable (POSIX: the
// directory's own entry list is synced; Windows: NTFS journals it).
inline void sync_directory(const std::string& dir) noexcept {
#if defined(_WIN32)
  (void)dir;
#else
  const int fd = ::open(dir.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
#endif
}

// An exclusive lock on one file, held until release() or destruction (or
// until the process ends). A second lock on the same file fails, also from
// the same process.
class FileLock {
 public:
  FileLock() = default;
  ~FileLock() { release(); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  // False when the file cannot be opened (`error` says why) or another
  // holder has it (`busy`).
  bool acquire(const std::string& path, bool& busy, std::string& error) noexcept {
    release();
    busy = false;
#if defined(_WIN32)
    handle_ = ::CreateFileA(path.c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                            OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (handle_ == INVALID_HANDLE_VALUE) {
      error = std::error_code(static_cast<int>(::GetLastError()), std::system_category()).message();
      return false;
    }
    OVERLAPPED at{};
    if (!::LockFileEx(handle_, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &at)) {
      const DWORD code = ::GetLastError();
      busy = code == ERROR_LOCK_VIOLATION;
      error = std::error_code(static_cast<int>(code), std::system_category()).message();
      release();
      return false;
    }
#else
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      error = std::error_code(errno, std::generic_category()).message();
      return false;
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      busy = errno == EWOULDBLOCK;
      error = std::error_code(errno, std::generic_category()).message();
      release();
      return false;
    }
#endif
    return true;
  }

  void release() noexcept {
#if defined(_WIN32)
    if (handle_ != INVALID_HANDLE_VALUE) ::CloseHandle(handle_);  // closing releases the lock
    handle_ = INVALID_HANDLE_VALUE;
#else
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
    fd_ = -1;
#endif
  }

 private:
#if defined(_WIN32)
  HANDLE handle_ = INVALID_HANDLE_VALUE;
#else
  int fd_ = -1;
#endif
};

}  // namespace trail::detail::platform
