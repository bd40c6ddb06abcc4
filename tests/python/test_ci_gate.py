"""The CI gate (issue 14, item 3): `diff --fail-on SEL --max-growth N`,
`paths --fail-on`, `suspects --fail-on` (exit 1 with the offending routes,
exit 0 within the limit, the same "check" in --json), snap.diff(fail_on=...),
and the whyalive.pytest plugin failing a leaking test with its routes."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

import whyalive
from api_support import BIN, FIXTURES

GROW = [os.path.join(FIXTURES, "analysis", f"grow{i}.jsonl") for i in (1, 2, 3)]


def cli(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120)


def test_diff_fail_on_trips_with_routes_and_passes_within_the_limit():
    out = cli("diff", GROW[0], GROW[1], GROW[2], "--fail-on", "type=Session")
    assert out.returncode == 1, out.stderr
    assert "check FAILED: 'type=Session' grew by +24 from the first dump to the last (2 -> 14 -> 26)" in out.stdout
    assert "24 objects new since the first dump, kept alive by:" in out.stdout
    assert "24 Session (26.2 KiB retained) via sys.modules['app.stt'] .__dict__['_sessions'] [*]" in out.stdout
    ok = cli("diff", GROW[0], GROW[2], "--fail-on", "type=Session", "--max-growth", "24")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "check passed" in ok.stdout
    assert cli("diff", GROW[0], GROW[2], "--fail-on", "type=Session", "--max-growth", "23").returncode == 1
    # a type that did not grow passes; one that does not exist too (with the note)
    assert cli("diff", GROW[0], GROW[2], "--fail-on", "type=Settings").returncode == 0
    nope = cli("diff", GROW[0], GROW[2], "--fail-on", "type=Sesion")
    assert nope.returncode == 0 and "check passed" in nope.stdout


def test_diff_fail_on_json():
    out = cli("diff", GROW[0], GROW[2], "--fail-on", "type=Session", "--json")
    assert out.returncode == 1
    chk = json.loads(out.stdout)["check"]
    assert chk["mode"] == "growth" and chk["counts"] == [2, 26] and chk["value"] == 24
    assert chk["failed"] is True and chk["offending"] == 24 and chk["max"] == 0
    assert chk["clusters"][0]["count"] == 24
    assert chk["clusters"][0]["path"] == "sys.modules['app.stt'] .__dict__['_sessions'] [*]"
    # without --fail-on the document has no check (the goldens hold the rest)
    plain = json.loads(cli("diff", GROW[0], GROW[2], "--json").stdout)
    assert "check" not in plain


def test_fail_on_usage_errors():
    bad = cli("diff", GROW[0], GROW[2], "--fail-on", "type=")
    assert bad.returncode == 2 and "--fail-on: column" in bad.stderr
    assert cli("diff", GROW[0], GROW[2], "--max-growth", "x").returncode == 2


def test_paths_fail_on_counts_live_objects():
    out = cli("paths", GROW[2], "--fail-on", "type=Settings")
    assert out.returncode == 1
    assert "check FAILED: 'type=Settings' matches 1 objects, more than --max-count 0" in out.stdout
    assert "via sys.modules['app.stt'] .__dict__['settings']" in out.stdout
    assert cli("paths", GROW[2], "--fail-on", "type=Session", "--max-count", "26").returncode == 0
    assert cli("paths", GROW[2], "--fail-on", "type=Session", "--max-count", "25").returncode == 1
    # --select shows other objects, the check still counts --fail-on's
    both = cli("paths", GROW[2], "--select", "type=Settings", "--fail-on", "type=Session", "--json")
    doc = json.loads(both.stdout)
    assert both.returncode == 1 and doc["selected"] == 1 and doc["check"]["value"] == 26


def test_suspects_fail_on_a_suspect_type():
    out = cli("suspects", GROW[2], "--fail-on", "type=Session")
    assert out.returncode == 1, out.stdout
    assert "suspects of a type 'type=Session' matches, more than --max-count 0" in out.stdout
    doc = json.loads(cli("suspects", GROW[2], "--fail-on", "type=Session", "--json").stdout)
    assert doc["check"]["suspects"] and all(s["type"] == "app.stt.Session" for s in doc["check"]["suspects"])
    assert cli("suspects", GROW[2], "--fail-on", "type=Settings").returncode == 0


def test_python_diff_fail_on():
    with whyalive.load(GROW[0]) as a:
        d = a.diff(GROW[2], fail_on="type=Session")
        assert d["check"]["failed"] and d["check"]["value"] == 24
        assert not a.diff(GROW[2], fail_on="type=Session", max_growth=24)["check"]["failed"]
        assert "check" not in a.diff(GROW[2])
        with pytest.raises(TypeError):
            a.diff(GROW[2], fail_on=3)
        with pytest.raises(Exception):
            a.diff(GROW[2], fail_on="type=")


class Held:
    pass


def test_no_leaks_context_manager():
    import whyalive.pytest as wp
    keep = []
    with wp.no_leaks("type=Held"):
        tmp = [Held() for _ in range(3)]
        del tmp
    with pytest.raises(wp.LeakError) as ei:
        with wp.no_leaks("type=Held"):
            keep.extend(Held() for _ in range(4))
    err = ei.value
    assert err.check["value"] == 4 and err.check["offending"] == 4
    assert "grew by +4 during the test" in str(err) and "[*]" in str(err), str(err)
    assert os.path.exists(err.before) and os.path.exists(err.after)
    with wp.no_leaks("type=Held", max_growth=2):
        keep.append(Held())


PLUGIN_TESTS = textwrap.dedent('''
    import pytest

    class Sess:
        pass

    _cache = []

    @pytest.mark.no_leaks("type=Sess")
    def test_leaks():
        _cache.extend(Sess() for _ in range(3))

    @pytest.mark.no_leaks("type=Sess")
    def test_clean():
        tmp = [Sess() for _ in range(3)]
        del tmp

    @pytest.mark.no_leaks("type=Sess", max_growth=5)
    def test_within():
        _cache.extend(Sess() for _ in range(2))

    @pytest.mark.no_leaks("type=Sess")
    def test_own_failure_first():
        _cache.append(Sess())
        assert False, "the test's own assertion"

    def test_fixture(whyalive_no_leaks):
        import whyalive.pytest as wp
        with pytest.raises(wp.LeakError):
            with whyalive_no_leaks("type=Sess"):
                _cache.append(Sess())
''')


def test_pytest_plugin(tmp_path):
    (tmp_path / "test_leaky.py").write_text(PLUGIN_TESTS)
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "whyalive.pytest",
                          "-p", "no:cacheprovider", "-rf", "test_leaky.py"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    assert "2 failed, 3 passed" in text, text
    assert "FAILED test_leaky.py::test_leaks" in text and "FAILED test_leaky.py::test_own_failure_first" in text
    assert "'type=Sess' grew by +3 during the test (0 -> 3)" in text, text
    assert "3 Sess (" in text and "._cache [*]" in text, text
    assert "the test's own assertion" in text
