#!/usr/bin/env bash
# The whyalive story, end to end, on the example speech-to-text service
# (examples/stt_service, examples/README.md):
#   start the service on 127.0.0.1, dump its heap through the token-protected
#   debug endpoint, send requests on loopback, dump again (twice), stop it,
#   then ask whyalive offline what grew (diff), why it is alive (paths), what
#   to blame (suspects), draw it (graph) and print the diagnosis.
#
# Usage: scripts/demo.sh [BUILD_DIR] [--route native|python|none|all]
#                        [--requests N] [--out DIR] [--sdk fake|azure] [--attach]
#   BUILD_DIR   the build tree (default: build/); needs whyalive, the Python
#               extension (BUILD/python) and the example (BUILD/examples)
#   --route     native: callbacks held by the SDK's native core (default story)
#               python: a module-level session dict that is never cleaned
#               none:   the fixed service (no growth, no suspect)
#               all:    the three in turn (default)
#   --requests  requests between the first and second dump (default 50)
#   --out       where dumps and JSON go (default: BUILD_DIR/demo, BUILD_DIR/demo-azure)
#   --sdk       fake: the bundled stand-in SDK (default)
#               azure: the real Azure Speech SDK, offline (every session is
#               cancelled with a connection error; the interpreter is the venv
#               of scripts/get-azure-venv.sh unless PYTHON is set; 5 requests
#               by default, each waits for the SDK's connection error)
#   --attach    no debug endpoints (the service never imports whyalive): each
#               dump is taken with `whyalive dump --pid` (gdb; needs ptrace)
#
# Exit status: 0 when every step ran and each route's diagnosis matched what
# the route is (leak found where there is one, none where there is none);
# 1 on any failure. The service is stopped on success, failure and Ctrl-C.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=""
route=all
requests=""
out=""
sdk=fake
attach=0
while [ $# -gt 0 ]; do
  case "$1" in
    --route) route=${2:?--route needs a value}; shift 2 ;;
    --route=*) route=${1#*=}; shift ;;
    --requests) requests=${2:?--requests needs a value}; shift 2 ;;
    --requests=*) requests=${1#*=}; shift ;;
    --out) out=${2:?--out needs a value}; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    --sdk) sdk=${2:?--sdk needs a value}; shift 2 ;;
    --sdk=*) sdk=${1#*=}; shift ;;
    --attach) attach=1; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) if [ -z "$build" ]; then build=$1; shift
       else echo "demo: unexpected argument $1" >&2; exit 2; fi ;;
  esac
done
build_arg=${build:-$root/build}
build=$(cd "$build_arg" 2>/dev/null && pwd) || {
  echo "demo: build directory $build_arg not found; run scripts/build.sh first" >&2; exit 1; }
out=${out:-$build/demo}
[ "$sdk" = azure ] && [ "$out" = "$build/demo" ] && out=$build/demo-azure
case "$route" in
  native|python|none) routes=("$route") ;;
  all) routes=(native python none) ;;
  *) echo "demo: --route must be native, python, none or all" >&2; exit 2 ;;
esac
more=10   # requests between the second and third dump (the 3-snapshot diff)
warmup=3  # before the baseline, so first-request caches are not "growth"
case "$sdk" in
  fake) py=${PYTHON:-/usr/bin/python3}; requests=${requests:-50} ;;
  azure)
    py=${PYTHON:-${WA_PYTHONS_CACHE:-$HOME/.cache/whyalive/pythons}/azure-venv/bin/python}
    requests=${requests:-5}; more=2; warmup=1
    [ -x "$py" ] || { echo "demo: no venv with the Azure Speech SDK ($py): run scripts/get-azure-venv.sh" >&2; exit 1; } ;;
  *) echo "demo: --sdk must be fake or azure" >&2; exit 2 ;;
esac
export STT_SDK=$sdk
case "$requests" in ''|*[!0-9]*|0) echo "demo: --requests must be a positive integer" >&2; exit 2 ;; esac
wa="$build/whyalive"
export PYTHONPATH="$build/python:$build/examples${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1

fail() { echo "demo: $*" >&2; exit 1; }

# --- preflight: say what is missing instead of failing half-way ---------------
[ -x "$wa" ] || fail "$wa not found; build first: scripts/build.sh $build"
sdk_mod=fakesdk._native
[ "$sdk" = azure ] && sdk_mod=azure.cognitiveservices.speech
"$py" -c "import whyalive, $sdk_mod, stt_service.app" 2>/dev/null || {
  "$py" -c "import whyalive, $sdk_mod, stt_service.app" 2>&1 | tail -1 >&2 || true
  fail "the Python side is not importable from $build/python and $build/examples (rebuild?)"; }
for c in diff paths suspects graph report; do
  "$wa" "$c" --help >/dev/null 2>&1 || fail "this whyalive has no '$c' command yet"
done

# --- the service's lifetime ------------------------------------------------------
svc_pid=""
stop_service() {
  [ -n "$svc_pid" ] || return 0
  if kill -0 "$svc_pid" 2>/dev/null; then
    kill -TERM "$svc_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$svc_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$svc_pid" 2>/dev/null || true
  fi
  wait "$svc_pid" 2>/dev/null || true
  svc_pid=""
}
trap stop_service EXIT
trap 'echo "demo: interrupted" >&2; exit 130' INT
trap 'echo "demo: terminated" >&2; exit 143' TERM

