#!/usr/bin/env bash
# Timed libFuzzer sessions for every tests/fuzz/fuzz_*.c target.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      (default 300 s, all targets)
# Builds with clang into build-fuzz/ (WA_FUZZ=ON: libFuzzer + ASan + UBSan),
# grows a working corpus in build-fuzz/corpus-<name>/ seeded from
# tests/fuzz/corpus/<name>/, and prints each target's execution count.
# A crash leaves crash-* in build-fuzz/; add it to the seed corpus and a
# regression test once fixed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-300}
shift || true
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
  echo "== fuzz_$t for ${secs}s"
  (cd "$build" && "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 "$work" "$here/tests/fuzz/corpus/$t" 2>&1 | tee "$build/fuzz_$t.log" |
      grep -E "stat::number_of_executed_units|ERROR|SUMMARY|crash-" || true)
  if grep -q "ERROR: " "$build/fuzz_$t.log"; then status=1; fi
done
exit $status
