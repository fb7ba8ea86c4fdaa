#!/usr/bin/env bash
# Builds and runs trail's whole test suite three ways: a normal build (g++,
# C++17, benchmarks and examples built too), ThreadSanitizer (clang++, C++20),
# and AddressSanitizer + UndefinedBehaviorSanitizer (g++, C++20); then the
# same suite through Meson with clang++ C++17. Warnings are errors in all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)
out=${TRAIL_BUILD_ROOT:-build/ci}

run_suite() {  # name cxx std sanitize [extra cmake args...]
  local name=$1 cxx=$2 std=$3 sanitize=$4
  shift 4
  echo "=== $name: $cxx C++$std ${sanitize:-no sanitizer} ==="
  cmake -S . -B "$out/$name" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_CXX_STANDARD="$std" -DTRAIL_SANITIZE="$sanitize" "$@"
  cmake --build "$out/$name" -j "$jobs"
  ctest --test-dir "$out/$name" --output-on-failure -j "$jobs"
}

run_suite normal g++ 17 "" -DTRAIL_BUILD_BENCHMARKS=ON -DTRAIL_BUILD_EXAMPLES=ON
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  run_suite tsan clang++ 20 thread -DTRAIL_BUILD_EXAMPLES=OFF
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  run_suite asan g++ 20 address,undefined -DTRAIL_BUILD_EXAMPLES=OFF

# Meson with clang++ C++17: the fourth compiler/standard pair.
echo "=== meson: clang++ C++17 ==="
rm -rf "$out/meson"
CXX=clang++ meson setup "$out/meson" -Dcpp_std=c++17
meson compile -C "$out/meson" -j "$jobs"
meson test -C "$out/meson" --print-errorlogs
echo "all test suites passed"
