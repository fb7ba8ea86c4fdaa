# Shared by the platform_*.sh CI stages (README "Platforms"): install a
# toolchain, build the test programs (and demos) for one target in one
# configuration, run them through CTest (its emulator: wine, qemu-user).
# Sourced, not run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
export DEBIAN_FRONTEND=noninteractive
command -v ccache >/dev/null && export CMAKE_CXX_COMPILER_LAUNCHER=ccache
jobs=$(nproc 2>/dev/null || echo 2)

platform_step_start=$SECONDS
platform_step() {  # prints how long the previous step took, then the next step's name
  [ -z "${platform_step_name:-}" ] || echo "$platform_name: $platform_step_name took $((SECONDS - platform_step_start)) s"
  platform_step_name=$1 platform_step_start=$SECONDS
  [ "$1" = done ] || echo "--- $platform_name: $1"
}

platform_install() {  # packages...: the toolchain of this stage (apt only for what is missing)
  platform_step "install $*"
  local packages=(cmake ninja-build libfmt-dev nlohmann-json3-dev doctest-dev "$@")
  if [ "$(id -u)" = 0 ] && ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  fi
}

# configure dir [cmake arguments...]
platform_configure() {
  platform_dir=$1
  shift
  platform_step "configure $platform_dir"
  rm -rf "$platform_dir"
  cmake -S . -B "$platform_dir" -G Ninja -DTRAIL_BUILD_BENCHMARKS=OFF "$@" >/dev/null
}

# build targets...
platform_build() {
  platform_step "build $*"
  cmake --build "$platform_dir" -j "$jobs" --target "$@"
}

# The test programs of tests/test_*.cpp that this configuration builds.
platform_test_targets() {
  local name
  for source in tests/test_*.cpp; do
    name=$(basename "$source" .cpp)
    echo "$name"
  done
}

# test [ctest arguments...]: runs the tests named by the regex
platform_test() {
  local regex=$1
  shift
  platform_step "run $regex"
  ctest --test-dir "$platform_dir" -R "$regex" -j "$jobs" --output-on-failure --timeout 600 "$@"
}

# toolchain std packages...: the whole test suite for one target (a toolchain
# file under cmake/toolchains/) in C++<std>, cross-built and run through CTest.
platform_suite() {
  local toolchain=$1 std=$2
  shift 2
  platform_install "$@"
  platform_configure "build/ci/$platform_name" -DCMAKE_TOOLCHAIN_FILE="cmake/toolchains/$toolchain.cmake" \
    -DCMAKE_CXX_STANDARD="$std" -DTRAIL_BUILD_EXAMPLES=OFF
  platform_build $(platform_test_targets)
  platform_test '^test_'
  platform_step done
}
