#!/usr/bin/env bash
# A venv with the real Azure Speech SDK (examples/requirements-azure.txt,
# pinned) for the example service's STT_SDK=azure route and its end-to-end
# test (tests/python/azure_example_e2e.py). Built from Debian's python3 with
# --system-site-packages (fastapi, uvicorn, httpx, psutil, pytest come from
# Debian, scripts/setup.sh), outside the tree:
#   ${WA_PYTHONS_CACHE:-~/.cache/whyalive/pythons}/azure-venv
# Idempotent (a .ready stamp naming the requirements' hash). When PyPI or the
# SDK cannot be had, it says why in <cache>/skipped-azure (the test then shows
# as skipped with that reason) and exits 0: never a failure of scripts/test.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
cache=${WA_PYTHONS_CACHE:-$home/.cache/whyalive/pythons}
venv=$cache/azure-venv
req=$root/examples/requirements-azure.txt
mkdir -p "$cache"
stamp=$(sha256sum "$req" | cut -c1-16)
if [ -f "$venv/.ready" ] && [ "$(cat "$venv/.ready")" = "$stamp" ]; then
  echo "azure venv: ready ($venv)"
  exit 0
fi
skip() { echo "$*" >"$cache/skipped-azure"; echo "skipped: azure venv: $*"; exit 0; }
rm -rf "$venv" "$cache/skipped-azure"
/usr/bin/python3 -m venv --system-site-packages "$venv" 2>"$cache/azure-venv.log" ||
  skip "python3 -m venv failed: $(tail -1 "$cache/azure-venv.log")"
"$venv/bin/python" -m pip install -q -r "$req" >>"$cache/azure-venv.log" 2>&1 ||
  skip "pip install -r examples/requirements-azure.txt failed: $(grep -v '^WARNING' "$cache/azure-venv.log" | tail -1)"
# The SDK's native core must load (scripts/setup.sh installs its libraries).
"$venv/bin/python" -c 'import azure.cognitiveservices.speech as s; s.SpeechConfig(subscription="0" * 32, region="westeurope")' \
  >>"$cache/azure-venv.log" 2>&1 ||
  skip "the Azure Speech SDK does not load: $(tail -1 "$cache/azure-venv.log")"
echo "$stamp" >"$venv/.ready"
echo "azure venv: ready ($venv)"
