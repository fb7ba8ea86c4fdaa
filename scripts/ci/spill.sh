#!/usr/bin/env bash
# ci-lane: servers (mostly waits on the receiver: .ci/run runs it beside the builds)
# The offline spill and the flight recorder end to end (tests/spill_agent.cpp)
# against the independent OTLP receiver (../shared/tools/otlp-receiver),
# "down" being its fault mode close (reads the request, closes the socket):
#   1. down -> spill -> up: a later run replays; every span arrives exactly
#      once (check.js --no-duplicates), live spans of that run too;
#   2. kill -9 while spilling, then restart: every span the agent had seen
#      spilled arrives, none twice;
#   3. a corrupt segment: one line, the rest arrives;
#   4. the size bound (TRAIL_SPILL_MAX_BYTES): the directory stays under it,
#      the dropped spans are counted, the rest arrives;
#   5. the flight recorder: only the window arrives, with the dump's reason.
# Prints the stage's time, and the spill / replay rates it saw.
# Skips cleanly without ../shared.
set -euo pipefail
cd "$(dirname "$0")/../.."
stage_start=$SECONDS
source scripts/ci/lib/receiver.sh
receiver_require spill
command -v cmake >/dev/null && command -v ninja >/dev/null || bash scripts/deps.sh

# The agent from the CI's stage build (SPILL_AGENT: one built elsewhere).
stage_program spill_agent tests/spill_agent "${SPILL_AGENT:-}"
agent=$program

work=$(mktemp -d)
trap 'servers_stop; rm -rf "$work"' EXIT

export OTEL_TRACES_EXPORTER=otlp OTEL_METRICS_EXPORTER=none OTEL_SERVICE_NAME=trail-spill
export OTEL_BSP_EXPORT_TIMEOUT=5000 OTEL_EXPORTER_OTLP_TIMEOUT=3000 OTEL_BSP_MAX_EXPORT_BATCH_SIZE=128
export TRAIL_RING_CAPACITY=65536

failed=0
fail() {
  echo "spill: FAILED: $*"
  failed=1
}

receiver_start receiver "$work/out" --mode close
port=$server_port
export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$port
control() {  # JSON for POST /control
  node -e "fetch('http://127.0.0.1:$port/control', {method: 'POST', headers: {'Content-Type': 'application/json'},
           body: process.argv[1]}).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$1"
}
# count RUN [PHASE]: spans of SPILL_RUN=RUN the receiver stored; "dup" when a span id came twice.
count() {
  node -e "
    const fs = require('fs'); const file = process.argv[1] + '/spans.jsonl';
    const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    const ids = new Set(); let n = 0, dup = false;
    for (const l of lines) {
      const s = JSON.parse(l);
      if (s.attributes.run !== process.argv[2] || (process.argv[3] && s.attributes.phase !== process.argv[3])) continue;
      if (ids.has(s.spanId)) dup = true;
      ids.add(s.spanId); n++;
    }
    console.log(dup ? 'dup' : n);" "$work/out" "$@"
}
# agent LABEL ARGS...: runs it (SPILL_RUN=LABEL), its stats line in $stats
agent_run() {
  local label=$1
  shift
  if ! SPILL_RUN=$label timeout 120 "$agent" "$@" >"$work/$label.out" 2>"$work/$label.err"; then
    fail "$label: spill_agent $* exited non-zero: $(cat "$work/$label.out" "$work/$label.err" | head -c 2000)"
  fi
  stats=$(grep '^stats ' "$work/$label.out" || true)
  echo "spill: $label: $stats"
}
field() { sed -nE "s/.* $1=([0-9]+).*/\1/p" <<<"$stats"; }

# 1. Collector down: 3000 spans spilled (none delivered); up: the next run
#    sends them and 500 of its own.
export TRAIL_SPILL_DIR=$work/spill1
agent_run down record 3000
[[ $(field spilled) == 3000 && $(field exported) == 0 ]] || fail "down: expected 3000 spilled, 0 exported"
spill_ms=$(field ms)
spill_bytes=$(du -sb "$TRAIL_SPILL_DIR" | cut -f1)
control '{"mode": "ok"}'
SPILL_WAIT=60 agent_run up record 500
[[ $(field replayed) == 3000 && $(field exported) == 500 && $(field backlog) == 0 ]] ||
  fail "up: expected 3000 replayed and 500 exported"
replay_ms=$(field ms)
[[ $(count down) == 3000 ]] || fail "down: the receiver has $(count down) of 3000 spans"
[[ $(count up) == 500 ]] || fail "up: the receiver has $(count up) of 500 spans"
echo "spill: spilled 3000 spans ($spill_bytes bytes on disk) in $spill_ms ms; the next run sent them and 500 live in $replay_ms ms"

# 2. kill -9 while spilling, then a restart sends what was spilled, once.
control '{"mode": "close"}'
export TRAIL_SPILL_DIR=$work/spill2
SPILL_RUN=killed "$agent" forever "$work/progress" >/dev/null 2>"$work/killed.err" &
victim=$!
progress() { sed -nE 's/spilled=([0-9]+)/\1/p' "$work/progress" 2>/dev/null || true; }
for _ in $(seq 1 200); do
  seen=$(progress)
  [[ -n $seen ]] && ((seen >= 2000)) && break
  sleep 0.05
done
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
seen=$(progress)
[[ -n $seen ]] || fail "kill -9: the agent reported no progress"
seen=${seen:-0}
control '{"mode": "ok"}'
agent_run restart replay 60
got=$(count killed)
if [[ $got == dup ]]; then fail "kill -9: a span arrived twice"
elif ((got < seen)); then fail "kill -9: $got spans arrived, the agent had seen $seen spilled"
else echo "spill: kill -9 after $seen spans were spilled: $got arrived once each (spilled after the last report: $((got - seen)))"
fi
[[ -z $(find "$TRAIL_SPILL_DIR" -name '*.spill') ]] || fail "kill -9: segments left after the replay"

# 3. A corrupt segment: one record damaged, the others arrive.
control '{"mode": "close"}'
export TRAIL_SPILL_DIR=$work/spill3
agent_run corrupt record 1280
segment=$(find "$TRAIL_SPILL_DIR" -name '*.spill' | sort | head -1)
size=$(stat -c %s "$segment")
printf 'XXXXXXXX' | dd of="$segment" bs=1 seek=$((size / 2)) conv=notrunc status=none
control '{"mode": "ok"}'
agent_run corrupt-replay replay 60
got=$(count corrupt)
grep -q "not a valid record" "$work/corrupt-replay.err" || fail "corrupt: no line about the damaged record"
[[ $(field corrupt) == 1 ]] || fail "corrupt: stats().spill_records_corrupt is not 1"
if [[ $got == dup ]] || ((got != 1280 - 128)); then fail "corrupt: $got spans arrived, expected 1152 (one batch of 128 lost)"
else echo "spill: corrupt segment: $got of 1280 spans arrived (the damaged record's 128 lost, said in one line)"
fi

# 4. The size bound.
control '{"mode": "close"}'
export TRAIL_SPILL_DIR=$work/spill4 TRAIL_SPILL_MAX_BYTES=262144
agent_run bound record 6000
full=$(field spill_full)
on_disk=$(find "$TRAIL_SPILL_DIR" -name 'trail-*.spill*' -printf '%s\n' | awk '{s += $1} END {print s + 0}')
((on_disk <= 262144)) || fail "bound: $on_disk bytes in the spill directory"
((full > 0)) || fail "bound: nothing counted as spill_full"
control '{"mode": "ok"}'
agent_run bound-replay replay 60
got=$(count bound)
if [[ $got == dup ]] || ((got != 6000 - full)); then fail "bound: $got spans arrived, expected 6000 - $full"
else echo "spill: size bound 262144 bytes: $on_disk on disk, $full spans dropped (spill_full), the other $got arrived"
fi
unset TRAIL_SPILL_MAX_BYTES

# 5. The flight recorder: a 1 s window; "early" spans are 1.5 s older than the dump.
export TRAIL_SPILL_DIR= TRAIL_FLIGHT_RECORDER=1
agent_run recorder dump
unset TRAIL_FLIGHT_RECORDER
early=$(count recorder early)
late=$(count recorder late)
[[ $early == 0 && $late == 100 && $(field dumps) == 1 ]] || fail "recorder: $early early and $late late spans arrived (expected 0 and 100)"
reasons=$(node -e "
  const lines = require('fs').readFileSync(process.argv[1] + '/spans.jsonl', 'utf8').split('\n').filter(Boolean);
  console.log(lines.map(JSON.parse).filter((s) => s.attributes.run === 'recorder' || s.name === 'session mission')
    .filter((s) => s.attributes['trail.dump.reason'] !== 'e2e fault').length)" "$work/out")
[[ $reasons == 0 ]] || fail "recorder: $reasons dumped span(s) without the reason"
echo "spill: flight recorder: $late late spans and the mission root arrived, 0 early ones"

node "$receiver/check.js" "$work/out" --no-duplicates || fail "check.js --no-duplicates"
echo "spill: stage took $((SECONDS - stage_start)) s"
exit $failed
