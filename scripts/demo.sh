#!/usr/bin/env bash
# The main job on the bundled example. Usage: scripts/demo.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
wa="$build/whyalive"
snap="$root/examples/snapshots/stt-leak.jsonl"
echo "== whyalive info $snap =="
"$wa" info "$snap"
