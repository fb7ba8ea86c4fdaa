// Whether a test program runs under an emulator (qemu-user, wine): CTest sets
// TRAIL_TEST_UNDER_EMULATOR for cross builds (tests/CMakeLists.txt). Tests
// trim work that takes minutes there, or skip what the emulator cannot do,
// and say so.
#pragma once

#include <cstdlib>

namespace trail::test {

inline bool under_emulator() { return std::getenv("TRAIL_TEST_UNDER_EMULATOR") != nullptr; }

}  // namespace trail::test
