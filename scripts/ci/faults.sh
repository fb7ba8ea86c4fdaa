#!/usr/bin/env bash
# ci-lane: servers (mostly waits on servers and timeouts: .ci/run runs it beside the builds)
# Fault suite: a multi-threaded agent (tests/fault_agent.cpp) exports to the
# independent OTLP receiver (../shared/tools/otlp-receiver) in every fault
# mode, and to hostile servers of our own (scripts/ci/hostile_server.js).
# Each run must keep the stats identity (recorded = exported + spilled +
# dropped + pending, nothing pending after shutdown), return from shutdown
# within the export timeout + 1.5 s, and, with the receiver, check.js must
# accept what arrived. Skips cleanly without ../shared.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/ci/lib/receiver.sh
receiver_require faults
command -v cmake >/dev/null && command -v ninja >/dev/null || bash scripts/deps.sh

# The agent from the CI's stage build (FAULT_AGENT: one built elsewhere, e.g.
# by a sanitizer build).
stage_program fault_agent tests/fault_agent "${FAULT_AGENT:-}"
agent=$program

work=$(mktemp -d)
trap 'servers_stop; rm -rf "$work"' EXIT

# Short timeouts keep the stage fast; the bound the agent checks follows them.
# "all": every span that reached the flusher must arrive (slow may time out
# on a loaded machine: there only the identity and the bound are checked).
# (The receiver validates every item through protobufjs: batches of 128
# keep one request well under a second on a loaded machine.)
export OTEL_BSP_EXPORT_TIMEOUT=5000 OTEL_EXPORTER_OTLP_TIMEOUT=3000 OTEL_BSP_SCHEDULE_DELAY=300
export OTEL_BSP_MAX_EXPORT_BATCH_SIZE=128 TRAIL_RING_CAPACITY=65536
export OTEL_METRIC_EXPORT_INTERVAL=500 OTEL_TRACES_EXPORTER=otlp OTEL_METRICS_EXPORTER=otlp
export OTEL_SERVICE_NAME=trail-faults FAULT_RUN_MS=800

failed=0
run_agent() {  # label expect endpoint
  local label=$1 expect=$2 endpoint=$3 t0=$SECONDS
  if FAULT_EXPECT=$expect OTEL_EXPORTER_OTLP_ENDPOINT=$endpoint timeout 60 "$agent" >"$work/agent.out" 2>"$work/agent.err"; then
    echo "faults: $label: ok in $((SECONDS - t0)) s: $(cat "$work/agent.out")"
  else
    echo "faults: $label: FAILED after $((SECONDS - t0)) s"
    cat "$work/agent.out" "$work/agent.err"
    failed=1
  fi
}

# The receiver, switched through its fault modes with POST /control.
receiver_start receiver "$work/out"
port=$server_port
control() {
  node -e "fetch('http://127.0.0.1:$port/control', {method: 'POST', headers: {'Content-Type': 'application/json'},
           body: process.argv[1]}).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$1"
}
for spec in ok:all slow:300:any flaky:all partial:any status503:none status429:1:none status500:none close:none \
            garbage:none redirect:http://192.0.2.1:4318/v1/traces:none; do
  expect=${spec##*:}
  mode=${spec%:*}
  control "{\"mode\": \"$mode\"}"
  run_agent "receiver $mode" "$expect" "http://127.0.0.1:$port"
done
control '{"mode": "ok"}'
if node "$receiver/check.js" "$work/out" --min-spans 1 >"$work/check.out" 2>&1; then
  echo "faults: check.js accepts everything that arrived: $(tail -n 1 "$work/check.out")"
else
  echo "faults: check.js FAILED"
  cat "$work/check.out"
  failed=1
fi

# Hostile servers: nothing of these is accepted, nothing may hang.
for mode in silent endless-headers endless-chunked huge-length reset http10 redirect; do
  server_start "hostile-$mode" node scripts/ci/hostile_server.js "$mode"
  hport=$server_port
  expect=none
  [[ $mode == http10 ]] && expect=all
  run_agent "hostile $mode" "$expect" "http://127.0.0.1:$hport"
done

exit $failed
