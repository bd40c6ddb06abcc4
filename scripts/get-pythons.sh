#!/usr/bin/env bash
# Fetch Debian unstable's CPython builds that this host's Debian does not ship
# (default: 3.14 and 3.15) into a cache outside the source tree, so the tests
# can build the extension for them and run them. Idempotent: a version that is
# already in the cache is checked (one quick run of it) and left alone, with
# no network access.
#
#   scripts/get-pythons.sh [3.14 3.15 ...]
#
# Environment:
#   WA_PYTHONS_CACHE    cache folder (default: ~/.cache/whyalive/pythons)
#   WA_PYTHONS          versions when none are given (default: "3.14 3.15")
#   WA_PYTHONS_MIRROR   Debian archive URI (default: the first Debian archive
#                       in this host's own apt sources)
#   WA_PYTHONS_REFRESH  1: fetch again even if the cache is complete
#
# How: a private apt state (its own sources list naming the unstable suite,
# its own lists and cache, an empty dpkg status) under $CACHE/.apt; the
# system's apt sources, lists and dpkg database are never read or written.
# `apt-get download` fetches the interpreter, its -dev and -venv packages and
# the runtime libraries they depend on (their own libc and loader included:
# they need a newer glibc than Debian 12 has), `dpkg -x` unpacks them into
# $CACHE/3.X/root, and nothing is installed. The interpreter runs through the
# loader it came with:
#
#   $CACHE/3.X/bin/python3.X            -> ../root/usr/bin/python3.X
#   $CACHE/3.X/root/usr/bin/python3.X   a sh script running
#       root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 \
#           --library-path root/usr/lib/x86_64-linux-gnu --argv0 "$0" \
#           root/usr/bin/python3.X.elf "$@"
#
# --argv0 gives Python the script's path as sys.executable, from which it
# finds its prefix (no PYTHONHOME needed), and which is itself runnable: so
# subprocesses of sys.executable, venvs (their bin/python is a symlink to the
# script) and pip work. The include dir is self-contained (Debian's multiarch
# pyconfig.h shim is replaced by the real header) and sysconfig's
# WHEEL_PKG_DIR points into the prefix, so ensurepip uses the fetched wheels,
# not the host's. $CACHE/3.X/build.env records the paths, flags and
# EXT_SUFFIX for a build (a C extension is compiled with the host's gcc
# against $CACHE/3.X/root/usr/include/python3.X; it needs no link to the
# fetched libc).
#
# Prints one line per version: "ready: PATH" or "skipped: REASON" (the reason
# is also kept in $CACHE/skipped-python3.X, which the build shows as a skipped
# test). A version that cannot be fetched is skipped, never an error: exit
# status 0 unless the arguments are wrong. Runs as root or as a user, with no
# stdin (CI=true).
set -uo pipefail

RECIPE=1 # bump when the layout of a prepared version changes
ARCH_TRIPLET=x86_64-linux-gnu
SUITE=sid

say() { echo "get-pythons: $*"; }
# "python3.X skipped: REASON", kept for the build (when the cache exists)
skipped() {
  [ -d "$CACHE" ] && echo "$2" >"$CACHE/skipped-python$1"
  say "python$1 skipped: $2"
}

# shellcheck source=scripts/pythons-cache.sh
. "$(dirname "$0")/pythons-cache.sh"

# Give up on every version still to do; a refresh that fails keeps the
# earlier copy.
skip_all() {
  for v in "${todo[@]}"; do
    if stamp_ok "$v"; then
      say "note: python$v not refreshed: $1"
      report_ready "$v"
    else
      skipped "$v" "$1"
    fi
  done
  exit 0
}

