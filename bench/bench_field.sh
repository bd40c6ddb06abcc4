#!/usr/bin/env bash
# Row "field" of bench/run.sh (issue 15): every command on a service-like
# heap, the previous main against this tree, in the same run.
#
# bench/field_heap.py (under Debian's Python, with this tree's extension)
# builds 250k handlers, each with a transcriber, a dict, a list, a bytearray
# and a bound method held by a fake native registry, and dumps it three times
# as it grows (A 60%, B 80%, C 100%: C is about 2.3M objects). Then, for the
# baseline build (bench/baseline.sh WA_BASELINE_REV, default 499fb36, the
# main before issue 15) and this tree, alternating, WA_FIELD_ROUNDS rounds
# (default 3), the wall time of each whole command; the median is printed.
# Yardsticks: load only and load + dominators + retained, measured inside
# wa_anabench (no process start or exit: the stricter yardstick), and "read":
# reading the file from the page cache into huge-page memory (the floor a
# load can approach; only wa_anabench of this tree measures it).
# Target: every command <= 1.5x load + dominators; suspects >= 10x faster
# than the baseline. The --json output of every command is compared between
# the two builds: the analysis must not change.
# Env: WA_BUILD (this tree's build), WA_BASELINE_REV, WA_FIELD_HANDLERS, WA_FIELD_ROUNDS.
set -euo pipefail
: "${WA_BUILD:?WA_BUILD must point at a build tree}"
here=$(cd "$(dirname "$0")" && pwd)
rev=${WA_BASELINE_REV:-499fb36}
rounds=${WA_FIELD_ROUNDS:-3}
handlers=${WA_FIELD_HANDLERS:-250000}
new=$WA_BUILD
base=$("$here/baseline.sh" "$rev")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

PYTHONPATH=$new/python /usr/bin/python3 "$here/field_heap.py" "$work" --handlers "$handlers" \
  >"$work/dumps"
A=$work/field-A.wa B=$work/field-B.wa C=$work/field-C.wa
read -r _ objs edges bytes dump_s < <(grep field-C "$work/dumps")

names=(info summary paths retainers dominators "diff A B" "diff A B C" "suspects --baseline" suspects graph)
cmd_of() { # name -> arguments
  case $1 in
    info) echo "info $C" ;;
    summary) echo "summary $C" ;;
    paths) echo "paths $C --select type=Transcriber" ;;
    retainers) echo "retainers $C --select type=Transcriber" ;;
    dominators) echo "dominators $C" ;;
    "diff A B") echo "diff $A $B" ;;
    "diff A B C") echo "diff $A $B $C" ;;
    "suspects --baseline") echo "suspects $C --baseline $A" ;;
    suspects) echo "suspects $C" ;;
    graph) echo "graph $C --select type=Transcriber -o $work/graph.svg" ;;
  esac
}
declare -A samples
add() { samples[$1]="${samples[$1]:-} $2"; }
now() { date +%s.%N; }
val() { sed -n "s/^$1 //p" "$2"; }
run_side() { # side build
  local side=$1 b=$2 t0 t1 r=$work/ana
  "$b/bench/wa_anabench" "$C" >"$r"
  add "$side load" "$(val load_s "$r")"
  add "$side read" "$(val read_hugepages_s "$r")"
  add "$side load+dom" "$(awk -v a="$(val load_s "$r")" -v b="$(val dom_retained_s "$r")" \
    'BEGIN { printf "%.3f", a + b }')"
  for name in "${names[@]}"; do
    # shellcheck disable=SC2046 # the arguments are paths without spaces
    t0=$(now)
    "$b/whyalive" $(cmd_of "$name") -q >/dev/null
    t1=$(now)
    add "$side $name" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
  done
}
for i in $(seq "$rounds"); do
  echo "bench/field: round $i of $rounds" >&2
  run_side old "$base"
  run_side new "$new"
