#!/usr/bin/env bash
# ci-lane: servers (mostly waits on servers and timeouts: .ci/run runs it beside the builds)
# CI stage: the HTML timeline in headless Chromium, from file:// with the
# network off. The demo run's page must load without console errors and its
# test hook (#test, see tools/timeline/viewer.js) must report the demo's
# sessions, lanes and spans, and a click on a known span must show its
# attributes. The converter (trail-timeline) must give the same span count
# from trail-traces.jsonl. A screenshot is taken (the README's is
# docs/timeline.png). Load and frame times for 100 k and 1 M spans are
# printed (TIMELINE_BIG=0 skips the 1 M run).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export DEBIAN_FRONTEND=noninteractive
if ! command -v chromium >/dev/null; then
  apt-get update
  apt-get install -y --no-install-recommends chromium
fi
command -v node >/dev/null || apt-get install -y --no-install-recommends nodejs
chromium --version

build="${TIMELINE_BUILD_DIR:-${TRAIL_CI_BUILD:-$root/build/ci/timeline}}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRAIL_BUILD_TESTS=ON -DTRAIL_BUILD_EXAMPLES=ON \
  ${CMAKE_CXX_COMPILER_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER=$CMAKE_CXX_COMPILER_LAUNCHER} >/dev/null
cmake --build "$build" --parallel "${JOBS:-2}" --target game_agents trail-timeline timeline_synthetic_run
run="$build/run"
rm -rf "$run" && mkdir -p "$run"

# A fresh profile per launch; no network at all (no DNS either).
chrome() {
  local profile
  profile="$(mktemp -d "$run/profile.XXXXXX")"
  timeout 300 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --disable-default-apps \
    --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$profile" --window-size=1400,800 \
    --enable-logging=stderr --v=0 "$@"
}

# Opens $1 with #test; prints the hook's JSON; fails on console errors.
hook() {
  local page=$1 out=$run/$(basename "$1").dom
  chrome --dump-dom "file://$page#test" >"$out" 2>"$out.log"
  if grep -E 'CONSOLE|Uncaught' "$out.log" | grep -v 'dbus'; then
    echo "timeline: console messages while loading $page" >&2
    return 1
  fi
  node -e '
    const dom = require("fs").readFileSync(process.argv[1], "utf8");
    const m = dom.match(/<pre id="trail-test">([^<]*)<\/pre>/);
    if (!m || !m[1]) { console.error("timeline: the test hook wrote nothing"); process.exit(1); }
    const r = JSON.parse(m[1].replace(/&quot;/g, "\"").replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">"));
    if (r.errors.length) { console.error("timeline: page errors:", r.errors); process.exit(1); }
    console.log(JSON.stringify(r));' "$out"
}

check() {  # expression message: node evaluates the expression on the hook result r
  node -e 'const r = JSON.parse(process.argv[1]); if (!eval(process.argv[2])) { console.error("timeline: FAILED: " + process.argv[3], r); process.exit(1); } console.log("timeline: ok: " + process.argv[3]);' "$1" "$2" "$3"
}

# 1. The demo run's page.
(cd "$run" && env -u OTEL_TRACES_EXPORTER -u OTEL_EXPORTER_OTLP_ENDPOINT "$build/examples/game_agents" >demo.txt)
grep -q "all checks passed" "$run/demo.txt"
spans=$(sed -n 's/^trail stats: recorded \([0-9]*\).*/\1/p' "$run/demo.txt")
echo "timeline: demo recorded $spans spans; trail-run.html is $(stat -c %s "$run/trail-run.html") bytes"
r=$(hook "$run/trail-run.html")
echo "$r" | head -c 600; echo
check "$r" "r.spans === $spans" "the page shows every span of the run ($spans)"
check "$r" "r.sessions === 400" "400 sessions (200 NPCs, two episodes each)"
check "$r" "r.frames === 120" "120 frame marks"
check "$r" "r.lanes === 401 && r.threadLanes === 1" "a lane per episode plus one for the game thread"
check "$r" "r.clicked && r.clicked.startsWith('chat ') && r.details.includes('gen_ai.request.model') && r.details.includes('LLM call')" \
  "clicking an LLM call shows its attributes, model and tokens"
check "$r" "r.summaryNames >= 8 && r.sessionStates.success + r.sessionStates.fail === 400" "summary: names and sessions by end state"
check "$r" "r.metricCharts >= 5" "metric charts"

# 2. The converter: the same span count from the JSON lines files.
"$build/tools/timeline/trail-timeline" -o "$run/converted.html" --perfetto "$run/converted.pftrace" \
  "$run/trail-traces.jsonl" "$run/trail-metrics.jsonl"
c=$(hook "$run/converted.html")
check "$c" "r.spans === $spans && r.sessions === 400 && r.lanes === 401" "trail-timeline: jsonl -> html keeps all $spans spans"

# The converter is installed with the package.
cmake --install "$build" --prefix "$run/prefix" >/dev/null
"$run/prefix/bin/trail-timeline" --help | grep -q "usage: trail-timeline"
echo "timeline: ok: trail-timeline is installed"

# 3. The screenshot.
chrome --hide-scrollbars --screenshot="$run/timeline.png" "file://$run/trail-run.html#shot" 2>/dev/null
test -s "$run/timeline.png"
echo "timeline: screenshot $run/timeline.png (the README's is docs/timeline.png)"

# 4. Size, load and frame time at 100 k and 1 M spans.
echo "timeline: load average $(cut -d' ' -f1-3 /proc/loadavg)"
sizes="100000"
[ "${TIMELINE_BIG:-1}" = 0 ] || sizes="$sizes 1000000"
for n in $sizes; do
  "$build/tools/timeline/timeline_synthetic_run" "$n" "$run/synthetic-$n.html"
  m=$(hook "$run/synthetic-$n.html")
  check "$m" "r.spans >= $n" "$n spans load"
  node -e 'const r = JSON.parse(process.argv[1]); console.log(`timeline: ${process.argv[2]} spans, ${process.argv[3]} bytes: load ${r.loadMs} ms, frame (all) ${r.frameMsAll} ms, frame (1% zoom) ${r.frameMsZoomed} ms`)' \
    "$m" "$n" "$(stat -c %s "$run/synthetic-$n.html")"
done
