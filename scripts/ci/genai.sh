#!/usr/bin/env bash
# ci-lane: servers (mostly waits on the receiver: .ci/run runs it beside the builds)
# CI stage: GenAI semantics end to end through the independent, schema-validating
# OTLP receiver (../shared/tools/otlp-receiver). tests/genai_agent.cpp runs a
# session over two episodes, GenAI spans of every kind, a request continued
# from a traceparent + tracestate, a span link with attributes and frame marks;
# this script checks in what the receiver accepted, in OTLP/JSON and in
# OTLP/protobuf:
#   - GenAI attributes by name (operation, provider, agent, tool, token usage
#     incl. cache read/write and reasoning), span names and kinds;
#   - gen_ai.conversation.id = session.id on the GenAI spans of both episodes,
#     the second episode's root linked to the first's;
#   - the span link with its attributes, the traceState of a link to the
#     extracted context made on another thread, traceState on the spans under the
#     extracted context, frame.number and the frame spans;
#   - message content only when OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT
#     asks for it, as the conventions' JSON (text, tool_call and
#     tool_call_response parts, gen_ai.tool.definitions), redacted by
#     Config::redact_content;
#   - gen_ai.system only with OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai/dup, not
#     when gen_ai_latest_experimental is set too.
# Prints its duration. Skips (exit 0) when ../shared is absent.
#
#   scripts/ci/genai.sh [PROGRAM]
# PROGRAM defaults to $TRAIL_CI_BUILD/tests/genai_agent (TRAIL_CI_BUILD:
# build/ci/normal), built there when missing.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
source scripts/ci/lib/receiver.sh
receiver_require genai
command -v cmake >/dev/null && command -v ninja >/dev/null || bash scripts/deps.sh
started=$SECONDS

stage_program genai_agent tests/genai_agent "${1:-}"

work=$(mktemp -d)
trap 'servers_stop; rm -rf "$work"' EXIT

run() {  # name protocol capture semconv-opt-in old-names-expected
  local out="$work/out-$1"
  receiver_start receiver "$out"
  OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$server_port" OTEL_TRACES_EXPORTER=otlp OTEL_METRICS_EXPORTER=otlp \
    OTEL_EXPORTER_OTLP_PROTOCOL=$2 OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=$3 \
    OTEL_SEMCONV_STABILITY_OPT_IN=$4 \
    OTEL_SERVICE_NAME=trail-genai timeout 60 "$program" >"$work/run-$1.log" 2>&1 || {
    cat "$work/run-$1.log" >&2
    echo "genai: $1: the agent failed" >&2
    exit 1
  }
  servers_stop
  node "$receiver/check.js" "$out" --min-spans 10 >"$work/check-$1.log" || {
    cat "$work/check-$1.log" >&2
    echo "genai: $1: check.js failed" >&2
    exit 1
  }
  node "$repo/scripts/ci/genai_check.js" "$out/spans.jsonl" "$3" "$out/metrics.jsonl" "$5" || {
    echo "genai: $1: the accepted spans lack what the agent recorded" >&2
    exit 1
  }
  echo "genai: $1: $(cat "$work/run-$1.log")"
}

# gen_ai/dup adds gen_ai.system; with gen_ai_latest_experimental too, the conventions' value wins.
run json-content http/json true gen_ai/dup true
run protobuf-content http/protobuf true gen_ai/dup true
run json-no-content http/json false gen_ai/dup,gen_ai_latest_experimental false
run protobuf-no-content http/protobuf false gen_ai_latest_experimental,gen_ai/dup false
echo "genai: passed in $((SECONDS - started)) s"
