#!/usr/bin/env bash
# clang with libc++ (no floating-point from_chars before libc++ 20; fmt
# header-only, Debian's libfmt being built for libstdc++): the test suite.
platform_name=libcxx
source "$(dirname "$0")/../lib/platform.sh"
platform_suite clang-libcxx clang libc++-14-dev libc++abi-14-dev
