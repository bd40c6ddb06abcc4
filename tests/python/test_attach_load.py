"""The short CI version of bench/attach_load.py: 5 attaches to the example
service under a request loop (every request succeeds, threads and
descriptors unchanged, RSS back within 5%) and 5 attaches whose `whyalive`
is SIGKILLed at a random moment (the service never dies, hangs or stays
stopped or traced). The bench runs 50 and 20 (bench/RESULTS.md)."""

import os
import sys

import pytest

import attach_support

_REFUSED = attach_support.ptrace_refused()
pytestmark = [
    pytest.mark.skipif(os.environ.get("WA_SANITIZED") == "1",
                       reason="the ASan extension cannot be loaded into a plain interpreter"),
    pytest.mark.skipif(bool(_REFUSED), reason=_REFUSED or "ptrace works"),
    pytest.mark.skipif(bool(os.environ.get("WA_PY_PACKAGE")),
                       reason="run once, under the main interpreter"),
]

sys.path.insert(0, os.path.join(os.environ.get("WA_SRC", ""), "bench"))


def test_attach_under_load_and_sigkill(tmp_path):
    import attach_load
    out = tmp_path / "figures.json"
    rc = attach_load.main(["--build", os.environ["WA_BUILD"], "--attaches", "5", "--kills", "5",
                           "--json", str(out)])
    import json
    fig = json.loads(out.read_text())
    assert rc == 0, fig["failures"]
    assert fig["failed_requests"] == 0 and fig["requests"] > 0
    assert fig["before"]["threads"] == fig["after"]["threads"]
    assert fig["before"]["fds"] == fig["after"]["fds"]
    assert abs(fig["rss_change_pct"]) <= 5
