// What a piece of code prints on stderr (file descriptor 2), for tests of
// one-line messages.
#pragma once

#include <cstdio>
#include <string>

#include <unistd.h>

namespace trail::test {

template <class F>
std::string capture_stderr(F&& f) {
  std::fflush(stderr);
  std::FILE* capture = std::tmpfile();
  if (capture == nullptr) {
    f();
    return "(stderr not captured: no temporary file)";
  }
  const int saved = ::dup(2);
  ::dup2(::fileno(capture), 2);
  f();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::string text(64 * 1024, '\0');
  std::rewind(capture);
  text.resize(std::fread(&text[0], 1, text.size(), capture));
  std::fclose(capture);
  return text;
}

}  // namespace trail::test
