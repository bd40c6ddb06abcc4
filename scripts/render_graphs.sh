#!/usr/bin/env bash
# render_graphs.sh: render the sample graphs in graphs/ (DOT and SVG) from the
# bundled snapshots. Every picture here is reproducible with the command
# printed next to it; graphs/README.md describes them.
#
# usage: scripts/render_graphs.sh [BUILD_DIR]   (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
wa=$build/whyalive
[ -x "$wa" ] || { echo "render_graphs: $wa not found; build first (scripts/build.sh)" >&2; exit 2; }
out=$root/graphs
mkdir -p "$out"
ex=$root/examples/snapshots
fx=$root/tests/fixtures/graph
TR='type=*ConversationTranscriber'

# name  snapshot  arguments...
render() {
  local name=$1 snap=$2; shift 2
  for ext in dot svg; do
    echo "whyalive graph ${snap#$root/} $* -o graphs/$name.$ext"
    "$wa" graph "$snap" "$@" -o "$out/$name.$ext" --quiet >/dev/null
  done
}

render stt-leak-backrefs   "$ex/stt-leak.jsonl" --select "$TR" --mode backrefs
render stt-leak-paths      "$ex/stt-leak.jsonl" --select "$TR" --mode paths
render stt-leak-dominators "$ex/stt-leak.jsonl" --select "$TR" --mode dominators
render leak-paths          "$fx/leak.jsonl" --select "$TR"
render leak-dominators     "$fx/leak.jsonl" --select 'addr=0x1200' --mode dominators
render fanin-collapse      "$fx/fanin.jsonl" --select 'addr=0x3000' --fan-in 4
render roots-legend        "$fx/roots.jsonl" --select 'addr=0x41' --mode backrefs
