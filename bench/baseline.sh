#!/usr/bin/env bash
# Build a baseline revision of the tree for before/after rows: a detached git
# worktree at build-baseline/src checked out at REV, built (Release, no
# tests) into build-baseline/build. Prints the build directory.
#   bench/baseline.sh REV
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:?usage: bench/baseline.sh REV}
base_src=$root/build-baseline/src
base=$root/build-baseline/build
sha=$(git -C "$root" rev-parse --verify "$rev^{commit}")
if [ -d "$base_src" ]; then
  git -C "$base_src" checkout -q --detach "$sha"
else
  mkdir -p "$root/build-baseline"
  git -C "$root" worktree add -q --detach "$base_src" "$sha"
fi
echo "bench: baseline $rev = $(git -C "$root" log -1 --format='%h %s' "$sha" | cut -c1-72)" >&2
cmake -S "$base_src" -B "$base" -DCMAKE_BUILD_TYPE=Release -DWA_TESTS=OFF \
  -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build "$base" -j"$(nproc)" >/dev/null
echo "$base"
