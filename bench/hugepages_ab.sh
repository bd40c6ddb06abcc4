#!/usr/bin/env bash
# Huge pages on and off with one binary (issue 15): wa_anabench (load,
# dominators + retained, summary) on each snapshot with WA_HUGEPAGES=0 and
# with the default (MADV_HUGEPAGE), alternating ROUNDS times; prints the
# medians. Wall times on a shared machine are noisy: the process CPU time
# (user + system) is the steadier figure; steal time and host-side faults
# show only in the wall time.
#   bench/hugepages_ab.sh BUILD ROUNDS SNAP...
#   e.g. bench/hugepages_ab.sh build-bench 3 field-C.wa g10m.wa (wa_gen 10000000 g10m.wa)
set -euo pipefail
build=${1:?usage: bench/hugepages_ab.sh BUILD ROUNDS SNAP...}
rounds=${2:?rounds}
shift 2
declare -A samples
for _ in $(seq "$rounds"); do
  for hp in 0 1; do
    for f in "$@"; do
      out=$(env WA_HUGEPAGES=$hp "$build/bench/wa_anabench" "$f")
      for k in load_s dom_retained_s total_s total_cpu_s; do
        samples["$hp $f $k"]="${samples["$hp $f $k"]:-} $(sed -n "s/^$k //p" <<<"$out")"
      done
    done
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "| snapshot | huge pages | load | dominators + retained | all-in (wall) | all-in (CPU) |"
echo "|---|---|---:|---:|---:|---:|"
for f in "$@"; do
  for hp in 0 1; do
    row="| $(basename "$f") | $([ $hp = 1 ] && echo "MADV_HUGEPAGE" || echo "off (WA_HUGEPAGES=0)") |"
    for k in load_s dom_retained_s total_s total_cpu_s; do
      row="$row $(echo "${samples["$hp $f $k"]}" | median) s |"
    done
    echo "$row"
  done
done
