#!/usr/bin/env bash
# End-to-end check against the independent OTLP receiver in ../shared/tools/otlp-receiver
# (schema validation from the official opentelemetry-proto files):
#
#   scripts/e2e_receiver.sh PROGRAM [ARGS...]
#
# PROGRAM must record some spans, export them to OTEL_EXPORTER_OTLP_ENDPOINT and exit.
# Passes when check.js finds at least one span and no rejected request. Skips (exit 0)
# when the receiver is not there.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 PROGRAM [ARGS...]" >&2
  exit 2
fi
program=$1
shift
if [[ ! -x $program ]]; then
  echo "e2e_receiver: $program is not an executable" >&2
  exit 2
fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
receiver="$repo/../shared/tools/otlp-receiver"
if [[ ! -f $receiver/server.js ]]; then
  echo "e2e_receiver: $receiver not found; skipping the end-to-end check"
  exit 0
fi

if [[ ! -d $receiver/node_modules ]]; then
  (cd "$receiver" && npm ci --no-audit --no-fund --loglevel=error)
fi

work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

mkfifo "$work/stdout"
node "$receiver/server.js" --port 0 --out "$work/out" --quiet >"$work/stdout" 2>"$work/server.err" &
server_pid=$!
exec 3<"$work/stdout"

# First line: "otlp-receiver listening on http://127.0.0.1:PORT out=... mode=..."
if ! read -r -t 20 first <&3; then
  echo "e2e_receiver: the receiver did not start" >&2
  cat "$work/server.err" >&2
  exit 1
fi
port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' <<<"$first")
if [[ -z $port ]]; then
  echo "e2e_receiver: no port in the receiver's first line: $first" >&2
  exit 1
fi
cat <&3 >/dev/null &  # keep draining the receiver's stdout

echo "e2e_receiver: receiver on port $port; running $program"
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port" \
  OTEL_TRACES_EXPORTER=otlp \
  OTEL_METRICS_EXPORTER=otlp \
  OTEL_SERVICE_NAME="${OTEL_SERVICE_NAME:-trail-e2e}" \
  timeout 120 "$program" "$@"

node "$receiver/check.js" "$work/out" --min-spans 1
echo "e2e_receiver: passed"
