#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this):
#  1. install missing Debian packages (scripts/setup.sh), fetch CPython 3.14
#     and 3.15 (scripts/get-pythons.sh) and their test venvs from PyPI
#     (scripts/get-venvs.sh), and a venv with the real Azure Speech SDK
#     (scripts/get-azure-venv.sh), into a cache outside the tree; a version that
#     cannot be fetched is skipped (a "skipped:" line here, a skipped test in
#     ctest), never a failure,
#  2. build with warnings as errors and run every suite through ctest
#     (C unit, CLI, Python dumper/API/example under every interpreter found,
#     short fuzz runs),
#  3. build again with ASan+UBSan and run the whole suite once more.
# Set WA_TEST_SKIP_ASAN=1 to skip step 3 locally.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
scripts/get-pythons.sh
scripts/get-venvs.sh
scripts/get-azure-venv.sh   # the real Azure Speech SDK for the example (issue 13)
scripts/get-peers-venv.sh   # objgraph, pympler, guppy3: the cross-check tests (issue 13)
jobs=$(nproc 2>/dev/null || echo 2)

echo "== build (warnings are errors) =="
scripts/build.sh "$root/build-test" -DWA_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "== ctest =="
ctest --test-dir "$root/build-test" --output-on-failure -j"$jobs"

if [ "${WA_TEST_SKIP_ASAN:-0}" != 1 ]; then
  echo "== build (ASan + UBSan) =="
  scripts/build.sh "$root/build-asan" -DWA_WERROR=ON -DWA_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  echo "== ctest (ASan + UBSan) =="
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$root/build-asan" --output-on-failure -j"$jobs" -LE nosan
fi
echo "== all tests passed =="
