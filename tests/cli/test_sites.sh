#!/usr/bin/env bash
# Allocation sites in the views (issue 14, item 4), on the fixture whose
# objects have sites (tests/fixtures/small.jsonl: app.py:12;app.py:30,
# app.py:3, app.py:99): summary --by site, the site= selector (file,
# file:line, a path suffix, globs, !=), "allocated at" in paths (clusters and
# --each) and retainers, "site" in every object of the JSON documents and
# "sites" in clusters; nothing of it when a dump has no sites.
. "$(dirname "$0")/lib.sh"
wa=$WA_BIN
s=$WA_FIXTURES/small.jsonl

expect_exit 0 "$wa" summary --by site "$s" && {
  contains "$T/out" "site "
  contains "$T/out" "(no site recorded)      8"
  contains "$T/out" "app.py:12               1      88 B      88 B"
  ok "summary --by site"
}
expect_exit 0 "$wa" summary --by site --json "$s" && {
  /usr/bin/python3 - "$T/out" <<'PY' || fail "summary --by site --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["by"] == "site", d["by"]
rows = {r["site"]: r for r in d["rows"]}
assert set(rows) == {None, "app.py:12", "app.py:3", "app.py:99"}, rows
assert rows[None]["count"] == 8 and rows["app.py:12"]["count"] == 1 and rows["app.py:12"]["shallow"] == 88
assert sum(r["count"] for r in d["rows"]) == d["totals"]["count"] == 11
PY
}
expect_exit 2 "$wa" summary --by frame "$s" && contains "$T/err" "--by expects type, module or site"

count() { "$wa" summary --json --select "$1" "$s" 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["count"])'; }
[ "$(count 'site=app.py')" = 3 ] || fail "site=app.py"
[ "$(count 'site=app.py:12')" = 1 ] || fail "site=app.py:12"
[ "$(count 'site=app.py:30')" = 0 ] || fail "site= matches the innermost frame only"
[ "$(count "site='app.py:9*'")" = 1 ] || fail "site glob"
[ "$(count 'site!=app.py')" = 8 ] || fail "site!="
[ "$(count 'site=pp.py')" = 0 ] || fail "a file name matches after a '/' only"
[ "$(count 'site=app.py and type=list')" = 1 ] || fail "site with type"
ok "site= selector"

expect_exit 0 "$wa" paths --select 'site=app.py' "$s" && {
  contains "$T/out" "    allocated at app.py:12 (1)"
  contains "$T/out" "    allocated at app.py:3 (1)"
}
expect_exit 0 "$wa" paths --each --select 'site=app.py:12' "$s" && {
  contains "$T/out" "  allocated at app.py:12 (from app.py:30)"
}
expect_exit 0 "$wa" retainers --select 'site=app.py:12' "$s" && {
  contains "$T/out" "  allocated at app.py:12 (from app.py:30)"
  ok "allocated at, in paths and retainers"
}
expect_exit 0 "$wa" paths --json --select 'site=app.py:12' "$s" && {
  /usr/bin/python3 - "$T/out" <<'PY' || fail "paths --json sites"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["clusters"][0]
assert c["sites"] == [{"site": "app.py:12", "count": 1}], c.get("sites")
PY
}
expect_exit 0 "$wa" dominators --json "$s" && {
  /usr/bin/python3 - "$T/out" <<'PY' || fail "dominators --json site"
import json, sys
d = json.load(open(sys.argv[1]))
sites = {o["addr"]: o.get("site") for o in d["top"]}
assert sites["0x1300"] == "app.py:12;app.py:30", sites
assert sites["0x1900"] is None
PY
  ok "site in JSON objects and clusters"
}
# a dump without sites: no "sites", no "allocated at"
ex=$WA_SRC/examples/snapshots/stt-leak.jsonl
expect_exit 0 "$wa" paths --select ConversationTranscriber "$ex" && {
  grep -q "allocated at" "$T/out" && fail "allocated at without sites"
  true
}
expect_exit 0 "$wa" paths --json --select ConversationTranscriber "$ex" && {
  grep -q '"sites"\|"site"' "$T/out" && fail "site keys without sites"
  ok "nothing of it without sites"
}
finish
