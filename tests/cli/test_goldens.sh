#!/usr/bin/env bash
# Every command's text and --json output on the fixtures and a small
# synthetic heap, byte for byte against tests/golden/out (see
# tests/golden/run.sh for what runs and how to regenerate after a deliberate
# change of output).
source "$(dirname "$0")/lib.sh"
gen=$WA_BUILD/bench/wa_gen
[ -x "$gen" ] || gen=
bash "$WA_SRC/tests/golden/run.sh" "$WA_BIN" "$T/out" $gen >/dev/null
want=$WA_SRC/tests/golden/out
n=0
for f in "$want"/*.out; do
  name=$(basename "$f")
  n=$((n + 1))
  if [ ! -f "$T/out/$name" ]; then
    [ -z "$gen" ] && [[ $name == synth.* ]] && continue
    fail "$name: not produced"
    continue
  fi
  if ! cmp -s "$f" "$T/out/$name"; then
    fail "$name differs from the golden"
    diff -u "$f" "$T/out/$name" | head -20 >&2
  fi
done
for f in "$T"/out/*.out; do
  [ -f "$want/$(basename "$f")" ] || fail "$(basename "$f"): produced but has no golden"
done
[ "$failures" -eq 0 ] && ok "$n outputs equal their goldens"
finish
