#!/usr/bin/env bash
# paths --holders (issue 14, item 1): every holder of a selection with its
# route, not only the shortest path; the clustered output says how many
# holders there are and where to look; --json "holders" mode.
. "$(dirname "$0")/lib.sh"
wa=$WA_BIN
ex=$WA_SRC/examples/snapshots/stt-leak.jsonl
leak=$WA_FIXTURES/graph/leak.jsonl

# The example: the shortest paths all go through the native callbacks; the
# module-level _sessions dict holds the same transcribers too.
expect_exit 0 "$wa" paths --select type=ConversationTranscriber "$ex" && {
  contains "$T/out" "the selection has 2 distinct holders: 'paths --holders' lists every route"
  # the clusters (before the cut) show only the native callbacks' route
  sed '/^to free /,$d' "$T/out" | grep -q "_sessions" &&
    fail "the shortest paths already show _sessions: the test no longer shows the point"
  # the cut names both: the cache's items, and the callbacks' __self__ (a
  # native root holds the bound methods: nothing simpler to remove)
  contains "$T/out" "to free these 3 objects, remove:"
  contains "$T/out" "  module 'app.stt' __dict__['_sessions'] [*] (3 references)"
  contains "$T/out" "      e.g. sys.modules['app.stt'] .__dict__['_sessions'] ['req-0']"
  contains "$T/out" "['_on_transcribed'] .__self__ (3 references; interpreter plumbing: no simpler cut)"
  ok "paths on the example: clusters, the holders hint and the cut"
}
expect_exit 0 "$wa" paths --holders --select type=ConversationTranscriber "$ex" && {
  contains "$T/out" "3 objects selected, kept alive through 2 holders (removing every reference below frees them):"
  contains "$T/out" "3 ConversationTranscriber held by Session instance __dict__ ['transcriber']"
  contains "$T/out" "    via sys.modules['app.stt'] .__dict__['_sessions'] ['req-0'] .__dict__['transcriber']"
  contains "$T/out" "3 ConversationTranscriber held by method .__self__"
  ok "paths --holders on the example"
}
expect_exit 0 "$wa" paths --holders --json --select type=ConversationTranscriber "$leak" && {
  /usr/bin/python3 - "$T/out" <<'PY' || fail "paths --holders --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["mode"] == "holders" and d["selected"] == 17, d
hs = d["holders"]
assert [h["count"] for h in hs] == [12, 3, 1], hs
assert hs[0]["holder"] == "app.stt.Session" and hs[0]["label"] == ".transcriber"
assert hs[0]["path"] == "sys.modules['app.stt'] .__dict__['_sessions'] [*] .transcriber", hs[0]["path"]
assert hs[1]["holder"] == "builtins.method" and hs[1]["label"] == ".__self__"
assert hs[2]["holder"] is None and hs[2]["root"]["kind"] == "external"
assert d["holders_total"] == 3 and d["unreachable"] == 1 and d["held_inside"] == 0
assert all(h["example"].startswith("0x") for h in hs)
cut = d["cut"]
assert cut["found"] and cut["selected"] == 17 and cut["freed"] == 15, cut
assert cut["held_by_root"] == 1 and cut["unreachable"] == 1 and cut["kept_by_roots"] == 0
assert [p["pattern"] for p in cut["patterns"]] == [
    "module 'app.stt' __dict__['_sessions'] [*]", "module 'app.stt' __dict__['_pending'] [*]"], cut
assert [p["refs"] for p in cut["patterns"]] == [12, 3]
assert not any(p["internal"] for p in cut["patterns"])
assert cut["patterns"][1]["path"] == "sys.modules['app.stt'] .__dict__['_pending'] [0]"
PY
  ok "paths --holders --json (with the cut)"
}
expect_exit 0 "$wa" paths --cut --select type=Session "$leak" && {
  contains "$T/out" "12 objects selected"
  contains "$T/out" "to free these 12 objects, remove:"
  contains "$T/out" "  module 'app.stt' __dict__['_sessions'] [*] (12 references)"
  grep -q "path cluster" "$T/out" && fail "--cut prints the cut alone"
  ok "paths --cut"
}
expect_exit 0 "$wa" paths --no-cut --select type=Session "$leak" && {
  grep -q "to free" "$T/out" && fail "--no-cut still prints a cut"
  true
}
expect_exit 0 "$wa" paths --no-cut --json --select type=Session "$leak" && {
  /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "cut" not in d' "$T/out" ||
    fail "--no-cut --json has a cut"
  ok "paths --no-cut"
}
# suspects name the fix too: the cut of each suspect's objects
expect_exit 0 "$wa" suspects "$leak" && {
  contains "$T/out" "   fix: remove module 'app.stt' __dict__['_sessions'] [*]"
  contains "$T/out" "   fix: remove module 'app.stt' __dict__['_sessions'] [*]; module 'app.stt' __dict__['_pending'] [*]"
  contains "$T/out" "   1 held by roots themselves (native or frame references): no reference in the dump to remove"
  ok "suspects: fix lines"
}
expect_exit 0 "$wa" suspects --json "$leak" && {
  /usr/bin/python3 - "$T/out" <<'PY' || fail "suspects --json fix"
import json, sys
d = json.load(open(sys.argv[1]))
acc, typ = d["suspects"][0], d["suspects"][1]
assert acc["kind"] == "accumulation" and acc["fix"]["found"], acc
assert acc["fix"]["patterns"] == ["module 'app.stt' __dict__['_sessions'] [*]"], acc["fix"]
assert acc["fix"]["freed"] == 12 and acc["fix"]["held_by_root"] == 0
assert typ["kind"] == "type" and typ["fix"]["held_by_root"] == 1 and typ["fix"]["freed"] == 15, typ
PY
  ok "suspects --json: fix"
}
expect_exit 2 "$wa" paths --cut --no-cut --select type=Session "$leak" && {
  contains "$T/err" "--cut and --no-cut contradict each other"
}
expect_exit 0 "$wa" paths --holders --limit 1 --select type=ConversationTranscriber "$leak" && {
  contains "$T/out" "... 2 more holders (--limit 0 shows all)"
}
expect_exit 2 "$wa" paths --holders --each --select type=ConversationTranscriber "$leak" && {
  contains "$T/err" "--each, -k N, --holders and --cut are alternatives"
  ok "--holders limits and usage"
}
finish