# ------------------------------------------------------------ fast path
# A version is complete when its stamp names this recipe and it runs.
stamp_ok() {
  local dir=$CACHE/$1
  [ -f "$dir/.ready" ] && [ "$(cat "$dir/.ready")" = "recipe=$RECIPE" ] &&
    "$dir/bin/python$1" -c 'import sys' </dev/null >/dev/null 2>&1
}
report_ready() {
  local ver
  ver=$("$CACHE/$1/bin/python$1" -c 'import platform; print(platform.python_version())' 2>/dev/null </dev/null)
  rm -f "$CACHE/skipped-python$1"
  say "python$1 ready: $CACHE/$1/bin/python$1 ($ver)"
}

todo=()
for v in "${VERSIONS[@]}"; do
  if [ "${WA_PYTHONS_REFRESH:-0}" != 1 ] && stamp_ok "$v"; then
    report_ready "$v"
  else
    todo+=("$v")
  fi
done
[ ${#todo[@]} -eq 0 ] && exit 0

# ------------------------------------------------------------ host checks
[ -f /etc/debian_version ] || skip_all "not a Debian host (no /etc/debian_version)"
for tool in apt-get apt-cache dpkg dpkg-deb flock; do
  command -v "$tool" >/dev/null || skip_all "'$tool' not found"
done
arch=$(dpkg --print-architecture 2>/dev/null)
[ "$arch" = amd64 ] || skip_all "host architecture is '$arch', only amd64 is supported"
host_debian=$(cat /etc/debian_version)
case $host_debian in
  12.* | 13.* | bookworm* | trixie* | forky* | */sid) ;;
  *) say "note: Debian $host_debian is untested (12 and 13 are), trying anyway" ;;
esac

# The archive to fetch from: the host's own Debian mirror (deb822 or one-line
# sources), with the unstable suite instead of the host's.
mirror=${WA_PYTHONS_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$({
    grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | sed 's/^URIs:[[:space:]]*//' | tr ' ' '\n'
    grep -hsE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
      sed -E 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' | awk '{print $1}'
  } | grep -E '^(https?|file|mirror\+[a-z]+)://.*/debian/?$' | head -n1)
fi
[ -n "$mirror" ] || skip_all "no Debian archive in this host's apt sources (set WA_PYTHONS_MIRROR)"

# ------------------------------------------------------------ private apt
mkdir -p "$CACHE" || skip_all "cannot create $CACHE"
exec 9>"$CACHE/.lock"
flock -w 900 9 || skip_all "another get-pythons.sh holds $CACHE/.lock"

APTD=$CACHE/.apt
mkdir -p "$APTD/lists/partial" "$APTD/cache/archives/partial" "$APTD/debs"
signed=""
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] &&
  signed=" [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]"
echo "deb$signed $mirror $SUITE main" >"$APTD/sources.list"
APT=(
  -q
  -o "Dir::Etc::SourceList=$APTD/sources.list"
  -o Dir::Etc::SourceParts=/dev/null
  -o Dir::Etc::Preferences=/dev/null
  -o Dir::Etc::PreferencesParts=/dev/null
  -o "Dir::State::Lists=$APTD/lists"
  -o "Dir::Cache=$APTD/cache"
  -o Dir::Cache::pkgcache=pkgcache.bin
  -o Dir::Cache::srcpkgcache=srcpkgcache.bin
  -o Dir::State::status=/dev/null
  -o APT::Default-Release=
  -o "APT::Architectures=amd64"
)
# apt drops to the _apt user for downloads when run as root; the private
# folders are root's, so download as root (no sandbox warnings).
[ "$(id -u)" -eq 0 ] && APT+=(-o APT::Sandbox::User=root)
log=$APTD/log
: >"$log"

# One `update` per run that has something to fetch (the list is ~11 MB).
# apt-get update exits 0 when an index cannot be fetched ("W: Failed to
# fetch"): what counts is whether it left an "Err" and whether apt knows the
# suite's packages now (a list of an earlier run from this mirror serves).
apt-get "${APT[@]}" update </dev/null >>"$log" 2>&1
update_rc=$?
if ! apt-cache "${APT[@]}" show libc6 </dev/null >/dev/null 2>&1; then
  why=$(grep -m1 -A1 -E '^(Err|E|W):' "$log" | tr -s ' \n' ' ' | cut -c1-240)
  skip_all "download failed (apt-get update, $SUITE from $mirror: ${why:-exit $update_rc, see $log})"
