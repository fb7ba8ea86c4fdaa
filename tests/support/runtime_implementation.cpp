// The one TU that compiles init(), shutdown(), flush() and stats() for the
// tests built with TRAIL_RUNTIME_EXTERN (tests/CMakeLists.txt, meson.build).
#define TRAIL_RUNTIME_IMPLEMENTATION
#include <trail/runtime.hpp>
