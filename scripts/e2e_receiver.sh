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
source "$repo/scripts/ci/lib/receiver.sh"
receiver_require e2e_receiver

work=$(mktemp -d)
trap 'servers_stop; rm -rf "$work"' EXIT
receiver_start receiver "$work/out"
port=$server_port

echo "e2e_receiver: receiver on port $port; running $program"
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port" \
  OTEL_TRACES_EXPORTER=otlp \
  OTEL_METRICS_EXPORTER=otlp \
  OTEL_SERVICE_NAME="${OTEL_SERVICE_NAME:-trail-e2e}" \
  timeout 120 "$program" "$@"

node "$receiver/check.js" "$work/out" --min-spans 1
echo "e2e_receiver: passed"
