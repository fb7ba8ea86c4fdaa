#!/usr/bin/env bash
# aarch64 (Jetson, Raspberry Pi): the test suite cross-built with g++ and run
# under qemu-user. The clock is cntvct_el0 with its stated frequency.
platform_name=aarch64
source "$(dirname "$0")/../lib/platform.sh"
platform_install g++-aarch64-linux-gnu qemu-user
platform_configure build/ci/aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
  -DTRAIL_BUILD_EXAMPLES=OFF
platform_build $(platform_test_targets)
platform_test '^test_'
platform_step done
