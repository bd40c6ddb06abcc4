#!/usr/bin/env bash
# whyalive graph: DOT on stdout equals the library goldens, images on disk,
# --json summary, caps (fan-in, max-nodes) reported, selecting nothing, and
# every error path exits with a one-line message and leaves no file behind.
. "$(dirname "$0")/lib.sh"
wa=$WA_BIN
G=$WA_FIXTURES/graph
TR='type=azure.cognitiveservices.speech.transcription.ConversationTranscriber'

# --- help lists every option
expect_exit 0 "$wa" graph --help && {
  for o in --select --output --mode --depth --max-nodes --fan-in --paths --children --format --engine --json; do
    contains "$T/out" "$o"
  done
  contains "$T/out" "backrefs"; contains "$T/out" "dominators"
  ok "help"
}
expect_exit 0 "$wa" --help && contains "$T/out" "graph" && ok "listed in top-level help"

# --- DOT on stdout is the golden the unit tests check (CLI == library)
expect_exit 0 "$wa" graph "$G/stt.jsonl" --select addr=0x200 --mode backrefs && {
  cmp -s "$T/out" "$G/stt_backrefs.dot" && ok "backrefs DOT == golden" || fail "backrefs DOT differs from golden"
}
expect_exit 0 "$wa" graph "$G/leak.jsonl" --select "$TR" && {
  cmp -s "$T/out" "$G/leak_paths.dot" && ok "paths (default for many) == golden" || fail "paths DOT differs"
}
expect_exit 0 "$wa" graph "$G/stt.jsonl" --select 'addr=0x120 or addr=0x200' --mode dominators && {
  cmp -s "$T/out" "$G/stt_dominators.dot" && ok "dominators == golden" || fail "dominators DOT differs"
}
# paths mode: a cluster whose root objects are drawn as one group node (three
# bound methods held natively) counts it in "roots" (it used to say 0 roots)
STT=$WA_SRC/examples/snapshots/stt-leak.jsonl
CT='type=azure.cognitiveservices.speech.transcription.ConversationTranscriber'
expect_exit 0 "$wa" graph "$STT" --select "$CT" --mode paths --no-cut -o "$T/p.svg" &&
  contains "$T/out" "3 of 3 selected objects drawn, 1 roots" && ok "paths mode counts its root group"
# the shortest paths all go through the native callbacks; the picture also
# draws the other holder (the module's _sessions dict: its root is the
# second) and the cut in red, named in the caption
expect_exit 0 "$wa" graph "$STT" --select "$CT" --mode paths -o "$T/p2.dot" && {
  contains "$T/out" "3 of 3 selected objects drawn, 2 roots"
  contains "$T/p2.dot" "and 1 more holder of the selection (paths --holders)"
  contains "$T/p2.dot" "red: the cut: remove these 2 reference patterns to free them:"
  contains "$T/p2.dot" "module 'app.stt' __dict__['_sessions'] [*] (3 references)"
  grep -q 'label="\['"'"'req-0'"'"'\]", color="#d32f2f"' "$T/p2.dot" || fail "the cut's reference is not red"
  ok "paths mode draws every holder and the cut"
}
expect_exit 0 "$wa" graph "$STT" --select "$CT" --mode paths --json &&
  /usr/bin/python3 -c "import json; d=json.load(open('$T/out')); assert d['roots_drawn'] == 1, d" &&
  ok "paths mode: roots_drawn in --json"
# the binary form of the same snapshot draws the same DOT
expect_exit 0 "$wa" convert "$G/stt.jsonl" "$T/stt.wa" && \
expect_exit 0 "$wa" graph "$T/stt.wa" --select addr=0x200 --mode backrefs && {
  cmp -s "$T/out" "$G/stt_backrefs.dot" && ok "binary snapshot, same DOT" || fail "binary snapshot DOT differs"
}

# --- images
for ext in svg png pdf dot; do
  expect_exit 0 "$wa" graph "$G/stt.jsonl" --select addr=0x200 -o "$T/g.$ext" && {
    [ -s "$T/g.$ext" ] || fail "g.$ext empty"
    contains "$T/out" "wrote $T/g.$ext ($ext"
    ok "writes .$ext"
  }
done
head -c 4 "$T/g.png" | od -c | grep -q 'P   N   G' || fail "png magic"
head -c 4 "$T/g.pdf" | grep -q '%PDF' || fail "pdf magic"
grep -q '<svg' "$T/g.svg" || fail "svg root"
expect_exit 0 "$wa" graph "$G/stt.jsonl" --select addr=0x200 --format svg -o "$T/noext" && {
  grep -q '<svg' "$T/noext" && ok "--format overrides the extension" || fail "--format svg"
}

