"""whyalive.growth() / show_growth() (issue 14, item 7): objgraph's
show_growth() semantics in C: per-type increases above the peak of the
previous calls, the peaks kept in the module (or in peak_stats), compared
with objgraph itself where it is installed."""
import io

import pytest

import whyalive


class GrowA:
    pass


class GrowB:
    pass


def rows(**kw):
    return {name: (count, inc) for name, count, inc in whyalive.growth(None, **kw)}


def test_first_call_reports_everything_then_only_growth():
    peaks = {}
    first = whyalive.growth(None, peaks)
    assert len(first) > 20 and all(inc == count for _, count, inc in first)
    assert len(peaks) == len(first)
    keep = [GrowA() for _ in range(5)]
    r = {n: (c, i) for n, c, i in whyalive.growth(None, peaks)}
    assert r["GrowA"] == (5, 5)
    # below the peak: nothing; above it again: the increase over the peak
    del keep[:3]
    assert "GrowA" not in {n for n, _, _ in whyalive.growth(None, peaks)}
    keep += [GrowA() for _ in range(4)]  # 6 alive, peak was 5
    r = {n: (c, i) for n, c, i in whyalive.growth(None, peaks)}
    assert r["GrowA"] == (6, 1)
    assert peaks["GrowA"] == 6


def test_order_limit_and_module_peaks():
    whyalive.growth(None)  # the module's own peaks, brought up to date
    keep = [GrowA() for _ in range(3)] + [GrowB() for _ in range(7)]
    top = whyalive.growth(2)
    assert [r[0] for r in top] == ["GrowB", "GrowA"] and [r[2] for r in top] == [7, 3]
    assert whyalive.growth(limit=0) == []
    assert keep


def test_full_names_and_show_growth():
    peaks = {}
    whyalive.growth(None, peaks, shortnames=False)
    keep = [GrowB() for _ in range(2)]
    r = {n: (c, i) for n, c, i in whyalive.growth(None, peaks, shortnames=False)}
    assert r[f"{__name__}.GrowB"] == (2, 2)
    buf = io.StringIO()
    keep.append(GrowB())
    whyalive.show_growth(peak_stats=peaks, shortnames=False, file=buf)
    line = [ln for ln in buf.getvalue().splitlines() if "GrowB" in ln]
    assert line and line[0].split()[1:] == ["3", "+1"], buf.getvalue()


def test_arguments():
    with pytest.raises(ValueError):
        whyalive.growth(-1)
    with pytest.raises(TypeError):
        whyalive.growth(10, peak_stats=[])


def test_agrees_with_objgraph():
    objgraph = pytest.importorskip("objgraph")
    ours, theirs = {}, {}
    whyalive.growth(None, ours)
    objgraph.growth(None, theirs)
    keep = [GrowA() for _ in range(11)] + [GrowB() for _ in range(4)]
    a = {n: (c, i) for n, c, i in whyalive.growth(None, ours)}
    b = {n: (c, i) for n, c, i in objgraph.growth(None, theirs)}
    for t in ("GrowA", "GrowB"):
        assert a[t] == b[t] == ((11, 11) if t == "GrowA" else (4, 4))
    assert keep
