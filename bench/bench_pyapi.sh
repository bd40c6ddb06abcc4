#!/usr/bin/env bash
# Row "pyapi" of bench/run.sh (issue 7): the Python API's speed.
#  - load a synthetic 1M-object snapshot (wa_gen, binary) and read every
#    object's type from Python (target <= 1 s);
#  - type_counts() on a live heap of ~1M gc-tracked objects next to
#    objgraph.most_common_types() in the same process (target >= 4x faster).
# Env: WA_BUILD (a build tree with bench/wa_gen and python/), PYTHONPATH set to
# its python/ dir (bench/run.sh does both). Prints Markdown on stdout.
set -euo pipefail
: "${WA_BUILD:?WA_BUILD must point at a build tree}"
here=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-/usr/bin/python3}
N=${WA_BENCH_PY_OBJECTS:-1000000}
export PYTHONPATH=${PYTHONPATH:-$WA_BUILD/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
val() { sed -n "s/^$1 //p" "$2"; }

"$WA_BUILD/bench/wa_gen" "$N" "$work/g.wa" >/dev/null
(cd "$here" && "$PY" bench_pyapi.py offline "$work/g.wa" 3) >"$work/off"
(cd "$here" && "$PY" bench_pyapi.py live "$N" 5) >"$work/live"

echo "Offline: \`whyalive.load()\` of a synthetic snapshot (\`wa_gen $N\`, binary), then every"
echo "object's type read from Python; best of 3 (target: <= 1 s)."
echo
echo "| objects | load only | load + \`snap.types()\` (list of names) | load + \`column('type')\` iterated | load + iterate 1M \`Object\` handles |"
echo "|---:|---:|---:|---:|---:|"
printf "| %s | %s s | **%s s** | %s s | %s s |\n" "$(val objects "$work/off")" \
  "$(val load_only_s "$work/off")" "$(val load_types_s "$work/off")" \
  "$(val load_column_s "$work/off")" "$(val load_handles_s "$work/off")"
echo
echo "Live: $(val tracked "$work/live") gc-tracked objects in one process (instances with a dict and a"
echo "list each); best of 5, same run (target: type_counts >= 4x faster than objgraph)."
echo "Walk: $(val walk "$work/live")."
echo
echo "| call | time | vs objgraph.most_common_types |"
echo "|---|---:|---:|"
og=$(val objgraph_most_common_types_s "$work/live")
for k in type_counts most_common_types prometheus_text objgraph_most_common_types objgraph_typestats gc_get_objects; do
  t=$(val ${k}_s "$work/live")
  label=$k
  case $k in
    type_counts) label="\`whyalive.type_counts()\` (all types)" ;;
    most_common_types) label="\`whyalive.most_common_types(10)\`" ;;
    prometheus_text) label="\`whyalive.prometheus_text(2 types, 1 prefix)\`" ;;
    objgraph_most_common_types) label="\`objgraph.most_common_types(10)\`" ;;
    objgraph_typestats) label="\`objgraph.typestats()\`" ;;
    gc_get_objects) label="\`len(gc.get_objects())\` (the list alone)" ;;
  esac
  printf "| %s | %s s | %sx |\n" "$label" "$t" "$(awk -v a="$og" -v b="$t" 'BEGIN{printf "%.1f", a/b}')"
done
