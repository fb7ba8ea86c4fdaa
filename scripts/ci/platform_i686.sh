#!/usr/bin/env bash
# ci-lane: after-servers (.ci/run builds and runs it in the server lane, once its waiting stages are done)
# 32-bit x86: the test suite cross-built with g++ (4-byte pointers, 4-byte
# long, i386 struct alignment) and run under qemu-user.
platform_name=i686
source "$(dirname "$0")/lib/platform.sh"
platform_suite i686-linux-gnu 17 g++-i686-linux-gnu qemu-user
