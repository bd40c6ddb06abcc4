#!/usr/bin/env bash
# Row "analysis" of bench/run.sh: load + dominators + retained sizes + type
# summary on synthetic 1M- and 10M-object snapshots (~3 edges/object, from
# wa_gen), networkx.immediate_dominators on the same 1M graph, and clustered
# retention paths for 250k instances of one type. Prints Markdown.
# Env: WA_BUILD (build tree with bench/wa_gen and bench/wa_anabench).
# Targets (issue 4): 1M all-in <= 0.6 s (>= 100x networkx), 10M <= 6 s,
# peak <= 100 B/object, 250k instances' paths clustered <= 1 s.
set -euo pipefail
: "${WA_BUILD:?WA_BUILD must point at a build tree}"
GEN=$WA_BUILD/bench/wa_gen
ANA=$WA_BUILD/bench/wa_anabench
PY=${PYTHON:-/usr/bin/python3}
SIZES=${WA_BENCH_SIZES:-"1000000 10000000"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

val() { sed -n "s/^$1 //p" "$2"; }

echo "| objects | edges | load | dominators + retained | summary | all-in (wall) | all-in (CPU) | snapshot B/obj | peak RSS B/obj (load) | peak RSS B/obj (all-in) | dominator temporaries B/obj |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $SIZES; do
  "$GEN" "$n" "$work/g$n.wa" >/dev/null
  edges_opt=()
  [ "$n" = 1000000 ] && edges_opt=(--edges "$work/edges1m.txt")
  "$ANA" "$work/g$n.wa" "${edges_opt[@]}" >"$work/r$n"
  r=$work/r$n
  cpu=$(val total_cpu_s "$r")
  printf "| %s | %s | %s s | %s s | %s s | %s s | %s s | %s | %s | %s | %s |\n" \
    "$(val objects "$r")" "$(val edges "$r")" "$(val load_s "$r")" "$(val dom_retained_s "$r")" \
    "$(val summary_s "$r")" "$(val total_s "$r")" "$cpu" "$(val snapshot_bytes_per_object "$r")" \
    "$(val peak_rss_load_per_object "$r")" "$(val peak_rss_all_per_object "$r")" \
    "$(val dom_peak_temp_per_object "$r")"
  rm -f "$work/g$n.wa"
done
echo
echo "Wall times per phase, measured inside the process; CPU = process CPU time of load +"
echo "dominators + retained + summary (what the wall time would be on an idle machine)."
echo "Peak RSS is the process high-water mark minus its size before the load."
echo

if [ -f "$work/edges1m.txt" ]; then
  "$PY" - "$work/edges1m.txt" "$work/r1000000" <<'PYEOF'
import sys, time
import networkx as nx
edges_path, ours_path = sys.argv[1], sys.argv[2]
g = nx.DiGraph()
with open(edges_path) as f:
    g.add_edges_from((int(a), int(b)) for a, b in (line.split() for line in f))
t0 = time.perf_counter()
idom = nx.immediate_dominators(g, 0)
t = time.perf_counter() - t0
ours = {}
for line in open(ours_path):
    k, _, v = line.partition(" ")
    ours[k] = v.strip()
dom_s = float(ours["dom_retained_s"])
print("networkx %s immediate_dominators on the same 1M graph (%d nodes incl. the super-root, "
      "%d strong edges): **%.1f s**; whyalive dominators + retained sizes: **%.3f s** "
      "(**%.0fx**), all-in %.3f s (**%.0fx**)." % (nx.__version__, g.number_of_nodes(),
      g.number_of_edges(), t, dom_s, t / dom_s, float(ours["total_s"]),
      t / float(ours["total_s"])))
PYEOF
  echo
fi

"$ANA" --story 250000 >"$work/story"
echo "Paths for every instance of a type with 250,000 instances (the story graph: a module"
echo "dict holding a session dict of 250k sessions, each with a transcriber), BFS tree +"
echo "select + clustering: **$(val story_paths_clustered_s "$work/story") s**, $(val story_clusters "$work/story")"
echo "cluster: $(val story_top "$work/story")."
