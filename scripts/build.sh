#!/usr/bin/env bash
# Configure and build one build tree. Usage: scripts/build.sh [BUILD_DIR] [cmake args...]
# Default BUILD_DIR is build/. Python is Debian's /usr/bin/python3 (its
# packages are the ones the tests import).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build}
shift || true
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$root" -B "$dir" -DPython3_EXECUTABLE=/usr/bin/python3 "$@" >/dev/null
cmake --build "$dir" -j"$jobs"
