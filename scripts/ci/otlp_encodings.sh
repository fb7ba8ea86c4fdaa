#!/usr/bin/env bash
# ci-lane: servers (mostly waits on servers and timeouts: .ci/run runs it beside the builds)
# CI stage: the demo agents exporting to the independent, schema-validating
# OTLP receiver (../shared/tools/otlp-receiver) in every body encoding trail
# speaks over plain HTTP: json, json+gzip, protobuf, protobuf+gzip. Each run
# must pass check.js, every span trail exported must arrive, and the per-request
# records must show the expected Content-Type, Content-Encoding and User-Agent
# (trail/<version>) on every request; then one protobuf run against --mode
# partial must show trail read the protobuf partial_success. Prints bytes per span of each encoding.
# The demo's exit status is reported, not required (see below).
#
#   scripts/ci/otlp_encodings.sh [PROGRAM]   (default: build/ci/normal/examples/game_agents, built if missing)
#
# Skips (exit 0) when ../shared is absent. HTTPS runs are the transport stage's.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$repo/scripts/ci/lib/receiver.sh"
receiver_require otlp_encodings zlib1g-dev

program=${1:-${TRAIL_CI_BUILD:-$repo/build/ci/normal}/examples/game_agents}
if [[ ! -x $program ]]; then
  program=$repo/build/ci/encodings/examples/game_agents
  cmake -S "$repo" -B "$repo/build/ci/encodings" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRAIL_BUILD_TESTS=OFF
  cmake --build "$repo/build/ci/encodings" --target game_agents -j "$(nproc)"
fi

work=$(mktemp -d)
trap 'servers_stop; rm -rf "$work"' EXIT
start_receiver() {  # out-dir [server options...]: sets $port
  receiver_start receiver "$@"
  port=$server_port
}

run_program() {  # protocol compression log
  OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port" OTEL_TRACES_EXPORTER=otlp OTEL_METRICS_EXPORTER=otlp \
    OTEL_EXPORTER_OTLP_PROTOCOL=$1 OTEL_EXPORTER_OTLP_COMPRESSION=$2 OTEL_SERVICE_NAME=trail-encodings \
    timeout 180 "$program" >"$3" 2>&1
}

# The OTel specification: exporters SHOULD send a User-Agent naming themselves.
user_agent="trail/$(sed -n 's/.*version_string = "\(.*\)";/\1/p' "$repo/include/trail/version.hpp")"
[[ $user_agent != trail/ ]] || { echo "otlp_encodings: no version in include/trail/version.hpp" >&2; exit 1; }
declare -A bytes_per_span
for combo in "http/json none application/json" "http/json gzip application/json" \
             "http/protobuf none application/x-protobuf" "http/protobuf gzip application/x-protobuf"; do
  read -r protocol compression type <<<"$combo"
  name="${protocol#http/}+$compression"
  out="$work/out-${name//\//_}"
  start_receiver "$out"
  t0=$SECONDS
  # The demo's own exit status also covers flush timing, which a loaded
  # machine can miss with this receiver (~2 s a request at load 12): what
  # this stage checks is that every span trail counted as exported arrived.
  run_program "$protocol" "$compression" "$work/run.log" || echo "otlp_encodings: $name: the demo's checks failed (see below)"
  servers_stop
  exported=$(sed -n 's/^trail stats: recorded [0-9]*  exported \([0-9]*\).*/\1/p' "$work/run.log")
  if [[ -z $exported || $exported -eq 0 ]]; then
    echo "otlp_encodings: $name: the program exported nothing" >&2
    tail -20 "$work/run.log" >&2
    exit 1
  fi
  node "$receiver/check.js" "$out" --min-spans 1 >"$work/check.log" || {
    cat "$work/check.log" >&2
    echo "otlp_encodings: $name: check.js failed" >&2
    exit 1
  }
  # Every request in the expected encoding; bytes per span of the trace requests.
  want_encoding=$([[ $compression == gzip ]] && echo gzip || echo null)
  result=$(node -e '
    const fs = require("fs");
    const [file, type, enc, agent] = process.argv.slice(1);
    const reqs = fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map(JSON.parse);
    const bad = reqs.filter((r) => r.contentType !== type || String(r.contentEncoding) !== enc || r.userAgent !== agent);
    if (bad.length) { console.error(`${bad.length} request(s) not ${type} / ${enc} / ${agent}: ${JSON.stringify(bad[0])}`); process.exit(1); }
    const traces = reqs.filter((r) => r.signal === "traces" && r.outcome === "accepted");
    const bytes = traces.reduce((a, r) => a + r.bytes, 0), spans = traces.reduce((a, r) => a + r.items, 0);
    console.log(`${reqs.length} ${spans} ${(bytes / spans).toFixed(1)}`);' "$out/requests.jsonl" "$type" "$want_encoding" \
      "$user_agent") || {
    echo "otlp_encodings: $name: wrong Content-Type, Content-Encoding or User-Agent" >&2
    exit 1
  }
  read -r requests spans per_span <<<"$result"
  grep "check FAILED" "$work/run.log" || true
  if (( spans < exported )); then
    echo "otlp_encodings: $name: trail exported $exported spans, the receiver accepted $spans" >&2
    exit 1
  fi
  bytes_per_span[$name]=$per_span
  echo "otlp_encodings: $name: $requests requests, $spans spans accepted ($exported exported), $per_span bytes/span, $((SECONDS - t0)) s"
done

# partial_success in a protobuf answer: the receiver keeps back one span a request.
out="$work/out-partial"
start_receiver "$out" --mode partial
run_program http/protobuf none "$work/run.log" || true  # the demo's own check fails: spans were rejected
servers_stop
if ! grep -q "receiver rejected" "$work/run.log"; then
  echo "otlp_encodings: protobuf partial_success was not reported" >&2
  tail -20 "$work/run.log" >&2
  exit 1
fi
echo "otlp_encodings: partial: $(grep -m1 "receiver rejected" "$work/run.log")"

printf 'otlp_encodings: bytes per span (trace requests, as received):'
for name in json+none json+gzip protobuf+none protobuf+gzip; do printf ' %s %s' "$name" "${bytes_per_span[$name]}"; done
echo
echo "otlp_encodings: passed"
