#!/usr/bin/env bash
# Issue 19: a dump is untrusted input. Every command, in text mode, on dumps
# with escape sequences, control characters, C1 controls, bidi overrides,
# zero-width characters, quotes and angle brackets in every name slot
# (tests/fixtures/hostile/gen.py), in both formats, under a file name that is
# itself hostile: stdout and stderr must be inert (tests/fixtures/hostile/
# inert.py: no byte below 0x20 but the newline, no DEL, valid UTF-8, no C1,
# no bidi override or isolate, no invisible format character) and show the
# escapes as text. --json stays exact (the original strings come back byte
# for byte); DOT parses and SVG is well-formed XML without raw controls or
# <script; table rows stay one line and aligned; error paths that quote names
# are escaped too.
source "$(dirname "$0")/lib.sh"
W=$WA_BIN
HF=$WA_FIXTURES/hostile
PY=/usr/bin/python3
export PYTHONPATH=$HF${PYTHONPATH:+:$PYTHONPATH}

# --- the fixture is what gen.py writes
mkdir "$T/gen"
$PY "$HF/gen.py" "$T/gen"
for f in "$T"/gen/*.jsonl; do
  cmp -s "$f" "$HF/$(basename "$f")" || fail "$(basename "$f") differs from what gen.py writes (rerun it)"
done

# --- hostile file names: OSC, BEL, SGR, C1 CSI, RLO, newline
NAME=$'dump\e]0;pwned\a\e[31m\xc2\x9b\xe2\x80\xae\n'
NAME_SHOWN='dump\x1b]0;pwned\x07\x1b[31m\u009b\u202e\n'
D=$T/$NAME.jsonl
S1=$T/${NAME}1.jsonl
S2=$T/${NAME}2.jsonl
DW=$T/$NAME.wa
cp "$HF/hostile.jsonl" "$D"
cp "$HF/hostile_step1.jsonl" "$S1"
cp "$HF/hostile_step2.jsonl" "$S2"

n_runs=0
# inert LABEL [--dot]: $T/out and $T/err are safe for a terminal
inert() {
  local f
  for f in out err; do
    if ! $PY "$HF/inert.py" ${2:-} "$T/$f" >"$T/scan"; then
      fail "$1: std$f is not inert"
      head -5 "$T/scan" | sed 's/^/  /' >&2
      return 1
    fi
  done
}
# text CODE LABEL CMD...: run, check the exit code and that the output is inert
text() {
  local code=$1 label=$2
  shift 2
  n_runs=$((n_runs + 1))
  expect_exit "$code" "$@" || return 1
  inert "$label"
}
visible() { # the escapes show as text
  contains "$T/out" '\x1b]0;pwned\x07' || return 1
}

# --- convert, both ways, with hostile output names
text 0 "convert to binary" "$W" convert "$D" "$DW" && contains "$T/out" "wrote $T/$NAME_SHOWN.wa" &&
  ok "convert jsonl -> wa (output name escaped)"
text 0 "convert back" "$W" convert "$DW" "$T/${NAME}back.jsonl" && ok "convert wa -> jsonl"
# the round trip keeps every hostile string exactly (sites included, which
# no command prints)
$PY - "$D" "$T/${NAME}back.jsonl" <<'PY' && ok "convert keeps every string exactly" || fail "convert round trip changed a string"
import json, sys
def load(p):
    meta, objs, roots, sites = None, {}, [], {}
    for line in open(p, "rb").read().decode("utf-8").split("\n"):  # a raw CR is no line end
        if not line.strip():
            continue
        d = json.loads(line, strict=False)  # the raw line has raw controls
        if meta is None:
            meta = d
        elif "addr" in d:
            objs[d["addr"]] = d
            if "site" in d:
                sites[d["addr"]] = d["site"]
        elif "root" in d:
            roots.append((d["root"], d["obj"], d.get("label"), d.get("excess", 0)))
        else:
            sites[d["obj"]] = d["site"]
    return meta, objs, roots, sites
a, b = load(sys.argv[1]), load(sys.argv[2])
for k in ("tool_version", "python", "implementation", "host", "time", "argv"):
    assert a[0][k] == b[0][k], k
assert sorted(a[2]) == sorted(b[2]), "roots"
assert a[3] == b[3], "sites"
for addr, o in a[1].items():
    p = b[1][addr]
    for k in ("name", "value"):
        assert o.get(k) == p.get(k), (addr, k)
    assert [r[1:] for r in o.get("refs", [])] == [r[1:] for r in p.get("refs", [])], addr
PY

# --- every command, text mode, on both formats
for S in "$D" "$DW"; do
  f=${S##*.}
  text 0 "info $f" "$W" info "$S" && visible && contains "$T/out" "$NAME_SHOWN.$f" &&
    contains "$T/out" 'ho\x1b]0;pwned\x07st\u2066\r\n\u009b31m' && contains "$T/out" '--x\u202e' &&
    ok "info ($f)"
  text 0 "summary $f" "$W" summary "$S" --limit 0 && visible && cp "$T/out" "$T/summary.$f" &&
    contains "$T/out" 'raw\x1b]0;pwned\x07.Raw\x1b[31m\r\x7f' && ok "summary --by type ($f)"
  text 0 "summary by module $f" "$W" summary "$S" --by module --limit 0 &&
    contains "$T/out" 'm\x1b[31m\u202e.sub\u2066\n' && ok "summary --by module ($f)"
  text 0 "paths $f" "$W" paths "$S" --select 'type=*Evil*' && visible &&
    contains "$T/out" "['k\\x1b[31m\\u202e\\né']" && ok "paths clusters ($f)"
  text 0 "paths each $f" "$W" paths "$S" --select 'type=*Evil*' --each --limit 3 && visible &&
    cp "$T/out" "$T/each.$f" && ok "paths --each ($f)"
  text 0 "paths -k $f" "$W" paths "$S" --select addr=0x20000 -k 3 && visible &&
    contains "$T/out" 'f_locals.loc\x1b]0;pwned\x07\u202e' && ok "paths -k ($f)"
  text 0 "paths unreachable $f" "$W" paths "$S" --select 'type=*Line*' && contains "$T/out" 'unreachable' &&
    contains "$T/out" 'Line\nBreak\u2069\x1b[2J\x1b[H' && ok "paths: unreachable group ($f)"
  text 0 "retainers $f" "$W" retainers "$S" --select 'type=*Evil*' --limit 2 --depth 5 && visible &&
    contains "$T/out" '[root sys.modules['"'"'evil\x1b]0;pwned\x07mod\u202e日本'"'"']]' && ok "retainers ($f)"
  text 0 "retainers fan-in $f" "$W" retainers "$S" --select addr=0x1500 --max-referrers 3 &&
    contains "$T/out" '<closure cl\x1b[31mo\u200b\u200d\ufeff>' && contains "$T/out" "more referrers" &&
    ok "retainers: labels and fan-in cut ($f)"
  text 0 "retainers raw $f" "$W" retainers "$S" --select addr=0x1c00 &&
    contains "$T/out" "(cycle)" && contains "$T/out" "'raw\\x1b[2J\\x1b[H'" && ok "retainers: raw bytes in the JSON ($f)"
  text 0 "retainers roots $f" "$W" retainers "$S" --select 'addr=0x1a00 or addr=0x1800 or addr=0x1b00' &&
    contains "$T/out" 'ext\x1b]0;pwned\x07\u2066' && contains "$T/out" 'Thr\x1b]0;pwned\x07ead\u202e\n (140000)' &&
    contains "$T/out" 'builtins\x1b[31m' && contains "$T/out" 'other\u009b31m' && ok "retainers: every root label ($f)"
  text 0 "dominators $f" "$W" dominators "$S" && visible && ok "dominators top ($f)"
  text 0 "dominators select $f" "$W" dominators "$S" --select 'type=*Evil* or addr=0x1900 or addr=0x19000' --limit 0 &&
    visible && ok "dominators --select ($f)"
  text 0 "dominators tree $f" "$W" dominators "$S" --tree && ok "dominators --tree ($f)"
  text 0 "suspects $f" "$W" suspects "$S" && visible && ok "suspects ($f)"
  text 0 "suspects low $f" "$W" suspects "$S" --threshold 0.01 --external-share 0.001 --limit 0 &&
    contains "$T/out" "external" && contains "$T/out" "$NAME_SHOWN.$f" && ok "suspects, every kind ($f)"
  text 0 "suspects baseline $f" "$W" suspects "$S" --baseline "$S1" && contains "$T/out" "growth" &&
    visible && ok "suspects --baseline ($f)"
  # graph: DOT on stdout (tabs at line starts are DOT's own indentation)
  for sel in addr=0x20000 'type=*Evil*' 'addr=0x1a00 or addr=0x1900' 'addr=0x1400'; do
    for mode in backrefs paths dominators; do
      n_runs=$((n_runs + 1))
      expect_exit 0 "$W" graph "$S" --select "$sel" --mode $mode || continue
      inert "graph $sel $mode $f" --dot || continue
      dot -Tsvg "$T/out" -o "$T/g.svg" 2>"$T/dot.err" || { fail "dot rejects the DOT of graph $sel $mode"; head -3 "$T/dot.err" >&2; }
    done
  done
  ok "graph DOT on stdout, every mode, parsed by dot ($f)"
  # graph to an SVG file with a hostile name
  text 0 "graph svg $f" "$W" graph "$S" --select 'addr=0x20000 or addr=0x1900 or addr=0x1400' -o "$T/$NAME.svg" &&
    contains "$T/out" "wrote $T/$NAME_SHOWN.svg" && cp "$T/$NAME.svg" "$T/graph.svg" && ok "graph -o .svg ($f)"
  $PY - "$T/graph.svg" <<'PY' && ok "SVG well-formed and inert ($f)" || fail "graph SVG ($f) not valid or not inert"
import sys, xml.dom.minidom
import inert
data = open(sys.argv[1], "rb").read()
xml.dom.minidom.parseString(data)
assert b"<script" not in data.lower(), "raw <script in the SVG"
p = inert.problems(data)
assert not p, p
text = data.decode()
assert "\\x1b]0;pwned\\x07" in text, "escapes not visible in the SVG"
assert "&lt;script&gt;" in text, "the <script> of a name is not in the SVG as text"
PY
done

# both formats print the same (bar the file name)
sed 's/\.wa:/.jsonl:/' "$T/summary.wa" | cmp -s - "$T/summary.jsonl" || fail "summary differs between .jsonl and .wa"

# --- diff: two and three dumps
text 0 "diff 2" "$W" diff "$S1" "$S2" && visible && contains "$T/out" "A = $T/${NAME_SHOWN}1.jsonl" &&
  cp "$T/out" "$T/diff2" && ok "diff A B"
text 0 "diff 3" "$W" diff "$S1" "$S2" "$D" && visible && contains "$T/out" "survivors" && ok "diff A B C"
text 0 "diff all" "$W" diff "$S1" "$DW" --all --limit 0 && ok "diff --all"
text 0 "diff select" "$W" diff "$S1" "$S2" "$DW" --select 'type=*Evil*' && visible && ok "diff --select"

# --- tables: a row with an escaped name is one line, and columns align
$PY - "$T/summary.jsonl" "$T/diff2" "$T/each.jsonl" <<'PY' && ok "tables: escaped names stay on one line and aligned" || fail "table alignment"
import sys
def lines(p):
    return open(p, "rb").read().decode("utf-8").split("\n")
summary = lines(sys.argv[1])
rows = summary[2:summary.index("", 2)]            # header + one line per type
assert len(rows) == 12, (len(rows), rows)             # 11 types + header
widths = {len(r) for r in rows}
assert len(widths) == 1, ("summary rows of different widths", [len(r) for r in rows])
assert any("Evil\\x1b]0;pwned\\x07" in r for r in rows)
d = lines(sys.argv[2])
start = d.index("", 1) + 1
table = d[start:d.index("", start)]
assert len({len(r) for r in table}) == 1, ("diff rows of different widths", [len(r) for r in table])
# paths --each: the object column starts at the same column on every hop
each = "\n".join(lines(sys.argv[3])).split("\n\n")
assert sum(1 for b in each if "\n  " in b) == 3, each  # three objects, each with its path
for block in each[1:]:
    hops = [l for l in block.split("\n") if l.startswith("  ")]
    if not hops:
        continue
    cols = {l.index("  0x", 2) for l in hops}
    assert len(cols) == 1, ("paths --each columns", hops)
PY

# --- --json: exact, the original strings byte for byte
jsonrun() { # jsonrun NAME CMD...: stdout to $T/NAME.json
  local name=$1
  shift
  expect_exit 0 "$@" && cp "$T/out" "$T/$name.json"
}
jsonrun info "$W" info "$D" --json
jsonrun summary "$W" summary "$DW" --json --limit 0
jsonrun modules "$W" summary "$D" --json --by module --limit 0
jsonrun paths "$W" paths "$D" --json --select 'type=*Evil*'
jsonrun each "$W" paths "$DW" --json --select addr=0x20000 -k 3
jsonrun retainers "$W" retainers "$D" --json --select 'addr=0x1500 or addr=0x1a00 or addr=0x1c00'
jsonrun dominators "$W" dominators "$D" --json --select 'addr=0x1900 or addr=0x20000'
jsonrun suspects "$W" suspects "$DW" --json --baseline "$S1" --threshold 0.01
jsonrun diff "$W" diff "$S1" "$S2" "$D" --json
jsonrun graph "$W" graph "$D" --json --select addr=0x20000
jsonrun convert "$W" convert "$D" "$T/$NAME.c.wa" --json
$PY - "$T" "$D" "$DW" "$S1" "$S2" <<'PY' && ok "--json exact on every command" || fail "--json is not exact"
import json, os, sys
import gen
T, D, DW, S1, S2 = sys.argv[1:]
S = gen.STRINGS
def j(name):
    return json.load(open(os.path.join(T, name + ".json"), encoding="utf-8"))
def strings(x, skip=("dot",)):
    if isinstance(x, dict):
        for k, v in x.items():
            if k not in skip:
                yield k
                yield from strings(v, skip)
    elif isinstance(x, list):
        for v in x:
            yield from strings(v, skip)
    elif isinstance(x, str):
        yield x
docs = {n: j(n) for n in ("info", "summary", "modules", "paths", "each", "retainers", "dominators",
                          "suspects", "diff", "graph", "convert")}
for n, d in docs.items():
    for s in strings(d):
        # never escaped for a terminal: that is the text output's business
        assert "\\x1b" not in s and "\\u202e" not in s, (n, s[:80])
info = docs["info"]
assert info["file"] == D
for k in ("tool_version", "python", "implementation", "host", "time", "argv"):
    assert info["meta"][k] == S[k], k
evil = gen.MOD + "." + gen.T_EVIL.split(":", 1)[1]
types = {r["type"] for r in docs["summary"]["rows"]}
want = {evil, "builtins." + gen.T_BARE, gen.T_DOTTED, gen.T_LONG,
        "raw" + gen.OSC + ".Raw" + gen.SGR + "\r\x7f"}
assert want <= types, want - types
assert gen.MOD in {r["module"] for r in docs["modules"]["rows"]}
c = docs["paths"]["clusters"][0]
assert c["type"] == evil and c["count"] == 39, c  # the 40th: via the frame
assert gen.MODNAME in c["root"]["text"], c["root"]
assert "[" + S["key"] + "]" in [h["label"] for h in c["hops"]], c["hops"]
labels = {h["label"] for o in docs["each"]["objects"] for p in o["paths"] for h in p["hops"]}
assert "f_locals." + S["local"] in labels, labels
def walk(n):
    yield n
    for r in n.get("referrers", []):
        yield from walk(r)
refs = {r.get("label") for o in docs["retainers"]["objects"] for r in walk(o)}
assert "<closure " + S["closure"] + ">" in refs, refs
assert "." + S["attr"] in refs, refs
roots = {r["text"] for o in docs["retainers"]["objects"] for n in walk(o) for r in n.get("roots", [])}
assert any(S["external_root"] in r for r in roots), roots
objs = {o["object"]["addr"]: o["object"] for o in docs["dominators"]["objects"]}
assert objs["0x1900"]["type"] == gen.T_LONG and objs["0x1900"]["name"] == S["obj_name"]
assert docs["suspects"]["snapshot"] == DW
assert docs["diff"]["snapshots"] == [S1, S2, D], docs["diff"]["snapshots"]
assert gen.OSC not in docs["graph"]["dot"] and "\\\\x1b]0;pwned\\\\x07" in docs["graph"]["dot"]
assert docs["convert"]["input"] == D and docs["convert"]["output"].endswith(".c.wa")
PY

# --- errors and notes that quote names
BADSEL=$'type=No\e]0;pwned\aSuch\xe2\x80\xae'
text 0 "summary empty selection" "$W" summary "$D" --select "$BADSEL" && contains "$T/err" "matched no object" &&
  ok "summary: a selector matching nothing"
text 0 "graph empty selection" "$W" graph "$D" --select "$BADSEL" &&
  contains "$T/err" "'type=No\\x1b]0;pwned\\x07Such\\u202e' selects nothing in $T/$NAME_SHOWN.jsonl" &&
  ok "graph: the note quotes the selector and the file, escaped"
text 2 "bad selector" "$W" paths "$D" --select $'si\e]0;pwned\aez>3' &&
  contains "$T/err" "unknown field 'si\\x1b]0;pwned\\x07ez'" && ok "selector error quotes the field, escaped"
printf 'garbage\n' >"$T/${NAME}bad.jsonl"
text 2 "malformed" "$W" summary "$T/${NAME}bad.jsonl" && contains "$T/err" "${NAME_SHOWN}bad.jsonl" &&
  one_line "$T/err" && ok "malformed file with a hostile name: one escaped line"
text 2 "missing" "$W" info "$T/${NAME}missing.wa" && contains "$T/err" "${NAME_SHOWN}missing.wa" &&
  ok "missing file with a hostile name"
head -c 100 "$DW" >"$T/${NAME}cut.wa"
text 2 "truncated binary" "$W" retainers "$T/${NAME}cut.wa" --select addr=0x1 && one_line "$T/err" &&
  ok "truncated binary with a hostile name"
cp "$HF/hostile_nul.jsonl" "$T/${NAME}nul.jsonl"
text 2 "nul" "$W" info "$T/${NAME}nul.jsonl" && contains "$T/err" "NUL character (\\u0000)" &&
  ok "\\u0000 in a name: refused, not cut short"
text 2 "two files" "$W" info "$D" "$S1" && contains "$T/err" "unexpected argument '$T/${NAME_SHOWN}1.jsonl'" &&
  ok "usage error quoting a file name"
text 2 "unknown command" "$W" $'\e]0;pwned\a' && contains "$T/err" "unknown command '\\x1b]0;pwned\\x07'" &&
  ok "unknown command, escaped"
text 2 "bad --by" "$W" summary "$D" --by $'\e[31m' && ok "bad option value, escaped"
text 3 "unwritable" "$W" convert "$D" "$T/no/$NAME.wa" && contains "$T/err" "$NAME_SHOWN.wa" && ok "unwritable output"
text 2 "graph bad ext" "$W" graph "$D" --select addr=0x20000 -o "$T/$NAME.xyz" &&
  contains "$T/err" "$NAME_SHOWN.xyz" && ok "graph: unknown output format"
text 0 "quiet" "$W" graph "$D" --select "$BADSEL" -q && [ ! -s "$T/err" ] && ok "--quiet"

echo "$n_runs command runs scanned"
finish
