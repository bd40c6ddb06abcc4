#!/usr/bin/env bash
# Install the Debian packages whyalive's build, tests and example need, only
# those missing (idempotent; no prompt, so it runs in CI with no stdin).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  libgraphviz-dev graphviz libcjson-dev zlib1g-dev libzstd-dev zstd
  python3 python3-dev python3-venv python3-pip python3-setuptools python3-pytest
  python3-fastapi python3-uvicorn python3-httpx
  python3-objgraph python3-networkx python3-psutil python3-prometheus-client
  clang llvm valgrind curl hyperfine
  gdb  # whyalive dump --pid attaches with it
  util-linux
  # the native core of the real Azure Speech SDK (pip extra whyalive[azure],
  # examples/README.md): GStreamer, uuid, CA certificates, plus ALSA and
  # OpenSSL 3 below, whose packages were renamed (t64) in Debian 13
  libgstreamer1.0-0 libuuid1 ca-certificates
  chromium  # the HTML report's browser test
)
# Debian 12: libasound2, libssl3; Debian 13 and later: the t64 names.
debian_major=$(cut -d. -f1 /etc/debian_version 2>/dev/null || echo 12)
case "$debian_major" in
  11|12) PACKAGES+=(libasound2 libssl3) ;;
  *) PACKAGES+=(libasound2t64 libssl3t64) ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo -n"; else SUDO="need-root"; fi
fi
export DEBIAN_FRONTEND=noninteractive
# apt-get install, with an update only when the package lists are missing or
# a first install fails.
install() {
  if [ "$SUDO" = need-root ]; then
    echo "setup: need root (or sudo) to install: $*" >&2
    exit 1
  fi
  if ! $SUDO apt-get install -y -q --no-install-recommends "$@" </dev/null; then
    $SUDO apt-get update -q </dev/null
    $SUDO apt-get install -y -q --no-install-recommends "$@" </dev/null
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} Debian packages present"
else
  echo "setup: installing ${missing[*]}"
  install "${missing[@]}"
fi

# The sanitizer and libFuzzer runtime of the clang on PATH: its major version
# differs between Debian 12 (14) and 13 (19), so it is asked for by number.
if command -v clang >/dev/null; then
  rt=libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev
  if ! dpkg-query -W -f='${Status}' "$rt" 2>/dev/null | grep -q 'install ok installed'; then
    echo "setup: installing $rt"
    install "$rt"
  fi
fi
