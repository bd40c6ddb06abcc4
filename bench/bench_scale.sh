#!/usr/bin/env bash
# Row "scale" (not in the default set: about 7 GB of disk and 10 GB of memory;
# issue 15): a WA_SCALE_OBJECTS-object synthetic snapshot (default 100M,
# about 3 references each) written by wa_gen, then analysed all-in by
# wa_anabench (load, dominators + retained sizes, type summary) with its peak
# memory per object. Needs WA_BUILD (bench/run.sh sets it).
set -euo pipefail
: "${WA_BUILD:?WA_BUILD must point at a build tree}"
n=${WA_SCALE_OBJECTS:-100000000}
dir=${WA_SCALE_DIR:-/var/tmp}
snap=$dir/whyalive-scale-$n.wa
trap 'rm -f "$snap"' EXIT
t0=$(date +%s.%N)
"$WA_BUILD/bench/wa_gen" "$n" "$snap" >&2
t1=$(date +%s.%N)
out=$(/usr/bin/time -f "maxrss_kb %M" "$WA_BUILD/bench/wa_anabench" "$snap" 2>&1)
val() { echo "$out" | sed -n "s/^$1 //p"; }
echo "Snapshot: \`wa_gen $n\` ($(val objects) objects, $(val edges) edges, $(($(stat -c %s "$snap") / 1048576)) MiB \`.wa\`, written in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s), analysed by \`wa_anabench\`:"
echo
echo "| measure | value |"
echo "|---|---:|"
echo "| read the file into huge-page memory | $(val read_hugepages_s) s |"
echo "| load | $(val load_s) s |"
echo "| dominators + retained sizes | $(val dom_retained_s) s |"
echo "| type summary | $(val summary_s) s |"
echo "| all-in (wall) | $(val total_s) s |"
echo "| all-in (CPU) | $(val total_cpu_s) s |"
echo "| peak RSS per object (all-in) | $(val peak_rss_all_per_object) B |"
echo "| max RSS | $(($(val maxrss_kb) / 1024)) MiB |"
