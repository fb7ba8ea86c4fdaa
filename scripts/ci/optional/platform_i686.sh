#!/usr/bin/env bash
# 32-bit x86: the test suite cross-built with g++ (4-byte pointers, 4-byte
# long, i386 struct alignment) and run under qemu-user.
platform_name=i686
source "$(dirname "$0")/../lib/platform.sh"
platform_install g++-i686-linux-gnu qemu-user
platform_configure build/ci/i686 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/i686-linux-gnu.cmake \
  -DTRAIL_BUILD_EXAMPLES=OFF
platform_build $(platform_test_targets)
platform_test '^test_'
platform_step done
