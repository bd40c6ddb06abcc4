#!/usr/bin/env bash
# Before/after on one machine, in one run: builds a baseline revision of the
# tree (a git worktree under build-baseline/, Release) next to the working
# tree (build-bench/, Release), then alternates the two ROUNDS times on the
# same inputs and prints the median of each and their ratio (new / old;
# below 1 is faster). CPU times are the steadier figure on a shared machine.
#
#   bench/compare.sh REV [ROUNDS]       e.g. bench/compare.sh main~5 5
#   WA_COMPARE_SIZES="10" WA_COMPARE_ANALYSIS_ONLY=1 bench/compare.sh 499fb36
#     (snapshot sizes in millions of objects, default "1 2"; ANALYSIS_ONLY
#     skips the paths and dump rows)
#
# Measured: analysis (wa_anabench on a 1M- and a 2M-object synthetic
# snapshot: load, dominators + retained, summary, all-in CPU), clustered paths
# for 250k instances (the story graph), and whyalive.dump of a 250k-instance
# heap to .wa and .jsonl under Debian's Python (bench/bench_dump.py).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:?usage: bench/compare.sh REV [ROUNDS]}
rounds=${2:-3}
cd "$root"
new=$root/build-bench
base=$("$root/bench/baseline.sh" "$rev")
"$root/scripts/build.sh" "$new" -DCMAKE_BUILD_TYPE=Release -DWA_TESTS=OFF >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sizes=${WA_COMPARE_SIZES:-"1 2"} # millions of objects
for m in $sizes; do "$new/bench/wa_gen" "${m}000000" "$work/g${m}m.wa" >/dev/null; done

val() { sed -n "s/^$1 //p" "$2"; }
declare -A samples
add() { samples[$1]="${samples[$1]:-} $2"; }
run_side() { # side build
  local side=$1 b=$2 r=$work/out
  for m in $sizes; do
    g=${m}m
    "$b/bench/wa_anabench" "$work/g$g.wa" >"$r"
    add "$side load $g (s)" "$(val load_s "$r")"
    add "$side dominators+retained $g (s)" "$(val dom_retained_s "$r")"
    add "$side all-in $g (s)" "$(val total_s "$r")"
    add "$side all-in CPU $g (s)" "$(val total_cpu_s "$r")"
  done
  [ -z "${WA_COMPARE_ANALYSIS_ONLY:-}" ] || return 0
  "$b/bench/wa_anabench" --story 250000 >"$r"
  add "$side paths 250k clustered (s)" "$(val story_paths_clustered_s "$r")"
  PYTHONPATH=$b/python /usr/bin/python3 "$root/bench/bench_dump.py" --instances 250000 \
    --ballast-mb 0 >"$r" 2>/dev/null || true
  add "$side dump .wa (s)" "$(sed -n 's/^whyalive.dump .wa *:.*edges, \([0-9.]*\) s.*/\1/p' "$r")"
  add "$side dump .jsonl (s)" "$(sed -n 's/^whyalive.dump .jsonl:.*edges, \([0-9.]*\) s.*/\1/p' "$r")"
}
for i in $(seq "$rounds"); do
  echo "bench/compare: round $i of $rounds" >&2
  run_side old "$base"
  run_side new "$new"
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print "n/a"}'; }
echo "| measure | baseline ($rev) | this tree | new/old |"
echo "|---|---:|---:|---:|"
keys=()
for m in $sizes; do
  keys+=("load ${m}m (s)" "dominators+retained ${m}m (s)" "all-in ${m}m (s)" "all-in CPU ${m}m (s)")
done
[ -n "${WA_COMPARE_ANALYSIS_ONLY:-}" ] ||
  keys+=("paths 250k clustered (s)" "dump .wa (s)" "dump .jsonl (s)")
for key in "${keys[@]}"; do
  o=$(echo "${samples[old $key]:-}" | median)
  n=$(echo "${samples[new $key]:-}" | median)
  ratio=$(awk -v o="$o" -v n="$n" 'BEGIN { if (o + 0 > 0 && n + 0 > 0) printf "%.2f", n / o; else print "n/a" }')
  echo "| $key | $o | $n | $ratio |"
done
echo
echo "Medians of $rounds alternating rounds (baseline, then this tree, each round)."
