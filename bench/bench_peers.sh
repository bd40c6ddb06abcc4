#!/usr/bin/env bash
# The peers row (bench/run.sh peers): guppy3, pympler and objgraph against
# whyalive on one service-like heap of about 2.3M objects (250k handlers), each
# tool in a fresh process on the same heap (bench/bench_peers.py). The peers
# come pinned from bench/requirements-peers.txt, in the venv that
# scripts/get-peers-venv.sh makes. WA_HANDLERS changes the heap's size.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/get-peers-venv.sh" >&2
home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
venv=${WA_PYTHONS_CACHE:-$home/.cache/whyalive/pythons}/peers-venv
[ -f "$venv/.ready" ] || { echo "bench peers: no peers venv ($(cat "${venv%/*}/skipped-peers" 2>/dev/null))" >&2; exit 1; }
echo "Peers: $("$venv/bin/python" -m pip freeze 2>/dev/null | grep -iE '^(objgraph|pympler|guppy3)==' | tr '\n' ' ')(bench/requirements-peers.txt)."
echo
nice -n 10 "$venv/bin/python" "$root/bench/bench_peers.py" all --handlers "${WA_HANDLERS:-250000}"
