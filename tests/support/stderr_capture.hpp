// Test support: what a piece of code writes to stderr (file descriptor 2).
#pragma once

#include <cstdio>
#include <string>

#include <unistd.h>

namespace trail::test {

template <class F>
std::string capture_stderr(F f) {
  std::fflush(stderr);
  std::FILE* capture = std::tmpfile();
  if (capture == nullptr) return "capture_stderr: tmpfile failed";
  const int saved = ::dup(2);
  ::dup2(::fileno(capture), 2);
  f();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::string text;
  std::rewind(capture);
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, capture)) > 0;) text.append(buf, n);
  std::fclose(capture);
  return text;
}

}  // namespace trail::test
