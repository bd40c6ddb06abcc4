#!/usr/bin/env bash
# Writing compressed dumps (issue 14, item 6, the writing side): `convert`
# compresses as OUT's name ends (.gz, .zst) or as --compress says; the
# decompressed file is byte for byte the uncompressed one, and every command
# reads it. A small input that decompresses to more than the loader's limit
# (a "decompression bomb") is refused with one line, exit 2.
. "$(dirname "$0")/lib.sh"
wa=$WA_BIN
ex=$WA_SRC/examples/snapshots/stt-leak.jsonl

"$wa" convert "$ex" "$T/plain.wa" >/dev/null
"$wa" convert "$ex" "$T/plain.jsonl" >/dev/null
for f in wa jsonl; do
  expect_exit 0 "$wa" convert "$ex" "$T/d.$f.zst" && contains "$T/out" "d.$f.zst ("
  expect_exit 0 "$wa" convert "$ex" "$T/d.$f.gz" && contains "$T/out" ", gzip:"
  expect_exit 0 "$wa" convert --compress zstd "$ex" "$T/named.$f" >/dev/null
  [ "$(head -c 4 "$T/d.$f.zst" | od -An -tx1 | tr -d ' ')" = 28b52ffd ] || fail "d.$f.zst is not zstd"
  [ "$(head -c 2 "$T/d.$f.gz" | od -An -tx1 | tr -d ' ')" = 1f8b ] || fail "d.$f.gz is not gzip"
  [ "$(head -c 4 "$T/named.$f" | od -An -tx1 | tr -d ' ')" = 28b52ffd ] || fail "named.$f is not zstd"
  # the standard tools decode them to exactly the uncompressed file
  if command -v zstd >/dev/null; then
    zstd -q -d -c "$T/d.$f.zst" | cmp -s - "$T/plain.$f" || fail "zstd -d d.$f.zst differs from plain.$f"
  fi
  gzip -d -c "$T/d.$f.gz" | cmp -s - "$T/plain.$f" || fail "gzip -d d.$f.gz differs from plain.$f"
  # and every command reads them as the plain file
  "$wa" summary --json "$T/plain.$f" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); [d.pop(k,None) for k in ("file","snapshot","load_seconds","memory_bytes","file_bytes","compression","format")]; print(json.dumps(d,sort_keys=True))' >"$T/want"
  for z in zst gz; do
    "$wa" summary --json "$T/d.$f.$z" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); [d.pop(k,None) for k in ("file","snapshot","load_seconds","memory_bytes","file_bytes","compression","format")]; print(json.dumps(d,sort_keys=True))' >"$T/got"
    cmp -s "$T/want" "$T/got" || fail "summary of d.$f.$z differs from plain.$f"
  done
done
ok "convert writes gzip and zstd, by name and by --compress"

expect_exit 0 "$wa" info "$T/d.wa.zst" && contains "$T/out" "(binary, zstd, format 1,"
expect_exit 0 "$wa" info "$T/d.jsonl.gz" && contains "$T/out" "(jsonl, gzip, format 1,"
expect_exit 0 "$wa" convert --json "$ex" "$T/j.wa.zst" && contains "$T/out" '"compression":"zstd"'
# --compress none wins over the name
expect_exit 0 "$wa" convert --compress none "$ex" "$T/none.wa.zst" &&
  { cmp -s "$T/none.wa.zst" "$T/plain.wa" || fail "--compress none still compressed"; }
expect_exit 2 "$wa" convert --compress xz "$ex" "$T/bad.wa" && {
  one_line "$T/err"
  contains "$T/err" "unknown --compress 'xz' (expected none, gzip or zstd)"
  [ ! -e "$T/bad.wa" ] || fail "bad --compress left a file"
}
ok "info shows the compression; --compress none and a bad value"

# A decompression bomb: 300 MiB of zeros in a few KiB of zstd. Refused by the
# limit (256 MiB, or 1024 times the compressed size), one line, exit 2.
if command -v zstd >/dev/null; then
  head -c $((300 << 20)) /dev/zero | zstd -q -19 -c >"$T/bomb.zst"
  expect_exit 2 "$wa" info "$T/bomb.zst" && {
    one_line "$T/err"
    contains "$T/err" "refused as a decompression bomb"
  }
  expect_exit 2 "$wa" info - <"$T/bomb.zst" && contains "$T/err" "refused as a decompression bomb"
  ok "a zstd bomb is refused"
fi
head -c $((300 << 20)) /dev/zero | gzip -1 -c >"$T/bomb.gz"
# gzip expands at most about 1030x: 300 MiB of zeros take 1.3 MiB, within
# 1024 times that, so it is decompressed, then refused as no snapshot.
expect_exit 2 "$wa" info "$T/bomb.gz" && one_line "$T/err"
ok "a gzip bomb fails with one line"
finish
