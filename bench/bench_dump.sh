#!/usr/bin/env bash
# Row "dump" of bench/run.sh (issue 3): bench/bench_dump.py under Debian's
# Python with the optimized build's extension (PYTHONPATH set by bench/run.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/bench_dump.py" "$@"
