#!/usr/bin/env bash
# Row "index" (issue 15, repeat queries): what a second command on a big dump
# costs once the first one left the sidecar index (DUMP.wai) behind.
# On a synthetic snapshot from wa_gen (~3 edges/object):
#   info                    load only (the floor: every command loads)
#   dominators, first       computes the dominators and writes the index
#   dominators, second      reads them from the index
#   dominators --no-index   computes them again, writes nothing
# Whole-command wall and CPU (user + sys) times, `-q --json >/dev/null`,
# median of ROUNDS alternating rounds (the first command deletes the index
# before it runs). Target: second / info <= 1.2. Prints Markdown.
# Env: WA_BUILD (build tree with whyalive and bench/wa_gen),
#      WA_BENCH_INDEX_OBJECTS (default 10000000), WA_BENCH_ROUNDS (default 5),
#      WA_BENCH_DIR (scratch directory, default a fresh mktemp -d).
set -euo pipefail
: "${WA_BUILD:?WA_BUILD must point at a build tree}"
W=$WA_BUILD/whyalive
GEN=$WA_BUILD/bench/wa_gen
N=${WA_BENCH_INDEX_OBJECTS:-10000000}
ROUNDS=${WA_BENCH_ROUNDS:-5}
unset WHYALIVE_NO_INDEX
if [ -n "${WA_BENCH_DIR:-}" ]; then
  work=$WA_BENCH_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
snap=$work/g$N.wa
[ -f "$snap" ] || "$GEN" "$N" "$snap" >/dev/null
rm -f "$snap.wai"

# t NAME CMD...: appends "wall cpu" to $work/NAME.t
t() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S" -o "$work/time.out" "$@" >/dev/null 2>&1
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "$work/time.out" >>"$work/$name.t"
}
rm -f "$work"/*.t
"$W" info "$snap" -q >/dev/null # page cache warm
for _ in $(seq "$ROUNDS"); do
  t info "$W" info "$snap" -q --json
  rm -f "$snap.wai"
  t first "$W" dominators "$snap" -q --json
  t second "$W" dominators "$snap" -q --json
  t noindex "$W" dominators "$snap" -q --json --no-index
done
# the outputs: the same bytes with and without the index
"$W" dominators "$snap" -q --json >"$work/with.json"
"$W" dominators "$snap" -q --json --no-index >"$work/without.json"
same=no
cmp -s "$work/with.json" "$work/without.json" && same=yes
med() { sort -n -k"$2" "$work/$1.t" | awk -v c="$2" '{v[NR]=$c} END {print v[int((NR+1)/2)]}'; }
ix_bytes=$(stat -c %s "$snap.wai")
snap_bytes=$(stat -c %s "$snap")
echo "Snapshot: $N objects (wa_gen, $((snap_bytes / 1048576)) MiB .wa); index: $((ix_bytes / 1048576)) MiB ($(awk -v a="$ix_bytes" -v n="$N" 'BEGIN{printf "%.1f", a/n}') B/object)."
echo "Median of $ROUNDS alternating rounds; whole commands (\`-q --json >/dev/null\`); CPU = user + sys."
echo
echo "| command | wall | CPU | wall / info | CPU / info |"
echo "|---|---:|---:|---:|---:|"
iw=$(med info 1); ic=$(med info 2)
for row in "info:info (load only)" "first:dominators, first (computes, writes the index)" \
  "second:dominators, second (reads the index)" "noindex:dominators --no-index"; do
  k=${row%%:*}; label=${row#*:}
  w=$(med "$k" 1); c=$(med "$k" 2)
  printf "| %s | %s s | %s s | %s | %s |\n" "$label" "$w" "$c" \
    "$(awk -v a="$w" -v b="$iw" 'BEGIN{printf "%.2f", a/b}')" \
    "$(awk -v a="$c" -v b="$ic" 'BEGIN{printf "%.2f", a/b}')"
done
echo
echo "Target (issue 15): second / info <= 1.2. \`dominators --json\` with and without the index: byte-identical: $same."
echo
echo "All rounds (wall s, CPU s):"
echo
for k in info first second noindex; do
  echo "- $k: $(awk '{printf "%s%s/%s", (NR>1?", ":""), $1, $2}' "$work/$k.t")"
done
