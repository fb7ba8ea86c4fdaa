// trail::runtime (CMake) / trail_runtime_dep (Meson): the export side, that
// is init(), shutdown(), flush(), stats() and everything they reach,
// compiled once. Programs linking it see TRAIL_RUNTIME_EXTERN.
#define TRAIL_RUNTIME_IMPLEMENTATION
#include <trail/runtime.hpp>
