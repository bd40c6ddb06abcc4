#!/usr/bin/env bash
# Reformat every C file of the tree with clang-format (Debian: apt install
# clang-format). The root .clang-format is the house style; src/python,
# src/dumper and src/live keep PEP 7 through their own .clang-format.
#   scripts/format.sh          rewrite in place
#   scripts/format.sh --check  list the files that would change (exit 1 if any)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format: clang-format is not installed (apt install clang-format)" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.c' '*.h')
if [ "${1:-}" = --check ]; then
  bad=0
  for f in "${files[@]}"; do
    clang-format "$f" | cmp -s - "$f" || { echo "$f"; bad=1; }
  done
  exit $bad
fi
clang-format -i "${files[@]}"
