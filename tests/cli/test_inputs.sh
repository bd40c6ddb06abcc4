#!/usr/bin/env bash
# Inputs a user has (issue 14, item 6): gzip- and zstd-compressed dumps read
# transparently, '-' for standard input in every command that reads a dump,
# binary dumps from a pipe; truncated and corrupt streams refused with the
# byte where they broke, exit 2; '-' twice refused; a terminal on stdin refused.
. "$(dirname "$0")/lib.sh"
wa=$WA_BIN
ex=$WA_SRC/examples/snapshots/stt-leak.jsonl

cp "$ex" "$T/d.jsonl"
"$wa" convert "$T/d.jsonl" "$T/d.wa" >/dev/null
for f in d.jsonl d.wa; do
  gzip -c "$T/$f" >"$T/$f.gz"
  zstd -q -c "$T/$f" >"$T/$f.zst"
done

# The JSON of every command, with the file name fields taken out, is the same
# for the plain file, its compressed forms, and all of them through stdin.
norm() { /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
for k in ("file", "snapshot", "snapshots", "file_bytes", "load_seconds", "memory_bytes", "compression", "format"):
    d.pop(k, None)
print(json.dumps(d, sort_keys=True))'; }
cmds=("info" "summary" "paths --select type=ConversationTranscriber" "retainers --select type=ConversationTranscriber"
  "dominators" "suspects")
for c in "${cmds[@]}"; do
  # shellcheck disable=SC2086
  "$wa" $c --json "$T/d.wa" | norm >"$T/want"
  for f in d.jsonl d.wa.gz d.wa.zst d.jsonl.gz d.jsonl.zst; do
    # shellcheck disable=SC2086
    "$wa" $c --json "$T/$f" | norm >"$T/got" || fail "$c on $f"
    cmp -s "$T/want" "$T/got" || fail "$c on $f differs from the plain binary dump"
    # shellcheck disable=SC2086
    "$wa" $c --json - <"$T/$f" | norm >"$T/got" || fail "$c on - < $f"
    cmp -s "$T/want" "$T/got" || fail "$c on - < $f differs from the plain binary dump"
  done
  # shellcheck disable=SC2086
  cat "$T/d.wa" | "$wa" $c --json /dev/stdin | norm >"$T/got" || fail "$c on /dev/stdin (binary pipe)"
  cmp -s "$T/want" "$T/got" || fail "$c on a binary pipe differs"
done
ok "compressed and piped dumps: same results in ${#cmds[@]} commands"

# graph from a compressed pipe
expect_exit 0 "$wa" graph --select type=ConversationTranscriber -o "$T/g.dot" - <"$T/d.wa.zst" && {
  contains "$T/g.dot" "digraph"
  ok "graph from a zstd pipe"
}

# diff: one side from stdin
expect_exit 0 "$wa" diff --json "$T/d.wa" - <"$T/d.jsonl.gz" && {
  /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert all(r.get("delta", 0) == 0 for r in d["rows"]), d["rows"][:3]' "$T/out" ||
    fail "diff of a dump with itself through stdin shows growth"
  ok "diff with one side from stdin"
}
expect_exit 2 "$wa" diff - - <"$T/d.wa" && {
  one_line "$T/err"
  contains "$T/err" "only once"
  ok "'-' twice refused"
}

# info says what it read
expect_exit 0 "$wa" info "$T/d.wa.zst" && { contains "$T/out" "(binary, zstd, format 1,"; }
expect_exit 0 "$wa" info - <"$T/d.jsonl.gz" && {
  contains "$T/out" "<stdin> (jsonl, gzip, format 1, from standard input)"
}
expect_exit 0 "$wa" info --json "$T/d.jsonl.gz" && {
  /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["compression"] == "gzip" and d["format"] == "jsonl", d' "$T/out" ||
    fail "info --json compression"
}
expect_exit 0 "$wa" info --json "$T/d.wa" && {
  /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "compression" not in d, d' "$T/out" ||
    fail "info --json of a plain dump names a compression"
  ok "info names the compression and standard input"
}

# Truncated and corrupt streams: one line, the byte, exit 2, no output.
size=$(stat -c %s "$T/d.wa.gz")
head -c $((size / 2)) "$T/d.wa.gz" >"$T/cut.wa.gz"
expect_exit 2 "$wa" summary "$T/cut.wa.gz" && {
  one_line "$T/err"
  contains "$T/err" "cut.wa.gz: byte $((size / 2)): truncated gzip data"
  [ ! -s "$T/out" ] || fail "output written for a truncated dump"
}
size=$(stat -c %s "$T/d.jsonl.zst")
head -c $((size / 2)) "$T/d.jsonl.zst" >"$T/cut.zst"
expect_exit 2 "$wa" info - <"$T/cut.zst" && {
  one_line "$T/err"
  contains "$T/err" "<stdin>: byte $((size / 2)): truncated zstd data"
}
# a corrupted byte in the middle of the deflate stream
cp "$T/d.jsonl.gz" "$T/bad.gz"
printf '\377\377\377\377\377\377\377\377' | dd of="$T/bad.gz" bs=1 seek=40 conv=notrunc status=none
expect_exit 2 "$wa" info "$T/bad.gz" && {
  one_line "$T/err"
  grep -qE "bad.gz.*byte [0-9]+: (corrupt gzip data|.*malformed|.*expected)|crc|check" "$T/err" ||
    fail "corrupt gzip: $(cat "$T/err")"
}
# the decompressed content is checked like a plain file's, and named so
head -c 300 "$T/d.wa" | gzip -c >"$T/short.wa.gz"
expect_exit 2 "$wa" info "$T/short.wa.gz" && {
  one_line "$T/err"
  contains "$T/err" "short.wa.gz (gzip-decompressed): byte"
}
gzip -c "$T/d.wa.gz" >"$T/twice.gz"
expect_exit 2 "$wa" info "$T/twice.gz" && contains "$T/err" "compressed again (gzip)"
printf '' | { expect_exit 2 "$wa" info - && contains "$T/err" "<stdin>"; }
ok "truncated, corrupt and doubly compressed input refused"

# A terminal on standard input is refused rather than waited on.
if command -v script >/dev/null; then
  script -qec "$wa info -" /dev/null >"$T/tty" 2>&1 </dev/null || true
  contains "$T/tty" "standard input is a terminal" && ok "a terminal on stdin refused"
fi

# The Python API reads compressed dumps through the same loader.
# (the sanitizer build's extension needs its runtime preloaded: the plain build checks it)
if [ -d "$WA_BUILD/python/whyalive" ] && ! grep -q '^WA_SANITIZE:BOOL=ON' "$WA_BUILD/CMakeCache.txt"; then
  PYTHONPATH=$WA_BUILD/python /usr/bin/python3 - "$T/d.wa.zst" "$T/d.wa" <<'PY' || fail "Python load of a zstd dump"
import sys, whyalive
a, b = whyalive.load(sys.argv[1]), whyalive.load(sys.argv[2])
sa, sb = a.summary(), b.summary()
for d in (sa, sb):
    d.pop("snapshot", None)
assert len(a) == len(b) == 30 and sa == sb, (len(a), len(b))
PY
  ok "Python load of a compressed dump"
fi
finish