# --- --json summary
expect_exit 0 "$wa" graph "$G/fanin.jsonl" --select addr=0x3000 --fan-in 4 -o "$T/f.svg" --json && {
  /usr/bin/python3 - "$T/out" "$T/f.svg" <<'PY' || fail "graph --json (fan-in)"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["output"] == sys.argv[2] and d["format"] == "svg" and d["mode"] == "backrefs", d
assert d["engine"] == "dot" and d["selected"] == 1 and d["selected_drawn"] == 1, d
assert d["cut"]["collapsed"] == 15 and d["cut"]["collapsed_nodes"] == 1, d
assert d["nodes"] == 9 and d["edges"] >= 8 and d["roots_drawn"] == 1, d
assert d["limits"]["fan_in"] == 4 and d["bytes"] > 0, d
PY
  ok "--json summary with fan-in collapse"
}
expect_exit 0 "$wa" graph "$G/wide.jsonl" --select addr=0x3000 --fan-in 100 --max-nodes 20 --json && {
  /usr/bin/python3 - "$T/out" <<'PY' || fail "graph --json (max-nodes)"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["output"] is None and d["format"] == "dot", d
assert d["nodes"] <= 20 and d["cut"]["max_nodes"] > 0, d
assert "beyond max-nodes 20" in d["dot"], d["dot"][:300]
PY
  ok "--json with max-nodes cut, DOT inline"
}
expect_exit 0 "$wa" graph "$G/wide.jsonl" --select addr=0x3000 --fan-in 100 --max-nodes 200 --engine sfdp -o "$T/w.svg" && {
  contains "$T/out" "sfdp layout"; ok "engine override"
}

# --- selecting nothing: a note, exit 0, no file
expect_exit 0 "$wa" graph "$G/stt.jsonl" --select 'type=NoSuchType' -o "$T/none.svg" && {
  [ ! -e "$T/none.svg" ] || fail "a file was written for an empty selection"
  contains "$T/err" "selects nothing"
  ok "empty selection"
}
expect_exit 0 "$wa" graph "$G/stt.jsonl" --select 'type=NoSuchType' --json && {
  /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["selected"]==0 and d["output"] is None' "$T/out" || fail "empty --json"
}

# --- errors: one line, the right exit code, nothing left behind
expect_exit 2 "$wa" graph "$G/stt.jsonl" --select addr=0x200 -o "$T/x.txt" && {
  one_line "$T/err"; contains "$T/err" "cannot tell the format"; [ ! -e "$T/x.txt" ] || fail "x.txt written"
  ok "unknown extension"
}
expect_exit 2 "$wa" graph "$G/stt.jsonl" --select addr=0x200 --format gif -o "$T/x.gif" && {
  one_line "$T/err"; [ ! -e "$T/x.gif" ] || fail "x.gif written"; ok "unknown --format"
}
expect_exit 3 "$wa" graph "$G/stt.jsonl" --select addr=0x200 -o "$T/no/such/dir/x.svg" && {
  one_line "$T/err"; contains "$T/err" "$T/no/such/dir/x.svg"; ok "unwritable path"
}
mkdir "$T/ro" && chmod 0500 "$T/ro"
if [ "$(id -u)" != 0 ]; then
  expect_exit 3 "$wa" graph "$G/stt.jsonl" --select addr=0x200 -o "$T/ro/x.svg" && { one_line "$T/err"; ok "read-only directory"; }
fi
chmod 0700 "$T/ro"
echo previous >"$T/keep.svg"
expect_exit 2 "$wa" graph "$G/stt.jsonl" --select addr=0x200 --engine bogus -o "$T/keep.svg" && {
  one_line "$T/err"; [ "$(cat "$T/keep.svg")" = previous ] || fail "existing file changed on error"
  ls -a "$T" | grep -q '^\.keep\.svg\.' && fail "temporary file left behind"
  ok "bad engine keeps the old file"
}
# the same caret error as every other command: message, selector, caret
expect_exit 2 "$wa" graph "$G/stt.jsonl" --select 'type=(' && {
  contains "$T/err" "error: --select: column 6:"; contains "$T/err" "  type=("
  [ "$(sed -n 3p "$T/err")" = "       ^" ] || fail "no caret under column 6"; ok "bad selector"; }
expect_exit 2 "$wa" graph "$G/stt.jsonl" --select addr=0x200 --mode sideways && { one_line "$T/err"; ok "bad mode"; }
expect_exit 2 "$wa" graph "$G/stt.jsonl" --select addr=0x200 --format png && { one_line "$T/err"; ok "png needs -o"; }
expect_exit 2 "$wa" graph "$G/stt.jsonl" && { contains "$T/err" "--select"; ok "--select required"; }
expect_exit 2 "$wa" graph "$T/missing.jsonl" --select addr=0x200 -o "$T/m.svg" && { [ ! -e "$T/m.svg" ] || fail "m.svg written"; ok "missing snapshot"; }
ls -a "$T" | grep -E '^\.(g|x|m|keep|none)\..*\.' && fail "temporary files left in $T"

finish
