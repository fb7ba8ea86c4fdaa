// Setting and removing process environment variables in tests (setenv is
// POSIX; the Windows C runtime has _putenv_s).
#pragma once

#include <cstdlib>

namespace trail::test {

inline void set_env(const char* name, const char* value) {
#if defined(_WIN32)
  ::_putenv_s(name, value);
#else
  ::setenv(name, value, 1);
#endif
}

inline void unset_env(const char* name) {
#if defined(_WIN32)
  ::_putenv_s(name, "");  // an empty value removes the variable on Windows
#else
  ::unsetenv(name);
#endif
}

}  // namespace trail::test
