"""The example service, started with no debug endpoints (it never imports
whyalive), dumped three times with `whyalive dump --pid` under load: the
dumps explain the leak exactly as the debug endpoint's dumps of the same
story do (same growth, same paths, same survivors).
"""

import os

import pytest

import attach_support

import example_support as ex
from example_support import HANDLER, TRANSCRIBER, Service, wa, wa_json

_REFUSED = attach_support.ptrace_refused()
pytestmark = [
    pytest.mark.skipif(os.environ.get("WA_SANITIZED") == "1",
                       reason="the ASan extension cannot be loaded into a plain interpreter"),
    pytest.mark.skipif(bool(_REFUSED), reason=_REFUSED or "ptrace works"),
]

REQUESTS = 20
MORE = 5
WARMUP = 3


def _env_without_whyalive(orig=ex.service_env):
    def service_env(**extra):
        env = orig(**extra)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in env["PYTHONPATH"].split(os.pathsep) if p != ex.WA_PY_PACKAGE)
        return env
    return service_env


def _mapped_whyalive(pid):
    with open(f"/proc/{pid}/maps") as f:
        return [line for line in f if "/whyalive/_core." in line or "whyalive-ext-" in line]


@pytest.fixture(scope="module")
def attached(tmp_path_factory):
    work = tmp_path_factory.mktemp("stt-attach")
    paths = {}
    mp = pytest.MonkeyPatch()
    mp.setattr(ex, "service_env", _env_without_whyalive())
    try:
        svc = Service(work, leak="native", token=False).__enter__()
    finally:
        mp.undo()
    try:
        assert svc.get("/healthz").json()["debug_endpoints"] is False
        pid = svc.proc.pid
        assert not _mapped_whyalive(pid), "the service loaded whyalive by itself"
        svc.send(WARMUP, seed=7)
        for label, n, seed in (("a", REQUESTS, 1), ("b", MORE, 2), ("c", 0, 0)):
            out = os.path.join(work, f"{label}.wa")
            wa("dump", "--pid", pid, "-o", out, "--timeout", 60)
            paths[label] = out
            if n:
                svc.send(n, seed=seed)
        # still serving, and the attach left its extension mapped, no module
        svc.send(2, seed=9)
        assert _mapped_whyalive(pid)
    finally:
        svc.stop()
    return paths


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    run = ex.run_story(tmp_path_factory.mktemp("stt-endpoint"), "native", REQUESTS, MORE, WARMUP)
    return {"a": run["a"], "b": run["b"], "c": run["c"]}


def _growth(a, b):
    doc = wa_json("diff", a, b, "--limit", "0")
    rows = {r["type"]: r for r in doc["rows"]}
    return {t: rows[t]["dcount"] if t in rows else 0 for t in (TRANSCRIBER, HANDLER)}


def _cluster(snap):
    doc = wa_json("paths", snap, "--select", "type=ConversationTranscriber")
    c = doc["clusters"][0]
    return c["count"], c["root"]["kind"], [h["label"] for h in c["hops"]], c["type"]


def _survivors(a, b, c):
    doc = wa_json("diff", a, b, c, "--select", "type=ConversationTranscriber")
    (cl,) = doc["survivors"]["clusters"]
    return doc["survivors"]["count"], [h["label"] for h in cl["hops"]]


def test_growth_equals_requests_as_endpoint(attached, endpoint):
    got = _growth(attached["a"], attached["b"])
    assert got == {TRANSCRIBER: REQUESTS, HANDLER: REQUESTS}
    assert got == _growth(endpoint["a"], endpoint["b"])


def test_paths_as_endpoint(attached, endpoint):
    got = _cluster(attached["b"])
    assert got == (REQUESTS + WARMUP, "external", [".__self__", ".transcriber"], TRANSCRIBER)
    assert got == _cluster(endpoint["b"])


def test_three_dump_survivors_as_endpoint(attached, endpoint):
    got = _survivors(attached["a"], attached["b"], attached["c"])
    assert got == (REQUESTS, [".__self__", ".transcriber"])
    assert got == _survivors(endpoint["a"], endpoint["b"], endpoint["c"])


def test_attach_dumps_hold_no_whyalive_module(attached):
    for p in attached.values():
        doc = wa_json("summary", p, "--select", "type=module", "--limit", "0")
        text = str(doc)
        assert "whyalive" not in text.replace(os.path.basename(p), "")


@pytest.mark.skipif(bool(os.environ.get("WA_PY_PACKAGE")), reason="the demo runs the main interpreter")
def test_demo_attach_route(tmp_path):
    # scripts/demo.sh --attach: the story with dumps by `whyalive dump --pid`;
    # the script itself checks the diagnosis matches the route (exit 0)
    import subprocess
    src = os.environ.get("WA_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
    p = subprocess.run([os.path.join(src, "scripts", "demo.sh"), ex.WA_BUILD, "--attach",
                        "--route", "native", "--requests", "5", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert "no debug endpoints: dumps by whyalive dump --pid" in p.stdout
    assert "check     as expected for STT_LEAK=native" in p.stdout
    assert sorted(os.listdir(tmp_path / "native" / "dumps")) == ["after.wa", "baseline.wa",
                                                                 "later.wa"]
