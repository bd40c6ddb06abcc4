#!/usr/bin/env bash
# The benchmark harness: builds an optimized tree (build-bench/) and runs every
# row, writing bench/RESULTS.md with the machine, the commands and the date.
# Usage: bench/run.sh [ROW...]   rows: formats analysis dump graph pyapi peers field attach report index compress
#                                (default: all of those), and scale (only when named: 7 GB of disk, 10 GB of memory)
# Speed targets live here, not in timed tests: machines are noisy, so each row
# reports ratios against the peers measured in the same run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=$root/build-bench
scripts/build.sh "$build" -DCMAKE_BUILD_TYPE=Release -DWA_TESTS=OFF >/dev/null
export WA_BUILD=$build WA_BIN=$build/whyalive PYTHONPATH=$build/python
rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=(formats analysis dump graph pyapi peers field attach report index compress)
mkdir -p "$root/bench/results"
machine="$(uname -srm); $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')); $(free -g | awk '/Mem:/{print $2}') GiB RAM; $(gcc --version | head -1); Python $(/usr/bin/python3 -c 'import sys;print(sys.version.split()[0])')"
for r in "${rows[@]}"; do
  case $r in
    formats|analysis|dump|graph|pyapi|peers|field|attach|report|index|compress|scale) script=bench/bench_$r.sh ;;
    *) echo "bench: unknown row '$r' (rows: formats analysis dump graph pyapi peers field attach report index compress scale)" >&2; exit 2 ;;
  esac
  [ -x "$script" ] || { echo "bench: $script is missing" >&2; exit 2; }
  tmp=$root/bench/results/$r.md.new
  {
    echo "## $r"
    echo
    echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) by \`bench/run.sh $r\` (runs \`$script\`) on: $machine."
    echo
    "$script"
    echo
  } | tee "$tmp"
  mv "$tmp" "$root/bench/results/$r.md"
done
# RESULTS.md: every row's latest measurement, each stamped with its own date.
{
  echo "# Benchmark results"
  echo
  echo "Regenerate a row with \`bench/run.sh ROW\` (rows: formats analysis dump graph pyapi peers field attach report index compress scale);"
  echo "each section says when and where it was measured. Ratios compare against peers"
  echo "measured in the same run."
  echo
  for r in formats analysis dump graph pyapi peers field attach report index compress scale; do
    [ -f "$root/bench/results/$r.md" ] && cat "$root/bench/results/$r.md"
  done
} >"$root/bench/RESULTS.md"
echo "bench: wrote bench/RESULTS.md"
