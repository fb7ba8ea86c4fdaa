#!/usr/bin/env bash
# The consumer matrix (README "Using trail in a project"): the app in
# tests/consumer/app (one TU with trail.hpp, one with runtime.hpp exporting to
# a file) built by a project that gets trail
#   (a) installed in a prefix, via find_package
#   (b) with add_subdirectory, linking trail::runtime (its install must not install trail unless asked)
#   (c) with FetchContent from the release tarball of this source tree
#   (d) as a Meson subproject of a project with its own tests/ and examples/
#   (e) with pkg-config and a plain compiler line
#   (f) from the .deb (dpkg -i, build, run its trail-timeline, dpkg -r; needs root)
# Every app runs, and its exported file must hold its 4 spans.
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$PWD
work=$src/build/consumers
bash scripts/deps.sh  # trail's dependencies, optional ones (zlib, OpenSSL) included
command -v ccache >/dev/null && export CMAKE_CXX_COMPILER_LAUNCHER=ccache
rm -rf "$work"
mkdir -p "$work"

step_start=$SECONDS
step() {  # prints how long the previous step took, then the next step's name
  [ -z "${step_name:-}" ] || echo "consumers: $step_name took $((SECONDS - step_start)) s"
  step_name=$1 step_start=$SECONDS
  echo "--- consumers: $1"
}

parent() {  # route [template]: a fresh project: the app, plus tests/consumer/<template>
  local dir=$work/$1
  mkdir -p "$dir"
  cp -r "$src/tests/consumer/app" "$dir/"
  [ -z "${2:-}" ] || cp -r "$src/tests/consumer/$2/." "$dir/"
  echo "$dir"
}

check_spans() {  # route traces_file: the app's 4 spans, with the route as attribute
  local route=$1 file=$2 work_spans step_spans
  work_spans=$(grep -o '"name":"consumer.work"' "$file" | wc -l)
  step_spans=$(grep -o '"name":"consumer.step"' "$file" | wc -l)
  if [ "$work_spans" -ne 1 ] || [ "$step_spans" -ne 3 ] || ! grep -q "\"stringValue\":\"$route\"" "$file"; then
    echo "consumers: route $route: expected 1 consumer.work and 3 consumer.step spans with route $route in $file," \
      "found $work_spans and $step_spans"
    exit 1
  fi
  echo "consumers: route $route passed (1 + 3 spans in $(basename "$file"))"
}

run_app() {  # route binary
  "$2" "$work/$1.jsonl" "$1"
  check_spans "$1" "$work/$1.jsonl"
}

# One configured trail shared by (a), (c), (e) and (f): installs, the .deb
# and the source tarball all come from it.
step "trail: configure, install, package"
cmake -S "$src" -B "$work/trail" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DTRAIL_BUILD_TESTS=OFF -DTRAIL_BUILD_EXAMPLES=OFF
cmake --build "$work/trail"
cmake --install "$work/trail" --prefix "$work/prefix"
(cd "$work/trail" && cpack -G DEB && cpack --config CPackSourceConfig.cmake)

step "(a) find_package from an installed prefix"
dir=$(parent a find_package)
cmake -S "$dir" -B "$dir/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix"
cmake --build "$dir/build"
run_app a "$dir/build/consumer"

step "(b) add_subdirectory"
dir=$(parent b add_subdirectory)
mkdir -p "$dir/third_party"
ln -s "$src" "$dir/third_party/trail"
cmake -S "$dir" -B "$dir/build" -G Ninja
cmake --build "$dir/build"
run_app b "$dir/build/consumer"
[ ! -e "$dir/build/third_party/trail/tests" ] || { echo "consumers: (b) configured trail's tests"; exit 1; }
cmake --install "$dir/build" --prefix "$dir/installed"
[ -x "$dir/installed/bin/consumer" ] || { echo "consumers: (b) the parent's install did not install its app"; exit 1; }
if [ -e "$dir/installed/include/trail" ] || [ -e "$dir/installed/share/cmake/trail" ]; then
  echo "consumers: (b) the parent's install installed trail without TRAIL_INSTALL=ON"
  exit 1
fi
cmake -S "$dir" -B "$dir/build" -DTRAIL_INSTALL=ON
cmake --install "$dir/build" --prefix "$dir/installed-with-trail"
[ -e "$dir/installed-with-trail/include/trail/trail.hpp" ] && [ -e "$dir/installed-with-trail/share/pkgconfig/trail.pc" ] ||
  { echo "consumers: (b) TRAIL_INSTALL=ON did not install trail"; exit 1; }
