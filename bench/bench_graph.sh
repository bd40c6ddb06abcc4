#!/usr/bin/env bash
# bench_graph.sh: wall time of `whyalive graph` on a synthetic heap.
#   target 1: a 200-node picture laid out (dot) and rendered to SVG <= 2 s
#   target 2: a 5,000-node request finishes (sfdp above 600 nodes) <= 10 s
# Times are for the whole command (load + dominators + path tree + walk +
# layout + SVG), best of 3; the 200k-object snapshot comes from wa_gen
# (deterministic), the selected object is one whose referrer graph is large.
#
# usage: bench/bench_graph.sh [BUILD_DIR] [OBJECTS]   (default: build, 200000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
n=${2:-200000}
wa=$build/whyalive
gen=$build/bench/wa_gen
for b in "$wa" "$gen"; do
  [ -x "$b" ] || { echo "bench_graph: $b not built" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$gen" "$n" "$tmp/heap.wa" >/dev/null
sel='addr=0x7f0000100650' # wa_gen's default seed: an object deep in the heap

run() { # label max_nodes fan_in target_s
  local label=$1 max=$2 fan=$3 target=$4 best=999 line=
  for i in 1 2 3; do
    local t0 t1 s
    t0=$(date +%s.%N)
    "$wa" graph "$tmp/heap.wa" --select "$sel" --max-nodes "$max" --fan-in "$fan" --depth 30 \
      -o "$tmp/g.svg" --json >"$tmp/g.json"
    t1=$(date +%s.%N)
    s=$(echo "$t1 - $t0" | bc -l)
    if (( $(echo "$s < $best" | bc -l) )); then best=$s; fi
  done
  line=$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%d nodes, %d edges, %s, %.0f KiB SVG" % (d["nodes"], d["edges"], d["engine"], d["bytes"]/1024))' "$tmp/g.json")
  local verdict=ok
  (( $(echo "$best <= $target" | bc -l) )) || verdict=SLOW
  printf "%-22s %6.2f s (target <= %s s) %-4s  %s\n" "$label" "$best" "$target" "$verdict" "$line"
}

echo "whyalive graph on a $n-object wa_gen heap ($(nproc) cores, Graphviz $(pkg-config --modversion libgvc 2>/dev/null || echo '?'))"
run "200-node picture" 200 30 2
run "default request" 300 8 2
run "600 nodes (dot)" 600 30 10
run "2,000 nodes (sfdp)" 2000 50 10
run "5,000-node request" 5000 50 10
