#!/usr/bin/env bash
# CLI tests of the analysis commands on hand-made snapshots
# (tests/fixtures/analysis/): summary, paths, retainers, dominators, diff,
# suspects: human output, --json schema, --select, --limit, exit codes.
source "$(dirname "$0")/lib.sh"
F=$WA_FIXTURES/analysis
S=$F/stt.jsonl
json() { /usr/bin/python3 -c "import json,sys; d=json.load(open('$T/out')); $1"; }

# ---- summary ----
expect_exit 0 "$WA_BIN" summary "$S" && contains "$T/out" "app.stt.ConversationTranscriber" &&
  contains "$T/out" "unreachable: 2 objects, 200 B" && ok "summary table"
expect_exit 0 "$WA_BIN" summary "$S" --json && json "
r={x['type']:x for x in d['rows']}
assert d['command']=='summary' and d['by']=='type' and d['has_retained']
t=r['app.stt.ConversationTranscriber']
assert (t['count'],t['shallow'],t['retained'])==(3,192,12480), t
assert d['unreachable']=={'count':2,'bytes':200}
assert d['totals']['count']==23 and d['totals']['shallow']==15720
" && ok "summary --json"
expect_exit 0 "$WA_BIN" summary "$S" --by module --json --limit 2 && json "
assert [x['module'] for x in d['rows']]==['builtins','app.stt'] and d['truncated'] and d['rows_total']==4
" && ok "summary --by module --limit"
expect_exit 0 "$WA_BIN" summary "$S" --select 'module=app.stt and size<100' --json && json "
assert d['totals']['count']==10, d['totals']
" && ok "summary --select"
expect_exit 0 "$WA_BIN" summary "$S" --select 'type=NoSuchType' && contains "$T/err" "matched no object" &&
  ok "summary: empty selection is not an error"
expect_exit 0 "$WA_BIN" summary "$S" --no-retained --json && json "assert not d['has_retained'] and d['rows'][0]['retained'] is None" &&
  ok "summary --no-retained"
expect_exit 2 "$WA_BIN" summary "$S" --by color && ok "summary: bad --by"

# ---- selector errors point at the column ----
expect_exit 2 "$WA_BIN" summary "$S" --select 'type=x and siez>3' && contains "$T/err" "column 12: unknown field 'siez'" &&
  contains "$T/err" "           ^" && ok "selector error column and caret"
expect_exit 2 "$WA_BIN" paths "$S" --select '(type=x' && contains "$T/err" "column 8" && ok "selector: missing paren"

# ---- paths ----
expect_exit 0 "$WA_BIN" paths "$S" --select ConversationTranscriber &&
  contains "$T/out" "2 ConversationTranscriber (8.12 KiB retained) via sys.modules['app.stt'] .__dict__['_sessions'] [*] .transcriber" &&
  contains "$T/out" "1 ConversationTranscriber (4.06 KiB retained) via <external: excess 1> .__self__" &&
  ok "paths: clusters read like the story"
