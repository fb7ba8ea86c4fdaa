#!/usr/bin/env bash
# Game-engine flags: every header compiles on its own with -fno-exceptions
# -fno-rtti (but otlp_json_reader.hpp, the tools' reader of exported files,
# which reports bad input by throwing), and the demo agents build and pass
# their own checks with them.
platform_name=no_exceptions
source "$(dirname "$0")/lib/platform.sh"
platform_install g++
flags="-fno-exceptions -fno-rtti"
platform_step "every header alone, $flags"
for header in $(cd include && find trail -name '*.hpp' ! -name socket_windows.hpp ! -name otlp_json_reader.hpp | sort); do
  echo "#include <$header>" | g++ -std=c++17 $flags -Wall -Wextra -Wpedantic -Werror -Iinclude -x c++ -fsyntax-only - \
    || { echo "$platform_name: $header does not compile with $flags"; exit 1; }
done
platform_configure build/ci/no_exceptions -DCMAKE_CXX_FLAGS="$flags" -DTRAIL_BUILD_TESTS=ON
platform_build game_agents robot_loop
platform_test '^demo_'
platform_step done
