"""The example scripts (examples/scripts/) run on the fixtures and say the
right thing with the right exit status (issue 7)."""
import csv
import io
import json
import os
import subprocess
import sys

import pytest

from api_support import FIXTURES, SRC, STT_LEAK

SCRIPTS = os.path.join(SRC, "examples", "scripts")
GROW = [os.path.join(FIXTURES, "analysis", f"grow{i}.jsonl") for i in (1, 2, 3)]


def run(script, *args):
    return subprocess.run([sys.executable, os.path.join(SCRIPTS, script), *args],
                          capture_output=True, text=True, timeout=120)


def test_who_holds_transcribers_names_the_native_holder():
    out = run("who_holds_transcribers.py", STT_LEAK)
    assert out.returncode == 0, out.stderr
    assert "3 ConversationTranscriber instance(s)" in out.stdout
    assert "excess refcount" in out.stdout and ".__self__" in out.stdout
    js = run("who_holds_transcribers.py", STT_LEAK, "--json")
    doc = json.loads(js.stdout)
    assert doc["instances"] == 3 and doc["holders"][0]["root"]["kind"] == "external"


def test_who_holds_transcribers_none_and_bad_input(tmp_path):
    assert run("who_holds_transcribers.py", STT_LEAK, "--type", "NoSuchType").returncode == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    assert run("who_holds_transcribers.py", str(bad)).returncode == 2


def test_ci_growth_check_fails_on_growth_and_passes_without():
    grew = run("ci_growth_check.py", GROW[0], GROW[2], "--type", "ConversationTranscriber")
    assert grew.returncode == 1, grew.stdout + grew.stderr
    assert "FAIL app.stt.ConversationTranscriber: 2 -> 26" in grew.stdout
    assert "_sessions" in grew.stdout  # the retention path is in the CI log
    same = run("ci_growth_check.py", GROW[0], GROW[0])
    assert same.returncode == 0 and same.stdout.startswith("ok")
    allowed = run("ci_growth_check.py", GROW[0], GROW[2], "--type", "ConversationTranscriber",
                  "--max-growth", "100")
    assert allowed.returncode == 0
    js = json.loads(run("ci_growth_check.py", GROW[0], GROW[1], "--json", "--type", "Session").stdout)
    assert not js["ok"] and js["failing"][0]["type"] == "app.stt.Session"
    assert run("ci_growth_check.py", GROW[0], "/nonexistent.wa").returncode == 2


def test_top_dominators_csv(tmp_path):
    out = run("top_dominators_csv.py", STT_LEAK, "-n", "5")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) == 5 and rows[0]["rank"] == "1"
    retained = [int(r["retained"]) for r in rows]
    assert retained == sorted(retained, reverse=True)
    assert rows[0]["type"].endswith("ConversationTranscriber") and rows[0]["path"]
    target = tmp_path / "top.csv"
    assert run("top_dominators_csv.py", STT_LEAK, "-o", str(target)).returncode == 0
    assert target.read_text().startswith("rank,address,type")


@pytest.mark.parametrize("script", ["who_holds_transcribers.py", "ci_growth_check.py",
                                    "top_dominators_csv.py"])
def test_scripts_have_help(script):
    out = run(script, "--help")
    assert out.returncode == 0 and "usage" in out.stdout