elif [ $update_rc -ne 0 ] || grep -qE '^(Err|E):' "$log"; then
  say "note: apt-get update failed, using the package lists of an earlier run"
fi

# The packages of one version: the interpreter, its -dev and -venv packages,
# and what they depend on, following Depends/Pre-Depends only through shared
# libraries (Debian section "libs", not -dev) and the wheels ensurepip uses: the
# stdlib's data files (tzdata, media-types, netbase, ca-certificates) are
# the host's, and debconf and friends are never needed to run Python.
closure() {
  local v=$1 want=() seen=" " frontier=() next=() p deps libs
  for p in "python$v" "python$v-minimal" "libpython$v-minimal" "libpython$v-stdlib" \
    "libpython$v" "libpython$v-dev" "python$v-dev" "python$v-venv"; do
    if apt-cache "${APT[@]}" show "$p" </dev/null >/dev/null 2>&1; then
      frontier+=("$p")
    elif [ "$p" != "python$v-venv" ]; then
      return 1
    fi
  done
  while [ ${#frontier[@]} -gt 0 ]; do
    next=()
    for p in "${frontier[@]}"; do
      case $seen in *" $p "*) continue ;; esac
      seen+="$p "
      want+=("$p")
    done
    deps=$(apt-cache "${APT[@]}" depends --no-recommends --no-suggests --no-conflicts \
      --no-breaks --no-replaces --no-enhances "${frontier[@]}" </dev/null 2>/dev/null |
      sed -nE 's/^[[:space:]]+\|?(Pre)?Depends:[[:space:]]+([^<[:space:]]+)$/\2/p' | sort -u)
    libs=" "
    if [ -n "$deps" ]; then
      # shellcheck disable=SC2086
      libs+=$(apt-cache "${APT[@]}" show $deps </dev/null 2>/dev/null |
        awk '/^Package:/ { p = $2 } /^Section:/ && ($2 == "libs" || $2 ~ /\/libs$/) { print p }' |
        sort -u | tr '\n' ' ')
    fi
    for p in $deps; do
      case $seen in *" $p "*) continue ;; esac
      case $p in
        "python$v"* | "libpython$v"* | python3-pip-whl | python3-setuptools-whl) next+=("$p") ;;
        *-dev | *-dev-bin) ;;
        *) case $libs in *" $p "*) next+=("$p") ;; esac ;;
      esac
    done
    frontier=("${next[@]+"${next[@]}"}")
  done
  printf '%s\n' "${want[@]}"
}

write_build_env() {
  local v=$1 dir=$CACHE/$1 suffix full
  read -r full suffix < <("$dir/bin/python$v" -c \
    'import platform, sysconfig; print(platform.python_version(), sysconfig.get_config_var("EXT_SUFFIX"))' </dev/null)
  cat >"$dir/build.env" <<EOF
# written by scripts/get-pythons.sh: how to build a C extension for this Python
WA_PY_VERSION=$v
WA_PY_FULL_VERSION=$full
WA_PY_EXE=$dir/bin/python$v
WA_PY_PREFIX=$dir/root
WA_PY_INCLUDE=$dir/root/usr/include/python$v
WA_PY_CFLAGS="-I$dir/root/usr/include/python$v -I$dir/root/usr/include"
WA_PY_EXT_SUFFIX=$suffix
EOF
}

