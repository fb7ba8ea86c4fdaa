#!/usr/bin/env bash
# Windows: the test suite and both demos cross-built with mingw-w64 (posix
# threads, static runtime) and run under wine. test_fork is POSIX-only: CTest
# runs a stand-in that says it is skipped.
platform_name=windows
source "$(dirname "$0")/lib/platform.sh"
platform_install g++-mingw-w64-x86-64-posix wine wine64
export WINEDEBUG=-all WINEPREFIX=$PWD/build/ci/wineprefix
platform_configure build/ci/windows -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw-w64-x86_64.cmake
platform_skip_test=test_fork
platform_build $(platform_test_targets) test_dll_host game_agents robot_loop
platform_step "start wine"
/usr/lib/wine/wine64 wineboot --init >/dev/null 2>&1 || true
platform_test '^(test_|demo_)'
platform_step done
