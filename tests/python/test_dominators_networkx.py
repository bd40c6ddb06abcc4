"""Differential test of the dominator tree and retained sizes.

Random graphs are written as JSON Lines snapshots; `whyalive dominators
--tree --json` (the CLI, env WA_BIN) lists every object's immediate
dominator ("root" = the super-root, null = unreachable) and retained size.
Immediate dominators are compared with networkx.immediate_dominators on the
same graph plus a super-root; retained sizes with a brute-force oracle:
remove the object, recount the bytes the roots still reach.
"""
import json
import os
import random
import subprocess

import networkx as nx
import pytest

WA_BIN = os.environ.get("WA_BIN")

pytestmark = pytest.mark.skipif(not WA_BIN, reason="WA_BIN not set (run through ctest)")

SUPER = "super"


def random_graph(rng, n, m, nroots, weak_share=0.1):
    sizes = [rng.randint(1, 500) for _ in range(n)]
    edges = []  # (src, dst, weak)
    for _ in range(m):
        a, b = rng.randrange(n), rng.randrange(n)
        edges.append((a, b, rng.random() < weak_share))
    # some structure: chains and a diamond or two, so dominators are not trivial
    for i in range(0, n - 1, 3):
        edges.append((i, i + 1, False))
    roots = sorted({rng.randrange(n) for _ in range(nroots)})
    return sizes, edges, roots


def write_snapshot(path, sizes, edges, roots):
    addr = lambda i: hex(0x1000 + 16 * i)
    refs = [[] for _ in sizes]
    for a, b, weak in edges:
        refs[a].append([addr(b), "weak"] if weak else [addr(b), "attr", "x%d" % b])
    with open(path, "w") as f:
        f.write(json.dumps({"whyalive": 1}) + "\n")
        for i, size in enumerate(sizes):
            obj = {"addr": addr(i), "type": "m.T%d" % (i % 4), "size": size, "rc": 1}
            if refs[i]:
                obj["refs"] = refs[i]
            f.write(json.dumps(obj) + "\n")
        for r in roots:
            f.write(json.dumps({"root": "module", "obj": addr(r), "label": "m"}) + "\n")


def run_tree(path):
    out = subprocess.run([WA_BIN, "dominators", path, "--tree", "--json"], check=True,
                         capture_output=True, text=True).stdout
    doc = json.loads(out)
    assert doc["mode"] == "tree"
    res = {}
    for row in doc["tree"]:
        i = (int(row["addr"], 16) - 0x1000) // 16
        idom = row["idom"]
        if idom not in (None, "root"):
            idom = (int(idom, 16) - 0x1000) // 16
        res[i] = (idom, row["retained"])
    return res


def strong_graph(n, edges, roots):
    g = nx.DiGraph()
    g.add_node(SUPER)
    g.add_nodes_from(range(n))
    for r in roots:
        g.add_edge(SUPER, r)
    for a, b, weak in edges:
        if not weak:
            g.add_edge(a, b)
    return g


def reach(g, removed=None):
    seen = {SUPER}
    stack = [SUPER]
    while stack:
        v = stack.pop()
        for w in g.successors(v):
            if w != removed and w not in seen:
                seen.add(w)
                stack.append(w)
    seen.discard(SUPER)
    return seen


@pytest.mark.parametrize("seed", range(40))
def test_idom_and_retained_match(tmp_path, seed):
    rng = random.Random(seed)
    n = rng.randint(2, 60)
    sizes, edges, roots = random_graph(rng, n, rng.randint(0, 3 * n), rng.randint(1, 4))
    path = str(tmp_path / "g.jsonl")
    write_snapshot(path, sizes, edges, roots)
    got = run_tree(path)
    g = strong_graph(n, edges, roots)
    want = nx.immediate_dominators(g, SUPER)
    live = reach(g)
    for v in range(n):
        idom, retained = got[v]
        if v not in live:
            assert idom is None and retained == 0, (seed, v)
            continue
        w = want[v]
        assert idom == ("root" if w == SUPER else w), (seed, v, idom, w)
        # brute force: what the roots no longer reach once v is gone, plus v
        still = reach(g, removed=v)
        freed = sum(sizes[u] for u in live if u not in still)
        assert retained == freed, (seed, v, retained, freed)


def test_larger_graphs_idom_only(tmp_path):
    rng = random.Random(7)
    for k in range(3):
        n = 3000
        sizes, edges, roots = random_graph(rng, n, 3 * n, 5, weak_share=0.05)
        path = str(tmp_path / ("big%d.jsonl" % k))
        write_snapshot(path, sizes, edges, roots)
        got = run_tree(path)
        g = strong_graph(n, edges, roots)
        want = nx.immediate_dominators(g, SUPER)
        for v in range(n):
            idom, _ = got[v]
            if v not in want:
                assert idom is None
            else:
                assert idom == ("root" if want[v] == SUPER else want[v])
