"""Snapshot, Object and Selection behaviour: handles, lifetime, errors (issue 7)."""
import gc
import os
import threading

import pytest

import whyalive
from api_support import STT_LEAK, fixture_snapshots

T = "azure.cognitiveservices.speech.transcription.ConversationTranscriber"


@pytest.fixture
def snap():
    s = whyalive.load(STT_LEAK)
    yield s
    s.close()


def test_load_accepts_pathlike_and_reports_counts(snap, tmp_path):
    import pathlib
    with whyalive.load(pathlib.Path(STT_LEAK)) as s2:
        assert len(s2) == s2.n_objects == snap.n_objects > 0
    assert snap.n_edges > 0 and snap.n_roots > 0
    assert snap.meta["python"] and isinstance(snap.meta["argv"], list)
    assert "objects" in repr(snap)


def test_handles(snap):
    sel = snap.select(f"type={T}")
    assert len(sel) == sel.total == 3
    assert sel.selector == f"type={T}"
    o = sel[0]
    assert o.type == T and o.module.startswith("azure")
    assert o.size > 0 and o.refcount >= 1
    assert o.retained >= o.size
    assert o.reachable
    assert snap.find(o.address) == o and snap.find(hex(o.address)) == o
    assert snap[o.index] == o and hash(snap[o.index]) == hash(o)
    assert snap.find(1) is None
    labels = [lab for lab, _ in o.referrers()]
    assert labels, "a retained object has referrers"
    for lab, ref in o.referrers():
        assert any(x == o for _, x in ref.referents())
    assert sel.addresses() == [h.address for h in sel]
    assert sel[-1] == sel[len(sel) - 1] and list(sel[1:]) == list(sel)[1:]
    assert len(sel[::2]) == 2 and sel[::2][1] == sel[2]
    assert list(sel.indexes()) == [h.index for h in sel]
    d = o.dominator
    assert d is None or d.retained >= o.retained
    chain = snap.dominator_chain(o)
    assert (chain[0] == d) if d is not None else chain == []
    assert o.to_dict()["addr"] == hex(o.address)


def test_select_limit_and_everything(snap):
    everything = snap.select()
    assert len(everything) == snap.n_objects
    one = snap.select(f"type={T}", limit=1)
    assert len(one) == 1 and one.total == 3
    assert len(snap.objects()) == snap.n_objects


def test_bulk_accessors(snap):
    types = snap.types()
    names = snap.type_names()
    ids = snap.column("type")
    assert len(types) == len(ids) == snap.n_objects
    assert all(types[i] == names[ids[i]] for i in range(len(types)))
    sizes = snap.column("size")
    assert sum(sizes) == snap.total_size
    assert list(snap.column("address")) == [snap[i].address for i in range(len(snap))]
    assert len(snap.column("retained")) == snap.n_objects
    with pytest.raises(ValueError):
        snap.column("nope")


def test_objs_arguments_are_interchangeable(snap):
    sel = snap.select(f"type={T}")
    by_text = snap.clusters(f"type={T}")
    by_sel = snap.clusters(sel)
    by_list = snap.clusters(list(sel))
    by_addr = snap.clusters([h.address for h in sel])
    for d in (by_sel, by_list, by_addr):
        assert d["clusters"] == by_text["clusters"]
    assert by_list["select"] is None


def test_context_manager_frees_and_handles_refuse(snap):
    with whyalive.load(STT_LEAK) as s:
        h = s.select(f"type={T}")[0]
        sel = s.select(f"type={T}")
    assert s.closed
    for call in (lambda: h.type, lambda: h.retained, lambda: sel[0], lambda: s.summary(),
                 lambda: len(s), lambda: s.select("type=x"), lambda: h.referents(),
                 lambda: s.meta, lambda: s.format_version):
        with pytest.raises(ValueError, match="closed"):
            call()
    s.close()  # twice is fine
    assert "closed" in repr(s) and "closed" in repr(h)


def test_handles_keep_the_snapshot_alive():
    h = whyalive.load(STT_LEAK).select(f"type={T}")[0]
    gc.collect()
    assert h.type == T  # the Snapshot lives as long as a handle


def test_errors():
    with pytest.raises(OSError):
        whyalive.load("/nonexistent/heap.wa")
    with pytest.raises(ValueError) as e:
        whyalive.load(os.path.join(os.path.dirname(__file__), "api_support.py"))
    assert "api_support.py" in str(e.value)
    with whyalive.load(STT_LEAK) as s:
        with pytest.raises(whyalive.SelectorError) as e:
            s.select("type=X and (size>")
        assert isinstance(e.value, ValueError)
        assert e.value.column and "column" in str(e.value)
        with pytest.raises(KeyError):
            s.referents(12345)
        with pytest.raises(TypeError):
            s.referents("not an object")
        with pytest.raises(ValueError):
            s.summary(by="colour")
        with pytest.raises(ValueError):
            s.graph(f"type={T}", mode="sideways")
        other = whyalive.load(STT_LEAK)
        with pytest.raises(ValueError, match="another snapshot"):
            s.paths(other.select(f"type={T}"))
        other.close()


def test_graph_writes_files(tmp_path, snap):
    out = tmp_path / "g.svg"
    doc = snap.graph(f"type={T}", path=str(out))
    assert out.exists() and doc["output"] == str(out) and doc["format"] == "svg"
    assert b"<svg" in out.read_bytes()
    dot = snap.graph(f"type={T}")["dot"]
    assert dot.startswith("digraph") or "digraph" in dot[:200]
    svg = snap.graph(f"type={T}", format="svg")["data"]
    assert "<svg" in svg
    assert snap.graph("type=NoSuchType")["selected"] == 0
    with pytest.raises(OSError):
        snap.graph(f"type={T}", path="/nonexistent-dir/x.svg")


def test_dominators_computed_once_without_the_gil():
    with whyalive.load(STT_LEAK) as s:
        results = []

        def work():
            results.append(s.summary()["totals"]["count"])

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(set(results)) == 1 and len(results) == 4


@pytest.mark.parametrize("path", fixture_snapshots(), ids=os.path.basename)
def test_every_object_is_readable(path):
    with whyalive.load(path) as s:
        for o in s.objects():
            assert o.type and o.size >= 0
            o.name, o.value, o.length, o.site, o.roots, o.tracked


def test_repr_of_hostile_names_is_inert():
    """Issue 19: a repr shows a dump's names escaped, each cut at a
    character: no raw control character, and no UnicodeDecodeError from a
    long non-ASCII type name cut inside a character (both were bugs)."""
    import sys
    src = os.environ.get("WA_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
    hostile = os.path.join(src, "tests", "fixtures", "hostile")
    sys.path.insert(0, hostile)
    import inert
    with whyalive.load(os.path.join(hostile, "hostile.jsonl")) as s:
        texts = [repr(o) for o in s] + [repr(s), repr(s.select("type=*Evil*"))]
        s.compute()
        texts += [repr(o) for o in s]
    for t in texts:
        assert not inert.problems(t.encode()), t
    evil = [t for t in texts if "0x20000 " in t][0]
    assert "Evil\\x1b]0;pwned\\x07" in evil and "name=inst\\x1b]0;pwned\\x07\\u2066" in evil
    long = [t for t in texts if "0x19000 " in t][0]
    assert "é..." in long and len(long) < 640
