#!/usr/bin/env bash
# clang with libc++ (no floating-point from_chars before libc++ 20; fmt
# header-only, Debian's libfmt being built for libstdc++): the test suite.
platform_name=libcxx
source "$(dirname "$0")/../lib/platform.sh"
platform_install clang libc++-14-dev libc++abi-14-dev
platform_configure build/ci/libcxx -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/clang-libcxx.cmake \
  -DTRAIL_BUILD_EXAMPLES=OFF
platform_build $(platform_test_targets)
platform_test '^test_'
platform_step done
