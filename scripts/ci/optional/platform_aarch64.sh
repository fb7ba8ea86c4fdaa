#!/usr/bin/env bash
# aarch64 (Jetson, Raspberry Pi): the test suite cross-built with g++ and run
# under qemu-user. The clock is cntvct_el0 with its stated frequency.
platform_name=aarch64
source "$(dirname "$0")/../lib/platform.sh"
platform_suite aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user
