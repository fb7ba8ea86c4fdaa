#!/usr/bin/env bash
# ci-lane: servers (mostly waits on servers and timeouts: .ci/run runs it beside the builds)
# CI stage: trail over HTTPS against the independent OTLP receiver
# (../shared/tools/otlp-receiver) with the throwaway PKI of its
# make-test-certs.sh: accepted over TLS with keep-alive reuse visible in the
# receiver's per-request records; wrong host, expired and unknown CA refused
# with their reason; mTLS without a client certificate refused, with one
# accepted; a required Authorization header sent. Skips (exit 0) without
# ../shared or openssl.
#
#   scripts/ci/tls.sh [PROGRAM]   (default: build/ci/normal/examples/robot_loop, built if missing)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$repo/scripts/ci/lib/receiver.sh"
receiver_require tls libssl-dev openssl
if ! command -v openssl >/dev/null; then
  echo "tls: no openssl CLI to make test certificates; skipping"
  exit 0
fi
[[ -d $receiver/node_modules ]] || (cd "$receiver" && npm ci --no-audit --no-fund --loglevel=error)

program=${1:-${TRAIL_CI_BUILD:-$repo/build/ci/normal}/examples/robot_loop}
if [[ ! -x $program ]]; then
  program=$repo/build/ci/tls/examples/robot_loop
  cmake -S "$repo" -B "$repo/build/ci/tls" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRAIL_BUILD_TESTS=OFF -DTRAIL_WITH_TLS=ON
  cmake --build "$repo/build/ci/tls" --target robot_loop -j "$(nproc)"
fi

work=$(mktemp -d)
trap 'servers_stop; rm -rf "$work"' EXIT
bash "$receiver/make-test-certs.sh" "$work/certs" >/dev/null
certs=$work/certs
failures=0
fail() { echo "tls: FAIL: $*" >&2; failures=$((failures + 1)); }

# run NAME EXPECT(accept|refuse) GREP [receiver options...]; env for trail from the caller
run() {
  local name=$1 expect=$2 pattern=$3
  shift 3
  local out=$work/$name
  receiver_start "$name" "$out" "$@"
  local port=$server_port
  local start=$SECONDS
  OTEL_EXPORTER_OTLP_ENDPOINT=${ENDPOINT_HOST:-https://127.0.0.1}:$port OTEL_BSP_EXPORT_TIMEOUT=3000 \
    OTEL_EXPORTER_OTLP_TIMEOUT=2000 timeout 120 "$program" >"$work/$name.log" 2>&1 || true
  servers_stop
  local spans=0
  [[ -f $out/spans.jsonl ]] && spans=$(wc -l <"$out/spans.jsonl")
  local line
  line=$(grep -m1 "$pattern" "$work/$name.log" || true)
  if [[ $expect == accept ]]; then
    [[ $spans -gt 0 ]] || fail "$name: no span arrived: $(grep -m1 'trail:' "$work/$name.log")"
    node "$receiver/check.js" "$out" >/dev/null || fail "$name: check.js refused what arrived"
    local reused
    reused=$(node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse);
      console.log(l.filter(r=>r.socketRequestIndex>1).length+"/"+l.length)' "$out/requests.jsonl")
    [[ ${reused%/*} -gt 0 ]] || fail "$name: no request reused a connection ($reused)"
    echo "tls: $name: accepted, $spans spans, $reused requests on a reused connection, $((SECONDS - start)) s"
  else
    [[ $spans -eq 0 ]] || fail "$name: $spans spans arrived, expected a refusal"
    [[ -n $line ]] || fail "$name: no line matching '$pattern': $(grep -m1 'trail:' "$work/$name.log")"
    echo "tls: $name: refused: ${line:0:200}"
  fi
}

srv=(--tls-cert "$certs/server.crt" --tls-key "$certs/server.key")
export OTEL_EXPORTER_OTLP_CERTIFICATE=$certs/ca.crt
run https accept . "${srv[@]}"
run wrong_host refuse "does not match the host '127.0.0.1' (wrong host)" \
  --tls-cert "$certs/wrong-host.crt" --tls-key "$certs/wrong-host.key"
run expired refuse "certificate has expired" --tls-cert "$certs/expired.crt" --tls-key "$certs/expired.key"
run mtls_without_client_cert refuse "certificate required" "${srv[@]}" --tls-client-ca "$certs/ca.crt"
OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE=$certs/client.crt OTEL_EXPORTER_OTLP_CLIENT_KEY=$certs/client.key \
  run mtls_with_client_cert accept . "${srv[@]}" --tls-client-ca "$certs/ca.crt"
OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer%20t0ken" run auth_header accept . "${srv[@]}" \
  --require-header "Authorization: Bearer t0ken"
run auth_missing refuse "HTTP 401" "${srv[@]}" --require-header "Authorization: Bearer t0ken"
unset OTEL_EXPORTER_OTLP_CERTIFICATE
run unknown_ca refuse "signed by an unknown CA" "${srv[@]}"

if [[ $failures -gt 0 ]]; then
  echo "tls: $failures failure(s)" >&2
  exit 1
fi
echo "tls: all HTTPS checks passed"
