"""Every Snapshot view returns exactly the document of the CLI's --json for
the same request (issue 7): same keys, same values, on every fixture."""
import os

import pytest

import whyalive
from api_support import cli_json, fixture_snapshots, same


def biggest_type(snap):
    rows = snap.summary(sort="count", limit=0, retained=False)["rows"]
    for r in rows:  # a type with several instances makes the clusters interesting
        if not r["type"].startswith("builtins."):
            return r["type"]
    return rows[0]["type"] if rows else "NothingHere"  # an empty selection is fine too


def views(path, snap):
    """(name, python call, CLI arguments) for every view."""
    t = biggest_type(snap)
    sel = f"type={t}"
    first = fixture_snapshots()[0]
    return [
        ("summary", lambda: snap.summary(), ["summary", path]),
        ("summary-module", lambda: snap.summary(by="module", sort="count", limit=0),
         ["summary", path, "--by", "module", "--sort", "count", "--limit", "0"]),
        ("summary-select", lambda: snap.summary(select=sel, retained=False),
         ["summary", path, "--select", sel, "--no-retained"]),
        ("clusters", lambda: snap.clusters(sel), ["paths", path, "--select", sel]),
        ("paths-each", lambda: snap.paths(sel), ["paths", path, "--each", "--select", sel]),
        ("paths-k", lambda: snap.paths(sel, k=3, limit=2),
         ["paths", path, "-k", "3", "--limit", "2", "--select", sel]),
        ("retainers", lambda: snap.retainers(sel, depth=4),
         ["retainers", path, "--select", sel, "--depth", "4"]),
        ("retainers-narrow", lambda: snap.retainers(sel, depth=2, max_referrers=1, limit=0),
         ["retainers", path, "--select", sel, "--depth", "2", "--max-referrers", "1",
          "--limit", "0"]),
        ("dominators", lambda: snap.dominators(limit=0), ["dominators", path, "--limit", "0"]),
        ("dominators-select", lambda: snap.dominators(sel, children=3),
         ["dominators", path, "--select", sel, "--children", "3"]),
        ("suspects", lambda: snap.suspects(threshold=0.05, limit=0),
         ["suspects", path, "--threshold", "0.05", "--limit", "0"]),
        ("suspects-baseline", lambda: snap.suspects(baseline=first),
         ["suspects", path, "--baseline", first]),
        ("diff2", lambda: snap.diff(first), ["diff", path, first]),
        ("diff3", lambda: snap.diff(first, path, all=True),
         ["diff", path, first, path, "--all"]),
        ("graph", lambda: snap.graph(sel), ["graph", path, "--select", sel]),
        ("graph-paths", lambda: snap.graph(sel, mode="paths", max_nodes=50),
         ["graph", path, "--select", sel, "--mode", "paths", "--max-nodes", "50"]),
    ]


@pytest.mark.parametrize("path", fixture_snapshots(), ids=os.path.basename)
def test_views_match_cli_json(path):
    with whyalive.load(path) as snap:
        failures = []
        for name, call, args in views(path, snap):
            py = call()
            cli = cli_json(*args)
            d = same(py, cli)
            if d:
                failures.append(f"{name}: {d}")
        assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", fixture_snapshots(), ids=os.path.basename)
def test_meta_matches_cli_info(path):
    """Snapshot.meta is the "meta" object of `whyalive info --json`, and
    Snapshot.format_version its top-level "format_version": both are built
    from the library's info view, as the CLI's document is."""
    with whyalive.load(path) as snap:
        info = cli_json("info", path)
        assert same(snap.meta, info["meta"]) is None, same(snap.meta, info["meta"])
        assert list(snap.meta) == list(info["meta"])
        assert snap.format_version == info["format_version"]
        assert "format_version" not in snap.meta


def test_diff_survivors_match_cli():
    fx = [p for p in fixture_snapshots() if os.path.basename(p).startswith("grow")]
    if len(fx) < 3:
        pytest.skip("grow fixtures missing")
    a, b, c = fx[:3]
    with whyalive.load(a) as snap:
        py = snap.diff(b, c)
    cli = cli_json("diff", a, b, c)
    assert same(py, cli) is None, same(py, cli)
    assert py["survivors"]["count"] > 0


def test_handle_to_dict_matches_cli_object():
    path = fixture_snapshots()[-1]
    with whyalive.load(path) as snap:
        doc = cli_json("dominators", path, "--limit", "0")
        for o in doc["top"]:
            h = snap.find(int(o["addr"], 16))
            assert h.to_dict() == o
