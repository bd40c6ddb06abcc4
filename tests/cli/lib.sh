# Shared helpers for the CLI tests (sourced). Each test script runs under
# `set -euo pipefail` in a fresh temporary directory that is removed on exit.
set -euo pipefail
: "${WA_BIN:?WA_BIN must point at the whyalive binary}"
: "${WA_FIXTURES:?}"
: "${WA_SRC:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }

# expect_exit CODE CMD...: run CMD, check its exit code; stdout -> $T/out, stderr -> $T/err
expect_exit() {
  local want=$1; shift
  set +e
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  set -e
  if [ "$got" != "$want" ]; then
    fail "expected exit $want, got $got: $*"; sed 's/^/  stderr: /' "$T/err" | head -5 >&2
    return 1
  fi
  return 0
}

# contains FILE TEXT: FILE contains the fixed string TEXT
contains() { grep -qF -- "$2" "$1" || { fail "$1 lacks '$2'"; sed 's/^/  | /' "$1" | head -20 >&2; return 1; }; }

# one_line FILE: FILE holds exactly one line
one_line() { local n; n=$(wc -l <"$1"); [ "$n" -eq 1 ] || { fail "$1 has $n lines, expected 1"; cat "$1" >&2; return 1; }; }

finish() {
  if [ "$failures" -ne 0 ]; then echo "$failures failure(s)" >&2; exit 1; fi
  echo "all passed"
}
