#!/usr/bin/env bash
# Install the Debian packages whyalive's build, tests and example need, only
# those missing (idempotent; no prompt, so it runs in CI with no stdin).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  libgraphviz-dev graphviz libcjson-dev
  python3 python3-dev python3-setuptools python3-pytest
  python3-fastapi python3-uvicorn python3-httpx
  python3-objgraph python3-networkx python3-psutil python3-prometheus-client
  clang libclang-rt-14-dev llvm valgrind curl hyperfine
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} Debian packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo -n"; else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
# An update only when the package lists are missing or a first install fails.
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null; then
  $SUDO apt-get update -q </dev/null
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi
