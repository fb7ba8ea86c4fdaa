#!/usr/bin/env bash
# Builds trail's demos (Release) and runs game_agents: 200 NPC agents, each a
# session, for 120 frames. With OTEL_EXPORTER_OTLP_ENDPOINT set the traces go
# to that collector; otherwise to trail-traces.jsonl in the current directory,
# and the run's timeline to trail-run.html: one file to open in a browser.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/deps.sh"
cmake -S "$root" -B "$root/build/demo" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DTRAIL_BUILD_TESTS=OFF -DTRAIL_BUILD_EXAMPLES=ON >/dev/null
cmake --build "$root/build/demo" --parallel "${JOBS:-$(nproc)}" --target game_agents robot_loop
"$root/build/demo/examples/game_agents"
if [ -z "${OTEL_EXPORTER_OTLP_ENDPOINT:-}${OTEL_EXPORTER_OTLP_TRACES_ENDPOINT:-}${OTEL_TRACES_EXPORTER:-}" ]; then
  cat <<MSG

Traces:  $PWD/${TRAIL_TRACES_FILE:-trail-traces.jsonl}
Metrics: $PWD/${TRAIL_METRICS_FILE:-trail-metrics.jsonl}
To see the traces in Jaeger (OTLP/HTTP on port 4318), see the README, or send a run straight to it:
  docker run --rm -d -p 16686:16686 -p 4318:4318 jaegertracing/all-in-one:latest
  OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 OTEL_METRICS_EXPORTER=none \\
    $root/build/demo/examples/game_agents
  then open http://localhost:16686 (service: game_agents)

The whole run on a timeline, no server needed (open it in a browser):
  $PWD/${TRAIL_HTML_FILE:-trail-run.html}
MSG
fi
