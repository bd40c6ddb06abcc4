#!/usr/bin/env bash
# A venv with the peers objgraph, pympler and guppy3 (bench/requirements-peers.txt,
# pinned) for the peers benchmark (bench/run.sh peers) and the cross-check
# tests (tests/python/peers_crosscheck.py). Built from Debian's python3 with
# --system-site-packages (pytest comes from Debian, scripts/setup.sh),
# outside the tree:
#   ${WA_PYTHONS_CACHE:-~/.cache/whyalive/pythons}/peers-venv
# Idempotent (a .ready stamp naming the requirements' hash). When PyPI or the
# peers cannot be had, it says why in <cache>/skipped-peers (the test then shows
# as skipped with that reason) and exits 0: never a failure of scripts/test.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
cache=${WA_PYTHONS_CACHE:-$home/.cache/whyalive/pythons}
venv=$cache/peers-venv
req=$root/bench/requirements-peers.txt
mkdir -p "$cache"
stamp=$(sha256sum "$req" | cut -c1-16)
if [ -f "$venv/.ready" ] && [ "$(cat "$venv/.ready")" = "$stamp" ]; then
  echo "peers venv: ready ($venv)"
  exit 0
fi
skip() { echo "$*" >"$cache/skipped-peers"; echo "skipped: peers venv: $*"; exit 0; }
rm -rf "$venv" "$cache/skipped-peers"
/usr/bin/python3 -m venv --system-site-packages "$venv" 2>"$cache/peers-venv.log" ||
  skip "python3 -m venv failed: $(tail -1 "$cache/peers-venv.log")"
"$venv/bin/python" -m pip install -q -r "$req" >>"$cache/peers-venv.log" 2>&1 ||
  skip "pip install -r bench/requirements-peers.txt failed: $(grep -v '^WARNING' "$cache/peers-venv.log" | tail -1)"
# The three must import (guppy3 is a C extension).
"$venv/bin/python" -c 'import objgraph, pympler.muppy, guppy' \
  >>"$cache/peers-venv.log" 2>&1 ||
  skip "the peers do not import: $(tail -1 "$cache/peers-venv.log")"
echo "$stamp" >"$venv/.ready"
echo "peers venv: ready ($venv)"
