#!/usr/bin/env bash
# Row "compress" (issue 14, item 6): whyalive.dump to .wa uncompressed, zstd
# and gzip (second-thread and inline compression), alternating, on tmpfs
# (the disk and its fsync left out), with bench/bench_compress.py.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=/dev/shm
[ -d "$dir" ] && [ -w "$dir" ] || dir=${TMPDIR:-/tmp}
/usr/bin/python3 "$here/bench_compress.py" --rounds "${WA_COMPRESS_ROUNDS:-3}" --dir "$dir"
