#!/usr/bin/env bash
# The sidecar index (DUMP.wai): the first analysis writes it, later commands
# read it, and every output is byte-identical with and without it; --no-index
# and WHYALIVE_NO_INDEX=1 neither read nor write it; a damaged index is
# ignored and written again; a place where it cannot be written changes only
# a note; standard input has none; info shows its state.
. "$(dirname "$0")/lib.sh"
wa=$WA_BIN
# the suite turns the index off for every other test (tests/CMakeLists.txt)
unset WHYALIVE_NO_INDEX
d=$T/d
mkdir -p "$d"
cp "$WA_FIXTURES/analysis/stt.jsonl" "$d/stt.jsonl"
"$wa" convert "$d/stt.jsonl" "$d/stt.wa" -q
gzip -c "$d/stt.jsonl" >"$d/stt.jsonl.gz"
declare -A SEL=([stt.jsonl]=type=ConversationTranscriber [stt.wa]=type=ConversationTranscriber
  [stt.jsonl.gz]=type=ConversationTranscriber)
gen=${WA_BUILD:-}/bench/wa_gen
if [ -x "$gen" ]; then
  "$gen" 20000 "$d/synth.wa" --seed 3 >/dev/null
  SEL[synth.wa]=type=Class90
fi

# every analysis command, --json (graph: DOT)
cmds() { # cmds DUMP SEL: one command per line, tab-separated arguments
  printf '%s\n' "dominators	$1	--json" "dominators	$1	--tree	--json" \
    "paths	$1	-s	$2	--json" "paths	$1	-s	$2	-k	3	--json" \
    "summary	$1	--json" "summary	$1	-s	$2	--json" "retainers	$1	-s	$2	--json" \
    "suspects	$1	--json" "graph	$1	-s	$2" "paths	$1	-s	$2	--holders	--json"
}

run_all() { # run_all DUMP SEL OUTDIR [EXTRA...]: every command's stdout to OUTDIR/<n>
  local dump=$1 sel=$2 out=$3; shift 3
  mkdir -p "$out"
  local i=0
  while IFS=$'\t' read -r -a args; do
    i=$((i + 1))
    "$wa" "${args[@]}" "$@" >"$out/$i" 2>"$out/$i.err" || echo "exit $?" >>"$out/$i"
  done < <(cmds "$dump" "$sel")
}

for name in "${!SEL[@]}"; do
  f=$d/$name sel=${SEL[$name]}
  rm -f "$f.wai"
  # --no-index: the reference, and no file
  run_all "$f" "$sel" "$T/ref.$name" --no-index
  [ ! -e "$f.wai" ] || fail "$name: --no-index wrote $f.wai"
  WHYALIVE_NO_INDEX=1 "$wa" dominators "$f" --json >/dev/null
  [ ! -e "$f.wai" ] || fail "$name: WHYALIVE_NO_INDEX=1 wrote $f.wai"
  expect_exit 0 "$wa" info "$f" && contains "$T/out" "index        none yet"
  [ ! -e "$f.wai" ] || fail "$name: info wrote $f.wai"
  # the first dominators writes it, the second reads it: same bytes
  "$wa" dominators "$f" --json >"$T/first"
  [ -f "$f.wai" ] || fail "$name: no $f.wai after dominators"
  expect_exit 0 "$wa" info "$f" && contains "$T/out" "valid, holds dominators"
  before=$(stat -c '%i %s' "$f.wai")
  "$wa" dominators "$f" --json >"$T/second"
  cmp -s "$T/first" "$T/second" || fail "$name: dominators differs on the second run"
  cmp -s "$T/first" "$T/ref.$name/1" || fail "$name: dominators differs from --no-index"
  [ "$(stat -c '%i %s' "$f.wai")" = "$before" ] || fail "$name: a read-only run rewrote the index"
  # every command, twice (the first writes what is missing, the second reads)
  run_all "$f" "$sel" "$T/a.$name"
  run_all "$f" "$sel" "$T/b.$name"
  expect_exit 0 "$wa" info "$f" --json &&
    /usr/bin/python3 - "$T/out" <<'PY' || fail "$name: info --json index"
import json, sys
ix = json.load(open(sys.argv[1]))["index"]
assert ix["state"] == "valid" and ix["holds"] == ["dominators", "paths"], ix
assert ix["file"].endswith(".wai") and ix["note"] == "", ix
PY
  for o in "$T/ref.$name"/[0-9]*; do
    case $o in *.err) continue ;; esac
    k=$(basename "$o")
    cmp -s "$o" "$T/a.$name/$k" || fail "$name: command $k differs when it writes the index"
    cmp -s "$o" "$T/b.$name/$k" || fail "$name: command $k differs when it reads the index"
    [ ! -s "$T/b.$name/$k.err" ] || fail "$name: command $k said something: $(head -2 "$T/b.$name/$k.err")"
  done
  ok "$name: every command byte-identical with and without the index"
