#!/usr/bin/env bash
# ci-lane: after-servers (.ci/run builds and runs it in the server lane, once its waiting stages are done)
# Windows: the test suite, the plugin (DLL) matrix, the DLL exit policy and
# both demos, cross-built with mingw-w64 (posix threads, static runtime) and
# run under wine, all through CTest. test_fork is POSIX-only: CTest runs a
# stand-in that says it is skipped. No build type (no optimization): this
# stage checks behaviour, and compiling is most of its time.
platform_name=windows
source "$(dirname "$0")/lib/platform.sh"
platform_install g++-mingw-w64-x86-64-posix wine wine64
# Headless wine in a prefix of this stage's own; no Mono / Gecko prompts.
export WINEDEBUG=-all WINEPREFIX=$PWD/build/ci/windows-wineprefix WINEDLLOVERRIDES="mscoree,mshtml="
wineserver=/usr/lib/wine/wineserver
[ -x "$wineserver" ] || wineserver=/usr/lib/wine/wineserver64
platform_configure build/ci/windows -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw-w64-x86_64.cmake \
  -DTRAIL_BUILD_TOOLS=OFF
# One wineserver for the prefix and every test program, kept until the end;
# the prefix is made while the suite compiles (it takes ~30 s on its own).
rm -rf "$WINEPREFIX"
mkdir -p "$WINEPREFIX"
"$wineserver" -p
trap '"$wineserver" -k 2>/dev/null || true' EXIT
/usr/lib/wine/wine64 wineboot --init >build/ci/windows-wineboot.log 2>&1 &
wineboot=$!
platform_build all
platform_step "wait for the wine prefix"
wait "$wineboot" || { cat build/ci/windows-wineboot.log; exit 1; }
platform_test '^(test_|demo_|plugins_)' -j $((jobs * 2))  # mostly waiting: twice the cores
platform_step done
