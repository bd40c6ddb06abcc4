"""Allocation sites of a real tracemalloc dump in the views (issue 14,
item 4): summary(by="site"), the site= selector, to_dict()["site"], and the
"sites" of clusters name this file's line."""
import os
import tracemalloc

import whyalive


class SiteThing:
    pass


def test_sites_of_a_tracemalloc_dump(tmp_path):
    tracemalloc.start(3)
    try:
        things = [SiteThing() for _ in range(40)]  # the line the sites name
        line = test_sites_of_a_tracemalloc_dump.__code__.co_firstlineno + 3
        path = whyalive.dump(str(tmp_path / "sites.wa"), tracemalloc=True).path
    finally:
        tracemalloc.stop()
    here = f"{os.path.basename(__file__)}:{line}"
    with whyalive.load(path) as snap:
        rows = snap.summary(by="site", limit=0)["rows"]
        mine = [r for r in rows if r["site"] and r["site"].endswith(here)]
        assert mine and mine[0]["count"] >= 40, [r["site"] for r in rows[:10]]
        sel = snap.select(f"type=SiteThing and site={here}")
        assert len(sel) == 40
        obj = next(iter(sel))
        d = obj.to_dict()
        assert d["site"].split(";")[0].endswith(here) and d["site"] == obj.site
        cl = snap.clusters(sel)["clusters"][0]
        assert cl["sites"][0]["site"].endswith(here) and cl["sites"][0]["count"] == 40
    assert things
