#!/usr/bin/env bash
# Every analysis command under valgrind on the bundled example and a round
# trip through both formats: no invalid access, no uninitialised read, no
# leak. (graph has its own valgrind test with Graphviz's suppressions.)
. "$(dirname "$0")/lib.sh"
if ! command -v valgrind >/dev/null 2>&1; then
  echo "SKIP: valgrind is not installed (apt-get install valgrind)"
  exit 0
fi
wa=$WA_BIN
ex=$WA_SRC/examples/snapshots/stt-leak.jsonl
vg() {
  local name=$1 want=$2; shift 2
  set +e
  valgrind --quiet --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
    --num-callers=30 --error-exitcode=99 "$wa" "$@" >"$T/$name.out" 2>"$T/$name.vg"
  local got=$?
  set -e
  if [ "$got" = "$want" ]; then ok "valgrind clean: $name"; else
    fail "valgrind: $name (exit $got, expected $want)"; head -60 "$T/$name.vg" >&2; fi
}
vg convert-bin 0 convert "$ex" "$T/ex.wa"
vg convert-jsonl 0 convert "$T/ex.wa" "$T/ex.jsonl"
vg info 0 info "$T/ex.wa"
vg info-json 0 info --json "$ex"
vg summary 0 summary "$T/ex.wa" --by module
vg paths 0 paths "$ex" --select 'type=ConversationTranscriber'
vg paths-json 0 paths "$T/ex.wa" --select 'type=ConversationTranscriber' --json
vg retainers 0 retainers "$ex" --select 'type=SpeechConfig' --depth 5
vg dominators 0 dominators "$T/ex.wa" --limit 5
vg diff3 0 diff "$ex" "$T/ex.wa" "$T/ex.jsonl"
vg suspects 0 suspects "$T/ex.wa" --json
vg bad-selector 2 summary "$ex" --select 'type=(('
printf '{"whyalive": 1}\n{"addr": 1, "type": "x"}\n' >"$T/bad.jsonl"
vg bad-input 2 info "$T/bad.jsonl"
finish