done
# Same analysis: every command's JSON (graph: the DOT), old against new.
# What the new build adds on purpose is left out of the comparison: the cut
# of paths ("cut") and of each suspect ("fix"), and graph's other holders
# and red cut (the new side draws with --no-cut) when the baseline has none.
strip_new() { # JSON on stdin -> the same without the keys the baseline lacks
  /usr/bin/python3 -c '
import json, sys
old = json.load(open(sys.argv[1]))
d = json.load(sys.stdin)
if "cut" in d and "cut" not in old:
    del d["cut"]
olds = old.get("suspects") if isinstance(old.get("suspects"), list) else []
if isinstance(d.get("suspects"), list) and not any("fix" in x for x in olds):
    for x in d["suspects"]:
        x.pop("fix", None)
json.dump(d, sys.stdout, sort_keys=True)' "$1"
}
same=0 differ=()
base_cut=0
"$base/whyalive" graph --help 2>&1 | grep -q -- --no-cut && base_cut=1
for name in "${names[@]}"; do
  args=$(cmd_of "$name")
  [ "$name" = graph ] && args="graph $C --select type=Transcriber -o $work/graph.dot"
  # shellcheck disable=SC2086
  "$base/whyalive" $args --json -q | sed "s/\"load_seconds\":[0-9.e+-]*//" >"$work/old.raw"
  if [ "$name" = graph ]; then
    cp "$work/graph.dot" "$work/old.json"
  else
    /usr/bin/python3 -c 'import json,sys; json.dump(json.load(sys.stdin), sys.stdout, sort_keys=True)' \
      <"$work/old.raw" >"$work/old.json"
  fi
  nargs=$args
  [ "$name" = graph ] && [ "$base_cut" = 0 ] && nargs="$args --no-cut"
  # shellcheck disable=SC2086
  "$new/whyalive" $nargs --json -q | sed "s/\"load_seconds\":[0-9.e+-]*//" >"$work/new.raw"
  if [ "$name" = graph ]; then
    cp "$work/graph.dot" "$work/new.json"
  else
    strip_new "$work/old.json" <"$work/new.raw" >"$work/new.json"
  fi
  if cmp -s "$work/old.json" "$work/new.json"; then same=$((same + 1)); else differ+=("$name"); fi
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print "n/a"}'; }
med() { echo "${samples[$1]:-}" | median; }
secs() { case $1 in n/a) echo "n/a" ;; *) echo "$1 s" ;; esac; }
ratio() { awk -v n="$1" -v d="$2" 'BEGIN { if (n + 0 > 0 && d + 0 > 0) printf "%.2f", n / d; else print "n/a" }'; }
yo=$(med "old load+dom") yn=$(med "new load+dom")
echo "Heap: $objs objects, $edges edges, a $((bytes / 1048576)) MiB \`.wa\` (C; A and B are the same program"
echo "at 60% and 80%), dumped in $dump_s s. Baseline: $rev (\`bench/baseline.sh\`). Median of $rounds"
echo "alternating rounds, whole-command wall times (\`-q\`, output to /dev/null). Rows in"
echo "italics are measured inside wa_anabench: *read* = the .wa file from the page cache into"
echo "huge-page memory, *load* = wa_snapshot_load, *load+dom* = that + dominators + retained sizes."
echo
echo "| command | baseline $rev | this tree | new/old | baseline / its load+dom | this tree / its load+dom |"
echo "|---|---:|---:|---:|---:|---:|"
for key in read load load+dom; do
  o=$(med "old $key") n=$(med "new $key")
  echo "| *$key (in process)* | $(secs "$o") | $(secs "$n") | $(ratio "$n" "$o") | $(ratio "$o" "$yo") | $(ratio "$n" "$yn") |"
done
for name in "${names[@]}"; do
  o=$(med "old $name") n=$(med "new $name")
  echo "| \`$name\` | $(secs "$o") | $(secs "$n") | $(ratio "$n" "$o") | $(ratio "$o" "$yo") | $(ratio "$n" "$yn") |"
done
echo
if [ ${#differ[@]} -eq 0 ]; then
  echo "Output: the --json of all $same commands (graph: the DOT; info: without its load_seconds) is the same in the two builds"
  echo "(keys sorted; what the new build adds on purpose left out: paths' \"cut\", each suspect's \"fix\", graph drawn with --no-cut when the baseline has no cut)."
else
  echo "Output: **differs** from the baseline for: ${differ[*]} ($same identical)."
fi
