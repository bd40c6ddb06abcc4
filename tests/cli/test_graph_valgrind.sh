#!/usr/bin/env bash
# whyalive graph under valgrind: no invalid reads or writes, and no leak
# except Graphviz's own, suppressed in tests/valgrind/graphviz.supp (each
# entry says why it is not ours; docs/graph.md has the rationale).
. "$(dirname "$0")/lib.sh"
if ! command -v valgrind >/dev/null 2>&1; then
  echo "SKIP: valgrind is not installed (apt-get install valgrind); graph not checked for leaks"
  exit 0
fi
wa=$WA_BIN
supp=$WA_SRC/tests/valgrind/graphviz.supp
# vg NAME WANT_EXIT ARGS...: valgrind's own verdict is exit 99, so any other
# code is the command's, checked against WANT_EXIT.
vg() {
  local name=$1 want=$2; shift 2
  set +e
  valgrind --quiet --leak-check=full --show-leak-kinds=definite,possible \
    --errors-for-leak-kinds=definite,possible --num-callers=40 \
    --suppressions="$supp" --error-exitcode=99 "$wa" "$@" >"$T/$name.out" 2>"$T/$name.vg"
  local got=$?
  set -e
  if [ "$got" = "$want" ]; then
    ok "valgrind clean: $name"
  else
    fail "valgrind: $name (exit $got, expected $want)"
    grep -a -A20 -E "lost|Invalid|uninitialised" "$T/$name.vg" | head -60 >&2
  fi
}
ex=$WA_SRC/examples/snapshots/stt-leak.jsonl
vg svg-backrefs 0 graph "$ex" --select 'type=*ConversationTranscriber' --mode backrefs -o "$T/a.svg"
vg svg-paths 0 graph "$WA_FIXTURES/graph/leak.jsonl" --select 'type=*ConversationTranscriber' -o "$T/b.svg"
vg svg-sfdp 0 graph "$WA_FIXTURES/graph/wide.jsonl" --select addr=0x3000 --fan-in 100 --engine sfdp -o "$T/c.svg"
vg error-path 2 graph "$ex" --select 'type=*ConversationTranscriber' --engine bogus -o "$T/d.svg"
vg dominators 0 graph "$ex" --select 'type=*ConversationTranscriber' --mode dominators -o "$T/e.svg"
[ -s "$T/a.svg" ] && [ -s "$T/b.svg" ] && [ -s "$T/c.svg" ] || fail "an SVG is missing"
finish
