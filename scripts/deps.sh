#!/usr/bin/env bash
# Installs what building, testing and benchmarking trail needs (Debian/Ubuntu).
set -euo pipefail
packages=(g++ clang cmake ninja-build meson pkg-config binutils
          libfmt-dev nlohmann-json3-dev libssl-dev doctest-dev libbenchmark-dev zlib1g-dev
          libc++-dev libc++abi-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
