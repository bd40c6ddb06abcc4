#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the main
# job on the bundled example (scripts/demo.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
echo "== build =="
scripts/build.sh "$root/build"
exec scripts/demo.sh "$root/build"
