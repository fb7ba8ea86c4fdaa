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

platform_install() {  # packages...: the toolchain of this stage
  platform_step "install $*"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends cmake ninja-build libfmt-dev nlohmann-json3-dev doctest-dev "$@" >/dev/null
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
    [ -n "${platform_skip_test:-}" ] && [ "$name" = "$platform_skip_test" ] && continue
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
