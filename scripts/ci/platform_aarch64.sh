#!/usr/bin/env bash
# ci-lane: after-servers (.ci/run builds and runs it in the server lane, once its waiting stages are done)
# aarch64 (Jetson, Raspberry Pi): the test suite cross-built with g++ in C++20
# (the g++ C++20 build of the suite, warnings as errors; scripts/test.sh has
# g++ in C++17) and run under qemu-user. The clock is cntvct_el0 with its
# stated frequency.
platform_name=aarch64
source "$(dirname "$0")/lib/platform.sh"
platform_suite aarch64-linux-gnu 20 g++-aarch64-linux-gnu qemu-user
