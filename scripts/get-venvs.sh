#!/usr/bin/env bash
# Test venvs for the interpreters scripts/get-pythons.sh fetched (default:
# 3.14 and 3.15): $CACHE/3.X/venv with the pinned PyPI packages of
# tests/python/requirements-venv.txt (wheels only, nothing compiled), so the
# pytest suites (offline API, live helpers, Prometheus, the example service
# end to end) run under those versions as they do under Debian's 3.11.
# Idempotent: a venv whose stamp names this requirements file and this
# interpreter, and which imports the packages, is left alone (no network).
#
#   scripts/get-venvs.sh [3.14 3.15 ...]
#
# Environment: WA_PYTHONS_CACHE and WA_PYTHONS as for get-pythons.sh;
# pip's own settings (index, proxy) apply. pip's download cache is
# $CACHE/.pip (outside the source tree).
#
# Prints one line per version: "venv3.X ready: PATH" or "venv3.X skipped:
# REASON", naming the packages that did not install; the reason is also kept
# in $CACHE/skipped-venv3.X for the build (tests/python/CMakeLists.txt
# registers a skipped test that shows it). A version that cannot be set up is
# skipped, never an error: exit status 0 unless the arguments are wrong.
set -uo pipefail

say() { echo "get-venvs: $*"; }

root=$(cd "$(dirname "$0")/.." && pwd)
REQ=$root/tests/python/requirements-venv.txt
IMPORTS="pytest, fastapi, uvicorn, httpx, objgraph, networkx, psutil, prometheus_client"
# shellcheck source=scripts/pythons-cache.sh
. "$(dirname "$0")/pythons-cache.sh"
[ -f "$REQ" ] || { echo "get-venvs: $REQ is missing" >&2; exit 2; }
mkdir -p "$CACHE" 2>/dev/null || { for v in "${VERSIONS[@]}"; do say "venv$v skipped: cannot create $CACHE"; done; exit 0; }
exec 8>"$CACHE/.venv-lock"
flock -w 900 8 || { for v in "${VERSIONS[@]}"; do say "venv$v skipped: another get-venvs.sh holds $CACHE/.venv-lock"; done; exit 0; }

skipped() { # version, reason
  echo "$2" >"$CACHE/skipped-venv$1"
  say "venv$1 skipped: $2"
}

# The requirement lines (name==version), comments and blanks left out.
reqs() { sed -e 's/#.*//' -e 's/[[:space:]]//g' "$REQ" | grep -v '^$'; }

setup() { # version -> 0, or 1 with the reason on stdout
  local v=$1 py=$CACHE/$1/bin/python$1 venv=$CACHE/$1/venv want log failed r
  if ! "$py" -c 'import sys' </dev/null >/dev/null 2>&1; then
    echo "python$v is not fetched (scripts/get-pythons.sh $v)"
    return 1
  fi
  want="$(sha256sum "$REQ" | cut -c1-16) $("$py" -c 'import platform; print(platform.python_version())' </dev/null)"
  if [ -f "$venv/.ready" ] && [ "$(cat "$venv/.ready")" = "$want" ] &&
    "$venv/bin/python" -c "import $IMPORTS" </dev/null >/dev/null 2>&1; then
    return 0
  fi
  log=$CACHE/$v/venv.log
  rm -rf "$venv"
  if ! "$py" -m venv "$venv" </dev/null >"$log" 2>&1; then
    rm -rf "$venv"
    echo "python$v -m venv failed (see $log)"
    return 1
  fi
  export PIP_CACHE_DIR=$CACHE/.pip PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
  if ! "$venv/bin/python" -m pip install --no-deps --only-binary=:all: -r "$REQ" \
    </dev/null >>"$log" 2>&1; then
    # which of them: one at a time
    failed=""
    for r in $(reqs); do
      "$venv/bin/python" -m pip install --no-deps --only-binary=:all: "$r" </dev/null >>"$log" 2>&1 ||
        failed+=" $r"
    done
    rm -rf "$venv"
    echo "packages that did not install from PyPI for python$v:${failed:- (none alone; see $log)} (see $log)"
    return 1
  fi
  if ! "$venv/bin/python" -m pip check </dev/null >>"$log" 2>&1 ||
    ! "$venv/bin/python" -c "import $IMPORTS" </dev/null >>"$log" 2>&1; then
    rm -rf "$venv"
    echo "the installed packages do not import or do not fit together (see $log)"
    return 1
  fi
  echo "$want" >"$venv/.ready"
}

for v in "${VERSIONS[@]}"; do
  if why=$(setup "$v"); then
    rm -f "$CACHE/skipped-venv$v"
    say "venv$v ready: $CACHE/$v/venv/bin/python"
  else
    skipped "$v" "${why:-failed}"
  fi
done
exit 0