expect_exit 0 "$WA_BIN" paths "$S" --select ConversationTranscriber --json && json "
c=d['clusters']
assert d['mode']=='clusters' and d['selected']==3 and len(c)==2
assert c[0]['count']==2 and c[0]['retained']==8320 and c[0]['root']['kind']=='module'
assert [h['label'] for h in c[0]['hops']]==['.__dict__',\"['_sessions']\",'[*]','.transcriber']
assert c[0]['hops'][2]['abstracted'] and not c[0]['hops'][1]['abstracted']
assert c[1]['root']['kind']=='external' and c[1]['root']['excess']==1
assert c[0]['members']==['0x210','0x220']
" && ok "paths --json clusters"
expect_exit 0 "$WA_BIN" paths "$S" --select 'type=Orphan' && contains "$T/out" "unreachable: no root reaches them" &&
  ok "paths: unreachable group"
expect_exit 0 "$WA_BIN" paths "$S" --select 'addr=0x220' --each && contains "$T/out" "['sess-1002']" &&
  contains "$T/out" ".transcriber" && ok "paths --each"
expect_exit 0 "$WA_BIN" paths "$S" --select 'addr=0x200' -k 3 --json && json "
p=d['objects'][0]['paths']
assert len(p)==2 and p[0]['root']['kind']=='external' and p[1]['root']['kind']=='module'
assert [h['label'] for h in p[1]['hops']][1:]==['.__dict__',\"['_sessions']\",\"['sess-1000']\",'.transcriber']
" && ok "paths -k through distinct roots"
expect_exit 0 "$WA_BIN" paths "$S" --select 'addr=0x220' --each --json && json "
assert all(h['label']!='<weak>' for h in d['objects'][0]['paths'][0]['hops'])" && ok "paths: weak edges never retain"
expect_exit 2 "$WA_BIN" paths "$S" && contains "$T/err" "--select" && ok "paths: --select required"
expect_exit 0 "$WA_BIN" paths "$S" --select 'type=Nope' --json && json "assert d['clusters']==[] and d['selected']==0" &&
  ok "paths: empty selection"

# ---- retainers ----
expect_exit 0 "$WA_BIN" retainers "$S" --select addr=0x200 && contains "$T/out" "├─ .transcriber ← 0x100 app.stt.Session" &&
  contains "$T/out" "└─ .__self__ ← 0x500 method  [root <external: excess 1>]" && ok "retainers tree"
expect_exit 0 "$WA_BIN" retainers "$S" --select addr=0x700 && contains "$T/out" "(cycle)" && ok "retainers: cycle marked"
expect_exit 0 "$WA_BIN" retainers "$S" --select addr=0x300 --max-referrers 2 --depth 1 && contains "$T/out" "3 more referrers" &&
  ok "retainers: fan-in cut"
expect_exit 0 "$WA_BIN" retainers "$S" --select addr=0x220 --json && json "
o=d['objects'][0]
labels=sorted(r['label'] for r in o['referrers'])
assert labels==['.transcriber','<weak>'], labels
" && ok "retainers --json (weak referrers listed)"

# ---- dominators ----
expect_exit 0 "$WA_BIN" dominators "$S" && contains "$T/out" "0x10 module 'app.stt'" && ok "dominators top"
expect_exit 0 "$WA_BIN" dominators "$S" --select addr=0x210 --json && json "
o=d['objects'][0]
assert [x['addr'] for x in o['dominators']]==['0x110','0x30','0x20','0x10']
assert [x['addr'] for x in o['children']]==['0x410'] and o['children_total']==1
" && ok "dominators --select chain and children"
expect_exit 0 "$WA_BIN" dominators "$S" --tree --json && json "
t={x['addr']:x for x in d['tree']}
assert t['0x10']['idom']=='root' and t['0x700']['idom'] is None and t['0x410']['idom']=='0x210'
assert t['0x300']['idom']=='root' and t['0x210']['retained']==4160
" && ok "dominators --tree"

# ---- diff ----
expect_exit 0 "$WA_BIN" diff "$F/grow1.jsonl" "$F/grow2.jsonl" && contains "$T/out" "(address, type) at best" &&
  contains "$T/out" "+12" && ok "diff two"
expect_exit 0 "$WA_BIN" diff "$F/grow1.jsonl" "$F/grow2.jsonl" "$F/grow3.jsonl" --json && json "
r={x['type']:x for x in d['rows']}
t=r['app.stt.ConversationTranscriber']
assert t['count']==[2,14,26] and t['dcount']==24
assert d['identity']=='address+type'
s=d['survivors']
assert s['count']==36 and s['clusters'][0]['path'].startswith(\"sys.modules['app.stt'] .__dict__['_sessions'] [*]\")
" && ok "diff three: survivors clustered"
expect_exit 0 "$WA_BIN" diff "$F/grow1.jsonl" "$F/grow2.jsonl" --select 'type=Session' --json && json "
assert [x['type'] for x in d['rows']]==['app.stt.Session']" && ok "diff --select"
expect_exit 0 "$WA_BIN" diff "$S" "$S" && contains "$T/out" "no type changed" && ok "diff: nothing changed"
expect_exit 2 "$WA_BIN" diff "$S" && ok "diff: needs two snapshots"
expect_exit 2 "$WA_BIN" diff "$S" "$S" --select 'retained>1' && ok "diff: no retained selectors"

# ---- suspects ----
expect_exit 0 "$WA_BIN" suspects "$F/grow3.jsonl" --baseline "$F/grow1.jsonl" --json && json "
k=[s['kind'] for s in d['suspects']]
assert k[0]=='accumulation' and 'growth' in k
a=d['suspects'][0]
assert a['accumulation']['addr']=='0x30' and a['type']=='app.stt.Session' and a['count']==26
g=[s for s in d['suspects'] if s['kind']=='growth' and s['type']=='app.stt.ConversationTranscriber'][0]
assert g['count']==26 and g['baseline_count']==2
" && ok "suspects with a baseline"
expect_exit 0 "$WA_BIN" suspects "$S" --threshold 0.9 --external-share 0.9 && contains "$T/out" "no suspects" &&
  ok "suspects: none is not an error"
expect_exit 2 "$WA_BIN" suspects "$S" --threshold 3 && ok "suspects: bad threshold"

# ---- common ----
for c in summary paths retainers dominators diff suspects; do
  expect_exit 0 "$WA_BIN" "$c" --help && contains "$T/out" "usage: whyalive $c" || true
done
ok "--help for every analysis command"
expect_exit 2 "$WA_BIN" summary "$T/missing.jsonl" && ok "missing file: exit 2"
finish
