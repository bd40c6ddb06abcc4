"""In-process helpers (issue 7): type_counts against objgraph, the Prometheus
exposition, and track() on planted leaks, including the pytest failure text."""
import gc
import os
import subprocess
import sys
import textwrap

import pytest

import whyalive
from whyalive import _core

objgraph = pytest.importorskip("objgraph")


class Planted:
    pass


class Other:
    pass


def test_type_counts_match_objgraph_for_tracked_types():
    keep = [Planted() for _ in range(1234)] + [{"k": [i]} for i in range(500)]
    gc.collect()
    gc.disable()  # nothing may be collected between the two counts
    try:
        ours = whyalive.type_counts(shortnames=True)
        theirs = objgraph.typestats(shortnames=True)
    finally:
        gc.enable()
    assert ours["Planted"] == theirs["Planted"] == 1234
    # Between the two walks only the counting machinery itself allocates:
    # objgraph's list and dict, our result dict, a frame or two.
    noisy = {"list", "dict", "tuple", "frame", "cell", "method", "builtin_function_or_method"}
    for name in set(ours) | set(theirs):
        a, b = ours.get(name, 0), theirs.get(name, 0)
        if name in noisy:
            assert abs(a - b) <= 3, (name, a, b)
        else:
            assert a == b, (name, a, b)
    del keep


def test_type_counts_full_names_and_filters():
    keep = [Planted() for _ in range(10)] + [Other() for _ in range(3)]
    full = f"{__name__}.Planted"
    assert whyalive.type_counts()[full] == 10
    counts = whyalive.type_counts(["Planted", full, Other, "NoSuchType"])
    assert list(counts) == ["Planted", full, f"{__name__}.Other", "NoSuchType"]
    assert counts == {"Planted": 10, full: 10, f"{__name__}.Other": 3, "NoSuchType": 0}
    mine = whyalive.type_counts(module_prefix=__name__)
    assert mine == {full: 10, f"{__name__}.Other": 3}
    assert whyalive.type_counts(limit=3).__len__() == 3
    top = whyalive.most_common_types(5)
    assert len(top) == 5 and top[0][1] >= top[-1][1]
    assert objgraph.count("Planted") == whyalive.type_counts(["Planted"])["Planted"]
    with pytest.raises(TypeError):
        whyalive.type_counts([1, 2])
    del keep


def test_type_counts_sees_garbage_unless_collect():
    class Cyc:
        pass
    gc.collect()
    gc.disable()
    try:
        for _ in range(50):
            a = Cyc()
            a.me = a
        del a
        assert whyalive.type_counts(["Cyc"])["Cyc"] == 50  # cyclic garbage still tracked
        assert whyalive.type_counts(["Cyc"], collect=True)["Cyc"] == 0
    finally:
        gc.enable()


def parse_exposition(text):
    from prometheus_client.parser import text_string_to_metric_families
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def test_prometheus_text_format():
    keep = [Planted() for _ in range(7)]
    text = whyalive.prometheus_text(types=["Planted", 'we"ird\\name'],
                                    module_prefixes=[__name__, "json"])
    assert text.endswith("\n")
    assert "# TYPE whyalive_objects gauge" in text
    assert 'we\\"ird\\\\name' in text
    got = parse_exposition(text)
    assert got[("whyalive_objects", (("type", "Planted"),))] == 7
    assert got[("whyalive_objects", (("type", 'we"ird\\name'),))] == 0
    assert got[("whyalive_module_objects", (("module_prefix", __name__),))] >= 7
    assert got[("whyalive_tracked_objects", ())] > 1000
    assert got[("whyalive_resident_memory_bytes", ())] > 1 << 20
    del keep