prepare() {
  local v=$1 dir=$CACHE/$1 root=$CACHE/$1/root pkgs debs d ld py
  pkgs=$(closure "$v") || { echo "python$v is not in Debian $SUITE"; return 1; }
  debs=$APTD/debs/$v
  echo "python$v packages: ${pkgs//$'\n'/ }" >>"$log"
  rm -rf "$debs" && mkdir -p "$debs"
  # shellcheck disable=SC2086
  if ! (cd "$debs" && apt-get "${APT[@]}" download $pkgs </dev/null >>"$log" 2>&1); then
    echo "download failed ($(grep -E '^(E|Err):' "$log" | tail -n1))"
    return 1
  fi
  rm -rf "$dir"
  mkdir -p "$root" "$dir/bin"
  for d in "$debs"/*.deb; do
    dpkg-deb -x "$d" "$root" || { echo "cannot unpack $(basename "$d")"; return 1; }
  done
  rm -rf "$debs"

  ld=$root/usr/lib/$ARCH_TRIPLET/ld-linux-x86-64.so.2
  py=$root/usr/bin/python$v
  [ -x "$ld" ] || { echo "no loader in the fetched libc6"; return 1; }
  [ -x "$py" ] || { echo "no usr/bin/python$v in the fetched packages"; return 1; }

  # The interpreter behind a script that runs it through its own loader.
  mv "$py" "$py.elf"
  cat >"$py" <<EOF
#!/bin/sh
# Debian $SUITE's python$v through the loader it came with (scripts/get-pythons.sh)
self=\$(readlink -f -- "\$0") || exit 127
p=\${self%/usr/bin/*}
exec "\$p/usr/lib/$ARCH_TRIPLET/ld-linux-x86-64.so.2" --library-path "\$p/usr/lib/$ARCH_TRIPLET" \\
  --argv0 "\$0" "\$p/usr/bin/python$v.elf" "\$@"
EOF
  chmod 755 "$py"
  ln -sfn "../root/usr/bin/python$v" "$dir/bin/python$v"

  # A self-contained include dir: Debian's pyconfig.h only includes the
  # multiarch one from <$ARCH_TRIPLET/python$v/pyconfig.h>.
  local inc=$root/usr/include/python$v
  local march=$root/usr/include/$ARCH_TRIPLET/python$v/pyconfig.h
  [ -f "$inc/Python.h" ] || { echo "no Python.h in the fetched -dev packages"; return 1; }
  if [ -f "$march" ] && grep -q "include <$ARCH_TRIPLET/python$v/pyconfig.h>" "$inc/pyconfig.h" 2>/dev/null; then
    rm -f "$inc/pyconfig.h" && cp "$march" "$inc/pyconfig.h"
  fi

  # ensurepip takes pip from sysconfig's WHEEL_PKG_DIR, built in as
  # /usr/share/python-wheels/: point it at the fetched wheels.
  local sd
  for sd in "$root"/usr/lib/python"$v"/_sysconfigdata_*.py; do
    [ -f "$sd" ] || continue
    sed -i "s|'WHEEL_PKG_DIR': '/usr/share/python-wheels/'|'WHEEL_PKG_DIR': '$root/usr/share/python-wheels/'|" "$sd"
  done

  local out
  if ! out=$("$dir/bin/python$v" -c 'import sys, sysconfig, ssl, ctypes, sqlite3, zlib, venv
assert sysconfig.get_paths()["include"] == sys.argv[1], sysconfig.get_paths()["include"]' \
    "$inc" </dev/null 2>&1); then
    echo "the fetched python$v does not run: $(echo "$out" | tail -n1)"
    return 1
  fi
  write_build_env "$v"
  echo "recipe=$RECIPE" >"$dir/.ready"
}

for v in "${todo[@]}"; do
  if why=$(prepare "$v"); then
    report_ready "$v"
  elif stamp_ok "$v"; then
    # a refresh that could not download: the earlier copy is untouched
    say "note: python$v not refreshed: ${why:-failed (see $log)}"
    report_ready "$v"
  else
    rm -rf "${CACHE:?}/$v"
    skipped "$v" "${why:-failed (see $log)}"
  fi
done
exit 0