client() { "$py" -m stt_service.client --port-file "$dir/port" "$@"; }

# One dump through the debug endpoint (or, with --attach, `whyalive dump
# --pid`): the path on stdout, counts on stderr.
take_dump() {
  if [ "$attach" = 1 ]; then
    "$wa" dump --pid "$svc_pid" -o "$dir/dumps/$1.wa" --quiet >&2 ||
      fail "whyalive dump --pid $svc_pid failed"
    echo "$dir/dumps/$1.wa"
    return
  fi
  client dump "$1" || fail "heap dump '$1' failed (service log: $dir/service.log)"
}

# A command as the reader sees it (run in the dump directory, so the names
# are short), and its --json twin saved for the diagnosis: both come from the
# same result structure, so the table and the diagnosis cannot disagree.
show() {
  echo
  echo "\$ whyalive $*"
  (cd "$dir" && "$wa" "$@") || fail "whyalive $1 failed"
}
save() {
  local name=$1; shift
  (cd "$dir" && "$wa" "$@" --json --quiet >"$name.json") || fail "whyalive $1 --json failed"
}

run_route() {
  local r=$1
  dir="$out/$r"
  rm -rf "$dir"
  mkdir -p "$dir/dumps"
  chmod 700 "$dir" "$dir/dumps"
  echo
  echo "================ route '$r': $(case $r in
      native) if [ "$sdk" = azure ]; then echo "never stopped nor disconnected, on the real Azure SDK"
              else echo "the SDK's native core keeps the callbacks (the bug) "; fi;;
      python) echo "a module-level session dict keeps the sessions";;
      none) echo "the fixed service";; esac) ================"
  # A fresh random token per run: the debug endpoints refuse every call
  # without it. It stays in the environment, never on a command line.
  WHYALIVE_DEBUG_TOKEN=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  export WHYALIVE_DEBUG_TOKEN
  # --attach: no token, so no debug endpoints and no import of whyalive
  [ "$attach" = 1 ] && unset WHYALIVE_DEBUG_TOKEN
  STT_LEAK=$r WHYALIVE_DUMP_DIR="$dir/dumps" \
    "$py" -m stt_service --port 0 --port-file "$dir/port" >"$dir/service.log" 2>&1 &
  svc_pid=$!
  local port
  port=$(client wait --timeout 30 --pid "$svc_pid") || {
    sed 's/^/  service: /' "$dir/service.log" >&2; fail "the service did not start"; }
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/debug/heap-dump" || true)
  if [ "$attach" = 1 ]; then
    echo "service: pid $svc_pid on http://127.0.0.1:$port (STT_LEAK=$r, no debug endpoints: dumps by whyalive dump --pid)"
    echo "debug endpoint: HTTP $code"
    [ "$code" = 404 ] || fail "the debug endpoint answered $code (expected 404: no token set)"
  else
    echo "service: pid $svc_pid on http://127.0.0.1:$port (STT_LEAK=$r, debug token set)"
    echo "debug endpoint without the token: HTTP $code"
    [ "$code" = 403 ] || fail "the debug endpoint answered $code without the token (expected 403)"
  fi

  client send "$warmup" --seed 7 || fail "warm-up requests failed"
  # The endpoint names dumps itself (label, pid, time); short links make
  # the commands below readable.
  ln -s "$(take_dump baseline)" "$dir/baseline.wa"
  client send "$requests" --seed 1 || fail "requests failed"
  echo "  sent $requests POST /transcriptions"
  ln -s "$(take_dump after)" "$dir/after.wa"
  client send "$more" --seed 2 || fail "requests failed"
  echo "  sent $more more"
  ln -s "$(take_dump later)" "$dir/later.wa"
  stop_service
  echo "service stopped; the rest is offline, on the dump files in $dir"

  local sel=type=ConversationTranscriber
  show diff baseline.wa after.wa --limit 8
  show diff baseline.wa after.wa later.wa --limit 3 --clusters 4
  show paths after.wa --select "$sel" --limit 3
  show suspects after.wa --baseline baseline.wa --limit 4
  save growth diff baseline.wa after.wa --limit 0
  save survivors diff baseline.wa after.wa later.wa --select "$sel"
  save paths paths after.wa --select "$sel"
  save suspects suspects after.wa --baseline baseline.wa --limit 0
  if [ "$r" != none ]; then
    # Into the output folder only: the demo never rewrites a tracked file (the
    # README's graphs/stt-leak.svg is a copy of the native route's picture).
    local svg="$dir/stt-leak-$r.svg"
    show graph after.wa --select "$sel" -o "$svg"
  fi
  # The page for the ticket: the three dumps, beside them.
  show report baseline.wa after.wa later.wa -o report.html
  echo
  echo "\$ python3 -m stt_service.diagnose --route $r $dir"
  echo "# the example's own summary, read from whyalive's --json above (not a whyalive command)"
  "$py" -m stt_service.diagnose --route "$r" --sdk "$sdk" --requests "$requests" --more "$more" "$dir" ||
    fail "the diagnosis of route '$r' does not match the route"
}

for r in "${routes[@]}"; do run_route "$r"; done
echo
echo "demo: done; dumps and JSON in $out"
