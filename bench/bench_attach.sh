#!/usr/bin/env bash
# The attach row: `whyalive dump --pid` under load (bench/attach_load.py: 50
# attaches to the example service under a request loop, 20 attaches whose
# whyalive is SIGKILLed at random moments), as a markdown section body.
# Needs gdb and ptrace rights; WA_BUILD is the build tree (bench/run.sh sets it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
json=$(mktemp /tmp/wa-attach-bench-XXXXXX.json)
trap 'rm -f "$json"' EXIT
rc=0
nice -n 10 /usr/bin/python3 "$root/bench/attach_load.py" --build "${WA_BUILD:?}" --json "$json" >/dev/null || rc=$?
/usr/bin/python3 "$root/bench/attach_load.py" --format-md "$json"
exit $rc