def test_prometheus_collector():
    prometheus_client = pytest.importorskip("prometheus_client")
    keep = [Planted() for _ in range(4)]
    reg = prometheus_client.CollectorRegistry()
    reg.register(whyalive.ObjectCountCollector(types=["Planted"], module_prefixes=[__name__]))
    # also next to the default process collector: names do not clash
    prometheus_client.ProcessCollector(registry=reg)
    got = parse_exposition(prometheus_client.generate_latest(reg).decode())
    assert got[("whyalive_objects", (("type", "Planted"),))] == 4
    assert got[("whyalive_tracked_objects", ())] > 1000
    del keep


_registry = []


def leaky_request(n=1):
    for _ in range(n):
        _registry.append(Planted())


def clean_request():
    tmp = [Planted() for _ in range(3)]
    return len(tmp)


def test_track_context_manager_catches_a_planted_leak():
    with whyalive.track() as report:
        leaky_request(3)
        clean_request()
    leak = report.leaked("Planted")
    assert leak and leak.count == 3 and leak.delta == 3
    assert report.deltas[f"{__name__}.Planted"] == 3
    assert leak.paths == [f"sys.modules['{__name__}'] .__dict__ ._registry [*]"]
    assert "._registry [*]" in repr(leak) and "3 new Planted" in repr(leak)
    assert not report.leaked("Other")
    assert "Planted" in str(report)
    with pytest.raises(AssertionError, match=r"_registry \[\*\]"):
        report.assert_no_leaks("Planted")
    _registry.clear()


def test_track_clean_block_reports_nothing():
    with whyalive.track() as report:
        clean_request()
    assert not report.leaked("Planted")
    assert not report.new, report.new
    report.assert_no_leaks()


def test_track_decorator_runs_n_times_and_warms_up():
    calls = []

    @whyalive.track(n=4, warmup=1)
    def handler():
        calls.append(1)
        leaky_request()
        return [Other()]  # returned, hence alive, but not a leak

    out = handler()
    assert len(calls) == 5 and isinstance(out[0], Other)
    r = handler.last_report
    assert r.iterations == 4
    assert r.leaked("Planted").count == 4
    assert not r.leaked("Other")
    _registry.clear()


def test_track_fail_on_and_run():
    with pytest.raises(AssertionError, match="Planted"):
        whyalive.track(fail_on=["Planted"]).run(leaky_request, 2)
    r = whyalive.track(n=3).run(clean_request)
    assert not r.leaked("Planted")
    _registry.clear()


def test_track_paths_off_and_keep_dump(tmp_path):
    with whyalive.track(paths=False) as r:
        leaky_request()
    assert r.leaked("Planted") and r.clusters == []
    keep = tmp_path / "after.wa"
    with whyalive.track(keep_dump=keep) as r:
        leaky_request()
    assert keep.exists() and r.dump_path == str(keep)
    with whyalive.load(keep) as snap:
        assert snap.select("type=*Planted").total == len(_registry)
    _registry.clear()


def test_pytest_failure_message_shows_the_path(tmp_path):
    test = tmp_path / "test_leaky.py"
    test.write_text(textwrap.dedent("""
        import uuid
        import whyalive

        class ConversationTranscriber:
            pass

        _sessions = {}

        def handle(i):
            _sessions[uuid.uuid4().hex] = ConversationTranscriber()

        def test_leak():
            with whyalive.track() as report:
                for i in range(3):
                    handle(i)
            assert not report.leaked("ConversationTranscriber")
    """))
    env = dict(os.environ)
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          str(test)], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=120)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "3 new ConversationTranscriber survived" in out.stdout, out.stdout
    assert "sys.modules['test_leaky'] .__dict__ ._sessions [*]" in out.stdout, out.stdout


def test_heapmark_lists_new_objects():
    gc.collect()
    mark = _core.HeapMark()
    assert len(mark) > 1000
    x = [Planted() for _ in range(5)]
    new, counts = mark.new_objects()
    assert len(new[f"{__name__}.Planted"]) == 5
    assert set(new[f"{__name__}.Planted"]) == {id(p) for p in x}
    assert counts[f"{__name__}.Planted"] >= 5
    assert mark.has(id(mark.new_objects)) in (True, False)
