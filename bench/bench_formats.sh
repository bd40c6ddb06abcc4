#!/usr/bin/env bash
# Row "formats" of bench/run.sh (issue 2): load time, objects/s, peak RSS and
# bytes per object of synthetic heap-shaped snapshots (wa_gen: mostly local
# edges, some hubs, ~3 edges per object) in both formats, at 1M and 10M
# objects. Targets: binary >= 10M objects/s, JSON Lines >= 1M objects/s,
# <= 48 B/object + 12 B/edge in memory. Env: WA_BUILD (set by bench/run.sh);
# WA_BENCH_SIZES overrides the sizes (default "1000000 10000000").
set -euo pipefail
: "${WA_BUILD:?WA_BUILD must point at a build tree}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| snapshot | file | best load of 3 | objects/s | peak RSS | in memory per object |"
echo "|---|---:|---:|---:|---:|---:|"
for n in ${WA_BENCH_SIZES:-1000000 10000000}; do
  for ext in wa jsonl; do
    f=$work/g$n.$ext
    "$WA_BUILD/bench/wa_gen" "$n" "$f" >/dev/null
    /usr/bin/time -f 'RSS %M' "$WA_BUILD/bench/wa_loadbench" "$f" 3 >"$work/out" 2>"$work/time"
    secs=$(awk '/^load /{print $2}' "$work/out")
    rate=$(awk '/^rate /{print $2 " M"}' "$work/out")
    bpo=$(awk '/^per object /{print $3 " B (+12 B/edge)"}' "$work/out")
    rss=$(awk '/RSS/{printf "%.0f MB", $2/1024}' "$work/time")
    size=$(du -h "$f" | cut -f1)
    echo "| $n objects, $ext | $size | ${secs:-?} s | ${rate:-?} | $rss | ${bpo:-?} |"
    rm -f "$f"
  done
done
