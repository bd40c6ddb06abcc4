#!/usr/bin/env bash
# info and convert: output, JSON, lossless round trips on every fixture,
# malformed input (exit 2, one-line error naming file and position, no
# partial output), usage errors.
. "$(dirname "$0")/lib.sh"
wa=$WA_BIN
ex=$WA_SRC/examples/snapshots/stt-leak.jsonl

# --- info on the bundled example
expect_exit 0 "$wa" info "$ex" && {
  contains "$T/out" "objects      30"
  contains "$T/out" "module 1"
  contains "$T/out" "external 3"
  contains "$T/out" "CPython 3.11.2, pid 4242"
  ok "info text"
}
expect_exit 0 "$wa" info --json "$ex" && {
  /usr/bin/python3 - "$T/out" <<'PY' || fail "info --json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["objects"] == 30, d
assert d["roots"]["by_kind"]["external"] == 3 and d["roots"]["by_kind"]["module"] == 1, d
assert d["roots"]["external_excess"] == 3, d
assert d["meta"]["pid"] == 4242 and d["meta"]["argv"] == ["uvicorn", "app.main:app"], d
assert d["format"] == "jsonl" and d["dangling_edges"] == 0, d
PY
  ok "info --json"
}

# --- convert round trips: JSONL -> binary -> JSONL(1) -> binary -> JSONL(2).
# The first JSONL written is canonical (hex addresses, full type names,
# dangling edges dropped and counted): from then on every conversion
# reproduces it byte for byte, and `info` agrees on every file (the string
# table may shrink: strings only a dropped dangling edge used are not written).
norm_info() {
  "$wa" info --json "$1" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); [d.pop(k) for k in ("file","format","file_bytes","load_seconds","memory_bytes","strings")]; print(json.dumps(d,sort_keys=True))'
}
for f in "$ex" "$WA_FIXTURES"/*.jsonl; do
  [ -e "$f" ] || continue
  b=$(basename "$f" .jsonl)
  expect_exit 0 "$wa" convert "$f" "$T/$b.wa" || continue
  expect_exit 0 "$wa" convert "$T/$b.wa" "$T/$b.1.jsonl" || continue
  expect_exit 0 "$wa" convert "$T/$b.1.jsonl" "$T/$b.2.wa" || continue
  expect_exit 0 "$wa" convert "$T/$b.2.wa" "$T/$b.2.jsonl" || continue
  cmp -s "$T/$b.1.jsonl" "$T/$b.2.jsonl" || { fail "$b: JSON Lines differ after a binary round trip"; diff "$T/$b.1.jsonl" "$T/$b.2.jsonl" | head -5 >&2 || true; }
  norm_info "$f" >"$T/a.json"
  for g in "$T/$b.wa" "$T/$b.1.jsonl" "$T/$b.2.wa"; do
    norm_info "$g" >"$T/b.json"
    cmp -s "$T/a.json" "$T/b.json" || { fail "$b: info of $(basename "$g") differs"; diff "$T/a.json" "$T/b.json" >&2 || true; }
  done
  [ "$(stat -c %a "$T/$b.wa")" = 600 ] || fail "$b.wa mode is not 0600"
  [ "$(stat -c %a "$T/$b.1.jsonl")" = 600 ] || fail "$b.1.jsonl mode is not 0600"
  ok "round trip $b"
done

# --- malformed input: exit 2, one line naming the file and position, no output file
printf '{"whyalive": 1}\n{"addr": "0x10", "type": "x.Y", "size": 8}\n{"addr": "0x20", "type": \n' >"$T/bad.jsonl"
expect_exit 2 "$wa" convert "$T/bad.jsonl" "$T/bad.wa" && {
  one_line "$T/err"; contains "$T/err" "bad.jsonl:3:"
  [ ! -e "$T/bad.wa" ] || fail "partial output left behind"
  ls "$T" | grep -q '\.tmp' && fail "temporary file left behind"
  ok "malformed JSON line"
}
printf 'NOTASNAPSHOT\n' >"$T/magic.wa"
expect_exit 2 "$wa" info "$T/magic.wa" && { one_line "$T/err"; contains "$T/err" "magic.wa"; ok "wrong magic"; }
expect_exit 2 "$wa" info "$T/does-not-exist.wa" && { one_line "$T/err"; contains "$T/err" "does-not-exist.wa"; ok "missing file"; }
"$wa" convert "$ex" "$T/good.wa" >/dev/null
head -c 1000 "$T/good.wa" >"$T/trunc.wa"
expect_exit 2 "$wa" info "$T/trunc.wa" && { one_line "$T/err"; contains "$T/err" "trunc.wa"; ok "truncated binary"; }
# convert into an unwritable place: exit 3, nothing written
expect_exit 3 "$wa" convert "$ex" "$T/no/such/dir/out.wa" && { one_line "$T/err"; ok "unwritable output"; }
# an existing output survives a failed conversion untouched
cp "$T/good.wa" "$T/keep.wa"
expect_exit 2 "$wa" convert "$T/bad.jsonl" "$T/keep.wa" && { cmp -s "$T/good.wa" "$T/keep.wa" || fail "existing output changed"; ok "existing output kept"; }

# --- usage errors
expect_exit 2 "$wa" info && contains "$T/err" "usage: whyalive info" && ok "missing argument"
expect_exit 2 "$wa" info --bogus "$ex" && contains "$T/err" "unknown option '--bogus'" && ok "unknown option"
expect_exit 2 "$wa" convert --format xml "$ex" "$T/x" && contains "$T/err" "unknown --format" && ok "bad --format"
expect_exit 2 "$wa" frobnicate && contains "$T/err" "unknown command" && ok "unknown command"
expect_exit 0 "$wa" info --help && contains "$T/out" "usage: whyalive info" && ok "--help"
expect_exit 0 "$wa" --help && contains "$T/out" "convert" && ok "top-level help"
finish
