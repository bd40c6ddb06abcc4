#!/usr/bin/env bash
# Every command's output (text and --json, stdout and exit code) on the
# fixtures and on a small synthetic heap, one file per invocation, written to
# OUT_DIR. tests/cli/test_goldens.sh compares it with tests/golden/out/: a
# restructuring must leave every byte unchanged; a deliberate change of output
# regenerates the goldens (tests/golden/run.sh BIN tests/golden/out) and says
# so in its commit.
# usage: tests/golden/run.sh WHYALIVE_BIN OUT_DIR [WA_GEN_BIN]
set -uo pipefail
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
W=$(abs "$1")
out=$(abs "$2")
gen=${3:+$(abs "$3")}
here=$(cd "$(dirname "$0")" && pwd)
fx=$here/../fixtures
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Fixtures are copied so the paths echoed in documents do not depend on
# where the tree lives.
cp "$fx"/analysis/*.jsonl "$work"/
for f in "$fx"/graph/*.jsonl; do cp "$f" "$work/g_$(basename "$f")"; done
for f in cycles nested small unicode; do cp "$fx/$f.jsonl" "$work/f_$f.jsonl"; done
cd "$work"
# The index is on: every command but the first on a dump reads what the
# earlier ones left in its sidecar index (DUMP.wai, next to these copies), so
# the goldens also say that results from an index are the computed bytes.
unset WHYALIVE_NO_INDEX
if [ -n "$gen" ]; then
  "$gen" 5000 synth.wa --seed 7 >/dev/null
fi

n=0
run() { # run NAME ARGS...: stdout and exit code to OUT/NAME
  local name=$1; shift
  { "$W" "$@" 2>/dev/null; echo "[exit $?]"; } |
    sed -E 's/"load_seconds": ?[0-9.e+-]+/"load_seconds":X/; s/^loaded       in .*/loaded       X/; s/"memory_bytes": ?[0-9]+/"memory_bytes":X/' \
    >"$out/$name.out"
  n=$((n + 1))
}
run_err() { # run_err NAME ARGS...: stdout, stderr and exit code
  local name=$1; shift
  { "$W" "$@" 2>&1; echo "[exit $?]"; } |
    sed -E 's/"load_seconds": ?[0-9.e+-]+/"load_seconds":X/; s/^loaded       in .*/loaded       X/; s/"memory_bytes": ?[0-9]+/"memory_bytes":X/' \
    >"$out/$name.out"
  n=$((n + 1))
}

both() { local name=$1; shift; run "$name" "$@"; run "$name.json" "$@" --json; }

# type selectors per snapshot
declare -A T=(
  [stt]='type=ConversationTranscriber' [g_stt]='type=ConversationTranscriber'
  [g_leak]='type=ConversationTranscriber'
  [g_fanin]='type=Target' [g_wide]='type=Leaf' [g_roots]='type=str'
  [grow3]='type=Session' [f_nested]='type=Inner' [f_cycles]='type=Node'
  [f_small]='type=frame' [f_unicode]='type=str' [synth]='type=Class90'
)
for snap in stt g_stt g_leak g_fanin g_wide g_roots grow3 f_nested f_cycles f_small f_unicode synth; do
  f=$snap.jsonl; [ "$snap" = synth ] && f=synth.wa
  [ -f "$f" ] || continue
  sel=${T[$snap]}
  both "$snap.info" info "$f"
  both "$snap.summary" summary "$f" --limit 0
  both "$snap.summary.module" summary "$f" --by module --sort count
  run "$snap.summary.noret" summary "$f" --no-retained --sort name
  both "$snap.summary.sel" summary "$f" --select "$sel"
  both "$snap.paths" paths "$f" --select "$sel"
  both "$snap.paths.each" paths "$f" --select "$sel" --each --limit 5
  both "$snap.paths.k" paths "$f" --select "$sel" -k 3 --limit 3
  both "$snap.retainers" retainers "$f" --select "$sel" --depth 4
  both "$snap.dominators" dominators "$f"
  both "$snap.dominators.sel" dominators "$f" --select "$sel"
  run "$snap.dominators.tree" dominators "$f" --tree --json
  both "$snap.suspects" suspects "$f"
  both "$snap.graph" graph "$f" --select "$sel"
  run "$snap.graph.paths" graph "$f" --select "$sel" --mode paths
  run "$snap.graph.dom" graph "$f" --select "$sel" --mode dominators
done
both diff2 diff grow1.jsonl grow2.jsonl
both diff3 diff grow1.jsonl grow2.jsonl grow3.jsonl
both diff.sel diff grow1.jsonl grow3.jsonl --select type=Session --all
both suspects.base suspects grow3.jsonl --baseline grow1.jsonl
# errors: exit codes and stdout must not change either
run_err err.selector paths stt.jsonl --select 'type=('
run_err err.graph.selector graph stt.jsonl --select 'size>>1'
run_err err.missing summary no-such-file.wa
run_err err.option summary stt.jsonl --no-such-option
echo "$n outputs written to $out"
