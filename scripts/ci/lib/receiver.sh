# Shared by the CI stages that talk to an OTLP server: the independent
# receiver in ../shared/tools/otlp-receiver (schema validation, fault modes,
# TLS) or a hostile server of our own. Sourced, not run; the caller has
# `set -euo pipefail` and a $work directory of its own.
#
#   receiver_require STAGE [apt packages...]   skip (exit 0) without ../shared;
#                                              install Node, the packages, the receiver's modules
#   server_start NAME COMMAND...               start a server whose first stdout line names its
#                                              port; sets $server_port (all stopped by servers_stop)
#   receiver_start NAME OUT [options...]       server_start of the receiver writing to OUT
#   servers_stop                               stop every server started so far
#   stage_program TARGET PATH [GIVEN]          sets $program to GIVEN when not empty (one built elsewhere),
#                                              else to PATH in the stage build ($TRAIL_CI_BUILD, default
#                                              build/ci/normal), building TARGET there if missing

receiver="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/../shared/tools/otlp-receiver"
server_pids=()

receiver_require() {
  local stage=$1
  shift
  if [[ ! -f $receiver/server.js ]]; then
    echo "$stage: $receiver not found; skipping"
    exit 0
  fi
  local missing=()
  command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends "${missing[@]}"
  fi
  [[ -d $receiver/node_modules ]] || (cd "$receiver" && npm ci --no-audit --no-fund --loglevel=error)
}

server_start() {
  local name=$1 first fd
  shift
  rm -f "$work/$name.fifo"
  mkfifo "$work/$name.fifo"
  "$@" >"$work/$name.fifo" 2>"$work/$name.err" &
  server_pids+=($!)
  exec {fd}<"$work/$name.fifo"
  if ! read -r -t 20 first <&"$fd"; then
    echo "$name did not start: $(head -c 2000 "$work/$name.err")" >&2
    return 1
  fi
  cat <&"$fd" >/dev/null &  # keep draining its stdout
  server_pids+=($!)
  # "otlp-receiver listening on http(s)://127.0.0.1:PORT out=..." or "listening PORT"
  server_port=$(sed -nE 's/.*127\.0\.0\.1:([0-9]+).*/\1/p; s/^listening ([0-9]+)$/\1/p' <<<"$first")
  if [[ -z $server_port ]]; then
    echo "$name: no port in its first line: $first" >&2
    return 1
  fi
}

receiver_start() {
  local name=$1 out=$2
  shift 2
  server_start "$name" node "$receiver/server.js" --port 0 --out "$out" --quiet "$@"
}

stage_program() {
  local target=$1 build=${TRAIL_CI_BUILD:-build/ci/normal}
  if [[ -n ${3:-} ]]; then
    program=$3
    return 0
  fi
  program=$build/$2
  [[ -x $program ]] && return 0
  if [[ ! -f $build/build.ninja ]]; then
    local launcher=()
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
  fi
  cmake --build "$build" --target "$target" -j 1
}

servers_stop() {
  local pid
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  server_pids=()
}