echo "consumers: (b) the parent installs trail only with TRAIL_INSTALL=ON"

step "(c) FetchContent from the source tarball"
dir=$(parent c fetchcontent)
cmake -S "$dir" -B "$dir/build" -G Ninja -DTRAIL_URL="$work/trail/trail-0.1.0.tar.gz"
cmake --build "$dir/build"
run_app c "$dir/build/consumer"
[ ! -e "$dir/build/_deps/trail-build/tests" ] || { echo "consumers: (c) configured trail's tests"; exit 1; }

step "(d) Meson subproject"
dir=$(parent d meson)
mkdir -p "$dir/subprojects"
ln -s "$src" "$dir/subprojects/trail"
mv "$dir/trail.wrap" "$dir/subprojects/trail.wrap"
meson setup "$dir/build" "$dir"
meson compile -C "$dir/build"
meson test -C "$dir/build"
run_app d "$dir/build/consumer"
trail_targets=$(meson introspect --targets "$dir/build" | { grep -o '"subproject": "trail"' || true; } | wc -l)
[ "$trail_targets" -eq 0 ] || { echo "consumers: (d) trail built $trail_targets targets as a subproject"; exit 1; }
meson install -C "$dir/build" --destdir "$dir/installed"
[ -n "$(find "$dir/installed" -name consumer -type f)" ] || { echo "consumers: (d) the parent's install did not install its app"; exit 1; }
[ -z "$(find "$dir/installed" -name 'trail*')" ] || { echo "consumers: (d) the parent's install installed trail files"; exit 1; }
echo "consumers: (d) trail builds no target of its own and installs nothing as a subproject"

step "(e) pkg-config and a plain compiler line"
dir=$(parent e)
export PKG_CONFIG_PATH=$work/prefix/share/pkgconfig
echo "pkg-config --cflags --libs trail: $(pkg-config --cflags --libs trail)"
c++ -std=c++17 -O2 -Wall -Wextra -Wpedantic -Werror "$dir/app/main.cpp" "$dir/app/spans.cpp" \
  $(pkg-config --cflags --libs trail) -o "$dir/consumer"
unset PKG_CONFIG_PATH
run_app e "$dir/consumer"

step "(f) the .deb"
if [ "$(id -u)" -ne 0 ]; then
  echo "consumers: (f) SKIPPED: installing the .deb needs root"
elif dpkg-query -W -f='${Status}' libtrail-dev 2>/dev/null | grep -q "ok installed"; then
  echo "consumers: (f) SKIPPED: libtrail-dev is already installed on this machine; not replacing it"
else
  deb=$(echo "$work"/trail/libtrail-dev_*.deb)
  dpkg-deb -f "$deb" Package Version Depends
  # Every module trail.pc requires comes from a Debian package the .deb depends on.
  depends=$(dpkg-deb -f "$deb" Depends)
  for module in $(PKG_CONFIG_PATH=$work/prefix/share/pkgconfig pkg-config --print-requires trail | cut -d' ' -f1); do
    owner=$(dpkg -S "$(pkg-config --variable=pcfiledir "$module")/$module.pc" | cut -d: -f1)
    case ", $depends," in
      *", $owner "* | *", $owner,"*) echo "consumers: (f) $module.pc is in $owner, a dependency" ;;
      *) echo "consumers: (f) trail.pc requires $module (package $owner), but the .deb depends on: $depends"; exit 1 ;;
    esac
  done
  dpkg -i "$deb"
  trap 'dpkg -r libtrail-dev >/dev/null 2>&1 || true' EXIT
  dir=$(parent f find_package)
  cmake -S "$dir" -B "$dir/build" -G Ninja
  cmake --build "$dir/build"
  run_app f "$dir/build/consumer"
  # The tools come with the package: the timeline converter reads the app's file.
  trail-timeline -o "$work/f.html" "$work/f.jsonl"
  grep -q "consumer.work" "$work/f.html" || { echo "consumers: (f) trail-timeline's page lacks the app's spans"; exit 1; }
  echo "consumers: (f) $(command -v trail-timeline) turned f.jsonl into f.html"
  echo "pkg-config --cflags --libs trail: $(pkg-config --cflags --libs trail)"
  dpkg -r libtrail-dev
  trap - EXIT
  [ ! -e /usr/include/trail ] && [ ! -e /usr/bin/trail-timeline ] || { echo "consumers: (f) dpkg -r left trail files"; exit 1; }
fi
step done
echo "consumers: all routes passed"