done

f=$d/stt.wa
# --- a damaged index: ignored, the output unchanged, written again
ref=$T/ref.stt.wa
for how in truncate corrupt garbage; do
  "$wa" paths "$f" -s type=ConversationTranscriber --json >/dev/null # index: both parts
  case $how in
    truncate) truncate -s 300 "$f.wai" ;;
    corrupt) printf '\x55' | dd of="$f.wai" bs=1 seek=400 conv=notrunc 2>/dev/null ;;
    garbage) head -c 5000 /dev/urandom >"$f.wai" ;;
  esac
  if [ "$how" != corrupt ]; then # found when the index is opened
    expect_exit 0 "$wa" info "$f" && contains "$T/out" "damaged, ignored"
  fi
  "$wa" dominators "$f" --json >"$T/out1" 2>"$T/err1"
  cmp -s "$T/out1" "$ref/1" || fail "damaged ($how): dominators differs"
  if [ "$how" = corrupt ]; then # in a section: found when the part is read
    contains "$T/err1" "note: the index was ignored (section dominators: checksum mismatch)"
  fi
  expect_exit 0 "$wa" info "$f" && contains "$T/out" "valid, holds dominators"
done
ok "a truncated, corrupted or foreign index is ignored and written again"

# a dump rewritten in place: its index is stale
cp "$f" "$T/keep.wa"
"$wa" dominators "$f" --json >/dev/null
"$wa" convert "$WA_FIXTURES/analysis/grow1.jsonl" "$f" -q
expect_exit 0 "$wa" info "$f" && contains "$T/out" "stale"
"$wa" dominators "$f" --json >"$T/out1"
"$wa" dominators "$f" --json --no-index >"$T/out2"
cmp -s "$T/out1" "$T/out2" || fail "stale: dominators differs"
expect_exit 0 "$wa" info "$f" && contains "$T/out" "valid, holds dominators"
cp "$T/keep.wa" "$f"
rm -f "$f.wai"
ok "an index of another dump is stale: ignored and written again"

# --- where the index cannot be written: a note, the same output, no file
mkdir "$f.wai" && echo x >"$f.wai/x"
expect_exit 0 "$wa" dominators "$f" --json && {
  cmp -s "$T/out" "$ref/1" || fail "unwritable: dominators differs"
  contains "$T/err" "note: the index was not written"
  [ "$(grep -c 'not written' "$T/err")" = 1 ] || fail "unwritable: more than one note"
}
expect_exit 0 "$wa" dominators "$f" --json -q && [ ! -s "$T/err" ] || fail "-q: a note"
[ -z "$(ls -A "$d" | grep '\.tmp\.' || true)" ] || fail "a temporary file was left"
rm -rf "$f.wai"
if [ "$(id -u)" != 0 ]; then
  mkdir "$T/ro" && cp "$f" "$T/ro/" && chmod 555 "$T/ro"
  expect_exit 0 "$wa" dominators "$T/ro/stt.wa" --json && contains "$T/err" "not written"
  [ ! -e "$T/ro/stt.wa.wai" ] || fail "read-only directory: an index"
  chmod 755 "$T/ro"
fi
ok "an index that cannot be written: one note, same output"

# --- standard input: no index anywhere
mkdir "$T/cwd" && cd "$T/cwd"
"$wa" dominators - --json <"$f" | sed "s|\"snapshot\":\"-\"|\"snapshot\":\"$f\"|" >"$T/out1"
cmp -s "$T/out1" "$ref/1" || fail "stdin: dominators differs"
[ -z "$(ls -A "$T/cwd")" ] || fail "stdin: wrote $(ls -A "$T/cwd")"
expect_exit 0 "$wa" info - <"$f" && contains "$T/out" "standard input has no index"
# a named pipe: read as a stream, no index (nor a hang opening it twice)
mkfifo "$T/cwd/fifo"
cat "$f" >"$T/cwd/fifo" &
timeout 60 "$wa" dominators "$T/cwd/fifo" --json >"$T/out1" || fail "fifo: dominators failed"
wait
[ "$(ls -A "$T/cwd")" = fifo ] || fail "fifo: wrote $(ls -A "$T/cwd")"
cd "$T"
ok "standard input and a named pipe: no index"

# --- --help and the option itself
for c in summary paths retainers dominators graph suspects diff report info; do
  expect_exit 0 "$wa" "$c" --help && contains "$T/out" "--no-index" || true
done
expect_exit 0 "$wa" convert --help && ! grep -q -- "--no-index" "$T/out" || fail "convert --help lists --no-index"
expect_exit 2 "$wa" convert "$f" "$T/x.jsonl" --no-index || true
expect_exit 0 "$wa" info "$f" --no-index && contains "$T/out" "not used"
ok "--no-index in every analysis command's --help"

# the source tree stays clean
[ -z "$(find "$WA_FIXTURES" -name '*.wai')" ] || fail "an index next to the fixtures"
finish
