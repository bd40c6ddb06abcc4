"""Every snippet of docs/coming-from.md runs, in order, in one folder, and
says what the page says it says (issue 13).

Python blocks run with this interpreter (the venv of scripts/get-peers-venv.sh:
objgraph, pympler, guppy3, memory_profiler pinned; prometheus_client from
Debian), the block marked `# file: NAME` is written to NAME instead, shell
blocks run with bash and `whyalive` on PATH. A block that fails, or prints
nothing and writes no file, fails the test with the block's text.
"""
import os
import re
import subprocess
import sys

import pytest

SRC = os.environ.get("WA_SRC") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOC = os.path.join(SRC, "docs", "coming-from.md")
WA = os.environ["WA_BIN"]

for mod in ("objgraph", "pympler", "guppy", "memory_profiler", "prometheus_client"):
    pytest.importorskip(mod)


def blocks():
    with open(DOC) as f:
        text = f.read()
    return [(lang, body) for lang, body in re.findall(r"```(python|sh)\n(.*?)```", text, re.S)]


def test_the_page_has_every_tool():
    langs = [lang for lang, _ in blocks()]
    assert langs.count("python") >= 10 and langs.count("sh") >= 6
    with open(DOC) as f:
        text = f.read()
    for name in ("compare_to", "show_growth", "show_backrefs", "find_backref_chain", "memory_profiler",
                 "Gauge", "summary.summarize", "hp.heap()", "shpaths"):
        assert name in text, name


def test_every_snippet_runs(tmp_path):
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(WA) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(tmp_path), env.get("PYTHONPATH")) if p)
    outputs = []
    for lang, body in blocks():
        first = body.splitlines()[0]
        if lang == "python" and first.startswith("# file: "):
            (tmp_path / first[len("# file: "):].strip()).write_text(body)
            continue
        cmd = [sys.executable, "-c", body] if lang == "python" else ["bash", "-euo", "pipefail", "-c", body]
        files = set(os.listdir(tmp_path))
        p = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, f"{lang} block failed ({p.returncode}):\n{body}\n--- stderr:\n{p.stderr}"
        assert p.stdout.strip() or set(os.listdir(tmp_path)) - files, f"no output, no file from:\n{body}"
        outputs.append((body, p.stdout))
    text = "\n".join(out for _, out in outputs)
    # what the page promises each answer shows
    assert "leaky.py:" in text                                   # tracemalloc: the allocating line
    assert "leaky.Transcriber" in text                            # whyalive diff / summary
    assert "_callbacks" in text and "__self__" in text            # paths: the registry, the bound method
    assert 'whyalive_objects{type="leaky.Transcriber"}' in text   # the Prometheus gauge
    assert (tmp_path / "backrefs.dot").exists() and (tmp_path / "backrefs.svg").exists()
    for f in ("a.wa", "b.wa", "c.wa"):
        assert (tmp_path / f).exists()
