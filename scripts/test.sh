#!/usr/bin/env bash
# Builds and runs trail's whole test suite three ways: a normal build (g++,
# C++17, -O2, benchmarks and examples built too), ThreadSanitizer (clang++,
# C++20), and AddressSanitizer + UndefinedBehaviorSanitizer (clang++, C++20:
# g++ with both sanitizers at -O2 takes 4 times as long to compile); then
# the same suite through Meson with clang++ C++17 on LLVM's libc++ (fmt used
# header-only: Debian's fmt library is built for libstdc++). Warnings are
# errors in all.
# Compiling is most of the time, so: debug info is line tables only (-g1:
# enough for symbolized backtraces and sanitizer reports, the same code as -g,
# and with g++ under ASan half the build time), and the tests share one
# compiled export side (trail::runtime). Each suite prints its build and test
# times.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)
out=${TRAIL_BUILD_ROOT:-build/ci}

timed() {  # label command...: runs the command, then prints its wall and CPU time
  local TIMEFORMAT="$1 took %0R s (CPU: %0U s user, %0S s system)"
  shift
  time "$@"
}

build_suite() {  # name cxx std sanitize [extra cmake args...]
  local name=$1 cxx=$2 std=$3 sanitize=$4
  shift 4
  cmake -S . -B "$out/$name" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_CXX_STANDARD="$std" -DTRAIL_SANITIZE="$sanitize" "$@"
  cmake --build "$out/$name" -j "$jobs"
}

run_suite() {  # name cxx std sanitize [extra cmake args...]
  echo "=== $1: $2 C++$3 ${4:-no sanitizer} ==="
  timed "$1: configure + build" build_suite "$@"
  timed "$1: tests" ctest --test-dir "$out/$1" --output-on-failure -j "$jobs"
}

run_suite normal g++ 17 "" -DTRAIL_BUILD_BENCHMARKS=ON -DTRAIL_BUILD_EXAMPLES=ON
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  run_suite tsan clang++ 20 thread -DTRAIL_BUILD_EXAMPLES=OFF
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  run_suite asan clang++ 20 address,undefined -DTRAIL_BUILD_EXAMPLES=OFF

# Meson with clang++ C++17 on libc++: the fourth compiler/standard pair, and
# the other standard library (no floating-point from_chars before libc++ 20).
echo "=== meson: clang++ C++17, libc++ ==="
rm -rf "$out/meson"
meson_build() {
  CXX=clang++ meson setup "$out/meson" -Dcpp_std=c++17 -Dcpp_args="-g1 -stdlib=libc++" \
    -Dcpp_link_args=-stdlib=libc++ -Dfmt_header_only=true  # -g1: as above
  meson compile -C "$out/meson" -j "$jobs"
}
timed "meson: configure + build" meson_build
timed "meson: tests" meson test -C "$out/meson" --print-errorlogs
echo "all test suites passed"
