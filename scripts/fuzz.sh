#!/usr/bin/env bash
# libFuzzer sessions for every tests/fuzz/fuzz_*.c target.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      (default 300 s, all targets)
#   scripts/fuzz.sh --runs N [--keep] [TARGET...]
#                                              a campaign of N executions per
#                                              target; --keep merges what
#                                              grew the coverage into the
#                                              tree's campaign corpus
#                                              (tests/fuzz/campaign/<name>/)
# Seeds: tests/fuzz/corpus/<name>/ (small: ctest replays it with mutations
# in every build) and tests/fuzz/campaign/<name>/ (what earlier campaigns
# found; fuzz.sh only).
# Builds with clang into build-fuzz/ (WA_FUZZ=ON: libFuzzer + ASan + UBSan),
# grows a working corpus in build-fuzz/corpus-<name>/ seeded from
# tests/fuzz/corpus/<name>/, and prints each target's execution count.
# A crash leaves crash-* in build-fuzz/; add it to the seed corpus and a
# regression test once fixed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
secs=300 runs= keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    [0-9]*) secs=$1; shift ;;
    *) break ;;
  esac
done
limit=(-max_total_time="$secs")
[ -n "$runs" ] && limit=(-runs="$runs")
# Inputs up to 8 KiB: larger ones add no coverage to these parsers and slow
# every execution down.
max_len=${WA_FUZZ_MAX_LEN:-8192}
build=${WA_FUZZ_BUILD:-$here/build-fuzz}
CC=${CC:-clang} cmake -S "$here" -B "$build" -DWA_FUZZ=ON -DWA_PYTHON=OFF -DWA_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target wa_fuzzers -j"$(nproc)"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$here"/tests/fuzz/fuzz_*.c; do t=$(basename "$f" .c); targets+=("${t#fuzz_}"); done
fi
status=0
for t in "${targets[@]}"; do
  work="$build/corpus-$t"
  mkdir -p "$work"
  echo "== fuzz_$t: ${limit[*]}"
  t0=$(date +%s)
  mkdir -p "$here/tests/fuzz/campaign/$t"
  (cd "$build" && "$build/tests/fuzz/fuzz_$t" "${limit[@]}" -max_len="$max_len" -timeout=${WA_FUZZ_TIMEOUT:-60} \
      -rss_limit_mb=2048 -print_final_stats=1 "$work" "$here/tests/fuzz/corpus/$t" \
      "$here/tests/fuzz/campaign/$t" 2>&1 |
      tee "$build/fuzz_$t.log" |
      grep -E "stat::number_of_executed_units|ERROR|SUMMARY|crash-" || true)
  echo "   $(($(date +%s) - t0)) s"
  if grep -q "ERROR: " "$build/fuzz_$t.log"; then status=1; fi
  if [ "$keep" = 1 ] && [ "$status" = 0 ]; then
    # Only inputs that add coverage join the tree's corpus.
    "$build/tests/fuzz/fuzz_$t" -merge=1 -max_len="$max_len" "$here/tests/fuzz/campaign/$t" \
      "$here/tests/fuzz/corpus/$t" "$work" >"$build/merge_$t.log" 2>&1
    echo "   corpus: $(ls "$here/tests/fuzz/campaign/$t" | wc -l) files in tests/fuzz/campaign/$t"
  fi
done
exit $status
